"""The pure side of ``ccwrap run``: what claude would be given, decided without running it."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ccwrap.claude.settings_files import SettingsFile
from ccwrap.context import Context
from ccwrap.errors import ClaudeNotFound, SettingsError, UsageError
from ccwrap.keys.helper_command import ccwrap_command, key_helper_command
from ccwrap.launch.plan import (
    CLEARED_VARIABLES,
    NO_KEY_PLACEHOLDER,
    merge_settings,
    plan_launch,
    split_user_settings,
)
from ccwrap.launch.process import (
    claude_version,
    find_claude,
    sweep_run_dir,
    wants_proxy,
    write_settings_file,
)
from ccwrap.profiles.store import Profile

CLAUDE = Path("/opt/claude/bin/claude")
HELPER = "/venv/bin/ccwrap key work"


def profile(**fields: Any) -> Profile:
    return Profile(name="work", base_url="https://gw.example", **fields)


def settings_file(scope: str, env: dict[str, str] | None = None, **extra: Any) -> SettingsFile:
    data = {"env": env or {}, **extra}
    return SettingsFile(scope, Path(f"/s/{scope}.json"), data)  # type: ignore[arg-type]


def plan(p: Profile, *, environ: dict[str, str] | None = None, files: Any = (), **kw: Any) -> Any:
    kw.setdefault("key_helper", HELPER)
    return plan_launch(
        p, claude=CLAUDE, args=kw.pop("args", []), environ=environ or {}, files=list(files), **kw
    )


# -- the settings handed over ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {},
            {
                "ANTHROPIC_BASE_URL": "https://gw.example",
                "ANTHROPIC_AUTH_TOKEN": "",
                "ANTHROPIC_API_KEY": "",
            },
        ),
        ({"auth": "x-api-key"}, {"ANTHROPIC_AUTH_TOKEN": "", "ANTHROPIC_API_KEY": ""}),
        (
            {"cache_1h": True, "attribution_header": False},
            {"ENABLE_PROMPT_CACHING_1H": "1", "CLAUDE_CODE_ATTRIBUTION_HEADER": "0"},
        ),
        (
            {"gateway_discovery": True, "disable_experimental_betas": True},
            {
                "CLAUDE_CODE_ENABLE_GATEWAY_MODEL_DISCOVERY": "1",
                "CLAUDE_CODE_DISABLE_EXPERIMENTAL_BETAS": "1",
            },
        ),
        (
            {"model": "m", "haiku_model": "h", "subagent_model": "s"},
            {
                "ANTHROPIC_MODEL": "m",
                "ANTHROPIC_DEFAULT_HAIKU_MODEL": "h",
                "CLAUDE_CODE_SUBAGENT_MODEL": "s",
            },
        ),
        (
            {"headers": {"X-A": "1", "X-B": "two words"}},
            {"ANTHROPIC_CUSTOM_HEADERS": "X-A: 1\nX-B: two words"},
        ),
        ({"env": {"API_TIMEOUT_MS": "3000000"}}, {"API_TIMEOUT_MS": "3000000"}),
    ],
)
def test_settings_env_is_the_profiles_env(fields: dict[str, Any], expected: dict[str, str]) -> None:
    result = plan(profile(**fields))
    env = result.settings["env"]
    assert {k: env[k] for k in expected} == expected
    assert result.settings["apiKeyHelper"] == HELPER
    assert result.key_via == "apiKeyHelper"
    assert result.inline is ("headers" not in fields)  # any header goes through the 0600 file


def test_the_key_is_never_read_nor_in_argv() -> None:
    result = plan(profile(), environ={"ANTHROPIC_AUTH_TOKEN": "sk-stale-export-1234"})
    # Both credential variables "" beat the stale export (settings beat the environment).
    assert result.settings["env"]["ANTHROPIC_AUTH_TOKEN"] == ""
    assert result.env["ANTHROPIC_AUTH_TOKEN"] == ""
    assert "sk-stale" not in " ".join(result.argv())


def test_argv_is_claude_settings_then_user_args_unchanged() -> None:
    args = ["-p", "a b", "'q'", '"dq"', "ünï ✓", "--", "--settings"]
    result = plan(profile(), args=args)
    argv = result.argv()
    assert argv[0] == str(CLAUDE)
    assert argv[1] == "--settings"
    assert json.loads(argv[2]) == result.settings
    assert argv[3:] == args


def test_auth_none_gets_a_placeholder_token_and_no_helper() -> None:
    result = plan(profile(auth="none"), key_helper=None)
    assert result.settings["env"]["ANTHROPIC_AUTH_TOKEN"] == NO_KEY_PLACEHOLDER
    assert "apiKeyHelper" not in result.settings
    assert result.key_via == "placeholder"


def test_a_literal_key_goes_to_a_file_not_argv() -> None:
    result = plan(profile(), key="session-token-123456", key_helper=None)
    assert result.settings["env"]["ANTHROPIC_AUTH_TOKEN"] == "session-token-123456"
    assert not result.inline
    assert "session-token-123456" not in " ".join(result.argv(Path("/run/s.json")))
    assert "session-token-123456" not in json.dumps(result.to_dict())


def test_a_secret_in_an_ordinary_header_never_reaches_argv() -> None:
    """Issue 16 item 4: the Cloudflare preset's cf-aig-authorization is a plain header."""
    result = plan(profile(headers={"cf-aig-authorization": "Bearer cf-secret-token-42"}))
    assert not result.inline
    argv = " ".join(result.argv(Path("/run/s.json")))
    assert "cf-secret-token-42" not in argv
    assert "cf-secret-token-42" not in " ".join(result.shown_argv())
    assert result.settings["env"]["ANTHROPIC_CUSTOM_HEADERS"].endswith("cf-secret-token-42")


def test_the_no_key_placeholder_stays_inline() -> None:
    assert plan(profile(auth="none"), key_helper=None).inline


@pytest.mark.parametrize("name", ["MY_TOKEN", "SOME_SECRET", "OPENAI_API_KEY", "DB_PASSWORD"])
def test_secret_looking_extra_env_forces_a_file(name: str) -> None:
    result = plan(profile(env={name: "value-that-is-secret"}))
    assert not result.inline
    assert "value-that-is-secret" not in json.dumps(result.to_dict())


def test_stale_variables_the_profile_does_not_set_are_cleared() -> None:
    user = settings_file("user", {"ANTHROPIC_MODEL": "old", "CLAUDE_CODE_USE_BEDROCK": "1"})
    result = plan(
        profile(),
        files=[user],
        environ={"ANTHROPIC_SMALL_FAST_MODEL": "x", "ANTHROPIC_CUSTOM_HEADERS": "X-Old: 1"},
    )
    env = result.settings["env"]
    for name in (
        "ANTHROPIC_MODEL",
        "CLAUDE_CODE_USE_BEDROCK",
        "ANTHROPIC_SMALL_FAST_MODEL",
        "ANTHROPIC_CUSTOM_HEADERS",
    ):
        assert env[name] == ""
        assert name in result.cleared
    # What nobody sets stays out of the settings.
    assert "ANTHROPIC_DEFAULT_OPUS_MODEL" not in env
    assert set(result.cleared) <= set(CLEARED_VARIABLES)


def test_unrelated_variables_are_left_alone() -> None:
    result = plan(profile(), environ={"PATH": "/bin", "CLAUDE_CODE_MAX_RETRIES": "0"})
    assert "CLAUDE_CODE_MAX_RETRIES" not in result.settings["env"]
    assert result.env["CLAUDE_CODE_MAX_RETRIES"] == "0"
    assert result.env["PATH"] == "/bin"


def test_overridden_names_file_variable_and_helper() -> None:
    local = settings_file(
        "local", {"ANTHROPIC_BASE_URL": "http://stale", "OTHER": "x"}, apiKeyHelper="echo old"
    )
    user = settings_file("user", {"ANTHROPIC_BASE_URL": "https://gw.example"})  # same value
    result = plan(profile(), files=[local, user], environ={"ANTHROPIC_BASE_URL": "http://shell"})
    found = {(o.source, o.name) for o in result.overridden}
    assert found == {
        ("local", "ANTHROPIC_BASE_URL"),
        ("local", "apiKeyHelper"),
        ("environment", "ANTHROPIC_BASE_URL"),
    }


def test_managed_pins_warn() -> None:
    managed = settings_file("managed", {"ANTHROPIC_BASE_URL": "https://corp"}, apiKeyHelper="x")
    result = plan(profile(), files=[managed])
    assert any("pin ANTHROPIC_BASE_URL" in w and "nothing can" in w for w in result.warnings)
    assert any("apiKeyHelper" in w for w in result.warnings)
    # Managed settings are not "overridden": they cannot be.
    assert result.overridden == []


def test_managed_with_the_same_value_does_not_warn() -> None:
    managed = settings_file("managed", {"ANTHROPIC_BASE_URL": "https://gw.example"})
    assert plan(profile(), files=[managed]).warnings == []


def test_invalid_settings_file_is_a_warning() -> None:
    broken = SettingsFile("user", Path("/s/u.json"), error=SettingsError("bad JSON at line 2"))
    assert any("bad JSON" in w for w in plan(profile(), files=[broken]).warnings)


def test_dry_run_view_masks_secrets() -> None:
    result = plan(profile(), environ={"ANTHROPIC_AUTH_TOKEN": "sk-ant-secret-abcdef"})
    view = json.dumps(result.to_dict())
    assert "sk-ant-secret" not in view
    assert result.to_dict()["argv"][0] == str(CLAUDE)


# -- the user's own --settings --------------------------------------------------------------------
def test_user_inline_settings_are_merged_theirs_win(tmp_path: Path) -> None:
    mine = {"env": {"ANTHROPIC_MODEL": "mine", "X": "1"}, "model": "opus"}
    rest, user = split_user_settings(["-p", "--settings", json.dumps(mine), "hi"], tmp_path)
    assert rest == ["-p", "hi"]
    result = plan(profile(model="profile-model"), user_settings=user)
    assert result.settings["env"]["ANTHROPIC_MODEL"] == "mine"
    assert result.settings["env"]["X"] == "1"
    assert result.settings["env"]["ANTHROPIC_BASE_URL"] == "https://gw.example"
    assert result.settings["model"] == "opus"
    assert result.settings["apiKeyHelper"] == HELPER
    assert result.inline  # it was on the command line already


def test_user_settings_file_goes_through_a_private_file(tmp_path: Path) -> None:
    (tmp_path / "s.json").write_text('{"env": {"SOME": "thing"}}')
    rest, user = split_user_settings(["--settings=s.json"], tmp_path)
    assert rest == []
    assert user is not None and user.from_file
    result = plan(profile(), user_settings=user)
    assert result.settings["env"]["SOME"] == "thing"
    assert not result.inline  # its content is not copied into argv


def test_user_settings_errors(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="does not exist"):
        split_user_settings(["--settings", "missing.json"], tmp_path)
    with pytest.raises(SettingsError, match="not valid JSON"):
        split_user_settings(["--settings", "{nope"], tmp_path)
    with pytest.raises(UsageError, match="twice"):
        split_user_settings(["--settings", "{}", "--settings", "{}"], tmp_path)
    with pytest.raises(UsageError, match="needs a value"):
        split_user_settings(["--settings"], tmp_path)


def test_settings_after_claudes_own_double_dash_is_an_argument(tmp_path: Path) -> None:
    args = ["-p", "--", "--settings", "{}"]
    assert split_user_settings(args, tmp_path) == (args, None)


def test_merge_settings_env_key_by_key() -> None:
    ours = {"env": {"A": "1", "B": "2"}, "apiKeyHelper": "h"}
    assert merge_settings(ours, {"env": {"B": "x"}, "apiKeyHelper": "mine"}) == {
        "env": {"A": "1", "B": "x"},
        "apiKeyHelper": "mine",
    }


# -- proxy decision -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("fields", "flag", "expected"),
    [
        ({}, None, False),
        ({"model_map": {"claude-*": "glm"}}, None, True),
        ({"secret_headers": {"X-K": "keyring"}}, None, True),
        ({"proxy": "always"}, None, True),
        ({"proxy": "never", "model_map": {"a": "b"}}, None, False),
        ({"proxy": "always"}, False, False),
        ({}, True, True),
    ],
)
def test_wants_proxy(fields: dict[str, Any], flag: bool | None, expected: bool) -> None:
    assert wants_proxy(profile(**fields), flag) is expected


# -- the apiKeyHelper command ---------------------------------------------------------------------
def test_key_helper_is_shell_quoted(tmp_path: Path) -> None:
    script = tmp_path / "dir with space" / "ccwrap"
    script.parent.mkdir()
    script.write_text("")
    command = key_helper_command("work", [str(script)])
    assert shlex.split(command) == [str(script), "key", "work"]


def test_ccwrap_command_prefers_the_console_script(tmp_path: Path) -> None:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "ccwrap").write_text("")
    python = str(bindir / "python")
    # Run as the console script: that very script.
    assert ccwrap_command(executable=python, argv0=str(bindir / "ccwrap")) == [
        str(bindir / "ccwrap")
    ]
    # Run as python -m ccwrap in a venv or pipx: the script beside the interpreter.
    assert ccwrap_command(executable=python, argv0="/x/ccwrap/__main__.py") == [
        str(bindir / "ccwrap")
    ]
    # No script anywhere: the interpreter with -m.
    other = str(tmp_path / "python")
    assert ccwrap_command(executable=other, argv0="-c") == [other, "-m", "ccwrap"]


# -- finding claude -------------------------------------------------------------------------------
def executable(path: Path, body: str = "#!/bin/sh\nexit 0\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body)
    path.chmod(0o755)
    return path


def ctx_for(tmp_path: Path, **environ: str) -> Context:
    home = tmp_path / "h"
    home.mkdir(exist_ok=True)
    return Context(environ={"PATH": str(tmp_path / "empty"), **environ}, cwd=tmp_path, home=home)


def test_find_claude_order(tmp_path: Path) -> None:
    on_path = executable(tmp_path / "pathdir" / "claude")
    explicit = executable(tmp_path / "explicit" / "my-claude")
    local = executable(tmp_path / "h" / ".claude" / "local" / "claude")
    assert find_claude(ctx_for(tmp_path, CCWRAP_CLAUDE=str(explicit))) == explicit
    assert find_claude(ctx_for(tmp_path, PATH=str(on_path.parent))) == on_path
    assert find_claude(ctx_for(tmp_path)) == local


def test_find_claude_in_npm_prefix(tmp_path: Path) -> None:
    npm = executable(tmp_path / "npmprefix" / "bin" / "claude")
    assert find_claude(ctx_for(tmp_path, npm_config_prefix=str(npm.parent.parent))) == npm
    (tmp_path / "h" / ".npmrc").write_text(f"prefix={tmp_path / 'npmprefix'}\n")
    assert find_claude(ctx_for(tmp_path)) == npm


def test_claude_not_found_is_127_with_install_hint(tmp_path: Path) -> None:
    ctx = ctx_for(tmp_path)
    ctx = Context(environ=ctx.environ, cwd=tmp_path, home=tmp_path / "nohome")
    try:
        find_claude(ctx)
    except ClaudeNotFound as exc:
        assert exc.exit_code == 127
        assert exc.hint is not None and "npm install -g @anthropic-ai/claude-code" in exc.hint
    else:  # a system-wide npm prefix (/usr/local, /usr) may hold a real claude
        pytest.skip("a claude is installed system-wide on this machine")


def test_ccwrap_claude_that_is_not_executable(tmp_path: Path) -> None:
    with pytest.raises(ClaudeNotFound, match="CCWRAP_CLAUDE"):
        find_claude(ctx_for(tmp_path, CCWRAP_CLAUDE=str(tmp_path / "nope" / "claude")))


def test_claude_version_parses_the_clients_line(tmp_path: Path) -> None:
    fake = executable(tmp_path / "claude", "#!/bin/sh\necho '2.1.197 (Claude Code)'\n")
    assert claude_version(fake) == "2.1.197"
    broken = executable(tmp_path / "broken", "#!/bin/sh\nexit 3\n")
    assert claude_version(broken) is None
    assert claude_version(tmp_path / "missing") is None


# -- the temporary settings file ------------------------------------------------------------------
def test_settings_file_is_private(tmp_path: Path) -> None:
    path = write_settings_file(tmp_path / "run", {"env": {"A": "1"}})
    assert path.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "run").stat().st_mode & 0o777 == 0o700
    assert json.loads(path.read_text()) == {"env": {"A": "1"}}


def test_sweep_removes_only_files_of_dead_processes(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], text=True,
                          capture_output=True, check=True)  # fmt: skip
    dead = run_dir / f"settings-{done.stdout.strip()}-dead.json"
    alive = run_dir / f"settings-{os.getppid()}-live.json"
    other = run_dir / "unrelated.txt"
    for path in (dead, alive, other):
        path.write_text("{}")
    assert sweep_run_dir(run_dir) == [dead]
    assert not dead.exists()
    assert alive.exists()
    assert other.exists()


# -- a key source that the settings themselves override --------------------------------------------
def test_env_key_source_overridden_by_the_settings_is_copied() -> None:
    from ccwrap.launch.plan import KEY_COPY_HELPER, KEY_COPY_VARIABLE

    environ = {"ANTHROPIC_AUTH_TOKEN": "sk-user-export-1234"}
    result = plan(profile(key="env:ANTHROPIC_AUTH_TOKEN"), environ=environ)
    # claude applies the settings' "" before running the helper: `ccwrap key` would read "".
    assert result.settings["env"]["ANTHROPIC_AUTH_TOKEN"] == ""
    assert result.settings["apiKeyHelper"] == KEY_COPY_HELPER
    assert result.env[KEY_COPY_VARIABLE] == "sk-user-export-1234"
    assert result.key_via == "environment"
    assert result.inline
    assert "sk-user-export" not in " ".join(result.argv())
    assert "sk-user-export" not in json.dumps(result.to_dict())


def test_env_key_source_not_overridden_keeps_ccwrap_key() -> None:
    result = plan(profile(key="env:MY_GATEWAY_KEY"), environ={"MY_GATEWAY_KEY": "x"})
    assert result.settings["apiKeyHelper"] == HELPER
    assert result.key_via == "apiKeyHelper"


def test_env_key_source_missing_is_an_error() -> None:
    from ccwrap.errors import KeyStoreError

    with pytest.raises(KeyStoreError, match=r"\$ANTHROPIC_API_KEY, which is not set"):
        plan(profile(key="env:ANTHROPIC_API_KEY"))


def test_user_helper_wins_over_the_key_copy(tmp_path: Path) -> None:
    _, user = split_user_settings(["--settings", '{"apiKeyHelper": "mine"}'], tmp_path)
    result = plan(
        profile(key="env:ANTHROPIC_AUTH_TOKEN"),
        environ={"ANTHROPIC_AUTH_TOKEN": "k"},
        user_settings=user,
    )
    assert result.settings["apiKeyHelper"] == "mine"
