"""The ledger's schema as numbered migrations (``ccwrap.ledger.database.migrate`` applies them).

A migration is never edited once released: a change is a new migration. Numbers are unique and
increasing; each feature owns its own: 1 usage (proxy requests, launches, transcript offsets),
2 verify runs.

Times are Unix seconds (REAL, UTC); durations are milliseconds. Token counts are NULL when the
answer never said (a cut stream, an error), never a guessed zero. No prompt or answer text is
stored anywhere: only ids, model names, numbers and error kinds.
"""

from __future__ import annotations

from ccwrap.ledger.database import Migration

USAGE = Migration(
    1,
    "usage",
    """\
CREATE TABLE proxy_requests (
    id INTEGER PRIMARY KEY,
    time REAL NOT NULL,
    profile TEXT NOT NULL,
    route TEXT NOT NULL,
    session_id TEXT,
    agent_id TEXT,
    parent_agent_id TEXT,
    model_requested TEXT,
    model_mapped TEXT,
    model_served TEXT,
    status INTEGER,
    error_type TEXT,
    ttfb_ms REAL,
    duration_ms REAL,
    input_tokens INTEGER,
    output_tokens INTEGER,
    cache_read_input_tokens INTEGER,
    cache_creation_input_tokens INTEGER,
    cache_creation_5m_input_tokens INTEGER,
    cache_creation_1h_input_tokens INTEGER,
    complete INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX proxy_requests_time ON proxy_requests (time);
CREATE INDEX proxy_requests_session ON proxy_requests (session_id);
CREATE TABLE launches (
    id INTEGER PRIMARY KEY,
    profile TEXT NOT NULL,
    started REAL NOT NULL,
    ended REAL,
    cwd TEXT NOT NULL,
    claude_config_dir TEXT NOT NULL,
    pid INTEGER NOT NULL,
    exit_code INTEGER,
    supervised INTEGER NOT NULL DEFAULT 0,
    proxied INTEGER NOT NULL DEFAULT 0,
    session_id TEXT
);
CREATE INDEX launches_cwd ON launches (cwd, started);
CREATE TABLE transcript_files (
    path TEXT PRIMARY KEY,
    read_offset INTEGER NOT NULL,
    head TEXT NOT NULL
);
CREATE TABLE transcript_usage (
    id INTEGER PRIMARY KEY,
    session_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    time REAL NOT NULL,
    cwd TEXT,
    model TEXT,
    input_tokens INTEGER,
    output_tokens INTEGER,
    cache_read_input_tokens INTEGER,
    cache_creation_input_tokens INTEGER,
    cache_creation_5m_input_tokens INTEGER,
    cache_creation_1h_input_tokens INTEGER,
    UNIQUE (session_id, message_id)
);
CREATE INDEX transcript_usage_time ON transcript_usage (time);
""",
)

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

MIGRATIONS: tuple[Migration, ...] = (USAGE, VERIFY_RUNS)
