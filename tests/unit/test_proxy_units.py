"""Tier 1: the proxy's pure parts (policy, header rewriting, model map, failure messages)."""

from __future__ import annotations

import json
import socket
import ssl

import httpcore
import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccwrap.profiles.store import Profile
from ccwrap.proxy.config import needs_proxy
from ccwrap.proxy.failures import explain, upstream_error
from ccwrap.proxy.headers import HeaderPlan, request_headers, response_headers
from ccwrap.proxy.model_map import ModelMap
from ccwrap.proxy.policy import (
    allowed_hosts,
    host_allowed,
    match,
    token_matches,
    upstream_base,
    upstream_target,
)

TOKEN = b"ccwrap-session-abc"


# -- policy ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("HEAD", b"/", True),
        ("POST", b"/v1/messages", True),
        ("POST", b"/v1/messages/count_tokens", True),
        ("GET", b"/v1/models", True),
        ("GET", b"/v1/messages", False),
        ("POST", b"/v1/messages/", False),
        ("POST", b"//evil.example/v1/messages", False),
        ("POST", b"/v1%2Fmessages", False),
        ("POST", b"/v1/../v1/messages", False),
        ("POST", b"http://evil.example/v1/messages", False),
        ("CONNECT", b"evil.example:443", False),
        ("DELETE", b"/v1/models", False),
        ("POST", b"/v1/complete", False),
    ],
)
def test_only_four_routes_are_forwarded(method: str, path: bytes, allowed: bool) -> None:
    assert (match(method, path) is not None) is allowed


def test_host_must_name_the_proxy() -> None:
    hosts = allowed_hosts(4567)
    assert host_allowed(b"127.0.0.1:4567", hosts)
    assert host_allowed(b"LOCALHOST:4567", hosts)
    for bad in (b"evil.example:4567", b"127.0.0.1:80", b"127.0.0.1", b"localhost", b""):
        assert not host_allowed(bad, hosts)
    assert not host_allowed(None, hosts)


def test_token_check() -> None:
    assert token_matches([b"Bearer " + TOKEN], TOKEN)
    assert token_matches([TOKEN], TOKEN)  # x-api-key form
    assert token_matches([b"Bearer " + TOKEN, TOKEN], TOKEN)  # apiKeyHelper sends both
    assert not token_matches([], TOKEN)
    assert not token_matches([b"Bearer wrong"], TOKEN)
    assert not token_matches([b"Bearer " + TOKEN, b"wrong"], TOKEN)
    assert not token_matches([b"Bearer " + TOKEN[:-1]], TOKEN)


def test_upstream_target_keeps_the_base_path() -> None:
    origin, prefix = upstream_base("https://gw.example.com/api/")
    assert (origin, prefix) == ("https://gw.example.com", "/api")
    route = match("POST", b"/v1/messages")
    assert route is not None
    assert upstream_target(prefix, route, b"beta=true") == "/api/v1/messages?beta=true"
    head = match("HEAD", b"/")
    assert head is not None
    assert upstream_target("", head, b"") == "/"


QUERY_BYTES = [b for b in range(0x20, 0x100) if b not in (0x7F, ord("#"))]


@settings(max_examples=300)
@given(
    path=st.binary(max_size=60),
    # What an HTTP server hands on: no ASCII control byte (h11 refuses them in a request target).
    query=st.lists(st.sampled_from(QUERY_BYTES), max_size=40).map(bytes),
    method=st.sampled_from(["GET", "POST", "HEAD", "CONNECT", "PUT"]),
)
def test_the_upstream_host_never_changes(path: bytes, query: bytes, method: str) -> None:
    """Whatever the request target, a forwarded URL names the profile's host and port."""
    origin, prefix = upstream_base("https://gw.example.com:8443/base")
    route = match(method, path)
    if route is None:
        return
    url = httpx.URL(origin + upstream_target(prefix, route, query.replace(b" ", b"%20")))
    assert (url.host, url.port, url.scheme) == ("gw.example.com", 8443, "https")
    assert url.path.startswith("/base")


# -- headers -----------------------------------------------------------------------------------
CLAUDE_HEADERS = [
    (b"host", b"127.0.0.1:4567"),
    (b"authorization", b"Bearer " + TOKEN),
    (b"x-api-key", TOKEN),
    (b"anthropic-version", b"2023-06-01"),
    (b"anthropic-beta", b"claude-code-20250219,oauth-2025-04-20"),
    (b"x-claude-code-session-id", b"5b0c2f0e"),
    (b"user-agent", b"claude-cli/2.1.197 (external, sdk-cli)"),
    (b"connection", b"keep-alive, x-private-hop"),
    (b"keep-alive", b"timeout=5"),
    (b"x-private-hop", b"drop me"),
    (b"te", b"trailers"),
    (b"proxy-authorization", b"Basic Zm9vOmJhcg=="),
    (b"content-length", b"12"),
    (b"x-team", b"from-client"),
]


def plan(auth: str = "bearer", **kw: dict[str, str]) -> HeaderPlan:
    return HeaderPlan.build(
        auth=auth,  # type: ignore[arg-type]
        key="sk-real",
        headers=kw.get("headers", {}),
        secret_headers=kw.get("secret_headers", {}),
    )


def names(headers: list[tuple[bytes, bytes]]) -> list[bytes]:
    return [n for n, _ in headers]


def test_request_headers_bearer() -> None:
    p = plan(headers={"X-Team": "a"}, secret_headers={"X-Sig": "s3cret"})
    out = dict(request_headers(CLAUDE_HEADERS, p, p.replaced))
    assert out[b"authorization"] == b"Bearer sk-real"
    assert b"x-api-key" not in out
    assert names(request_headers(CLAUDE_HEADERS, p, p.replaced)).count(b"authorization") == 1
    for hop in (b"connection", b"keep-alive", b"x-private-hop", b"te", b"proxy-authorization"):
        assert hop not in out
    assert b"host" not in out and b"content-length" not in out
    assert out[b"anthropic-version"] == b"2023-06-01"
    assert out[b"anthropic-beta"] == b"claude-code-20250219,oauth-2025-04-20"
    assert out[b"user-agent"] == b"claude-cli/2.1.197 (external, sdk-cli)"
    assert out[b"x-claude-code-session-id"] == b"5b0c2f0e"
    assert out[b"x-team"] == b"a"  # the profile's value replaces the client's
    assert out[b"x-sig"] == b"s3cret"
    assert TOKEN not in b"".join(v for _, v in request_headers(CLAUDE_HEADERS, p, p.replaced))


def test_request_headers_x_api_key_and_none() -> None:
    p = plan("x-api-key")
    out = request_headers(CLAUDE_HEADERS, p, p.replaced)
    assert [v for n, v in out if n in (b"x-api-key", b"authorization")] == [b"sk-real"]
    p = plan("none")
    out = request_headers(CLAUDE_HEADERS, p, p.replaced)
    assert not [n for n in names(out) if n in (b"x-api-key", b"authorization")]


def test_computed_header_changes_per_request() -> None:
    p = plan(headers={"X-Request-Id": "ccwrap-{request_id}"})
    first = dict(request_headers([], p, p.replaced))[b"x-request-id"]
    second = dict(request_headers([], p, p.replaced))[b"x-request-id"]
    assert first.startswith(b"ccwrap-") and first != second
    assert needs_proxy(Profile(name="p", base_url="https://x", headers={"X": "{request_id}"}))


def test_response_headers_drop_hop_by_hop_keep_encoding() -> None:
    out = response_headers(
        [
            (b"Content-Encoding", b"gzip"),
            (b"Transfer-Encoding", b"chunked"),
            (b"Connection", b"close, x-hop"),
            (b"X-Hop", b"1"),
            (b"request-id", b"req_1"),
        ]
    )
    assert out == [(b"content-encoding", b"gzip"), (b"request-id", b"req_1")]


def test_needs_proxy() -> None:
    assert needs_proxy(Profile(name="p", base_url="https://x")) is None
    assert needs_proxy(Profile(name="p", base_url="https://x", model_map={"a": "b"}))
    assert needs_proxy(Profile(name="p", base_url="https://x", secret_headers={"X": "keyring"}))


# -- model map ---------------------------------------------------------------------------------
def test_model_map_exact_then_glob() -> None:
    rules = ModelMap.from_rules({"claude-*-haiku-*": "glm-4.5-air", "claude-sonnet-4-5": "glm-4.6"})
    assert rules.target("claude-sonnet-4-5") == "glm-4.6"
    assert rules.target("claude-3-5-haiku-latest") == "glm-4.5-air"
    assert rules.target("claude-opus-4-1") is None


def test_model_map_rewrites_only_model() -> None:
    rules = ModelMap.from_rules({"claude-sonnet-4-5": "deepseek-chat"})
    body = json.dumps({"model": "claude-sonnet-4-5", "messages": [{"content": "ü"}]}).encode()
    out = json.loads(rules.rewrite_request(body))
    assert out == {"model": "deepseek-chat", "messages": [{"content": "ü"}]}
    untouched = b'{ "model" : "claude-opus-4-1",  "x": 1 }'
    assert rules.rewrite_request(untouched) is untouched
    assert rules.rewrite_request(b"not json") == b"not json"
    assert not ModelMap.from_rules({})


def test_model_map_models_listing() -> None:
    rules = ModelMap.from_rules({"claude-sonnet-4-5": "deepseek-chat", "claude-x": "absent"})
    page = {"data": [{"type": "model", "id": "deepseek-chat"}], "first_id": "deepseek-chat"}
    out = json.loads(rules.rewrite_models(json.dumps(page).encode()))
    assert [m["id"] for m in out["data"]] == ["claude-sonnet-4-5", "deepseek-chat"]
    assert out["first_id"] == "claude-sonnet-4-5"


# -- failures ----------------------------------------------------------------------------------
def chained(outer: Exception, inner: BaseException) -> Exception:
    middle = httpcore.ConnectError(str(inner))
    middle.__cause__ = inner
    outer.__cause__ = middle
    return outer


@pytest.mark.parametrize(
    ("exc", "status", "words"),
    [
        (chained(httpx.ConnectError("x"), ConnectionRefusedError(111, "refused")), 502, "refused"),
        (chained(httpx.ConnectError("x"), socket.gaierror(-2, "unknown")), 502, "DNS"),
        (chained(httpx.ReadError("x"), ConnectionResetError(104, "reset")), 502, "reset"),
        (
            chained(httpx.ConnectError("x"), ssl.SSLCertVerificationError(1, "verify failed")),
            502,
            "TLS certificate",
        ),
        (chained(httpx.ConnectError("x"), ssl.SSLError(1, "wrong version")), 502, "TLS handshake"),
        (httpx.ConnectTimeout("timed out"), 504, "no connection within 10 s"),
        (httpx.RemoteProtocolError("Server disconnected"), 502, "without an answer"),
    ],
)
def test_failures_are_explained(exc: Exception, status: int, words: str) -> None:
    got_status, why = explain(exc, 10.0)
    assert got_status == status and words in why
    _, body = upstream_error(exc, "https://gw.example.com", 10.0)
    error = json.loads(body)
    assert error["type"] == "error" and error["error"]["type"] == "api_error"
    assert "https://gw.example.com" in error["error"]["message"]


def test_computed_placeholders_agree() -> None:
    from ccwrap.proxy.config import PLACEHOLDERS
    from ccwrap.proxy.headers import COMPUTED

    assert tuple(COMPUTED) == PLACEHOLDERS


def test_env_proxy_for_the_upstream_leg_comes_from_the_injected_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ccwrap.proxy.app import Forwarder
    from ccwrap.proxy.config import ProxyConfig

    def forwarder(upstream: str, **environ: str) -> Forwarder:
        return Forwarder(ProxyConfig(upstream=upstream, environ=environ), 1234)

    # os.environ is not read (it used to be).
    monkeypatch.setenv("HTTPS_PROXY", "http://os-environ-proxy:3128")
    assert forwarder("https://gw.example.com").forward_proxy is None
    corp = {"HTTPS_PROXY": "http://user:pw@corp-proxy:3128"}
    via = forwarder("https://gw.example.com", **corp)
    assert via.forward_proxy == "http://user:pw@corp-proxy:3128"
    assert via.upstream_name == "https://gw.example.com (through corp-proxy:3128)"
    assert forwarder("http://127.0.0.1:8080", **corp).forward_proxy is None  # loopback: direct
    assert (
        forwarder("https://gw.example.com", NO_PROXY="gw.example.com", **corp).forward_proxy is None
    )


@pytest.mark.parametrize(
    ("transport", "expected"), [("auto", "AiohttpTransport"), ("httpcore", "HttpcoreTransport")]
)
def test_transport_choice(transport: str, expected: str) -> None:
    import importlib.util

    from ccwrap.proxy.upstream import make_transport

    if expected == "AiohttpTransport" and importlib.util.find_spec("aiohttp") is None:
        expected = "HttpcoreTransport"
    chosen = make_transport(
        transport, ssl_context=ssl.create_default_context(), connect_timeout=1, forward_proxy=None
    )
    assert type(chosen).__name__ == expected


def test_model_map_passes_deep_json_through_unchanged() -> None:
    """Issue 16 #11: json.loads raises RecursionError on deep nesting; it was a 500."""
    rules = ModelMap.from_rules({"claude-x": "glm"})
    deep = b'{"model": "claude-x", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    assert rules.rewrite_request(deep) is deep
    listing = b'{"data": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    assert rules.rewrite_models(listing) is listing


def test_upstream_errors_map_once_and_keep_the_cause() -> None:
    import httpcore

    from ccwrap.net.failures import explain
    from ccwrap.proxy.upstream.base import UpstreamError, mapping

    refused = ConnectionRefusedError(111, "refused")
    with pytest.raises(UpstreamError) as caught, mapping((httpcore.ConnectError,)):
        raise httpcore.ConnectError("x") from refused
    assert explain(caught.value).kind == "refused"
    with pytest.raises(ValueError), mapping((httpcore.ConnectError,)):
        raise ValueError("not the library's: passes through")
