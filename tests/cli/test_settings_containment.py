"""`settings apply` writes project and local files only inside the project, never executable
(issue 16 item 2)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import pytest

from tests.conftest import CliRunner
from tests.support.cli_setup import setup_env_profile


@pytest.fixture
def work_profile(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    setup_env_profile(cli, monkeypatch, "sk-work-123456")


def _git_init(folder: Path) -> None:
    subprocess.run(["git", "init", "-q", str(folder)], check=True)


def test_a_symlinked_gitignore_that_leaves_the_checkout_is_refused(
    cli: CliRunner, work_profile: None, isolated: Path
) -> None:
    work = Path.cwd()
    _git_init(work)
    bashrc = isolated / ".bashrc"
    bashrc.write_text("# my rc\n")
    (work / ".gitignore").symlink_to(os.path.relpath(bashrc, work))
    result = cli("settings", "apply", "work", "--scope", "local", "--yes")
    assert result.exit_code not in {0, 70}
    assert str(work / ".gitignore") in result.stderr and "outside" in result.stderr
    assert bashrc.read_text() == "# my rc\n"
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("scope", ["local", "project"])
def test_a_symlinked_claude_folder_that_leaves_the_project_is_refused(
    cli: CliRunner, work_profile: None, tmp_path: Path, scope: str
) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (Path.cwd() / ".claude").symlink_to(outside)
    result = cli("settings", "apply", "work", "--scope", scope, "--yes")
    assert result.exit_code == 5, result.stderr
    assert "outside the project" in result.stderr and str(outside) in result.stderr
    assert list(outside.iterdir()) == []


def test_a_symlinked_settings_file_that_leaves_the_project_is_refused(
    cli: CliRunner, work_profile: None, isolated: Path
) -> None:
    target = isolated / "victim.json"
    target.write_text("{}")
    claude = Path.cwd() / ".claude"
    claude.mkdir()
    (claude / "settings.local.json").symlink_to(target)
    result = cli("settings", "apply", "work", "--scope", "local", "--yes")
    assert result.exit_code == 5 and str(target) in result.stderr
    assert target.read_text() == "{}"


def test_a_symlink_inside_the_project_is_followed(cli: CliRunner, work_profile: None) -> None:
    claude = Path.cwd() / ".claude"
    claude.mkdir()
    (claude / "real.json").write_text("{}")
    (claude / "settings.local.json").symlink_to("real.json")
    result = cli("settings", "apply", "work", "--scope", "local", "--yes")
    assert result.exit_code == 0, result.stderr
    assert "ANTHROPIC_BASE_URL" in (claude / "real.json").read_text()


@pytest.mark.parametrize("scope", ["local", "user"])
def test_an_executable_settings_file_loses_its_x_bits(
    cli: CliRunner, work_profile: None, isolated: Path, scope: str
) -> None:
    path = (
        Path.cwd() / ".claude" / "settings.local.json"
        if scope == "local"
        else isolated / ".claude" / "settings.json"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"note": "$(touch /tmp/owned)"}))
    path.chmod(0o755)
    result = cli("settings", "apply", "work", "--scope", scope, "--yes")
    assert result.exit_code == 0, result.stderr
    assert stat.S_IMODE(path.stat().st_mode) & 0o111 == 0
