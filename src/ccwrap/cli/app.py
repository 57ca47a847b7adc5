"""The Typer application and the one error boundary."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, NoReturn

from ccwrap import __version__
from ccwrap.errors import EXIT_CODE_MEANINGS, CcwrapError, ExitCode

if TYPE_CHECKING:
    import typer


def exit_codes_help() -> str:
    """The help epilog, from the enum: every code ccwrap itself can exit with."""
    codes = "; ".join(f"{int(code)} {meaning}" for code, meaning in EXIT_CODE_MEANINGS.items())
    return f"Exit codes: {codes}. `ccwrap run` passes claude's own exit code through."


def _version(value: bool) -> None:
    import typer

    if value:
        sys.stdout.write(f"ccwrap {__version__}\n")
        raise typer.Exit()


def build_app() -> typer.Typer:
    import typer  # lazily: the fast route (cli.fast_route) never imports it

    from ccwrap.cli import typer_patches

    typer_patches.install()  # neither pydantic nor rich on the hot paths (completion, run, key)
    app = typer.Typer(
        name="ccwrap",
        help="Point Claude Code at any Anthropic-compatible gateway.",
        epilog=exit_codes_help(),
        no_args_is_help=True,
        # Pretty tracebacks print local variables, and locals can hold keys.
        pretty_exceptions_enable=False,
        pretty_exceptions_show_locals=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )

    @app.callback()
    def root(
        version: bool = typer.Option(
            False, "--version", callback=_version, is_eager=True, help="Show the version."
        ),
    ) -> None:
        """Point Claude Code at any Anthropic-compatible gateway."""

    from ccwrap.cli import commands

    commands.register(app)
    from ccwrap.profiles.store import AUTH_MODES, PROXY_MODES

    # Options that take one of a few words but are plain strings in Typer's eyes.
    typer_patches.set_metavars(app, {"--auth": AUTH_MODES, "--proxy": PROXY_MODES})
    return app


def report(exc: CcwrapError) -> None:
    # Messages quote what the user typed and what files hold: escaped, so a name cannot drive
    # the terminal and undecodable argv bytes print.
    from ccwrap.text import escape_control

    sys.stderr.write(f"ccwrap: error: {escape_control(exc.message)}\n")
    if exc.hint:
        sys.stderr.write(f"  hint: {escape_control(exc.hint)}\n")


def _check_text(args: list[str]) -> None:
    """ccwrap's own arguments are text: undecodable bytes (Python keeps them as lone surrogates)
    would end up in config.toml or a settings file. ``run`` passes claude's arguments unchanged."""
    from ccwrap.errors import UsageError

    if args[:1] == ["run"]:
        return
    for number, arg in enumerate(args, start=1):
        if any("\ud800" <= c <= "\udfff" for c in arg):
            raise UsageError(f"argument {number} is not valid UTF-8 text")
        if "\0" in arg:  # no real command line holds one; Typer < 0.29's Path type fails on it
            raise UsageError(f"argument {number} holds a NUL character")


def main(argv: list[str] | None = None) -> NoReturn:
    debug = os.environ.get("CCWRAP_DEBUG") == "1"
    try:
        from ccwrap.cli import fast_route

        args = sys.argv[1:] if argv is None else argv
        _check_text(args)
        command = fast_route.dispatch(args, os.environ)
        if command is not None:
            sys.exit(command())
        build_app()(args=argv, prog_name="ccwrap")
    except CcwrapError as exc:
        if debug:
            import traceback  # lazily: ~7 ms that only --debug needs

            traceback.print_exc()
        report(exc)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.stderr.write("\nccwrap: interrupted\n")
        sys.exit(ExitCode.INTERRUPTED)
    except Exception as exc:
        if debug:
            raise
        # A bug, not something the user did: say so without a traceback that may hold secrets.
        from ccwrap.text import escape_control

        sys.stderr.write(
            f"ccwrap: internal error: {type(exc).__name__}: {escape_control(str(exc))}\n"
            "  hint: run again with CCWRAP_DEBUG=1 for the traceback, and report it\n"
        )
        sys.exit(ExitCode.INTERNAL)
    sys.exit(0)
