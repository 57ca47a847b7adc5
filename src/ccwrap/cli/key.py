"""``ccwrap key NAME``: the profile's key on stdout, for Claude Code's apiKeyHelper."""

from __future__ import annotations

import typer

from ccwrap.cli.common import complete_profile
from ccwrap.cli.hot import print_key


def register(app: typer.Typer) -> None:
    app.command("key")(key)


def key(
    name: str = typer.Argument(..., help="Profile name.", autocompletion=complete_profile),
    reveal: bool = typer.Option(
        False, "--reveal", help="Print the key even when stdout is a terminal."
    ),
) -> None:
    """Print a profile's key on stdout, and nothing else (for apiKeyHelper)."""
    # `ccwrap key NAME` usually arrives through cli.hot without Typer; both share print_key.
    print_key(name, reveal=reveal)
