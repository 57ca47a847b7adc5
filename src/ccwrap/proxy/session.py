"""``ccwrap run --proxy``: claude behind a proxy that lives exactly as long as claude does.

Order matters (docs/design.md, "The proxy"): the real key is read first (a missing key fails before
anything starts); the socket listens before claude starts, so claude's first request waits in the
backlog instead of being refused while uvicorn is still importing; claude is supervised (Ctrl-C is
claude's); the proxy stops only after claude has exited; the settings file is removed on every exit
path. claude gets the proxy's URL and a per-session token, never the real key.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TextIO

from ccwrap.context import Context, ensure_private_dir
from ccwrap.keys.sources import KeySource, SecretStore
from ccwrap.launch.process import LaunchPlan, launch, prepare_launch
from ccwrap.profiles.store import Profile
from ccwrap.proxy.config import ProxyConfig, new_session_token
from ccwrap.proxy.server import bind, start_background

LOOPBACK_NAMES = ("127.0.0.1", "localhost")
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
    key: str | None,
) -> LaunchPlan:
    """The launch plan of claude behind the proxy (also what ``run --proxy --dry-run`` shows)."""
    plan = prepare_launch(ctx, claude_facing(profile, base_url), args, key=token)
    plan.env = claude_environment(plan.env, profile, key)
    plan.env_changes = {**plan.env_changes, **no_proxy(plan.env)}
    return plan


def claude_environment(env: Mapping[str, str], profile: Profile, key: str | None) -> dict[str, str]:
    """claude's environment: loopback kept off any HTTP(S)_PROXY, and no trace of the real key
    (not the variable an ``env:VAR`` key source reads, nor any variable holding its value)."""
    result = dict(env)
    source = KeySource.parse(profile.key)
    if source.kind == "env":
        result.pop(source.arg, None)
    if key:
        for name in [n for n, v in result.items() if key in v]:
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
    ctx: Context, secrets: SecretStore, profile: Profile, args: Sequence[str], *, port: int = 0
) -> int:
    """Start the proxy, run claude behind it, stop the proxy; claude's exit code.

    The launch itself (the 0600 settings file, supervising claude, cleaning up on every exit
    path) is ``ccwrap.launch.process.launch``, as for a run without the proxy.
    """
    config = ProxyConfig.from_profile(
        profile, secrets, token=new_session_token(), environ=ctx.environ
    )
    sock = bind(port)
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    try:
        plan = plan_behind_proxy(
            ctx, profile, args, base_url=base_url, token=config.token, key=config.key
        )
        log = open_log(ctx.paths.state_dir)
    except BaseException:
        sock.close()
        raise
    proxy = start_background(config, sock=sock, wait=False, log_stream=log)
    return launch(plan, ctx.paths.run_dir, cleanup=[proxy.close, log.close])


def open_log(state_dir: Path) -> TextIO:
    """The proxy's request log while claude owns the terminal (no secrets are ever logged)."""
    ensure_private_dir(state_dir)
    path = state_dir / LOG_NAME
    if path.exists() and path.stat().st_size > LOG_LIMIT:
        path.replace(path.with_suffix(".log.1"))
    return open(path, "a", encoding="utf-8", opener=_private)  # closed by run_behind_proxy


def _private(path: str, flags: int) -> int:
    return os.open(path, flags, 0o600)
