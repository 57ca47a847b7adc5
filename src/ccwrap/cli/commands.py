"""Every command group, registered in the order ``--help`` lists them."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    from ccwrap.cli import doctor, key

    key.register(app)
    doctor.register(app)
