"""What the ``profile`` commands do: list, show (with where the key comes from), edit, remove,
export and import. Data in, data out; the CLI renders it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from ccwrap.claude import env as claude_env
from ccwrap.claude.urls import normalize_base_url
from ccwrap.errors import ConfigError, KeyStoreError
from ccwrap.fsutil import read_small_text
from ccwrap.keys.sources import KeySource, SecretStore, mask
from ccwrap.profiles.store import (
    AUTH_MODES,
    PROXY_MODES,
    Profile,
    ProfileStore,
    _load_toml,
    validate,
)

ExportFormat = Literal["toml", "json"]
# A profile's extra env must not smuggle in what has its own field, or a secret.
_ENV_REFUSED = {claude_env.BASE_URL: "--url"}


@dataclass
class ProfileChanges:
    """Fields to change; None leaves a field as it is (shared by ``edit`` and ``setup``)."""

    base_url: str | None = None
    auth: str | None = None
    key: str | None = None
    model: str | None = None
    opus_model: str | None = None
    sonnet_model: str | None = None
    haiku_model: str | None = None
    subagent_model: str | None = None
    cache_1h: bool | None = None
    attribution_header: bool | None = None
    gateway_discovery: bool | None = None
    disable_experimental_betas: bool | None = None
    # Headers and env are merged: "" as a header value removes that header.
    headers: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    unset_env: list[str] = field(default_factory=list)
    proxy: str | None = None
    preset: str | None = None
    description: str | None = None


@dataclass
class Applied:
    profile: Profile
    fixes: list[str]
    warnings: list[str]


def apply_changes(profile: Profile, changes: ProfileChanges) -> Applied:
    """A new profile with ``changes`` applied and validated (the URL normalised)."""
    updates: dict[str, Any] = {
        name: value
        for name, value in asdict(changes).items()
        if value is not None and name not in ("headers", "env", "unset_env")
    }
    # "" clears an optional text field ("--model ''").
    for name in ("model", "opus_model", "sonnet_model", "haiku_model", "subagent_model"):
        if updates.get(name) == "":
            updates[name] = None
    fixes: list[str] = []
    warnings: list[str] = []
    if "base_url" in updates:
        normalized = normalize_base_url(updates["base_url"])
        updates["base_url"] = normalized.url
        fixes, warnings = normalized.fixes, normalized.warnings
    if "auth" in updates and updates["auth"] not in AUTH_MODES:
        raise ConfigError(f"auth must be one of {', '.join(AUTH_MODES)}, not {updates['auth']!r}")
    if "proxy" in updates and updates["proxy"] not in PROXY_MODES:
        raise ConfigError(
            f"proxy must be one of {', '.join(PROXY_MODES)}, not {updates['proxy']!r}"
        )
    if "key" in updates:
        KeySource.parse(updates["key"])
    updates["headers"] = _merge_headers(profile.headers, changes.headers)
    updates["env"] = _merge_env(profile.env, changes.env, changes.unset_env)
    new = replace(profile, **updates)
    validate(new)
    return Applied(new, fixes, warnings)


def _merge_headers(current: Mapping[str, str], changes: Mapping[str, str]) -> dict[str, str]:
    merged = dict(current)
    for name, value in changes.items():
        # Header names are case-insensitive: a new spelling replaces the old one.
        for existing in [n for n in merged if n.lower() == name.lower()]:
            del merged[existing]
        if value:
            claude_env.check_header(name, value)
            merged[name] = value
    return merged


def _merge_env(
    current: Mapping[str, str], changes: Mapping[str, str], unset: list[str]
) -> dict[str, str]:
    merged = {k: v for k, v in current.items() if k not in unset}
    for name, value in changes.items():
        check_env(name, value)
        merged[name] = value
    return merged


def check_env(name: str, value: str) -> None:
    if not name or not name.replace("_", "a").isalnum() or name[0].isdigit():
        raise ConfigError(f"invalid environment variable name {name!r}")
    if name in _ENV_REFUSED:
        raise ConfigError(f"{name} has its own option", hint=f"use {_ENV_REFUSED[name]}")
    if name in claude_env.SECRET_VARIABLES and value:
        raise ConfigError(
            f"refusing to store {name} in the profile: it holds a secret",
            hint="the key goes in the key store (ccwrap setup NAME --key-stdin)",
        )


def parse_assignment(text: str) -> tuple[str, str]:
    """``K=V`` (for ``--env``)."""
    name, sep, value = text.partition("=")
    if not sep:
        raise ConfigError(f"invalid --env {text!r}", hint="write it as NAME=VALUE")
    check_env(name.strip(), value)
    return name.strip(), value


# -- list / show ---------------------------------------------------------------------------------


@dataclass
class KeyStatus:
    source: str  # the key-source spec, e.g. "keyring"
    location: str  # where that is, in words
    ok: bool
    masked: str | None = None
    error: str | None = None
    hint: str | None = None


@dataclass
class ProfileView:
    profile: Profile
    is_default: bool
    key: KeyStatus | None  # None: the profile uses no key (auth = none)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.profile.name, "base_url": self.profile.base_url}
        data.update({k: v for k, v in asdict(self.profile).items() if k not in data})
        data["default"] = self.is_default
        data["key_status"] = asdict(self.key) if self.key else None
        return data


def list_profiles(store: ProfileStore) -> list[ProfileView]:
    """Every profile, without touching the key stores (listing must be fast and never prompt)."""
    config = store.load()
    return [
        ProfileView(profile, profile.name == config.default, None)
        for _, profile in sorted(config.profiles.items())
    ]


def show_profile(store: ProfileStore, secrets: SecretStore, name: str) -> ProfileView:
    config = store.load()
    profile = store.get(name)
    return ProfileView(profile, name == config.default, key_status(secrets, profile))


def key_status(secrets: SecretStore, profile: Profile) -> KeyStatus | None:
    """Where the key comes from and whether it can be read (masked), like ``gh auth status``."""
    if profile.auth == "none":
        return None
    source = KeySource.parse(profile.key)
    status = KeyStatus(str(source), source.describe(profile.name), ok=False)
    try:
        status.masked = mask(secrets.read(profile.name, profile.key))
        status.ok = True
    except KeyStoreError as exc:
        status.error, status.hint = exc.message, exc.hint
    return status


# -- edit / remove / default ---------------------------------------------------------------------


def edit_profile(store: ProfileStore, name: str, changes: ProfileChanges) -> Applied:
    applied = apply_changes(store.get(name), changes)
    store.save(applied.profile)
    return applied


@dataclass
class Removed:
    profile: Profile
    key_removed: bool
    was_default: bool
    # The profile is gone but its key could not be removed (e.g. the keyring is locked).
    key_error: str | None = None


def remove_profile(store: ProfileStore, secrets: SecretStore, name: str) -> Removed:
    config = store.load()
    profile = store.get(name)
    removed = Removed(profile, key_removed=False, was_default=config.default == name)
    if profile.auth != "none":
        try:
            removed.key_removed = secrets.delete(profile.name, profile.key)
        except KeyStoreError as exc:
            removed.key_error = exc.message
    store.remove(name)
    return removed


# -- export / import -----------------------------------------------------------------------------


def export_profile(store: ProfileStore, name: str, fmt: ExportFormat = "toml") -> str:
    """The profile as a config.toml fragment (or JSON). Never a secret: keys stay in their store,
    and only the key's *source* (``keyring``, ``env:VAR``…) is written."""
    profile = store.get(name)
    document = {"version": 1, "profiles": {name: profile.to_dict()}}
    if fmt == "json":
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    import tomlkit

    return tomlkit.dumps(document)


def import_profiles(store: ProfileStore, path: Path, *, force: bool = False) -> list[Profile]:
    """Add the profiles in an exported file; refuses to overwrite one unless ``force``."""
    profiles = read_export(path)
    existing = set(store.names())
    clashes = sorted(p.name for p in profiles if p.name in existing)
    if clashes and not force:
        raise ConfigError(
            f"profile(s) already exist: {', '.join(clashes)}",
            hint="add --force to replace them, or rename them in the file",
        )
    for profile in profiles:
        store.save(profile)
    return profiles


def read_export(path: Path) -> list[Profile]:
    try:
        text = read_small_text(path)
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc
    if text is None:
        raise ConfigError(f"cannot read {path}: no such file")
    data = _parse_export(text, path)
    tables = data.get("profiles")
    if not isinstance(tables, dict) or not tables:
        raise ConfigError(f"{path} holds no [profiles.NAME] table")
    profiles = []
    for name, table in tables.items():
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: profiles.{name} must be a table")
        profile = Profile.from_dict(str(name), table)
        profiles.append(apply_changes(profile, ProfileChanges(base_url=profile.base_url)).profile)
    return profiles


def _parse_export(text: str, path: Path) -> dict[str, Any]:
    if text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(
                f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}"
            ) from exc
        if not isinstance(data, dict):
            raise ConfigError(f"{path} must hold a JSON object")
        return data
    return _load_toml(text, path)
