"""The ledger around the proxy's ASGI app: one usage row per forwarded request (stdlib only).

    Recording(app, writer, profile=…, target=…)   an ASGI app that records what ``app`` forwards

It sits outside the proxy's app and sees exactly what the client sees: the request's headers and
the first piece of its body (the model, which Claude Code sends first), the answer's status and
headers, and each body message as it is sent, which feeds the usage tap (``ledger.usage``) without
buffering anything. When the exchange is over, however it ended, the record goes to the writer's
queue. The proxy's own refusals (Host, route, session token) are not forwarded and not recorded;
its 502/504 for an upstream that failed are, with the error kind ``upstream_unreachable``.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from ccwrap.ledger.recorder import LedgerWriter, Observation
from ccwrap.ledger.usage import requested_model

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

RECORDED = frozenset(
    {("POST", "/v1/messages"), ("POST", "/v1/messages/count_tokens"), ("GET", "/v1/models")}
)
OWN_ANSWER = b"ccwrap proxy: "  # the proxy's own error bodies (proxy/failures.py) say so
UPSTREAM_FAILED = b"ccwrap proxy: upstream "
NO_ANSWER = "upstream_unreachable"


class Recording:
    def __init__(
        self,
        app: App,
        writer: LedgerWriter,
        *,
        profile: str,
        target: Callable[[str], str | None] = lambda model: None,
        wall: Callable[[], float] = time.time,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.app = app
        self.writer = writer
        self.profile = profile
        self.target = target  # the model map: the gateway's name for a model, or None
        self.wall = wall
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or (scope.get("method"), path.rstrip("/")) not in RECORDED:
            await self.app(scope, receive, send)
            return
        exchange = _Exchange(self, scope)
        try:
            await self.app(scope, exchange.receive(receive), exchange.send(send))
        except BaseException:
            exchange.cut = True
            raise
        finally:
            exchange.finish()


class _Exchange:
    __slots__ = ("cut", "ended", "failed", "first_body", "gone", "owner", "refusal", "seen",
                 "start", "status", "ttfb")  # fmt: skip

    def __init__(self, owner: Recording, scope: Scope) -> None:
        self.owner = owner
        self.start = owner.clock()
        self.seen = Observation.begin(
            owner.writer,
            profile=owner.profile,
            route=f"{scope['method']} {scope['path']}",
            headers=scope.get("headers", ()),
            wall=owner.wall(),
        )
        self.status: int | None = None
        self.ttfb: float | None = None
        self.first_body = True
        self.refusal = False
        self.failed = False  # the proxy answered for an upstream that failed (502/504, SSE error)
        self.ended = False
        self.cut = False
        self.gone = False

    def receive(self, receive: Receive) -> Receive:
        modelled = False

        async def wrapped() -> Message:
            nonlocal modelled
            message = await receive()
            if message["type"] == "http.disconnect":
                self.gone = True
            elif not modelled and message["type"] == "http.request":
                modelled = True
                self._models(message.get("body", b""))
            return message

        return wrapped

    def _models(self, body: bytes) -> None:
        try:
            asked = requested_model(body[:65536])
            mapped = self.owner.target(asked) if asked else None
            self.seen.models(asked, mapped or asked)
        except Exception:  # noqa: S110 -- a request we cannot read is recorded without a model
            pass

    def send(self, send: Send) -> Send:
        async def wrapped(message: Message) -> None:
            kind = message["type"]
            if kind == "http.response.start":
                self.status = int(message.get("status", 0))
                self.ttfb = (self.owner.clock() - self.start) * 1000
                headers = list(message.get("headers", ()))
                self.seen.response([(bytes(n).lower(), bytes(v)) for n, v in headers])
            elif kind == "http.response.body":
                body = message.get("body", b"")
                if self.first_body and body:
                    self.first_body = False
                    self._classify(body)
                if UPSTREAM_FAILED in body:
                    self.failed = True
                self.seen.chunk(body)
                if not message.get("more_body", False):
                    self.ended = True
            await send(message)

        return wrapped

    def _classify(self, body: bytes) -> None:
        head = body[:512]
        if OWN_ANSWER in head and UPSTREAM_FAILED not in head and (self.status or 0) < 500:
            self.refusal = True  # Host, route or token refused: nothing was forwarded

    def finish(self) -> None:
        if self.refusal:
            return
        error = None
        answered = (self.status is not None and self.status < 500) or self.seen.has_usage
        if self.status is None or (self.failed and not answered):
            error = NO_ANSWER
        elif self.failed:
            error = "stream_cut"  # the proxy ended a stream the upstream cut with an error event
        cut = self.cut or self.failed or not self.ended
        if cut and error is None:
            error = "client_gone" if self.gone else "stream_cut"
        self.seen.finish(
            status=self.status,
            ttfb_ms=self.ttfb,
            duration_ms=(self.owner.clock() - self.start) * 1000,
            cut=cut,
            error_type=error,
        )
