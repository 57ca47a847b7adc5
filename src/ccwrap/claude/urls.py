"""Validate and normalise a gateway's base URL (pure: no I/O, no network).

Claude Code appends ``/v1/messages?beta=true`` to ``ANTHROPIC_BASE_URL`` as a plain string
(docs/client-facts.md), so a base URL must be an origin plus, at most, a path prefix: no trailing
``/v1`` (requests would go to ``/v1/v1/messages``), no query or fragment (they would swallow the
appended path), no scheme-less host (the client cannot parse it). A ``/v1`` *inside* a path is
fine: Cloudflare (``/v1/{account}/{gateway}/anthropic``) and Merge (``/v1/anthropic``) use one.

:func:`normalize_base_url` fixes what it safely can and says so, refuses the rest with
:class:`~ccwrap.errors.InvalidURL`. The small predicates below it are what ``doctor`` reuses.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from dataclasses import dataclass, field

from ccwrap.errors import InvalidURL
from ccwrap.net.hosts import is_loopback

__all__ = ["InvalidURL", "NormalizedURL", "is_loopback"]  # the one loopback rule, re-exported

SCHEMES = ("http", "https")
# Longest first: "/v1/messages" must win over "/v1".
V1_SUFFIXES = ("/v1/chat/completions", "/v1/messages", "/v1")
QUOTES = {'"': '"', "'": "'", "`": "`", "\u201c": "\u201d", "\u2018": "\u2019", "<": ">"}
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
# Characters RFC 3986 never allows in a path; Node's URL parser would escape or choke on them.
_BAD_PATH_CHARS = set('<>"{}|\\^`')
_HOST_PUNCT = set(".-_")
APPENDED = "/v1/messages?beta=true"


@dataclass(frozen=True)
class NormalizedURL:
    url: str
    # One sentence per change made, in order.
    fixes: list[str] = field(default_factory=list)
    # Accepted, but worth saying (plain http to a remote host).
    warnings: list[str] = field(default_factory=list)
    # The trailing "/v1…" that was removed: a change of meaning, which setup confirms.
    removed_suffix: str | None = None


def normalize_base_url(raw: str) -> NormalizedURL:
    fixes: list[str] = []
    text = _strip_paste(raw, fixes)
    if not text:
        raise InvalidURL("the base URL is empty", hint="e.g. https://gateway.example.com")
    _reject_spaces(text)
    scheme, rest = _split_scheme(text)
    netloc, tail = _split_netloc(rest)
    _reject_query_and_fragment(text, tail)
    host, port = _parse_netloc(netloc, text)
    path, removed = _clean_path(tail, fixes)
    url = f"{scheme}://{_host_for_url(host)}{f':{port}' if port else ''}{path}"
    warnings = []
    if scheme == "http" and not is_loopback(host):
        warnings.append(
            f"plain http to {host}: the key travels unencrypted; use https:// unless the "
            "gateway is on a network you trust"
        )
    return NormalizedURL(url=url, fixes=fixes, warnings=warnings, removed_suffix=removed)


# -- predicates doctor reuses ------------------------------------------------------------------


def same_base_url(a: str, b: str) -> bool:
    """Whether two base URLs name the same gateway as Claude Code uses them (surrounding space
    and a trailing slash make no difference)."""
    return a.strip().rstrip("/") == b.strip().rstrip("/")


def has_scheme(raw: str) -> bool:
    """True when the URL starts with ``http://`` or ``https://`` (any case): what doctor's
    ``url.scheme`` asks. Without one the client fails with "… cannot be parsed as a URL"."""
    match = _SCHEME.match(_strip_paste(raw, []))
    return match is not None and match.group(1).lower() in SCHEMES


def v1_suffix(raw: str) -> str | None:
    """The trailing ``/v1``, ``/v1/messages`` or ``/v1/chat/completions`` of ``raw``, if any."""
    text = _strip_paste(raw, [])
    path = text.split("?", 1)[0].split("#", 1)[0]
    if match := _SCHEME.match(path):
        path = path[match.end() :]
    path = path.rstrip("/")
    lowered = path.lower()
    return next((s for s in V1_SUFFIXES if lowered.endswith(s)), None)


def is_insecure(url: str) -> bool:
    """Plain http to a host that is not loopback: the key would travel in clear."""
    match = _SCHEME.match(url.strip())
    if match is None or match.group(1).lower() != "http":
        return False
    netloc = re.split(r"[/?#]", url.strip()[match.end() :], maxsplit=1)[0]
    host = netloc.rpartition("@")[2]
    host = host[: host.find("]") + 1] if host.startswith("[") else host.partition(":")[0]
    return bool(host) and not is_loopback(host)


# -- the steps ---------------------------------------------------------------------------------


def _strip_paste(raw: str, fixes: list[str]) -> str:
    """Surrounding whitespace and quotes, as they come along when a URL is copied from a doc."""
    text = raw.strip()
    if text != raw:
        fixes.append("removed the whitespace around the URL")
    while len(text) >= 2 and QUOTES.get(text[0]) == text[-1]:
        text = text[1:-1].strip()
        fixes.append("removed the quotes around the URL")
    return text


def _reject_spaces(text: str) -> None:
    bad = next((c for c in text if c.isspace() or unicodedata.category(c).startswith("C")), None)
    if bad is not None:
        what = "a space" if bad == " " else f"the character {bad!r}"
        raise InvalidURL(
            f"the base URL contains {what}, which no URL may hold",
            hint="copy the URL again, without anything around or inside it",
        )


def _split_scheme(text: str) -> tuple[str, str]:
    match = _SCHEME.match(text)
    if match is None:
        shown = _short(text)
        raise InvalidURL(
            f"{shown!r} has no http:// or https://: Claude Code would fail with "
            f'"{shown}{APPENDED}" cannot be parsed as a URL',
            hint=_scheme_hint(text),
        )
    scheme = match.group(1).lower()
    if scheme not in SCHEMES:
        raise InvalidURL(
            f"the base URL uses the scheme {scheme!r}; Claude Code only speaks http:// and https://",
            hint="use the gateway's https:// address",
        )
    return scheme, text[match.end() :]


def _scheme_hint(text: str) -> str:
    if ":/" in text:  # a mangled scheme ("https:/x", "http:\\x"): do not guess
        return "write it as https://HOST[:PORT][/PATH]"
    host = re.split(r"[:/]", text, maxsplit=1)[0]
    scheme = "http" if is_loopback(host) else "https"
    # Suggest the URL that will be accepted as it is, not one the next check would trim again.
    base = text.rstrip("/")
    suffix = v1_suffix(base)
    if suffix is not None and len(base) > len(suffix):
        base = base[: -len(suffix)]
    return f"write {scheme}://{_short(base)}"


def _split_netloc(rest: str) -> tuple[str, str]:
    end = next((i for i, c in enumerate(rest) if c in "/?#"), len(rest))
    return rest[:end], rest[end:]


def _reject_query_and_fragment(text: str, tail: str) -> None:
    if "?" in tail:
        raise InvalidURL(
            "the base URL has a query string ('?…'); Claude Code appends "
            f"{APPENDED} to the base URL, so the query would swallow that path "
            "and requests would go to the wrong place",
            hint="remove everything from the '?' on; a key belongs in the key store",
        )
    if "#" in tail:
        raise InvalidURL(
            "the base URL has a fragment ('#…'); everything after '#' is never sent, "
            f"so the {APPENDED} Claude Code appends would be lost",
            hint="remove everything from the '#' on",
        )


def _parse_netloc(netloc: str, text: str) -> tuple[str, str]:
    """``host[:port]`` → (canonical host, canonical port or "")."""
    if "@" in netloc:
        raise InvalidURL(
            "the base URL holds a user name or password (user:password@host); Claude Code "
            "does not authenticate that way, and the secret would sit in plain text",
            hint="remove the user:password@ part; the key goes in the key store (ccwrap setup)",
        )
    if netloc.startswith("["):
        close = netloc.find("]")
        if close == -1:
            raise InvalidURL(f"the IPv6 address in {_short(text)!r} has no closing ']'")
        host, after = _ipv6(netloc[1:close]), netloc[close + 1 :]
        if after and not after.startswith(":"):
            raise InvalidURL(f"unexpected {after!r} after the IPv6 address in {_short(text)!r}")
        port = after[1:] if after else ""
    else:
        if netloc.count(":") > 1:
            raise InvalidURL(
                f"{netloc!r} looks like an IPv6 address without brackets",
                hint="write an IPv6 address in brackets: http://[::1]:8080",
            )
        host, _, port = netloc.partition(":")
        host = _hostname(host, text)
    return host, _port(port)


def _ipv6(literal: str) -> str:
    try:
        return ipaddress.IPv6Address(literal).compressed
    except ValueError as exc:
        raise InvalidURL(f"{literal!r} is not a valid IPv6 address") from exc


def _hostname(host: str, text: str) -> str:
    if not host:
        raise InvalidURL(
            f"the base URL {_short(text)!r} has no host name",
            hint="e.g. https://gateway.example.com",
        )
    lowered = host.lower()
    labels = lowered.split(".")
    if labels[-1] == "":  # a fully qualified name's trailing dot is valid DNS
        labels = labels[:-1]
    for label in labels:
        bad = next((c for c in label if not _host_char(c)), None)
        if not label or bad is not None:
            detail = f"the character {bad!r}" if bad else "an empty label ('..')"
            raise InvalidURL(f"the host name {host!r} contains {detail}")
    if all(label.isdigit() for label in labels) and labels:
        try:
            ipaddress.IPv4Address(".".join(labels))
        except ValueError as exc:
            raise InvalidURL(f"{host!r} is not a valid IPv4 address") from exc
    return lowered


def _host_char(char: str) -> bool:
    if char.isascii():
        return char.isalnum() or char in _HOST_PUNCT
    # Internationalised names: letters, marks and digits of any script (the client punycodes them).
    return unicodedata.category(char)[0] in "LMN"


def _host_for_url(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _port(port: str) -> str:
    if port == "":
        return ""
    if not port.isascii() or not port.isdigit() or not 0 < int(port) < 65536:
        raise InvalidURL(
            f"the port {port!r} is not a number between 1 and 65535",
            hint="e.g. http://localhost:4000",
        )
    return str(int(port))


def _clean_path(path: str, fixes: list[str]) -> tuple[str, str | None]:
    """Drop trailing slashes and trailing ``/v1…`` endpoints, repeatedly, until neither is left."""
    bad = next((c for c in path if c in _BAD_PATH_CHARS), None)
    if bad is not None:
        raise InvalidURL(f"the path {path!r} contains {bad!r}, which a URL may not hold")
    if _PERCENT.search(path):
        raise InvalidURL(f"the path {path!r} has a '%' that is not followed by two hex digits")
    removed: str | None = None
    while True:
        if path.endswith("/"):
            path = path.rstrip("/")
            fixes.append("removed the trailing '/'")
            continue
        suffix = next((s for s in V1_SUFFIXES if path.lower().endswith(s)), None)
        if suffix is None:
            return path, removed
        path = path[: -len(suffix)]
        removed = suffix if removed is None else suffix + removed
        fixes.append(_suffix_explanation(suffix))


def _suffix_explanation(suffix: str) -> str:
    if suffix == "/v1/chat/completions":
        return (
            "removed '/v1/chat/completions': that is OpenAI's endpoint; Claude Code speaks "
            "Anthropic Messages and appends /v1/messages to the base URL itself"
        )
    return (
        f"removed the trailing {suffix!r}: Claude Code appends /v1/messages itself, so requests "
        f"would have gone to …{suffix}/v1/messages (a 404 the client reports as a model problem)"
    )


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
