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
    typer.core.TyperOption.display_type_rich        no ``<bool>`` for a flag      (Typer >= 0.29)
    typer.core.TyperArgument.display_type_rich      no ``<str>`` beside a metavar (Typer >= 0.29)

and the public extension points ccwrap relies on: ``typer.core.TyperCommand`` subclassed in
``cli/commands/run.py`` (click's ``parse_args`` and ``collect_usage_pieces`` overridden), and
:func:`set_metavars` filling ``metavar`` on the ``typer.models.OptionInfo``/``ArgumentInfo`` that
``typer.Typer.registered_commands``/``registered_groups`` hold.

Help that reads the same on every Typer allowed (issue 11): Typer 0.28+ prints each option's
Python type (``<bool>``, ``<str>``, ``<list[str]>``) and lowercase argument names; older ones
print click's ``TEXT``. :func:`set_metavars` gives every parameter without a metavar of its own
one in the usual CLI style (``--url URL``, ``--auth [bearer|x-api-key|none]``, ``NAME``, nothing
for a flag), through Typer's public ``metavar``, so no Typer renders a Python type.

``tests/cli/test_typer_patches.py`` fails when a patch no longer applies to the Typer installed
(the attribute is gone, or the patch did not take); docs/benchmarks.md ("Completion") has the
figures, and ``tests/process/test_completion.py`` fails if pydantic or rich come back on completion.
"""

from __future__ import annotations

import enum
import importlib
import inspect
import typing
from collections.abc import Iterator, Mapping, Sequence
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
OPTION_TYPE = Internal(
    "typer.core",
    "TyperOption.display_type_rich",
    (0, 29),
    "the type column of an option's help: nothing for a flag (--help, --version)",
)
ARGUMENT_TYPE = Internal(
    "typer.core",
    "TyperArgument.display_type_rich",
    (0, 29),
    "the type column of an argument's help: nothing beside its metavar",
)
FOREIGN_INTERNALS: tuple[Internal, ...] = (
    SANITIZE_HELP,
    PROCESS_VALUE,
    MISSING_PARAMETER,
    OPTION_TYPE,
    ARGUMENT_TYPE,
)
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
    _no_python_types_in_help()


def _no_python_types_in_help() -> None:
    """Typer 0.29 prints ``<bool>`` beside every flag and ``<str>`` beside every argument."""
    for internal, hide in ((OPTION_TYPE, _is_flag), (ARGUMENT_TYPE, _has_metavar)):
        original = lookup(internal)
        if original is None or getattr(original, PATCHED, False):
            continue
        owner = getattr(typer.core, internal.attribute.split(".")[0])
        owner.display_type_rich = _hiding(original, hide)


def _is_flag(parameter: Any) -> bool:
    return bool(getattr(parameter, "is_flag", False)) and parameter.metavar in (None, "")


def _has_metavar(parameter: Any) -> bool:
    return parameter.metavar is not None


def _hiding(original: Any, hide: Any) -> Any:
    def display_type_rich(self: Any, ctx: Any) -> str | None:
        return None if hide(self) else original(self, ctx)

    display_type_rich._ccwrap_patch = True  # type: ignore[attr-defined]
    return display_type_rich


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


# -- metavars -------------------------------------------------------------------------------------
def set_metavars(app: typer.Typer, choices: Mapping[str, Sequence[str]]) -> None:
    """A metavar for every parameter of ``app`` that has none; ``choices`` by option name."""
    for callback in _callbacks(app):
        try:
            hints = typing.get_type_hints(callback)
        except Exception:  # an annotation only a type checker resolves: leave Typer's label
            hints = {}
        for name, parameter in inspect.signature(callback).parameters.items():
            info = parameter.default
            if isinstance(info, typer.models.ParameterInfo) and info.metavar is None:
                info.metavar = _metavar(name, info, hints.get(name), choices)


def _callbacks(app: typer.Typer) -> Iterator[Any]:
    for command in app.registered_commands:
        if command.callback is not None:
            yield command.callback
    for group in app.registered_groups:
        if group.typer_instance is not None:
            yield from _callbacks(group.typer_instance)


def _metavar(name: str, info: Any, hint: Any, choices: Mapping[str, Sequence[str]]) -> str | None:
    options = [d for d in (info.param_decls or ()) if d.startswith("--")]
    kinds = [a for a in typing.get_args(hint) if a is not type(None)] or [hint]
    if bool in kinds and isinstance(info, typer.models.OptionInfo):
        return ""  # a flag takes no value
    enum_type = next((k for k in kinds if isinstance(k, type) and issubclass(k, enum.Enum)), None)
    listed = next((choices[o] for o in options if o in choices), None)
    if enum_type is not None or listed is not None:
        values = listed if listed is not None else [str(m.value) for m in enum_type]  # type: ignore[union-attr]
        return "[" + "|".join(values) + "]"
    if isinstance(info, typer.models.ArgumentInfo):
        return name.upper()
    if int in kinds:
        return "N"
    if float in kinds:
        return "NUMBER"
    words = options[0].lstrip("-").split("-") if options else [name]
    return (words[-1] if words[-1].isalpha() else "_".join(words)).upper()
