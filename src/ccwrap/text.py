"""Text that came from outside, made safe to print (pure, stdlib only).

Anything ccwrap prints or logs that it did not write itself (a gateway's message, a request path,
a checkout's file contents, an imported file) goes through :func:`printable` first: a terminal
must never receive an escape sequence, a carriage return that overwrites a line, or a bidi
override that reorders one (a gateway could otherwise clear the screen and print "✓ all good").
"""

from __future__ import annotations

import re

# C0 controls except none (tab and newline included: one record is one line), DEL, C1 controls,
# and the Unicode bidi embeddings, overrides and isolates.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str | bytes) -> str:
    """``text`` with every control character shown as an escape (``\\x1b``, ``\\u202e``); bytes
    are decoded as UTF-8 with undecodable bytes shown as ``\\xNN``."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "backslashreplace")
    return _UNSAFE.sub(_escaped, text)


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
