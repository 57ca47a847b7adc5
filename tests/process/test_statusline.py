"""``ccwrap statusline`` as Claude Code runs it: a real process, JSON like the real client's on
stdin (here through a pty, with pexpect), one line out, exit 0 whatever happens, nothing heavy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pexpect
import pytest

from ccwrap.context import Context
from ccwrap.ledger.database import ledger_path, open_ledger
from ccwrap.profiles.store import Profile, ProfileStore
from tests.process.test_startup_imports import HEAVY, loaded

pytestmark = pytest.mark.skipif(os.name != "posix", reason="pty")


def client_input(session: str, transcript: Path | None = None, **extra: Any) -> str:
    """The shape Claude Code sends its statusLine command (docs/client-facts.md)."""
    cwd = str(Path.cwd())
    return json.dumps(
        {
            "hook_event_name": "Status",
            "session_id": session,
            "transcript_path": str(transcript or Path("/nonexistent/t.jsonl")),
            "cwd": cwd,
            "model": {"id": "claude-opus-4-1", "display_name": "Opus"},
            "workspace": {"current_dir": cwd, "project_dir": cwd},
            "version": "2.1.197",
            "output_style": {"name": "default"},
            "cost": {"total_cost_usd": 1.23, "total_duration_ms": 1000},
            **extra,
        }
    )


def on_pty(stdin: str, env: dict[str, str] | None = None) -> tuple[str, int]:
    child = pexpect.spawn(
        sys.executable,
        ["-m", "ccwrap", "statusline"],
        env={**os.environ, **(env or {})},
        encoding="utf-8",
        timeout=30,
    )
    child.setecho(False)
    child.send(stdin + "\n")
    child.sendeof()
    child.sendeof()
    output = child.read()
    child.close()
    lines = [line for line in output.replace("\r", "").split("\n") if line.strip()]
    return lines[-1], int(child.exitstatus or 0)


@pytest.fixture
def priced() -> Context:
    ctx = Context.from_os()
    ProfileStore(ctx.paths.config_file).save(
        Profile(
            name="work",
            base_url="https://gw.example",
            price_input=2.0,
            price_output=10.0,
            price_cache_read=0.2,
            price_cache_write_5m=2.5,
            price_currency="USD",
        )
    )
    return ctx


def test_a_proxied_session_shows_profile_served_model_hit_rate_and_cost(priced: Context) -> None:
    conn = open_ledger(priced.paths)
    conn.executemany(
        "INSERT INTO proxy_requests (time, profile, route, session_id, model_served, status,"
        " input_tokens, output_tokens, cache_read_input_tokens, cache_creation_input_tokens)"
        " VALUES (?, 'work', 'POST /v1/messages', 's-42', ?, 200, ?, ?, ?, ?)",
        [(time.time() - 5, "gw-old", 1000, 100, 0, 1000), (time.time(), "gw-big", 0, 100, 2000, 0)],
    )
    conn.close()
    line, code = on_pty(client_input("s-42"))
    assert code == 0
    # hit rate 2000 / (1000 + 2000 + 1000); cost (1000*2 + 200*10 + 2000*0.2 + 1000*2.5) / 1e6
    assert line == "work · gw-big · cache 50% · $0.0069"


def test_a_transcript_session_is_bound_to_its_launch(priced: Context, tmp_path: Path) -> None:
    from ccwrap.ledger.launches import Launch, record_launch

    launch_id = record_launch(
        priced.paths,
        Launch("work", Path("/somewhere/else"), tmp_path, supervised=False, proxied=False),
    )
    transcript = tmp_path / "projects" / "x" / "s-7.jsonl"
    transcript.parent.mkdir(parents=True)
    entry = {
        "type": "assistant",
        "sessionId": "s-7",
        "timestamp": "2026-01-01T00:00:00Z",
        "message": {"id": "m1", "model": "glm-4.6", "usage": {"input_tokens": 10}},
    }
    transcript.write_text("garbage\n" + json.dumps(entry) + "\n")
    line, code = on_pty(client_input("s-7", transcript), {"CCWRAP_LAUNCH_ID": str(launch_id)})
    assert (line, code) == ("work · glm-4.6 · cache 0% · $0.0000", 0)
    conn = open_ledger(priced.paths)
    assert conn.execute("SELECT session_id FROM launches").fetchone()[0] == "s-7"


def test_unknown_session_garbage_and_a_broken_ledger_give_a_plain_line(priced: Context) -> None:
    assert on_pty(client_input("never-seen")) == ("ccwrap · claude-opus-4-1 · no usage yet", 0)
    assert on_pty("this is not json") == ("ccwrap · no usage yet", 0)
    path = ledger_path(priced.paths)
    path.write_bytes(b"\x00garbage" * 512)
    assert on_pty(client_input("s-1")) == ("ccwrap · claude-opus-4-1 · no usage yet", 0)


def test_a_hostile_model_name_cannot_reach_the_terminal(priced: Context) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ccwrap", "statusline"],
        input=client_input("x", model={"id": "\x1b[2J\x1b]0;evil\x07"}),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0
    assert "\x1b" not in done.stdout
    assert "\x07" not in done.stdout


def test_the_status_line_imports_nothing_heavy() -> None:
    done, modules = loaded("statusline")
    assert done.returncode == 0, done.stderr
    assert not modules & set(HEAVY)
