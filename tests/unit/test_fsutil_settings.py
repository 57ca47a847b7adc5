"""fsutil's additions for settings: kept mode, the check before the rename, dead-writer sweep."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from ccwrap import fsutil


def test_keep_mode_keeps_an_existing_mode_and_creates_0600(tmp_path: Path) -> None:
    existing = tmp_path / "a.json"
    existing.write_text("{}")
    existing.chmod(0o664)
    fsutil.atomic_write(existing, b"{ }", keep_mode=True)
    assert stat.S_IMODE(existing.stat().st_mode) == 0o664
    fresh = tmp_path / "b.json"
    fsutil.atomic_write(fresh, b"{}", keep_mode=True)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600


def test_expected_bytes_are_checked_right_before_the_rename(tmp_path: Path) -> None:
    target = tmp_path / "s.json"
    target.write_text("theirs")
    with pytest.raises(fsutil.FileChanged):
        fsutil.atomic_write(target, b"mine", expected=b"what I read")
    assert target.read_text() == "theirs"
    assert not list(tmp_path.glob(f"{fsutil.TEMP_PREFIX}*"))  # no temporary file left
    fsutil.atomic_write(target, b"mine", expected=b"theirs")
    assert target.read_text() == "mine"
    with pytest.raises(fsutil.FileChanged):
        fsutil.atomic_write(tmp_path / "new.json", b"x", expected=b"")  # must exist: it does not


def test_sweep_removes_a_dead_writers_file_at_once_and_keeps_a_live_one(tmp_path: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    tag = fsutil._host_tag()
    dead_file = tmp_path / f"{fsutil.TEMP_PREFIX}s.json.{tag}.{dead.stdout.strip()}.1"
    live_file = tmp_path / f"{fsutil.TEMP_PREFIX}s.json.{tag}.{os.getppid()}.2"
    other_host = tmp_path / f"{fsutil.TEMP_PREFIX}s.json.00000000.{dead.stdout.strip()}.3"
    for path in (dead_file, live_file, other_host):
        path.write_text("partial")
    assert fsutil.sweep_temp_files(tmp_path) == [dead_file]
    old = 10**9
    os.utime(other_host, (old, old))
    assert fsutil.sweep_temp_files(tmp_path) == [other_host]  # too old, whoever wrote it
    assert live_file.exists()


def test_mode_none_keeps_an_existing_mode_and_uses_the_umask_for_a_new_file(
    tmp_path: Path,
) -> None:
    rc = tmp_path / ".bashrc"
    rc.write_text("x")
    rc.chmod(0o640)
    fsutil.atomic_write(rc, b"y", mode=None)
    assert stat.S_IMODE(rc.stat().st_mode) == 0o640
    old = os.umask(0o027)
    try:
        fsutil.atomic_write(tmp_path / "new", b"z", mode=None)
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new").stat().st_mode) == 0o640
