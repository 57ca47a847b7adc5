"""``ccwrap key NAME``: the profile's key on stdout, for Claude Code's apiKeyHelper.

Its plain form is parsed by ``cli.hot`` without Typer (it runs at every apiKeyHelper refresh);
this Typer command serves ``--help`` and completion and runs the same code.
"""

from __future__ import annotations

import typer

from ccwrap.cli import hot
from ccwrap.cli.common import complete_profile


def register(app: typer.Typer) -> None:
    app.command("key")(key)


def key(
    name: str = typer.Argument(..., help="Profile name.", autocompletion=complete_profile),
    reveal: bool = typer.Option(
        False, "--reveal", help="Print the key even when stdout is a terminal."
    ),
) -> None:
    """Print a profile's key on stdout, and nothing else (for apiKeyHelper)."""
    hot.key(name, reveal)
