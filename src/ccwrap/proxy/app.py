"""The forwarder and the ASGI app around it (a plain ASGI class: HTTP and its lifespan).

One request: check ``Host``, the route and the session token (policy.py), read the body, rewrite
headers (headers.py), let the hooks prepare it (hooks.py; the model map is one), send it upstream
on the session's transport (upstream/), then relay the answer. Small bodies go back as one plain
response; anything else (SSE, large or unknown length) is streamed as raw bytes
(``content-encoding`` kept), with no read timeout, all that arrived in one read relayed in one
write. A task watches for the client going away and cancels the upstream exchange at once.
Upstream errors are mapped once, by the transport's ``errors()`` around ``send`` and ``relay``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import time
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ccwrap.net.proxies import proxy_for, without_credentials
from ccwrap.net.tls import trust_store
from ccwrap.proxy.config import ProxyConfig
from ccwrap.proxy.failures import error_body, failed, upstream_error
from ccwrap.proxy.headers import CREDENTIALS, HeaderPlan, request_headers, response_headers
from ccwrap.proxy.hooks import Headers, Hook, Outbound, Summary, Watch, Watches
from ccwrap.proxy.model_map import ModelMap, ModelMapHook
from ccwrap.proxy.policy import (
    Route,
    allowed_hosts,
    host_allowed,
    match,
    token_matches,
    upstream_base,
    upstream_target,
)
from ccwrap.proxy.upstream import make_transport
from ccwrap.proxy.upstream.base import (
    StaleConnection,
    TooLarge,
    Transport,
    UpstreamError,
    UpstreamRequest,
    UpstreamResponse,
)
from ccwrap.text import escape_control

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

log = logging.getLogger("ccwrap.proxy")

# Non-streamed answers up to this size are read whole and sent as one plain response.
SMALL_BODY = 256 * 1024
# Longer request targets (path + query) are refused with 414 on every server (Claude Code's are
# a few dozen bytes); server.py lets h11 read heads up to server.MAX_HEAD so the app decides.
MAX_TARGET = 16 * 1024
TARGET_CACHE_SIZE = 64


@dataclass
class Exchange:
    """What the log line (and the hooks' summary) says about one request."""

    method: str
    path: str
    start: float
    status: int = 0
    ttfb: float | None = None
    note: str = ""
    cut: bool = False
    watches: Watches = field(default_factory=Watches)


class Forwarder:
    def __init__(self, config: ProxyConfig, port: int, hooks: Sequence[Hook] = ()) -> None:
        self.config = config
        self.origin, self.prefix = upstream_base(config.upstream)
        self.forward_proxy = proxy_for(config.upstream, config.environ)
        # Named in error messages; a proxy URL's user:password is left out.
        self.upstream_name = self.origin + (
            f" (through {without_credentials(self.forward_proxy)})" if self.forward_proxy else ""
        )
        self.host_header = (b"host", host_header(self.origin))
        self.hosts = allowed_hosts(port)
        self.token = config.token.encode("latin-1")
        self.plan = HeaderPlan.build(
            auth=config.auth,
            key=config.key,
            headers=config.headers,
            secret_headers=config.secret_headers,
        )
        self.replaced = self.plan.replaced
        models = ModelMap.from_rules(config.model_map)
        self.hooks: list[Hook] = [*([ModelMapHook(models)] if models else []), *hooks]
        self._transport: Transport | None = None
        self._targets: dict[tuple[str, bytes], str] = {}

    # -- lifespan -------------------------------------------------------------------------------
    async def start(self) -> None:
        https = self.origin.startswith("https:")
        # Loading the trust store costs ~40 ms; a plain-http upstream never uses it.
        context = trust_store(self.config.environ) if https else ssl.create_default_context()
        self._transport = make_transport(
            self.config.transport,
            ssl_context=context,
            connect_timeout=self.config.connect_timeout,
            forward_proxy=self.forward_proxy,
        )

    async def stop(self) -> None:
        if self._transport is not None:
            await self._transport.aclose()

    @property
    def transport(self) -> Transport:
        if self._transport is None:
            raise RuntimeError("the proxy's lifespan has not started")
        return self._transport

    # -- one request ----------------------------------------------------------------------------
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw_path = origin_form(scope.get("raw_path") or scope["path"].encode("utf-8"))
        exchange = Exchange(scope["method"], printable(raw_path), time.perf_counter())
        try:
            await self.handle(scope, receive, send, exchange, raw_path)
        finally:
            done = time.perf_counter()
            if exchange.watches.items:
                exchange.watches.done(
                    Summary(
                        exchange.status,
                        exchange.start,
                        exchange.ttfb,
                        done,
                        cut=exchange.cut,
                        note=exchange.note.strip(" ()"),
                    )
                )
            ttfb = f"{(exchange.ttfb - exchange.start) * 1000:.1f}" if exchange.ttfb else "-"
            log.info(
                "%s %s %s ttfb %s ms total %.1f ms%s",
                printable(exchange.method),
                exchange.path,
                exchange.status or "-",
                ttfb,
                (done - exchange.start) * 1000,
                exchange.note,
            )

    async def handle(
        self, scope: Scope, receive: Receive, send: Send, ex: Exchange, raw_path: bytes
    ) -> None:
        hosts: list[bytes] = []
        credentials = []
        for name, value in scope["headers"]:
            if name == b"host":
                hosts.append(value)
            elif name in CREDENTIALS:
                credentials.append(value)
        if len(hosts) > 1:  # h11 refuses these itself; httptools would let the last one win
            await reply(send, ex, 400, "invalid_request_error", "more than one Host header")
            return
        if len(raw_path) + len(scope["query_string"]) > MAX_TARGET:
            await reply(send, ex, 414, "invalid_request_error", "request target too long")
            return
        if not host_allowed(hosts[0] if hosts else None, self.hosts):
            # DNS rebinding: a web page's request carries the page's own host name.
            await reply(send, ex, 403, "permission_error", "Host does not name this proxy")
            return
        route = match(scope["method"], raw_path)
        if route is None:
            await reply(send, ex, 404, "not_found_error", NOT_FORWARDED)
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
        outbound = Outbound(
            method=route.method,
            path=route.path,
            target=self.target(route, scope["query_string"]),
            headers=request_headers(scope["headers"], self.plan, self.replaced),
            body=body,
            profile=self.config.profile,
        )
        for hook in self.hooks:
            outbound = hook.prepare(outbound)
        await self.until_disconnect(receive, self.exchange(route, outbound, send, ex), ex)

    def target(self, route: Route, query: bytes) -> str:
        """The upstream path and query, built once per (route, query): clients repeat a few."""
        key = (route.path, query)
        target = self._targets.get(key)
        if target is None:
            target = upstream_target(self.prefix, route, query)
            if len(self._targets) < TARGET_CACHE_SIZE:
                self._targets[key] = target
        return target

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
                ex.cut = True
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if not task.cancelled():
            task.result()

    def upstream_request(self, outbound: Outbound, route: Route) -> UpstreamRequest:
        headers = [*outbound.headers, self.host_header]
        if route.forwards_body:
            headers.append((b"content-length", str(len(outbound.body)).encode()))
        return UpstreamRequest(
            outbound.method, self.origin, outbound.target, headers, outbound.body
        )

    async def exchange(self, route: Route, outbound: Outbound, send: Send, ex: Exchange) -> None:
        transport = self.transport
        request = self.upstream_request(outbound, route)
        try:
            with transport.errors():
                response = await self.open(transport, request)
        except UpstreamError as exc:
            await self.fail(send, ex, exc)
            # The hooks see an exchange the upstream never answered too: the proxy's own status,
            # no headers, and a summary without a first byte (the usage ledger records it).
            ex.watches.items = self.watch(outbound, ex.status, [])
            return
        ex.ttfb = time.perf_counter()
        ex.status = response.status
        ex.watches.items = self.watch(outbound, response.status, response.headers)
        try:
            await self.relay(transport, response, send, ex)
        finally:
            with contextlib.suppress(UpstreamError), transport.errors():
                await response.aclose()

    def watch(self, outbound: Outbound, status: int, headers: Headers) -> list[Watch]:
        return [
            watch
            for hook in self.hooks
            if (watch := hook.watch(outbound, status, headers)) is not None
        ]

    async def open(self, transport: Transport, request: UpstreamRequest) -> UpstreamResponse:
        """Send upstream; resend once on a fresh connection when a reused one was dead.

        A pooled connection the upstream closed on its keep-alive timer can die just as it is
        reused, before any byte of answer: the upstream never saw the request, so it is safe to
        send again (it caused 502s under load in issue 5's measurements).
        """
        try:
            return await transport.send(request)
        except StaleConnection:
            log.info(
                "%s %s: reused upstream connection was closed; retrying", *request_words(request)
            )
            return await transport.send(request, fresh=True)

    async def fail(self, send: Send, ex: Exchange, exc: UpstreamError) -> None:
        status, payload = upstream_error(exc, self.upstream_name, self.config.connect_timeout)
        ex.note = f" ({type(exc.__cause__ or exc).__name__})"
        await send_body(send, ex, status, JSON, payload)

    async def relay(
        self, transport: Transport, response: UpstreamResponse, send: Send, ex: Exchange
    ) -> None:
        headers = response_headers(response.headers)
        length, sse, encoded = describe(headers)
        watches = ex.watches
        whole = watches.whole
        if whole is not None or (not sse and length is not None and length <= SMALL_BODY):
            # Small (or wanted whole by a hook): read whole, answered as one plain response.
            limit = whole if whole is not None else SMALL_BODY
            try:
                deadline = self.config.whole_deadline
                payload = await asyncio.wait_for(read_whole(transport, response, limit), deadline)
            except asyncio.TimeoutError:
                ex.cut = True
                ex.note = " (answer did not finish)"
                why = f"the answer did not finish within {self.config.whole_deadline:g} s"
                await send_body(send, ex, 504, JSON, failed(self.upstream_name, why))
                return
            except TooLarge as exc:
                ex.cut = True
                ex.note = " (answer too large)"
                await send_body(send, ex, 502, JSON, failed(self.upstream_name, str(exc)))
                return
            except UpstreamError as exc:
                ex.cut = True
                await self.fail(send, ex, exc)
                return
            if whole is not None:
                payload = watches.transform(payload)
                kept = [(n, v) for n, v in headers if n != b"content-length"]
                await send_body(send, ex, response.status, kept, payload)
            else:
                await send_body(send, ex, response.status, headers, payload, sized=True)
            watches.chunk(payload)
            return
        await send({"type": "http.response.start", "status": response.status, "headers": headers})

        async def write(chunk: bytes) -> None:
            watches.chunk(chunk)
            await send({"type": "http.response.body", "body": chunk, "more_body": True})

        try:
            with transport.errors():
                await response.relay(write)
        except UpstreamError as exc:
            ex.cut = True
            ex.note = f" (stream cut: {type(exc.__cause__ or exc).__name__})"
            if not (sse and not encoded and length is None):
                return  # the server closes the connection: the client sees a cut, not an end
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


async def read_whole(transport: Transport, response: UpstreamResponse, limit: int) -> bytes:
    with transport.errors():
        return await response.read(limit)


def origin_form(raw_path: bytes) -> bytes:
    """The path of an absolute-form target (``POST http://host/v1/messages``), as a server must
    take it (RFC 9112 §3.2.2) and as httptools hands it over anyway; h11 hands over the whole
    URL. The upstream is still only the profile's, and the ``Host`` check still applies."""
    if raw_path[:7].lower() == b"http://" or raw_path[:8].lower() == b"https://":
        parts = raw_path.split(b"/", 3)
        return b"/" + parts[3] if len(parts) > 3 else b"/"
    return raw_path


def printable(text: str | bytes) -> str:
    """Foreign text for the log: bytes decoded (undecodable ones as ``\\xNN``), controls escaped."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "backslashreplace")
    return escape_control(text)


def host_header(origin: str) -> bytes:
    """The ``Host`` the upstream gets: its name (IDNA) and port, as in the base URL."""
    parts = urlsplit(origin)
    name = parts.hostname or ""
    host = f"[{name}]" if ":" in name else name.encode("idna").decode("ascii")
    return (host + (f":{parts.port}" if parts.port is not None else "")).encode("ascii")


def request_words(request: UpstreamRequest) -> tuple[str, str]:
    return request.method, printable(request.url)


def describe(headers: Headers) -> tuple[int | None, bool, bool]:
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
    send: Send, ex: Exchange, status: int, headers: Headers, payload: bytes, *, sized: bool = False
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


class ProxyApp:
    """The ASGI application: HTTP goes to the forwarder, which decides everything (routing,
    errors); the lifespan starts and stops its transport; websockets are refused."""

    def __init__(self, forwarder: Forwarder) -> None:
        self.forwarder = forwarder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self.forwarder(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self.lifespan(receive, send)
        elif scope["type"] == "websocket":
            await receive()  # websocket.connect
            await send({"type": "websocket.close", "code": 1008})

    async def lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.forwarder.start()
                except Exception as exc:  # reported by the server, which then does not start
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.forwarder.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return


def create_app(config: ProxyConfig, port: int, hooks: Sequence[Hook] = ()) -> ProxyApp:
    """The proxy for one session; ``hooks`` run after the model map's, in order."""
    return ProxyApp(Forwarder(config, port, hooks))
