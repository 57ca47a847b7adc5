"""Atomic file replacement: a reader sees the old file or the new one, never a partial one."""

from __future__ import annotations

import contextlib
import os
import stat
import time
from pathlib import Path

TEMP_PREFIX = ".ccwrap-tmp-"
STALE_AFTER_SECONDS = 60.0


def atomic_write(path: Path, data: bytes, *, mode: int | None = 0o600) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder, then rename.

    The temporary file is created with ``mode`` from the start (never chmod-ed afterwards), so a
    secret is never readable by others, not even for a moment. ``mode=None`` keeps the mode of
    the file being replaced (a user's rc file), or gives a new file the umask's default. A
    symlink at ``path`` is followed: its target is replaced and the link stays a link.
    """
    target = Path(os.path.realpath(path))
    folder = target.parent
    tmp = folder / f"{TEMP_PREFIX}{target.name}.{os.getpid()}.{time.monotonic_ns()}"
    keep = _existing_mode(target) if mode is None else None
    create_mode = 0o600 if mode is None else mode
    fd = os.open(
        tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), create_mode
    )
    try:
        with os.fdopen(fd, "wb") as handle:
            if mode is None:
                # Before any data is written; the umask must not narrow a mode the user chose.
                _set_mode(fd, tmp, keep if keep is not None else _umask_default())
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    _fsync_dir(folder)


def _existing_mode(target: Path) -> int | None:
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        return None


def _umask_default() -> int:
    # The umask can only be read by setting it; set it straight back.
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def _set_mode(fd: int, tmp: Path, mode: int) -> None:
    if hasattr(os, "fchmod"):
        os.fchmod(fd, mode)
    else:  # pragma: no cover - Windows has no fchmod; only the read-only bit exists there
        tmp.chmod(mode)


def _fsync_dir(folder: Path) -> None:
    # Makes the rename itself durable; not possible (nor needed) on Windows.
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sweep_temp_files(folder: Path, *, older_than: float = STALE_AFTER_SECONDS) -> list[Path]:
    """Remove temporary files a killed writer left behind; returns what was removed."""
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    now = time.time()
    for candidate in folder.glob(f"{TEMP_PREFIX}*"):
        with contextlib.suppress(FileNotFoundError):
            if now - candidate.lstat().st_mtime >= older_than:
                candidate.unlink()
                removed.append(candidate)
    return removed
