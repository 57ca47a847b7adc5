"""The loopback proxy between Claude Code and the profile's gateway (docs/proxy.md).

Only :mod:`ccwrap.proxy.config` and :mod:`ccwrap.proxy.server` are light to import; the rest pulls
in uvicorn and the upstream's client library and is imported only once a proxy is really started.

    config     ProxyConfig: what one proxy session forwards where, with which key (stdlib only)
    policy     which requests may pass: Host, route, session token, upstream URL (pure)
    headers    request and response header rewriting (pure)
    hooks      the hook interface: prepare a request, watch an answer as it passes (pure)
    model_map  model renaming in request bodies and in /v1/models, and its hook (pure)
    failures   an upstream exception → an Anthropic-shaped error (pure, from ccwrap.net.failures)
    upstream/  the transport contract (base.py) and its httpcore and aiohttp implementations
    app        the forwarder and the plain ASGI app with its lifespan
    server     a pre-bound 127.0.0.1 socket, uvicorn in the foreground or in a thread
    session    ``ccwrap run --proxy``: claude behind a proxy that lives as long as it does
"""
