"""Each finding against the loopback test gateway over real HTTP (tier 3)."""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path
from typing import Any

import pytest

from ccwrap.context import Context
from ccwrap.profiles.store import Profile, ProfileStore
from tests.conftest import CliResult, CliRunner
from tests.support import doctor_modes
from tests.support.gateway import TestGateway
from tests.support.keyrings import MemoryKeyring

KEY = "sk-test-0123456789abcdef"


@pytest.fixture(autouse=True)
def stub_claude(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A claude that only knows its version, so doctor's claude checks pass deterministically."""
    return make_claude(tmp_path, monkeypatch, "2.1.197")


def make_claude(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, version: str) -> Path:
    script = tmp_path / "bin" / "claude"
    script.parent.mkdir(exist_ok=True)
    script.write_text(f"#!/bin/sh\necho '{version} (Claude Code)'\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("CCWRAP_CLAUDE", str(script))
    return script


def run(cli: CliRunner, *args: str, key: str | None = KEY) -> tuple[CliResult, dict[str, Any]]:
    extra = ("--key-stdin",) if key is not None and "--url" in args else ()
    result = cli("doctor", *args, *extra, "--json", "--timeout", "5", input=key)
    data = json.loads(result.stdout)
    return result, {check["id"]: check for check in data["checks"]}


def status(checks: dict[str, Any]) -> dict[str, str]:
    return {id_: check["status"] for id_, check in checks.items()}


def problems(checks: dict[str, Any]) -> dict[str, str]:
    return {i: c["status"] for i, c in checks.items() if c["status"] in ("fail", "warn")}


def save_profile(memory: MemoryKeyring | None = None, **fields: Any) -> Profile:
    ctx = Context.from_os()
    profile = Profile(name=fields.pop("name", "work"), **fields)
    ProfileStore(ctx.paths.config_file).save(profile)
    if memory is not None:
        memory.set_password("ccwrap", profile.name, KEY)
    return profile


# -- healthy ---------------------------------------------------------------------------------------
def test_healthy_gateway_all_ok(cli: CliRunner, gateway: TestGateway) -> None:
    gateway.key = KEY
    result, checks = run(cli, "--url", gateway.url)
    assert result.exit_code == 0, result.stdout
    assert problems(checks) == {}
    data = json.loads(result.stdout)
    assert set(data) == {"version", "profile", "base_url", "ok", "checks"}
    assert data["ok"] is True and data["base_url"] == gateway.url
    assert all(set(c) == {"id", "status", "title", "detail", "fix"} for c in data["checks"])
    # the four free probes, nothing that spends a token
    targets = {(r.method, r.path) for r in gateway.requests}
    assert ("POST", "/v1/messages") in targets and ("GET", "/v1/models") in targets
    assert ("HEAD", "/") in targets and ("POST", "/v1/messages/count_tokens") in targets
    assert all("messages" not in (r.json or {}) for r in gateway.messages())


def test_healthy_text_table_masks_the_key(cli: CliRunner, gateway: TestGateway) -> None:
    result = cli("doctor", "--url", gateway.url, "--key-stdin", input=KEY)
    assert result.exit_code == 0
    assert "✓ net.refused" in result.stdout and "– net.tls" in result.stdout
    assert "all good" in result.stdout
    assert KEY not in result.stdout + result.stderr and "sk-…cdef" in result.stdout


def test_what_claude_would_use_now(
    cli: CliRunner, gateway: TestGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_BASE_URL", gateway.url)
    monkeypatch.setenv("ANTHROPIC_AUTH_TOKEN", KEY)
    gateway.key = KEY
    result, checks = run(cli)
    assert result.exit_code == 0 and problems(checks) == {}
    assert json.loads(result.stdout)["base_url"] == gateway.url
    assert gateway.messages()[0].headers["authorization"] == f"Bearer {KEY}"


def test_profile_with_key_in_keyring(
    cli: CliRunner, gateway: TestGateway, memory_keyring: MemoryKeyring
) -> None:
    save_profile(memory_keyring, base_url=gateway.url, auth="x-api-key")
    gateway.key, gateway.auth = KEY, "x-api-key"
    result, checks = run(cli, "--profile", "work")
    assert result.exit_code == 0, problems(checks)
    assert json.loads(result.stdout)["profile"] == "work"
    assert "OS keyring" in checks["key.missing"]["detail"]


def test_offline_sends_nothing(cli: CliRunner, gateway: TestGateway) -> None:
    result, checks = run(cli, "--url", gateway.url, "--offline")
    assert result.exit_code == 0 and gateway.requests == []
    assert checks["net.refused"] == {
        **checks["net.refused"],
        "status": "skip",
        "detail": "--offline",
    }


# -- URL and path ----------------------------------------------------------------------------------
def test_v1_suffix_and_the_base_url_that_answers(cli: CliRunner, gateway: TestGateway) -> None:
    result, checks = run(cli, "--url", gateway.url + "/v1")
    assert result.exit_code == 1
    assert checks["url.v1-suffix"]["status"] == "fail"
    assert checks["url.v1-suffix"]["fix"] == f"use {gateway.url}"
    assert checks["gateway.path"]["status"] == "fail"
    assert checks["gateway.path"]["fix"] == f"use the base URL {gateway.url}"


def test_gateway_path_names_the_anthropic_variant(cli: CliRunner, gateway: TestGateway) -> None:
    gateway.mode = "doctor-anthropic-prefix"
    result, checks = run(cli, "--url", gateway.url)
    assert result.exit_code == 1
    assert problems(checks) == {"gateway.path": "fail"}
    assert checks["gateway.path"]["fix"] == f"use the base URL {gateway.url}/anthropic"


def test_gateway_path_fix_for_a_profile_works(
    cli: CliRunner, gateway: TestGateway, memory_keyring: MemoryKeyring
) -> None:
    gateway.mode = "doctor-anthropic-prefix"
    save_profile(memory_keyring, base_url=gateway.url)
    _, checks = run(cli, "--profile", "work")
    fix = checks["gateway.path"]["fix"]
    assert fix.endswith(f"(ccwrap profile edit work --url {gateway.url}/anthropic)")
    assert cli("profile", "edit", "work", "--url", f"{gateway.url}/anthropic").exit_code == 0
    result, checks = run(cli, "--profile", "work")
    assert result.exit_code == 0, problems(checks)


def test_gateway_path_without_an_answering_variant(cli: CliRunner, gateway: TestGateway) -> None:
    gateway.mode = "doctor-nowhere"
    _, checks = run(cli, "--url", gateway.url)
    assert checks["gateway.path"]["status"] == "fail"
    assert "none of the usual variants" in checks["gateway.path"]["detail"]
    assert "404 page not found" in checks["gateway.path"]["detail"]


def test_url_scheme_missing(cli: CliRunner) -> None:
    result, checks = run(cli, "--url", "127.0.0.1:8080")
    assert result.exit_code == 1
    assert checks["url.scheme"]["status"] == "fail"
    assert (
        checks["url.scheme"]["fix"] == "use https://127.0.0.1:8080 (or http:// for a local gateway)"
    )
    assert checks["net.refused"]["status"] == "skip"  # nothing to probe


def test_redirect_names_the_new_base(cli: CliRunner, gateway: TestGateway) -> None:
    gateway.mode = "doctor-moved"
    _, checks = run(cli, "--url", gateway.url)
    assert problems(checks) == {"gateway.path": "fail"}
    assert "HTTP 308" in checks["gateway.path"]["detail"]
    assert checks["gateway.path"]["fix"] == f"use the base URL {gateway.url}/new"


def test_a_key_echoed_by_the_gateway_is_masked(cli: CliRunner, gateway: TestGateway) -> None:
    gateway.mode = "doctor-echo-key"
    result, checks = run(cli, "--url", gateway.url)
    assert checks["auth.rejected"]["status"] == "fail"
    assert "sk-…cdef" in checks["auth.rejected"]["detail"]
    text = cli("doctor", "--url", gateway.url, "--key-stdin", input=KEY)
    assert KEY not in result.stdout + text.stdout + text.stderr


def test_url_insecure(cli: CliRunner) -> None:
    result, checks = run(cli, "--url", "http://gateway.example.test", "--offline")
    assert result.exit_code == 0  # a warning, not a failure
    assert checks["url.insecure"]["status"] == "warn"
    assert "https://gateway.example.test" in checks["url.insecure"]["fix"]


def test_not_anthropic(cli: CliRunner, gateway: TestGateway) -> None:
    gateway.mode = "doctor-openai"
    _, checks = run(cli, "--url", gateway.url)
    assert problems(checks) == {"gateway.not-anthropic": "fail"}
    assert "Invalid URL (POST /v1/messages)" in checks["gateway.not-anthropic"]["detail"]


def test_html(cli: CliRunner, gateway: TestGateway) -> None:
    gateway.mode = "doctor-html"
    _, checks = run(cli, "--url", gateway.url)
    assert problems(checks) == {"gateway.html": "fail"}
    assert "Attention Required! | Cloudflare" in checks["gateway.html"]["detail"]


# -- auth ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["401", "doctor-403"])
def test_auth_rejected_in_both_modes(cli: CliRunner, gateway: TestGateway, mode: str) -> None:
    gateway.mode = mode
    result, checks = run(cli, "--url", gateway.url)
    assert result.exit_code == 1
    assert problems(checks) == {"auth.rejected": "fail"}
    assert checks["auth.mode"]["status"] == "ok"
    sent = [r.headers for r in gateway.messages()]
    assert any("authorization" in h for h in sent) and any("x-api-key" in h for h in sent)


def test_auth_mode_for_a_profile(
    cli: CliRunner, gateway: TestGateway, memory_keyring: MemoryKeyring
) -> None:
    save_profile(memory_keyring, base_url=gateway.url, auth="bearer")
    gateway.key, gateway.auth = KEY, "x-api-key"
    result, checks = run(cli, "--profile", "work")
    assert result.exit_code == 1
    assert problems(checks) == {"auth.mode": "fail"}
    assert checks["auth.mode"]["fix"] == (
        "switch this profile to x-api-key: ccwrap profile edit work --auth x-api-key"
    )
    # the command it names fixes it
    command = checks["auth.mode"]["fix"].split(": ", 1)[1].split()
    assert cli(*command[1:]).exit_code == 0
    result, checks = run(cli, "--profile", "work")
    assert result.exit_code == 0, problems(checks)


def test_auth_mode_to_bearer_for_a_url(
    cli: CliRunner, gateway: TestGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    gateway.key, gateway.auth = KEY, "bearer"
    _, checks = run(cli, "--url", gateway.url, key=None)
    assert problems(checks) == {"auth.mode": "fail"}
    assert "ANTHROPIC_AUTH_TOKEN" in checks["auth.mode"]["fix"]


def test_billing_sent_as_403_is_not_an_auth_problem(cli: CliRunner, gateway: TestGateway) -> None:
    gateway.mode = "doctor-quota-403"
    _, checks = run(cli, "--url", gateway.url)
    assert problems(checks) == {"billing.balance": "fail"}
    assert "用户额度不足" in checks["billing.balance"]["detail"]


@pytest.mark.parametrize(
    ("mode", "finding"),
    [("doctor-402", "billing.balance"), ("doctor-429", "rate.limited"), ("500", "gateway.error")],
)
def test_status_findings_from_the_free_probe(
    cli: CliRunner, gateway: TestGateway, mode: str, finding: str
) -> None:
    gateway.mode = mode
    result, checks = run(cli, "--url", gateway.url)
    assert result.exit_code == 1
    assert problems(checks) == {finding: "fail"}


# -- models ----------------------------------------------------------------------------------------
def test_no_channel_is_model_unavailable_and_lists_models(
    cli: CliRunner, gateway: TestGateway
) -> None:
    gateway.mode = "doctor-no-channel"
    _, checks = run(cli, "--url", gateway.url)
    assert problems(checks) == {"model.unavailable": "fail"}
    assert "claude-haiku-4-5" in checks["model.unavailable"]["detail"]


def test_model_not_in_the_list(
    cli: CliRunner, gateway: TestGateway, memory_keyring: MemoryKeyring
) -> None:
    save_profile(memory_keyring, base_url=gateway.url, model="claude-nope-9")
    _, checks = run(cli, "--profile", "work")
    assert problems(checks) == {"model.unavailable": "warn"}
    detail = checks["model.unavailable"]["detail"]
    assert "claude-nope-9" in detail and "claude-sonnet-4-5" in detail


@pytest.mark.parametrize(
    ("setup", "detail"),
    [
        (lambda gw: setattr(gw, "mode", "doctor-models-redirect"), "redirect"),
        (lambda gw: setattr(gw, "models", ["gpt-4o", "deepseek-chat"]), "none starts with claude"),
    ],
    ids=["redirect", "no-claude-ids"],
)
def test_model_discovery_fails(
    cli: CliRunner, gateway: TestGateway, memory_keyring: MemoryKeyring, setup: Any, detail: str
) -> None:
    save_profile(memory_keyring, base_url=gateway.url, gateway_discovery=True)
    setup(gateway)
    _, checks = run(cli, "--profile", "work")
    assert checks["model.discovery"]["status"] == "fail"
    assert detail in checks["model.discovery"]["detail"]


def test_model_discovery_ok(
    cli: CliRunner, gateway: TestGateway, memory_keyring: MemoryKeyring
) -> None:
    save_profile(memory_keyring, base_url=gateway.url, gateway_discovery=True)
    result, checks = run(cli, "--profile", "work")
    assert result.exit_code == 0 and checks["model.discovery"]["status"] == "ok"


# -- --live ----------------------------------------------------------------------------------------
def test_live_healthy_and_streamed(cli: CliRunner, gateway: TestGateway) -> None:
    gateway.mode = "doctor-streaming"
    result = cli("doctor", "--url", gateway.url, "--key-stdin", "--live", input=KEY)
    assert result.exit_code == 0, result.stdout
    assert "spends a token" in result.stderr
    assert "✓ stream.buffered" in result.stdout and "✓ beta.rejected" in result.stdout
    real = [r for r in gateway.messages() if "messages" in (r.json or {})]
    assert len(real) == 1 and real[0].json["max_tokens"] == 1 and real[0].json["stream"] is True
    assert real[0].headers["anthropic-beta"].startswith("claude-code-20250219")


@pytest.mark.parametrize(
    ("mode", "finding", "status_"),
    [
        ("doctor-live-no-channel", "model.unavailable", "fail"),
        ("doctor-live-402", "billing.balance", "fail"),
        ("doctor-live-429", "rate.limited", "fail"),
        ("doctor-live-500", "gateway.error", "fail"),
        ("doctor-strict-betas", "beta.rejected", "fail"),
        ("doctor-buffered", "stream.buffered", "warn"),
        ("doctor-json-stream", "stream.buffered", "fail"),
        ("doctor-error-event", "gateway.error", "fail"),  # overloaded_error inside a 200 stream
    ],
)
def test_live_findings(
    cli: CliRunner, gateway: TestGateway, mode: str, finding: str, status_: str
) -> None:
    gateway.mode = mode
    _, free = run(cli, "--url", gateway.url)
    assert problems(free) == {}, "the free probes must not see a live-only failure"
    _, checks = run(cli, "--url", gateway.url, "--live")
    assert problems(checks) == {finding: status_}


def test_beta_rejected_fix_and_profile_that_disables_betas(
    cli: CliRunner, gateway: TestGateway, memory_keyring: MemoryKeyring
) -> None:
    gateway.mode = "doctor-strict-betas"
    _, checks = run(cli, "--url", gateway.url, "--live")
    assert "CLAUDE_CODE_DISABLE_EXPERIMENTAL_BETAS=1" in checks["beta.rejected"]["fix"]
    save_profile(memory_keyring, base_url=gateway.url, disable_experimental_betas=True)
    result, checks = run(cli, "--profile", "work", "--live")
    assert result.exit_code == 0 and checks["beta.rejected"]["status"] == "ok"


# -- network ---------------------------------------------------------------------------------------
def test_refused(cli: CliRunner) -> None:
    url = doctor_modes.refused_url()
    result, checks = run(cli, "--url", url)
    assert result.exit_code == 1
    assert problems(checks) == {"net.refused": "fail"}
    assert checks["net.dns"]["status"] == "ok"  # refused proves the name resolved
    assert checks["gateway.path"]["status"] == "skip"


def test_timeout_costs_one_timeout(cli: CliRunner) -> None:
    with doctor_modes.blackhole() as url:
        started = time.monotonic()
        result = cli("doctor", "--url", url, "--key-stdin", "--json", "--timeout", "0.5", input=KEY)
        elapsed = time.monotonic() - started
    checks = {c["id"]: c for c in json.loads(result.stdout)["checks"]}
    assert problems(checks) == {"net.timeout": "fail"}
    assert "0.5 s" in checks["net.timeout"]["detail"]
    assert elapsed < 10  # generous: four concurrent probes, not four timeouts in a row


def test_tls_untrusted_then_trusted(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with doctor_modes.tls_gateway(tmp_path) as (server, cafile):
        result, checks = run(cli, "--url", server.url)
        assert result.exit_code == 1
        assert problems(checks) == {"net.tls": "fail"}
        assert "certificate" in checks["net.tls"]["detail"]
        assert "NODE_EXTRA_CA_CERTS" in checks["net.tls"]["fix"]
        # The fix it names works: the CA given as Claude Code would get it.
        monkeypatch.setenv("NODE_EXTRA_CA_CERTS", str(cafile))
        result, checks = run(cli, "--url", server.url)
        assert result.exit_code == 0 and checks["net.tls"]["status"] == "ok"
        monkeypatch.delenv("NODE_EXTRA_CA_CERTS")
        monkeypatch.setenv("SSL_CERT_FILE", str(cafile))
        result, checks = run(cli, "--url", server.url)
        assert result.exit_code == 0 and checks["net.tls"]["status"] == "ok"


def test_plain_http_to_a_tls_port(cli: CliRunner, tmp_path: Path) -> None:
    with doctor_modes.tls_gateway(tmp_path) as (server, _):
        _, checks = run(cli, "--url", server.url.replace("https://", "http://"))
    assert problems(checks) == {"gateway.error": "fail"}
    assert "scheme (http vs https)" in checks["gateway.error"]["fix"]
    assert checks["gateway.path"]["status"] == "skip"


def test_https_to_a_plain_http_port(cli: CliRunner, gateway: TestGateway) -> None:
    _, checks = run(cli, "--url", gateway.url.replace("http://", "https://"))
    assert problems(checks) == {"net.tls": "fail"}
    assert "does not speak TLS" in checks["net.tls"]["detail"]
    assert checks["net.tls"]["fix"].startswith("use http://")
    assert checks["gateway.path"]["status"] == "skip"


# -- local checks ----------------------------------------------------------------------------------
def test_key_missing_from_the_keyring(cli: CliRunner, memory_keyring: MemoryKeyring) -> None:
    save_profile(None, base_url="https://gateway.example.test")
    result, checks = run(cli, "--profile", "work", "--offline")
    assert result.exit_code == 1
    assert checks["key.missing"]["status"] == "fail"
    assert "ccwrap setup work" in checks["key.missing"]["fix"]


def test_key_missing_env_source(cli: CliRunner) -> None:
    save_profile(None, base_url="https://gateway.example.test", key="env:WORK_KEY")
    _, checks = run(cli, "--profile", "work", "--offline")
    assert checks["key.missing"]["status"] == "fail"
    assert "WORK_KEY" in checks["key.missing"]["detail"]


def test_no_credentials_at_all(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "https://gateway.example.test")
    _, checks = run(cli, "--offline", key=None)
    assert checks["key.missing"]["status"] == "fail"
    assert "Not logged in" in checks["key.missing"]["detail"]


def test_api_key_helper_is_run_and_sent_in_both_headers(
    cli: CliRunner, gateway: TestGateway, isolated: Path
) -> None:
    settings = isolated / ".claude" / "settings.json"
    settings.parent.mkdir()
    env = {"ANTHROPIC_BASE_URL": gateway.url}
    settings.write_text(json.dumps({"env": env, "apiKeyHelper": f"echo {KEY}"}))
    gateway.key = KEY
    result, checks = run(cli, key=None)
    assert result.exit_code == 0, problems(checks)
    sent = gateway.messages()[0].headers
    assert sent["x-api-key"] == KEY and sent["authorization"] == f"Bearer {KEY}"


def test_auth_conflict(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "https://gateway.example.test")
    monkeypatch.setenv("ANTHROPIC_AUTH_TOKEN", KEY)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-other-0000000000")
    result, checks = run(cli, "--offline", key=None)
    assert result.exit_code == 0
    assert problems(checks) == {"env.auth-conflict": "warn"}
    assert KEY not in result.stdout


def test_settings_override_names_file_and_variable(
    cli: CliRunner, gateway: TestGateway, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = isolated / ".claude" / "settings.json"
    settings.parent.mkdir()
    settings.write_text(json.dumps({"env": {"ANTHROPIC_BASE_URL": gateway.url}}))
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "https://what-i-exported.example.test")
    monkeypatch.setenv("ANTHROPIC_AUTH_TOKEN", KEY)
    result, checks = run(cli, key=None)
    override = checks["settings.override"]
    assert override["status"] == "warn"
    assert str(settings) in override["detail"] and "ANTHROPIC_BASE_URL" in override["detail"]
    assert str(settings) in override["fix"]
    # and doctor examined what claude would really use: the file's URL
    assert json.loads(result.stdout)["base_url"] == gateway.url


def test_managed_settings_override_a_profile(
    cli: CliRunner, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    save_profile(memory_keyring, base_url="https://gateway.example.test")
    managed = Path(os.environ["CCWRAP_MANAGED_SETTINGS"])
    managed.write_text(json.dumps({"env": {"ANTHROPIC_BASE_URL": "https://corp.example.test"}}))
    result, checks = run(cli, "--profile", "work", "--offline")
    assert result.exit_code == 1
    assert checks["settings.override"]["status"] == "fail"
    assert "managed settings" in checks["settings.override"]["detail"]


def test_project_settings_do_not_fail_a_profile(
    cli: CliRunner, memory_keyring: MemoryKeyring
) -> None:
    save_profile(memory_keyring, base_url="https://gateway.example.test")
    project = Path.cwd() / ".claude" / "settings.json"
    project.parent.mkdir()
    project.write_text(json.dumps({"env": {"ANTHROPIC_BASE_URL": "https://other.example.test"}}))
    _, checks = run(cli, "--profile", "work", "--offline")
    # ccwrap run's --settings outranks project settings
    assert checks["settings.override"]["status"] == "ok", checks["settings.override"]


def test_settings_invalid(cli: CliRunner, isolated: Path) -> None:
    settings = isolated / ".claude" / "settings.json"
    settings.parent.mkdir()
    settings.write_text('{\n  "env": {\n    "A": "b",\n  }\n}\n')
    result, checks = run(cli, "--offline", key=None)
    assert result.exit_code == 1
    invalid = checks["settings.invalid"]
    assert invalid["status"] == "fail"
    assert "line 4, column 3" in invalid["detail"] and str(settings) in invalid["fix"]


def test_claude_missing(cli: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CCWRAP_CLAUDE", str(tmp_path / "no-such-claude"))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    result, checks = run(cli, "--url", "https://gateway.example.test", "--offline")
    assert result.exit_code == 1
    assert checks["claude.missing"]["status"] == "fail"
    assert "npm install -g @anthropic-ai/claude-code" in checks["claude.missing"]["fix"]


def test_claude_too_old_for_discovery(
    cli: CliRunner, memory_keyring: MemoryKeyring, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_claude(tmp_path, monkeypatch, "2.1.100")
    save_profile(memory_keyring, base_url="https://gateway.example.test", gateway_discovery=True)
    _, checks = run(cli, "--profile", "work", "--offline")
    assert checks["claude.version"]["status"] == "fail"
    assert "2.1.129" in checks["claude.version"]["detail"]
    save_profile(memory_keyring, base_url="https://gateway.example.test")
    _, checks = run(cli, "--profile", "work", "--offline")
    assert checks["claude.version"]["status"] == "ok"


def test_profile_and_url_together_is_a_usage_error(cli: CliRunner) -> None:
    result = cli("doctor", "--profile", "a", "--url", "https://x.example.test")
    assert result.exit_code == 2 and "not both" in result.stderr


def test_no_gateway_configured_is_not_a_failure(cli: CliRunner) -> None:
    result, checks = run(cli, key=None)
    assert result.exit_code == 0
    assert checks["key.missing"]["status"] == "skip"
    assert checks["gateway.path"]["detail"].startswith("no ANTHROPIC_BASE_URL")
    assert json.loads(result.stdout)["base_url"] is None
