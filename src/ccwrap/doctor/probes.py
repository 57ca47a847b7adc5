"""The free probes: what the gateway says to requests that cost nothing.

``HEAD`` on the base URL (the client's own start-up check), ``GET /v1/models``,
``POST /v1/messages/count_tokens``, and a ``POST /v1/messages`` whose body is deliberately invalid
(no ``messages``): a gateway checks path and key before the body, so a 400
``invalid_request_error`` proves both right without spending a token. They run concurrently, each
bounded by the timeout, so a slow gateway costs one timeout, not four.

Network failures are explained from the exception's cause chain (httpx wraps httpcore, which wraps
the OSError or ssl error)::

    httpx.ConnectError ← httpcore.ConnectError ← OSError ← ConnectionRefusedError   net.refused
                                                        ← socket.gaierror           net.dns
                                               ← ssl.SSLCertVerificationError       net.tls
    httpx.TimeoutException (connect, read, write, pool)                              net.timeout
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from ccwrap import __version__
from ccwrap.claude import urls
from ccwrap.doctor.classify import Verdict, classify, finding_for
from ccwrap.doctor.model import Check, Finding, ok, skip
from ccwrap.net.failures import causes, explain
from ccwrap.net.proxies import proxy_for
from ccwrap.net.tls import trust_store

# Kept importable from here (tests and callers of doctor name them so).
__all__ = ["causes", "network_finding", "proxy_for", "ssl_context"]

HeaderMode = Literal["bearer", "x-api-key", "both", "none"]
ANTHROPIC_VERSION = "2023-06-01"
# Probed when no model is configured; the detail says so.
FALLBACK_MODEL = "claude-sonnet-4-5"
NET_IDS = ("net.dns", "net.refused", "net.tls", "net.timeout")
# What a network failure proves worked: refused means the name resolved; a TLS failure means a
# connection was made; a timeout may be on connect, so only the name is known good.
PASSED_BEFORE = {
    "net.refused": ("net.dns",),
    "net.tls": ("net.dns", "net.refused"),
    "net.timeout": ("net.dns",),
    "gateway.error": ("net.dns", "net.refused"),
}
GATEWAY_IDS = (
    "gateway.path",
    "gateway.not-anthropic",
    "gateway.html",
    "auth.rejected",
    "auth.mode",
)
MODEL_IDS = ("model.unavailable", "model.discovery")
# The client keeps only these ids from /v1/models (docs/client-facts.md, model discovery).
CLAUDE_PREFIXES = ("claude", "anthropic")


@dataclass
class ProbeTarget:
    base_url: str
    mode: HeaderMode
    key: str | None = field(repr=False)
    headers: dict[str, str] = field(default_factory=dict, repr=False)  # may hold secrets
    model: str | None = None
    discovery: bool = False
    profile: str | None = None
    disable_betas: bool = False

    def auth_headers(self, mode: HeaderMode | None = None) -> dict[str, str]:
        mode = mode or self.mode
        if not self.key or mode == "none":
            return {}
        bearer = {"authorization": f"Bearer {self.key}"}
        api_key = {"x-api-key": self.key}
        return {"bearer": bearer, "x-api-key": api_key, "both": {**bearer, **api_key}}[mode]

    def request_headers(self, mode: HeaderMode | None = None) -> dict[str, str]:
        return {
            "anthropic-version": ANTHROPIC_VERSION,
            # Some gateways admit only the client's own user agent (docs/gateways.md, kimi-coding).
            "user-agent": f"claude-cli/ccwrap-doctor-{__version__} (external, cli)",
            **self.headers,
            **self.auth_headers(mode),
        }

    def url(self, path: str, base: str | None = None) -> str:
        return (base or self.base_url).rstrip("/") + path


# What doctor reads of any answer at most: a gateway's answer to a probe is a few KB (a long model
# list a few hundred); an endless body stops here instead of filling the memory.
MAX_BODY = 4 * 1024 * 1024


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    elapsed: float
    problem: str = ""  # the body was cut: "the answer was larger than …", "… did not finish …"

    @property
    def verdict(self) -> Verdict:
        if self.problem:
            return Verdict("gateway.error", self.status, self.problem, "cut")
        return classify(self.status, self.headers, self.body)


Outcome = Answer | BaseException


# -- transport ---------------------------------------------------------------------------------
def ssl_context(environ: Mapping[str, str]) -> ssl.SSLContext:
    """The one trust store (ccwrap.net.tls): certifi's roots plus NODE_EXTRA_CA_CERTS and
    SSL_CERT_FILE, the same the proxy verifies with."""
    return trust_store(environ)


def make_client(
    environ: Mapping[str, str],
    timeout: float,
    transport: httpx.AsyncBaseTransport | None = None,
    *,
    tls: bool = True,
    proxy: str | None = None,
) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        # The injected environment decides, not os.environ (tests, --url with another env).
        trust_env=False,
        # Loading the CA bundle costs ~40 ms; a plain-http base URL (and every variant of it
        # probed, redirects not followed) never does TLS, so it gets an unloaded context.
        verify=ssl_context(environ) if tls else False,
        proxy=proxy,
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,
        transport=transport,
    )


async def fetch(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    headers: Mapping[str, str],
    json: Any = None,
    timeout: float = 10.0,
) -> Outcome:
    partial: list[Answer] = []  # the answer as far as it came, for a body that never ends
    try:
        # httpx bounds each phase; the outer bound catches a server that trickles bytes forever.
        return await asyncio.wait_for(
            _exchange(client, method, url, headers=headers, json=json, partial=partial),
            timeout * 3,
        )
    except (asyncio.TimeoutError, TimeoutError) as exc:
        if not partial:
            return exc
        answer = partial[0]
        answer.problem = f"the answer did not finish within {timeout * 3:g} s"
        return answer
    except (httpx.HTTPError, OSError, ssl.SSLError, UnicodeError) as exc:
        return exc


async def _exchange(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    headers: Mapping[str, str],
    json: Any,
    partial: list[Answer],
) -> Answer:
    started = time.monotonic()
    async with client.stream(method, url, headers=dict(headers), json=json) as response:
        answer = Answer(response.status_code, dict(response.headers), b"", 0.0)
        partial.append(answer)
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():  # decoded: a gzip bomb is capped too
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_BODY:
                answer.problem = f"the answer was larger than {MAX_BODY // (1024 * 1024)} MB"
                break
        answer.body = b"".join(chunks)[:MAX_BODY]
        answer.elapsed = time.monotonic() - started
    return answer


# -- network failures by cause -----------------------------------------------------------------
def network_finding(exc: BaseException, url: str, timeout: float) -> Finding:
    """The finding for a request that got no HTTP answer (ccwrap.net.failures says why)."""
    host = urlsplit(url).hostname or url
    port = urlsplit(url).port or (443 if url.startswith("https") else 80)
    failure = explain(exc)
    kind = failure.kind
    if failure.is_timeout:
        return _timeout(host, timeout)
    if kind == "untrusted":
        return _tls(host, failure.detail)
    if kind == "not-tls":
        return Finding(
            "net.tls",
            f"{host}:{port} does not speak TLS ({failure.detail})",
            "use http:// for this port, or the gateway's https port",
        )
    if kind == "tls":
        return Finding("net.tls", f"TLS with {host}:{port} failed: {failure.detail}", "")
    if kind == "dns":
        return _dns(host, failure.detail)
    if kind == "refused":
        return _refused(host, port)
    if kind == "unreachable":
        return Finding(
            "net.refused",
            f"{host} is {failure.sentence}",
            "check the network, VPN or HTTPS_PROXY",
        )
    if kind in ("reset", "closed"):
        # Accepted, then hung up (a TLS port spoken to in plain http, a proxy dropping the
        # request): the reset arrives after connecting, so it is no "refused".
        return Finding(
            "gateway.error",
            f"{host}:{port} closed the connection without an HTTP answer ({exc})",
            "check the port and the scheme (http vs https) of the base URL",
        )
    return Finding(
        "net.refused",
        f"cannot connect to {host}:{port}: {failure.sentence}",
        "check the base URL, the network and HTTPS_PROXY",
    )


def _dns(host: str, why: str) -> Finding:
    return Finding(
        "net.dns",
        f"the host name {host} does not resolve ({why}); the client says FailedToOpenSocket",
        "check the spelling of the base URL's host, or your DNS/VPN",
    )


def _refused(host: str, port: int) -> Finding:
    return Finding(
        "net.refused",
        f"nothing listens on {host}:{port} (connection refused)",
        "start the gateway, or check the port in the base URL",
    )


def _timeout(host: str, timeout: float) -> Finding:
    return Finding(
        "net.timeout",
        f"{host} did not answer within {timeout:g} s",
        "check the host and port, a firewall, or HTTPS_PROXY; raise --timeout for a slow gateway",
    )


def _tls(host: str, problem: str) -> Finding:
    return Finding(
        "net.tls",
        f"the TLS certificate of {host} is not trusted: {problem}",
        "if the gateway uses a private CA, give its certificate to Claude Code with "
        "export NODE_EXTRA_CA_CERTS=/path/to/ca.pem and to ccwrap with "
        "export SSL_CERT_FILE=/path/to/ca.pem; otherwise fix the gateway's certificate",
    )


# -- the probes ---------------------------------------------------------------------------------
async def probe(target: ProbeTarget, client: httpx.AsyncClient, timeout: float) -> list[Check]:
    model = target.model or FALLBACK_MODEL
    invalid_body = {"model": model, "max_tokens": 1}  # no "messages": invalid on purpose
    count_body = {"model": model, "messages": [{"role": "user", "content": "ping"}]}
    headers = target.request_headers()
    # The client's own start-up HEAD carries no key (docs/client-facts.md).
    head_headers = {"user-agent": headers["user-agent"]}
    count: dict[str, Any] = {"headers": headers, "json": count_body, "timeout": timeout}
    invalid: dict[str, Any] = {"headers": headers, "json": invalid_body, "timeout": timeout}
    head, models, counted, messages = await asyncio.gather(
        fetch(client, "HEAD", target.base_url, headers=head_headers, timeout=timeout),
        fetch(client, "GET", target.url("/v1/models?limit=1000"), headers=headers, timeout=timeout),
        fetch(client, "POST", target.url("/v1/messages/count_tokens"), **count),
        fetch(client, "POST", target.url("/v1/messages"), **invalid),
    )
    if isinstance(messages, BaseException):
        finding = network_finding(messages, target.base_url, timeout)
        return _unreachable(finding)
    checks = _net_ok(target.base_url, messages, head)
    session = Session(target, client, timeout, invalid_body)
    checks += await _gateway_checks(session, messages, counted)
    checks += _model_checks(target, models, messages)
    return checks


def _unreachable(finding: Finding) -> list[Check]:
    why = f"see {finding.id}"
    passed = PASSED_BEFORE.get(finding.id, ())
    rows = [
        finding.check() if id_ == finding.id else ok(id_) if id_ in passed else skip(id_, why)
        for id_ in NET_IDS
    ]
    if finding.id not in NET_IDS:  # e.g. a connection closed without an answer
        rows.append(finding.check())
    unreached = (*GATEWAY_IDS, *MODEL_IDS)
    rows += [skip(id_, "no answer from the gateway") for id_ in unreached if id_ != finding.id]
    return rows


def _net_ok(base_url: str, messages: Answer, head: Outcome) -> list[Check]:
    host = urlsplit(base_url).hostname or base_url
    https = base_url.lower().startswith("https://")
    latency = f"answered in {messages.elapsed * 1000:.0f} ms"
    if isinstance(head, Answer):
        latency += f" (HEAD {head.status})"
    return [
        ok("net.dns", host),
        ok("net.refused"),
        ok("net.tls") if https else skip("net.tls", "plain http"),
        ok("net.timeout", latency),
    ]


@dataclass
class Session:
    """What follow-up probes (other header mode, other base URLs) need."""

    target: ProbeTarget
    client: httpx.AsyncClient
    timeout: float
    invalid_body: dict[str, Any]

    async def messages(self, base: str | None = None, mode: HeaderMode | None = None) -> Outcome:
        return await fetch(
            self.client,
            "POST",
            self.target.url("/v1/messages", base),
            headers=self.target.request_headers(mode),
            json=self.invalid_body,
            timeout=self.timeout,
        )


async def _gateway_checks(session: Session, messages: Answer, count: Outcome) -> list[Check]:
    target = session.target
    verdict = messages.verdict
    kind = verdict.kind
    if kind in ("not-found", "redirect"):
        path = await _path_check(session, verdict)
        return [path, *(skip(i, "/v1/messages not found") for i in GATEWAY_IDS[1:])]
    if kind in ("gateway.html", "gateway.not-anthropic"):
        rows = [finding_for(verdict).check()]
        rows += [skip(i, f"see {kind}") for i in GATEWAY_IDS if i != kind]
        return rows
    path_detail = target.url("/v1/messages")
    if isinstance(count, Answer) and count.verdict.kind == "not-found":
        path_detail += " (count_tokens is not offered; the client copes)"
    rows = [ok("gateway.path", path_detail), ok("gateway.not-anthropic"), ok("gateway.html")]
    if kind == "auth":
        rows += await _auth_checks(session, verdict)
        return rows
    rows += [ok("auth.rejected"), ok("auth.mode", _mode_words(target.mode))]
    if verdict.problem and kind != "model.unavailable":  # _model_checks adds the list
        rows.append(_with_profile(finding_for(verdict), target).check())
    return rows


async def _path_check(session: Session, verdict: Verdict) -> Check:
    target = session.target
    if verdict.kind == "redirect":
        return _redirect_check(target, verdict)
    variants = path_variants(target.base_url)
    answers = await asyncio.gather(*(session.messages(base=v) for v in variants))
    said = f"{target.url('/v1/messages')} answers {verdict.said()}"
    for variant, answer in zip(variants, answers, strict=True):
        if isinstance(answer, Answer) and answer.verdict.kind not in (
            "not-found",
            "redirect",
            "gateway.html",
            "gateway.not-anthropic",
        ):
            return Check.of(
                "gateway.path",
                "fail",
                f"{said}; {variant}/v1/messages answers (HTTP {answer.status})",
                f"use the base URL {variant}" + _edit_hint(target, f"--url {variant}"),
            )
    tried = ", ".join(variants)
    return Check.of(
        "gateway.path",
        "fail",
        f"{said}; none of the usual variants answers either ({tried})",
        "look up the gateway's Anthropic-compatible base URL in its documentation",
    )


def _redirect_check(target: ProbeTarget, verdict: Verdict) -> Check:
    """A redirect on POST /v1/messages (http → https, a moved host): the client does not follow."""
    location = urljoin(target.url("/v1/messages"), verdict.message.removeprefix("redirects to "))
    base = location.split("/v1/messages", 1)[0] if "/v1/messages" in location else ""
    if base.startswith("http"):
        fix = f"use the base URL {base}" + _edit_hint(target, f"--url {base}")
    else:
        fix = "use the URL it redirects to as the base URL"
    said = verdict.message or "a redirect"
    detail = f"{target.url('/v1/messages')} answers HTTP {verdict.status}, {said}"
    return Check.of("gateway.path", "fail", detail + " (the client does not follow it)", fix)


def path_variants(base_url: str) -> list[str]:
    """Where /v1/messages usually lives when it is not under the given base URL."""
    parts = urlsplit(base_url.rstrip("/"))
    root = urlunsplit((parts.scheme, parts.netloc, "", "", ""))
    path = parts.path.rstrip("/")
    candidates = []
    for suffix in urls.V1_SUFFIXES:
        if path.endswith(suffix):
            candidates.append(root + path[: -len(suffix)])
    candidates += [
        f"{root}{path}/anthropic",
        f"{root}/anthropic",
        f"{root}/api/anthropic",
        f"{root}/api",
        root,
    ]
    seen: list[str] = []
    for candidate in candidates:
        if candidate.rstrip("/") != base_url.rstrip("/") and candidate not in seen:
            seen.append(candidate)
    return seen


async def _auth_checks(session: Session, verdict: Verdict) -> list[Check]:
    target = session.target
    said = verdict.said()
    if not target.key or target.mode in ("none", "both"):
        why = "no key was sent" if not target.key or target.mode == "none" else "sent in both"
        return [
            Check.of(
                "auth.rejected",
                "fail",
                f"the gateway refused the request ({said}; {why})",
                _key_fix(target),
            ),
            skip("auth.mode", why),
        ]
    other: HeaderMode = "x-api-key" if target.mode == "bearer" else "bearer"
    retry = await session.messages(mode=other)
    if isinstance(retry, Answer) and retry.verdict.kind != "auth":
        variable = "ANTHROPIC_API_KEY" if other == "x-api-key" else "ANTHROPIC_AUTH_TOKEN"
        fix = f"switch this profile to {other}: ccwrap profile edit {target.profile} --auth {other}"
        if target.profile is None:
            fix = f"send the key as {_mode_words(other)}: put it in {variable} instead"
        return [
            skip("auth.rejected", "see auth.mode"),
            Check.of(
                "auth.mode",
                "fail",
                f"the gateway refused the key as {_mode_words(target.mode)} ({said}) "
                f"but accepted it as {_mode_words(other)}",
                fix,
            ),
        ]
    return [
        Check.of(
            "auth.rejected",
            "fail",
            f"the gateway refused the key in both headers ({said})",
            _key_fix(target),
        ),
        ok("auth.mode", "refused in both modes, so the mode is not the cause"),
    ]


def _mode_words(mode: HeaderMode) -> str:
    return {
        "bearer": "authorization: Bearer",
        "x-api-key": "x-api-key",
        "both": "both headers (apiKeyHelper)",
        "none": "no key",
    }[mode]


def _key_fix(target: ProbeTarget) -> str:
    if target.profile:
        return f"store the right key: ccwrap setup {target.profile} (check its group/permissions)"
    return "check the key (ANTHROPIC_AUTH_TOKEN / ANTHROPIC_API_KEY) and its group on the gateway"


def _edit_hint(target: ProbeTarget, flag: str) -> str:
    return f" (ccwrap profile edit {target.profile} {flag})" if target.profile else ""


def _with_profile(finding: Finding, target: ProbeTarget) -> Finding:
    if target.profile and "NAME" in finding.fix:
        return Finding(finding.id, finding.detail, finding.fix.replace("NAME", target.profile))
    return finding


# -- models -------------------------------------------------------------------------------------
def model_ids(answer: Answer) -> list[str] | None:
    from ccwrap.text import loads_bounded

    if answer.problem:
        return None
    try:
        data = loads_bounded(answer.body)
    except ValueError:  # not JSON, or larger or deeper than a model list is
        return None
    items = data.get("data") if isinstance(data, dict) else None
    if not isinstance(items, list):
        return None
    return [str(item["id"]) for item in items if isinstance(item, dict) and "id" in item]


def _model_checks(target: ProbeTarget, models: Outcome, messages: Answer) -> list[Check]:
    listed = model_ids(models) if isinstance(models, Answer) and models.status == 200 else None
    unavailable = _unavailable_check(target, listed, messages)
    if isinstance(models, Answer) and models.problem and unavailable.status == "skip":
        unavailable = skip("model.unavailable", f"GET /v1/models: {models.problem}")
    return [unavailable, _discovery_check(target, models, listed)]


def _unavailable_check(target: ProbeTarget, listed: list[str] | None, messages: Answer) -> Check:
    if messages.verdict.kind == "model.unavailable":
        finding = finding_for(messages.verdict)
        tail = f"; the gateway lists: {_few(listed)}" if listed else ""
        return Check.of(finding.id, "fail", finding.detail + tail, finding.fix)
    if listed is None:
        return skip("model.unavailable", "the gateway does not list its models")
    claude_ids = [m for m in listed if m.startswith(CLAUDE_PREFIXES)]
    if target.model is None:
        if listed and not claude_ids:
            return Check.of(
                "model.unavailable",
                "warn",
                "no model is set and the gateway lists no claude model; "
                f"the client's default will likely be refused (listed: {_few(listed)})",
                "set ANTHROPIC_MODEL (the profile's model) to one of the listed ids",
            )
        return ok("model.unavailable", "no model set; the client picks its default")
    if target.model in listed:
        return ok("model.unavailable", target.model)
    return Check.of(
        "model.unavailable",
        "warn",
        f"{target.model} is not among the {len(listed)} models the gateway lists: {_few(listed)}",
        "set the model to one of them (ANTHROPIC_MODEL / the profile's model)",
    )


def _discovery_check(target: ProbeTarget, models: Outcome, listed: list[str] | None) -> Check:
    if not target.discovery:
        return skip("model.discovery", "discovery is off")
    fix = "turn discovery off (CLAUDE_CODE_ENABLE_GATEWAY_MODEL_DISCOVERY), or use the proxy"
    if isinstance(models, BaseException):
        return Check.of("model.discovery", "fail", f"GET /v1/models failed: {models}", fix)
    if 300 <= models.status < 400:
        where = models.headers.get("location", "?")
        detail = f"GET /v1/models redirects to {where}; the client counts any redirect as failure"
        return Check.of("model.discovery", "fail", detail, fix)
    if listed is None:
        said = models.verdict.said()
        return Check.of("model.discovery", "fail", f"GET /v1/models gives no list ({said})", fix)
    claude_ids = [m for m in listed if m.startswith(CLAUDE_PREFIXES)]
    if not claude_ids:
        return Check.of(
            "model.discovery",
            "fail",
            f"GET /v1/models lists {len(listed)} models and none starts with claude or "
            f"anthropic, so the client keeps none ({_few(listed)})",
            "rename models with the proxy (model_map), or set ANTHROPIC_MODEL instead",
        )
    return ok("model.discovery", f"{len(claude_ids)} claude models listed")


def _few(ids: list[str] | None, limit: int = 8) -> str:
    if not ids:
        return "(none)"
    more = f" … (+{len(ids) - limit})" if len(ids) > limit else ""
    return ", ".join(ids[:limit]) + more
