"""Every command group, registered in the order ``--help`` lists them."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    from ccwrap.cli import key, proxy

    key.register(app)
    proxy.register(app)
