"""Keeping the ledger small: prune by date, a size cap (oldest rows first), CSV export.

prune_before(conn, when)     delete usage rows and launches older than ``when``; counts
enforce_cap(conn, cap)       drop the oldest rows until the data fits ``cap`` bytes
export_csv(conn, out, ...)   every usage row (proxy and transcript) as CSV, no text
"""

from __future__ import annotations

import csv
import sqlite3
from typing import TextIO

DEFAULT_CAP_BYTES = 100 * 1024 * 1024
CAP_STEP = 0.1  # the share of rows dropped at each step of enforce_cap
# (table, time column) of every table that grows with use; transcript_files is one row per file.
GROWING = (
    ("proxy_requests", "time"),
    ("transcript_usage", "time"),
    ("launches", "started"),
)


def prune_before(conn: sqlite3.Connection, when: float) -> dict[str, int]:
    """Delete every row older than ``when`` (Unix seconds); how many per table."""
    counts: dict[str, int] = {}
    conn.execute("BEGIN IMMEDIATE")
    try:
        for table, column in GROWING:
            cursor = conn.execute(f"DELETE FROM {table} WHERE {column} < ?", (when,))  # noqa: S608
            counts[table] = cursor.rowcount
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return counts


def used_bytes(conn: sqlite3.Connection) -> int:
    pages = int(conn.execute("PRAGMA page_count").fetchone()[0])
    free = int(conn.execute("PRAGMA freelist_count").fetchone()[0])
    size = int(conn.execute("PRAGMA page_size").fetchone()[0])
    return (pages - free) * size


def enforce_cap(conn: sqlite3.Connection, cap: int | None = None) -> int:
    """Drop the oldest tenth of the rows until the used pages fit ``cap``; rows dropped.

    Freed pages are reused by later rows, so the file stops growing at about the cap without
    a VACUUM (which would rewrite the whole file under the proxies' feet).
    """
    cap = DEFAULT_CAP_BYTES if cap is None else cap
    dropped = 0
    while used_bytes(conn) > cap:
        step = 0
        conn.execute("BEGIN IMMEDIATE")
        try:
            for table, column in GROWING:
                total = int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608
                if not total:
                    continue
                n = max(1, int(total * CAP_STEP))
                cursor = conn.execute(
                    f"DELETE FROM {table} WHERE rowid IN "  # noqa: S608
                    f"(SELECT rowid FROM {table} ORDER BY {column} LIMIT ?)",
                    (n,),
                )
                step += cursor.rowcount
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        if not step:
            break
        dropped += step
    return dropped


EXPORT_COLUMNS = (
    "source",
    "time",
    "profile",
    "session_id",
    "route",
    "model_requested",
    "model_served",
    "status",
    "error_type",
    "ttfb_ms",
    "duration_ms",
    "input_tokens",
    "output_tokens",
    "cache_read_input_tokens",
    "cache_creation_input_tokens",
    "cache_creation_5m_input_tokens",
    "cache_creation_1h_input_tokens",
)


def export_csv(rows: list[dict[str, object]], out: TextIO) -> int:
    """Write usage rows (``stats.usage_rows``) as CSV with a header; rows written."""
    writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({name: _cell(row.get(name)) for name in EXPORT_COLUMNS})
    return len(rows)


def _cell(value: object) -> object:
    # A spreadsheet runs a cell that starts with = + - @ as a formula: model names come from a
    # gateway, so such a value is quoted with a leading apostrophe.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value
