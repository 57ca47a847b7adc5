"""`ccwrap settings show`: who wins for each variable, and what is shadowed (keys masked)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ccwrap.context import Context
from tests.conftest import CliRunner

TOKEN_USER = "sk-user-token-0000000000aaaa"
TOKEN_LOCAL = "sk-local-token-000000000bbbb"


def put(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2))


@pytest.fixture
def three_files(monkeypatch: pytest.MonkeyPatch) -> Context:
    ctx = Context.from_os()
    put(
        ctx.claude_config_dir / "settings.json",
        {
            "env": {
                "ANTHROPIC_BASE_URL": "https://user.example",
                "ANTHROPIC_AUTH_TOKEN": TOKEN_USER,
                "ANTHROPIC_MODEL": "user-model",
            },
            "apiKeyHelper": "ccwrap key user",
        },
    )
    put(
        ctx.cwd / ".claude" / "settings.json",
        {"env": {"ANTHROPIC_BASE_URL": "https://project.example", "TEAM": "a"}},
    )
    put(
        ctx.cwd / ".claude" / "settings.local.json",
        {
            "env": {
                "ANTHROPIC_BASE_URL": "https://local.example",
                "ANTHROPIC_AUTH_TOKEN": TOKEN_LOCAL,
            }
        },
    )
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "https://shell.example")
    monkeypatch.setenv("ANTHROPIC_SMALL_FAST_MODEL", "shell-haiku")
    monkeypatch.setenv("UNRELATED_VARIABLE", "x")
    return ctx


def test_show_names_the_winner_and_the_shadowed_sources(
    three_files: Context, cli: CliRunner
) -> None:
    result = cli("settings", "show")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    print(out)
    local = three_files.cwd / ".claude" / "settings.local.json"
    assert f"ANTHROPIC_BASE_URL=https://local.example\n      from local settings {local}" in out
    assert "shadows 'https://project.example' from project settings" in out
    assert "shadows 'https://user.example' from user settings" in out
    assert "shadows 'https://shell.example' from the shell environment" in out
    assert "ANTHROPIC_SMALL_FAST_MODEL=shell-haiku\n      from the shell environment" in out
    assert "UNRELATED_VARIABLE" not in out
    assert TOKEN_USER not in out and TOKEN_LOCAL not in out
    assert "sk-…bbbb" in out
    assert "apiKeyHelper: ccwrap key user" in out


def test_show_json_and_the_settings_option(three_files: Context, cli: CliRunner) -> None:
    inline = json.dumps({"env": {"ANTHROPIC_BASE_URL": "https://cli.example"}})
    result = cli("settings", "show", "--json", "--settings", inline)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    base = next(v for v in data["variables"] if v["name"] == "ANTHROPIC_BASE_URL")
    assert base["source"] == "cli" and base["value"] == "https://cli.example"
    assert [s["source"] for s in base["shadowed"]] == ["local", "project", "user", "environment"]
    token = next(v for v in data["variables"] if v["name"] == "ANTHROPIC_AUTH_TOKEN")
    assert token["value"] == "sk-…bbbb"
    assert data["apiKeyHelper"]["source"] == "user"
    assert [f["scope"] for f in data["files"]] == ["managed", "cli", "local", "project", "user"]


def test_show_reports_an_invalid_file_and_goes_on(cli: CliRunner) -> None:
    ctx = Context.from_os()
    path = ctx.cwd / ".claude" / "settings.json"
    path.parent.mkdir()
    path.write_text('{"env": }')
    result = cli("settings", "show")
    assert result.exit_code == 0
    assert "invalid:" in result.stdout and "line 1, column 9" in result.stdout
