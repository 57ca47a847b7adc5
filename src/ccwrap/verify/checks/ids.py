"""``id.format``: every answer of the run looked at as Anthropic's API sends it.

Message ids ``msg_…``, tool-use ids ``toolu_…``; a stream from ``message_start`` to
``message_stop`` with ``message_delta`` before the end, every content block started and stopped,
``usage.input_tokens`` in ``message_start`` and ``usage.output_tokens`` in ``message_delta``.
Backends translated from another API show ``chatcmpl-``/``call_`` ids or fields elsewhere.
"""

from __future__ import annotations

import re
from typing import Any

from ccwrap.verify.exchange import Exchange, Session
from ccwrap.verify.model import CheckResult, check
from ccwrap.verify.plan import Suite
from ccwrap.verify.shape import MESSAGES_PATH

_PREFIX = re.compile(r"^[A-Za-z]+[_-]")


async def run(session: Session, suite: Suite) -> list[CheckResult]:
    return [ids_check(session.log)]


def prefix(value: Any) -> str:
    if not isinstance(value, str) or not value:
        return "(none)"
    found = _PREFIX.match(value)
    return found.group() if found else "(no prefix)"


def ids_check(log: list[Exchange]) -> CheckResult:
    answers = [e for e in log if e.path == MESSAGES_PATH and e.answered and e.message is not None]
    if not answers:
        return check("id.format", "inconclusive", "no answer to inspect")
    message_ids: set[str] = set()
    tool_ids: set[str] = set()
    problems: list[str] = []
    for exchange in answers:
        message = exchange.message or {}
        message_ids.add(prefix(message.get("id")))
        for block in message.get("content") or []:
            if isinstance(block, dict) and block.get("type") == "tool_use":
                tool_ids.add(prefix(block.get("id")))
        if exchange.streamed:
            problems += [f"{exchange.label}: {p}" for p in stream_problems(exchange)]
    if message_ids - {"msg_"}:
        problems.append(f"message ids {', '.join(sorted(message_ids))} (expected msg_)")
    if tool_ids - {"toolu_"}:
        problems.append(f"tool-use ids {', '.join(sorted(tool_ids))} (expected toolu_)")
    unique = list(dict.fromkeys(p.split(": ", 1)[-1] for p in problems))
    evidence = {
        "message_ids": sorted(message_ids),
        "tool_ids": sorted(tool_ids),
        "problems": unique,
        "answers": len(answers),
    }
    if problems:
        return check(
            "id.format",
            "fail",
            f"{'; '.join(unique[:3])}" + (f" (+{len(unique) - 3} more)" if len(unique) > 3 else ""),
            "the gateway translates from another API (OpenAI-style); features claude relies on "
            "may be missing",
            **evidence,
        )
    tools = f", tool ids {', '.join(sorted(tool_ids))}" if tool_ids else ""
    return check(
        "id.format",
        "pass",
        f"{len(answers)} answers: ids msg_{tools}, events in Anthropic's order",
        **evidence,
    )


def stream_problems(exchange: Exchange) -> list[str]:
    names = [n for n in exchange.events if n != "ping"]
    problems = []
    if not names or names[0] != "message_start":
        problems.append(f"the stream starts with {names[0] if names else 'nothing'}")
    if not names or names[-1] != "message_stop":
        problems.append("the stream does not end with message_stop")
    if "message_delta" not in names:
        problems.append("no message_delta event")
    if names.count("content_block_start") != names.count("content_block_stop"):
        problems.append("content blocks started and stopped unevenly")
    if "input_tokens" not in exchange.start_usage:
        problems.append("no usage.input_tokens in message_start")
    if "output_tokens" not in exchange.delta_usage:
        problems.append("no usage.output_tokens in message_delta")
    known = {
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    }
    odd = sorted({n for n in names if n not in known})
    if odd:
        problems.append(f"unknown events {', '.join(odd[:3])}")
    return problems
