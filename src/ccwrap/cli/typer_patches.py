"""Every Typer internal ccwrap touches, in one place: the patches that keep completion fast.

Typer (0.29) coerces every parameter value through a pydantic ``TypeAdapter``, and building the
first one imports pydantic: about 80 ms, paid on every TAB (the root's ``--install-completion``
default, None, is enough to trigger it). For the values ccwrap's commands see on those paths (a
missing value, a plain ``str``, a ``list[str]``), pydantic would hand the value back unchanged, so
:func:`install` does that directly and leaves every other value to Typer.

Completing a command or option name in zsh, fish or PowerShell sends its help text through
``rich_utils`` (another 75 ms) only to strip rich markup, which ccwrap's help texts do not use;
Typer itself passes the text through unchanged when rich is not installed, and so do we.

The foreign internals, each listed in :data:`FOREIGN_INTERNALS` with the first Typer that has it
(older ones do not need the patch: they have no pydantic step, or no sanitising):

    typer._completion_classes._sanitize_help_text   replaced by the identity      (Typer >= 0.15)
    typer.core._TyperParameter.process_value        wrapped: plain values skip    (Typer >= 0.29)
                                                    pydantic; reads the parameter's
                                                    ``type_descriptor`` (annotation,
                                                    parameter_info.parser, file_annotation)
    typer._click.exceptions.MissingParameter        raised as Typer would         (Typer >= 0.26)

and the public extension points ``cli/commands/run.py`` uses: ``typer.core.TyperCommand``
subclassed, its click ``parse_args`` and ``collect_usage_pieces`` overridden.

``tests/cli/test_typer_patches.py`` fails when a patch no longer applies to the Typer installed
(the attribute is gone, or the patch did not take); docs/benchmarks.md ("Completion") has the
figures, and ``tests/process/test_completion.py`` fails if pydantic or rich come back on completion.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

import typer
import typer.core


@dataclass(frozen=True)
class Internal:
    module: str
    attribute: str  # dotted inside the module
    since: tuple[int, int]  # the first Typer (major, minor) that has it
    purpose: str


SANITIZE_HELP = Internal(
    "typer._completion_classes",
    "_sanitize_help_text",
    (0, 15),
    "completion help text without importing rich",
)
PROCESS_VALUE = Internal(
    "typer.core",
    "_TyperParameter.process_value",
    (0, 29),
    "plain values without importing pydantic",
)
MISSING_PARAMETER = Internal(
    "typer._click.exceptions",
    "MissingParameter",
    (0, 26),
    "the error process_value raises for a missing required value",
)
FOREIGN_INTERNALS: tuple[Internal, ...] = (SANITIZE_HELP, PROCESS_VALUE, MISSING_PARAMETER)
PATCHED = "_ccwrap_patch"  # set on every function ccwrap put in Typer's place


def typer_version() -> tuple[int, int]:
    major, minor, *_ = (int(part) for part in typer.__version__.split(".")[:2])
    return major, minor


def expected(internal: Internal) -> bool:
    """Whether the installed Typer should have ``internal``."""
    return typer_version() >= internal.since


def lookup(internal: Internal) -> Any:
    """The internal itself, or None when this Typer does not have it."""
    try:
        value: Any = importlib.import_module(internal.module)
    except ImportError:
        return None
    for part in internal.attribute.split("."):
        value = getattr(value, part, None)
        if value is None:
            return None
    return value


def install() -> None:
    _plain_completion_help()
    _coerce_plain_values()


def _plain_completion_help() -> None:
    if lookup(SANITIZE_HELP) is None:
        return  # an older Typer: it does not sanitise (nor import rich) there
    setattr(importlib.import_module(SANITIZE_HELP.module), SANITIZE_HELP.attribute, _plain_text)


def _plain_text(text: str) -> str:
    return text


_plain_text._ccwrap_patch = True  # type: ignore[attr-defined]


def _coerce_plain_values() -> None:
    parameter = getattr(typer.core, "_TyperParameter", None)
    original = lookup(PROCESS_VALUE)
    if parameter is None or original is None or getattr(original, PATCHED, False):
        return  # another Typer (no pydantic step), or already installed
    missing = lookup(MISSING_PARAMETER)
    if missing is None:
        return  # cannot raise what Typer raises: keep its behaviour, only slower

    def process_value(self: Any, ctx: Any, value: Any) -> Any:
        descriptor = getattr(self, "type_descriptor", None)
        if descriptor is None or not _unchanged_by_typer(descriptor, value):
            return original(self, ctx, value)
        # What Typer's own process_value does once coercion has returned the value unchanged.
        if value is None and (self.multiple or self.nargs == -1):
            value = ()
        elif isinstance(value, tuple):
            value = list(value)
        if self.required and self.value_is_missing(value):
            raise missing(ctx=ctx, param=self)
        if self.callback is not None:
            value = self.callback(ctx, self, value)
        return value

    process_value._ccwrap_patch = True  # type: ignore[attr-defined]
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
