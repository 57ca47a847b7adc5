"""Conversations: a tool round trip, and whether earlier turns still reach the model.

- ``tools.roundtrip``: a tool definition and a forced call; the ``tool_use`` input must fit the
  schema, then a ``tool_result`` for it must be accepted and answered.
- ``context.recall``: a code word given in the first of thirteen turns must come back at the
  last (a relay that cuts the history fails); with ``--deep`` also a needle a quarter into one
  prompt near the context window the gateway claims for the model.
"""

from __future__ import annotations

from typing import Any

from ccwrap.net import sse
from ccwrap.verify.checks.common import unanswered
from ccwrap.verify.exchange import Exchange, Session
from ccwrap.verify.model import CheckResult, check
from ccwrap.verify.plan import TOOL, Suite, requests_for

SHOWN = 60  # characters of an answer quoted in a detail


async def run_tools(session: Session, suite: Suite) -> list[CheckResult]:
    call_plan, _ = requests_for("tools", suite)
    call = await session.send(call_plan.label, call_plan.body)
    if not call.answered or call.message is None:
        return [unanswered("tools.roundtrip", call)]
    block = _tool_use(call.message)
    stop = call.message.get("stop_reason")
    if block is None:
        return [
            check(
                "tools.roundtrip",
                "fail",
                f"a forced tool call came back without a tool_use block (stop_reason {stop})",
                "the gateway drops tools or tool_choice; claude cannot edit or run anything "
                "through it",
                stop_reason=stop,
            )
        ]
    problems = schema_problems(block.get("input"), TOOL["input_schema"])
    evidence: dict[str, Any] = {"tool_input": block.get("input"), "stop_reason": stop}
    if problems:
        return [
            check(
                "tools.roundtrip",
                "fail",
                f"the tool_use input does not fit the schema: {'; '.join(problems)}",
                "the gateway (or the model behind it) garbles tool arguments",
                **evidence,
            )
        ]
    echoed = {k: block.get(k) for k in ("type", "id", "name", "input")}
    result = await session.send("tool result", suite.tool_result(echoed))
    if not result.answered or result.message is None:
        return [unanswered("tools.roundtrip", result)]
    text = sse.text_of(result.message)
    evidence["answer_chars"] = len(text)
    evidence["mentions_result"] = suite.word("TRACK").lower() in text.lower()
    if not text.strip():
        return [
            check(
                "tools.roundtrip",
                "fail",
                "the tool_result was accepted but answered with no text",
                **evidence,
            )
        ]
    return [
        check(
            "tools.roundtrip",
            "pass",
            f"{block.get('name')}({_short(block.get('input'))}) then an answer of {len(text)} "
            f"characters" + (" that uses the result" if evidence["mentions_result"] else ""),
            **evidence,
        )
    ]


def _tool_use(message: dict[str, Any]) -> dict[str, Any] | None:
    content = message.get("content")
    blocks = content if isinstance(content, list) else []
    return next((b for b in blocks if isinstance(b, dict) and b.get("type") == "tool_use"), None)


TYPES: dict[str, tuple[type, ...]] = {
    "integer": (int,),
    "string": (str,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
}


def schema_problems(value: Any, schema: dict[str, Any]) -> list[str]:
    """What is wrong with a tool input against a flat object schema (enough for the one tool)."""
    if not isinstance(value, dict):
        return [f"input is {type(value).__name__}, not an object"]
    problems = [f"{name} missing" for name in schema.get("required", []) if name not in value]
    for name, spec in schema.get("properties", {}).items():
        if name not in value:
            continue
        item = value[name]
        wanted = TYPES.get(spec.get("type", ""), (object,))
        if not isinstance(item, wanted) or (isinstance(item, bool) and bool not in wanted):
            problems.append(f"{name} is {type(item).__name__}, not {spec.get('type')}")
        elif "enum" in spec and item not in spec["enum"]:
            problems.append(f"{name} {item!r} is not one of {spec['enum']}")
    return problems


async def run_recall(session: Session, suite: Suite) -> list[CheckResult]:
    planned = requests_for("context", suite)
    recall = await session.send(planned[0].label, planned[0].body)
    needle = await session.send(planned[1].label, planned[1].body) if len(planned) > 1 else None
    return [recall_check(suite, recall, needle)]


def recall_check(suite: Suite, recall: Exchange, needle: Exchange | None) -> CheckResult:
    if not recall.answered or recall.message is None:
        return unanswered("context.recall", recall)
    word = suite.word("AMBER")
    text = sse.text_of(recall.message)
    turns = len(suite.recall()["messages"])
    evidence: dict[str, Any] = {"turns": turns, "recalled": word.lower() in text.lower()}
    if not evidence["recalled"]:
        return check(
            "context.recall",
            "fail",
            f"the code word from the first of {turns} turns did not come back "
            f"(answer: {_quote(text)})",
            "the gateway cuts the conversation history; long sessions in claude will forget "
            "what was said",
            **evidence,
        )
    detail = f"the code word from the first of {turns} turns came back"
    if needle is None:
        return check("context.recall", "pass", detail, **evidence)
    if not needle.answered or needle.message is None:
        return unanswered("context.recall", needle)
    found = suite.word("NEEDLE").lower() in sse.text_of(needle.message).lower()
    evidence.update(window=suite.window, needle_found=found)
    if not found:
        return check(
            "context.recall",
            "fail",
            f"{detail}, but the needle in a prompt near the claimed {suite.window}-token window "
            f"did not (answer: {_quote(sse.text_of(needle.message))})",
            "the gateway cuts long prompts, or serves a model with a smaller context window",
            **evidence,
        )
    return check(
        "context.recall", "pass", f"{detail}; the needle near {suite.window} tokens too", **evidence
    )


def _quote(text: str) -> str:
    text = text.strip()
    return repr(text[:SHOWN] + ("…" if len(text) > SHOWN else ""))


def _short(value: Any) -> str:
    import json

    return _quote(json.dumps(value, ensure_ascii=False))[1:-1]
