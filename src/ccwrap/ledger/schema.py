"""The ledger's schema as numbered migrations (``ccwrap.ledger.database.migrate`` applies them).

A migration is never edited once released: a change is a new migration. Numbers are unique and
increasing; each feature owns its own: 1 usage (proxy requests, launches, transcript offsets),
2 verify runs.
"""

from __future__ import annotations

from ccwrap.ledger.database import Migration

VERIFY_RUNS = Migration(
    2,
    "verify runs",
    """
    CREATE TABLE verify_runs (
        id INTEGER PRIMARY KEY,
        profile TEXT NOT NULL,
        started_at TEXT NOT NULL,      -- ISO 8601, UTC
        base_url TEXT NOT NULL,
        model TEXT NOT NULL,
        client TEXT NOT NULL,          -- JSON: the request shape (user agent, betas, version)
        spent TEXT NOT NULL,           -- JSON: requests and the usage the gateway reported
        ok INTEGER NOT NULL,
        interrupted INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX verify_runs_by_profile ON verify_runs (profile, started_at);
    CREATE TABLE verify_checks (
        run_id INTEGER NOT NULL REFERENCES verify_runs (id) ON DELETE CASCADE,
        check_id TEXT NOT NULL,
        status TEXT NOT NULL,
        detail TEXT NOT NULL,
        fix TEXT NOT NULL,
        evidence TEXT NOT NULL,        -- JSON
        PRIMARY KEY (run_id, check_id)
    );
    """,
)

MIGRATIONS: tuple[Migration, ...] = (VERIFY_RUNS,)
