"""The field table (profiles/fields.py) is the one place a profile field is declared: the model,
the setup and profile edit options, ProfileChanges, profile show and the variables follow it."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
import typer.main

from ccwrap.claude import env as claude_env
from ccwrap.cli.app import build_app
from ccwrap.profiles import fields as profile_fields
from ccwrap.profiles.fields import FIELDS, ProfileField
from ccwrap.profiles.model import Profile
from ccwrap.profiles.ops import ProfileChanges, ProfileView, changes_from_options
from tests.conftest import CliRunner

# Fields set in config.toml (or by setup's own questions) only, each for a reason.
NO_FLAG = {
    "secret_headers": "a header's key source; the proxy adds the value",
    "model_map": "proxy only; edited in config.toml",
    "preset": "recorded by setup --preset",
}


def command(*path: str) -> Any:
    """The click command Typer builds (Typer may bring its own click: no isinstance here)."""
    found: Any = typer.main.get_command(build_app())
    for name in path:
        found = found.commands[name]
    return found


def options_of(cmd: Any) -> dict[str, Any]:
    return {p.name: p for p in cmd.params if p.name}


def test_the_table_and_the_model_have_the_same_fields() -> None:
    model = [f.name for f in dataclasses.fields(Profile) if f.name != "name"]
    assert [f.name for f in FIELDS] == model


def test_every_field_has_a_flag_unless_listed() -> None:
    assert {f.name for f in FIELDS if not f.flag} == set(NO_FLAG)


@pytest.mark.parametrize("path", [("setup",), ("profile", "edit")])
def test_every_field_has_its_flag_and_help_in_setup_and_edit(path: tuple[str, ...]) -> None:
    options = options_of(command(*path))
    for spec in profile_fields.flag_fields():
        assert spec.flag is not None
        option = options[spec.name]
        assert spec.flag.split("/")[0] in option.opts, spec.name
        assert option.help == spec.help


def test_a_field_added_to_the_table_appears_in_setup_and_edit(
    monkeypatch: pytest.MonkeyPatch, cli: CliRunner
) -> None:
    new = ProfileField("fast_mode", "text", "A field the table gained.", "--fast-mode", "X_FAST")
    monkeypatch.setattr(profile_fields, "FIELDS", (*FIELDS, new))
    for path in (("setup",), ("profile", "edit")):
        option = options_of(command(*path))["fast_mode"]
        assert option.opts == ["--fast-mode"]
        assert option.help == "A field the table gained."
        assert "--fast-mode" in cli(*path, "--help").stdout
    assert changes_from_options({"fast_mode": "on"}).get("fast_mode") == "on"


def test_profile_changes_refuse_a_name_the_table_does_not_have() -> None:
    with pytest.raises(TypeError):
        ProfileChanges(no_such_field="x")


def test_the_variables_come_from_the_table() -> None:
    profile = Profile("w", "https://gw.example.com", model="m", attribution_header=False)
    env = claude_env.profile_env(profile)
    for spec in FIELDS:
        if spec.kind == "text" and spec.variable:
            assert claude_env.MODEL_VARIABLES[spec.name] == spec.variable
        if spec.kind == "bool":
            assert spec.variable in claude_env.FLAG_VARIABLES
    assert env["ANTHROPIC_MODEL"] == "m"
    assert env["CLAUDE_CODE_ATTRIBUTION_HEADER"] == "0"
    assert "ENABLE_PROMPT_CACHING_1H" not in env


def test_profile_show_rows_follow_the_table() -> None:
    profile = Profile(
        "w", "https://gw.example.com", model="m", cache_1h=True, headers={"X-A": "1"},
        env={"FOO": "bar"}, model_map={"claude-*": "glm"},
    )  # fmt: skip
    rows = ProfileView(profile, False, None).rows()
    assert rows == [
        ("base_url", "https://gw.example.com"),
        ("auth", "bearer"),
        ("model", "m"),
        ("cache_1h", "yes"),
        ("headers.X-A", "1"),
        ("env.FOO", "bar"),
        ("model_map.claude-*", "glm"),
    ]


def test_docs_profiles_table_is_current() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "profiles.md").read_text(encoding="utf-8")
    assert profile_fields.markdown_table() in doc, (
        "regenerate: python -c 'from ccwrap.profiles.fields import markdown_table; "
        "print(markdown_table())'"
    )
