"""``ccwrap alias add/list/remove`` and ``ccwrap env``: shell integration (core in ccwrap.shell)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from ccwrap.cli.common import JsonOption, ProfileOption, Services, complete_profile, print_json

if TYPE_CHECKING:
    from ccwrap.profiles.store import Profile
    from ccwrap.shell import Shell

# ccwrap.shell is imported inside each command: completing a profile name (every TAB)
# needs none of it.
SHELL_NAMES = ("bash", "zsh", "fish", "powershell")


def complete_alias(incomplete: str) -> list[str]:
    """Alias names from the known rc files; must stay fast and never fail."""
    from ccwrap import shell as core

    try:
        entries = core.list_aliases(Services.from_os().ctx)
    except Exception:  # a broken rc file must not break the user's TAB key
        return []
    return sorted({e.name for e in entries if e.name.startswith(incomplete)})


def complete_shell(incomplete: str) -> list[str]:
    return [name for name in SHELL_NAMES if name.startswith(incomplete)]


ShellOption = typer.Option(
    None,
    "--shell",
    help="bash, zsh, fish or powershell (default: the shell you run ccwrap from).",
    autocompletion=complete_shell,
)
RcOption = typer.Option(
    None, "--rc", help="The file to edit instead of the shell's usual one.", dir_okay=False
)


def register(app: typer.Typer) -> None:
    alias_app = typer.Typer(
        name="alias",
        help="Short commands (shell functions) that run claude with a profile.",
        no_args_is_help=True,
    )
    alias_app.command("add")(add)
    alias_app.command("list")(list_)
    alias_app.command("remove")(remove)
    app.add_typer(alias_app)
    app.command("env")(env)


def _shell(services: Services, name: str | None) -> Shell:
    from ccwrap import shell as core

    return core.parse_shell(name) if name else core.detect_shell(services.ctx.environ)


def _rc(path: Path | None) -> Path | None:
    return path.expanduser().absolute() if path is not None else None


def add(
    name: str = typer.Argument(..., help="The command to create, e.g. mycc."),
    profile: str = typer.Option(
        ..., "--profile", "-p", help="Profile the alias runs.", autocompletion=complete_profile
    ),
    shell: str | None = ShellOption,
    rc: Path | None = RcOption,
    force: bool = typer.Option(
        False, "--force", help="Create it even if it hides a command or builtin."
    ),
) -> None:
    """Add (or update) an alias: a shell function running `ccwrap run --profile P -- ARGS`."""
    from ccwrap import shell as core

    services = Services.from_os()
    services.store.get(profile)  # an alias for a profile that does not exist is a typo
    change = core.add_alias(
        services.ctx, name, profile, _shell(services, shell), rc=_rc(rc), force=force
    )
    verb = {"added": "added", "updated": "updated", "unchanged": "already up to date:"}
    sys.stdout.write(
        f"{verb[change.action]} alias {name} (ccwrap run --profile {profile}) in {change.file}\n"
    )
    if change.backup is not None:
        sys.stdout.write(f"backup of the file before this change: {change.backup}\n")
    sys.stdout.write(f"to use it in this shell now, run: {change.apply}\n")


def list_(json: bool = JsonOption) -> None:
    """List the aliases ccwrap added, in every shell's file."""
    from ccwrap import shell as core

    entries = core.list_aliases(Services.from_os().ctx)
    if json:
        print_json(
            [
                {"name": e.name, "profile": e.profile, "shell": e.shell, "file": str(e.file)}
                for e in entries
            ]
        )
        return
    if not entries:
        sys.stdout.write("no aliases yet; add one with: ccwrap alias add NAME --profile P\n")
        return
    width = max(len(e.name) for e in entries)
    for e in entries:
        sys.stdout.write(f"{e.name:<{width}}  {e.profile or '?':<12} {e.shell:<10} {e.file}\n")


def remove(
    name: str = typer.Argument(..., help="Alias to remove.", autocompletion=complete_alias),
    shell: str | None = typer.Option(
        None,
        "--shell",
        help="Only this shell's file (default: every shell's file).",
        autocompletion=complete_shell,
    ),
    rc: Path | None = RcOption,
) -> None:
    """Remove an alias: exactly the block ccwrap added, nothing else."""
    from ccwrap import shell as core

    services = Services.from_os()
    changes = core.remove_alias(
        services.ctx, name, in_shell=core.parse_shell(shell) if shell else None, rc=_rc(rc)
    )
    for change in changes:
        sys.stdout.write(f"removed alias {name} from {change.file}\n")
        if change.backup is not None:
            sys.stdout.write(f"backup of the file before this change: {change.backup}\n")
        sys.stdout.write(f"to drop it from a running {change.shell}, run: {change.apply}\n")


def env(
    name: str | None = typer.Argument(
        None, metavar="[NAME]", help="Profile (same as --profile).", autocompletion=complete_profile
    ),
    profile: str | None = ProfileOption,
    shell: str | None = ShellOption,
    unset: bool = typer.Option(
        False, "--unset", help="Print the lines that clear every variable ccwrap sets."
    ),
) -> None:
    """Print a profile's variables for your shell: eval "$(ccwrap env work)".

    fish: ccwrap env work | source; PowerShell: ccwrap env work | Out-String |
    Invoke-Expression. The key is not printed: the line that sets it runs `ccwrap key` when
    evaluated.
    """
    from ccwrap import shell as core
    from ccwrap.errors import UsageError
    from ccwrap.profiles.store import resolve

    if name and profile and name != profile:
        raise UsageError(f"two profiles given: {name} and --profile {profile}")
    profile = profile or name
    services = Services.from_os()
    chosen = _shell(services, shell)
    if unset:
        sys.stdout.write(core.render_unset(chosen, _profile_for_unset(services, profile)))
        return
    resolved = resolve(services.store, profile, services.ctx.environ, services.ctx.cwd, force=True)
    sys.stdout.write(core.render_env(chosen, resolved))


def _profile_for_unset(services: Services, name: str | None) -> Profile | None:
    # Without a profile, --unset still clears ccwrap's own variables.
    from ccwrap.errors import ProfileNotFound
    from ccwrap.profiles.store import resolve

    if name is not None:
        return services.store.get(name)
    try:
        return resolve(services.store, None, services.ctx.environ, services.ctx.cwd)
    except ProfileNotFound:
        return None
