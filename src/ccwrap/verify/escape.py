"""Text from a gateway made safe to print: control characters shown, never obeyed.

``escape_control`` is the one function verify uses before anything from outside reaches the
terminal (C0 and C1 controls, DEL, and the bidirectional overrides become visible escapes), so a
hostile gateway cannot move the cursor, colour the screen or reorder a line.
"""

from __future__ import annotations

import re
from typing import Any

_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def escape_control(text: str) -> str:
    """``text`` with every control character as ``\\xNN`` or ``\\uNNNN`` (newline, tab kept)."""
    return _UNSAFE.sub(_visible, text).replace("\n", "\\n").replace("\t", " ")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


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
