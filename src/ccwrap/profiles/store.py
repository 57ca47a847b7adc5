"""The profiles' file, ``config.toml``: read, add or replace, remove, the default.

Reading uses the standard library's TOML parser (fast: ``run``, ``key`` and completion read the
config on every call); writing uses tomlkit so that comments and keys a user added by hand survive.
The profile itself (fields, names, validation) is ``profiles/model.py``.

Layout::

    version = 1
    default = "work"

    [profiles.work]
    base_url = "https://gateway.example.com"
    auth = "bearer"
    key = "keyring"
    cache_1h = true

    [profiles.work.headers]
    X-Team = "a"
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ccwrap.context import ensure_private_dir
from ccwrap.errors import BindingMismatch, BoundProfileMissing, ConfigError, ProfileNotFound
from ccwrap.fsutil import atomic_write

# The model's names, re-exported: callers that load profiles need only this module.
from ccwrap.profiles.model import (
    AUTH_MODES,
    DEFAULT_KEY_SOURCE,
    NAME_PATTERN,
    PROXY_MODES,
    AuthMode,
    Profile,
    ProxyMode,
    validate,
    validate_name,
)

__all__ = [
    "AUTH_MODES",
    "CONFIG_VERSION",
    "DEFAULT_KEY_SOURCE",
    "NAME_PATTERN",
    "PROXY_MODES",
    "AuthMode",
    "Choice",
    "Config",
    "Profile",
    "ProfileStore",
    "ProxyMode",
    "choose",
    "resolve",
    "validate",
    "validate_name",
]

if TYPE_CHECKING:
    from ccwrap.binding import Binding

CONFIG_VERSION = 1


@dataclass
class Config:
    version: int
    default: str | None
    profiles: dict[str, Profile]
    # Folder (absolute path) -> profile name: bindings kept here instead of a .ccwrap.toml.
    bindings: dict[str, str] = field(default_factory=dict)


def _load_toml(text: str, path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except RecursionError as exc:  # tomllib recurses on nested arrays and inline tables
        raise ConfigError(
            f"{path} is nested too deeply to read", hint="fix the file by hand, or move it away"
        ) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{path} is not valid TOML: {exc}", hint="fix the file by hand, or move it away"
        ) from exc
    return data


class ProfileStore:
    """config.toml: read fast with the standard library, written with tomlkit."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _text(self) -> str:
        from ccwrap.fsutil import read_small_text

        try:
            return read_small_text(self.path) or ""
        except OSError as exc:
            raise ConfigError(f"cannot read {self.path}: {exc.strerror or exc}") from exc

    def load(self) -> Config:
        raw = _load_toml(self._text(), self.path)
        version = raw.get("version", CONFIG_VERSION)
        if version != CONFIG_VERSION:
            raise ConfigError(
                f"{self.path} has version {version!r}; this ccwrap understands {CONFIG_VERSION}",
                hint="upgrade ccwrap",
            )
        tables = raw.get("profiles", {})
        if not isinstance(tables, dict):
            raise ConfigError(f"{self.path}: [profiles] must be a table")
        profiles = {}
        for name, data in tables.items():
            if not isinstance(data, dict):
                raise ConfigError(f"{self.path}: [profiles.{name}] must be a table")
            profiles[name] = Profile.from_dict(name, data)
        default = raw.get("default")
        bindings = raw.get("bindings", {})
        if not isinstance(bindings, dict) or not all(isinstance(v, str) for v in bindings.values()):
            raise ConfigError(f"{self.path}: [bindings] must be a table of folder = profile")
        return Config(
            version=version,
            default=default if isinstance(default, str) else None,
            profiles=profiles,
            bindings=bindings,
        )

    def names(self) -> list[str]:
        return sorted(self.load().profiles)

    def get(self, name: str) -> Profile:
        config = self.load()
        if name not in config.profiles:
            raise _not_found(name, sorted(config.profiles))
        return config.profiles[name]

    def exists(self, name: str) -> bool:
        return name in self.load().profiles

    def save(self, profile: Profile) -> None:
        """Add or replace one profile; everything else in the file is kept as it was."""
        validate(profile)
        import tomlkit

        document = self._document()
        profiles = document.setdefault("profiles", tomlkit.table(is_super_table=True))
        data = profile.to_dict()
        if profile.name in profiles:
            existing = profiles[profile.name]
            # Update in place so the user's comments inside the table stay where they were.
            for key in [k for k in existing if k not in data]:
                del existing[key]
            for key, value in data.items():
                if existing.get(key) != value:
                    existing[key] = value
        else:
            profiles[profile.name] = data
        self._write(document)

    def remove(self, name: str) -> Profile:
        profile = self.get(name)
        document = self._document()
        del document["profiles"][name]
        if document.get("default") == name:
            del document["default"]
        self._write(document)
        return profile

    def set_default(self, name: str | None) -> None:
        if name is not None:
            self.get(name)
        document = self._document()
        if name is None:
            document.pop("default", None)
        else:
            document["default"] = name
        self._write(document)

    def set_binding(self, folder: str, name: str | None) -> str | None:
        """Bind ``folder`` (an absolute path) to a profile, or unbind it; the previous name."""
        import tomlkit

        if name is not None:
            self.get(name)
        document = self._document()
        table = document.get("bindings")
        previous = None if table is None else table.get(folder)
        if name is None:
            if table is None or folder not in table:
                return None
            del table[folder]
            if not table:
                del document["bindings"]
        else:
            if table is None:
                table = document["bindings"] = tomlkit.table()
            table[folder] = name
        self._write(document)
        return None if previous is None else str(previous)

    def _document(self) -> Any:
        import tomlkit

        text = self._text()
        if "version" not in _load_toml(text, self.path):  # also: same error as a read
            text = (
                f"version = {CONFIG_VERSION}\n\n{text}"
                if text.strip()
                else (f"version = {CONFIG_VERSION}\n")
            )
        return tomlkit.parse(text)

    def _write(self, document: Any) -> None:
        import tomlkit

        ensure_private_dir(self.path.parent)
        atomic_write(self.path, tomlkit.dumps(document).encode("utf-8"), mode=0o600)


def _not_found(name: str, names: list[str]) -> ProfileNotFound:
    hint = f"profiles: {', '.join(names)}" if names else "create one with: ccwrap setup"
    return ProfileNotFound(f"no profile named {name!r}", hint=hint)


@dataclass(frozen=True)
class Choice:
    """The profile a command runs on, and why (``run --dry-run`` says it)."""

    profile: Profile
    reason: str  # "--profile", "binding", "CCWRAP_PROFILE", "default", "only profile"
    binding: Binding | None = None


def resolve(
    store: ProfileStore,
    name: str | None,
    environ: Mapping[str, str],
    cwd: Path | None = None,
    *,
    force: bool = False,
) -> Profile:
    """The profile of :func:`choose` (for callers that do not need the reason)."""
    return choose(store, name, environ, cwd, force=force).profile


def choose(
    store: ProfileStore,
    name: str | None,
    environ: Mapping[str, str],
    cwd: Path | None = None,
    *,
    force: bool = False,
) -> Choice:
    """``--profile NAME``, else the binding of ``cwd`` (nearest folder up), else
    ``CCWRAP_PROFILE``, else the default, else the only profile.

    A binding naming a missing profile is an error, never a fall back to another gateway. The
    leak guard: ``--profile B`` inside a folder bound to A raises :class:`BindingMismatch`
    unless ``force`` (the CLI asks at a terminal, then calls again with ``force``).
    """
    from ccwrap.binding import find_binding

    config = store.load()
    binding = None if cwd is None else find_binding(cwd, config.bindings)
    if binding is not None and binding.profile not in config.profiles:
        raise BoundProfileMissing(
            f"{binding.origin} names profile {binding.profile!r}, which does not exist",
            hint=f"create it, bind the folder to another profile (ccwrap bind NAME "
            f"{binding.folder}), or: ccwrap unbind {binding.folder}",
        )
    if name and binding is not None and name != binding.profile and not force:
        raise BindingMismatch(
            f"this folder is bound to profile {binding.profile!r} ({binding.origin}), not {name!r}",
            hint="pass --force to use it anyway, or drop --profile",
        )
    if name:
        return Choice(_lookup(config, name), "--profile", binding)
    if binding is not None:
        return Choice(config.profiles[binding.profile], "binding", binding)
    reason = "CCWRAP_PROFILE" if environ.get("CCWRAP_PROFILE") else "default"
    chosen = environ.get("CCWRAP_PROFILE") or config.default
    if chosen is None and len(config.profiles) == 1:
        chosen, reason = next(iter(config.profiles)), "only profile"
    if chosen is None:
        names = sorted(config.profiles)
        if not names:
            raise ProfileNotFound("no profile yet", hint="create one with: ccwrap setup")
        raise ProfileNotFound(
            "no profile chosen and no default set",
            hint=f"pass --profile NAME or run: ccwrap profile default NAME ({', '.join(names)})",
        )
    return Choice(_lookup(config, chosen), reason)


def _lookup(config: Config, name: str) -> Profile:
    if name not in config.profiles:
        raise _not_found(name, sorted(config.profiles))
    return config.profiles[name]
