"""ccs: ``~/.ccs/config.json`` and the Claude settings file each of its profiles names."""

from __future__ import annotations

from pathlib import Path

from ccwrap.importers.found import (
    MAX_PROVIDERS,
    Found,
    ImportSourceError,
    from_settings_env,
    profile_name,
    read_json,
)
from ccwrap.text import escape_control


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
