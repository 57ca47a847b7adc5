"""The classifier on real-shaped error bodies: content decides, status second."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccwrap.doctor.classify import classify, finding_for


def anthropic(kind: str, message: str) -> bytes:
    return json.dumps({"type": "error", "error": {"type": kind, "message": message}}).encode()


def openai(message: str, kind: str = "invalid_request_error", code: object = None) -> bytes:
    error = {"message": message, "type": kind, "param": None, "code": code}
    return json.dumps({"error": error}).encode()


JSON = {"content-type": "application/json"}
HTML = {"content-type": "text/html; charset=utf-8"}
TEXT = {"content-type": "text/plain; charset=utf-8"}

CASES = [
    # (status, headers, body, kind, dialect)
    pytest.param(
        400,
        JSON,
        anthropic("invalid_request_error", "messages: Field required"),
        "invalid-request",
        "anthropic",
        id="anthropic-invalid-body-is-fine",
    ),
    pytest.param(
        401,
        JSON,
        anthropic("authentication_error", "invalid x-api-key"),
        "auth",
        "anthropic",
        id="anthropic-401",
    ),
    pytest.param(
        403,
        JSON,
        anthropic("permission_error", "Your API key does not have permission"),
        "auth",
        "anthropic",
        id="anthropic-403",
    ),
    pytest.param(
        404,
        JSON,
        anthropic("not_found_error", "model: claude-nope-1"),
        "model.unavailable",
        "anthropic",
        id="anthropic-404-model",
    ),
    pytest.param(
        404,
        JSON,
        anthropic("not_found_error", "Not Found"),
        "not-found",
        "anthropic",
        id="anthropic-404-path",
    ),
    pytest.param(
        400,
        JSON,
        anthropic(
            "invalid_request_error", "Your credit balance is too low to access the Anthropic API."
        ),
        "billing.balance",
        "anthropic",
        id="anthropic-credit-too-low",
    ),
    pytest.param(
        429,
        JSON,
        anthropic("rate_limit_error", "Number of request tokens has exceeded"),
        "rate.limited",
        "anthropic",
        id="anthropic-429",
    ),
    pytest.param(
        529,
        JSON,
        anthropic("overloaded_error", "Overloaded"),
        "gateway.error",
        "anthropic",
        id="anthropic-529-overloaded",
    ),
    pytest.param(
        500,
        JSON,
        anthropic("api_error", "Internal server error"),
        "gateway.error",
        "anthropic",
        id="anthropic-500",
    ),
    pytest.param(
        400,
        JSON,
        anthropic("invalid_request_error", "context_management: Extra inputs are not permitted"),
        "beta.rejected",
        "anthropic",
        id="strict-gateway-betas",
    ),
    pytest.param(
        404,
        JSON,
        openai("Invalid URL (POST /v1/messages)"),
        "gateway.not-anthropic",
        "openai",
        id="openai-invalid-url",
    ),
    pytest.param(
        401,
        JSON,
        openai("Incorrect API key provided: sk-abc.", code="invalid_api_key"),
        "auth",
        "openai",
        id="openai-401",
    ),
    pytest.param(
        429,
        JSON,
        openai(
            "You exceeded your current quota, please check your plan and billing details.",
            kind="insufficient_quota",
            code="insufficient_quota",
        ),
        "billing.balance",
        "openai",
        id="openai-429-is-billing",
    ),
    pytest.param(
        200,
        JSON,
        json.dumps({"object": "chat.completion", "choices": []}).encode(),
        "gateway.not-anthropic",
        "openai",
        id="openai-success-shape",
    ),
    pytest.param(
        401,
        JSON,
        openai(
            "litellm.AuthenticationError: Authentication Error, Invalid proxy server token",
            kind="auth_error",
            code="401",
        ),
        "auth",
        "litellm",
        id="litellm-401",
    ),
    pytest.param(
        400,
        JSON,
        openai(
            "litellm.BadRequestError: Invalid model name passed in model=claude-x. "
            "Call `/v1/models` to view available models for your key.",
            kind="None",
            code="400",
        ),
        "model.unavailable",
        "litellm",
        id="litellm-invalid-model",
    ),
    pytest.param(
        403,
        JSON,
        openai(
            "用户额度不足, 剩余额度: $0.000000",
            kind="new_api_error",
            code="insufficient_user_quota",
        ),
        "billing.balance",
        "new-api",
        id="new-api-403-quota-is-billing",
    ),
    pytest.param(
        503,
        JSON,
        openai(
            "No available channel for model claude-opus-4-1 under group default (request id: 2025)",
            kind="new_api_error",
            code="model_not_found",
        ),
        "model.unavailable",
        "new-api",
        id="new-api-503-no-channel",
    ),
    pytest.param(
        503,
        JSON,
        openai("当前分组 default 下对于模型 claude-opus-4-1 无可用渠道", kind="new_api_error"),
        "model.unavailable",
        "new-api",
        id="new-api-503-chinese",
    ),
    pytest.param(
        401,
        JSON,
        openai("无效的令牌 (request id: 1)", kind="new_api_error"),
        "auth",
        "new-api",
        id="new-api-401-chinese",
    ),
    pytest.param(
        403,
        JSON,
        openai("该令牌额度已用尽 余额不足", kind="one_api_error"),
        "billing.balance",
        "new-api",
        id="one-api-balance-chinese",
    ),
    pytest.param(
        402,
        JSON,
        json.dumps({"error": {"message": "Payment Required"}}).encode(),
        "billing.balance",
        "openai",
        id="402",
    ),
    pytest.param(
        403,
        HTML,
        b"<!DOCTYPE html><html><head><title>Attention Required! | Cloudflare</title></head>",
        "gateway.html",
        "html",
        id="cloudflare-waf",
    ),
    pytest.param(
        200,
        {},
        b"<html><head><title>Sign in</title></head><body>login</body></html>",
        "gateway.html",
        "html",
        id="login-wall-without-content-type",
    ),
    pytest.param(
        502,
        HTML,
        b"<html><head><title>502 Bad Gateway</title></head></html>",
        "gateway.html",
        "html",
        id="nginx-502",
    ),
    pytest.param(404, TEXT, b"404 page not found", "not-found", "text", id="go-bare-404"),
    pytest.param(
        401,
        JSON,
        json.dumps({"detail": "Unauthorized"}).encode(),
        "auth",
        "json",
        id="fastapi-detail",
    ),
    pytest.param(
        200,
        JSON,
        json.dumps({"type": "message", "content": []}).encode(),
        "ok",
        "json",
        id="anthropic-message-is-ok",
    ),
    pytest.param(
        307,
        {"location": "https://example.test/v1/models"},
        b"",
        "redirect",
        "empty",
        id="redirect",
    ),
    pytest.param(502, TEXT, b"", "gateway.error", "empty", id="empty-502"),
]


@pytest.mark.parametrize(("status", "headers", "body", "kind", "dialect"), CASES)
def test_classify(
    status: int, headers: dict[str, str], body: bytes, kind: str, dialect: str
) -> None:
    verdict = classify(status, headers, body)
    assert (verdict.kind, verdict.dialect) == (kind, dialect)


def test_message_is_the_gateways_words_shortened() -> None:
    verdict = classify(403, JSON, openai("x" * 500, kind="new_api_error"))
    assert verdict.message.startswith("xxx") and len(verdict.message) <= 200
    assert verdict.said().startswith("HTTP 403: xxx")


def test_html_title_is_named() -> None:
    verdict = classify(403, HTML, b"<html><title>\n Access  denied </title></html>")
    assert verdict.message == "page titled 'Access denied'"


def test_finding_for_a_balance_problem_names_it_and_its_fix() -> None:
    body = openai("用户额度不足", kind="new_api_error", code="insufficient_user_quota")
    finding = finding_for(classify(403, JSON, body))
    assert finding.id == "billing.balance"
    assert "用户额度不足" in finding.detail and "top up" in finding.fix


def test_finding_for_refuses_a_healthy_answer() -> None:
    with pytest.raises(ValueError):
        finding_for(classify(200, JSON, b"{}"))


@settings(max_examples=500, deadline=None)
@given(
    status=st.integers(min_value=100, max_value=599),
    content_type=st.sampled_from(["application/json", "text/html", "text/plain", ""]),
    body=st.one_of(
        st.binary(max_size=300),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=20),
            lambda inner: (
                st.lists(inner, max_size=3)
                | st.dictionaries(st.sampled_from(["error", "message", "type", "code"]), inner)
            ),
            max_leaves=8,
        ).map(lambda data: json.dumps(data).encode()),
    ),
)
def test_classify_never_raises(status: int, content_type: str, body: bytes) -> None:
    verdict = classify(status, {"content-type": content_type}, body)
    if verdict.problem:
        assert finding_for(verdict).id


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=200))
def test_explain_never_raises(text: str) -> None:
    from ccwrap.doctor.explain import explain

    for finding in explain(text):
        assert finding.id
