"""The proxy's gateway leg: one transport contract (base.py) and its two implementations.

base.py                the contract: UpstreamRequest/Response, Transport, UpstreamError
httpcore_transport.py  httpcore + h11 on plain asyncio protocols (the default install)
aiohttp_transport.py   aiohttp's client (the `fast` extra): C parser, whole reads at once
"""

from __future__ import annotations

import ssl
from typing import Any

from ccwrap.proxy.upstream.base import Transport

KEEPALIVE = 64
KEEPALIVE_EXPIRY = 60.0


def make_transport(
    choice: str, *, ssl_context: ssl.SSLContext, connect_timeout: float, forward_proxy: str | None
) -> Transport:
    """aiohttp's when installed and ``choice`` is not ``httpcore``, else httpcore's."""
    options: dict[str, Any] = {
        "ssl_context": ssl_context,
        "max_keepalive": KEEPALIVE,
        "keepalive_expiry": KEEPALIVE_EXPIRY,
        "connect_timeout": connect_timeout,
        "forward_proxy": forward_proxy,
    }
    if choice != "httpcore":
        try:
            from ccwrap.proxy.upstream.aiohttp_transport import AiohttpTransport
        except ImportError:
            pass
        else:
            return AiohttpTransport(**options)
    from ccwrap.proxy.upstream.httpcore_transport import HttpcoreTransport

    return HttpcoreTransport(**options)
