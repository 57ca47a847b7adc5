"""``ccwrap inspect`` with the real claude (tier 5): the three profiles of issue 14's report.

The stand-in gateway is ccwrap's own capture endpoint; the keyring is the failing one of the
autouse fixture (nothing is stored), so a run that tried to read a key would fail: the reports
below are made without any key. What was measured here is in docs/client-facts.md.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ccwrap.context import Context
from ccwrap.inspect.runner import STANDIN_KEY, STANDIN_SECRET
from ccwrap.profiles.store import Profile, ProfileStore
from tests.conftest import require
from tests.real import test_run_claude
from tests.support.claude_pin import latest_claude

claude_world = test_run_claude.claude_world  # the fixture, reused
GATEWAY = "https://gateway.invalid/v1-never-contacted"


def save(**fields: Any) -> Profile:
    profile = Profile(name="work", base_url=GATEWAY, **fields)
    ProfileStore(Context.from_os().paths.config_file).save(profile)
    return profile


def inspect(*args: str) -> tuple[int, dict[str, Any], str]:
    done = subprocess.run(
        [sys.executable, "-m", "ccwrap", "inspect", "work", "--json", *args],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, json.loads(done.stdout), done.stdout + done.stderr


def messages(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in report["requests"] if r["method"] == "POST" and r["path"] == "/v1/messages"]


@pytest.mark.claude
def test_inspect_bearer_1h_caching_attribution_off(
    real_claude: Path, claude_world: Callable[..., None]
) -> None:
    claude_world(real_claude)
    save(auth="bearer", cache_1h=True, attribution_header=False)
    code, report, output = inspect()
    assert code == 0, output
    assert report["version"] == 1
    assert report["profile"] == "work"
    assert report["client_version"] == "2.1.197"
    assert report["mismatches"] == []
    sent = messages(report)
    assert sent
    for request in sent:
        assert request["query"] == "beta=true"
        # apiKeyHelper's value goes out in both headers (docs/client-facts.md), here the stand-in.
        assert request["auth"] == "both"
        assert request["headers"]["Authorization"] == "Bearer (stand-in)"
        assert request["cache_ttl"] == "1h"
        assert request["attribution_block"] is False
        assert "claude-code-20250219" in request["betas"]
        assert "extended-cache-ttl-2025-04-11" in request["betas"]
        assert request["headers"]["anthropic-version"] == "2023-06-01"
        assert request["user_agent"].startswith("claude-cli/2.1.197")
        assert request["body_bytes"] > 1000
    assert STANDIN_KEY not in output


@pytest.mark.claude
def test_inspect_x_api_key_with_custom_headers(
    real_claude: Path, claude_world: Callable[..., None]
) -> None:
    claude_world(real_claude)
    save(auth="x-api-key", headers={"X-Team": "blue team", "X-Trace": "t-1"})
    code, report, output = inspect()
    assert code == 0, output
    assert report["mismatches"] == []
    for request in messages(report):
        assert request["headers"]["X-Team"] == "blue team"
        assert request["headers"]["X-Trace"] == "t-1"
        assert request["headers"]["x-api-key"] == "(stand-in)"
        # The client's defaults: 5-minute caching, the attribution block in system.
        assert request["cache_ttl"] == "5m"
        assert request["attribution_block"] is True
        assert "extended-cache-ttl-2025-04-11" not in request["betas"]


@pytest.mark.claude
def test_inspect_through_the_proxy(real_claude: Path, claude_world: Callable[..., None]) -> None:
    claude_world(real_claude)
    save(
        auth="x-api-key",
        proxy="always",
        cache_1h=True,
        headers={"X-Team": "blue team", "X-Request": "{request_id}"},
        secret_headers={"cf-aig-authorization": "keyring"},
        model_map={"claude-*": "gateway-model"},
    )
    code, report, output = inspect()
    assert code == 0, output
    assert report["proxied"] is True
    assert report["mismatches"] == []
    sent = messages(report)
    assert sent
    for request in sent:
        # What the gateway would get from the proxy: its auth mode only, the profile's headers,
        # the secret header (a stand-in value here), the mapped model.
        assert request["auth"] == "x-api-key"
        assert request["headers"]["x-team"] == "blue team"
        assert len(request["headers"]["x-request"]) == 36
        assert request["headers"]["cf-aig-authorization"] == "(stand-in)"
        assert request["model"] == "gateway-model"
        assert request["cache_ttl"] == "1h"
    assert STANDIN_SECRET not in output


@pytest.mark.claude
def test_inspect_names_what_contradicts_the_profile(
    real_claude: Path, claude_world: Callable[..., None]
) -> None:
    claude_world(real_claude)
    save(attribution_header=False, headers={"X-Team": "blue"})
    # The user's own --settings wins over the profile's: the attribution block comes back.
    code, report, output = inspect(
        "--", "--settings", '{"env": {"CLAUDE_CODE_ATTRIBUTION_HEADER": "1"}}'
    )
    assert code == 1, output
    assert [m["id"] for m in report["mismatches"]] == ["attribution.present"]


@pytest.mark.claude_latest
def test_latest_claude_discovers_through_the_proxy_when_quiet(
    claude_world: Callable[..., None],
) -> None:
    latest = latest_claude()
    require(latest is not None, "the newest claude is not in .cache")
    assert latest is not None
    claude_world(latest)
    save(proxy="always", gateway_discovery=True, cache_1h=True, attribution_header=False)
    code, report, output = inspect()
    assert code == 0, output
    assert report["discovery"] is True
    discovery = next(r for r in report["requests"] if r["path"] == "/v1/models")
    assert discovery["query"] == "limit=1000"
    for request in messages(report):
        assert request["cache_ttl"] == "1h"
        assert request["attribution_block"] is False


TOOL_SEARCH_BETA = "advanced-tool-use-2025-11-20"


@pytest.mark.claude
def test_pinned_claude_sends_tool_search_only_with_enable_tool_search(
    real_claude: Path, claude_world: Callable[..., None]
) -> None:
    """Through a custom base URL, 2.1.197 sends the tool search beta only with
    ENABLE_TOOL_SEARCH; no fine-grained tool streaming beta either way (client.features)."""
    claude_world(real_claude)
    save()
    _, plain, output = inspect()
    assert all(TOOL_SEARCH_BETA not in r["betas"] for r in messages(plain)), output
    save(env={"ENABLE_TOOL_SEARCH": "1"})
    _, enabled, output = inspect()
    assert all(TOOL_SEARCH_BETA in r["betas"] for r in messages(enabled)), output
    for report in (plain, enabled):
        for request in messages(report):
            assert not any("fine-grained" in beta for beta in request["betas"])


@pytest.mark.claude
def test_pinned_claude_skips_discovery_when_quiet(
    real_claude: Path, claude_world: Callable[..., None]
) -> None:
    claude_world(real_claude)
    save(gateway_discovery=True)
    code, report, output = inspect()
    assert code == 0, output
    assert report["discovery"] is False
    assert report["mismatches"] == []
    assert "skips model discovery" in report["notes"][0]


@pytest.mark.claude_latest
def test_latest_claude_sends_tool_search_beta_anyway(claude_world: Callable[..., None]) -> None:
    latest = latest_claude()
    require(latest is not None, "the newest claude is not in .cache")
    assert latest is not None
    claude_world(latest)
    save()
    _, report, output = inspect()
    assert all(TOOL_SEARCH_BETA in r["betas"] for r in messages(report)), output
    assert not any("fine-grained" in b for r in messages(report) for b in r["betas"])
