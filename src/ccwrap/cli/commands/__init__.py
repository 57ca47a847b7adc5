"""Every command group, one module each, registered in the order ``--help`` lists them.

Nothing here is imported at module level: the fast route imports ``commands.run`` and
``commands.key`` without Typer, and this package's ``__init__`` runs first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import typer


def register(app: typer.Typer) -> None:
    from ccwrap.cli.commands import (
        bind,
        capture,
        doctor,
        ide,
        importers,
        inspect,
        key,
        profile,
        proxy,
        settings,
        setup,
        shell,
        stats,
        statusline,
        verify,
    )
    from ccwrap.cli.commands import run as run_cli

    setup.register(app)
    profile.register(app)
    key.register(app)
    run_cli.register(app)
    bind.register(app)
    importers.register(app)
    proxy.register(app)
    settings.register(app)
    ide.register(app)
    doctor.register(app)
    verify.register(app)
    inspect.register(app)
    capture.register(app)
    stats.register(app)
    statusline.register(app)
    shell.register(app)
