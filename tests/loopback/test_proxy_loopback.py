"""Tier 3: the proxy on a real 127.0.0.1 socket in front of recording upstreams."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import importlib.util
import io
import json
import socket
import ssl
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from ccwrap.proxy.hooks import Headers, Outbound, Summary, Watch
from tests.conftest import require
from tests.support.gateway import RecordedRequest, TestGateway, sse
from tests.support.proxy_support import (
    KEY,
    TOKEN,
    ForwardProxy,
    RawUpstream,
    answer_every_request,
    auth_headers,
    raw_exchange,
    read_request,
    response,
    running_proxy,
    status_of,
    wait_until,
)

SSE = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
SSE_CHUNKED_HEAD = SSE + b"transfer-encoding: chunked\r\n\r\n"
SSE_SIZED_HEAD = SSE + b"content-length: 100000\r\n\r\n"
MESSAGE = {
    "model": "claude-sonnet-4-5",
    "max_tokens": 8,
    "messages": [{"role": "user", "content": "hi"}],
}


# (upstream transport, server side): the two installs, and the two mixed ones.
STACKS = {
    "fast": ("auto", "auto"),  # aiohttp upstream, uvloop + httptools server: `[fast]`
    "default": ("httpcore", "asyncio"),  # httpcore upstream, asyncio + h11: plain install
    "aiohttp-h11": ("auto", "asyncio"),
    "httpcore-httptools": ("httpcore", "auto"),
}


@pytest.fixture(autouse=True, params=list(STACKS))
def proxy_stack(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test here runs on every upstream transport × server side combination
    (proxy/upstream/; uvicorn with uvloop + httptools or with asyncio + h11)."""
    from tests.support import proxy_support

    transport, server = STACKS[request.param]
    if transport == "auto":
        require(importlib.util.find_spec("aiohttp") is not None, "aiohttp (the fast extra)")
    if server == "auto":
        fast_server = all(importlib.util.find_spec(m) for m in ("uvloop", "httptools"))
        require(fast_server, "uvloop and httptools (the fast extra)")
    monkeypatch.setattr(proxy_support, "TRANSPORT", transport)
    monkeypatch.setattr(proxy_support, "SERVER", server)
    return str(request.param)


@pytest.fixture
def proxied(gateway: TestGateway) -> Iterator[tuple[TestGateway, httpx.Client]]:
    with running_proxy(gateway.url) as proxy, httpx.Client(base_url=proxy.base_url) as client:
        yield gateway, client


# -- key substitution and the token -----------------------------------------------------------
@pytest.mark.parametrize("auth", ["bearer", "x-api-key"])
def test_real_key_replaces_the_session_token(auth: str) -> None:
    with TestGateway(key=KEY, auth=auth) as gateway, running_proxy(gateway.url, auth=auth) as proxy:
        # apiKeyHelper-style: the token in both headers (docs/client-facts.md).
        headers = {"authorization": f"Bearer {TOKEN}", "x-api-key": TOKEN}
        answer = httpx.post(
            f"{proxy.base_url}/v1/messages?beta=true", json=MESSAGE, headers=headers
        )
    assert answer.status_code == 200, answer.text
    seen = gateway.messages()[0]
    assert seen.query == "beta=true"
    if auth == "bearer":
        assert seen.headers["authorization"] == f"Bearer {KEY}"
        assert "x-api-key" not in seen.headers
    else:
        assert seen.headers["x-api-key"] == KEY
        assert "authorization" not in seen.headers
    assert TOKEN not in json.dumps(seen.headers)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"authorization": "Bearer wrong-token"},
        {"x-api-key": "wrong-token"},
        {"authorization": f"Bearer {TOKEN}", "x-api-key": "wrong-token"},
        {"authorization": f"Bearer {TOKEN[:-1]}"},
    ],
)
def test_missing_or_wrong_token_is_refused_and_not_forwarded(
    proxied: tuple[TestGateway, httpx.Client], headers: dict[str, str]
) -> None:
    gateway, client = proxied
    for method, path in (("POST", "/v1/messages"), ("GET", "/v1/models")):
        answer = client.request(
            method, path, json=MESSAGE if method == "POST" else None, headers=headers
        )
        assert answer.status_code == 401
        assert answer.json()["error"]["type"] == "authentication_error"
    assert gateway.requests == []


def test_head_without_credential_is_answered_locally(
    proxied: tuple[TestGateway, httpx.Client],
) -> None:
    gateway, client = proxied
    assert client.head("/").status_code == 200
    assert gateway.requests == []
    assert client.head("/", headers=auth_headers()).status_code == 200
    assert [r.method for r in gateway.requests] == ["HEAD"]
    assert gateway.requests[0].headers["authorization"] == f"Bearer {KEY}"


def test_unknown_paths_are_404_and_not_forwarded(proxied: tuple[TestGateway, httpx.Client]) -> None:
    gateway, client = proxied
    for method, path in (("GET", "/v1/messages"), ("POST", "/v1/complete"), ("GET", "/admin")):
        assert client.request(method, path, headers=auth_headers()).status_code == 404
    assert gateway.requests == []


# -- not an open relay --------------------------------------------------------------------------
def head(target: bytes, host: bytes, method: bytes = b"POST") -> bytes:
    body = json.dumps(MESSAGE).encode()
    return (
        method + b" " + target + b" HTTP/1.1\r\nhost: " + host + b"\r\n"
        b"authorization: Bearer " + TOKEN.encode() + b"\r\ncontent-type: application/json\r\n"
        b"content-length: " + str(len(body)).encode() + b"\r\nconnection: close\r\n\r\n" + body
    )


def test_host_header_must_name_the_proxy(proxied: tuple[TestGateway, httpx.Client]) -> None:
    gateway, client = proxied
    port = int(str(client.base_url).rsplit(":", 1)[1])
    for host in (b"evil.example", b"evil.example:%d" % port, b"127.0.0.1:1", b"10.0.0.1:%d" % port):
        raw = raw_exchange(port, head(b"/v1/messages", host))
        assert status_of(raw) == 403, raw[:200]
    assert gateway.requests == []
    assert status_of(raw_exchange(port, head(b"/v1/messages", b"localhost:%d" % port))) == 200


def test_absolute_form_double_slash_encoded_slash_and_connect_never_reach_another_host(
    proxied: tuple[TestGateway, httpx.Client],
) -> None:
    gateway, client = proxied
    port = int(str(client.base_url).rsplit(":", 1)[1])
    with RawUpstream() as other:
        elsewhere = f"127.0.0.1:{other.port}".encode()
        proxy_host = b"127.0.0.1:%d" % port
        cases = [
            (head(b"http://" + elsewhere + b"/v1/messages", elsewhere), 403),
            (head(b"//" + elsewhere + b"/v1/messages", proxy_host), 404),
            (head(b"/" + elsewhere + b"/v1/messages", proxy_host), 404),
            (head(b"/v1%2Fmessages", proxy_host), 404),
            (head(b"/%2F" + elsewhere + b"/v1/messages", proxy_host), 404),
            (head(elsewhere, elsewhere, method=b"CONNECT"), None),
            (head(elsewhere, proxy_host, method=b"CONNECT"), None),
        ]
        for request, expected in cases:
            status = status_of(raw_exchange(port, request))
            if expected is not None:
                assert status == expected, request[:80]
            else:
                assert status != 200, request[:80]
        # Absolute form with the proxy's own Host goes to the profile's upstream, nowhere else.
        raw = raw_exchange(port, head(b"http://" + elsewhere + b"/v1/messages", proxy_host))
        assert status_of(raw) in (200, 404)
        time.sleep(0.2)
        assert other.accepted == 0
    assert all(r.path in ("/v1/messages",) for r in gateway.requests)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    target=st.one_of(
        st.binary(min_size=1, max_size=40).filter(lambda b: not set(b) & set(b" \r\n\t\x00")),
        st.builds(
            lambda a, b: a + b,
            st.sampled_from([b"//", b"http://", b"/", b"https://", b"/v1/", b"//localhost:"]),
            st.text("abcdefghijklmnopqrstuvwxyz0123456789.:/%@?#-", max_size=30).map(str.encode),
        ),
    ),
    method=st.sampled_from([b"GET", b"POST", b"HEAD", b"CONNECT", b"OPTIONS"]),
)
def test_request_paths_never_change_the_upstream_host(
    relay_world: tuple[int, RawUpstream, TestGateway], target: bytes, method: bytes
) -> None:
    port, other, gateway = relay_world
    raw_exchange(port, head(target, b"127.0.0.1:%d" % port, method=method), timeout=2)
    assert other.accepted == 0
    assert {r.path for r in gateway.requests} <= {
        "/",
        "/v1/messages",
        "/v1/messages/count_tokens",
        "/v1/models",
    }


@pytest.fixture(scope="module")
def relay_world() -> Iterator[tuple[int, RawUpstream, TestGateway]]:
    with TestGateway() as gateway, RawUpstream() as other, running_proxy(gateway.url) as proxy:
        yield proxy.port, other, gateway


# -- headers --------------------------------------------------------------------------------------
def test_header_hygiene_custom_secret_and_computed_headers(gateway: TestGateway) -> None:
    with running_proxy(
        gateway.url,
        headers={"X-Team": "blue", "X-Request-Id": "{request_id}"},
        secret_headers={"X-Signature": "sig-secret"},
    ) as proxy:
        sent = {
            **auth_headers(),
            "anthropic-version": "2023-06-01",
            "anthropic-beta": "claude-code-20250219,context-1m",
            "x-claude-code-session-id": "9d6f",
            "user-agent": "claude-cli/2.1.197 (external, sdk-cli)",
            "connection": "keep-alive, x-hop-only",
            "x-hop-only": "1",
            "keep-alive": "timeout=5",
            "te": "trailers",
            "proxy-authorization": "Basic eDp5",
            "x-team": "from-claude",
            "x-other": "kept",
        }
        for _ in range(2):
            assert (
                httpx.post(f"{proxy.base_url}/v1/messages", json=MESSAGE, headers=sent).status_code
                == 200
            )
    first, second = gateway.messages()
    h = first.headers
    for name in (
        "anthropic-version",
        "anthropic-beta",
        "x-claude-code-session-id",
        "user-agent",
        "x-other",
    ):
        assert h[name] == sent[name]
    for name in ("x-hop-only", "keep-alive", "te", "proxy-authorization"):
        assert name not in h
    assert h["x-team"] == "blue" and h["x-signature"] == "sig-secret"
    assert h["authorization"] == f"Bearer {KEY}"
    assert h["host"] == gateway.url.removeprefix("http://")
    assert h["x-request-id"] and h["x-request-id"] != second.headers["x-request-id"]


def test_gzip_passes_through_encoded(gateway: TestGateway) -> None:
    payload = json.dumps({"type": "message", "content": "x" * 5000}).encode()
    packed = gzip.compress(payload)

    async def handler(request: Request, recorded: RecordedRequest) -> Response:
        if recorded.query == "stream=1":

            async def chunks() -> AsyncIterator[bytes]:
                for i in range(0, len(packed), 100):
                    yield packed[i : i + 100]

            return StreamingResponse(
                chunks(), headers={"content-encoding": "gzip"}, media_type="text/event-stream"
            )
        return Response(packed, headers={"content-encoding": "gzip"}, media_type="application/json")

    gateway.handler = handler
    with running_proxy(gateway.url) as proxy, httpx.Client(base_url=proxy.base_url) as client:
        for query in ("", "?stream=1"):
            with client.stream(
                "POST",
                "/v1/messages" + query,
                json=MESSAGE,
                headers={**auth_headers(), "accept-encoding": "gzip"},
            ) as answer:
                raw = b"".join(answer.iter_raw())
                assert answer.headers["content-encoding"] == "gzip"
            assert raw == packed
    assert gateway.messages()[0].headers["accept-encoding"] == "gzip"


def test_model_map_through_the_proxy(gateway: TestGateway) -> None:
    gateway.models = ["deepseek-chat", "deepseek-reasoner"]
    rules = {"claude-sonnet-4-5": "deepseek-chat", "claude-*-haiku-*": "deepseek-reasoner"}
    with (
        running_proxy(gateway.url, model_map=rules) as proxy,
        httpx.Client(base_url=proxy.base_url, headers=auth_headers()) as client,
    ):
        client.post("/v1/messages", json=MESSAGE)
        client.post(
            "/v1/messages/count_tokens", json={**MESSAGE, "model": "claude-3-5-haiku-latest"}
        )
        client.post("/v1/messages", json={**MESSAGE, "model": "claude-opus-4-1"})
        listing = client.get("/v1/models?limit=1000").json()
    assert [r.json["model"] for r in gateway.requests if r.method == "POST"] == [
        "deepseek-chat",
        "deepseek-reasoner",
        "claude-opus-4-1",
    ]
    ids = [m["id"] for m in listing["data"]]
    assert ids[0] == "claude-sonnet-4-5" and "deepseek-chat" in ids
    assert gateway.requests[-1].query == "limit=1000"


def test_a_models_listing_over_the_cap_is_a_clean_502(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 16 #8: the listing a model map rewrites is read whole, so it is capped."""
    from ccwrap.proxy import model_map

    monkeypatch.setattr(model_map._Listing, "whole", 4096)
    big = json.dumps({"data": [{"id": f"model-{i}"} for i in range(1000)]}).encode()

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: Any) -> None:
        while await read_request(reader) is not None:
            writer.write(response(big))
            await writer.drain()

    with (
        RawUpstream(handler=handler) as upstream,
        running_proxy(upstream.url, model_map={"claude-x": "model-1"}) as proxy,
    ):
        answer = httpx.get(proxy.base_url + "/v1/models", headers=auth_headers())
        assert answer.status_code == 502
        assert "larger than 4096 bytes" in error_of(answer)
        # Under the cap the listing is rewritten as before.
        monkeypatch.setattr(model_map._Listing, "whole", len(big))
        listing = httpx.get(proxy.base_url + "/v1/models", headers=auth_headers()).json()
        assert listing["data"][0]["id"] == "claude-x"


def test_a_listing_that_never_finishes_is_a_504() -> None:
    """The answer a hook reads whole has a deadline (a trickling gateway must not hold it)."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: Any) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n")
        writer.write(b"transfer-encoding: chunked\r\n\r\n")
        while True:
            writer.write(b"1\r\n \r\n")
            await writer.drain()
            await asyncio.sleep(0.05)

    with (
        RawUpstream(handler=handler) as upstream,
        running_proxy(upstream.url, model_map={"claude-x": "y"}, whole_deadline=0.5) as proxy,
    ):
        answer = httpx.get(proxy.base_url + "/v1/models", headers=auth_headers(), timeout=20)
    assert answer.status_code == 504
    assert "did not finish within 0.5 s" in error_of(answer)


def test_deep_json_through_a_model_map_is_forwarded_unchanged() -> None:
    """Issue 16 #11: a body too deep for json.loads used to give a 500 with a traceback."""
    deep = b'{"model": "claude-sonnet-4-5", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    with (
        RawUpstream(handler=answer_every_request) as upstream,
        running_proxy(upstream.url, model_map={"claude-*": "glm"}) as proxy,
    ):
        answer = httpx.post(
            proxy.base_url + "/v1/messages",
            content=deep,
            headers={**auth_headers(), "content-type": "application/json"},
        )
    assert answer.status_code == 200, answer.text
    assert upstream.requests[-1].endswith(b"\r\n\r\n" + deep)


def test_without_rules_the_body_is_not_touched(proxied: tuple[TestGateway, httpx.Client]) -> None:
    gateway, client = proxied
    body = b'{ "model" :"claude-sonnet-4-5",\n "messages": [ {"role":"user","content":"hi"} ] }'
    client.post(
        "/v1/messages", content=body, headers={**auth_headers(), "content-type": "application/json"}
    )
    assert gateway.messages()[0].body == body


# -- streaming -------------------------------------------------------------------------------------
def stream_arrivals(url: str, headers: dict[str, str]) -> list[float]:
    arrivals: list[float] = []
    with httpx.stream("POST", url, json=MESSAGE, headers=headers, timeout=30) as answer:
        start = time.monotonic()
        for chunk in answer.iter_raw():
            arrivals.extend(time.monotonic() - start for _ in range(chunk.count(b"\n\n")))
    return arrivals


def test_sse_events_arrive_as_they_are_sent(gateway: TestGateway) -> None:
    async def handler(request: Request, recorded: RecordedRequest) -> Response:
        async def events() -> AsyncIterator[bytes]:
            for i in range(12):
                yield sse("ping", {"type": "ping", "i": i})
                await asyncio.sleep(0.05)

        return StreamingResponse(events(), media_type="text/event-stream")

    gateway.handler = handler
    with running_proxy(gateway.url) as proxy:
        direct = stream_arrivals(gateway.url + "/v1/messages", {})
        through = stream_arrivals(proxy.base_url + "/v1/messages", auth_headers())
    assert len(direct) == len(through) == 12
    # Paced 50 ms apart: buffering anywhere would bunch them up; a generous 40 ms bound.
    assert max(abs(a - b) for a, b in zip(direct, through, strict=True)) < 0.04, (direct, through)


@pytest.mark.slow
def test_a_long_upstream_silence_does_not_cut_the_stream(gateway: TestGateway) -> None:
    async def handler(request: Request, recorded: RecordedRequest) -> Response:
        async def events() -> AsyncIterator[bytes]:
            yield sse("ping", {"type": "ping"})
            await asyncio.sleep(7)
            yield sse("message_stop", {"type": "message_stop"})

        return StreamingResponse(events(), media_type="text/event-stream")

    gateway.handler = handler
    with (
        running_proxy(gateway.url) as proxy,
        httpx.stream(
            "POST",
            proxy.base_url + "/v1/messages",
            json=MESSAGE,
            headers=auth_headers(),
            timeout=30,
        ) as answer,
    ):
        body = b"".join(answer.iter_raw())
    assert b"message_stop" in body and b"event: error" not in body


def endless_stream(upstream: RawUpstream) -> None:
    async def handler(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, up: RawUpstream
    ) -> None:
        if await read_request(reader) is None:
            return
        writer.write(SSE_CHUNKED_HEAD)
        try:
            while True:
                event = b"event: ping\ndata: {}\n\n"
                writer.write(b"%x\r\n%s\r\n" % (len(event), event))
                await writer.drain()
                await asyncio.sleep(0.05)
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            up.mark("upstream closed")

    upstream.handler = handler


def abort_after_first_event(port: int) -> float:
    sock = socket.create_connection(("127.0.0.1", port))
    body = json.dumps(MESSAGE).encode()
    sock.sendall(
        b"POST /v1/messages HTTP/1.1\r\nhost: 127.0.0.1:%d\r\nauthorization: Bearer %s\r\n"
        b"content-length: %d\r\n\r\n%s" % (port, TOKEN.encode(), len(body), body)
    )
    assert b"event: ping" in sock.recv(65536) or b"event: ping" in sock.recv(65536)
    sock.close()
    return time.monotonic()


def test_client_abort_cancels_the_upstream_at_once() -> None:
    with RawUpstream() as upstream, running_proxy(upstream.url) as proxy:
        endless_stream(upstream)
        aborted = abort_after_first_event(proxy.port)
        assert wait_until(lambda: upstream.when("upstream closed") is not None, 5)
        closed = upstream.when("upstream closed")
        assert closed is not None and closed - aborted < 1.0


def test_a_hundred_aborts_leave_no_connection_behind() -> None:
    with RawUpstream() as upstream, running_proxy(upstream.url) as proxy:
        endless_stream(upstream)
        for _ in range(100):
            abort_after_first_event(proxy.port)
        assert wait_until(lambda: upstream.active == 0, 5), upstream.active
        assert upstream.accepted == 100


# -- failures -------------------------------------------------------------------------------------
def error_of(answer: httpx.Response) -> str:
    data = answer.json()
    assert data["type"] == "error" and data["error"]["type"] == "api_error"
    return str(data["error"]["message"])


def test_upstream_refused_is_a_502_naming_it() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    url = f"http://127.0.0.1:{closed_port}"
    with running_proxy(url) as proxy:
        answer = httpx.post(proxy.base_url + "/v1/messages", json=MESSAGE, headers=auth_headers())
    assert answer.status_code == 502
    message = error_of(answer)
    assert url in message and "refused" in message


def test_tls_failure_is_a_502_saying_so() -> None:
    import trustme

    authority = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    with RawUpstream(ssl_context=context) as upstream, running_proxy(upstream.url) as proxy:
        answer = httpx.post(proxy.base_url + "/v1/messages", json=MESSAGE, headers=auth_headers())
    assert answer.status_code == 502
    message = error_of(answer)
    assert upstream.url in message and "TLS certificate not accepted" in message


def tls_upstream(tmp_path: Path, name: str) -> tuple[RawUpstream, str]:
    """A TLS upstream whose certificate for ``name`` comes from a private CA; the CA's PEM."""
    import trustme

    authority = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert(name).configure_cert(context)
    pem = tmp_path / "private-ca.pem"
    authority.cert_pem.write_to_path(str(pem))
    return RawUpstream(handler=answer_every_request, ssl_context=context), str(pem)


def test_a_private_ca_in_node_extra_ca_certs_is_trusted(tmp_path: Path) -> None:
    upstream, pem = tls_upstream(tmp_path, "127.0.0.1")
    with upstream, running_proxy(upstream.url, environ={"NODE_EXTRA_CA_CERTS": pem}) as proxy:
        answer = httpx.post(proxy.base_url + "/v1/messages", json=MESSAGE, headers=auth_headers())
    assert answer.status_code == 200, answer.text


def test_https_proxy_carries_the_upstream_leg_through_connect(tmp_path: Path) -> None:
    upstream, pem = tls_upstream(tmp_path, "gateway.test")
    with upstream, ForwardProxy() as forward:
        environ = {"HTTPS_PROXY": forward.url, "NODE_EXTRA_CA_CERTS": pem}
        url = f"https://gateway.test:{upstream.port}"
        with running_proxy(url, environ=environ) as proxy:
            for _ in range(2):
                answer = httpx.post(
                    proxy.base_url + "/v1/messages", json=MESSAGE, headers=auth_headers()
                )
                assert answer.status_code == 200, answer.text
    assert forward.targets == [f"gateway.test:{upstream.port}"]  # one tunnel, kept alive
    assert forward.proxy_auth == ["Basic dXNlcjpzZWNyZXQ="]  # user:secret from the URL
    assert len(upstream.requests) == 2 and KEY.encode() in upstream.requests[0]


def test_http_proxy_forwards_a_plain_http_upstream() -> None:
    with RawUpstream(handler=answer_every_request) as upstream, ForwardProxy() as forward:
        url = f"http://gateway.test:{upstream.port}"
        with running_proxy(url, environ={"HTTP_PROXY": forward.url}) as proxy:
            answer = httpx.post(
                proxy.base_url + "/v1/messages?beta=true", json=MESSAGE, headers=auth_headers()
            )
    assert answer.status_code == 200, answer.text
    assert forward.targets == [f"POST {url}/v1/messages?beta=true"]


def test_no_proxy_keeps_the_upstream_leg_direct() -> None:
    with RawUpstream(handler=answer_every_request) as upstream, ForwardProxy() as forward:
        environ = {"HTTP_PROXY": forward.url, "NO_PROXY": "gateway.test"}
        # localhost is never proxied; NO_PROXY naming another host changes nothing for it,
        # and the name NO_PROXY lists goes direct (checked without DNS in test_proxy_units).
        with running_proxy(f"http://localhost:{upstream.port}", environ=environ) as proxy:
            answer = httpx.post(
                proxy.base_url + "/v1/messages", json=MESSAGE, headers=auth_headers()
            )
    assert answer.status_code == 200, answer.text
    assert forward.targets == []


def test_reset_before_answer_is_a_502_without_retry() -> None:
    async def reset(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, up: RawUpstream
    ) -> None:
        await read_request(reader)
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        writer.transport.abort()

    with RawUpstream(handler=reset) as upstream, running_proxy(upstream.url) as proxy:
        answer = httpx.post(proxy.base_url + "/v1/messages", json=MESSAGE, headers=auth_headers())
    assert answer.status_code == 502
    assert "reset" in error_of(answer) or "without an answer" in error_of(answer)
    assert upstream.accepted == 1  # a fresh connection that failed is not retried


def test_keep_alive_race_is_retried_once_on_a_fresh_connection() -> None:
    """The upstream closes a kept-alive connection just as the proxy reuses it."""

    async def closes_second_request(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, up: RawUpstream
    ) -> None:
        served = 0
        while (request := await read_request(reader)) is not None:
            up.requests.append(request)
            if served == 1:
                return  # keep-alive timer fired: closed without an answer
            writer.write(response())
            await writer.drain()
            served += 1

    with (
        RawUpstream(handler=closes_second_request) as upstream,
        running_proxy(upstream.url) as proxy,
        httpx.Client(base_url=proxy.base_url, headers=auth_headers()) as client,
    ):
        assert client.post("/v1/messages", json=MESSAGE).status_code == 200
        assert client.post("/v1/messages", json=MESSAGE).status_code == 200
    assert upstream.accepted == 2
    assert len(upstream.requests) == 3


def test_upstream_errors_pass_through_unchanged(gateway: TestGateway) -> None:
    with (
        running_proxy(gateway.url) as proxy,
        httpx.Client(base_url=proxy.base_url, headers=auth_headers()) as client,
    ):
        for mode, status in (("500", 500), ("401", 401)):
            gateway.mode = mode
            answer = client.post("/v1/messages", json=MESSAGE)
            direct = httpx.post(gateway.url + "/v1/messages", json=MESSAGE)
            assert answer.status_code == status and answer.content == direct.content


def cut_after_one_event(chunked: bool) -> RawUpstream:
    async def handler(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, up: RawUpstream
    ) -> None:
        await read_request(reader)
        event = b"event: message_start\ndata: {}\n\n"
        if chunked:
            writer.write(SSE_CHUNKED_HEAD)
            writer.write(b"%x\r\n%s\r\n" % (len(event), event))
        else:
            writer.write(SSE_SIZED_HEAD + event)
        await writer.drain()
        await asyncio.sleep(0.1)

    return RawUpstream(handler=handler)


@pytest.mark.parametrize("chunked", [True, False])
def test_a_stream_cut_midway_ends_the_clients_stream(chunked: bool) -> None:
    with cut_after_one_event(chunked) as upstream, running_proxy(upstream.url) as proxy:
        started = time.monotonic()
        received = b""
        ended_cleanly = False
        try:
            with httpx.stream(
                "POST",
                proxy.base_url + "/v1/messages",
                json=MESSAGE,
                headers=auth_headers(),
                timeout=10,
            ) as answer:
                for chunk in answer.iter_raw():
                    received += chunk
            ended_cleanly = True
        except httpx.RemoteProtocolError:
            pass  # the client sees a cut: also an end, not a hang
        assert time.monotonic() - started < 5
    assert b"message_start" in received
    if chunked:
        assert ended_cleanly and b"event: error" in received and upstream.url.encode() in received
    else:
        assert not ended_cleanly


def test_accepted_connections_have_tcp_nodelay(gateway: TestGateway) -> None:
    """Issue 11 #3: without TCP_NODELAY every request after the first on a keep-alive connection
    waited for the client's delayed ACK (~40 ms) on the default install."""
    with running_proxy(gateway.url) as proxy, httpx.Client(base_url=proxy.base_url) as client:
        for _ in range(2):  # the second request reuses the connection
            assert client.post("/v1/messages", json=MESSAGE, headers=auth_headers()).is_success
        server = proxy._server
        assert server is not None
        sockets = [c.transport.get_extra_info("socket") for c in server.server_state.connections]
        assert sockets
        for sock in sockets:
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)


# -- one behaviour on every server and transport (issue 16 #9, #15) -----------------------------
def request_bytes(port: int, target: str, extra: str = "", body: bytes = b"") -> bytes:
    return (
        f"POST {target} HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\nauthorization: Bearer {TOKEN}\r\n"
        f"content-type: application/json\r\ncontent-length: {len(body)}\r\n{extra}\r\n"
    ).encode() + body


def test_expect_100_continue_is_answered_not_forwarded(gateway: TestGateway) -> None:
    body = json.dumps(MESSAGE).encode()
    with running_proxy(gateway.url) as proxy:
        raw = raw_exchange(
            proxy.port,
            request_bytes(proxy.port, "/v1/messages", "expect: 100-continue\r\n", body),
            timeout=10,
        )
    assert raw.rsplit(b"HTTP/1.1 ", 1)[1].startswith(b"200"), raw[:300]
    assert "expect" not in gateway.messages()[0].headers


@pytest.mark.parametrize(("size", "statuses"), [(20_000, {414}), (70_000, {400, 414})])
def test_a_long_query_is_a_clean_4xx(gateway: TestGateway, size: int, statuses: set[int]) -> None:
    """Over 16 KiB: the proxy's 414; a head past what the server reads (httptools: ~64 KiB) is
    the server's own 400. Never a 500 with a traceback (h11 with httpx's URL limit gave one)."""
    target = "/v1/messages?beta=true&x=" + "a" * size
    with running_proxy(gateway.url) as proxy:
        raw = raw_exchange(proxy.port, request_bytes(proxy.port, target), timeout=10)
    assert status_of(raw) in statuses, raw[:300]
    assert b"Traceback" not in raw and not gateway.requests


def test_two_host_headers_are_refused(gateway: TestGateway) -> None:
    with running_proxy(gateway.url) as proxy:
        extra = f"host: 127.0.0.1:{proxy.port}\r\n"
        raw = raw_exchange(proxy.port, request_bytes(proxy.port, "/v1/messages", extra))
    assert status_of(raw) == 400, raw[:300]
    assert not gateway.requests


@pytest.mark.parametrize("authority", ["127.0.0.1:{port}", "other.example"])
def test_absolute_form_targets_go_to_the_profiles_upstream_only(
    gateway: TestGateway, authority: str
) -> None:
    body = json.dumps(MESSAGE).encode()
    with running_proxy(gateway.url) as proxy:
        target = f"http://{authority.format(port=proxy.port)}/v1/messages?beta=true"
        raw = raw_exchange(proxy.port, request_bytes(proxy.port, target, body=body))
    assert status_of(raw) == 200, raw[:300]
    (seen,) = gateway.messages()
    assert seen.query == "beta=true"  # the profile's gateway, its fixed path, never "other"


def test_a_client_going_away_mid_stream_logs_no_traceback(
    gateway: TestGateway, caplog: pytest.LogCaptureFixture
) -> None:
    async def handler(request: Request, recorded: RecordedRequest) -> Response:
        async def events() -> AsyncIterator[bytes]:
            for i in range(200):
                yield sse("ping", {"type": "ping", "i": i})
                await asyncio.sleep(0.01)

        return StreamingResponse(events(), media_type="text/event-stream")

    gateway.handler = handler
    log = io.StringIO()
    with running_proxy(gateway.url, log=log) as proxy:
        for _ in range(3):
            with socket.create_connection(("127.0.0.1", proxy.port)) as sock:
                sock.sendall(request_bytes(proxy.port, "/v1/messages", body=b"{}"))
                assert sock.recv(100)  # the stream has started
        assert wait_until(lambda: log.getvalue().count("client went away") == 3)
    text = log.getvalue() + caplog.text
    assert "Traceback" not in text and "CancelledError" not in text, text


@pytest.mark.parametrize(
    "target", ["/v1/%1b[2J%0d%0a%E2%80%AEforged", "/v1/\x1b[2J\x1b]0;title\x07"]
)
def test_log_lines_escape_control_characters(target: str) -> None:
    log = io.StringIO()
    with running_proxy("http://127.0.0.1:9", log=log) as proxy:
        raw_exchange(proxy.port, request_bytes(proxy.port, target).replace(b"POST", b"GET", 1))
        wait_until(lambda: bool(log.getvalue()))
    text = log.getvalue()
    assert text.count("\n") <= 1 and "\x1b" not in text and "\u202e" not in text, repr(text)
    assert all(ch.isprintable() for ch in text.rstrip("\n")), repr(text)


# -- hooks (proxy/hooks.py) -----------------------------------------------------------------------
class Recorder:
    """A usage/capture-recorder-shaped hook: sees everything, changes nothing."""

    def __init__(self) -> None:
        self.prepared: list[Outbound] = []
        self.watched: list[tuple[int, Headers]] = []
        self.chunks: list[bytes] = []
        self.summaries: list[Summary] = []

    def prepare(self, request: Outbound) -> Outbound:
        self.prepared.append(request)
        return request

    def watch(self, request: Outbound, status: int, headers: Headers) -> Watch | None:
        self.watched.append((status, headers))
        recorder = self

        class Seen(Watch):
            def chunk(self, data: bytes) -> None:
                recorder.chunks.append(data)

            def done(self, summary: Summary) -> None:
                recorder.summaries.append(summary)

        return Seen()


def test_a_hook_sees_request_status_each_chunk_and_done(gateway: TestGateway) -> None:
    async def handler(request: Request, recorded: RecordedRequest) -> Response:
        async def events() -> AsyncIterator[bytes]:
            for i in range(3):
                yield sse("ping", {"type": "ping", "i": i})
                await asyncio.sleep(0.02)

        return StreamingResponse(events(), media_type="text/event-stream")

    gateway.handler = handler
    recorder = Recorder()
    with running_proxy(gateway.url, hooks=[recorder], model_map={"claude-*": "glm"}) as proxy:
        answer = httpx.post(
            proxy.base_url + "/v1/messages?beta=true", json=MESSAGE, headers=auth_headers()
        )
    (request,) = recorder.prepared
    assert (request.method, request.path, request.target) == (
        "POST",
        "/v1/messages",
        "/v1/messages?beta=true",
    )
    assert json.loads(request.body)["model"] == "glm"  # after the model map's own hook
    assert recorder.watched[0][0] == 200
    assert (b"content-type", b"text/event-stream; charset=utf-8") in recorder.watched[0][1]
    assert b"".join(recorder.chunks) == answer.content  # every byte, none buffered away
    (summary,) = recorder.summaries
    assert summary.status == 200 and not summary.cut
    assert summary.started <= (summary.first_byte or 0) <= summary.finished


def test_a_hook_is_told_when_the_answer_was_cut() -> None:
    recorder = Recorder()
    with cut_after_one_event(False) as upstream, running_proxy(upstream.url, [recorder]) as proxy:
        with contextlib.suppress(httpx.RemoteProtocolError):
            httpx.post(proxy.base_url + "/v1/messages", json=MESSAGE, headers=auth_headers())
        assert wait_until(lambda: bool(recorder.summaries))
    assert recorder.summaries[0].cut and "stream cut" in recorder.summaries[0].note
    assert b"message_start" in b"".join(recorder.chunks)


def test_proxy_logs_never_show_key_or_token(
    gateway: TestGateway, capfd: pytest.CaptureFixture[str]
) -> None:
    import sys

    from ccwrap.proxy.config import ProxyConfig
    from ccwrap.proxy.server import start_background

    config = ProxyConfig(upstream=gateway.url, key=KEY, token=TOKEN)
    with start_background(config, log_stream=sys.stderr) as proxy:
        httpx.post(proxy.base_url + "/v1/messages?beta=true", json=MESSAGE, headers=auth_headers())
        httpx.post(
            proxy.base_url + "/v1/messages", json=MESSAGE, headers={"authorization": "Bearer nope"}
        )
    err = capfd.readouterr().err
    assert "POST /v1/messages 200 ttfb" in err and "POST /v1/messages 401" in err
    assert KEY not in err and TOKEN not in err and "nope" not in err


def test_port_in_use_is_a_clear_error() -> None:
    from ccwrap.errors import ProxyError
    from ccwrap.proxy.server import bind

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(ProxyError, match="already in use"):
            bind(taken.getsockname()[1])


def test_socket_listens_before_the_server_is_up(gateway: TestGateway) -> None:
    """run --proxy starts claude at once: a connection made before uvicorn runs is served."""
    from ccwrap.proxy.config import ProxyConfig
    from ccwrap.proxy.server import start_background

    config = ProxyConfig(upstream=gateway.url, key=KEY, token=TOKEN)
    result: list[int] = []
    with start_background(config, wait=False) as proxy:
        thread = threading.Thread(
            target=lambda: result.append(
                httpx.post(
                    proxy.base_url + "/v1/messages", json=MESSAGE, headers=auth_headers()
                ).status_code
            )
        )
        thread.start()
        thread.join(20)
    assert result == [200]


def test_a_small_answer_cut_short_is_a_502() -> None:
    async def handler(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, up: RawUpstream
    ) -> None:
        await read_request(reader)
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 500\r\n\r\n{"
        )
        await writer.drain()

    with RawUpstream(handler=handler) as upstream, running_proxy(upstream.url) as proxy:
        answer = httpx.post(proxy.base_url + "/v1/messages", json=MESSAGE, headers=auth_headers())
    assert answer.status_code == 502
    assert upstream.url in error_of(answer)


def test_no_cookie_is_kept_between_requests(gateway: TestGateway) -> None:
    async def handler(request: Request, recorded: RecordedRequest) -> Response:
        answer = Response(b'{"ok":true}', media_type="application/json")
        answer.set_cookie("session", "from-upstream")
        return answer

    gateway.handler = handler
    with running_proxy(gateway.url) as proxy:
        for _ in range(2):
            answer = httpx.post(
                proxy.base_url + "/v1/messages", json=MESSAGE, headers=auth_headers()
            )
            assert "session=from-upstream" in answer.headers["set-cookie"]  # passed to the client
    assert all("cookie" not in r.headers for r in gateway.requests)


def test_an_upstream_closing_idle_connections_is_harmless() -> None:
    """The upstream's keep-alive timer closes each connection soon after answering."""

    async def answers_then_closes(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, up: RawUpstream
    ) -> None:
        if (request := await read_request(reader)) is not None:
            up.requests.append(request)
            writer.write(response())
            await writer.drain()
            await asyncio.sleep(0.05)  # idle timeout

    with (
        RawUpstream(handler=answers_then_closes) as upstream,
        running_proxy(upstream.url) as proxy,
        httpx.Client(base_url=proxy.base_url, headers=auth_headers()) as client,
    ):
        for _ in range(3):
            assert client.post("/v1/messages", json=MESSAGE).status_code == 200
            time.sleep(0.2)
    assert len(upstream.requests) == 3 and upstream.accepted == 3
