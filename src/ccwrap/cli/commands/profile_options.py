"""Options for a profile's fields, shared by ``setup`` and ``profile edit`` (same names in both)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from ccwrap.profiles.ops import ProfileChanges

URL = typer.Option(None, "--url", help="Gateway base URL (without /v1).")
AUTH = typer.Option(None, "--auth", help="How the key is sent: bearer, x-api-key or none.")
KEY_SOURCE = typer.Option(
    None,
    "--key-source",
    help="Where the key lives: keyring (default), env:VAR, cmd:COMMAND or file:PATH.",
)
MODEL = typer.Option(None, "--model", help="ANTHROPIC_MODEL ('' clears it).")
OPUS = typer.Option(None, "--opus-model", help="ANTHROPIC_DEFAULT_OPUS_MODEL.")
SONNET = typer.Option(None, "--sonnet-model", help="ANTHROPIC_DEFAULT_SONNET_MODEL.")
HAIKU = typer.Option(
    None, "--haiku-model", help="ANTHROPIC_DEFAULT_HAIKU_MODEL (small/fast and background work)."
)
SUBAGENT = typer.Option(None, "--subagent-model", help="CLAUDE_CODE_SUBAGENT_MODEL.")
CACHE_1H = typer.Option(
    None,
    "--cache-1h/--no-cache-1h",
    help="1-hour prompt caching (writes cost 2x base input, reads are cheaper).",
)
ATTRIBUTION = typer.Option(
    None,
    "--attribution/--no-attribution",
    help="Claude Code's attribution block; off improves a gateway's cache hit rate.",
)
DISCOVERY = typer.Option(
    None,
    "--discovery/--no-discovery",
    help="Gateway model discovery (Claude Code >= 2.1.129; only claude*/anthropic* ids).",
)
BETAS = typer.Option(
    None,
    "--disable-betas/--enable-betas",
    help="CLAUDE_CODE_DISABLE_EXPERIMENTAL_BETAS=1, for gateways that reject beta fields.",
)
HEADER = typer.Option(
    None, "--header", help="Custom header 'Name: value' (repeatable; 'Name:' removes it)."
)
ENV = typer.Option(None, "--env", help="Extra environment NAME=VALUE for claude (repeatable).")
PROXY = typer.Option(None, "--proxy", help="Use the loopback proxy: auto, always or never.")


def changes_from_flags(
    *,
    url: str | None,
    auth: str | None,
    key_source: str | None,
    model: str | None,
    opus_model: str | None,
    sonnet_model: str | None,
    haiku_model: str | None,
    subagent_model: str | None,
    cache_1h: bool | None,
    attribution: bool | None,
    discovery: bool | None,
    disable_betas: bool | None,
    header: list[str] | None,
    env: list[str] | None,
    proxy: str | None,
    **extra: Any,
) -> ProfileChanges:
    from ccwrap.claude.env import parse_header
    from ccwrap.profiles.ops import ProfileChanges, parse_assignment

    headers: dict[str, str] = {}
    for line in header or []:
        name, sep, value = line.partition(":")
        if sep and not value.strip():
            headers[name.strip()] = ""  # 'Name:' removes the header
        else:
            parsed_name, parsed_value = parse_header(line)
            headers[parsed_name] = parsed_value
    return ProfileChanges(
        base_url=url,
        auth=auth,
        key=key_source,
        model=model,
        opus_model=opus_model,
        sonnet_model=sonnet_model,
        haiku_model=haiku_model,
        subagent_model=subagent_model,
        cache_1h=cache_1h,
        attribution_header=attribution,
        gateway_discovery=discovery,
        disable_experimental_betas=disable_betas,
        headers=headers,
        env=dict(parse_assignment(item) for item in env or []),
        proxy=proxy,
        **extra,
    )
