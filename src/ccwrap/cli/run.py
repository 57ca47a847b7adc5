"""``ccwrap run``: launch claude on a profile (see ccwrap.launch for how the profile wins).

Its plain forms never get here: ``cli.hot`` parses them without Typer. This Typer command serves
the rest (``--help``, arguments without ``--``, completion) and runs the same code.
"""

from __future__ import annotations

import typer

from ccwrap.cli import hot
from ccwrap.cli.common import JsonOption, ProfileOption

ClaudeArgs = typer.Argument(
    None, metavar="[-- CLAUDE_ARGS...]", help="Arguments for claude, after -- (passed unchanged)."
)


def register(app: typer.Typer) -> None:
    app.command("run")(run)


def run(
    profile: str | None = ProfileOption,
    proxy: bool | None = typer.Option(
        None,
        "--proxy/--no-proxy",
        help="Run claude behind the loopback proxy (default: the profile's proxy setting).",
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Print the command and environment instead of running claude."
    ),
    json_output: bool = JsonOption,
    claude_args: list[str] | None = ClaudeArgs,
) -> None:
    """Launch Claude Code on a profile; claude's exit code is ccwrap's."""
    raise typer.Exit(hot.run(profile, proxy, dry_run, json_output, claude_args or []))
