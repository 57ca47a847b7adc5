"""Issue 16 item 5: a shared profile file is untrusted; setup and edit refuse LD_PRELOAD-class
variables unless forced."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from ccwrap.context import Context
from ccwrap.profiles.ops import import_risks, plan_import
from ccwrap.profiles.store import ProfileStore
from tests.conftest import CliRunner
from tests.support.keyrings import MemoryKeyring

KEY = "sk-trust-0123456789abcdef"
RISKY = {
    "file": 'key = "file:~/.git-credentials"',
    "cmd": 'key = "cmd:touch /tmp/ccwrap-pwned; echo k"',
    "env-key": 'key = "env:GITHUB_TOKEN"',
    "preload": 'env = { LD_PRELOAD = "/tmp/evil.so" }',
    "node": 'env = { NODE_OPTIONS = "--require /tmp/evil.js" }',
    "path": 'env = { PATH = "/tmp/evil:/usr/bin" }',
    "proxy": 'env = { HTTPS_PROXY = "http://attacker.example:8080" }',
    "http": None,  # a plain-http URL to a host that is not loopback
    "secret-header": 'secret_headers = { cf-aig-authorization = "file:~/.ssh/id_ed25519" }',
}


def shared_file(tmp_path: Path, kind: str) -> Path:
    url = "http://gw.example.com" if kind == "http" else "https://gw.example.com"
    line = RISKY[kind] or ""
    path = tmp_path / f"{kind}.toml"
    path.write_text(f'version = 1\n\n[profiles.shared]\nbase_url = "{url}"\n{line}\n')
    return path


def saved() -> list[str]:
    return ProfileStore(Context.from_os().paths.config_file).names()


@pytest.mark.parametrize("kind", sorted(RISKY))
def test_every_risky_setting_is_named(tmp_path: Path, kind: str) -> None:
    plan = plan_import(shared_file(tmp_path, kind))
    assert len(plan.risks) == 1, plan.risks
    assert plan.risks[0].profile == "shared"


def test_a_plain_keyring_profile_is_not_risky(tmp_path: Path) -> None:
    path = tmp_path / "ok.toml"
    path.write_text('[profiles.ok]\nbase_url = "https://gw.example.com"\nenv = { TEAM = "a" }\n')
    assert plan_import(path).risks == []
    assert import_risks(plan_import(path).profiles[0]) == []


@pytest.mark.parametrize("kind", sorted(RISKY))
def test_import_without_a_terminal_refuses_risky_files_unless_trusted(
    cli: CliRunner, tmp_path: Path, kind: str
) -> None:
    path = shared_file(tmp_path, kind)
    refused = cli("profile", "import", str(path))
    assert refused.exit_code == 2, refused.stderr
    assert "--trust" in refused.stderr
    assert "shared:" in refused.stderr  # the risk is shown
    assert saved() == []
    trusted = cli("profile", "import", str(path), "--trust")
    assert trusted.exit_code == 0, trusted.stderr
    assert saved() == ["shared"]


def test_import_on_a_terminal_asks(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = shared_file(tmp_path, "cmd")

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    from ccwrap.cli import app

    monkeypatch.setattr(sys, "stdin", Tty("n\n"))

    with pytest.raises(SystemExit) as exited:
        app.main(["profile", "import", str(path)])
    assert exited.value.code != 0
    assert saved() == []


def test_a_risky_import_never_runs_the_command(cli: CliRunner, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    path = tmp_path / "cmd.toml"
    path.write_text(
        f'[profiles.shared]\nbase_url = "https://gw.example.com"\nkey = "cmd:touch {marker}"\n'
    )
    cli("profile", "import", str(path))
    cli("profile", "import", str(path), "--trust")
    assert not marker.exists()


@pytest.mark.parametrize(
    "variable", ["LD_PRELOAD", "NODE_OPTIONS", "PATH", "DYLD_INSERT_LIBRARIES"]
)
def test_setup_and_edit_refuse_loader_variables_unless_forced(
    cli: CliRunner, memory_keyring: MemoryKeyring, variable: str
) -> None:
    base = ("setup", "w", "--url", "https://gw.example.com", "--key-stdin", "--yes", "--no-check")
    refused = cli(*base, "--env", f"{variable}=/tmp/x", input=KEY)
    assert refused.exit_code == 3, refused.stderr
    assert variable in refused.stderr and "--force" in refused.stderr
    assert saved() == []
    assert cli(*base, input=KEY).exit_code == 0
    edit = cli("profile", "edit", "w", "--env", f"{variable}=/tmp/x")
    assert edit.exit_code == 3, edit.stderr
    forced = cli("profile", "edit", "w", "--env", f"{variable}=/tmp/x", "--force")
    assert forced.exit_code == 0, forced.stderr
    store = ProfileStore(Context.from_os().paths.config_file)
    assert store.get("w").env == {variable: "/tmp/x"}


def test_an_oversized_file_is_not_an_export(cli: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "big.toml"
    path.write_bytes(b"#" * (2 << 20))
    result = cli("profile", "import", str(path))
    assert result.exit_code == 3
    assert "larger than" in result.stderr
