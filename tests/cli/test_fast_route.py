"""The fast route knows every Typer option of ``run`` and ``key`` (cli/fast_route.py)."""

from __future__ import annotations

import typer.main

from ccwrap.cli.app import build_app
from ccwrap.cli.commands import key, run

# Options only the Typer route answers: help is rendered by Typer.
TYPER_ONLY = {"run": {"--help", "-h"}, "key": {"--help", "-h"}}
FAST_KNOWN = {
    "run": {*run.OWN_FLAGS, *run.OWN_VALUE_OPTIONS, *run.HELP_OPTIONS},
    "key": set(key.FAST_OPTIONS),
}


def typer_options(command: str) -> set[str]:
    group = typer.main.get_command(build_app())
    sub = group.commands[command]  # type: ignore[attr-defined]
    names: set[str] = set()
    for param in sub.params:
        if param.param_type_name == "option":
            names |= {*param.opts, *param.secondary_opts}
    root = group.make_context("ccwrap", [command], resilient_parsing=True)
    ctx = sub.make_context(command, [], parent=root, resilient_parsing=True)
    names |= set(sub.get_help_option_names(ctx))
    return names


def test_every_run_option_is_known_to_the_fast_route() -> None:
    assert typer_options("run") - FAST_KNOWN["run"] - TYPER_ONLY["run"] == set()


def test_every_key_option_is_known_to_the_fast_route() -> None:
    assert typer_options("key") - FAST_KNOWN["key"] - TYPER_ONLY["key"] == set()


def test_the_fast_route_knows_no_option_typer_lacks() -> None:
    for command in ("run", "key"):
        assert FAST_KNOWN[command] - typer_options(command) == set(), command
