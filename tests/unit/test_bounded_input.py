"""Foreign files and documents are read within bounds; foreign text is escaped (issue 16 items
9, 11, 12)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ccwrap.context import ensure_private_dir
from ccwrap.errors import ConfigError
from ccwrap.fsutil import MAX_SMALL_FILE, atomic_write, read_small_file, read_small_text
from ccwrap.text import JSONBoundsError, escape_control, json_depth, loads_bounded


def test_a_small_regular_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"abc")
    assert read_small_file(path) == b"abc"
    assert read_small_file(tmp_path / "missing") is None
    with pytest.raises(NotADirectoryError):  # a parent that is a file is an error, not "missing"
        read_small_file(path / "below-a-file")


def test_a_folder_a_fifo_a_device_a_loop_and_a_huge_file_are_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)  # opened without blocking: no writer is needed for the refusal
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    huge = tmp_path / "huge"
    with huge.open("wb") as handle:
        handle.truncate(MAX_SMALL_FILE + 1)  # sparse: no disk used
    for path, why in [
        (tmp_path, "folder"),
        (fifo, "not a regular file"),
        (Path("/dev/zero"), "not a regular file"),
        (huge, "larger than"),
    ]:
        with pytest.raises(OSError) as raised:
            read_small_file(path)
        assert why in str(raised.value.strerror)
    with pytest.raises(OSError):
        read_small_file(loop)


def test_invalid_utf8_is_an_os_error_with_a_reason(tmp_path: Path) -> None:
    path = tmp_path / "bad"
    path.write_bytes(b"ok\xff")
    with pytest.raises(OSError, match="not UTF-8"):
        read_small_text(path)


def test_deep_or_large_json_is_refused_before_parsing() -> None:
    assert loads_bounded(b'{"a": [1, {"b": "[[[[[["}]}') == {"a": [1, {"b": "[[[[[["}]}
    assert json_depth(b'["\\"[[["]') == 1
    with pytest.raises(JSONBoundsError, match="deeper"):
        loads_bounded(b"[" * 100_000 + b"]" * 100_000)
    with pytest.raises(JSONBoundsError, match="larger"):
        loads_bounded(b"[" + b"1," * 10 + b"1]", max_bytes=10)
    with pytest.raises(ValueError):
        loads_bounded(b"{not json")


def test_control_characters_are_escaped() -> None:
    hostile = "\x1b[2J\x1b]0;t\x07ok\r\n✓ all good\x9b\u202eevil\udcff"
    shown = escape_control(hostile)
    assert shown == "\\x1b[2J\\x1b]0;t\\x07ok\\x0d\\x0a✓ all good\\x9b\\u202eevil\\udcff"
    assert escape_control("plain ünïcode 中文") == "plain ünïcode 中文"
    shown.encode("utf-8")  # printable: no lone surrogate left


def test_written_files_are_never_executable(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_text("x")
    path.chmod(0o4755)
    atomic_write(path, b"y", keep_mode=True)
    assert path.stat().st_mode & 0o7111 == 0
    atomic_write(path, b"z", mode=None)
    assert path.stat().st_mode & 0o7111 == 0


# -- issue 16 item 16: folders another user can write -----------------------------------------
def test_a_world_writable_own_folder_is_refused(tmp_path: Path) -> None:
    home = tmp_path / "ccwrap-home"
    home.mkdir()
    home.chmod(0o777)
    with pytest.raises(ConfigError, match="writable by other users"):
        ensure_private_dir(home)
    with pytest.raises(ConfigError, match="writable by other users"):
        ensure_private_dir(home / "state" / "run")  # created below it: refused too


def test_a_run_symlink_into_a_shared_folder_is_refused(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)  # like /tmp
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    (state / "run").symlink_to(shared)
    with pytest.raises(ConfigError, match="really"):
        ensure_private_dir(state / "run")


def test_a_private_folder_below_a_sticky_shared_one_is_fine(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    made = ensure_private_dir(shared / "mine" / "state")
    assert made.stat().st_mode & 0o777 == 0o700
    ensure_private_dir(made)  # existing and private: fine


def test_claude_settings_folders_are_not_judged(tmp_path: Path) -> None:
    team = tmp_path / "team"
    team.mkdir()
    team.chmod(0o775)
    ensure_private_dir(team, check=False)
