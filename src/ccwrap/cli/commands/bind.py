"""``ccwrap bind`` / ``unbind``: folders bound to profiles (see ccwrap.binding).

:func:`choose_profile` is the leak guard every command goes through: it is on ``run``'s fast
route, so Typer is imported only in :func:`register`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ccwrap.context import Context
from ccwrap.errors import BindingMismatch, UsageError

if TYPE_CHECKING:
    import typer

    from ccwrap.profiles.store import Choice, ProfileStore


def choose_profile(
    ctx: Context, store: ProfileStore, name: str | None, *, force: bool = False
) -> Choice:
    """The profile for this command (``profiles.store.choose``), asking at a terminal when
    ``--profile`` differs from the folder's binding; without a terminal that is an error."""
    from ccwrap.profiles.store import choose

    try:
        return choose(store, name, ctx.environ, ctx.cwd, force=force)
    except BindingMismatch as exc:
        if not (sys.stdin.isatty() and sys.stderr.isatty()):
            raise
        sys.stderr.write(f"ccwrap: {exc.message}\nUse {name!r} here anyway? [y/N] ")
        sys.stderr.flush()
        if sys.stdin.readline().strip().lower() not in ("y", "yes"):
            raise
        return choose(store, name, ctx.environ, ctx.cwd, force=True)


def register(app: typer.Typer) -> None:
    import typer

    from ccwrap.cli.common import JsonOption, complete_profile

    folder_argument = typer.Argument(
        None, help="The folder (default: the working folder).", show_default=False
    )

    def bind(
        profile: str | None = typer.Argument(
            None, help="Profile to use in FOLDER and below.", autocompletion=complete_profile
        ),
        folder: Path | None = folder_argument,
        no_file: bool = typer.Option(
            False,
            "--no-file",
            help="Keep the binding in ccwrap's config (keyed by path), not in FOLDER/.ccwrap.toml.",
        ),
        list_bindings: bool = typer.Option(
            False, "--list", help="List the bindings in ccwrap's config and the one here."
        ),
        json_output: bool = JsonOption,
    ) -> None:
        """Bind a folder to a profile: run, doctor and env use it there without --profile.

        The .ccwrap.toml it writes holds the profile name only (safe to commit).
        """
        if list_bindings:
            if profile is not None or folder is not None:
                raise UsageError("--list takes no profile or folder")
            _list(json_output)
            return
        if profile is None:
            raise UsageError("name a profile", hint="ccwrap bind PROFILE [FOLDER], or --list")
        _bind(profile, folder, no_file)

    def unbind(folder: Path | None = folder_argument) -> None:
        """Remove a folder's binding (its .ccwrap.toml and/or the entry in ccwrap's config)."""
        _unbind(folder)

    claude_argument = typer.Argument(..., metavar="-- CLAUDE [ARGS...]")

    def wrap(claude_argv: list[str] = claude_argument) -> None:
        """Claude Code's process wrapper (settings apply --wrapper): exec claude on the
        folder's profile. Background and dispatched sessions start through it."""
        raise typer.Exit(wrap_command(claude_argv))

    app.command("bind")(bind)
    app.command("unbind")(unbind)
    app.command("wrap")(wrap)


def _folder(services_cwd: Path, folder: Path | None) -> Path:
    target = (services_cwd / folder.expanduser()) if folder is not None else services_cwd
    try:
        if target.is_dir():
            return target.resolve()
    except (OSError, ValueError):
        pass
    from ccwrap.binding import escape

    raise UsageError(f"{escape(str(target))[:300]} is not a folder")


def _bind(profile: str, folder: Path | None, no_file: bool) -> None:
    from ccwrap.binding import folder_key, write_binding_file
    from ccwrap.cli.common import Services, info

    services = Services.from_os()
    target = _folder(services.ctx.cwd, folder)
    services.store.get(profile)  # a binding to a missing profile would fail every run here
    if no_file:
        services.store.set_binding(folder_key(target), profile)
        info(f"bound {target} to {profile!r} (in ccwrap's config)")
    else:
        path = write_binding_file(target, profile)
        info(f"bound {target} to {profile!r} ({path})")


def _unbind(folder: Path | None) -> None:
    from ccwrap.binding import find_binding, folder_key, remove_binding_file
    from ccwrap.cli.common import Services, info

    services = Services.from_os()
    target = _folder(services.ctx.cwd, folder)
    removed = []
    if services.store.set_binding(folder_key(target), None) is not None:
        removed.append("the entry in ccwrap's config")
    if remove_binding_file(target) is not None:
        removed.append(str(target / ".ccwrap.toml"))
    if not removed:
        nearest = find_binding(target, services.store.load().bindings)
        hint = f"the binding here comes from {nearest.origin}" if nearest else None
        raise UsageError(f"{target} has no binding of its own", hint=hint)
    info(f"unbound {target}: removed {' and '.join(removed)}")


def _list(json_output: bool) -> None:
    from ccwrap.binding import Binding, find_binding
    from ccwrap.cli.common import Services, print_json

    services = Services.from_os()
    config = services.store.load()
    stored = [Binding(name, Path(folder), "config") for folder, name in config.bindings.items()]
    here = find_binding(services.ctx.cwd, config.bindings)
    if json_output:
        print_json(
            {
                "bindings": [b.to_dict() for b in stored],
                "here": None if here is None else here.to_dict(),
            }
        )
        return
    lines = [f"{b.folder}  {b.profile}  (ccwrap config)" for b in stored]
    if here is None:
        lines.append(f"here ({services.ctx.cwd}): no binding")
    else:
        missing = "" if here.profile in config.profiles else "  [no such profile]"
        lines.append(f"here: {here.profile!r} from {here.origin}{missing}")
    sys.stdout.write("\n".join(lines) + "\n")


# -- ccwrap wrap: Claude Code's processWrapper ----------------------------------------------------
# Processes of claude's background service that are not sessions: they get claude's argv as it is
# (measured with 2.1.332: a --settings added to `daemon run` stops the service from starting).
SERVICE_ARGS = frozenset({"daemon", "--bg-pty-host", "--bg-spare"})


def wrap_command(argv: list[str]) -> int:
    """``ccwrap wrap -- CLAUDE ARGS...``: exec CLAUDE on the working folder's profile.

    Claude Code runs its background service, spare workers and every background or dispatched
    session through this (``processWrapper``). Sessions start in their own folder, so the
    folder's binding decides, then ``$CCWRAP_PROFILE``, then the default. A session that
    already carries ``--settings`` (started by ``ccwrap run``) keeps its values; service
    processes and a setup without any profile run unchanged. A binding to a missing profile
    fails, never falls back.
    """
    from ccwrap.errors import BoundProfileMissing, CcwrapError, ProfileNotFound
    from ccwrap.launch.process import (
        exec_claude,
        key_helper_command,
        launch,
        plan_launch,
        split_user_settings,
        wants_proxy,
    )
    from ccwrap.profiles.store import ProfileStore, choose

    if not argv or not Path(argv[0]).is_absolute():
        raise UsageError("nothing to wrap", hint="ccwrap wrap -- /path/to/claude ARGS...")
    if any("\0" in arg for arg in argv):
        raise UsageError("an argument holds a NUL byte")
    ctx = Context.from_os()
    claude, args = Path(argv[0]), argv[1:]
    if _unchanged(args):
        return exec_claude(argv, ctx.environ)
    try:
        choice = choose(ProfileStore(ctx.paths.config_file), None, ctx.environ, ctx.cwd)
    except BoundProfileMissing:
        raise
    except ProfileNotFound:
        return exec_claude(argv, ctx.environ)  # no profile chosen at all: claude as it is
    profile = choice.profile
    if wants_proxy(profile, None):
        raise UsageError(
            f"profile {profile.name!r} needs the loopback proxy, which the process wrapper "
            "cannot start for a background session",
            hint="bind this folder to a profile that works without the proxy",
        )
    from ccwrap.claude.settings_files import discover

    try:
        rest, user = split_user_settings(args, ctx.cwd)  # their --settings win, merged
    except CcwrapError:
        return exec_claude(argv, ctx.environ)  # e.g. a launcher's temporary file, gone by now
    helper = None if profile.auth == "none" else key_helper_command(profile.name)
    plan = plan_launch(
        profile,
        claude=claude,
        args=rest,
        environ=ctx.environ,
        files=discover(ctx),
        key_helper=helper,
        user_settings=user,
    )
    return launch(plan, ctx.paths.run_dir)


def _unchanged(args: list[str]) -> bool:
    return bool(args) and args[0] in SERVICE_ARGS
