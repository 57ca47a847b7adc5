"""The suite's requests and their budget, known before anything is spent.

``Suite`` builds every request body from the model and a fresh nonce (so no earlier run's cache or
answer can make a check pass); ``plan`` lists the requests the chosen checks need with an upper
bound of the tokens they may use: output is bounded exactly by each request's ``max_tokens``;
input is estimated at one token per three bytes of prompt (English text runs near four) plus a
fixed allowance per request for the framing and a tool definition's system prompt.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from ccwrap.verify.shape import COUNT_PATH, MESSAGES_PATH

BYTES_PER_TOKEN = 3
OVERHEAD_TOKENS = 20  # per request: roles, message framing
TOOL_OVERHEAD_TOKENS = 350  # the API's own system prompt for tool use
# Above the largest minimum cacheable prefix of current models (4096 tokens), with room.
CACHE_PREFIX_TOKENS = 4400
DEFAULT_REPEAT = 3
DEEP_WINDOW = 200_000  # when the gateway does not say how long the model's context is
DEEP_FILL = 0.85  # the needle prompt fills this much of the claimed window

COUNT_PROMPT = "Count from 1 to 20, separated by spaces. Reply with the numbers only."
STORY_PROMPT = "Write a 300-word story about a lighthouse keeper."
TOOL: dict[str, Any] = {
    "name": "lookup_order",
    "description": "Look up an order by its number and region.",
    "input_schema": {
        "type": "object",
        "properties": {
            "order_number": {"type": "integer", "description": "the order's number"},
            "region": {"type": "string", "enum": ["eu", "us"]},
        },
        "required": ["order_number", "region"],
    },
}
TOOL_PROMPT = "Look up order 4711 in the eu region."
FILLER_WORDS = (
    *("amber", "basalt", "cedar", "delta", "ember", "fjord", "garnet", "harbor", "indigo"),
    *("juniper", "kestrel", "lagoon", "meadow", "nickel", "orchid", "pepper", "quartz"),
    *("raven", "saffron", "tundra", "umber", "violet", "willow", "xenon", "yarrow", "zephyr"),
)


@dataclass(frozen=True)
class Planned:
    label: str
    body: dict[str, Any]
    path: str = MESSAGES_PATH
    spends: bool = True  # count_tokens and a refused request cost nothing

    @property
    def input_bound(self) -> int:
        if not self.spends:
            return 0
        size = len(json.dumps(self.body, ensure_ascii=False).encode())
        extra = TOOL_OVERHEAD_TOKENS if "tools" in self.body else 0
        return size // BYTES_PER_TOKEN + OVERHEAD_TOKENS + extra

    @property
    def output_bound(self) -> int:
        value = self.body.get("max_tokens", 0) if self.spends else 0
        return value if isinstance(value, int) else 0


@dataclass
class Suite:
    """Every request body of one run, for one model."""

    model: str
    repeat: int = DEFAULT_REPEAT
    deep: bool = False
    window: int = DEEP_WINDOW
    nonce: str = field(default_factory=lambda: secrets.token_hex(6))

    def word(self, what: str) -> str:
        """A nonce-derived word the model cannot guess (the recall check's code word…)."""
        return f"{what}-{self.nonce[:6].upper()}"

    def messages(self, max_tokens: int, messages: list[Any], **extra: Any) -> dict[str, Any]:
        return {
            "model": self.model,
            "max_tokens": max_tokens,
            "stream": True,
            "messages": messages,
            **extra,
        }

    # -- the bodies ------------------------------------------------------------------------------
    def basic(self) -> dict[str, Any]:
        return self.messages(64, [user(COUNT_PROMPT)])

    def count(self) -> dict[str, Any]:
        """count_tokens for the basic request: what billing.input compares against."""
        body = self.basic()
        return {"model": body["model"], "messages": body["messages"]}

    def limited(self) -> dict[str, Any]:
        return self.messages(5, [user(STORY_PROMPT)])

    def cached(self, ttl: str | None, which: str) -> dict[str, Any]:
        control: dict[str, str] = {"type": "ephemeral"}
        if ttl:
            control["ttl"] = ttl
        system = [{"type": "text", "text": self.prefix(which), "cache_control": control}]
        return self.messages(5, [user("Reply with the single word OK.")], system=system)

    def prefix(self, which: str) -> str:
        """About CACHE_PREFIX_TOKENS of text, unique to this run (and to ``which``)."""
        lines = [f"Reference notes {which}-{self.nonce}. Read them; the question comes after."]
        count = len(FILLER_WORDS)
        for i in range(CACHE_PREFIX_TOKENS // 17):
            a, b, c = (
                FILLER_WORDS[i % count],
                FILLER_WORDS[(i * 7) % count],
                FILLER_WORDS[(i * 11) % count],
            )
            lines.append(f"Note {i}: the {a} {b} stood {i * 3 % 97} steps from the {c} gate.")
        return "\n".join(lines)

    def tool_call(self) -> dict[str, Any]:
        return self.messages(
            200,
            [user(TOOL_PROMPT)],
            tools=[TOOL],
            tool_choice={"type": "tool", "name": TOOL["name"]},
        )

    def tool_result(self, tool_use: dict[str, Any]) -> dict[str, Any]:
        result = f"Order 4711: shipped; tracking code {self.word('TRACK')}."
        messages = [
            user(TOOL_PROMPT),
            {"role": "assistant", "content": [tool_use]},
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": tool_use.get("id", ""),
                        "content": result,
                    }
                ],
            },
        ]
        return self.messages(100, messages, tools=[TOOL])

    def recall(self) -> dict[str, Any]:
        turns: list[Any] = [
            user(f"The code word is {self.word('AMBER')}. Remember it and reply OK."),
            assistant("OK."),
        ]
        for a, b in ((2, 3), (4, 5), (6, 7), (8, 9), (10, 11)):
            turns += [
                user(f"What is {a} + {b}? Reply with the number only."),
                assistant(str(a + b)),
            ]
        turns.append(user("What was the code word I gave you first? Reply with it only."))
        return self.messages(20, turns)

    def needle(self) -> dict[str, Any]:
        """One long prompt near the claimed window, the needle a quarter of the way in."""
        target_bytes = int(self.window * DEEP_FILL) * 4  # English filler: ~4 bytes a token
        block = self.prefix("deep")
        blocks = max(1, target_bytes // max(1, len(block)))
        parts = [block] * blocks
        parts.insert(
            max(1, blocks // 4), f"The secret number of this document is {self.word('NEEDLE')}."
        )
        text = "\n".join(parts)
        question = "\n\nWhat is the secret number of this document? Reply with it only."
        return self.messages(20, [user(text + question)])

    def invalid(self) -> dict[str, Any]:
        """No ``messages``: invalid on purpose; a gateway answers it with an error, for free."""
        return {"model": self.model, "max_tokens": 1, "stream": True}


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": [{"type": "text", "text": text}]}


def assistant(text: str) -> dict[str, Any]:
    return {"role": "assistant", "content": [{"type": "text", "text": text}]}


# -- the requests of each group -------------------------------------------------------------
PLACEHOLDER_TOOL_USE = {"type": "tool_use", "id": "toolu_0", "name": TOOL["name"], "input": {}}


def requests_for(group: str, suite: Suite) -> list[Planned]:
    if group == "answer":
        count = Planned("count_tokens", suite.count(), COUNT_PATH, spends=False)
        return [count] + [Planned(f"basic {i + 1}", suite.basic()) for i in range(suite.repeat)]
    if group == "limit":
        return [Planned("max_tokens 5", suite.limited())]
    if group == "cache":
        return [
            Planned("cache write", suite.cached(None, "read")),
            Planned("cache read", suite.cached(None, "read")),
            Planned("cache 1h", suite.cached("1h", "ttl")),
        ]
    if group == "tools":
        return [
            Planned("tool call", suite.tool_call()),
            Planned("tool result", suite.tool_result(PLACEHOLDER_TOOL_USE)),
        ]
    if group == "context":
        planned = [Planned("recall", suite.recall())]
        return planned + ([Planned("needle", suite.needle())] if suite.deep else [])
    if group == "errors":
        return [Planned("invalid request", suite.invalid(), spends=False)]
    raise ValueError(f"unknown group {group!r}")


@dataclass(frozen=True)
class Budget:
    requests: int
    input_tokens: int
    output_tokens: int

    def to_json(self) -> dict[str, int]:
        return {
            "requests": self.requests,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
        }


def budget(planned: list[Planned]) -> Budget:
    return Budget(
        len(planned), sum(p.input_bound for p in planned), sum(p.output_bound for p in planned)
    )
