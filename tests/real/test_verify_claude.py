"""verify's request shape against the pinned real claude's (tier 5).

``claude -p ping`` through ``ccwrap run`` and ``ccwrap verify`` on the same profile both talk to the
recording loopback gateway; the headers verify copies from the client, the query, streaming and
the auth header must be the client's own, so a relay that admits only Claude Code admits verify.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from ccwrap.verify.shape import CLIENT_HEADERS, machine_headers
from tests.conftest import CliRunner
from tests.real.test_run_claude import KEY, ccwrap_run, claude_world, save_profile
from tests.support.gateway import RecordedRequest, TestGateway

__all__ = ["claude_world"]  # the fixture, imported for pytest


def prompt_request(requests: list[RecordedRequest]) -> RecordedRequest:
    """The streamed prompt among what was sent (the largest streamed body)."""
    streamed = [r for r in requests if (r.json or {}).get("stream") is True]
    assert streamed, [r.target for r in requests]
    return max(streamed, key=lambda r: len(r.body))


@pytest.mark.claude
@pytest.mark.parametrize("auth", ["bearer", "x-api-key"])
def test_verify_shapes_its_requests_as_the_pinned_client(
    real_claude: Path, claude_world: Callable[..., None], cli: CliRunner, auth: str
) -> None:
    claude_world(real_claude)
    with TestGateway(key=KEY, auth=auth) as gateway:
        save_profile(gateway, auth=auth, headers={"X-Team": "blue"})
        done = ccwrap_run("-p", "ping")
        assert done.returncode == 0, done.stdout + done.stderr
        client = prompt_request(gateway.messages())
        gateway.requests.clear()
        result = cli("verify", "work", "--yes", "--json", "--only", "model.served", "--repeat", "1")
        assert result.exit_code == 0, result.stdout + result.stderr
        ours = prompt_request(gateway.messages())
    assert json.loads(result.stdout)["checks"][0]["status"] == "pass"
    assert ours.target == client.target == "/v1/messages?beta=true"
    for name in (*CLIENT_HEADERS, *machine_headers(), "anthropic-beta", "x-team"):
        assert ours.headers.get(name) == client.headers.get(name), name
    # Every header the client sends, verify sends (the transport's own may differ in value).
    transport = {"host", "content-length", "connection", "accept-encoding"}
    assert set(client.headers) - transport <= set(ours.headers)
    for name in ("authorization", "x-api-key"):  # run's apiKeyHelper: both, whatever the mode
        assert ours.headers.get(name) == client.headers.get(name), name
    assert (
        "x-claude-code-session-id" in client.headers and "x-claude-code-session-id" in ours.headers
    )
    assert ours.json["stream"] is client.json["stream"] is True
