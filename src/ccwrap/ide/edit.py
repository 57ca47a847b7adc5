"""The pure edit of an editor settings.json (JSONC): byte-exact splices and their record."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ccwrap.errors import SettingsError
from ccwrap.settings import json_splice


@dataclass
class Record:
    """What ccwrap wrote into one file: per key the value, and the raw text it replaced."""

    owned: dict[str, dict[str, Any]] = field(default_factory=dict)
    inner: str | None = None  # the inside of an empty top object, for when it empties again
    created: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"owned": self.owned, "inner": self.inner, "created": self.created}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Record:
        owned = data.get("owned")
        return cls(
            owned=dict(owned) if isinstance(owned, dict) else {},
            inner=data.get("inner") if isinstance(data.get("inner"), str) else None,
            created=bool(data.get("created")),
        )


def parse(text: str, path: Path) -> Any:
    try:
        data = json_splice.loads_jsonc(text)
    except (ValueError, IndexError) as exc:
        raise SettingsError(
            f"{path} is not valid JSON with comments: {exc}", hint="fix it in the editor first"
        ) from exc
    if not isinstance(data, dict):
        raise SettingsError(f"{path} does not hold an object")
    return data


def apply_text(text: str, wanted: Mapping[str, Any], record: Record, path: Path) -> str:
    """``text`` with each wanted key set; ``record`` learns what was there before."""
    if not text.strip():
        text, record.created = "{}\n", True
    parse(text, path)
    for key, value in wanted.items():
        top = json_splice.top_object(text)
        member = top.last(key)
        if key not in record.owned:
            previous = None if member is None else text[member.value_start : member.value_end]
            record.owned[key] = {"previous": previous, "written": value}
        record.owned[key]["written"] = value
        if member is not None:
            text = json_splice.replace_value(text, member, _dump(value, text))
        else:
            text, inner = json_splice.append_members(text, top, [(key, value)])
            if inner is not None and record.inner is None:
                record.inner = inner
    return text


def conflicts(text: str, record: Record, path: Path) -> list[str]:
    """The keys ccwrap wrote whose value somebody changed since."""
    data = parse(text, path)
    return sorted(
        key
        for key, entry in record.owned.items()
        if key in data and data[key] != entry.get("written")
    )


def clear_text(text: str, record: Record) -> str:
    """Put back, key by key, the raw text each ccwrap key replaced (or remove the key)."""
    for key in reversed(list(record.owned)):
        top = json_splice.top_object(text)
        member = top.last(key)
        if member is None:
            continue
        previous = record.owned[key].get("previous")
        if isinstance(previous, str):
            text = json_splice.replace_value(text, member, previous)
        else:
            text = json_splice.remove_member(text, top, member, record.inner or "")
    return text


def _dump(value: Any, text: str) -> str:
    if isinstance(value, list):  # a list of small objects, one a line, in the file's indent
        unit = json_splice.indent_unit(text)
        newline = json_splice.newline_of(text)
        items = [json.dumps(v, ensure_ascii=False) for v in value]
        if not items:
            return "[]"
        inner = f",{newline}{unit}{unit}".join(items)
        return f"[{newline}{unit}{unit}{inner}{newline}{unit}]"
    return json.dumps(value, ensure_ascii=False)
