"""``ccwrap inspect`` as a real process in front of a stand-in claude (tier 4): how it starts
claude, and the ways that can fail (claude missing, failing, hanging)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ccwrap.context import Context
from ccwrap.inspect.runner import QUIET_ENV, STANDIN_HELPER
from ccwrap.profiles.store import Profile, ProfileStore
from tests.support import standin_claude

pytestmark = pytest.mark.skipif(os.name != "posix", reason="process groups are POSIX")


@pytest.fixture
def standin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "bin"
    folder.mkdir()
    path = standin_claude.install(folder)
    monkeypatch.setenv("CCWRAP_CLAUDE", str(path))
    monkeypatch.setenv("STANDIN_RECORD", str(tmp_path / "record.json"))
    return tmp_path / "record.json"


def save(tmp_path: Path, **fields: Any) -> Path:
    """A profile whose key source would leave a marker file if anything ran it."""
    marker = tmp_path / "key-was-read"
    fields.setdefault("key", f"cmd:touch {marker}; echo sk-real")
    profile = Profile(name="work", base_url="https://gw.example", **fields)
    ProfileStore(Context.from_os().paths.config_file).save(profile)
    return marker


def inspect(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ccwrap", "inspect", "work", *args],
        capture_output=True,
        text=True,
        timeout=90,
        stdin=subprocess.DEVNULL,
    )


def leftovers() -> list[Path]:
    run_dir = Context.from_os().paths.run_dir
    return sorted(run_dir.glob("*")) if run_dir.exists() else []


def test_inspect_starts_claude_like_run_without_reading_the_key(
    standin: Path, tmp_path: Path
) -> None:
    marker = save(tmp_path, headers={"X-Team": "blue"})
    done = inspect("--json", "--", "--model", "opus")
    record = json.loads(standin.read_text())
    assert record["argv"][2:] == ["-p", "hello", "--no-session-persistence", "--model", "opus"]
    settings = record["settings_file"]  # a custom header: the settings travel in a 0600 file
    assert settings["mode"] == 0o600
    assert settings["content"]["apiKeyHelper"] == STANDIN_HELPER
    assert settings["content"]["env"]["ANTHROPIC_BASE_URL"].startswith("http://127.0.0.1:")
    assert settings["content"]["env"]["ANTHROPIC_CUSTOM_HEADERS"] == "X-Team: blue"
    for name, value in QUIET_ENV.items():
        assert record["env"][name] == value
    assert not marker.exists()
    assert not Path(settings["path"]).exists()
    # The stand-in sent nothing: said as a mismatch, with claude's status.
    report = json.loads(done.stdout)
    assert done.returncode == 1
    assert [m["id"] for m in report["mismatches"]] == ["requests.none"]
    assert report["claude_exit"] == 0


def test_inspect_behind_the_proxy_reads_no_key_either(standin: Path, tmp_path: Path) -> None:
    marker = save(tmp_path, proxy="always", secret_headers={"X-Sig": "env:NOT_SET_ANYWHERE"})
    done = inspect("--json")
    assert "Traceback" not in done.stderr
    record = json.loads(standin.read_text())
    env = record["settings_file"]["content"]["env"]
    assert env["ANTHROPIC_AUTH_TOKEN"].startswith("ccwrap-session-")
    assert not marker.exists()
    assert json.loads(done.stdout)["proxied"] is True


def test_claude_that_fails(standin: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    save(tmp_path)
    monkeypatch.setenv("STANDIN_MODE", "exit:3")
    done = inspect()
    assert done.returncode == 1
    assert "claude.exit: claude exited with status 3" in done.stdout
    assert "requests.none" in done.stdout
    assert "Traceback" not in done.stderr


def test_claude_that_hangs_is_stopped(
    standin: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    save(tmp_path, headers={"X-Team": "blue"})
    monkeypatch.setenv("STANDIN_MODE", "sleep")
    done = inspect("--timeout", "1")
    assert done.returncode == 1
    assert "did not finish within 1 s and sent no request; it was stopped" in done.stderr
    assert "Traceback" not in done.stderr
    pid = json.loads(standin.read_text())["pid"]
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert leftovers() == []


def test_claude_that_cannot_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = tmp_path / "claude"
    broken.write_text("#!/nonexistent/interpreter\n")
    broken.chmod(0o755)
    monkeypatch.setenv("CCWRAP_CLAUDE", str(broken))
    save(tmp_path)
    done = inspect()
    assert done.returncode == 127
    assert f"cannot start {broken}" in done.stderr
    assert "Traceback" not in done.stderr
