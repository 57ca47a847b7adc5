"""A run: plan it, then send the groups' requests one after the other and collect the checks.

    prepared = prepare(ctx, target, options)        the suite and its budget (--deep: one free
                                                    GET /v1/models for the claimed window)
    run = new_run(target, prepared, now)            the Run the checks are added to as they finish
    execute(ctx, run, prepared, target, options)    the requests; Ctrl-C leaves in ``run`` what ran

Everything that came from the gateway is escaped and the key masked before it leaves here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ccwrap.context import Context
from ccwrap.keys.sources import mask
from ccwrap.text import escape_control, escape_tree
from ccwrap.verify.checks import Group, groups_for
from ccwrap.verify.exchange import Session
from ccwrap.verify.model import CHECK_IDS, CheckResult, Run, check
from ccwrap.verify.plan import (
    DEEP_WINDOW,
    DEFAULT_REPEAT,
    Budget,
    Planned,
    Suite,
    budget,
    requests_for,
)
from ccwrap.verify.shape import ClientShape
from ccwrap.verify.target import Target

if TYPE_CHECKING:
    import httpx

DEFAULT_TIMEOUT = 60.0
MODELS_PATH = "/v1/models?limit=1000"
MAX_WINDOW = 2_000_000
# The window fields a models listing may carry, most specific first.
WINDOW_FIELDS = ("max_input_tokens", "context_window", "context_length", "max_context_tokens")


@dataclass
class Options:
    only: tuple[str, ...] = CHECK_IDS
    repeat: int = DEFAULT_REPEAT
    deep: bool = False
    timeout: float = DEFAULT_TIMEOUT


@dataclass
class Prepared:
    suite: Suite
    groups: list[Group]
    planned: list[Planned]
    shape: ClientShape

    @property
    def budget(self) -> Budget:
        return budget(self.planned)


def client(
    ctx: Context, target: Target, timeout: float, transport: Any = None
) -> httpx.AsyncClient:
    from ccwrap.doctor.probes import make_client, proxy_for

    https = target.base_url.lower().startswith("https://")
    proxy = proxy_for(target.base_url, ctx.environ)
    return make_client(ctx.environ, timeout, transport, tls=https, proxy=proxy)


def prepare(
    ctx: Context,
    target: Target,
    options: Options,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Prepared:
    shape = ClientShape(disable_betas=target.disable_betas)
    window = DEEP_WINDOW
    if options.deep and "context.recall" in options.only:
        window = asyncio.run(claimed_window(ctx, target, shape, options.timeout, transport))
    suite = Suite(target.model, repeat=options.repeat, deep=options.deep, window=window)
    groups = groups_for(options.only)
    planned = [p for g in groups if g.name != "ids" for p in requests_for(g.name, suite)]
    return Prepared(suite, groups, planned, shape)


async def claimed_window(
    ctx: Context, target: Target, shape: ClientShape, timeout: float, transport: Any
) -> int:
    """The context window ``GET /v1/models`` gives for the model (free), else 200k."""
    async with client(ctx, target, timeout, transport) as http:
        session = Session(http, target, shape, timeout)
        listing = await session.send("models", None, path=MODELS_PATH, method="GET", spends=False)
    data = listing.message if listing.answered else None
    entries = data.get("data") if isinstance(data, dict) else None
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and entry.get("id") in (target.model, target.requested_model):
            for name in WINDOW_FIELDS:
                value = entry.get(name)
                if isinstance(value, int) and not isinstance(value, bool) and value >= 1000:
                    return min(value, MAX_WINDOW)
    return DEEP_WINDOW


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def new_run(target: Target, prepared: Prepared, now: Callable[[], datetime] = utc_now) -> Run:
    return Run(
        profile=target.profile,
        base_url=target.base_url,
        model=target.model,
        client={**prepared.shape.to_json(), "model_source": target.model_source},
        started_at=now().isoformat(timespec="microseconds"),
    )


def execute(
    ctx: Context,
    run: Run,
    prepared: Prepared,
    *,
    target: Target,
    options: Options,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Run:
    """Run the groups; on Ctrl-C the finished checks stay in ``run`` (the rest: skip)."""
    try:
        asyncio.run(
            _execute(ctx, run, prepared, target=target, options=options, transport=transport)
        )
    except KeyboardInterrupt:
        run.interrupted = True
        raise
    finally:
        _finish(run, target, options)
    return run


async def _execute(
    ctx: Context, run: Run, prepared: Prepared, *, target: Target, options: Options, transport: Any
) -> None:
    async with client(ctx, target, options.timeout, transport) as http:
        session = Session(http, target, prepared.shape, options.timeout, spent=run.spent)
        for group in prepared.groups:
            results = await group.run(session, prepared.suite)
            run.checks += [r for r in results if r.id in options.only]


def _finish(run: Run, target: Target, options: Options) -> None:
    done = {c.id for c in run.checks}
    if run.interrupted:
        run.checks += [
            check(i, "skip", "interrupted (Ctrl-C)") for i in options.only if i not in done
        ]
    run.checks = [_clean(c, target) for c in run.checks]


def _clean(result: CheckResult, target: Target) -> CheckResult:
    secrets = target.secrets()

    def safe(text: str) -> str:
        for secret in secrets:
            text = text.replace(secret, mask(secret))
        return escape_control(text)

    evidence = escape_tree(result.evidence)
    for secret in secrets:
        evidence = _masked_tree(evidence, secret)
    fix = result.fix.replace("NAME", target.profile)
    return replace(result, detail=safe(result.detail), fix=safe(fix), evidence=evidence)


def _masked_tree(value: Any, secret: str) -> Any:
    if isinstance(value, str):
        return value.replace(secret, mask(secret))
    if isinstance(value, dict):
        return {k: _masked_tree(v, secret) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked_tree(v, secret) for v in value]
    return value
