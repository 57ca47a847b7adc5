"""What may plug into the forwarder: a request hook and a per-exchange response watch (pure).

The forwarder runs every request through the session's hooks, in order. A :class:`Hook` has two
calls, both on the event loop (never block; nothing here may raise except to refuse a request):

``prepare(request) -> request``
    Before anything is sent upstream: may return a changed :class:`Outbound` (another body,
    other headers). The model map renames the model here.
``watch(request, status, headers) -> Watch | None``
    Once the upstream's status line and headers have arrived: a :class:`Watch` for this
    exchange, or None to stay out of it.

A :class:`Watch` then sees the answer as it passes:

``whole``
    None (the default): the body streams through untouched and :meth:`Watch.chunk` sees each
    piece as it is written to the client, without buffering. A byte limit: the body is read
    whole up to it (over it the client gets a 502 "the answer was larger than N bytes"), then
    :meth:`Watch.transform` may replace it; the model map's ``/v1/models`` listing does this.
``chunk(data)``
    Each piece of body written to the client, in order (after any transform).
``done(summary)``
    Exactly once per watched exchange, even when it failed: the :class:`Summary` (status, the
    timings, whether the answer was cut off before its end, and why).

A usage recorder (tokens from the SSE ``message_delta`` events) and a capture recorder fit the
same shape: ``prepare`` returns the request unchanged, ``watch`` returns a Watch whose ``chunk``
feeds an incremental parser or a bounded file and whose ``done`` writes the record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

Headers = list[tuple[bytes, bytes]]


@dataclass(frozen=True)
class Outbound:
    """One request as it will go upstream."""

    method: str
    path: str  # the route's fixed path (/v1/messages …), for hooks to decide on
    target: str  # what is sent: the base URL's path + the route's path + the query
    headers: Headers
    body: bytes
    profile: str = ""


@dataclass(frozen=True)
class Summary:
    status: int
    started: float  # time.perf_counter() values
    first_byte: float | None
    finished: float
    cut: bool = False  # the answer ended before its end (upstream cut, client gone, too large)
    note: str = ""


class Watch:
    """One exchange's observer; the defaults do nothing."""

    whole: int | None = None

    def transform(self, body: bytes) -> bytes:
        return body

    def chunk(self, data: bytes) -> None:
        return None

    def done(self, summary: Summary) -> None:
        return None


class Hook(Protocol):
    def prepare(self, request: Outbound) -> Outbound: ...

    def watch(self, request: Outbound, status: int, headers: Headers) -> Watch | None: ...


@dataclass
class Watches:
    """The watches of one exchange, called together."""

    items: list[Watch] = field(default_factory=list)

    @property
    def whole(self) -> int | None:
        limits = [w.whole for w in self.items if w.whole is not None]
        return min(limits) if limits else None

    def transform(self, body: bytes) -> bytes:
        for item in self.items:
            body = item.transform(body)
        return body

    def chunk(self, data: bytes) -> None:
        for item in self.items:
            item.chunk(data)

    def done(self, summary: Summary) -> None:
        for item in self.items:
            item.done(summary)
