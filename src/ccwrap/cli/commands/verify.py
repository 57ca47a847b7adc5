"""``ccwrap verify``: a small paid test suite on a profile; exit 0 unless a check failed."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Optional

import typer

from ccwrap.cli.common import JsonOption, Services, complete_profile, info, print_json
from ccwrap.errors import UsageError

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Mapping

    from ccwrap.context import Context
    from ccwrap.ledger.prices import Prices
    from ccwrap.verify.history import History
    from ccwrap.verify.model import CheckResult, Run
    from ccwrap.verify.runner import Options, Prepared
    from ccwrap.verify.target import Target

SYMBOLS = {"pass": "✓", "warn": "!", "fail": "✗", "inconclusive": "?", "skip": "–"}
NO_PRICES = "no cost shown: the profile has no prices (profile edit NAME --price-input …)"


def register(app: typer.Typer) -> None:
    app.command("verify")(verify)


def verify(
    profile: Optional[str] = typer.Argument(  # noqa: UP045 -- Typer reads the annotation
        None,
        metavar="PROFILE",
        help="The profile (default: $CCWRAP_PROFILE, then the default).",
        autocompletion=complete_profile,
    ),
    *,
    model: Optional[str] = typer.Option(None, "--model", help="Verify this model instead."),  # noqa: UP045
    json_output: bool = JsonOption,
    yes: bool = typer.Option(False, "--yes", "-y", help="Spend without asking."),
    only: Optional[str] = typer.Option(  # noqa: UP045
        None, "--only", metavar="ID,…", help="Run only these checks (ids as listed)."
    ),
    repeat: int = typer.Option(3, "--repeat", min=1, max=20, help="Basic prompts for latency."),
    deep: bool = typer.Option(False, "--deep", help="Add the costly checks (long context)."),
    timeout: float = typer.Option(60.0, "--timeout", min=0.1, help="Seconds per request."),
    history: bool = typer.Option(False, "--history", help="List earlier runs (of PROFILE)."),
    compare: Optional[tuple[str, str]] = typer.Option(  # noqa: UP045
        None, "--compare", metavar="A B", help="Run the suite on two profiles, side by side."
    ),
) -> None:
    """Check what a gateway really does: model, billing, caching, streaming, tools, context.

    Spends a few cents of the profile's balance: the plan is shown first and asked about.
    """
    services = Services.from_os()
    if history:
        if compare:
            raise UsageError("give --history or --compare, not both")
        _history(services, profile, json_output)
        return
    if compare and profile:
        raise UsageError("give PROFILE or --compare A B, not both")
    from ccwrap.profiles.store import resolve
    from ccwrap.verify import runner
    from ccwrap.verify.checks import parse_only
    from ccwrap.verify.target import target_of

    options = runner.Options(parse_only(only), repeat, deep, timeout)
    names: list[str | None] = list(compare) if compare else [profile]
    targets = [
        target_of(
            resolve(services.store, name, services.ctx.environ, services.ctx.cwd, force=True),
            services.secrets,
            model,
        )
        for name in names
    ]
    prepared = [runner.prepare(services.ctx, t, options) for t in targets]
    _ask(targets, prepared, yes)  # a refusal changes no file
    conn = _ledger(services)  # before spending: a ledger that cannot be written stops here
    try:
        runs = _run_all(services.ctx, conn, targets, prepared, options)
    finally:
        conn.close()
    if json_output:
        data = (
            runs[0].to_json()
            if len(runs) == 1
            else {"version": 1, "runs": [r.to_json() for r in runs]}
        )
        print_json(data)
    else:
        prices = {t.profile: t.prices for t in targets}
        sys.stdout.write(
            render(runs[0], prices) if len(runs) == 1 else render_compare(runs, prices)
        )
    raise typer.Exit(0 if all(r.ok for r in runs) else 1)


def _ledger(services: Services) -> sqlite3.Connection:
    from ccwrap.ledger.database import open_ledger

    return open_ledger(services.ctx.paths)


def _run_all(
    ctx: Context,
    conn: sqlite3.Connection,
    targets: list[Target],
    prepared: list[Prepared],
    options: Options,
) -> list[Run]:
    from ccwrap.verify import history, runner

    runs = []
    for target, plan in zip(targets, prepared, strict=True):
        run = runner.new_run(target, plan)
        runs.append(run)
        try:
            runner.execute(ctx, run, plan, target=target, options=options)
        finally:  # Ctrl-C too: what ran is kept
            history.save(conn, history.mark_changes(conn, run))
            if run.interrupted:
                done = sum(c.status != "skip" for c in run.checks)
                info(f"verify: interrupted; {done} checks that ran are saved (--history)")
    return runs


def _ask(targets: list[Target], prepared: list[Prepared], yes: bool) -> None:
    for target, plan in zip(targets, prepared, strict=True):
        info(plan_text(target, plan))
    if yes:
        return
    if not sys.stdin.isatty():
        raise UsageError(
            "verify spends tokens on the gateway and there is no terminal to ask",
            hint="add --yes to accept the plan above",
        )
    if not typer.confirm("Send these requests?", default=False, err=True):
        raise typer.Exit(1)


def plan_text(target: Target, plan: Prepared) -> str:
    from ccwrap.text import escape_control

    spend = plan.budget
    labels = ", ".join(
        dict.fromkeys(p.label.rstrip("0123456789 ") or p.label for p in plan.planned)
    )
    return (
        f"verify {target.profile}: {escape_control(target.base_url)}, "
        f"model {escape_control(target.model)} ({escape_control(target.model_source)})\n"
        f"  {spend.requests} request{'s' if spend.requests != 1 else ''} ({labels})\n"
        f"  at most {spend.input_tokens:,} input and {spend.output_tokens:,} output tokens "
        f"({_cost_bound(target.prices, spend.input_tokens, spend.output_tokens)})"
    )


def _cost_bound(prices: Prices | None, input_tokens: int, output_tokens: int) -> str:
    """At most: every input token at the dearest input rate (a cache write may cost more)."""
    from ccwrap.ledger.prices import format_cost

    if prices is None:
        return NO_PRICES
    dearest = max(prices.input, prices.cache_write_5m, prices.cache_write_1h, prices.cache_read)
    bound = prices.cost(
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cache_read_input_tokens=0,
        cache_creation_input_tokens=0,
    )
    bound += input_tokens * (dearest - prices.input) / 1_000_000
    return f"at most {format_cost(bound, prices.currency)}"


def _line(result: CheckResult) -> list[str]:
    line = f"{SYMBOLS[result.status]} {result.id.ljust(17)} {result.title}"
    if result.status in ("pass", "skip", "inconclusive"):
        return [f"{line}: {result.line()}" if result.detail else line]
    lines = [line, f"    {result.detail}"]
    if result.fix:
        lines.append(f"    fix: {result.fix}")
    if result.changed_since:
        lines.append(f"    changed since {result.changed_since}")
    return lines


def spent_text(run: Run, prices: Prices | None = None) -> str:
    from ccwrap.ledger.prices import format_cost

    s = run.spent
    cost = NO_PRICES
    if prices is not None:
        # Cache writes without the 5m/1h split are priced as 5m (the cheaper: not an upper bound).
        figure = prices.cost(
            input_tokens=s.input_tokens,
            output_tokens=s.output_tokens,
            cache_read_input_tokens=s.cache_read_input_tokens,
            cache_creation_input_tokens=s.cache_creation_input_tokens,
        )
        cost = f"cost {format_cost(figure, prices.currency)} at the profile's prices"
    return (
        f"spent: {s.requests} requests, {s.input_tokens:,} input, {s.output_tokens:,} output, "
        f"{s.cache_read_input_tokens:,} cache-read, {s.cache_creation_input_tokens:,} cache-write "
        f"tokens ({cost})"
    )


def render(run: Run, prices: Mapping[str, Prices | None] | None = None) -> str:
    from ccwrap.text import escape_control as esc
    from ccwrap.verify.model import SIGNALS

    lines = [f"verify {run.profile}: {esc(run.base_url)}, model {esc(run.model)}"]
    for result in run.ordered():
        lines += _line(result)
    counts = {s: sum(c.status == s for c in run.checks) for s in SYMBOLS}
    summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    spent = spent_text(run, (prices or {}).get(run.profile))
    lines += [summary + (" (interrupted)" if run.interrupted else ""), spent, SIGNALS]
    return "\n".join(lines) + "\n"


def render_compare(runs: list[Run], prices: Mapping[str, Prices | None] | None = None) -> str:
    from ccwrap.verify.model import CHECK_IDS, SIGNALS

    width = 44
    left, right = ({c.id: c for c in r.checks} for r in runs)
    lines = [f"{'':19}{runs[0].profile[:width]:<{width + 2}}  {runs[1].profile[:width]}"]
    for check_id in CHECK_IDS:
        if check_id not in left and check_id not in right:
            continue
        cells = []
        for side in (left, right):
            result = side.get(check_id)
            text = f"{SYMBOLS[result.status]} {result.detail}" if result else "  (not run)"
            cells.append(text[: width + 2].ljust(width + 2))
        lines.append(f"{check_id.ljust(19)}{cells[0]}  {cells[1].rstrip()}")
    lines += [
        spent_text(r, (prices or {}).get(r.profile)).replace("spent:", f"spent on {r.profile}:")
        for r in runs
    ]
    lines.append(SIGNALS)
    return "\n".join(lines) + "\n"


def _history(services: Services, profile: str | None, json_output: bool) -> None:
    from ccwrap.verify import history

    conn = _ledger(services)
    try:
        found = history.history(conn, profile)
    finally:
        conn.close()
    if json_output:
        print_json(found.to_json())
    else:
        sys.stdout.write(render_history(found))


def render_history(found: History) -> str:
    from ccwrap.text import escape_control
    from ccwrap.verify.history import shown_date

    if not found.runs:
        return "no verify runs yet\n"
    lines = []
    for run in found.runs:
        counts = {s: sum(c.status == s for c in run.checks) for s in SYMBOLS}
        summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
        mark = "✓" if run.ok else "✗"
        lines.append(
            f"{mark} #{run.id} {shown_date(run.started_at)}  {run.profile}  "
            f"{escape_control(run.model)}  {summary}"
            + ("  (interrupted)" if run.interrupted else "")
        )
        for result in run.ordered():
            if result.changed_since:
                lines.append(
                    f"    {SYMBOLS[result.status]} {result.id} changed since "
                    f"{result.changed_since}: {result.detail}"
                )
    return "\n".join(lines) + "\n"
