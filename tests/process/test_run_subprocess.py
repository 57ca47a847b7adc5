"""``ccwrap run`` as a real process in front of a stand-in claude (tier 4)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from ccwrap.context import Context
from ccwrap.profiles.store import Profile, ProfileStore
from tests.support import standin_claude

pytestmark = pytest.mark.skipif(os.name != "posix", reason="exec and signals are POSIX")
# Nothing of the proxy, the keyring or the full CLI: the fast route (cli.fast_route) keeps Typer,
# and with it click and pydantic, off `ccwrap run`.
HEAVY = ("httpx", "starlette", "uvicorn", "keyring", "secretstorage", "rich", "tomlkit",
         "httpcore", "anyio", "typer", "click", "pydantic")  # fmt: skip


@pytest.fixture
def standin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "bin"
    folder.mkdir()
    path = standin_claude.install(folder)
    monkeypatch.setenv("CCWRAP_CLAUDE", str(path))
    monkeypatch.setenv("STANDIN_RECORD", str(tmp_path / "record.json"))
    return tmp_path / "record.json"


def save(**fields: Any) -> Profile:
    profile = Profile(name="work", base_url="https://gw.example", **fields)
    ProfileStore(Context.from_os().paths.config_file).save(profile)
    return profile


def run_dir() -> Path:
    return Context.from_os().paths.run_dir


def ccwrap(*args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ccwrap", *args],
        capture_output=True,
        text=True,
        timeout=60,
        **kwargs,
    )


def start(*args: str, **kwargs: Any) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "ccwrap", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def wait_for(path: Path, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)


def test_args_after_double_dash_arrive_unchanged(standin: Path) -> None:
    save(cache_1h=True)
    args = ["-p", "two words", 'it\'s "quoted"', "ünïcödé ✓ 日本", "$HOME", "*", "", "--x=y"]
    result = ccwrap("run", "--", *args)
    assert result.returncode == 0, result.stderr
    record = json.loads(standin.read_text())
    assert record["argv"][0] == "--settings"
    assert record["argv"][2:] == args
    settings = json.loads(record["argv"][1])
    assert settings["env"]["ANTHROPIC_BASE_URL"] == "https://gw.example"
    assert settings["env"]["ENABLE_PROMPT_CACHING_1H"] == "1"
    assert record["env"]["ANTHROPIC_BASE_URL"] == "https://gw.example"


def test_exec_keeps_the_pid_and_passes_the_exit_code(standin: Path) -> None:
    save()
    proc = start("run", "--", "-p", "x", env={**os.environ, "STANDIN_MODE": "exit:7"})
    proc.communicate(timeout=60)
    assert proc.returncode == 7
    assert json.loads(standin.read_text())["pid"] == proc.pid


def test_the_key_is_not_read_and_not_in_argv(standin: Path, tmp_path: Path) -> None:
    # A key command that would leave a trace if run: run must not run it (apiKeyHelper does).
    trace = tmp_path / "key-was-read"
    save(key=f"cmd:touch {trace}; echo sk-secret-value-123")
    assert ccwrap("run").returncode == 0
    record = json.loads(standin.read_text())
    assert not trace.exists()
    assert "sk-secret-value-123" not in json.dumps(record)
    helper = json.loads(record["argv"][1])["apiKeyHelper"]
    # The helper really prints the key, through this ccwrap (as claude would run it).
    printed = subprocess.run(["/bin/sh", "-c", helper], capture_output=True, text=True, check=True)
    assert printed.stdout == "sk-secret-value-123"
    assert trace.exists()


def test_settings_files_are_not_changed(standin: Path, isolated: Path) -> None:
    import hashlib

    user = isolated / ".claude" / "settings.json"
    local = Path.cwd() / ".claude" / "settings.local.json"
    for path in (user, local):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text('{\n  "env": {"ANTHROPIC_BASE_URL": "http://stale:1"},\n  "hooks": {}\n}\n')
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (user, local)}
    mtimes = {p: p.stat().st_mtime_ns for p in (user, local)}
    save()
    result = ccwrap("run", "--", "-p", "x")
    assert result.returncode == 0, result.stderr
    assert {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (user, local)} == before
    assert {p: p.stat().st_mtime_ns for p in (user, local)} == mtimes
    assert sorted(p.name for p in user.parent.iterdir()) == ["settings.json"]


def test_a_secret_in_settings_goes_through_a_private_file_removed_after(standin: Path) -> None:
    save(env={"MY_GATEWAY_TOKEN": "tok-secret-98765"})
    result = ccwrap("run", "--", "-p", "x", env={**os.environ, "STANDIN_MODE": "exit:5"})
    assert result.returncode == 5
    record = json.loads(standin.read_text())
    assert "tok-secret-98765" not in " ".join(record["argv"])
    settings_file = record["settings_file"]
    assert settings_file["mode"] == 0o600
    assert settings_file["content"]["env"]["MY_GATEWAY_TOKEN"] == "tok-secret-98765"
    assert Path(settings_file["path"]).parent == run_dir()
    assert not Path(settings_file["path"]).exists()
    assert list(run_dir().iterdir()) == []


def test_a_header_value_goes_through_the_private_file_not_argv(standin: Path) -> None:
    """Issue 16 item 4: argv is readable by every local user; a header may be a credential."""
    save(headers={"cf-aig-authorization": "Bearer cf-secret-token-42"})
    result = ccwrap("run", "--", "-p", "x", env={**os.environ, "STANDIN_MODE": "exit:0"})
    assert result.returncode == 0, result.stderr
    record = json.loads(standin.read_text())
    assert "cf-secret-token-42" not in " ".join(record["argv"])
    settings_file = record["settings_file"]
    assert settings_file["mode"] == 0o600
    headers = settings_file["content"]["env"]["ANTHROPIC_CUSTOM_HEADERS"]
    assert headers == "cf-aig-authorization: Bearer cf-secret-token-42"
    assert list(run_dir().iterdir()) == []


def test_supervised_run_sigterm_is_forwarded_and_the_file_removed(standin: Path) -> None:
    save(env={"MY_GATEWAY_TOKEN": "tok"})
    proc = start("run", env={**os.environ, "STANDIN_MODE": "wait"})
    wait_for(standin.with_suffix(".ready"))
    settings_path = Path(json.loads(standin.read_text())["settings_file"]["path"])
    assert settings_path.exists()
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=30)
    assert proc.returncode == 128 + signal.SIGTERM
    assert not settings_path.exists()


def test_leftovers_of_a_crashed_run_are_swept(standin: Path) -> None:
    save()
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    run_dir().mkdir(parents=True)
    leftover = run_dir() / f"settings-{done.stdout.strip()}-abcd.json"
    leftover.write_text('{"env": {"ANTHROPIC_AUTH_TOKEN": "old"}}')
    assert ccwrap("run").returncode == 0
    assert not leftover.exists()


def test_claude_missing_exits_127(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    save()
    monkeypatch.setenv("CCWRAP_CLAUDE", str(tmp_path / "no-such-claude"))
    result = ccwrap("run")
    assert result.returncode == 127
    assert "CCWRAP_CLAUDE" in result.stderr
    assert "Traceback" not in result.stderr


def test_dry_run_imports_nothing_heavy(standin: Path) -> None:
    save()
    code = (
        "import sys\n"
        "from ccwrap.cli.app import main\n"
        "try:\n    main(['run', '--dry-run', '--', '-p', 'x'])\n"
        "except SystemExit as exc:\n    assert exc.code in (0, None), exc.code\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip().splitlines()[-1] == "[]"
    assert not standin.exists()  # a dry run starts nothing


# -- supervise(), used where ccwrap must stay alive (the proxy) -----------------------------------
HARNESS = """
import os, sys
from pathlib import Path
from ccwrap.launch.process import supervise
marker = Path(sys.argv[1])
code = supervise(sys.argv[2:], dict(os.environ), cleanup=[lambda: marker.write_text("cleaned")])
print(os.getpid(), os.getpgrp())
sys.exit(code)
"""


def supervised(standin: Path, tmp_path: Path, mode: str) -> tuple[subprocess.Popen[str], Path]:
    marker = tmp_path / "cleanup-ran"
    claude = os.environ["CCWRAP_CLAUDE"]
    proc = subprocess.Popen(
        [sys.executable, "-c", HARNESS, str(marker), claude, "-p", "x"],
        env={**os.environ, "STANDIN_MODE": mode},
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,  # a process group of its own, as a terminal's foreground job
    )
    return proc, marker


@pytest.mark.parametrize(("mode", "expected"), [("exit:0", 0), ("exit:3", 3), ("kill:9", 137)])
def test_supervise_exit_codes(standin: Path, tmp_path: Path, mode: str, expected: int) -> None:
    proc, marker = supervised(standin, tmp_path, mode)
    proc.communicate(timeout=30)
    assert proc.returncode == expected
    assert marker.read_text() == "cleaned"


def test_supervise_ctrl_c_belongs_to_the_child(standin: Path, tmp_path: Path) -> None:
    proc, marker = supervised(standin, tmp_path, "wait")
    wait_for(standin.with_suffix(".ready"))
    record = json.loads(standin.read_text())
    # The child stays in the supervisor's process group: the terminal's foreground group.
    assert record["pgrp"] == proc.pid
    assert record["ppid"] == proc.pid
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal does on Ctrl-C
    proc.communicate(timeout=30)
    assert standin.with_suffix(".sigint").exists()
    assert proc.returncode == 42  # the child's own exit code: the supervisor did not die of it
    assert marker.read_text() == "cleaned"


def test_supervise_child_gets_default_sigint(standin: Path, tmp_path: Path) -> None:
    # An ignored signal stays ignored across exec: the child must not inherit ccwrap's stance.
    proc, marker = supervised(standin, tmp_path, "sleep")
    wait_for(standin.with_suffix(".ready"))
    os.killpg(proc.pid, signal.SIGINT)
    proc.communicate(timeout=30)
    assert proc.returncode == 128 + signal.SIGINT
    assert marker.read_text() == "cleaned"


def test_supervise_forwards_sigterm(standin: Path, tmp_path: Path) -> None:
    proc, marker = supervised(standin, tmp_path, "wait")
    wait_for(standin.with_suffix(".ready"))
    proc.send_signal(signal.SIGTERM)  # to the supervisor alone
    proc.communicate(timeout=30)
    assert proc.returncode == 128 + signal.SIGTERM  # the child died of the forwarded signal
    assert marker.read_text() == "cleaned"


def test_supervise_forwards_sighup(standin: Path, tmp_path: Path) -> None:
    proc, marker = supervised(standin, tmp_path, "wait")
    wait_for(standin.with_suffix(".ready"))
    proc.send_signal(signal.SIGHUP)
    proc.communicate(timeout=30)
    assert proc.returncode == 128 + signal.SIGHUP
    assert marker.read_text() == "cleaned"


def test_supervised_run_ctrl_c_goes_to_claude_and_the_file_is_removed(standin: Path) -> None:
    save(env={"MY_GATEWAY_TOKEN": "tok"})
    proc = start("run", env={**os.environ, "STANDIN_MODE": "wait"}, start_new_session=True)
    wait_for(standin.with_suffix(".ready"))
    settings_path = Path(json.loads(standin.read_text())["settings_file"]["path"])
    os.killpg(proc.pid, signal.SIGINT)  # the terminal's Ctrl-C: ccwrap and claude both get it
    proc.communicate(timeout=30)
    assert standin.with_suffix(".sigint").exists()
    assert proc.returncode == 42
    assert not settings_path.exists()


def test_managed_pin_warns_on_stderr_and_still_launches(standin: Path, tmp_path: Path) -> None:
    save()
    (tmp_path / "managed-settings.json").write_text(
        '{"env": {"ANTHROPIC_BASE_URL": "https://corp"}}'
    )
    result = ccwrap("run")
    assert result.returncode == 0
    assert "ccwrap: warning: managed settings" in result.stderr
    assert "pin ANTHROPIC_BASE_URL" in result.stderr
    assert standin.exists()


LAUNCH_WITH_CLEANUP = """
import os, sys
from pathlib import Path
from ccwrap.launch.process import launch, prepare_launch
from ccwrap.context import Context
from ccwrap.profiles.store import ProfileStore
ctx = Context.from_os()
profile = ProfileStore(ctx.paths.config_file).get("work")
plan = prepare_launch(ctx, profile, ["-p", "x"])
marker = Path(sys.argv[1])
sys.exit(launch(plan, ctx.paths.run_dir, cleanup=[lambda: marker.write_text(str(os.getpid()))]))
"""


def test_launch_with_cleanup_supervises_and_cleans_up(standin: Path, tmp_path: Path) -> None:
    # What run --proxy needs: ccwrap outlives claude (no exec) even with inline settings.
    save()
    marker = tmp_path / "stopped"
    proc = subprocess.Popen(
        [sys.executable, "-c", LAUNCH_WITH_CLEANUP, str(marker)],
        env={**os.environ, "STANDIN_MODE": "exit:9"},
    )
    proc.wait(timeout=60)
    assert proc.returncode == 9
    record = json.loads(standin.read_text())
    assert record["ppid"] == proc.pid  # a child, not an exec
    assert marker.read_text() == str(proc.pid)


def test_key_helper_from_a_pipx_style_symlink(standin: Path, tmp_path: Path) -> None:
    # pipx links ~/.local/bin/ccwrap to the console script of its own venv.
    venv_script = Path(sys.executable).parent / "ccwrap"
    if not venv_script.is_file():
        pytest.skip("no console script beside this interpreter")
    link = tmp_path / "local-bin" / "ccwrap"
    link.parent.mkdir()
    link.symlink_to(venv_script)
    save(key="env:GW_KEY")
    done = subprocess.run(
        [str(link), "run", "--dry-run", "--json"], capture_output=True, text=True, check=True
    )
    helper = json.loads(done.stdout)["settings"]["apiKeyHelper"]
    assert helper == f"{link} key work"
    printed = subprocess.run(
        ["/bin/sh", "-c", helper],
        env={**os.environ, "GW_KEY": "sk-through-the-link-1"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert printed.stdout == "sk-through-the-link-1"
