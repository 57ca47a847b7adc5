"""The fast start-up route: ``run``, ``key``, ``statusline`` and ``--version`` without Typer.

Measured on this machine (docs/benchmarks.md, "Launch"): importing Typer costs ~40 ms, and Typer
0.29 validates every non-bool parameter through a pydantic TypeAdapter, which imports pydantic
(~70 ms more) on each call. ``run`` starts every Claude Code session and ``key`` runs at every
apiKeyHelper refresh, so ``cli.app.main`` asks this module first, and Typer is never imported for
them.

Each command's fast parser lives beside its Typer definition (``commands/run.py``,
``commands/key.py``): ``parse_fast(args)`` returns the command's request object, or None when
Typer must answer (``--help``, a form the fast parser does not take, shell completion), and
``execute(request)`` runs it whichever route built it. ``tests/cli/test_fast_route.py`` checks
that every Typer option of ``run`` and ``key`` is known to the fast route.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence

Command = Callable[[], int]
FAST_COMMANDS = ("run", "key", "statusline", "wrap")


def dispatch(argv: Sequence[str], environ: Mapping[str, str]) -> Command | None:
    """A ready-to-run command when the fast route takes ``argv``, else None (Typer's turn)."""
    if not argv or any(name.startswith("_CCWRAP_COMPLETE") for name in environ):
        return None
    if list(argv) == ["--version"]:
        return _version
    if argv[0] == "run":
        from ccwrap.cli.commands import run

        run_request = run.parse_fast(argv[1:])
        return None if run_request is None else lambda: run.execute(run_request)
    if argv[0] == "key":
        from ccwrap.cli.commands import key

        key_request = key.parse_fast(argv[1:])
        return None if key_request is None else lambda: key.execute(key_request)
    if argv[0] == "wrap" and len(argv) > 2 and argv[1] == "--":  # claude's processWrapper
        from ccwrap.cli.commands.bind import wrap_command

        return lambda: wrap_command(list(argv[2:]))
    if argv[0] == "statusline":
        from ccwrap.cli.commands import statusline

        return statusline.execute if statusline.parse_fast(argv[1:]) else None
    return None


def _version() -> int:
    from ccwrap import __version__

    sys.stdout.write(f"ccwrap {__version__}\n")
    return 0
