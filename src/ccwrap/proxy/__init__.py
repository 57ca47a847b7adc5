"""The loopback proxy between Claude Code and the profile's gateway (design.md, "The proxy").

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

from __future__ import annotations

import sys
import types


def _without_httpx_cli() -> None:
    """Keep httpx from importing its command-line tool.

    ``import httpx`` imports ``httpx._main`` (click, rich, pygments) whenever click is installed,
    and Typer installs it: measured here, +19 MB of RSS and ~40 ms per import, most of the
    proxy's memory target (issue 5: peak RSS ≤ 60 MB). ccwrap never runs httpx's CLI, so the
    proxy registers an empty module under that name before httpx is first imported.
    """
    if "httpx" in sys.modules or "httpx._main" in sys.modules:
        return
    stub = types.ModuleType("httpx._main")

    def main() -> None:
        raise SystemExit("the httpx command line is not available inside ccwrap")

    stub.main = main  # type: ignore[attr-defined]
    sys.modules["httpx._main"] = stub


_without_httpx_cli()
