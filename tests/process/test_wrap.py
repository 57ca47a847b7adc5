"""``ccwrap wrap``, the processWrapper: a real exec into a stand-in claude that records its argv."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ccwrap.context import Context
from ccwrap.profiles.store import Profile, ProfileStore


@pytest.fixture
def recorder(tmp_path: Path) -> tuple[Path, Path]:
    log = tmp_path / "argv.json"
    claude = tmp_path / "bin" / "claude"
    claude.parent.mkdir()
    claude.write_text(
        f"#!{sys.executable}\nimport json, os, sys\n"
        f"json.dump({{'argv': sys.argv[1:], 'cwd': os.getcwd()}}, open({str(log)!r}, 'w'))\n"
    )
    claude.chmod(0o755)
    store = ProfileStore(Context.from_os().paths.config_file)
    store.save(Profile(name="client-a", base_url="https://a.example", auth="none"))
    store.save(Profile(name="client-b", base_url="https://b.example", auth="none"))
    store.set_default("client-b")
    return claude, log


def wrap(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ccwrap", "wrap", "--", *argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def settings_env(argv: list[str]) -> dict[str, str]:
    value = argv[argv.index("--settings") + 1]
    env: dict[str, str] = json.loads(value)["env"]
    return env


def test_a_session_gets_its_folders_profile(recorder: tuple[Path, Path], tmp_path: Path) -> None:
    claude, log = recorder
    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    (project / ".ccwrap.toml").write_text('profile = "client-a"\n')
    result = wrap(str(claude), "--session-id", "42", "say hi", cwd=project / "src")
    assert result.returncode == 0, result.stderr
    seen = json.loads(log.read_text())
    assert seen["argv"][-3:] == ["--session-id", "42", "say hi"]
    assert settings_env(seen["argv"])["ANTHROPIC_BASE_URL"] == "https://a.example"
    # Elsewhere: the default profile.
    result = wrap(str(claude), "--session-id", "43", cwd=tmp_path)
    assert settings_env(json.loads(log.read_text())["argv"])["ANTHROPIC_BASE_URL"] == (
        "https://b.example"
    )


def test_forwarded_settings_keep_their_values(recorder: tuple[Path, Path], tmp_path: Path) -> None:
    claude, log = recorder
    theirs = json.dumps({"env": {"ANTHROPIC_BASE_URL": "https://launcher.example"}})
    result = wrap(str(claude), "--settings", theirs, "--session-id", "1", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    argv = json.loads(log.read_text())["argv"]
    assert argv.count("--settings") == 1
    assert settings_env(argv)["ANTHROPIC_BASE_URL"] == "https://launcher.example"


@pytest.mark.parametrize(
    "args",
    [
        ["daemon", "run", "--origin", "transient"],
        ["--bg-spare", "/tmp/x.claim.sock"],
        ["--bg-pty-host", "/tmp/x.sock", "200", "50", "--", "/w", "c"],
    ],
)
def test_service_processes_run_unchanged(
    recorder: tuple[Path, Path], tmp_path: Path, args: list[str]
) -> None:
    claude, log = recorder
    result = wrap(str(claude), *args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(log.read_text())["argv"] == args


def test_a_binding_to_a_missing_profile_fails(recorder: tuple[Path, Path], tmp_path: Path) -> None:
    claude, log = recorder
    (tmp_path / ".ccwrap.toml").write_text('profile = "gone"\n')
    result = wrap(str(claude), "--session-id", "1", cwd=tmp_path)
    assert result.returncode == 3
    assert "'gone', which does not exist" in result.stderr
    assert not log.exists()


def test_a_proxy_profile_is_refused(recorder: tuple[Path, Path], tmp_path: Path) -> None:
    claude, log = recorder
    store = ProfileStore(Context.from_os().paths.config_file)
    store.save(Profile(name="mapped", base_url="https://m.example", auth="none", proxy="always"))
    (tmp_path / ".ccwrap.toml").write_text('profile = "mapped"\n')
    result = wrap(str(claude), "--session-id", "1", cwd=tmp_path)
    assert result.returncode == 2 and "needs the loopback proxy" in result.stderr
    assert not log.exists()


def test_no_profile_at_all_runs_claude_unchanged(tmp_path: Path) -> None:
    log = tmp_path / "argv.json"
    claude = tmp_path / "claude"
    claude.write_text(
        f"#!{sys.executable}\nimport json, sys\njson.dump(sys.argv[1:], open({str(log)!r}, 'w'))\n"
    )
    claude.chmod(0o755)
    result = wrap(str(claude), "--session-id", "1", "hi", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(log.read_text()) == ["--session-id", "1", "hi"]
