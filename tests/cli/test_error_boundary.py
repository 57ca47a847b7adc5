"""The one error boundary in cli.app: a sentence, a hint, an exit code; no traceback, no locals."""

from __future__ import annotations

import pytest

from ccwrap.errors import ConfigError, ExitCode
from ccwrap.profiles import ops as profile_ops
from tests.conftest import CliRunner

SECRET = "sk-local-variable-secret-0000"


def test_ccwrap_error_is_one_line_and_a_hint(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(store: object) -> None:
        raise ConfigError("something is wrong", hint="do this instead")

    monkeypatch.setattr(profile_ops, "list_profiles", fail)
    result = cli("profile", "list")
    assert result.exit_code == ExitCode.CONFIG
    assert result.stderr == "ccwrap: error: something is wrong\n  hint: do this instead\n"
    assert result.stdout == ""


def buggy(store: object) -> None:
    key = SECRET  # a local a pretty traceback would show
    raise RuntimeError(f"bug near {len(key)} characters")


def test_unexpected_exception_shows_no_traceback_and_no_locals(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(profile_ops, "list_profiles", buggy)
    result = cli("profile", "list")
    assert result.exit_code == 70
    assert "internal error: RuntimeError: bug near 29 characters" in result.stderr
    assert "CCWRAP_DEBUG=1" in result.stderr
    assert "Traceback" not in result.stderr
    assert SECRET not in result.stderr + result.stdout


def test_debug_shows_the_traceback(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CCWRAP_DEBUG", "1")
    monkeypatch.setattr(profile_ops, "list_profiles", buggy)
    from ccwrap.cli.app import main

    with pytest.raises(RuntimeError, match="bug near"):
        main(["profile", "list"])

    def fail(store: object) -> None:
        raise ConfigError("configured wrong")

    monkeypatch.setattr(profile_ops, "list_profiles", fail)
    result = cli("profile", "list")
    assert result.exit_code == ExitCode.CONFIG
    assert "Traceback" in result.stderr
    assert result.stderr.endswith("ccwrap: error: configured wrong\n")


def test_usage_errors_from_typer_exit_2(cli: CliRunner) -> None:
    result = cli("profile", "show")
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr


def test_help_lists_the_exit_codes(cli: CliRunner) -> None:
    result = cli("--help")
    assert result.exit_code == 0
    assert "127 claude not found" in " ".join(result.stdout.split())


def test_version_fast_path_matches_typer(cli: CliRunner) -> None:
    from ccwrap import __version__

    assert cli("--version").stdout == f"ccwrap {__version__}\n"
