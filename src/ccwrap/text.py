"""Text that came from outside (a gateway, a checkout's files, an imported file): made safe to
print, and parsed within bounds.

``escape_control`` is what every renderer applies to foreign text: a gateway must not clear the
screen, move the cursor or forge a "✓ all good" line. ``loads_bounded`` parses JSON whose size and
depth are capped, so a hostile answer gives a clean message instead of a ``RecursionError`` or
gigabytes of memory.
"""

from __future__ import annotations

import json
import re
from typing import Any

# C0 controls (newline and tab included: a forged line is a forged line), DEL, C1 controls, the
# bidirectional overrides and isolates (text that reads differently from what it is), and lone
# surrogates (undecodable bytes from argv or a file: printing them raises).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
# JSON nested deeper than this is refused before parsing (Python's parser recurses).
MAX_JSON_DEPTH = 64
# What is parsed at most; callers reading from the network cap their reads at this too.
MAX_JSON_BYTES = 4 * 1024 * 1024
_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = re.compile(rb"[^\[\]{}]+")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_control(text: str) -> str:
    """``text`` with every control character shown as ``\\xNN`` (or ``\\uNNNN``)."""
    return _UNSAFE.sub(_escape, text)


def escape_tree(value: Any, depth: int = 0) -> Any:
    """Every string in a JSON-like value escaped (keys too); deeper than 20 levels is cut."""
    if depth > 20:
        return "…"
    if isinstance(value, str):
        return escape_control(value)
    if isinstance(value, dict):
        return {escape_control(str(k)): escape_tree(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [escape_tree(v, depth + 1) for v in value]
    return value


class JSONBoundsError(ValueError):
    """The document is larger or deeper than a foreign document may be."""


def json_depth(raw: bytes) -> int:
    """The deepest nesting of arrays and objects in ``raw`` (strings skipped)."""
    brackets = _NOT_BRACKETS.sub(b"", _STRINGS.sub(b"", raw))
    depth = deepest = 0
    for byte in brackets:
        if byte in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def loads_bounded(
    raw: bytes | str, *, max_bytes: int = MAX_JSON_BYTES, max_depth: int = MAX_JSON_DEPTH
) -> Any:
    """``json.loads`` for foreign documents: :class:`JSONBoundsError` past the caps, the usual
    ``ValueError`` (``JSONDecodeError``, ``UnicodeDecodeError``) for invalid ones."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    if len(data) > max_bytes:
        raise JSONBoundsError(f"the document is larger than {max_bytes} bytes")
    if json_depth(data) > max_depth:
        raise JSONBoundsError(f"the document is nested deeper than {max_depth} levels")
    try:
        return json.loads(data)
    except RecursionError as exc:  # pragma: no cover - the depth check comes first
        raise JSONBoundsError("the document is nested too deeply") from exc
