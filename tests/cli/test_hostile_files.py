"""Broken or hostile files and arguments give a message and a usage/config exit code, never exit
70 nor a hang (issue 16 items 12 and 16)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CliResult, CliRunner
from tests.support.cli_setup import setup_env_profile


def _clean(result: CliResult) -> None:
    assert result.exit_code != 70, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert "internal error" not in result.stderr


@pytest.fixture
def work(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    setup_env_profile(cli, monkeypatch, "sk-work-123456")


def _folder(path: Path) -> None:
    path.mkdir()


def _loop(path: Path) -> None:
    path.symlink_to(path.name)


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _zero(path: Path) -> None:
    path.symlink_to("/dev/zero")


def _huge(path: Path) -> None:
    with path.open("wb") as handle:
        handle.truncate(64 * 1024 * 1024)  # sparse


def _deep(path: Path) -> None:
    path.write_text('{"a":' * 50_000 + "1" + "}" * 50_000)


BAD_FILES: dict[str, Callable[[Path], None]] = {
    "folder": _folder,
    "loop": _loop,
    "fifo": _fifo,
    "dev-zero": _zero,
    "huge": _huge,
    "deep": _deep,
}
COMMANDS = [
    ("use", "work"),
    ("settings", "show"),
    ("settings", "apply", "work", "--scope", "user", "--yes"),
    ("doctor", "--offline"),
    ("doctor", "--profile", "work", "--offline"),
    ("run", "work", "--dry-run"),
]


@pytest.mark.parametrize("bad", list(BAD_FILES))
def test_a_broken_user_settings_file(cli: CliRunner, work: None, isolated: Path, bad: str) -> None:
    path = isolated / ".claude" / "settings.json"
    path.parent.mkdir(exist_ok=True)
    BAD_FILES[bad](path)
    for command in COMMANDS:
        result = cli(*command)
        _clean(result)
    assert cli("use", "work").exit_code == 5


@pytest.mark.parametrize("bad", list(BAD_FILES))
def test_a_broken_project_settings_file(cli: CliRunner, work: None, bad: str) -> None:
    path = Path.cwd() / ".claude" / "settings.json"
    path.parent.mkdir()
    BAD_FILES[bad](path)
    for command in COMMANDS:
        _clean(cli(*command))


PROFILE = b'version = 1\n[profiles.w]\nbase_url = "http://127.0.0.1:9"\n'


def _config(tmp_path: Path) -> Path:
    return tmp_path / "ccwrap-home" / "config.toml"


@pytest.mark.parametrize(
    "content",
    [
        b"version = 1\n\xff\xfe = 1\n",
        b"version = 1\nx = " + b"[" * 100_000 + b"]" * 100_000 + b"\n",
        b"version = 1\nx = " + b"{a=" * 50_000 + b"1" + b"}" * 50_000 + b"\n",
        PROFILE + b'[profiles.w.env]\n"A=B" = "1"\n',
        PROFILE + b'[profiles.w.env]\n"A\\u0000B" = "1"\n',
        PROFILE + b'[profiles.w.headers]\n"x-a" = "1\\r\\nInjected: 1"\n',
    ],
)
def test_a_broken_config_toml(cli: CliRunner, tmp_path: Path, content: bytes) -> None:
    path = _config(tmp_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    for command in [
        ("profile", "list"),
        ("run", "w", "--dry-run"),
        ("doctor", "--offline"),
        ("env", "w"),
        ("settings", "apply", "w", "--dry-run"),
    ]:
        result = cli(*command)
        _clean(result)
    assert cli("profile", "list").exit_code == 3


@pytest.mark.parametrize("bad", ["fifo", "dev-zero", "folder", "huge"])
def test_config_toml_that_is_no_small_file(cli: CliRunner, tmp_path: Path, bad: str) -> None:
    path = _config(tmp_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    BAD_FILES[bad](path)
    result = cli("profile", "list")
    _clean(result)
    assert result.exit_code == 3 and str(path) in result.stderr


@pytest.mark.parametrize("key", ["sk-kéy", "sk-k€y", "sk-\u4e2d"])
def test_a_key_no_header_can_carry(
    cli: CliRunner, work: None, monkeypatch: pytest.MonkeyPatch, key: str
) -> None:
    monkeypatch.setenv("WORKKEY", key)
    result = cli("doctor", "--profile", "work", "--json")
    _clean(result)
    assert result.exit_code == 1 and "HTTP header cannot carry" in result.stdout
    assert key not in result.stdout


@pytest.mark.parametrize("url", ["http://[::1", "http://[::1]:99999", "http://h:port", "http://"])
def test_a_malformed_url(cli: CliRunner, url: str) -> None:
    result = cli("doctor", "--url", url, "--key-stdin", input="sk-x")
    _clean(result)
    assert result.exit_code == 1 and "✗ url.scheme" in result.stdout


def test_invalid_utf8_arguments(cli: CliRunner, work: None) -> None:
    bad = b"w\xff".decode("utf-8", "surrogateescape")  # what Python makes of such argv bytes
    for command in [
        ("profile", "show", bad),
        ("run", bad, "--dry-run"),
        ("setup", bad, "--yes"),
        ("doctor", "--url", f"http://{bad}", "--offline"),
        ("doctor", "--explain", bad),
        ("key", bad),
        ("env", bad),
    ]:
        _clean(cli(*command))


def test_a_world_writable_ccwrap_home_is_refused(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "ccwrap-home"
    home.mkdir()
    home.chmod(0o777)
    monkeypatch.setenv("WORKKEY", "sk-1")
    result = cli(
        "setup",
        "work",
        "--url",
        "http://127.0.0.1:9",
        "--key-source",
        "env:WORKKEY",
        "--yes",
        "--no-check",
    )
    _clean(result)
    assert result.exit_code == 3 and "writable by other users" in result.stderr
    assert not (home / "config.toml").exists()


@pytest.mark.parametrize("bad", ["fifo", "dev-zero", "huge"])
def test_an_rc_file_that_is_no_small_file(
    cli: CliRunner, work: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bad: str
) -> None:
    monkeypatch.setenv("SHELL", "/bin/bash")
    rc = tmp_path / "rc"
    BAD_FILES[bad](rc)
    result = cli("alias", "add", "cc-work", "--profile", "work", "--shell", "bash", "--rc", str(rc))
    _clean(result)
    assert result.exit_code != 0 and str(rc) in result.stderr


def test_settings_show_escapes_what_a_checkout_holds(cli: CliRunner) -> None:
    folder = Path.cwd() / ".claude"
    folder.mkdir()
    hostile = {
        "env": {"ANTHROPIC_BASE_URL": "http://x\x1b[2J", "F\x1bOO": "\x1b]0;t\x07"},
        "apiKeyHelper": "echo \x1b[31m",
    }
    (folder / "settings.json").write_text(json.dumps(hostile))
    result = cli("settings", "show")
    _clean(result)
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "http://x\\x1b[2J" in result.stdout and "echo \\x1b[31m" in result.stdout
