"""The setup wizard in a real terminal (pexpect): hidden key, every question, Ctrl-C half-way."""

from __future__ import annotations

import io
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from ccwrap.context import Context
from tests.conftest import require
from tests.support.gateway import TestGateway

pexpect = pytest.importorskip("pexpect")
KEY = "sk-typed-in-terminal-0123456789"
TIMEOUT = 30


def spawn(*args: str) -> tuple[Any, io.StringIO]:
    require(sys.platform != "win32", "pexpect needs a POSIX pty")
    env = {**os.environ, "NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "200"}
    transcript = io.StringIO()
    child = pexpect.spawn(
        sys.executable,
        ["-m", "ccwrap", "setup", *args],
        env=env,
        encoding="utf-8",
        timeout=TIMEOUT,
        dimensions=(50, 200),
    )
    child.logfile_read = transcript
    return child, transcript


def answer(child: object, prompt: str, reply: str) -> None:
    child.expect_exact(prompt)  # type: ignore[attr-defined]
    child.sendline(reply)  # type: ignore[attr-defined]


def saved_profiles() -> dict[str, object]:
    path = Context.from_os().paths.config_file
    if not path.exists():
        return {}
    import tomllib  # type: ignore[import-not-found,unused-ignore]  # 3.11+, run on 3.11+ only

    return dict(tomllib.loads(path.read_text()).get("profiles", {}))


def test_wizard_with_a_preset_hides_the_key(file_keyring: Path) -> None:
    child, transcript = spawn("--no-check")
    answer(child, "Gateway (number or name)", "aiohub")
    child.expect_exact("the key's group must include the chosen model")  # the preset's notes
    answer(child, "Profile name", "work")
    answer(child, "How does the gateway take the key?", "")  # preset default: bearer
    answer(child, "Model (ANTHROPIC_MODEL", "claude-sonnet-4-5")
    answer(child, "Small/fast model", "")
    answer(child, "Subagent model", "")
    child.expect_exact("2x the base input price")
    answer(child, "Use 1-hour prompt caching?", "")  # preset default: yes
    child.expect_exact("cache hit rate")
    answer(child, "Turn off Claude Code's attribution header?", "y")
    child.expect_exact("2.1.129")
    answer(child, "discover the gateway's models?", "n")
    answer(child, "Custom header", "X-Team: a")
    answer(child, "Custom header", "")
    answer(child, "API key (hidden)", KEY)
    answer(child, "Claude Code's status line?", "y")  # the last question
    child.expect_exact("created profile 'work'")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, transcript.getvalue()
    assert KEY not in transcript.getvalue()  # never echoed, never printed
    assert "settings apply --statusline" not in transcript.getvalue()  # done, not suggested
    user = json.loads((Path.home() / ".claude" / "settings.json").read_text())
    assert user["statusLine"]["command"].endswith("statusline")
    profile = saved_profiles()["work"]
    assert profile == {
        "base_url": "https://api.aiohub.org",
        "auth": "bearer",
        "model": "claude-sonnet-4-5",
        "cache_1h": True,
        "attribution_header": False,
        "headers": {"X-Team": "a"},
        "preset": "aiohub",
        "description": profile["description"],  # type: ignore[index]
    }
    assert json.loads(file_keyring.read_text()) == {"ccwrap/work": KEY}


def test_wizard_with_a_typed_url_runs_the_live_check(file_keyring: Path) -> None:
    with TestGateway(key=KEY) as gateway:
        child, transcript = spawn("gw")
        answer(child, "Gateway (number or name)", "1")  # "type a base URL"
        answer(child, "Base URL", gateway.url + "/v1/")
        child.expect_exact("/v1/v1/messages")  # the fix is explained
        answer(child, "instead?", "y")
        answer(child, "How does the gateway take the key?", "x-api-key")
        answer(child, "Model (ANTHROPIC_MODEL", "")
        answer(child, "Small/fast model", "")
        answer(child, "Subagent model", "")
        answer(child, "Use 1-hour prompt caching?", "n")
        answer(child, "attribution header?", "n")
        answer(child, "discover the gateway's models?", "n")
        answer(child, "Custom header", "")
        answer(child, "API key (hidden)", KEY)
        child.expect_exact("the path and the key were accepted")
        answer(child, "Claude Code's status line?", "")  # default: no
        child.expect(pexpect.EOF)
        child.close()
        assert gateway.messages()[0].headers["x-api-key"] == KEY
    assert child.exitstatus == 0, transcript.getvalue()
    assert KEY not in transcript.getvalue()
    assert saved_profiles()["gw"] == {"base_url": gateway.url, "auth": "x-api-key"}
    assert json.loads(file_keyring.read_text()) == {"ccwrap/gw": KEY}


@pytest.mark.parametrize("stop_at", ["Model (ANTHROPIC_MODEL", "API key (hidden)"])
def test_ctrl_c_half_way_saves_nothing(file_keyring: Path, stop_at: str) -> None:
    child, transcript = spawn("work", "--no-check")
    answer(child, "Gateway (number or name)", "litellm")
    answer(child, "How does the gateway take the key?", "")
    prompts = [
        ("Model (ANTHROPIC_MODEL", "m"),
        ("Small/fast model", ""),
        ("Subagent model", ""),
        ("Use 1-hour prompt caching?", "n"),
        ("attribution header?", "n"),
        ("discover the gateway's models?", "n"),
        ("Custom header", ""),
        ("API key (hidden)", ""),
    ]
    for prompt, reply in prompts:
        child.expect_exact(prompt)
        if prompt == stop_at:
            child.sendintr()
            break
        child.sendline(reply)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130, transcript.getvalue()
    assert "Traceback" not in transcript.getvalue()
    assert saved_profiles() == {}
    assert not file_keyring.exists() or json.loads(file_keyring.read_text()) == {}


def test_key_stdin_on_a_terminal_is_not_echoed(file_keyring: Path) -> None:
    child, transcript = spawn(
        "w", "--url", "https://gw.example.com", "--key-stdin", "--yes", "--no-check"
    )
    answer(child, "API key (hidden)", KEY)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, transcript.getvalue()
    assert KEY not in transcript.getvalue()
    assert json.loads(file_keyring.read_text()) == {"ccwrap/w": KEY}


def test_wizard_without_a_keyring_offers_where_the_key_lives() -> None:
    # The autouse fixture selects keyring's "fail" backend: this machine has no keyring.
    with TestGateway(key=KEY) as gateway:
        port = gateway.url.rsplit(":", 1)[1]
        child, transcript = spawn()
        # A URL typed at the Gateway question is taken as the URL.
        answer(child, "Gateway (number or name)", gateway.url)
        # The suggested name comes from the host: a loopback gateway on its port.
        child.expect_exact(f"Profile name (local-{port})")
        child.sendline("")
        answer(child, "How does the gateway take the key?", "x-api-key")
        # Asked before any question after it: no answer is lost to a missing keyring.
        child.expect_exact("no OS keyring is available")
        child.expect_exact("an environment variable")
        child.expect_exact("a password-manager command")
        answer(child, "Where should the key live?", "file")
        child.expect_exact("plain text")
        answer(child, "Model (ANTHROPIC_MODEL", "")
        answer(child, "Small/fast model", "")
        answer(child, "Subagent model", "")
        answer(child, "Use 1-hour prompt caching?", "n")
        answer(child, "attribution header?", "n")
        answer(child, "discover the gateway's models?", "n")
        answer(child, "Custom header", "")
        answer(child, "API key (hidden)", KEY)
        child.expect_exact("the path and the key were accepted")
        answer(child, "Claude Code's status line?", "")  # default: no
        child.expect(pexpect.EOF)
        child.close()
        assert gateway.messages()[0].headers["x-api-key"] == KEY
    assert child.exitstatus == 0, transcript.getvalue()
    assert KEY not in transcript.getvalue()
    name = f"local-{port}"
    key_file = Context.from_os().paths.keys_dir / f"{name}.key"
    assert saved_profiles()[name] == {
        "base_url": gateway.url,
        "auth": "x-api-key",
        "key": f"file:{key_file}",
    }
    assert key_file.read_text() == KEY
    assert key_file.stat().st_mode & 0o777 == 0o600


def test_wizard_without_a_keyring_can_read_the_key_from_a_variable() -> None:
    child, transcript = spawn("--no-check")
    answer(child, "Gateway (number or name)", "http://127.0.0.1:18765")
    answer(child, "Profile name (local-18765)", "")
    answer(child, "How does the gateway take the key?", "bearer")
    answer(child, "Where should the key live?", "env")
    answer(child, "Environment variable that will hold the key (LOCAL_18765_API_KEY)", "")
    for prompt in ("Model (", "Small/fast", "Subagent", "1-hour", "attribution", "discover"):
        answer(child, prompt, "")
    answer(child, "Custom header", "")
    answer(child, "Claude Code's status line?", "n")
    child.expect_exact("export LOCAL_18765_API_KEY")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, transcript.getvalue()
    assert "API key (hidden)" not in transcript.getvalue()  # nothing to store
    assert saved_profiles()["local-18765"] == {
        "base_url": "http://127.0.0.1:18765",
        "auth": "bearer",
        "key": "env:LOCAL_18765_API_KEY",
    }
