"""`ccwrap setup` (non-interactive), `ccwrap profile …` and `ccwrap key`, in-process (tier 2)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import keyring
import pytest

from ccwrap.context import Context
from tests.conftest import CliRunner
from tests.support.gateway import TestGateway
from tests.support.keyrings import MemoryKeyring

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10
    import tomli as tomllib

KEY = "sk-cli-secret-0123456789abcdef"


@pytest.fixture
def config_file() -> Path:
    return Context.from_os().paths.config_file


def setup_work(cli: CliRunner, *extra: str, name: str = "work") -> None:
    result = cli(
        "setup", name, "--url", "https://gw.example.com", "--key-stdin", "--yes", "--no-check",
        *extra, input=KEY,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr


def test_the_issue_example(
    cli: CliRunner, memory_keyring: MemoryKeyring, config_file: Path
) -> None:
    result = cli(
        "setup", "work", "--url", "https://gw.example.com/v1", "--key-stdin", "--auth", "bearer",
        "--cache-1h", "--no-attribution", "--discovery", "--header", "X-Team: a", "--yes",
        "--no-check", input=KEY + "\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert KEY not in result.stderr
    assert "/v1/v1/messages" in result.stderr  # the fix is explained
    data = tomllib.loads(config_file.read_text())
    assert data["version"] == 1
    assert data["default"] == "work"
    assert data["profiles"]["work"] == {
        "base_url": "https://gw.example.com",
        "auth": "bearer",
        "cache_1h": True,
        "attribution_header": False,
        "gateway_discovery": True,
        "headers": {"X-Team": "a"},
    }
    assert KEY not in config_file.read_text()
    assert MemoryKeyring.store == {("ccwrap", "work"): KEY}


def test_every_setup_flag_lands_in_the_profile(
    cli: CliRunner, memory_keyring: MemoryKeyring, config_file: Path
) -> None:
    setup_work(
        cli, "--auth", "x-api-key", "--model", "m", "--opus-model", "o", "--sonnet-model", "s",
        "--haiku-model", "h", "--subagent-model", "sa", "--no-cache-1h", "--attribution",
        "--no-discovery", "--disable-betas", "--env", "API_TIMEOUT_MS=3000000", "--proxy",
        "always", "--default",
    )  # fmt: skip
    data = tomllib.loads(config_file.read_text())["profiles"]["work"]
    assert data == {
        "base_url": "https://gw.example.com",
        "auth": "x-api-key",
        "model": "m",
        "opus_model": "o",
        "sonnet_model": "s",
        "haiku_model": "h",
        "subagent_model": "sa",
        "disable_experimental_betas": True,
        "env": {"API_TIMEOUT_MS": "3000000"},
        "proxy": "always",
    }


def test_setup_with_a_preset(cli: CliRunner, memory_keyring: MemoryKeyring) -> None:
    result = cli("setup", "--preset", "minimax", "--key-stdin", "--yes", "--no-check", input=KEY)
    assert result.exit_code == 0, result.stderr
    shown = json.loads(cli("profile", "show", "minimax", "--json").stdout)
    assert shown["base_url"] == "https://api.minimax.io/anthropic"
    assert shown["env"]["API_TIMEOUT_MS"] == "3000000"
    assert shown["preset"] == "minimax"


def test_setup_refuses_secrets_in_env_flags(cli: CliRunner, memory_keyring: MemoryKeyring) -> None:
    result = cli(
        "setup", "w", "--url", "https://gw.example.com", "--env", f"ANTHROPIC_AUTH_TOKEN={KEY}",
        "--key-stdin", "--yes", "--no-check", input=KEY,
    )  # fmt: skip
    assert result.exit_code == 3
    assert "holds a secret" in result.stderr
    assert KEY not in result.stderr


def test_setup_bad_url_is_a_clean_error(cli: CliRunner, memory_keyring: MemoryKeyring) -> None:
    result = cli("setup", "w", "--url", "gw.example.com:8080", "--key-stdin", "--yes", input=KEY)
    assert result.exit_code == 3
    assert "cannot be parsed as a URL" in result.stderr
    assert "hint: write https://gw.example.com:8080" in result.stderr
    assert MemoryKeyring.store == {}


def test_insecure_storage_warns_where_the_key_lies(cli: CliRunner, config_file: Path) -> None:
    result = cli(
        "setup", "w", "--url", "https://gw.example.com", "--key-stdin", "--insecure-storage",
        "--yes", "--no-check", input=KEY,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    key_file = config_file.parent / "keys" / "w.key"
    assert f"plain text in {key_file}" in result.stderr
    assert cli("key", "w").stdout == KEY


def test_key_stdin_without_a_keyring_fails_before_any_work(
    cli: CliRunner, config_file: Path
) -> None:
    # The autouse fixture's keyring is keyring's "fail" backend: no keyring at all.
    with TestGateway(key=KEY) as gateway:
        result = cli("setup", "w", "--url", gateway.url, "--key-stdin", "--yes", input=KEY)
    assert result.exit_code == 4, result.stderr
    assert "no OS keyring is available" in result.stderr
    assert "--key-source env:VAR" in result.stderr
    assert "--insecure-storage" in result.stderr
    assert gateway.requests == []  # no live check: it failed first
    assert not config_file.exists()  # nothing saved
    assert KEY not in result.stderr + result.stdout


def test_locked_keyring_is_exit_4_with_the_headless_hint(cli: CliRunner) -> None:
    # The autouse fixture's keyring is keyring's "fail" backend: no keyring at all.
    result = cli("setup", "w", "--url", "https://gw.example.com", "--key-stdin", "--yes", input=KEY)
    assert result.exit_code == 4
    assert "no OS keyring" in result.stderr
    assert "--insecure-storage" in result.stderr
    assert "Traceback" not in result.stderr


# -- profile commands --------------------------------------------------------------------------


def test_list_and_json(cli: CliRunner, memory_keyring: MemoryKeyring) -> None:
    assert "no profile yet" in cli("profile", "list").stderr
    setup_work(cli)
    setup_work(cli, name="other")
    text = cli("profile", "list").stdout.splitlines()
    assert text[0].startswith("  other") and text[1].startswith("* work")
    data = json.loads(cli("profile", "list", "--json").stdout)
    assert [(p["name"], p["default"], p["base_url"]) for p in data] == [
        ("other", False, "https://gw.example.com"),
        ("work", True, "https://gw.example.com"),
    ]


def test_show_says_where_the_key_comes_from_masked(
    cli: CliRunner, memory_keyring: MemoryKeyring
) -> None:
    setup_work(cli)
    text = cli("profile", "show", "work")
    assert "✓ key: sk-…cdef, from OS keyring (service ccwrap, user work)" in text.stdout
    assert KEY not in text.stdout
    data = json.loads(cli("profile", "show", "work", "--json").stdout)
    assert data["base_url"] == "https://gw.example.com"
    assert data["key"] == "keyring"
    assert data["key_status"]["masked"] == "sk-…cdef"
    assert KEY not in json.dumps(data)


def test_show_reports_an_unreadable_key(cli: CliRunner, memory_keyring: MemoryKeyring) -> None:
    setup_work(cli)
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())
    result = cli("profile", "show", "work", "--json")
    assert result.exit_code == 0
    status = json.loads(result.stdout)["key_status"]
    assert status["ok"] is False
    assert "no OS keyring" in status["error"]


def test_edit_changes_fields_and_validates(
    cli: CliRunner, memory_keyring: MemoryKeyring, config_file: Path
) -> None:
    setup_work(cli, "--header", "X-A: 1", "--env", "FOO=1")
    config_file.write_text("# my note\n" + config_file.read_text())
    result = cli(
        "profile", "edit", "work", "--url", "https://other.example.com/", "--model", "m",
        "--header", "X-A:", "--header", "X-B: 2", "--unset-env", "FOO", "--cache-1h",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    text = config_file.read_text()
    assert text.startswith("# my note\n")
    data = tomllib.loads(text)["profiles"]["work"]
    assert data["base_url"] == "https://other.example.com"
    assert data["model"] == "m"
    assert data["headers"] == {"X-B": "2"}
    assert "env" not in data
    assert data["cache_1h"] is True
    bad = cli("profile", "edit", "work", "--auth", "basic")
    assert bad.exit_code == 3
    assert "auth must be one of" in bad.stderr
    assert cli("profile", "edit", "nope", "--model", "x").exit_code == 3


def test_remove_deletes_the_key_and_clears_the_default(
    cli: CliRunner, memory_keyring: MemoryKeyring, config_file: Path
) -> None:
    setup_work(cli)
    refused = cli("profile", "remove", "work")  # stdin is not a terminal: no silent yes
    assert refused.exit_code == 2
    assert MemoryKeyring.store
    result = cli("profile", "remove", "work", "--yes")
    assert result.exit_code == 0, result.stderr
    assert MemoryKeyring.store == {}
    data = tomllib.loads(config_file.read_text())
    assert "default" not in data
    assert data.get("profiles", {}) == {}
    assert "no default is set now" in result.stderr


def test_default(cli: CliRunner, memory_keyring: MemoryKeyring, config_file: Path) -> None:
    setup_work(cli)
    setup_work(cli, name="b")
    assert cli("profile", "default", "b").exit_code == 0
    assert tomllib.loads(config_file.read_text())["default"] == "b"
    assert cli("profile", "default", "zzz").exit_code == 3


def test_export_never_holds_the_key_and_import_round_trips(
    cli: CliRunner, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    setup_work(cli, "--header", "X-Team: a")
    for fmt in ("toml", "json"):
        exported = cli("profile", "export", "work", "--format", fmt)
        assert exported.exit_code == 0
        assert KEY not in exported.stdout
        path = tmp_path / f"work.{fmt}"
        path.write_text(exported.stdout)
        clash = cli("profile", "import", str(path))
        assert clash.exit_code == 3
        assert "--force" in clash.stderr
        assert cli("profile", "import", str(path), "--force").exit_code == 0
    renamed = tmp_path / "renamed.toml"
    renamed.write_text(
        (tmp_path / "work.toml").read_text().replace("profiles.work", "profiles.copy")
    )
    assert cli("profile", "import", str(renamed)).exit_code == 0
    shown = json.loads(cli("profile", "show", "copy", "--json").stdout)
    assert shown["headers"] == {"X-Team": "a"}
    broken = tmp_path / "broken.json"
    broken.write_text('{"profiles": ')
    result = cli("profile", "import", str(broken))
    assert result.exit_code == 3
    assert "line 1" in result.stderr


# -- ccwrap key ----------------------------------------------------------------------------------


def test_key_prints_only_the_key(cli: CliRunner, memory_keyring: MemoryKeyring) -> None:
    setup_work(cli)
    result = cli("key", "work")
    assert result.exit_code == 0
    assert result.stdout == KEY  # no newline: apiKeyHelper takes stdout as the token
    assert result.stderr == ""


def test_key_refuses_a_terminal_unless_reveal(
    cli: CliRunner, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    setup_work(cli)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    refused = cli("key", "work")
    assert refused.exit_code == 2
    assert refused.stdout == ""
    assert "--reveal" in refused.stderr
    assert cli("key", "work", "--reveal").stdout == KEY


def test_key_errors_go_to_stderr_only(cli: CliRunner, memory_keyring: MemoryKeyring) -> None:
    result = cli("key", "nope")
    assert result.exit_code == 3
    assert result.stdout == ""
    made = cli("setup", "work", "--url", "https://gw.example.com", "--key-source",
               "env:GW_TEST_KEY", "--yes", "--no-check")  # fmt: skip
    assert made.exit_code == 0, made.stderr
    missing = cli("key", "work")
    assert missing.exit_code == 4
    assert missing.stdout == ""
    assert "environment variable GW_TEST_KEY" in missing.stderr


def test_remove_still_removes_the_profile_when_the_keyring_is_gone(
    cli: CliRunner, memory_keyring: MemoryKeyring, config_file: Path
) -> None:
    setup_work(cli)
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())
    result = cli("profile", "remove", "work", "--yes")
    assert result.exit_code == 0, result.stderr
    assert "its key could not be removed: no OS keyring" in result.stderr
    assert "work" not in tomllib.loads(config_file.read_text()).get("profiles", {})
