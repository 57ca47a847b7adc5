"""Surgical edits of a JSON document's text: every byte outside the edited spans stays as it was.

Only objects are edited, and only by three splices that are exact inverses of each other:

- a member is *appended* after the last member's value, copying that object's own separator and
  colon style (``,`` + the whitespace the object already uses between members);
- a member is *removed* from the end of the previous member's value to the end of its own value
  (or, when it is the first member, from its key to the next key), which takes away exactly what
  an append put in;
- a member's *value* is replaced in place.

An empty object (``{}``, ``{ }``) is opened onto new lines in the document's indentation; its
original inner whitespace is returned so the caller can put it back when the object empties again.
The document must already be valid JSON (``claude_settings.parse_settings`` checks that first).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

_WHITESPACE = " \t\n\r"
_DECODER = json.JSONDecoder()
_scanstring = json.decoder.scanstring  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Member:
    key: str
    key_start: int  # the opening quote of the key
    key_end: int  # just after the closing quote
    value_start: int
    value_end: int


@dataclass(frozen=True)
class ObjectSpan:
    start: int  # the "{"
    end: int  # the "}"
    members: tuple[Member, ...]

    def last(self, key: str) -> Member | None:
        """The member that counts (JSON.parse, like json.loads, keeps the last duplicate)."""
        found = [m for m in self.members if m.key == key]
        return found[-1] if found else None


def _skip(text: str, index: int) -> int:
    while index < len(text) and text[index] in _WHITESPACE:
        index += 1
    return index


def scan_object(text: str, start: int) -> ObjectSpan:
    """The members of the object whose ``{`` is at ``start``."""
    if text[start] != "{":
        raise ValueError(f"no object at offset {start}")
    index = _skip(text, start + 1)
    members: list[Member] = []
    if text[index] == "}":
        return ObjectSpan(start, index, ())
    while True:
        key, key_end = _scanstring(text, index + 1)
        colon = _skip(text, key_end)
        value_start = _skip(text, colon + 1)
        _, value_end = _DECODER.raw_decode(text, value_start)
        members.append(Member(key, index, key_end, value_start, value_end))
        index = _skip(text, value_end)
        if text[index] == "}":
            return ObjectSpan(start, index, tuple(members))
        index = _skip(text, index + 1)  # the comma


def top_object(text: str) -> ObjectSpan:
    return scan_object(text, _skip(text, 0))


def value_of(text: str, member: Member) -> Any:
    return json.loads(text[member.value_start : member.value_end])


def newline_of(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def _line_indent(text: str, index: int) -> str:
    line_start = text.rfind("\n", 0, index) + 1
    end = line_start
    while end < index and text[end] in " \t":
        end += 1
    return text[line_start:end]


def indent_unit(text: str) -> str:
    """One level of the document's indentation (two spaces when nothing tells)."""
    top = top_object(text)
    if top.members:
        first = top.members[0]
        before = text[top.start + 1 : first.key_start]
        if "\n" in before:
            inner = before.rsplit("\n", 1)[1]
            outer = _line_indent(text, top.start)
            if inner.startswith(outer) and len(inner) > len(outer):
                return inner[len(outer) :]
    for line in text.splitlines()[1:]:
        stripped = line.lstrip(" \t")
        if stripped and len(stripped) < len(line):
            return line[: len(line) - len(stripped)]
    return "  "


def _layout(text: str, obj: ObjectSpan) -> tuple[str, str]:
    """(separator before a member, colon) as this object already writes them."""
    last = obj.members[-1]
    colon = text[last.key_end : last.value_start]
    if len(obj.members) >= 2:
        previous = obj.members[-2]
        between = text[previous.value_end : last.key_start]
        separator = between[between.index(",") + 1 :]
    else:
        separator = text[obj.start + 1 : last.key_start]
        if not separator and colon.endswith(" "):
            separator = " "  # {"a": 1} reads best as {"a": 1, "b": 2}
    return separator, colon


def render_object(
    items: list[tuple[str, Any]],
    *,
    indent: str,
    unit: str,
    newline: str,
    colon: str = ": ",
    separator: str = " ",
) -> str:
    """A new object whose ``{`` sits on a line indented by ``indent`` (one line without newline)."""
    if not items:
        return "{}"
    if not newline:
        body = f",{separator}".join(f"{_dump(k)}{colon}{_dump(v)}" for k, v in items)
        return "{" + body + "}"
    child = indent + unit
    body = f",{newline}{child}".join(f"{_dump(k)}{colon}{_dump(v)}" for k, v in items)
    return "{" + newline + child + body + newline + indent + "}"


def _dump(value: Any) -> str:
    # Claude Code reads UTF-8; escaping non-ASCII would only make the file harder to read.
    return json.dumps(value, ensure_ascii=False)


def append_members(
    text: str, obj: ObjectSpan, items: list[tuple[str, Any]], *, raw: bool = False
) -> tuple[str, str | None]:
    """Append ``items`` (values as Python data, or JSON text with ``raw``) to ``obj``.

    Returns the new text and, when ``obj`` was empty, its original inner whitespace.
    """
    if not items:
        return text, None
    unit = indent_unit(text)
    newline = newline_of(text)
    if obj.members:
        separator, colon = _layout(text, obj)
        multiline = "\n" in separator
        member_indent = separator.rsplit("\n", 1)[1] if multiline else ""
        nl = newline if multiline else ""
        pieces = [
            f",{separator}{_dump(k)}{colon}"
            + _value_text(
                v, raw, indent=member_indent, unit=unit, newline=nl, colon=colon, sep=separator
            )
            for k, v in items
        ]
        at = obj.members[-1].value_end
        return text[:at] + "".join(pieces) + text[at:], None
    inner = text[obj.start + 1 : obj.end]
    multiline = "\n" in text or text.strip() == "{}"
    outer = _line_indent(text, obj.start)
    child = outer + unit if multiline else ""
    colon = ": "
    separator = f",{newline}{child}" if multiline else ", "
    nl = newline if multiline else ""
    body = separator.join(
        f"{_dump(k)}{colon}"
        + _value_text(v, raw, indent=child, unit=unit, newline=nl, colon=colon, sep=" ")
        for k, v in items
    )
    block = f"{newline}{child}{body}{newline}{outer}" if multiline else body
    return text[: obj.start + 1] + block + text[obj.end :], inner


def _value_text(
    value: Any, raw: bool, *, indent: str, unit: str, newline: str, colon: str, sep: str
) -> str:
    if raw:
        return str(value)
    if isinstance(value, dict):
        return render_object(
            list(value.items()),
            indent=indent,
            unit=unit,
            newline=newline,
            colon=colon,
            separator=sep,
        )
    return _dump(value)


def replace_value(text: str, member: Member, value_text: str) -> str:
    return text[: member.value_start] + value_text + text[member.value_end :]


def remove_member(text: str, obj: ObjectSpan, member: Member, empty_inner: str = "") -> str:
    """Remove ``member`` from ``obj``; an object left empty gets ``empty_inner`` inside."""
    members = obj.members
    index = members.index(member)
    if len(members) == 1:
        return text[: obj.start + 1] + empty_inner + text[obj.end :]
    if index > 0:
        start = members[index - 1].value_end
        return text[:start] + text[member.value_end :]
    return text[: member.key_start] + text[members[1].key_start :]


def dump_value(value: Any) -> str:
    return _dump(value)
