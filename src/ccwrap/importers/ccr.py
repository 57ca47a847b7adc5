"""claude-code-router: the router itself and each provider of its ``config.json``."""

from __future__ import annotations

from pathlib import Path

from ccwrap.importers.found import (
    MAX_PROVIDERS,
    Found,
    ImportSourceError,
    finish,
    profile_name,
    read_json,
)
from ccwrap.text import escape_control


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
