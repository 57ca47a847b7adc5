"""The apiKeyHelper command line: how Claude Code runs this very ccwrap to print a profile's key."""

from __future__ import annotations

import shlex
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path


def ccwrap_command(
    *, executable: str | None = None, argv0: str | None = None, platform: str = sys.platform
) -> list[str]:
    """How to run this very ccwrap again from a shell: in a venv, from pipx, a .pyz or source.

    The console script first (what the user ran, or the one beside the interpreter, which is
    where venvs and pipx put it); ``python -m ccwrap`` only as a last resort, because ``-m`` puts
    the working folder on ``sys.path`` and a folder named ccwrap there would be run instead.
    """
    executable = executable or sys.executable
    argv0 = argv0 if argv0 is not None else sys.argv[0]
    script_names = ("ccwrap.exe", "ccwrap") if platform.startswith("win") else ("ccwrap",)
    if argv0 and Path(argv0).name in script_names and Path(argv0).is_file():
        return [str(Path(argv0).absolute())]
    if argv0 and Path(argv0).suffix == ".pyz" and Path(argv0).is_file():
        # The single-file build (scripts/build): ccwrap is importable only from inside it.
        return [executable, str(Path(argv0).absolute())]
    for name in script_names:
        beside = Path(executable).parent / name
        if beside.is_file():
            return [str(beside)]
    return [executable, "-m", "ccwrap"]


def key_helper_command(profile: str, command: Sequence[str] | None = None) -> str:
    """``apiKeyHelper``: a ``/bin/sh`` command line that prints the profile's key."""
    parts = [*(command or ccwrap_command()), "key", profile]
    if sys.platform.startswith("win"):
        return subprocess.list2cmdline(parts)
    return shlex.join(parts)


def statusline_command(command: Sequence[str] | None = None) -> str:
    """Claude Code's ``statusLine`` command: this ccwrap's ``statusline`` (docs/stats.md)."""
    parts = [*(command or ccwrap_command()), "statusline"]
    if sys.platform.startswith("win"):
        return subprocess.list2cmdline(parts)
    return shlex.join(parts)
