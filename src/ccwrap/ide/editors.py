"""The editors ccwrap knows, where their settings.json lives, and what ``ide apply`` writes."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Literal

from ccwrap.claude.env import is_secret_variable, profile_env
from ccwrap.context import Context
from ccwrap.errors import SettingsError
from ccwrap.profiles.model import Profile

Editor = Literal["vscode", "cursor", "windsurf", "vscodium"]
EDITORS: dict[str, str] = {
    "vscode": "Code",
    "cursor": "Cursor",
    "windsurf": "Windsurf",
    "vscodium": "VSCodium",
}
Scope = Literal["user", "workspace"]
ENV_KEY = "claudeCode.environmentVariables"
WRAPPER_KEY = "claudeCode.claudeProcessWrapper"


def settings_path(editor: str, scope: str, ctx: Context, platform: str = sys.platform) -> Path:
    """The editor's settings.json: the user's (per OS), or the workspace's ``.vscode/``."""
    if editor not in EDITORS:
        raise SettingsError(f"unknown editor {editor!r}", hint=f"one of {', '.join(EDITORS)}")
    if scope == "workspace":
        return ctx.cwd / ".vscode" / "settings.json"
    app = EDITORS[editor]
    if platform == "darwin":
        base = ctx.home / "Library" / "Application Support"
    elif platform.startswith("win"):
        base = Path(ctx.environ.get("APPDATA") or ctx.home / "AppData" / "Roaming")
    else:
        base = Path(ctx.environ.get("XDG_CONFIG_HOME") or ctx.home / ".config")
    return base / app / "User" / "settings.json"


def desired(profile: Profile, wrapper: str | None = None) -> dict[str, Any]:
    """What ``ide apply`` writes: the profile's variables (no key, nothing secret-looking)."""
    env = [
        {"name": name, "value": value}
        for name, value in profile_env(profile, key=None).items()
        if value and not is_secret_variable(name)
    ]
    wanted: dict[str, Any] = {ENV_KEY: env}
    if wrapper is not None:
        wanted[WRAPPER_KEY] = wrapper
    return wanted
