"""The real claude through `ccwrap run --proxy`: the ledger has a row per prompt, with the session
id claude sends, the model before and after the map, and the gateway's usage; then the status line
answers for that session."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from ccwrap.context import Context
from ccwrap.ledger.database import ledger_path
from ccwrap.profiles.store import Profile, ProfileStore
from tests.support.gateway import TestGateway

KEY = "sk-real-key-never-in-claude-0123456789"


@pytest.mark.claude
def test_real_claude_sessions_land_in_the_ledger(
    real_claude: Path, gateway: TestGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    gateway.key, gateway.auth = KEY, "bearer"
    ProfileStore(Context.from_os().paths.config_file).save(
        Profile(
            name="work",
            base_url=gateway.url,
            key="env:GW_KEY",
            proxy="always",
            model_map={"claude-*": "glm-4.6"},
            price_input=1000.0,
            price_currency="USD",
        )
    )
    monkeypatch.setenv("GW_KEY", KEY)
    monkeypatch.setenv("CCWRAP_CLAUDE", str(real_claude))
    monkeypatch.setenv("CLAUDE_CODE_MAX_RETRIES", "0")
    monkeypatch.setenv("DISABLE_AUTOUPDATER", "1")
    monkeypatch.setenv("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
    done = subprocess.run(
        [sys.executable, "-m", "ccwrap", "run", "--", "-p", "ping"],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, (done.stdout, done.stderr)
    conn = sqlite3.connect(ledger_path(Context.from_os().paths))
    conn.row_factory = sqlite3.Row
    rows = [
        dict(r)
        for r in conn.execute("SELECT * FROM proxy_requests WHERE route = 'POST /v1/messages'")
    ]
    assert len(rows) == len(gateway.messages())
    for row, sent in zip(rows, gateway.messages(), strict=True):
        assert row["session_id"] == sent.headers["x-claude-code-session-id"]
        assert row["model_mapped"] == "glm-4.6"
        assert row["input_tokens"] == 12  # what the test gateway reports
        assert (row["status"], row["complete"], row["profile"]) == (200, 1, "work")
    [launch] = list(conn.execute("SELECT profile, exit_code, proxied FROM launches"))
    assert tuple(launch) == ("work", 0, 1)
    session = rows[-1]["session_id"]
    line = subprocess.run(
        [sys.executable, "-m", "ccwrap", "statusline"],
        input=json.dumps({"session_id": session, "model": {"id": "claude-opus-4-1"}}),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert line.stdout.startswith("work · glm-4.6 · cache 0% · $"), line.stdout
