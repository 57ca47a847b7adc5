"""What one proxy session forwards, where, and with which key (stdlib only: cheap to import)."""

from __future__ import annotations

import secrets as _random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ccwrap.claude.env import check_header
from ccwrap.errors import ConfigError
from ccwrap.launch.plan import PLACEHOLDERS, needs_proxy
from ccwrap.profiles.store import AuthMode, Profile

if TYPE_CHECKING:
    from ccwrap.keys.sources import SecretStore

TOKEN_PREFIX = "ccwrap-session-"  # noqa: S105 -- a prefix that says what the value is, not a secret
CONNECT_TIMEOUT = 10.0
# A body read whole (small, or a listing a hook rewrites) must be complete this long after its
# head: its length is known or it is a listing, so a gateway trickling it is broken (a 504).
WHOLE_DEADLINE = 30.0
TRANSPORT_VARIABLE = "CCWRAP_PROXY_TRANSPORT"
SERVER_VARIABLE = "CCWRAP_PROXY_SERVER"
# PLACEHOLDERS and needs_proxy live in ccwrap.launch.plan (whether a launch needs the proxy is
# the launch's decision; proxy → launch, never the other way); re-exported here.
__all__ = ["PLACEHOLDERS", "ProxyConfig", "needs_proxy", "new_session_token"]


def new_session_token() -> str:
    return TOKEN_PREFIX + _random.token_urlsafe(32)


@dataclass(frozen=True)
class ProxyConfig:
    upstream: str
    auth: AuthMode = "bearer"
    # The real key, read once at proxy start; it never leaves this process except upstream.
    key: str | None = field(default=None, repr=False)
    headers: Mapping[str, str] = field(default_factory=dict)
    secret_headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    model_map: Mapping[str, str] = field(default_factory=dict)
    token: str = field(default_factory=new_session_token, repr=False)
    connect_timeout: float = CONNECT_TIMEOUT
    whole_deadline: float = WHOLE_DEADLINE
    profile: str = ""
    # "auto": aiohttp's client when installed, else httpcore; "httpcore" forces the latter.
    transport: str = "auto"
    # "auto": uvloop + httptools when installed (the `fast` extra); "asyncio": the standard
    # event loop + h11 even so, as on the default install (tests and benchmarks pick both).
    server: str = "auto"
    # The injected environment: HTTP(S)_PROXY/NO_PROXY (ccwrap.net.proxies) and the extra CA
    # files (ccwrap.net.tls) are read from it, never from os.environ.
    environ: Mapping[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def from_profile(
        cls,
        profile: Profile,
        secrets: SecretStore,
        *,
        token: str | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> ProxyConfig:
        """Read the key and the secret header values now, so a missing one fails before start."""
        key = secrets.read(profile.name, profile.key) if profile.auth != "none" else None
        secret_values = {
            name: secrets.read(secret_header_account(profile.name, name), spec)
            for name, spec in profile.secret_headers.items()
        }
        for name, value in {**profile.headers, **secret_values}.items():
            check_header(name, value)
        return cls(
            upstream=profile.base_url,
            auth=profile.auth,
            key=key,
            headers=dict(profile.headers),
            secret_headers=secret_values,
            model_map=dict(profile.model_map),
            token=token or new_session_token(),
            profile=profile.name,
            transport=(environ or {}).get(TRANSPORT_VARIABLE, "auto"),
            server=(environ or {}).get(SERVER_VARIABLE, "auto"),
            environ=dict(environ or {}),
        )


def secret_header_account(profile: str, header: str) -> str:
    """The keyring user under which a secret header of ``profile`` is kept (``work/X-Sig``)."""
    return f"{profile}/{header}"


def validate_upstream(url: str) -> None:
    from ccwrap.proxy.policy import upstream_base

    try:
        upstream_base(url)
    except ValueError as exc:
        raise ConfigError(
            f"the proxy cannot forward to {url!r}", hint="base_url must be an http(s) URL"
        ) from exc
