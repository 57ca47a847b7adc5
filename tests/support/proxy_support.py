"""Helpers for the proxy tests: a raw asyncio upstream that can misbehave byte by byte, and a
proxy started on loopback in front of any upstream URL."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from ccwrap.proxy.config import ProxyConfig
from ccwrap.proxy.hooks import Hook
from ccwrap.proxy.server import ProxyHandle, start_background

TOKEN = "ccwrap-session-test-token"
KEY = "sk-real-upstream-key-0123456789"
# The upstream transport running_proxy asks for (the loopback tests' fixture sets it).
TRANSPORT = "auto"
SERVER = "auto"

RawHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter, "RawUpstream"], Awaitable[None]]


async def read_request(reader: asyncio.StreamReader) -> bytes | None:
    """One HTTP/1.1 request (head + content-length body), or None at EOF."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    body = await reader.readexactly(length) if length else b""
    return head + body


def response(body: bytes = b'{"ok":true}', status: str = "200 OK", extra: bytes = b"") -> bytes:
    return (
        f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\n".encode()
        + extra
        + b"\r\n"
        + body
    )


@dataclass
class RawUpstream:
    """An asyncio TCP server in a thread; ``handler`` gets each connection."""

    handler: RawHandler | None = None
    ssl_context: ssl.SSLContext | None = None
    accepted: int = 0
    active: int = 0
    requests: list[bytes] = field(default_factory=list)
    events: list[tuple[str, float]] = field(default_factory=list)
    port: int = 0
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None
    _server: asyncio.AbstractServer | None = None

    @property
    def url(self) -> str:
        scheme = "https" if self.ssl_context else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    def mark(self, name: str) -> None:
        self.events.append((name, time.monotonic()))

    def when(self, name: str) -> float | None:
        return next((t for n, t in self.events if n == name), None)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        self.active += 1
        try:
            if self.handler is not None:
                await self.handler(reader, writer, self)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self.active -= 1
            writer.close()

    def start(self) -> RawUpstream:
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop

            async def main() -> None:
                self._server = await asyncio.start_server(
                    self._serve, "127.0.0.1", 0, ssl=self.ssl_context
                )
                self.port = self._server.sockets[0].getsockname()[1]
                ready.set()
                await self._server.serve_forever()

            with contextlib.suppress(asyncio.CancelledError):
                loop.run_until_complete(main())
            # Let every cancelled connection handler finish here, so none is left to the
            # garbage collector (an "Exception ignored in: <coroutine …>" warning).
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()

            async def drain() -> None:
                await asyncio.gather(*pending, return_exceptions=True)

            loop.run_until_complete(drain())
            loop.close()

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        assert ready.wait(10)
        return self

    def stop(self) -> None:
        if self._loop is not None and self._server is not None:
            self._loop.call_soon_threadsafe(self._cancel_all)
        if self._thread is not None:
            self._thread.join(5)

    def _cancel_all(self) -> None:
        """In the server's own loop: close the server and cancel every task (serve_forever too)."""
        assert self._server is not None
        self._server.close()
        for task in asyncio.all_tasks():
            task.cancel()

    def __enter__(self) -> RawUpstream:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def running_proxy(
    upstream: str, hooks: Sequence[Hook] = (), log: TextIO | None = None, **fields: Any
) -> Iterator[ProxyHandle]:
    fields.setdefault("key", KEY)
    fields.setdefault("token", TOKEN)
    fields.setdefault("transport", TRANSPORT)
    fields.setdefault("server", SERVER)
    config = ProxyConfig(upstream=upstream, **fields)
    with start_background(config, hooks=hooks, log_stream=log) as handle:
        yield handle


def raw_exchange(port: int, data: bytes, timeout: float = 5.0) -> bytes:
    """Send raw bytes to 127.0.0.1:port and read until the server closes or ``timeout``."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        chunks = []
        deadline = time.monotonic() + timeout
        with contextlib.suppress(TimeoutError, ConnectionError):
            while time.monotonic() < deadline:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
                if _complete(b"".join(chunks)):
                    break
        return b"".join(chunks)


def _complete(data: bytes) -> bool:
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value)
    return b"transfer-encoding: chunked" in head.lower() and body.endswith(b"0\r\n\r\n")


def status_of(raw: bytes) -> int:
    return int(raw.split(b" ", 2)[1]) if raw.startswith(b"HTTP/") else 0


def auth_headers(token: str = TOKEN) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


@dataclass
class ForwardProxy:
    """A loopback HTTP forward proxy (what ``HTTPS_PROXY`` points at), in a thread.

    ``CONNECT host:port`` opens a tunnel and absolute-form requests are forwarded; either way the
    connection goes to 127.0.0.1 on the named port, whatever the host name, so a test can give
    the upstream a non-loopback name (which a proxy must be used for) without any DNS.
    """

    targets: list[str] = field(default_factory=list)
    proxy_auth: list[str] = field(default_factory=list)
    upstream: RawUpstream = field(default_factory=RawUpstream)

    @property
    def url(self) -> str:
        return f"http://user:secret@127.0.0.1:{self.upstream.port}"

    async def _handle(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _server: RawUpstream
    ) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        method, target, _version = head.split(b"\r\n", 1)[0].decode().split(" ", 2)
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.decode().partition(":")
            if name.strip().lower() == "proxy-authorization":
                self.proxy_auth.append(value.strip())
        if method == "CONNECT":
            self.targets.append(target)
            port = int(target.rsplit(":", 1)[1])
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        else:
            parts = target.split("/", 3)  # http: '' host:port path
            self.targets.append(f"{method} {target}")
            port = int(parts[2].rsplit(":", 1)[1]) if ":" in parts[2] else 80
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", port)
            up_writer.write(head.replace(target.encode(), b"/" + parts[3].encode(), 1))
        await writer.drain()
        await asyncio.gather(
            _pipe(reader, up_writer), _pipe(up_reader, writer), return_exceptions=True
        )

    def __enter__(self) -> ForwardProxy:
        self.upstream.handler = self._handle
        self.upstream.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.upstream.stop()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        with contextlib.suppress(RuntimeError):  # the loop is closing with the test
            writer.close()


async def answer_every_request(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, upstream: RawUpstream
) -> None:
    """A RawUpstream handler: 200 with a small JSON body to every request, keep-alive."""
    while (request := await read_request(reader)) is not None:
        upstream.requests.append(request)
        writer.write(response())
        await writer.drain()
