"""Background sessions of the newest claude reach the bound folder's gateway with the recipe
ccwrap documents: the processWrapper (``settings apply --wrapper`` → ``ccwrap wrap``) for cold
sessions plus the folder's local settings (``settings apply PROFILE --scope local``) for those
that claim a warm spare. What the wrapper does with each process: tests/process/test_wrap.py.

Measured (docs/folders-ide-import.md): 2.1.332 starts its service, spare workers and every cold
session through the wrapper; a cold session (``--session-id ID PROMPT``) starts in its folder. A
session that claims a warm spare (started before any folder was known) skips the wrapper and reads
the folder's settings files instead, so the recipe for a bound folder is the wrapper plus
``settings apply PROFILE --scope local`` there; doctor's ``client.dispatched`` says so.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ccwrap.context import Context
from ccwrap.profiles.store import Profile, ProfileStore
from tests.conftest import require
from tests.support.claude_pin import latest_claude
from tests.support.gateway import TestGateway

KEY = "sk-bound-profile-key-0123456789"


@pytest.mark.claude_latest
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the client ignores it on Windows")
def test_a_background_session_uses_the_folders_profile(
    isolated: Path, tmp_path: Path, file_keyring: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import keyring

    claude = latest_claude()
    require(claude is not None, "claude@latest is not installed (run scripts/test)")
    assert claude is not None
    project = tmp_path / "project"
    project.mkdir()
    (isolated / ".claude.json").write_text(
        json.dumps(
            {
                "hasCompletedOnboarding": True,
                "projects": {str(project): {"hasTrustDialogAccepted": True}},
            }
        )
    )
    for name, value in {
        "CLAUDE_CODE_MAX_RETRIES": "0",
        "DISABLE_AUTOUPDATER": "1",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "HTTPS_PROXY": "http://127.0.0.1:9",  # nothing beyond loopback: refused at once
        "HTTP_PROXY": "http://127.0.0.1:9",
        "NO_PROXY": "127.0.0.1,localhost",
        "CCWRAP_CLAUDE": str(claude),
    }.items():
        monkeypatch.setenv(name, value)
    with TestGateway(key=KEY, auth="bearer") as bound, TestGateway() as other:
        store = ProfileStore(Context.from_os().paths.config_file)
        store.save(Profile(name="work", base_url=bound.url))
        store.save(Profile(name="elsewhere", base_url=other.url, auth="none"))
        store.set_default("elsewhere")
        keyring.set_password("ccwrap", "work", KEY)
        (project / ".ccwrap.toml").write_text('profile = "work"\n')
        ccwrap = [sys.executable, "-m", "ccwrap"]
        applied = subprocess.run(
            [*ccwrap, "settings", "apply", "elsewhere", "--scope", "user", "--wrapper"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert applied.returncode == 0, applied.stderr
        local = subprocess.run(
            [*ccwrap, "settings", "apply", "work", "--scope", "local"],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert local.returncode == 0, local.stderr
        assert KEY not in (project / ".claude" / "settings.local.json").read_text()
        try:
            # Three sessions: some start cold (through the wrapper), the others claim a warm spare
            # the service keeps ready (no wrapper; the folder's local settings decide).
            for prompt in ("say hi", "say bye", "say again"):
                started = subprocess.run(
                    [str(claude), "--bg", prompt],
                    cwd=project,
                    capture_output=True,
                    text=True,
                    timeout=90,
                    stdin=subprocess.DEVNULL,
                )
                assert started.returncode == 0, started.stdout + started.stderr
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline and not _asked(bound, prompt):
                    time.sleep(0.5)
                assert _asked(bound, prompt), (
                    f"{prompt!r} did not reach the bound gateway: {started.stderr}\n"
                    + _daemon_log(isolated)
                )
            messages = bound.messages()
            assert all(m.headers["authorization"] == f"Bearer {KEY}" for m in messages)
            assert other.messages() == []
        finally:
            subprocess.run(
                [str(claude), "daemon", "stop", "--any"],
                capture_output=True,
                timeout=60,
                env={**os.environ},
            )


def _asked(gateway: TestGateway, prompt: str) -> bool:
    return any(prompt.encode() in m.body for m in gateway.messages())


def _daemon_log(home: Path) -> str:
    log = home / ".claude" / "daemon.log"
    return log.read_text(errors="replace")[-4000:] if log.exists() else "(no daemon.log)"
