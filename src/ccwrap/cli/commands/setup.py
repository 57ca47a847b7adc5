"""``ccwrap setup [NAME]``: the wizard (prompts here, logic in ``ccwrap.profiles.wizard``)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import typer

from ccwrap.cli.commands import profile_options as opt
from ccwrap.cli.common import Services, complete_profile, info, stderr_console, warn

if TYPE_CHECKING:
    from rich.console import Console

    from ccwrap.context import Context
    from ccwrap.profiles.wizard import SetupResult

NAME = typer.Argument(
    None, help="Profile name (new: created; existing: edited).", autocompletion=complete_profile
)
PRESET = typer.Option(None, "--preset", help="A known gateway (see docs/gateways.md).")
KEY_STDIN = typer.Option(False, "--key-stdin", help="Read the key from standard input.")
INSECURE = typer.Option(
    False, "--insecure-storage", help="Keep the key in a 0600 plain-text file, not the keyring."
)
DEFAULT = typer.Option(False, "--default", help="Make it the default profile.")
NO_CHECK = typer.Option(False, "--no-check", help="Skip the live check of the gateway.")
YES = typer.Option(False, "--yes", "-y", help="Ask nothing: flags, preset and defaults decide.")
STATUSLINE = typer.Option(
    None,
    "--statusline/--no-statusline",
    help="Also install `ccwrap statusline` as Claude Code's status line (user settings); "
    "default: ask (the wizard's last question), or leave it with --yes.",
)


def register(app: typer.Typer) -> None:
    app.command("setup")(opt.with_field_options(setup))


def setup(  # noqa: PLR0917 - one parameter per option
    name: str | None = NAME,
    preset: str | None = PRESET,
    key_stdin: bool = KEY_STDIN,
    insecure_storage: bool = INSECURE,
    default: bool = DEFAULT,
    no_check: bool = NO_CHECK,
    yes: bool = YES,
    statusline: bool | None = STATUSLINE,
    force: bool = opt.FORCE_ENV,
    *,
    fields: opt.FieldValues,
) -> None:
    """Create or edit a profile: gateway, key (hidden), options; checks the gateway live."""
    # Imported here, not at the top: `ccwrap key` and `--version` load this module too.
    from ccwrap.profiles.ops import changes_from_options
    from ccwrap.profiles.wizard import SetupRequest, SetupWizard

    changes = changes_from_options(fields)
    changes.force_env = force
    # The URL and the key source are the wizard's own questions (asked, checked, normalised).
    url, key_source = changes.get("base_url"), changes.get("key")
    changes.set("base_url", None)
    changes.set("key", None)
    request = SetupRequest(
        name=name,
        preset=preset,
        url=url,
        secret=read_key_stdin() if key_stdin else None,
        key_source=key_source,
        insecure_storage=insecure_storage,
        changes=changes,
        make_default=default,
        check=not no_check,
        # Without a terminal to ask on (piped stdin, --key-stdin), nothing can be asked.
        yes=yes or key_stdin or not sys.stdin.isatty(),
    )
    services = Services.from_os()
    from functools import partial

    from ccwrap.doctor.runner import setup_check

    checker = partial(setup_check, services.secrets)
    asker = TerminalAsker()
    result = SetupWizard(services.store, services.secrets, asker, checker=checker).run(request)
    installed = _status_line(services.ctx, statusline, asker if not request.yes else None)
    render(result, status_line=installed)


def _status_line(ctx: Context, wanted: bool | None, asker: TerminalAsker | None) -> bool:
    """The wizard's last question: ccwrap's status line in the user settings. True: it is there."""
    from ccwrap.cli.commands.settings import apply_to_user
    from ccwrap.errors import CcwrapError
    from ccwrap.settings.writer import STATUS_LINE, SettingsWriter

    writer = SettingsWriter(ctx, "user")
    if STATUS_LINE in writer.state().ownership.slots:
        return True  # installed already; `settings clear` removes it
    if wanted is None and asker is not None:
        wanted = asker.confirm(
            "Show the profile, served model, cache hit rate and cost in Claude Code's status line?",
            False,
        )
    if not wanted:
        return False
    try:  # the user settings as they are (their profile, if any) plus the status line
        apply_to_user(None, statusline=True)
    except CcwrapError as exc:  # the profile is saved; only the status line is missing
        warn(f"the status line was not installed: {exc.message}")
        warn("  ccwrap settings apply --statusline installs it (asking before it replaces yours)")
        return False
    return True


def read_key_stdin() -> str:
    """The key from standard input; typed on a terminal, it is not echoed."""
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass("API key (hidden): ")
    return sys.stdin.read()


def render(result: SetupResult, *, status_line: bool = False) -> None:
    from ccwrap.keys.sources import KeySource

    for note in result.notes:
        info(note)
    for line in result.warnings:
        warn(line)
    profile = result.profile
    done = "created" if result.created else "updated"
    info(f"{done} profile {profile.name!r} ({profile.base_url})")
    if result.key_written:
        info(f"key stored in the {KeySource.parse(profile.key).describe(profile.name)}")
    if result.made_default:
        info(f"{profile.name!r} is now the default profile")
    name = profile.name
    steps = [
        f"ccwrap run {name}   (launch claude with it)",
        f"ccwrap use {name}   (make plain `claude` use it)",
        f"ccwrap alias add cc-{name} --profile {name}   (a shell shortcut)",
    ]
    if not status_line:
        steps.append(
            "ccwrap settings apply --statusline   (cost and cache hits in claude's status bar)"
        )
    steps.append(f"ccwrap doctor --profile {name}   (if something does not work)")
    info("next: " + "\n      ".join(steps))


class TerminalAsker:
    """The wizard's questions on the terminal (stderr, so stdout stays clean)."""

    def __init__(self) -> None:
        self._console: Console | None = None

    @property
    def console(self) -> Console:
        if self._console is None:
            self._console = stderr_console()
        return self._console

    def note(self, text: str) -> None:
        self.console.print(f"[dim]{_escape(text)}[/dim]")

    def text(self, question: str, default: str | None = None) -> str:
        from rich.prompt import Prompt

        answer = Prompt.ask(_escape(question), console=self.console, default=default)
        return answer or ""

    def secret(self, question: str) -> str:
        from rich.prompt import Prompt

        # password=True reads with getpass: nothing is echoed.
        return Prompt.ask(_escape(question), console=self.console, password=True) or ""

    def choose(
        self,
        question: str,
        choices: Sequence[tuple[str, str]],
        default: str,
        *,
        other: Callable[[str], bool] | None = None,
    ) -> str:
        from rich.prompt import Prompt

        ids = [choice_id for choice_id, _ in choices]
        for number, (choice_id, label) in enumerate(choices, start=1):
            self.console.print(f"  {number:>2}) {choice_id:<18} {_escape(label)}")
        while True:
            answer = Prompt.ask(
                f"{_escape(question)} (number or name)", console=self.console, default=default
            )
            answer = (answer or "").strip()
            if answer.isdigit() and 1 <= int(answer) <= len(ids):
                return ids[int(answer) - 1]
            if answer in ids:
                return answer
            if other is not None and other(answer):
                return answer
            self.console.print(f"[red]choose a number from 1 to {len(ids)}, or a name[/red]")

    def confirm(self, question: str, default: bool) -> bool:
        from rich.prompt import Confirm

        return Confirm.ask(_escape(question), console=self.console, default=default)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
