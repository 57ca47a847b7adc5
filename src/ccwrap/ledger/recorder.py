"""The proxy's side of the ledger: one row per forwarded request, written off the hot path.

    RequestRecord          what is known about one request once its answer is over
    LedgerWriter(paths)    ``submit(record)`` (never blocks, never raises); ``close()`` flushes
    Observation            one request as the proxy's hooks see it; ``end()`` submits it

The proxy hands a finished record to ``submit``, which only appends it to a queue. One writer
thread per proxy drains the queue and writes everything waiting in one transaction (batched under
load), so a slow disk or another proxy holding the write lock never delays an answer. Several
proxies on one ledger take turns through SQLite's lock (``BEGIN IMMEDIATE`` under the
busy timeout); a batch that still cannot be written is retried, then dropped with one log line.
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ccwrap.ledger.usage import ResponseTap, Usage, clean_text

if TYPE_CHECKING:
    from ccwrap.context import Paths

log = logging.getLogger("ccwrap.proxy")

LINGER_SECONDS = 0.5  # how long the writer lets rows gather before one transaction
CAP_CHECK_EVERY = 500  # rows written between two checks of the size cap
WRITE_ATTEMPTS = 3
COLUMNS = (
    "time",
    "profile",
    "route",
    "session_id",
    "agent_id",
    "parent_agent_id",
    "model_requested",
    "model_mapped",
    "model_served",
    "status",
    "error_type",
    "ttfb_ms",
    "duration_ms",
    "input_tokens",
    "output_tokens",
    "cache_read_input_tokens",
    "cache_creation_input_tokens",
    "cache_creation_5m_input_tokens",
    "cache_creation_1h_input_tokens",
    "complete",
)
INSERT = (  # built from the constant COLUMNS above, no outside value
    f"INSERT INTO proxy_requests ({', '.join(COLUMNS)}) "  # noqa: S608
    f"VALUES ({', '.join('?' * len(COLUMNS))})"
)


@dataclass
class RequestRecord:
    time: float  # wall clock (Unix seconds) when the request arrived
    profile: str
    route: str  # "POST /v1/messages"
    session_id: str | None = None
    agent_id: str | None = None
    parent_agent_id: str | None = None
    model_requested: str | None = None
    model_mapped: str | None = None
    model_served: str | None = None
    status: int | None = None  # None: no answer reached the client
    error_type: str | None = None
    ttfb_ms: float | None = None
    duration_ms: float | None = None
    usage: Usage = field(default_factory=Usage)
    complete: bool = False

    def row(self) -> tuple[object, ...]:
        u = self.usage
        return (
            self.time,
            self.profile,
            self.route,
            self.session_id,
            self.agent_id,
            self.parent_agent_id,
            self.model_requested,
            self.model_mapped,
            self.model_served,
            self.status,
            self.error_type,
            self.ttfb_ms,
            self.duration_ms,
            u.input_tokens,
            u.output_tokens,
            u.cache_read_input_tokens,
            u.cache_creation_input_tokens,
            u.cache_creation_5m_input_tokens,
            u.cache_creation_1h_input_tokens,
            int(self.complete),
        )


_CLOSE = object()


class LedgerWriter:
    """A queue and one daemon thread that writes it to the ledger in batches."""

    def __init__(
        self, paths: Paths, *, cap_bytes: int | None = None, linger: float = LINGER_SECONDS
    ) -> None:
        self.paths = paths
        self.cap_bytes = cap_bytes
        self.linger = linger
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False
        self.written = 0
        self.dropped = 0

    def submit(self, record: RequestRecord) -> None:
        if self._closed:
            return
        if self._thread is None:
            self._start()
        self._queue.put(record)

    def close(self, timeout: float = 10.0) -> None:
        """Write what is queued, then stop the thread (waits at most ``timeout`` seconds)."""
        with self._lock:
            self._closed = True
            thread = self._thread
        if thread is not None:
            self._queue.put(_CLOSE)
            thread.join(timeout)

    def _start(self) -> None:
        with self._lock:
            if self._thread is None and not self._closed:
                thread = threading.Thread(target=self._run, name="ccwrap-ledger", daemon=True)
                thread.start()
                self._thread = thread

    def _run(self) -> None:
        conn = self._connect()
        since_check = 0
        while True:
            batch, closing = self._next_batch()
            if batch:
                if conn is None:
                    conn = self._connect()
                written = self._write(conn, batch)
                since_check += written
                if conn is not None and since_check >= CAP_CHECK_EVERY:
                    since_check = 0
                    self._enforce_cap(conn)
            if closing:
                break
        if conn is not None:
            if since_check:
                self._enforce_cap(conn)
            conn.close()

    def _next_batch(self) -> tuple[list[RequestRecord], bool]:
        item = self._queue.get()
        if item is not _CLOSE and self.linger:
            # Let a few more rows arrive: one transaction for many keeps the thread (and the
            # GIL it shares with the event loop) quiet while requests are being answered.
            time.sleep(self.linger)
        batch: list[RequestRecord] = []
        closing = False
        while True:
            if item is _CLOSE:
                closing = True
            elif isinstance(item, RequestRecord):
                batch.append(item)
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return batch, closing

    def _connect(self) -> sqlite3.Connection | None:
        from ccwrap.errors import LedgerError
        from ccwrap.ledger.database import open_ledger

        try:
            return open_ledger(self.paths)
        except (LedgerError, OSError) as exc:
            log.warning("usage is not recorded: %s", getattr(exc, "message", exc))
            return None

    def _write(self, conn: sqlite3.Connection | None, batch: list[RequestRecord]) -> int:
        if conn is None:
            self.dropped += len(batch)
            return 0
        rows = [record.row() for record in batch]
        for attempt in range(WRITE_ATTEMPTS):
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    conn.executemany(INSERT, rows)
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                if attempt + 1 == WRITE_ATTEMPTS:
                    log.warning("%d usage row(s) not recorded: %s", len(rows), exc)
                    self.dropped += len(rows)
                    return 0
                continue
            except sqlite3.DatabaseError as exc:
                log.warning("%d usage row(s) not recorded: %s", len(rows), exc)
                self.dropped += len(rows)
                return 0
            self.written += len(rows)
            return len(rows)
        return 0  # pragma: no cover - the loop returns

    def _enforce_cap(self, conn: sqlite3.Connection) -> None:
        from ccwrap.ledger.retention import enforce_cap

        try:
            enforce_cap(conn, self.cap_bytes)
        except sqlite3.DatabaseError as exc:
            log.warning("the ledger's size cap was not applied: %s", exc)


SESSION_HEADERS = {
    b"x-claude-code-session-id": "session_id",
    b"x-claude-code-agent-id": "agent_id",
    b"x-claude-code-parent-agent-id": "parent_agent_id",
}
ID_LIMIT = 128


class Observation:
    """One request seen by the proxy: fed by its hook, submitted once when it ends.

    Every method is cheap and never raises: the proxy calls them on its hot path.
    """

    __slots__ = ("_tap", "_writer", "done", "record")

    def __init__(self, writer: LedgerWriter, record: RequestRecord) -> None:
        self._writer = writer
        self._tap: ResponseTap | None = None
        self.record = record
        self.done = False

    @classmethod
    def begin(
        cls,
        writer: LedgerWriter,
        *,
        profile: str,
        route: str,
        headers: Iterable[tuple[bytes, bytes]],
        wall: float,
    ) -> Observation:
        record = RequestRecord(time=wall, profile=profile, route=route)
        for name, value in headers:
            attribute = SESSION_HEADERS.get(name)
            if attribute is not None:
                setattr(record, attribute, clean_text(value.decode("latin-1"), ID_LIMIT))
        return cls(writer, record)

    def models(self, requested: str | None, mapped: str | None) -> None:
        self.record.model_requested = requested
        self.record.model_mapped = mapped

    def response(self, headers: list[tuple[bytes, bytes]]) -> None:
        self._tap = ResponseTap.start(headers)

    def chunk(self, data: bytes) -> None:
        if self._tap is not None:
            self._tap.feed(data)

    @property
    def has_usage(self) -> bool:
        return self._tap is not None and self._tap.usage.known

    def finish(
        self,
        *,
        status: int | None,
        ttfb_ms: float | None,
        duration_ms: float | None,
        cut: bool = False,
        error_type: str | None = None,
    ) -> None:
        """The exchange is over, however it ended: the record goes to the writer's queue."""
        if self.done:
            return
        self.done = True
        try:
            record = self.record
            record.status = status or None
            record.ttfb_ms = ttfb_ms
            record.duration_ms = duration_ms
            tap = self._tap
            if tap is not None:
                tap.finish()
                record.usage = tap.usage
                record.model_served = tap.model
                error_type = error_type or tap.error_type
                record.complete = tap.complete and not cut
            if error_type is None and record.status is not None:
                error_type = status_kind(record.status)
            record.error_type = error_type
            self._writer.submit(record)
        except Exception:  # noqa: S110 -- the ledger never breaks a request
            pass


def status_kind(status: int) -> str | None:
    """An error kind for a status whose body did not name one."""
    if status < 400:
        return None
    return STATUS_KINDS.get(status, "http_" + str(status))


STATUS_KINDS = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


LEDGER_VARIABLE = "CCWRAP_LEDGER"  # "off": the proxy records nothing


def writer_for(paths: Paths, environ: Mapping[str, str]) -> LedgerWriter | None:
    """The proxy's ledger writer, or None when ``CCWRAP_LEDGER=off`` turns recording off."""
    if environ.get(LEDGER_VARIABLE, "").strip().lower() in ("off", "0", "no", "false"):
        return None
    return LedgerWriter(paths)
