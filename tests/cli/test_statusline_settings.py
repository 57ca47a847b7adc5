"""``settings apply --statusline``: installed, kept, removed like every key ccwrap owns; a user's
own statusLine is never replaced without consent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ccwrap.context import Context
from ccwrap.profiles.store import Profile, ProfileStore
from tests.conftest import CliRunner

USER_DOC = (
    '{\n  "statusLine": {"type": "command", "command": "my-own-line"},\n  "theme": "dark"\n}\n'
)


@pytest.fixture
def settings_file() -> Path:
    ctx = Context.from_os()
    ProfileStore(ctx.paths.config_file).save(
        Profile(name="work", base_url="https://gw.example.com", key="env:WORK_KEY")
    )
    return ctx.claude_config_dir / "settings.json"


def status_command(path: Path) -> str:
    return str(json.loads(path.read_text())["statusLine"]["command"])


def test_installed_alone_kept_on_reapply_and_cleared(cli: CliRunner, settings_file: Path) -> None:
    result = cli("settings", "apply", "--statusline")
    assert result.exit_code == 0, result.stderr
    assert status_command(settings_file).endswith("statusline")
    assert cli("settings", "apply", "work").exit_code == 0  # a later apply keeps it
    data = json.loads(settings_file.read_text())
    assert data["statusLine"]["type"] == "command"
    assert "apiKeyHelper" in data
    assert cli("settings", "apply", "--no-statusline").exit_code == 0  # the profile stays
    data = json.loads(settings_file.read_text())
    assert "statusLine" not in data
    assert "apiKeyHelper" in data
    assert cli("settings", "apply", "work", "--statusline").exit_code == 0
    assert cli("settings", "clear").exit_code == 0
    assert not settings_file.exists()  # ccwrap created it, and takes all of it back


def test_a_users_statusline_is_not_replaced_without_consent(
    cli: CliRunner, settings_file: Path
) -> None:
    settings_file.parent.mkdir(parents=True, exist_ok=True)
    settings_file.write_text(USER_DOC)
    refused = cli("settings", "apply", "work", "--statusline")
    assert refused.exit_code != 0
    assert "statusLine" in refused.stderr
    assert settings_file.read_text() == USER_DOC
    forced = cli("settings", "apply", "work", "--statusline", "--force")
    assert forced.exit_code == 0, forced.stderr
    assert status_command(settings_file).endswith("statusline")
    assert cli("settings", "clear").exit_code == 0
    assert settings_file.read_text() == USER_DOC  # the user's own line is back, byte for byte


def test_apply_without_a_profile_or_statusline_asks_which(cli: CliRunner) -> None:
    result = cli("settings", "apply")
    assert result.exit_code == 2
    assert "which profile" in result.stderr


def setup_args(name: str, *more: str) -> list[str]:
    return [
        "setup", name, "--url", "https://gw.example.com", "--key-source", "env:WORK_KEY",
        "--yes", "--no-check", *more,
    ]  # fmt: skip


def test_setup_installs_it_when_asked_by_flag(cli: CliRunner, settings_file: Path) -> None:
    """``setup --yes`` leaves the user settings alone; ``--statusline`` installs the line."""
    quiet = cli(*setup_args("a"))
    assert quiet.exit_code == 0, quiet.stderr
    assert not settings_file.exists()
    assert "settings apply --statusline" in quiet.stderr  # suggested instead
    asked = cli(*setup_args("b", "--statusline"))
    assert asked.exit_code == 0, asked.stderr
    assert status_command(settings_file).endswith("statusline")
    assert "settings apply --statusline" not in asked.stderr


def test_setup_never_replaces_a_users_line_unasked(cli: CliRunner, settings_file: Path) -> None:
    settings_file.parent.mkdir(parents=True, exist_ok=True)
    settings_file.write_text(USER_DOC)
    result = cli(*setup_args("c", "--statusline"))
    assert result.exit_code == 0, result.stderr  # the profile is saved all the same
    assert "status line was not installed" in result.stderr
    assert settings_file.read_text() == USER_DOC
    assert "c" in ProfileStore(Context.from_os().paths.config_file).names()
