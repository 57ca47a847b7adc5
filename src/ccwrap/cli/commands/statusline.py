"""``ccwrap statusline``: the command for Claude Code's ``statusLine`` setting.

It runs on every refresh of claude's status bar, so it takes the fast route (``cli.fast_route``):
no Typer, no rich, no network, only the ledger and config.toml. It reads the JSON claude writes
on stdin and prints one line (``work · glm-4.6 · cache 87% · $0.42``). It never fails: whatever
goes wrong (no ledger, a locked or corrupt one, garbage on stdin) prints a plain line, exit 0.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import typer

    from ccwrap.context import Context
    from ccwrap.ledger.prices import Prices

STDIN_LIMIT = 1 << 20
FALLBACK = "ccwrap"
BUSY_MS = 200  # a refresh waits at most this long for a proxy holding the ledger's write lock


def parse_fast(args: Sequence[str]) -> bool:
    """The fast route takes ``statusline`` with no arguments; anything else (--help) is Typer's."""
    return not args


def register(app: typer.Typer) -> None:
    import typer

    def statusline() -> None:
        """One line for Claude Code's statusLine: profile · served model · cache hit rate · cost.

        Reads the JSON Claude Code sends on stdin; install it with
        `ccwrap settings apply NAME --statusline`.
        """
        raise typer.Exit(execute())

    app.command("statusline")(statusline)


def execute() -> int:
    try:
        line = status_line(sys.stdin.buffer.read(STDIN_LIMIT))
    except BaseException:  # the status bar gets a line whatever happens
        line = FALLBACK
    try:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
    except OSError:
        pass
    return 0


def status_line(raw: bytes, ctx: Context | None = None) -> str:
    from ccwrap.context import Context
    from ccwrap.text import loads_bounded

    ctx = ctx or Context.from_os()
    try:
        data = loads_bounded(raw) if raw.strip() else {}
    except ValueError:
        data = {}
    if not isinstance(data, Mapping):
        data = {}
    from ccwrap.ledger.statusline import SessionView, render

    try:
        view = _view(ctx, data)
    except Exception:  # no ledger yet, or one we cannot read: the session is unknown
        view = SessionView()
    return render(view, data, lambda name: _prices(ctx, name))


def _view(ctx: Context, data: Mapping[str, Any]) -> Any:
    """Read through a read-only connection; open for writing only when needed (and if the
    ledger does not exist yet, create it only then)."""
    import sqlite3

    from ccwrap.errors import LedgerError
    from ccwrap.ledger.database import ledger_path, open_ledger, schema_version
    from ccwrap.ledger.launches import LAUNCH_VARIABLE
    from ccwrap.ledger.schema import MIGRATIONS
    from ccwrap.ledger.statusline import session_view

    opened: list[sqlite3.Connection] = []

    def writer() -> sqlite3.Connection:
        if not opened:
            conn = open_ledger(ctx.paths)
            conn.execute(f"PRAGMA busy_timeout = {BUSY_MS}")
            opened.append(conn)
        return opened[0]

    try:
        reader = open_ledger(ctx.paths, readonly=True)
    except LedgerError:
        if ledger_path(ctx.paths).exists():
            raise
        reader = writer()  # no ledger yet: the transcript may give the first rows
    if schema_version(reader) < max(m.version for m in MIGRATIONS):
        reader.close()
        reader = writer()  # written by an older ccwrap: migrate it first
    try:
        reader.execute(f"PRAGMA busy_timeout = {BUSY_MS}")
        return session_view(reader, data, ctx.environ.get(LAUNCH_VARIABLE), writer)
    finally:
        for conn in {id(c): c for c in [reader, *opened]}.values():
            conn.close()


def _prices(ctx: Context, name: str) -> Prices | None:
    from ccwrap.ledger.prices import Prices
    from ccwrap.profiles.store import ProfileStore

    try:
        return Prices.of(ProfileStore(ctx.paths.config_file).get(name))
    except Exception:  # a profile removed since, or a broken config: no cost shown
        return None
