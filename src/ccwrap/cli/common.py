"""What every command needs: the injected world, output helpers, shared options."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import typer

from ccwrap.context import Context
from ccwrap.keys.sources import SecretStore
from ccwrap.profiles.store import ProfileStore

if TYPE_CHECKING:
    from rich.console import Console


@dataclass
class Services:
    """Built once per command from the real environment; tests steer it through os.environ."""

    ctx: Context

    @classmethod
    def from_os(cls) -> Services:
        return cls(Context.from_os())

    @cached_property
    def store(self) -> ProfileStore:
        return ProfileStore(self.ctx.paths.config_file)

    @cached_property
    def secrets(self) -> SecretStore:
        return SecretStore(self.ctx)


def stdout_console() -> Console:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


def stderr_console() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def warn(message: str) -> None:
    sys.stderr.write(f"ccwrap: warning: {message}\n")


def info(message: str) -> None:
    """Progress and notes go to stderr so stdout stays clean for scripts and $(…)."""
    sys.stderr.write(f"{message}\n")


def complete_profile(incomplete: str) -> list[str]:
    """Profile names for shell completion; must stay fast and never fail."""
    try:
        names = Services.from_os().store.names()
    except Exception:  # a broken config must not break the user's TAB key
        return []
    return [name for name in names if name.startswith(incomplete)]


ProfileOption = typer.Option(
    None,
    "--profile",
    "-p",
    help="Profile to use (default: $CCWRAP_PROFILE, then the default).",
    autocompletion=complete_profile,
)
JsonOption = typer.Option(False, "--json", help="Print JSON instead of text.")
