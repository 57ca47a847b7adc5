"""The result types of doctor and the stable finding ids (docs/design.md "doctor's findings")."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

Status = Literal["ok", "warn", "fail", "skip"]
JSON_VERSION = 1

# id → title, in the order the report lists them. The ids are a contract: scripts match on them.
TITLES: dict[str, str] = {
    "url.scheme": "base URL has a scheme",
    "url.v1-suffix": "base URL does not end in /v1",
    "url.insecure": "key not sent in clear",
    "key.missing": "key readable",
    "env.auth-conflict": "one credential variable",
    "settings.override": "no settings file overrides",
    "settings.invalid": "settings files are valid JSON",
    "settings.untrusted": "no checkout setting runs a command or gets your key",
    "claude.missing": "claude installed",
    "claude.version": "claude version",
    "client.dispatched": "dispatched sessions reach this gateway",
    "client.auth-state": "claude holds no login of its own",
    "client.features": "features off behind a gateway",
    "model.limits": "claude knows the model's limits",
    "cache.client": "no client-side caching issue",
    "settings.force-login": "no forced login method",
    "net.dns": "host name resolves",
    "net.refused": "gateway accepts connections",
    "net.tls": "TLS certificate trusted",
    "net.timeout": "gateway answers in time",
    "gateway.path": "/v1/messages found under the base URL",
    "gateway.not-anthropic": "speaks Anthropic Messages",
    "gateway.html": "answers JSON, not an HTML page",
    "auth.rejected": "key accepted",
    "auth.mode": "key sent in the right header",
    "model.unavailable": "model available",
    "model.discovery": "model discovery",
    "billing.balance": "balance or quota",
    "rate.limited": "not rate limited",
    "gateway.error": "gateway works",
    "beta.rejected": "beta headers accepted",
    "stream.buffered": "answer streamed",
}
FINDING_IDS = tuple(TITLES)


@dataclass(frozen=True)
class Finding:
    """A problem (or its absence) named by a stable id; what classify and explain return."""

    id: str
    detail: str = ""
    fix: str = ""
    status: Status = "fail"

    def __post_init__(self) -> None:
        if self.id not in TITLES:
            raise ValueError(f"unknown finding id {self.id!r}")

    def check(self) -> Check:
        return Check(self.id, self.status, TITLES[self.id], self.detail, self.fix)


@dataclass(frozen=True)
class Check:
    """One row of the report."""

    id: str
    status: Status
    title: str
    detail: str = ""
    fix: str = ""

    @classmethod
    def of(cls, id: str, status: Status, detail: str = "", fix: str = "") -> Check:
        return Finding(id, detail, fix, status).check()

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def ok(id: str, detail: str = "") -> Check:
    return Check.of(id, "ok", detail)


def skip(id: str, detail: str) -> Check:
    return Check.of(id, "skip", detail)


@dataclass
class Report:
    profile: str | None
    base_url: str | None
    checks: list[Check] = field(default_factory=list)
    origin: str = ""  # where the base URL came from, for the text view (not in the JSON)

    @property
    def ok(self) -> bool:
        return not any(check.status == "fail" for check in self.checks)

    def ordered(self) -> Report:
        """The rows in the table's order (local first, then network, gateway, models, live)."""
        rank = {id_: index for index, id_ in enumerate(FINDING_IDS)}
        checks = sorted(self.checks, key=lambda check: rank[check.id])
        return Report(self.profile, self.base_url, checks, self.origin)

    def escaped(self) -> Report:
        """Every text shown with its control characters escaped: details, fixes, the origin and
        the URL quote gateways, settings files and pasted messages, and none of them may drive
        the terminal (clear the screen, forge a line)."""
        from ccwrap.text import escape_control as esc

        checks = [replace(c, detail=esc(c.detail), fix=esc(c.fix)) for c in self.checks]
        base_url = esc(self.base_url) if self.base_url is not None else None
        profile = esc(self.profile) if self.profile is not None else None
        return Report(profile, base_url, checks, esc(self.origin))

    def to_json(self) -> dict[str, Any]:
        return {
            "version": JSON_VERSION,
            "profile": self.profile,
            "base_url": self.base_url,
            "ok": self.ok,
            "checks": [check.to_json() for check in self.checks],
        }
