"""The result types of verify and its stable check ids (a contract: scripts match on them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["pass", "warn", "fail", "inconclusive", "skip"]
JSON_VERSION = 1
SIGNALS = "verdicts are signals, not proof: a relay can behave well while it is watched"

# id → title, in the order the table lists them.
TITLES: dict[str, str] = {
    "model.served": "the model named is the model asked for",
    "id.format": "ids and events as Anthropic's API sends them",
    "limit.max_tokens": "max_tokens is honoured",
    "billing.input": "billed input matches count_tokens",
    "cache.read": "a cached prefix is read back",
    "cache.ttl": "1-hour cache billed as 1 hour",
    "stream.live": "the answer streams as it is generated",
    "tools.roundtrip": "a tool call and its result go through",
    "context.recall": "earlier turns reach the model",
    "errors.shape": "errors in Anthropic's shape",
    "latency": "time to first token and output speed",
}
CHECK_IDS = tuple(TITLES)
# What the history compares between runs, per check, besides the status: the evidence that
# names what the gateway did (not timings or token counts that move from run to run).
STABLE_EVIDENCE: dict[str, tuple[str, ...]] = {
    "model.served": ("served",),
    "id.format": ("message_ids", "tool_ids", "problems"),
    "limit.max_tokens": ("stop_reason",),
    "errors.shape": ("dialect",),
}


@dataclass(frozen=True)
class CheckResult:
    id: str
    status: Status
    detail: str = ""
    fix: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)
    changed_since: str | None = None  # the previous run's date, when the evidence differs

    def __post_init__(self) -> None:
        if self.id not in TITLES:
            raise ValueError(f"unknown check id {self.id!r}")

    @property
    def title(self) -> str:
        return TITLES[self.id]

    def signature(self) -> dict[str, Any]:
        keys = STABLE_EVIDENCE.get(self.id, ())
        return {"status": self.status, **{k: self.evidence.get(k) for k in keys}}

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "title": self.title,
            "detail": self.line(),
            "evidence": self.evidence,
        }

    def line(self) -> str:
        """The detail, its fix and the history flag in one line."""
        line = self.detail if not self.fix else f"{self.detail}; fix: {self.fix}"
        if self.changed_since:
            line += f" (changed since {self.changed_since})"
        return line


def check(
    id: str, status: Status, detail: str = "", fix: str = "", /, **evidence: Any
) -> CheckResult:
    return CheckResult(id, status, detail, fix, evidence)


USAGE_FIELDS = (
    "input_tokens",
    "output_tokens",
    "cache_read_input_tokens",
    "cache_creation_input_tokens",
)


@dataclass
class Spend:
    """What the gateway says the run used (its own usage figures) and how many requests."""

    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_input_tokens: int = 0
    cache_creation_input_tokens: int = 0

    def add(self, usage: dict[str, Any]) -> None:
        for name in USAGE_FIELDS:
            value = usage.get(name)
            if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                setattr(self, name, getattr(self, name) + value)

    def to_json(self) -> dict[str, int]:
        return {"requests": self.requests, **{n: getattr(self, n) for n in USAGE_FIELDS}}


@dataclass
class Run:
    """One run of the suite on one profile; filled in as it goes, so Ctrl-C keeps what ran."""

    profile: str
    base_url: str
    model: str
    client: dict[str, Any]
    started_at: str
    spent: Spend = field(default_factory=Spend)
    checks: list[CheckResult] = field(default_factory=list)
    interrupted: bool = False
    id: int | None = None  # the ledger's row, once saved

    @property
    def ok(self) -> bool:
        return not any(c.status == "fail" for c in self.checks)

    def ordered(self) -> list[CheckResult]:
        rank = {id_: index for index, id_ in enumerate(CHECK_IDS)}
        return sorted(self.checks, key=lambda c: rank[c.id])

    def to_json(self) -> dict[str, Any]:
        return {
            "version": JSON_VERSION,
            "profile": self.profile,
            "base_url": self.base_url,
            "model": self.model,
            "ok": self.ok,
            "spent": self.spent.to_json(),
            "checks": [c.to_json() for c in self.ordered()],
        }
