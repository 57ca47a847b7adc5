"""doctor's client findings (doctor/client.py): one test per id, and through the CLI's JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ccwrap.claude.settings_files import SettingsFile
from ccwrap.context import Context
from ccwrap.doctor import client
from ccwrap.doctor.model import FINDING_IDS

URL = "https://gw.example"


def ctx(home: Path, **environ: str) -> Context:
    return Context(environ={"HOME": str(home), **environ}, cwd=home, home=home)


def test_every_client_id_is_a_finding() -> None:
    assert set(client.CLIENT_IDS) <= set(FINDING_IDS)


@pytest.mark.parametrize(
    ("where", "content"),
    [
        (".claude/.credentials.json", "{}"),
        (".claude.json", '{"oauthAccount": {"emailAddress": "a@b"}}'),
        (".claude.json", '{"primaryApiKey": "sk-ant-x"}'),
    ],
)
def test_auth_state_warns_with_the_logout_advice(tmp_path: Path, where: str, content: str) -> None:
    (tmp_path / where).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / where).write_text(content)
    check = client.auth_state_check(ctx(tmp_path), base_url=URL, has_credential=True)
    assert check.status == "warn"
    assert "/logout" in check.fix
    assert "sk-ant-x" not in check.detail


def test_auth_state_honours_claude_config_dir(tmp_path: Path) -> None:
    (tmp_path / ".claude.json").write_text('{"primaryApiKey": "sk-ant-x"}')  # not used then
    other = tmp_path / "other"
    other.mkdir()
    here = ctx(tmp_path, CLAUDE_CONFIG_DIR=str(other))
    assert client.auth_state_check(here, base_url=URL, has_credential=True).status == "ok"
    (other / ".claude.json").write_text('{"oauthAccount": {}, "primaryApiKey": "k"}')
    assert client.auth_state_check(here, base_url=URL, has_credential=True).status == "warn"
    (other / ".claude.json").write_text("not json {")
    assert client.auth_state_check(here, base_url=URL, has_credential=True).status == "ok"


def test_features_said_once_as_information() -> None:
    check = client.features_check(URL, {})
    assert check.status == "ok"
    assert "tool search is off unless ENABLE_TOOL_SEARCH" in check.detail
    assert "Remote Control" in check.detail and "fine-grained tool streaming" in check.detail
    assert "is on" in client.features_check(URL, {"ENABLE_TOOL_SEARCH": "1"}).detail
    assert client.features_check(None, {}).status == "skip"


def test_model_limits() -> None:
    check = client.model_limits_check("work", "glm-4.6", {})
    assert check.status == "warn"
    assert "32k" in check.detail
    assert (
        "--env CLAUDE_CODE_MAX_OUTPUT_TOKENS=N --env CLAUDE_CODE_MAX_CONTEXT_TOKENS=N" in check.fix
    )
    both = {"CLAUDE_CODE_MAX_OUTPUT_TOKENS": "64000", "CLAUDE_CODE_MAX_CONTEXT_TOKENS": "200000"}
    assert client.model_limits_check("work", "glm-4.6", both).status == "ok"
    assert client.model_limits_check("work", "claude-sonnet-4-5", {}).status == "ok"
    assert client.model_limits_check("work", "opus", {}).status == "ok"
    assert client.model_limits_check("work", None, {}).status == "skip"


def test_cache_client_depends_on_the_version() -> None:
    old = client.cache_client_check("2.1.180", base_url=URL, attribution=True)
    assert old.status == "warn"
    assert "2.1.181" in old.detail and "--no-attribution" in old.fix
    assert client.cache_client_check("2.1.180", base_url=URL, attribution=False).status == "ok"
    new = client.cache_client_check("2.1.197", base_url=URL, attribution=True)
    assert new.status == "ok" and "stable" in new.detail
    assert (
        "1h cache TTL downgraded"
        in client.cache_client_check("2.1.100", base_url=URL, attribution=False).detail
    )
    assert (
        "mid-conversation"
        in client.cache_client_check("2.1.240", base_url=URL, attribution=False).detail
    )
    assert client.cache_client_check(None, base_url=URL, attribution=True).status == "skip"


def test_force_login_conflicts_with_gateway_credentials(tmp_path: Path) -> None:
    managed = SettingsFile("managed", tmp_path / "m.json", data={"forceLoginMethod": "claudeai"})
    check = client.force_login_check([managed], base_url=URL, has_credential=True)
    assert check.status == "fail"
    assert "forceLoginMethod" in check.detail
    assert client.force_login_check([], base_url=URL, has_credential=True).status == "ok"
    user = SettingsFile("user", tmp_path / "u.json", data={"forceLoginMethod": "claudeai"})
    assert client.force_login_check([user], base_url=URL, has_credential=True).status == "ok"


def test_doctor_json_carries_the_client_findings(
    cli: object, memory_keyring: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ccwrap.profiles.store import Profile, ProfileStore

    monkeypatch.setenv("CCWRAP_CLAUDE", "/nonexistent/claude")
    ProfileStore(Context.from_os().paths.config_file).save(
        Profile(name="work", base_url=URL, model="glm-4.6", key="env:GW_KEY")
    )
    monkeypatch.setenv("GW_KEY", "sk-gw-123456789")
    result = cli("doctor", "--profile", "work", "--offline", "--json")  # type: ignore[operator]
    checks = {c["id"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks["model.limits"]["status"] == "warn"
    assert checks["client.features"]["status"] == "ok"
    assert set(client.CLIENT_IDS) <= set(checks)
