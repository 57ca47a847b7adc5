"""``ccwrap stats``: what each gateway cost and how well it cached, from the usage ledger."""

from __future__ import annotations

import sys
import time
from enum import Enum
from typing import TYPE_CHECKING

import typer

from ccwrap.cli.common import JsonOption, ProfileOption, Services, info, print_json

if TYPE_CHECKING:
    import sqlite3

    from rich.console import Console

    from ccwrap.ledger.prices import Prices
    from ccwrap.ledger.stats import Group, Summary

DEFAULT_SINCE = "7d"
CHART_DAYS = 7
BAR_WIDTH = 24


class ByChoice(str, Enum):
    day = "day"
    profile = "profile"
    model = "model"
    session = "session"


class ExportChoice(str, Enum):
    csv = "csv"


ByOption = typer.Option(
    ByChoice.profile, "--by", help="One row per day, profile, model or session."
)
ExportOption = typer.Option(None, "--export", help="Every usage row since --since on stdout (csv).")


def register(app: typer.Typer) -> None:
    app.command("stats")(stats)


def stats(  # noqa: PLR0917 -- Typer maps parameters to options
    profile: str | None = ProfileOption,
    since: str = typer.Option(
        DEFAULT_SINCE, "--since", help="Start: 7d, 24h, 2w, or a date (2026-01-31)."
    ),
    by: ByChoice = ByOption,
    json_output: bool = JsonOption,
    prune: str | None = typer.Option(
        None, "--prune", metavar="BEFORE", help="Delete rows older than BEFORE (30d, a date)."
    ),
    export: ExportChoice | None = ExportOption,
) -> None:
    """Requests, errors, tokens, cache hit rate, cost and TTFB, from the usage ledger.

    The proxy records every request it forwards; sessions run without it are read from Claude
    Code's transcripts and counted for the profile whose `ccwrap run` started them. Cost is at
    the profile's own prices (set with `profile edit --price-…`); no text is ever stored.
    """
    from ccwrap.ledger.database import ledger_path, open_ledger
    from ccwrap.ledger.stats import ingest_transcripts, parse_when

    services = Services.from_os()
    now = time.time()
    conn = open_ledger(services.ctx.paths)
    try:
        if prune is not None:
            _prune(conn, parse_when(prune, now))
            return
        start = parse_when(since, now)
        ingest_transcripts(conn, services.ctx.claude_config_dir)
        if export is not None:
            _export(conn, start, now, profile)
            return
        summary = _summary(services, conn, start=start, now=now, profile=profile, by=by.value)
    finally:
        conn.close()
    if json_output:
        print_json(to_json(summary, start))
        return
    if not summary.total.requests:
        info(f"no usage recorded since {_date(start)} (ledger: {ledger_path(services.ctx.paths)})")
        return
    render(summary, by.value, start)


def _summary(
    services: Services,
    conn: sqlite3.Connection,
    *,
    start: float,
    now: float,
    profile: str | None,
    by: str,
) -> Summary:
    from ccwrap.ledger.stats import summarize, usage_rows

    rows = usage_rows(conn, since=start, until=now, profile=profile)
    previous = usage_rows(conn, since=start - (now - start), until=start, profile=profile)
    return summarize(rows, by=by, prices=_prices(services), previous=previous)


def _prices(services: Services) -> dict[str, Prices | None]:
    from ccwrap.errors import CcwrapError
    from ccwrap.ledger.prices import Prices

    try:
        profiles = services.store.load().profiles
    except CcwrapError:
        return {}
    return {name: Prices.of(p) for name, p in profiles.items()}


def _prune(conn: sqlite3.Connection, before: float) -> None:
    from ccwrap.ledger.retention import prune_before

    counts = prune_before(conn, before)
    conn.execute("VACUUM")
    info(
        f"pruned before {_date(before)}: {counts['proxy_requests']} proxy request(s), "
        f"{counts['transcript_usage']} transcript message(s), {counts['launches']} launch(es)"
    )


def _export(conn: sqlite3.Connection, start: float, now: float, profile: str | None) -> None:
    from ccwrap.ledger.retention import export_csv
    from ccwrap.ledger.stats import usage_rows

    export_csv(usage_rows(conn, since=start, until=now, profile=profile), sys.stdout)


def to_json(summary: Summary, start: float) -> dict[str, object]:
    from ccwrap.ledger.stats import iso_time

    return {
        "version": 1,
        "since": iso_time(start),
        "rows": [group.to_json() for group in summary.groups],
        "totals": summary.total.to_json(),
    }


def _date(when: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(when))


# -- the screen -----------------------------------------------------------------------------------
def render(summary: Summary, by: str, start: float) -> None:
    from rich.table import Table

    from ccwrap.cli.common import stdout_console

    console = stdout_console()
    table = Table(
        title=f"usage since {_date(start)} (ttfb: p50/p95)",
        title_justify="left",
        box=None,
        pad_edge=False,
    )
    for name in (by, "req", "err", "in", "out", "c.read", "c.write", "hit", "cost", "ttfb ms"):
        table.add_column(name, justify="left" if name == by else "right", no_wrap=True)
    for group in summary.groups:
        table.add_row(*_cells(group))
    if len(summary.groups) > 1:
        table.add_row(*_cells(summary.total), style="bold")
    console.print(table)
    kinds = summary.total.errors_by_kind
    if kinds:
        console.print(
            "errors: " + ", ".join(f"{kind} {n}" for kind, n in sorted(kinds.items())),
            markup=False,
        )
    _chart(console, summary)
    for note in summary.callouts:
        console.print(f"! {note}", style="yellow", markup=False)


def _cells(group: Group) -> list[str]:
    from ccwrap.ledger.prices import format_cost

    rate = group.cache_hit_rate
    p50, p95 = group.ttfb(0.5), group.ttfb(0.95)
    return [
        group.key,
        str(group.requests),
        str(group.errors),
        _tokens(group.input_tokens),
        _tokens(group.output_tokens),
        _tokens(group.cache_read_input_tokens),
        _tokens(group.cache_creation_input_tokens),
        "—" if rate is None else f"{rate:.0%}",
        "mixed" if group.mixed else format_cost(group.cost, group.currency),
        "—" if p50 is None or p95 is None else f"{p50:.0f}/{p95:.0f}",
    ]


def _tokens(count: int) -> str:
    if count >= 10_000_000:
        return f"{count / 1_000_000:.0f}M"
    if count >= 1_000_000:
        return f"{count / 1_000_000:.1f}M"
    if count >= 10_000:
        return f"{count / 1000:.0f}k"
    return str(count)


def _chart(console: Console, summary: Summary) -> None:
    """The last days as bars: cost when priced, else tokens in and out."""
    from rich.text import Text

    from ccwrap.ledger.prices import format_cost

    days = summary.days[-CHART_DAYS:]
    if len(days) < 2:
        return
    priced = any(day.cost is not None for day in days) and not summary.total.mixed

    def value(day: Group) -> float:
        return (day.cost or 0.0) if priced else float(day.cacheable + day.output_tokens)

    top = max(value(day) for day in days) or 1.0
    console.print(f"last {len(days)} days ({'cost' if priced else 'tokens'}):")
    for day in days:
        filled = value(day) / top * BAR_WIDTH
        bar = "█" * int(filled) + ("▌" if filled - int(filled) >= 0.5 else "")
        label = format_cost(day.cost, day.currency) if priced else _tokens(int(value(day)))
        line = Text(f"  {day.key[5:]} ")
        line.append(bar.ljust(BAR_WIDTH), style="cyan")
        line.append(f" {label}")
        console.print(line)
