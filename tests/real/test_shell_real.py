"""Real bash, zsh and fish: aliases sourced from their rc files, ``ccwrap env`` evaluated, and TAB
completion of profile and alias names through the committed scripts in completions/.

PowerShell is not installed here; its output is checked as text in test_shell_core.py.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ccwrap.context import Context
from ccwrap.profiles.store import Profile, ProfileStore
from ccwrap.shell import quote
from tests.conftest import REPO, CliRunner, require

pytestmark = pytest.mark.shells

SHELL_NAMES = ("bash", "zsh", "fish")
# What a user might type after an alias: every one must reach `ccwrap run` unchanged.
NASTY_ARGS = [
    "-p",
    "hello world",
    "it's",
    '"double"',
    "$HOME",
    "`id`",
    "$(id)",
    "*",
    "ünïcödé ✓ 日本",
    "",
    "--flag=x y",
    "line1\nline2",
    "back\\slash",
    "--",
]
NASTY_VALUE = 'a\'b "c" $HOME `id` $(id) \\ ‘x’ * ünï\nsecond line\ttab'
SECRET = "sk-test-0123456789-secret"


def need(shell: str) -> str:
    path = shutil.which(shell)
    require(path is not None, f"{shell} is not installed (Debian package {shell})")
    assert path is not None
    return path


def run_in(shell: str, script: str, *args: str, env: dict[str, str] | None = None) -> str:
    """Run ``script`` in a shell that reads no start-up file; ``args`` are its "$@" / $argv."""
    command = {
        "bash": [need("bash"), "--norc", "--noprofile", "-c", script, "bash"],
        "zsh": [need("zsh"), "-f", "-c", script, "zsh"],
        # fish reads options among the arguments up to a "--".
        "fish": [need("fish"), "--no-config", "-c", script, "--"],
    }[shell]
    done = subprocess.run(
        [*command, *args], capture_output=True, env=env or dict(os.environ), timeout=60
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    # Not text mode: its universal newlines would turn a "\r" the shell printed into "\n".
    return done.stdout.decode("utf-8", "surrogateescape")


@pytest.fixture
def ccwrap_on_path(monkeypatch: pytest.MonkeyPatch) -> Path:
    """The real ccwrap of this environment, first on PATH for the shells."""
    bin_dir = Path(sys.executable).parent
    require((bin_dir / "ccwrap").exists(), "ccwrap is not installed beside this python")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return bin_dir / "ccwrap"


@pytest.fixture
def profiles(monkeypatch: pytest.MonkeyPatch) -> ProfileStore:
    store = ProfileStore(Context.from_os().paths.config_file)
    monkeypatch.setenv("WORK_KEY", SECRET)
    store.save(
        Profile(
            name="work",
            base_url="https://gw.example.com",
            key="env:WORK_KEY",
            headers={"X-Team": "a'b$c`d\"e"},
            env={"MY_VALUE": NASTY_VALUE},
        )
    )
    store.save(Profile(name="home", base_url="https://home.example", auth="x-api-key"))
    store.save(Profile(name="work-eu", base_url="https://eu.example"))
    return store


@pytest.fixture
def standin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ccwrap_on_path: Path) -> Path:
    """The real ``ccwrap run`` launching a stand-in claude that records its argv."""
    from tests.support import standin_claude

    monkeypatch.setenv("CCWRAP_CLAUDE", str(standin_claude.install(tmp_path)))
    record = tmp_path / "record.json"
    monkeypatch.setenv("STANDIN_RECORD", str(record))
    return record


def claude_args(record: Path) -> list[str]:
    argv: list[str] = json.loads(record.read_text(encoding="utf-8"))["argv"]
    assert argv[0] == "--settings"  # ccwrap run's own, then the user's arguments untouched
    return argv[2:]


@pytest.mark.parametrize("shell", SHELL_NAMES)
def test_alias_passes_arguments_exactly(
    shell: str, cli: CliRunner, profiles: ProfileStore, standin: Path, isolated: Path
) -> None:
    need(shell)
    added = cli("alias", "add", "mycc", "--profile", "work", "--shell", shell)
    assert added.exit_code == 0, added.stderr
    rc = {
        "bash": isolated / ".bashrc",
        "zsh": isolated / ".zshrc",
        "fish": isolated / ".config/fish/functions/mycc.fish",
    }[shell]
    call = "mycc $argv" if shell == "fish" else 'mycc "$@"'
    run_in(shell, f"source {rc}; {call}", *NASTY_ARGS)
    assert claude_args(standin) == NASTY_ARGS
    record = json.loads(standin.read_text())
    # The profile has a custom header, so its settings travel in a 0600 file, never in argv.
    assert record["settings_file"]["mode"] == 0o600
    settings = record["settings_file"]["content"]
    assert settings["env"]["ANTHROPIC_BASE_URL"] == "https://gw.example.com"


@pytest.mark.parametrize("shell", SHELL_NAMES)
def test_alias_passes_claudes_exit_code(
    shell: str, cli: CliRunner, profiles: ProfileStore, standin: Path, isolated: Path
) -> None:
    need(shell)
    cli("alias", "add", "mycc", "--profile", "home", "--shell", shell, "--rc", str(isolated / "rc"))
    status = "$status" if shell == "fish" else "$?"
    env = {**os.environ, "STANDIN_MODE": "exit:7"}
    assert run_in(shell, f"source {isolated / 'rc'}; mycc -p hi; echo {status}", env=env) == "7\n"


def test_fish_autoloads_the_alias(
    cli: CliRunner, profiles: ProfileStore, standin: Path, isolated: Path
) -> None:
    """fish finds functions/NAME.fish by itself: no `source` needed in a new fish."""
    need("fish")
    cli("alias", "add", "mycc", "--profile", "home", "--shell", "fish")
    functions = isolated / ".config/fish/functions"
    run_in("fish", f"set fish_function_path {functions} $fish_function_path; mycc 'a b'")
    assert claude_args(standin) == ["a b"]


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_add_twice_then_remove_is_byte_identical_and_the_shell_still_starts(
    shell: str, cli: CliRunner, profiles: ProfileStore, isolated: Path
) -> None:
    need(shell)
    dotfiles = isolated / "dotfiles"
    dotfiles.mkdir()
    real = dotfiles / f"{shell}rc"
    original = b"export FOO=1\n# no newline at the end\necho loaded"
    real.write_bytes(original)
    rc = isolated / f".{shell}rc"
    rc.symlink_to(real)
    for profile in ("work", "home"):
        assert cli("alias", "add", "mycc", "-p", profile, "--shell", shell).exit_code == 0
    text = real.read_text()
    assert text.count("# >>> ccwrap alias mycc >>>") == 1
    assert SECRET not in text
    assert run_in(shell, f"source {rc}; type mycc >/dev/null && echo ok").endswith("loaded\nok\n")
    assert cli("alias", "remove", "mycc", "--shell", shell).exit_code == 0
    assert rc.is_symlink()
    assert real.read_bytes() == original


@pytest.mark.parametrize("shell", SHELL_NAMES)
def test_env_really_sets_the_variables(
    shell: str, cli: CliRunner, profiles: ProfileStore, ccwrap_on_path: Path
) -> None:
    need(shell)
    dump = (
        f"{sys.executable} -c "
        "'import json, os; print(json.dumps({k: os.environ.get(k) for k in "
        '["ANTHROPIC_BASE_URL", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_API_KEY", '
        '"ANTHROPIC_CUSTOM_HEADERS", "MY_VALUE"]}))\''
    )
    load = (
        "ccwrap env -p work --shell fish | source"
        if shell == "fish"
        else f'eval "$(ccwrap env -p work --shell {shell})"'
    )
    seen = json.loads(run_in(shell, f"{load}; {dump}"))
    assert seen == {
        "ANTHROPIC_BASE_URL": "https://gw.example.com",
        "ANTHROPIC_AUTH_TOKEN": SECRET,  # read through `ccwrap key work` when evaluated
        "ANTHROPIC_API_KEY": "",
        "ANTHROPIC_CUSTOM_HEADERS": "X-Team: a'b$c`d\"e",
        "MY_VALUE": NASTY_VALUE,
    }
    unload = (
        "ccwrap env -p work --shell fish --unset | source"
        if shell == "fish"
        else f'eval "$(ccwrap env -p work --shell {shell} --unset)"'
    )
    cleared = json.loads(run_in(shell, f"{load}; {unload}; {dump}"))
    assert cleared == dict.fromkeys(seen)


def test_env_reads_the_key_from_the_keyring(
    cli: CliRunner, profiles: ProfileStore, ccwrap_on_path: Path, file_keyring: Path
) -> None:
    need("bash")
    from ccwrap.keys.sources import SecretStore

    profiles.save(Profile(name="kr", base_url="https://kr.example"))
    SecretStore(Context.from_os()).write("kr", "keyring", "sk-from-keyring-123456")
    out = run_in("bash", 'eval "$(ccwrap env -p kr --shell bash)"; echo "$ANTHROPIC_AUTH_TOKEN"')
    assert out == "sk-from-keyring-123456\n"


# --- completion ---------------------------------------------------------------------------------


def completions(shell: str, line: str) -> list[str]:
    """What TAB offers at the end of ``line``, through the committed completion script."""
    script = (
        REPO
        / "completions"
        / {"bash": "ccwrap.bash", "zsh": "_ccwrap", "fish": "ccwrap.fish"}[shell]
    )
    if shell == "fish":
        out = run_in("fish", f"source {script}; complete -C {json.dumps(line)}")
        return sorted(entry.split("\t")[0] for entry in out.splitlines())
    words = line.split(" ")
    if shell == "bash":
        out = run_in(
            "bash",
            f'source {script}; COMP_WORDS=("$@"); COMP_CWORD={len(words) - 1}; '
            '_ccwrap_completion ccwrap; printf "%s\\n" "${COMPREPLY[@]}"',
            *words,
        )
        return sorted(filter(None, out.splitlines()))
    # zsh: the real completion function, with compsys's _arguments replaced by one that prints
    # the candidates it was handed (no terminal needed).
    out = run_in(
        "zsh",
        "compdef() { :; }; "
        '_arguments() { print -r -- "$@"; }; '
        f"source {script}; "
        'words=("$@"); CURRENT=$#; _ccwrap_completion',
        *words,
    )
    return sorted(_zsh_candidates(out))


def _zsh_candidates(out: str) -> list[str]:
    # `*: :(("home" "work"))`, or with help texts `*: :(("alias":"Short commands…"))`
    return re.findall(r'"([^"]*)"(?::"[^"]*")?', out)


@pytest.mark.parametrize("shell", SHELL_NAMES)
def test_profile_names_complete(
    shell: str, cli: CliRunner, profiles: ProfileStore, ccwrap_on_path: Path
) -> None:
    need(shell)
    assert completions(shell, "ccwrap run --profile ") == ["home", "work", "work-eu"]
    assert completions(shell, "ccwrap env --profile ") == ["home", "work", "work-eu"]
    assert completions(shell, "ccwrap env --profile wo") == ["work", "work-eu"]
    assert completions(shell, "ccwrap key h") == ["home"]
    assert completions(shell, "ccwrap alias add mycc -p ") == ["home", "work", "work-eu"]


@pytest.mark.parametrize("shell", SHELL_NAMES)
def test_alias_names_complete_after_alias_remove(
    shell: str, cli: CliRunner, profiles: ProfileStore, ccwrap_on_path: Path
) -> None:
    need(shell)
    cli("alias", "add", "mycc", "-p", "work", "--shell", "bash")
    cli("alias", "add", "cw", "-p", "home", "--shell", "fish")
    assert completions(shell, "ccwrap alias remove ") == ["cw", "mycc"]


@pytest.mark.parametrize("shell", SHELL_NAMES)
def test_commands_complete(shell: str, ccwrap_on_path: Path) -> None:
    need(shell)
    offered = completions(shell, "ccwrap al")
    assert offered == ["alias"]


# --- quoting, checked by the shells themselves ------------------------------------------------

env_value = st.text(st.characters(blacklist_characters="\0", codec="utf-8"))


@pytest.mark.parametrize("shell", SHELL_NAMES)
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(values=st.lists(env_value, min_size=1, max_size=12))
def test_quote_gives_each_value_back_exactly(shell: str, values: list[str]) -> None:
    need(shell)
    words = " ".join(quote(shell, value) for value in values)  # type: ignore[arg-type]
    out = run_in(shell, f"printf '%s\\0' {words}")
    assert out.split("\0")[:-1] == values


ZPTY_SCRIPT = r"""
zmodload zsh/zpty
zpty -b z 'zsh -f -i'
zpty -w z "PS1='%% '; autoload -Uz compinit; compinit -u -d $ZCOMPDUMP; source $SCRIPT"
zpty -w z "zstyle ':completion:*' list-prompt ''; zstyle ':completion:*' menu no"
zpty -n -w z "$LINE"$'\t'
seen=""
deadline=$(( SECONDS + 30 ))
while (( SECONDS < deadline )); do
    if zpty -r -t z chunk; then
        seen+=$chunk
        [[ $seen == *"$EXPECT"* ]] && break
    else
        sleep 0.1
    fi
done
zpty -d z
print -r -- "$seen"
"""


def test_zsh_completes_profiles_in_a_real_terminal(
    profiles: ProfileStore, ccwrap_on_path: Path, tmp_path: Path
) -> None:
    """zsh's own completion system (compinit, _arguments, the listing) in a pseudo-terminal."""
    need("zsh")
    env = {
        **os.environ,
        "ZCOMPDUMP": str(tmp_path / "zcompdump"),
        "SCRIPT": str(REPO / "completions" / "_ccwrap"),
        "LINE": "ccwrap run --profile ",
        "EXPECT": "work-eu",
    }
    screen = run_in("zsh", ZPTY_SCRIPT, env=env)
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen)
    assert re.search(r"^home\s+work\s+work-eu\s*$", text.replace("\r", "\n"), re.MULTILINE), text
