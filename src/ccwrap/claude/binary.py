"""Finding the claude executable and asking it for its version.

find_claude(ctx)             the executable (CCWRAP_CLAUDE, PATH, the usual install places)
claude_version(path)         "2.1.197", from ``claude --version`` (doctor reuses it)
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
from pathlib import Path

from ccwrap.context import Context
from ccwrap.errors import ClaudeNotFound

INSTALL_HINT = (
    "install Claude Code (npm install -g @anthropic-ai/claude-code, or "
    "curl -fsSL https://claude.ai/install.sh | bash), or point CCWRAP_CLAUDE at the executable"
)


# -------------------------------------------------------------------------------
def find_claude(ctx: Context) -> Path:
    """CCWRAP_CLAUDE, else PATH, else where Claude Code's installers put it."""
    if configured := ctx.environ.get("CCWRAP_CLAUDE"):
        return _configured_claude(ctx, configured)
    path_var = ctx.environ.get("PATH", os.defpath)
    if found := shutil.which("claude", path=path_var):
        return Path(found)
    for candidate in install_locations(ctx):
        if _is_executable(candidate):
            return candidate
    raise ClaudeNotFound("claude (Claude Code) was not found", hint=INSTALL_HINT)


def _configured_claude(ctx: Context, configured: str) -> Path:
    expanded = Path(configured).expanduser()
    if os.sep in configured or (os.altsep and os.altsep in configured):
        if _is_executable(expanded):
            return expanded.absolute()
    elif found := shutil.which(configured, path=ctx.environ.get("PATH", os.defpath)):
        return Path(found)
    raise ClaudeNotFound(
        f"CCWRAP_CLAUDE={configured} is not an executable file",
        hint="point CCWRAP_CLAUDE at claude, or unset it to search PATH",
    )


def install_locations(ctx: Context) -> list[Path]:
    """Where the native installer and npm put claude, without running npm (it costs ~200 ms)."""
    home = ctx.home
    places = [home / ".claude" / "local" / "claude", home / ".local" / "bin" / "claude"]
    for prefix in npm_prefixes(ctx):
        if os.name == "nt":
            places.append(prefix / "claude.cmd")
        else:
            places.append(prefix / "bin" / "claude")
    return places


def npm_prefixes(ctx: Context) -> list[Path]:
    """npm's global prefix: the environment, ``~/.npmrc``, then the usual places."""
    found: list[Path] = []
    for name in ("npm_config_prefix", "NPM_CONFIG_PREFIX"):
        if value := ctx.environ.get(name):
            found.append(Path(value).expanduser())
    with contextlib.suppress(OSError, UnicodeDecodeError):
        for line in (ctx.home / ".npmrc").read_text(encoding="utf-8").splitlines():
            key, sep, value = line.partition("=")
            if sep and key.strip() == "prefix" and value.strip():
                found.append(Path(value.strip().strip("\"'")).expanduser())
    if os.name == "nt":
        if appdata := ctx.environ.get("APPDATA"):
            found.append(Path(appdata) / "npm")
    else:
        found += [ctx.home / ".npm-global", ctx.home / ".local", Path("/usr/local")]
        found += [Path("/opt/homebrew"), Path("/usr")]
    return found


def _is_executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


_VERSION = re.compile(r"(\d+)\.(\d+)\.(\d+)")


def claude_version(path: Path, *, timeout: float = 15.0) -> str | None:
    """``2.1.197 (Claude Code)`` → ``"2.1.197"``; None when claude does not say."""
    try:
        done = subprocess.run(
            [str(path), "--version"],
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = _VERSION.search(done.stdout) if done.returncode == 0 else None
    return match.group(0) if match else None


def version_tuple(version: str) -> tuple[int, ...]:
    match = _VERSION.search(version)
    if not match:
        raise ValueError(f"not a version: {version!r}")
    return tuple(int(part) for part in match.groups())
