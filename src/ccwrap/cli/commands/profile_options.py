"""The options for a profile's fields, generated from the field table (``profiles/fields.py``)
for ``setup`` and ``profile edit``, so both have every field's flag, with the same name and help.

A command declares its own parameters plus ``fields: FieldValues``; :func:`with_field_options`
gives Typer a signature with one option per field (after the command's arguments, before its own
options) and hands the command the values as ``fields`` (field name → value; None: not given).
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from typing import Any

import typer

from ccwrap.profiles.fields import FieldKind, ProfileField, flag_fields

FieldValues = dict[str, Any]
FORCE_ENV = typer.Option(
    False,
    "--force",
    help="Allow --env variables that change what runs or loads (LD_PRELOAD, NODE_OPTIONS, PATH).",
)
FIELDS_PARAMETER = "fields"
_TYPES: dict[FieldKind, Any] = {
    "bool": bool | None,
    "headers": list[str] | None,
    "env": list[str] | None,
}


def field_option(spec: ProfileField) -> Any:
    return typer.Option(None, *([spec.flag] if spec.flag else []), help=spec.help)


def field_parameters() -> list[inspect.Parameter]:
    return [
        inspect.Parameter(
            spec.name,
            inspect.Parameter.KEYWORD_ONLY,
            default=field_option(spec),
            annotation=_TYPES.get(spec.kind, str | None),
        )
        for spec in flag_fields()
    ]


def with_field_options(command: Callable[..., None]) -> Callable[..., None]:
    """``command`` with one Typer option per field of the table, collected into ``fields``."""
    hints = typing.get_type_hints(command)
    own = [
        p.replace(kind=inspect.Parameter.KEYWORD_ONLY, annotation=hints[p.name])
        for p in inspect.signature(command).parameters.values()
        if p.name != FIELDS_PARAMETER
    ]
    arguments = [p for p in own if isinstance(p.default, typer.models.ArgumentInfo)]
    options = [p for p in own if p not in arguments]
    parameters = [*arguments, *field_parameters(), *options]
    names = {spec.name for spec in flag_fields()}
    clash = names & {p.name for p in own}
    if clash:
        raise TypeError(f"{command.__name__} declares field option(s) itself: {sorted(clash)}")

    def run(**kwargs: Any) -> None:
        fields = {name: kwargs.pop(name) for name in names}
        command(**kwargs, **{FIELDS_PARAMETER: fields})

    run.__name__ = command.__name__
    run.__qualname__ = command.__qualname__
    run.__doc__ = command.__doc__
    run.__module__ = command.__module__
    run.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    run.__annotations__ = {p.name: p.annotation for p in parameters}
    return run
