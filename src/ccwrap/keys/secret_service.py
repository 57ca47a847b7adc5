"""Read a key from the Secret Service directly, the way keyring's SecretService backend does.

Why: ``ccwrap key`` runs on every apiKeyHelper refresh, and ``import keyring`` alone (its backend
module pulls in jaraco.context and urllib.request) and ``keyring.get_keyring()`` (entry points)
cost about 0.2-0.3 s on a small machine; secretstorage alone costs a fraction of that. Only
reading takes this path, and only when keyring would have picked the Secret Service anyway: on
Linux, with no ``PYTHON_KEYRING_BACKEND``, no keyring config file, a D-Bus session and the service
present. Everything else (writes, deletes, other platforms) goes through keyring itself.

Same semantics as ``keyring.backends.SecretService.Keyring.get_password``: the default collection,
unlocked if it is locked (still locked: :class:`Locked`), items searched by
the attributes ``service`` and ``username``, the first match's secret as UTF-8.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from contextlib import closing
from pathlib import Path

# keyring's SecretService backend stores items with these attribute names ("default" scheme).
SERVICE_ATTRIBUTE = "service"
USERNAME_ATTRIBUTE = "username"


def usable(environ: Mapping[str, str], home: Path) -> bool:
    """True when keyring would resolve to the Secret Service with nothing configured."""
    if not sys.platform.startswith("linux"):
        return False
    if environ.get("PYTHON_KEYRING_BACKEND") or not environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return False
    config_home = Path(environ.get("XDG_CONFIG_HOME") or home / ".config")
    return not (config_home / "python_keyring" / "keyringrc.cfg").exists()


class NotApplicable(Exception):
    """No Secret Service on this bus: let keyring resolve its backend as it always does."""


class Locked(Exception):
    pass


class DirectSecretService:
    """A read-only stand-in for keyring's SecretService backend (see the module docstring)."""

    def get_password(self, service: str, username: str) -> str | None:
        import secretstorage

        try:
            connection = secretstorage.dbus_init()
        except (secretstorage.exceptions.SecretServiceNotAvailableException, OSError) as exc:
            raise NotApplicable(str(exc)) from exc
        with closing(connection):
            if not secretstorage.check_service_availability(connection):
                raise NotApplicable("no Secret Service on the session bus")
            collection = secretstorage.get_default_collection(connection)
            if collection.is_locked():
                collection.unlock()
                if collection.is_locked():
                    raise Locked("Failed to unlock the collection!")
            query = {USERNAME_ATTRIBUTE: username, SERVICE_ATTRIBUTE: service}
            for item in collection.search_items(query):
                if item.is_locked():
                    item.unlock()
                    if item.is_locked():
                        raise Locked("Failed to unlock the item!")
                secret: bytes = item.get_secret()
                return secret.decode("utf-8")
        return None
