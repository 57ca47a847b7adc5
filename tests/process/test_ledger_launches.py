"""``ccwrap run`` records each launch in the ledger: exec'd (start only) and supervised (end, exit
code), with what attribution needs (folder, claude config folder, launch id in its env)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ccwrap.context import Context
from ccwrap.ledger.database import ledger_path
from ccwrap.profiles.store import Profile, ProfileStore
from tests.support import standin_claude

pytestmark = pytest.mark.skipif(os.name != "posix", reason="exec is POSIX")


@pytest.fixture
def standin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "bin"
    folder.mkdir()
    monkeypatch.setenv("CCWRAP_CLAUDE", str(standin_claude.install(folder)))
    monkeypatch.setenv("STANDIN_RECORD", str(tmp_path / "record.json"))
    return tmp_path / "record.json"


def ccwrap(*args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ccwrap", *args],
        capture_output=True,
        text=True,
        timeout=60,
        **kwargs,
    )


def launches() -> list[dict[str, Any]]:
    conn = sqlite3.connect(ledger_path(Context.from_os().paths))
    conn.row_factory = sqlite3.Row
    return [dict(r) for r in conn.execute("SELECT * FROM launches ORDER BY id")]


def test_an_execed_launch_records_its_start(standin: Path, tmp_path: Path) -> None:
    ProfileStore(Context.from_os().paths.config_file).save(
        Profile(name="work", base_url="https://gw.example", env={"CLAUDE_CONFIG_DIR": "/cfg/x"})
    )
    folder = tmp_path / "project"
    folder.mkdir()
    result = ccwrap("run", "work", "--session-id", "sess-1", cwd=folder)
    assert result.returncode == 0, result.stderr
    [row] = launches()
    assert (row["profile"], row["cwd"], row["claude_config_dir"]) == ("work", str(folder), "/cfg/x")
    assert row["session_id"] == "sess-1"
    assert (row["ended"], row["exit_code"], row["supervised"]) == (None, None, 0)
    env = json.loads(standin.read_text())["env"]
    assert env["CCWRAP_LAUNCH_ID"] == str(row["id"])


def test_a_supervised_launch_records_end_and_exit_code(
    standin: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ProfileStore(Context.from_os().paths.config_file).save(
        Profile(name="px", base_url="http://127.0.0.1:9", key="env:PX_KEY", proxy="always")
    )
    monkeypatch.setenv("PX_KEY", "sk-test-key-123456")
    monkeypatch.setenv("STANDIN_MODE", "exit:3")
    result = ccwrap("run", "px")
    assert result.returncode == 3, result.stderr
    [row] = launches()
    assert (row["profile"], row["exit_code"], row["proxied"]) == ("px", 3, 1)
    assert row["ended"] >= row["started"]


def test_an_unwritable_ledger_never_stops_a_launch(standin: Path) -> None:
    ProfileStore(Context.from_os().paths.config_file).save(
        Profile(name="work", base_url="https://gw.example")
    )
    path = ledger_path(Context.from_os().paths)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not a database" * 100)
    result = ccwrap("run", "work")
    assert result.returncode == 0, result.stderr
    assert standin.exists()
