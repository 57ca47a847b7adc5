"""``ccwrap bind`` / ``unbind`` and the commands that follow a binding."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ccwrap.context import Context
from ccwrap.profiles.store import Profile, ProfileStore
from tests.conftest import CliRunner


@pytest.fixture(autouse=True)
def profiles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ProfileStore:
    claude = tmp_path / "bin" / "claude"
    claude.parent.mkdir()
    claude.write_text("#!/bin/sh\nexit 0\n")
    claude.chmod(0o755)
    monkeypatch.setenv("CCWRAP_CLAUDE", str(claude))
    store = ProfileStore(Context.from_os().paths.config_file)
    for name in ("client-a", "client-b"):
        store.save(Profile(name=name, base_url=f"https://{name}.example", auth="none"))
    store.set_default("client-b")
    return store


def test_bind_writes_only_the_name_and_run_follows_it(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = cli("bind", "client-a")
    assert result.exit_code == 0, result.stderr
    text = (Path.cwd() / ".ccwrap.toml").read_text()
    assert 'profile = "client-a"' in text and "https://" not in text
    sub = Path.cwd() / "src" / "pkg"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    result = cli("run", "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert "profile: client-a" in result.stdout
    assert f"chosen by: binding {Path.cwd().parent.parent / '.ccwrap.toml'}" in result.stdout
    data = json.loads(cli("run", "--dry-run", "--json").stdout)
    assert data["chosen_by"]["reason"] == "binding"
    assert data["chosen_by"]["binding"]["profile"] == "client-a"


def test_binding_wins_over_ccwrap_profile(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    cli("bind", "client-a")
    monkeypatch.setenv("CCWRAP_PROFILE", "client-b")
    assert "profile: client-a" in cli("run", "--dry-run").stdout


def test_leak_guard_fails_without_a_terminal(cli: CliRunner) -> None:
    cli("bind", "client-a")
    result = cli("run", "--profile", "client-b", "--dry-run")
    assert result.exit_code == 3
    assert "bound to profile 'client-a'" in result.stderr and "--force" in result.stderr
    forced = cli("run", "--profile", "client-b", "--force", "--dry-run")
    assert forced.exit_code == 0, forced.stderr
    assert "profile: client-b" in forced.stdout
    assert "forced; the folder is bound to 'client-a'" in forced.stdout


def test_leak_guard_through_the_fast_route(cli: CliRunner) -> None:
    from ccwrap.cli import fast_route
    from ccwrap.errors import BindingMismatch

    cli("bind", "client-a")
    command = fast_route.dispatch(["run", "--profile", "client-b", "--dry-run"], {})
    assert command is not None
    with pytest.raises(BindingMismatch):
        command()
    forced = fast_route.dispatch(["run", "--profile", "client-b", "--force", "--dry-run"], {})
    assert forced is not None and forced() == 0


def test_missing_profile_is_a_clear_error(cli: CliRunner, profiles: ProfileStore) -> None:
    (Path.cwd() / ".ccwrap.toml").write_text('profile = "client-c"\n')
    result = cli("run", "--dry-run")
    assert result.exit_code == 3
    assert "names profile 'client-c', which does not exist" in result.stderr
    assert "profile:" not in result.stdout  # no fall back to the default
    assert cli("doctor", "--offline").exit_code == 3


def test_hostile_binding_file(cli: CliRunner) -> None:
    (Path.cwd() / ".ccwrap.toml").write_text(
        'profile = "client-a"\nbase_url = "https://evil.example"\n'
    )
    result = cli("run", "--dry-run")
    assert result.exit_code == 3
    assert "holds more than a profile name: base_url" in result.stderr


def test_no_file_binding_in_config(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "untouchable"
    folder.mkdir()
    result = cli("bind", "client-a", str(folder), "--no-file")
    assert result.exit_code == 0, result.stderr
    assert not (folder / ".ccwrap.toml").exists()
    listing = json.loads(cli("bind", "--list", "--json").stdout)
    assert listing["bindings"] == [
        {"profile": "client-a", "folder": str(folder.resolve()), "kind": "config"}
    ]
    monkeypatch.chdir(folder)
    assert "profile: client-a" in cli("run", "--dry-run").stdout
    assert "here: 'client-a'" in cli("bind", "--list").stdout
    assert cli("unbind").exit_code == 0
    assert "profile: client-b" in cli("run", "--dry-run").stdout
    again = cli("unbind")
    assert again.exit_code == 2 and "has no binding of its own" in again.stderr


def test_bind_refuses_a_missing_profile(cli: CliRunner) -> None:
    result = cli("bind", "nope")
    assert result.exit_code == 3
    assert not (Path.cwd() / ".ccwrap.toml").exists()


def test_unbind_removes_the_file(cli: CliRunner) -> None:
    cli("bind", "client-a")
    assert cli("unbind").exit_code == 0
    assert not (Path.cwd() / ".ccwrap.toml").exists()


def test_env_and_doctor_follow_the_binding(cli: CliRunner) -> None:
    cli("bind", "client-a")
    env = cli("env", "--shell", "bash")
    assert env.exit_code == 0, env.stderr
    assert "https://client-a.example" in env.stdout
    report = json.loads(cli("doctor", "--offline", "--json").stdout)
    assert "client-a" in json.dumps(report)


def _dispatched(cli: CliRunner) -> dict[str, str]:
    report = json.loads(cli("doctor", "--offline", "--json").stdout)
    found = [c for c in _checks(report) if c.get("id") == "client.dispatched"]
    assert len(found) == 1, report
    return found[0]


def _checks(node: object) -> list[dict[str, str]]:
    if isinstance(node, dict):
        own = [node] if "id" in node and "status" in node else []
        return own + [c for v in node.values() for c in _checks(v)]
    if isinstance(node, list):
        return [c for v in node for c in _checks(v)]
    return []


def test_doctor_sees_that_a_warm_spare_skips_the_wrapper(cli: CliRunner) -> None:
    """In a folder bound to client-a, with the wrapper installed for client-b: a background session
    that claims a warm spare would reach client-b, until the folder's local settings name a."""
    cli("bind", "client-a")
    applied = cli("settings", "apply", "client-b", "--scope", "user", "--wrapper")
    assert applied.exit_code == 0, applied.stderr
    before = _dispatched(cli)
    assert before["status"] == "warn" and "client-b.example" in before["detail"]
    assert "ccwrap settings apply client-a --scope local" in before["fix"]
    local = cli("settings", "apply", "client-a", "--scope", "local", "--yes")
    assert local.exit_code == 0, local.stderr
    assert _dispatched(cli)["status"] == "ok"
