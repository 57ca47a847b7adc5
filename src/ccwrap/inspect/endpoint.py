"""The capture endpoint: a stand-in gateway on 127.0.0.1 that records every request and answers
like a gateway would, so claude finishes a ``-p`` turn without any real gateway being contacted.

It answers ``POST /v1/messages`` with a minimal valid reply (server-sent events when the request
asks to stream, else one JSON message), ``GET /v1/models`` with a models list (discovery),
``POST /v1/messages/count_tokens`` with a count, ``HEAD /`` with 200, and anything else with an
Anthropic-shaped 404. Standard library only (``http.server``): nothing heavy to import.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

LOOPBACK = "127.0.0.1"
ANSWER = "ok"
# A body larger than this is counted, not kept (claude's own requests are a few hundred kB).
MAX_KEPT_BODY = 16 * 1024 * 1024
# Requests kept at most (a -p turn makes a handful).
MAX_REQUESTS = 200
READ_CHUNK = 64 * 1024


@dataclass
class Captured:
    """One request as it arrived: header names keep their case, in the order they came."""

    method: str
    path: str
    query: str
    headers: list[tuple[str, str]]
    body: bytes
    body_bytes: int  # the whole body's size, even when more than MAX_KEPT_BODY arrived

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), None)


@dataclass
class CaptureEndpoint:
    """Construct, then ``start()`` (or use as a context manager); ``url`` is where it listens."""

    models: Sequence[str] = ()
    requests: list[Captured] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the capture endpoint is not started")
        return f"http://{LOOPBACK}:{self._server.server_address[1]}"

    def start(self) -> CaptureEndpoint:
        endpoint = self

        class Handler(_Handler):
            owner = endpoint

        self._server = ThreadingHTTPServer((LOOPBACK, 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> CaptureEndpoint:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def record(self, captured: Captured) -> None:
        with self._lock:
            if len(self.requests) < MAX_REQUESTS:
                self.requests.append(captured)


class _Handler(BaseHTTPRequestHandler):
    owner: CaptureEndpoint
    protocol_version = "HTTP/1.1"  # keep-alive, as a gateway would
    server_version = "ccwrap-inspect"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        return None  # quiet: the report says what arrived

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_HEAD(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def do_OPTIONS(self) -> None:
        self._handle()

    def _handle(self) -> None:
        parts = urlsplit(self.path)
        body, size = self._read_body()
        captured = Captured(
            method=self.command,
            path=parts.path,
            query=parts.query,
            headers=list(self.headers.items()),
            body=body,
            body_bytes=size,
        )
        self.owner.record(captured)
        self._answer(captured)

    def _read_body(self) -> tuple[bytes, int]:
        kept = bytearray()
        size = 0
        if "chunked" in (self.headers.get("transfer-encoding") or "").lower():
            while True:
                line = self.rfile.readline(1024)
                try:
                    length = int(line.split(b";", 1)[0].strip() or b"0", 16)
                except ValueError:
                    self.close_connection = True
                    break
                if length == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    break
                size += self._read_exactly(length, kept)
                self.rfile.readline(16)
            return bytes(kept), size
        try:
            length = max(0, int(self.headers.get("content-length") or 0))
        except ValueError:
            length = 0
        size = self._read_exactly(length, kept)
        return bytes(kept), size

    def _read_exactly(self, length: int, kept: bytearray) -> int:
        done = 0
        while done < length:
            chunk = self.rfile.read(min(READ_CHUNK, length - done))
            if not chunk:
                self.close_connection = True
                break
            done += len(chunk)
            if len(kept) + len(chunk) <= MAX_KEPT_BODY:
                kept += chunk
        return done

    def _answer(self, captured: Captured) -> None:
        path, method = captured.path.rstrip("/") or "/", captured.method
        if method == "HEAD":
            self._send(200, b"", "text/plain", head=True)
        elif method == "GET" and path.endswith("/v1/models"):
            self._json(200, models_page(list(self.owner.models)))
        elif method == "POST" and path.endswith("/v1/messages/count_tokens"):
            self._json(200, {"input_tokens": 1})
        elif method == "POST" and path.endswith("/v1/messages"):
            self._message(captured)
        else:
            self._json(404, error_body("not_found_error", f"no route {path}"))

    def _message(self, captured: Captured) -> None:
        try:
            body = json.loads(captured.body) if captured.body else {}
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        model = str(body.get("model") or "unknown")
        if body.get("stream"):
            self._send(200, sse_reply(model), "text/event-stream")
        else:
            self._json(200, message_object(model, ANSWER))

    def _json(self, status: int, data: dict[str, Any]) -> None:
        self._send(status, json.dumps(data).encode(), "application/json")

    def _send(self, status: int, payload: bytes, kind: str, *, head: bool = False) -> None:
        self.send_response(status)
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(payload)))
        self.send_header("request-id", "req_ccwrap_inspect")
        self.end_headers()
        if not head:
            self.wfile.write(payload)


def error_body(kind: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": kind, "message": message}}


def models_page(ids: list[str]) -> dict[str, Any]:
    data = [
        {"type": "model", "id": i, "display_name": i, "created_at": "2025-01-01T00:00:00Z"}
        for i in ids
    ]
    return {
        "data": data,
        "has_more": False,
        "first_id": ids[0] if ids else None,
        "last_id": ids[-1] if ids else None,
    }


def message_object(model: str, text: str) -> dict[str, Any]:
    return {
        "id": "msg_ccwrap_inspect",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": text}] if text else [],
        "stop_reason": "end_turn" if text else None,
        "stop_sequence": None,
        "usage": {"input_tokens": 1, "output_tokens": 1 if text else 0},
    }


def sse_reply(model: str) -> bytes:
    """The smallest valid streamed answer: one text block saying ``ANSWER``."""
    start = message_object(model, "")
    events: list[tuple[str, dict[str, Any]]] = [
        ("message_start", {"type": "message_start", "message": start}),
        (
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
        ),
        (
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "text_delta", "text": ANSWER},
            },
        ),
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": 1},
            },
        ),
        ("message_stop", {"type": "message_stop"}),
    ]
    return b"".join(f"event: {e}\ndata: {json.dumps(d)}\n\n".encode() for e, d in events)
