"""The real claude, launched by ``ccwrap run``, against the loopback test gateway (tier 5).

What was measured here with claude 2.1.197 (and the newest client, marker ``claude_latest``), and
what these tests hold ccwrap to:

- ``--settings '<json>'`` with ``apiKeyHelper`` and both credential variables set to "": the
  helper's output arrives as BOTH ``authorization: Bearer <key>`` and ``x-api-key: <key>``,
  whatever the profile's auth mode; the "" variables do not stop the helper (they cancel stale
  values, and an empty credential counts as none).
- A stale ``ANTHROPIC_AUTH_TOKEN``/``ANTHROPIC_API_KEY`` export, or stale user and project-local
  settings.json files with another base URL, key and apiKeyHelper, change nothing: every request
  goes to the profile's gateway with the profile's key.
- Interactive mode too: the TUI started by ``ccwrap run`` (exec'd, so the terminal's process is
  claude itself) sends the helper's key without any approval prompt.
- With CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 the only connection claude opens is to the
  gateway: a recording HTTPS_PROXY on loopback (NO_PROXY keeps the gateway direct) sees nothing,
  and refuses what it would see, so no test can reach beyond 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ccwrap.context import Context
from ccwrap.profiles.store import Profile, ProfileStore
from tests.conftest import require
from tests.support.claude_pin import PINNED_VERSION, latest_claude
from tests.support.gateway import RecordedRequest, TestGateway

KEY = "sk-profile-key-0123456789"
STALE_KEY = "sk-stale-key-9876543210"
BILLING_BLOCK = "x-anthropic-billing-header"
# Hosts the interactive TUI of 2.1.197 tries even with nonessential traffic off (refused here).
INTERACTIVE_EXTRA_HOSTS = frozenset({"downloads.claude.ai:443", "github.com:443"})


class EgressRecorder:
    """A stand-in HTTP(S) proxy on loopback that records and refuses every connection: claude
    gets it as HTTPS_PROXY/HTTP_PROXY, so any host but loopback (NO_PROXY) shows up here."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self._server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._server.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                try:
                    first = conn.recv(4096).split(b"\r\n", 1)[0]
                except OSError as exc:
                    first = repr(exc).encode()
                self.seen.append(first.decode(errors="replace"))

    def close(self) -> None:
        self._server.close()


@pytest.fixture
def claude_world(
    monkeypatch: pytest.MonkeyPatch, file_keyring: Path
) -> Iterator[Callable[..., None]]:
    """Point ccwrap at a claude and keep that claude on loopback, quiet and retry-free.

    Measured: without CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 the client also opens
    ``CONNECT api.anthropic.com:443`` (twice, for a -p prompt), whatever the base URL; with it,
    only the gateway. The interactive TUI still tries ``downloads.claude.ai:443`` and
    ``github.com:443`` (refused here: they fail at once); a test expecting that says so with
    ``refused_ok``. Every test using this fixture fails if anything else reached the recorder.
    """
    egress = EgressRecorder()
    allowed: set[str] = set()

    def use(claude: Path, refused_ok: frozenset[str] = frozenset()) -> None:
        allowed.update(f"CONNECT {target} HTTP/1.1" for target in refused_ok)
        monkeypatch.setenv("CCWRAP_CLAUDE", str(claude))
        monkeypatch.setenv("CLAUDE_CODE_MAX_RETRIES", "0")
        monkeypatch.setenv("DISABLE_AUTOUPDATER", "1")
        monkeypatch.setenv("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
        monkeypatch.setenv("HTTPS_PROXY", egress.url)
        monkeypatch.setenv("HTTP_PROXY", egress.url)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")

    yield use
    egress.close()
    unexpected = [line for line in egress.seen if line not in allowed]
    assert unexpected == [], f"claude tried to reach beyond loopback: {unexpected}"


def save_profile(gateway: TestGateway, **fields: Any) -> Profile:
    import keyring

    profile = Profile(name="work", base_url=gateway.url, **fields)
    ProfileStore(Context.from_os().paths.config_file).save(profile)
    keyring.set_password("ccwrap", "work", KEY)  # the file keyring subprocesses share
    return profile


def ccwrap_run(*claude_args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ccwrap", "run", "--profile", "work", "--", *claude_args],
        capture_output=True,
        text=True,
        timeout=90,
        stdin=subprocess.DEVNULL,
    )


def system_texts(request: RecordedRequest) -> list[str]:
    system = request.json.get("system") or []
    if isinstance(system, str):
        return [system]
    return [block.get("text", "") for block in system]


def cache_controls(value: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(value, dict):
        if isinstance(value.get("cache_control"), dict):
            found.append(value["cache_control"])
        for item in value.values():
            found += cache_controls(item)
    elif isinstance(value, list):
        for item in value:
            found += cache_controls(item)
    return found


def assert_profile_request(request: RecordedRequest, auth: str) -> None:
    assert request.method == "POST"
    assert request.target == "/v1/messages?beta=true"
    header = {"bearer": "authorization", "x-api-key": "x-api-key"}[auth]
    expected = f"Bearer {KEY}" if auth == "bearer" else KEY
    assert request.headers[header] == expected
    # apiKeyHelper's value is sent in both headers (measured); never anything stale.
    assert request.headers.get("authorization") == f"Bearer {KEY}"
    assert request.headers.get("x-api-key") == KEY
    assert request.headers["anthropic-version"] == "2023-06-01"
    assert "claude-code-20250219" in request.headers["anthropic-beta"].split(",")


@pytest.mark.claude
@pytest.mark.parametrize("auth", ["bearer", "x-api-key"])
def test_real_claude_through_ccwrap_run(
    real_claude: Path, claude_world: Callable[..., None], auth: str
) -> None:
    claude_world(real_claude)
    with TestGateway(key=KEY, auth=auth) as gateway:
        save_profile(
            gateway,
            auth=auth,
            cache_1h=True,
            attribution_header=False,
            headers={"X-Team": "blue team", "X-Trace": "t-1"},
        )
        result = ccwrap_run("-p", "ping")
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout.strip() == "pong"
        messages = gateway.messages()
        assert messages, [r.target for r in gateway.requests]
        for request in messages:
            assert_profile_request(request, auth)
            assert request.headers["x-team"] == "blue team"
            assert request.headers["x-trace"] == "t-1"
            assert not any(BILLING_BLOCK in text for text in system_texts(request))
            controls = cache_controls(request.json)
            assert controls
            assert all(c == {"type": "ephemeral", "ttl": "1h"} for c in controls)
        assert {r.headers["host"] for r in gateway.requests} == {f"127.0.0.1:{gateway.port}"}


@pytest.mark.claude
def test_real_claude_default_profile_keeps_client_defaults(
    real_claude: Path, claude_world: Callable[..., None]
) -> None:
    claude_world(real_claude)
    with TestGateway(key=KEY) as gateway:
        save_profile(gateway)
        result = ccwrap_run("-p", "ping")
        assert result.returncode == 0, result.stdout + result.stderr
        request = gateway.messages()[0]
        # Without cache_1h and with attribution on, the client's defaults show: this is what
        # makes the assertions of the test above able to fail.
        assert any(BILLING_BLOCK in text for text in system_texts(request))
        assert {"type": "ephemeral"} in cache_controls(request.json)


@pytest.mark.claude
def test_profile_beats_stale_settings_and_exports(
    real_claude: Path,
    claude_world: Callable[..., None],
    isolated: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    claude_world(real_claude)
    with TestGateway(key=KEY) as gateway, TestGateway() as stale:
        save_profile(gateway, auth="x-api-key")
        user = isolated / ".claude" / "settings.json"
        local = Path.cwd() / ".claude" / "settings.local.json"
        stale_env = {
            "ANTHROPIC_BASE_URL": stale.url,
            "ANTHROPIC_AUTH_TOKEN": STALE_KEY,
            "ANTHROPIC_API_KEY": STALE_KEY,
            "ANTHROPIC_CUSTOM_HEADERS": "X-Stale: leaked",
        }
        for path in (user, local):
            path.parent.mkdir(parents=True, exist_ok=True)
            data = {"env": stale_env, "apiKeyHelper": f"echo {STALE_KEY}", "model": "sonnet"}
            path.write_text(json.dumps(data, indent=2) + "\n")
        before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (user, local)}
        monkeypatch.setenv("ANTHROPIC_AUTH_TOKEN", STALE_KEY)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", stale.url)

        result = ccwrap_run("-p", "ping")

        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout.strip() == "pong"
        assert stale.requests == []
        for request in gateway.messages():
            assert_profile_request(request, "x-api-key")
            assert "x-stale" not in request.headers
        assert {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (user, local)} == before


@pytest.mark.claude
def test_gateway_401_makes_ccwrap_exit_1(
    real_claude: Path, claude_world: Callable[..., None]
) -> None:
    claude_world(real_claude)
    with TestGateway(mode="401") as gateway:
        save_profile(gateway)
        result = ccwrap_run("-p", "ping")
        assert result.returncode == 1
        # With apiKeyHelper the client words it "Failed to authenticate. API Error: 401 …".
        assert "401" in result.stdout + result.stderr
        assert gateway.messages()


@pytest.mark.claude
def test_the_pinned_client_is_the_measured_version(real_claude: Path) -> None:
    from ccwrap.claude.binary import claude_version

    assert claude_version(real_claude) == PINNED_VERSION


@pytest.mark.claude_latest
def test_latest_claude_through_ccwrap_run(claude_world: Callable[..., None]) -> None:
    """The newest client from npm: a change that breaks ccwrap fails here, by this name."""
    claude = latest_claude()
    require(claude is not None, "claude@latest is not installed (run scripts/test)")
    assert claude is not None
    claude_world(claude)
    with TestGateway(key=KEY, auth="bearer") as gateway:
        save_profile(gateway, cache_1h=True, attribution_header=False, headers={"X-Team": "a"})
        result = ccwrap_run("-p", "ping")
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout.strip() == "pong"
        for request in gateway.messages():
            assert_profile_request(request, "bearer")
            assert request.headers["x-team"] == "a"
            assert not any(BILLING_BLOCK in text for text in system_texts(request))
            assert all(c.get("ttl") == "1h" for c in cache_controls(request.json))


@pytest.mark.claude
@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/PID/exe")
def test_interactive_claude_in_a_terminal(
    real_claude: Path, claude_world: Callable[..., None], isolated: Path
) -> None:
    """The TUI through ``ccwrap run`` (exec): the profile's key with no approval prompt, and
    Ctrl-C reaches claude itself."""
    import time

    import pexpect

    claude_world(real_claude, refused_ok=INTERACTIVE_EXTRA_HOSTS)
    # Skip the first-run theme and login screens; the folder-trust question is answered below.
    (isolated / ".claude.json").write_text('{"hasCompletedOnboarding": true, "theme": "dark"}')
    with TestGateway(key=KEY, auth="bearer") as gateway:
        save_profile(gateway)
        child = pexpect.spawn(
            sys.executable,
            ["-m", "ccwrap", "run", "--profile", "work"],
            env={**os.environ, "TERM": "xterm-256color"},
            dimensions=(40, 120),
            encoding="utf-8",
            timeout=30,
        )
        try:
            index = child.expect([r"trust", r"shortcuts"])  # the TUI moves the cursor between words
            if index == 0:
                child.send("\r")
                child.expect(r"shortcuts")
            time.sleep(0.5)
            child.send("ping")
            child.expect("ping")  # echoed: the prompt takes input (CI once lost keys sent earlier)
            time.sleep(0.3)
            child.send("\r")
            for _ in range(6):  # on a loaded machine the Enter can still arrive too early
                if child.expect(["pong", pexpect.TIMEOUT], timeout=10) == 0:
                    break
                if not gateway.messages():
                    child.send("\r")
            else:
                pytest.fail(f"no answer in the TUI; requests: {len(gateway.messages())}")
            request = gateway.messages()[0]
            assert_profile_request(request, "bearer")
            # ccwrap exec'd: the process in the terminal is claude itself, same PID.
            exe = Path(os.readlink(f"/proc/{child.pid}/exe"))
            assert exe.resolve() == real_claude.resolve()
            for _ in range(2):  # claude asks for a second Ctrl-C before it exits
                time.sleep(0.5)
                child.sendintr()
            child.expect(pexpect.EOF, timeout=30)
        finally:
            child.close(force=True)
        assert (child.exitstatus, child.signalstatus) == (0, None)


@pytest.mark.claude
def test_without_the_empty_credentials_a_stale_export_would_win(
    real_claude: Path, claude_world: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Why launch_plan sets both credential variables to "": the client prefers an exported
    ANTHROPIC_AUTH_TOKEN to apiKeyHelper for ``authorization`` (docs/client-facts.md). Measured
    here without ccwrap, so a client that changes this shows up by name."""
    claude_world(real_claude)
    monkeypatch.setenv("ANTHROPIC_AUTH_TOKEN", STALE_KEY)
    with TestGateway() as gateway:
        settings = {"env": {"ANTHROPIC_BASE_URL": gateway.url}, "apiKeyHelper": f"echo {KEY}"}
        done = subprocess.run(
            [str(real_claude), "--settings", json.dumps(settings), "-p", "ping"],
            capture_output=True,
            text=True,
            timeout=90,
            stdin=subprocess.DEVNULL,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        request = gateway.messages()[0]
        assert request.headers["authorization"] == f"Bearer {STALE_KEY}"
        # The helper runs beside the first request: x-api-key is there only once it has answered.
        assert request.headers.get("x-api-key", KEY) == KEY


@pytest.mark.claude
def test_auth_none_profile_still_starts(
    real_claude: Path, claude_world: Callable[..., None]
) -> None:
    """Without any credential claude stops at "Not logged in"; auth = none sends a placeholder."""
    from ccwrap.launch.plan import NO_KEY_PLACEHOLDER

    claude_world(real_claude)
    with TestGateway() as gateway:
        save_profile(gateway, auth="none")
        result = ccwrap_run("-p", "ping")
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout.strip() == "pong"
        request = gateway.messages()[0]
        assert request.headers["authorization"] == f"Bearer {NO_KEY_PLACEHOLDER}"
        assert "x-api-key" not in request.headers


@pytest.mark.claude
def test_key_from_the_exported_variable_the_settings_blank(
    real_claude: Path, claude_world: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``key = "env:ANTHROPIC_AUTH_TOKEN"``: claude applies the settings' "" before it runs the
    helper (measured: a helper printing $ANTHROPIC_AUTH_TOKEN printed nothing), so run hands the
    value over under another name."""
    claude_world(real_claude)
    monkeypatch.setenv("ANTHROPIC_AUTH_TOKEN", KEY)
    with TestGateway(key=KEY, auth="bearer") as gateway:
        save_profile(gateway, key="env:ANTHROPIC_AUTH_TOKEN")
        result = ccwrap_run("-p", "ping")
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout.strip() == "pong"
        assert_profile_request(gateway.messages()[0], "bearer")


@pytest.mark.claude
def test_egress_recorder_sees_and_refuses_other_hosts(real_claude: Path) -> None:
    """The net under every test above: a non-loopback host reaches the recorder, fails at once."""
    egress = EgressRecorder()
    settings = {"env": {"ANTHROPIC_BASE_URL": "https://gateway.example.invalid"}}
    env = {
        **os.environ,
        "HTTPS_PROXY": egress.url,
        "HTTP_PROXY": egress.url,
        "NO_PROXY": "127.0.0.1,localhost",
        "ANTHROPIC_AUTH_TOKEN": "x",
        "CLAUDE_CODE_MAX_RETRIES": "0",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
    }
    try:
        done = subprocess.run(
            [str(real_claude), "--settings", json.dumps(settings), "-p", "ping"],
            env=env,
            capture_output=True,
            text=True,
            timeout=90,
            stdin=subprocess.DEVNULL,
        )
    finally:
        egress.close()
    assert done.returncode == 1
    assert "CONNECT gateway.example.invalid:443 HTTP/1.1" in egress.seen
