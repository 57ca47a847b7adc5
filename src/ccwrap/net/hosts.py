"""Which host names and addresses are this machine (pure, stdlib only)."""

from __future__ import annotations

import ipaddress

# Where the proxy listens and what claude is pointed at: an address, so no resolver is involved.
LOOPBACK = "127.0.0.1"
# Names a client may use for this machine (the proxy's Host check, the NO_PROXY additions).
LOOPBACK_NAMES = (LOOPBACK, "localhost")


def is_loopback(host: str) -> bool:
    """True for the name ``localhost`` and for literal loopback addresses: 127.0.0.0/8, ``::1``
    and ``::ffff:127.x.y.z``, with or without brackets, any case, a trailing dot allowed.

    The one rule used everywhere (the plain-http warning, "never through HTTPS_PROXY", doctor).
    ``*.localhost`` is not included: whether it resolves to this machine depends on the resolver
    (glibc without systemd-resolved sends it to DNS), and a key must not travel in clear on a guess.
    """
    name = host.strip().removeprefix("[").removesuffix("]").lower().rstrip(".")
    if name == "localhost":
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback
