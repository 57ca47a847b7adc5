"""Creating the found profiles: the profile into ccwrap's config, its key into the key store."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ccwrap.importers.found import Found

if TYPE_CHECKING:
    from ccwrap.keys.sources import SecretStore
    from ccwrap.profiles.store import ProfileStore


def create(found: list[Found], store: ProfileStore, secrets: SecretStore) -> list[str]:
    """Create each found profile (never replacing one), its key in ccwrap's key store first so a
    key is never left behind in config.toml; the names created."""
    created = []
    existing = set(store.names())
    for row in found:
        if row.profile is None:
            continue
        if row.name in existing:
            row.skipped = f"a profile named {row.name!r} exists already"
            continue
        if row.key:
            secrets.write(row.name, row.profile.key, row.key)
        store.save(row.profile)
        created.append(row.name)
    return created
