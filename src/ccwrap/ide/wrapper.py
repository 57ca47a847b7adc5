"""The executable the extension's process wrapper setting names: it runs ``ccwrap wrap``."""

from __future__ import annotations

import sys
from pathlib import Path

from ccwrap.context import Context, ensure_private_dir
from ccwrap.errors import SettingsError


def write_wrapper_script(ctx: Context, ccwrap: list[str], platform: str = sys.platform) -> Path:
    """The one executable the extension's process wrapper setting can name: it runs
    ``ccwrap wrap -- "$@"`` (the bundled claude's path and arguments)."""
    import shlex

    from ccwrap.fsutil import atomic_write

    if platform.startswith("win"):
        raise SettingsError(
            "--wrapper is not available on Windows yet",
            hint="the extension wants an .exe there; use ccwrap settings apply instead",
        )
    path = ctx.paths.config_dir / "bin" / "claude-wrapper"
    ensure_private_dir(path.parent)
    script = f'#!/bin/sh\nexec {shlex.join([*ccwrap, "wrap", "--"])} "$@"\n'
    atomic_write(path, script.encode("utf-8"), mode=0o600)
    path.chmod(0o700)  # the one file ccwrap writes that must run; in its private folder
    return path
