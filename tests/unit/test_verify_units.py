"""verify's pure parts: escaping, SSE reading, the schema check, model names, plan, history."""

from __future__ import annotations

import pytest

from ccwrap.context import Context
from ccwrap.errors import UsageError
from ccwrap.net import sse
from ccwrap.text import escape_control, escape_tree
from ccwrap.verify.checks import groups_for, parse_only
from ccwrap.verify.checks.answer import same_model
from ccwrap.verify.checks.conversation import schema_problems
from ccwrap.verify.model import CHECK_IDS, CheckResult, Run, check
from ccwrap.verify.plan import TOOL, Suite, budget, requests_for
from ccwrap.verify.target import DEFAULT_MODEL, Target


def test_escape_control_shows_what_would_move_the_cursor() -> None:
    assert escape_control("a\x1b[2Jb\x07c\x9bd\u202ee") == "a\\x1b[2Jb\\x07c\\x9bd\\u202ee"
    assert escape_control("two\nlines\ttab") == "two\\x0alines\\x09tab"
    assert escape_control("plain … ✓ 中文") == "plain … ✓ 中文"
    assert escape_tree({"k\x1b": ["\x1b[31m", 3]}) == {"k\\x1b": ["\\x1b[31m", 3]}


def test_sse_reader_joins_events_split_across_chunks() -> None:
    reader, acc = sse.Reader(), sse.Accumulator()
    stream = (
        b'event: message_start\r\ndata: {"type":"message_start","message":{"id":"msg_1",'
        b'"usage":{"input_tokens":3}}}\r\n\r\n'
        b"event: content_block_start\n"
        b'data: {"index":0,"content_block":{"type":"text","text":""}}\n\n'
        b"event: content_block_delta\n"
        b'data: {"index":0,"delta":{"type":"text_delta","text":"hi"}}\n\n'
        b": a comment\n\n"
        b"event: message_delta\n"
        b'data: {"delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":1}}\n\n'
        b"event: message_stop\ndata: {}\n\n"
    )
    for i in range(0, len(stream), 7):
        for event in reader.feed(stream[i : i + 7], 0.0):
            acc.add(event)
    message = acc.result()
    assert message["id"] == "msg_1" and message["stop_reason"] == "end_turn"
    assert sse.text_of(message) == "hi"
    assert message["usage"] == {"input_tokens": 3, "output_tokens": 1}
    assert acc.names == [
        "message_start",
        "content_block_start",
        "content_block_delta",
        "message_delta",
        "message_stop",
    ]


def test_sse_reader_survives_garbage() -> None:
    reader, acc = sse.Reader(), sse.Accumulator()
    for event in reader.feed(
        b"event: content_block_delta\ndata: [[[\n\nevent: \x00\ndata: 1\n\n", 0
    ):
        acc.add(event)
    events = reader.feed(b"x" * (sse.MAX_EVENT + 1), 0)
    assert [e.name for e in events] == ["oversized"] and reader.pending == b""
    assert acc.result()["content"] == []
    assert sse.loads(b"[" * 100_000) is None  # too deep: None, not RecursionError


def test_schema_problems() -> None:
    schema = TOOL["input_schema"]
    assert schema_problems({"order_number": 4711, "region": "eu"}, schema) == []
    assert schema_problems({"order_number": "4711", "region": "mars"}, schema) == [
        "order_number is str, not integer",
        "region 'mars' is not one of ['eu', 'us']",
    ]
    assert schema_problems({"order_number": True, "region": "eu"}, schema) == [
        "order_number is bool, not integer"
    ]
    assert schema_problems(None, schema) == ["input is NoneType, not an object"]


def test_same_model_accepts_dated_variants_and_the_mapped_name() -> None:
    assert same_model("claude-sonnet-4-5-20250929", "claude-sonnet-4-5")
    assert same_model("glm-4.6", "glm-4.6", "claude-sonnet-4-5")
    assert same_model("claude-sonnet-4-5", "glm-4.6", "claude-sonnet-4-5")
    assert not same_model("claude-3-5-haiku-20241022", "claude-sonnet-4-5")


def test_default_model_is_doctors() -> None:
    from ccwrap.doctor.probes import FALLBACK_MODEL

    assert DEFAULT_MODEL == FALLBACK_MODEL


def test_default_plan_stays_under_the_budget() -> None:
    suite = Suite("claude-sonnet-4-5")
    planned = [
        p for g in groups_for(CHECK_IDS) if g.name != "ids" for p in requests_for(g.name, suite)
    ]
    spend = budget(planned)
    assert spend.requests == 12
    assert spend.input_tokens < 20_000
    deep = Suite("claude-sonnet-4-5", deep=True, window=200_000)
    needle = requests_for("context", deep)[1]
    assert 150_000 < needle.input_bound < 400_000  # near the window, as planned


def test_fresh_nonce_per_run() -> None:
    assert Suite("m").prefix("read") != Suite("m").prefix("read")


def test_only_parsing() -> None:
    assert parse_only(None) == CHECK_IDS
    assert parse_only("cache.read, latency,cache.read") == ("cache.read", "latency")
    with pytest.raises(UsageError):
        parse_only("cache.reed")
    assert [g.name for g in groups_for(["id.format"])] == ["answer", "tools", "ids"]


def test_auth_none_sends_what_run_makes_claude_send() -> None:
    from ccwrap.launch.plan import NO_KEY_PLACEHOLDER

    target = Target("p", "http://127.0.0.1:1", "none", key=None)
    assert target.request_headers() == {"authorization": f"Bearer {NO_KEY_PLACEHOLDER}"}


def test_unknown_check_id_is_a_bug() -> None:
    with pytest.raises(ValueError, match="unknown check id"):
        CheckResult("model.server", "pass")


def test_history_ignores_timings_but_not_the_served_model() -> None:
    from ccwrap.ledger.database import open_ledger
    from ccwrap.verify.history import history, mark_changes, save

    conn = open_ledger(Context.from_os().paths)

    def run(at: str, served: str, ttft: int) -> Run:
        result = Run("work", "http://x", "m", {}, at)
        result.checks = [
            check("model.served", "pass", "d", served=[served]),
            check("latency", "pass", "d", ttft_p50_ms=ttft),
        ]
        return result

    save(conn, mark_changes(conn, run("2026-12-01T10:00:00.000000+00:00", "m", 100)))
    later = mark_changes(conn, run("2026-12-02T10:00:00.000000+00:00", "m-2", 900))
    flagged = {c.id: c.changed_since for c in later.checks}
    assert flagged == {"model.served": "2026-12-01 10:00 UTC", "latency": None}
    save(conn, later)
    runs = history(conn, None).runs
    assert [r.id for r in runs] == [2, 1]
    served = next(c for c in runs[0].checks if c.id == "model.served")
    assert served.changed_since == "2026-12-01 10:00 UTC"
    assert "changed since 2026-12-01 10:00 UTC" in served.to_json()["detail"]


def test_decoder_bounds_its_output_and_refuses_unasked_encodings() -> None:
    import gzip

    from ccwrap.verify.exchange import Decoder, UnreadableEncoding

    bomb = gzip.compress(b"\0" * 1_000_000)
    assert len(Decoder("gzip").feed(bomb, 1000)) == 1000
    assert Decoder("").feed(b"as is", 1) == b"as is"
    with pytest.raises(UnreadableEncoding):
        Decoder("br")
