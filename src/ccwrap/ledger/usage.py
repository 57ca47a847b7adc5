"""Token usage read from a Messages API answer as it passes, without buffering it (stdlib only).

    Usage                     the counts one answer reports (None: never said)
    ResponseTap.start(...)    a tap for one response: ``feed(chunk)`` per chunk, then ``usage``
    requested_model(body)     the ``model`` of a request body, without parsing all of it

An SSE answer reports usage in two events: ``message_start`` (input, cache reads and writes, the
served model) and ``message_delta`` (output so far; some gateways repeat the input counts there).
The tap looks at a chunk only when it holds one of those names (or ``error``), keeps at most the
unfinished last line (capped), and never raises: garbage, a cut, an unknown encoding give what was
known. A JSON answer keeps its first and last few KiB (the model comes first, usage last).

It does not use :mod:`ccwrap.net.sse`, which parses every event into a whole message for verify
and capture: this tap is on every proxied chunk and skips the chunks that name none of the events
it reads (docs/benchmarks.md: +0.026 ms per streamed answer).
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from ccwrap.text import escape_control

# The route of the requests that are answers (and cost); the proxy records count_tokens, the
# models list and HEAD / too, and stats and the status line do not count those as requests.
MESSAGES_ROUTE = "POST /v1/messages"
LINE_CAP = 256 * 1024  # an SSE line longer than this is not one of the events we read
JSON_WHOLE = 1024 * 1024  # a JSON answer up to this size is parsed whole
JSON_EDGE = 16 * 1024  # beyond it, only its head and tail are kept
MAX_COUNT = 1 << 53
_INTERESTING = (b'"message_', b'"error"')
_MODEL = re.compile(rb'"model"\s*:\s*"((?:[^"\\]|\\.){1,256})"')


@dataclass
class Usage:
    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_read_input_tokens: int | None = None
    cache_creation_input_tokens: int | None = None
    cache_creation_5m_input_tokens: int | None = None
    cache_creation_1h_input_tokens: int | None = None

    def merge(self, data: object) -> None:
        """Take every count ``data`` (an answer's ``usage`` object) states; later ones win."""
        if not isinstance(data, Mapping):
            return
        for name in _PLAIN:
            value = _count(data.get(name))
            if value is not None:
                setattr(self, name, value)
        split = data.get("cache_creation")
        if isinstance(split, Mapping):
            for key, name in _SPLIT:
                value = _count(split.get(key))
                if value is not None:
                    setattr(self, name, value)

    @property
    def known(self) -> bool:
        return any(getattr(self, f.name) is not None for f in fields(self))


_PLAIN = (
    "input_tokens",
    "output_tokens",
    "cache_read_input_tokens",
    "cache_creation_input_tokens",
)
_SPLIT = (
    ("ephemeral_5m_input_tokens", "cache_creation_5m_input_tokens"),
    ("ephemeral_1h_input_tokens", "cache_creation_1h_input_tokens"),
)


def _count(value: object) -> int | None:
    if type(value) is int and 0 <= value < MAX_COUNT:
        return value
    return None


def clean_text(value: object, limit: int = 256) -> str | None:
    """A string from outside (a gateway, a transcript, a header) as the ledger keeps it: capped,
    control characters replaced, so nothing printed from it can move the cursor or colour."""
    if isinstance(value, str) and value:
        return escape_control(value[:limit])
    return None


_text = clean_text


def requested_model(body: bytes) -> str | None:
    """The request's ``model``: a JSON key in the structure (a quote inside a string value is
    escaped, so the pattern cannot match message text); Claude Code sends it first."""
    found = _MODEL.search(body, 0, 4096) or _MODEL.search(body)
    if found is None:
        return None
    try:
        value = json.loads(b'"' + found.group(1) + b'"')
    except ValueError:
        return None
    return _text(value)


class ResponseTap:
    """Reads usage, the served model and an error kind from one answer as it passes."""

    def __init__(self, *, sse: bool, encoding: str = "") -> None:
        self.sse = sse
        self.usage = Usage()
        self.model: str | None = None
        self.error_type: str | None = None
        self.complete = False  # message_stop (or a whole JSON answer) seen
        self._tail = b""
        self._skipping = False  # inside an over-long line: drop bytes up to its end
        self._head = bytearray()
        self._end = bytearray()
        self._size = 0
        self._broken = False
        self._inflate: Any = None
        encoding = encoding.strip().lower()
        if encoding in ("gzip", "x-gzip"):
            self._inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._inflate = zlib.decompressobj()
        elif encoding not in ("", "identity"):
            self._broken = True  # br, zstd…: not read (usage stays unknown)

    @classmethod
    def start(cls, headers: list[tuple[bytes, bytes]]) -> ResponseTap:
        sse = False
        encoding = ""
        for name, value in headers:
            if name == b"content-type":
                sse = value.startswith(b"text/event-stream")
            elif name == b"content-encoding":
                encoding = value.decode("latin-1")
        return cls(sse=sse, encoding=encoding)

    def feed(self, chunk: bytes) -> None:
        if self._broken or not chunk:
            return
        try:
            if self._inflate is not None:
                chunk = self._inflate.decompress(chunk, LINE_CAP)
                if self._inflate.unconsumed_tail:
                    self._broken = True  # a decompression bomb, or a line we would not read
                    return
            if self.sse:
                self._feed_sse(chunk)
            else:
                self._feed_json(chunk)
        except Exception:  # a tap must never break the relay
            self._broken = True

    def finish(self) -> None:
        """The answer is over (complete or cut): read what is still pending."""
        try:
            if self.sse:
                if self._tail and not self._skipping:
                    self._line(self._tail)
                self._tail = b""
            else:
                self._finish_json()
        except Exception:
            self._broken = True

    # -- SSE ------------------------------------------------------------------------------------
    def _feed_sse(self, chunk: bytes) -> None:
        cut = chunk.rfind(b"\n")
        if cut < 0:
            self._keep(chunk)
            return
        if self._skipping:
            self._skipping = False
            first = chunk.find(b"\n")
            complete = chunk[first + 1 : cut]
        else:
            complete = self._tail + chunk[:cut] if self._tail else chunk[:cut]
        self._tail = b""
        self._keep(chunk[cut + 1 :])
        if any(name in complete for name in _INTERESTING):
            for line in complete.split(b"\n"):
                self._line(line)

    def _keep(self, rest: bytes) -> None:
        if self._skipping:
            return
        if len(self._tail) + len(rest) > LINE_CAP:
            self._tail = b""
            self._skipping = True
        elif rest:
            self._tail += rest

    def _line(self, line: bytes) -> None:
        if not line.startswith(b"data:") or not any(n in line for n in _INTERESTING):
            return
        try:
            event = json.loads(line[5:])
        except ValueError:
            return
        if isinstance(event, dict):
            self._event(event)

    def _event(self, event: Mapping[str, Any]) -> None:
        kind = event.get("type")
        if kind == "message_start":
            message = event.get("message")
            if isinstance(message, Mapping):
                self.model = _text(message.get("model")) or self.model
                self.usage.merge(message.get("usage"))
        elif kind == "message_delta":
            self.usage.merge(event.get("usage"))
        elif kind == "message_stop":
            self.complete = True
        elif kind == "error":
            error = event.get("error")
            if isinstance(error, Mapping):
                self.error_type = _text(error.get("type"), 64) or "error"

    # -- JSON -----------------------------------------------------------------------------------
    def _feed_json(self, chunk: bytes) -> None:
        self._size += len(chunk)
        if len(self._head) < JSON_WHOLE:
            self._head += chunk[: JSON_WHOLE - len(self._head)]
        if self._size > JSON_WHOLE:
            self._end += chunk[-JSON_EDGE:]
            if len(self._end) > JSON_EDGE:
                del self._end[:-JSON_EDGE]

    def _finish_json(self) -> None:
        if self._size <= JSON_WHOLE:
            try:
                data = json.loads(bytes(self._head))
            except ValueError:
                return
            if isinstance(data, dict):
                self._answer(data)
            return
        head = bytes(self._head[:JSON_EDGE])
        self.model = _model_in(head) or self.model
        self.usage.merge(_usage_in(bytes(self._end)))
        self.complete = self.usage.known
        del self._head[:]

    def _answer(self, data: Mapping[str, Any]) -> None:
        if data.get("type") == "error":
            self._event(data)
            return
        self.model = _text(data.get("model"))
        self.usage.merge(data.get("usage"))
        self.complete = True


def _model_in(head: bytes) -> str | None:
    found = _MODEL.search(head)
    if found is None:
        return None
    try:
        return _text(json.loads(b'"' + found.group(1) + b'"'))
    except ValueError:
        return None


def _usage_in(tail: bytes) -> object:
    """The last ``"usage": {…}`` object in the tail of a large JSON answer."""
    at = tail.rfind(b'"usage"')
    if at < 0:
        return None
    brace = tail.find(b"{", at)
    if brace < 0:
        return None
    try:
        value, _ = json.JSONDecoder().raw_decode(tail[brace:].decode("utf-8", "replace"))
    except ValueError:
        return None
    return value
