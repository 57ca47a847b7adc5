"""apiKeyHelper's command quoted for /bin/sh; errors that name the file; interactive questions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ccwrap.context import Context
from ccwrap.keys.helper_command import key_helper_command
from ccwrap.profiles.store import Profile, ProfileStore
from tests.conftest import CliRunner, have


def test_helper_is_quoted_for_sh(tmp_path: Path) -> None:
    command = key_helper_command("we'ird name", ["/opt/my tools/ccwrap"])
    assert command == "'/opt/my tools/ccwrap' key 'we'\"'\"'ird name'"
    echo = subprocess.run(
        ["/bin/sh", "-c", command.replace("'/opt/my tools/ccwrap'", "printf '%s|'")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert echo.stdout == "key|we'ird name|"


def test_env_that_is_not_an_object_is_refused_naming_the_file(cli: CliRunner) -> None:
    ctx = Context.from_os()
    ProfileStore(ctx.paths.config_file).save(Profile(name="w", base_url="https://x"))
    path = ctx.claude_config_dir / "settings.json"
    path.parent.mkdir()
    path.write_text('{"env": "oops"}')
    result = cli("use", "w")
    assert result.exit_code == 5
    assert str(path) in result.stderr and "not an object" in result.stderr
    assert path.read_text() == '{"env": "oops"}'


def test_in_a_terminal_ccwrap_asks_before_overwriting() -> None:
    pexpect = pytest.importorskip("pexpect")
    ctx = Context.from_os()
    ProfileStore(ctx.paths.config_file).save(Profile(name="w", base_url="https://new.example"))
    path = ctx.claude_config_dir / "settings.json"
    path.parent.mkdir()
    path.write_text(json.dumps({"env": {"ANTHROPIC_BASE_URL": "https://mine.example"}}))
    ccwrap = str(Path(sys.executable).parent / "ccwrap")
    child = pexpect.spawn(ccwrap, ["use", "w"], env=dict(os.environ), encoding="utf-8", timeout=30)
    child.expect("not written by ccwrap")
    child.expect(r"Overwrite them\? \[y/N\]")
    child.sendline("n")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 5
    assert "mine.example" in path.read_text()
    child = pexpect.spawn(ccwrap, ["use", "w"], env=dict(os.environ), encoding="utf-8", timeout=30)
    child.expect(r"Overwrite them\? \[y/N\]")
    child.sendline("y")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert json.loads(path.read_text())["env"]["ANTHROPIC_BASE_URL"] == "https://new.example"


def test_in_a_terminal_local_scope_offers_gitignore() -> None:
    pexpect = pytest.importorskip("pexpect")
    if not have("git"):
        pytest.skip("git is not installed")
    ctx = Context.from_os()
    ProfileStore(ctx.paths.config_file).save(Profile(name="w", base_url="https://new.example"))
    subprocess.run(["git", "init", "-q", str(ctx.cwd)], check=True)
    ccwrap = str(Path(sys.executable).parent / "ccwrap")
    child = pexpect.spawn(
        ccwrap,
        ["settings", "apply", "w", "--scope", "local"],
        env=dict(os.environ),
        encoding="utf-8",
        timeout=30,
        cwd=str(ctx.cwd),
    )
    child.expect(r"Add it to .*\.gitignore\? \[Y/n\]")
    child.sendline("")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert (ctx.cwd / ".gitignore").read_text() == ".claude/settings.local.json\n"
