"""``ccwrap run`` launches in the ledger, so transcripts can be attributed to a profile later.

    record_launch(paths, ...)     a row at start (profile, time, folder, claude's config folder)
    finish_launch(paths, id, rc)  its end and exit code, when ccwrap supervised claude
    tracked(paths, launch, run)   both around one launch

On POSIX a plain ``run`` execs claude: ccwrap is gone when claude exits, so such a launch has no
end and no exit code (``supervised`` = 0). Recording never stops a launch: any failure is silent.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ccwrap.context import Paths

LAUNCH_VARIABLE = "CCWRAP_LAUNCH_ID"  # claude's environment: which launch it belongs to


@dataclass(frozen=True)
class Launch:
    profile: str
    cwd: Path
    claude_config_dir: Path
    supervised: bool
    proxied: bool
    session_id: str | None = None


def record_launch(paths: Paths, launch: Launch, *, now: float | None = None) -> int | None:
    """The new launch's id, or None when the ledger cannot be written (the launch goes on)."""
    try:
        from ccwrap.ledger.database import open_ledger

        conn = open_ledger(paths)
        try:
            cursor = conn.execute(
                "INSERT INTO launches (profile, started, cwd, claude_config_dir, pid, supervised,"
                " proxied, session_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    launch.profile,
                    time.time() if now is None else now,
                    str(launch.cwd),
                    str(launch.claude_config_dir),
                    os.getpid(),
                    int(launch.supervised),
                    int(launch.proxied),
                    launch.session_id,
                ),
            )
            return cursor.lastrowid
        finally:
            conn.close()
    except Exception:  # a launch never fails for want of a ledger
        return None


def finish_launch(
    paths: Paths, launch_id: int | None, exit_code: int, *, now: float | None = None
) -> None:
    if launch_id is None:
        return
    try:
        from ccwrap.ledger.database import open_ledger

        conn = open_ledger(paths)
        try:
            conn.execute(
                "UPDATE launches SET ended = ?, exit_code = ? WHERE id = ?",
                (time.time() if now is None else now, exit_code, launch_id),
            )
        finally:
            conn.close()
    except (Exception, sqlite3.Error):
        return


def session_flag(args: list[str] | tuple[str, ...]) -> str | None:
    """The ``--session-id`` the user gave claude, if any (then attribution is exact)."""
    for index, arg in enumerate(args):
        if arg == "--":
            break
        if arg == "--session-id" and index + 1 < len(args):
            return args[index + 1][:128]
        if arg.startswith("--session-id="):
            return arg.split("=", 1)[1][:128]
    return None


def tracked(
    paths: Paths,
    launch: Launch,
    run: Callable[[], int],
    *,
    env: MutableMapping[str, str] | None = None,
) -> int:
    """Record the launch, run it, record its end when ``run`` returns (exec never does).

    ``env`` (claude's environment) gets ``CCWRAP_LAUNCH_ID``, so the status line can tell the
    ledger which session this launch became.
    """
    launch_id = record_launch(paths, launch)
    if env is not None and launch_id is not None:
        env[LAUNCH_VARIABLE] = str(launch_id)
    code = run()
    finish_launch(paths, launch_id, code)
    return code


def bind_session(conn: sqlite3.Connection, launch_id: str, session_id: str) -> None:
    """The status line saw ``session_id`` in the launch ``launch_id``: attribution becomes exact."""
    if launch_id.isdigit():
        conn.execute(
            "UPDATE launches SET session_id = ? WHERE id = ? AND session_id IS NULL",
            (session_id[:128], int(launch_id)),
        )
