"""Folders bound to profiles: ``.ccwrap.toml`` files and the path-keyed table in config.toml.

A binding says "in this folder and below, use profile NAME". It lives either in a
``.ccwrap.toml`` at the folder's top (shareable: it holds a profile name and nothing else) or, for
folders the user does not want to touch, in ccwrap's own config as ``[bindings]`` keyed by the
folder's absolute path. The nearest folder up from the working folder wins; in one folder the
config entry (the user's own choice) wins over the file (which came with a checkout).

``.ccwrap.toml`` is untrusted input from a checkout: only regular files, at most
:data:`MAX_FILE_BYTES`, holding exactly ``profile = "NAME"`` with a valid profile name. Anything
else in it is refused rather than ignored, so it can never name a URL, key source or command.

This module is on ``ccwrap run``'s path: walking up costs one ``stat`` per folder, and only the
standard library is imported.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ccwrap.errors import ConfigError

BINDING_FILE = ".ccwrap.toml"
MAX_FILE_BYTES = 4096
# The profile-name rule (profiles.store.NAME_PATTERN), always used with fullmatch.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
FILE_TEMPLATE = (
    "# ccwrap: this folder and the folders below it use the profile named here.\n"
    "# Only a profile name can go in this file; URLs and keys stay in ccwrap's own config.\n"
    'profile = "{name}"\n'
)


class BindingError(ConfigError):
    """A binding file or entry that cannot be used (never silently skipped)."""


@dataclass(frozen=True)
class Binding:
    profile: str
    folder: Path
    kind: Literal["file", "config"]

    @property
    def origin(self) -> str:
        """Where the binding was found, in words (``run --dry-run`` and ``bind --list``)."""
        if self.kind == "file":
            return str(self.folder / BINDING_FILE)
        return f"config.toml [bindings] {str(self.folder)!r}"

    def to_dict(self) -> dict[str, str]:
        return {"profile": self.profile, "folder": str(self.folder), "kind": self.kind}


def find_binding(cwd: Path, bindings: Mapping[str, str]) -> Binding | None:
    """The binding of ``cwd`` or the nearest folder above it, else None."""
    folder = Path(os.path.normpath(cwd.absolute()))  # lexical: no syscall per part
    while True:
        if (name := bindings.get(str(folder))) is not None:
            where = f"config.toml [bindings] {str(folder)!r}"
            return Binding(check_name(name, where), folder, "config")
        if (name := read_binding_file(folder / BINDING_FILE)) is not None:
            return Binding(name, folder, "file")
        if folder.parent == folder:
            return None
        folder = folder.parent


def read_binding_file(path: Path) -> str | None:
    """The profile a ``.ccwrap.toml`` names; None when there is no such file."""
    from ccwrap.fsutil import read_small_file

    try:
        raw = read_small_file(path, limit=MAX_FILE_BYTES)
    except OSError as exc:
        raise BindingError(
            f"cannot use {escape(str(path))}: {exc.strerror or exc}",
            hint='it may only hold: profile = "NAME" (or: ccwrap unbind)',
        ) from exc
    return None if raw is None else parse_binding(raw, path)


def parse_binding(raw: bytes, path: Path) -> str:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib

    if len(raw) > MAX_FILE_BYTES:
        raise BindingError(f"{path} is larger than {MAX_FILE_BYTES} bytes")
    try:
        data: dict[str, Any] = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise BindingError(
            f"{path} is not valid TOML: {escape(str(exc))}",
            hint='it may only hold: profile = "NAME"',
        ) from exc
    extra = sorted(set(data) - {"profile"})
    if extra:
        raise BindingError(
            f"{path} holds more than a profile name: {escape(', '.join(extra))}",
            hint="a folder binding can only name a profile; URLs and keys stay in ccwrap's config",
        )
    name = data.get("profile")
    if not isinstance(name, str):
        raise BindingError(f"{path} names no profile", hint='write: profile = "NAME"')
    return check_name(name, str(path))


def check_name(name: str, where: str) -> str:
    if not _NAME.fullmatch(name):
        raise BindingError(
            f"{where} names an invalid profile name {escape(name)!r}",
            hint="letters, digits, '.', '_' or '-' (at most 64; first a letter or digit)",
        )
    return name


# -- writing (the CLI's bind/unbind; not on the hot path) -----------------------------------------
def write_binding_file(folder: Path, name: str) -> Path:
    """Create or replace ``folder/.ccwrap.toml`` (never a file that is not a binding)."""
    from ccwrap.fsutil import atomic_write

    check_name(name, "the profile")
    path = folder / BINDING_FILE
    read_binding_file(path)  # an existing file must be a valid binding before it is replaced
    atomic_write(path, FILE_TEMPLATE.format(name=name).encode("utf-8"), mode=0o644)
    return path


def remove_binding_file(folder: Path) -> str | None:
    """Remove ``folder/.ccwrap.toml`` (only a valid binding file); the profile it named."""
    path = folder / BINDING_FILE
    name = read_binding_file(path)
    if name is not None:
        path.unlink()
    return name


def folder_key(folder: Path) -> str:
    """The key of a folder in config.toml's ``[bindings]``: its absolute, resolved path."""
    return str(folder.expanduser().resolve())


def escape(text: str) -> str:
    """Control characters escaped (ccwrap.text, imported only on this error path)."""
    from ccwrap.text import escape_control

    return escape_control(text)
