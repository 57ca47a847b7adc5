"""docs/cli.md names every command and every flag the Typer app has."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer.main

from ccwrap.cli.app import build_app

DOCS = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    subcommands = getattr(command, "commands", None)
    if subcommands:
        for name, sub in subcommands.items():
            yield from commands(sub, (*path, name))
    else:
        yield path, command


def test_every_command_and_flag_is_documented() -> None:
    text = DOCS.read_text(encoding="utf-8")
    missing = []
    for path, command in commands(typer.main.get_command(build_app())):
        if f"`{' '.join(path)}" not in text and f"`ccwrap {' '.join(path)}" not in text:
            missing.append(" ".join(path))
        for param in command.params:
            if param.param_type_name != "option":
                continue
            missing += [
                f"{' '.join(path)} {opt}"
                for opt in (*param.opts, *param.secondary_opts)
                if f"`{opt}" not in text and f"{opt}`" not in text and f" {opt}" not in text
            ]
    assert missing == []
