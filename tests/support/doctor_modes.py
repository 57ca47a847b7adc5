"""Test-gateway modes for doctor: one misbehaviour per finding, registered into
``tests.support.gateway.MODES`` on import, plus a TLS gateway and two unreachable endpoints."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import uvicorn
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse

from tests.support.gateway import (
    MODES,
    ModeHandler,
    RecordedRequest,
    TestGateway,
    anthropic_error,
    message_response,
    models_page,
    sse,
    sse_events,
)


def _messages(recorded: RecordedRequest) -> bool:
    return recorded.method == "POST" and recorded.path == "/v1/messages"


def _real_message(recorded: RecordedRequest) -> bool:
    """A message that would spend tokens (doctor's free probe sends none: no "messages")."""
    try:
        body = recorded.json
    except json.JSONDecodeError:
        return False
    return _messages(recorded) and isinstance(body, dict) and "messages" in body


def new_api_error(status: int, message: str, code: str | None = None) -> JSONResponse:
    error = {"message": message, "type": "new_api_error", "param": "", "code": code}
    return JSONResponse({"error": error}, status_code=status)


def _healthy_under(prefix: str) -> ModeHandler:
    """Serve the API only under ``prefix`` (e.g. /anthropic); elsewhere Go's bare 404."""

    def handler(gateway: TestGateway, recorded: RecordedRequest) -> Response | None:
        if recorded.method == "HEAD":
            return None
        if not recorded.path.startswith(prefix + "/"):
            return PlainTextResponse("404 page not found", status_code=404)
        inner = replace(recorded, path=recorded.path[len(prefix) :])
        if inner.method == "GET" and inner.path == "/v1/models":
            return JSONResponse(models_page(gateway.models))
        if _messages(inner):
            return message_response(inner, gateway.answer)
        return PlainTextResponse("404 page not found", status_code=404)

    return handler


def _openai(gateway: TestGateway, recorded: RecordedRequest) -> Response | None:
    if recorded.path.startswith("/v1/") and recorded.path != "/v1/models":
        message = f"Invalid URL ({recorded.method} {recorded.path})"
        error = {"message": message, "type": "invalid_request_error", "param": None, "code": None}
        return JSONResponse({"error": error}, status_code=404)
    return None


def _html(gateway: TestGateway, recorded: RecordedRequest) -> Response | None:
    if recorded.path.startswith("/v1/"):
        page = (
            "<!DOCTYPE html><html><head><title>Attention Required! | Cloudflare</title></head>"
            "<body>Sorry, you have been blocked</body></html>"
        )
        return Response(page, status_code=403, media_type="text/html")
    return None


def _status(status: int) -> ModeHandler:
    """Every /v1/messages answered with ``status`` (what the client shows for it: facts table)."""

    def handler(gateway: TestGateway, recorded: RecordedRequest) -> Response | None:
        return BODIES[status]() if _messages(recorded) else None

    return handler


BODIES = {
    403: lambda: anthropic_error(403, "permission_error", "this key may not use this gateway"),
    400: lambda: anthropic_error(
        400, "invalid_request_error", "context_management: Extra inputs are not permitted"
    ),
    402: lambda: JSONResponse(
        {"error": {"message": "Insufficient balance", "type": "insufficient_balance"}},
        status_code=402,
    ),
    429: lambda: anthropic_error(429, "rate_limit_error", "rate limit exceeded"),
    500: lambda: anthropic_error(500, "api_error", "upstream exploded"),
}


def _quota_403(gateway: TestGateway, recorded: RecordedRequest) -> Response | None:
    if _messages(recorded):
        return new_api_error(403, "用户额度不足, 剩余额度: $0.000000", "insufficient_user_quota")
    return None


def _no_channel(gateway: TestGateway, recorded: RecordedRequest) -> Response | None:
    if _messages(recorded):
        model = (recorded.json or {}).get("model", "?")
        return new_api_error(
            503, f"No available channel for model {model} under group default", "model_not_found"
        )
    return None


def _live_only(mode: ModeHandler) -> ModeHandler:
    """The failure only for a real message: the free probe passes, --live finds it."""

    def handler(gateway: TestGateway, recorded: RecordedRequest) -> Response | None:
        return mode(gateway, recorded) if _real_message(recorded) else None

    return handler


def _strict_betas(gateway: TestGateway, recorded: RecordedRequest) -> Response | None:
    if _messages(recorded) and recorded.headers.get("anthropic-beta"):
        return BODIES[400]()
    return None


def _moved(gateway: TestGateway, recorded: RecordedRequest) -> Response | None:
    """Everything moved under /new (as an http → https or host move would answer)."""
    if recorded.path.startswith("/new/"):
        return _healthy_under("/new")(gateway, recorded)
    if recorded.path.startswith("/v1/"):
        return Response(status_code=308, headers={"location": f"/new{recorded.path}"})
    return None


def _echo_key(gateway: TestGateway, recorded: RecordedRequest) -> Response | None:
    """A careless gateway that quotes the key it refused."""
    if _messages(recorded):
        key = recorded.headers.get("x-api-key") or recorded.headers.get("authorization", "")
        return anthropic_error(401, "authentication_error", f"invalid key {key}")
    return None


def _models_redirect(gateway: TestGateway, recorded: RecordedRequest) -> Response | None:
    if recorded.path == "/v1/models":
        return Response(status_code=307, headers={"location": "/v1/models/"})
    return None


async def _held(model: str, answer: str) -> AsyncIterator[bytes]:
    await asyncio.sleep(0.3)
    yield b"".join([chunk async for chunk in sse_events(model, answer)])


def _stream(kind: str) -> ModeHandler:
    def handler(gateway: TestGateway, recorded: RecordedRequest) -> Response | None:
        if not _real_message(recorded) or not (recorded.json or {}).get("stream"):
            return None
        model = str(recorded.json["model"])
        if kind == "buffered":  # holds the events, then sends them in one piece
            return StreamingResponse(_held(model, gateway.answer), media_type="text/event-stream")
        if kind == "error-event":  # starts the stream, then reports a failure inside it
            error = {
                "type": "error",
                "error": {"type": "overloaded_error", "message": "Overloaded"},
            }
            return Response(sse("error", error), media_type="text/event-stream")
        if kind == "json":  # ignores "stream": true
            return message_response(replace(recorded, body=b'{"model":"m","messages":[]}'), "")
        events = sse_events(model, gateway.answer, gap=0.05)
        return StreamingResponse(events, media_type="text/event-stream")

    return handler


DOCTOR_MODES: dict[str, ModeHandler] = {
    "doctor-anthropic-prefix": _healthy_under("/anthropic"),
    "doctor-nowhere": _healthy_under("/nowhere-usual"),
    "doctor-openai": _openai,
    "doctor-html": _html,
    "doctor-403": _status(403),
    "doctor-400": _status(400),
    "doctor-402": _status(402),
    "doctor-429": _status(429),
    "doctor-quota-403": _quota_403,
    "doctor-no-channel": _no_channel,
    "doctor-models-redirect": _models_redirect,
    "doctor-moved": _moved,
    "doctor-echo-key": _echo_key,
    "doctor-strict-betas": _strict_betas,
    "doctor-live-no-channel": _live_only(_no_channel),
    "doctor-live-402": _live_only(_status(402)),
    "doctor-live-429": _live_only(_status(429)),
    "doctor-live-500": _live_only(_status(500)),
    "doctor-buffered": _stream("buffered"),
    "doctor-streaming": _stream("streaming"),
    "doctor-json-stream": _stream("json"),
    "doctor-error-event": _stream("error-event"),
}
for _name, _handler in DOCTOR_MODES.items():
    MODES.setdefault(_name, _handler)


# -- TLS and unreachable endpoints ---------------------------------------------------------------
@dataclass
class TLSGateway(TestGateway):
    """The test gateway behind TLS, with a certificate from a throwaway trustme CA."""

    __test__ = False
    certfile: str = ""
    keyfile: str = ""

    @property
    def url(self) -> str:
        return f"https://{self.host}:{self.port}"

    def start(self) -> TLSGateway:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app(),
            log_level="critical",
            lifespan="off",
            access_log=False,
            ssl_certfile=self.certfile,
            ssl_keyfile=self.keyfile,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("TLS test gateway did not start")
            time.sleep(0.005)
        return self


@contextmanager
def tls_gateway(folder: Path) -> Iterator[tuple[TLSGateway, Path]]:
    """A TLS gateway and the path of its CA (trusted by nothing unless a test says so)."""
    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    certfile, keyfile, cafile = folder / "cert.pem", folder / "key.pem", folder / "ca.pem"
    cert.cert_chain_pems[0].write_to_path(str(certfile))
    cert.private_key_pem.write_to_path(str(keyfile))
    ca.cert_pem.write_to_path(str(cafile))
    server = TLSGateway(certfile=str(certfile), keyfile=str(keyfile))
    with server:
        yield server, cafile


def refused_url() -> str:
    """A loopback port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@contextmanager
def blackhole() -> Iterator[str]:
    """A listening socket that never accepts or answers: connects succeed, nothing comes back."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
