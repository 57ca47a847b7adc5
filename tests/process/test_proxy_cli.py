"""``ccwrap proxy`` as a user runs it: a subprocess that prints the exports and stops on Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support.gateway import TestGateway
from tests.support.proxy_support import KEY

MESSAGE = {
    "model": "claude-sonnet-4-5",
    "max_tokens": 8,
    "messages": [{"role": "user", "content": "hi"}],
}


def write_profile(url: str, auth: str = "bearer") -> None:
    home = Path(os.environ["CCWRAP_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(
        f'version = 1\ndefault = "gw"\n[profiles.gw]\nbase_url = "{url}"\nauth = "{auth}"\n'
        'key = "env:GW_KEY"\n'
    )


def test_ccwrap_proxy_prints_exports_serves_and_stops_on_ctrl_c(
    gateway: TestGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_profile(gateway.url)
    monkeypatch.setenv("GW_KEY", KEY)
    process = subprocess.Popen(
        [sys.executable, "-m", "ccwrap", "proxy", "--profile", "gw"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first, second = process.stdout.readline(), process.stdout.readline()
        assert first.startswith("export ANTHROPIC_BASE_URL=http://127.0.0.1:")
        assert second.startswith("export ANTHROPIC_AUTH_TOKEN=ccwrap-session-")
        base_url = first.strip().split("=", 1)[1]
        token = second.strip().split("=", 1)[1]
        answer = httpx.post(
            base_url + "/v1/messages?beta=true",
            json=MESSAGE,
            headers={"authorization": f"Bearer {token}"},
        )
        assert answer.status_code == 200
        assert gateway.messages()[0].headers["authorization"] == f"Bearer {KEY}"
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert out == ""  # nothing but the two export lines on stdout
    assert "POST /v1/messages 200" in err
    assert KEY not in err and token not in err and "Traceback" not in err


# The proxy where uvloop, httptools and aiohttp cannot be imported (a platform without their
# wheels, an install with --no-deps): uvicorn falls back to asyncio + h11, the upstream to httpcore.
WITHOUT_FAST = (
    "import sys; sys.modules.update(dict.fromkeys(('uvloop', 'httptools', 'aiohttp')));"
    " sys.argv = ['ccwrap', 'proxy', '--profile', 'gw']; from ccwrap.cli.app import main; main()"
)


def test_ccwrap_proxy_works_without_the_fast_modules(
    gateway: TestGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_profile(gateway.url)
    monkeypatch.setenv("GW_KEY", KEY)
    process = subprocess.Popen(
        [sys.executable, "-c", WITHOUT_FAST],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip().split("=", 1)[1]
        token = process.stdout.readline().strip().split("=", 1)[1]
        with httpx.Client(base_url=base_url, headers={"authorization": f"Bearer {token}"}) as c:
            for _ in range(2):  # keep-alive on the fallback server (the TCP_NODELAY case)
                assert c.post("/v1/messages", json=MESSAGE).status_code == 200
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert err.count("POST /v1/messages 200") == 2 and "Traceback" not in err


def test_ccwrap_proxy_without_its_key_fails_before_listening(cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    write_profile("https://gw.example.com")
    result = cli("proxy", "--profile", "gw")
    assert result.exit_code == 4
    assert "GW_KEY" in result.stderr and result.stdout == ""


def test_ccwrap_proxy_port_in_use(cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import socket

    write_profile("https://gw.example.com")
    monkeypatch.setenv("GW_KEY", KEY)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        result = cli("proxy", "--port", str(taken.getsockname()[1]))
    assert result.exit_code == 8  # ExitCode.PROXY
    assert "already in use" in result.stderr and "--port" in result.stderr
