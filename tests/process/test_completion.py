"""Completion stays cheap (neither pydantic nor rich on its path), the committed scripts match the
app, and the fast path changes nothing Typer would have done."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from ccwrap.context import Context
from ccwrap.profiles.store import Profile, ProfileStore
from tests.conftest import REPO, CliRunner

LOADED_HEAVY = (
    "import sys\n"
    "from ccwrap.cli.app import main\n"
    "try:\n"
    "    main()\n"
    "finally:\n"
    "    heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('pydantic', 'rich'))\n"
    "    sys.stderr.write('HEAVY=' + ','.join(heavy) + '\\n')\n"
)


def complete(**request: str) -> tuple[str, str]:
    done = subprocess.run(
        [sys.executable, "-c", LOADED_HEAVY],
        env={**os.environ, **request},
        capture_output=True,
        text=True,
        timeout=60,
    )
    heavy = next(line for line in done.stderr.splitlines() if line.startswith("HEAVY="))
    return done.stdout, heavy.removeprefix("HEAVY=")


@pytest.fixture
def two_profiles() -> None:
    store = ProfileStore(Context.from_os().paths.config_file)
    store.save(Profile(name="work", base_url="https://w.example"))
    store.save(Profile(name="home", base_url="https://h.example"))


@pytest.mark.usefixtures("two_profiles")
def test_completing_a_profile_imports_neither_pydantic_nor_rich() -> None:
    out, heavy = complete(
        _CCWRAP_COMPLETE="complete_bash", COMP_WORDS="ccwrap run --profile ", COMP_CWORD="3"
    )
    assert out.split() == ["home", "work"]
    assert heavy == ""


@pytest.mark.parametrize("shell", ["zsh", "fish", "powershell"])
def test_completing_commands_with_help_imports_neither(shell: str) -> None:
    out, heavy = complete(
        _CCWRAP_COMPLETE=f"complete_{shell}",
        _TYPER_COMPLETE_ARGS="ccwrap al",
        _TYPER_COMPLETE_FISH_ACTION="get-args",
        _TYPER_COMPLETE_WORD_TO_COMPLETE="al",
    )
    assert "alias" in out
    assert "Short commands" in out  # the help text is still there, as plain text
    assert heavy == ""


def test_committed_completion_scripts_match_the_app() -> None:
    done = subprocess.run(
        [str(REPO / "scripts" / "completions"), "--check"],
        env={**os.environ, "PYTHON": sys.executable},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    for name in ("ccwrap.bash", "_ccwrap", "ccwrap.fish", "ccwrap.ps1"):
        assert "_CCWRAP_COMPLETE" in (REPO / "completions" / name).read_text()


def test_powershell_completion_script_as_text() -> None:
    # PowerShell is not installed here: the script is checked as text.
    text = (REPO / "completions" / "ccwrap.ps1").read_text()
    assert "Register-ArgumentCompleter -Native -CommandName ccwrap" in text
    assert '$Env:_CCWRAP_COMPLETE = "complete_powershell"' in text


def test_fast_path_keeps_typers_errors_and_values(cli: CliRunner) -> None:
    missing = cli("key")
    assert missing.exit_code == 2
    assert "missing argument 'name'" in missing.stderr.lower()
    unknown = cli("env", "--shell", "bash", "--profile", "nope")
    assert unknown.exit_code == 3
    assert "no profile named 'nope'" in unknown.stderr
