"""Request and response header rewriting (pure; tested without a network).

Headers are ASGI-style lists of ``(lowercase name, value)`` byte pairs, the form uvicorn hands over
and the upstream transports send, so nothing is decoded or re-encoded on the way through.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from ccwrap.profiles.store import AuthMode

Headers = list[tuple[bytes, bytes]]

# RFC 9110 §7.6.1 plus the non-standard ones proxies are known to honour.
HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
    }
)
CREDENTIALS = frozenset({b"authorization", b"x-api-key"})
# host: the forwarder writes the upstream's; content-length: the forwarder writes the length of
# what it sends (a model-mapped body has a new one).
# expect: the server side answered the client's "100-continue" already and the body is read
# whole; forwarded, aiohttp waits for a 100 the gateway may never send.
REQUEST_DROPPED = HOP_BY_HOP | CREDENTIALS | {b"host", b"content-length", b"expect"}

# Values computed per request: a profile header whose value holds one of these placeholders
# (the same as ccwrap.launch.plan.PLACEHOLDERS, which `ccwrap run` reads).
COMPUTED: Mapping[str, Callable[[], str]] = {
    "{request_id}": lambda: str(uuid.uuid4()),
}


def credential_header(auth: AuthMode, key: str | None) -> tuple[bytes, bytes] | None:
    """The one header that carries the real key in the profile's mode (never both)."""
    if auth == "none" or not key:
        return None
    if auth == "bearer":
        return (b"authorization", b"Bearer " + key.encode("latin-1"))
    return (b"x-api-key", key.encode("latin-1"))


def is_computed(value: str) -> bool:
    return any(placeholder in value for placeholder in COMPUTED)


@dataclass(frozen=True)
class HeaderPlan:
    """What the proxy adds to every upstream request, prepared once at start."""

    credential: tuple[bytes, bytes] | None = None
    fixed: Headers = field(default_factory=list)
    computed: list[tuple[bytes, str]] = field(default_factory=list)

    @classmethod
    def build(
        cls,
        *,
        auth: AuthMode,
        key: str | None,
        headers: Mapping[str, str],
        secret_headers: Mapping[str, str],
    ) -> HeaderPlan:
        fixed: Headers = []
        computed: list[tuple[bytes, str]] = []
        for name, value in {**headers, **secret_headers}.items():
            lower = name.lower().encode("latin-1")
            if is_computed(value):
                computed.append((lower, value))
            else:
                fixed.append((lower, value.encode("latin-1")))
        return cls(credential_header(auth, key), fixed, computed)

    @property
    def replaced(self) -> frozenset[bytes]:
        """Header names the proxy sets itself: a client's own value for them is dropped."""
        return REQUEST_DROPPED | {n for n, _ in self.fixed} | {n for n, _ in self.computed}


def connection_named(headers: Iterable[tuple[bytes, bytes]]) -> set[bytes]:
    """Names listed in ``Connection`` are hop-by-hop too (RFC 9110 §7.6.1)."""
    named: set[bytes] = set()
    for name, value in headers:
        if name == b"connection":
            named.update(token.strip().lower() for token in value.split(b",") if token.strip())
    return named


def request_headers(
    incoming: Iterable[tuple[bytes, bytes]], plan: HeaderPlan, replaced: frozenset[bytes]
) -> Headers:
    """The client's headers minus hop-by-hop, token and replaced ones; then the profile's."""
    incoming = list(incoming)
    dropped = replaced | connection_named(incoming) if _has_connection(incoming) else replaced
    out = [(name, value) for name, value in incoming if name not in dropped]
    if plan.credential is not None:
        out.append(plan.credential)
    out.extend(plan.fixed)
    for name, template in plan.computed:
        out.append((name, render(template).encode("latin-1")))
    return out


def render(template: str) -> str:
    for placeholder, compute in COMPUTED.items():
        if placeholder in template:
            template = template.replace(placeholder, compute())
    return template


def response_headers(incoming: Iterable[tuple[bytes, bytes]]) -> Headers:
    """The upstream's response headers minus hop-by-hop ones (content-encoding is kept)."""
    lowered = [(name.lower(), value) for name, value in incoming]
    dropped = HOP_BY_HOP | connection_named(lowered) if _has_connection(lowered) else HOP_BY_HOP
    return [(name, value) for name, value in lowered if name not in dropped]


def _has_connection(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(name == b"connection" for name, _ in headers)
