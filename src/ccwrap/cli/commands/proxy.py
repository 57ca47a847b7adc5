"""``ccwrap proxy``: the loopback proxy in the foreground, for clients other than ``ccwrap run``."""

from __future__ import annotations

import signal
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
    from ccwrap.proxy.ledger_hook import ledger_hooks
    from ccwrap.proxy.server import serve_foreground

    services = Services.from_os()
    chosen = resolve(services.store, profile, services.ctx.environ, services.ctx.cwd, force=True)
    config = ProxyConfig.from_profile(chosen, services.secrets, environ=services.ctx.environ)
    hooks, close_ledger = ledger_hooks(
        services.ctx.paths, services.ctx.environ, profile=chosen.name, model_map=chosen.model_map
    )
    captures = []
    if capture:
        from ccwrap.capture.hook import capture_hook

        captures.append(capture_hook(services.ctx.paths, config))
    # uvicorn re-raises the SIGTERM it handled once it has shut down; with the default action
    # that would end the process before the ledger's last rows are written.
    previous = signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        serve_foreground(config, port=port, on_ready=_print_exports, hooks=[*hooks, *captures])
    finally:
        close_ledger()  # the rows of the last requests
        for hook in captures:
            hook.close()
        signal.signal(signal.SIGTERM, previous)


def _exit_on_sigterm(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def _print_exports(base_url: str, token: str) -> None:
    # stdout carries only these lines, so `eval "$(ccwrap proxy)"`-style use and scripts work.
    sys.stdout.write(f"export ANTHROPIC_BASE_URL={base_url}\nexport ANTHROPIC_AUTH_TOKEN={token}\n")
    sys.stdout.flush()
    sys.stderr.write("ccwrap proxy: ready; Ctrl-C stops it\n")
    sys.stderr.flush()
