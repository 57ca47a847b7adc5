"""settings apply / use / clear / restore through the CLI and the writer: only ccwrap's keys."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import pytest

from ccwrap import fsutil
from ccwrap.claude.env import profile_env
from ccwrap.context import Context
from ccwrap.keys.helper_command import key_helper_command
from ccwrap.profiles.store import Profile, ProfileStore
from ccwrap.settings.writer import SettingsWriter, desired_settings
from tests.conftest import CliRunner

WORK = Profile(name="work", base_url="https://gw.example.com", key="env:WORK_KEY", model="m-1")


@pytest.fixture
def ctx(monkeypatch: pytest.MonkeyPatch) -> Context:
    context = Context.from_os()
    ProfileStore(context.paths.config_file).save(WORK)
    ProfileStore(context.paths.config_file).save(
        Profile(name="other", base_url="https://other.example.com", auth="x-api-key")
    )
    monkeypatch.setenv("WORK_KEY", "sk-test-secret-0123456789")
    return Context.from_os()


def user_file(ctx: Context) -> Path:
    return ctx.claude_config_dir / "settings.json"


def write(path: Path, text: str, mode: int = 0o644) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode())
    path.chmod(mode)
    return path.read_bytes()


USER_DOC = (
    '{\n\t"permissions": {"allow": ["Bash(git:*)"]},\n\t"statusLine": {"type": "command"},\n'
    '\t"env": {\n\t\t"MY_VAR": "été ☕"\n\t},\n\t"hooks": {}\n}'
)


def test_apply_writes_the_profile_env_and_helper_and_clear_restores_the_bytes(
    ctx: Context, cli: CliRunner
) -> None:
    path = user_file(ctx)
    original = write(path, USER_DOC)
    result = cli("settings", "apply", "work")
    assert result.exit_code == 0, result.stderr
    data = json.loads(path.read_text())
    expected_env = {"MY_VAR": "été ☕", **profile_env(WORK)}
    assert data["env"] == expected_env
    assert data["env"]["ANTHROPIC_AUTH_TOKEN"] == ""  # no key written, no shell export wins
    assert data["apiKeyHelper"] == key_helper_command("work")
    assert data["permissions"] == {"allow": ["Bash(git:*)"]}
    text = path.read_text()
    assert '\t\t"ANTHROPIC_BASE_URL": ' in text  # tabs kept
    assert "été ☕" in text  # non-ASCII kept unescaped
    assert not text.endswith("\n")  # no trailing newline added
    assert "sk-test" not in text
    assert cli("settings", "clear").exit_code == 0
    assert path.read_bytes() == original


@pytest.mark.parametrize(
    "doc",
    [
        '{\n  "a": 1\n}\n',
        '{\n    "a": {\n        "b": [1, 2]\n    }\n}\n',
        '{"a":1}',
        "{}",
        "",
        '{\r\n  "env": {}\r\n}\r\n',
    ],
)
def test_indentation_styles_round_trip(ctx: Context, cli: CliRunner, doc: str) -> None:
    path = user_file(ctx)
    original = write(path, doc)
    assert cli("use", "work").exit_code == 0
    applied = path.read_bytes().decode()
    if "\n    " in doc:
        assert '\n        "ANTHROPIC_BASE_URL"' in applied
    if "\r\n" in doc:
        assert "\n" not in applied.replace("\r\n", "")
    assert cli("settings", "clear").exit_code == 0
    assert path.read_bytes() == original


def test_missing_file_and_folder_are_created_private_and_clear_removes_them(
    ctx: Context, cli: CliRunner
) -> None:
    path = user_file(ctx)
    assert not path.parent.exists()
    assert cli("use", "work").exit_code == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert path.read_text().endswith("}\n")
    assert cli("settings", "clear").exit_code == 0
    assert not path.exists()


def test_mode_of_an_existing_file_is_kept(ctx: Context, cli: CliRunner) -> None:
    path = user_file(ctx)
    write(path, "{}\n", mode=0o640)
    assert cli("use", "work").exit_code == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_symlinked_settings_stays_a_symlink(ctx: Context, cli: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "dotfiles" / "claude-settings.json"
    original = write(target, '{\n  "theme": "dark"\n}\n')
    link = user_file(ctx)
    link.parent.mkdir(parents=True)
    link.symlink_to(target)
    assert cli("use", "work").exit_code == 0
    assert link.is_symlink()
    assert json.loads(target.read_text())["env"]["ANTHROPIC_BASE_URL"] == WORK.base_url
    assert cli("settings", "clear").exit_code == 0
    assert link.is_symlink() and target.read_bytes() == original


def test_invalid_json_is_refused_with_line_and_column(ctx: Context, cli: CliRunner) -> None:
    path = user_file(ctx)
    original = write(path, '{\n  "a": 1,\n  "b": \n}\n')
    result = cli("use", "work")
    assert result.exit_code == 5
    assert str(path) in result.stderr
    assert "line 4, column 1" in result.stderr
    assert "Traceback" not in result.stderr
    assert path.read_bytes() == original
    assert not any(ctx.paths.state_dir.rglob("*.json")) if ctx.paths.state_dir.exists() else True


def test_a_value_ccwrap_did_not_write_is_not_overwritten_without_force(
    ctx: Context, cli: CliRunner
) -> None:
    path = user_file(ctx)
    original = write(path, '{"env": {"ANTHROPIC_BASE_URL": "https://mine.example"}}')
    result = cli("use", "work")
    assert result.exit_code == 5
    assert "env.ANTHROPIC_BASE_URL" in result.stderr and "not written by ccwrap" in result.stderr
    assert "--force" in result.stderr
    assert path.read_bytes() == original
    # With --force it is overwritten; clear then puts the user's value back, byte for byte.
    assert cli("use", "work", "--force").exit_code == 0
    assert json.loads(path.read_text())["env"]["ANTHROPIC_BASE_URL"] == WORK.base_url
    assert cli("settings", "clear").exit_code == 0
    assert path.read_bytes() == original


def test_a_value_the_user_changed_after_ccwrap_is_theirs(ctx: Context, cli: CliRunner) -> None:
    path = user_file(ctx)
    write(path, "{}\n")
    assert cli("use", "work").exit_code == 0
    data = json.loads(path.read_text())
    data["env"]["ANTHROPIC_BASE_URL"] = "https://mine.example"
    path.write_text(json.dumps(data, indent=2))
    before = path.read_bytes()
    # Re-applying another profile would overwrite it: refused, and names the key.
    result = cli("use", "other")
    assert result.exit_code == 5
    assert "ANTHROPIC_BASE_URL was changed after ccwrap wrote it" in result.stderr
    assert path.read_bytes() == before
    # clear removes ccwrap's keys but leaves the changed one.
    result = cli("settings", "clear")
    assert result.exit_code == 0
    assert "ANTHROPIC_BASE_URL" in result.stderr and "left as they are" in result.stderr
    after = json.loads(path.read_text())
    assert after == {"env": {"ANTHROPIC_BASE_URL": "https://mine.example"}}


def test_clear_force_removes_changed_values_too(ctx: Context, cli: CliRunner) -> None:
    path = user_file(ctx)
    write(path, "{}\n")
    assert cli("use", "work").exit_code == 0
    path.write_text(path.read_text().replace('"m-1"', '"mine"'))
    assert cli("settings", "clear", "--force").exit_code == 0
    assert path.read_text() == "{}\n"


def test_reapplying_another_profile_replaces_ccwrap_keys_only(ctx: Context, cli: CliRunner) -> None:
    path = user_file(ctx)
    original = write(path, '{\n  "env": {\n    "MY_VAR": "1"\n  }\n}\n')
    assert cli("use", "work").exit_code == 0
    assert cli("use", "other").exit_code == 0
    env = json.loads(path.read_text())["env"]
    assert "ANTHROPIC_MODEL" not in env  # work's model went away with work
    assert env["ANTHROPIC_BASE_URL"] == "https://other.example.com"
    assert env["MY_VAR"] == "1"
    assert cli("settings", "clear").exit_code == 0
    assert path.read_bytes() == original


def test_dry_run_shows_a_diff_and_writes_nothing(ctx: Context, cli: CliRunner) -> None:
    path = user_file(ctx)
    original = write(path, '{\n  "a": 1\n}\n')
    result = cli("settings", "apply", "work", "--dry-run")
    assert result.exit_code == 0
    assert '+  "apiKeyHelper": ' in result.stdout
    assert '-  "a": 1' in result.stdout and '+  "a": 1,' in result.stdout
    assert path.read_bytes() == original
    assert not ctx.paths.backups_dir.exists()


def test_backups_are_private_and_only_the_last_ten_are_kept(ctx: Context, cli: CliRunner) -> None:
    path = user_file(ctx)
    write(path, "{}\n")
    for _ in range(7):
        assert cli("use", "work").exit_code == 0
        assert cli("settings", "clear").exit_code == 0
    backups = sorted(ctx.paths.backups_dir.rglob("*settings.json"))
    assert len(backups) == 10
    assert all(stat.S_IMODE(b.stat().st_mode) == 0o600 for b in backups)
    assert backups[-1].read_text() != "{}\n"  # the newest: before the last clear


def test_ownership_record_is_private_and_holds_no_key(
    ctx: Context, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = user_file(ctx)
    write(path, "{}\n")
    result = cli("settings", "apply", "work", "--plaintext-key")
    assert result.exit_code == 0
    assert "plain text" in result.stderr
    assert json.loads(path.read_text())["env"]["ANTHROPIC_AUTH_TOKEN"] == os.environ["WORK_KEY"]
    assert "apiKeyHelper" not in json.loads(path.read_text())
    records = list((ctx.paths.state_dir / "settings").glob("*.json"))
    assert len(records) == 1
    assert stat.S_IMODE(records[0].stat().st_mode) == 0o600
    assert os.environ["WORK_KEY"] not in records[0].read_text()
    assert cli("settings", "clear").exit_code == 0
    assert path.read_text() == "{}\n"


def test_restore_puts_back_the_last_backup(ctx: Context, cli: CliRunner) -> None:
    path = user_file(ctx)
    original = write(path, '{"a": 1}')
    assert cli("use", "work").exit_code == 0
    result = cli("settings", "restore")
    assert result.exit_code == 0, result.stderr
    assert path.read_bytes() == original
    # Nothing of ccwrap's is left on record: a second restore has nothing to do.
    assert cli("settings", "restore").exit_code == 5


def test_restore_refuses_when_the_file_changed_since_ccwrap_wrote_it(
    ctx: Context, cli: CliRunner
) -> None:
    path = user_file(ctx)
    original = write(path, '{"a": 1}')
    assert cli("use", "work").exit_code == 0
    changed = path.read_text().replace('"a": 1', '"a": 2')
    path.write_text(changed)
    result = cli("settings", "restore")
    assert result.exit_code == 5
    assert '-{"a": 2,' in result.stdout and '+{"a": 1}' in result.stdout  # the diff is shown
    assert path.read_text() == changed
    assert cli("settings", "restore", "--force").exit_code == 0
    assert path.read_bytes() == original


def test_restore_of_a_created_file_removes_it(ctx: Context, cli: CliRunner) -> None:
    assert cli("use", "work").exit_code == 0
    assert cli("settings", "restore").exit_code == 0
    assert not user_file(ctx).exists()


def test_project_scope_refuses_a_plaintext_key(ctx: Context, cli: CliRunner) -> None:
    result = cli("settings", "apply", "work", "--scope", "project", "--plaintext-key")
    assert result.exit_code == 5
    assert "shared through git" in result.stderr
    assert not (ctx.cwd / ".claude").exists()


def test_project_scope_refuses_secrets_from_the_profile_env(ctx: Context) -> None:
    leaky = Profile(name="leaky", base_url="https://x", env={"ANTHROPIC_API_KEY": "sk-123"})
    from ccwrap.errors import SettingsError

    with pytest.raises(SettingsError, match="shared through git"):
        desired_settings(leaky, "project")


def test_project_scope_names_ccwrap_by_path_not_by_this_machine(
    ctx: Context, cli: CliRunner
) -> None:
    assert cli("settings", "apply", "work", "--scope", "project").exit_code == 0
    data = json.loads((ctx.cwd / ".claude" / "settings.json").read_text())
    assert data["apiKeyHelper"] == "ccwrap key work"
    assert data["env"]["ANTHROPIC_AUTH_TOKEN"] == ""


def test_local_scope_offers_gitignore(ctx: Context, cli: CliRunner) -> None:
    subprocess.run(["git", "init", "-q", str(ctx.cwd)], check=True)
    (ctx.cwd / ".gitignore").write_text("node_modules")  # no trailing newline
    result = cli("settings", "apply", "work", "--scope", "local")
    assert result.exit_code == 0
    assert "not ignored by git" in result.stderr
    assert (ctx.cwd / ".gitignore").read_text() == "node_modules"
    result = cli("settings", "apply", "work", "--scope", "local", "--yes")
    assert result.exit_code == 0
    assert (ctx.cwd / ".gitignore").read_text() == "node_modules\n.claude/settings.local.json\n"
    check = subprocess.run(
        ["git", "check-ignore", "-q", ".claude/settings.local.json"], cwd=ctx.cwd, check=False
    )
    assert check.returncode == 0
    # Ignored now: no more offer.
    assert "gitignore" not in cli("settings", "apply", "work", "--scope", "local").stderr


def test_local_scope_refuses_a_plaintext_key_git_would_pick_up(
    ctx: Context, cli: CliRunner
) -> None:
    subprocess.run(["git", "init", "-q", str(ctx.cwd)], check=True)
    result = cli("settings", "apply", "work", "--scope", "local", "--plaintext-key")
    assert result.exit_code == 5
    assert "git does not ignore it" in result.stderr
    assert not (ctx.cwd / ".claude" / "settings.local.json").exists()


def test_a_concurrent_writer_is_never_overwritten(ctx: Context) -> None:
    """Another program rewrites the file between ccwrap's read and its rename: ccwrap starts over
    from their version, so both changes survive."""
    path = user_file(ctx)
    write(path, '{\n  "a": 1\n}\n')
    strikes = iter(range(2))

    def other_writer() -> None:
        n = next(strikes, None)
        if n is not None:
            data = json.loads(path.read_text())
            data[f"theirs{n}"] = n
            fsutil.atomic_write(path, json.dumps(data, indent=2).encode(), mode=0o644)

    writer = SettingsWriter(ctx, "user", on_planned=other_writer)
    change = writer.apply(desired_settings(WORK, "user"), profile="work")
    data = json.loads(path.read_text())
    assert data["theirs0"] == 0 and data["theirs1"] == 1
    assert data["env"]["ANTHROPIC_BASE_URL"] == WORK.base_url
    assert change.written
    # clear also takes back exactly ccwrap's keys, keeping theirs.
    SettingsWriter(ctx, "user").clear()
    assert json.loads(path.read_text()) == {"a": 1, "theirs0": 0, "theirs1": 1}


def test_a_file_that_keeps_changing_is_left_alone(ctx: Context) -> None:
    from ccwrap.errors import SettingsError

    path = user_file(ctx)
    write(path, "{}")
    counter = iter(range(100))

    def other_writer() -> None:
        path.write_text(json.dumps({"n": next(counter)}))

    writer = SettingsWriter(ctx, "user", on_planned=other_writer)
    with pytest.raises(SettingsError, match="kept changing"):
        writer.apply(desired_settings(WORK, "user"))
    assert "env" not in json.loads(path.read_text())
    assert SettingsWriter(ctx, "user").state().ownership.empty


def test_a_write_that_never_landed_is_rolled_back_from_the_record(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed after recording ownership but before the rename: the record is rolled back."""
    path = user_file(ctx)
    original = write(path, '{"a": 1}')
    writer = SettingsWriter(ctx, "user")

    def killed(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(writer, "_replace", killed)
    with pytest.raises(KeyboardInterrupt):
        writer.apply(desired_settings(WORK, "user"))
    assert path.read_bytes() == original
    assert SettingsWriter(ctx, "user").state().ownership.empty


def test_another_process_writing_in_place_during_apply_is_not_lost(ctx: Context) -> None:
    """Like Node's writeFileSync (what an editor or claude itself may do): truncate and write the
    same file from another process between ccwrap's read and its rename."""
    import sys

    path = user_file(ctx)
    write(path, '{\n  "a": 1\n}\n')
    script = (
        "import json, sys; p = sys.argv[1]; d = json.load(open(p)); d['theirs'] = 'x'; "
        "open(p, 'w').write(json.dumps(d, indent=2))"
    )
    runs: list[int] = []

    def other_process() -> None:
        if not runs:
            runs.append(
                subprocess.run([sys.executable, "-c", script, str(path)], check=True).returncode
            )

    change = SettingsWriter(ctx, "user", on_planned=other_process).apply(
        desired_settings(WORK, "user"), profile="work"
    )
    assert change.written and runs == [0]
    data = json.loads(path.read_text())
    assert data["theirs"] == "x" and data["a"] == 1
    assert data["env"]["ANTHROPIC_BASE_URL"] == WORK.base_url


def test_clear_and_restore_take_yes_like_apply(ctx: Context, cli: CliRunner) -> None:
    """Scripts pass --yes to every settings command (issue 11 item 9)."""
    path = user_file(ctx)
    original = write(path, '{"a": 1}')
    assert cli("settings", "apply", "work", "--yes").exit_code == 0
    assert cli("settings", "clear", "--yes").exit_code == 0, "clear --yes"
    assert cli("settings", "apply", "work", "-y").exit_code == 0
    result = cli("settings", "restore", "--yes")
    assert result.exit_code == 0, result.stderr
    assert path.read_bytes() == original


def test_yes_never_overwrites_what_you_changed(ctx: Context, cli: CliRunner) -> None:
    path = user_file(ctx)
    write(path, '{"a": 1}')
    assert cli("use", "work").exit_code == 0
    changed = path.read_text().replace('"a": 1', '"a": 2')
    path.write_text(changed)
    assert cli("settings", "restore", "--yes").exit_code == 5
    assert path.read_text() == changed
