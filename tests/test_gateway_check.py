"""setup's free live check against the loopback test gateway (tier 3)."""

from __future__ import annotations

import socket

import pytest
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from ccwrap.gateway_check import check_gateway, judge, unreachable
from ccwrap.profiles import Profile
from tests.gateway import RecordedRequest, TestGateway

pytestmark = pytest.mark.gateway
KEY = "sk-check-0123456789"


def profile(url: str, auth: str = "bearer", **kw: object) -> Profile:
    return Profile(name="t", base_url=url, auth=auth, **kw)  # type: ignore[arg-type]


def test_healthy_gateway_passes_without_spending_a_token() -> None:
    with TestGateway(key=KEY) as gw:
        result = check_gateway(profile(gw.url, headers={"X-Team": "a"}), KEY)
        assert result.ok, result.findings
        assert [r.method for r in gw.requests] == ["HEAD", "POST"]
        post = gw.requests[1]
        assert post.path == "/v1/messages"
        assert post.headers["authorization"] == f"Bearer {KEY}"
        assert post.headers["x-team"] == "a"
        assert post.json == {}  # deliberately invalid: the gateway answers 400, nothing is spent


def test_rejected_key_suggests_the_other_header_mode() -> None:
    with TestGateway(key=KEY, auth="x-api-key") as gw:
        result = check_gateway(profile(gw.url), KEY)
    assert not result.ok
    assert "rejected the key (401" in result.findings[-1].text
    assert "--auth x-api-key" in result.findings[-1].text


def test_x_api_key_mode_sends_x_api_key() -> None:
    with TestGateway(key=KEY, auth="x-api-key") as gw:
        assert check_gateway(profile(gw.url, "x-api-key"), KEY).ok


def test_wrong_path_is_named() -> None:
    with TestGateway() as gw:
        result = check_gateway(profile(gw.url + "/wrong"), KEY)
    assert not result.ok
    assert "no Anthropic Messages API at" in result.findings[-1].text


def test_openai_style_404_is_recognised() -> None:
    async def openai(request: Request, recorded: RecordedRequest) -> Response | None:
        if recorded.method == "POST":
            body = {
                "error": {
                    "message": "Invalid URL (POST /v1/messages)",
                    "type": "invalid_request_error",
                }
            }
            return JSONResponse(body, status_code=404)
        return None

    with TestGateway(handler=openai) as gw:
        result = check_gateway(profile(gw.url), KEY)
    assert "OpenAI's format" in result.findings[-1].text


def test_html_page_is_recognised() -> None:
    async def login_wall(request: Request, recorded: RecordedRequest) -> Response | None:
        return (
            HTMLResponse("<html><body>Sign in</body></html>") if recorded.method == "POST" else None
        )

    with TestGateway(handler=login_wall) as gw:
        result = check_gateway(profile(gw.url), KEY)
    assert "HTML page" in result.findings[-1].text


def test_refused_connection_is_one_sentence() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = check_gateway(profile(f"http://127.0.0.1:{port}"), KEY, timeout=2)
    assert not result.ok
    assert len(result.findings) == 1
    assert "refused the connection" in result.findings[0].text


@pytest.mark.parametrize(
    ("status", "body", "fragment"),
    [
        (
            402,
            '{"error": {"code": "insufficient_user_quota"}}',
            'payment (402): "insufficient_user_quota"',
        ),
        (429, '{"error": {"message": "slow down"}}', "rate-limiting"),
        (502, "bad gateway", "answered 502"),
        (
            400,
            '{"type":"error","error":{"type":"invalid_request_error","message":"x"}}',
            "accepted",
        ),
    ],
)
def test_judge(status: int, body: str, fragment: str) -> None:
    finding = judge(profile("https://gw.example.com"), status, {}, body)
    assert fragment in finding.text


def test_unreachable_explains_dns_from_the_cause_chain() -> None:
    import httpx

    try:
        try:
            raise socket.gaierror(-2, "Name or service not known")
        except socket.gaierror as exc:
            raise httpx.ConnectError("[Errno -2] Name or service not known") from exc
    except httpx.ConnectError as exc:
        text = unreachable("https://nope.example", exc)
    assert "cannot be resolved (DNS)" in text
