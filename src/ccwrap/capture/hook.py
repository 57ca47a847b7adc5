"""The proxy hook that captures each exchange (proxy/hooks.py): request as sent upstream,
response as it passed, SSE reassembled for reading. Files are written by one thread, off the
event loop; ``close()`` flushes what is pending."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ccwrap.capture import store
from ccwrap.net.sse import Accumulator, Reader
from ccwrap.proxy.hooks import Headers, Outbound, Summary, Watch

if TYPE_CHECKING:
    from ccwrap.context import Paths
    from ccwrap.proxy.config import ProxyConfig

log = logging.getLogger("ccwrap.proxy")


class CaptureHook:
    """``hooks=[CaptureHook(...)]`` for ``start_background`` / ``serve_foreground``."""

    def __init__(
        self, paths: Paths, redactor: store.Redactor, *, max_total: int = store.MAX_TOTAL
    ) -> None:
        self.paths = paths
        self.redactor = redactor
        self.max_total = max_total
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._drain, name="ccwrap-capture", daemon=True)
        self._thread.start()
        self.failed = 0

    def prepare(self, request: Outbound) -> Outbound:
        return request

    def watch(self, request: Outbound, status: int, headers: Headers) -> Watch | None:
        return _Capture(self, request, status, headers)

    def submit(self, record: dict[str, Any]) -> None:
        self._queue.put(record)

    def close(self, timeout: float = 10.0) -> None:
        self._queue.put(None)
        self._thread.join(timeout)

    def _drain(self) -> None:
        while (record := self._queue.get()) is not None:
            try:
                store.write(self.paths, record, max_total=self.max_total)
            except OSError as exc:
                self.failed += 1
                log.warning("capture not written: %s", exc.strerror or exc)


class _Capture(Watch):
    def __init__(self, hook: CaptureHook, request: Outbound, status: int, headers: Headers):
        self.hook = hook
        self.request = request
        self.status = status
        self.headers = headers
        self.kept = bytearray()
        self.size = 0
        self.stream = any(
            n.lower() == b"content-type" and b"event-stream" in v.lower() for n, v in headers
        )
        self.reader = Reader()
        self.events = Accumulator()

    def chunk(self, data: bytes) -> None:
        self.size += len(data)
        if len(self.kept) < store.MAX_BODY:
            self.kept += data[: store.MAX_BODY - len(self.kept)]
        if self.stream:
            for event in self.reader.feed(data, 0.0):
                self.events.add(event)

    def done(self, summary: Summary) -> None:
        redact = self.hook.redactor
        request = self.request
        query = request.target.partition("?")[2]
        body = store.body_json({"text": request.body.decode("utf-8", "replace")})
        record: dict[str, Any] = {
            "version": store.VERSION,
            "id": store.new_id(),
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "profile": request.profile,
            "model": body.get("model") if isinstance(body, dict) else None,
            "request": {
                "method": request.method,
                "path": request.path,
                "target": redact.text(request.target),
                "query": redact.text(query),
                "headers": redact.headers(request.headers),
                "body": redact.body(request.body, len(request.body)),
            },
            "response": {
                "status": summary.status,
                "headers": redact.headers(self.headers),
                "body": redact.body(bytes(self.kept), self.size),
                "cut": summary.cut,
                "note": summary.note,
                "ttfb_ms": _ms(summary.first_byte, summary.started),
                "duration_ms": _ms(summary.finished, summary.started),
            },
        }
        if self.stream:
            message = _redacted_tree(self.events.result(), redact)
            record["response"]["message"] = message
            record["response"]["usage"] = message.get("usage")
        elif (answer := store.body_json(record["response"]["body"])) is not None:
            record["response"]["usage"] = answer.get("usage") if isinstance(answer, dict) else None
        self.hook.submit(record)


def _ms(end: float | None, start: float) -> float | None:
    return None if end is None else round((end - start) * 1000, 1)


def _redacted_tree(value: Any, redact: store.Redactor, depth: int = 0) -> Any:
    if depth > 40:
        return None
    if isinstance(value, str):
        return redact.text(value)
    if isinstance(value, Mapping):
        return {str(k): _redacted_tree(v, redact, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_redacted_tree(v, redact, depth + 1) for v in value]
    return value


def capture_hook(paths: Paths, config: ProxyConfig) -> CaptureHook:
    """The hook for one proxy session: it redacts the key, the secret header values and the
    session token, and the secret headers by name."""
    held = [config.key or "", config.token, *config.secret_headers.values()]
    return CaptureHook(
        paths, store.Redactor(tuple(s for s in held if s), tuple(config.secret_headers))
    )
