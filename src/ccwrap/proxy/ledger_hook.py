"""The usage ledger's hook on the proxy: one row per forwarded request (proxy/hooks.py).

``prepare`` notes what the request says (route, session and agent ids, the model before and after
the map) without changing it; ``watch`` puts a tap on the answer (``ledger.usage``: usage read from
the SSE events or the JSON body as they pass, nothing buffered); ``done`` hands the finished record
to the ledger's writer thread. A request the upstream never answered is watched with the proxy's
own status and a summary without a first byte: recorded as ``upstream_unreachable``. One the client
gave up on before any answer gets no watch at all: a finalizer on the request records it (as
``client_gone``) when the exchange lets go of it.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from ccwrap.ledger.recorder import LedgerWriter, Observation, writer_for
from ccwrap.ledger.usage import requested_model
from ccwrap.proxy.hooks import Headers, Hook, Outbound, Summary, Watch
from ccwrap.proxy.model_map import ModelMap

if TYPE_CHECKING:
    from ccwrap.context import Paths

NO_ANSWER = "upstream_unreachable"
CLIENT_GONE = "client_gone"


class LedgerHook:
    def __init__(
        self,
        writer: LedgerWriter,
        *,
        profile: str = "",
        model_map: Mapping[str, str] | None = None,
        wall: Callable[[], float] = time.time,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.writer = writer
        self.profile = profile
        self.models = ModelMap.from_rules(model_map or {})
        self._glob_targets = {target for _, target in self.models.globs}
        self._wall = wall
        self._clock = clock
        self._open: dict[int, Observation] = {}

    def prepare(self, request: Outbound) -> Outbound:
        try:
            seen = Observation.begin(
                self.writer,
                profile=request.profile or self.profile,
                route=f"{request.method} {request.path}",
                headers=request.headers,
                wall=self._wall(),
            )
            mapped = requested_model(request.body) if request.body else None
            seen.models(self._requested(mapped), mapped)
            key = id(request)
            self._open[key] = seen
            weakref.finalize(request, self._released, key, self._clock())
        except Exception:  # noqa: S110 -- the ledger never stops a request
            pass
        return request

    def watch(self, request: Outbound, status: int, headers: Headers) -> Watch | None:
        seen = self._open.pop(id(request), None)
        if seen is None:
            return None
        seen.response(headers)
        return _Recording(seen)

    def _released(self, key: int, started: float) -> None:
        seen = self._open.pop(key, None)
        if seen is not None and not seen.done:  # prepared, never watched: the client left first
            duration = (self._clock() - started) * 1000
            seen.finish(status=None, ttfb_ms=None, duration_ms=duration, error_type=CLIENT_GONE)

    def _requested(self, mapped: str | None) -> str | None:
        """The name the client sent: this hook runs after the model map, so it is inferred from
        the mapped name when only one rule can have produced it (else None: not known)."""
        if mapped is None or not self.models:
            return mapped
        aliases = [alias for alias, target in self.models.exact.items() if target == mapped]
        if mapped in self._glob_targets:
            return None
        if len(aliases) == 1:
            return aliases[0]
        return None if aliases else mapped


class _Recording(Watch):
    def __init__(self, seen: Observation) -> None:
        self.seen = seen

    def chunk(self, data: bytes) -> None:
        self.seen.chunk(data)

    def done(self, summary: Summary) -> None:
        first = summary.first_byte
        error = None
        if first is None:
            error = NO_ANSWER
        elif summary.cut:
            error = _cut_kind(summary)
        self.seen.finish(
            status=summary.status,
            ttfb_ms=None if first is None else (first - summary.started) * 1000,
            duration_ms=(summary.finished - summary.started) * 1000,
            cut=summary.cut or first is None,
            error_type=error,
        )


def _cut_kind(summary: Summary) -> str:
    note = summary.note.lower()
    if "client went away" in note:
        return CLIENT_GONE
    if "too large" in note:
        return "answer_too_large"
    return "stream_cut"


def ledger_hooks(
    paths: Paths, environ: Mapping[str, str], *, profile: str, model_map: Mapping[str, str]
) -> tuple[list[Hook], Callable[[], None]]:
    """The proxy's hooks for the ledger and what to call once the server has stopped (it writes
    the last rows); no hook with ``CCWRAP_LEDGER=off``."""
    writer = writer_for(paths, environ)
    if writer is None:
        return [], lambda: None
    return [LedgerHook(writer, profile=profile, model_map=model_map)], writer.close
