"""The hot paths, answered without building the Typer app.

``ccwrap key NAME`` runs on every apiKeyHelper refresh and ``ccwrap --version`` in scripts; Typer
(and the pydantic it now validates parameters with) costs more than the work itself. An exact,
simple command line takes this path; anything else (``--help``, unknown flags…) goes to Typer,
which gives the same result more slowly. No typer or rich import here.
"""

from __future__ import annotations

import sys

from ccwrap import __version__
from ccwrap.errors import UsageError

REVEAL = "--reveal"


def dispatch(argv: list[str]) -> bool:
    """Run ``argv`` if it is a hot-path command line; False leaves it to Typer."""
    if argv == ["--version"]:
        sys.stdout.write(f"ccwrap {__version__}\n")
        return True
    if len(argv) in (2, 3) and argv[0] == "key":
        names = [arg for arg in argv[1:] if arg != REVEAL]
        if len(names) == 1 and not names[0].startswith("-") and len(argv) - len(names) <= 2:
            print_key(names[0], reveal=REVEAL in argv)
            return True
    return False


def print_key(name: str, *, reveal: bool) -> None:
    """The profile's key alone on stdout, no newline (apiKeyHelper takes stdout as the token)."""
    if sys.stdout.isatty() and not reveal:
        raise UsageError(
            "refusing to print a key to a terminal",
            hint=f"ccwrap key {name} is meant for apiKeyHelper; add --reveal to see it",
        )
    from ccwrap.paths import Context
    from ccwrap.profiles import ProfileStore
    from ccwrap.secrets import SecretStore

    ctx = Context.from_os()
    profile = ProfileStore(ctx.paths.config_file).get(name)
    secret = SecretStore(ctx).read(profile.name, profile.key)
    sys.stdout.write(secret)
    sys.stdout.flush()
