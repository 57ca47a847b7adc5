"""An alias as text: the function per shell and the marked block it lives in.

Pure functions of text. Adding appends the block after one newline (which ends the file's last
line, or leaves a blank line before the block); removing takes that newline away again, so add then
remove gives the file back byte for byte.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ccwrap.errors import RcFileError, UsageError
from ccwrap.shell.kinds import Shell
from ccwrap.shell.quoting import quote

# A function name every shell accepts as a plain word (no quoting, no glob, no expansion).
ALIAS_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,63}")

START_MARKER = "# >>> ccwrap alias {name} >>>"
END_MARKER = "# <<< ccwrap alias {name} <<<"
_START = re.compile(r"^# >>> ccwrap alias (\S+) >>>[ \t]*\r?$", re.MULTILINE)
_PROFILE_IN_BODY = re.compile(r"ccwrap run --profile ('(?:[^']|'')*'|\S+)")


def validate_alias_name(name: str) -> str:
    if not ALIAS_NAME.fullmatch(name):
        raise UsageError(
            f"invalid alias name {name!r}",
            hint="use letters, digits, '_' or '-' (first a letter or '_'; at most 64)",
        )
    return name


def render_function(shell: Shell, name: str, profile: str) -> list[str]:
    """The function's lines. Arguments pass through as they are: "$@", $argv, @args."""
    p = quote(shell, profile)
    if shell == "fish":
        return [
            f"function {name} --description {quote(shell, f'Claude Code (ccwrap {profile})')}",
            f"    command ccwrap run --profile {p} -- $argv",
            "end",
        ]
    if shell == "powershell":
        # '--' quoted: Windows PowerShell swallows a bare -- before a native command's arguments.
        return [f"function {name} {{", f"    & ccwrap run --profile {p} '--' @args", "}"]
    # `function NAME {` rather than `NAME() {`: an alias of the same name is not expanded there.
    return [
        f"function {name} {{",
        f'    command ccwrap run --profile {p} -- "$@"',
        "}",
    ]


def render_block(shell: Shell, name: str, profile: str, nl: str = "\n") -> str:
    lines = [
        START_MARKER.format(name=name),
        f"# Claude Code with ccwrap profile {profile}; remove with: ccwrap alias remove {name}",
        *render_function(shell, name, profile),
        END_MARKER.format(name=name),
    ]
    return nl.join(lines) + nl


@dataclass(frozen=True)
class Block:
    name: str
    profile: str | None
    start: int
    end: int  # just after the end marker's line break (or at the end of the text)


def find_blocks(text: str, where: str = "the file") -> list[Block]:
    blocks: list[Block] = []
    position = 0
    while match := _START.search(text, position):
        name = match.group(1)
        end_marker = re.compile(
            rf"^{re.escape(END_MARKER.format(name=name))}[ \t]*(?:\r?\n|\Z)", re.MULTILINE
        )
        end = end_marker.search(text, match.end())
        if end is None:
            raise RcFileError(
                f"{where}: the ccwrap block of alias {name!r} has no end marker",
                hint=f"fix it by hand: the block ends with the line {END_MARKER.format(name=name)}",
            )
        body = text[match.end() : end.start()]
        blocks.append(Block(name, _profile_in(body), match.start(), end.end()))
        position = end.end()
    return blocks


def _profile_in(body: str) -> str | None:
    match = _PROFILE_IN_BODY.search(body)
    if match is None:
        return None
    word = match.group(1)
    if word.startswith("'") and word.endswith("'"):
        return word[1:-1].replace("''", "'")
    return word


def newline_of(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def add_block(text: str, name: str, block: str) -> str:
    """Replace the block of ``name`` in place, or append it after one line break."""
    for existing in find_blocks(text):
        if existing.name == name:
            return text[: existing.start] + block + text[existing.end :]
    if not text:
        return block
    return text + newline_of(text) + block


def remove_block(text: str, name: str) -> str | None:
    """The text without the block of ``name`` and the line break added with it (None: absent)."""
    found = next((b for b in find_blocks(text) if b.name == name), None)
    if found is None:
        return None
    before, after = text[: found.start], text[found.end :]
    nl = newline_of(text)
    # At the end of the file, the line break before the block is the one `add_block` added; in
    # the middle (the user wrote more after it), only a blank line before it is ours to take.
    if before.endswith(nl) and (not after or before.endswith(nl * 2)):
        before = before[: -len(nl)]
    return before + after
