"""``ccwrap run --proxy``: claude (a stand-in, then the real one) behind the proxy."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ccwrap.context import Context
from ccwrap.profiles.store import Profile, ProfileStore
from tests.conftest import CliRunner
from tests.support.gateway import TestGateway

KEY = "sk-real-key-never-in-claude-0123456789"

# A stand-in claude that talks to its gateway like the real one: HEAD / without a credential,
# then a prompt with its token; it records what it got and what it was started with.
STANDIN = r"""
import json, os, sys, urllib.request
from pathlib import Path
record = {"argv": sys.argv[1:], "env": dict(os.environ)}
value = sys.argv[sys.argv.index("--settings") + 1]
record["settings_text"] = Path(value).read_text() if os.path.exists(value) else value
record["settings_mode"] = os.stat(value).st_mode & 0o777 if os.path.exists(value) else None
settings = json.loads(record["settings_text"])
base, token = settings["env"]["ANTHROPIC_BASE_URL"], settings["env"]["ANTHROPIC_AUTH_TOKEN"]
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
head = urllib.request.Request(base + "/", method="HEAD")
record["head"] = opener.open(head, timeout=20).status
body = json.dumps({"model": "claude-sonnet-4-5", "max_tokens": 8,
                   "messages": [{"role": "user", "content": "hi"}]}).encode()
prompt = urllib.request.Request(base + "/v1/messages?beta=true", data=body, method="POST",
    headers={"authorization": "Bearer " + token, "content-type": "application/json",
             "anthropic-version": "2023-06-01"})
answer = opener.open(prompt, timeout=20)
record["status"], record["answer"] = answer.status, json.loads(answer.read())
Path(os.environ["STANDIN_RECORD"]).write_text(json.dumps(record))
sys.exit(int(os.environ.get("STANDIN_EXIT", "0")))
"""


@pytest.fixture
def standin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "bin" / "claude"
    path.parent.mkdir()
    path.write_text(f"#!{sys.executable}\n{STANDIN}")
    path.chmod(0o755)
    monkeypatch.setenv("CCWRAP_CLAUDE", str(path))
    monkeypatch.setenv("STANDIN_RECORD", str(tmp_path / "record.json"))
    return tmp_path / "record.json"


def save(url: str, **fields: Any) -> Profile:
    fields.setdefault("key", "env:GW_KEY")
    profile = Profile(name="work", base_url=url, **fields)
    ProfileStore(Context.from_os().paths.config_file).save(profile)
    return profile


@pytest.mark.parametrize("auth", ["bearer", "x-api-key"])
def test_standin_claude_behind_the_proxy_never_sees_the_real_key(
    standin: Path, gateway: TestGateway, monkeypatch: pytest.MonkeyPatch, auth: str
) -> None:
    gateway.key, gateway.auth = KEY, auth
    save(gateway.url, auth=auth, headers={"X-Team": "blue"})
    monkeypatch.setenv("GW_KEY", KEY)
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)  # a stale shell export of the same key
    monkeypatch.setenv("NO_PROXY", "corp.example")
    monkeypatch.setenv("STANDIN_EXIT", "7")
    done = subprocess.run(
        [sys.executable, "-m", "ccwrap", "run", "--proxy", "--", "-p", "hi there"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 7, done.stderr
    record = json.loads(standin.read_text())
    everything = json.dumps(record["env"]) + json.dumps(record["argv"]) + record["settings_text"]
    assert KEY not in everything
    assert "GW_KEY" not in record["env"]
    env = record["env"]
    assert env["ANTHROPIC_BASE_URL"].startswith("http://127.0.0.1:")
    assert env["ANTHROPIC_AUTH_TOKEN"].startswith("ccwrap-session-")
    assert env["ANTHROPIC_API_KEY"] == ""
    assert env["NO_PROXY"] == "corp.example,127.0.0.1,localhost"
    assert "127.0.0.1" in env["no_proxy"]
    assert record["argv"][-2:] == ["-p", "hi there"]
    assert record["settings_mode"] == 0o600
    assert not Path(record["argv"][1]).exists()  # the settings file is gone
    # Claude's requests went through, with the real key put on by the proxy.
    assert record["head"] == 200 and record["status"] == 200
    seen = gateway.messages()[0]
    assert seen.headers["x-team"] == "blue"
    assert (seen.headers.get("authorization"), seen.headers.get("x-api-key")) == (
        (f"Bearer {KEY}", None) if auth == "bearer" else (None, KEY)
    )
    # The proxy is gone once claude has exited.
    port = int(env["ANTHROPIC_BASE_URL"].rsplit(":", 1)[1])
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass
    log = Context.from_os().paths.state_dir / "proxy.log"
    assert "POST /v1/messages 200" in log.read_text()
    assert KEY not in log.read_text() and env["ANTHROPIC_AUTH_TOKEN"] not in log.read_text()


def test_the_variable_a_secret_header_comes_from_is_not_in_claudes_environment(
    standin: Path, gateway: TestGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 16 item 7: the proxy holds the value; claude gets neither it nor its source."""
    gateway.key = KEY
    save(gateway.url, secret_headers={"X-Sig": "env:GW_SIG"})
    monkeypatch.setenv("GW_KEY", KEY)
    monkeypatch.setenv("GW_SIG", "sig-secret-value-4242")
    monkeypatch.setenv("COPY_OF_SIG", "sig-secret-value-4242")
    done = subprocess.run(
        [sys.executable, "-m", "ccwrap", "run", "--proxy", "--", "-p", "hi"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    record = json.loads(standin.read_text())
    assert "GW_SIG" not in record["env"] and "COPY_OF_SIG" not in record["env"]
    assert "sig-secret-value-4242" not in json.dumps(record)
    assert gateway.messages()[0].headers["x-sig"] == "sig-secret-value-4242"  # the proxy sent it


def test_run_proxy_fails_with_the_proxys_error_before_claude_starts(
    standin: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 16 item 13: what the proxy could not send starts no claude. A header value above
    U+00FF is refused when the profile loads (exit 3), a key when it is read (exit 4, below);
    the proxy's own start-up check behind both is tested in loopback/test_proxy_session.py."""
    save("https://gw.example", proxy="always", headers={"X-Team": "\u043a\u043b\u044e\u0447"})
    monkeypatch.setenv("GW_KEY", "sk-plain-0123456789")
    done = subprocess.run(
        [sys.executable, "-m", "ccwrap", "run"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert not standin.exists(), "claude was started"
    assert done.returncode == 3  # ExitCode.CONFIG
    assert "Claude Code rejects" in done.stderr and "Traceback" not in done.stderr
    assert list(Context.from_os().paths.run_dir.glob("settings-*")) == []


def test_a_key_no_header_can_carry_starts_no_claude(
    standin: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    save("https://gw.example", proxy="always")
    monkeypatch.setenv("GW_KEY", "sk-\u043a\u043b\u044e\u0447-0123456789")
    done = subprocess.run(
        [sys.executable, "-m", "ccwrap", "run"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert not standin.exists(), "claude was started"
    assert done.returncode == 4  # ExitCode.KEY: the key read refuses it
    assert "Traceback" not in done.stderr
    assert "\u043a" not in done.stderr  # the key is not echoed
    assert list(Context.from_os().paths.run_dir.glob("settings-*")) == []


def test_run_proxy_with_a_missing_key_starts_nothing(standin: Path) -> None:
    save("https://gw.example", proxy="always")
    done = subprocess.run(
        [sys.executable, "-m", "ccwrap", "run"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 4
    assert "GW_KEY" in done.stderr
    assert not standin.exists()


def test_run_proxy_dry_run(cli: CliRunner, standin: Path) -> None:
    save("https://gw.example", model_map={"claude-*": "glm-4.6"})  # auto: the map needs it
    result = cli("run", "--dry-run", "--json")
    assert result.exit_code == 0, result.stderr
    plan = json.loads(result.stdout)
    assert plan["settings"]["env"]["ANTHROPIC_BASE_URL"] == "http://127.0.0.1:<port>"
    assert plan["env"]["NO_PROXY"] == "127.0.0.1,localhost"
    assert "glm" not in result.stdout  # the model map is the proxy's business, not claude's


def test_auto_proxy_for_computed_headers(cli: CliRunner, standin: Path) -> None:
    save("https://gw.example", headers={"X-Request-Id": "{request_id}"})
    plan = json.loads(cli("run", "--dry-run", "--json").stdout)
    assert plan["settings"]["env"]["ANTHROPIC_BASE_URL"] == "http://127.0.0.1:<port>"
    assert "ANTHROPIC_CUSTOM_HEADERS" not in plan["settings"]["env"]


def test_a_private_ca_in_node_extra_ca_certs_works_for_doctor_and_run_proxy_alike(
    standin: Path, cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One trust store (ccwrap.net.tls): the CA given to Claude Code is trusted by both."""
    import ssl

    import trustme

    from tests.support.proxy_support import RawUpstream, answer_every_request

    authority = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    pem = tmp_path / "private-ca.pem"
    authority.cert_pem.write_to_path(str(pem))
    monkeypatch.setenv("NODE_EXTRA_CA_CERTS", str(pem))
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    with RawUpstream(handler=answer_every_request, ssl_context=context) as upstream:
        result = cli("doctor", "--url", upstream.url, "--key-stdin", "--json", input=KEY)
        checks = {c["id"]: c for c in json.loads(result.stdout)["checks"]}
        assert checks["net.tls"]["status"] == "ok", checks["net.tls"]
        save(upstream.url, proxy="always")
        monkeypatch.setenv("GW_KEY", KEY)
        done = subprocess.run(
            [sys.executable, "-m", "ccwrap", "run", "--", "-p", "hi"],
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
    assert done.returncode == 0, done.stderr
    assert json.loads(standin.read_text())["status"] == 200
