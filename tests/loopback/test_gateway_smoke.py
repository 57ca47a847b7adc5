"""The loopback test gateway answers a plain request (from tests/cli/test_foundation_smoke.py)."""

from __future__ import annotations

import httpx

from tests.support.gateway import TestGateway


def test_gateway_answers_messages(gateway: TestGateway) -> None:
    response = httpx.post(
        f"{gateway.url}/v1/messages",
        json={"model": "claude-x", "messages": [{"role": "user", "content": "hi"}]},
    )
    assert response.json()["content"][0]["text"] == "pong"
    assert gateway.requests[0].path == "/v1/messages"
