"""The loopback proxy between Claude Code and the profile's gateway (docs/design.md, "The proxy").

Only :mod:`ccwrap.proxy.config` and :mod:`ccwrap.proxy.server` are light to import; the rest pulls
in httpx, starlette and uvicorn and is imported only once a proxy is really started.

    config     ProxyConfig: what one proxy session forwards where, with which key (stdlib only)
    policy     which requests may pass: Host, route, session token, upstream URL (pure)
    headers    request and response header rewriting (pure)
    model_map  model renaming in request bodies and in /v1/models (pure)
    failures   an upstream exception → an Anthropic-shaped error (pure)
    app        the ASGI forwarder and the Starlette app factory (httpx, starlette)
    server     a pre-bound 127.0.0.1 socket, uvicorn in the foreground or in a thread
"""
