"""Claude Code's settings files and their precedence: who wins for each variable, and from where.

Precedence, highest first (docs/client-facts.md): managed → command-line ``--settings`` → local
``.claude/settings.local.json`` → project ``.claude/settings.json`` → user
``~/.claude/settings.json`` (or ``$CLAUDE_CONFIG_DIR/settings.json``) → the process environment.

One pair of types says where a value comes from: an :class:`Origin` (a layer, its file, the value)
and a :class:`Resolution` (a variable's winning origin and the ones it shadows). doctor, ``run``
and ``settings show`` (:func:`effective_view`, secrets masked) all use them. The write side
(``settings apply``/``clear``/``restore``) is ``ccwrap.settings.writer``.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from ccwrap.claude.env import MANAGED_VARIABLES, is_secret_variable
from ccwrap.context import Context
from ccwrap.errors import SettingsError
from ccwrap.fsutil import read_small_text
from ccwrap.keys.sources import mask

Scope = Literal["managed", "cli", "local", "project", "user"]
# A scope, or the process environment: every place a value can come from.
Layer = Literal["managed", "cli", "local", "project", "user", "environment"]
FILE_SCOPES: tuple[Scope, ...] = ("managed", "local", "project", "user")
PRECEDENCE: tuple[Layer, ...] = ("managed", "cli", "local", "project", "user", "environment")
# Shell variables worth showing: the ones Claude Code (or its HTTP stack) reads.
SHELL_PREFIXES = ("ANTHROPIC_", "CLAUDE_", "DISABLE_", "ENABLE_", "MAX_THINKING", "BASH_", "MCP_")
SHELL_NAMES = frozenset(
    {"API_TIMEOUT_MS", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "NODE_EXTRA_CA_CERTS"}
)


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


@dataclass(frozen=True)
class Origin:
    """Where one value comes from: a layer (a settings scope or the environment) and its file."""

    layer: Layer
    value: str
    path: Path | None = None  # None: the process environment

    def describe(self) -> str:
        return "shell environment" if self.path is None else f"{self.layer} settings ({self.path})"

    def masked(self, variable: str) -> Origin:
        """The same origin with the value masked if ``variable`` holds a secret."""
        return replace(self, value=shown(variable, self.value))

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.layer,
            "path": str(self.path) if self.path else None,
            "value": self.value,
        }


@dataclass
class Resolution:
    """Which origin of ``variable`` Claude Code takes (``winner``) and which lose."""

    variable: str
    winner: Origin
    shadowed: list[Origin] = field(default_factory=list)

    def masked(self) -> Resolution:
        return Resolution(
            shown("", self.variable),  # a name from a checkout's file is foreign text too
            self.winner.masked(self.variable),
            [o.masked(self.variable) for o in self.shadowed],
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.variable,
            **self.winner.to_json(),
            "shadowed": [o.to_json() for o in self.shadowed],
        }


def effective_env(
    ctx: Context, files: list[SettingsFile], cli: SettingsFile | None = None
) -> dict[str, Resolution]:
    """For each variable set anywhere, which source Claude Code would take and which lose."""
    layers: list[tuple[Layer, Path | None, dict[str, str]]] = []
    ordered = sorted([*files, *([cli] if cli else [])], key=lambda f: PRECEDENCE.index(f.scope))
    for settings_file in ordered:
        layers.append((settings_file.scope, settings_file.path, settings_file.env))
    layers.append(("environment", None, dict(ctx.environ)))
    resolutions: dict[str, Resolution] = {}
    for layer, path, env in layers:
        for variable, value in env.items():
            origin = Origin(layer, value, path)
            if variable in resolutions:
                resolutions[variable].shadowed.append(origin)
            else:
                resolutions[variable] = Resolution(variable, origin)
    return resolutions


def load_cli_settings(cwd: Path, value: str) -> SettingsFile:
    """What ``claude --settings VALUE`` would add: inline JSON or a file (relative to ``cwd``).

    The one reader of a user's own ``--settings``: ``settings show --settings`` shows it and
    ``ccwrap run`` merges it (ccwrap.launch.plan.split_user_settings, which refuses an error).
    A problem is kept in ``error`` rather than raised, so a view can show it.
    """
    if is_inline_settings(value):
        path = Path("--settings")
        try:
            return SettingsFile("cli", path, parse_settings(value, path))
        except SettingsError as exc:
            return SettingsFile("cli", path, error=exc)
    path = Path(value).expanduser()
    path = path if path.is_absolute() else cwd / path
    try:
        data = read_settings(path)
    except SettingsError as exc:
        return SettingsFile("cli", path, error=exc)
    if data is None:
        missing = SettingsError(f"the --settings file {path} does not exist")
        return SettingsFile("cli", path, error=missing)
    return SettingsFile("cli", path, data)


def is_inline_settings(value: str) -> bool:
    """claude reads a ``--settings`` value that starts with ``{`` as JSON, else as a path."""
    return value.lstrip().startswith("{")


def effective_value(files: list[SettingsFile], key: str) -> list[Origin]:
    """Every file that sets top-level ``key``, the winner first (e.g. ``apiKeyHelper``)."""
    ordered = sorted(files, key=lambda f: PRECEDENCE.index(f.scope))
    return [
        Origin(f.scope, v if isinstance(v, str) else json.dumps(v), f.path)
        for f in ordered
        if f.data is not None and (v := f.data.get(key)) is not None
    ]


# -- the effective view (``settings show``) ------------------------------------------------------


def shown(variable: str, value: str) -> str:
    """``value`` as it may be printed: masked when ``variable`` holds a secret, control
    characters escaped (a checkout's file may hold terminal escapes)."""
    from ccwrap.text import escape_control

    return mask(value) if value and is_secret_variable(variable) else escape_control(value)


@dataclass
class EffectiveView:
    """What Claude Code would use in this folder: the files, each variable, ``apiKeyHelper``."""

    files: list[SettingsFile]
    variables: list[Resolution]  # secrets masked
    api_key_helper: Resolution | None

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


def _relevant(variable: str, from_file: bool) -> bool:
    if from_file:
        return True
    return (
        variable.startswith(SHELL_PREFIXES)
        or variable in SHELL_NAMES
        or variable in MANAGED_VARIABLES
    )


def effective_view(ctx: Context, cli_settings: str | None = None) -> EffectiveView:
    """Every variable set by a settings file, or exported in the shell and read by Claude Code:
    which origin wins and which are shadowed; plus ``apiKeyHelper``. Secrets are masked."""
    files = discover(ctx)
    cli = load_cli_settings(ctx.cwd, cli_settings) if cli_settings else None
    all_files = [*files, *([cli] if cli else [])]
    resolutions = effective_env(ctx, files, cli)
    variables = []
    for name in sorted(resolutions):
        resolution = resolutions[name]
        from_file = resolution.winner.path is not None or any(
            o.path is not None for o in resolution.shadowed
        )
        if _relevant(name, from_file):
            variables.append(resolution.masked())
    helpers = effective_value(all_files, "apiKeyHelper")
    helper = Resolution("apiKeyHelper", helpers[0], helpers[1:]).masked() if helpers else None
    ordered = sorted(all_files, key=lambda f: PRECEDENCE.index(f.scope))
    return EffectiveView(ordered, variables, helper)
