"""Pure pieces of doctor: URL form, base-URL variants, stream timing, the report's JSON."""

from __future__ import annotations

import pytest

from ccwrap.doctor import local
from ccwrap.doctor.live import Stream, error_event, stream_check
from ccwrap.doctor.model import Check, Finding, Report
from ccwrap.doctor.probes import path_variants
from ccwrap.doctor.runner import merge


def statuses(url: str) -> dict[str, str]:
    return {check.id: check.status for check in local.url_checks(url)}


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://api.aiohub.org",
            {"url.scheme": "ok", "url.v1-suffix": "ok", "url.insecure": "ok"},
        ),
        ("127.0.0.1:8080", {"url.scheme": "fail", "url.v1-suffix": "skip", "url.insecure": "skip"}),
        (
            "ftp://gw.example.test",
            {"url.scheme": "fail", "url.v1-suffix": "skip", "url.insecure": "skip"},
        ),
        (
            "https://gw.example.test/v1",
            {"url.scheme": "ok", "url.v1-suffix": "fail", "url.insecure": "ok"},
        ),
        (
            "https://gw.example.test/v1/",
            {"url.scheme": "ok", "url.v1-suffix": "fail", "url.insecure": "ok"},
        ),
        (
            "https://gw.example.test/v1/messages",
            {"url.scheme": "ok", "url.v1-suffix": "fail", "url.insecure": "ok"},
        ),
        (
            "https://gw.example.test/v1/chat/completions",
            {"url.scheme": "ok", "url.v1-suffix": "fail", "url.insecure": "ok"},
        ),
        # a /v1 inside the path is right (docs/gateways.md: Cloudflare, Merge)
        (
            "https://gateway.ai.cloudflare.com/v1/acc/gw/anthropic",
            {"url.scheme": "ok", "url.v1-suffix": "ok", "url.insecure": "ok"},
        ),
        (
            "https://api-gateway.merge.dev/v1/anthropic",
            {"url.scheme": "ok", "url.v1-suffix": "ok", "url.insecure": "ok"},
        ),
        (
            "http://localhost:4000",
            {"url.scheme": "ok", "url.v1-suffix": "ok", "url.insecure": "ok"},
        ),
        ("http://[::1]:4000", {"url.scheme": "ok", "url.v1-suffix": "ok", "url.insecure": "ok"}),
        (
            "http://127.0.0.2:4000",
            {"url.scheme": "ok", "url.v1-suffix": "ok", "url.insecure": "ok"},
        ),
        (
            "http://10.0.0.5:4000",
            {"url.scheme": "ok", "url.v1-suffix": "ok", "url.insecure": "warn"},
        ),
        (
            "http://gw.example.test",
            {"url.scheme": "ok", "url.v1-suffix": "ok", "url.insecure": "warn"},
        ),
    ],
)
def test_url_checks(url: str, expected: dict[str, str]) -> None:
    assert statuses(url) == expected


def test_v1_fix_names_the_url_without_the_suffix() -> None:
    check = {c.id: c for c in local.url_checks("https://gw.example.test/api/v1/messages/")}
    assert check["url.v1-suffix"].fix == "use https://gw.example.test/api"


def test_path_variants() -> None:
    assert path_variants("https://gw.example.test/v1") == [
        "https://gw.example.test",
        "https://gw.example.test/v1/anthropic",
        "https://gw.example.test/anthropic",
        "https://gw.example.test/api/anthropic",
        "https://gw.example.test/api",
    ]
    assert "https://gw.example.test" in path_variants("https://gw.example.test/anthropic")
    assert "https://gw.example.test/anthropic" not in path_variants(
        "https://gw.example.test/anthropic"
    )


def stream(times: list[float], events: int = 6, kind: str = "text/event-stream") -> Stream:
    return Stream(200, {"content-type": kind}, chunks=times, events=events)


@pytest.mark.parametrize(
    ("times", "kind", "status"),
    [
        ([0.30], "text/event-stream", "warn"),  # held, then one piece
        ([0.300, 0.301, 0.302], "text/event-stream", "warn"),  # held, then one burst
        ([0.30, 0.35, 0.40, 0.45], "text/event-stream", "ok"),  # events spread out
        ([0.001, 0.0012], "text/event-stream", "ok"),  # too fast to tell: not blamed
        ([0.1], "application/json", "fail"),  # not a stream at all
    ],
)
def test_stream_check(times: list[float], kind: str, status: str) -> None:
    assert stream_check(stream(times, kind=kind)).status == status


def test_error_event() -> None:
    body = b'event: message_start\ndata: {}\n\nevent: error\ndata: {"type": "error"}\n\n'
    assert error_event(body) == b'{"type": "error"}'
    assert error_event(b"event: message_stop\ndata: {}\n\n") is None


def test_unknown_finding_id_is_a_bug() -> None:
    with pytest.raises(ValueError, match="unknown finding id"):
        Finding("net.nope")


def test_merge_keeps_the_worst_row_per_id_in_table_order() -> None:
    rows = [
        Check.of("model.unavailable", "ok"),
        Check.of("url.scheme", "ok"),
        Check.of("model.unavailable", "fail", "gone"),
        Check.of("model.unavailable", "skip"),
    ]
    report = merge(Report("p", "https://x", rows)).ordered()
    assert [(c.id, c.status) for c in report.checks] == [
        ("url.scheme", "ok"),
        ("model.unavailable", "fail"),
    ]
    assert report.to_json()["ok"] is False
