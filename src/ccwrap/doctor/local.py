"""Checks that need no network: the URL's form, the key, settings files, the claude binary."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from ccwrap.claude import binary, urls
from ccwrap.claude.env import API_KEY, AUTH_TOKEN, is_secret_variable
from ccwrap.claude.settings_files import Origin, Resolution, SettingsFile
from ccwrap.context import Context
from ccwrap.doctor.model import Check, ok, skip
from ccwrap.errors import ClaudeNotFound
from ccwrap.keys.sources import mask

# Gateway model discovery arrived in this client version (docs/client-facts.md).
DISCOVERY_VERSION = (2, 1, 129)


# -- URL form ----------------------------------------------------------------------------------
def _has_scheme(url: str) -> bool:
    """http:// or https:// and a host (ccwrap.claude.urls accepts any scheme://)."""
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises on a port that is no number or out of range
    except ValueError:  # http://[::1 and the like
        return False
    return urls.has_scheme(url) and parts.scheme.lower() in urls.SCHEMES and bool(parts.netloc)


def url_checks(base_url: str) -> list[Check]:
    if not _has_scheme(base_url):
        return [
            Check.of(
                "url.scheme",
                "fail",
                f"{base_url!r} has no http:// or https://; the client says it "
                '"cannot be parsed as a URL"',
                f"use https://{base_url} (or http:// for a local gateway)",
            )
            if not urls.has_scheme(base_url)
            else Check.of(
                "url.scheme",
                "fail",
                f"{base_url!r} cannot be parsed as a URL (its host or port is malformed)",
                "check the brackets of an IPv6 address and the port number",
            ),
            skip("url.v1-suffix", "the URL cannot be parsed"),
            skip("url.insecure", "the URL cannot be parsed"),
        ]
    checks = [ok("url.scheme", base_url)]
    suffix = urls.v1_suffix(base_url)
    if suffix:
        fixed = base_url.rstrip("/")[: -len(suffix)] or base_url
        checks.append(
            Check.of(
                "url.v1-suffix",
                "fail",
                f"the base URL ends in {suffix}; Claude Code appends /v1/messages itself, so "
                f"requests go to …{suffix}/v1/messages",
                f"use {fixed}",
            )
        )
    else:
        checks.append(ok("url.v1-suffix"))
    if urls.is_insecure(base_url):
        checks.append(
            Check.of(
                "url.insecure",
                "warn",
                "plain http to a host that is not this machine: the key travels in clear",
                f"use https://{base_url.split('://', 1)[1]} if the gateway offers it",
            )
        )
    else:
        checks.append(ok("url.insecure"))
    return checks


# -- credentials and settings files ------------------------------------------------------------
def auth_conflict_check(resolutions: Mapping[str, Resolution]) -> Check:
    token, api_key = resolutions.get(AUTH_TOKEN), resolutions.get(API_KEY)
    if token and api_key and token.winner.value and api_key.winner.value:
        return Check.of(
            "env.auth-conflict",
            "warn",
            f"both {AUTH_TOKEN} ({token.winner.describe()}) and {API_KEY} "
            f"({api_key.winner.describe()}) are set; the client sends the bearer token",
            f"unset the one you do not mean (a gateway taking x-api-key wants only {API_KEY})",
        )
    return ok("env.auth-conflict")


def invalid_settings_check(files: list[SettingsFile]) -> Check:
    broken = [f for f in files if f.error is not None]
    if not broken:
        return ok("settings.invalid")
    first = broken[0]
    others = f" (and {len(broken) - 1} more)" if len(broken) > 1 else ""
    return Check.of(
        "settings.invalid",
        "fail",
        f"{first.error}{others}; Claude Code ignores or refuses it",
        f"fix the JSON by hand: {first.path}",
    )


def override_check(
    resolutions: Mapping[str, Resolution], intended: Mapping[str, str], *, what: str
) -> Check:
    """A settings file whose ``env`` beats what the user means ``claude`` to get.

    ``intended`` holds those variables (the profile's env, the --url, or the shell's exports);
    ``what`` names where they come from. A file wins over the shell (docs/client-facts.md); over
    a profile only the managed file wins, since ``ccwrap run`` hands ``--settings`` to claude.
    """
    beaten: list[tuple[str, Resolution]] = []
    for variable, value in intended.items():
        resolution = resolutions.get(variable)
        if resolution is None or resolution.winner.path is None:
            continue
        if resolution.winner.layer != "cli" and resolution.winner.value != value:
            beaten.append((variable, resolution))
    if beaten:
        variable, resolution = beaten[0]
        winner = resolution.winner
        managed = winner.layer == "managed"
        more = f" (and {', '.join(v for v, _ in beaten[1:])})" if len(beaten) > 1 else ""
        return Check.of(
            "settings.override",
            # A managed file cannot be overridden at all; the others only beat the shell.
            "fail" if managed else "warn",
            f"{winner.describe()} sets {variable}={_shown(variable, winner.value)}{more}, "
            f"which beats {what}",
            _override_fix(variable, winner.layer, winner.path),
        )
    return ok("settings.override")


def _override_fix(variable: str, source: str, path: Path | None) -> str:
    if source == "managed":
        return f"ask whoever manages this machine; {path} cannot be overridden"
    if source in ("user", "local", "project"):
        return f"remove {variable} from the env block of {path} (or: ccwrap settings clear)"
    return f"remove {variable} from {path}"


def _shown(variable: str, value: str) -> str:
    return mask(value) if is_secret_variable(variable) else repr(value)


# -- the claude binary ------------------------------------------------------------------------
def find_claude(ctx: Context) -> tuple[Path | None, str]:
    """The executable ``ccwrap run`` would start, or None and why not."""
    try:
        return binary.find_claude(ctx), ""
    except ClaudeNotFound as exc:
        return None, exc.message


def claude_checks(
    path: Path | None, version: str | None, *, discovery: bool, why: str = ""
) -> list[Check]:
    if path is None:
        return [
            Check.of(
                "claude.missing",
                "fail",
                why or "no claude executable on PATH (nor in $CCWRAP_CLAUDE)",
                "npm install -g @anthropic-ai/claude-code, or set CCWRAP_CLAUDE=/path/to/claude",
            ),
            skip("claude.version", "claude not found"),
        ]
    found = ok("claude.missing", str(path))
    if version is None:
        return [
            found,
            Check.of(
                "claude.version",
                "warn",
                f"{path} --version printed no version",
                f"run {path} --version yourself",
            ),
        ]
    parsed = binary.version_tuple(version)
    if discovery and parsed < DISCOVERY_VERSION:
        need = ".".join(map(str, DISCOVERY_VERSION))
        return [
            found,
            Check.of(
                "claude.version",
                "fail",
                f"claude {version} is too old for gateway model discovery (needs {need})",
                "claude update (or npm install -g @anthropic-ai/claude-code@latest)",
            ),
        ]
    return [found, ok("claude.version", version)]


# -- background and dispatched sessions -----------------------------------------------------------
def dispatched_check(
    environ: Mapping[str, str],
    files: list[SettingsFile],
    base_url: str,
    *,
    warm: Origin | None = None,
    profile: str = "PROFILE",
) -> Check:
    """Sessions Claude Code dispatches itself (``claude agents``, ``--bg`` from a plain shell) start
    from its background service: they see the user settings and the service's environment, never
    ``ccwrap run``'s ``--settings`` (docs/folders-ide-import.md, measured with 2.1.197 and 2.1.332).

    ``warm`` is the gateway a session that claims one of the service's warm spares here would use
    (the folder's settings files, then the environment): a claimed spare skips the wrapper.
    """
    if environ.get("CLAUDE_CODE_PROCESS_WRAPPER"):
        return ok("client.dispatched", "CLAUDE_CODE_PROCESS_WRAPPER starts them (your launcher)")
    user = next((f for f in files if f.scope == "user"), None)
    data = user.data if user is not None and isinstance(user.data, dict) else {}
    wrapper = data.get("processWrapper")
    if isinstance(wrapper, str) and '"wrap"' in wrapper:
        return _wrapped_check(base_url, warm, profile)
    env = data.get("env") if isinstance(data.get("env"), dict) else {}
    there = env.get("ANTHROPIC_BASE_URL") if isinstance(env, dict) else None
    where = "user settings"
    if not (isinstance(there, str) and there):
        there, where = environ.get("ANTHROPIC_BASE_URL"), "the environment"
    if not there:
        return ok(
            "client.dispatched",
            "no gateway in the user settings or environment: dispatched sessions use your "
            "Anthropic login (ccwrap settings apply PROFILE --wrapper puts them on a profile)",
        )
    if urls.same_base_url(there, base_url):
        return ok("client.dispatched", f"{where} name this gateway")
    where = f"{there!r} ({where})"
    return Check.of(
        "client.dispatched",
        "warn",
        f"sessions dispatched from `claude agents` or a plain `claude --bg` go to {where}, not "
        f"to {base_url}: they start from Claude Code's background service, without ccwrap run",
        "ccwrap settings apply PROFILE --wrapper (claude newer than 2.1.197), "
        "or start them with ccwrap run -- --bg",
    )


def _wrapped_check(base_url: str, warm: Origin | None, profile: str) -> Check:
    """processWrapper is ``ccwrap wrap``: cold sessions get their folder's profile, but one that
    claims a warm spare (2.1.332 keeps one ready; it started before any folder was known) skips
    the wrapper and takes what the folder's settings files name (measured)."""
    if warm is not None and urls.same_base_url(warm.value, base_url):
        return ok(
            "client.dispatched",
            f"processWrapper starts cold sessions through ccwrap wrap; one that claims a warm "
            f"spare here reads {warm.describe()}, which names this gateway",
        )
    goes = "your Anthropic login" if warm is None else f"{warm.value!r} ({warm.describe()})"
    return Check.of(
        "client.dispatched",
        "warn",
        "processWrapper starts cold background sessions through ccwrap wrap, but one that claims "
        f"Claude Code's warm spare skips the wrapper and uses {goes}, not {base_url}",
        f"ccwrap settings apply {profile} --scope local in this folder: a warm spare reads the "
        "folder's settings",
    )
