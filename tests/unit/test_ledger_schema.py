"""The real schema: from an empty file, and from each earlier state, rows kept."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ccwrap.context import Paths
from ccwrap.ledger.database import ledger_path, open_ledger, schema_version
from ccwrap.ledger.schema import MIGRATIONS, USAGE

TABLES = {"proxy_requests", "launches", "transcript_files", "transcript_usage"}


def tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def paths_in(tmp_path: Path) -> Paths:
    return Paths(config_dir=tmp_path / "c", state_dir=tmp_path / "state")


def test_from_nothing_to_current(tmp_path: Path) -> None:
    conn = open_ledger(paths_in(tmp_path))
    assert schema_version(conn) == max(m.version for m in MIGRATIONS)
    assert tables(conn) >= TABLES


def test_from_the_empty_file_an_earlier_ccwrap_left(tmp_path: Path) -> None:
    paths = paths_in(tmp_path)
    open_ledger(paths, migrations=()).close()  # the ledger before any feature had a migration
    assert schema_version(sqlite3.connect(ledger_path(paths))) == 0
    conn = open_ledger(paths)
    assert tables(conn) >= TABLES


def test_from_the_usage_schema_keeping_rows(tmp_path: Path) -> None:
    paths = paths_in(tmp_path)
    old = open_ledger(paths, migrations=(USAGE,))
    old.execute(
        "INSERT INTO proxy_requests (time, profile, route, input_tokens) VALUES (1, 'p', 'r', 7)"
    )
    old.close()
    conn = open_ledger(paths)
    assert schema_version(conn) == max(m.version for m in MIGRATIONS)
    assert conn.execute("SELECT input_tokens FROM proxy_requests").fetchone()[0] == 7


def test_no_column_can_hold_text_of_a_conversation(tmp_path: Path) -> None:
    conn = open_ledger(paths_in(tmp_path))
    for table in TABLES:
        names = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
        assert not names & {"content", "text", "prompt", "body", "messages", "system"}
