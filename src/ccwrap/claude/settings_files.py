"""Reading Claude Code's settings files, and who wins for each variable.

Precedence, highest first (docs/client-facts.md): managed → command-line ``--settings`` → local
``.claude/settings.local.json`` → project ``.claude/settings.json`` → user
``~/.claude/settings.json`` (or ``$CLAUDE_CONFIG_DIR/settings.json``) → the process environment.
The write side (``settings apply``/``clear``/``restore``) is ``settings_writer.py``; the
effective view (``settings show``) is ``settings_view.py``.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ccwrap.context import Context
from ccwrap.errors import SettingsError
from ccwrap.fsutil import read_small_text

Scope = Literal["managed", "cli", "local", "project", "user"]
FILE_SCOPES: tuple[Scope, ...] = ("managed", "local", "project", "user")
PRECEDENCE: tuple[str, ...] = ("managed", "cli", "local", "project", "user", "environment")


def managed_settings_path(platform: str = sys.platform) -> Path:
    if platform == "darwin":
        return Path("/Library/Application Support/ClaudeCode/managed-settings.json")
    if platform.startswith("win"):
        return Path("C:/Program Files/ClaudeCode/managed-settings.json")
    return Path("/etc/claude-code/managed-settings.json")


def scope_path(ctx: Context, scope: Scope) -> Path:
    if scope == "managed":
        override = ctx.environ.get("CCWRAP_MANAGED_SETTINGS")  # tests; a machine may move it too
        return Path(override) if override else managed_settings_path()
    if scope == "user":
        return ctx.claude_config_dir / "settings.json"
    if scope == "project":
        return ctx.cwd / ".claude" / "settings.json"
    if scope == "local":
        return ctx.cwd / ".claude" / "settings.local.json"
    raise ValueError(f"scope {scope!r} has no file")


def parse_settings(text: str, path: Path) -> dict[str, Any]:
    """Parse a settings document; invalid JSON names the file, line and column."""
    from ccwrap.text import JSONBoundsError, loads_bounded

    try:
        data = loads_bounded(text) if text.strip() else {}
    except json.JSONDecodeError as exc:
        raise SettingsError(
            f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
            hint="fix the file by hand; ccwrap leaves a file it cannot parse untouched",
        ) from exc
    except JSONBoundsError as exc:
        raise SettingsError(f"{path} cannot be read: {exc}", hint="fix the file by hand") from exc
    if not isinstance(data, dict):
        raise SettingsError(f"{path} does not hold a JSON object", hint="settings are an object")
    return data


def read_settings(path: Path) -> dict[str, Any] | None:
    """The parsed file, or None when it does not exist (a small regular file only: a checkout's
    settings may be a FIFO, ``/dev/zero`` or a symlink loop)."""
    try:
        text = read_small_text(path)
    except OSError as exc:
        raise SettingsError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return None if text is None else parse_settings(text, path)


@dataclass
class SettingsFile:
    scope: Scope
    path: Path
    data: dict[str, Any] | None = None  # None: missing or unreadable
    error: SettingsError | None = None

    @property
    def exists(self) -> bool:
        return self.data is not None or self.error is not None

    @property
    def env(self) -> dict[str, str]:
        block = (self.data or {}).get("env")
        if not isinstance(block, dict):
            return {}
        return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in block.items()}


def load_scope(ctx: Context, scope: Scope) -> SettingsFile:
    path = scope_path(ctx, scope)
    try:
        return SettingsFile(scope, path, read_settings(path))
    except SettingsError as exc:
        return SettingsFile(scope, path, error=exc)


def discover(ctx: Context) -> list[SettingsFile]:
    """Every settings file Claude Code would read in ``ctx.cwd``, highest precedence first."""
    return [load_scope(ctx, scope) for scope in FILE_SCOPES]


@dataclass
class Origin:
    source: str  # "managed", "cli", "local", "project", "user" or "environment"
    value: str
    path: Path | None = None

    def describe(self) -> str:
        return "shell environment" if self.path is None else f"{self.source} settings ({self.path})"


@dataclass
class Resolution:
    variable: str
    winner: Origin
    shadowed: list[Origin] = field(default_factory=list)


def effective_env(
    ctx: Context, files: list[SettingsFile], cli: SettingsFile | None = None
) -> dict[str, Resolution]:
    """For each variable set anywhere, which source Claude Code would take and which lose."""
    layers: list[tuple[str, Path | None, dict[str, str]]] = []
    ordered = sorted([*files, *([cli] if cli else [])], key=lambda f: PRECEDENCE.index(f.scope))
    for settings_file in ordered:
        layers.append((settings_file.scope, settings_file.path, settings_file.env))
    layers.append(("environment", None, dict(ctx.environ)))
    resolutions: dict[str, Resolution] = {}
    for source, path, env in layers:
        for variable, value in env.items():
            origin = Origin(source, value, path)
            if variable in resolutions:
                resolutions[variable].shadowed.append(origin)
            else:
                resolutions[variable] = Resolution(variable, origin)
    return resolutions


def load_cli_settings(ctx: Context, value: str) -> SettingsFile:
    """What ``claude --settings VALUE`` would add: inline JSON or a file (relative to cwd)."""
    if value.lstrip().startswith("{"):
        path = Path("--settings")
        try:
            return SettingsFile("cli", path, parse_settings(value, path))
        except SettingsError as exc:
            return SettingsFile("cli", path, error=exc)
    path = Path(value).expanduser()
    path = path if path.is_absolute() else ctx.cwd / path
    try:
        data = read_settings(path)
    except SettingsError as exc:
        return SettingsFile("cli", path, error=exc)
    if data is None:
        return SettingsFile("cli", path, error=SettingsError(f"{path} does not exist"))
    return SettingsFile("cli", path, data)


def effective_value(files: list[SettingsFile], key: str) -> list[Origin]:
    """Every file that sets top-level ``key``, the winner first (e.g. ``apiKeyHelper``)."""
    ordered = sorted(files, key=lambda f: PRECEDENCE.index(f.scope))
    return [
        Origin(f.scope, v if isinstance(v, str) else json.dumps(v), f.path)
        for f in ordered
        if f.data is not None and (v := f.data.get(key)) is not None
    ]
