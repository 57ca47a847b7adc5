"""``ccwrap verify`` against the loopback relay (tier 3): honest, each lie, hostile gateways."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ccwrap.context import Context
from ccwrap.profiles.store import Profile, ProfileStore
from ccwrap.verify.model import CHECK_IDS
from tests.conftest import CliResult, CliRunner
from tests.support.relay import CAUGHT_BY, HOSTILE, LIES, Relay

pytestmark = pytest.mark.gateway

KEY = "sk-verify-0123456789abcdef"
STATUSES = {"pass", "warn", "fail", "inconclusive", "skip"}


@pytest.fixture(autouse=True)
def key_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VERIFY_KEY", KEY)


def save(relay: Relay, name: str = "work", **fields: Any) -> Profile:
    profile = Profile(name=name, base_url=relay.url, key="env:VERIFY_KEY", **fields)
    ProfileStore(Context.from_os().paths.config_file).save(profile)
    return profile


def verify(cli: CliRunner, *args: str) -> tuple[CliResult, dict[str, Any]]:
    result = cli("verify", *args, "--yes", "--json", "--timeout", "5")
    return result, json.loads(result.stdout)


def statuses(data: dict[str, Any]) -> dict[str, str]:
    return {c["id"]: c["status"] for c in data["checks"]}


def test_honest_relay_passes_every_check(cli: CliRunner) -> None:
    with Relay() as relay:
        save(relay)
        result, data = verify(cli, "work")
    assert result.exit_code == 0, result.stdout
    assert statuses(data) == dict.fromkeys(CHECK_IDS, "pass")
    assert set(data) == {"version", "profile", "base_url", "model", "ok", "spent", "checks"}
    assert data["version"] == 1 and data["ok"] is True and data["profile"] == "work"
    assert data["base_url"] == relay.url and data["model"] == "claude-sonnet-4-5"
    assert set(data["spent"]) == {
        "requests",
        "input_tokens",
        "output_tokens",
        "cache_read_input_tokens",
        "cache_creation_input_tokens",
    }
    assert all(set(c) == {"id", "status", "title", "detail", "evidence"} for c in data["checks"])
    # The default suite's budget: under 20 requests and 20k input tokens, as measured.
    spent = data["spent"]
    assert spent["requests"] == len(relay.requests) < 20
    total_input = (
        spent["input_tokens"]
        + spent["cache_read_input_tokens"]
        + spent["cache_creation_input_tokens"]
    )
    assert total_input < 20_000
    assert spent["cache_read_input_tokens"] > 0 and spent["cache_creation_input_tokens"] > 0


def test_plan_is_printed_before_spending_and_within_budget(cli: CliRunner) -> None:
    with Relay() as relay:
        save(relay)
        result = cli("verify", "work", "--yes", "--timeout", "5")
    assert "12 requests" in result.stderr
    bound = int(result.stderr.split("at most ")[1].split(" input")[0].replace(",", ""))
    assert bound < 20_000
    assert "✓ model.served" in result.stdout and "spent: 12 requests" in result.stdout
    assert "signals, not proof" in result.stdout


def test_plan_and_spend_show_cost_at_the_profiles_prices(cli: CliRunner) -> None:
    with Relay() as relay:
        save(relay)
        unpriced = cli("verify", "work", "--yes", "--timeout", "5")
        save(
            relay,
            price_input=3.0,
            price_output=15.0,
            price_cache_write_5m=3.75,
            price_cache_write_1h=6.0,
            price_cache_read=0.3,
            price_currency="USD",
        )
        priced = cli("verify", "work", "--yes", "--timeout", "5")
    assert "no cost shown" in unpriced.stderr and "no cost shown" in unpriced.stdout
    plan = priced.stderr.split("at most ")
    tokens_in = int(plan[1].split(" input")[0].replace(",", ""))
    tokens_out = int(plan[1].split("and ")[1].split(" output")[0].replace(",", ""))
    bound = float(plan[2].split(")")[0].lstrip("$"))
    # every input token at the dearest rate (the 1h cache write), every output token at 15
    assert bound == pytest.approx((tokens_in * 6.0 + tokens_out * 15.0) / 1e6, rel=1e-3)
    spent = priced.stdout.split("spent: ")[1]
    counts = [int(w.replace(",", "")) for w in spent.split() if w.replace(",", "").isdigit()]
    _, inp, out, read, write = counts[:5]
    cost = float(spent.split("cost $")[1].split(" ")[0])
    expected = (inp * 3.0 + out * 15.0 + read * 0.3 + write * 3.75) / 1e6
    assert cost == pytest.approx(expected, abs=1e-4) and "at the profile's prices" in spent


@pytest.mark.parametrize("lie", LIES)
def test_each_lie_fails_its_check_and_no_other(cli: CliRunner, lie: str) -> None:
    with Relay(mode=lie) as relay:
        save(relay)
        result, data = verify(cli, "work")
    assert result.exit_code == 1
    failed = {i for i, s in statuses(data).items() if s == "fail"}
    assert failed == {CAUGHT_BY[lie]}, data["checks"]


@pytest.mark.parametrize("mode", HOSTILE)
def test_hostile_gateway_gives_a_clean_result_per_check(cli: CliRunner, mode: str) -> None:
    with Relay(mode=mode) as relay:
        save(relay)
        result = cli("verify", "work", "--yes", "--json", "--timeout", "1")
        text = cli("verify", "work", "--yes", "--timeout", "1") if mode == "control" else None
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    data = json.loads(result.stdout)
    assert [c["id"] for c in data["checks"]] == list(CHECK_IDS)
    assert set(statuses(data).values()) <= STATUSES
    if mode == "429":
        assert set(statuses(data).values()) == {"inconclusive"}  # never a pass
        assert result.exit_code == 0
    elif mode == "control":
        assert text is not None
        assert "\x1b" not in text.stdout and "\x07" not in text.stdout
        assert "\\x1b[31mclaude" in text.stdout
        assert statuses(data)["model.served"] == "fail"
    else:
        assert result.exit_code == 1
        assert "pass" not in {s for i, s in statuses(data).items() if i != "errors.shape"}


@pytest.mark.parametrize("mode", ["endless", "gzip-bomb"])
def test_endless_body_is_cut_off(cli: CliRunner, mode: str) -> None:
    import tracemalloc

    with Relay(mode=mode) as relay:
        save(relay)
        tracemalloc.start()
        try:
            _, data = verify(cli, "work", "--only", "limit.max_tokens")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    (only,) = data["checks"]
    assert "cut off" in only["detail"]
    assert peak < 24 * 1024 * 1024  # the 64 MiB behind the gzip bomb is never held


def test_never_ending_stream_times_out_per_request(cli: CliRunner) -> None:
    with Relay(mode="never-ending") as relay:
        save(relay)
        result = cli(
            "verify", "work", "--yes", "--json", "--timeout", "0.5", "--only", "stream.live"
        )
    data = json.loads(result.stdout)
    (only,) = data["checks"]
    assert only["status"] == "fail" and "within 0.5 s" in only["detail"]


def test_no_terminal_and_no_yes_refuses_before_sending(cli: CliRunner) -> None:
    with Relay() as relay:
        save(relay)
        result = cli("verify", "work")
    assert result.exit_code == 2
    assert "--yes" in result.stderr and "no terminal" in result.stderr
    assert relay.requests == []


def test_only_runs_the_needed_requests(cli: CliRunner) -> None:
    with Relay() as relay:
        save(relay)
        result, data = verify(cli, "work", "--only", "errors.shape,limit.max_tokens")
    assert result.exit_code == 0
    assert [c["id"] for c in data["checks"]] == ["limit.max_tokens", "errors.shape"]
    assert len(relay.requests) == 2


def test_unknown_only_id_is_a_usage_error(cli: CliRunner) -> None:
    with Relay() as relay:
        save(relay)
        result = cli("verify", "work", "--yes", "--only", "model.servd")
    assert result.exit_code == 2 and "known ids" in result.stderr
    assert relay.requests == []


def test_request_shape_follows_the_profile(cli: CliRunner) -> None:
    with Relay() as relay:
        save(
            relay,
            auth="x-api-key",
            headers={"X-Team": "blue"},
            model="claude-sonnet-4-5",
            model_map={"claude-sonnet-4-5": "glm-4.6"},
        )
        result, data = verify(cli, "work", "--only", "model.served", "--repeat", "1")
    assert result.exit_code == 0, data
    (request,) = relay.messages()
    assert request.target == "/v1/messages?beta=true"
    # As claude sends it under ccwrap run (apiKeyHelper): both headers, whatever the mode.
    assert request.headers["x-api-key"] == KEY
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.headers["x-team"] == "blue"
    assert request.headers["user-agent"].startswith("claude-cli/")
    assert "claude-code-20250219" in request.headers["anthropic-beta"].split(",")
    assert request.body["stream"] is True
    assert request.body["model"] == "glm-4.6"  # the name the proxy hands the gateway
    assert data["model"] == "glm-4.6"


def test_model_option_wins(cli: CliRunner) -> None:
    with Relay() as relay:
        save(relay, model="claude-opus-4-1")
        _, data = verify(cli, "work", "--only", "model.served", "--repeat", "1", "--model", "m-2")
    assert relay.messages()[0].body["model"] == "m-2" and data["model"] == "m-2"


def test_repeat_sets_the_latency_samples(cli: CliRunner) -> None:
    with Relay() as relay:
        save(relay)
        _, data = verify(cli, "work", "--only", "latency", "--repeat", "5")
    (latency,) = data["checks"]
    assert latency["evidence"]["samples"] == 5 and "p50" in latency["detail"]


def test_deep_adds_a_needle_near_the_claimed_window(cli: CliRunner) -> None:
    from tests.support.relay import WINDOW

    with Relay() as relay:
        save(relay)
        result, data = verify(cli, "work", "--only", "context.recall", "--deep")
    assert result.exit_code == 0
    (recall,) = data["checks"]
    assert recall["evidence"]["needle_found"] is True and recall["evidence"]["window"] == WINDOW
    assert relay.requests[0].target.startswith("/v1/models")


def test_history_flags_a_change_since_the_previous_run(cli: CliRunner) -> None:
    with Relay() as relay:
        save(relay)
        verify(cli, "work", "--only", "model.served", "--repeat", "1")
        relay.mode = "renamed"
        _, data = verify(cli, "work", "--only", "model.served", "--repeat", "1")
        assert "changed since" in data["checks"][0]["detail"]
        text = cli("verify", "work", "--yes", "--only", "model.served", "--repeat", "1")
    assert "changed since" not in text.stdout  # the same lie twice: nothing changed
    listed = cli("verify", "--history", "work")
    assert listed.exit_code == 0
    lines = listed.stdout.splitlines()
    assert lines[0].startswith("✗ #3") and "work" in lines[0]
    assert any("model.served changed since" in line for line in lines)
    history = json.loads(cli("verify", "--history", "--json").stdout)
    assert [run["id"] for run in history["runs"]] == [3, 2, 1]
    assert history["runs"][2]["client"]["user_agent"].startswith("claude-cli/")
    assert history["runs"][1]["checks"][0]["evidence"]["served"] == ["claude-3-5-haiku-20241022"]


def test_history_without_runs(cli: CliRunner) -> None:
    result = cli("verify", "--history")
    assert result.exit_code == 0 and "no verify runs yet" in result.stdout


def test_compare_runs_both_side_by_side(cli: CliRunner) -> None:
    with Relay() as honest, Relay(mode="renamed") as renamed:
        save(honest, "good")
        save(renamed, "bad")
        result = cli("verify", "--compare", "good", "bad", "--yes", "--timeout", "5")
        both = json.loads(
            cli(
                "verify", "--compare", "good", "bad", "--yes", "--json", "--only", "model.served"
            ).stdout
        )
    assert result.exit_code == 1
    header, *rows = result.stdout.splitlines()
    assert "good" in header and "bad" in header
    served = next(r for r in rows if r.startswith("model.served"))
    assert "✓" in served and "✗" in served
    assert [r["profile"] for r in both["runs"]] == ["good", "bad"]


def test_key_never_printed_whole(cli: CliRunner) -> None:
    with Relay(mode="openai-errors") as relay:
        relay.echo_key = True
        save(relay)
        result = cli("verify", "work", "--yes", "--json", "--only", "errors.shape")
    assert KEY not in result.stdout


def test_a_ledger_it_cannot_write_stops_it_before_spending(cli: CliRunner) -> None:
    from ccwrap.ledger.database import open_ledger

    conn = open_ledger(Context.from_os().paths)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    with Relay() as relay:
        save(relay)
        result = cli("verify", "work", "--yes")
    assert result.exit_code != 0 and "newer ccwrap" in result.stderr
    assert relay.requests == []
