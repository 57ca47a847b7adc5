"""One ``claude -p`` turn on a profile, exactly as ``ccwrap run`` would start it, but against the
capture endpoint: the real gateway is never contacted and the real key is never read.

Without the proxy, the profile's base URL becomes the endpoint's and ``apiKeyHelper`` prints a
stand-in key (the same route ``run`` uses: ``ccwrap.launch.prepare_launch``). Behind the proxy,
the proxy is started as ``run --proxy`` starts it (``ccwrap.proxy.session``) but forwards to the
endpoint with a stand-in key and stand-in secret header values: the report then shows what the
gateway would receive. claude runs in its own session with a time limit; a claude that hangs is
stopped (SIGTERM, then SIGKILL) and every temporary file is removed on every exit path.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shlex
import signal
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

from ccwrap.claude.binary import INSTALL_HINT, claude_version, version_tuple
from ccwrap.context import Context
from ccwrap.errors import CcwrapError, ClaudeNotFound
from ccwrap.inspect.endpoint import CaptureEndpoint
from ccwrap.inspect.report import Mismatch, Report, mismatches, view
from ccwrap.launch.process import (
    LaunchPlan,
    prepare_launch,
    sweep_run_dir,
    wants_proxy,
    write_settings_file,
)
from ccwrap.profiles.model import DEFAULT_KEY_SOURCE
from ccwrap.profiles.store import Profile
from ccwrap.text import escape_control

STANDIN_KEY = "ccwrap-inspect-stand-in-key"
STANDIN_SECRET = "ccwrap-inspect-stand-in-value"  # noqa: S105 - for each secret header
STANDIN_HELPER = f"printf %s {STANDIN_KEY}"
PROMPT = "hello"
DEFAULT_TIMEOUT = 90.0
KILL_GRACE = 5.0
STDERR_TAIL = 2000
# Set in claude's environment: one quiet, retry-free turn (a profile's own env still wins).
QUIET_ENV = {
    "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
    "CLAUDE_CODE_MAX_RETRIES": "0",
    "DISABLE_AUTOUPDATER": "1",
}
# The first client measured to run gateway model discovery with nonessential traffic off.
DISCOVERS_WHEN_QUIET = (2, 1, 332)
DEFAULT_MODELS = ("claude-sonnet-4-5", "claude-opus-4-1", "claude-haiku-4-5")


@dataclasses.dataclass
class Outcome:
    exit_code: int | None
    timed_out: bool
    stderr: str


def inspect_profile(
    ctx: Context,
    profile: Profile,
    args: Sequence[str] = (),
    *,
    proxy: bool | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> Report:
    """Run claude once for ``profile`` against a capture endpoint; what it sent, as a report."""
    claude_args = ["-p", PROMPT, "--no-session-persistence", *args]
    proxied = wants_proxy(profile, proxy)
    models = [m for m in _profile_models(profile) if m] or list(DEFAULT_MODELS)
    with CaptureEndpoint(models=models) as endpoint:
        cleanup: list[Callable[[], None]] = []
        try:
            if proxied:
                plan = _behind_proxy(ctx, profile, claude_args, endpoint.url, cleanup)
            else:
                plan = prepare_launch(
                    ctx,
                    _direct_profile(profile, endpoint.url),
                    claude_args,
                    key_helper=STANDIN_HELPER,
                )
            version = claude_version(plan.claude)
            outcome = _run(plan, ctx, timeout)
        finally:
            for callback in cleanup:
                with contextlib.suppress(Exception):
                    callback()
        captured = list(endpoint.requests)
    views = [view(c, profile.secret_headers, (STANDIN_KEY, STANDIN_SECRET)) for c in captured]
    if outcome.timed_out and not any(v.is_message for v in views):
        raise CcwrapError(
            f"claude did not finish within {timeout:g} s and sent no request; it was stopped",
            hint=f"try it by hand: ccwrap run {shlex.quote(profile.name)} -p hello "
            "(or give it longer: --timeout)",
        )
    report = Report(
        profile=profile.name,
        client_version=version,
        proxied=proxied,
        requests=views,
        mismatches=mismatches(profile, views),
        claude_exit=outcome.exit_code,
    )
    _quiet_discovery(report, profile)
    if outcome.timed_out:
        report.mismatches.append(
            Mismatch(
                "claude.timeout", f"claude did not finish within {timeout:g} s; it was stopped"
            )
        )
    elif outcome.exit_code != 0:
        report.claude_error = outcome.stderr or None
        report.mismatches.append(
            Mismatch("claude.exit", f"claude exited with status {outcome.exit_code}")
        )
    return report


def _quiet_discovery(report: Report, profile: Profile) -> None:
    """Measured (docs/client-facts.md): claude 2.1.197 skips gateway model discovery when
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1, which inspect sets; 2.1.332 does not. Before the
    first version measured to discover anyway, a missing discovery is the turn's doing: a note."""
    if not profile.gateway_discovery or report.discovery:
        return
    version = report.client_version
    if version is not None and version_tuple(version) >= DISCOVERS_WHEN_QUIET:
        return
    report.mismatches = [m for m in report.mismatches if m.id != "discovery.missing"]
    report.notes.append(
        f"claude {version or '(unknown version)'} skips model discovery when nonessential "
        "traffic is off, as inspect runs it (2.1.332 does not): discovery is not shown here, "
        "but `ccwrap run` (which leaves that traffic on) does discover"
    )


def _profile_models(profile: Profile) -> list[str | None]:
    return [
        profile.model,
        profile.opus_model,
        profile.sonnet_model,
        profile.haiku_model,
        profile.subagent_model,
    ]


def _direct_profile(profile: Profile, url: str) -> Profile:
    """The profile pointed at the endpoint; its key source is never consulted (a stand-in key
    comes from apiKeyHelper, the route ``run`` takes)."""
    return dataclasses.replace(profile, base_url=url, key=DEFAULT_KEY_SOURCE)


def _behind_proxy(
    ctx: Context,
    profile: Profile,
    args: Sequence[str],
    upstream: str,
    cleanup: list[Callable[[], None]],
) -> LaunchPlan:
    from ccwrap.proxy.config import TRANSPORT_VARIABLE, ProxyConfig
    from ccwrap.proxy.server import bind, start_background
    from ccwrap.proxy.session import check_startable, plan_behind_proxy

    config = ProxyConfig(
        upstream=upstream,
        auth=profile.auth,
        key=STANDIN_KEY if profile.auth != "none" else None,
        headers=dict(profile.headers),
        secret_headers=dict.fromkeys(profile.secret_headers, STANDIN_SECRET),
        model_map=dict(profile.model_map),
        profile=profile.name,
        transport=ctx.environ.get(TRANSPORT_VARIABLE, "auto"),
    )
    check_startable(config, profile.name)
    sock = bind(0)
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    try:
        plan = plan_behind_proxy(ctx, profile, args, base_url=base_url, token=config.token)
        handle = start_background(config, sock=sock, wait=True, log_stream=None)
    except BaseException:
        sock.close()
        raise
    cleanup.append(handle.close)
    return plan


def _run(plan: LaunchPlan, ctx: Context, timeout: float) -> Outcome:
    """claude in its own session (so a hang is stopped with everything it started)."""
    from ccwrap.proxy.session import no_proxy

    env = {**plan.env, **QUIET_ENV}
    env.update(no_proxy(env))
    sweep_run_dir(ctx.paths.run_dir)
    settings_file: Path | None = None
    if not plan.inline:
        settings_file = write_settings_file(ctx.paths.run_dir, plan.settings)
    try:
        try:
            child = subprocess.Popen(
                plan.argv(settings_file),
                env=env,
                cwd=ctx.cwd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
        except OSError as exc:
            reason = (
                "it (or its interpreter) does not exist"
                if isinstance(exc, FileNotFoundError)
                else exc.strerror
            )
            raise ClaudeNotFound(
                f"cannot start {plan.claude}: {reason}", hint=INSTALL_HINT
            ) from exc
        try:
            _, err = child.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _stop(child)
            return Outcome(None, True, "")
        return Outcome(child.returncode, False, _tail(err))
    finally:
        if settings_file is not None:
            with contextlib.suppress(FileNotFoundError):
                settings_file.unlink()


def _stop(child: subprocess.Popen[bytes]) -> None:
    for signum, grace in ((signal.SIGTERM, KILL_GRACE), (signal.SIGKILL, KILL_GRACE)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(child.pid, signum)
        try:
            child.communicate(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


def _tail(err: bytes | None) -> str:
    text = (err or b"")[-STDERR_TAIL:].decode("utf-8", "replace").strip()
    return "\n".join(escape_control(line) for line in text.splitlines()[-5:])
