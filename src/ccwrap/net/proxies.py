"""Which forward proxy a request to a URL goes through, from an injected environment (pure).

The rule is the client's (Claude Code's runtime reads the same variables): ``HTTPS_PROXY`` for
https URLs, ``HTTP_PROXY`` for http ones (upper case first, then lower case); ``NO_PROXY`` lists
hosts that go direct (``*`` for all; ``example.com`` and ``.example.com`` cover the domain and its
subdomains; ``host:port`` only that port). A loopback host never goes through a proxy: a proxy
elsewhere cannot reach this machine's 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from ccwrap.net.hosts import is_loopback


def proxy_for(url: str, environ: Mapping[str, str]) -> str | None:
    """The proxy URL that applies to ``url`` in ``environ``, or None (direct)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not host or is_loopback(host) or bypassed(host, _port(parts.scheme, parts.port), environ):
        return None
    names = (
        ("HTTPS_PROXY", "https_proxy") if parts.scheme == "https" else ("HTTP_PROXY", "http_proxy")
    )
    return next((environ[n].strip() for n in names if environ.get(n, "").strip()), None)


def bypassed(host: str, port: int, environ: Mapping[str, str]) -> bool:
    """True when ``NO_PROXY`` (or ``no_proxy``) sends ``host:port`` direct."""
    listed = environ.get("NO_PROXY") or environ.get("no_proxy") or ""
    for raw in listed.split(","):
        entry = raw.strip().lower()
        if not entry:
            continue
        if entry == "*":
            return True
        name, only_port = _entry(entry)
        if only_port is not None and only_port != port:
            continue
        name = name.removeprefix("*").lstrip(".")
        if name and (host == name or host.endswith("." + name)):
            return True
    return False


def without_credentials(proxy: str) -> str:
    """``http://user:pw@proxy:3128`` → ``proxy:3128``: what messages may name."""
    return urlsplit(proxy).netloc.rpartition("@")[2] or proxy


def _entry(entry: str) -> tuple[str, int | None]:
    if entry.startswith("["):  # [::1]:8080
        address, _, rest = entry[1:].partition("]")
        port = rest.removeprefix(":")
        return address, int(port) if port.isdigit() else None
    name, sep, port = entry.rpartition(":")
    if sep and port.isdigit() and ":" not in name:
        return name, int(port)
    return entry, None


def _port(scheme: str, port: int | None) -> int:
    return port if port is not None else (443 if scheme == "https" else 80)
