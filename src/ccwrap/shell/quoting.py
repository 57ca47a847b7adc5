"""One literal word per shell: quoting that expands nothing ($, `, \\, quotes, globs)."""

from __future__ import annotations

import re

from ccwrap.shell.kinds import Shell

# Words that need no quotes in POSIX shells and fish (profile names are such words).
_BARE_WORD = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.,:/@%+=-]*")


def quote(shell: Shell, value: str) -> str:
    """``value`` as one literal word in ``shell`` (no expansion of $, `, \\, quotes or globs)."""
    if shell == "powershell":
        return _quote_powershell(value)
    if _BARE_WORD.fullmatch(value):
        return value
    if shell == "fish":
        # Inside fish's single quotes only \\ and \' are special.
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return "'" + value.replace("'", "'\\''") + "'"


# PowerShell treats the typographic quotes as quotes too.
_PS_SINGLE_QUOTES = "'\u2018\u2019\u201a\u201b"
_PS_DOUBLE_QUOTES = '"\u201c\u201d\u201e'
_PS_ESCAPES = {"\n": "`n", "\r": "`r", "\t": "`t", "\0": "`0", "`": "``", "$": "`$"}


def _quote_powershell(value: str) -> str:
    if not any(c in value for c in "\r\n\0"):
        return "'" + "".join(c * 2 if c in _PS_SINGLE_QUOTES else c for c in value) + "'"
    # A line break must stay on one line: `ccwrap env | Invoke-Expression` runs line by line.
    escaped = "".join(_PS_ESCAPES.get(c, "`" + c if c in _PS_DOUBLE_QUOTES else c) for c in value)
    return f'"{escaped}"'
