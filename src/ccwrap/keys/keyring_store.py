"""The OS keyring, under a timeout. The only module that imports ``keyring``.

A keyring call can hang (a Secret Service waiting for an unlock prompt nobody sees, a D-Bus that
never answers), so each call runs in a daemon thread and is abandoned after ``timeout`` seconds.

``keyring`` itself is imported only when a call needs it: reading a key on Linux usually goes
straight to the Secret Service (see ``secret_service.py``), which keeps ``ccwrap key`` fast.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol, TypeVar

from ccwrap.errors import KeyringLocked, KeyringTimeout, KeyringUnavailable, KeyStoreError
from ccwrap.keys import secret_service

SERVICE = "ccwrap"
DEFAULT_TIMEOUT = 3.0
T = TypeVar("T")

HEADLESS_HINT = (
    "on a machine without a keyring, keep the key elsewhere: "
    "--key-source env:VAR (an environment variable), --key-source 'cmd:pass show gw/work' "
    "(a password manager), or --insecure-storage (a 0600 file, plain text)"
)


class KeyringBackend(Protocol):
    def get_password(self, service: str, username: str) -> str | None: ...
    def set_password(self, service: str, username: str, password: str) -> None: ...
    def delete_password(self, service: str, username: str) -> None: ...


def default_backend() -> KeyringBackend:
    import keyring

    backend: KeyringBackend = keyring.get_keyring()
    return backend


class KeyringStore:
    def __init__(
        self,
        backend: KeyringBackend | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        environ: Mapping[str, str] | None = None,
        home: Path | None = None,
    ) -> None:
        self._backend = backend
        self.timeout = timeout
        # With the environment known, a read may take the direct Secret Service path.
        self._environ = environ
        self._home = home

    def _call(self, what: str, fn: Callable[[KeyringBackend], T]) -> T:
        result: list[Any] = []

        def target() -> None:
            try:
                backend = self._backend if self._backend is not None else _Lazy()
                result.append(("ok", fn(backend)))
            except BaseException as exc:  # handed to the caller's thread below
                result.append(("error", exc))

        thread = threading.Thread(target=target, name=f"ccwrap-keyring-{what}", daemon=True)
        thread.start()
        thread.join(self.timeout)
        if not result:
            raise KeyringTimeout(
                f"the OS keyring did not answer within {self.timeout:g} s ({what})",
                hint="it may be waiting for an unlock prompt; unlock it, or " + HEADLESS_HINT,
            )
        status, value = result[0]
        if status == "error":
            raise _translate(value, what) from value
        return value  # type: ignore[no-any-return]

    def get(self, profile: str) -> str | None:
        if self._backend is None and self._direct_read_possible():
            return self._call("read", lambda _: self._read_direct(profile))
        return self._call("read", lambda b: b.get_password(SERVICE, profile))

    def _direct_read_possible(self) -> bool:
        if self._environ is None or self._home is None:
            return False
        return secret_service.usable(self._environ, self._home)

    def _read_direct(self, profile: str) -> str | None:
        try:
            return secret_service.DirectSecretService().get_password(SERVICE, profile)
        except secret_service.NotApplicable:
            return default_backend().get_password(SERVICE, profile)

    def check_available(self) -> None:
        """Raise :class:`KeyringUnavailable` (or a timeout) when no OS keyring can store a key.

        Reads and writes nothing: it asks keyring which backend it would use, and refuses the
        ones that only fail (keyring's ``fail`` and ``null`` backends, an empty chain).
        """

        def probe(backend: KeyringBackend) -> None:
            real = default_backend() if isinstance(backend, _Lazy) else backend
            priority = getattr(real, "priority", 1)
            if isinstance(priority, (int, float)) and priority <= 0:
                raise KeyringUnavailable(
                    "no OS keyring is available on this machine", hint=HEADLESS_HINT
                )

        self._call("probe", probe)

    def set(self, profile: str, secret: str) -> None:
        self._call("write", lambda b: b.set_password(SERVICE, profile, secret))

    def delete(self, profile: str) -> bool:
        """Remove the key; False when there was none."""

        def delete(backend: KeyringBackend) -> bool:
            import keyring.errors

            try:
                backend.delete_password(SERVICE, profile)
            except keyring.errors.PasswordDeleteError:
                return False
            return True

        return self._call("delete", delete)


class _Lazy:
    """keyring's own backend, resolved on first use (inside the timed thread)."""

    def get_password(self, service: str, username: str) -> str | None:
        return default_backend().get_password(service, username)

    def set_password(self, service: str, username: str, password: str) -> None:
        default_backend().set_password(service, username, password)

    def delete_password(self, service: str, username: str) -> None:
        default_backend().delete_password(service, username)


def _translate(exc: BaseException, what: str) -> KeyStoreError:
    if isinstance(exc, KeyStoreError):
        return exc
    if isinstance(exc, secret_service.Locked):
        return KeyringLocked(
            "the OS keyring is locked",
            hint="unlock it (log in to the desktop), or " + HEADLESS_HINT,
        )
    import keyring.errors

    if isinstance(exc, keyring.errors.NoKeyringError):
        return KeyringUnavailable("no OS keyring is available on this machine", hint=HEADLESS_HINT)
    if isinstance(exc, keyring.errors.KeyringLocked):
        return KeyringLocked(
            "the OS keyring is locked",
            hint="unlock it (log in to the desktop), or " + HEADLESS_HINT,
        )
    if isinstance(exc, keyring.errors.InitError):
        return KeyringUnavailable(f"the OS keyring could not start: {exc}", hint=HEADLESS_HINT)
    detail = str(exc) or type(exc).__name__
    return KeyStoreError(f"the OS keyring failed to {what} the key: {detail}", hint=HEADLESS_HINT)
