"""The ledger file: private, WAL, migrated in order, a newer schema refused, garbage refused."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from ccwrap.context import Paths
from ccwrap.errors import LedgerError
from ccwrap.ledger.database import Migration, ledger_path, open_ledger, schema_version

FIRST = Migration(1, "first", "CREATE TABLE a (x INTEGER);\nCREATE INDEX a_x ON a (x);")
SECOND = Migration(
    3,
    "second",
    "CREATE TABLE b (y TEXT);\n"
    "CREATE TRIGGER b_t AFTER INSERT ON b BEGIN\n  INSERT INTO a VALUES (1);\nEND;",
)


def paths_in(tmp_path: Path) -> Paths:
    return Paths(config_dir=tmp_path / "c", state_dir=tmp_path / "state")


def test_created_private_in_wal_mode_and_migrated(tmp_path: Path) -> None:
    paths = paths_in(tmp_path)
    conn = open_ledger(paths, migrations=[FIRST])
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert schema_version(conn) == 1
    conn.execute("INSERT INTO a VALUES (5)")
    conn.close()
    assert stat.S_IMODE(ledger_path(paths).stat().st_mode) == 0o600
    assert stat.S_IMODE(paths.state_dir.stat().st_mode) == 0o700


def test_a_later_migration_applies_once_keeping_rows(tmp_path: Path) -> None:
    paths = paths_in(tmp_path)
    open_ledger(paths, migrations=[FIRST]).execute("INSERT INTO a VALUES (5)")
    conn = open_ledger(paths, migrations=[SECOND, FIRST])
    assert schema_version(conn) == 3
    conn.execute("INSERT INTO b VALUES ('z')")  # the trigger came through whole
    assert [r[0] for r in conn.execute("SELECT x FROM a ORDER BY x")] == [1, 5]
    conn.close()
    assert schema_version(open_ledger(paths, migrations=[FIRST, SECOND])) == 3


def test_a_failing_migration_leaves_the_previous_schema(tmp_path: Path) -> None:
    paths = paths_in(tmp_path)
    open_ledger(paths, migrations=[FIRST]).close()
    broken = Migration(2, "broken", "CREATE TABLE c (z);\nNOT SQL AT ALL;")
    with pytest.raises(LedgerError):
        open_ledger(paths, migrations=[FIRST, broken])
    conn = open_ledger(paths, migrations=[FIRST])
    assert schema_version(conn) == 1
    assert not conn.execute("SELECT name FROM sqlite_master WHERE name = 'c'").fetchall()


def test_newer_schema_and_garbage_are_refused_with_a_hint(tmp_path: Path) -> None:
    paths = paths_in(tmp_path)
    open_ledger(paths, migrations=[FIRST, SECOND]).close()
    with pytest.raises(LedgerError, match="newer ccwrap") as newer:
        open_ledger(paths, migrations=[FIRST])
    assert newer.value.hint
    ledger_path(paths).write_bytes(b"this is not a database" * 100)
    with pytest.raises(LedgerError, match="cannot open the ledger"):
        open_ledger(paths, migrations=[FIRST])


def test_readonly_never_creates(tmp_path: Path) -> None:
    paths = paths_in(tmp_path)
    with pytest.raises(LedgerError, match="no ledger yet"):
        open_ledger(paths, migrations=[FIRST], readonly=True)
    assert not ledger_path(paths).exists()
    open_ledger(paths, migrations=[FIRST]).close()
    conn = open_ledger(paths, migrations=[FIRST], readonly=True)
    assert conn.execute("SELECT count(*) FROM a").fetchone()[0] == 0
