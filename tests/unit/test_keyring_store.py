"""The keyring wrapper: timeouts, error translation, when the direct Secret Service read applies."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import keyring.errors
import pytest

from ccwrap.errors import KeyringLocked, KeyringTimeout, KeyringUnavailable, KeyStoreError
from ccwrap.keys import secret_service
from ccwrap.keys.keyring_store import KeyringStore
from tests.support.keyrings import MemoryKeyring


class Hanging(MemoryKeyring):
    released = threading.Event()

    def get_password(self, service: str, username: str) -> str | None:
        self.released.wait(10)
        return None


class Raising(MemoryKeyring):
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc

    def get_password(self, service: str, username: str) -> str | None:
        raise self.exc


def test_a_hanging_keyring_times_out() -> None:
    store = KeyringStore(Hanging(), timeout=0.2)
    try:
        with pytest.raises(KeyringTimeout) as caught:
            store.get("work")
    finally:
        Hanging.released.set()
    assert "did not answer within 0.2 s" in caught.value.message
    assert "--key-source env:VAR" in (caught.value.hint or "")


@pytest.mark.parametrize(
    ("exc", "kind", "fragment"),
    [
        (keyring.errors.NoKeyringError("none"), KeyringUnavailable, "no OS keyring"),
        (keyring.errors.KeyringLocked("locked"), KeyringLocked, "locked"),
        (secret_service.Locked("locked"), KeyringLocked, "locked"),
        (keyring.errors.InitError("dbus"), KeyringUnavailable, "could not start"),
        (RuntimeError("boom"), KeyStoreError, "failed to read the key: boom"),
    ],
)
def test_keyring_errors_become_ccwrap_errors(
    exc: BaseException, kind: type[KeyStoreError], fragment: str
) -> None:
    with pytest.raises(kind) as caught:
        KeyringStore(Raising(exc)).get("work")
    assert fragment in caught.value.message
    assert caught.value.hint
    assert caught.value.__cause__ is exc


def test_delete_of_a_missing_key_is_false(memory_keyring: MemoryKeyring) -> None:
    store = KeyringStore(memory_keyring)
    assert store.delete("work") is False
    store.set("work", "sk-x")
    assert store.delete("work") is True


@pytest.mark.parametrize(
    ("environ", "config_file", "expected"),
    [
        ({"DBUS_SESSION_BUS_ADDRESS": "unix:path=/x"}, False, True),
        ({}, False, False),  # no session bus: keyring's own resolution decides
        (
            {"DBUS_SESSION_BUS_ADDRESS": "unix:path=/x", "PYTHON_KEYRING_BACKEND": "a.B"},
            False,
            False,
        ),
        ({"DBUS_SESSION_BUS_ADDRESS": "unix:path=/x"}, True, False),  # keyringrc.cfg configured
    ],
)
def test_direct_read_only_when_keyring_would_pick_the_secret_service(
    tmp_path: Path,
    environ: dict[str, str],
    config_file: bool,
    expected: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    if config_file:
        path = tmp_path / ".config" / "python_keyring" / "keyringrc.cfg"
        path.parent.mkdir(parents=True)
        path.write_text("[backend]\ndefault-keyring=keyring.backends.fail.Keyring\n")
    assert secret_service.usable(environ, tmp_path) is expected


def test_direct_read_is_never_used_on_other_platforms(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    assert not secret_service.usable({"DBUS_SESSION_BUS_ADDRESS": "x"}, tmp_path)


def test_direct_read_falls_back_to_keyring_without_a_service(
    memory_keyring: MemoryKeyring, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    memory_keyring.set_password("ccwrap", "work", "sk-from-keyring")

    def not_here(self: object, service: str, username: str) -> str | None:
        raise secret_service.NotApplicable("no service")

    monkeypatch.setattr(secret_service.DirectSecretService, "get_password", not_here)
    monkeypatch.setattr(secret_service, "usable", lambda environ, home: True)
    store = KeyringStore(environ={"DBUS_SESSION_BUS_ADDRESS": "x"}, home=tmp_path)
    assert store.get("work") == "sk-from-keyring"
