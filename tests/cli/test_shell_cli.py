"""``ccwrap alias`` and ``ccwrap env`` in-process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ccwrap.cli.commands import shell as cli_shell
from ccwrap.context import Context
from ccwrap.profiles.store import Profile, ProfileStore
from ccwrap.shell import SHELLS
from tests.conftest import CliRunner

SECRET = "sk-ant-api03-never-in-a-file-0123456789"


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> ProfileStore:
    monkeypatch.setenv("WORK_KEY", SECRET)
    profiles = ProfileStore(Context.from_os().paths.config_file)
    profiles.save(
        Profile(
            name="work",
            base_url="https://gw.example.com",
            key="env:WORK_KEY",
            headers={"X-Team": "a'b$c"},
            env={"MY_VAR": "1"},
        )
    )
    profiles.save(Profile(name="home", base_url="https://home.example", auth="x-api-key"))
    return profiles


def test_alias_add_list_remove(cli: CliRunner, store: ProfileStore, isolated: Path) -> None:
    rc = isolated / ".bashrc"
    rc.write_text("export EDITOR=vi\n")
    added = cli("alias", "add", "mycc", "--profile", "work", "--shell", "bash")
    assert added.exit_code == 0, added.stderr
    assert f"added alias mycc (ccwrap run --profile work) in {rc}" in added.stdout
    assert "backup of the file before this change:" in added.stdout
    assert added.stdout.endswith("to use it in this shell now, run: source ~/.bashrc\n")
    assert SECRET not in rc.read_text()
    assert "command ccwrap run --profile work" in rc.read_text()

    listed = cli("alias", "list", "--json")
    assert json.loads(listed.stdout) == [
        {"name": "mycc", "profile": "work", "shell": "bash", "file": str(rc)}
    ]
    assert cli("alias", "list").stdout.split() == ["mycc", "work", "bash", str(rc)]

    removed = cli("alias", "remove", "mycc")
    assert removed.exit_code == 0
    assert "to drop it from a running bash, run: unset -f mycc" in removed.stdout
    assert rc.read_text() == "export EDITOR=vi\n"
    assert "no aliases yet" in cli("alias", "list").stdout


def test_alias_for_an_unknown_profile(cli: CliRunner, store: ProfileStore, isolated: Path) -> None:
    result = cli("alias", "add", "mycc", "--profile", "wrok", "--shell", "bash")
    assert result.exit_code == 3
    assert "no profile named 'wrok'" in result.stderr
    assert not (isolated / ".bashrc").exists()


def test_alias_that_shadows_a_command(cli: CliRunner, store: ProfileStore) -> None:
    result = cli("alias", "add", "ls", "--profile", "work", "--shell", "zsh")
    assert result.exit_code == 2
    assert "an alias named 'ls' would shadow the command /" in result.stderr
    assert "--force" in result.stderr
    forced = cli("alias", "add", "ls", "--profile", "work", "--shell", "zsh", "--force")
    assert forced.exit_code == 0


def test_alias_name_with_metacharacters(cli: CliRunner, store: ProfileStore) -> None:
    result = cli("alias", "add", "my cc;rm", "--profile", "work", "--shell", "bash")
    assert result.exit_code == 2
    assert "invalid alias name" in result.stderr


def test_alias_in_a_chosen_file(cli: CliRunner, store: ProfileStore, isolated: Path) -> None:
    rc = isolated / "aliases.sh"
    assert (
        cli("alias", "add", "cw", "-p", "home", "--shell", "bash", "--rc", str(rc)).exit_code == 0
    )
    assert "ccwrap alias cw" in rc.read_text()
    assert cli("alias", "add", "cz", "-p", "home", "--shell", "zsh", "--rc", str(rc)).exit_code == 0
    # ccwrap remembers the file: list and remove find aliases there without --rc.
    listed = json.loads(cli("alias", "list", "--json").stdout)
    assert [(a["name"], a["file"]) for a in listed] == [("cw", str(rc)), ("cz", str(rc))]
    assert cli_shell.complete_alias("c") == ["cw", "cz"]
    assert cli("alias", "remove", "cw").exit_code == 0
    assert cli("alias", "remove", "cz", "--rc", str(rc)).exit_code == 0
    assert rc.read_text() == ""


def test_unknown_shell(cli: CliRunner, store: ProfileStore) -> None:
    result = cli("env", "--profile", "work", "--shell", "tcsh")
    assert result.exit_code == 2
    assert "unsupported shell 'tcsh'" in result.stderr


def test_env_never_prints_the_key(cli: CliRunner, store: ProfileStore) -> None:
    for name in SHELLS:
        result = cli("env", "--profile", "work", "--shell", name)
        assert result.exit_code == 0, result.stderr
        assert SECRET not in result.stdout
        assert "ccwrap key work" in result.stdout.replace("'", "")
    bash = cli("env", "--profile", "work", "--shell", "bash").stdout
    assert "export ANTHROPIC_CUSTOM_HEADERS='X-Team: a'\\''b$c'\n" in bash
    assert "export MY_VAR=1\n" in bash


def test_env_takes_the_profile_as_an_argument(cli: CliRunner, store: ProfileStore) -> None:
    # `eval "$(ccwrap env work)"` is the form the issue and the README show.
    by_name = cli("env", "work", "--shell", "bash")
    assert by_name.exit_code == 0, by_name.stderr
    assert by_name.stdout == cli("env", "--profile", "work", "--shell", "bash").stdout
    clash = cli("env", "work", "--profile", "home", "--shell", "bash")
    assert clash.exit_code == 2
    assert "two profiles given" in clash.stderr


def test_env_uses_the_default_profile(cli: CliRunner, store: ProfileStore) -> None:
    store.set_default("home")
    out = cli("env", "--shell", "fish").stdout
    assert "set -gx ANTHROPIC_API_KEY (command ccwrap key home | string collect)" in out


def test_env_unset(cli: CliRunner, store: ProfileStore) -> None:
    out = cli("env", "--profile", "work", "--shell", "bash", "--unset").stdout
    assert "unset ANTHROPIC_AUTH_TOKEN\n" in out
    assert "unset MY_VAR\n" in out
    # With no profile at all, ccwrap's own variables are still cleared.
    store.remove("work")
    store.remove("home")
    out = cli("env", "--shell", "zsh", "--unset").stdout
    assert "unset ANTHROPIC_BASE_URL\n" in out
    assert "MY_VAR" not in out


def test_completion_helpers(store: ProfileStore, isolated: Path) -> None:
    assert cli_shell.SHELL_NAMES == SHELLS
    assert cli_shell.complete_shell("p") == ["powershell"]
    assert cli_shell.complete_alias("") == []
    (isolated / ".zshrc").write_text("# >>> ccwrap alias broken >>>\n")  # no end marker
    assert cli_shell.complete_alias("") == []


def test_install_completion_writes_into_home(
    cli: CliRunner, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Typer's own switch: --install-completion takes the shell's name instead of detecting it.
    monkeypatch.setenv("_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION", "1")
    result = cli("--install-completion", "bash")
    assert result.exit_code == 0, result.stderr
    script = isolated / ".bash_completions" / "ccwrap.sh"
    assert "_CCWRAP_COMPLETE=complete_bash" in script.read_text()
    assert f"source '{script}'" in (isolated / ".bashrc").read_text()
    assert cli("--install-completion", "fish").exit_code == 0
    fish = isolated / ".config/fish/completions/ccwrap.fish"
    assert "_CCWRAP_COMPLETE=complete_fish" in fish.read_text()
