"""``ccwrap run --proxy --capture`` with the real claude (tier 5): what the capture files hold,
and that nothing of the real key (or a secret header, or the session token) is in any of them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from ccwrap.capture import store
from ccwrap.context import Context
from ccwrap.profiles.store import Profile, ProfileStore
from tests.real import test_run_claude
from tests.support.gateway import TestGateway

claude_world = test_run_claude.claude_world  # the fixture, reused
KEY = "sk-real-key-never-in-a-capture-0123456789"
SIGNATURE = "sig-never-in-a-capture-9876543210"


@pytest.mark.claude
def test_run_proxy_capture_keeps_redacted_exchanges(
    real_claude: Path, claude_world: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    claude_world(real_claude)
    monkeypatch.setenv("GW_KEY", KEY)
    monkeypatch.setenv("GW_SIG", SIGNATURE)
    with TestGateway(key=KEY, auth="bearer") as gateway:
        ProfileStore(Context.from_os().paths.config_file).save(
            Profile(
                name="work",
                base_url=gateway.url,
                key="env:GW_KEY",
                cache_1h=True,
                secret_headers={"X-Sig": "env:GW_SIG"},
            )
        )
        done = subprocess.run(
            [sys.executable, "-m", "ccwrap", "run", "--proxy", "--capture", "--", "-p", "ping"],
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
            env=dict(os.environ),
        )
        assert done.returncode == 0, (done.stdout, done.stderr)
        assert gateway.messages()[0].headers["x-sig"] == SIGNATURE
    files = sorted(store.folder(Context.from_os().paths).glob("*.json"))
    assert files
    for path in files:
        assert path.stat().st_mode & 0o777 == 0o600
        raw = path.read_bytes()
        for secret in (KEY, SIGNATURE, KEY[-16:], "ccwrap-session-"):
            assert secret.encode() not in raw, (path.name, secret)
    messages = [json.loads(p.read_text()) for p in files]
    posted = [m for m in messages if m["request"]["path"] == "/v1/messages"]
    assert posted
    capture = posted[0]
    headers = dict(capture["request"]["headers"])
    assert headers["authorization"] == store.REDACTED
    assert headers["x-sig"] == store.REDACTED
    assert capture["response"]["status"] == 200
    assert capture["response"]["message"]["content"][0]["text"] == "pong"
    sent = json.loads(capture["request"]["body"]["text"])
    assert "ping" in json.dumps(sent["messages"][-1]["content"])
    print("capture sizes:", [p.stat().st_size for p in files])
