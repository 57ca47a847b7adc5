"""Ledger rows from real loopback traffic through the proxy match what the gateway reported,
number for number: streamed and not, cut streams, errors, an unreachable gateway, a model map."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from ccwrap.context import Context
from ccwrap.ledger.database import open_ledger
from ccwrap.ledger.recorder import LedgerWriter
from ccwrap.proxy.ledger_hook import LedgerHook
from tests.support.gateway import RecordedRequest, TestGateway, sse
from tests.support.proxy_support import RawUpstream, auth_headers, read_request, running_proxy

SESSION = {"x-claude-code-session-id": "sess-1", "x-claude-code-agent-id": "agent-1"}


def usage_for(n: int) -> dict[str, Any]:
    return {
        "input_tokens": 3 + n,
        "cache_read_input_tokens": 1000 * n,
        "cache_creation_input_tokens": 300 + n,
        "cache_creation": {"ephemeral_5m_input_tokens": 100 + n, "ephemeral_1h_input_tokens": 200},
        "output_tokens": 1,
    }


async def events(model: str, n: int) -> AsyncIterator[bytes]:
    start = {"id": f"msg_{n}", "type": "message", "model": model, "usage": usage_for(n)}
    yield sse("message_start", {"type": "message_start", "message": start})
    for _ in range(20):
        delta = {"type": "text_delta", "text": "x" * 50}
        yield sse(
            "content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta}
        )
        await asyncio.sleep(0)
    yield sse(
        "message_delta", {"type": "message_delta", "delta": {}, "usage": {"output_tokens": 40 + n}}
    )
    yield sse("message_stop", {"type": "message_stop"})


@pytest.fixture
def writer() -> Iterator[LedgerWriter]:
    writer = LedgerWriter(Context.from_os().paths)
    yield writer
    writer.close()


def hook(writer: LedgerWriter, rules: dict[str, str] | None = None) -> LedgerHook:
    return LedgerHook(writer, profile="work", model_map=rules)


def rows(writer: LedgerWriter) -> list[dict[str, Any]]:
    writer.close()
    conn = open_ledger(Context.from_os().paths)
    return [dict(r) for r in conn.execute("SELECT * FROM proxy_requests ORDER BY id")]


def post(proxy: Any, body: dict[str, Any], **headers: str) -> httpx.Response:
    return httpx.post(
        proxy.base_url + "/v1/messages?beta=true",
        json=body,
        headers={**auth_headers(), **headers},
        timeout=10,
    )


def test_streamed_and_json_answers_match_the_gateway(
    gateway: TestGateway, writer: LedgerWriter
) -> None:
    async def handler(request: Request, recorded: RecordedRequest) -> Response:
        body = recorded.json
        n = int(body["metadata"]["n"])
        served = body["model"] + "-served"
        if body.get("stream"):
            return StreamingResponse(events(served, n), media_type="text/event-stream")
        answer = {"id": "msg", "type": "message", "model": served, "content": [],
                  "usage": {**usage_for(n), "output_tokens": 40 + n}}  # fmt: skip
        return JSONResponse(answer)

    gateway.handler = handler
    with running_proxy(gateway.url, hooks=[hook(writer)], profile="work") as proxy:
        for n in range(6):
            body = {
                "model": "claude-x",
                "max_tokens": 8,
                "stream": n % 2 == 0,
                "metadata": {"n": n},
                "messages": [{"role": "user", "content": "hi"}],
            }
            assert post(proxy, body, **SESSION).status_code == 200
    found = rows(writer)
    assert len(found) == 6
    for n, row in enumerate(found):
        reported = usage_for(n)
        assert row["input_tokens"] == reported["input_tokens"]
        assert row["output_tokens"] == 40 + n
        assert row["cache_read_input_tokens"] == reported["cache_read_input_tokens"]
        assert row["cache_creation_input_tokens"] == reported["cache_creation_input_tokens"]
        assert row["cache_creation_5m_input_tokens"] == 100 + n
        assert row["cache_creation_1h_input_tokens"] == 200
        assert (row["model_requested"], row["model_served"]) == ("claude-x", "claude-x-served")
        assert (row["status"], row["error_type"], row["complete"]) == (200, None, 1)
        assert (row["session_id"], row["agent_id"], row["profile"]) == ("sess-1", "agent-1", "work")
        assert row["route"] == "POST /v1/messages"
        assert row["ttfb_ms"] is not None and row["duration_ms"] >= row["ttfb_ms"]


def test_errors_and_the_model_map(gateway: TestGateway, writer: LedgerWriter) -> None:
    async def handler(request: Request, recorded: RecordedRequest) -> Response:
        error = {"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}}
        return JSONResponse(error, status_code=429)

    gateway.handler = handler
    rules = {"claude-haiku-4-5": "glm-air"}
    with running_proxy(
        gateway.url, hooks=[hook(writer, rules)], profile="work", model_map=rules
    ) as proxy:
        body = {"model": "claude-haiku-4-5", "max_tokens": 8, "messages": []}
        assert post(proxy, body).status_code == 429
    [row] = rows(writer)
    assert (row["status"], row["error_type"]) == (429, "rate_limit_error")
    assert (row["model_requested"], row["model_mapped"]) == ("claude-haiku-4-5", "glm-air")
    assert row["input_tokens"] is None  # never reported: not a guessed zero


def test_a_cut_stream_keeps_what_was_reported(writer: LedgerWriter) -> None:
    start = {"type": "message_start",
             "message": {"id": "m", "model": "gw-m", "usage": usage_for(2)}}  # fmt: skip

    async def cut(
        reader: asyncio.StreamReader, writer_: asyncio.StreamWriter, up: RawUpstream
    ) -> None:
        await read_request(reader)
        writer_.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
                      b"transfer-encoding: chunked\r\n\r\n")  # fmt: skip
        event = sse("message_start", start)
        writer_.write(f"{len(event):x}\r\n".encode() + event + b"\r\n")
        await writer_.drain()
        writer_.close()

    body = {"model": "m", "stream": True, "messages": []}
    with (
        RawUpstream(handler=cut) as upstream,
        running_proxy(upstream.url, hooks=[hook(writer)], profile="work") as proxy,
        httpx.stream(
            "POST", proxy.base_url + "/v1/messages", headers=auth_headers(), json=body
        ) as answer,
    ):
        text = b"".join(answer.iter_raw())
    assert b"message_start" in text
    [row] = rows(writer)
    assert row["input_tokens"] == usage_for(2)["input_tokens"]
    assert row["cache_read_input_tokens"] == 2000
    assert row["output_tokens"] == 1  # message_start's count: the delta never came
    assert (row["complete"], row["error_type"], row["model_served"]) == (0, "stream_cut", "gw-m")


def test_an_unreachable_gateway_is_recorded(writer: LedgerWriter) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there
    with running_proxy(f"http://127.0.0.1:{port}", hooks=[hook(writer)], profile="work") as proxy:
        answer = post(proxy, {"model": "claude-x", "messages": []}, **SESSION)
    assert answer.status_code >= 500
    [row] = rows(writer)
    assert (row["status"], row["error_type"], row["session_id"]) == (
        answer.status_code,  # the proxy's own 502: what the client got
        "upstream_unreachable",
        "sess-1",
    )
    assert row["model_requested"] == "claude-x"


def test_the_proxys_own_refusals_are_not_recorded(
    gateway: TestGateway, writer: LedgerWriter
) -> None:
    with running_proxy(gateway.url, hooks=[hook(writer)], profile="work") as proxy:
        wrong = httpx.post(proxy.base_url + "/v1/messages", json={}, headers=auth_headers("nope"))
        assert wrong.status_code == 401
        assert httpx.get(proxy.base_url + "/v1/other", headers=auth_headers()).status_code == 404
        counted = httpx.post(
            proxy.base_url + "/v1/messages/count_tokens",
            headers=auth_headers(),
            json={"model": "claude-x", "messages": []},
        )
        assert counted.status_code == 200
    assert [r["route"] for r in rows(writer)] == ["POST /v1/messages/count_tokens"]


def test_concurrent_proxies_on_one_ledger_lose_nothing(gateway: TestGateway) -> None:
    writers = [LedgerWriter(Context.from_os().paths) for _ in range(3)]
    body = {"model": "claude-x", "max_tokens": 8, "stream": True, "messages": []}
    with contextlib.ExitStack() as stack:
        proxies = [stack.enter_context(running_proxy(gateway.url, hooks=[hook(w)], profile=f"p{i}"))
                   for i, w in enumerate(writers)]  # fmt: skip

        def hammer(proxy: Any) -> None:
            with httpx.Client(timeout=10) as client:
                for _ in range(40):
                    answer = client.post(
                        proxy.base_url + "/v1/messages", json=body, headers=auth_headers()
                    )
                    assert answer.status_code == 200

        threads = [threading.Thread(target=hammer, args=(p,)) for p in proxies]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    for writer in writers:
        writer.close()
    conn = open_ledger(Context.from_os().paths)
    counts = dict(conn.execute("SELECT profile, count(*) FROM proxy_requests GROUP BY profile"))
    assert counts == {"p0": 40, "p1": 40, "p2": 40}
    assert conn.execute("SELECT sum(input_tokens) FROM proxy_requests").fetchone()[0] == 120 * 12
