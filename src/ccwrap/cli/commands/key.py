"""``ccwrap key NAME``: the profile's key on stdout, for Claude Code's apiKeyHelper.

Typer is imported only in :func:`register`: ``ccwrap key NAME`` runs at every apiKeyHelper
refresh and reaches :func:`print_key` through ``cli.hot`` without it.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from ccwrap.context import Context
from ccwrap.errors import UsageError

if TYPE_CHECKING:
    import typer


def register(app: typer.Typer) -> None:
    import typer

    from ccwrap.cli.common import complete_profile

    def key(
        name: str = typer.Argument(..., help="Profile name.", autocompletion=complete_profile),
        reveal: bool = typer.Option(
            False, "--reveal", help="Print the key even when stdout is a terminal."
        ),
    ) -> None:
        """Print a profile's key on stdout, and nothing else (for apiKeyHelper)."""
        print_key(name, reveal)

    app.command("key")(key)


def print_key(name: str, reveal: bool) -> None:
    """Print a profile's key on stdout and nothing else (for apiKeyHelper)."""
    if sys.stdout.isatty() and not reveal:
        raise UsageError(
            "refusing to print a key to a terminal",
            hint=f"ccwrap key {name} is meant for apiKeyHelper; add --reveal to see it",
        )
    from ccwrap.keys.sources import SecretStore
    from ccwrap.profiles.store import ProfileStore

    ctx = Context.from_os()
    profile = ProfileStore(ctx.paths.config_file).get(name)
    secret = SecretStore(ctx).read(profile.name, profile.key)
    sys.stdout.write(secret)
    sys.stdout.flush()
