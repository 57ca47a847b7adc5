"""``errors.shape``: a deliberately invalid request gets Anthropic's error shape.

``{"type": "error", "error": {"type": …, "message": …}}`` with a 4xx status: Claude Code's retry
and its messages to the user depend on it (an OpenAI-shaped error shows as a bare status).
"""

from __future__ import annotations

from ccwrap.verify.checks.common import unanswered
from ccwrap.verify.exchange import Exchange, Session
from ccwrap.verify.model import CheckResult, check
from ccwrap.verify.plan import Suite, requests_for


async def run(session: Session, suite: Suite) -> list[CheckResult]:
    (planned,) = requests_for("errors", suite)
    exchange = await session.send(planned.label, planned.body, spends=False)
    return [shape_check(exchange)]


def anthropic_shaped(data: object) -> bool:
    if not isinstance(data, dict) or data.get("type") != "error":
        return False
    error = data.get("error")
    return (
        isinstance(error, dict)
        and isinstance(error.get("type"), str)
        and isinstance(error.get("message"), str)
    )


def shape_check(exchange: Exchange) -> CheckResult:
    from ccwrap.doctor.classify import classify

    status = exchange.status
    if status is None:
        return unanswered("errors.shape", exchange)
    if exchange.answered and status < 300:
        return check(
            "errors.shape",
            "fail",
            f"a request without messages was answered HTTP {status} as if it were valid",
            "the gateway does not validate requests; its errors cannot be trusted either",
            http_status=status,
            dialect="none",
        )
    verdict = classify(status, exchange.headers, exchange.body)
    evidence = {"http_status": status, "dialect": verdict.dialect}
    said = f"HTTP {status}, {verdict.dialect} error"
    if status == 429:
        return check("errors.shape", "inconclusive", f"{said}: rate limited", **evidence)
    if not anthropic_shaped(exchange.data):
        start = exchange.body[:80].decode("utf-8", "replace")
        return check(
            "errors.shape",
            "fail",
            f"{said}, not Anthropic's shape ({start!r})",
            "claude will show the gateway's errors as bare statuses and may retry wrongly; "
            "the gateway translates from another API",
            **evidence,
        )
    if not 400 <= status < 500:
        return check(
            "errors.shape", "warn", f"{said}: Anthropic's shape, but not a 4xx status", **evidence
        )
    return check("errors.shape", "pass", f"{said} ({verdict.message[:60]!r})", **evidence)
