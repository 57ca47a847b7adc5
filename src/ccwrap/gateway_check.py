"""A free live check for ``ccwrap setup``: can the gateway be reached, is the path right, is the
key accepted? One sentence per finding. (``ccwrap doctor`` is the full diagnosis.)

Two requests, neither spends a token: ``HEAD /`` (what Claude Code sends at start-up) and a
``POST /v1/messages`` whose body is deliberately invalid. A gateway checks the path and the key
before the body, so a 400 ``invalid_request_error`` proves both right (design.md, "doctor").
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ccwrap.profiles import Profile

if TYPE_CHECKING:
    import httpx

DEFAULT_TIMEOUT = 5.0
ANTHROPIC_VERSION = "2023-06-01"


@dataclass(frozen=True)
class Finding:
    ok: bool
    text: str


@dataclass(frozen=True)
class CheckResult:
    findings: list[Finding]

    @property
    def ok(self) -> bool:
        return all(finding.ok for finding in self.findings)


def check_gateway(
    profile: Profile,
    key: str | None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    transport: httpx.BaseTransport | None = None,
) -> CheckResult:
    import httpx

    # trust_env=False: the check must talk to the gateway itself, as the profile says.
    with httpx.Client(timeout=timeout, transport=transport, trust_env=False) as client:
        try:
            client.head(profile.base_url.rstrip("/") + "/")
        except httpx.HTTPError as exc:
            return CheckResult([Finding(False, unreachable(profile.base_url, exc))])
        findings = [Finding(True, f"{host_of(profile.base_url)} is reachable")]
        try:
            response = client.post(
                profile.base_url + "/v1/messages",
                headers=request_headers(profile, key),
                content=b"{}",
            )
        except httpx.HTTPError as exc:
            return CheckResult([*findings, Finding(False, unreachable(profile.base_url, exc))])
    findings.append(judge(profile, response.status_code, response.headers, response.text))
    return CheckResult(findings)


def request_headers(profile: Profile, key: str | None) -> dict[str, str]:
    headers = {"anthropic-version": ANTHROPIC_VERSION, "content-type": "application/json"}
    headers.update(profile.headers)
    if key and profile.auth == "bearer":
        headers["authorization"] = f"Bearer {key}"
    elif key and profile.auth == "x-api-key":
        headers["x-api-key"] = key
    return headers


def host_of(url: str) -> str:
    return urlsplit(url).netloc or url


def unreachable(url: str, exc: BaseException) -> str:
    """The cause, found by walking the exception chain (as httpie does)."""
    import ssl

    import httpx

    host = host_of(url)
    chain = _chain(exc)
    text = " ".join(str(e) for e in chain).lower()
    if any(isinstance(e, httpx.TimeoutException) for e in chain):
        return f"{host} did not answer within the time limit"
    if (
        "name or service not known" in text
        or "nodename nor servname" in text
        or "getaddrinfo" in text
    ):
        return f"the host name {host} cannot be resolved (DNS): check the spelling"
    if any(isinstance(e, ssl.SSLError) for e in chain) or "certificate" in text:
        return (
            f"the TLS connection to {host} failed ({_last_line(chain)}): "
            "check the URL's scheme, or the CA"
        )
    if "refused" in text:
        return f"{host} refused the connection: is the gateway running on that port?"
    return f"cannot connect to {host}: {_last_line(chain)}"


def _chain(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _last_line(chain: list[BaseException]) -> str:
    return str(chain[-1]) or type(chain[-1]).__name__


def judge(profile: Profile, status: int, headers: Mapping[str, str], body: str) -> Finding:
    """The answer to the deliberately invalid POST, as one sentence."""
    url = profile.base_url
    if "html" in headers.get("content-type", "") or body.lstrip().lower().startswith("<"):
        return Finding(
            False,
            f"{url}/v1/messages answered with an HTML page (a login wall, WAF or CDN error), "
            "not the API: check the base URL",
        )
    message = _error_message(body)
    if status in (400, 422) or 200 <= status < 300:
        return Finding(True, "the path and the key were accepted (the test request spent nothing)")
    if status in (401, 403):
        other = "x-api-key" if profile.auth == "bearer" else "bearer"
        return Finding(
            False,
            f"the gateway rejected the key ({status}{_quote(message)}): check the key, or try "
            f"--auth {other}",
        )
    if status == 404 and "invalid url" in message.lower():
        return Finding(
            False,
            f"{url} speaks OpenAI's format, not Anthropic Messages{_quote(message)}: look for the "
            "gateway's Anthropic endpoint",
        )
    if status in (404, 405):
        return Finding(
            False,
            f"no Anthropic Messages API at {url}/v1/messages ({status}): check the base URL's "
            "path; ccwrap doctor tries the usual variants",
        )
    if status == 402:
        return Finding(False, f"the gateway asks for payment (402){_quote(message)}")
    if status == 429:
        return Finding(False, f"the gateway is rate-limiting (429){_quote(message)}")
    return Finding(False, f"the gateway answered {status}{_quote(message)}")


def _error_message(body: str) -> str:
    try:
        data: Any = json.loads(body)
    except ValueError:
        return body.strip()[:120]
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        return str(error.get("message") or error.get("code") or "")
    if isinstance(error, str):
        return error
    return str(data.get("message", "")) if isinstance(data, dict) else ""


def _quote(message: str) -> str:
    return f': "{message}"' if message else ""
