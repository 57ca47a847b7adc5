"""Launching claude on a profile: find it, plan its command line and environment, run it.

    prepare_launch(ctx, ...)     read the settings files and plan (``launch_plan.plan_launch``)
    launch(plan, run_dir)        exec claude (POSIX), or supervise it when a temporary file exists
    supervise(argv, env, ...)    run a child in the foreground, ccwrap alive beside it

Without a secret in the settings (the usual case: the key travels by apiKeyHelper, see
``launch_plan``) ccwrap simply execs claude: same PID, terminal and signals, nothing to clean up.
With one, the settings go to a 0600 file in ``run_dir`` and claude is supervised instead, so the
file is removed on every exit path; files of a run that was killed are swept at the next start.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import signal
import subprocess
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ccwrap.claude.binary import INSTALL_HINT, claude_version, find_claude
from ccwrap.context import Context, ensure_private_dir
from ccwrap.errors import CcwrapError, ClaudeNotFound
from ccwrap.keys.helper_command import ccwrap_command, key_helper_command
from ccwrap.launch.plan import (
    CLEARED_VARIABLES,
    NO_KEY_PLACEHOLDER,
    LaunchPlan,
    Override,
    UserSettings,
    merge_settings,
    plan_launch,
    split_user_settings,
    wants_proxy,
)
from ccwrap.profiles.store import Profile

# The plan's names, re-exported: callers need only this module.
__all__ = [
    "CLEARED_VARIABLES",
    "NO_KEY_PLACEHOLDER",
    "LaunchPlan",
    "Override",
    "UserSettings",
    "ccwrap_command",
    "claude_version",
    "exec_claude",
    "find_claude",
    "key_helper_command",
    "launch",
    "merge_settings",
    "plan_launch",
    "prepare_launch",
    "split_user_settings",
    "supervise",
    "sweep_run_dir",
    "wants_proxy",
    "write_settings_file",
]

SETTINGS_PREFIX = "settings-"


# -- running --------------------------------------------------------------------------------------
def launch(plan: LaunchPlan, run_dir: Path, *, cleanup: Sequence[Callable[[], None]] = ()) -> int:
    """Start claude as the plan says; returns its exit code (on POSIX, exec never returns).

    ``cleanup`` (e.g. stopping the proxy) means ccwrap must outlive claude: it then supervises
    claude instead of exec'ing it, and runs the callbacks after claude exits, whatever happens.
    """
    sweep_run_dir(run_dir)
    if plan.inline and not cleanup:
        return exec_claude(plan.argv(), plan.env)
    callbacks = list(cleanup)
    settings_file: Path | None = None
    if not plan.inline:
        try:
            settings_file = write_settings_file(run_dir, plan.settings)
        except BaseException:
            _run_cleanup(callbacks)
            raise
        callbacks.insert(0, functools.partial(_unlink, settings_file))
    return supervise(plan.argv(settings_file), plan.env, cleanup=callbacks)


def exec_claude(argv: Sequence[str], env: Mapping[str, str]) -> int:
    """Replace ccwrap with claude: same PID, terminal and signals (POSIX). Windows: a child."""
    if os.name != "posix":
        return supervise(argv, env)
    try:
        os.execve(argv[0], list(argv), dict(env))  # noqa: S606 - claude's argv, no shell
    except OSError as exc:
        raise _start_error(argv[0], exc) from exc
    raise AssertionError("unreachable")  # pragma: no cover


def _start_error(program: str, exc: OSError) -> CcwrapError:
    if isinstance(exc, FileNotFoundError):
        return ClaudeNotFound(f"cannot start {program}: it does not exist", hint=INSTALL_HINT)
    return ClaudeNotFound(f"cannot start {program}: {exc.strerror}", hint=INSTALL_HINT)


FORWARDED_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)
)
# The terminal sends these to its whole foreground process group, claude included: claude decides
# what Ctrl-C means, and ccwrap just waits for it to exit.
IGNORED_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGQUIT") if hasattr(signal, name)
)


def supervise(
    argv: Sequence[str],
    env: Mapping[str, str],
    *,
    cleanup: Iterable[Callable[[], None]] = (),
    cwd: Path | None = None,
) -> int:
    """Run ``argv`` as a child and wait for it; ccwrap stays alive beside it (for the proxy).

    The child stays in ccwrap's process group, so it keeps the terminal's foreground and gets
    Ctrl-C itself; ccwrap ignores SIGINT/SIGQUIT while it waits and forwards SIGTERM/SIGHUP.
    Returns the child's exit code, or 128+n when a signal n killed it. ``cleanup`` callbacks run
    on every exit path. Call it from the main thread (Python sets signal handlers only there);
    the proxy serves from its own thread meanwhile.
    """
    child: subprocess.Popen[bytes] | None = None
    pending: list[int] = []

    def forward(signum: int, _frame: object) -> None:
        if child is None:
            pending.append(signum)
        else:
            with contextlib.suppress(ProcessLookupError):
                child.send_signal(signum)

    def ignore(_signum: int, _frame: object) -> None:
        # A Python handler rather than SIG_IGN: an ignored signal stays ignored across exec, and
        # claude must get its Ctrl-C. Handled signals are reset to default in the child.
        return None

    previous: dict[int, Any] = {}
    try:
        for signum in IGNORED_SIGNALS:
            previous[signum] = signal.signal(signum, ignore)
        for signum in FORWARDED_SIGNALS:
            previous[signum] = signal.signal(signum, forward)
        try:
            child = subprocess.Popen(list(argv), env=dict(env), cwd=cwd)
        except OSError as exc:
            raise _start_error(argv[0], exc) from exc
        for signum in pending:
            forward(signum, None)
        code = child.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        _run_cleanup(cleanup)
    return 128 - code if code < 0 else code


def _run_cleanup(callbacks: Iterable[Callable[[], None]]) -> None:
    for callback in callbacks:
        with contextlib.suppress(Exception):
            callback()


# -- the temporary settings file ------------------------------------------------------------------
def write_settings_file(run_dir: Path, settings: Mapping[str, Any]) -> Path:
    """A 0600 file (created so, never chmod-ed) named after this process, for the sweep."""
    ensure_private_dir(run_dir)
    path = run_dir / f"{SETTINGS_PREFIX}{os.getpid()}-{os.urandom(4).hex()}.json"
    data = json.dumps(settings, indent=2, ensure_ascii=False).encode("utf-8")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
    except BaseException:
        _unlink(path)
        raise
    return path


def sweep_run_dir(run_dir: Path) -> list[Path]:
    """Remove settings files whose ccwrap process is gone (it was killed before its cleanup)."""
    removed: list[Path] = []
    try:
        candidates = list(run_dir.glob(f"{SETTINGS_PREFIX}*.json"))
    except OSError:
        return removed
    for path in candidates:
        pid_text = path.name[len(SETTINGS_PREFIX) :].split("-", 1)[0]
        if not pid_text.isdigit() or not _alive(int(pid_text)):
            _unlink(path)
            removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name != "posix":
        return True  # os.kill(pid, 0) is no probe on Windows; such files stay until removed
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _unlink(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


# -- one call for the command line ----------------------------------------------------------------
def prepare_launch(
    ctx: Context,
    profile: Profile,
    args: Sequence[str],
    *,
    key: str | None = None,
    key_helper: str | None = None,
) -> LaunchPlan:
    """Find claude, read the settings files and the user's --settings, and plan the launch."""
    from ccwrap.claude.settings_files import discover

    claude = find_claude(ctx)
    rest, user_settings = split_user_settings(args, ctx.cwd)
    if key is None and profile.auth != "none" and key_helper is None:
        key_helper = key_helper_command(profile.name)
    return plan_launch(
        profile,
        claude=claude,
        args=rest,
        environ=ctx.environ,
        files=discover(ctx),
        key_helper=key_helper,
        key=key,
        user_settings=user_settings,
    )
