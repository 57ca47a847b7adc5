"""Files ccwrap reads and writes: small regular files read within a cap, and atomic replacement
(a reader sees the old file or the new one, never a partial one)."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import socket
import stat
import time
from pathlib import Path

TEMP_PREFIX = ".ccwrap-tmp-"
STALE_AFTER_SECONDS = 60.0
# Any content: the default of ``expected`` (no check before the rename).
ANY = object()
# What a settings file, config.toml, a key file or an imported file may weigh at most.
MAX_SMALL_FILE = 4 * 1024 * 1024
# The mode bits a file ccwrap writes may keep.
NEVER_EXECUTABLE = 0o666


class NotSmallFile(OSError):
    """The path is no regular file (a folder, a FIFO, a device) or is larger than the cap."""


def read_small_file(path: Path, *, limit: int = MAX_SMALL_FILE) -> bytes | None:
    """The bytes of a small regular file (through symlinks), or None when it does not exist.

    The one rule for every file that may come from someone else (a checkout's settings, a hand-
    edited config.toml, a key file, an imported file): a FIFO is opened without blocking and
    refused, ``/dev/zero`` and folders are refused, and no more than ``limit`` bytes are read.
    Raises :class:`OSError` (its ``strerror`` says why) for anything else.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return None
    except ValueError as exc:  # a NUL byte in the path
        raise NotSmallFile(errno.EINVAL, "the path holds a NUL byte", str(path)) from exc
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise NotSmallFile(errno.EISDIR, "it is a folder, not a file", str(path))
        if not stat.S_ISREG(info.st_mode):
            raise NotSmallFile(errno.EINVAL, "it is not a regular file", str(path))
        if info.st_size > limit:
            raise NotSmallFile(errno.EFBIG, f"it is larger than {limit} bytes", str(path))
        chunks: list[bytes] = []
        size = 0
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:  # grew while being read
                raise NotSmallFile(errno.EFBIG, f"it is larger than {limit} bytes", str(path))
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_small_text(path: Path, *, limit: int = MAX_SMALL_FILE) -> str | None:
    """:func:`read_small_file` decoded as UTF-8; invalid UTF-8 is an :class:`OSError` too."""
    data = read_small_file(path, limit=limit)
    if data is None:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        where = f"byte {exc.start}"
        raise NotSmallFile(errno.EILSEQ, f"it is not UTF-8 text ({where})", str(path)) from exc


class FileChanged(Exception):
    """Someone else changed the file between our read and our rename (``expected`` differs)."""


def _host_tag() -> str:
    # Names this machine in temporary-file names, so a sweep only judges its own processes
    # (a home folder shared over NFS sees other machines' temporary files too).
    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]


def read_bytes(path: Path) -> bytes | None:
    """The file's bytes (through a symlink), or None when it does not exist; a small regular file
    only (:func:`read_small_file`)."""
    return read_small_file(Path(os.path.realpath(path)))


def resolves_inside(path: Path, folder: Path) -> bool:
    """True when ``path``, every symlink followed, stays inside ``folder`` (itself resolved)."""
    real = Path(os.path.realpath(path))
    return real.is_relative_to(os.path.realpath(folder))


def atomic_write(
    path: Path,
    data: bytes,
    *,
    mode: int | None = 0o600,
    keep_mode: bool = False,
    expected: object = ANY,
) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder, then rename.
    The file is never executable, whatever mode it had.

    The temporary file gets its final mode before any data is written (a secret is never readable
    by others, not even for a moment): ``mode``; with ``keep_mode`` an existing file keeps its own
    mode (a new one gets ``mode``); ``mode=None`` keeps an existing file's mode and gives a new
    one the umask's default (a user's rc file). A symlink at ``path`` is followed: its target is
    replaced and the link stays a link. With ``expected`` (bytes, or None for "must not exist"),
    the file is compared right before the rename and :class:`FileChanged` raised, nothing
    replaced, if another writer got there first.
    """
    target = Path(os.path.realpath(path))
    folder = target.parent
    existing = _existing_mode(target) if mode is None or keep_mode else None
    new_mode = _umask_default() if mode is None else mode
    # Never executable, never set-id: a settings file whose text holds $(…) must not be runnable.
    final = (existing if existing is not None else new_mode) & NEVER_EXECUTABLE
    name = f"{TEMP_PREFIX}{target.name}.{_host_tag()}.{os.getpid()}.{time.monotonic_ns()}"
    tmp = folder / name
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(tmp, flags, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            _set_mode(handle.fileno(), tmp, final)  # exact, whatever the umask says
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if expected is not ANY and read_bytes(target) != expected:
            raise FileChanged(str(target))
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


def remove_if_unchanged(path: Path, expected: bytes) -> None:
    """Delete ``path`` unless its bytes differ from ``expected`` (then :class:`FileChanged`)."""
    target = Path(os.path.realpath(path))
    if read_bytes(target) != expected:
        raise FileChanged(str(target))
    target.unlink()
    _fsync_dir(target.parent)


def _fsync_dir(folder: Path) -> None:
    # Makes the rename itself durable; not possible (nor needed) on Windows.
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _owner_is_dead(name: str) -> bool:
    """True when the temporary file was made on this machine by a process that no longer runs."""
    parts = name.rsplit(".", 3)
    if len(parts) != 4 or parts[1] != _host_tag() or not parts[2].isdigit() or os.name != "posix":
        return False
    pid = int(parts[2])
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, someone else's
        return False
    return False


def sweep_temp_files(folder: Path, *, older_than: float = STALE_AFTER_SECONDS) -> list[Path]:
    """Remove temporary files a killed writer left behind; returns what was removed.

    A file is stale when its writer (named in the file name) is dead, or when it is older than
    ``older_than`` seconds.
    """
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    now = time.time()
    for candidate in folder.glob(f"{TEMP_PREFIX}*"):
        with contextlib.suppress(FileNotFoundError):
            if _owner_is_dead(candidate.name) or now - candidate.lstat().st_mtime >= older_than:
                candidate.unlink()
                removed.append(candidate)
    return removed
