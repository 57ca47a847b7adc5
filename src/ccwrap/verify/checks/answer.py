"""The basic streamed prompt, repeated: who answered, what was billed, how it streamed, how fast.

- ``model.served``: the ``model`` the answer names against the one sent (a dated variant of the
  same name, or the name claude sends before the profile's model map, is the same model).
- ``billing.input``: billed input (``input_tokens`` + cache reads and writes) against
  ``count_tokens`` for the same request; more than a small tolerance above means something was
  added to the prompt on the way, and billed to the user.
- ``stream.live``: content deltas spread over the generation, not all at once after a silence.
- ``latency``: time to first token and output tokens per second, p50 and spread (informational).
- ``limit.max_tokens`` (its own request): ``max_tokens`` 5 gives at most 5 output tokens and
  ``stop_reason`` ``max_tokens``.
"""

from __future__ import annotations

import re

from ccwrap.net import sse
from ccwrap.verify.checks.common import integer, median, ms, unanswered
from ccwrap.verify.exchange import Exchange, Session
from ccwrap.verify.model import CheckResult, check
from ccwrap.verify.plan import Suite, requests_for
from ccwrap.verify.shape import COUNT_PATH

# Billed input may exceed count_tokens by this much before it counts as added.
TOLERANCE_TOKENS = 12
TOLERANCE_SHARE = 0.10
# Deltas closer together than this, all of them, arrived in one burst (a buffered stream).
BURST = 0.01
MIN_DELTAS = 3
LIMIT = 5
# Longer text than this from a 5-token answer means the limit was not applied (no usage sent).
CHARS_PER_TOKEN_MAX = 12
_DATED = re.compile(r"(-\d{8}|@\d{8}|-v\d+(:\d+)?|-latest)$")


async def run(session: Session, suite: Suite) -> list[CheckResult]:
    planned = requests_for("answer", suite)
    count = await session.send(planned[0].label, planned[0].body, path=COUNT_PATH, spends=False)
    basics = [await session.send(p.label, p.body) for p in planned[1:]]
    return [
        served_check(session, basics),
        billing_check(count, basics),
        stream_check(basics),
        latency_check(basics),
    ]


def _answered(exchanges: list[Exchange]) -> list[Exchange]:
    return [e for e in exchanges if e.answered]


def same_model(served: str, *asked: str) -> bool:
    base = _DATED.sub("", served.strip())
    return any(served == a or base == _DATED.sub("", a) for a in asked if a)


def served_check(session: Session, basics: list[Exchange]) -> CheckResult:
    answered = _answered(basics)
    if not answered:
        return unanswered("model.served", basics[0])
    target = session.target
    names = [e.message.get("model") if e.message else None for e in answered]
    served = sorted({str(n) for n in names if isinstance(n, str)})
    evidence = {"requested": target.model, "served": served}
    if not served:
        return check("model.served", "inconclusive", "the answers name no model", **evidence)
    wrong = [s for s in served if not same_model(s, target.model, target.requested_model)]
    if wrong:
        return check(
            "model.served",
            "fail",
            f"asked for {target.model}, the answer names {', '.join(wrong)}",
            "ask the gateway's operator which model serves this name (the name is a signal, "
            "not proof of what ran)",
            **evidence,
        )
    return check(
        "model.served", "pass", f"asked for {target.model}: {', '.join(served)}", **evidence
    )


def billing_check(count: Exchange, basics: list[Exchange]) -> CheckResult:
    data = count.data if count.problem is None else None
    counted = integer(data.get("input_tokens")) if isinstance(data, dict) else None
    if counted is None:
        why = count.problem.detail if count.problem else "no input_tokens in its answer"
        return check(
            "billing.input",
            "inconclusive",
            f"count_tokens gave no count ({why}), so billed input cannot be compared",
            http_status=count.status,
        )
    answered = _answered(basics)
    if not answered:
        return unanswered("billing.input", basics[0])
    usage = answered[0].usage
    parts = [
        integer(usage.get(k))
        for k in ("input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens")
    ]
    if parts[0] is None:
        return check(
            "billing.input",
            "inconclusive",
            "the answer reports no usage.input_tokens",
            counted=counted,
        )
    billed = sum(p or 0 for p in parts)
    extra = billed - counted
    tolerance = max(TOLERANCE_TOKENS, round(counted * TOLERANCE_SHARE))
    evidence = {"counted": counted, "billed": billed, "extra": extra, "tolerance": tolerance}
    said = f"count_tokens {counted}, billed {billed}"
    if extra > tolerance:
        return check(
            "billing.input",
            "fail",
            f"{said}: {extra} input tokens more than the request holds",
            "the gateway adds to the prompt (a hidden system prompt?) and bills it to you; "
            "ask its operator, or use another gateway",
            **evidence,
        )
    if -extra > tolerance:
        return check(
            "billing.input",
            "warn",
            f"{said}: billed {-extra} fewer than counted (count_tokens may be estimated)",
            **evidence,
        )
    return check("billing.input", "pass", f"{said} (within {tolerance})", **evidence)


def stream_check(basics: list[Exchange]) -> CheckResult:
    answered = _answered(basics)
    if not answered:
        return unanswered("stream.live", basics[0])
    flat = [e for e in answered if not e.streamed]
    if flat:
        kind = flat[0].headers.get("content-type") or "without a content type"
        return check(
            "stream.live",
            "fail",
            f"asked for a stream, the gateway answered {kind}",
            "the gateway (or a proxy in front of it) does not stream; ask its operator",
            content_type=kind,
        )
    judged = [e for e in answered if len(e.delta_times) >= MIN_DELTAS]
    if not judged:
        return check(
            "stream.live",
            "inconclusive",
            f"fewer than {MIN_DELTAS} content deltas per answer: too few to judge",
            deltas=[len(e.delta_times) for e in answered],
        )
    spreads = [e.delta_times[-1] - e.delta_times[0] for e in judged]
    firsts = [e.delta_times[0] for e in judged]
    evidence = {
        "deltas": [len(e.delta_times) for e in judged],
        "spread_ms": [ms(s) for s in spreads],
        "first_delta_ms": [ms(f) for f in firsts],
    }
    burst = [e for e, s in zip(judged, spreads, strict=True) if s < BURST]
    if burst:
        times = burst[0].delta_times
        return check(
            "stream.live",
            "fail",
            f"all {len(times)} deltas arrived within {ms(times[-1] - times[0])} ms "
            f"after {ms(times[0])} ms: the gateway buffers the stream",
            "a proxy in front of the gateway may buffer (nginx: proxy_buffering off); "
            "claude shows nothing until the whole answer is ready",
            **evidence,
        )
    return check(
        "stream.live",
        "pass",
        f"{evidence['deltas'][0]} deltas over {evidence['spread_ms'][0]} ms, first after "
        f"{evidence['first_delta_ms'][0]} ms",
        **evidence,
    )


def latency_check(basics: list[Exchange]) -> CheckResult:
    answered = [e for e in _answered(basics) if e.delta_times or e.ttfb is not None]
    if not answered:
        return unanswered("latency", basics[0]) if basics else check("latency", "skip", "no answer")
    ttft = [e.delta_times[0] if e.delta_times else (e.ttfb or 0.0) for e in answered]
    rates = []
    for e in answered:
        out = integer(e.usage.get("output_tokens"))
        span = e.delta_times[-1] - e.delta_times[0] if len(e.delta_times) > 1 else 0.0
        if out and span > 0:
            rates.append(out / span)
    evidence: dict[str, object] = {
        "samples": len(ttft),
        "ttft_p50_ms": ms(median(ttft)),
        "ttft_min_ms": ms(min(ttft)),
        "ttft_max_ms": ms(max(ttft)),
    }
    detail = (
        f"first token p50 {evidence['ttft_p50_ms']} ms "
        f"({evidence['ttft_min_ms']}–{evidence['ttft_max_ms']} ms over {len(ttft)})"
    )
    if rates:
        evidence["tokens_per_s_p50"] = round(median(rates), 1)
        detail += f", {evidence['tokens_per_s_p50']} output tokens/s p50"
    return check("latency", "pass", detail, **evidence)


async def run_limit(session: Session, suite: Suite) -> list[CheckResult]:
    (planned,) = requests_for("limit", suite)
    exchange = await session.send(planned.label, planned.body)
    return [limit_check(exchange)]


def limit_check(exchange: Exchange) -> CheckResult:
    if not exchange.answered or exchange.message is None:
        return unanswered("limit.max_tokens", exchange)
    out = integer(exchange.usage.get("output_tokens"))
    stop = exchange.message.get("stop_reason")
    chars = len(sse.text_of(exchange.message))
    evidence = {"max_tokens": LIMIT, "output_tokens": out, "stop_reason": stop, "text_chars": chars}
    said = (
        f"max_tokens {LIMIT}: {out if out is not None else '?'} output tokens, stop_reason {stop}"
    )
    too_long = (out is not None and out > LIMIT) or chars > LIMIT * CHARS_PER_TOKEN_MAX
    if too_long or stop != "max_tokens":
        return check(
            "limit.max_tokens",
            "fail",
            f"{said}, {chars} characters of text",
            "the gateway ignores max_tokens (claude's output limits and your bill depend on it); "
            "ask its operator",
            **evidence,
        )
    return check("limit.max_tokens", "pass", said, **evidence)
