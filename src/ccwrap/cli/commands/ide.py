"""``ccwrap ide apply / clear / restore``: a profile in VS Code's (or a fork's) Claude Code."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import typer

from ccwrap.cli.common import Services, complete_profile, info

if TYPE_CHECKING:
    from ccwrap.ide import IdeSettings

EditorOption = typer.Option("vscode", "--editor", help="vscode, cursor, windsurf or vscodium.")
ScopeOption = typer.Option(
    "user", "--scope", help="user (the editor's settings) or workspace (.vscode/settings.json)."
)
DryRunOption = typer.Option(False, "--dry-run", help="Show the change as a diff; write nothing.")
ForceOption = typer.Option(False, "--force", help="Overwrite values changed since ccwrap wrote.")


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        help="The Claude Code extension of VS Code, Cursor, Windsurf, VSCodium.",
        no_args_is_help=True,
    )
    group.command("apply")(apply)
    group.command("clear")(clear)
    group.command("restore")(restore)
    app.add_typer(group, name="ide")


def _settings(editor: str, scope: str) -> IdeSettings:
    from ccwrap.errors import UsageError
    from ccwrap.ide import IdeSettings, settings_path

    if scope not in ("user", "workspace"):
        raise UsageError("--scope is user or workspace")
    ctx = Services.from_os().ctx
    return IdeSettings(ctx, settings_path(editor, scope, ctx))


def apply(  # noqa: PLR0917 -- Typer maps parameters to options
    name: str = typer.Argument(..., help="Profile name.", autocompletion=complete_profile),
    editor: str = EditorOption,
    scope: str = ScopeOption,
    wrapper: bool = typer.Option(
        False, "--wrapper", help="Also start claude through ccwrap wrap (the key's route)."
    ),
    dry_run: bool = DryRunOption,
    force: bool = ForceOption,
) -> None:
    """Write a profile's variables into claudeCode.environmentVariables (never the key)."""
    from ccwrap.ide import desired, write_wrapper_script
    from ccwrap.keys.helper_command import ccwrap_command

    services = Services.from_os()
    profile = services.store.get(name)
    target = _settings(editor, scope)
    script = None
    if wrapper:
        script = services.ctx.paths.config_dir / "bin" / "claude-wrapper"
        if not dry_run:
            script = write_wrapper_script(services.ctx, ccwrap_command())
    wanted = desired(profile, None if script is None else str(script))
    if dry_run:
        change, _ = target.plan_apply(wanted, force=force)
        sys.stdout.write(change.diff() or "no change\n")
        return
    target.apply(wanted, force=force)
    info(f"profile {profile.name!r} written to {target.path}")
    if not wrapper:
        info("the key is not in it: add --wrapper, or run: ccwrap settings apply " + profile.name)


def clear(
    editor: str = EditorOption,
    scope: str = ScopeOption,
    dry_run: bool = DryRunOption,
    force: bool = ForceOption,
) -> None:
    """Remove ccwrap's keys, putting back what each replaced."""
    target = _settings(editor, scope)
    if dry_run:
        change, _ = target.plan_clear(force=force)
        sys.stdout.write(change.diff() or "no change\n")
        return
    change = target.clear(force=force)
    info("nothing of ccwrap's there" if change.after == change.before else f"cleared {target.path}")


def restore(
    editor: str = EditorOption, scope: str = ScopeOption, force: bool = ForceOption
) -> None:
    """Put the file back as it was before ccwrap's first apply."""
    target = _settings(editor, scope)
    target.restore(force=force)
    info(f"restored {target.path}")
