"""cc-switch: its SQLite database (opened read-only) and its ``ccswitch://`` deep links."""

from __future__ import annotations

from pathlib import Path

from ccwrap.errors import UsageError
from ccwrap.importers.found import (
    MAX_FILE,
    MAX_PROVIDERS,
    Found,
    ImportSourceError,
    finish,
    from_settings_env,
    profile_name,
)
from ccwrap.text import escape_control


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
