"""``ccwrap inspect [PROFILE] [--json] [-- CLAUDE ARGS]``: what claude sends for a profile."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from ccwrap.cli.common import JsonOption, Services, complete_profile, print_json

if TYPE_CHECKING:
    from ccwrap.inspect.report import Report, RequestView

DEFAULT_TIMEOUT = 90.0
ClaudeArgs = typer.Argument(
    None, metavar="[-- CLAUDE_ARGS]...", help="claude options for the turn (after --)."
)


def register(app: typer.Typer) -> None:
    app.command("inspect")(inspect)


def inspect(
    profile: str | None = typer.Argument(
        None,
        help="Profile to inspect (default: $CCWRAP_PROFILE, then the default).",
        autocompletion=complete_profile,
    ),
    claude_args: list[str] | None = ClaudeArgs,
    json_output: bool = JsonOption,
    proxy: bool | None = typer.Option(
        None,
        "--proxy/--no-proxy",
        help="Through the loopback proxy or not (default: as `ccwrap run` decides).",
    ),
    timeout: float = typer.Option(
        DEFAULT_TIMEOUT, "--timeout", min=1.0, help="Seconds claude may take before it is stopped."
    ),
) -> None:
    """Run claude once as `ccwrap run` would, against a loopback stand-in gateway, and show
    every request it made: credential header, custom headers, betas, cache TTL, attribution
    block, discovery, and what contradicts the profile.

    Zero tokens: the real gateway is never contacted and the real key is never read (the
    stand-in gateway sees a stand-in credential). claude gets a fixed one-word -p prompt.
    """
    from ccwrap.inspect.runner import inspect_profile
    from ccwrap.profiles.store import resolve

    args = list(claude_args or ())
    if profile is not None and profile.startswith("-"):  # no profile name starts with "-"
        args, profile = [profile, *args], None
    services = Services.from_os()
    chosen = resolve(services.store, profile, services.ctx.environ)
    report = inspect_profile(services.ctx, chosen, args, proxy=proxy, timeout=timeout)
    if json_output:
        print_json(report.to_json())
    else:
        typer.echo(render(report))
    raise typer.Exit(1 if report.mismatches else 0)


def render(report: Report) -> str:
    route = "through ccwrap's proxy" if report.proxied else "direct (no proxy)"
    lines = [
        f"profile {report.profile} · claude {report.client_version or 'unknown version'} · {route}",
        "A stand-in gateway on 127.0.0.1 answered; it saw a stand-in credential (the real key "
        "was not read, the real gateway not contacted, no tokens spent).",
        "",
    ]
    for number, request in enumerate(report.requests, 1):
        lines += _request_lines(number, request)
    lines.append(f"discovery (GET /v1/models): {'yes' if report.discovery else 'no'}")
    if not report.mismatches:
        lines.append("mismatches with the profile: none")
    else:
        lines.append("mismatches with the profile:")
        lines += [f"  ✗ {m.id}: {m.detail}" for m in report.mismatches]
    lines += [f"note: {note}" for note in report.notes]
    if report.claude_error:
        lines.append("claude said (last lines of its stderr):")
        lines += [f"  {line}" for line in report.claude_error.splitlines()]
    return "\n".join(lines)


def _request_lines(number: int, request: RequestView) -> list[str]:
    target = f"{request.path}?{request.query}" if request.query else request.path
    lines = [f"{number}. {request.method} {target}  ({request.body_bytes} bytes)"]
    if not request.is_message:
        return lines
    from ccwrap.inspect.report import PLAIN_HEADERS

    credentials = [f"{k}: {v}" for k, v in request.headers.items() if k.lower() in
                   ("authorization", "x-api-key")]  # fmt: skip
    custom = [f"{k}: {v}" for k, v in request.headers.items() if k.lower() not in PLAIN_HEADERS]
    lines += [
        f"   model:             {request.model or '(none)'}",
        f"   auth:              {request.auth}"
        + (f" ({'; '.join(credentials)})" if credentials else ""),
        f"   anthropic-version: {request.anthropic_version or '(none)'}",
        f"   anthropic-beta:    {', '.join(request.betas) or '(none)'}",
        f"   user-agent:        {request.user_agent or '(none)'}",
        f"   cache_control ttl: {request.cache_ttl}",
        f"   attribution block: {'present' if request.attribution_block else 'absent'}",
        "   other headers:     " + (custom[0] if custom else "(none)"),
        *(f"                      {line}" for line in custom[1:]),
    ]
    return lines
