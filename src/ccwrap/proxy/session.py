"""``ccwrap run --proxy``: claude behind a proxy that lives exactly as long as claude does.

Order matters (docs/design.md, "The proxy"): the real key is read first (a missing key fails before
anything starts); the socket listens before claude starts, so claude's first request waits in the
backlog while uvicorn imports; what the proxy's start-up could refuse (a key no header can
carry) is checked before claude starts, so it fails with its own error (exit 8) rather than as a
connection reset inside claude, and a start that fails anyway is reported; claude is
supervised (Ctrl-C is claude's); the proxy stops only after claude has exited; the settings file
is removed on every exit path. claude gets the proxy's URL and a per-session token, never the
real key.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TextIO

from ccwrap.context import Context, ensure_private_dir
from ccwrap.errors import ProxyError
from ccwrap.keys.sources import KeySource, SecretStore
from ccwrap.launch.process import LaunchPlan, launch, prepare_launch
from ccwrap.net.hosts import LOOPBACK, LOOPBACK_NAMES
from ccwrap.profiles.store import Profile
from ccwrap.proxy.config import ProxyConfig, new_session_token
from ccwrap.proxy.hooks import Hook
from ccwrap.proxy.ledger_hook import ledger_hooks
from ccwrap.proxy.server import ProxyHandle, bind, start_background

LOG_NAME = "proxy.log"
LOG_LIMIT = 1 << 20


def claude_facing(profile: Profile, base_url: str) -> Profile:
    """The profile as claude sees it behind the proxy: the proxy's URL, a bearer token, and
    nothing the proxy does itself (headers, secret headers, model names)."""
    return dataclasses.replace(
        profile,
        base_url=base_url,
        auth="bearer",
        key="env:CCWRAP_UNUSED",
        headers={},
        secret_headers={},
        model_map={},
    )


def plan_behind_proxy(
    ctx: Context,
    profile: Profile,
    args: Sequence[str],
    *,
    base_url: str,
    token: str,
    held: Sequence[str] = (),
) -> LaunchPlan:
    """The launch plan of claude behind the proxy (also what ``run --proxy --dry-run`` shows).

    ``held``: the secrets the proxy holds (the key, the secret header values), kept out of
    claude's environment.
    """
    plan = prepare_launch(ctx, claude_facing(profile, base_url), args, key=token)
    plan.env = claude_environment(plan.env, profile, held)
    plan.env_changes = {**plan.env_changes, **no_proxy(plan.env)}
    return plan


def claude_environment(
    env: Mapping[str, str], profile: Profile, held: Sequence[str] = ()
) -> dict[str, str]:
    """claude's environment: loopback kept off any HTTP(S)_PROXY, and no trace of a secret the
    proxy holds: not the variable an ``env:VAR`` source of the key or of a secret header reads,
    nor any variable holding one of their values."""
    result = dict(env)
    for spec in (profile.key, *profile.secret_headers.values()):
        source = KeySource.parse(spec)
        if source.kind == "env":
            result.pop(source.arg, None)
    for secret in (s for s in held if s):
        # A short value is matched whole: as a substring it would take unrelated variables along.
        for name in [
            n for n, v in result.items() if v == secret or (len(secret) >= 8 and secret in v)
        ]:
            del result[name]
    result.update(no_proxy(result))
    return result


def no_proxy(env: Mapping[str, str]) -> dict[str, str]:
    """NO_PROXY and no_proxy with 127.0.0.1 and localhost added to what the user had."""
    values: dict[str, str] = {}
    for name in ("NO_PROXY", "no_proxy"):
        current = [p.strip() for p in env.get(name, "").split(",") if p.strip()]
        values[name] = ",".join([*current, *(h for h in LOOPBACK_NAMES if h not in current)])
    return values


def run_behind_proxy(
    ctx: Context,
    secrets: SecretStore,
    profile: Profile,
    args: Sequence[str],
    *,
    port: int = 0,
    extra_hooks: HookFactory | None = None,
) -> int:
    """Start the proxy, run claude behind it, stop the proxy; claude's exit code.

    ``extra_hooks`` builds more hooks for the session's proxy from its config, and what closes
    them once it has stopped (``ccwrap run --proxy --capture`` passes the capture's: a feature
    above the proxy in the layers hands its hooks down rather than being imported here).

    The launch itself (the 0600 settings file, supervising claude, cleaning up on every exit
    path) is ``ccwrap.launch.process.launch``, as for a run without the proxy.
    """
    config = ProxyConfig.from_profile(
        profile, secrets, token=new_session_token(), environ=ctx.environ
    )
    check_startable(config, profile.name)
    sock = bind(port)
    base_url = f"http://{LOOPBACK}:{sock.getsockname()[1]}"
    try:
        held = [s for s in (config.key, *config.secret_headers.values()) if s]
        plan = plan_behind_proxy(
            ctx, profile, args, base_url=base_url, token=config.token, held=held
        )
        log = open_log(ctx.paths.state_dir)
    except BaseException:
        sock.close()
        raise
    # Not waiting for uvicorn (~0.2 s of imports here): claude starts meanwhile and its first
    # request waits in the backlog. What the proxy's start-up can refuse has been checked above.
    hooks, close_ledger = ledger_hooks(
        ctx.paths, ctx.environ, profile=profile.name, model_map=profile.model_map
    )
    more, close_more = extra_hooks(config) if extra_hooks else ([], _nothing)
    proxy = start_background(config, sock=sock, wait=False, log_stream=log, hooks=[*hooks, *more])
    cleanup: list[Callable[[], None]] = [
        functools.partial(report_failed_start, proxy),
        proxy.close,
        close_ledger,  # after the proxy: the rows of its last requests
        close_more,
        log.close,
    ]
    return launch(plan, ctx.paths.run_dir, cleanup=cleanup)


# More hooks for a session's proxy, built from its config, and what to call once it has stopped.
HookFactory = Callable[[ProxyConfig], tuple[list[Hook], Callable[[], None]]]


def _nothing() -> None:
    pass


def check_startable(config: ProxyConfig, profile: str) -> None:
    """What the proxy's start-up would refuse, checked before claude starts (issue 16 #13).

    The proxy turns the key and the header values into the bytes it sends, once, at start; a
    value no HTTP header can carry fails there, and claude, started beside it, would only see a
    connection reset. The same preparation runs here first, so that case fails with its error.
    """
    from ccwrap.proxy.headers import HeaderPlan
    from ccwrap.proxy.policy import upstream_base

    try:
        upstream_base(config.upstream)
        config.token.encode("latin-1")
        HeaderPlan.build(
            auth=config.auth,
            key=config.key,
            headers=config.headers,
            secret_headers=config.secret_headers,
        )
    except (UnicodeError, ValueError) as exc:
        raise ProxyError(
            "the proxy could not start: the key or a header value holds characters an HTTP "
            "header cannot carry",
            hint=f"check them: ccwrap profile show {profile} (and ccwrap setup {profile})",
        ) from exc


def report_failed_start(proxy: ProxyHandle) -> None:
    """After claude: say why, if the proxy's start failed (claude saw connection errors).

    A proxy still starting is no failure: claude was just quicker (``claude --version``).
    """
    if not proxy._ready.is_set():  # same package: the handle's start-up state
        return
    try:
        proxy.wait_ready(timeout=0)
    except ProxyError as exc:
        sys.stderr.write(f"ccwrap: error: {exc.message}; claude's requests could not go through\n")


def open_log(state_dir: Path) -> TextIO:
    """The proxy's request log while claude owns the terminal (no secrets are ever logged)."""
    ensure_private_dir(state_dir)
    path = state_dir / LOG_NAME
    if path.exists() and path.stat().st_size > LOG_LIMIT:
        path.replace(path.with_suffix(".log.1"))
    return open(path, "a", encoding="utf-8", opener=_private)  # closed by run_behind_proxy


def _private(path: str, flags: int) -> int:
    return os.open(path, flags, 0o600)
