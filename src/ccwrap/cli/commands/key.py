"""``ccwrap key NAME``: the profile's key on stdout, for Claude Code's apiKeyHelper.

Typer is imported only in :func:`register`: ``ccwrap key NAME`` runs at every apiKeyHelper
refresh: ``cli.fast_route`` calls :func:`parse_fast` without Typer, the Typer command builds the
same :class:`KeyRequest`, and :func:`execute` runs it.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ccwrap.context import Context
from ccwrap.errors import UsageError

if TYPE_CHECKING:
    import typer


@dataclass(frozen=True)
class KeyRequest:
    name: str
    reveal: bool = False


# What the fast route parses; anything else (help, a typo, completion) is Typer's.
FAST_OPTIONS = ("--reveal",)


def parse_fast(args: Sequence[str]) -> KeyRequest | None:
    """``NAME`` and an optional ``--reveal``, in any order; else None (Typer answers)."""
    rest = [a for a in args if a not in FAST_OPTIONS]
    if len(rest) != 1 or rest[0].startswith("-"):
        return None
    return KeyRequest(rest[0], reveal="--reveal" in args)


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
        raise typer.Exit(execute(KeyRequest(name, reveal)))

    app.command("key")(key)


def execute(request: KeyRequest) -> int:
    """Print a profile's key on stdout and nothing else (for apiKeyHelper)."""
    name, reveal = request.name, request.reveal
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
    return 0
