from __future__ import annotations

import httpx

from ccwrap import __version__
from tests.conftest import CliRunner
from tests.support.gateway import TestGateway


def test_version(cli: CliRunner) -> None:
    result = cli("--version")
    assert result.exit_code == 0
    assert result.stdout == f"ccwrap {__version__}\n"


def test_unknown_profile_is_a_clean_error(cli: CliRunner) -> None:
    result = cli("key", "nope")
    assert result.exit_code == 3
    assert "no profile named 'nope'" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_gateway_answers_messages(gateway: TestGateway) -> None:
    response = httpx.post(
        f"{gateway.url}/v1/messages",
        json={"model": "claude-x", "messages": [{"role": "user", "content": "hi"}]},
    )
    assert response.json()["content"][0]["text"] == "pong"
    assert gateway.requests[0].path == "/v1/messages"
