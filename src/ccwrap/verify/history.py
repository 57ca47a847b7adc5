"""Every verify run in the ledger, and what changed from one run of a profile to the next.

A check "changed since <date>" when its status or its stable evidence (the served model, the id
prefixes, …; ``model.STABLE_EVIDENCE``) differs from the same check in the profile's previous
run that had it; the date is that previous run's.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, replace
from typing import Any

from ccwrap.verify.model import CHECK_IDS, CheckResult, Run, Spend

HISTORY_LIMIT = 20


def save(conn: sqlite3.Connection, run: Run) -> int:
    conn.execute("BEGIN IMMEDIATE")
    try:
        cursor = conn.execute(
            "INSERT INTO verify_runs (profile, started_at, base_url, model, client, spent, ok,"
            " interrupted) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                run.profile,
                run.started_at,
                run.base_url,
                run.model,
                json.dumps(run.client),
                json.dumps(run.spent.to_json()),
                int(run.ok),
                int(run.interrupted),
            ),
        )
        run_id = int(cursor.lastrowid or 0)
        conn.executemany(
            "INSERT INTO verify_checks (run_id, check_id, status, detail, fix, evidence)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [
                (run_id, c.id, c.status, c.detail, c.fix, json.dumps(c.evidence, default=str))
                for c in run.checks
            ],
        )
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    run.id = run_id
    return run_id


def _checks(conn: sqlite3.Connection, run_id: int) -> list[CheckResult]:
    rows = conn.execute(
        "SELECT check_id, status, detail, fix, evidence FROM verify_checks WHERE run_id = ?"
        " ORDER BY rowid",
        (run_id,),
    ).fetchall()
    known = [r for r in rows if r["check_id"] in CHECK_IDS]  # a newer ccwrap's ids are left out
    return [
        CheckResult(r["check_id"], r["status"], r["detail"], r["fix"], _json(r["evidence"], {}))
        for r in known
    ]


def _json(text: str, default: Any) -> Any:
    try:
        return json.loads(text)
    except (ValueError, TypeError):
        return default


def load(conn: sqlite3.Connection, row: sqlite3.Row) -> Run:
    spent = Spend(**{k: v for k, v in _json(row["spent"], {}).items() if k in Spend().to_json()})
    return Run(
        profile=row["profile"],
        base_url=row["base_url"],
        model=row["model"],
        client=_json(row["client"], {}),
        started_at=row["started_at"],
        spent=spent,
        checks=_checks(conn, row["id"]),
        interrupted=bool(row["interrupted"]),
        id=row["id"],
    )


def previous_checks(
    conn: sqlite3.Connection, profile: str, before: str, wanted: list[str]
) -> dict[str, tuple[str, CheckResult]]:
    """For each check id, the started_at and result of the latest earlier run that had it."""
    found: dict[str, tuple[str, CheckResult]] = {}
    rows = conn.execute(
        "SELECT id, started_at FROM verify_runs WHERE profile = ? AND started_at < ?"
        " ORDER BY started_at DESC, id DESC LIMIT 200",
        (profile, before),
    ).fetchall()
    for row in rows:
        for result in _checks(conn, row["id"]):
            if result.id in wanted and result.id not in found:
                found[result.id] = (row["started_at"], result)
        if len(found) == len(wanted):
            break
    return found


def mark_changes(conn: sqlite3.Connection, run: Run) -> Run:
    """The run's checks flagged where they differ from the profile's previous run."""
    earlier = previous_checks(conn, run.profile, run.started_at, [c.id for c in run.checks])
    marked = []
    for result in run.checks:
        before = earlier.get(result.id)
        if before is not None and before[1].signature() != result.signature():
            marked.append(replace(result, changed_since=shown_date(before[0])))
        else:
            marked.append(result)
    run.checks = marked
    return run


def shown_date(iso: str) -> str:
    """``2026-12-02T17:40:03+00:00`` → ``2026-12-02 17:40 UTC``."""
    return iso[:16].replace("T", " ") + " UTC"


@dataclass
class History:
    runs: list[Run]

    def to_json(self) -> dict[str, Any]:
        return {
            "version": 1,
            "runs": [
                {
                    **run.to_json(),
                    "id": run.id,
                    "started_at": run.started_at,
                    "interrupted": run.interrupted,
                    "client": run.client,
                }
                for run in self.runs
            ],
        }


def history(conn: sqlite3.Connection, profile: str | None, limit: int = HISTORY_LIMIT) -> History:
    """The newest runs (of one profile, or all), newest first, each flagged against its previous."""
    where, args = ("WHERE profile = ?", (profile,)) if profile else ("", ())
    rows = conn.execute(
        f"SELECT * FROM verify_runs {where} ORDER BY started_at DESC, id DESC LIMIT ?",  # noqa: S608 -- fixed text
        (*args, limit),
    ).fetchall()
    return History([mark_changes(conn, load(conn, row)) for row in rows])
