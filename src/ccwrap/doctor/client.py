"""What doctor knows about the client itself: its login state, what it turns off behind a
gateway, model limits, version-dependent caching advice, a managed forced login (no network).

Each fact is in docs/client-facts.md with the test that measures it, or marked as documented
only. Pure: the caller hands in the files read, the version and the effective environment.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ccwrap.claude.binary import version_tuple
from ccwrap.claude.settings_files import SettingsFile
from ccwrap.context import Context
from ccwrap.doctor.model import Check, ok, skip
from ccwrap.fsutil import read_small_file
from ccwrap.text import loads_bounded

CLIENT_IDS = (
    "client.auth-state",
    "client.features",
    "model.limits",
    "cache.client",
    "settings.force-login",
)
# From this version the attribution block is stable within a conversation behind a custom base
# URL (documented; docs/client-facts.md), so it no longer breaks a gateway's body-based cache.
ATTRIBUTION_STABLE = (2, 1, 181)
# Known client-side caching regressions: (first, last affected or None for open, what happened).
CACHE_REGRESSIONS: tuple[tuple[tuple[int, ...], tuple[int, ...] | None, str], ...] = (
    ((0,), (2, 1, 128), "1h cache TTL downgraded to 5m (fixed in 2.1.129)"),
    (
        (2, 1, 237),
        None,
        "the mid-conversation system block is not marked for caching through a custom base URL "
        "(it shows as uncached input)",
    ),
)
# Model ids the client treats as its own (and knows the limits of): a claude id or a family
# alias; a gateway's aliases (glm-4.6, kimi-k2, gpt-5) are not.
KNOWN_MODEL = re.compile(r"^(anthropic[./])?claude|opus|sonnet|haiku", re.I)
OUTPUT_CAP = "CLAUDE_CODE_MAX_OUTPUT_TOKENS"
CONTEXT_CAP = "CLAUDE_CODE_MAX_CONTEXT_TOKENS"
TOOL_SEARCH = "ENABLE_TOOL_SEARCH"


def client_checks(
    ctx: Context,
    *,
    profile: str | None,
    base_url: str | None,
    has_credential: bool,
    model: str | None,
    version: str | None,
    env: Mapping[str, str],
    attribution: bool,
    files: Sequence[SettingsFile],
) -> list[Check]:
    return [
        auth_state_check(ctx, base_url=base_url, has_credential=has_credential),
        features_check(base_url, env),
        model_limits_check(profile, model, env),
        cache_client_check(version, base_url=base_url, attribution=attribution),
        force_login_check(files, base_url=base_url, has_credential=has_credential),
    ]


# -- client.auth-state ----------------------------------------------------------------------------
def login_state(ctx: Context) -> list[str]:
    """What the client holds of its own login: a subscription, a stored Console key."""
    config_dir = ctx.claude_config_dir
    found: list[str] = []
    if read_small_file(config_dir / ".credentials.json") is not None:
        found.append(f"a /login subscription ({config_dir / '.credentials.json'})")
    state_file = _state_file(ctx)
    data = _json_object(state_file)
    if data.get("oauthAccount"):
        found.append(f"a /login account (oauthAccount in {state_file})")
    if data.get("primaryApiKey"):
        found.append(f"a stored Anthropic key (primaryApiKey in {state_file})")
    return found


def _state_file(ctx: Context) -> Path:
    """``~/.claude.json``, or ``$CLAUDE_CONFIG_DIR/.claude.json`` when that is set."""
    if ctx.environ.get("CLAUDE_CONFIG_DIR"):
        return ctx.claude_config_dir / ".claude.json"
    return ctx.home / ".claude.json"


def _json_object(path: Path) -> dict[str, Any]:
    raw = read_small_file(path)
    if raw is None:
        return {}
    try:
        data = loads_bounded(raw)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def auth_state_check(ctx: Context, *, base_url: str | None, has_credential: bool) -> Check:
    if base_url is None or not has_credential:
        return skip("client.auth-state", "no gateway credential to conflict with")
    held = login_state(ctx)
    if not held:
        return ok("client.auth-state", "claude holds no login of its own")
    return Check.of(
        "client.auth-state",
        "warn",
        f"claude also holds {' and '.join(held)} beside the gateway's credential: it warns "
        "about an auth conflict and may use the wrong one",
        "run /logout inside claude (then claude uses only the gateway's credential)",
    )


# -- client.features ------------------------------------------------------------------------------
def features_check(base_url: str | None, env: Mapping[str, str]) -> Check:
    if base_url is None:
        return skip("client.features", "no custom base URL")
    tool_search = "on (ENABLE_TOOL_SEARCH is set)" if env.get(TOOL_SEARCH) else (
        "off unless ENABLE_TOOL_SEARCH is set (CLAUDE_CODE_DISABLE_EXPERIMENTAL_BETAS cannot "
        "force it on)"
    )  # fmt: skip
    return ok(
        "client.features",
        f"through a custom base URL (ccwrap's proxy too) MCP tool search is {tool_search}; "
        "Remote Control and fine-grained tool streaming are off",
    )


# -- model.limits ---------------------------------------------------------------------------------
def model_limits_check(profile: str | None, model: str | None, env: Mapping[str, str]) -> Check:
    if not model:
        return skip("model.limits", "no model set: the client's own models")
    if KNOWN_MODEL.search(model):
        return ok("model.limits", f"{model}: a model id the client knows the limits of")
    missing = [name for name in (OUTPUT_CAP, CONTEXT_CAP) if not env.get(name)]
    if not missing:
        return ok("model.limits", f"{model}: limits set by {OUTPUT_CAP} and {CONTEXT_CAP}")
    name = profile or "NAME"
    flags = " ".join(f"--env {m}=N" for m in missing)
    return Check.of(
        "model.limits",
        "warn",
        f"claude does not recognise {model!r}: it caps output at 32k tokens and assumes a "
        "context window, whatever the gateway's model can do",
        f"set the model's real limits: ccwrap profile edit {name} {flags}",
    )


# -- cache.client ---------------------------------------------------------------------------------
def cache_client_check(version: str | None, *, base_url: str | None, attribution: bool) -> Check:
    if version is None:
        return skip("cache.client", "claude's version is unknown")
    current = version_tuple(version)
    notes: list[str] = []
    status = "ok"
    if current < ATTRIBUTION_STABLE and base_url is not None and attribution:
        status = "warn"
        notes.append(
            f"before 2.1.181 the attribution block changes between requests and breaks a "
            f"gateway's body-based cache (claude {version})"
        )
    for first, last, what in CACHE_REGRESSIONS:
        if current >= first and (last is None or current <= last):
            notes.append(f"known in claude {version}: {what}")
    if status == "warn":
        return Check.of(
            "cache.client",
            "warn",
            "; ".join(notes),
            "turn the attribution block off (ccwrap profile edit NAME --no-attribution) or "
            "update claude",
        )
    if current >= ATTRIBUTION_STABLE:
        notes.insert(0, "the attribution block is stable within a conversation (2.1.181+)")
    return ok("cache.client", "; ".join(notes) or f"claude {version}: no known caching issue")


# -- settings.force-login -------------------------------------------------------------------------
def force_login_check(
    files: Sequence[SettingsFile], *, base_url: str | None, has_credential: bool
) -> Check:
    managed = next((f for f in files if f.scope == "managed" and f.data), None)
    method = (managed.data or {}).get("forceLoginMethod") if managed else None
    if not method:
        return ok("settings.force-login", "no forced login method")
    if base_url is None or not has_credential:
        return ok("settings.force-login", f"managed settings force {method!r} login")
    return Check.of(
        "settings.force-login",
        "fail",
        f"managed settings ({managed.path if managed else '?'}) set forceLoginMethod="
        f"{method!r}: claude insists on that login and conflicts with the gateway's credential",
        "ask whoever manages this machine to drop forceLoginMethod, or use the login it forces",
    )
