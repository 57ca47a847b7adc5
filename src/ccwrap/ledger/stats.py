"""``ccwrap stats``: usage rows from the ledger, attributed, grouped, priced (pure data).

    usage_rows(conn, since=…, until=…)   proxy rows, plus transcript rows the proxy did not see
    attribute(conn)                      transcript session → the profile of its launch
    summarize(rows, by=…, prices=…)      one Group per key, totals, callouts

Two sources meet here. The proxy records each request it forwards (exact). Sessions that did not
go through the proxy are known from Claude Code's transcripts; such a session belongs to the
profile of the ``ccwrap run`` that started it: the launch with the same ``--session-id``, else
the latest launch in the same working folder that started before the session's first message
and had not ended by then. A session the proxy saw is counted from the proxy's rows only; one no
launch explains is ``(unattributed)``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ccwrap.ledger.prices import Prices
from ccwrap.ledger.usage import MESSAGES_ROUTE

UNATTRIBUTED = "(unattributed)"
NO_SESSION = "(no session)"
LAUNCH_SLACK = 5.0  # seconds: a launch recorded just after claude's first line still counts
BY = ("day", "profile", "model", "session")
TOKENS = (
    "input_tokens",
    "output_tokens",
    "cache_read_input_tokens",
    "cache_creation_input_tokens",
)
COLLAPSE_FLOOR = 0.3  # a previous hit rate below this is not "collapsed" when it halves


def usage_rows(
    conn: sqlite3.Connection, *, since: float, until: float, profile: str | None = None
) -> list[dict[str, Any]]:
    """Every usage row in [since, until), oldest first, as dicts with a ``source``."""
    rows = [
        {**dict(r), "source": "proxy"}
        for r in conn.execute(
            "SELECT * FROM proxy_requests WHERE time >= ? AND time < ? AND route = ? ORDER BY time",
            (since, until, MESSAGES_ROUTE),
        )
    ]
    proxied = {
        r[0]
        for r in conn.execute(
            "SELECT DISTINCT session_id FROM proxy_requests WHERE session_id IS NOT NULL"
        )
    }
    owners = attribute(conn)
    for r in conn.execute(
        "SELECT * FROM transcript_usage WHERE time >= ? AND time < ? ORDER BY time",
        (since, until),
    ):
        if r["session_id"] in proxied:
            continue
        row = dict(r)
        row.update(
            source="transcript",
            profile=owners.get(row["session_id"], UNATTRIBUTED),
            route="transcript",
            model_requested=row["model"],
            model_served=row["model"],
            status=None,
            error_type=None,
            ttfb_ms=None,
        )
        rows.append(row)
    rows.sort(key=lambda row: float(row["time"]))
    if profile is not None:
        rows = [row for row in rows if row["profile"] == profile]
    return rows


def attribute(conn: sqlite3.Connection) -> dict[str, str]:
    """session id → profile, for every transcript session a launch explains."""
    launches = [dict(r) for r in conn.execute("SELECT * FROM launches ORDER BY started")]
    by_session = {la["session_id"]: la["profile"] for la in launches if la["session_id"]}
    owners: dict[str, str] = {}
    for session, first, cwd in conn.execute(
        "SELECT session_id, min(time), cwd FROM transcript_usage GROUP BY session_id"
    ):
        if session in by_session:
            owners[session] = by_session[session]
            continue
        owner = launch_for(launches, cwd, float(first))
        if owner is not None:
            owners[session] = owner["profile"]
    return owners


def launch_for(
    launches: list[dict[str, Any]], cwd: str | None, when: float
) -> dict[str, Any] | None:
    """The latest launch in ``cwd`` that started before ``when`` and was still running then."""
    best = None
    for launch in launches:
        if launch["cwd"] != cwd or launch["started"] > when + LAUNCH_SLACK:
            continue
        if launch["ended"] is not None and launch["ended"] < when:
            continue
        best = launch
    return best


@dataclass
class Group:
    key: str
    requests: int = 0
    errors: int = 0
    errors_by_kind: dict[str, int] = field(default_factory=dict)
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_input_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_creation_1h_input_tokens: int = 0
    cost: float | None = None
    currencies: set[str] = field(default_factory=set)
    ttfbs: list[float] = field(default_factory=list)

    def add(self, row: Mapping[str, Any], prices: Prices | None) -> None:
        self.requests += 1
        error = row.get("error_type")
        if error:
            self.errors += 1
            self.errors_by_kind[error] = self.errors_by_kind.get(error, 0) + 1
        for name in TOKENS:
            setattr(self, name, getattr(self, name) + (row.get(name) or 0))
        self.cache_creation_1h_input_tokens += row.get("cache_creation_1h_input_tokens") or 0
        if row.get("ttfb_ms") is not None and not error:
            self.ttfbs.append(float(row["ttfb_ms"]))
        if prices is not None:
            cost = prices.cost(**{name: row.get(name) for name in COST_FIELDS})
            self.cost = (self.cost or 0.0) + cost
            self.currencies.add(prices.currency)

    @property
    def cacheable(self) -> int:
        return self.input_tokens + self.cache_read_input_tokens + self.cache_creation_input_tokens

    @property
    def cache_hit_rate(self) -> float | None:
        """Cache reads over all cacheable input (fresh input, reads and writes)."""
        return self.cache_read_input_tokens / self.cacheable if self.cacheable else None

    def ttfb(self, quantile: float) -> float | None:
        if not self.ttfbs:
            return None
        if len(self.ttfbs) == 1:
            return self.ttfbs[0]
        import statistics  # lazily: the status line imports this module, and needs no quantiles

        cuts = statistics.quantiles(self.ttfbs, n=100, method="inclusive")
        return cuts[round(quantile * 100) - 1]

    @property
    def mixed(self) -> bool:
        """Costs in more than one currency: they do not add up."""
        return len(self.currencies) > 1

    @property
    def currency(self) -> str:
        known = self.currencies - {""}
        return next(iter(known)) if len(known) == 1 else ""

    def to_json(self) -> dict[str, Any]:
        """The fields of ``ccwrap stats --json`` (a contract: add, never rename)."""
        p50 = self.ttfb(0.5)
        return {
            "key": self.key,
            "requests": self.requests,
            "errors": self.errors,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cache_read_input_tokens": self.cache_read_input_tokens,
            "cache_creation_input_tokens": self.cache_creation_input_tokens,
            "cost": None if self.cost is None or self.mixed else round(self.cost, 6),
            "ttfb_p50_ms": None if p50 is None else round(p50, 1),
        }


COST_FIELDS = (
    *TOKENS,
    "cache_creation_5m_input_tokens",
    "cache_creation_1h_input_tokens",
)


@dataclass
class Summary:
    groups: list[Group]
    total: Group
    callouts: list[str]
    days: list[Group] = field(default_factory=list)  # one per day, oldest first (the chart)


def key_of(by: str) -> Callable[[Mapping[str, Any]], str]:
    if by == "day":
        return lambda row: datetime.fromtimestamp(float(row["time"])).strftime("%Y-%m-%d")
    if by == "model":
        return lambda row: str(
            row.get("model_served") or row.get("model_mapped") or row.get("model_requested") or "?"
        )
    if by == "session":
        return lambda row: str(row.get("session_id") or NO_SESSION)
    return lambda row: str(row["profile"])


def summarize(
    rows: Iterable[Mapping[str, Any]],
    *,
    by: str,
    prices: Mapping[str, Prices | None],
    previous: Iterable[Mapping[str, Any]] = (),
) -> Summary:
    """Rows grouped by ``by`` (sorted by key), the totals, and what deserves a line of notice."""
    key, day_of = key_of(by), key_of("day")
    groups: dict[str, Group] = {}
    days: dict[str, Group] = {}
    total = Group("total")
    rows = list(rows)
    for row in rows:
        price = prices.get(str(row["profile"]))
        for table, name in ((groups, key(row)), (days, day_of(row))):
            group = table.get(name)
            if group is None:
                group = table[name] = Group(name)
            group.add(row, price)
        total.add(row, price)
    before = Group("previous")
    for row in previous:
        before.add(row, None)
    return Summary(
        [groups[name] for name in sorted(groups)],
        total,
        callouts(rows, total, before),
        [days[name] for name in sorted(days)],
    )


def callouts(rows: list[Mapping[str, Any]], now: Group, before: Group) -> list[str]:
    notes: list[str] = []
    old, new = before.cache_hit_rate, now.cache_hit_rate
    if old is not None and new is not None and old >= COLLAPSE_FLOOR and new < old / 2:
        notes.append(
            f"cache hit rate collapsed: {new:.0%} against {old:.0%} in the previous period"
            " (a changed system prompt, tools or a cache_control that moved; see docs/stats.md)"
        )
    swaps: dict[tuple[str, str, str], int] = {}
    for row in rows:
        asked = row.get("model_mapped") or row.get("model_requested")
        served = row.get("model_served")
        if row.get("source") != "proxy" or not asked or not served:
            continue
        if not same_model(str(asked), str(served)):
            swap = (str(row["profile"]), str(asked), str(served))
            swaps[swap] = swaps.get(swap, 0) + 1
    for (profile, asked, served), count in sorted(swaps.items()):
        notes.append(
            f"profile {profile}: asked for {asked}, the gateway answered as {served}"
            f" ({count} request{'s' if count != 1 else ''})"
        )
    return notes


def same_model(asked: str, served: str) -> bool:
    """A dated variant (``claude-x`` served as ``claude-x-20250101``) is the same model."""
    return served == asked or served.startswith(asked + "-") or asked.startswith(served + "-")


_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_when(text: str, now: float) -> float:
    """``7d``, ``12h``, ``30m``, ``2w`` (that long before ``now``), or a date (local midnight)
    or an ISO date and time; Unix seconds."""
    from ccwrap.errors import UsageError

    value = text.strip()
    if len(value) >= 2 and value[:-1].isdigit() and value[-1].lower() in _UNITS:
        return now - int(value[:-1]) * _UNITS[value[-1].lower()]
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"not a time: {text!r}", hint="use 7d, 24h, 30m, 2w, or a date such as 2026-01-31"
        ) from None
    return parsed.timestamp()


def iso_time(when: float) -> str:
    return datetime.fromtimestamp(when).astimezone().isoformat(timespec="seconds")


def ingest_transcripts(conn: sqlite3.Connection, config_dir: Path) -> int:
    """Read new transcript lines from ``config_dir`` and every config folder a launch used."""
    from ccwrap.ledger.transcripts import ingest, transcript_files

    folders = {config_dir}
    for (folder,) in conn.execute("SELECT DISTINCT claude_config_dir FROM launches"):
        folders.add(Path(folder))
    return sum(ingest(conn, transcript_files(folder)) for folder in sorted(folders))
