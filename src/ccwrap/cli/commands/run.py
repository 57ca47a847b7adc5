"""``ccwrap run``: launch claude on a profile (see ccwrap.launch.process for how the profile wins).

Typer is imported only in :func:`register`: the plain forms of ``ccwrap run`` reach
:func:`run_command` through ``cli.hot`` without it (it runs before every Claude Code session).
Both routes run the same code.
"""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ccwrap.context import Context
from ccwrap.errors import UsageError

if TYPE_CHECKING:
    import typer

    from ccwrap.claude.settings_files import SettingsFile
    from ccwrap.launch.process import LaunchPlan
    from ccwrap.profiles.store import Choice


def register(app: typer.Typer) -> None:
    import typer

    from ccwrap.cli.common import JsonOption, ProfileOption

    claude_args_argument = typer.Argument(
        None,
        metavar="[-- CLAUDE_ARGS...]",
        help="Arguments for claude, after -- (passed unchanged).",
    )

    def run(
        *,
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
        force: bool = typer.Option(
            False, "--force", help="Use --profile even inside a folder bound to another profile."
        ),
        claude_args: list[str] | None = claude_args_argument,
    ) -> None:
        """Launch Claude Code on a profile; claude's exit code is ccwrap's.

        Without --profile: the folder's binding (ccwrap bind), then $CCWRAP_PROFILE, then the
        default.
        """
        raise typer.Exit(
            run_command(profile, proxy, dry_run, json_output, claude_args or [], force=force)
        )

    app.command("run")(run)


def run_command(
    profile: str | None,
    proxy: bool | None,
    dry_run: bool,
    json_output: bool,
    claude_args: Sequence[str],
    *,
    force: bool = False,
) -> int:
    """Parse → one core call → render; returns the exit status (exec does not return)."""
    from ccwrap.cli.commands.bind import choose_profile
    from ccwrap.launch.process import launch, prepare_launch, wants_proxy
    from ccwrap.profiles.store import ProfileStore

    if json_output and not dry_run:
        raise UsageError("--json goes with --dry-run", hint="ccwrap run --dry-run --json")
    ctx = Context.from_os()
    choice = choose_profile(ctx, ProfileStore(ctx.paths.config_file), profile, force=force)
    chosen = choice.profile
    if wants_proxy(chosen, proxy):
        return _run_behind_proxy(ctx, choice, claude_args, dry_run, json_output)
    plan = prepare_launch(ctx, chosen, claude_args)
    if dry_run:
        _print_plan(plan, json_output, choice)
        return 0
    for message in plan.warnings:
        sys.stderr.write(f"ccwrap: warning: {message}\n")
    sys.stderr.flush()
    sys.stdout.flush()
    return launch(plan, ctx.paths.run_dir)


def _print_plan(plan: LaunchPlan, json_output: bool, choice: Choice) -> None:
    if json_output:
        view = plan.to_dict()
        view["chosen_by"] = {"reason": choice.reason}
        if choice.binding is not None:
            view["chosen_by"]["binding"] = choice.binding.to_dict()
        sys.stdout.write(json.dumps(view, indent=2, ensure_ascii=False) + "\n")
    else:
        lines = render_plan(plan).split("\n", 1)
        lines.insert(1, f"chosen by: {chosen_by(choice)}")
        sys.stdout.write("\n".join(lines) + "\n")


def chosen_by(choice: Choice) -> str:
    """Why this profile, in words: the binding's file or config entry, a flag, a variable."""
    if choice.reason == "binding" and choice.binding is not None:
        return f"binding {choice.binding.origin}"
    if choice.reason == "--profile" and choice.binding is not None:
        return f"--profile (forced; the folder is bound to {choice.binding.profile!r})"
    return choice.reason


DRY_RUN_TOKEN = "<session token>"  # noqa: S105 - a placeholder shown by --dry-run


def _run_behind_proxy(
    ctx: Context, choice: Choice, args: Sequence[str], dry_run: bool, json_output: bool
) -> int:
    """The proxy path: ccwrap stays alive beside claude (see ccwrap.proxy.session)."""
    from ccwrap.keys.sources import SecretStore
    from ccwrap.proxy import session

    profile = choice.profile
    if dry_run:
        # Nothing starts and no key is read: the URL and the token are placeholders.
        plan = session.plan_behind_proxy(
            ctx, profile, args, base_url="http://127.0.0.1:<port>", token=DRY_RUN_TOKEN, key=None
        )
        _print_plan(plan, json_output, choice)
        return 0
    sys.stderr.flush()
    sys.stdout.flush()
    return session.run_behind_proxy(ctx, SecretStore(ctx), profile, args)


def render_plan(plan: LaunchPlan) -> str:
    """The --dry-run text: command, key route, environment, settings files, warnings."""
    from ccwrap.launch.plan import KEY_COPY_VARIABLE

    view = plan.to_dict()
    lines = [f"profile: {plan.profile}", f"command: {shlex.join(plan.shown_argv())}"]
    how = {
        "apiKeyHelper": f"apiKeyHelper, not read by run ({plan.settings.get('apiKeyHelper')})",
        "environment": f"apiKeyHelper printing ${KEY_COPY_VARIABLE}, a copy of the key source",
        "settings": "in the 0600 settings file",
        "placeholder": "none (auth = none: a placeholder bearer token, so claude starts)",
    }
    lines.append(f"key:     {how[plan.key_via]}")
    lines.append("environment set by ccwrap (and in the --settings env):")
    lines += [f"  {name}={value}" for name, value in view["env"].items()]
    lines.append("settings files (highest precedence first):")
    for settings_file in plan.files:
        lines.append(
            f"  {settings_file.scope:<8} {settings_file.path}  [{_state(plan, settings_file)}]"
        )
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
    return "\n".join(lines)


def _state(plan: LaunchPlan, settings_file: SettingsFile) -> str:
    names = [o.name for o in plan.overridden if o.path == settings_file.path]
    if settings_file.error is not None:
        return "invalid JSON"
    if not settings_file.exists:
        return "not present"
    if settings_file.scope == "managed":
        return "present (cannot be overridden)"
    if names:
        return f"overridden: {', '.join(names)}"
    return "present, nothing to override"
