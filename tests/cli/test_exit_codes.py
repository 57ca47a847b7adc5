"""Exit codes: one enum, the help epilog built from it, a code of its own for each error kind."""

from __future__ import annotations

from pathlib import Path

import pytest

from ccwrap.cli.app import exit_codes_help
from ccwrap.context import Context
from ccwrap.errors import (
    EXIT_CODE_MEANINGS,
    CcwrapError,
    ExitCode,
    LedgerError,
    ProxyError,
    RcFileError,
)
from ccwrap.profiles.store import Profile, ProfileStore
from tests.conftest import CliRunner

DOCS = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def test_every_code_has_its_words() -> None:
    assert set(EXIT_CODE_MEANINGS) == set(ExitCode)


def test_help_epilog_lists_every_code(cli: CliRunner) -> None:
    shown = " ".join(cli("--help").stdout.split())
    for code in ExitCode:
        assert f"{int(code)} {EXIT_CODE_MEANINGS[code]}" in exit_codes_help()
        assert f"{int(code)} {EXIT_CODE_MEANINGS[code].split()[0]}" in shown
    assert "70 internal error" in shown


def test_docs_list_every_code() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for code in ExitCode:
        assert f"| {int(code)} |" in text, code


@pytest.mark.parametrize(
    ("error", "code"),
    [(RcFileError, ExitCode.RC_FILE), (ProxyError, ExitCode.PROXY), (LedgerError, ExitCode.LEDGER)],
)
def test_own_codes_not_doctors_one(error: type[CcwrapError], code: ExitCode) -> None:
    assert error("x").exit_code == code != ExitCode.FAILURE


def test_an_rc_file_that_cannot_be_read_exits_with_its_code(cli: CliRunner, isolated: Path) -> None:
    ProfileStore(Context.from_os().paths.config_file).save(
        Profile(name="work", base_url="https://gw.example.com")
    )
    blocker = isolated / "a-file"
    blocker.write_text("")
    rc = blocker / "rc"  # its folder is a file: reading it fails
    result = cli("alias", "add", "cw", "--profile", "work", "--shell", "bash", "--rc", str(rc))
    assert result.exit_code == ExitCode.RC_FILE, result.stderr
    assert "cannot read" in result.stderr
