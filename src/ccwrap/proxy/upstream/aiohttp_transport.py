"""The `fast` extra's transport: aiohttp's client, whose C parser hands over a whole read at once.

Why (issue 5, measured in docs/benchmarks.md): with httpcore + h11 every SSE event of a chunked
body costs a walk through h11's state machine, which keeps a proxied ~2 MB stream near 30% of
direct and adds seconds at p99 with 64 paced streams; aiohttp relays it at 80–95% of direct.
:meth:`AiohttpTransport.errors` maps ``aiohttp.ClientError`` (the OS-level error kept as the
cause: ``ClientConnectorError.os_error``, the certificate error) to ``UpstreamError``.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Iterator
from types import SimpleNamespace

import aiohttp
from yarl import URL

from ccwrap.proxy.upstream.base import (
    OPENED,
    StaleConnection,
    Transport,
    UpstreamError,
    UpstreamRequest,
    UpstreamResponse,
    Write,
)

# aiohttp adds these when absent; a proxy must send only what its client sent.
SKIP_AUTO_HEADERS = ("Accept", "Accept-Encoding", "User-Agent", "Content-Type")
STALE_ERRORS = (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError)


@contextlib.contextmanager
def _mapped() -> Iterator[None]:
    try:
        yield
    except UpstreamError:
        raise
    except aiohttp.ClientConnectorCertificateError as exc:
        raise UpstreamError(str(exc)) from exc.certificate_error
    except aiohttp.ClientConnectorError as exc:
        raise UpstreamError(str(exc)) from exc.os_error
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        raise UpstreamError(str(exc) or type(exc).__name__) from exc


async def _on_connect(session: object, context: SimpleNamespace, params: object) -> None:
    if (opened := OPENED.get()) is not None:
        opened.append("connect")


class _Response(UpstreamResponse):
    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response
        self.status = response.status
        self.headers = list(response.raw_headers)

    async def relay(self, write: Write) -> None:
        async for chunk in self._response.content.iter_any():
            await write(chunk)

    async def aclose(self) -> None:
        if self._response.content.at_eof():
            self._response.release()  # back to the pool
        else:
            self._response.close()  # cut short (client gone): the connection cannot be reused


class AiohttpTransport(Transport):
    """HTTP/1.1 upstream requests on aiohttp sessions (one pooled, one for fresh connections)."""

    def __init__(
        self,
        *,
        ssl_context: ssl.SSLContext,
        max_keepalive: int,
        keepalive_expiry: float,
        connect_timeout: float,
        forward_proxy: str | None = None,
    ) -> None:
        self._ssl = ssl_context
        self._expiry = keepalive_expiry
        self._connect_timeout = connect_timeout
        self._proxy = forward_proxy
        self._pooled_session: aiohttp.ClientSession | None = None
        self._fresh_session: aiohttp.ClientSession | None = None

    def errors(self) -> contextlib.AbstractContextManager[None]:
        return _mapped()

    def _session(self, fresh: bool) -> aiohttp.ClientSession:
        # Created on first use, inside the server's event loop.
        if fresh:
            self._fresh_session = self._fresh_session or self._open(pooled=False)
            return self._fresh_session
        self._pooled_session = self._pooled_session or self._open(pooled=True)
        return self._pooled_session

    def _open(self, *, pooled: bool) -> aiohttp.ClientSession:
        trace = aiohttp.TraceConfig()
        trace.on_connection_create_start.append(_on_connect)
        connector = aiohttp.TCPConnector(
            limit=0,
            ssl=self._ssl,
            force_close=not pooled,
            keepalive_timeout=self._expiry if pooled else None,
        )
        return aiohttp.ClientSession(
            connector=connector,
            auto_decompress=False,  # raw bytes: content-encoding is the client's business
            cookie_jar=aiohttp.DummyCookieJar(),
            timeout=aiohttp.ClientTimeout(
                total=None, sock_connect=self._connect_timeout, sock_read=None
            ),
            trust_env=False,  # the forward proxy is decided from the injected environment
            trace_configs=[trace],
            skip_auto_headers=SKIP_AUTO_HEADERS,
        )

    async def send(self, request: UpstreamRequest, *, fresh: bool = False) -> UpstreamResponse:
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers]
        opened: list[str] = []
        reset = OPENED.set(opened)
        try:
            response = await self._session(fresh).request(
                request.method,
                URL(request.url, encoded=True),
                headers=headers,
                data=request.body or None,
                allow_redirects=False,
                proxy=self._proxy,
            )
        except STALE_ERRORS as exc:
            if opened or fresh:
                raise
            raise StaleConnection(str(exc)) from exc
        finally:
            OPENED.reset(reset)
        return _Response(response)

    async def aclose(self) -> None:
        for session in (self._pooled_session, self._fresh_session):
            if session is not None:
                await session.close()
