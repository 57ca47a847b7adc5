"""Every command group, registered in the order ``--help`` lists them."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    from ccwrap.cli import doctor, key
    from ccwrap.cli import run as run_command

    key.register(app)
    run_command.register(app)
    doctor.register(app)
