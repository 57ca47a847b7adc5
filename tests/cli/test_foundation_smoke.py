from __future__ import annotations

from ccwrap import __version__
from tests.conftest import CliRunner


def test_version(cli: CliRunner) -> None:
    result = cli("--version")
    assert result.exit_code == 0
    assert result.stdout == f"ccwrap {__version__}\n"


def test_unknown_profile_is_a_clean_error(cli: CliRunner) -> None:
    result = cli("key", "nope")
    assert result.exit_code == 3
    assert "no profile named 'nope'" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
