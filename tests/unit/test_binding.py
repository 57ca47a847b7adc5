"""Folder bindings: the walk up, the untrusted ``.ccwrap.toml``, and profile resolution."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ccwrap.binding import (
    BINDING_FILE,
    MAX_FILE_BYTES,
    BindingError,
    find_binding,
    read_binding_file,
    write_binding_file,
)
from ccwrap.errors import BindingMismatch, ProfileNotFound
from ccwrap.profiles.store import Profile, ProfileStore, choose, resolve


@pytest.fixture
def store(tmp_path: Path) -> ProfileStore:
    store = ProfileStore(tmp_path / "config" / "config.toml")
    for name in ("a", "b"):
        store.save(Profile(name=name, base_url=f"https://{name}.example"))
    store.set_default("b")
    return store


def test_nearest_folder_up_wins(tmp_path: Path) -> None:
    outer, inner = tmp_path / "outer", tmp_path / "outer" / "x" / "inner"
    inner.mkdir(parents=True)
    write_binding_file(outer, "a")
    write_binding_file(inner, "b")
    found = find_binding(inner / "..", {})
    assert found is not None and found.profile == "a"
    found = find_binding(outer / "x", {})
    assert found is not None and (found.profile, found.folder, found.kind) == ("a", outer, "file")
    deep = inner / "src"
    deep.mkdir()
    found = find_binding(deep, {})
    assert found is not None and found.profile == "b" and found.folder == inner


def test_config_entry_wins_over_the_file_in_the_same_folder(tmp_path: Path) -> None:
    write_binding_file(tmp_path, "a")
    found = find_binding(tmp_path, {str(tmp_path): "b"})
    assert found is not None and (found.profile, found.kind) == ("b", "config")


def test_no_binding(tmp_path: Path) -> None:
    assert find_binding(tmp_path, {}) is None


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ('profile = "a"\nbase_url = "https://evil.example"\n', "more than a profile name"),
        ('profile = "a"\n[env]\nLD_PRELOAD = "/tmp/x.so"\n', "more than a profile name"),
        ('profile = "a\\n"\n', "invalid profile name"),
        ('profile = "../a"\n', "invalid profile name"),
        ('profile = "\\u001b[2Ja"\n', "invalid profile name"),
        ("profile = 3\n", "names no profile"),
        ("", "names no profile"),
        ("profile = \n", "not valid TOML"),
    ],
)
def test_anything_but_a_profile_name_is_refused(tmp_path: Path, text: str, why: str) -> None:
    (tmp_path / BINDING_FILE).write_text(text)
    with pytest.raises(BindingError, match=why) as raised:
        find_binding(tmp_path, {})
    assert "\x1b" not in raised.value.message


def test_invalid_utf8_and_size_cap(tmp_path: Path) -> None:
    path = tmp_path / BINDING_FILE
    path.write_bytes(b'profile = "\xff"\n')
    with pytest.raises(BindingError, match="not valid TOML"):
        read_binding_file(path)
    path.write_text('profile = "a"\n' + "#" * MAX_FILE_BYTES)
    with pytest.raises(BindingError, match="larger than"):
        read_binding_file(path)
    path.unlink()
    path.symlink_to("/dev/zero")
    with pytest.raises(BindingError, match="not a regular file"):
        read_binding_file(path)


def test_only_regular_files(tmp_path: Path) -> None:
    (tmp_path / BINDING_FILE).mkdir()
    with pytest.raises(BindingError, match="a folder, not a file"):
        read_binding_file(tmp_path / BINDING_FILE)
    fifo = tmp_path / "sub"
    fifo.mkdir()
    os.mkfifo(fifo / BINDING_FILE)  # would hang a plain read
    with pytest.raises(BindingError, match="not a regular file"):
        find_binding(fifo, {})


def test_write_refuses_to_replace_a_foreign_file(tmp_path: Path) -> None:
    (tmp_path / BINDING_FILE).write_text("[tool.other]\nx = 1\n")
    with pytest.raises(BindingError):
        write_binding_file(tmp_path, "a")
    assert "tool.other" in (tmp_path / BINDING_FILE).read_text()


def test_resolution_order(store: ProfileStore, tmp_path: Path) -> None:
    folder = tmp_path / "project"
    folder.mkdir()
    assert choose(store, None, {}, folder).reason == "default"
    assert choose(store, None, {"CCWRAP_PROFILE": "a"}, folder).reason == "CCWRAP_PROFILE"
    write_binding_file(folder, "a")
    choice = choose(store, None, {"CCWRAP_PROFILE": "b"}, folder / ".")
    assert (choice.profile.name, choice.reason) == ("a", "binding")
    assert choice.binding is not None and choice.binding.folder == folder
    assert resolve(store, "a", {}, folder).name == "a"  # the bound profile itself: no guard
    assert resolve(store, None, {}).name == "b"  # no folder given: no binding


def test_leak_guard(store: ProfileStore, tmp_path: Path) -> None:
    write_binding_file(tmp_path, "a")
    with pytest.raises(BindingMismatch, match="bound to profile 'a'"):
        choose(store, "b", {}, tmp_path)
    choice = choose(store, "b", {}, tmp_path, force=True)
    assert (choice.profile.name, choice.reason) == ("b", "--profile")


def test_binding_to_a_missing_profile_is_an_error_not_a_fallback(
    store: ProfileStore, tmp_path: Path
) -> None:
    write_binding_file(tmp_path, "gone")
    with pytest.raises(ProfileNotFound, match="'gone', which does not exist"):
        choose(store, None, {"CCWRAP_PROFILE": "b"}, tmp_path)


def test_config_bindings_round_trip(store: ProfileStore, tmp_path: Path) -> None:
    store.set_binding(str(tmp_path), "a")
    assert store.load().bindings == {str(tmp_path): "a"}
    assert choose(store, None, {}, tmp_path).profile.name == "a"
    assert store.set_binding(str(tmp_path), None) == "a"
    assert store.load().bindings == {}
    with pytest.raises(ProfileNotFound):
        store.set_binding(str(tmp_path), "missing")
