"""The default transport: httpcore's connection pool (h11) on plain asyncio protocols.

httpx's default transport reaches the network through anyio: a cancel scope, an exception map and a
backend lookup on every read, and TLS done in Python through a memory BIO. A proxy reads once per
SSE event, so that is most of its CPU (issue 5). httpcore lets the caller supply its network
backend; this one is the event loop's own transports (uvloop's, in C, when installed), TLS
included. A forward proxy is httpcore's ``AsyncHTTPProxy`` on the same backend.

OS errors become httpcore's at the backend (``OSError`` → ``ConnectError``/``ReadError``/
``WriteError``, the cause kept); :meth:`HttpcoreTransport.errors` maps httpcore's to
:class:`~ccwrap.proxy.upstream.base.UpstreamError`.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable
from typing import Any
from urllib.parse import unquote, urlsplit

import httpcore

from ccwrap.proxy.upstream.base import (
    OPENED,
    StaleConnection,
    Transport,
    UpstreamRequest,
    UpstreamResponse,
    Write,
    mapping,
)

# Everything httpcore raises for a network or protocol failure.
LIBRARY_ERRORS: tuple[type[BaseException], ...] = (
    httpcore.NetworkError,
    httpcore.ProtocolError,
    httpcore.TimeoutException,
    httpcore.UnsupportedProtocol,
)
# Errors a pooled connection shows when the upstream closed it just as it was reused.
STALE_ERRORS = (httpcore.RemoteProtocolError, httpcore.ReadError, httpcore.WriteError)
# Collected small reads are flushed to the client at this size at the latest.
FLUSH_SIZE = 64 * 1024

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


class _Response(UpstreamResponse):
    def __init__(self, response: httpcore.Response) -> None:
        self._response = response
        self.status = response.status
        self.headers = list(response.headers)

    async def relay(self, write: Write) -> None:
        """Chunks collected and written when the connection has nothing more to give at once.

        One upstream read often holds many SSE events, which h11 hands over one by one; writing
        each costs a trip through the server (issue 5: batching halves streaming CPU). The
        network stream's ``before_wait`` says when a read is about to wait: then, or at
        FLUSH_SIZE, what was collected goes out in one write.
        """
        stream = self._response.extensions.get("network_stream")
        body = self._response.stream
        if not isinstance(stream, AsyncioStream) or not isinstance(body, AsyncIterable):
            async for chunk in body:  # type: ignore[union-attr]
                await write(chunk)
            return
        pending: list[bytes] = []
        size = 0

        async def flush() -> None:
            nonlocal size
            if pending:
                data = pending[0] if len(pending) == 1 else b"".join(pending)
                pending.clear()
                size = 0
                await write(data)

        stream.before_wait = flush
        try:
            async for chunk in body:
                pending.append(chunk)
                size += len(chunk)
                if size >= FLUSH_SIZE:
                    await flush()
        except LIBRARY_ERRORS:
            await flush()  # what arrived before a cut still reaches the client
            raise
        finally:
            stream.before_wait = None
        await flush()

    async def aclose(self) -> None:
        await self._response.aclose()


def _pool(
    ssl_context: ssl.SSLContext,
    max_keepalive: int,
    keepalive_expiry: float,
    forward_proxy: str | None,
) -> httpcore.AsyncConnectionPool:
    common: dict[str, Any] = {
        "ssl_context": ssl_context,
        "max_connections": None,
        "max_keepalive_connections": max_keepalive,
        "keepalive_expiry": keepalive_expiry,
        "network_backend": AsyncioBackend(),
    }
    if forward_proxy is None:
        return httpcore.AsyncConnectionPool(**common)
    parts = urlsplit(forward_proxy)
    auth = (unquote(parts.username), unquote(parts.password or "")) if parts.username else None
    netloc = parts.netloc.rpartition("@")[2]
    return httpcore.AsyncHTTPProxy(
        proxy_url=f"{parts.scheme}://{netloc}", proxy_auth=auth, **common
    )


class HttpcoreTransport(Transport):
    """httpcore's pool on :class:`AsyncioBackend`; HTTP/1.1, keep-alive, no retries of its own."""

    def __init__(
        self,
        *,
        ssl_context: ssl.SSLContext,
        max_keepalive: int,
        keepalive_expiry: float,
        connect_timeout: float,
        forward_proxy: str | None = None,
    ) -> None:
        self._pooled = _pool(ssl_context, max_keepalive, keepalive_expiry, forward_proxy)
        self._fresh = _pool(ssl_context, 0, keepalive_expiry, forward_proxy)
        self._timeouts = {"connect": connect_timeout, "read": None, "write": None, "pool": None}
        self._origins: dict[str, tuple[bytes, bytes, int | None]] = {}

    def errors(self) -> contextlib.AbstractContextManager[None]:
        return mapping(LIBRARY_ERRORS)

    async def send(self, request: UpstreamRequest, *, fresh: bool = False) -> UpstreamResponse:
        scheme, host, port = self._origin(request.origin)
        core = httpcore.Request(
            method=request.method.encode("ascii"),
            url=httpcore.URL(scheme=scheme, host=host, port=port, target=request.target),
            headers=request.headers,
            content=request.body,
            extensions={"timeout": self._timeouts},
        )
        opened: list[str] = []
        reset = OPENED.set(opened)
        try:
            response = await (self._fresh if fresh else self._pooled).handle_async_request(core)
        except STALE_ERRORS as exc:
            if opened or fresh:
                raise
            raise StaleConnection(str(exc)) from exc
        finally:
            OPENED.reset(reset)
        return _Response(response)

    def _origin(self, origin: str) -> tuple[bytes, bytes, int | None]:
        parsed = self._origins.get(origin)
        if parsed is None:
            parts = urlsplit(origin)
            host = (parts.hostname or "").encode("idna")
            parsed = (parts.scheme.encode("ascii"), host, parts.port)
            self._origins[origin] = parsed
        return parsed

    async def aclose(self) -> None:
        await self._pooled.aclose()
        await self._fresh.aclose()
