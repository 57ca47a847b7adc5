"""Transcripts read incrementally and attributed to launches; grouping, prices, callouts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ccwrap.context import Paths
from ccwrap.ledger.database import open_ledger
from ccwrap.ledger.launches import Launch, finish_launch, record_launch, session_flag
from ccwrap.ledger.prices import Prices
from ccwrap.ledger.stats import UNATTRIBUTED, summarize, usage_rows
from ccwrap.ledger.transcripts import LINE_LIMIT, ingest, transcript_files

T0 = 1_760_000_000.0  # a fixed instant; every time below is relative to it


def iso(t: float) -> str:
    from datetime import datetime, timezone

    return datetime.fromtimestamp(t, timezone.utc).isoformat().replace("+00:00", "Z")


def assistant(session: str, message: str, t: float, cwd: str, **usage: int) -> str:
    return json.dumps(
        {
            "type": "assistant",
            "sessionId": session,
            "cwd": cwd,
            "timestamp": iso(t),
            "requestId": "req_" + message,
            "message": {
                "id": message,
                "model": "claude-t",
                "role": "assistant",
                "content": [{"type": "text", "text": "SECRET ANSWER TEXT"}],
                "usage": usage,
            },
        }
    )


def write_transcript(config: Path, folder: str, session: str, lines: list[str]) -> Path:
    path = config / "projects" / folder.strip("/").replace("/", "-") / f"{session}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write("".join(line + "\n" for line in lines))
    return path


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    return Paths(config_dir=tmp_path / "cfg", state_dir=tmp_path / "state")


def test_transcripts_are_read_incrementally_tolerating_garbage(
    tmp_path: Path, paths: Paths
) -> None:
    config = tmp_path / "claude"
    path = write_transcript(
        config,
        "/w/a",
        "s1",
        [
            json.dumps({"type": "user", "message": {"content": "SECRET PROMPT"}}),
            "{not json at all",
            json.dumps({"type": "something-new", "usage": {"input_tokens": 5}}),
            assistant("s1", "m1", T0 + 10, "/w/a", input_tokens=3, output_tokens=1),
            # the same message again (one line per content block): the last one counts
            assistant("s1", "m1", T0 + 11, "/w/a", input_tokens=3, output_tokens=9),
            "x" * 100,
        ],
    )
    conn = open_ledger(paths)
    files = transcript_files(config)
    assert files == [path]
    assert ingest(conn, files) == 2
    assert ingest(conn, files) == 0  # nothing new: nothing read
    with path.open("a") as handle:  # an unfinished line is left for the next read
        handle.write(assistant("s1", "m2", T0 + 20, "/w/a", input_tokens=4, output_tokens=2)[:40])
    assert ingest(conn, files) == 0
    with path.open("a") as handle:
        handle.write(
            assistant("s1", "m2", T0 + 20, "/w/a", input_tokens=4, output_tokens=2)[40:] + "\n"
        )
    assert ingest(conn, files) == 1
    rows = conn.execute(
        "SELECT message_id, input_tokens, output_tokens FROM transcript_usage ORDER BY time"
    ).fetchall()
    assert [tuple(r) for r in rows] == [("m1", 3, 9), ("m2", 4, 2)]
    dump = b"".join(str(tuple(r)).encode() for r in conn.execute("SELECT * FROM transcript_usage"))
    assert b"SECRET" not in dump


def test_a_replaced_file_is_read_again_and_overlong_lines_skipped(
    tmp_path: Path, paths: Paths
) -> None:
    config = tmp_path / "claude"
    path = write_transcript(
        config,
        "/w/a",
        "s1",
        ["z" * (LINE_LIMIT + 5), assistant("s1", "m1", T0, "/w/a", input_tokens=1)],
    )
    conn = open_ledger(paths)
    assert ingest(conn, [path]) == 1
    path.write_text(assistant("s1", "m9", T0, "/w/a", input_tokens=7) + "\n")
    assert ingest(conn, [path]) == 1
    assert {r[0] for r in conn.execute("SELECT message_id FROM transcript_usage")} == {"m1", "m9"}


def test_attribution_by_folder_and_time_window(tmp_path: Path, paths: Paths) -> None:
    config = tmp_path / "claude"
    conn = open_ledger(paths)

    def launch(profile: str, cwd: str, at: float, session: str | None = None) -> int | None:
        return record_launch(
            paths,
            Launch(profile, Path(cwd), config, supervised=True, proxied=False, session_id=session),
            now=at,
        )

    first = launch("work", "/w/a", T0)
    finish_launch(paths, first, 0, now=T0 + 100)
    launch("home", "/w/a", T0 + 200)  # exec'd: no end known
    launch("exact", "/elsewhere", T0 + 250, session="s-exact")
    for session, folder, at in [
        ("s1", "/w/a", 10),
        ("s2", "/w/a", 150),
        ("s3", "/w/a", 300),
        ("s4", "/w/b", 300),
        ("s-exact", "/w/a", 260),
    ]:
        line = assistant(session, "m-" + session, T0 + at, folder, input_tokens=1)
        write_transcript(config, folder, session, [line])
    ingest(conn, transcript_files(config))
    rows = usage_rows(conn, since=T0 - 10, until=T0 + 1000)
    owner = {r["session_id"]: r["profile"] for r in rows}
    assert owner == {
        "s1": "work",
        "s2": UNATTRIBUTED,  # after work's launch ended, before home's began
        "s3": "home",
        "s4": UNATTRIBUTED,  # another folder
        "s-exact": "exact",
    }


def test_a_session_the_proxy_saw_counts_once(paths: Paths, tmp_path: Path) -> None:
    conn = open_ledger(paths)
    conn.execute(
        "INSERT INTO proxy_requests (time, profile, route, session_id, input_tokens)"
        " VALUES (?, 'p', 'POST /v1/messages', 's1', 10)",
        (T0,),
    )
    config = tmp_path / "claude"
    write_transcript(config, "/w", "s1", [assistant("s1", "m1", T0, "/w", input_tokens=10)])
    ingest(conn, transcript_files(config))
    rows = usage_rows(conn, since=T0 - 1, until=T0 + 1)
    assert [(r["source"], r["input_tokens"]) for r in rows] == [("proxy", 10)]


def row(**kw: object) -> dict[str, object]:
    base: dict[str, object] = {
        "time": T0,
        "profile": "p",
        "source": "proxy",
        "input_tokens": 0,
        "output_tokens": 0,
        "cache_read_input_tokens": 0,
        "cache_creation_input_tokens": 0,
    }
    return {**base, **kw}


def test_summary_prices_hit_rate_and_callouts() -> None:
    prices = Prices(input=2.0, output=10.0, cache_write_5m=2.5, cache_write_1h=4.0, cache_read=0.2)
    rows = [
        row(
            input_tokens=1_000_000,
            output_tokens=100_000,
            cache_read_input_tokens=1_000_000,
            cache_creation_input_tokens=2_000_000,
            cache_creation_1h_input_tokens=1_000_000,
            ttfb_ms=100.0,
            model_mapped="gw-big",
            model_served="gw-small",
        ),
        row(error_type="overloaded_error", status=529, ttfb_ms=5.0),
        row(profile="free", input_tokens=10, model_mapped="m", model_served="m-20250101"),
    ]
    previous = [row(input_tokens=10, cache_read_input_tokens=90)]
    summary = summarize(rows, by="profile", prices={"p": prices, "free": None}, previous=previous)
    p = next(g for g in summary.groups if g.key == "p")
    # 2 + 1 + 0.2 + 2.5 (5m) + 4 (1h)
    assert p.cost == pytest.approx(9.7)
    assert p.errors_by_kind == {"overloaded_error": 1}
    assert p.ttfb(0.5) == 100.0  # errors' TTFB are not the gateway's answer time
    assert summary.total.cache_hit_rate == pytest.approx(1_000_000 / 4_000_010)
    free = next(g for g in summary.groups if g.key == "free")
    assert free.cost is None
    assert summary.total.to_json()["cost"] == pytest.approx(9.7)
    assert any("collapsed" in note for note in summary.callouts)
    assert any("asked for gw-big" in note for note in summary.callouts)
    assert not any("m-20250101" in note for note in summary.callouts)  # a dated variant


def test_session_flag() -> None:
    assert session_flag(["--session-id", "abc"]) == "abc"
    assert session_flag(["--session-id=abc"]) == "abc"
    assert session_flag(["-p", "hi"]) is None


def test_costs_in_two_currencies_do_not_add_up() -> None:
    usd = Prices(input=1.0, currency="USD")
    cny = Prices(input=1.0, currency="CNY")
    rows = [row(input_tokens=1_000_000), row(profile="cn", input_tokens=1_000_000)]
    summary = summarize(rows, by="profile", prices={"p": usd, "cn": cny})
    assert [g.to_json()["cost"] for g in summary.groups] == [1.0, 1.0]
    assert summary.total.mixed
    assert summary.total.to_json()["cost"] is None
