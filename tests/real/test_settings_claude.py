"""The real claude, run plainly, reaches the gateway through settings `ccwrap settings apply`
wrote, with the key delivered by the apiKeyHelper (`ccwrap key NAME`)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from ccwrap.context import Context
from ccwrap.keys.sources import SecretStore
from ccwrap.profiles.store import Profile, ProfileStore
from tests.conftest import CliRunner
from tests.support.gateway import TestGateway

KEY = "sk-gw-settings-0123456789abcdef"


def run_claude(claude: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CLAUDE_CODE_MAX_RETRIES": "0",
        "DISABLE_AUTOUPDATER": "1",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
    }
    return subprocess.run(
        [str(claude), "-p", "ping"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        check=False,
    )


@pytest.mark.claude
@pytest.mark.parametrize("auth", ["bearer", "x-api-key"])
def test_plain_claude_uses_the_applied_settings_and_the_key_helper(
    real_claude: Path, file_keyring: Path, cli: CliRunner, auth: str
) -> None:
    with TestGateway(key=KEY, auth=auth) as gateway:
        ctx = Context.from_os()
        profile = Profile(name="gw", base_url=gateway.url, auth=auth, model="claude-sonnet-4-5")  # type: ignore[arg-type]
        ProfileStore(ctx.paths.config_file).save(profile)
        SecretStore(ctx).write("gw", "keyring", KEY)
        # A stale export in the shell must not win over what apply wrote.
        os.environ["ANTHROPIC_BASE_URL"] = "http://127.0.0.1:9"
        try:
            result = cli("settings", "apply", "gw")
            assert result.exit_code == 0, result.stderr
            settings = json.loads((ctx.claude_config_dir / "settings.json").read_text())
            assert KEY not in json.dumps(settings)
            done = run_claude(real_claude, ctx.cwd)
        finally:
            del os.environ["ANTHROPIC_BASE_URL"]
        assert done.returncode == 0, done.stdout + done.stderr
        assert "pong" in done.stdout
        messages = gateway.messages()
        assert messages, "claude never reached the gateway"
        headers = messages[-1].headers
        header_key = headers.get("authorization") if auth == "bearer" else headers.get("x-api-key")
        assert header_key in (f"Bearer {KEY}", KEY)
        assert messages[-1].json["model"] == "claude-sonnet-4-5"
