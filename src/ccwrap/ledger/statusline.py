"""The status line's answer for one Claude Code session, from the ledger (stdlib only).

    session_view(conn, data, launch_id)   what the ledger knows of the session Claude Code names
    render(view, prices)                  ``work · glm-4.6 · cache 87% · $0.42``

Claude Code runs the ``statusLine`` command on every refresh with JSON on stdin (``session_id``,
``transcript_path``, ``model``, ``workspace``…). The session's numbers come from the proxy's rows
when the session went through the proxy, else from its transcript (only the lines written since
the last refresh are read). The profile is the one whose launch started the session: the
``CCWRAP_LAUNCH_ID`` claude inherited from ``ccwrap run`` binds the session to its launch on the
first refresh, which makes later attribution exact.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ccwrap.ledger.prices import Prices, format_cost
from ccwrap.ledger.usage import MESSAGES_ROUTE, clean_text

SEPARATOR = " · "
SUMS = (
    "sum(input_tokens), sum(output_tokens), sum(cache_read_input_tokens),"
    " sum(cache_creation_input_tokens), sum(cache_creation_5m_input_tokens),"
    " sum(cache_creation_1h_input_tokens), count(*)"
)


@dataclass
class SessionView:
    profile: str | None = None
    model: str | None = None  # served, as the answers name it
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_input_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_creation_5m_input_tokens: int = 0
    cache_creation_1h_input_tokens: int = 0
    answers: int = 0

    @property
    def cache_hit_rate(self) -> float | None:
        cacheable = (
            self.input_tokens + self.cache_read_input_tokens + self.cache_creation_input_tokens
        )
        return self.cache_read_input_tokens / cacheable if cacheable else None

    def take(self, sums: tuple[Any, ...]) -> None:
        (
            self.input_tokens,
            self.output_tokens,
            self.cache_read_input_tokens,
            self.cache_creation_input_tokens,
            self.cache_creation_5m_input_tokens,
            self.cache_creation_1h_input_tokens,
        ) = (int(v or 0) for v in sums[:6])
        self.answers = int(sums[6] or 0)


def session_view(
    conn: sqlite3.Connection,
    data: Mapping[str, Any],
    launch_id: str | None,
    writer: Callable[[], sqlite3.Connection],
) -> SessionView:
    """The session's numbers, read through ``conn`` (read-only: closing it costs no sync);
    ``writer()`` opens the ledger for writing only when there is something to write (new
    transcript lines, a launch to bind)."""
    from ccwrap.ledger.launches import bind_session
    from ccwrap.ledger.transcripts import ingest, unread

    view = SessionView()
    session = clean_text(data.get("session_id"), 128)
    if launch_id:
        row = conn.execute(
            "SELECT profile, session_id FROM launches WHERE id = ?",
            (int(launch_id) if launch_id.isdigit() else -1,),
        ).fetchone()
        view.profile = row[0] if row else None
        if session and row and row[1] is None:
            bind_session(writer(), launch_id, session)
    if not session:
        return view
    proxied = conn.execute(
        f"SELECT {SUMS} FROM proxy_requests WHERE session_id = ? AND route = ?",  # noqa: S608
        (session, MESSAGES_ROUTE),
    ).fetchone()
    if proxied[6]:
        view.take(proxied)
        last = conn.execute(
            "SELECT profile, model_served FROM proxy_requests WHERE session_id = ? AND route = ?"
            " ORDER BY time DESC LIMIT 1",
            (session, MESSAGES_ROUTE),
        ).fetchone()
        view.profile = view.profile or last[0]
        view.model = last[1]
        return view
    path = data.get("transcript_path")
    if isinstance(path, str) and path.endswith(".jsonl") and unread(conn, Path(path)):
        ingest(writer(), [Path(path)])
    view.take(
        conn.execute(
            f"SELECT {SUMS} FROM transcript_usage WHERE session_id = ?",  # noqa: S608
            (session,),
        ).fetchone()
    )
    last = conn.execute(
        "SELECT model FROM transcript_usage WHERE session_id = ? ORDER BY time DESC LIMIT 1",
        (session,),
    ).fetchone()
    view.model = last[0] if last else None
    if view.profile is None and view.answers:
        from ccwrap.ledger.stats import (
            attribute,
        )  # lazily: only a session run without the launch id

        view.profile = attribute(conn).get(session)
    return view


def render(
    view: SessionView, data: Mapping[str, Any], prices_of: Callable[[str], Prices | None]
) -> str:
    """One short line; every part that is not known is left out rather than guessed."""
    parts = [view.profile or "ccwrap"]
    model = view.model or _client_model(data)
    if model:
        parts.append(model)
    if not view.answers:
        parts.append("no usage yet")
        return SEPARATOR.join(parts)
    rate = view.cache_hit_rate
    if rate is not None:
        parts.append(f"cache {rate:.0%}")
    prices = prices_of(view.profile) if view.profile else None
    if prices is not None:
        cost = prices.cost(
            input_tokens=view.input_tokens,
            output_tokens=view.output_tokens,
            cache_read_input_tokens=view.cache_read_input_tokens,
            cache_creation_input_tokens=view.cache_creation_input_tokens,
            cache_creation_5m_input_tokens=view.cache_creation_5m_input_tokens,
            cache_creation_1h_input_tokens=view.cache_creation_1h_input_tokens,
        )
        parts.append(format_cost(cost, prices.currency))
    return SEPARATOR.join(parts)


def _client_model(data: Mapping[str, Any]) -> str | None:
    model = data.get("model")
    if isinstance(model, Mapping):
        return clean_text(model.get("id") or model.get("display_name"), 64)
    return clean_text(model, 64)
