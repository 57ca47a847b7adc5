"""``ccwrap run`` and ``ccwrap key`` without Typer: the two commands in front of every session.

Measured on this machine (docs/benchmarks.md, "Launch"): importing Typer costs ~40 ms, and Typer
0.29 validates every non-bool parameter through a pydantic TypeAdapter, which imports pydantic
(~70 ms more) on each call. ``run`` starts every Claude Code session and ``key`` runs at every
apiKeyHelper refresh, so their plain forms are parsed here by hand and Typer is never imported.

The parser is deliberately narrow: anything it does not recognise (``--help``, a typo, a
positional argument without ``--``, shell completion) returns None and the Typer app handles it,
so help, errors and completion stay Typer's. The Typer commands in ``run.py`` and ``key.py`` call
the same functions below, so both routes behave the same.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ccwrap.errors import CcwrapError, UsageError
from ccwrap.paths import Context

if TYPE_CHECKING:
    from ccwrap.claude_settings import SettingsFile
    from ccwrap.launch import LaunchPlan
    from ccwrap.profiles import Profile

Command = Callable[[], int]


def parse(argv: Sequence[str], environ: dict[str, str] | None = None) -> Command | None:
    """A ready-to-run command for the plain forms of ``run`` and ``key``, else None."""
    environ = dict(os.environ) if environ is None else environ
    if not argv or any(name.startswith("_CCWRAP_COMPLETE") for name in environ):
        return None
    if argv[0] == "run":
        return _parse_run(argv[1:])
    if argv[0] == "key":
        return _parse_key(argv[1:])
    return None


def _parse_run(args: Sequence[str]) -> Command | None:
    options: dict[str, Any] = {"profile": None, "proxy": None, "dry_run": False, "json": False}
    flags = {
        "--proxy": ("proxy", True),
        "--no-proxy": ("proxy", False),
        "--dry-run": ("dry_run", True),
        "--json": ("json", True),
    }
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            claude_args = list(args[index + 1 :])
            return lambda: run(
                options["profile"],
                options["proxy"],
                options["dry_run"],
                options["json"],
                claude_args,
            )
        if arg in flags:
            name, value = flags[arg]
            options[name] = value
        elif arg in ("--profile", "-p") and index + 1 < len(args):
            options["profile"] = args[index + 1]
            index += 1
        elif arg.startswith("--profile=") and len(arg) > len("--profile="):
            options["profile"] = arg.split("=", 1)[1]
        else:
            return None
        index += 1
    return lambda: run(
        options["profile"], options["proxy"], options["dry_run"], options["json"], []
    )


def _parse_key(args: Sequence[str]) -> Command | None:
    rest = [a for a in args if a != "--reveal"]
    if len(rest) != 1 or rest[0].startswith("-"):
        return None
    name, reveal = rest[0], "--reveal" in args

    def command() -> int:
        key(name, reveal)
        return 0

    return command


# -- the commands (the Typer wrappers call these too) ----------------------------------------------
def run(
    profile: str | None,
    proxy: bool | None,
    dry_run: bool,
    json_output: bool,
    claude_args: Sequence[str],
) -> int:
    """Parse → one core call → render; returns the exit status (exec does not return)."""
    from ccwrap.launch import launch, prepare_launch, wants_proxy
    from ccwrap.profiles import ProfileStore, resolve

    ctx = Context.from_os()
    chosen = resolve(ProfileStore(ctx.paths.config_file), profile, ctx.environ)
    if wants_proxy(chosen, proxy):
        require_proxy(chosen)
    plan = prepare_launch(ctx, chosen, claude_args)
    if dry_run:
        if json_output:
            sys.stdout.write(json.dumps(plan.to_dict(), indent=2, ensure_ascii=False) + "\n")
        else:
            sys.stdout.write(render_plan(plan) + "\n")
        return 0
    for message in plan.warnings:
        sys.stderr.write(f"ccwrap: warning: {message}\n")
    sys.stderr.flush()
    sys.stdout.flush()
    return launch(plan, ctx.paths.run_dir)


def require_proxy(profile: Profile) -> None:
    """Until the proxy exists, say so rather than launch without the proxy that was asked for."""
    import importlib

    try:
        proxy_module: Any = importlib.import_module("ccwrap.proxy")
    except ImportError:
        proxy_module = None
    if profile.proxy == "always":
        why = " (the profile says proxy = 'always')"
    elif profile.proxy == "auto" and (profile.model_map or profile.secret_headers):
        why = " (the profile's model_map or secret_headers need it)"
    else:
        why = ""
    if not hasattr(proxy_module, "start_background"):
        raise CcwrapError(
            f"the proxy is not available yet{why}", hint="run without it: ccwrap run --no-proxy"
        )
    # The proxy's branch replaces this: start it, then launch.supervise(...) while it runs.
    raise CcwrapError("ccwrap run --proxy is not wired to the proxy yet")


def key(name: str, reveal: bool) -> None:
    """Print a profile's key on stdout and nothing else (for apiKeyHelper)."""
    if sys.stdout.isatty() and not reveal:
        raise UsageError(
            "refusing to print a key to a terminal",
            hint=f"ccwrap key {name} is meant for apiKeyHelper; add --reveal to see it",
        )
    from ccwrap.profiles import ProfileStore
    from ccwrap.secrets import SecretStore

    ctx = Context.from_os()
    profile = ProfileStore(ctx.paths.config_file).get(name)
    secret = SecretStore(ctx).read(profile.name, profile.key)
    sys.stdout.write(secret)
    sys.stdout.flush()


def render_plan(plan: LaunchPlan) -> str:
    """The --dry-run text: command, key route, environment, settings files, warnings."""
    view = plan.to_dict()
    lines = [f"profile: {plan.profile}", f"command: {shlex.join(plan.shown_argv())}"]
    if plan.key_via == "apiKeyHelper":
        lines.append(f"key:     apiKeyHelper ({plan.settings.get('apiKeyHelper')})")
    else:
        lines.append(f"key:     {plan.key_via}")
    lines.append("environment set by ccwrap (also in --settings env):")
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
