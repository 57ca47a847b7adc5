"""A hostile gateway on 127.0.0.1: every answer a broken or malicious server can give, as a table.

Reusable by any test that talks HTTP to a gateway (doctor, setup's check, the proxy, verify)::

    with HostileGateway("endless") as server:
        run_something(server.url)            # http://127.0.0.1:PORT
        server.requests                      # what arrived: (method, target, headers)

Everything is generated lazily and written straight to the socket (a 1 GB listing is never held in
memory), and a writer stops as soon as the client hangs up. Plain sockets and threads: no framework
between the test and the bytes, so the answers can be as wrong as a real hostile server's.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import TracebackType

CHUNK = 64 * 1024
GB = 1024 * 1024 * 1024
ESCAPES = "\x1b[2J\x1b[H\x1b]0;owned\x07✓ all good\r\n✓ key accepted\x9b31m"
DEEP = 100_000  # nesting depth of the deep-JSON answer


@dataclass
class Received:
    method: str
    target: str
    headers: dict[str, str]


Writer = Callable[[socket.socket, Received], None]


def _head(status: str, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status}", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", "surrogateescape")


def _json_answer(sock: socket.socket, status: str, body: bytes) -> None:
    headers = {"content-type": "application/json", "content-length": str(len(body))}
    sock.sendall(_head(status, {**headers, "connection": "close"}) + body)


def _invalid_request(sock: socket.socket, _request: Received) -> None:
    """What a healthy gateway says to doctor's deliberately invalid probe."""
    error = {"type": "invalid_request_error", "message": "messages: Field required"}
    _json_answer(sock, "400 Bad Request", json.dumps({"type": "error", "error": error}).encode())


def _chunked(sock: socket.socket, status: str, content_type: str, pieces: Iterator[bytes]) -> None:
    sock.sendall(
        _head(
            status,
            {"content-type": content_type, "transfer-encoding": "chunked", "connection": "close"},
        )
    )
    for piece in pieces:
        sock.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
    sock.sendall(b"0\r\n\r\n")


def _forever(piece: bytes) -> Iterator[bytes]:
    while True:
        yield piece


def endless(sock: socket.socket, _request: Received) -> None:
    """A 200 JSON answer that never ends."""
    _chunked(sock, "200 OK", "application/json", _forever(b"[" * CHUNK))


def endless_error(sock: socket.socket, _request: Received) -> None:
    """A 500 whose body never ends (an error page generator gone wrong)."""
    _chunked(sock, "500 Internal Server Error", "text/plain", _forever(b"x" * CHUNK))


def trickle(sock: socket.socket, _request: Received) -> None:
    """Headers at once, then one byte every 0.2 s, forever: each read is quick, the whole never
    finishes (a per-read timeout alone never fires)."""
    sock.sendall(_head("200 OK", {"content-type": "text/event-stream", "connection": "close"}))
    while True:
        sock.sendall(b":")
        time.sleep(0.2)


def deep_json(sock: socket.socket, _request: Received) -> None:
    """A 400 nested 100,000 levels deep (Python's json recurses: RecursionError)."""
    _json_answer(sock, "400 Bad Request", b"[" * DEEP + b"]" * DEEP)


def deep_object(sock: socket.socket, _request: Received) -> None:
    body = b'{"error":' * DEEP + b"1" + b"}" * DEEP
    _json_answer(sock, "401 Unauthorized", body)


def escapes(sock: socket.socket, _request: Received) -> None:
    """A refusal whose message clears the screen, sets the title and forges 'all good' lines."""
    error = {"type": "authentication_error", "message": ESCAPES}
    body = json.dumps({"type": "error", "error": error}, ensure_ascii=False).encode()
    _json_answer(sock, "401 Unauthorized", body)


def raw_escapes(sock: socket.socket, _request: Received) -> None:
    """The same as plain text with raw bytes (no JSON escaping), status 502."""
    body = ESCAPES.encode() + b"\x00\x1b[31mred"
    sock.sendall(_head("502 Bad Gateway", {"content-length": str(len(body))}) + body)


def huge_headers(sock: socket.socket, _request: Received) -> None:
    """A header line of 1 MB, then one header after another without end."""
    sock.sendall(b"HTTP/1.1 200 OK\r\nx-big: " + b"a" * (1024 * 1024) + b"\r\n")
    number = 0
    while True:
        sock.sendall(f"x-more-{number}: {'b' * 1000}\r\n".encode())
        number += 1


def html(sock: socket.socket, _request: Received) -> None:
    """A login wall: HTML with a hostile title, 403, and a body of 20 MB."""
    title = b"<html><head><title>\x1b[2JSign in\x07</title></head><body>"
    pieces = iter([title, *(b"<p>" + b"z" * CHUNK + b"</p>" for _ in range(320))])
    _chunked(sock, "403 Forbidden", "text/html", pieces)


def _listing() -> Iterator[bytes]:
    yield b'{"data":['
    sent = 0
    number = 0
    while sent < GB:
        piece = b",".join(
            json.dumps({"id": f"claude-model-{number + i}", "type": "model"}).encode()
            for i in range(1000)
        )
        number += 1000
        yield (b"," if sent else b"") + piece
        sent += len(piece)
    yield b'],"has_more":false}'


def gigabyte_listing(sock: socket.socket, request: Received) -> None:
    """``GET /v1/models`` answers a 1 GB listing (generated as it is sent); the rest is healthy."""
    if request.method == "GET" and request.target.startswith("/v1/models"):
        _chunked(sock, "200 OK", "application/json", _listing())
    else:
        _invalid_request(sock, request)


def healthy(sock: socket.socket, request: Received) -> None:
    """A well-behaved gateway (and a recorder): the probe's invalid body gets its 400."""
    if request.method == "GET" and request.target.startswith("/v1/models"):
        body = {"data": [{"id": "claude-sonnet-4-5", "type": "model"}], "has_more": False}
        _json_answer(sock, "200 OK", json.dumps(body).encode())
    else:
        _invalid_request(sock, request)


# The table: name → what the server does to every request (the listing: to GET /v1/models).
TABLE: dict[str, Writer] = {
    "endless": endless,
    "endless-error": endless_error,
    "trickle": trickle,
    "deep-json": deep_json,
    "deep-object": deep_object,
    "escapes": escapes,
    "raw-escapes": raw_escapes,
    "huge-headers": huge_headers,
    "html": html,
    "gigabyte-listing": gigabyte_listing,
}


@dataclass
class HostileGateway:
    mode: str
    host: str = "127.0.0.1"
    requests: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.writer = TABLE.get(self.mode) or {"healthy": healthy}[self.mode]
        self._listener = socket.create_server((self.host, 0))
        self._listener.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self.port = int(self._listener.getsockname()[1])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def __enter__(self) -> HostileGateway:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._listener.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                sock, _address = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=self._answer, args=(sock,), daemon=True).start()

    def _answer(self, sock: socket.socket) -> None:
        with sock:
            sock.settimeout(5)
            try:
                request = _read_request(sock)
                if request is None:
                    return
                self.requests.append(request)
                self.writer(sock, request)
            except OSError:  # the client hung up: the writer stops
                return


def _read_request(sock: socket.socket) -> Received | None:
    data = b""
    while b"\r\n\r\n" not in data:
        piece = sock.recv(65536)
        if not piece or len(data) > 1024 * 1024:
            return None
        data += piece
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, target, *_ = [*lines[0].split(" "), "", ""]
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length") or 0)
    while len(body) < min(length, 1024 * 1024):
        piece = sock.recv(65536)
        if not piece:
            break
        body += piece
    return Received(method, target, headers)
