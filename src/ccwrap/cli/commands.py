"""Every command group, registered in the order ``--help`` lists them."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    from ccwrap.cli import key

    key.register(app)
    from ccwrap.cli import run as run_command

    run_command.register(app)
    from ccwrap.cli import proxy as proxy_command

    proxy_command.register(app)
