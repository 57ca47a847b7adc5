"""An HTTP answer → what it means, by content first and status second (pure; no I/O).

Gateways report the same problem in different dialects: Anthropic's
``{"type":"error","error":{"type","message"}}``, OpenAI's ``{"error":{"message","type","code"}}``,
LiteLLM's (OpenAI's shape, message prefixed ``litellm.…Error``), the new-api/one-api relays many
resellers run (``"code": "insufficient_user_quota"`` with status 403, "no available channel for
model X under group Y" with 503, messages often in Chinese), HTML from CDNs, firewalls and login
walls, and bare text such as Go's ``404 page not found``. A balance problem sent as 403 is a balance
problem, not a refused key: the content decides.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ccwrap.doctor.model import Finding
from ccwrap.text import JSONBoundsError, loads_bounded

# What an answer is. "ok" and "invalid-request" are not problems: the free probe sends a
# deliberately invalid body, so a plain 400 invalid_request_error proves path and key right.
Kind = Literal[
    "ok",
    "invalid-request",
    "auth",
    "not-found",
    "redirect",
    "gateway.html",
    "gateway.not-anthropic",
    "billing.balance",
    "model.unavailable",
    "beta.rejected",
    "rate.limited",
    "gateway.error",
]

BILLING = re.compile(
    r"insufficient[_ ](user[_ ])?(quota|balance|credit|funds)|credit balance is too low"
    r"|exceeded your current quota|quota[_ ]?(is )?not enough|pre_consume_token_quota_failed"
    r"|payment required|out of credits?|balance is not enough|余额不足|额度不足|余额已用尽|预扣费",
    re.IGNORECASE,
)
MODEL_MISSING = re.compile(
    r"no available channel|无可用渠道|model_not_found|model[ _]not[ _]found|unknown model"
    r"|invalid model|model .{0,80}(does not exist|is not available|not supported)"
    r"|^model: |无权使用模型|模型.{0,40}不存在|不支持.{0,10}模型",
    re.IGNORECASE,
)
BETA = re.compile(
    r"extra inputs are not permitted|context_management|anthropic-beta|unsupported beta"
    r"|unknown beta|invalid beta|beta header",
    re.IGNORECASE,
)
OPENAI_ROUTE = re.compile(
    r"invalid url \((post|get) /v1/|unrecognized request url|chat/completions", re.IGNORECASE
)
RATE = re.compile(r"rate[_ ]?limit|too many requests|请求过于频繁|请求频率|并发数", re.IGNORECASE)
AUTH = re.compile(
    r"authentication_error|invalid[_ ](x-)?api[_ ]?key|invalid token|unauthori[sz]ed"
    r"|无效的令牌|令牌.{0,10}(无效|过期|不存在)|未提供令牌|permission_error",
    re.IGNORECASE,
)
HTML_START = re.compile(rb"^\s*(<!doctype html|<html|<head|<body)", re.IGNORECASE)
TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class Verdict:
    kind: Kind
    status: int
    message: str  # the gateway's own words, shortened; "" when it said nothing
    dialect: str  # "anthropic", "openai", "new-api", "litellm", "html", "text", "empty", "json"

    @property
    def problem(self) -> bool:
        return self.kind not in ("ok", "invalid-request")

    def said(self) -> str:
        """``HTTP 403: <message>`` for details."""
        return f"HTTP {self.status}: {self.message}" if self.message else f"HTTP {self.status}"


def classify(status: int, headers: Mapping[str, str], body: bytes | str) -> Verdict:
    raw = body.encode("utf-8", "replace") if isinstance(body, str) else body
    content_type = _header(headers, "content-type").lower()
    if "text/html" in content_type or HTML_START.match(raw[:512]):
        return Verdict("gateway.html", status, _html_title(raw), "html")
    try:
        data = _json(raw)
    except JSONBoundsError as exc:  # a hostile or broken gateway: a clean finding, no crash
        return Verdict("gateway.error", status, f"the answer is unusable: {exc}", "json")
    message, dialect, code = _message(data, raw)
    text = " ".join(part for part in (message, code) if part)
    if status < 300 and _openai_success(data):
        return Verdict("gateway.not-anthropic", status, "answered in OpenAI's format", "openai")
    if status < 300:
        return Verdict("ok", status, message if data is None else "", dialect)
    if 300 <= status < 400:
        location = _header(headers, "location")
        return Verdict("redirect", status, f"redirects to {location}" if location else "", dialect)
    return Verdict(_problem_kind(status, text, dialect), status, message, dialect)


def _problem_kind(status: int, text: str, dialect: str) -> Kind:
    if BILLING.search(text) or status == 402:
        return "billing.balance"
    if MODEL_MISSING.search(text):
        return "model.unavailable"
    if status == 400 and BETA.search(text):
        return "beta.rejected"
    if OPENAI_ROUTE.search(text):
        return "gateway.not-anthropic"
    if status == 429 or RATE.search(text):
        return "rate.limited"
    if status in (401, 403) or AUTH.search(text):
        return "auth"
    if status in (404, 405):
        return "not-found"
    if status == 400 or (400 <= status < 500 and dialect == "anthropic"):
        return "invalid-request"
    return "gateway.error"


def finding_for(verdict: Verdict) -> Finding:
    """The generic finding for a problem answer (callers add what they know: profile, mode…)."""
    said = verdict.said()
    kind = verdict.kind
    if kind in ("ok", "invalid-request"):
        raise ValueError(f"{said} is not a problem")
    if kind == "auth":
        return Finding(
            "auth.rejected", f"the gateway refused the key ({said})", "check the key and its group"
        )
    if kind in ("not-found", "redirect"):
        return Finding("gateway.path", f"/v1/messages not found ({said})", "check the base URL")
    return Finding(kind, f"{DETAILS[kind]} ({said})", FIXES[kind])


DETAILS: dict[str, str] = {
    "gateway.html": "the gateway answered with an HTML page (login wall, firewall or CDN error)",
    "gateway.not-anthropic": "the endpoint speaks OpenAI's API, not Anthropic Messages",
    "billing.balance": "the account or key has no balance or quota left",
    "model.unavailable": "the model is not available to this key",
    "beta.rejected": "the gateway rejects Claude Code's beta headers or fields",
    "rate.limited": "the gateway is rate limiting this key",
    "gateway.error": "the gateway failed to answer",
}
FIXES: dict[str, str] = {
    "gateway.html": "open the base URL in a browser; use the gateway's API address, not its site",
    "gateway.not-anthropic": "use the gateway's Anthropic-compatible base URL "
    "(often ending in /anthropic), not its OpenAI one",
    "billing.balance": "top up the account or raise the key's quota on the gateway",
    "model.unavailable": "pick a model the key's group offers "
    "(ANTHROPIC_MODEL / the profile's model)",
    "beta.rejected": "set CLAUDE_CODE_DISABLE_EXPERIMENTAL_BETAS=1 "
    "(ccwrap profile edit NAME --disable-betas)",
    "rate.limited": "wait, or ask the gateway for a higher limit",
    "gateway.error": "usually temporary; retry later or ask the gateway's operator",
}


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return ""


def _json(raw: bytes) -> Any:
    """The parsed body, None when it is no JSON; :class:`JSONBoundsError` past the caps."""
    try:
        return loads_bounded(raw) if raw.strip() else None
    except JSONBoundsError:
        raise
    except ValueError:  # JSONDecodeError, UnicodeDecodeError
        return None


def _message(data: Any, raw: bytes) -> tuple[str, str, str]:
    """(message, dialect, code) from any of the dialects."""
    if data is None:
        text = raw.decode("utf-8", "replace").strip()
        return (_short(text.splitlines()[0]) if text else "", "text" if text else "empty", "")
    if not isinstance(data, dict):
        return _short(json.dumps(data, ensure_ascii=False)), "json", ""
    error = data.get("error")
    if isinstance(error, dict):
        message = str(error.get("message") or "")
        code = " ".join(str(error.get(k) or "") for k in ("type", "code")).strip()
        if data.get("type") == "error":
            dialect = "anthropic"
        elif "litellm" in message.lower():
            dialect = "litellm"
        elif str(error.get("type", "")) in ("new_api_error", "one_api_error", "shell_api_error"):
            dialect = "new-api"
        else:
            dialect = "openai"
        return _short(message), dialect, code
    for key in ("message", "msg", "detail", "error"):
        if isinstance(data.get(key), str):
            return _short(data[key]), "json", str(data.get("code") or "")
    return _short(json.dumps(data, ensure_ascii=False)), "json", ""


def _openai_success(data: Any) -> bool:
    return isinstance(data, dict) and (
        "choices" in data or str(data.get("object", "")).startswith("chat.completion")
    )


def _html_title(raw: bytes) -> str:
    match = TITLE.search(raw[:65536].decode("utf-8", "replace"))
    title = " ".join(match.group(1).split()) if match else ""
    return f"page titled {title!r}" if title else "an HTML page"


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
