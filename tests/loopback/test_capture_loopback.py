"""Capture through the real proxy (tier 3): files as written, redaction, caps, and the
``ccwrap capture`` commands over them."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.responses import Response

from ccwrap.capture import store
from ccwrap.capture.hook import CaptureHook, capture_hook
from ccwrap.context import Context
from ccwrap.profiles.store import Profile, ProfileStore
from ccwrap.proxy.config import ProxyConfig
from tests.conftest import CliRunner
from tests.support.gateway import RecordedRequest, TestGateway, anthropic_error
from tests.support.keyrings import MemoryKeyring
from tests.support.proxy_support import KEY, TOKEN, running_proxy

SECRET_HEADER = "sig-value-0123456789"
HEADERS = {"authorization": f"Bearer {TOKEN}", "x-api-key": TOKEN}


def body(messages: list[dict[str, Any]], *, stream: bool, ttl: str | None = None) -> dict[str, Any]:
    control: dict[str, Any] = {"type": "ephemeral", **({"ttl": ttl} if ttl else {})}
    return {
        "model": "claude-sonnet-4-5",
        "max_tokens": 16,
        "stream": stream,
        "system": [{"type": "text", "text": "you are terse", "cache_control": control}],
        "tools": [{"name": "Read", "input_schema": {"type": "object"}}],
        "messages": messages,
    }


def hook_for(config_fields: dict[str, Any], **kwargs: Any) -> CaptureHook:
    paths = Context.from_os().paths
    config = ProxyConfig(upstream="http://unused", key=KEY, token=TOKEN, **config_fields)
    if kwargs:
        return CaptureHook(paths, capture_hook(paths, config).redactor, **kwargs)
    return capture_hook(paths, config)


def exchange(gateway: TestGateway, hook: CaptureHook, *bodies: dict[str, Any]) -> None:
    secret = {"X-Sig": SECRET_HEADER}
    with running_proxy(gateway.url, hooks=[hook], secret_headers=secret) as proxy:
        for item in bodies:
            answer = httpx.post(
                f"{proxy.base_url}/v1/messages?beta=true", json=item, headers=HEADERS, timeout=10
            )
            assert answer.status_code == 200, answer.text
    hook.close()


def test_each_exchange_is_kept_redacted_and_private(cli: CliRunner) -> None:
    first = [{"role": "user", "content": "hello"}]
    second = [
        *first,
        {"role": "assistant", "content": "pong"},
        {"role": "user", "content": "again"},
    ]
    hook = hook_for({"secret_headers": {"X-Sig": SECRET_HEADER}})
    with TestGateway(key=KEY) as gateway:
        exchange(gateway, hook, body(first, stream=True), body(second, stream=False, ttl="1h"))
        assert gateway.messages()[0].headers["x-sig"] == SECRET_HEADER  # it went upstream
    folder = store.folder(Context.from_os().paths)
    files = sorted(folder.glob("*.json"))
    assert len(files) == 2
    assert folder.stat().st_mode & 0o777 == 0o700
    for path in files:
        assert path.stat().st_mode & 0o777 == 0o600
        raw = path.read_bytes()
        # Nothing of the real key, the secret header or the session token, anywhere.
        for secret in (KEY, SECRET_HEADER, TOKEN, KEY[-12:]):
            assert secret.encode() not in raw, (path, secret)
    streamed = json.loads(files[0].read_text())
    assert streamed["response"]["message"]["content"][0]["text"] == "pong"
    assert streamed["response"]["usage"]["output_tokens"] == 1
    headers = dict(streamed["request"]["headers"])
    assert headers["x-sig"] == store.REDACTED
    assert json.loads(streamed["request"]["body"]["text"])["messages"] == first

    listed = cli("capture", "list", "--json")
    assert listed.exit_code == 0
    ids = [row["id"] for row in json.loads(listed.stdout)["captures"]]
    assert ids == [p.stem for p in files]
    shown = cli("capture", "show", ids[0])
    assert shown.exit_code == 0
    assert "response (events reassembled)" in shown.stdout and KEY not in shown.stdout
    changed = cli("capture", "diff", ids[0], ids[1], "--json")
    changes = json.loads(changed.stdout)["changes"]
    assert changes["messages"] == ["2 message(s) appended after messages[0]"]
    assert changes["system"] == [] and changes["tools"] == []
    assert changes["cache_control"] == ["before: system[0] ttl=5m", "after: system[0] ttl=1h"]
    assert changes["other_fields"] == ["stream"]


def test_total_cap_drops_the_oldest(cli: CliRunner) -> None:
    hook = hook_for({}, max_total=1)  # every new file pushes out all older ones
    with TestGateway(key=KEY) as gateway:
        messages = [{"role": "user", "content": "hello"}]
        exchange(gateway, hook, body(messages, stream=False), body(messages, stream=True))
    files = list(store.folder(Context.from_os().paths).glob("*.json"))
    assert len(files) == 1
    assert json.loads(files[0].read_text())["request"]["body"]["text"].find('"stream":true') > 0


def test_huge_body_is_cut_at_the_per_file_cap(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "MAX_BODY", 1024)
    hook = hook_for({})
    with TestGateway(key=KEY) as gateway:
        exchange(gateway, hook, body([{"role": "user", "content": "x" * 50_000}], stream=False))
    (path,) = store.folder(Context.from_os().paths).glob("*.json")
    data = json.loads(path.read_text())
    assert data["request"]["body"]["truncated"] is True
    assert data["request"]["body"]["bytes"] > 50_000
    assert len(data["request"]["body"]["text"]) == 1024
    assert cli("capture", "show", path.stem).exit_code == 0


def test_corrupt_and_unknown_captures_give_clean_messages(cli: CliRunner) -> None:
    folder = store.folder(Context.from_os().paths)
    folder.mkdir(parents=True, mode=0o700)
    bad = folder / "20260101T000000000000-deadbeef.json"
    bad.write_text('{"version": 1, "request": ')
    os.chmod(bad, 0o600)
    listed = cli("capture", "list")
    assert listed.exit_code == 0 and "corrupt" in listed.stdout
    shown = cli("capture", "show", "deadbeef")
    assert shown.exit_code != 0 and "corrupt" in shown.stderr and "Traceback" not in shown.stderr
    missing = cli("capture", "show", "nope")
    assert missing.exit_code == 2 and "no capture 'nope'" in missing.stderr


def test_run_capture_needs_the_proxy(cli: CliRunner, tmp_path: Path) -> None:
    ProfileStore(Context.from_os().paths.config_file).save(
        Profile(name="work", base_url="https://gw.example", proxy="never")
    )
    result = cli("run", "--capture", "--profile", "work", "--", "-p", "hi")
    assert result.exit_code == 2
    assert "--capture needs the proxy" in result.stderr


# -- bisect ---------------------------------------------------------------------------------------
STRICT_BETA = "context-management-2025-06-27"


def refused_capture(gateway: TestGateway, memory: MemoryKeyring, extra: dict[str, Any]) -> str:
    """A request the gateway refused with 400, captured through the proxy; its id."""
    ProfileStore(Context.from_os().paths.config_file).save(
        Profile(name="work", base_url=gateway.url, secret_headers={"X-Sig": "keyring"})
    )
    memory.set_password("ccwrap", "work", KEY)
    memory.set_password("ccwrap", "work/X-Sig", SECRET_HEADER)
    hook = hook_for({"secret_headers": {"X-Sig": SECRET_HEADER}})
    headers = {**HEADERS, "anthropic-beta": f"claude-code-20250219,{STRICT_BETA}"}
    item = {**body([{"role": "user", "content": "hello"}], stream=True), **extra}
    secret = {"X-Sig": SECRET_HEADER}
    with running_proxy(gateway.url, hooks=[hook], secret_headers=secret, profile="work") as proxy:
        answer = httpx.post(f"{proxy.base_url}/v1/messages?beta=true", json=item, headers=headers)
        assert answer.status_code == 400
    hook.close()
    (capture_id,) = store.ids(Context.from_os().paths)
    return capture_id


def strict(refuse: Callable[[RecordedRequest], bool]) -> Any:
    async def handler(request: Any, recorded: RecordedRequest) -> Response | None:
        if recorded.path == "/v1/messages" and refuse(recorded):
            return anthropic_error(400, "invalid_request_error", "Extra inputs are not permitted")
        return None

    return handler


def test_bisect_names_the_refused_beta_header(
    cli: CliRunner, memory_keyring: MemoryKeyring
) -> None:
    gateway = TestGateway(key=KEY, auth="bearer")
    gateway.handler = strict(lambda r: STRICT_BETA in r.headers.get("anthropic-beta", ""))
    with gateway:
        capture_id = refused_capture(gateway, memory_keyring, {})
        asked = cli("capture", "bisect", capture_id)  # no terminal to ask: refused, nothing sent
        assert asked.exit_code == 2 and "spends a few tokens" in asked.stderr
        sent_before = len(gateway.messages())
        result = cli("capture", "bisect", capture_id, "--yes")
        resent = gateway.messages()[sent_before:]
    assert result.exit_code == 0, result.stderr
    assert f"the gateway refuses: beta header {STRICT_BETA}" in result.stdout
    assert "CLAUDE_CODE_DISABLE_EXPERIMENTAL_BETAS=1" in result.stdout
    assert len(resent) == 3  # as captured, then each of the two betas removed (no body field)
    for request in resent:
        assert request.json["max_tokens"] == 1 and request.json["stream"] is False
        assert request.headers["authorization"] == f"Bearer {KEY}"  # the real key, re-read
        assert request.headers["x-sig"] == SECRET_HEADER
    assert sum(STRICT_BETA not in r.headers.get("anthropic-beta", "") for r in resent) == 1


def test_bisect_names_the_refused_body_field(cli: CliRunner, memory_keyring: MemoryKeyring) -> None:
    gateway = TestGateway(key=KEY)
    gateway.handler = strict(lambda r: "context_management" in (r.json or {}))
    with gateway:
        capture_id = refused_capture(gateway, memory_keyring, {"context_management": {"edits": []}})
        result = cli("capture", "bisect", capture_id, "--yes")
    assert result.exit_code == 0, result.stderr
    assert "the gateway refuses: body field context_management" in result.stdout


def test_bisect_wants_a_refused_request(cli: CliRunner) -> None:
    record = {
        "version": store.VERSION,
        "id": store.new_id(),
        "profile": "work",
        "request": {"method": "POST", "path": "/v1/messages", "body": {"text": "{}"}},
        "response": {"status": 200},
    }
    store.write(Context.from_os().paths, record)
    ProfileStore(Context.from_os().paths.config_file).save(
        Profile(name="work", base_url="https://gw.example")
    )
    result = cli("capture", "bisect", record["id"], "--yes")
    assert result.exit_code == 2
    assert "not 400" in result.stderr
