"""``ccwrap capture list|show|diff``: the exchanges ``run --proxy --capture`` and
``proxy --capture`` kept (redacted when written) under the state folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from ccwrap.cli.common import JsonOption, Services, info, print_json

app = typer.Typer(help="Captured requests and responses (ccwrap run --proxy --capture).")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="capture")


@app.command("list")
def list_captures(json_output: bool = JsonOption) -> None:
    """One line per capture, oldest first."""
    from ccwrap.capture import store
    from ccwrap.text import escape_control

    rows = store.summaries(Services.from_os().ctx.paths)
    if json_output:
        print_json({"version": 1, "captures": rows})
        return
    if not rows:
        typer.echo("no captures yet: ccwrap run --proxy --capture (or ccwrap proxy --capture)")
        return
    for row in rows:
        if "error" in row:
            typer.echo(f"{row['id']}  {escape_control(row['error'])}")
            continue
        typer.echo(
            escape_control(
                f"{row['id']}  {row['time']}  {row['profile'] or '-'}  {row['method']} "
                f"{row['path']}  {row['model'] or '-'}  → {row['status']}  "
                f"{row['request_bytes']} B / {row['response_bytes']} B"
            )
        )


CaptureId = typer.Argument(..., metavar="ID", help="A capture id (or a unique part of one).")


@app.command("show")
def show(capture_id: str = CaptureId, json_output: bool = JsonOption) -> None:
    """One exchange: request headers and body, response, usage."""
    from ccwrap.capture import store
    from ccwrap.text import escape_control

    data = store.load(Services.from_os().ctx.paths, capture_id)
    if json_output:
        print_json(data)
        return
    request, response = data.get("request") or {}, data.get("response") or {}
    lines = [
        f"capture {data.get('id')}  {data.get('time')}  profile {data.get('profile') or '-'}",
        f"{request.get('method')} {request.get('target')}",
        *(f"  {name}: {value}" for name, value in request.get("headers") or []),
        "request body:",
        _body_text(request.get("body")),
        f"response: {response.get('status')}" + ("  (cut off)" if response.get("cut") else ""),
        *(f"  {name}: {value}" for name, value in response.get("headers") or []),
    ]
    if response.get("message") is not None:
        lines += ["response (events reassembled):", json.dumps(response["message"], indent=2)]
    else:
        lines += ["response body:", _body_text(response.get("body"))]
    lines.append(f"usage: {json.dumps(response.get('usage'))}")
    typer.echo("\n".join(escape_control(line) if "\n" not in line else _escape_lines(line)
                         for line in lines))  # fmt: skip


def _escape_lines(text: str) -> str:
    from ccwrap.text import escape_control

    return "\n".join(escape_control(line) for line in text.splitlines())


def _body_text(body: Any) -> str:
    from ccwrap.capture import store

    if not isinstance(body, dict):
        return "(none)"
    shown = store.body_text(body)
    if body.get("truncated"):
        shown += f"\n… (cut: {body.get('bytes')} bytes in all)"
    return shown


OutputOption = typer.Option(
    None, "--output", "-o", help="The HTML file to write (default: ID.html here)."
)


@app.command("export")
def export(
    capture_id: str = CaptureId,
    output: Path | None = OutputOption,
) -> None:
    """One capture as a self-contained HTML file (no script, no network) to open in a browser."""
    from ccwrap.capture import store
    from ccwrap.capture.export import render
    from ccwrap.fsutil import atomic_write

    services = Services.from_os()
    data = store.load(services.ctx.paths, capture_id)
    target = output or services.ctx.cwd / f"{data.get('id')}.html"
    atomic_write(target, render(data).encode("utf-8"), mode=0o600)
    info(f"wrote {target} (it holds the prompt: keep it private)")


@app.command("diff")
def diff(
    first: str = typer.Argument(..., metavar="ID1"),
    second: str = typer.Argument(..., metavar="ID2"),
    json_output: bool = JsonOption,
) -> None:
    """What changed between two requests: system blocks, tools, messages, cache_control."""
    from ccwrap.capture import store
    from ccwrap.capture.diff import diff as compare
    from ccwrap.text import escape_control

    paths = Services.from_os().ctx.paths
    a, b = store.load(paths, first), store.load(paths, second)
    changes = compare(
        store.body_json((a.get("request") or {}).get("body")),
        store.body_json((b.get("request") or {}).get("body")),
    )
    if json_output:
        print_json({"version": 1, "from": a.get("id"), "to": b.get("id"), "changes": changes})
        return
    typer.echo(f"from {a.get('id')} to {b.get('id')}")
    for section, lines in changes.items():
        shown = ", ".join(lines) if section == "other_fields" else "; ".join(lines)
        typer.echo(escape_control(f"  {section}: {shown or 'unchanged'}"))


@app.command("bisect")
def bisect(
    capture_id: str = CaptureId,
    yes: bool = typer.Option(False, "--yes", "-y", help="Spend without asking."),
    timeout: float = typer.Option(60.0, "--timeout", min=1.0, help="Seconds per request."),
) -> None:
    """Find the beta header or beta body field a gateway refused with 400: re-send the captured
    request with max_tokens 1, each one removed in turn (a few tokens, asked first)."""
    import sys

    from ccwrap.capture import bisect as core
    from ccwrap.capture import store
    from ccwrap.errors import UsageError
    from ccwrap.text import escape_control

    services = Services.from_os()
    data = store.load(services.ctx.paths, capture_id)
    core.check_refused(data)  # before any key is read
    profile = services.store.get(str(data.get("profile") or ""))
    plan = core.plan(data, profile, _credentials(services, profile))
    info(
        f"bisect re-sends capture {data.get('id')} to {escape_control(plan.url)} up to "
        f"{len(plan.candidates) + 2} times with max_tokens 1: it spends a few tokens"
    )
    if not yes:
        if not sys.stdin.isatty():
            raise UsageError(
                "bisect spends tokens and there is no terminal to ask", hint="add --yes"
            )
        if not typer.confirm("Send them?", default=False, err=True):
            raise typer.Exit(1)
    outcome = core.run(plan, _sender(services, timeout), profile=profile.name)
    for label, status in outcome.tried:
        typer.echo(escape_control(f"  {label}: {status}"))
    if outcome.baseline != 400:
        typer.echo(f"the gateway now answers {outcome.baseline}: the refusal does not reproduce")
        return
    if outcome.culprits:
        names = ", ".join(str(c) for c in outcome.culprits)
        typer.echo(escape_control(f"the gateway refuses: {names}"))
    else:
        typer.echo(escape_control(f"no single beta explains the 400: {outcome.error}"))
    if outcome.fix:
        typer.echo(escape_control(f"fix: {outcome.fix}"))
    raise typer.Exit(0 if outcome.culprits or outcome.fix else 1)


def _credentials(services: Services, profile: Any) -> dict[str, str]:
    from ccwrap.proxy.config import secret_header_account

    found: dict[str, str] = {}
    if profile.auth != "none":
        key = services.secrets.read(profile.name, profile.key)
        found["authorization" if profile.auth == "bearer" else "x-api-key"] = (
            f"Bearer {key}" if profile.auth == "bearer" else key
        )
    for name, spec in profile.secret_headers.items():
        found[name] = services.secrets.read(secret_header_account(profile.name, name), spec)
    return found


def _sender(services: Services, timeout: float) -> Any:
    import httpx

    from ccwrap.errors import GatewayError

    def send(url: str, headers: list[tuple[str, str]], body: bytes) -> tuple[int, str]:
        try:
            with httpx.Client(trust_env=False, timeout=timeout, follow_redirects=False) as client:
                answer = client.post(url, headers=headers, content=body)
        except httpx.HTTPError as exc:
            raise GatewayError(f"the gateway could not be reached: {type(exc).__name__}") from exc
        return answer.status_code, answer.text[:2000]

    return send
