"""The upstream leg's transport: httpcore's connection pool on plain asyncio protocols.

httpx's default transport reaches the network through anyio: a cancel scope, an exception map and a
backend lookup on every read, and TLS done in Python through a memory BIO. A proxy reads once per
SSE event, so that is most of its CPU (issue 5 measured httpx/httpcore as what remains once the
server side is fast). httpcore lets the caller supply its network backend; this one is the event
loop's own transports (uvloop's, in C, when installed), TLS included. httpx stays the client API:
:class:`UpstreamTransport` is an ``httpx.AsyncBaseTransport``, so ``AsyncClient`` works as usual.

Exceptions are translated at the edge, the cause kept (style.md #3)::

    OSError / ssl.SSLError → httpcore.ConnectError / ReadError / WriteError → httpx.<same name>
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable
from contextvars import ContextVar
from typing import Any

import httpcore
import httpx

# Set by the caller around one request: connect_tcp appends to it, so the caller can tell a fresh
# connection from a reused one (httpcore connects in the requesting task).
OPENED: ContextVar[list[str] | None] = ContextVar("ccwrap_proxy_opened", default=None)
# Response extension: httpcore's own body stream, for callers that iterate it directly.
RAW_STREAM = "ccwrap.raw_stream"
# What iterating RAW_STREAM may raise besides httpx's errors.
STREAM_ERRORS = (
    httpx.HTTPError,
    httpcore.NetworkError,
    httpcore.ProtocolError,
    httpcore.TimeoutException,
)

# Stop reading from the upstream while this much is waiting for a slow client; resume below LOW.
HIGH_WATER = 1 << 20
LOW_WATER = 1 << 18


class _Protocol(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.chunks: list[bytes] = []
        self.buffered = 0
        self.eof = False
        self.error: BaseException | None = None
        self.reading_paused = False
        self.writing_paused = False
        self.waiter: asyncio.Future[None] | None = None
        self.drain: asyncio.Future[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.chunks.append(data)
        self.buffered += len(data)
        if self.buffered > HIGH_WATER and self.transport is not None:
            self.transport.pause_reading()
            self.reading_paused = True
        self._wake()

    def eof_received(self) -> bool:
        self.eof = True
        self._wake()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.eof = True
        self.error = exc
        self._wake()
        if self.drain is not None and not self.drain.done():
            self.drain.set_result(None)

    def pause_writing(self) -> None:
        self.writing_paused = True

    def resume_writing(self) -> None:
        self.writing_paused = False
        if self.drain is not None and not self.drain.done():
            self.drain.set_result(None)

    def _wake(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)


class AsyncioStream(httpcore.AsyncNetworkStream):
    def __init__(self, transport: asyncio.Transport, protocol: _Protocol) -> None:
        self._transport = transport
        self._protocol = protocol
        # Called when a read is about to wait for the network: everything already received has
        # been parsed and handed over, so it is the moment to flush it to the client in one write.
        self.before_wait: Callable[[], Awaitable[None]] | None = None

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        protocol = self._protocol
        if not protocol.chunks and not protocol.eof and self.before_wait is not None:
            await self.before_wait()
        if not protocol.chunks and not protocol.eof:
            protocol.waiter = asyncio.get_running_loop().create_future()
            try:
                await _within(protocol.waiter, timeout, httpcore.ReadTimeout)
            finally:
                protocol.waiter = None
        if not protocol.chunks:
            if protocol.error is not None:
                raise httpcore.ReadError(str(protocol.error)) from protocol.error
            return b""
        data = protocol.chunks[0] if len(protocol.chunks) == 1 else b"".join(protocol.chunks)
        protocol.chunks.clear()
        if len(data) > max_bytes:
            protocol.chunks.append(data[max_bytes:])
            data = data[:max_bytes]
        protocol.buffered = len(protocol.chunks[0]) if protocol.chunks else 0
        if protocol.reading_paused and protocol.buffered < LOW_WATER:
            protocol.reading_paused = False
            self._transport.resume_reading()
        return data

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        protocol = self._protocol
        if protocol.error is not None or self._transport.is_closing():
            cause = protocol.error or ConnectionResetError("the upstream closed the connection")
            raise httpcore.WriteError(str(cause)) from cause
        self._transport.write(buffer)
        if protocol.writing_paused:
            protocol.drain = asyncio.get_running_loop().create_future()
            try:
                await _within(protocol.drain, timeout, httpcore.WriteTimeout)
            finally:
                protocol.drain = None

    async def aclose(self) -> None:
        self._transport.close()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        try:
            transport = await loop.start_tls(
                self._transport,
                self._protocol,
                ssl_context,
                server_hostname=server_hostname,
                ssl_handshake_timeout=timeout,
            )
        except (OSError, ssl.SSLError) as exc:  # ssl.SSLError is an OSError; named for the reader
            self._transport.close()
            raise httpcore.ConnectError(str(exc)) from exc
        except asyncio.TimeoutError as exc:
            self._transport.close()
            raise httpcore.ConnectTimeout("TLS handshake timed out") from exc
        if transport is None:
            raise httpcore.ConnectError("TLS handshake failed")
        return AsyncioStream(transport, self._protocol)

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            # httpcore asks this of an idle pooled connection: data or EOF means it is dead.
            return bool(self._protocol.chunks) or self._protocol.eof
        if info == "client_addr":
            return self._transport.get_extra_info("sockname")
        if info == "server_addr":
            return self._transport.get_extra_info("peername")
        return self._transport.get_extra_info(info)


async def _within(
    future: asyncio.Future[None], timeout: float | None, error: type[Exception]
) -> None:
    if timeout is None:
        await future
        return
    try:
        await asyncio.wait_for(future, timeout)
    except asyncio.TimeoutError as exc:
        raise error(f"no progress within {timeout:g} s") from exc


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        local = (local_address, 0) if local_address else None
        try:
            transport, protocol = await asyncio.wait_for(
                loop.create_connection(_Protocol, host, port, local_addr=local), timeout
            )
        except asyncio.TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"no connection within {timeout:g} s") from exc
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        if (opened := OPENED.get()) is not None:
            opened.append(f"{host}:{port}")
        sock = transport.get_extra_info("socket")
        for option in socket_options or ():
            sock.setsockopt(*option)
        return AsyncioStream(transport, protocol)

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not used by the proxy")

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


# httpcore's exceptions → httpx's of the same name (httpx does this in a private helper).
_EXCEPTIONS: tuple[tuple[type[Exception], type[httpx.HTTPError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.ProtocolError, httpx.ProtocolError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.TimeoutException, httpx.TimeoutException),
)


def translate(exc: Exception) -> Exception:
    for core, mapped in _EXCEPTIONS:
        if isinstance(exc, core):
            return mapped(str(exc))
    return exc


class _ResponseStream(httpx.AsyncByteStream):
    def __init__(self, stream: Any) -> None:
        self._stream = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for part in self._stream:
                yield part
        except httpcore.TimeoutException as exc:
            raise translate(exc) from exc
        except (httpcore.NetworkError, httpcore.ProtocolError) as exc:
            raise translate(exc) from exc

    async def aclose(self) -> None:
        await self._stream.aclose()


def raw_chunks(response: httpx.Response) -> AsyncIterable[bytes]:
    """The body's raw bytes, straight from httpcore when this transport made the response (three
    generator layers fewer per chunk than ``aiter_raw``; errors may then be httpcore's, see
    STREAM_ERRORS), else ``aiter_raw()``. Close the response afterwards as usual."""
    stream = response.extensions.get(RAW_STREAM)
    return stream if stream is not None else response.aiter_raw()


class DirectTransport(httpx.AsyncBaseTransport):
    """A transport of this package: the proxy calls it without ``AsyncClient.send``'s layers
    (app.send_upstream), so it must honour ``request.extensions["timeout"]`` itself."""


class UpstreamTransport(DirectTransport):
    """httpcore's pool on :class:`AsyncioBackend`; HTTP/1.1, keep-alive, no retries of its own."""

    def __init__(
        self, *, ssl_context: ssl.SSLContext, max_keepalive: int, keepalive_expiry: float
    ) -> None:
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=None,
            max_keepalive_connections=max_keepalive,
            keepalive_expiry=keepalive_expiry,
            network_backend=AsyncioBackend(),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        try:
            response = await self._pool.handle_async_request(core_request)
        except (httpcore.TimeoutException, httpcore.NetworkError, httpcore.ProtocolError) as exc:
            raise translate(exc) from exc
        except httpcore.UnsupportedProtocol as exc:
            raise translate(exc) from exc
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_ResponseStream(response.stream),
            extensions={**response.extensions, RAW_STREAM: response.stream},
        )

    async def aclose(self) -> None:
        await self._pool.aclose()
