"""Team bundles: profiles to share, every secret a named placeholder the importer supplies.

Layout (TOML)::

    bundle = 1

    [placeholders.work-key]
    profile = "work"
    for = "key"                   # or "header X-Team-Token"
    description = "the key for work (sent as bearer)"

    [profiles.work]
    base_url = "https://gateway.example.com"
    auth = "bearer"
    key = "placeholder:work-key"

    [profiles.work.secret_headers]
    X-Team-Token = "placeholder:work-x-team-token"

On export, the key source and each secret header's source become placeholders (what they were on
the exporter's machine, ``env:VAR`` or ``cmd:…``, means nothing elsewhere) and secret-looking env
entries are left out. On import, a key placeholder's answer goes into ccwrap's key store
(``keyring``); a header placeholder's answer is a key source (``env:VAR``, ``file:PATH``), since
headers have no slot of their own in the keyring. The bundle is untrusted: what
:func:`ccwrap.profiles.ops.import_risks` finds must be confirmed before anything is written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ccwrap.claude.env import is_secret_variable
from ccwrap.errors import ConfigError
from ccwrap.profiles.model import DEFAULT_KEY_SOURCE, Profile

BUNDLE_VERSION = 1
PLACEHOLDER = "placeholder:"
_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class Placeholder:
    name: str
    profile: str
    target: str  # "key" or "header NAME"
    description: str

    @property
    def header(self) -> str | None:
        return self.target[len("header ") :] if self.target.startswith("header ") else None


@dataclass
class Bundle:
    profiles: list[Profile]
    placeholders: list[Placeholder]
    left_out: list[str] = field(default_factory=list)


def _slug(*parts: str) -> str:
    return "-".join(_SLUG.sub("-", p.lower()).strip("-") for p in parts)


def make_bundle(profiles: list[Profile]) -> Bundle:
    """The shareable copy of ``profiles``: key and secret-header sources become placeholders,
    secret-looking env entries are left out (and listed)."""
    placeholders: list[Placeholder] = []
    shared: list[Profile] = []
    left_out: list[str] = []
    for original in profiles:
        key = DEFAULT_KEY_SOURCE
        if original.auth != "none":
            slot = _slug(original.name, "key")
            description = f"the key for {original.name} (sent as {original.auth})"
            placeholders.append(Placeholder(slot, original.name, "key", description))
            key = PLACEHOLDER + slot
        headers = {}
        for header in sorted(original.secret_headers):
            slot = _slug(original.name, header)
            description = f"a key source for the {header} header of {original.name}"
            placeholders.append(Placeholder(slot, original.name, f"header {header}", description))
            headers[header] = PLACEHOLDER + slot
        env = {k: v for k, v in original.env.items() if not is_secret_variable(k)}
        left_out += [f"{original.name}: env {k}" for k in sorted(set(original.env) - set(env))]
        shared.append(replace(original, key=key, secret_headers=headers, env=env))
    return Bundle(shared, placeholders, left_out)


def render_bundle(bundle: Bundle) -> str:
    import tomlkit

    document: dict[str, Any] = {"bundle": BUNDLE_VERSION}
    document["placeholders"] = {
        p.name: {"profile": p.profile, "for": p.target, "description": p.description}
        for p in bundle.placeholders
    }
    document["profiles"] = {p.name: p.to_dict() for p in bundle.profiles}
    header = (
        "# A ccwrap team bundle: import it with  ccwrap profile import FILE\n"
        "# It holds no secret: each placeholder is asked for when it is imported.\n"
    )
    return header + tomlkit.dumps(document)


def is_bundle(data: Mapping[str, Any]) -> bool:
    return "bundle" in data


def parse_bundle(data: Mapping[str, Any], path: Path) -> Bundle:
    """A bundle's data (already read size-capped and parsed) → profiles and placeholders."""
    if data.get("bundle") != BUNDLE_VERSION:
        raise ConfigError(f"{path}: bundle version {data.get('bundle')!r} is not {BUNDLE_VERSION}")
    raw_placeholders = data.get("placeholders", {})
    tables = data.get("profiles")
    if not isinstance(raw_placeholders, dict) or not isinstance(tables, dict) or not tables:
        raise ConfigError(f"{path}: a bundle needs [profiles.NAME] and [placeholders] tables")
    placeholders = []
    for name, entry in raw_placeholders.items():
        if not isinstance(entry, dict) or not all(
            isinstance(entry.get(k), str) for k in ("profile", "for", "description")
        ):
            raise ConfigError(f"{path}: placeholder {name!r} needs profile, for and description")
        placeholders.append(
            Placeholder(str(name), entry["profile"], entry["for"], entry["description"])
        )
    known = {p.name for p in placeholders}
    profiles = []
    for name, table in tables.items():
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: profiles.{name} must be a table")
        profiles.append(Profile.from_dict(str(name), _without_placeholders(table, known, path)))
    return Bundle(profiles, placeholders)


def _without_placeholders(table: dict[str, Any], known: set[str], path: Path) -> dict[str, Any]:
    """The profile table with its placeholders taken out (``fill`` puts the answers in)."""

    def is_placeholder(value: Any) -> bool:
        if not (isinstance(value, str) and value.startswith(PLACEHOLDER)):
            return False
        if value[len(PLACEHOLDER) :] not in known:
            raise ConfigError(f"{path}: an undeclared {value}")
        return True

    table = dict(table)
    if is_placeholder(table.get("key")):
        table["key"] = DEFAULT_KEY_SOURCE
    headers = table.get("secret_headers")
    if isinstance(headers, dict):
        table["secret_headers"] = {h: v for h, v in headers.items() if not is_placeholder(v)}
    return table


def fill(bundle: Bundle, answers: Mapping[str, str]) -> tuple[list[Profile], dict[str, str]]:
    """The profiles to save, and the keys (profile → key) to store; every placeholder answered."""
    missing = [p.name for p in bundle.placeholders if not answers.get(p.name)]
    if missing:
        raise ConfigError(f"no value for: {', '.join(missing)}")
    keys: dict[str, str] = {}
    for placeholder in bundle.placeholders:
        answer = answers[placeholder.name]
        profile = next((p for p in bundle.profiles if p.name == placeholder.profile), None)
        if profile is None:
            continue
        if placeholder.header is None:
            profile.key = "keyring"
            keys[profile.name] = answer
        else:
            if not answer.startswith(("env:", "file:", "keyring")):
                raise ConfigError(
                    f"{placeholder.name}: give a key source (env:VAR or file:PATH)",
                    hint="a header value is read from its source each time",
                )
            profile.secret_headers[placeholder.header] = answer
    return bundle.profiles, keys


def load_bundle(path: Path) -> Bundle | None:
    """The bundle in ``path`` (read size-capped), or None when the file is a plain export."""
    from ccwrap.fsutil import read_small_text
    from ccwrap.profiles.ops import parse_export_text

    try:
        text = read_small_text(path)
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if text is None:
        raise ConfigError(f"cannot read {path}: no such file")
    data = parse_export_text(text, path)
    return parse_bundle(data, path) if is_bundle(data) else None


def parse_answers(lines: str) -> dict[str, str]:
    """``NAME=VALUE`` lines (``--secrets-stdin``); blank lines and ``#`` comments skipped."""
    answers = {}
    for line in lines.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, sep, value = line.partition("=")
        if not sep:
            raise ConfigError("each line on stdin must be PLACEHOLDER=VALUE")
        answers[name.strip()] = value.strip()
    return answers
