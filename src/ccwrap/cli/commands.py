"""Every command group, registered in the order ``--help`` lists them."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    from ccwrap.cli import doctor, key, profile, proxy, settings, setup, shell, verify
    from ccwrap.cli import run as run_cli

    setup.register(app)
    profile.register(app)
    key.register(app)
    run_cli.register(app)
    proxy.register(app)
    settings.register(app)
    doctor.register(app)
    verify.register(app)
    shell.register(app)
