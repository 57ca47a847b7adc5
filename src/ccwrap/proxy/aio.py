"""The upstream leg on aiohttp's client, behind httpx's transport interface (the `fast` extra).

Why (issue 5, measured in docs/benchmarks.md): with httpcore + h11, every SSE event costs a walk
through h11's state machine and several async-generator layers, which keeps a proxied ~2 MB stream
near 30% of direct and adds seconds at p99 with 64 paced streams even after the asyncio-native
backend in netio.py and batched writes. aiohttp parses HTTP in C and hands over everything received
in one piece. httpx stays the client API: this is an ``httpx.AsyncBaseTransport``, so the proxy's
code (retry, errors, relay) is the same with either transport, and without aiohttp installed
netio.py's transport is used.

Exceptions are translated at the edge, the OS-level cause kept for failures.explain::

    aiohttp.ClientConnectorCertificateError → httpx.ConnectError (from the certificate error)
    aiohttp.ClientConnectorError            → httpx.ConnectError  (from its OSError)
    aiohttp.ConnectionTimeoutError          → httpx.ConnectTimeout
    aiohttp.ServerDisconnectedError         → httpx.RemoteProtocolError
    aiohttp.ClientOSError / payload errors  → httpx.ReadError     (from its OSError, if any)
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import aiohttp
import httpx
from yarl import URL

from ccwrap.proxy.netio import OPENED, RAW_STREAM, DirectTransport

# aiohttp adds these when absent; a proxy must send only what its client sent.
SKIP_AUTO_HEADERS = ("Accept", "Accept-Encoding", "User-Agent", "Content-Type")


def translate(exc: BaseException) -> Exception:
    """An aiohttp (or asyncio) exception as httpx's, with the most telling cause attached."""
    mapped: Exception
    cause: BaseException = exc
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        mapped, cause = httpx.ConnectError(str(exc)), exc.certificate_error
    elif isinstance(exc, aiohttp.ClientConnectorError):
        mapped, cause = httpx.ConnectError(str(exc)), exc.os_error
    elif isinstance(exc, aiohttp.ConnectionTimeoutError):
        mapped = httpx.ConnectTimeout(str(exc) or "connect timeout")
    elif isinstance(exc, aiohttp.ServerDisconnectedError):
        mapped = httpx.RemoteProtocolError("Server disconnected without sending a response")
    elif isinstance(exc, aiohttp.ClientPayloadError):
        mapped = httpx.RemoteProtocolError(f"the answer was cut short ({exc})")
        cause = exc.__cause__ or exc
    else:
        mapped = httpx.ReadError(str(exc) or type(exc).__name__)
        cause = exc.__cause__ or exc
    mapped.__cause__ = cause
    return mapped


async def _on_connect(session: object, context: SimpleNamespace, params: object) -> None:
    if (opened := OPENED.get()) is not None:
        opened.append("connect")


async def _chunks(response: aiohttp.ClientResponse) -> AsyncIterator[bytes]:
    try:
        async for chunk in response.content.iter_any():
            yield chunk
    except (aiohttp.ClientError, OSError) as exc:
        raise translate(exc) from exc


class _ResponseStream(httpx.AsyncByteStream):
    def __init__(self, response: aiohttp.ClientResponse, chunks: AsyncIterator[bytes]) -> None:
        self._response = response
        self._chunks = chunks

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._chunks

    async def aclose(self) -> None:
        if self._response.content.at_eof():
            self._response.release()  # back to the pool
        else:
            self._response.close()  # cut short (client gone): the connection cannot be reused


class AiohttpTransport(DirectTransport):
    """HTTP/1.1 upstream requests on one aiohttp session: pooled unless ``max_keepalive`` is 0."""

    def __init__(
        self,
        *,
        ssl_context: ssl.SSLContext,
        max_keepalive: int,
        keepalive_expiry: float,
        connect_timeout: float,
    ) -> None:
        self._ssl = ssl_context
        self._pooled = max_keepalive > 0
        self._expiry = keepalive_expiry
        self._connect_timeout = connect_timeout
        self._session: aiohttp.ClientSession | None = None

    def _open_session(self) -> aiohttp.ClientSession:
        # Created on first use, inside the server's event loop.
        trace = aiohttp.TraceConfig()
        trace.on_connection_create_start.append(_on_connect)
        connector = aiohttp.TCPConnector(
            limit=0,
            ssl=self._ssl,
            force_close=not self._pooled,
            keepalive_timeout=self._expiry if self._pooled else None,
        )
        return aiohttp.ClientSession(
            connector=connector,
            auto_decompress=False,  # raw bytes: content-encoding is the client's business
            cookie_jar=aiohttp.DummyCookieJar(),
            timeout=aiohttp.ClientTimeout(
                total=None, sock_connect=self._connect_timeout, sock_read=None
            ),
            trust_env=False,  # the caller picks httpx's transport when HTTPS_PROXY applies
            trace_configs=[trace],
            skip_auto_headers=SKIP_AUTO_HEADERS,
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._session is None:
            self._session = self._open_session()
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw]
        body = request.content
        try:
            response = await self._session.request(
                request.method,
                URL(str(request.url), encoded=True),
                headers=headers,
                data=body or None,
                allow_redirects=False,
            )
        except (aiohttp.ClientError, OSError) as exc:
            raise translate(exc) from exc
        chunks = _chunks(response)
        extensions: dict[str, Any] = {RAW_STREAM: chunks}
        return httpx.Response(
            status_code=response.status,
            headers=list(response.raw_headers),
            stream=_ResponseStream(response, chunks),
            extensions=extensions,
        )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
