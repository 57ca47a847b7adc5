"""``settings apply --wrapper`` and doctor's ``client.dispatched``."""

from __future__ import annotations

import json
from pathlib import Path

from ccwrap.claude.settings_files import Origin, SettingsFile
from ccwrap.context import Context
from ccwrap.doctor.local import dispatched_check
from ccwrap.profiles.store import Profile, ProfileStore
from tests.conftest import CliRunner


def test_apply_wrapper_then_clear(cli: CliRunner, isolated: Path) -> None:
    ProfileStore(Context.from_os().paths.config_file).save(
        Profile(name="work", base_url="https://gw.example")
    )
    user = isolated / ".claude" / "settings.json"
    user.parent.mkdir()
    user.write_text('{\n  "model": "opus"\n}\n')
    result = cli("settings", "apply", "work", "--scope", "user", "--wrapper")
    assert result.exit_code == 0, result.stderr
    wrapper = json.loads(json.loads(user.read_text())["processWrapper"])
    assert wrapper[-2:] == ["wrap", "--"] and Path(wrapper[0]).is_absolute()
    assert cli("settings", "clear", "--scope", "user").exit_code == 0
    assert user.read_text() == '{\n  "model": "opus"\n}\n'


def test_wrapper_is_user_scope_only(cli: CliRunner) -> None:
    ProfileStore(Context.from_os().paths.config_file).save(
        Profile(name="work", base_url="https://gw.example")
    )
    result = cli("settings", "apply", "work", "--scope", "local", "--wrapper")
    assert result.exit_code == 5 and "ignores processWrapper" in result.stderr


def user_file(data: dict[str, object]) -> list[SettingsFile]:
    return [SettingsFile("user", Path("/u/settings.json"), data=data)]


def test_dispatched_check() -> None:
    gw = "https://gw.example"
    assert dispatched_check({}, user_file({}), gw).status == "ok"
    other = user_file({"env": {"ANTHROPIC_BASE_URL": "https://other.example"}})
    check = dispatched_check({}, other, gw)
    assert check.status == "warn" and "other.example" in check.detail and "--wrapper" in check.fix
    env_only = dispatched_check({"ANTHROPIC_BASE_URL": "https://x.example"}, user_file({}), gw)
    assert env_only.status == "warn"
    wrapped = {**(other[0].data or {}), "processWrapper": '["/bin/ccwrap", "wrap", "--"]'}
    local = Origin("local", gw + "/", Path("/p/.claude/settings.local.json"))
    assert dispatched_check({}, user_file(wrapped), gw, warm=local).status == "ok"
    assert dispatched_check({"CLAUDE_CODE_PROCESS_WRAPPER": "/x"}, other, gw).status == "ok"
    same = user_file({"env": {"ANTHROPIC_BASE_URL": gw + "/"}})
    assert dispatched_check({}, same, gw).status == "ok"


def test_a_warm_spare_skips_the_wrapper() -> None:
    """Measured with 2.1.332: a session that claims a warm spare never runs ccwrap wrap, so only
    the folder's settings files put it on the profile's gateway."""
    gw = "https://gw.example"
    wrapped = user_file({"processWrapper": '["/bin/ccwrap", "wrap", "--"]'})
    login = dispatched_check({}, wrapped, gw, profile="work")
    assert login.status == "warn" and "Anthropic login" in login.detail
    assert login.fix.startswith("ccwrap settings apply work --scope local")
    user = Origin("user", "https://other.example", Path("/u/settings.json"))
    elsewhere = dispatched_check({}, wrapped, gw, warm=user, profile="work")
    assert elsewhere.status == "warn" and "other.example" in elsewhere.detail
