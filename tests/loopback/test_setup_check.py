"""setup's free live check: doctor's probes of the profile being created, through ``ccwrap setup``,
against the loopback test gateway (tier 3)."""

from __future__ import annotations

import pytest

from ccwrap.context import Context
from ccwrap.profiles.store import Profile, ProfileStore
from tests.conftest import CliRunner
from tests.support.doctor_modes import refused_url
from tests.support.gateway import TestGateway
from tests.support.keyrings import MemoryKeyring

KEY = "sk-check-0123456789"
PASSED = "✓ the gateway answers; the path and the key were accepted"


def setup(cli: CliRunner, url: str, *flags: str, key: str = KEY) -> str:
    """``ccwrap setup w --yes`` with the key on stdin; its stderr, line wraps undone."""
    result = cli("setup", "w", "--url", url, "--key-stdin", "--yes", *flags, input=key)
    assert result.exit_code == 0, result.stderr  # --yes saves even when the check fails
    assert key not in result.stderr
    assert ProfileStore(Context.from_os().paths.config_file).names() == ["w"]
    return " ".join(result.stderr.split())


def test_all_ok_spends_nothing(
    cli: CliRunner, gateway: TestGateway, memory_keyring: MemoryKeyring
) -> None:
    gateway.key = KEY
    out = setup(cli, gateway.url, "--header", "X-Team: a")
    assert PASSED in out
    assert "live check failed" not in out
    post = gateway.messages()[0]
    assert post.headers["authorization"] == f"Bearer {KEY}"
    assert post.headers["x-team"] == "a"
    assert "messages" not in post.json  # deliberately invalid: nothing is spent


def test_x_api_key_mode_sends_x_api_key(
    cli: CliRunner, gateway: TestGateway, memory_keyring: MemoryKeyring
) -> None:
    gateway.key, gateway.auth = KEY, "x-api-key"
    assert PASSED in setup(cli, gateway.url, "--auth", "x-api-key")
    assert gateway.messages()[0].headers["x-api-key"] == KEY


def test_unreachable_gateway_is_named_with_its_fix(
    cli: CliRunner, memory_keyring: MemoryKeyring
) -> None:
    url = refused_url()
    out = setup(cli, url)
    port = url.rsplit(":", 1)[1]
    assert f"✗ gateway accepts connections: nothing listens on 127.0.0.1:{port}" in out
    assert "fix: start the gateway, or check the port in the base URL" in out
    assert "the live check failed; ccwrap doctor explains more" in out
    assert PASSED not in out


def test_wrong_path_suggests_the_base_url(
    cli: CliRunner, gateway: TestGateway, memory_keyring: MemoryKeyring
) -> None:
    out = setup(cli, gateway.url + "/wrong")
    assert "✗ /v1/messages found under the base URL" in out
    assert f"fix: use the base URL {gateway.url} (ccwrap profile edit w --url {gateway.url})" in out
    assert "live check failed" in out


def test_refused_key_is_named(
    cli: CliRunner, gateway: TestGateway, memory_keyring: MemoryKeyring
) -> None:
    gateway.key = KEY
    out = setup(cli, gateway.url, key="sk-wrong-0123456789")
    assert "✗ key accepted: the gateway refused the key in both headers (HTTP 401" in out
    assert "fix: store the right key: ccwrap setup w" in out
    assert "live check failed" in out


def test_wrong_auth_mode_suggests_the_other(
    cli: CliRunner, gateway: TestGateway, memory_keyring: MemoryKeyring
) -> None:
    gateway.key, gateway.auth = KEY, "x-api-key"
    out = setup(cli, gateway.url, "--auth", "bearer")
    assert "✗ key sent in the right header: the gateway refused the key as authorization" in out
    assert "but accepted it as x-api-key" in out
    assert "fix: switch this profile to x-api-key: ccwrap profile edit w --auth x-api-key" in out
    assert "live check failed" in out


def test_check_profile_runs_the_probes_only_with_the_secret_headers(
    gateway: TestGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ccwrap.doctor.runner import NETWORK_IDS, check_profile
    from ccwrap.keys.sources import SecretStore

    monkeypatch.setenv("GW_TEAM", "team-secret")
    ctx = Context.from_os()
    profile = Profile(name="w", base_url=gateway.url, secret_headers={"X-Team": "env:GW_TEAM"})
    report = check_profile(ctx, SecretStore(ctx), profile, KEY)
    assert report.ok
    # The URL's form is setup's own business; settings files and claude are not the gateway's.
    assert {check.id for check in report.checks} <= set(NETWORK_IDS)
    assert gateway.messages()[0].headers["x-team"] == "team-secret"
