"""``ccwrap profile import BUNDLE``: confirm what is risky, ask for each placeholder, save."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import typer

from ccwrap.cli.common import Services, info
from ccwrap.errors import ConfigError, UsageError
from ccwrap.text import escape_control

if TYPE_CHECKING:
    from ccwrap.profiles.bundle import Bundle


def _interactive() -> bool:
    return sys.stdin.isatty() and sys.stderr.isatty()


def import_bundle(bundle: Bundle, *, force: bool, trust: bool, secrets_stdin: bool) -> None:
    from ccwrap.profiles.bundle import fill, parse_answers
    from ccwrap.profiles.ops import import_risks

    services = Services.from_os()
    clashes = sorted(p.name for p in bundle.profiles if services.store.exists(p.name))
    if clashes and not force:
        raise ConfigError(
            f"profile(s) already exist: {', '.join(clashes)}", hint="add --force to replace them"
        )
    found = [
        escape_control(f"{r.profile}: {r.what}") for p in bundle.profiles for r in import_risks(p)
    ]
    if found:
        info("this bundle asks for:")
        for risk in found:
            info(f"  ! {risk}")
        if not trust and not (_interactive() and typer.confirm("Import it anyway?", err=True)):
            raise UsageError(
                "nothing imported: the bundle holds items that need your confirmation",
                hint="read them above; add --trust to import them without a terminal",
            )
    if secrets_stdin:
        answers = parse_answers(sys.stdin.read(256 * 1024))
    elif _interactive():
        answers = {}
        for placeholder in bundle.placeholders:
            hidden = placeholder.header is None
            prompt = f"{placeholder.name} ({escape_control(placeholder.description)})"
            answers[placeholder.name] = str(typer.prompt(prompt, hide_input=hidden, err=True))
    elif bundle.placeholders:
        names = ", ".join(p.name for p in bundle.placeholders)
        raise UsageError(
            f"the bundle needs values for: {names}",
            hint="run it in a terminal, or pass --secrets-stdin with PLACEHOLDER=VALUE lines",
        )
    else:
        answers = {}
    profiles, keys = fill(bundle, answers)
    for name, key in keys.items():
        services.secrets.write(name, "keyring", key)
    for profile in profiles:
        services.store.save(profile)
        info(f"imported profile {profile.name!r} ({profile.base_url})")
