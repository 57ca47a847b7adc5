from __future__ import annotations

import re
from pathlib import Path

import pytest

from ccwrap.claude.urls import normalize_base_url
from ccwrap.errors import ConfigError
from ccwrap.profiles import presets

GATEWAYS_MD = Path(__file__).resolve().parents[2] / "docs" / "gateways.md"


def test_every_preset_url_is_already_normal() -> None:
    for preset in presets.PRESETS:
        values = dict.fromkeys(preset.fields, "abc")
        url = preset.url(values)
        assert normalize_base_url(url).url == url, preset.id


def test_unconfirmed_presets_say_so() -> None:
    unconfirmed = [p for p in presets.PRESETS if p.source == "preset"]
    assert {p.id for p in unconfirmed} >= {"openrouter", "moonshot", "zhipu", "aihubmix"}
    assert all(presets.UNCONFIRMED in p.description for p in unconfirmed)
    assert presets.UNCONFIRMED not in presets.get("aiohub").description


def test_every_row_of_the_gateways_table_is_a_preset() -> None:
    rows = re.findall(r"^\| ([a-z0-9-]+) \| `([^`]+)`", GATEWAYS_MD.read_text(), re.MULTILINE)
    assert len(rows) >= 20
    for preset_id, url in rows:
        preset = presets.get(preset_id)
        assert preset.base_url == url.rstrip("/"), preset_id


def test_recommendations_are_data() -> None:
    aiohub = presets.get("aiohub")
    assert aiohub.cache_1h is True
    assert aiohub.attribution_header is False
    assert presets.get("zhipu").env == {"API_TIMEOUT_MS": "3000000"}
    assert presets.get("minimax-cn").env["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] == "1"
    assert presets.get("deepseek").auth == "x-api-key"
    assert presets.get("llamacpp").auth == "none"


def test_cloudflare_is_a_template() -> None:
    cloudflare = presets.get("cloudflare")
    assert cloudflare.fields == ["account_id", "gateway_id"]
    url = cloudflare.url({"account_id": "acc1", "gateway_id": "gw"})
    assert url == "https://gateway.ai.cloudflare.com/v1/acc1/gw/anthropic"
    with pytest.raises(ConfigError, match="gateway_id"):
        cloudflare.url({"account_id": "acc1"})
    with pytest.raises(ConfigError, match="may only hold"):
        cloudflare.url({"account_id": "a/../b", "gateway_id": "gw"})


def test_unknown_preset_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError) as caught:
        presets.get("nope")
    assert "aiohub" in (caught.value.hint or "")


def test_gateways_doc_presets_table_is_current() -> None:
    assert presets.markdown_table() in GATEWAYS_MD.read_text(), (
        "regenerate: python -c 'from ccwrap.profiles.presets import markdown_table; "
        "print(markdown_table())'"
    )
