"""The ledger's schema as numbered migrations (``ccwrap.ledger.database.migrate`` applies them).

A migration is never edited once released: a change is a new migration. Numbers are unique and
increasing; each feature owns its own: 1 usage (proxy requests, launches, transcript offsets),
2 verify runs.
"""

from __future__ import annotations

from ccwrap.ledger.database import Migration

MIGRATIONS: tuple[Migration, ...] = ()
