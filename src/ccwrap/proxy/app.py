"""The forwarder (an ASGI app) and the Starlette app factory whose lifespan owns the httpx client.

One request: check ``Host``, the route and the session token (policy.py), read the body, rewrite
headers (headers.py) and the model (model_map.py), send it upstream on the shared pooled client,
then relay the answer. Small bodies go back as one plain response; anything else (SSE, large or
unknown length) is streamed as raw bytes (``content-encoding`` kept), with no read timeout, all
that arrived in one read relayed in one write. A task watches for the client going away and
cancels the upstream exchange at once. upstream.py builds the client.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from starlette.applications import Starlette

from ccwrap.proxy.config import ProxyConfig
from ccwrap.proxy.failures import error_body, upstream_error
from ccwrap.proxy.headers import CREDENTIALS, HeaderPlan, request_headers, response_headers
from ccwrap.proxy.model_map import ModelMap
from ccwrap.proxy.netio import (
    OPENED,
    STREAM_ERRORS,
    AsyncioStream,
    raw_chunks,
)
from ccwrap.proxy.policy import (
    ROUTES,
    Route,
    allowed_hosts,
    host_allowed,
    match,
    token_matches,
    upstream_base,
    upstream_target,
)
from ccwrap.proxy.upstream import env_proxy_applies, make_client, send_upstream

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

log = logging.getLogger("ccwrap.proxy")

# Non-streamed answers up to this size are read whole and sent as one plain response.
SMALL_BODY = 256 * 1024
FLUSH_SIZE = 64 * 1024
URL_CACHE_SIZE = 64
MODELS_ROUTE = ROUTES[("GET", b"/v1/models")]
# Errors a pooled connection shows when the upstream closed it just as it was reused.
STALE_CONNECTION_ERRORS = (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)


@dataclass
class Exchange:
    """What the log line says about one request."""

    method: str
    path: str
    start: float
    status: int = 0
    ttfb: float | None = None
    note: str = ""


@dataclass(frozen=True)
class Outbound:
    route: Route
    url: httpx.URL
    headers: list[tuple[bytes, bytes]]
    body: bytes


class Forwarder:
    def __init__(self, config: ProxyConfig, port: int) -> None:
        self.config = config
        self.origin, self.prefix = upstream_base(config.upstream)
        via = env_proxy_applies(config.upstream)
        # Named in error messages; a proxy URL's user:password is left out.
        self.upstream_name = self.origin + (
            f" (through {urlsplit(via).netloc.rpartition('@')[2]})" if via else ""
        )
        self.hosts = allowed_hosts(port)
        self.token = config.token.encode("latin-1")
        self.plan = HeaderPlan.build(
            auth=config.auth,
            key=config.key,
            headers=config.headers,
            secret_headers=config.secret_headers,
        )
        self.replaced = self.plan.replaced
        self.models = ModelMap.from_rules(config.model_map)
        self._client: httpx.AsyncClient | None = None
        self._fresh: httpx.AsyncClient | None = None
        self._urls: dict[tuple[str, bytes], httpx.URL] = {}
        self.counts_connections = env_proxy_applies(config.upstream) is None

    # -- lifespan -------------------------------------------------------------------------------
    @contextlib.asynccontextmanager
    async def lifespan(self, app: object) -> AsyncIterator[None]:
        context = httpx.create_ssl_context()
        self._client = make_client(self.config, pooled=True, ssl_context=context)
        self._fresh = make_client(self.config, pooled=False, ssl_context=context)
        try:
            yield
        finally:
            await self._client.aclose()
            await self._fresh.aclose()

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            raise RuntimeError("the proxy's lifespan has not started")
        return self._client

    # -- ASGI -----------------------------------------------------------------------------------
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        exchange = Exchange(scope["method"], scope["path"], time.perf_counter())
        try:
            await self.handle(scope, receive, send, exchange)
        finally:
            done = time.perf_counter()
            ttfb = f"{(exchange.ttfb - exchange.start) * 1000:.1f}" if exchange.ttfb else "-"
            log.info(
                "%s %s %s ttfb %s ms total %.1f ms%s",
                exchange.method,
                exchange.path,
                exchange.status or "-",
                ttfb,
                (done - exchange.start) * 1000,
                exchange.note,
            )

    async def handle(self, scope: Scope, receive: Receive, send: Send, ex: Exchange) -> None:
        host = None
        credentials = []
        for name, value in scope["headers"]:
            if name == b"host":
                host = value
            elif name in CREDENTIALS:
                credentials.append(value)
        if not host_allowed(host, self.hosts):
            # DNS rebinding: a web page's request carries the page's own host name.
            await reply(send, ex, 403, "permission_error", "Host does not name this proxy")
            return
        raw_path = scope.get("raw_path") or scope["path"].encode("utf-8")
        route = match(scope["method"], raw_path)
        if route is None:
            await reply(
                send,
                ex,
                404,
                "not_found_error",
                NOT_FORWARDED,
            )
            return
        if not credentials and route.path == "/":
            # Claude Code's start-up HEAD / carries no credential (docs/client-facts.md): answer
            # it here rather than forwarding an unauthenticated request.
            await reply_empty(send, ex)
            return
        if not token_matches(credentials, self.token):
            await reply(
                send, ex, 401, "authentication_error", "missing or wrong ccwrap session token"
            )
            return
        body = await read_body(receive) if route.forwards_body else b""
        if self.models and route.forwards_body:
            body = self.models.rewrite_request(body)
        headers = request_headers(scope["headers"], self.plan, self.replaced)
        if self.models and route is MODELS_ROUTE:
            # The listing is rewritten, so ask for it unencoded.
            headers = [(n, v) for n, v in headers if n != b"accept-encoding"]
            headers.append((b"accept-encoding", b"identity"))
        url = self.url(route, scope["query_string"])
        outbound = Outbound(route, url, headers, body)
        await self.until_disconnect(receive, self.exchange(outbound, send, ex), ex)

    def url(self, route: Route, query: bytes) -> httpx.URL:
        """The upstream URL, parsed once per (route, query): clients repeat the same few."""
        key = (route.path, query)
        url = self._urls.get(key)
        if url is None:
            url = httpx.URL(self.origin + upstream_target(self.prefix, route, query))
            if len(self._urls) < URL_CACHE_SIZE:
                self._urls[key] = url
        return url

    async def until_disconnect(self, receive: Receive, work: Awaitable[None], ex: Exchange) -> None:
        """Run ``work``; if the client goes away first, cancel it (and the upstream request)."""
        task = asyncio.ensure_future(work)
        watcher = asyncio.ensure_future(wait_disconnect(receive))
        try:
            await asyncio.wait((task, watcher), return_when=asyncio.FIRST_COMPLETED)
        finally:
            watcher.cancel()
            if not task.done():
                ex.note = " (client went away)"
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        task.result()

    async def exchange(self, outbound: Outbound, send: Send, ex: Exchange) -> None:
        route = outbound.route
        try:
            response = await self.open(route.method, outbound.url, outbound.headers, outbound.body)
        except httpx.HTTPError as exc:
            status, payload = upstream_error(exc, self.upstream_name, self.config.connect_timeout)
            ex.note = f" ({type(exc).__name__})"
            await send_body(send, ex, status, JSON, payload)
            return
        ex.ttfb = time.perf_counter()
        ex.status = response.status_code
        try:
            await self.relay(route, response, send, ex)
        finally:
            await response.aclose()

    async def open(
        self, method: str, url: httpx.URL, headers: list[tuple[bytes, bytes]], body: bytes
    ) -> httpx.Response:
        """Send upstream; retry once on a fresh connection when a reused one was dead.

        A pooled connection the upstream closed on its keep-alive timer can die just as it is
        reused, before any byte of answer: the upstream never saw the request, so it is safe to
        send again (httpx does not; it caused 502s under load in issue 5's measurements).
        """
        opened: list[str] = []
        extensions: dict[str, Any] = {}
        if not self.counts_connections:  # httpx's transport: learn it from httpcore's trace

            async def trace(event: str, info: object) -> None:
                if event == "connection.connect_tcp.started":
                    opened.append(event)

            extensions["trace"] = trace
        request = httpx.Request(method, url, headers=headers, content=body, extensions=extensions)
        reset = OPENED.set(opened)
        try:
            return await send_upstream(self.client, request)
        except STALE_CONNECTION_ERRORS:
            if opened or self._fresh is None:
                raise
            log.info("%s %s: reused upstream connection was closed; retrying", method, url)
            retry = httpx.Request(method, url, headers=headers, content=body)
            return await send_upstream(self._fresh, retry)
        finally:
            OPENED.reset(reset)

    async def relay(self, route: Route, response: httpx.Response, send: Send, ex: Exchange) -> None:
        headers = response_headers(response.headers.raw)
        length, sse, encoded = describe(headers)
        listing = self.models and route is MODELS_ROUTE and response.status_code == 200
        if listing or (not sse and length is not None and length <= SMALL_BODY):
            # Small: read whole, answered as one plain response (or a 502 if the read fails).
            try:
                payload = await read_raw(response)
            except STREAM_ERRORS as exc:
                status, error = upstream_error(exc, self.upstream_name, self.config.connect_timeout)
                ex.note = f" ({type(exc).__name__})"
                await send_body(send, ex, status, JSON, error)
                return
            if listing:
                kept = [(n, v) for n, v in headers if n != b"content-length"]
                await send_body(send, ex, 200, kept, self.models.rewrite_models(payload))
            else:
                await send_body(send, ex, response.status_code, headers, payload, sized=True)
            return
        await send(
            {"type": "http.response.start", "status": response.status_code, "headers": headers}
        )
        try:
            await relay_batched(response, send)
        except STREAM_ERRORS as exc:
            ex.note = f" (stream cut: {type(exc).__name__})"
            if not (sse and not encoded and length is None):
                return  # uvicorn closes the connection: the client sees a cut, not an end
            # An SSE "error" event, as the Messages API sends mid-stream, then a clean end.
            _, payload = upstream_error(exc, self.upstream_name, self.config.connect_timeout)
            chunk = b"event: error\ndata: " + payload + b"\n\n"
            await send({"type": "http.response.body", "body": chunk, "more_body": False})
            return
        await send({"type": "http.response.body", "body": b"", "more_body": False})


JSON = [(b"content-type", b"application/json")]
NOT_FORWARDED = (
    "only HEAD /, POST /v1/messages, POST /v1/messages/count_tokens and GET /v1/models"
    " are forwarded"
)


def describe(headers: list[tuple[bytes, bytes]]) -> tuple[int | None, bool, bool]:
    """(content-length, is SSE, has content-encoding) of a response."""
    length = None
    sse = encoded = False
    for name, value in headers:
        if name == b"content-length" and value.isdigit():
            length = int(value)
        elif name == b"content-type":
            sse = value.startswith(b"text/event-stream")
        elif name == b"content-encoding":
            encoded = value.strip().lower() != b"identity"
    return length, sse, encoded


async def relay_batched(response: httpx.Response, send: Send) -> None:
    """Relay raw chunks, everything already received in one write.

    One upstream read often holds many SSE events, which h11 hands over one by one; sending each
    costs a write and a trip through the server (issue 5: batching halves streaming CPU). Chunks
    are collected and flushed when the upstream connection has nothing more to give at once (the
    network stream's ``before_wait``), or when FLUSH_SIZE is reached.
    """
    stream = response.extensions.get("network_stream")
    if not isinstance(stream, AsyncioStream):  # aiohttp hands over all it has in one piece
        async for chunk in raw_chunks(response):
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        return
    pending: list[bytes] = []
    size = 0

    async def flush() -> None:
        nonlocal size
        if pending:
            body = pending[0] if len(pending) == 1 else b"".join(pending)
            pending.clear()
            size = 0
            await send({"type": "http.response.body", "body": body, "more_body": True})

    stream.before_wait = flush
    try:
        async for chunk in raw_chunks(response):
            pending.append(chunk)
            size += len(chunk)
            if size >= FLUSH_SIZE:
                await flush()
    except STREAM_ERRORS:
        await flush()  # what arrived before a cut still reaches the client
        raise
    finally:
        stream.before_wait = None
    await flush()


async def read_raw(response: httpx.Response) -> bytes:
    return b"".join([chunk async for chunk in raw_chunks(response)])


async def read_body(receive: Receive) -> bytes:
    message = await receive()
    body: bytes = message.get("body", b"")
    if not message.get("more_body"):
        return body
    parts = [body]
    while message.get("more_body"):
        message = await receive()
        if message["type"] == "http.disconnect":
            raise asyncio.CancelledError  # nothing to answer
        parts.append(message.get("body", b""))
    return b"".join(parts)


async def wait_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def send_body(
    send: Send,
    ex: Exchange,
    status: int,
    headers: list[tuple[bytes, bytes]],
    payload: bytes,
    *,
    sized: bool = False,
) -> None:
    ex.status = status
    if not sized:
        headers = [*headers, (b"content-length", str(len(payload)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


async def reply(send: Send, ex: Exchange, status: int, kind: str, message: str) -> None:
    await send_body(send, ex, status, JSON, error_body(kind, f"ccwrap proxy: {message}"))


async def reply_empty(send: Send, ex: Exchange) -> None:
    await send_body(send, ex, 200, [], b"")


class ProxyApp(Starlette):
    """Starlette for the lifespan; HTTP goes straight to the forwarder, which decides everything
    (routing, errors), so no router or middleware layer sits on the hot path."""

    def __init__(self, forwarder: Forwarder) -> None:
        super().__init__(lifespan=forwarder.lifespan)
        self.forwarder = forwarder

    def build_middleware_stack(self) -> Any:
        router = self.router
        forwarder = self.forwarder

        async def dispatch(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http":
                await forwarder(scope, receive, send)
            else:  # lifespan; websockets are refused by the router (no route)
                await router(scope, receive, send)

        return dispatch


def create_app(config: ProxyConfig, port: int) -> Starlette:
    """The proxy for one session."""
    return ProxyApp(Forwarder(config, port))
