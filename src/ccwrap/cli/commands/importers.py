"""``ccwrap import``: profiles from cc-switch, claude-code-router, ccs or a cc-switch link."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from ccwrap.cli.common import JsonOption, Services, info, print_json
from ccwrap.errors import UsageError

if TYPE_CHECKING:
    from ccwrap.importers import Found

SOURCES = ("cc-switch", "ccr", "ccs")
DbOption = typer.Option(None, "--db", help="cc-switch's database file.")
ConfigOption = typer.Option(None, "--config", help="claude-code-router's config.json.")
DirOption = typer.Option(None, "--dir", help="ccs's folder (default: ~/.ccs).")


def register(app: typer.Typer) -> None:
    app.command("import")(import_command)


def import_command(  # noqa: PLR0917 -- Typer maps parameters to options
    source: str = typer.Argument(
        ...,
        metavar="SOURCE",
        help="cc-switch, ccr, ccs, a 'ccswitch://v1/import?…' link, or - (a link on stdin).",
    ),
    db: Path | None = DbOption,
    config: Path | None = ConfigOption,
    folder: Path | None = DirOption,
    dry_run: bool = typer.Option(False, "--dry-run", help="List what would be created."),
    json_output: bool = JsonOption,
) -> None:
    """Create ccwrap profiles from another switcher's providers (nothing of it is changed).

    Keys move into ccwrap's key store (the OS keyring), never into config.toml. A link on the
    command line puts its key in your shell history: pass - and paste it on stdin instead.
    """
    from ccwrap import importers

    services = Services.from_os()
    home = services.ctx.home
    taken = set(services.store.names())
    if source == "-":
        source = sys.stdin.readline().strip()
    if source == "cc-switch":
        found = importers.read_cc_switch(db or home / ".cc-switch" / "cc-switch.db", taken)
    elif source == "ccr":
        path = config or home / ".claude-code-router" / "config.json"
        found = importers.read_ccr(path, taken)
    elif source == "ccs":
        found = importers.read_ccs(folder or home / ".ccs", home, taken)
    elif source.startswith("ccswitch:"):
        found = importers.read_deep_link(source, taken)
    else:
        raise UsageError(
            "unknown source", hint=f"one of {', '.join(SOURCES)}, a ccswitch:// link, or -"
        )
    created = [] if dry_run else importers.create(found, services.store, services.secrets)
    if json_output:
        print_json({"dry_run": dry_run, "found": [f.to_json() for f in found], "created": created})
        return
    _render(found, created, dry_run)


def _render(found: list[Found], created: list[str], dry_run: bool) -> None:
    from ccwrap.keys.sources import mask

    if not found:
        info("nothing found to import")
    for row in found:
        if row.profile is None or row.skipped:
            sys.stdout.write(f"skip    {row.origin}: {row.skipped}\n")
            continue
        verb = "would create" if dry_run else "created"
        key = f", key {mask(row.key)} → key store" if row.key else f", key from {row.profile.key}"
        sys.stdout.write(
            f"{verb} {row.name!r} from {row.origin}: {row.profile.base_url} "
            f"({row.profile.auth}{key if row.profile.auth != 'none' else ''})\n"
        )
        for note in row.notes:
            sys.stdout.write(f"        note: {note}\n")
    if not dry_run:
        info(f"{len(created)} profile(s) created")
