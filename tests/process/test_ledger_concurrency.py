"""Several proxies' writers on one ledger, in separate processes: no row is lost."""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path

from ccwrap.context import Paths
from ccwrap.ledger.database import open_ledger
from ccwrap.ledger.recorder import LedgerWriter, RequestRecord
from ccwrap.ledger.usage import Usage


def _write_many(state: str, worker: int, count: int) -> None:
    writer = LedgerWriter(Paths(config_dir=Path(state), state_dir=Path(state)))
    for n in range(count):
        writer.submit(
            RequestRecord(time=float(n), profile=f"p{worker}", route="r", usage=Usage(n, 1))
        )
    writer.close(timeout=60)


def test_concurrent_processes_lose_nothing(tmp_path: Path) -> None:
    state = str(tmp_path / "state")
    open_ledger(Paths(config_dir=Path(state), state_dir=Path(state))).close()
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_write_many, args=(state, w, 400)) for w in range(4)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(120)
        assert process.exitcode == 0
    conn = sqlite3.connect(Path(state) / "ledger.sqlite3")
    counts = dict(conn.execute("SELECT profile, count(*) FROM proxy_requests GROUP BY profile"))
    assert counts == {f"p{w}": 400 for w in range(4)}
    assert conn.execute("SELECT sum(input_tokens) FROM proxy_requests").fetchone()[0] == (
        4 * sum(range(400))
    )
