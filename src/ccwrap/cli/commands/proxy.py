"""``ccwrap proxy``: the loopback proxy in the foreground, for clients other than ``ccwrap run``."""

from __future__ import annotations

import sys

import typer

from ccwrap.cli.common import ProfileOption, Services


def register(app: typer.Typer) -> None:
    app.command("proxy")(proxy)


def proxy(
    profile: str | None = ProfileOption,
    port: int = typer.Option(
        0, "--port", min=0, max=65535, metavar="PORT", help="Port (default: a free one)."
    ),
    capture: bool = typer.Option(
        False, "--capture", help="Keep each request and response (redacted): ccwrap capture."
    ),
) -> None:
    """Run the loopback proxy in the foreground until Ctrl-C.

    Once it listens, it prints the two lines a client needs (eval them in a shell); one log line
    per request goes to stderr. The real key stays in this process: clients get a session token.
    """
    from ccwrap.profiles.store import resolve
    from ccwrap.proxy.config import ProxyConfig
    from ccwrap.proxy.server import serve_foreground

    services = Services.from_os()
    chosen = resolve(services.store, profile, services.ctx.environ, services.ctx.cwd, force=True)
    config = ProxyConfig.from_profile(chosen, services.secrets, environ=services.ctx.environ)
    if not capture:
        serve_foreground(config, port=port, on_ready=_print_exports)
        return
    from ccwrap.capture.hook import capture_hook

    hook = capture_hook(services.ctx.paths, config)
    try:
        serve_foreground(config, port=port, on_ready=_print_exports, hooks=[hook])
    finally:
        hook.close()


def _print_exports(base_url: str, token: str) -> None:
    # stdout carries only these lines, so `eval "$(ccwrap proxy)"`-style use and scripts work.
    sys.stdout.write(f"export ANTHROPIC_BASE_URL={base_url}\nexport ANTHROPIC_AUTH_TOKEN={token}\n")
    sys.stdout.flush()
    sys.stderr.write("ccwrap proxy: ready; Ctrl-C stops it\n")
    sys.stderr.flush()
