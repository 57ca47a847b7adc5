"""``ccwrap run``: launch claude on a profile (see ccwrap.launch for how the profile wins)."""

from __future__ import annotations

import shlex
import sys

import typer

from ccwrap.cli.common import JsonOption, ProfileOption, Services, print_json, warn
from ccwrap.launch import LaunchPlan, launch, prepare_launch, wants_proxy
from ccwrap.profiles import Profile, resolve

ClaudeArgs = typer.Argument(
    None, metavar="[-- CLAUDE_ARGS...]", help="Arguments for claude, after -- (passed unchanged)."
)


DRY_RUN_TOKEN = "<session token>"  # noqa: S105 - a placeholder shown by --dry-run


def register(app: typer.Typer) -> None:
    app.command("run")(run)


def run(
    profile: str | None = ProfileOption,
    proxy: bool | None = typer.Option(
        None,
        "--proxy/--no-proxy",
        help="Run claude behind the loopback proxy (default: the profile's proxy setting).",
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Print the command and environment instead of running claude."
    ),
    json_output: bool = JsonOption,
    claude_args: list[str] | None = ClaudeArgs,
) -> None:
    """Launch Claude Code on a profile; claude's exit code is ccwrap's."""
    services = Services.from_os()
    chosen = resolve(services.store, profile, services.ctx.environ)
    if wants_proxy(chosen, proxy):
        _run_behind_proxy(services, chosen, claude_args or [], dry_run, json_output)
        return
    plan = prepare_launch(services.ctx, chosen, claude_args or [])
    if dry_run:
        print_json(plan.to_dict()) if json_output else render(plan)
        return
    for message in plan.warnings:
        warn(message)
    sys.stderr.flush()
    sys.stdout.flush()
    raise typer.Exit(launch(plan, services.ctx.paths.run_dir))


def _run_behind_proxy(
    services: Services, profile: Profile, args: list[str], dry_run: bool, json_output: bool
) -> None:
    """The proxy path: ccwrap stays alive beside claude (see ccwrap.proxy.session)."""
    from ccwrap.proxy import session

    if dry_run:
        # Nothing starts and no key is read: the URL and token are placeholders.
        plan = session.plan_behind_proxy(
            services.ctx,
            profile,
            args,
            base_url="http://127.0.0.1:<port>",
            token=DRY_RUN_TOKEN,
            key=None,
        )
        print_json(plan.to_dict()) if json_output else render(plan)
        return
    sys.stderr.flush()
    sys.stdout.flush()
    raise typer.Exit(session.run_behind_proxy(services.ctx, services.secrets, profile, args))


def render(plan: LaunchPlan) -> None:
    lines = [f"profile: {plan.profile}", f"command: {shlex.join(plan.shown_argv())}"]
    if plan.key_via == "apiKeyHelper":
        lines.append(f"key:     apiKeyHelper ({plan.settings.get('apiKeyHelper')})")
    else:
        lines.append(f"key:     {plan.key_via}")
    lines.append("environment set by ccwrap (also in --settings env):")
    lines += [f"  {name}={value}" for name, value in plan.to_dict()["env"].items()]
    lines.append("settings files (highest precedence first):")
    for settings_file in plan.files:
        names = [o.name for o in plan.overridden if o.path == settings_file.path]
        if settings_file.error is not None:
            state = "invalid JSON"
        elif not settings_file.exists:
            state = "not present"
        elif settings_file.scope == "managed":
            state = "present (cannot be overridden)"
        elif names:
            state = f"overridden: {', '.join(names)}"
        else:
            state = "present, nothing to override"
        lines.append(f"  {settings_file.scope:<8} {settings_file.path}  [{state}]")
    shell = [
        o.name for o in plan.overridden if o.source == "environment" and o.name not in plan.cleared
    ]
    if shell:
        lines.append(f"shell exports overridden: {', '.join(shell)}")
    if plan.cleared:
        lines.append(f"cleared (set elsewhere, not by the profile): {', '.join(plan.cleared)}")
    if plan.user_settings:
        lines.append(f"your --settings merged in (your keys win): {plan.user_settings}")
    lines += [f"warning: {message}" for message in plan.warnings]
    sys.stdout.write("\n".join(lines) + "\n")
