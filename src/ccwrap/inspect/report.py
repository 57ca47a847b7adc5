"""What the captured requests say (pure): one entry per request, and where they contradict the
profile. ``Report.to_json`` is the ``inspect --json`` shape (version 1, a contract)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ccwrap.inspect.endpoint import Captured
from ccwrap.keys.masking import is_secret_variable, mask
from ccwrap.profiles.store import Profile
from ccwrap.text import JSONBoundsError, escape_control, loads_bounded

JSON_VERSION = 1
ATTRIBUTION_PREFIX = "x-anthropic-billing-header"
AuthKind = Literal["bearer", "x-api-key", "both", "none"]
CacheTTL = Literal["1h", "5m", "mixed", "none"]
# Headers every HTTP client sends: not "custom", so the text view leaves them out.
PLAIN_HEADERS = frozenset(
    {"host", "accept", "accept-encoding", "accept-language", "connection", "content-length",
     "content-type", "transfer-encoding", "user-agent", "anthropic-version", "anthropic-beta",
     "authorization", "x-api-key"}
)  # fmt: skip
CREDENTIAL_HEADERS = frozenset({"authorization", "x-api-key", "proxy-authorization", "cookie"})


@dataclass
class Mismatch:
    id: str
    detail: str


@dataclass
class RequestView:
    method: str
    path: str
    query: str
    auth: AuthKind
    headers: dict[str, str]  # as they arrived (names in their case); credentials masked
    betas: list[str]
    model: str | None
    cache_ttl: CacheTTL
    attribution_block: bool
    body_bytes: int
    anthropic_version: str | None
    user_agent: str | None

    @property
    def is_message(self) -> bool:
        return self.method == "POST" and self.path.rstrip("/").endswith("/v1/messages")

    @property
    def is_discovery(self) -> bool:
        return self.method == "GET" and self.path.rstrip("/").endswith("/v1/models")

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "auth": self.auth,
            "headers": self.headers,
            "betas": self.betas,
            "model": self.model,
            "cache_ttl": self.cache_ttl,
            "attribution_block": self.attribution_block,
            "body_bytes": self.body_bytes,
            "anthropic_version": self.anthropic_version,
            "user_agent": self.user_agent,
        }


@dataclass
class Report:
    profile: str
    client_version: str | None
    proxied: bool
    requests: list[RequestView]
    mismatches: list[Mismatch] = field(default_factory=list)
    claude_exit: int | None = None
    claude_error: str | None = None  # the tail of claude's stderr when it failed (escaped)
    notes: list[str] = field(default_factory=list)  # what to keep in mind reading the report

    @property
    def discovery(self) -> bool:
        return any(r.is_discovery for r in self.requests)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": JSON_VERSION,
            "profile": self.profile,
            "client_version": self.client_version,
            "proxied": self.proxied,
            "requests": [r.to_json() for r in self.requests],
            "discovery": self.discovery,
            "mismatches": [{"id": m.id, "detail": m.detail} for m in self.mismatches],
            "claude_exit": self.claude_exit,
            "notes": self.notes,
        }


# -- one request ----------------------------------------------------------------------------------
STANDIN_SHOWN = "(stand-in)"


def view(
    captured: Captured, secret_headers: Iterable[str] = (), standins: Iterable[str] = ()
) -> RequestView:
    """The report's view of one request; foreign text escaped, every credential masked (a
    stand-in value shows as ``(stand-in)``)."""
    secret = {s.lower() for s in secret_headers}
    known = set(standins)
    body = _json_body(captured)
    headers = {
        escape_control(name): _shown_value(name, value, secret, known)
        for name, value in captured.headers
    }
    beta = captured.header("anthropic-beta") or ""
    model = body.get("model") if isinstance(body, dict) else None
    return RequestView(
        method=escape_control(captured.method),
        path=escape_control(captured.path),
        query=escape_control(captured.query),
        auth=auth_kind(captured),
        headers=headers,
        betas=[escape_control(b.strip()) for b in beta.split(",") if b.strip()],
        model=escape_control(model) if isinstance(model, str) else None,
        cache_ttl=cache_ttl(body),
        attribution_block=has_attribution_block(body),
        body_bytes=captured.body_bytes,
        anthropic_version=_escaped(captured.header("anthropic-version")),
        user_agent=_escaped(captured.header("user-agent")),
    )


def _escaped(value: str | None) -> str | None:
    return None if value is None else escape_control(value)


def _shown_value(name: str, value: str, secret: set[str], standins: set[str]) -> str:
    lowered = name.lower()
    if lowered == "authorization" and value.lower().startswith("bearer "):
        token = value[7:]
        return "Bearer " + (STANDIN_SHOWN if token in standins else mask(token))
    if lowered in CREDENTIAL_HEADERS or lowered in secret or is_secret_variable(name):
        return STANDIN_SHOWN if value in standins else mask(value)
    return escape_control(value)


def _json_body(captured: Captured) -> Any:
    if not captured.body or captured.body_bytes != len(captured.body):
        return None
    try:
        return loads_bounded(captured.body, max_bytes=len(captured.body))
    except (JSONBoundsError, ValueError):
        return None


def auth_kind(captured: Captured) -> AuthKind:
    bearer = (captured.header("authorization") or "").lower().startswith("bearer ")
    api_key = bool(captured.header("x-api-key"))
    if bearer and api_key:
        return "both"
    if bearer:
        return "bearer"
    return "x-api-key" if api_key else "none"


def cache_controls(value: Any, depth: int = 0) -> list[dict[str, Any]]:
    """Every ``cache_control`` object in a request body (system, tools, messages)."""
    found: list[dict[str, Any]] = []
    if depth > 64:
        return found
    if isinstance(value, dict):
        control = value.get("cache_control")
        if isinstance(control, dict):
            found.append(control)
        for item in value.values():
            found += cache_controls(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            found += cache_controls(item, depth + 1)
    return found


def cache_ttl(body: Any) -> CacheTTL:
    """1h when every cache_control says ``"ttl": "1h"``, 5m when none does (5m is the default)."""
    ttls = {str(c.get("ttl", "5m")) for c in cache_controls(body)}
    if not ttls:
        return "none"
    if ttls == {"1h"}:
        return "1h"
    return "mixed" if "1h" in ttls else "5m"


def system_texts(body: Any) -> list[str]:
    system = body.get("system") if isinstance(body, dict) else None
    if isinstance(system, str):
        return [system]
    if isinstance(system, list):
        return [b["text"] for b in system if isinstance(b, dict) and isinstance(b.get("text"), str)]
    return []


def has_attribution_block(body: Any) -> bool:
    return any(text.startswith(ATTRIBUTION_PREFIX) for text in system_texts(body))


# -- against the profile --------------------------------------------------------------------------
def mismatches(profile: Profile, requests: Sequence[RequestView]) -> list[Mismatch]:
    """What on the wire contradicts the profile (ids are a contract: docs/inspect.md)."""
    found: list[Mismatch] = []
    messages = [r for r in requests if r.is_message]
    if not messages:
        found.append(Mismatch("requests.none", "claude sent no POST /v1/messages"))
        return found
    wanted = {**profile.headers, **dict.fromkeys(profile.secret_headers, "")}
    for name, value in wanted.items():
        missing = [r for r in messages if _arrived(r, name) is None]
        if missing:
            found.append(
                Mismatch(
                    "header.missing",
                    f"header {escape_control(name)} is set by the profile but did not arrive "
                    f"on {len(missing)} of {len(messages)} message request(s)",
                )
            )
        elif value and "{" not in value and name not in profile.secret_headers:
            differ = [r for r in messages if _arrived(r, name) != escape_control(value)]
            if differ and not is_secret_variable(name):
                found.append(
                    Mismatch(
                        "header.value",
                        f"header {escape_control(name)} arrived with another value than the "
                        "profile's",
                    )
                )
    if profile.cache_1h:
        short = [r for r in messages if r.cache_ttl in ("5m", "mixed")]
        if short:
            found.append(
                Mismatch(
                    "cache.ttl",
                    f"cache_1h is on, but {len(short)} message request(s) carry 5-minute "
                    f"cache_control ({', '.join(sorted({r.cache_ttl for r in short}))})",
                )
            )
    if not profile.attribution_header:
        marked = [r for r in messages if r.attribution_block]
        if marked:
            found.append(
                Mismatch(
                    "attribution.present",
                    f"attribution_header is off, but {len(marked)} message request(s) start "
                    f"system with the {ATTRIBUTION_PREFIX} block",
                )
            )
    if profile.gateway_discovery and not any(r.is_discovery for r in requests):
        found.append(
            Mismatch("discovery.missing", "gateway_discovery is on, but no GET /v1/models came")
        )
    expected: AuthKind = profile.auth
    wrong = [r for r in messages if not _auth_ok(r.auth, expected)]
    if wrong:
        found.append(
            Mismatch(
                "auth.header",
                f"the profile sends its key as {expected}, but {len(wrong)} message request(s) "
                f"carried {', '.join(sorted({r.auth for r in wrong}))}",
            )
        )
    return found


def _arrived(request: RequestView, name: str) -> str | None:
    wanted = name.lower()
    return next((v for k, v in request.headers.items() if k.lower() == wanted), None)


def _auth_ok(arrived: AuthKind, expected: AuthKind) -> bool:
    if expected == "none":
        return True  # claude needs some credential to start: a placeholder may travel
    return arrived in (expected, "both")
