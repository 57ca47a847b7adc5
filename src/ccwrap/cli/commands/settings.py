"""``ccwrap settings apply/clear/restore/show`` and ``ccwrap use NAME``."""

from __future__ import annotations

import stat
import sys
from enum import Enum
from typing import TYPE_CHECKING

import typer

from ccwrap.cli.common import JsonOption, Services, complete_profile, info, print_json, warn
from ccwrap.errors import SettingsError, UsageError

if TYPE_CHECKING:
    from ccwrap.claude.settings_files import EffectiveView, Origin
    from ccwrap.settings.ownership import Conflict
    from ccwrap.settings.writer import Change, SettingsWriter


class ScopeChoice(str, Enum):
    user = "user"
    project = "project"
    local = "local"


ScopeOption = typer.Option(
    ScopeChoice.user,
    "--scope",
    "-s",
    help="user: ~/.claude/settings.json; project: .claude/settings.json (shared through git, "
    "never a secret); local: .claude/settings.local.json.",
)
DryRunOption = typer.Option(False, "--dry-run", help="Show the change as a diff; write nothing.")
ForceOption = typer.Option(
    False, "--force", help="Also change values ccwrap did not write, or that you changed since."
)
AskNothingOption = typer.Option(
    False,
    "--yes",
    "-y",
    help="Ask nothing, as without a terminal: values you changed stay unless --force.",
)
NameArgument = typer.Argument(..., help="Profile name.", autocompletion=complete_profile)


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        name="settings",
        help="Write the profile into Claude Code's own settings files, safely and reversibly.",
        no_args_is_help=True,
    )
    group.command("apply")(apply)
    group.command("clear")(clear)
    group.command("restore")(restore)
    group.command("show")(show)
    app.add_typer(group)
    app.command("use")(use)


def _interactive() -> bool:
    return sys.stdin.isatty()


def _writer(scope: ScopeChoice) -> SettingsWriter:
    from ccwrap.settings.writer import SettingsWriter

    return SettingsWriter(Services.from_os().ctx, scope.value)


def print_diff(diff: str) -> None:
    """A unified diff, coloured when stdout is a terminal."""
    from rich.text import Text

    from ccwrap.cli.common import stdout_console

    console = stdout_console()
    styles = {"+": "green", "-": "red", "@": "cyan"}
    for line in diff.splitlines():
        style = "bold" if line.startswith(("+++", "---")) else styles.get(line[:1], "")
        console.print(Text(line, style=style))


def _list_conflicts(conflicts: list[Conflict]) -> None:
    from ccwrap.claude.settings_files import shown

    for conflict in conflicts:
        variable = conflict.slot[-1]
        current = shown(variable, str(conflict.current))
        wanted = "(removed)" if conflict.wanted is None else shown(variable, str(conflict.wanted))
        info(f"  {conflict.describe()}: now {current!r}, ccwrap would write {wanted!r}")


# -- apply -------------------------------------------------------------------------------------
StatuslineOption = typer.Option(
    None,
    "--statusline/--no-statusline",
    help="Also install (or remove) `ccwrap statusline` as Claude Code's statusLine; default: "
    "keep it as it is. An existing statusLine of yours is replaced only if you agree.",
)


def apply(  # noqa: PLR0917 -- Typer maps parameters to options
    name: str | None = typer.Argument(
        None,
        help="Profile name (default: the one this file was applied with; with --statusline alone,"
        " none).",
        autocompletion=complete_profile,
    ),
    scope: ScopeChoice = ScopeOption,
    dry_run: bool = DryRunOption,
    yes: bool = typer.Option(
        False, "--yes", "-y", help="Answer yes (e.g. add settings.local.json to .gitignore)."
    ),
    force: bool = ForceOption,
    plaintext_key: bool = typer.Option(
        False,
        "--plaintext-key",
        help="Write the key itself into the file instead of an apiKeyHelper (not for project).",
    ),
    wrapper: bool = typer.Option(
        False,
        "--wrapper",
        help="Also set processWrapper to `ccwrap wrap` (user scope): background and dispatched "
        "sessions that start cold then get their folder's profile (claude newer than 2.1.197).",
    ),
    statusline: bool | None = StatuslineOption,
) -> None:
    """Write a profile's env and apiKeyHelper into a Claude Code settings file."""
    from ccwrap.settings.writer import (
        STATUS_LINE,
        check_plaintext_scope,
        desired_settings,
        status_line_setting,
    )

    services = Services.from_os()
    writer = _writer(scope)
    state = writer.state()
    name = name or state.profile
    if name is None and statusline is None:
        raise UsageError(
            "which profile?", hint="ccwrap settings apply NAME, or --statusline on its own"
        )
    profile = services.store.get(name) if name else None
    key = None
    if plaintext_key and profile is not None:
        check_plaintext_scope(scope.value)
        key = services.secrets.read(profile.name, profile.key)
    if wrapper and profile is None:
        raise UsageError(
            "--wrapper goes with a profile", hint="ccwrap settings apply NAME --wrapper"
        )
    desired = (
        desired_settings(profile, scope.value, plaintext_key=key, wrapper=wrapper)
        if profile
        else {}
    )
    owned = state.ownership.slots.get(STATUS_LINE)
    if statusline or (statusline is None and owned is not None):
        desired[STATUS_LINE] = status_line_setting(scope.value)
    preview = writer.preview_apply(desired)
    if dry_run:
        _show_dry_run(preview)
        return
    approved = _approve(preview, force)
    _guard_local(writer, yes, plaintext=key is not None)
    change = writer.apply(desired, profile=name, approved=approved)
    what = f"profile {name!r}" if name else "the status line"
    _report_written(change, f"{what} ({scope.value} scope)")
    if wrapper:
        info(
            "A background session that claims Claude Code's warm spare skips the wrapper: in a "
            "folder bound to another profile, also run `ccwrap settings apply PROFILE --scope "
            "local` there (ccwrap doctor checks it)."
        )
    if key is not None:
        _warn_plaintext(change)


def use(name: str = NameArgument, dry_run: bool = DryRunOption, force: bool = ForceOption) -> None:
    """Apply a profile to the user settings (~/.claude/settings.json): plain `claude` uses it."""
    apply_to_user(name, dry_run=dry_run, force=force)


def apply_to_user(
    name: str | None,
    *,
    dry_run: bool = False,
    force: bool = False,
    statusline: bool | None = None,
) -> None:
    """``settings apply [NAME] --scope user`` with no other option (``use``; setup's last step)."""
    apply(
        name,
        ScopeChoice.user,
        dry_run=dry_run,
        yes=False,
        force=force,
        plaintext_key=False,
        wrapper=False,
        statusline=statusline,
    )


def _approve(preview: Change, force: bool) -> list[Conflict] | bool:
    from ccwrap.settings.writer import SettingsConflict

    if not preview.conflicts or force:
        return True
    if not _interactive():
        raise SettingsConflict(preview.path, preview.conflicts)
    info(f"{preview.path} holds values ccwrap did not write:")
    _list_conflicts(preview.conflicts)
    print_diff(preview.diff())
    if not typer.confirm("Overwrite them?", default=False, err=True):
        raise SettingsError("nothing was changed", hint="add --force to overwrite them")
    return preview.conflicts


def _guard_local(writer: SettingsWriter, yes: bool, *, plaintext: bool) -> None:
    """settings.local.json is personal: make sure git will not pick it up."""
    if writer.scope != "local":
        return
    from ccwrap.settings.gitignore import add_to_gitignore, git_status

    status = git_status(writer.path)
    if not status.exposed or status.root is None:
        return
    question = f"{writer.path} is not ignored by git. Add it to {status.root / '.gitignore'}?"
    if yes or (_interactive() and typer.confirm(question, default=True, err=True)):
        info(f"Added to {add_to_gitignore(status.root, writer.path)}")
        return
    if plaintext:
        raise SettingsError(
            f"refusing to write a key into {writer.path}: git does not ignore it",
            hint="add --yes to put it in .gitignore first",
        )
    warn(f"{writer.path} is not ignored by git; add --yes to put it in .gitignore")


def _warn_plaintext(change: Change) -> None:
    warn(
        f"the key is now written in plain text in {change.path}; anything that can read that "
        "file can use it. Without --plaintext-key, apiKeyHelper fetches it from the key store."
    )
    try:
        mode = stat.S_IMODE(change.path.stat().st_mode)
    except OSError:
        return
    if mode & 0o077:
        warn(f"{change.path} is readable by others (mode {mode:o}): chmod 600 {change.path}")


def _show_dry_run(change: Change) -> None:
    if change.conflicts:
        info("These values are not ccwrap's; a real run asks first (or needs --force):")
        _list_conflicts(change.conflicts)
    if not change.changed:
        info(f"{change.path}: nothing to change")
        return
    print_diff(change.diff())
    info("dry run: nothing was written")


def _report_written(change: Change, what: str) -> None:
    if not change.written:
        info(f"{change.path} already up to date ({what})")
        return
    verb = "Removed" if change.after is None else "Updated"
    info(f"{verb} {change.path}: {what}")
    if change.backup is not None:
        info(f"  backup: {change.backup}  (undo: ccwrap settings restore --scope {change.scope})")


# -- clear / restore ---------------------------------------------------------------------------
def clear(
    scope: ScopeChoice = ScopeOption,
    dry_run: bool = DryRunOption,
    force: bool = ForceOption,
    yes: bool = AskNothingOption,
) -> None:
    """Remove exactly the keys ccwrap wrote that still hold ccwrap's values."""
    writer = _writer(scope)
    preview = writer.preview_clear(force=force)
    if dry_run:
        _show_dry_run(preview)
        return
    take: bool | list[tuple[str, ...]] = force
    if preview.conflicts and not force:
        info(f"{preview.path}: you changed these after ccwrap wrote them:")
        _list_conflicts(preview.conflicts)
        if (
            not yes
            and _interactive()
            and typer.confirm("Remove them too?", default=False, err=True)
        ):
            take = [c.slot for c in preview.conflicts]
        else:
            info("  left as they are (add --force to remove them)")
    change = writer.clear(force=take)
    if not change.written:
        info(f"{change.path}: nothing of ccwrap's to remove")
        return
    _report_written(change, "ccwrap's keys removed")


def restore(
    scope: ScopeChoice = ScopeOption, force: bool = ForceOption, yes: bool = AskNothingOption
) -> None:
    """Put back the file as it was before ccwrap's last change."""
    writer = _writer(scope)
    plan = writer.preview_restore()
    if plan.modified and not force:
        info(f"{plan.path} changed after ccwrap wrote it; restoring would undo this:")
        print_diff(plan.diff())
        if not yes and _interactive() and typer.confirm("Restore anyway?", default=False, err=True):
            force = True
    plan = writer.restore(force=force)
    source = plan.backup or "(the file did not exist)"
    verb = "Removed" if plan.target is None else "Restored"
    info(f"{verb} {plan.path} from {source}")


# -- show --------------------------------------------------------------------------------------
def show(
    settings: str = typer.Option(
        None,
        "--settings",
        help="Also count what `claude --settings FILE-OR-JSON` would add.",
    ),
    as_json: bool = JsonOption,
) -> None:
    """What Claude Code would use here: each variable's winning source and the shadowed ones."""
    from ccwrap.claude.settings_files import effective_view

    view = effective_view(Services.from_os().ctx, settings)
    if as_json:
        print_json(view.to_json())
        return
    _render_view(view)


def _render_view(view: EffectiveView) -> None:
    out = sys.stdout.write
    out("Settings files (highest precedence first):\n")
    for f in view.files:
        state = "invalid: " + f.error.message if f.error else ("" if f.exists else "(missing)")
        out(f"  {f.scope:<8} {f.path}  {state}".rstrip() + "\n")
    out("\nVariables (the winner, then what it shadows):\n")
    if not view.variables:
        out("  (none)\n")
    for setting in view.variables:
        value = setting.winner.value or '""  (empty: cancels any value below)'
        out(f"  {setting.variable}={value}\n      from {_where(setting.winner)}\n")
        for other in setting.shadowed:
            out(f"      shadows {other.value!r} from {_where(other)}\n")
    out("\napiKeyHelper: ")
    helper = view.api_key_helper
    if helper is None:
        out("(not set)\n")
        return
    out(f"{helper.winner.value}\n      from {_where(helper.winner)}\n")
    for other in helper.shadowed:
        out(f"      shadows {other.value!r} from {_where(other)}\n")


def _where(origin: Origin) -> str:
    if origin.path is None:
        return "the shell environment"
    return f"{origin.layer} settings {origin.path}"
