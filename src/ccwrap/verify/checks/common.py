"""What every check says when its request got no usable answer, and small shared measures."""

from __future__ import annotations

from ccwrap.verify.exchange import Exchange
from ccwrap.verify.model import CheckResult


def unanswered(check_id: str, exchange: Exchange) -> CheckResult:
    """The check could not look at an answer: the exchange's problem, in doctor's words."""
    problem = exchange.problem
    detail = f"{exchange.label}: {problem.detail if problem else 'no answer'}"
    evidence: dict[str, object] = {"request": exchange.label, "http_status": exchange.status}
    if problem and problem.finding:
        evidence["finding"] = problem.finding
    status = problem.status if problem else "fail"
    return CheckResult(check_id, status, detail, problem.fix if problem else "", evidence)


def integer(value: object) -> int | None:
    """A usage figure as an int, or None (a gateway may send strings, floats, nulls)."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def ms(seconds: float) -> int:
    return round(seconds * 1000)
