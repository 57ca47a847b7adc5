"""``--explain TEXT``: a message the client printed → the same findings doctor reports (pure).

Every row of the error table in docs/client-facts.md is covered, with the misleading ones said
plainly: "There's an issue with the selected model" is what a 404 looks like to the client (most
often a base URL ending in /v1), and "Not logged in · Please run /login" is also what a gateway
refusing the key looks like.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ccwrap.doctor.classify import DETAILS, FIXES, Verdict, classify, finding_for
from ccwrap.doctor.model import Check, Finding, Report
from ccwrap.errors import CcwrapError

Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], list[Finding]]]

V1_FIX = "drop a trailing /v1 from ANTHROPIC_BASE_URL (the client appends /v1/messages itself)"


def explain(text: str) -> list[Finding]:
    """The findings that explain ``text``, the likeliest first; [] when nothing matches."""
    text = " ".join(text.split())
    for pattern, build in RULES:
        match = pattern.search(text)
        if match:
            return build(match)
    return []


def explain_report(text: str) -> Report:
    """The findings as a report: the likeliest cause fails, the other possibilities warn."""
    findings = explain(text)
    if not findings:
        raise CcwrapError(
            "no known finding matches this message",
            hint="run ccwrap doctor to examine the gateway itself",
        )
    checks = [findings[0].check()]
    checks += [Check.of(f.id, "warn", f.detail, f.fix) for f in findings[1:]]
    return Report(None, None, checks, origin="").escaped()


def _fixed(*findings: Finding) -> Callable[[re.Match[str]], list[Finding]]:
    return lambda _match: list(findings)


def _from_status(match: re.Match[str]) -> list[Finding]:
    """``API Error: 403 <gateway message>``: the gateway's words decide, the status second."""
    status = int(match.group("status"))
    message = match.group("message") or ""
    verdict = classify(status, {"content-type": "text/plain"}, message.encode())
    return [_finding(verdict, f"the client relayed HTTP {status}: {message or '(no message)'}")]


def _finding(verdict: Verdict, said: str) -> Finding:
    if verdict.kind == "invalid-request":
        return Finding(
            "gateway.error",
            f"{said}; the gateway refused the request",
            "run ccwrap doctor --live to see whether it rejects the client's betas or fields",
        )
    if verdict.kind == "auth":
        return Finding(
            "auth.rejected",
            f"{said}; the gateway refused the key",
            "check the key, and run ccwrap doctor: it also tries the other header (auth.mode)",
        )
    if verdict.kind == "not-found":
        return Finding("gateway.path", said, V1_FIX)
    if not verdict.problem:
        return Finding("gateway.error", said, FIXES["gateway.error"])
    found = finding_for(verdict)
    return Finding(found.id, f"{said}; {DETAILS.get(found.id, '')}".rstrip("; "), found.fix)


def _rate(match: re.Match[str]) -> list[Finding]:
    message = match.group("message") or ""
    verdict = classify(429, {"content-type": "text/plain"}, message.encode())
    return [_finding(verdict, f"HTTP 429: {message or '(no message)'}")]


def _auth(match: re.Match[str]) -> list[Finding]:
    status = int(match.group("status"))
    message = match.group("message") or ""
    verdict = classify(status, {"content-type": "text/plain"}, message.encode())
    if verdict.kind != "auth":  # e.g. new-api's 403 insufficient_user_quota
        return [_finding(verdict, f"HTTP {status}: {message}")]
    return [
        Finding(
            "auth.rejected",
            f"the gateway refused the key (HTTP {status}: {message or '(no message)'})",
            "check the key, and run ccwrap doctor: it also tries the other header (auth.mode)",
        ),
        Finding("auth.mode", "or the gateway wants the key in the other header", ""),
    ]


def _connect(match: re.Match[str]) -> list[Finding]:
    cause = match.group("cause")
    lowered = cause.lower()
    if "refused" in lowered:
        return [
            Finding(
                "net.refused",
                "nothing listens at the base URL's host and port",
                "start the gateway, or check the port in ANTHROPIC_BASE_URL",
            )
        ]
    if "timeout" in lowered or "timedout" in lowered:
        return [
            Finding(
                "net.timeout",
                "the gateway did not answer in time",
                "check the host, a firewall or HTTPS_PROXY",
            )
        ]
    if any(s in lowered for s in ("cert", "ssl", "tls", "self_signed", "leaf_signature")):
        return [_tls_finding(cause)]
    if "econnreset" in lowered or "hang up" in lowered:
        # Measured: http:// to a TLS port gives ECONNRESET (tests/real/test_doctor_claude.py).
        return [
            Finding(
                "gateway.error",
                f"the gateway closed the connection without an answer ({cause})",
                "check the scheme (http vs https) and the port of ANTHROPIC_BASE_URL",
            )
        ]
    if "failedtoopensocket" in lowered:
        return [
            Finding(
                "net.dns",
                f"the client could not open a connection ({cause}): usually the host name does "
                "not resolve",
                "check the host in ANTHROPIC_BASE_URL, your DNS or VPN; ccwrap doctor tells which",
            ),
            Finding("net.refused", "or the host is unreachable", ""),
        ]
    return [
        Finding(
            "net.refused",
            f"the client could not connect ({cause})",
            "check the host and port in ANTHROPIC_BASE_URL; ccwrap doctor tells why",
        )
    ]


def _auth_page(match: re.Match[str]) -> list[Finding]:
    """``Failed to authenticate. API Error: <page title>``: a 401/403 whose body was HTML."""
    title = match.group("title").strip()
    return [
        Finding(
            "gateway.html",
            f"the gateway answered a web page titled {title!r} (a firewall, WAF or login wall), "
            "which the client reports as an authentication failure",
            FIXES["gateway.html"],
        ),
        Finding("auth.rejected", "or the gateway really refused the key", ""),
    ]


def _tls_finding(cause: str) -> Finding:
    return Finding(
        "net.tls",
        f"the gateway's TLS certificate is not trusted ({cause})",
        "give Claude Code the CA: export NODE_EXTRA_CA_CERTS=/path/to/ca.pem "
        "(and ccwrap: export SSL_CERT_FILE=/path/to/ca.pem)",
    )


RULES: list[Rule] = [
    (
        re.compile(r"cannot be parsed as a URL"),
        _fixed(
            Finding(
                "url.scheme",
                "the base URL has no http:// or https://",
                "put https:// (or http:// for a local gateway) in front of ANTHROPIC_BASE_URL",
            )
        ),
    ),
    (
        re.compile(r"issue with the selected model"),
        _fixed(
            Finding(
                "url.v1-suffix",
                "misleading: the client says this for any 404 on /v1/messages; most often the "
                "base URL ends in /v1, so requests go to /v1/v1/messages",
                V1_FIX,
            ),
            Finding("gateway.path", "or /v1/messages lives under another base URL", ""),
            Finding(
                "gateway.not-anthropic", "or the base URL is the gateway's OpenAI endpoint", ""
            ),
            Finding("model.unavailable", "or the model really is not offered", ""),
        ),
    ),
    (
        re.compile(r"Not logged in"),
        _fixed(
            Finding(
                "auth.rejected",
                "misleading: the client says this both when no key is set and when the gateway "
                "answers 401 to the key it sent",
                "check the key; ccwrap doctor tells a refused key from a missing one",
            ),
            Finding("key.missing", "or no credential reaches the client at all", ""),
        ),
    ),
    (
        re.compile(r"Invalid API key"),
        _fixed(
            Finding(
                "auth.rejected",
                "the gateway answered 401 to the key sent as x-api-key (ANTHROPIC_API_KEY)",
                "check the key; if the gateway wants a bearer token use ANTHROPIC_AUTH_TOKEN",
            ),
            Finding("auth.mode", "or the gateway takes the key only as a bearer token", ""),
        ),
    ),
    (
        re.compile(r"Failed to authenticate\.? API Error: (?P<status>\d{3}) ?(?P<message>.*)"),
        _auth,
    ),
    (re.compile(r"Failed to authenticate\.? API Error: (?P<title>\D.*)"), _auth_page),
    (re.compile(r"Request rejected \(429\)\s*·?\s*(?P<message>.*)"), _rate),
    (re.compile(r"Unable to connect to API \((?P<cause>[^)]*)\)"), _connect),
    (
        re.compile(r"empty or malformed response \(HTTP 2\d\d\)"),
        _fixed(
            Finding(
                "gateway.html",
                "the base URL answers a web page (login wall, firewall), not the API",
                FIXES["gateway.html"],
            )
        ),
    ),
    (
        re.compile(r"(?i)(certificate|self[ -]signed|UNABLE_TO_VERIFY|CERT_)"),
        lambda m: [_tls_finding(m.group(0))],
    ),
    (
        re.compile(
            r"API Error: (?P<status>\d{3}) ?(?P<message>.*?)"
            r"(\. This is a server-side issue.*)?$"
        ),
        _from_status,
    ),
    (
        re.compile(r"(?i)(request timed out|timeout)"),
        _fixed(
            Finding(
                "net.timeout",
                "the gateway did not answer in time",
                "check the gateway; API_TIMEOUT_MS raises the client's limit",
            )
        ),
    ),
]
