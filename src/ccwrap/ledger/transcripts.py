"""Claude Code's own transcripts as a usage source, read incrementally (stdlib only).

    transcript_files(config_dir)   the ``projects/**/*.jsonl`` files under a claude config folder
    ingest(conn, files)            read each file from where the last read stopped; rows added
    unread(conn, path)             whether a file has bytes not read yet

Claude Code writes one JSON object a line to ``<config>/projects/<folder>/<session>.jsonl``;
assistant lines carry ``message.usage`` (one line per content block, all with the same
``message.id``: the last one wins). Only the numbers, the ids, the model, the time and the
working folder are kept, never a message's text. Unknown and malformed lines are skipped. The
ledger remembers, per file, the offset after the last complete line and a digest of the file's
first bytes: a file that grew is read from there, one that shrank or was replaced from the start.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ccwrap.ledger.usage import Usage, clean_text
from ccwrap.text import loads_bounded

HEAD_BYTES = 256
BLOCK = 1 << 20
LINE_LIMIT = 16 << 20  # a longer line is skipped unread
MAX_FILES = 50_000


@dataclass(frozen=True)
class Entry:
    session_id: str
    message_id: str
    time: float
    cwd: str | None
    model: str | None
    usage: Usage


def transcript_files(config_dir: Path) -> list[Path]:
    projects = config_dir / "projects"
    found: list[Path] = []
    try:
        for path in projects.rglob("*.jsonl"):
            found.append(path)
            if len(found) >= MAX_FILES:
                break
    except OSError:
        return found
    return sorted(found)


def ingest(conn: sqlite3.Connection, files: Iterable[Path]) -> int:
    """Read what is new in each file into ``transcript_usage``; the number of lines kept."""
    kept = 0
    for path in files:
        try:
            kept += _ingest_file(conn, path)
        except (OSError, sqlite3.OperationalError):
            continue  # unreadable now, or the ledger busy: next time
    return kept


def unread(conn: sqlite3.Connection, path: Path) -> bool:
    """Whether ``path`` holds bytes the ledger has not read (a cheap check before writing)."""
    try:
        size = path.stat().st_size
    except OSError:
        return False
    row = conn.execute(
        "SELECT read_offset FROM transcript_files WHERE path = ?", (str(path),)
    ).fetchone()
    return row is None or row[0] != size


def _ingest_file(conn: sqlite3.Connection, path: Path) -> int:
    size = path.stat().st_size
    row = conn.execute(
        "SELECT read_offset, head FROM transcript_files WHERE path = ?", (str(path),)
    ).fetchone()
    if row is not None and row[0] == size:
        return 0
    with path.open("rb") as handle:
        head = _digest(handle.read(HEAD_BYTES))
        offset = 0
        if row is not None and row[0] < size and row[1] == head:
            offset = int(row[0])
        handle.seek(offset)
        entries, offset = _read_from(handle, offset)
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.executemany(UPSERT, [_row(e) for e in entries])
        conn.execute(
            "INSERT INTO transcript_files (path, read_offset, head) VALUES (?, ?, ?)"
            " ON CONFLICT (path) DO UPDATE SET read_offset = excluded.read_offset,"
            " head = excluded.head",
            (str(path), offset, head),
        )
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return len(entries)


UPSERT = (
    "INSERT INTO transcript_usage (session_id, message_id, time, cwd, model, input_tokens,"
    " output_tokens, cache_read_input_tokens, cache_creation_input_tokens,"
    " cache_creation_5m_input_tokens, cache_creation_1h_input_tokens)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (session_id, message_id) DO UPDATE SET"
    " input_tokens = excluded.input_tokens, output_tokens = excluded.output_tokens,"
    " cache_read_input_tokens = excluded.cache_read_input_tokens,"
    " cache_creation_input_tokens = excluded.cache_creation_input_tokens,"
    " cache_creation_5m_input_tokens = excluded.cache_creation_5m_input_tokens,"
    " cache_creation_1h_input_tokens = excluded.cache_creation_1h_input_tokens"
)


def _row(entry: Entry) -> tuple[object, ...]:
    u = entry.usage
    return (
        entry.session_id,
        entry.message_id,
        entry.time,
        entry.cwd,
        entry.model,
        u.input_tokens,
        u.output_tokens,
        u.cache_read_input_tokens,
        u.cache_creation_input_tokens,
        u.cache_creation_5m_input_tokens,
        u.cache_creation_1h_input_tokens,
    )


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:32]


def _read_from(handle: Any, offset: int) -> tuple[list[Entry], int]:
    """Entries in the complete lines after ``offset``; the offset after the last one."""
    entries: list[Entry] = []
    for line, end in _lines(handle, offset):
        offset = end
        if b'"usage"' in line and b'"assistant"' in line:
            entry = parse_line(line)
            if entry is not None:
                entries.append(entry)
    return entries, offset


def _lines(handle: Any, offset: int) -> Iterator[tuple[bytes, int]]:
    """Each complete line after ``offset`` and the offset just after it; an over-long line is
    skipped, an unfinished last line left for next time."""
    pending = bytearray()
    skipping = False
    position = offset  # where the current block starts in the file
    while block := handle.read(BLOCK):
        start = 0
        while (newline := block.find(b"\n", start)) >= 0:
            if not skipping:
                yield bytes(pending) + block[start:newline], position + newline + 1
            pending.clear()
            skipping = False
            start = newline + 1
        if not skipping:
            pending += block[start:]
            if len(pending) > LINE_LIMIT:
                pending.clear()
                skipping = True
        position += len(block)


def parse_line(line: bytes) -> Entry | None:
    try:
        data = loads_bounded(line, max_bytes=LINE_LIMIT)
    except ValueError:
        return None
    if not isinstance(data, Mapping) or data.get("type") != "assistant":
        return None
    message = data.get("message")
    session = data.get("sessionId")
    if not isinstance(message, Mapping) or not isinstance(session, str):
        return None
    usage = Usage()
    usage.merge(message.get("usage"))
    message_id = message.get("id") or data.get("requestId") or data.get("uuid")
    when = _timestamp(data.get("timestamp"))
    if not usage.known or not isinstance(message_id, str) or when is None:
        return None
    model = message.get("model")
    cwd = data.get("cwd")
    return Entry(
        session_id=clean_text(session, 128) or "?",
        message_id=clean_text(message_id, 128) or "?",
        time=when,
        cwd=cwd[:4096] if isinstance(cwd, str) else None,  # compared with launches, not shown
        model=clean_text(model),
        usage=usage,
    )


def _timestamp(value: object) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
