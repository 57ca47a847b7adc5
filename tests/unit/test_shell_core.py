"""ccwrap.shell without a real shell: rendering, rc-file blocks, files, names."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccwrap import shell
from ccwrap.context import Context
from ccwrap.errors import RcFileError, UsageError
from ccwrap.fsutil import atomic_write
from ccwrap.profiles.store import Profile


def make_ctx(home: Path, **environ: str) -> Context:
    return Context(environ={"PATH": os.environ.get("PATH", ""), **environ}, cwd=home, home=home)


# --- blocks -----------------------------------------------------------------------------------

BLOCK = shell.render_block("bash", "mycc", "work")
line = st.text(st.characters(blacklist_characters="\r\n", codec="utf-8"))
rc_text = st.builds(
    lambda lines, nl, end: nl.join(lines) + (nl if end and lines else ""),
    st.lists(line, max_size=5),
    st.sampled_from(["\n", "\r\n"]),
    st.booleans(),
)


@given(rc_text)
def test_add_then_remove_gives_the_text_back(text: str) -> None:
    added = shell.add_block(text, "mycc", shell.render_block("bash", "mycc", "w", "\n"))
    assert shell.remove_block(added, "mycc") == text


@given(rc_text)
def test_adding_twice_keeps_one_block(text: str) -> None:
    once = shell.add_block(text, "mycc", shell.render_block("zsh", "mycc", "a"))
    twice = shell.add_block(once, "mycc", shell.render_block("zsh", "mycc", "b"))
    assert [b.name for b in shell.find_blocks(twice)] == ["mycc"]
    assert shell.find_blocks(twice)[0].profile == "b"
    assert shell.remove_block(twice, "mycc") == text


def test_block_goes_after_a_blank_line_or_ends_the_last_line() -> None:
    assert shell.add_block("", "mycc", BLOCK) == BLOCK
    assert shell.add_block("x\n", "mycc", BLOCK) == "x\n\n" + BLOCK
    assert shell.add_block("x", "mycc", BLOCK) == "x\n" + BLOCK


def test_update_in_place_keeps_what_follows() -> None:
    text = "a\n\n" + BLOCK + "b\n"
    updated = shell.add_block(text, "mycc", shell.render_block("bash", "mycc", "home"))
    assert updated.startswith("a\n\n# >>> ccwrap alias mycc >>>")
    assert updated.endswith("# <<< ccwrap alias mycc <<<\nb\n")
    assert shell.remove_block(updated, "mycc") == "a\nb\n"


def test_block_in_the_middle_leaves_the_lines_around_it() -> None:
    assert shell.remove_block("a\n" + BLOCK + "b\n", "mycc") == "a\nb\n"
    assert shell.remove_block(BLOCK + "b\n", "mycc") == "b\n"


def test_other_blocks_are_left_alone() -> None:
    other = shell.render_block("bash", "other", "x")
    text = shell.add_block(shell.add_block("a\n", "other", other), "mycc", BLOCK)
    assert shell.remove_block(text, "mycc") == "a\n\n" + other
    assert shell.remove_block(text, "nope") is None


def test_missing_end_marker_is_refused() -> None:
    with pytest.raises(RcFileError, match="no end marker") as error:
        shell.find_blocks("# >>> ccwrap alias mycc >>>\nfunction mycc {\n", "~/.bashrc")
    assert "~/.bashrc" in str(error.value)


def test_profile_is_read_back_from_every_shell_block() -> None:
    for name in shell.SHELLS:
        [block] = shell.find_blocks(shell.render_block(name, "mycc", "my.work-1"))
        assert (block.name, block.profile) == ("mycc", "my.work-1")


# --- rendering ------------------------------------------------------------------------------


def test_functions_pass_arguments_through() -> None:
    assert 'command ccwrap run --profile work -- "$@"' in shell.render_block("bash", "m", "work")
    assert 'command ccwrap run --profile work -- "$@"' in shell.render_block("zsh", "m", "work")
    assert "command ccwrap run --profile work -- $argv" in shell.render_block("fish", "m", "work")


def test_powershell_function_as_text() -> None:
    # PowerShell is not installed here: its output is checked as text.
    assert shell.render_function("powershell", "mycc", "work") == [
        "function mycc {",
        "    & ccwrap run --profile 'work' '--' @args",
        "}",
    ]


NASTY = 'it\'s "q" $HOME `id` \\ ‘x’ “y”\nnext\ttab'


def test_powershell_env_as_text() -> None:
    profile = Profile(
        name="work", base_url="https://gw.example/it's", env={"A": NASTY, "B": "$x ‘y’"}
    )
    text = shell.render_env("powershell", profile)
    assert text.splitlines()[1:] == [
        "$env:ANTHROPIC_BASE_URL = 'https://gw.example/it''s'",
        "$env:ANTHROPIC_AUTH_TOKEN = (ccwrap key 'work')",
        "$env:ANTHROPIC_API_KEY = ''",
        '$env:A = "it\'s `"q`" `$HOME ``id`` \\ ‘x’ `“y`”`nnext`ttab"',
        "$env:B = '$x ‘‘y’’'",
    ]


def test_env_calls_ccwrap_key_for_the_credential_variable() -> None:
    profile = Profile(name="work", base_url="https://x", auth="x-api-key")
    bash = shell.render_env("bash", profile)
    assert 'export ANTHROPIC_API_KEY="$(command ccwrap key work)"' in bash
    assert "export ANTHROPIC_AUTH_TOKEN=''" in bash
    fish = shell.render_env("fish", profile)
    assert "set -gx ANTHROPIC_API_KEY (command ccwrap key work | string collect)" in fish


def test_env_without_a_key() -> None:
    text = shell.render_env("bash", Profile(name="open", base_url="https://x", auth="none"))
    assert "ccwrap key" not in text


def test_unset_lists_managed_and_extra_variables() -> None:
    profile = Profile(name="w", base_url="https://x", env={"MY_VAR": "1"})
    for name in shell.SHELLS:
        text = shell.render_unset(name, profile)
        assert "ANTHROPIC_BASE_URL" in text
        assert "CLAUDE_CODE_DISABLE_EXPERIMENTAL_BETAS" in text
        assert "MY_VAR" in text
    assert "Remove-Item Env:MY_VAR -ErrorAction SilentlyContinue" in shell.render_unset(
        "powershell", profile
    )


def test_a_variable_name_a_shell_cannot_export_is_refused() -> None:
    profile = Profile(name="w", base_url="https://x", env={"A B": "1"})
    with pytest.raises(RcFileError, match="'A B'"):
        shell.render_env("bash", profile)


@pytest.mark.parametrize("name", ["mycc", "claude-work", "_x", "cc2"])
def test_valid_alias_names(name: str) -> None:
    assert shell.validate_alias_name(name) == name


@pytest.mark.parametrize("name", ["", "a b", "a;b", "$x", "-x", "a'b", "x/y", "2cc", "a`b`"])
def test_invalid_alias_names(name: str) -> None:
    with pytest.raises(UsageError, match="invalid alias name"):
        shell.validate_alias_name(name)


@pytest.mark.parametrize(
    ("given", "expected"),
    [("bash", "bash"), ("/usr/bin/zsh", "zsh"), ("pwsh", "powershell"), ("PWSH.EXE", "powershell")],
)
def test_parse_shell(given: str, expected: str) -> None:
    assert shell.parse_shell(given) == expected


def test_detect_shell_falls_back_to_SHELL(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shell.kinds, "_shellingham_name", lambda: None)
    assert shell.detect_shell({"SHELL": "/bin/fish"}) == "fish"
    monkeypatch.setattr(shell.kinds, "_shellingham_name", lambda: "sh")
    assert shell.detect_shell({"SHELL": "/usr/bin/zsh"}) == "zsh"
    with pytest.raises(UsageError, match="which shell"):
        shell.detect_shell({"SHELL": "/bin/tcsh"})


def test_detect_shell_prefers_shellingham(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shell.kinds, "_shellingham_name", lambda: "pwsh")
    assert shell.detect_shell({"SHELL": "/bin/bash"}) == "powershell"


# --- files ------------------------------------------------------------------------------------


def test_default_rc_files(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path)
    assert shell.default_rc(ctx, "bash", "m") == tmp_path / ".bashrc"
    assert shell.default_rc(ctx, "zsh", "m") == tmp_path / ".zshrc"
    assert shell.default_rc(ctx, "fish", "m") == tmp_path / ".config/fish/functions/m.fish"
    assert shell.default_rc(ctx, "powershell", "m", "linux") == (
        tmp_path / ".config/powershell/Microsoft.PowerShell_profile.ps1"
    )
    assert shell.default_rc(ctx, "powershell", "m", "win32") == (
        tmp_path / "Documents/PowerShell/Microsoft.PowerShell_profile.ps1"
    )
    moved = make_ctx(tmp_path, ZDOTDIR=str(tmp_path / "z"), XDG_CONFIG_HOME=str(tmp_path / "c"))
    assert shell.default_rc(moved, "zsh", "m") == tmp_path / "z/.zshrc"
    assert shell.default_rc(moved, "fish", "m") == tmp_path / "c/fish/functions/m.fish"


def test_shadowing(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    tool = bin_dir / "mytool"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    ctx = Context(environ={"PATH": str(bin_dir)}, cwd=tmp_path, home=tmp_path)
    assert shell.shadowed(ctx, "mytool", "bash") == f"the command {tool}"
    assert shell.shadowed(ctx, "unset", "bash") == "the bash builtin or keyword 'unset'"
    assert shell.shadowed(ctx, "string", "fish") is not None
    assert shell.shadowed(ctx, "string", "bash") is None
    assert shell.shadowed(ctx, "Foreach", "powershell") is not None
    assert shell.shadowed(ctx, "mycc", "zsh") is None


def test_add_and_remove_alias_in_a_file(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path)
    rc = tmp_path / ".bashrc"
    original = b"# my bashrc\nalias ll='ls -l'"  # no final newline
    rc.write_bytes(original)
    rc.chmod(0o640)
    change = shell.add_alias(ctx, "mycc", "work", "bash")
    assert (change.action, change.file, change.apply) == ("added", rc, "source ~/.bashrc")
    assert change.backup is not None
    assert change.backup.read_bytes() == original
    assert stat.S_IMODE(change.backup.stat().st_mode) == 0o600
    assert stat.S_IMODE(rc.stat().st_mode) == 0o640
    assert shell.add_alias(ctx, "mycc", "work", "bash").action == "unchanged"
    again = shell.add_alias(ctx, "mycc", "home", "bash")
    assert (again.action, again.backup) == ("updated", None)  # backed up once, before the first
    assert [(e.name, e.profile, e.shell) for e in shell.list_aliases(ctx)] == [
        ("mycc", "home", "bash")
    ]
    [removed] = shell.remove_alias(ctx, "mycc")
    assert (removed.file, removed.apply) == (rc, "unset -f mycc")
    assert rc.read_bytes() == original
    assert stat.S_IMODE(rc.stat().st_mode) == 0o640


def test_symlinked_rc_stays_a_symlink(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path)
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir()
    real = dotfiles / "zshrc"
    real.write_text("setopt autocd\n")
    link = tmp_path / ".zshrc"
    link.symlink_to(real)
    shell.add_alias(ctx, "mycc", "work", "zsh")
    assert link.is_symlink()
    assert "ccwrap alias mycc" in real.read_text()
    shell.remove_alias(ctx, "mycc", in_shell="zsh")
    assert link.is_symlink()
    assert real.read_text() == "setopt autocd\n"


def test_fish_alias_is_a_file_of_its_own(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path)
    change = shell.add_alias(ctx, "mycc", "work", "fish")
    assert change.file == tmp_path / ".config/fish/functions/mycc.fish"
    assert change.file.read_text().startswith("# >>> ccwrap alias mycc >>>\n# Claude Code")
    shell.remove_alias(ctx, "mycc", in_shell="fish")
    assert not change.file.exists()


def test_a_users_own_fish_function_is_not_overwritten(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path)
    mine = tmp_path / ".config/fish/functions/mycc.fish"
    mine.parent.mkdir(parents=True)
    mine.write_text("function mycc\n    echo mine\nend\n")
    with pytest.raises(UsageError, match="would shadow the fish function in"):
        shell.add_alias(ctx, "mycc", "work", "fish")
    shell.add_alias(ctx, "mycc", "work", "fish", force=True)
    shell.remove_alias(ctx, "mycc")
    assert mine.read_text() == "function mycc\n    echo mine\nend\n"


def test_shadowing_is_refused_unless_forced(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path)
    with pytest.raises(UsageError, match="would shadow the bash builtin or keyword 'cd'") as error:
        shell.add_alias(ctx, "cd", "work", "bash")
    assert error.value.hint is not None
    assert "--force" in error.value.hint
    assert not (tmp_path / ".bashrc").exists()
    assert shell.add_alias(ctx, "cd", "work", "bash", force=True).action == "added"


def test_remove_of_an_unknown_alias(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no ccwrap alias named 'nope'"):
        shell.remove_alias(make_ctx(tmp_path), "nope")


def test_remove_from_every_shell_at_once(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path)
    for name in ("bash", "zsh", "fish"):
        shell.add_alias(ctx, "mycc", "work", name)
    assert {c.shell for c in shell.remove_alias(ctx, "mycc")} == {"bash", "zsh", "fish"}
    assert shell.list_aliases(ctx) == []


def test_atomic_write_keeps_or_defaults_the_mode(tmp_path: Path) -> None:
    existing = tmp_path / "rc"
    existing.write_text("x")
    existing.chmod(0o604)
    atomic_write(existing, b"y", mode=None)
    assert stat.S_IMODE(existing.stat().st_mode) == 0o604
    fresh = tmp_path / "new"
    umask = os.umask(0o027)
    try:
        atomic_write(fresh, b"y", mode=None)
    finally:
        os.umask(umask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o640
    atomic_write(fresh, b"z")
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("shell_name", "rc_name", "definition"),
    [
        ("bash", ".bashrc", "alias mycc='claude --model x'"),
        ("bash", ".bashrc", "mycc() { claude; }"),
        ("zsh", ".zshrc", "  function mycc {\n  claude\n}"),
        ("fish", "config.fish", "alias mycc 'claude'"),
        ("powershell", "profile.ps1", "Set-Alias -Name MYCC -Value claude"),
    ],
)
def test_the_users_own_definition_in_the_file_is_not_shadowed(
    tmp_path: Path, shell_name: shell.Shell, rc_name: str, definition: str
) -> None:
    rc = tmp_path / rc_name
    rc.write_text(f"# mine\n{definition}\n")
    with pytest.raises(UsageError, match=f"the alias or function 'mycc' defined in {rc}"):
        shell.add_alias(make_ctx(tmp_path), "mycc", "work", shell_name, rc=rc)
    assert rc.read_text() == f"# mine\n{definition}\n"
    shell.add_alias(make_ctx(tmp_path), "mycc2", "work", shell_name, rc=rc)  # another name is fine
