"""``ccwrap run [PROFILE] [CLAUDE ARGS…]``: launch claude on a profile.

Every argument ``run`` does not own goes to claude unchanged, as ``uv run`` and ``pipx run`` pass
theirs: ``ccwrap run -p "explain this repo"`` is claude's print mode, ``ccwrap run work --model
opus`` runs claude with ``--model opus`` on the profile ``work``. ``run`` owns only the options in
:data:`OWN_FLAGS` and :data:`OWN_VALUE_OPTIONS`, ``-h``/``--help``, one leading PROFILE and a
``--`` (after which everything is claude's, even ccwrap's option names). The first argument it does
not own ends ccwrap's part: everything from there on is claude's, in order.

The one parser is :func:`parse_fast`: the fast route (``cli.fast_route``) calls it without
importing Typer; the Typer command (:func:`register`, there for
``--help`` and completion) hands the raw arguments to the same parser. Both build a
:class:`RunRequest` and :func:`execute` runs it.
"""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ccwrap.context import Context
from ccwrap.errors import ProfileNotFound, UsageError

if TYPE_CHECKING:
    import typer

    from ccwrap.claude.settings_files import SettingsFile
    from ccwrap.launch.process import LaunchPlan
    from ccwrap.ledger.launches import Launch
    from ccwrap.profiles.store import Choice, Profile
    from ccwrap.proxy import session
    from ccwrap.proxy.config import ProxyConfig
    from ccwrap.proxy.hooks import Hook

# ccwrap's own options inside ``run`` (everything else is claude's).
OWN_FLAGS: dict[str, tuple[str, bool]] = {
    "--proxy": ("proxy", True),
    "--no-proxy": ("proxy", False),
    "--dry-run": ("dry_run", True),
    "--json": ("json", True),
    "--force": ("force", True),
    "--capture": ("capture", True),
}
OWN_VALUE_OPTIONS = ("--profile",)
HELP_OPTIONS = ("-h", "--help")
CLAUDE_ARGS_HINT = (
    "ccwrap run [OPTIONS] [PROFILE] [CLAUDE ARGS...]: ccwrap's options come first, and every "
    "argument ccwrap does not own goes to claude unchanged (after -- always)"
)
REQUEST_KEY = "ccwrap_run_request"


@dataclass(frozen=True)
class RunRequest:
    """What ``ccwrap run`` was asked to do; both routes build it, :func:`execute` runs it."""

    profile: str | None = None
    proxy: bool | None = None
    dry_run: bool = False
    json: bool = False
    claude_args: tuple[str, ...] = ()
    capture: bool = False  # keep each exchange through the proxy (ccwrap.capture)
    profile_is_positional: bool = False  # for the hint when no profile has that name
    force: bool = False  # --profile even inside a folder bound to another profile


def parse_fast(args: Sequence[str]) -> RunRequest | None:
    """Split ``run``'s arguments into ccwrap's and claude's; None when Typer must answer (help).

    The one parser of ``run``: the fast route and the Typer command both call it.
    """
    fields: dict[str, Any] = {}
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            return _request(fields, args[index + 1 :])
        if arg in HELP_OPTIONS:
            return None
        if arg in OWN_FLAGS:
            name, value = OWN_FLAGS[arg]
            fields[name] = value
        elif arg == "--profile" or arg.startswith("--profile="):
            if arg == "--profile":
                if index + 1 >= len(args):
                    raise UsageError("--profile needs a value", hint="ccwrap run --profile NAME")
                index += 1
            _set_profile(fields, args[index] if arg == "--profile" else arg.split("=", 1)[1])
        elif not arg.startswith("-") and "profile" not in fields:
            _set_profile(fields, arg, positional=True)
        else:
            _refuse_near_miss(arg)
            return _request(fields, args[index:])
        index += 1
    return _request(fields, ())


def _set_profile(fields: dict[str, Any], name: str, *, positional: bool = False) -> None:
    if not name:
        raise UsageError("--profile needs a value", hint="ccwrap run --profile NAME")
    if "profile" in fields:
        raise UsageError("the profile is given twice", hint=CLAUDE_ARGS_HINT)
    fields["profile"] = name
    fields["profile_is_positional"] = positional


def _refuse_near_miss(arg: str) -> None:
    """A long option one typo away from one of ccwrap's is a typo, not an argument for claude."""
    name = arg.split("=", 1)[0]
    if not name.startswith("--") or len(name) < 4:
        return
    import difflib  # lazily: only when claude gets options

    own = [*OWN_FLAGS, *OWN_VALUE_OPTIONS, "--help"]
    close = difflib.get_close_matches(name, own, n=1, cutoff=0.8)
    if close:
        raise UsageError(
            f"no ccwrap option {name} (did you mean {close[0]}?)",
            hint=f"{CLAUDE_ARGS_HINT}; to pass {name} to claude, put it after --",
        )


def _request(fields: dict[str, Any], claude_args: Sequence[str]) -> RunRequest:
    return RunRequest(**fields, claude_args=tuple(claude_args))


def register(app: typer.Typer) -> None:
    """The Typer face of ``run``: its help and completion; arguments go to :func:`parse_fast`."""
    import typer
    import typer.core

    from ccwrap.cli.common import JsonOption, complete_profile

    class RunCommand(typer.core.TyperCommand):
        def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
            if not ctx.resilient_parsing:  # completion parses leniently: leave it to Typer
                request = parse_fast(args)
                if request is not None:
                    ctx.meta[REQUEST_KEY] = request
                    args = []
            return list(super().parse_args(ctx, args))

        def collect_usage_pieces(self, ctx: Any) -> list[str]:
            return ["[OPTIONS]", "[PROFILE]", "[CLAUDE_ARGS]..."]

    args_argument = typer.Argument(
        None,
        metavar="[PROFILE] [CLAUDE_ARGS]",
        help="A profile name, then claude's own arguments, passed unchanged.",
        autocompletion=complete_profile,
    )

    def run(
        ctx: typer.Context,
        *,
        profile: str | None = typer.Option(
            None,
            "--profile",
            help="Profile to use (default: $CCWRAP_PROFILE, then the default).",
            autocompletion=complete_profile,
        ),
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
        capture: bool = typer.Option(
            False, "--capture", help="With the proxy: keep each request and response (redacted)."
        ),
        args: list[str] | None = args_argument,
    ) -> None:
        """Launch Claude Code on a profile; claude's exit code is ccwrap's.

        ccwrap's options come first; every other argument goes to claude unchanged:
        `ccwrap run -p "explain this repo"` is claude's print mode, and
        `ccwrap run work --model opus` runs claude with --model opus on profile work.
        After --, every argument is claude's. Without a profile: the folder's binding
        (ccwrap bind), then $CCWRAP_PROFILE, then the default.
        """
        request = ctx.meta.get(REQUEST_KEY) or RunRequest(
            profile, proxy, dry_run, json_output, tuple(args or ()), force=force, capture=capture
        )
        raise typer.Exit(execute(request))

    # Typer resolves the annotations in this module's globals, where typer is not imported (the
    # fast route imports this module without it): give it the class itself.
    run.__annotations__["ctx"] = typer.Context
    app.command(
        "run",
        cls=RunCommand,
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    )(run)


def execute(request: RunRequest) -> int:
    """One core call → render; returns the exit status (exec does not return)."""
    from ccwrap.cli.commands.bind import choose_profile
    from ccwrap.launch.process import launch, prepare_launch, wants_proxy
    from ccwrap.ledger.launches import tracked
    from ccwrap.profiles.store import ProfileStore

    if request.json and not request.dry_run:
        raise UsageError("--json goes with --dry-run", hint="ccwrap run --dry-run --json")
    ctx = Context.from_os()
    try:
        store = ProfileStore(ctx.paths.config_file)
        choice = choose_profile(ctx, store, request.profile, force=request.force)
    except ProfileNotFound as exc:
        if request.profile_is_positional and request.profile is not None:
            quoted = shlex.quote(request.profile)
            raise ProfileNotFound(
                exc.message,
                hint=f"{exc.hint + '; ' if exc.hint else ''}to pass {quoted} to claude: "
                f"ccwrap run -- {quoted}",
            ) from exc
        raise
    args, chosen = request.claude_args, choice.profile
    if wants_proxy(chosen, request.proxy):
        return _run_behind_proxy(ctx, choice, args, request.dry_run, request.json, request.capture)
    if request.capture:
        raise UsageError(
            "--capture needs the proxy",
            hint="ccwrap run --proxy --capture (then: ccwrap capture list)",
        )
    plan = prepare_launch(ctx, chosen, args)
    if request.dry_run:
        _print_plan(plan, request.json, choice)
        return 0
    for message in plan.warnings:
        sys.stderr.write(f"ccwrap: warning: {message}\n")
    sys.stderr.flush()
    sys.stdout.flush()
    record = _launch_record(ctx, chosen, plan.env, args, supervised=not plan.inline)
    return tracked(ctx.paths, record, lambda: launch(plan, ctx.paths.run_dir), env=plan.env)


def _launch_record(
    ctx: Context, profile: Profile, env: Mapping[str, str], args: Sequence[str], **kind: bool
) -> Launch:
    """What the ledger keeps about a launch, to attribute its transcripts later."""
    from pathlib import Path

    from ccwrap.ledger.launches import Launch, session_flag

    config = env.get("CLAUDE_CONFIG_DIR")
    return Launch(
        profile=profile.name,
        cwd=ctx.cwd,
        claude_config_dir=Path(config).expanduser() if config else ctx.claude_config_dir,
        supervised=kind.get("supervised", True),
        proxied=kind.get("proxied", False),
        session_id=session_flag(list(args)),
    )


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


def _run_behind_proxy(  # noqa: PLR0917 - one call site
    ctx: Context,
    choice: Choice,
    args: Sequence[str],
    dry_run: bool,
    json_output: bool,
    capture: bool = False,
) -> int:
    """The proxy path: ccwrap stays alive beside claude (see ccwrap.proxy.session)."""
    from ccwrap.keys.sources import SecretStore
    from ccwrap.ledger.launches import tracked
    from ccwrap.proxy import session

    profile = choice.profile
    if dry_run:
        # Nothing starts and no key is read: the URL and the token are placeholders.
        plan = session.plan_behind_proxy(
            ctx, profile, args, base_url="http://127.0.0.1:<port>", token=DRY_RUN_TOKEN
        )
        _print_plan(plan, json_output, choice)
        return 0
    sys.stderr.flush()
    sys.stdout.flush()
    record = _launch_record(ctx, profile, ctx.environ, args, proxied=True)
    return tracked(
        ctx.paths,
        record,
        lambda: session.run_behind_proxy(
            ctx,
            SecretStore(ctx),
            profile,
            args,
            extra_hooks=_capture_hooks(ctx) if capture else None,
        ),
    )


def _capture_hooks(ctx: Context) -> session.HookFactory:
    """``--capture``: the session's requests and answers kept by ccwrap.capture's hook."""
    from ccwrap.capture.hook import capture_hook

    def build(config: ProxyConfig) -> tuple[list[Hook], Callable[[], None]]:
        hook = capture_hook(ctx.paths, config)
        return [hook], hook.close

    return build


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
