"""`ccwrap proxy` as a real process writes its requests to the ledger, also when it is stopped with
SIGTERM (uvicorn re-raises it after shutting down) or Ctrl-C; CCWRAP_LEDGER=off writes nothing."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys

import httpx
import pytest

from ccwrap.context import Context
from ccwrap.ledger.database import ledger_path
from tests.process.test_proxy_cli import MESSAGE, write_profile
from tests.support.gateway import TestGateway
from tests.support.proxy_support import KEY


def serve_and_stop(stop: int, requests: int = 3) -> subprocess.CompletedProcess[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "ccwrap", "proxy", "--profile", "gw"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip().split("=", 1)[1]
        token = process.stdout.readline().strip().split("=", 1)[1]
        for _ in range(requests):
            answer = httpx.post(
                base_url + "/v1/messages",
                json=MESSAGE,
                headers={"authorization": f"Bearer {token}", "x-claude-code-session-id": "s1"},
            )
            assert answer.status_code == 200
        process.send_signal(stop)
        out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def recorded() -> list[tuple[str, int, int]]:
    path = ledger_path(Context.from_os().paths)
    if not path.exists():
        return []
    conn = sqlite3.connect(path)
    return list(conn.execute("SELECT session_id, status, input_tokens FROM proxy_requests"))


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_every_request_is_in_the_ledger_after_the_proxy_stops(
    gateway: TestGateway, monkeypatch: pytest.MonkeyPatch, stop: int
) -> None:
    write_profile(gateway.url)
    monkeypatch.setenv("GW_KEY", KEY)
    done = serve_and_stop(stop)
    assert "Traceback" not in done.stderr
    assert recorded() == [("s1", 200, 12)] * 3  # the test gateway reports 12 input tokens


def test_ccwrap_ledger_off_records_nothing(
    gateway: TestGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_profile(gateway.url)
    monkeypatch.setenv("GW_KEY", KEY)
    monkeypatch.setenv("CCWRAP_LEDGER", "off")
    serve_and_stop(signal.SIGINT, requests=1)
    assert recorded() == []
