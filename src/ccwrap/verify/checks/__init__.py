"""The checks, in groups that share requests; ``GROUPS`` in the order a run sends them.

answer   count_tokens + the basic streamed prompt (×--repeat): model.served, billing.input,
         stream.live, latency
limit    max_tokens 5: limit.max_tokens
cache    a fresh prefix twice, then with ttl 1h: cache.read, cache.ttl
tools    a forced tool call and its tool_result: tools.roundtrip
context  a multi-turn code word (and with --deep a long-context needle): context.recall
errors   a deliberately invalid request: errors.shape
ids      every answer of the run inspected: id.format (no requests of its own)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from ccwrap.errors import UsageError
from ccwrap.verify.exchange import Session
from ccwrap.verify.model import CHECK_IDS, CheckResult
from ccwrap.verify.plan import Suite

GroupRun = Callable[[Session, Suite], Awaitable[list[CheckResult]]]


@dataclass(frozen=True)
class Group:
    name: str
    checks: tuple[str, ...]
    run: GroupRun


def _groups() -> tuple[Group, ...]:
    from ccwrap.verify.checks import answer, cache, conversation, errors, ids

    return (
        Group("answer", ("model.served", "billing.input", "stream.live", "latency"), answer.run),
        Group("limit", ("limit.max_tokens",), answer.run_limit),
        Group("cache", ("cache.read", "cache.ttl"), cache.run),
        Group("tools", ("tools.roundtrip",), conversation.run_tools),
        Group("context", ("context.recall",), conversation.run_recall),
        Group("errors", ("errors.shape",), errors.run),
        Group("ids", ("id.format",), ids.run),
    )


# What id.format needs to have something to inspect: the answers and a tool call.
NEEDS = {"id.format": ("answer", "tools")}


def parse_only(text: str | None) -> tuple[str, ...]:
    """``--only model.served,cache.read`` → the ids, each known (a usage error otherwise)."""
    if not text:
        return CHECK_IDS
    wanted = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    unknown = [w for w in wanted if w not in CHECK_IDS]
    if unknown or not wanted:
        raise UsageError(
            f"unknown check id(s) for --only: {', '.join(unknown) or '(none given)'}",
            hint=f"known ids: {', '.join(CHECK_IDS)}",
        )
    return wanted


def groups_for(wanted: Iterable[str]) -> list[Group]:
    wanted = set(wanted)
    names = {g.name for g in _groups() if wanted & set(g.checks)}
    for check_id in wanted:
        names.update(NEEDS.get(check_id, ()))
    return [g for g in _groups() if g.name in names]
