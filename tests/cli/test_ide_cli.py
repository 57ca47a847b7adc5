"""``ccwrap ide apply / clear / restore`` on a JSONC settings.json under the test HOME."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ccwrap.context import Context
from ccwrap.profiles.store import Profile, ProfileStore
from ccwrap.settings.json_splice import loads_jsonc
from tests.conftest import CliRunner

ORIGINAL = '{\n  // fonts\n  "editor.fontSize": 13,\n  "files.autoSave": "off", /* mine */\n}\n'


@pytest.fixture
def settings_file(isolated: Path) -> Path:
    ProfileStore(Context.from_os().paths.config_file).save(
        Profile(
            name="work",
            base_url="https://gw.example",
            model="glm-5",
            env={"GW_TOKEN": "tok-secret-12345", "API_TIMEOUT_MS": "1000"},
        )
    )
    path = isolated / ".config" / "Code" / "User" / "settings.json"
    path.parent.mkdir(parents=True)
    path.write_text(ORIGINAL)
    return path


def test_apply_clear(cli: CliRunner, settings_file: Path) -> None:
    dry = cli("ide", "apply", "work", "--dry-run")
    assert dry.exit_code == 0, dry.stderr
    assert "+" in dry.stdout and settings_file.read_text() == ORIGINAL
    result = cli("ide", "apply", "work")
    assert result.exit_code == 0, result.stderr
    text = settings_file.read_text()
    assert "// fonts" in text and "/* mine */" in text
    env = {e["name"]: e["value"] for e in loads_jsonc(text)["claudeCode.environmentVariables"]}
    assert env["ANTHROPIC_BASE_URL"] == "https://gw.example"
    assert env["ANTHROPIC_MODEL"] == "glm-5" and env["API_TIMEOUT_MS"] == "1000"
    assert "GW_TOKEN" not in env and "ANTHROPIC_AUTH_TOKEN" not in env
    assert "tok-secret" not in text
    assert cli("ide", "clear").exit_code == 0
    assert settings_file.read_text() == ORIGINAL


def test_wrapper_and_restore(cli: CliRunner, settings_file: Path) -> None:
    result = cli("ide", "apply", "work", "--editor", "vscode", "--wrapper")
    assert result.exit_code == 0, result.stderr
    script = Path(loads_jsonc(settings_file.read_text())["claudeCode.claudeProcessWrapper"])
    assert script.is_absolute() and os.access(script, os.X_OK)
    assert '"wrap" "--"' in script.read_text() or "wrap -- " in script.read_text()
    assert cli("ide", "restore").exit_code == 0
    assert settings_file.read_text() == ORIGINAL


def test_a_changed_value_is_a_conflict(cli: CliRunner, settings_file: Path) -> None:
    cli("ide", "apply", "work")
    text = settings_file.read_text().replace("https://gw.example", "https://edited.example")
    settings_file.write_text(text)
    result = cli("ide", "clear")
    assert result.exit_code == 5 and "changed since ccwrap wrote it" in result.stderr
    assert settings_file.read_text() == text
    assert cli("ide", "clear", "--force").exit_code == 0
    assert settings_file.read_text() == ORIGINAL


def test_workspace_scope_creates_and_removes(cli: CliRunner, settings_file: Path) -> None:
    result = cli("ide", "apply", "work", "--scope", "workspace", "--editor", "cursor")
    assert result.exit_code == 0, result.stderr
    workspace = Path.cwd() / ".vscode" / "settings.json"
    assert loads_jsonc(workspace.read_text())["claudeCode.environmentVariables"]
    assert cli("ide", "clear", "--scope", "workspace", "--editor", "cursor").exit_code == 0
    assert not workspace.exists()


def test_unknown_editor(cli: CliRunner, settings_file: Path) -> None:
    result = cli("ide", "apply", "work", "--editor", "emacs")
    assert result.exit_code == 5 and "unknown editor" in result.stderr
