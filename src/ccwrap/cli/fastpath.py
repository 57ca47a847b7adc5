"""Keep pydantic and rich off the hot paths (completion, ``run``, ``key``).

Typer (0.2x) coerces every parameter value through a pydantic ``TypeAdapter``, and building the
first one imports pydantic: about 80 ms, paid on every TAB (the root's ``--install-completion``
default, None, is enough to trigger it). For the values ccwrap's hot paths see (a missing value, a
plain ``str``, a ``list[str]``), pydantic would hand the value back unchanged, so we do that
directly and leave every other value to Typer.

Completing a command or option name in zsh, fish or PowerShell sends its help text through
``rich_utils`` (another 75 ms) only to strip rich markup, which ccwrap's help texts do not use;
Typer itself passes the text through unchanged when rich is not installed, and so do we.

Measured in docs/benchmarks.md ("Completion"); ``tests/process/test_completion.py`` fails if
pydantic or rich come back on the completion path.
"""

from __future__ import annotations

from typing import Any

import typer.core
from typer import _click


def install() -> None:
    _plain_completion_help()
    _coerce_plain_values()


def _plain_completion_help() -> None:
    import typer._completion_classes as classes

    if hasattr(classes, "_sanitize_help_text"):
        classes._sanitize_help_text = _plain_text


def _plain_text(text: str) -> str:
    return text


def _coerce_plain_values() -> None:
    parameter = getattr(typer.core, "_TyperParameter", None)
    original = getattr(parameter, "process_value", None)
    if parameter is None or original is None or getattr(original, "_ccwrap_fast", False):
        return  # another Typer: keep its behaviour, only slower

    def process_value(self: Any, ctx: _click.Context, value: Any) -> Any:
        descriptor = getattr(self, "type_descriptor", None)
        if descriptor is None or not _unchanged_by_typer(descriptor, value):
            return original(self, ctx, value)
        # What Typer's own process_value does once coercion has returned the value unchanged.
        if value is None and (self.multiple or self.nargs == -1):
            value = ()
        elif isinstance(value, tuple):
            value = list(value)
        if self.required and self.value_is_missing(value):
            raise _click.exceptions.MissingParameter(ctx=ctx, param=self)
        if self.callback is not None:
            value = self.callback(ctx, self, value)
        return value

    process_value._ccwrap_fast = True  # type: ignore[attr-defined]
    parameter.process_value = process_value


def _unchanged_by_typer(descriptor: Any, value: Any) -> bool:
    if descriptor.parameter_info.parser is not None or descriptor.file_annotation is not None:
        return False
    if value is None:
        return True
    if descriptor.annotation is str:
        return isinstance(value, str)
    if descriptor.annotation == list[str]:
        return isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)
    return False
