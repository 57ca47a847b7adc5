"""Setting up a profile through the real CLI, as several tiers' tests start."""

from __future__ import annotations

import pytest

from tests.conftest import CliRunner


def setup_env_profile(
    cli: CliRunner,
    monkeypatch: pytest.MonkeyPatch,
    key: str,
    *,
    name: str = "work",
    url: str = "http://127.0.0.1:9",
    variable: str = "WORKKEY",
) -> None:
    """`ccwrap setup NAME --url URL --key-source env:VARIABLE --yes --no-check`, key in VARIABLE."""
    monkeypatch.setenv(variable, key)
    setup = cli(
        "setup", name, "--url", url, "--key-source", f"env:{variable}", "--yes", "--no-check"
    )
    assert setup.exit_code == 0, setup.stderr
