"""``ccwrap run [PROFILE] [CLAUDE ARGS…]``: what run owns, and everything else goes to claude."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ccwrap.cli.commands.run import RunRequest, parse_fast
from ccwrap.context import Context
from ccwrap.errors import UsageError
from ccwrap.profiles.store import Profile, ProfileStore
from tests.conftest import CliRunner


@pytest.fixture(autouse=True)
def fake_claude(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "bin" / "claude"
    path.parent.mkdir()
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o755)
    monkeypatch.setenv("CCWRAP_CLAUDE", str(path))
    return path


def save(name: str, *, default: bool = False) -> None:
    store = ProfileStore(Context.from_os().paths.config_file)
    store.save(Profile(name=name, base_url=f"https://{name}.example"))
    if default:
        store.set_default(name)


def claude_args(cli: CliRunner, *args: str) -> tuple[str, list[str]]:
    """(profile, claude's arguments) of a dry run."""
    result = cli("run", "--dry-run", "--json", *args)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    return data["profile"], data["argv"][3:]


@pytest.mark.parametrize(
    ("args", "request_"),
    [
        ([], RunRequest()),
        (["-p", "explain this repo"], RunRequest(claude_args=("-p", "explain this repo"))),
        (["work", "--model", "opus"], RunRequest("work", None, claude_args=("--model", "opus"))),
        (["--model", "opus"], RunRequest(claude_args=("--model", "opus"))),
        (
            ["--model", "opus", "--dry-run"],
            RunRequest(claude_args=("--model", "opus", "--dry-run")),
        ),
        (
            ["--dry-run", "work", "-p", "x"],
            RunRequest("work", dry_run=True, claude_args=("-p", "x")),
        ),
        (["work", "--proxy", "-c"], RunRequest("work", proxy=True, claude_args=("-c",))),
        (["--profile", "work", "--", "-p", "x"], RunRequest("work", claude_args=("-p", "x"))),
        (["--profile=work", "prompt"], RunRequest("work", claude_args=("prompt",))),
        (["--", "work"], RunRequest(claude_args=("work",))),
        (["work", "--", "--", "x"], RunRequest("work", claude_args=("--", "x"))),
        (["-p", "--", "x"], RunRequest(claude_args=("-p", "--", "x"))),
        (
            ["--no-proxy", "--settings", "{}"],
            RunRequest(proxy=False, claude_args=("--settings", "{}")),
        ),
        (["work", "--help"], None),
        (["-h"], None),
        (["-p", "--help"], RunRequest(claude_args=("-p", "--help"))),
    ],
)
def test_parse(args: list[str], request_: RunRequest | None) -> None:
    parsed = parse_fast(args)
    if parsed is not None and request_ is not None:
        parsed = RunRequest(**{**parsed.__dict__, "profile_is_positional": False})
    assert parsed == request_


@pytest.mark.parametrize(
    "args", [["--profile"], ["--profile="], ["a", "--profile", "b"], ["--prxy"], ["--no-proxi"]]
)
def test_parse_errors(args: list[str]) -> None:
    with pytest.raises(UsageError):
        parse_fast(args)


def test_print_mode_is_claudes(cli: CliRunner) -> None:
    save("work", default=True)
    assert claude_args(cli, "-p", "explain this repo") == ("work", ["-p", "explain this repo"])


def test_profile_then_claude_args(cli: CliRunner) -> None:
    save("work")
    save("home", default=True)
    assert claude_args(cli, "work", "--model", "opus") == ("work", ["--model", "opus"])


def test_claude_args_on_the_default_profile(cli: CliRunner) -> None:
    save("work")
    save("home", default=True)
    assert claude_args(cli, "--model", "opus") == ("home", ["--model", "opus"])


def test_double_dash_forms(cli: CliRunner) -> None:
    save("work", default=True)
    assert claude_args(cli, "--", "-p", "x") == ("work", ["-p", "x"])
    assert claude_args(cli, "--profile", "work", "--", "--dry-run") == ("work", ["--dry-run"])
    assert claude_args(cli, "work", "--", "work") == ("work", ["work"])


def test_dry_run_with_claude_args_text(cli: CliRunner) -> None:
    save("work", default=True)
    result = cli("run", "--dry-run", "work", "-p", "two words", "--model", "opus")
    assert result.exit_code == 0, result.stderr
    assert "-p 'two words' --model opus" in result.stdout


def test_an_unknown_profile_says_how_to_pass_it_to_claude(cli: CliRunner) -> None:
    save("work", default=True)
    result = cli("run", "explain")
    assert result.exit_code == 3
    assert "no profile named 'explain'" in result.stderr
    assert "ccwrap run -- explain" in result.stderr


def test_a_typo_of_runs_options_says_how_claude_args_are_passed(cli: CliRunner) -> None:
    save("work", default=True)
    result = cli("run", "--dry-rn")
    assert result.exit_code == 2
    assert "did you mean --dry-run?" in result.stderr
    assert "goes to claude unchanged" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish", "powershell"])
def test_aliases_still_pass_everything_to_claude(shell: Any) -> None:
    """Alias functions call ``ccwrap run --profile P -- ARGS``: ARGS stay claude's."""
    import shlex

    from ccwrap.shell import render_function

    text = "\n".join(render_function(shell, "cc", "work"))
    line = next(part for part in text.splitlines() if "ccwrap run" in part)
    words = shlex.split(line.split("ccwrap run", 1)[1])[:3]
    assert words == ["--profile", "work", "--"]
    parsed = parse_fast([*words, "-p", "--dry-run"])
    assert parsed is not None
    assert (parsed.profile, parsed.claude_args) == ("work", ("-p", "--dry-run"))
