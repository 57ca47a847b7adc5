"""The real claude through ccwrap run with the proxy (from tests/process/test_proxy_run.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ccwrap.context import Context
from ccwrap.profiles.store import Profile, ProfileStore
from tests.support.gateway import TestGateway

KEY = "sk-real-key-never-in-claude-0123456789"


def save(url: str, **fields: Any) -> Profile:
    fields.setdefault("key", "env:GW_KEY")
    profile = Profile(name="work", base_url=url, **fields)
    ProfileStore(Context.from_os().paths.config_file).save(profile)
    return profile


# -- the real client --------------------------------------------------------------------------
@pytest.mark.claude
def test_real_claude_through_run_proxy(
    real_claude: Path, gateway: TestGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    gateway.key, gateway.auth = KEY, "bearer"
    gateway.models = ["glm-4.6"]
    save(gateway.url, model_map={"claude-*": "glm-4.6"}, headers={"X-Request-Id": "{request_id}"})
    monkeypatch.setenv("GW_KEY", KEY)
    monkeypatch.setenv("CCWRAP_CLAUDE", str(real_claude))
    monkeypatch.setenv("CLAUDE_CODE_MAX_RETRIES", "0")
    monkeypatch.setenv("DISABLE_AUTOUPDATER", "1")
    monkeypatch.setenv("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
    # Anything but loopback goes to a closed port; the proxy must keep loopback direct itself.
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    done = subprocess.run(
        [sys.executable, "-m", "ccwrap", "run", "--", "-p", "ping"],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "NO_PROXY": "", "no_proxy": ""},
    )
    assert done.returncode == 0, (done.stdout, done.stderr)
    assert "pong" in done.stdout
    prompts = gateway.messages()
    assert prompts, [r.target for r in gateway.requests]
    for request in prompts:
        assert request.query == "beta=true"
        assert request.headers["authorization"] == f"Bearer {KEY}"
        assert "x-api-key" not in request.headers
        assert request.json["model"] == "glm-4.6"
        assert request.headers["anthropic-version"] == "2023-06-01"
        assert "claude-code" in request.headers["anthropic-beta"]
        assert request.headers["user-agent"].startswith("claude-cli/")
        assert len(request.headers["x-request-id"]) == 36
