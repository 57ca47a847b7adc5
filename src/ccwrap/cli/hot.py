"""``run``, ``key`` and ``--version`` without Typer: the commands in front of every session.

Measured on this machine (docs/benchmarks.md, "Launch"): importing Typer costs ~40 ms, and Typer
0.29 validates every non-bool parameter through a pydantic TypeAdapter, which imports pydantic
(~70 ms more) on each call. ``run`` starts every Claude Code session and ``key`` runs at every
apiKeyHelper refresh, so their plain forms are parsed here by hand and Typer is never imported.

The parser is deliberately narrow: anything it does not recognise (``--help``, a typo, a
positional argument without ``--``, shell completion) returns None and the Typer app handles it,
so help, errors and completion stay Typer's. Both routes end in the same functions,
``cli.run.run_command`` and ``cli.key.print_key``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

Command = Callable[[], int]


def parse(argv: Sequence[str], environ: dict[str, str] | None = None) -> Command | None:
    """A ready-to-run command for the plain forms of ``run`` and ``key``, else None."""
    environ = dict(os.environ) if environ is None else environ
    if not argv or any(name.startswith("_CCWRAP_COMPLETE") for name in environ):
        return None
    if list(argv) == ["--version"]:
        return _version
    if argv[0] == "run":
        return _parse_run(argv[1:])
    if argv[0] == "key":
        return _parse_key(argv[1:])
    if argv[0] == "wrap" and len(argv) > 2 and argv[1] == "--":
        return lambda: _wrap(list(argv[2:]))
    return None


def _wrap(argv: list[str]) -> int:
    from ccwrap.cli.commands.bind import wrap_command

    return wrap_command(argv)


def _parse_run(args: Sequence[str]) -> Command | None:
    options: dict[str, Any] = {
        "profile": None,
        "proxy": None,
        "dry_run": False,
        "json": False,
        "force": False,
    }
    flags = {
        "--force": ("force", True),
        "--proxy": ("proxy", True),
        "--no-proxy": ("proxy", False),
        "--dry-run": ("dry_run", True),
        "--json": ("json", True),
    }
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            claude_args = list(args[index + 1 :])
            return lambda: _run(options, claude_args)
        if arg in flags:
            name, value = flags[arg]
            options[name] = value
        elif arg in ("--profile", "-p") and index + 1 < len(args):
            options["profile"] = args[index + 1]
            index += 1
        elif arg.startswith("--profile=") and len(arg) > len("--profile="):
            options["profile"] = arg.split("=", 1)[1]
        else:
            return None
        index += 1
    return lambda: _run(options, [])


def _version() -> int:
    from ccwrap import __version__

    sys.stdout.write(f"ccwrap {__version__}\n")
    return 0


def _parse_key(args: Sequence[str]) -> Command | None:
    rest = [a for a in args if a != "--reveal"]
    if len(rest) != 1 or rest[0].startswith("-"):
        return None
    name, reveal = rest[0], "--reveal" in args

    def command() -> int:
        from ccwrap.cli.commands.key import print_key

        print_key(name, reveal)
        return 0

    return command


def _run(options: dict[str, Any], claude_args: list[str]) -> int:
    from ccwrap.cli.commands.run import run_command

    return run_command(
        options["profile"],
        options["proxy"],
        options["dry_run"],
        options["json"],
        claude_args,
        force=options["force"],
    )
