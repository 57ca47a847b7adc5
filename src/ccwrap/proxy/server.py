"""The proxy's socket and server: bound to 127.0.0.1 first, served by uvicorn after.

Binding and listening happen before anything heavy is imported, so a client can connect at once: its
connection waits in the listen backlog until uvicorn (uvloop + httptools when the ``fast`` extra is
installed) accepts it. ``ccwrap run --proxy`` uses :func:`start_background` (uvicorn in a thread,
claude started without waiting); ``ccwrap proxy`` uses :func:`serve_foreground`.
"""

from __future__ import annotations

import errno
import logging
import socket
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

from ccwrap.errors import ProxyError
from ccwrap.net.hosts import LOOPBACK
from ccwrap.proxy.config import ProxyConfig

if TYPE_CHECKING:
    import uvicorn

    from ccwrap.proxy.hooks import Hook

BACKLOG = 1024
# Longer than any client's idle gap we know of, so the client rarely races our keep-alive close.
KEEP_ALIVE_SECONDS = 75
SHUTDOWN_GRACE_SECONDS = 3
READY_TIMEOUT = 15.0
LOG_FORMAT = "ccwrap proxy: %(message)s"
# What h11 buffers of one request head (its default, 16 KiB, would answer 400 itself before the
# app's own 414 for a long target: one behaviour on both servers up to this size).
MAX_HEAD = 256 * 1024


def bind(port: int = 0) -> socket.socket:
    """A listening TCP socket on 127.0.0.1 (a free port for 0); never another interface.

    Created with ``IPPROTO_TCP`` named: asyncio sets ``TCP_NODELAY`` on an accepted socket only
    when its protocol is TCP, and an accepted socket inherits the listener's (``proto`` 0 when
    left out). Without it, Nagle's algorithm met the client's delayed ACK and every request
    after the first on a keep-alive connection waited ~40 ms on the default install (uvloop
    sets the option regardless). The listener gets TCP_NODELAY too, for platforms that copy it.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((LOOPBACK, port))
        sock.listen(BACKLOG)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ProxyError(
                f"port {port} on {LOOPBACK} is already in use",
                hint="pick another with --port, or leave --port out to get a free one",
            ) from exc
        raise ProxyError(f"cannot listen on {LOOPBACK}:{port}: {exc.strerror}") from exc
    return sock


def configure_logging(stream: TextIO | None) -> None:
    """One line per request on ``stream`` (None: silent). Never a key or token: see app.py."""
    for name, level in (("ccwrap.proxy", logging.INFO), ("uvicorn.error", logging.WARNING)):
        logger = logging.getLogger(name)
        for old in list(logger.handlers):
            if getattr(old, "_ccwrap", False):
                logger.removeHandler(old)
        handler: logging.Handler = (
            logging.StreamHandler(stream) if stream is not None else logging.NullHandler()
        )
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        handler._ccwrap = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
        logger.setLevel(level)
        logger.propagate = False


@dataclass
class ProxyHandle:
    """A proxy serving in a background thread; ``close()`` stops it."""

    port: int
    token: str = field(repr=False)
    _sock: socket.socket = field(repr=False)
    _ready: threading.Event = field(default_factory=threading.Event, repr=False)
    _server: uvicorn.Server | None = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)
    _error: BaseException | None = field(default=None, repr=False)
    _stopping: bool = False

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> None:
        if not self._ready.wait(timeout):
            raise ProxyError(f"the proxy did not start within {timeout:g} s")
        if self._error is not None or self._server is None or not self._server.started:
            reason = f": {self._error}" if self._error else ""
            raise ProxyError(f"the proxy could not start{reason}") from self._error

    def close(self, timeout: float = SHUTDOWN_GRACE_SECONDS + 2) -> None:
        self._stopping = True
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
        self._sock.close()

    def __enter__(self) -> ProxyHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _serve(self, config: ProxyConfig, hooks: Sequence[Hook]) -> None:
        try:
            self._server = build_server(config, self.port, on_ready=self._ready.set, hooks=hooks)
            if self._stopping:
                return
            self._server.run(sockets=[self._sock])
        except BaseException as exc:  # reported by wait_ready; the thread must not die loudly
            self._error = exc
        finally:
            self._ready.set()
            # A client waiting in the backlog of a proxy that failed gets a refusal, not a hang.
            self._sock.close()


def start_background(
    config: ProxyConfig,
    *,
    port: int = 0,
    sock: socket.socket | None = None,
    wait: bool = True,
    log_stream: TextIO | None = None,
    hooks: Sequence[Hook] = (),
) -> ProxyHandle:
    """Bind (unless given a socket), then serve in a daemon thread.

    With ``wait=False`` this returns as soon as the socket listens, before uvicorn is even
    imported: the caller may start its client at once.
    """
    sock = sock if sock is not None else bind(port)
    configure_logging(log_stream)
    handle = ProxyHandle(port=sock.getsockname()[1], token=config.token, _sock=sock)
    handle._thread = threading.Thread(
        target=handle._serve, args=(config, hooks), name="ccwrap-proxy", daemon=True
    )
    handle._thread.start()
    if wait:
        try:
            handle.wait_ready()
        except ProxyError:
            handle.close()
            raise
    return handle


def serve_foreground(
    config: ProxyConfig,
    *,
    port: int = 0,
    on_ready: Callable[[str, str], None],
    log_stream: TextIO | None = sys.stderr,
    hooks: Sequence[Hook] = (),
) -> None:
    """Serve until Ctrl-C or SIGTERM; ``on_ready(base_url, token)`` once requests are served."""
    sock = bind(port)
    bound = sock.getsockname()[1]
    configure_logging(log_stream)
    server = build_server(
        config,
        bound,
        on_ready=lambda: on_ready(f"http://{LOOPBACK}:{bound}", config.token),
        hooks=hooks,
    )
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn re-raises the signal it handled after a clean shutdown
        pass
    finally:
        sock.close()
    if not server.started:
        raise ProxyError("the proxy could not start (see the messages above)")


def build_server(
    config: ProxyConfig, port: int, *, on_ready: Callable[[], None], hooks: Sequence[Hook] = ()
) -> Any:
    """uvicorn serving the proxy's app; ``hooks`` plug in after the model map (proxy/hooks.py)."""
    import uvicorn

    from ccwrap.proxy.app import create_app

    class Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            if self.started:
                on_ready()

    settings = uvicorn.Config(
        create_app(config, port, hooks),
        # uvloop and httptools when installed (the `fast` extra), unless told the default's.
        loop="asyncio" if config.server == "asyncio" else "auto",
        http="h11" if config.server == "asyncio" else "auto",
        lifespan="on",
        log_config=None,
        access_log=False,
        server_header=False,  # the upstream's own Server and Date headers pass through
        date_header=False,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        h11_max_incomplete_event_size=MAX_HEAD,
        timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
    )
    return Server(settings)
