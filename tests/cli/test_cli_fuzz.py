"""Every command, every argument slot, a table of hostile values (issue 16, "Tests"): no exit 70,
no traceback, no file changed when the command fails, no command substitution ever run.

The commands and their slots are read from the Typer app itself, so a new command or option is
fuzzed without editing this file. In-process through the ``cli`` fixture (the real entry point,
the hot route included) to stay fast. ``proxy`` is left out: a value it accepts would serve
forever (its argument checks have their own tests)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliRunner
from tests.support.cli_setup import setup_env_profile

HOSTILE: dict[str, str] = {
    "empty": "",
    "10 KB": "a" * 10_240,
    "newline": "work\n",
    "inner newline": "a\nb=c",
    "NUL": "a\x00b",  # only in-process: a real argv cannot hold NUL
    "invalid UTF-8": b"w\xff\xfe".decode("utf-8", "surrogateescape"),
    "unicode": "ünï中文🎉\u202e",
    "escapes": "\x1b[2J\x1b]0;x\x07",
    "substitution": "$(touch PWNED)",
    "backticks": "`touch PWNED`;touch PWNED",
    "negative": "-1",
    "huge number": "99999999999999999999999",
    "inf": "1e309",
    "nan": "nan",
    "hex": "0x10",
    "dash": "-",
    "option-like": "--help-me",
    "relative path": "../escape",
    "bad url": "http://[::1",
    "equals": "A=B=C",
}
SKIPPED_COMMANDS = {("proxy",)}
# Added to every invocation of a command: never exec claude, never prompt.
EXTRA: dict[tuple[str, ...], list[str]] = {
    ("run",): ["--dry-run"],
    ("setup",): ["--yes", "--no-check"],
    ("doctor",): ["--offline"],
}


def _commands() -> Iterator[tuple[tuple[str, ...], Any]]:
    import typer.main

    from ccwrap.cli.app import build_app

    def walk(command: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
        if hasattr(command, "commands"):
            for name, sub in command.commands.items():
                yield from walk(sub, (*path, name))
        elif path not in SKIPPED_COMMANDS:
            yield path, command

    yield from walk(typer.main.get_command(build_app()), ())


def _slots(command: Any) -> list[tuple[str, Any]]:
    """(label, param) for every parameter that takes a value."""
    slots = []
    for param in command.params:
        if param.param_type_name == "option":
            if getattr(param, "is_flag", False) or param.opts[0] in ("--install-completion",):
                continue
            slots.append((param.opts[0], param))
        else:
            slots.append((param.name, param))
    return slots


def _argv(path: tuple[str, ...], command: Any, slot: Any, value: str) -> list[str]:
    argv = [*path, *EXTRA.get(path, [])]
    for param in command.params:
        is_option = param.param_type_name == "option"
        if param is slot:
            argv += (
                [param.opts[0], value]
                if is_option
                else ["--", value]
                if value.startswith("-")
                else [value]
            )
        elif param.required:
            argv += [param.opts[0], "work"] if is_option else ["work"]
    # An argument after "--" must come last.
    if "--" in argv and argv.index("--") != len(argv) - 2:
        value_at = argv.index("--")
        argv = [*argv[:value_at], *argv[value_at + 2 :], "--", argv[value_at + 1]]
    return argv


def _snapshot(root: Path) -> dict[str, tuple[int, str]]:
    files = {}
    for folder, _dirs, names in os.walk(root):
        for name in names:
            path = Path(folder) / name
            try:
                info = path.lstat()
                data = path.read_bytes() if path.is_file() and not path.is_symlink() else b""
            except OSError:
                continue
            files[str(path)] = (info.st_mode, hashlib.sha256(data).hexdigest())
    return files


COMMANDS = list(_commands())


@pytest.mark.parametrize("path", [p for p, _c in COMMANDS], ids=" ".join)
def test_fuzz_command(
    path: tuple[str, ...], cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CCWRAP_CLAUDE", str(tmp_path / "no-claude"))
    monkeypatch.setenv("SHELL", "/bin/bash")
    setup_env_profile(cli, monkeypatch, "sk-fuzz-0123456789")
    command = dict(COMMANDS)[path]
    runs = 0
    for label, slot in _slots(command):
        for name, value in HOSTILE.items():
            argv = _argv(path, command, slot, value)
            before = _snapshot(tmp_path)
            result = cli(*argv)
            runs += 1
            where = f"ccwrap {argv!r} ({label} = {name})"
            assert result.exit_code != 70, f"{where}: {result.stderr}"
            assert "Traceback" not in result.stdout + result.stderr, where
            assert "\x1b" not in result.stderr, f"{where}: raw escape in an error message"
            if result.exit_code != 0:
                assert _snapshot(tmp_path) == before, f"{where} failed but changed files"
            assert not list(tmp_path.rglob("PWNED")), f"{where} ran a command substitution"
    assert runs == len(_slots(command)) * len(HOSTILE)
