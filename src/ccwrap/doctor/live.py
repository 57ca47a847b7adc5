"""``--live``: one real streaming message (``max_tokens: 1``) as the client sends it.

This is the only check that spends anything (one input prompt, one output token), so it runs only
when asked. It finds what the free probes cannot: a model the key may not use, an empty balance, a
rate limit, a gateway that fails on real traffic, a gateway that rejects the client's betas, and a
gateway that holds the SSE events and sends them all at once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ccwrap.doctor.classify import classify, finding_for
from ccwrap.doctor.model import Check, Finding, ok, skip
from ccwrap.doctor.probes import FALLBACK_MODEL, ProbeTarget, network_finding

if TYPE_CHECKING:
    import httpx

LIVE_IDS = (
    "model.unavailable",
    "billing.balance",
    "rate.limited",
    "gateway.error",
    "beta.rejected",
)
# What claude 2.1.197 sends on a prompt (docs/client-facts.md, "headers on a prompt"; measured).
CLIENT_BETAS = (
    "claude-code-20250219,context-1m-2025-08-07,interleaved-thinking-2025-05-14,"
    "thinking-token-count-2026-05-13,context-management-2025-06-27,"
    "prompt-caching-scope-2026-01-05,mid-conversation-system-2026-04-07,effort-2025-11-24"
)
# Events closer together than this arrived in one burst.
BURST = 0.005
# ...and a burst only means buffering when the gateway sat on the answer at least this long.
HELD = 0.1
# What is read of the live answer at most (one token's stream is a few KB).
MAX_STREAM = 1_000_000
SPENDS = "--live sends one real message (max_tokens 1): it spends a token on the gateway"


@dataclass
class Stream:
    status: int
    headers: dict[str, str]
    body: bytes = b""
    chunks: list[float] = field(default_factory=list)  # arrival times, from the request
    events: int = 0


async def send(
    target: ProbeTarget,
    client: httpx.AsyncClient,
    timeout: float,
    partial: list[Stream] | None = None,
) -> Stream:
    headers = target.request_headers()
    if not target.disable_betas:
        headers["anthropic-beta"] = CLIENT_BETAS
    body = {
        "model": target.model or FALLBACK_MODEL,
        "max_tokens": 1,
        "stream": True,
        "messages": [{"role": "user", "content": "ping"}],
    }
    started = time.monotonic()
    url = target.url("/v1/messages?beta=true")
    async with client.stream("POST", url, headers=headers, json=body) as response:
        result = Stream(response.status_code, dict(response.headers))
        if partial is not None:
            partial.append(result)
        async for chunk in response.aiter_bytes():
            result.chunks.append(time.monotonic() - started)
            result.body += chunk
            result.events += chunk.count(b"\n\n")
            if len(result.body) > MAX_STREAM:
                break
    return result


def deadline(timeout: float) -> float:
    """The whole live message, first byte to last: a stream that trickles forever stops here."""
    return timeout * 3


async def live_checks(
    target: ProbeTarget, client: httpx.AsyncClient, timeout: float
) -> list[Check]:
    import asyncio

    import httpx

    partial: list[Stream] = []
    limit = deadline(timeout)
    try:
        stream = await asyncio.wait_for(send(target, client, timeout, partial), limit)
    except (asyncio.TimeoutError, TimeoutError) as exc:
        if not partial:
            finding = network_finding(exc, target.base_url, timeout)
            failed = Finding(finding.id, f"the live message failed: {finding.detail}", finding.fix)
            return [failed.check(), *(skip(i, "the live message failed") for i in LIVE_IDS)]
        got = partial[0]
        stalled = Finding(
            "gateway.error",
            f"the live message did not finish within {limit:g} s: HTTP {got.status}, "
            f"{len(got.body)} bytes in {len(got.chunks)} pieces, then the stream stalled or "
            "trickled",
            "a gateway (or a proxy in front of it) holds the stream open; ask its operator",
        )
        others = [i for i in (*LIVE_IDS, "stream.buffered") if i != "gateway.error"]
        return [stalled.check(), *(skip(i, "see gateway.error") for i in others)]
    except (httpx.HTTPError, OSError, UnicodeError) as exc:
        finding = network_finding(exc, target.base_url, timeout)
        failed = Finding(finding.id, f"the live message failed: {finding.detail}", finding.fix)
        return [failed.check(), *(skip(i, "the live message failed") for i in LIVE_IDS)]
    verdict = classify(stream.status, stream.headers, stream.body)
    if verdict.kind == "ok" and (error := error_event(stream.body)) is not None:
        # A 200 stream can still carry the failure as an SSE "error" event (overloaded, quota).
        verdict = classify(500, {"content-type": "application/json"}, error)
    if verdict.kind != "ok":
        found = (
            finding_for(verdict)
            if verdict.problem
            else Finding("gateway.error", f"the gateway refused the message ({verdict.said()})")
        )
        if target.profile:
            found = Finding(found.id, found.detail, found.fix.replace("NAME", target.profile))
        rows = [found.check()]
        rows += [skip(i, f"see {found.id}") for i in LIVE_IDS if i != found.id]
        return [*rows, skip("stream.buffered", "no stream")]
    model = target.model or f"{FALLBACK_MODEL} (no model set)"
    rows = [ok("model.unavailable", model)]
    rows += [ok(i) for i in LIVE_IDS[1:]]
    return [*rows, stream_check(stream)]


def error_event(body: bytes) -> bytes | None:
    """The data of the first ``event: error`` in an SSE body, or None."""
    for block in body.split(b"\n\n"):
        lines = block.strip().splitlines()
        if lines and lines[0].strip() == b"event: error":
            data = [line[5:].strip() for line in lines if line.startswith(b"data:")]
            return b"".join(data) or b"{}"
    return None


def stream_check(stream: Stream) -> Check:
    content_type = stream.headers.get("content-type", "")
    if "text/event-stream" not in content_type:
        return Check.of(
            "stream.buffered",
            "fail",
            f"asked for a stream, the gateway answered {content_type or 'without a type'}",
            "the gateway (or a proxy in front of it) does not stream; ask its operator",
        )
    times = stream.chunks
    if len(times) < 2 and stream.events > 1 and times and times[0] >= HELD:
        return _buffered(f"all {stream.events} events arrived at once after {times[0]:.2f} s")
    if len(times) >= 2 and times[-1] - times[0] < BURST and times[0] >= HELD:
        return _buffered(
            f"{stream.events} events arrived within {(times[-1] - times[0]) * 1000:.0f} ms "
            f"after {times[0]:.2f} s of silence"
        )
    spread = (times[-1] - times[0]) * 1000 if times else 0.0
    return ok("stream.buffered", f"{stream.events} events over {spread:.0f} ms")


def _buffered(detail: str) -> Check:
    return Check.of(
        "stream.buffered",
        "warn",
        f"{detail}: the gateway seems to buffer the stream",
        "a proxy in front of the gateway may buffer (nginx: proxy_buffering off)",
    )
