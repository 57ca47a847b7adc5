"""``--help`` of the main commands: snapshots for the Typer they were taken with, and on every
Typer allowed, what must hold (no Python types for options, choices shown, run's usage line).

Refresh after a deliberate change: UPDATE_HELP_SNAPSHOTS=1 pytest tests/cli/test_help_snapshots.py
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import typer

from tests.conftest import CliRunner

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
COMMANDS = {
    "root": (),
    "run": ("run",),
    "key": ("key",),
    "setup": ("setup",),
    "proxy": ("proxy",),
    "doctor": ("doctor",),
    "settings-apply": ("settings", "apply"),
    "settings-clear": ("settings", "clear"),
    "profile-edit": ("profile", "edit"),
    "alias-add": ("alias", "add"),
}
PYTHON_TYPE = re.compile(r"<(bool|str|int|float|list\[[a-z]+\]|Path)>")


@pytest.fixture
def help_of(cli: CliRunner, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setenv("TERMINAL_WIDTH", "100")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("TERM", "dumb")

    def run(*args: str) -> str:
        result = cli(*args, "--help")
        assert result.exit_code == 0, result.stderr
        return "\n".join(line.rstrip() for line in result.stdout.splitlines()) + "\n"

    return run


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_help_matches_its_snapshot(help_of, name: str) -> None:  # type: ignore[no-untyped-def]
    text = help_of(*COMMANDS[name])
    path = SNAPSHOTS / f"help-{name}.txt"
    header = f"# ccwrap {' '.join(COMMANDS[name])} --help, Typer {typer.__version__}\n"
    if os.environ.get("UPDATE_HELP_SNAPSHOTS") == "1":
        path.write_text(header + text, encoding="utf-8")
    recorded = path.read_text(encoding="utf-8")
    first, _, body = recorded.partition("\n")
    if not first.endswith(f"Typer {typer.__version__}"):
        pytest.skip(f"snapshot taken with another Typer ({first.rsplit(' ', 1)[-1]})")
    assert text == body


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_options_show_no_python_types(help_of, name: str) -> None:  # type: ignore[no-untyped-def]
    text = help_of(*COMMANDS[name])
    option_lines = [line for line in text.splitlines() if re.search(r"(^|[│ ])--?\w", line)]
    assert [line for line in option_lines if PYTHON_TYPE.search(line)] == []


def test_run_usage_line(help_of) -> None:  # type: ignore[no-untyped-def]
    assert "Usage: ccwrap run [OPTIONS] [PROFILE] [CLAUDE_ARGS]..." in help_of("run")


@pytest.mark.parametrize("command", [("setup",), ("profile", "edit")])
def test_auth_and_proxy_show_their_choices(help_of, command: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    flat = re.sub(r"[\s│]+", "", help_of(*command))
    assert "[bearer|x-api-key|none]" in flat
    assert "[auto|always|never]" in flat
