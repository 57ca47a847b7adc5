"""``ccwrap profile list / show / edit / remove / default / export / import``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from ccwrap.cli.commands import profile_options as opt
from ccwrap.cli.common import JsonOption, Services, complete_profile, info, print_json, warn
from ccwrap.errors import UsageError

if TYPE_CHECKING:
    from ccwrap.profiles.ops import ProfileView

NAME = typer.Argument(..., help="Profile name.", autocompletion=complete_profile)
UNSET_ENV = typer.Option(
    None, "--unset-env", help="Remove an extra environment variable (repeatable)."
)
FILE = typer.Argument(..., help="A file written by ccwrap profile export.")
NAMES = typer.Argument(..., help="Profile name(s).", autocompletion=complete_profile)
SECRETS_STDIN = typer.Option(
    False, "--secrets-stdin", help="Read a bundle's PLACEHOLDER=VALUE lines from stdin."
)
FORCE = typer.Option(False, "--force", help="Replace profiles of the same name.")
TRUST = typer.Option(
    False, "--trust", help="Import risky settings (key commands, files, LD_PRELOAD…) unasked."
)


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Manage profiles (one per gateway setup).", no_args_is_help=True)
    group.command("list")(list_)
    group.command("show")(show)
    group.command("edit")(opt.with_field_options(edit))
    group.command("remove")(remove)
    group.command("default")(default)
    group.command("export")(export)
    group.command("import")(import_)
    app.add_typer(group, name="profile")


def list_(json: bool = JsonOption) -> None:
    """List the profiles; the default one is marked with *."""
    from ccwrap.profiles import ops as profile_ops

    views = profile_ops.list_profiles(Services.from_os().store)
    if json:
        print_json([view.to_json() for view in views])
        return
    if not views:
        info("no profile yet; create one with: ccwrap setup")
        return
    width = max(len(view.profile.name) for view in views)
    for view in views:
        mark = "*" if view.is_default else " "
        profile = view.profile
        sys.stdout.write(f"{mark} {profile.name:<{width}}  {profile.base_url}  ({profile.auth})\n")


def show(name: str = NAME, json: bool = JsonOption) -> None:
    """Show a profile, and where its key comes from (masked)."""
    from ccwrap.profiles import ops as profile_ops

    services = Services.from_os()
    view = profile_ops.show_profile(services.store, services.secrets, name)
    if json:
        print_json(view.to_json())
        return
    sys.stdout.write(render_view(view))


def render_view(view: ProfileView) -> str:
    profile = view.profile
    lines = [f"{profile.name}{'  (default)' if view.is_default else ''}"]
    if profile.description:
        lines.append(f"  {profile.description}")
    lines += [f"  {label}: {value}" for label, value in view.rows()]
    key = view.key
    if key is None:
        lines.append("  key: none (auth = none)")
    elif key.ok:
        lines.append(f"  ✓ key: {key.masked}, from {key.location}")
    else:
        lines.append(f"  ✗ key: {key.error}")
        lines.append(f"    source: {key.location}")
        if key.hint:
            lines.append(f"    hint: {key.hint}")
    return "\n".join(lines) + "\n"


def edit(
    name: str = NAME,
    unset_env: list[str] | None = UNSET_ENV,
    force: bool = opt.FORCE_ENV,
    *,
    fields: opt.FieldValues,
) -> None:
    """Change a profile's fields (the key: ccwrap setup NAME)."""
    from ccwrap.profiles import ops as profile_ops

    changes = profile_ops.changes_from_options(fields)
    changes.unset_env = list(unset_env or [])
    changes.force_env = force
    applied = profile_ops.edit_profile(Services.from_os().store, name, changes)
    for line in applied.fixes:
        info(f"fixed: {line}")
    for line in applied.warnings:
        warn(line)
    info(f"saved profile {name!r}")


def remove(
    name: str = NAME,
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask."),
) -> None:
    """Remove a profile and the key ccwrap stored for it."""
    from ccwrap.profiles import ops as profile_ops

    services = Services.from_os()
    profile = services.store.get(name)
    if not yes:
        if not sys.stdin.isatty():
            raise UsageError(f"not removing {name!r} without confirmation", hint="add --yes")
        typer.confirm(
            f"Remove profile {name!r} ({profile.base_url}) and its stored key?",
            abort=True,
            err=True,
        )
    removed = profile_ops.remove_profile(services.store, services.secrets, name)
    info(f"removed profile {name!r}")
    if removed.key_removed:
        info("removed its key from the key store")
    if removed.key_error:
        warn(f"its key could not be removed: {removed.key_error}")
    if removed.was_default:
        info("it was the default profile; no default is set now")


def default(name: str = NAME) -> None:
    """Make NAME the default profile."""
    Services.from_os().store.set_default(name)
    info(f"default profile: {name}")


def export(
    names: list[str] = NAMES,
    fmt: str = typer.Option("toml", "--format", help="toml or json."),
    bundle: bool = typer.Option(
        False, "--bundle", help="A team bundle: every secret a placeholder the importer fills."
    ),
) -> None:
    """Print a profile as TOML (or JSON) to share or back up; never contains a key."""
    from ccwrap.profiles import ops as profile_ops

    if fmt not in ("toml", "json"):
        raise UsageError(f"unknown format {fmt!r}", hint="use --format toml or --format json")
    services = Services.from_os()
    if bundle:
        from ccwrap.profiles.bundle import make_bundle, render_bundle

        made = make_bundle([services.store.get(name) for name in names])
        for item in made.left_out:
            warn(f"left out of the bundle (a secret): {item}")
        sys.stdout.write(render_bundle(made))
        return
    if len(names) != 1:
        raise UsageError("one profile at a time", hint="several go in a bundle: --bundle")
    sys.stdout.write(
        profile_ops.export_profile(services.store, names[0], "json" if fmt == "json" else "toml")
    )


def import_(
    file: Path = FILE,
    force: bool = FORCE,
    trust: bool = TRUST,
    secrets_stdin: bool = SECRETS_STDIN,
) -> None:
    """Add the profiles of an exported file or team bundle (a bundle asks for its secrets);
    anything risky in it is shown first and needs confirmation (--trust without a terminal)."""
    from ccwrap.profiles import ops as profile_ops
    from ccwrap.profiles.bundle import load_bundle

    if (bundle := load_bundle(file)) is not None:
        from ccwrap.cli.commands.bundles import import_bundle

        import_bundle(bundle, force=force, trust=trust, secrets_stdin=secrets_stdin)
        return

    plan = profile_ops.plan_import(file)
    if plan.risks:
        warn(f"{file} asks for things that read your files, run commands or send your key:")
        for risk in plan.risks:
            warn(f"  {risk.profile}: {risk.what}")
        if not trust:
            if not sys.stdin.isatty():
                raise UsageError(
                    "not importing a file with risky settings without confirmation",
                    hint="review them above; add --trust to import it anyway",
                )
            typer.confirm("Import it anyway?", abort=True, err=True)
    store = Services.from_os().store
    profiles = profile_ops.save_import(store, plan, force=force, trust=True)
    for profile in profiles:
        info(f"imported profile {profile.name!r} ({profile.base_url})")
