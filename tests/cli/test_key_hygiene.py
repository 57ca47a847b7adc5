"""Issue 16 items 3, 6 and 14: keys are checked on every read path, secrets are masked by one
rule wherever they are shown, and names are matched whole (a trailing newline is refused)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ccwrap.claude.env import is_secret_variable, parse_header
from ccwrap.context import Context
from ccwrap.errors import ConfigError, KeyStoreError, UsageError
from ccwrap.keys.sources import KeySource, SecretStore
from ccwrap.profiles.model import Profile, validate_name
from ccwrap.profiles.ops import parse_assignment
from ccwrap.shell import quote, render_env, validate_alias_name
from tests.conftest import CliRunner
from tests.support.keyrings import MemoryKeyring

KEY = "sk-hygiene-0123456789abcdef"


def secrets(tmp_path: Path, **environ: str) -> SecretStore:
    return SecretStore(Context(environ=environ, cwd=tmp_path, home=tmp_path))


def key_file(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "w.key"
    path.write_bytes(data)
    path.chmod(0o600)
    return path


# -- item 3: CR/LF/NUL in a key ------------------------------------------------------------------


@pytest.mark.parametrize("value", [f"{KEY}\r", f"{KEY}\r\n", f" {KEY}\n"])
def test_a_variable_with_a_trailing_line_break_gives_the_bare_key(
    tmp_path: Path, value: str
) -> None:
    assert secrets(tmp_path, GW_KEY=value).read("w", "env:GW_KEY") == KEY


def test_a_key_file_saved_with_crlf_gives_the_bare_key(tmp_path: Path) -> None:
    path = key_file(tmp_path, KEY.encode() + b"\r\n")
    assert secrets(tmp_path).read("w", f"file:{path}") == KEY


def test_a_command_printing_crlf_gives_the_bare_key(tmp_path: Path) -> None:
    environ = {"PATH": os.environ.get("PATH", "")}
    store = SecretStore(Context(environ=environ, cwd=tmp_path, home=tmp_path))
    assert store.read("w", f"cmd:printf '%s\\r\\n' {KEY}") == KEY


@pytest.mark.parametrize(
    ("inside", "named"),
    [("\r", "carriage return"), ("\n", "line break"), ("\0", "NUL"), ("é", "U+00E9")],
)
def test_a_key_with_a_control_character_inside_is_refused_without_showing_it(
    tmp_path: Path, inside: str, named: str
) -> None:
    bad = KEY[:10] + inside + KEY[10:]
    for store, spec in [
        (secrets(tmp_path, GW_KEY=bad), "env:GW_KEY"),
        (secrets(tmp_path), f"file:{key_file(tmp_path, bad.encode())}"),
    ]:
        with pytest.raises(KeyStoreError) as raised:
            store.read("w", spec)
        error = raised.value
        assert named in error.message
        assert "profile 'w'" in error.message
        for rendering in (error.message, str(error), repr(error), error.hint or ""):
            assert KEY[:10] not in rendering
            assert KEY[10:] not in rendering


def test_a_key_from_the_keyring_is_checked_too(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    MemoryKeyring.store[("ccwrap", "w")] = KEY + "\nsecond line"
    with pytest.raises(KeyStoreError, match="line break"):
        secrets(tmp_path).read("w", "keyring")


def test_a_key_with_a_line_break_is_not_stored(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    with pytest.raises(KeyStoreError) as raised:
        secrets(tmp_path).write("w", "keyring", KEY + "\nx")
    assert KEY not in repr(raised.value)
    assert MemoryKeyring.store == {}


def test_ccwrap_key_refuses_a_key_with_cr_inside(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = cli(
        "setup", "w", "--url", "https://gw.example.com", "--key-source", "env:GW_KEY",
        "--yes", "--no-check",
    )  # fmt: skip
    assert made.exit_code == 0, made.stderr
    monkeypatch.setenv("GW_KEY", "sk-abc\rdef-0123456789")
    result = cli("key", "w")
    assert result.exit_code == 4
    assert "carriage return" in result.stderr
    assert "sk-abc" not in result.stderr + result.stdout


@pytest.mark.parametrize(
    ("call", "text"),
    [
        (KeySource.parse, KEY),
        (parse_header, f"Authorization Bearer {KEY}"),
        (parse_assignment, KEY),
    ],
)
def test_errors_about_a_misplaced_key_do_not_echo_it(call: object, text: str) -> None:
    with pytest.raises(ConfigError) as raised:
        call(text)  # type: ignore[operator]
    assert KEY not in str(raised.value) + repr(raised.value) + (raised.value.hint or "")


# -- item 6: one rule for secret variables --------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "MY_API_KEY", "GW_TOKEN", "DB_PASSWORD", "APP_SECRET", "OPENAI_KEY", "my_api_key",
        "AWS_SECRET_ACCESS_KEY", "GITHUB_PAT", "ANTHROPIC_AUTH_TOKEN", "CLAUDE_CODE_OAUTH_TOKEN",
        "SERVICE_CREDENTIALS", "X_APIKEY",
    ],
)  # fmt: skip
def test_secret_variable_names(name: str) -> None:
    assert is_secret_variable(name)


@pytest.mark.parametrize(
    "name",
    ["MAX_THINKING_TOKENS", "CLAUDE_CODE_MAX_OUTPUT_TOKENS", "CLAUDE_CODE_API_KEY_HELPER_TTL_MS",
     "ANTHROPIC_MODEL", "KEYBOARD_LAYOUT", "HTTPS_PROXY"],
)  # fmt: skip
def test_ordinary_variable_names(name: str) -> None:
    assert not is_secret_variable(name)


@pytest.mark.parametrize("command", [("setup", "w"), ("profile", "edit", "w")])
def test_setup_and_edit_refuse_a_secret_variable(
    cli: CliRunner, memory_keyring: MemoryKeyring, command: tuple[str, ...]
) -> None:
    made = cli("setup", "w", "--url", "https://gw.example.com", "--key-stdin", "--yes",
               "--no-check", input=KEY)  # fmt: skip
    assert made.exit_code == 0, made.stderr
    extra = (
        ("--url", "https://gw.example.com", "--yes", "--no-check") if command[0] == "setup" else ()
    )
    result = cli(*command, *extra, "--env", f"MY_API_KEY={KEY}")
    assert result.exit_code == 3, result.stderr
    assert "MY_API_KEY" in result.stderr
    assert KEY not in result.stderr


HAND_EDITED = f"""version = 1
default = "w"

[profiles.w]
base_url = "https://gw.example.com"
auth = "none"

[profiles.w.env]
MY_API_KEY = "{KEY}"
TEAM = "blue"
"""


@pytest.mark.parametrize(
    "command",
    [
        ("profile", "show", "w"),
        ("profile", "show", "w", "--json"),
        ("profile", "list", "--json"),
        ("profile", "export", "w"),
        ("profile", "export", "w", "--format", "json"),
        ("env", "--profile", "w", "--shell", "bash"),
        ("run", "w", "--dry-run"),
    ],
)
def test_every_renderer_masks_a_hand_edited_secret_variable(
    cli: CliRunner, command: tuple[str, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    claude = tmp_path / "claude"
    claude.write_text("#!/bin/sh\nexit 0\n")
    claude.chmod(0o755)
    monkeypatch.setenv("CCWRAP_CLAUDE", str(claude))  # run --dry-run needs one to name
    path = Context.from_os().paths.config_file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HAND_EDITED)
    result = cli(*command)
    assert result.exit_code == 0, result.stderr
    assert KEY not in result.stdout + result.stderr
    assert "blue" in result.stdout


def test_ccwrap_env_does_not_print_a_secret_variable() -> None:
    profile = Profile("w", "https://gw.example.com", auth="none", env={"MY_TOKEN": KEY, "T": "1"})
    text = render_env("bash", profile)
    assert KEY not in text
    assert "export T=1" in text
    assert "MY_TOKEN is not printed" in text


def test_the_ownership_record_keeps_only_a_digest_of_any_secret_variable() -> None:
    from ccwrap.settings.ownership import Owned

    owned = Owned.of(("env", "MY_API_KEY"), KEY, None)
    assert owned.written is None and owned.digest is not None
    assert KEY not in json.dumps(owned.__dict__)


def test_the_project_settings_refuse_any_secret_variable() -> None:
    from ccwrap.errors import SettingsError
    from ccwrap.settings.writer import desired_settings

    profile = Profile("w", "https://gw.example.com", env={"GW_PASSWORD": KEY})
    with pytest.raises(SettingsError, match="GW_PASSWORD"):
        desired_settings(profile, "project")


# -- item 14: whole-name matches ------------------------------------------------------------------


def test_a_profile_name_with_a_trailing_newline_is_refused(cli: CliRunner) -> None:
    result = cli("setup", "work2\n", "--url", "https://gw.example.com", "--key-source",
                 "env:GW_KEY", "--yes", "--no-check")  # fmt: skip
    assert result.exit_code == 3, result.stderr
    assert "invalid profile name" in result.stderr
    assert not Context.from_os().paths.config_file.exists()


@pytest.mark.parametrize(
    "check",
    [validate_name, validate_alias_name, lambda n: KeySource.parse(f"env:{n}x\n1")],
)
def test_names_with_a_trailing_newline_are_refused(check: object) -> None:
    with pytest.raises((ConfigError, UsageError)):
        check("work2\n")  # type: ignore[operator]


def test_a_word_with_a_trailing_newline_is_quoted() -> None:
    assert quote("bash", "work2\n") == "'work2\n'"
    assert quote("fish", "work2\n") == "'work2\n'"


def test_reprs_never_show_a_secret() -> None:
    from ccwrap.profiles.wizard import SetupRequest

    profile = Profile(
        "w", "https://gw.example.com", env={"MY_TOKEN": KEY, "TEAM": "blue"},
        headers={"cf-aig-authorization": f"Bearer {KEY}", "X-Team": "a"},
    )  # fmt: skip
    shown = repr(profile)
    assert KEY not in shown
    assert "'blue'" in shown and "'X-Team': 'a'" in shown
    assert KEY not in repr(SetupRequest(name="w", secret=KEY))


@pytest.mark.parametrize("header", ["cf-aig-authorization", "x-api-key", "Authorization"])
def test_secret_header_names_follow_the_same_rule(header: str) -> None:
    assert is_secret_variable(header)


def test_profile_show_masks_a_secret_header(cli: CliRunner, memory_keyring: MemoryKeyring) -> None:
    made = cli(
        "setup", "w", "--url", "https://gw.example.com", "--key-stdin", "--yes", "--no-check",
        "--header", f"cf-aig-authorization: Bearer {KEY}", "--header", "X-Team: a",
        input="sk-the-profile-key-0123456789",
    )  # fmt: skip
    assert made.exit_code == 0, made.stderr
    for command in (("profile", "show", "w"), ("profile", "show", "w", "--json"),
                    ("profile", "list", "--json"), ("profile", "export", "w")):  # fmt: skip
        result = cli(*command)
        assert result.exit_code == 0, result.stderr
        assert KEY not in result.stdout
        assert "X-Team" in result.stdout
