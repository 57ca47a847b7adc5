"""Usage read from answers as they pass (any chunking, garbage, cuts, gzip), and the writer."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from ccwrap.context import Paths
from ccwrap.ledger.database import open_ledger
from ccwrap.ledger.recorder import LedgerWriter, Observation
from ccwrap.ledger.retention import enforce_cap, prune_before, used_bytes
from ccwrap.ledger.schema import MIGRATIONS
from ccwrap.ledger.usage import LINE_CAP, ResponseTap, Usage, requested_model

START_USAGE = {
    "input_tokens": 7,
    "cache_read_input_tokens": 1200,
    "cache_creation_input_tokens": 300,
    "cache_creation": {"ephemeral_5m_input_tokens": 100, "ephemeral_1h_input_tokens": 200},
    "output_tokens": 1,
}


def sse(data: dict[str, object]) -> bytes:
    return f"event: {data['type']}\ndata: {json.dumps(data)}\n\n".encode()


def stream(*, served: str = "claude-served-1", text: str = "hello") -> bytes:
    return b"".join(
        [
            sse(
                {
                    "type": "message_start",
                    "message": {"id": "msg_1", "model": served, "usage": START_USAGE},
                }
            ),
            sse({"type": "content_block_start", "index": 0, "content_block": {"type": "text"}}),
            sse(
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "text_delta", "text": text},
                }
            ),
            sse({"type": "message_delta", "delta": {}, "usage": {"output_tokens": 42}}),
            sse({"type": "message_stop"}),
        ]
    )


EXPECTED = Usage(7, 42, 1200, 300, 100, 200)


def tap_of(data: bytes, size: int, **kw: object) -> ResponseTap:
    tap = ResponseTap(sse=True, **kw)  # type: ignore[arg-type]
    for at in range(0, len(data), size):
        tap.feed(data[at : at + size])
    tap.finish()
    return tap


@pytest.mark.parametrize("size", [1, 2, 7, 64, 100_000])
def test_sse_usage_under_any_chunking(size: int) -> None:
    tap = tap_of(stream(), size)
    assert tap.usage == EXPECTED
    assert tap.model == "claude-served-1"
    assert tap.complete


def test_answer_text_naming_the_events_is_not_usage() -> None:
    text = 'pretend "type":"message_delta","usage":{"output_tokens":999} and "error"'
    tap = tap_of(stream(text=text), 13)
    assert tap.usage == EXPECTED
    assert tap.error_type is None


def test_garbage_overlong_lines_and_a_cut_keep_what_was_known() -> None:
    data = (
        b"data: {not json\n\n"
        + b"data: "
        + b"x" * (LINE_CAP + 10)
        + b"\n\n"
        + b'data: {"type": "message_start", "message": 5}\n\n'
        + stream()[:-60]  # cut inside message_delta
    )
    tap = tap_of(data, 4096)
    assert tap.usage.input_tokens == 7
    assert tap.usage.output_tokens == 1  # message_start's count: the delta never arrived
    assert not tap.complete


def test_counts_of_the_wrong_type_are_ignored() -> None:
    usage = Usage()
    usage.merge({"input_tokens": "7", "output_tokens": True, "cache_read_input_tokens": -1})
    usage.merge([1, 2])
    assert not usage.known


def test_mid_stream_error_event_and_gzip() -> None:
    data = stream().split(b"\n\n")[0] + b"\n\n"  # message_start only
    data += sse({"type": "error", "error": {"type": "overloaded_error", "message": "busy"}})
    tap = tap_of(gzip.compress(data), 10, encoding="gzip")
    assert tap.error_type == "overloaded_error"
    assert tap.usage.input_tokens == 7
    unknown = tap_of(data, 10, encoding="br")
    assert not unknown.usage.known


def test_json_answers_small_and_large() -> None:
    answer = {
        "id": "msg_2",
        "model": "served-j",
        "content": [{"type": "text", "text": "y" * 2_000_000}],
        "usage": {**START_USAGE, "output_tokens": 5},
    }
    for body in (json.dumps({**answer, "content": []}).encode(), json.dumps(answer).encode()):
        tap = ResponseTap(sse=False)
        for at in range(0, len(body), 65536):
            tap.feed(body[at : at + 65536])
        tap.finish()
        assert tap.model == "served-j"
        assert tap.usage == Usage(7, 5, 1200, 300, 100, 200)
    error = ResponseTap(sse=False)
    error.feed(b'{"type":"error","error":{"type":"rate_limit_error","message":"slow"}}')
    error.finish()
    assert error.error_type == "rate_limit_error"


def test_requested_model_is_the_structural_key() -> None:
    body = json.dumps(
        {"messages": [{"role": "user", "content": 'say "model": "fake"'}], "model": "claude-x"}
    ).encode()
    assert requested_model(body) == "claude-x"
    assert requested_model(b"not json") is None


def paths_in(tmp_path: Path) -> Paths:
    return Paths(config_dir=tmp_path / "c", state_dir=tmp_path / "state")


def test_an_observation_becomes_one_row(tmp_path: Path) -> None:
    writer = LedgerWriter(paths_in(tmp_path))
    seen = Observation.begin(
        writer,
        profile="work",
        route="POST /v1/messages",
        headers=[(b"x-claude-code-session-id", b"s-1"), (b"x-claude-code-agent-id", b"a\x1b[2J")],
        wall=1000.0,
    )
    seen.models(requested_model(b'{"model":"claude-a"}'), "gw-a")
    seen.response([(b"content-type", b"text/event-stream")])
    seen.chunk(stream())
    seen.finish(status=200, ttfb_ms=250.0, duration_ms=1000.0)
    seen.finish(status=500, ttfb_ms=None, duration_ms=None)  # once only
    cut = Observation.begin(writer, profile="work", route="r", headers=[], wall=1001.0)
    cut.response([(b"content-type", b"text/event-stream")])
    cut.chunk(stream()[:-100])
    cut.finish(status=200, ttfb_ms=1.0, duration_ms=2.0, cut=True, error_type="stream_cut")
    failed = Observation.begin(writer, profile="work", route="r", headers=[], wall=1002.0)
    failed.finish(status=None, ttfb_ms=None, duration_ms=3.0, error_type="upstream_unreachable")
    writer.close()
    conn = open_ledger(paths_in(tmp_path))
    rows = [dict(r) for r in conn.execute("SELECT * FROM proxy_requests ORDER BY time")]
    assert len(rows) == 3
    row = rows[0]
    assert row["session_id"] == "s-1"
    assert row["agent_id"] == "a\\x1b[2J"  # escaped before it is stored
    assert (row["model_requested"], row["model_mapped"], row["model_served"]) == (
        "claude-a",
        "gw-a",
        "claude-served-1",
    )
    assert (row["status"], row["ttfb_ms"], row["duration_ms"]) == (200, 250.0, 1000.0)
    assert (row["input_tokens"], row["output_tokens"], row["complete"]) == (7, 42, 1)
    assert row["cache_creation_1h_input_tokens"] == 200
    assert (rows[1]["error_type"], rows[1]["complete"], rows[1]["input_tokens"]) == (
        "stream_cut",
        0,
        7,
    )
    assert (rows[2]["status"], rows[2]["error_type"], rows[2]["input_tokens"]) == (
        None,
        "upstream_unreachable",
        None,
    )


def test_prune_and_the_size_cap_drop_the_oldest(tmp_path: Path) -> None:
    conn = open_ledger(paths_in(tmp_path), migrations=MIGRATIONS)
    conn.executemany(
        "INSERT INTO proxy_requests (time, profile, route, model_served) VALUES (?, 'p', 'r', ?)",
        [(float(n), "m" * 200) for n in range(5000)],
    )
    assert prune_before(conn, 1000.0)["proxy_requests"] == 1000
    cap = used_bytes(conn) // 2
    assert enforce_cap(conn, cap) > 0
    assert used_bytes(conn) <= cap
    oldest = conn.execute("SELECT min(time), max(time) FROM proxy_requests").fetchone()
    assert oldest[0] > 1000.0
    assert oldest[1] == 4999.0
