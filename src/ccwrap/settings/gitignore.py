"""Is a file ignored by git, and adding it to .gitignore (for ``settings apply --scope local``).

``.claude/settings.local.json`` is personal: committed by mistake, it would share one developer's
gateway (and, with ``--plaintext-key``, their key) with everyone who clones the repository.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ccwrap.errors import SettingsError
from ccwrap.fsutil import atomic_write, read_bytes, resolves_inside

GIT_TIMEOUT = 10.0


@dataclass(frozen=True)
class GitStatus:
    root: Path | None  # None: not inside a git work tree (or git is not installed)
    ignored: bool

    @property
    def exposed(self) -> bool:
        """Inside a repository and not ignored: ``git add .`` would pick the file up."""
        return self.root is not None and not self.ignored


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess[str] | None:
    try:
        return subprocess.run(
            ["git", *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None


def git_status(path: Path) -> GitStatus:
    folder = path.parent if path.parent.is_dir() else path.parent.parent
    done = _git(folder, "rev-parse", "--show-toplevel")
    if done is None or done.returncode != 0:
        return GitStatus(None, ignored=False)
    root = Path(done.stdout.strip())
    check = _git(root, "check-ignore", "-q", "--no-index", str(path.absolute()))
    return GitStatus(root, ignored=check is not None and check.returncode == 0)


def add_to_gitignore(root: Path, path: Path) -> Path:
    """Append ``path`` (relative to ``root``) to ``root/.gitignore``; returns the .gitignore."""
    gitignore = root / ".gitignore"
    if not resolves_inside(gitignore, root):  # a checkout's symlink to ~/.bashrc, say
        raise SettingsError(
            f"{gitignore} is a symlink to {os.path.realpath(gitignore)}, outside the repository; "
            "ccwrap does not write through it",
            hint=f"add {path.name} to .gitignore by hand, or remove the symlink",
        )
    entry = Path(os.path.relpath(path.absolute(), root)).as_posix()
    try:
        existing = read_bytes(gitignore) or b""
    except OSError as exc:
        raise SettingsError(f"cannot read {gitignore}: {exc.strerror or exc}") from exc
    separator = b"" if not existing or existing.endswith(b"\n") else b"\n"
    data = existing + separator + f"{entry}\n".encode()
    atomic_write(gitignore, data, mode=0o644, keep_mode=True)
    return gitignore
