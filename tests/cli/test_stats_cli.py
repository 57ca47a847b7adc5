"""``ccwrap stats``: prices from `profile edit` flags, the JSON contract, prune, export."""

from __future__ import annotations

import csv
import io
import json
import time

from ccwrap.context import Context
from ccwrap.ledger.database import open_ledger
from ccwrap.profiles.store import Profile, ProfileStore
from tests.conftest import CliRunner

ROW = (
    "INSERT INTO proxy_requests (time, profile, route, session_id, model_requested, model_mapped,"
    " model_served, status, error_type, ttfb_ms, input_tokens, output_tokens,"
    " cache_read_input_tokens, cache_creation_input_tokens, cache_creation_1h_input_tokens,"
    " complete) VALUES (?, ?, 'POST /v1/messages', ?, 'claude-a', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)"
)


def fill(now: float) -> None:
    conn = open_ledger(Context.from_os().paths)
    conn.executemany(
        ROW,
        [
            (now - 60, "work", "s1", "gw-a", "gw-a", 200, None, 400.0, 1000, 2000, 1_000_000, 0, 0),
            (now - 120, "work", "s1", "gw-a", "gw-b", 200, None, 600.0, 0, 0, 0, 1_000_000, 10),
            (now - 180, "work", "s2", "gw-a", None, 529, "overloaded_error", None, 0, 0, 0, 0, 0),
            (now - 30 * 86400, "work", "s0", "gw-a", "gw-a", 200, None, 1.0, 5, 5, 0, 0, 0),
            (now - 60, "other", None, "x", "x", 200, None, 100.0, 10, 0, 0, 0, 0),
        ],
    )
    conn.close()


def test_prices_from_flags_and_the_json_contract(cli: CliRunner) -> None:
    ProfileStore(Context.from_os().paths.config_file).save(
        Profile(name="work", base_url="https://gw.example")
    )
    result = cli(
        "profile", "edit", "work", "--price-input", "2", "--price-output", "10",
        "--price-cache-read", "0.2", "--price-cache-write-5m", "2.5",
        "--price-cache-write-1h", "4", "--price-currency", "USD",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    bad = cli("profile", "edit", "work", "--price-input", "-1")
    assert bad.exit_code != 0
    assert "number >= 0" in bad.stderr
    fill(time.time())
    result = cli("stats", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"version", "since", "rows", "totals"}
    assert data["version"] == 1
    fields = {
        "key", "requests", "errors", "input_tokens", "output_tokens", "cache_read_input_tokens",
        "cache_creation_input_tokens", "cost", "ttfb_p50_ms",
    }  # fmt: skip
    rows = {row["key"]: row for row in data["rows"]}
    assert set(rows) == {"other", "work"}
    assert all(set(row) == fields for row in data["rows"])
    work = rows["work"]
    assert (work["requests"], work["errors"], work["input_tokens"]) == (3, 1, 1000)
    # 1000*2 + 2000*10 + 1M*0.2 + (1M - 10)*2.5 + 10*4, per million
    assert work["cost"] == round((2000 + 20000 + 200_000 + 2_499_975 + 40) / 1e6, 6)
    assert work["ttfb_p50_ms"] == 500.0
    assert rows["other"]["cost"] is None  # no prices: no cost, never list prices
    assert data["totals"]["requests"] == 4


def test_the_screen_names_substitution_and_errors(cli: CliRunner) -> None:
    fill(time.time())
    result = cli("stats", "--by", "model")
    assert result.exit_code == 0, result.stderr
    assert "gw-b" in result.stdout
    assert "overloaded_error 1" in result.stdout
    assert "asked for gw-a, the gateway answered as gw-b" in result.stdout


def test_prune_and_export(cli: CliRunner) -> None:
    fill(time.time())
    exported = cli("stats", "--since", "60d", "--export", "csv")
    assert exported.exit_code == 0, exported.stderr
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert len(rows) == 5
    assert {r["source"] for r in rows} == {"proxy"}
    pruned = cli("stats", "--prune", "7d")
    assert pruned.exit_code == 0, pruned.stderr
    assert "1 proxy request(s)" in pruned.stderr
    again = cli("stats", "--since", "60d", "--export", "csv")
    assert len(list(csv.DictReader(io.StringIO(again.stdout)))) == 4


def test_a_bad_since_is_a_usage_error(cli: CliRunner) -> None:
    result = cli("stats", "--since", "last tuesday")
    assert result.exit_code == 2
    assert "not a time" in result.stderr


def test_an_empty_ledger_says_so(cli: CliRunner) -> None:
    result = cli("stats")
    assert result.exit_code == 0
    assert "no usage recorded" in result.stderr
