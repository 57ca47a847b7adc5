"""Which shells ccwrap speaks, by name, and which one the user runs."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from ccwrap.errors import UsageError

Shell = Literal["bash", "zsh", "fish", "powershell"]
SHELLS: tuple[Shell, ...] = ("bash", "zsh", "fish", "powershell")
SHELL_ALIASES: Mapping[str, Shell] = {"pwsh": "powershell", "powershell": "powershell"}


def parse_shell(name: str) -> Shell:
    """``bash``, ``/usr/bin/zsh``, ``pwsh``, ``powershell.exe`` → the shell's canonical name."""
    base = Path(name.strip()).name.lower().removesuffix(".exe")
    shell = SHELL_ALIASES.get(base, base)
    if shell not in SHELLS:
        raise UsageError(
            f"unsupported shell {name!r}", hint=f"pass --shell with one of: {', '.join(SHELLS)}"
        )
    return shell


def detect_shell(environ: Mapping[str, str]) -> Shell:
    """The shell ccwrap runs under (shellingham, as Typer uses), else ``$SHELL``."""
    for candidate in (_shellingham_name(), environ.get("SHELL")):
        if candidate:
            try:
                return parse_shell(candidate)
            except UsageError:
                continue
    raise UsageError("cannot tell which shell you use", hint=f"pass --shell ({', '.join(SHELLS)})")


def _shellingham_name() -> str | None:
    import shellingham

    try:
        name, _path = shellingham.detect_shell()
    except (shellingham.ShellDetectionFailure, OSError, RuntimeError):
        return None
    return str(name)
