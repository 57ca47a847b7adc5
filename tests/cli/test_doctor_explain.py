"""--explain: every row of the error table in docs/client-facts.md, and what the client really
printed (claude 2.1.197, captured by tests/real/test_doctor_claude.py), map to doctor's ids."""

from __future__ import annotations

import json

import pytest

from ccwrap.doctor.explain import explain
from tests.conftest import CliRunner

ROWS = [
    # facts table rows, verbatim where the table gives the text
    ('API Error: "127.0.0.1:8080/v1/messages?beta=true" cannot be parsed as a URL.', "url.scheme"),
    (
        "There's an issue with the selected model (claude-opus-4-8[1m]). It may not exist or you "
        "may not have access to it. Run --model to pick a different model.",
        "url.v1-suffix",
    ),
    ("Not logged in · Please run /login", "auth.rejected"),
    ("Invalid API key · Fix external API key", "auth.rejected"),
    ("Failed to authenticate. API Error: 403 forbidden", "auth.rejected"),
    ("Failed to authenticate. API Error: 401 invalid api key", "auth.rejected"),
    ("Failed to authenticate. API Error: 401 status code (no body)", "auth.rejected"),
    ("API Error: 400 messages: Field required", "gateway.error"),
    ("API Error: 400 context_management: Extra inputs are not permitted", "beta.rejected"),
    ("API Error: 402 Insufficient balance", "billing.balance"),
    ("API Error: Request rejected (429) · rate limit exceeded", "rate.limited"),
    (
        "API Error: 500 upstream exploded. This is a server-side issue, usually temporary — "
        "try again in a moment.",
        "gateway.error",
    ),
    ("API Error: Unable to connect to API (ConnectionRefused)", "net.refused"),
    ("API Error: Unable to connect to API (FailedToOpenSocket)", "net.dns"),
    ("API Error: Unable to connect to API (ConnectionTimeout)", "net.timeout"),
    ("API Error: Unable to connect to API (SELF_SIGNED_CERT_IN_CHAIN)", "net.tls"),
    ("API returned an empty or malformed response (HTTP 200)", "gateway.html"),
    # measured with claude 2.1.197 (tests/real/test_doctor_claude.py)
    (
        "API Error: Unable to connect to API: SSL certificate verification failed. Check your "
        "proxy or corporate SSL certificates",
        "net.tls",
    ),
    ("API Error: Unable to connect to API (ECONNRESET)", "gateway.error"),
    ("Request timed out", "net.timeout"),
    ("Failed to authenticate. API Error: Attention Required! | Cloudflare", "gateway.html"),
    # the dialects, as the client relays them
    (
        "Failed to authenticate. API Error: 403 用户额度不足, 剩余额度: $0.000000",
        "billing.balance",
    ),
    (
        "API Error: 503 No available channel for model claude-opus-4-1 under group default",
        "model.unavailable",
    ),
    ("API Error: 404 Invalid URL (POST /v1/messages)", "gateway.not-anthropic"),
    ("API Error: 404 404 page not found", "gateway.path"),
    ("API Error: Request rejected (429) · You exceeded your current quota", "billing.balance"),
]


@pytest.mark.parametrize(("text", "finding"), ROWS)
def test_explain_maps_each_message(text: str, finding: str) -> None:
    assert explain(text)[0].id == finding


def test_misleading_model_message_says_so() -> None:
    ids = [f.id for f in explain("There's an issue with the selected model (x).")]
    assert ids == ["url.v1-suffix", "gateway.path", "gateway.not-anthropic", "model.unavailable"]
    assert "misleading" in explain("There's an issue with the selected model (x).")[0].detail


def test_not_logged_in_names_both_causes() -> None:
    assert [f.id for f in explain("Not logged in · Please run /login")] == [
        "auth.rejected",
        "key.missing",
    ]


def test_unknown_text_matches_nothing() -> None:
    assert explain("everything is fine") == []


def test_cli_explain_json_and_exit_code(cli: CliRunner) -> None:
    result = cli("doctor", "--explain", "Not logged in · Please run /login", "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["version"] == 1 and data["ok"] is False
    assert [(c["id"], c["status"]) for c in data["checks"]] == [
        ("auth.rejected", "fail"),
        ("key.missing", "warn"),
    ]


def test_cli_explain_text(cli: CliRunner) -> None:
    result = cli("doctor", "--explain", "API Error: Unable to connect to API (ConnectionRefused)")
    assert result.exit_code == 1
    assert "✗ net.refused" in result.stdout and "fix: start the gateway" in result.stdout


def test_cli_explain_unknown_is_an_error_not_a_traceback(cli: CliRunner) -> None:
    result = cli("doctor", "--explain", "all fine")
    assert result.exit_code == 1
    assert "no known finding matches" in result.stderr and "Traceback" not in result.stderr
