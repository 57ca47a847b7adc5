"""``ccwrap doctor``: diagnose a gateway setup; exit 0 when nothing failed, 1 otherwise."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import typer

from ccwrap.cli.common import JsonOption, Services, complete_profile, info, print_json
from ccwrap.errors import UsageError

if TYPE_CHECKING:
    from ccwrap.doctor.model import Report

SYMBOLS = {"ok": "✓", "warn": "!", "fail": "✗", "skip": "–"}


def register(app: typer.Typer) -> None:
    app.command("doctor")(doctor)


def doctor(
    *,
    profile: str | None = typer.Option(
        None, "--profile", "-p", help="Examine this profile.", autocompletion=complete_profile
    ),
    url: str | None = typer.Option(None, "--url", help="Examine this base URL."),
    json_output: bool = JsonOption,
    offline: bool = typer.Option(False, "--offline", help="Only the checks without network."),
    live: bool = typer.Option(
        False, "--live", help="Also send one real message (max_tokens 1; spends a token)."
    ),
    timeout: float = typer.Option(
        10.0, "--timeout", min=0.1, metavar="SECONDS", help="Seconds per probe."
    ),
    explain_text: str | None = typer.Option(
        None, "--explain", metavar="TEXT", help="Explain a message claude printed."
    ),
    key_stdin: bool = typer.Option(
        False, "--key-stdin", help="Read the key for --url from standard input."
    ),
) -> None:
    """Find out why a gateway setup does not work, and how to fix it.

    Without --profile or --url: what claude would use here (settings files, then environment).
    """
    if explain_text is not None:
        from ccwrap.doctor.explain import explain_report

        report = explain_report(explain_text)
    else:
        from ccwrap.doctor import runner

        if key_stdin and not url:
            raise UsageError("--key-stdin goes with --url", hint="a profile reads its own key")
        options = runner.Options(
            profile=profile,
            url=url,
            key=_read_key() if key_stdin else None,
            offline=offline,
            live=live,
            timeout=timeout,
        )
        services = Services.from_os()
        target = runner.choose(services.ctx, services.store, services.secrets, options)
        if live and not offline:  # stderr: --json output stays clean
            from ccwrap.doctor.live import SPENDS

            info(SPENDS)
        report = runner.run(services.ctx, target, options)
    if json_output:
        print_json(report.to_json())
    else:
        sys.stdout.write(render(report))
    raise typer.Exit(0 if report.ok else 1)


def _read_key() -> str:
    """The key from standard input; at a terminal, a hidden prompt instead of echoed typing."""
    if sys.stdin.isatty():
        return str(typer.prompt("Key", hide_input=True, err=True)).strip()
    return sys.stdin.read().strip()


def render(report: Report) -> str:
    lines = []
    if report.origin:
        lines.append(f"doctor: {report.base_url or 'no gateway'} ({report.origin})")
    width = max((len(c.id) for c in report.checks), default=0)
    for check in report.checks:
        line = f"{SYMBOLS[check.status]} {check.id.ljust(width)}  {check.title}"
        if check.detail and check.status == "ok":
            line += f": {check.detail}"
        elif check.detail and check.status == "skip":
            line += f" ({check.detail})"
        lines.append(line.rstrip())
        if check.status in ("fail", "warn"):
            if check.detail:
                lines.append(f"    {check.detail}")
            if check.fix:
                lines.append(f"    fix: {check.fix}")
    failed = sum(c.status == "fail" for c in report.checks)
    warned = sum(c.status == "warn" for c in report.checks)
    lines.append("all good" if not failed and not warned else f"{failed} failed, {warned} warnings")
    return "\n".join(lines) + "\n"
