"""The upstream client: which transport carries the gateway leg, and how a request is sent.

fast_transport     aiohttp's client (aio.py, the `fast` extra), else httpcore on asyncio (netio.py)
env_proxy_applies  the user's HTTPS_PROXY for a gateway (then httpx's own transport tunnels)
make_client        the shared AsyncClient: pooled, keep-alive, short connect timeout, no read
                   timeout, no cookies
send_upstream      client.send without the layers a proxy does not use
"""

from __future__ import annotations

import ssl
from http.cookiejar import CookieJar, DefaultCookiePolicy
from urllib.parse import urlsplit
from urllib.request import getproxies, proxy_bypass

import httpx

from ccwrap.proxy.config import ProxyConfig
from ccwrap.proxy.netio import DirectTransport, UpstreamTransport

KEEPALIVE_EXPIRY = 60.0


def make_client(
    config: ProxyConfig, *, pooled: bool, ssl_context: ssl.SSLContext | None = None
) -> httpx.AsyncClient:
    """The upstream client: short connect timeout, none for reading (a live stream may be silent
    for minutes), no cookies kept between requests of possibly different clients.

    The transport is fast_transport's unless the user's ``HTTPS_PROXY`` applies to the upstream:
    then httpx's own, which knows how to tunnel through it.
    """
    keepalive = 64 if pooled else 0
    transport: httpx.AsyncBaseTransport | None = None
    if not env_proxy_applies(config.upstream):
        transport = fast_transport(config, ssl_context or httpx.create_ssl_context(), keepalive)
    return httpx.AsyncClient(
        transport=transport,
        timeout=httpx.Timeout(None, connect=config.connect_timeout),
        limits=httpx.Limits(
            max_connections=None,
            max_keepalive_connections=keepalive,
            keepalive_expiry=KEEPALIVE_EXPIRY,
        ),
        cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
        follow_redirects=False,
    )


async def send_upstream(client: httpx.AsyncClient, request: httpx.Request) -> httpx.Response:
    """``client.send(request, stream=True)``, minus what a proxy does not use.

    With the proxy's own transport the request goes straight to it: ``send`` would add auth and
    redirect layers and copy every response's headers into an ``email.message`` for the cookie
    jar (~80 µs a request here, issue 5's budget is 1.2 ms). httpx's own transport (the
    HTTPS_PROXY case) routes per URL, so it keeps ``send``.
    """
    transport = client._transport  # the one make_client passed in; httpx keeps no public handle
    if isinstance(transport, DirectTransport):
        request.extensions = {**request.extensions, "timeout": client.timeout.as_dict()}
        return await transport.handle_async_request(request)
    return await client.send(request, stream=True)


def fast_transport(
    config: ProxyConfig, ssl_context: ssl.SSLContext, keepalive: int
) -> httpx.AsyncBaseTransport:
    """aiohttp's client when installed (the `fast` extra), else httpcore on asyncio (netio)."""
    if config.transport != "httpcore":
        try:
            from ccwrap.proxy.aio import AiohttpTransport
        except ImportError:
            pass
        else:
            return AiohttpTransport(
                ssl_context=ssl_context,
                max_keepalive=keepalive,
                keepalive_expiry=KEEPALIVE_EXPIRY,
                connect_timeout=config.connect_timeout,
            )
    return UpstreamTransport(
        ssl_context=ssl_context, max_keepalive=keepalive, keepalive_expiry=KEEPALIVE_EXPIRY
    )


def env_proxy_applies(url: str) -> str | None:
    """The user's HTTP(S)_PROXY for this upstream, if any (never for a loopback upstream: a
    proxy elsewhere cannot reach this machine's 127.0.0.1)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if host in {"localhost", "::1"} or host.startswith("127."):
        return None
    proxies = getproxies()
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    return proxy if proxy and not proxy_bypass(host) else None
