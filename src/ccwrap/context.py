"""Where ccwrap's files and Claude Code's files live.

Everything is computed from an injected environment when asked for, never at import, so tests (and
``CCWRAP_HOME``) can move every file ccwrap touches.
"""

from __future__ import annotations

import os
import re
import stat
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

APP = "ccwrap"
# An environment variable name every shell can export (checked with fullmatch).
VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def is_variable_name(name: str) -> bool:
    return bool(VARIABLE_NAME.fullmatch(name))


@dataclass(frozen=True)
class Paths:
    config_dir: Path
    state_dir: Path

    @property
    def config_file(self) -> Path:
        return self.config_dir / "config.toml"

    @property
    def run_dir(self) -> Path:
        """Per-launch temporary files (settings handed to claude); swept after a crash."""
        return self.state_dir / "run"

    @property
    def backups_dir(self) -> Path:
        return self.state_dir / "backups"

    @property
    def keys_dir(self) -> Path:
        """Plain-text key files, only with ``--insecure-storage``."""
        return self.config_dir / "keys"

    @classmethod
    def from_environ(cls, environ: Mapping[str, str], home: Path) -> Paths:
        if ccwrap_home := environ.get("CCWRAP_HOME"):
            root = Path(ccwrap_home).expanduser()
            return cls(config_dir=root, state_dir=root / "state")
        if sys.platform.startswith("linux") or "bsd" in sys.platform:
            # XDG by hand rather than platformdirs: platformdirs reads os.environ, and the
            # environment here is injected.
            config = environ.get("XDG_CONFIG_HOME") or str(home / ".config")
            state = environ.get("XDG_STATE_HOME") or str(home / ".local" / "state")
            return cls(config_dir=Path(config) / APP, state_dir=Path(state) / APP)
        import platformdirs

        return cls(
            config_dir=Path(platformdirs.user_config_dir(APP, appauthor=False)),
            state_dir=Path(platformdirs.user_state_dir(APP, appauthor=False)),
        )


@dataclass(frozen=True)
class Context:
    """What ccwrap's core reads from the outside world; tests build their own."""

    environ: Mapping[str, str]
    cwd: Path
    home: Path

    @classmethod
    def from_os(cls) -> Context:
        environ = dict(os.environ)
        home = Path(environ["HOME"]) if environ.get("HOME") else Path.home()
        return cls(environ=environ, cwd=Path.cwd(), home=home)

    @cached_property
    def paths(self) -> Paths:
        return Paths.from_environ(self.environ, self.home)

    @cached_property
    def claude_config_dir(self) -> Path:
        """``~/.claude``, or wherever ``CLAUDE_CONFIG_DIR`` moves it."""
        if configured := self.environ.get("CLAUDE_CONFIG_DIR"):
            return Path(configured).expanduser()
        return self.home / ".claude"


def ensure_private_dir(path: Path, *, check: bool = True) -> Path:
    """Create ``path`` (and missing parents) as 0700; existing folders are left as they are.

    With ``check`` (ccwrap's own folders) an existing folder another user can write is refused,
    followed through symlinks (a ``CCWRAP_HOME`` made world-writable, a ``state/run`` symlink into
    a shared folder): another user could swap the files ccwrap writes there, or read a key file
    in the moment before its mode is set. A missing folder's first existing parent is checked too,
    unless it is a sticky shared folder such as /tmp, where a private folder of one's own is the
    safe way in.
    """
    missing: list[Path] = []
    current = path
    while not current.exists():
        missing.append(current)
        current = current.parent
    if check:
        _refuse_shared(current, strict=not missing)
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:
            continue
        # mkdir's mode is filtered by the umask; a private folder must be 0700 whatever it is.
        folder.chmod(0o700)
    return path


def _refuse_shared(folder: Path, *, strict: bool) -> None:
    from ccwrap.errors import ConfigError

    if os.name != "posix":  # pragma: no cover - Windows has ACLs, not mode bits
        return
    info = folder.stat()  # through symlinks: where the files really go
    shared = info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    if not strict and (info.st_mode & stat.S_ISVTX or not shared):
        return
    if shared or info.st_uid != os.getuid():
        real = os.path.realpath(folder)
        where = f"{folder} (really {real})" if str(folder) != real else str(folder)
        who = "writable by other users" if shared else "owned by another user"
        raise ConfigError(
            f"{where} is {who}; ccwrap keeps its files only in a folder of your own",
            hint=f"chmod 700 {real}"
            if shared and info.st_uid == os.getuid()
            else "point CCWRAP_HOME at a folder of your own, or remove the symlink",
        )
