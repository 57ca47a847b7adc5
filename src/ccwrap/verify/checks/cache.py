"""Prompt caching as billed: a fresh prefix written then read back, and the 1-hour bucket.

- ``cache.read``: the same prefix (over the minimum cacheable length, one ``cache_control``
  breakpoint, a fresh nonce) sent twice: the first shows the write in
  ``cache_creation_input_tokens``, the second reads it back in ``cache_read_input_tokens``.
- ``cache.ttl``: a breakpoint with ``"ttl": "1h"`` on another fresh prefix is billed in
  ``usage.cache_creation.ephemeral_1h_input_tokens``, not in the 5-minute bucket.
"""

from __future__ import annotations

from typing import Any

from ccwrap.verify.checks.common import integer, unanswered
from ccwrap.verify.exchange import Exchange, Session
from ccwrap.verify.model import CheckResult, check
from ccwrap.verify.plan import Suite, requests_for


async def run(session: Session, suite: Suite) -> list[CheckResult]:
    write, read, hour = requests_for("cache", suite)
    first = await session.send(write.label, write.body)
    second = await session.send(read.label, read.body)
    ttl = await session.send(hour.label, hour.body)
    return [read_check(first, second), ttl_check(ttl)]


def _tokens(usage: dict[str, Any], name: str) -> int:
    return integer(usage.get(name)) or 0


def read_check(first: Exchange, second: Exchange) -> CheckResult:
    for exchange in (first, second):
        if not exchange.answered:
            return unanswered("cache.read", exchange)
    written = _tokens(first.usage, "cache_creation_input_tokens")
    early = _tokens(first.usage, "cache_read_input_tokens")
    read = _tokens(second.usage, "cache_read_input_tokens")
    evidence = {
        "first_cache_creation": written,
        "first_cache_read": early,
        "second_cache_read": read,
        "second_cache_creation": _tokens(second.usage, "cache_creation_input_tokens"),
        "second_input": _tokens(second.usage, "input_tokens"),
    }
    said = f"first wrote {written}, second read {read} cached tokens"
    if read == 0:
        return check(
            "cache.read",
            "fail",
            f"{said}: the same prefix sent twice was not read from a cache",
            "the gateway drops cache_control or caches nothing, so every turn is billed as new "
            "input; ask its operator",
            **evidence,
        )
    if early:
        return check(
            "cache.read",
            "warn",
            f"{said}, but the first already read {early} from a cache its fresh nonce cannot be in",
            "the gateway's cache figures do not add up; ask its operator",
            **evidence,
        )
    return check("cache.read", "pass", said, **evidence)


def ttl_check(exchange: Exchange) -> CheckResult:
    if not exchange.answered:
        return unanswered("cache.ttl", exchange)
    usage = exchange.usage
    written = _tokens(usage, "cache_creation_input_tokens")
    split = usage.get("cache_creation")
    if not written and not _tokens(usage, "cache_read_input_tokens"):
        return check(
            "cache.ttl", "inconclusive", "nothing was written to the cache (see cache.read)"
        )
    if not isinstance(split, dict):
        return check(
            "cache.ttl",
            "inconclusive",
            f"{written} tokens written, but the gateway does not report the 5-minute/1-hour split",
            cache_creation_input_tokens=written,
        )
    five, hour = (
        _tokens(split, "ephemeral_5m_input_tokens"),
        _tokens(split, "ephemeral_1h_input_tokens"),
    )
    evidence = {"ephemeral_5m": five, "ephemeral_1h": hour, "cache_creation_input_tokens": written}
    said = f"a 1-hour breakpoint: {hour} tokens in the 1h bucket, {five} in the 5m bucket"
    if hour == 0 and five > 0:
        return check(
            "cache.ttl",
            "fail",
            said,
            "the cache lasts 5 minutes, not an hour: turn cache_1h off for this profile "
            "(ccwrap profile edit NAME --no-cache-1h), or ask the gateway's operator",
            **evidence,
        )
    if five > 0:
        return check("cache.ttl", "warn", f"{said} (expected all in 1h)", **evidence)
    return check("cache.ttl", "pass", said, **evidence)
