"""doctor in a real terminal (split from tests/loopback/test_doctor_gateway.py)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

KEY = "sk-test-0123456789abcdef"


@pytest.fixture(autouse=True)
def stub_claude(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A claude that only knows its version, so doctor's claude checks pass deterministically."""
    return make_claude(tmp_path, monkeypatch, "2.1.197")


def make_claude(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, version: str) -> Path:
    script = tmp_path / "bin" / "claude"
    script.parent.mkdir(exist_ok=True)
    script.write_text(f"#!/bin/sh\necho '{version} (Claude Code)'\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("CCWRAP_CLAUDE", str(script))
    return script


def test_key_stdin_at_a_terminal_is_a_hidden_prompt(tmp_path: Path) -> None:
    import sys

    import pexpect

    child = pexpect.spawn(
        sys.executable,
        ["-m", "ccwrap", "doctor", "--url", "https://gw.example.test", "--key-stdin", "--offline"],
        env=dict(os.environ),
        encoding="utf-8",
        timeout=30,
    )
    child.expect("Key: ")
    child.sendline(KEY)
    child.expect(pexpect.EOF)
    output = child.before or ""
    child.close()
    assert KEY not in output  # not echoed, and masked in the table
    assert "sk-…cdef from standard input" in output
