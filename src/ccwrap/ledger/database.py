"""Opening the ledger: one SQLite file in the state folder, private, in WAL mode, migrated.

    open_ledger(paths)           the connection, created 0600 inside a 0700 folder, schema current
    migrate(conn, migrations)    apply the migrations newer than the file's ``user_version``

The schema lives in ``ccwrap.ledger.schema`` as numbered migrations (each feature adds its own);
``PRAGMA user_version`` records the last one applied, so an older ccwrap's file is brought forward
and a newer ccwrap's file is refused rather than misread.

WAL lets readers (``ccwrap stats``, the status line) run while one writer (a proxy) commits, and
``busy_timeout`` makes a second writer wait instead of failing.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ccwrap.context import Paths, ensure_private_dir
from ccwrap.errors import LedgerError

LEDGER_FILE = "ledger.sqlite3"
BUSY_TIMEOUT_MS = 5000


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def ledger_path(paths: Paths) -> Path:
    return paths.state_dir / LEDGER_FILE


def open_ledger(
    paths: Paths, *, migrations: Sequence[Migration] | None = None, readonly: bool = False
) -> sqlite3.Connection:
    """The ledger, migrated to the current schema; ``readonly`` never creates or migrates it.

    Raises LedgerError when the file cannot be opened, is not a database, or was written by a
    newer ccwrap. A read-only open of a missing ledger raises LedgerError too (callers that can
    do without it, such as the status line, catch it).
    """
    path = ledger_path(paths)
    if migrations is None:
        from ccwrap.ledger.schema import MIGRATIONS

        migrations = MIGRATIONS
    try:
        if readonly:
            if not path.is_file():
                raise LedgerError(f"no ledger yet at {path}")
            conn = sqlite3.connect(
                f"{path.as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000
            )
        else:
            _create_private(path)
            conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)
        conn.isolation_level = None  # explicit transactions only (BEGIN IMMEDIATE for writes)
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if not readonly:
            conn.execute("PRAGMA journal_mode = WAL")
            # In WAL mode NORMAL syncs at checkpoints, not at every commit: a power cut may lose
            # the last rows, never the file. `ccwrap run` and each proxy batch commit.
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
        _check_version(conn, path, migrations, readonly=readonly)
        if not readonly:
            migrate(conn, migrations)
    except sqlite3.DatabaseError as exc:
        raise LedgerError(
            f"cannot open the ledger {path}: {exc}",
            hint="move the file aside; ccwrap creates a new one",
        ) from exc
    return conn


def migrate(conn: sqlite3.Connection, migrations: Sequence[Migration]) -> int:
    """Apply every migration newer than the file's version, each in its own transaction."""
    ordered = sorted(migrations, key=lambda m: m.version)
    current = schema_version(conn)
    for migration in ordered:
        if migration.version <= current:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _statements(migration.sql):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {int(migration.version)}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        current = migration.version
    return current


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def _check_version(
    conn: sqlite3.Connection, path: Path, migrations: Sequence[Migration], *, readonly: bool
) -> None:
    newest = max((m.version for m in migrations), default=0)
    found = schema_version(conn)
    if found > newest:
        raise LedgerError(
            f"the ledger {path} was written by a newer ccwrap (schema {found}, this one knows "
            f"{newest})",
            hint="upgrade ccwrap, or move the file aside",
        )


def _statements(sql: str) -> list[str]:
    """Split a migration into statements; ``sqlite3.complete_statement`` keeps triggers whole."""
    statements: list[str] = []
    pending = ""
    for line in sql.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            if pending.strip().rstrip(";").strip():
                statements.append(pending.strip())
            pending = ""
    if pending.strip():
        statements.append(pending.strip())
    return statements


def _create_private(path: Path) -> None:
    """Create the file 0600 before SQLite opens it; its -wal and -shm files copy that mode."""
    ensure_private_dir(path.parent)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
    os.close(fd)
