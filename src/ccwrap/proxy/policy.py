"""Which requests the proxy forwards, and where (pure; docs/design.md "The proxy").

The proxy is not an open relay: the upstream URL is always the profile's base URL plus one of four
fixed paths, matched against the *raw* request path (so ``//other-host/…``, ``/v1%2Fmessages`` and
absolute-form targets never match anything else), and the ``Host`` header must name the proxy
itself (a web page using DNS rebinding sends its own host name).
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from ccwrap.net.hosts import LOOPBACK_NAMES


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    # True: answered with the real key; HEAD / is claude's start-up connectivity check.
    forwards_body: bool


ROUTES: dict[tuple[str, bytes], Route] = {
    ("HEAD", b"/"): Route("HEAD", "/", forwards_body=False),
    ("POST", b"/v1/messages"): Route("POST", "/v1/messages", forwards_body=True),
    ("POST", b"/v1/messages/count_tokens"): Route(
        "POST", "/v1/messages/count_tokens", forwards_body=True
    ),
    ("GET", b"/v1/models"): Route("GET", "/v1/models", forwards_body=False),
}


def match(method: str, raw_path: bytes) -> Route | None:
    """The allowed route for exactly this method and raw path, else None (→ 404)."""
    return ROUTES.get((method, raw_path))


def allowed_hosts(port: int) -> frozenset[bytes]:
    """The ``Host`` values a client of this proxy sends: its loopback names with the port."""
    return frozenset(f"{name}:{port}".encode() for name in LOOPBACK_NAMES)


def host_allowed(host: bytes | None, allowed: frozenset[bytes]) -> bool:
    return host is not None and host.lower() in allowed


def token_matches(presented: Iterable[bytes], token: bytes) -> bool:
    """Every credential header the client sent must carry the session token (constant time).

    Claude Code sends ``authorization: Bearer <token>`` (or ``x-api-key`` for an API-key setup,
    both with apiKeyHelper: docs/client-facts.md), so either form is accepted, and any other value
    in either of them refuses the request.
    """
    seen = False
    ok = True
    for value in presented:
        seen = True
        candidate = value[7:] if value[:7].lower() == b"bearer " else value
        # Evaluate every header (no short-circuit) so timing does not say which one failed.
        ok = hmac.compare_digest(candidate.strip(), token) and ok
    return seen and ok


def upstream_base(base_url: str) -> tuple[str, str]:
    """``https://gw.example.com/api/`` → (``https://gw.example.com``, ``/api``)."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"not an http(s) URL: {base_url!r}")
    return f"{parts.scheme}://{parts.netloc}", parts.path.rstrip("/")


def upstream_target(prefix: str, route: Route, query: bytes) -> str:
    """The path and query sent upstream: the base URL's own path, then the fixed route path."""
    path = prefix + route.path if route.path != "/" else (prefix or "/")
    return f"{path}?{query.decode('latin-1')}" if query else path
