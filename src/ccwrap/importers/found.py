"""What every reader makes: a :class:`Found` row per provider, built and checked the same way."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ccwrap.errors import CcwrapError, ConfigError
from ccwrap.profiles.model import Profile, validate
from ccwrap.text import escape_control

MAX_FILE = 1024 * 1024
MAX_PROVIDERS = 500
# The Claude Code variables a provider's env maps onto profile fields.
MODEL_VARIABLES = {
    "ANTHROPIC_MODEL": "model",
    "ANTHROPIC_DEFAULT_OPUS_MODEL": "opus_model",
    "ANTHROPIC_DEFAULT_SONNET_MODEL": "sonnet_model",
    "ANTHROPIC_DEFAULT_HAIKU_MODEL": "haiku_model",
    "CLAUDE_CODE_SUBAGENT_MODEL": "subagent_model",
}
_ENV_REFERENCE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")
_NOT_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class ImportSourceError(CcwrapError):
    """The other tool's data cannot be read."""


@dataclass
class Found:
    origin: str  # e.g. "cc-switch provider 'Kimi'"
    name: str  # the ccwrap profile it becomes
    profile: Profile | None = None
    key: str | None = None  # a literal key, moved into ccwrap's key store
    skipped: str | None = None
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"origin": self.origin, "name": self.name}
        if self.profile is not None:
            data["profile"] = {"name": self.profile.name, **self.profile.to_dict()}
            data["key"] = "moved to ccwrap's key store" if self.key else None
        data["skipped"] = self.skipped
        data["notes"] = self.notes
        return data


def profile_name(raw: str, taken: set[str]) -> str:
    """A valid, unused ccwrap profile name made from another tool's name."""
    base = _NOT_NAME.sub("-", raw.strip().lower()).strip("-._")[:56] or "imported"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    taken.add(name)
    return name


def from_settings_env(
    origin: str, name: str, env: Any, *, extra_notes: list[str] | None = None
) -> Found:
    """A provider stored as Claude settings ``env`` (cc-switch, ccs) → a profile and its key."""
    found = Found(origin, name, notes=list(extra_notes or []))
    if not isinstance(env, Mapping):
        found.skipped = "no env object in its settings"
        return found
    values = {str(k): v for k, v in env.items() if isinstance(v, str)}
    url = values.pop("ANTHROPIC_BASE_URL", "")
    token, api_key = values.pop("ANTHROPIC_AUTH_TOKEN", ""), values.pop("ANTHROPIC_API_KEY", "")
    fields: dict[str, Any] = {}
    for variable, field_name in MODEL_VARIABLES.items():
        if values.get(variable):
            fields[field_name] = values.pop(variable)
    if headers := values.pop("ANTHROPIC_CUSTOM_HEADERS", ""):
        fields["headers"] = parse_headers(headers, found)
    found.notes += [f"not imported: {escape_control(k)}" for k in sorted(values)]
    auth = "bearer" if token else "x-api-key" if api_key else "none"
    return finish(found, url, auth, token or api_key or None, fields)


def finish(found: Found, url: str, auth: str, key: str | None, fields: dict[str, Any]) -> Found:
    """Validate and build the profile; a bad URL or field skips the row, with the reason."""
    from ccwrap.claude.urls import normalize_base_url

    if not url:
        found.skipped = "no base URL (an Anthropic login, not a gateway)"
        return found
    try:
        normalized = normalize_base_url(url)
        source = "keyring"
        if key and (ref := _ENV_REFERENCE.fullmatch(key.strip())):
            source, key = f"env:{ref.group(1)}", None
        profile = Profile(
            name=found.name,
            base_url=normalized.url,
            auth=auth,  # type: ignore[arg-type]
            key=source,
            **fields,
        )
        validate(profile)
    except ConfigError as exc:
        found.skipped = escape_control(exc.message)
        return found
    found.notes += normalized.fixes + normalized.warnings
    found.profile, found.key = profile, key
    return found


def parse_headers(text: str, found: Found) -> dict[str, str]:
    """``ANTHROPIC_CUSTOM_HEADERS``: one ``Name: value`` a line."""
    headers = {}
    for line in text.splitlines():
        name, sep, value = line.partition(":")
        if sep and name.strip():
            headers[name.strip()] = value.strip()
        elif line.strip():
            found.notes.append("a header line without ':' was left out")
    return headers


def read_json(path: Path, what: str) -> Any:
    from ccwrap.fsutil import read_small_file
    from ccwrap.text import loads_bounded

    try:
        raw = read_small_file(path, limit=MAX_FILE)
    except OSError as exc:
        raise ImportSourceError(f"cannot read {what} {path}: {exc.strerror or exc}") from exc
    if raw is None:
        raise ImportSourceError(f"no {what} at {path}", hint="give its path (see --help)")
    try:
        return loads_bounded(raw)
    except ValueError as exc:
        raise ImportSourceError(f"{path} is not valid JSON: {escape_control(str(exc))}") from exc
