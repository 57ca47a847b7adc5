"""``ccwrap key NAME``: the profile's key on stdout, for Claude Code's apiKeyHelper."""

from __future__ import annotations

import sys

import typer

from ccwrap.cli.common import Services, complete_profile
from ccwrap.errors import UsageError


def register(app: typer.Typer) -> None:
    app.command("key")(key)


def key(
    name: str = typer.Argument(..., help="Profile name.", autocompletion=complete_profile),
    reveal: bool = typer.Option(
        False, "--reveal", help="Print the key even when stdout is a terminal."
    ),
) -> None:
    """Print a profile's key on stdout, and nothing else (for apiKeyHelper)."""
    if sys.stdout.isatty() and not reveal:
        raise UsageError(
            "refusing to print a key to a terminal",
            hint=f"ccwrap key {name} is meant for apiKeyHelper; add --reveal to see it",
        )
    services = Services.from_os()
    profile = services.store.get(name)
    secret = services.secrets.read(profile.name, profile.key)
    sys.stdout.write(secret)
    sys.stdout.flush()
