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
The document must already be valid JSON (``claude_settings.parse_settings`` checks that first),
or JSONC as editors write it (VS Code's settings.json): ``//`` and ``/* */`` comments and trailing
commas are skipped like whitespace, never copied into a separator and never moved, so every
comment outside ccwrap's members keeps its bytes. :func:`loads_jsonc` reads such a document.
"""

from __future__ import annotations

import json
import re
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


_LITERAL = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|true|false|null")


def _skip(text: str, index: int) -> int:
    """Past whitespace and comments (plain JSON has none, so this is the same for it)."""
    while index < len(text):
        char = text[index]
        if char in _WHITESPACE:
            index += 1
        elif text.startswith("//", index):
            newline = text.find("\n", index)
            index = len(text) if newline < 0 else newline + 1
        elif text.startswith("/*", index):
            close = text.find("*/", index + 2)
            if close < 0:
                raise ValueError(f"unterminated comment at offset {index}")
            index = close + 2
        else:
            break
    return index


def _has_comment(text: str) -> bool:
    return "/" in text


def _value_end(text: str, start: int) -> int:
    """The end of the value at ``start``: the standard decoder for JSON, a scan for JSONC."""
    try:
        return int(_DECODER.raw_decode(text, start)[1])
    except ValueError:
        return _jsonc_value_end(text, start)


def _jsonc_value_end(text: str, start: int, depth: int = 0) -> int:
    if depth > 200:
        raise ValueError("the document is nested too deeply")
    char = text[start] if start < len(text) else ""
    if char == '"':
        return int(_scanstring(text, start + 1)[1])
    if char in "{[":
        close = "}" if char == "{" else "]"
        index = _skip(text, start + 1)
        while text[index] != close:
            if char == "{":
                index = _skip(text, int(_scanstring(text, index + 1)[1]))
                if text[index] != ":":
                    raise ValueError(f"expected ':' at offset {index}")
                index = _skip(text, index + 1)
            index = _skip(text, _jsonc_value_end(text, index, depth + 1))
            if text[index] == ",":
                index = _skip(text, index + 1)
            elif text[index] != close:
                raise ValueError(f"expected ',' or {close!r} at offset {index}")
        return index + 1
    match = _LITERAL.match(text, start)
    if match is None:
        raise ValueError(f"no JSON value at offset {start}")
    return match.end()


def loads_jsonc(text: str) -> Any:
    """A JSONC document (comments, trailing commas) as data; ``ValueError`` when invalid."""
    if not text.strip():
        return {}
    out: list[str] = []
    index = _skip(text, 0)
    end = _jsonc_value_end(text, index)
    if _skip(text, end) != len(text):
        raise ValueError("extra data after the document")
    # Re-emit the value without comments and trailing commas, then let json check it.
    position = index
    while position < end:
        char = text[position]
        if char == '"':
            close = int(_scanstring(text, position + 1)[1])
            out.append(text[position:close])
            position = close
            continue
        if char in _WHITESPACE or text.startswith(("//", "/*"), position):
            position = _skip(text, position)
            continue
        if char == ",":
            following = _skip(text, position + 1)
            if following < len(text) and text[following] in "]}":
                position = following
                continue
        out.append(char)
        position += 1
    return json.loads("".join(out))


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
        value_end = _value_end(text, value_start)
        members.append(Member(key, index, key_end, value_start, value_end))
        index = _skip(text, value_end)
        if text[index] == "}":
            return ObjectSpan(start, index, tuple(members))
        index = _skip(text, index + 1)  # the comma
        if text[index] == "}":  # JSONC: a trailing comma
            return ObjectSpan(start, index, tuple(members))


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
    if _has_comment(colon):
        colon = ": "
    if len(obj.members) >= 2:
        previous = obj.members[-2]
        comma = _skip(text, previous.value_end)
        separator = text[comma + 1 : last.key_start]
    else:
        separator = text[obj.start + 1 : last.key_start]
        if not separator and colon.endswith(" "):
            separator = " "  # {"a": 1} reads best as {"a": 1, "b": 2}
    if _has_comment(separator):  # JSONC: copy the line break and indent, never the comment
        tail = separator.rsplit("\n", 1)
        separator = "\n" + tail[1] if len(tail) == 2 else " "
        if "\r\n" in text:
            separator = separator.replace("\n", "\r\n")
        if separator.strip(" \t\r\n") != "":
            separator = " "
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
    commented = _has_comment(inner)
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
    if commented:  # JSONC: the comments inside stay, after the new members
        block = f"{newline}{child}{body}" if multiline else body
        return text[: obj.start + 1] + block + text[obj.start + 1 :], inner
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
