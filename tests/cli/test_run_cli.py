"""``ccwrap run`` in-process: only what never execs (dry runs and errors)."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import pytest

from ccwrap.context import Context
from ccwrap.profiles.store import Profile, ProfileStore
from tests.conftest import CliResult, CliRunner


@pytest.fixture(autouse=True)
def fake_claude(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "bin" / "claude"
    path.parent.mkdir()
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o755)
    monkeypatch.setenv("CCWRAP_CLAUDE", str(path))
    return path


def save(name: str = "work", **fields: Any) -> Profile:
    profile = Profile(name=name, base_url=f"https://{name}.example", **fields)
    ProfileStore(Context.from_os().paths.config_file).save(profile)
    return profile


def test_dry_run_text(cli: CliRunner, fake_claude: Path, isolated: Path) -> None:
    save(cache_1h=True)
    user = isolated / ".claude" / "settings.json"
    user.parent.mkdir()
    user.write_text('{"env": {"ANTHROPIC_BASE_URL": "http://stale", "ANTHROPIC_MODEL": "m"}}')
    result = cli("run", "--dry-run", "--", "-p", "two words")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    command = next(line for line in out.splitlines() if line.startswith("command: "))
    argv = shlex.split(command.removeprefix("command: "))
    assert argv[0] == str(fake_claude)
    assert argv[3:] == ["-p", "two words"]
    assert json.loads(argv[2])["env"]["ENABLE_PROMPT_CACHING_1H"] == "1"
    assert "apiKeyHelper" in out
    assert f"user     {user}  [overridden: ANTHROPIC_BASE_URL, ANTHROPIC_MODEL]" in out
    assert "cleared (set elsewhere, not by the profile): ANTHROPIC_MODEL" in out
    assert "local" in out and "not present" in out


def test_dry_run_json_masks_keys(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    save(env={"GW_TOKEN": "tok-very-secret-123456"})
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-stale-export-99")
    result = cli("run", "--dry-run", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert "tok-very-secret" not in result.stdout
    assert "sk-ant-stale" not in result.stdout
    assert data["profile"] == "work"
    assert data["settings_via"] == "temporary 0600 file"
    assert data["key_via"] == "apiKeyHelper"
    assert data["env"]["GW_TOKEN"].endswith("3456")
    assert [f["scope"] for f in data["settings_files"]] == ["managed", "local", "project", "user"]


def test_dry_run_reports_managed_pin(cli: CliRunner, tmp_path: Path) -> None:
    save()
    (tmp_path / "managed-settings.json").write_text(
        '{"env": {"ANTHROPIC_BASE_URL": "https://corp.example"}}'
    )
    result = cli("run", "--dry-run")
    assert "managed settings" in result.stdout
    assert "pin ANTHROPIC_BASE_URL" in result.stdout


def test_user_settings_merged_in_dry_run(cli: CliRunner) -> None:
    save()
    mine = json.dumps({"env": {"ANTHROPIC_BASE_URL": "http://mine"}, "model": "opus"})
    result = cli("run", "--dry-run", "--json", "--", "--settings", mine, "-p", "x")
    data = json.loads(result.stdout)
    assert data["settings"]["env"]["ANTHROPIC_BASE_URL"] == "http://mine"
    assert data["settings"]["model"] == "opus"
    assert data["user_settings"] == "inline JSON"
    assert data["argv"].count("--settings") == 1
    assert data["argv"][-2:] == ["-p", "x"]


def test_profile_resolution(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    save("alpha")
    save("beta")
    assert "no default set" in cli("run", "--dry-run").stderr
    monkeypatch.setenv("CCWRAP_PROFILE", "beta")
    assert "profile: beta" in cli("run", "--dry-run").stdout
    assert "profile: alpha" in cli("run", "--profile", "alpha", "--dry-run").stdout
    missing = cli("run", "--profile", "nope", "--dry-run")
    assert missing.exit_code == 3
    assert "alpha, beta" in missing.stderr


def test_no_proxy_flag_overrides_the_profile(cli: CliRunner) -> None:
    save(proxy="always")
    proxied = cli("run", "--dry-run")
    direct = cli("run", "--no-proxy", "--dry-run")
    assert proxied.exit_code == direct.exit_code == 0
    assert "ANTHROPIC_BASE_URL=http://127.0.0.1:<port>" in proxied.stdout
    assert "ANTHROPIC_BASE_URL=https://work.example" in direct.stdout


def test_claude_missing(cli: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    save()
    monkeypatch.setenv("CCWRAP_CLAUDE", str(tmp_path / "none" / "claude"))
    result = cli("run", "--dry-run")
    assert result.exit_code == 127
    assert "CCWRAP_CLAUDE" in result.stderr


# -- the fast route for run and key (cli.fast_route) --------------------------------------------
@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["run"], True),
        (["run", "--profile", "w", "--dry-run", "--json", "--", "-p", "--help"], True),
        (["run", "-p", "w", "--no-proxy", "--proxy"], True),
        (["run", "--profile=w", "--"], True),
        (["run", "stray"], True),
        (["run", "--model", "opus"], True),
        (["key", "w"], True),
        (["key", "--reveal", "w"], True),
        (["run", "--help"], False),
        (["run", "work", "-h"], False),
        (["key"], False),
        (["key", "--help"], False),
        (["key", "a", "b"], False),
        (["doctor"], False),
        ([], False),
    ],
)
def test_fast_route_takes_run_and_plain_key(argv: list[str], expected: bool) -> None:
    from ccwrap.cli import fast_route

    assert (fast_route.dispatch(argv, {}) is not None) is expected


def test_fast_route_leaves_completion_to_typer() -> None:
    from ccwrap.cli import fast_route

    assert fast_route.dispatch(["run"], {"_CCWRAP_COMPLETE": "bash_complete"}) is None


def typer_route(*args: str) -> CliResult:
    """The same command line through the Typer app, the fast route left out."""
    from typer.testing import CliRunner as TyperRunner

    from ccwrap.cli.app import build_app

    done = TyperRunner().invoke(build_app(), list(args), catch_exceptions=True)
    exc = done.exception
    if exc is not None and not isinstance(exc, SystemExit):
        from ccwrap.errors import CcwrapError

        assert isinstance(exc, CcwrapError), repr(exc)
        return CliResult(int(exc.exit_code), done.stdout, str(exc.message) + " " + str(exc.hint))
    return CliResult(done.exit_code, done.stdout, "")


ROUTE_CASES = [
    ("run", "--dry-run", "--json", "--", "x"),
    ("run", "--dry-run", "--json", "-p", "explain this repo"),
    ("run", "--dry-run", "--json", "work", "--model", "opus"),
    ("run", "--dry-run", "--json", "--model", "opus"),
    ("run", "--json", "--dry-run", "work", "--", "--dry-run", "-p", "x"),
    ("run", "--json", "--profile", "work", "--dry-run", "extra", "-p", "x"),
]


@pytest.mark.parametrize("args", ROUTE_CASES)
def test_both_routes_build_the_same_request(cli: CliRunner, args: tuple[str, ...]) -> None:
    save()
    fast = cli(*args)
    slow = typer_route(*args)
    assert fast.exit_code == slow.exit_code == 0, (fast.stderr, slow.stderr)
    assert json.loads(fast.stdout) == json.loads(slow.stdout)


def test_both_routes_refuse_the_same_typo(cli: CliRunner) -> None:
    save()
    fast = cli("run", "--dry-rn")
    slow = typer_route("run", "--dry-rn")
    assert fast.exit_code == slow.exit_code == 2
    assert "did you mean --dry-run?" in fast.stderr
    assert "did you mean --dry-run?" in slow.stderr


def test_help_is_typers(cli: CliRunner) -> None:
    assert "Launch Claude Code on a profile" in cli("run", "--help").stdout


def test_key_through_both_routes(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GW_KEY", "sk-from-env-123456")
    save(key="env:GW_KEY")
    assert cli("key", "work").stdout == "sk-from-env-123456"
    assert cli("key", "work", "--reveal").stdout == "sk-from-env-123456"
    assert cli("key", "--help").exit_code == 0


def test_claude_config_dir_is_honoured(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    save()
    config_dir = tmp_path / "elsewhere"
    config_dir.mkdir()
    (config_dir / "settings.json").write_text('{"env": {"ANTHROPIC_BASE_URL": "http://stale"}}')
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(config_dir))
    data = json.loads(cli("run", "--dry-run", "--json").stdout)
    user = next(f for f in data["settings_files"] if f["scope"] == "user")
    assert user["path"] == str(config_dir / "settings.json")
    assert {"source": "user", "path": user["path"], "name": "ANTHROPIC_BASE_URL"} in data[
        "overridden"
    ]


def test_json_without_dry_run_is_a_usage_error(cli: CliRunner) -> None:
    save()
    result = cli("run", "--json")
    assert result.exit_code == 2
    assert "--json goes with --dry-run" in result.stderr
