"""Profiles and their store, ``config.toml``.

Reading uses the standard library's TOML parser (fast: ``run``, ``key`` and completion read the
config on every call); writing uses tomlkit so that comments and keys a user added by hand survive.

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

import re
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ccwrap.context import ensure_private_dir
from ccwrap.errors import BindingMismatch, BoundProfileMissing, ConfigError, ProfileNotFound
from ccwrap.fsutil import atomic_write

if TYPE_CHECKING:
    from ccwrap.binding import Binding

CONFIG_VERSION = 1
AuthMode = Literal["bearer", "x-api-key", "none"]
AUTH_MODES: tuple[AuthMode, ...] = ("bearer", "x-api-key", "none")
ProxyMode = Literal["auto", "always", "never"]
PROXY_MODES: tuple[ProxyMode, ...] = ("auto", "always", "never")
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
DEFAULT_KEY_SOURCE = "keyring"


@dataclass
class Profile:
    name: str
    base_url: str
    auth: AuthMode = "bearer"
    # Where the key lives: "keyring", "env:VAR", "cmd:COMMAND", "file:PATH" (see secrets.py).
    key: str = DEFAULT_KEY_SOURCE
    model: str | None = None
    opus_model: str | None = None
    sonnet_model: str | None = None
    haiku_model: str | None = None
    subagent_model: str | None = None
    cache_1h: bool = False
    # True keeps Claude Code's attribution block in the system prompt (the client's default).
    attribution_header: bool = True
    gateway_discovery: bool = False
    disable_experimental_betas: bool = False
    headers: dict[str, str] = field(default_factory=dict)
    # Header name -> key source, for header values that are secrets (the proxy adds them).
    secret_headers: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    proxy: ProxyMode = "auto"
    # Model name (exact or glob) as Claude Code sends it -> name the gateway serves (proxy only).
    model_map: dict[str, str] = field(default_factory=dict)
    preset: str | None = None
    description: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The profile as TOML-ready data: defaults and empty tables left out, name excluded."""
        defaults = Profile(name=self.name, base_url=self.base_url)
        data: dict[str, Any] = {}
        for key, value in asdict(self).items():
            if key == "name" or value is None or value == {}:
                continue
            if key != "base_url" and value == getattr(defaults, key) and key != "auth":
                continue
            data[key] = value
        return data

    @classmethod
    def from_dict(cls, name: str, data: Mapping[str, Any]) -> Profile:
        known = {f.name for f in fields(cls)} - {"name"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(
                f"profile {name!r} has unknown field(s): {', '.join(unknown)}",
                hint=f"known fields: {', '.join(sorted(known))}",
            )
        if "base_url" not in data:
            raise ConfigError(f"profile {name!r} has no base_url")
        profile = cls(name=name, **{k: _plain(v) for k, v in data.items()})
        validate(profile)
        return profile


def _plain(value: Any) -> Any:
    # tomlkit hands back its own container types; the dataclass wants dicts and strs.
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, str):
        return str(value)
    return value


def validate_name(name: str) -> str:
    if not NAME_PATTERN.match(name):
        raise ConfigError(
            f"invalid profile name {name!r}",
            hint="use letters, digits, '.', '_' or '-' (at most 64; first a letter or digit)",
        )
    return name


def validate(profile: Profile) -> None:
    validate_name(profile.name)
    _check_type(profile, "base_url", str)
    if profile.auth not in AUTH_MODES:
        raise ConfigError(
            f"profile {profile.name!r}: auth must be one of {', '.join(AUTH_MODES)}, "
            f"not {profile.auth!r}"
        )
    if profile.proxy not in PROXY_MODES:
        raise ConfigError(
            f"profile {profile.name!r}: proxy must be one of {', '.join(PROXY_MODES)}, "
            f"not {profile.proxy!r}"
        )
    for name in (
        "cache_1h",
        "attribution_header",
        "gateway_discovery",
        "disable_experimental_betas",
    ):
        _check_type(profile, name, bool)
    for name in ("headers", "secret_headers", "env", "model_map"):
        table = getattr(profile, name)
        if not isinstance(table, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in table.items()
        ):
            raise ConfigError(f"profile {profile.name!r}: {name} must be a table of strings")


def _check_type(profile: Profile, name: str, kind: type) -> None:
    value = getattr(profile, name)
    if not isinstance(value, kind):
        raise ConfigError(
            f"profile {profile.name!r}: {name} must be a {kind.__name__}, not {value!r}"
        )


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
        try:
            return self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return ""
        except OSError as exc:
            raise ConfigError(f"cannot read {self.path}: {exc.strerror}") from exc

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
