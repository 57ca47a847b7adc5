"""Which beta a gateway refuses (``ccwrap capture bisect``): re-send a captured request that got
a 400, with ``max_tokens`` 1, removing one beta header value or one beta body field at a time.

Beta body fields are the top-level fields outside the core Messages API (``context_management``,
``container``, ``mcp_servers``…). ``thinking`` is dropped from every re-send: its budget must be
below ``max_tokens``, so with 1 it would be refused for its own reason. The sender is injected
(an HTTP client in the command, a loopback gateway in tests); nothing here talks to the network.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

from ccwrap.capture import store
from ccwrap.errors import UsageError
from ccwrap.profiles.store import Profile

CORE_FIELDS = frozenset(
    {"model", "messages", "max_tokens", "system", "tools", "tool_choice", "stream", "metadata",
     "temperature", "top_p", "top_k", "stop_sequences", "thinking"}
)  # fmt: skip
DROPPED_HEADERS = frozenset(
    {"host", "content-length", "transfer-encoding", "accept-encoding", "connection",
     "authorization", "x-api-key"}
)  # fmt: skip
FIX = (
    "CLAUDE_CODE_DISABLE_EXPERIMENTAL_BETAS=1 (ccwrap profile edit {profile} --disable-betas), "
    "or ask the gateway's operator to accept {what}"
)
Sender = Callable[[str, list[tuple[str, str]], bytes], tuple[int, str]]


@dataclass(frozen=True)
class Candidate:
    kind: Literal["beta header", "body field"]
    name: str

    def __str__(self) -> str:
        return f"{self.kind} {self.name}"


@dataclass
class Plan:
    url: str
    headers: list[tuple[str, str]]
    body: dict[str, Any]
    betas: list[str]
    candidates: list[Candidate]


@dataclass
class Outcome:
    baseline: int
    culprits: list[Candidate] = field(default_factory=list)
    tried: list[tuple[str, int]] = field(default_factory=list)
    all_removed: int | None = None
    error: str = ""
    fix: str = ""


def check_refused(capture: Mapping[str, Any]) -> None:
    """A clean error unless the capture is a request the gateway refused with 400."""
    response = capture.get("response") or {}
    if response.get("status") != 400:
        raise UsageError(
            f"capture {capture.get('id')} was answered {response.get('status')}, not 400",
            hint="bisect looks for the beta a gateway refuses with 400 (ccwrap capture list)",
        )


def plan(capture: Mapping[str, Any], profile: Profile, credentials: Mapping[str, str]) -> Plan:
    """What is re-sent: ``credentials`` are the headers with the real key and secret values."""
    check_refused(capture)
    request = capture.get("request") or {}
    body = store.body_json(request.get("body"))
    if not isinstance(body, dict) or request.get("method") != "POST":
        raise UsageError(
            f"capture {capture.get('id')} holds no whole JSON request body to re-send",
            hint="a body cut at the capture's size cap cannot be re-sent",
        )
    base = urlsplit(profile.base_url)
    url = f"{base.scheme}://{base.netloc}{request.get('target') or request.get('path')}"
    headers: list[tuple[str, str]] = []
    betas: list[str] = []
    for name, value in request.get("headers") or []:
        lowered = str(name).lower()
        if lowered in DROPPED_HEADERS or store.REDACTED in str(value) or "<redacted" in str(value):
            continue
        if lowered == "anthropic-beta":
            betas = [b.strip() for b in str(value).split(",") if b.strip()]
            continue
        headers.append((str(name), str(value)))
    headers += list(credentials.items())
    body = {k: v for k, v in body.items() if k != "thinking"}
    body.update(max_tokens=1, stream=False)
    fields = [k for k in body if k not in CORE_FIELDS]
    candidates = [Candidate("beta header", b) for b in betas]
    candidates += [Candidate("body field", f) for f in fields]
    return Plan(url, headers, body, betas, candidates)


def run(the_plan: Plan, send: Sender, *, profile: str) -> Outcome:
    """The baseline, then each candidate removed in turn; the ones whose removal is accepted."""

    def attempt(without: Sequence[Candidate]) -> tuple[int, str]:
        names = {c.name for c in without}
        betas = [b for b in the_plan.betas if b not in names]
        headers = [*the_plan.headers, *([("anthropic-beta", ",".join(betas))] if betas else [])]
        body = {k: v for k, v in the_plan.body.items() if k not in names}
        return send(the_plan.url, headers, json.dumps(body).encode())

    status, text = attempt([])
    outcome = Outcome(baseline=status, error=text[:500])
    outcome.tried.append(("as captured (max_tokens 1)", status))
    if status != 400:
        return outcome
    for candidate in the_plan.candidates:
        status, _ = attempt([candidate])
        outcome.tried.append((f"without {candidate}", status))
        if status != 400:
            outcome.culprits.append(candidate)
    if not outcome.culprits and the_plan.candidates:
        outcome.all_removed, _ = attempt(the_plan.candidates)
        outcome.tried.append(("without every beta", outcome.all_removed))
    if outcome.culprits:
        what = ", ".join(str(c) for c in outcome.culprits)
        outcome.fix = FIX.format(profile=profile, what=what)
    elif outcome.all_removed is not None and outcome.all_removed != 400:
        outcome.fix = FIX.format(profile=profile, what="these betas together")
    return outcome
