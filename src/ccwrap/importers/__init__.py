"""Moving in from other switchers: cc-switch, claude-code-router (ccr) and ccs.

Each reader turns the other tool's stored providers into :class:`Found` rows (a ccwrap profile
plus the key to move into ccwrap's key store, or the reason it was skipped). Nothing of the
other tool is written: files are read size-capped (``fsutil.read_small_file``), cc-switch's
SQLite database is opened read-only. Everything read is untrusted: URLs go through
``claude.urls.normalize_base_url``, names through the profile-name rule, headers and variables
through the profile's own validation, and text shown is escaped by the caller.

Formats (read from the tools' public sources; tests build files in these shapes):

- cc-switch (3.8+): ``~/.cc-switch/cc-switch.db``, table ``providers`` (``id``, ``app_type``,
  ``name``, ``settings_config`` = a Claude settings object ``{"env": {...}}``); deep links
  ``ccswitch://v1/import?resource=provider&app=claude&name=…&endpoint=…&apiKey=…&model=…``
  (``haikuModel``, ``sonnetModel``, ``opusModel``; ``endpoint`` may list several, comma-separated).
- claude-code-router: ``~/.claude-code-router/config.json``: ``Providers`` = list of
  ``{name, api_base_url, api_key, models, transformer}``; ``HOST``, ``PORT`` (3456), ``APIKEY``
  for the router itself; ``"$VAR"``/``"${VAR}"`` in a key means an environment variable.
- ccs: ``~/.ccs/config.json`` ``{"profiles": {NAME: "~/.ccs/NAME.settings.json"}}``, each a
  Claude settings object ``{"env": {...}}``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ccwrap.errors import CcwrapError, ConfigError, UsageError
from ccwrap.profiles.model import Profile, validate
from ccwrap.text import escape_control

if TYPE_CHECKING:
    from ccwrap.keys.sources import SecretStore
    from ccwrap.profiles.store import ProfileStore

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


# -- the readers ----------------------------------------------------------------------------------
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


def read_cc_switch(db: Path, taken: set[str]) -> list[Found]:
    """cc-switch's Claude providers, from its SQLite database opened read-only."""
    import sqlite3
    from urllib.parse import quote

    from ccwrap.text import loads_bounded

    if not db.is_file():
        raise ImportSourceError(f"no cc-switch database at {db}", hint="give its path with --db")
    try:
        conn = sqlite3.connect(f"file:{quote(str(db))}?mode=ro", uri=True)
        try:
            rows = conn.execute(
                "SELECT id, name, settings_config FROM providers WHERE app_type = 'claude' "
                "ORDER BY sort_index, created_at LIMIT ?",
                (MAX_PROVIDERS,),
            ).fetchall()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise ImportSourceError(f"cannot read the cc-switch database {db}: {exc}") from exc
    found = []
    for _id, name, config in rows:
        label = escape_control(str(name))[:80]
        row = Found(f"cc-switch provider {label!r}", profile_name(str(name), taken))
        try:
            settings = loads_bounded(str(config), max_bytes=MAX_FILE)
        except ValueError:
            row.skipped = "its settings_config is not valid JSON"
            found.append(row)
            continue
        env = settings.get("env") if isinstance(settings, dict) else None
        found.append(from_settings_env(row.origin, row.name, env))
    return found


def read_deep_link(link: str, taken: set[str]) -> list[Found]:
    """A ``ccswitch://v1/import?resource=provider&app=claude&…`` link."""
    from urllib.parse import parse_qs, urlsplit

    if len(link) > 64 * 1024:
        raise UsageError("the deep link is longer than 64 KB")
    parts = urlsplit(link.strip())
    if parts.scheme != "ccswitch" or parts.netloc != "v1" or parts.path != "/import":
        raise UsageError(
            "not a cc-switch deep link", hint="expected ccswitch://v1/import?resource=provider&…"
        )
    query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    if query.get("resource") != "provider" or query.get("app") != "claude":
        raise UsageError("only provider links for app=claude can be imported")
    name = query.get("name") or "imported"
    found = Found(f"cc-switch link {escape_control(name)[:80]!r}", profile_name(name, taken))
    endpoints = [e.strip() for e in query.get("endpoint", "").split(",") if e.strip()]
    if len(endpoints) > 1:
        found.notes.append(f"{len(endpoints) - 1} more endpoint(s) left out (failover)")
    fields = {
        field_name: query[param]
        for param, field_name in (
            ("model", "model"),
            ("haikuModel", "haiku_model"),
            ("sonnetModel", "sonnet_model"),
            ("opusModel", "opus_model"),
        )
        if query.get(param)
    }
    key = query.get("apiKey") or None
    return [
        finish(found, endpoints[0] if endpoints else "", "bearer" if key else "none", key, fields)
    ]


def read_ccr(config: Path, taken: set[str]) -> list[Found]:
    """claude-code-router: the router itself, and providers that speak Anthropic Messages."""
    data = read_json(config, "claude-code-router config")
    if not isinstance(data, dict):
        raise ImportSourceError(f"{config}: not a JSON object")
    host = str(data.get("HOST") or "127.0.0.1")
    if host in ("0.0.0.0", "::"):  # noqa: S104 - the router listens everywhere: reach it here
        host = "127.0.0.1"
    port = data.get("PORT", 3456)
    router = Found("claude-code-router itself", profile_name("ccr", taken))
    apikey = data.get("APIKEY") if isinstance(data.get("APIKEY"), str) else None
    found = [finish(router, f"http://{host}:{port}", "x-api-key" if apikey else "none", apikey, {})]
    providers = data.get("Providers") or data.get("providers") or []
    if not isinstance(providers, list):
        raise ImportSourceError(f"{config}: Providers is not a list")
    for entry in providers[:MAX_PROVIDERS]:
        if not isinstance(entry, dict):
            continue
        name = str(entry.get("name") or "provider")
        row = Found(f"ccr provider {escape_control(name)[:80]!r}", profile_name(name, taken))
        url = str(entry.get("api_base_url") or "")
        if not url.rstrip("/").endswith("/v1/messages"):
            row.skipped = (
                "an OpenAI-format endpoint; Claude Code needs an Anthropic Messages API "
                "(use the router profile, which translates)"
            )
            found.append(row)
            continue
        key = entry.get("api_key") if isinstance(entry.get("api_key"), str) else None
        models = entry.get("models") if isinstance(entry.get("models"), list) else []
        fields = {"model": str(models[0])} if models else {}
        found.append(finish(row, url, "x-api-key" if key else "none", key, fields))
    return found


def read_ccs(folder: Path, home: Path, taken: set[str]) -> list[Found]:
    """ccs: the profiles its config.json names, each a Claude settings file."""
    data = read_json(folder / "config.json", "ccs config")
    profiles = data.get("profiles") if isinstance(data, dict) else None
    if not isinstance(profiles, dict):
        raise ImportSourceError(f"{folder / 'config.json'}: no profiles table")
    found = []
    for name, where in list(profiles.items())[:MAX_PROVIDERS]:
        label = escape_control(str(name))[:80]
        row = Found(f"ccs profile {label!r}", profile_name(str(name), taken))
        if not isinstance(where, str):
            row.skipped = "its settings path is not a string"
            found.append(row)
            continue
        path = Path(where.replace("~", str(home), 1) if where.startswith("~") else where)
        try:
            settings = read_json(path, "ccs settings file")
        except ImportSourceError as exc:
            row.skipped = exc.message
            found.append(row)
            continue
        env = settings.get("env") if isinstance(settings, dict) else None
        found.append(from_settings_env(row.origin, row.name, env))
    return found


# -- creating the profiles ------------------------------------------------------------------------
def create(found: list[Found], store: ProfileStore, secrets: SecretStore) -> list[str]:
    """Create each found profile (never replacing one), its key in ccwrap's key store first so a
    key is never left behind in config.toml; the names created."""
    created = []
    existing = set(store.names())
    for row in found:
        if row.profile is None:
            continue
        if row.name in existing:
            row.skipped = f"a profile named {row.name!r} exists already"
            continue
        if row.key:
            secrets.write(row.name, row.profile.key, row.key)
        store.save(row.profile)
        created.append(row.name)
    return created
