"""What the ``profile`` commands do: list, show (with where the key comes from), edit, remove,
export and import. Data in, data out; the CLI renders it."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Literal

from ccwrap.claude import env as claude_env
from ccwrap.claude.urls import is_insecure, normalize_base_url
from ccwrap.context import is_variable_name
from ccwrap.errors import ConfigError, KeyStoreError, UsageError
from ccwrap.fsutil import read_small_text
from ccwrap.keys.sources import KeySource, SecretStore, mask
from ccwrap.profiles import fields as profile_fields
from ccwrap.profiles.fields import FIELDS, ProfileField
from ccwrap.profiles.model import Profile, validate
from ccwrap.profiles.store import ProfileStore, _load_toml

ExportFormat = Literal["toml", "json"]
# A profile's extra env must not smuggle in what has its own field, or a secret.
_ENV_REFUSED = {claude_env.BASE_URL: "--url"}


class ProfileChanges:
    """Fields to change (shared by ``edit`` and ``setup``); a field left out stays as it is.

    The field names are the table's (``profiles/fields.py``); tables are merged: ``headers`` and
    ``env`` add or replace entries ("" as a header value removes that header), ``unset_env``
    removes variables.
    """

    def __init__(
        self,
        *,
        headers: Mapping[str, str] | None = None,
        env: Mapping[str, str] | None = None,
        unset_env: Sequence[str] | None = None,
        force_env: bool = False,
        **values: Any,
    ) -> None:
        self.values: dict[str, Any] = {}
        self.headers = dict(headers or {})
        self.env = dict(env or {})
        self.unset_env = list(unset_env or [])
        # --force: allow variables that change what runs (LD_PRELOAD, NODE_OPTIONS, PATH…).
        self.force_env = force_env
        for name, value in values.items():
            self.set(name, value)

    def get(self, name: str) -> Any:
        """The new value of field ``name``, or None when it is left as it is."""
        return self.values.get(_scalar_field(name).name)

    def set(self, name: str, value: Any) -> None:
        """Change field ``name`` to ``value`` (None: leave it as it is)."""
        _scalar_field(name)
        if value is None:
            self.values.pop(name, None)
        else:
            self.values[name] = value

    def copy(self) -> ProfileChanges:
        return ProfileChanges(
            headers=self.headers,
            env=self.env,
            unset_env=self.unset_env,
            force_env=self.force_env,
            **self.values,
        )

    def __repr__(self) -> str:
        return (
            f"ProfileChanges({self.values!r}, headers={sorted(self.headers)}, "
            f"env={sorted(self.env)}, unset_env={self.unset_env!r})"
        )


def _scalar_field(name: str) -> ProfileField:
    spec = profile_fields.by_name(name)
    if spec is None or spec.is_table:
        raise TypeError(f"{name!r} is not a profile field with one value")
    return spec


def changes_from_options(values: Mapping[str, Any]) -> ProfileChanges:
    """The ``setup``/``profile edit`` options (field name → what was given; None: not given)."""
    from ccwrap.claude.env import parse_header

    changes = ProfileChanges()
    for spec in profile_fields.flag_fields():
        given = values.get(spec.name)
        if given is None:
            continue
        if spec.kind == "headers":
            for line in given:
                name, sep, value = line.partition(":")
                if sep and not value.strip():
                    changes.headers[name.strip()] = ""  # 'Name:' removes the header
                else:
                    parsed_name, parsed_value = parse_header(line)
                    changes.headers[parsed_name] = parsed_value
        elif spec.kind == "env":
            changes.env.update(parse_assignment(item) for item in given)
        else:
            changes.set(spec.name, given)
    return changes


@dataclass
class Applied:
    profile: Profile
    fixes: list[str]
    warnings: list[str]


def apply_changes(profile: Profile, changes: ProfileChanges) -> Applied:
    """A new profile with ``changes`` applied and validated (the URL normalised)."""
    updates: dict[str, Any] = {}
    fixes: list[str] = []
    warnings: list[str] = []
    for name, given in changes.values.items():
        spec = _scalar_field(name)
        value = given
        if spec.kind in ("text", "price") and given == "":
            value = None  # "" clears an optional field ("--model ''")
        elif spec.kind == "price":
            value = parse_price(name, given)
        elif spec.kind == "url":
            normalized = normalize_base_url(given)
            value = normalized.url
            fixes, warnings = normalized.fixes, normalized.warnings
        elif spec.kind == "key-source":
            KeySource.parse(given)
        elif spec.choices and given not in spec.choices:
            raise ConfigError(f"{name} must be one of {', '.join(spec.choices)}, not {given!r}")
        updates[name] = value
    updates["headers"] = _merge_headers(profile.headers, changes.headers)
    updates["env"] = _merge_env(profile.env, changes.env, changes.unset_env, changes.force_env)
    new = replace(profile, **updates)
    validate(new)
    return Applied(new, fixes, warnings)


def parse_price(name: str, given: object) -> float:
    """A price flag's value: a number >= 0 (``--price-input 3``, ``--price-input 0.25``)."""
    try:
        value = float(str(given).strip())
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        raise ConfigError(
            f"{name} must be a number >= 0 (per million tokens), not {given!r}",
            hint=f"--{name.replace('_', '-')} 3.0, or '' to clear it",
        )
    return value


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
    current: Mapping[str, str], changes: Mapping[str, str], unset: list[str], force: bool
) -> dict[str, str]:
    merged = {k: v for k, v in current.items() if k not in unset}
    for name, value in changes.items():
        check_env(name, value, force=force)
        merged[name] = value
    return merged


def check_env(name: str, value: str, *, force: bool = False) -> None:
    """A variable ``setup``/``profile edit`` may store in a profile's env: a real name, not one
    with its own option, not a secret (the one rule: ``claude_env.is_secret_variable``), and not
    one that changes what runs or loads (``LD_PRELOAD``, ``NODE_OPTIONS``, ``PATH``…) unless
    ``force``."""
    if not is_variable_name(name):
        raise ConfigError(
            f"invalid environment variable name {name!r}",
            hint="a variable name is letters, digits and _ (not first a digit)",
        )
    if name in _ENV_REFUSED:
        raise ConfigError(f"{name} has its own option", hint=f"use {_ENV_REFUSED[name]}")
    if value and claude_env.is_secret_variable(name):
        raise ConfigError(
            f"refusing to store {name} in the profile: its name says it holds a secret",
            hint="keep secrets in a key store: the key with ccwrap setup NAME --key-stdin, "
            "a secret header in secret_headers",
        )
    if claude_env.is_dangerous_variable(name) and not force:
        raise ConfigError(
            f"refusing to set {name} for claude: it changes which program runs or what it loads",
            hint="add --force if you really mean it",
        )


def parse_assignment(text: str) -> tuple[str, str]:
    """``K=V`` (for ``--env``); checked when merged into the profile (see :func:`check_env`)."""
    name, sep, value = text.partition("=")
    if not sep:
        # Not the text itself: a value pasted without its name may be a secret.
        raise ConfigError(f"invalid --env {mask(text)}", hint="write it as NAME=VALUE")
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
        data["env"] = claude_env.mask_secrets(self.profile.env)
        data["headers"] = claude_env.mask_secrets(self.profile.headers)
        data["default"] = self.is_default
        data["key_status"] = asdict(self.key) if self.key else None
        return data

    def rows(self) -> list[tuple[str, str]]:
        """``profile show``'s ``label: value`` lines, from the field table: the values first,
        then one line per table entry. The key and the description have lines of their own."""
        data = self.profile.to_dict()
        values = [
            (spec.name, _scalar(data[spec.name]))
            for spec in FIELDS
            if not spec.is_table and spec.name in data and spec.name not in ("key", "description")
        ]
        entries = [
            (f"{spec.name}.{name}", value)
            for spec in FIELDS
            if spec.is_table
            for name, value in _shown_table(spec, getattr(self.profile, spec.name)).items()
        ]
        return values + entries


def _shown_table(spec: ProfileField, table: Mapping[str, str]) -> dict[str, str]:
    return claude_env.mask_secrets(table) if spec.kind in ("env", "headers") else dict(table)


def _scalar(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


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
    data = profile.to_dict()
    for table in ("env", "headers"):
        if table in data:
            data[table] = claude_env.mask_secrets(data[table])
    document = {"version": 1, "profiles": {name: data}}
    if fmt == "json":
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    import tomlkit

    return tomlkit.dumps(document)


# An exported profile is a few hundred bytes; a shared file larger than this is not one.
MAX_IMPORT_BYTES = 1 << 20


@dataclass(frozen=True)
class ImportRisk:
    """Something in a shared file that reads your files, runs a command, changes what claude
    loads or sends the key where others can read it: shown, and imported only when trusted."""

    profile: str
    what: str


@dataclass
class ImportPlan:
    profiles: list[Profile]
    risks: list[ImportRisk]


def plan_import(path: Path) -> ImportPlan:
    """The profiles of an exported file, and everything risky in them (nothing is written)."""
    profiles = read_export(path)
    return ImportPlan(profiles, [risk for p in profiles for risk in import_risks(p)])


def import_profiles(
    store: ProfileStore, path: Path, *, force: bool = False, trust: bool = False
) -> list[Profile]:
    """Add the profiles in an exported file; refuses to overwrite one unless ``force``, and
    refuses a file with risky entries (:func:`import_risks`) unless ``trust``."""
    return save_import(store, plan_import(path), force=force, trust=trust)


def save_import(
    store: ProfileStore, plan: ImportPlan, *, force: bool = False, trust: bool = False
) -> list[Profile]:
    """Save the profiles of a planned import (what was shown is what is saved)."""
    if plan.risks and not trust:
        raise UsageError(
            f"the file holds {len(plan.risks)} risky setting(s): "
            + "; ".join(f"{r.profile}: {r.what}" for r in plan.risks),
            hint="review them; add --trust to import the file anyway",
        )
    existing = set(store.names())
    clashes = sorted(p.name for p in plan.profiles if p.name in existing)
    if clashes and not force:
        raise ConfigError(
            f"profile(s) already exist: {', '.join(clashes)}",
            hint="add --force to replace them, or rename them in the file",
        )
    for profile in plan.profiles:
        store.save(profile)
    return plan.profiles


def import_risks(profile: Profile) -> list[ImportRisk]:
    """What a profile from someone else's file would do that the user should see first."""
    risks = [
        *_key_source_risks(profile, "key", profile.key),
        *(
            risk
            for header, spec in profile.secret_headers.items()
            for risk in _key_source_risks(profile, f"secret_headers.{header}", spec)
        ),
    ]
    for name in profile.env:
        if claude_env.is_dangerous_variable(name):
            what = "changes which program runs or what it loads"
        elif claude_env.is_redirecting_variable(name):
            what = "sends claude's traffic through another host, or trusts other certificates"
        elif claude_env.is_secret_variable(name):
            what = "its name says it holds a secret"
        else:
            continue
        risks.append(ImportRisk(profile.name, f"env {name}={profile.env[name]!r}: {what}"))
    if is_insecure(profile.base_url):
        risks.append(
            ImportRisk(
                profile.name,
                f"base_url {profile.base_url!r}: plain http to a host that is not loopback "
                "(the key travels in clear)",
            )
        )
    return risks


def _key_source_risks(profile: Profile, label: str, spec: str) -> list[ImportRisk]:
    source = KeySource.parse(spec)
    what = {
        "keyring": None,
        "file": f"reads the file {source.arg!r} and sends it to {profile.base_url} as the key",
        "cmd": "runs this command whenever the key is needed (run, key, doctor)",
        "env": f"sends your variable {source.arg} to {profile.base_url} as the key",
    }[source.kind]
    return [] if what is None else [ImportRisk(profile.name, f"{label} = {spec!r}: {what}")]


def read_export(path: Path) -> list[Profile]:
    try:
        text = read_small_text(path, limit=MAX_IMPORT_BYTES)
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc
    if text is None:
        raise ConfigError(f"cannot read {path}: no such file")
    tables = _parse_export(text, path).get("profiles")
    if not isinstance(tables, dict) or not tables:
        raise ConfigError(f"{path} holds no [profiles.NAME] table")
    profiles = []
    for name, table in tables.items():
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: profiles.{name} must be a table")
        profile = Profile.from_dict(str(name), table)
        for header, value in profile.headers.items():
            claude_env.check_header(header, value)  # also what the client rejects (> U+00FF)
        profiles.append(apply_changes(profile, ProfileChanges(base_url=profile.base_url)).profile)
    return profiles


def parse_export_text(text: str, path: Path) -> dict[str, Any]:
    """An exported file's text (TOML, or JSON when it starts with ``{``) as data."""
    return _parse_export(text, path)


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
