"""JSONC editor settings: apply then clear gives the original bytes; comments stay put."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ccwrap.context import Context
from ccwrap.errors import SettingsError
from ccwrap.ide import ENV_KEY, WRAPPER_KEY, Record, apply_text, clear_text, settings_path
from ccwrap.settings.json_splice import loads_jsonc

PATH = Path("settings.json")
WANTED = {
    ENV_KEY: [{"name": "ANTHROPIC_BASE_URL", "value": "https://gw.example"}],
    WRAPPER_KEY: "/home/u/.config/ccwrap/bin/claude-wrapper",
}
key_text = st.text(alphabet="abcdefgh.éX_ /*", min_size=1, max_size=8)
scalars = (
    st.none() | st.booleans() | st.integers(-999, 999) | st.text(alphabet='ab/*"\\ é', max_size=6)
)
values = st.recursive(
    scalars,
    lambda c: st.lists(c, max_size=3) | st.dictionaries(key_text, c, max_size=3),
    max_leaves=8,
)
GAPS = ["", " ", "\n  ", "\n\t", " // note\n  ", " /* c, d */ ", "\n  // a comment, with comma\n  "]


def render(value: Any, draw: st.DrawFn, depth: int = 0) -> str:
    """JSONC text of ``value`` with random whitespace, comments and trailing commas."""
    gap = lambda: draw(st.sampled_from(GAPS))  # noqa: E731
    if isinstance(value, dict):
        items = [
            # ccwrap's own key holds plain JSON: what is inside the value it replaces goes.
            f"{gap()}{json.dumps(k)}{gap()}:{gap()}"
            + (json.dumps(v) if k == ENV_KEY else render(v, draw, depth + 1))
            for k, v in value.items()
        ]
        trailing = "," if items and bool(draw(st.booleans())) else ""
        return "{" + ",".join(items) + trailing + gap() + "}"
    if isinstance(value, list):
        items = [gap() + render(v, draw, depth + 1) for v in value]
        trailing = "," if items and bool(draw(st.booleans())) else ""
        return "[" + ",".join(items) + trailing + gap() + "]"
    return json.dumps(value, ensure_ascii=draw(st.booleans()))


@st.composite
def documents(draw: st.DrawFn) -> str:
    top: dict[str, Any] = draw(st.dictionaries(key_text, values, max_size=5))
    if draw(st.booleans()):
        top[ENV_KEY] = draw(values)
    head = draw(st.sampled_from(["", "// VS Code settings\n", "/* top */\n"]))
    tail = draw(st.sampled_from(["", "\n", "\n// end\n"]))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    return (head + render(top, draw) + tail).replace("\n", newline)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(documents())
def test_apply_then_clear_is_byte_exact(document: str) -> None:
    original = loads_jsonc(document)
    record = Record()
    applied = apply_text(document, WANTED, record, PATH)
    data = loads_jsonc(applied)
    assert data[ENV_KEY] == WANTED[ENV_KEY] and data[WRAPPER_KEY] == WANTED[WRAPPER_KEY]
    assert {k: v for k, v in data.items() if k not in WANTED} == {
        k: v for k, v in original.items() if k not in WANTED
    }
    for comment in ("// note", "/* c, d */", "// VS Code settings", "// end"):
        assert applied.count(comment) == document.count(comment)
    assert clear_text(applied, record) == document


def test_example_keeps_comments_and_order() -> None:
    document = '{\n  // my font\n  "editor.fontSize": 14,\n  "files.trim": true, // yes\n}\n'
    record = Record()
    applied = apply_text(document, WANTED, record, PATH)
    assert applied.startswith('{\n  // my font\n  "editor.fontSize": 14,\n  "files.trim": true,\n')
    assert "// yes" in applied
    assert clear_text(applied, record) == document


def test_an_existing_value_is_put_back() -> None:
    document = '{"claudeCode.environmentVariables": [ /* mine */ {"name": "A", "value": "1"}]}'
    record = Record()
    applied = apply_text(document, {ENV_KEY: []}, record, PATH)
    assert loads_jsonc(applied)[ENV_KEY] == []
    assert clear_text(applied, record) == document


@pytest.mark.parametrize(
    ("platform", "expected"),
    [
        ("linux", "home/.config/Cursor/User/settings.json"),
        ("darwin", "home/Library/Application Support/Cursor/User/settings.json"),
        ("win32", "appdata/Cursor/User/settings.json"),
    ],
)
def test_paths_per_os(tmp_path: Path, platform: str, expected: str) -> None:
    ctx = Context(
        environ={"APPDATA": str(tmp_path / "appdata")}, cwd=tmp_path, home=tmp_path / "home"
    )
    assert settings_path("cursor", "user", ctx, platform) == tmp_path / expected
    assert (
        settings_path("vscodium", "workspace", ctx, platform) == tmp_path / ".vscode/settings.json"
    )


def test_invalid_jsonc() -> None:
    for bad in ('{"a": 1 /* open', '{"a": }', "[1, 2]", '{"a": 1} x'):
        with pytest.raises((SettingsError, ValueError)):
            apply_text(bad, WANTED, Record(), PATH)
