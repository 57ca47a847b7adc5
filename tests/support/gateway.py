"""A loopback Anthropic-compatible test gateway: Starlette on a real uvicorn socket, in a thread.

It records every request (method, path, query, headers, body) and answers like a small Anthropic
Messages API. Tests change its behaviour through ``gateway.mode`` (a named failure, see ``MODES``)
or ``gateway.handler`` (any async callable). Tiers 3–5 (doctor, proxy, run with the real claude)
all talk to this one server. Only 127.0.0.1 is ever bound.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

Handler = Callable[[Request, "RecordedRequest"], Awaitable[Response | None]]
ANSWER = "pong"
MODELS = ["claude-sonnet-4-5", "claude-opus-4-1", "claude-haiku-4-5"]


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    received_at: float

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    @property
    def target(self) -> str:
        return f"{self.path}?{self.query}" if self.query else self.path


@dataclass
class TestGateway:
    """Construct, then ``start()`` (or use as a context manager)."""

    __test__ = False  # not a pytest class

    # The key the gateway accepts; None accepts any request.
    key: str | None = None
    # Which header must carry the key: "bearer", "x-api-key" or "either".
    auth: str = "either"
    mode: str = "ok"
    handler: Handler | None = None
    requests: list[RecordedRequest] = field(default_factory=list)
    answer: str = ANSWER
    models: list[str] = field(default_factory=lambda: list(MODELS))
    host: str = "127.0.0.1"
    port: int = 0
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def messages(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.endswith("/v1/messages") and r.method == "POST"]

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> TestGateway:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.app(), log_level="warning", lifespan="off", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("test gateway did not start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> TestGateway:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the app --------------------------------------------------------------------------------
    def app(self) -> Starlette:
        async def endpoint(request: Request) -> Response:
            recorded = RecordedRequest(
                method=request.method,
                path=request.url.path,
                query=request.url.query,
                headers={k.lower(): v for k, v in request.headers.items()},
                body=await request.body(),
                received_at=time.monotonic(),
            )
            self.requests.append(recorded)
            if self.handler is not None:
                response = await self.handler(request, recorded)
                if response is not None:
                    return response
            return await self.respond(recorded)

        methods = ["GET", "POST", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS"]
        return Starlette(routes=[Route("/{path:path}", endpoint, methods=methods)])

    def authorized(self, recorded: RecordedRequest) -> bool:
        if self.key is None:
            return True
        bearer = recorded.headers.get("authorization") == f"Bearer {self.key}"
        api_key = recorded.headers.get("x-api-key") == self.key
        return {"bearer": bearer, "x-api-key": api_key}.get(self.auth, bearer or api_key)

    async def respond(self, recorded: RecordedRequest) -> Response:
        mode_handler = MODES.get(self.mode)
        if mode_handler is not None:
            response = mode_handler(self, recorded)
            if response is not None:
                return response
        path, method = recorded.path, recorded.method
        if method == "HEAD" and path in ("", "/"):
            return Response(status_code=200)
        if not self.authorized(recorded) and path.startswith("/v1/"):
            return anthropic_error(401, "authentication_error", "invalid x-api-key")
        if method == "GET" and path == "/v1/models":
            return JSONResponse(models_page(self.models))
        if method == "POST" and path == "/v1/messages/count_tokens":
            return JSONResponse({"input_tokens": 12})
        if method == "POST" and path == "/v1/messages":
            return message_response(recorded, self.answer)
        return PlainTextResponse("404 page not found", status_code=404)


def anthropic_error(status: int, kind: str, message: str) -> JSONResponse:
    return JSONResponse(
        {"type": "error", "error": {"type": kind, "message": message}}, status_code=status
    )


def models_page(ids: list[str]) -> dict[str, Any]:
    data = [
        {
            "type": "model",
            "id": model_id,
            "display_name": model_id,
            "created_at": "2025-01-01T00:00:00Z",
        }
        for model_id in ids
    ]
    return {
        "data": data,
        "has_more": False,
        "first_id": ids[0] if ids else None,
        "last_id": ids[-1] if ids else None,
    }


def message_response(recorded: RecordedRequest, answer: str) -> Response:
    try:
        body = recorded.json or {}
    except json.JSONDecodeError:
        return anthropic_error(400, "invalid_request_error", "body is not valid JSON")
    if not isinstance(body, dict) or "messages" not in body or "model" not in body:
        return anthropic_error(400, "invalid_request_error", "messages: field required")
    model = str(body["model"])
    if body.get("stream"):
        return StreamingResponse(sse_events(model, answer), media_type="text/event-stream")
    return JSONResponse(message_object(model, answer))


def message_object(model: str, answer: str) -> dict[str, Any]:
    return {
        "id": "msg_test_0001",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": answer}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 12, "output_tokens": 1},
    }


def sse(event: str, data: dict[str, Any]) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()


async def sse_events(model: str, answer: str, *, gap: float = 0.0) -> AsyncIterator[bytes]:
    start = message_object(model, "")
    start["content"] = []
    start["stop_reason"] = None
    start["usage"] = {"input_tokens": 12, "output_tokens": 0}
    events = [
        sse("message_start", {"type": "message_start", "message": start}),
        sse(
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
        ),
        sse(
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "text_delta", "text": answer},
            },
        ),
        sse("content_block_stop", {"type": "content_block_stop", "index": 0}),
        sse(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": 1},
            },
        ),
        sse("message_stop", {"type": "message_stop"}),
    ]
    for chunk in events:
        yield chunk
        if gap:
            await asyncio.sleep(gap)


# Named behaviours: a function of (gateway, request) returning a response, or None to fall
# through to the healthy answer. Later tiers add entries here (one per doctor finding, …).
ModeHandler = Callable[[TestGateway, RecordedRequest], Response | None]


def _unauthorized(gateway: TestGateway, recorded: RecordedRequest) -> Response | None:
    if recorded.path.startswith("/v1/"):
        return anthropic_error(401, "authentication_error", "invalid api key")
    return None


def _server_error(gateway: TestGateway, recorded: RecordedRequest) -> Response | None:
    if recorded.path.startswith("/v1/"):
        return anthropic_error(500, "api_error", "upstream exploded")
    return None


MODES: dict[str, ModeHandler] = {
    "401": _unauthorized,
    "500": _server_error,
}
