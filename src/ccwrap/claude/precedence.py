"""The effective configuration: what Claude Code would use in this folder, and from where.

For every variable set by a settings file (managed, ``--settings``, local, project, user) or
exported in the shell (the ones Claude Code reads), which source wins and which are shadowed;
plus ``apiKeyHelper``. Secrets are masked. ``settings show`` prints it; doctor reuses it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ccwrap.claude.env import MANAGED_VARIABLES, SECRET_VARIABLES
from ccwrap.claude.settings_files import (
    Origin,
    SettingsFile,
    discover,
    effective_env,
    effective_value,
    load_cli_settings,
)
from ccwrap.context import Context
from ccwrap.keys.sources import mask

# Shell variables worth showing: the ones Claude Code (or its HTTP stack) reads.
SHELL_PREFIXES = ("ANTHROPIC_", "CLAUDE_", "DISABLE_", "ENABLE_", "MAX_THINKING", "BASH_", "MCP_")
SHELL_NAMES = frozenset(
    {"API_TIMEOUT_MS", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "NODE_EXTRA_CA_CERTS"}
)


def shown(variable: str, value: str) -> str:
    """A value as shown: secrets masked, control characters escaped (a checkout's file may hold
    terminal escapes)."""
    from ccwrap.text import escape_control

    return mask(value) if variable in SECRET_VARIABLES and value else escape_control(value)


@dataclass
class Source:
    source: str
    path: Path | None
    value: str

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "path": str(self.path) if self.path else None,
            "value": self.value,
        }


@dataclass
class Setting:
    name: str
    winner: Source
    shadowed: list[Source] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            **self.winner.to_json(),
            "shadowed": [s.to_json() for s in self.shadowed],
        }


@dataclass
class EffectiveView:
    files: list[SettingsFile]
    variables: list[Setting]
    api_key_helper: Setting | None

    def to_json(self) -> dict[str, Any]:
        return {
            "version": 1,
            "files": [
                {
                    "scope": f.scope,
                    "path": str(f.path),
                    "exists": f.exists,
                    "error": f.error.message if f.error else None,
                }
                for f in self.files
            ],
            "variables": [v.to_json() for v in self.variables],
            "apiKeyHelper": self.api_key_helper.to_json() if self.api_key_helper else None,
        }


def _source(variable: str, origin: Origin) -> Source:
    return Source(origin.source, origin.path, shown(variable, origin.value))


def _relevant(variable: str, from_file: bool) -> bool:
    if from_file:
        return True
    return (
        variable.startswith(SHELL_PREFIXES)
        or variable in SHELL_NAMES
        or variable in MANAGED_VARIABLES
    )


def effective_view(ctx: Context, cli_settings: str | None = None) -> EffectiveView:
    files = discover(ctx)
    cli = load_cli_settings(ctx, cli_settings) if cli_settings else None
    all_files = [*files, *([cli] if cli else [])]
    resolutions = effective_env(ctx, files, cli)
    variables = []
    for name in sorted(resolutions):
        resolution = resolutions[name]
        from_file = resolution.winner.path is not None or any(
            o.path is not None for o in resolution.shadowed
        )
        if not _relevant(name, from_file):
            continue
        variables.append(
            Setting(
                shown("", name),  # a name from a checkout's file is foreign text too
                _source(name, resolution.winner),
                [_source(name, o) for o in resolution.shadowed],
            )
        )
    helpers = effective_value(all_files, "apiKeyHelper")
    helper = None
    if helpers:
        first, *rest = (_source("apiKeyHelper", o) for o in helpers)
        helper = Setting("apiKeyHelper", first, rest)
    ordered = sorted(
        all_files, key=lambda f: ("managed", "cli", "local", "project", "user").index(f.scope)
    )
    return EffectiveView(ordered, variables, helper)
