"""What doctor examines, and the run: local checks, then the probes, concurrently.

- ``--profile NAME``: that profile, as ``ccwrap run`` would hand it to claude;
- ``--url URL``: that URL, the key from ``--key-stdin`` or the environment;
- neither: the default profile when nothing in the environment or the settings files points
  claude elsewhere (what ``ccwrap setup`` just made); otherwise what ``claude`` would use right now
  in this folder — the settings files (managed, local, project, user) and the environment, by
  Claude Code's precedence (docs/client-facts.md).

A checkout is untrusted (docs/security.md): doctor never runs an ``apiKeyHelper`` from project or
local settings, and never sends a credential from the user's own settings or shell to a URL that
project or local settings chose. It says what they would do instead (``settings.untrusted``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ccwrap.claude import settings_files as claude_settings
from ccwrap.claude import urls
from ccwrap.claude.env import API_KEY, AUTH_TOKEN, BASE_URL, CUSTOM_HEADERS, profile_env
from ccwrap.claude.settings_files import Origin, Resolution, SettingsFile
from ccwrap.context import Context
from ccwrap.doctor import local
from ccwrap.doctor.model import Check, Report, ok, skip
from ccwrap.errors import CcwrapError, UsageError
from ccwrap.keys.sources import SecretStore, mask
from ccwrap.profiles.store import Profile, ProfileStore

if TYPE_CHECKING:
    import httpx

    from ccwrap.doctor.probes import HeaderMode
    from ccwrap.profiles.wizard import CheckResult

DEFAULT_TIMEOUT = 10.0
URL_IDS = ("url.scheme", "url.v1-suffix", "url.insecure")
LIVE_ONLY_IDS = (
    "billing.balance",
    "rate.limited",
    "gateway.error",
    "beta.rejected",
    "stream.buffered",
)
NETWORK_IDS = (
    "net.dns",
    "net.refused",
    "net.tls",
    "net.timeout",
    "gateway.path",
    "gateway.not-anthropic",
    "gateway.html",
    "auth.rejected",
    "auth.mode",
    "model.unavailable",
    "model.discovery",
    *LIVE_ONLY_IDS,
)
DISCOVERY = "CLAUDE_CODE_ENABLE_GATEWAY_MODEL_DISCOVERY"
NO_BETAS = "CLAUDE_CODE_DISABLE_EXPERIMENTAL_BETAS"


@dataclass
class Options:
    profile: str | None = None
    url: str | None = None
    key: str | None = field(default=None, repr=False)  # from --key-stdin
    offline: bool = False
    live: bool = False
    timeout: float = DEFAULT_TIMEOUT


@dataclass
class Target:
    """Everything the checks need, whichever way it was chosen."""

    profile: str | None
    base_url: str | None
    mode: HeaderMode
    key: str | None = field(repr=False)
    model: str | None = None
    discovery: bool = False
    disable_betas: bool = False
    headers: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)  # the profile's variables (doctor.client)
    attribution: bool = True
    checks: list[Check] = field(default_factory=list)  # key and settings checks made on the way
    origin: str = ""
    held_back: bool = False  # a checkout's setting was not followed: no probe goes out


def choose(ctx: Context, store: ProfileStore, secrets: SecretStore, options: Options) -> Target:
    if options.profile and options.url:
        raise UsageError("give --profile or --url, not both")
    files = claude_settings.discover(ctx)
    base = [local.invalid_settings_check(files)]
    name = options.profile or (None if options.url else _bound_profile(ctx, store))
    if name:
        target = _profile_target(ctx, store, secrets, files, base, name=name)
    elif options.url:
        target = _url_target(ctx, options, files, base)
    elif (default := _default_profile(ctx, store, files)) is not None:
        target = _profile_target(ctx, store, secrets, files, base, name=default)
        target.origin = (
            f"the default profile {default!r}: nothing in the environment or the settings "
            "files points claude elsewhere"
        )
    else:
        target = _claude_target(ctx, secrets, files, base)
    if not any(c.id == "settings.untrusted" for c in target.checks):
        target.checks.append(_untrusted_helper_check(files))
    return target


def _default_profile(ctx: Context, store: ProfileStore, files: list[SettingsFile]) -> str | None:
    """The profile plain ``ccwrap run`` would use, when claude here is not pointed elsewhere."""
    from ccwrap.profiles.store import resolve

    if claude_settings.effective_env(ctx, files).get(BASE_URL) is not None:
        return None  # a settings file or the shell sets the gateway: that is what claude uses
    if _api_key_helper(files) is not None:
        return None
    try:
        return resolve(store, None, ctx.environ).name
    except CcwrapError:  # no profile, no default, or a config doctor reports elsewhere
        return None


def _bound_profile(ctx: Context, store: ProfileStore) -> str | None:
    """The profile of the folder's binding (``ccwrap bind``); a binding to a missing profile
    is an error, as for ``run``."""
    from ccwrap.binding import find_binding
    from ccwrap.profiles.store import choose

    if find_binding(ctx.cwd, store.load().bindings) is None:
        return None
    return choose(store, None, ctx.environ, ctx.cwd).profile.name


def _profile_target(
    ctx: Context,
    store: ProfileStore,
    secrets: SecretStore,
    files: list[SettingsFile],
    checks: list[Check],
    *,
    name: str,
) -> Target:
    profile = store.get(name)
    key: str | None = None
    if profile.auth == "none":
        checks.append(ok("key.missing", "the profile sends no key"))
    else:
        try:
            key = secrets.read(profile.name, profile.key)
            checks.append(ok("key.missing", f"{mask(key)} from {_source(profile.key, name)}"))
        except CcwrapError as exc:
            checks.append(Check.of("key.missing", "fail", exc.message, exc.hint or ""))
    intended = profile_env(profile, key=key or "")
    # ccwrap run hands the profile to claude with --settings: only the managed file outranks it.
    cli = SettingsFile("cli", Path("<ccwrap run --settings>"), data={"env": intended})
    resolutions = claude_settings.effective_env(ctx, files, cli)
    checks.append(local.auth_conflict_check(resolutions))
    checks.append(local.override_check(resolutions, intended, what=f"profile {name!r}"))
    # A session that claims a warm spare skips ccwrap wrap: the folder's files decide for it.
    here = claude_settings.effective_env(ctx, files).get(BASE_URL)
    warm = here.winner if here is not None else None
    checks.append(
        local.dispatched_check(ctx.environ, files, profile.base_url, warm=warm, profile=name)
    )
    return _target_of(profile, key, secrets, checks)


def _target_of(
    profile: Profile, key: str | None, secrets: SecretStore, checks: list[Check]
) -> Target:
    headers = dict(profile.headers)
    for header, spec in profile.secret_headers.items():
        try:
            headers[header] = secrets.read(profile.name, spec)
        except CcwrapError:
            continue  # the proxy will report it; the probe goes without
    return Target(
        profile=profile.name,
        base_url=profile.base_url,
        mode=profile.auth,
        key=key,
        model=profile.model,
        discovery=profile.gateway_discovery,
        disable_betas=profile.disable_experimental_betas,
        headers=headers,
        env={k: v for k, v in profile_env(profile).items() if v},
        attribution=profile.attribution_header,
        checks=checks,
        origin=f"profile {profile.name}",
    )


def _source(spec: str, name: str) -> str:
    from ccwrap.keys.sources import KeySource

    return KeySource.parse(spec).describe(name)


def _url_target(
    ctx: Context, options: Options, files: list[SettingsFile], checks: list[Check]
) -> Target:
    url = (options.url or "").strip()
    env = ctx.environ
    key, where = options.key, "standard input"
    mode: HeaderMode = "bearer"
    if not key and env.get(AUTH_TOKEN):
        key, where = env[AUTH_TOKEN], AUTH_TOKEN
    elif not key and env.get(API_KEY):
        key, mode, where = env[API_KEY], "x-api-key", API_KEY
    if key:
        checks.append(ok("key.missing", f"{mask(key)} from {where}"))
    else:
        checks.append(
            Check.of(
                "key.missing",
                "fail",
                "no key: give one with --key-stdin, or set ANTHROPIC_AUTH_TOKEN",
                'printf %s "$KEY" | ccwrap doctor --url URL --key-stdin',
            )
        )
    resolutions = claude_settings.effective_env(ctx, files)
    checks.append(local.auth_conflict_check(resolutions))
    checks.append(local.override_check(resolutions, {BASE_URL: url}, what="--url"))
    model = env.get("ANTHROPIC_MODEL")
    return Target(None, url, mode, key, model, checks=checks, origin="--url")


def _claude_target(
    ctx: Context, secrets: SecretStore, files: list[SettingsFile], checks: list[Check]
) -> Target:
    resolutions = claude_settings.effective_env(ctx, files)
    value = _winners(resolutions)
    shell = {k: v for k, v in ctx.environ.items() if k.startswith("ANTHROPIC_")}
    checks.append(local.auth_conflict_check(resolutions))
    checks.append(local.override_check(resolutions, shell, what="the shell's export"))
    mode: HeaderMode = "none"
    key: str | None = None
    url_from = resolutions[BASE_URL].winner if BASE_URL in resolutions else None
    url_trusted = url_from is None or _trusted_url(resolutions[BASE_URL])
    helper = _api_key_helper(files)
    withheld: list[str] = []  # user-level credentials doctor keeps from a checkout's URL
    untrusted: list[Check] = []
    headers = _custom_headers(value.get(CUSTOM_HEADERS, ""))
    if headers and not url_trusted and resolutions[CUSTOM_HEADERS].winner.layer in TRUSTED:
        withheld.append(f"the custom headers from {resolutions[CUSTOM_HEADERS].winner.describe()}")
        headers = {}
    if value.get(AUTH_TOKEN) or value.get(API_KEY):
        variable = AUTH_TOKEN if value.get(AUTH_TOKEN) else API_KEY
        origin = resolutions[variable].winner
        if url_trusted or origin.layer not in TRUSTED:
            mode = "bearer" if variable == AUTH_TOKEN else "x-api-key"
            key = value[variable]
            checks.append(ok("key.missing", f"{mask(key)} from {origin.describe()}"))
        else:
            withheld.append(f"{variable} from {origin.describe()}")
            checks.append(skip("key.missing", "not read: see settings.untrusted"))
    elif helper is not None:
        if helper.layer not in TRUSTED:
            untrusted.append(_helper_not_run(helper))
            checks.append(skip("key.missing", "apiKeyHelper not run: see settings.untrusted"))
        elif not url_trusted:
            withheld.append(f"the key from apiKeyHelper in {helper.describe()}")
            checks.append(skip("key.missing", "apiKeyHelper not run: see settings.untrusted"))
        else:
            key, check = _run_helper(secrets, helper.value)
            mode = "both"  # the helper's output goes out as both headers (docs/client-facts.md)
            checks.append(check)
    elif not value.get(BASE_URL):
        checks.append(skip("key.missing", "no gateway set: claude uses its own login"))
    else:
        checks.append(
            Check.of(
                "key.missing",
                "fail",
                "no ANTHROPIC_AUTH_TOKEN, ANTHROPIC_API_KEY or apiKeyHelper: the client will "
                'say "Not logged in · Please run /login"',
                "ccwrap setup NAME, then ccwrap run (or ccwrap use NAME)",
            )
        )
    return Target(
        profile=None,
        base_url=value.get(BASE_URL) or None,
        mode=mode,
        key=key,
        model=value.get("ANTHROPIC_MODEL") or None,
        discovery=value.get(DISCOVERY) == "1",
        disable_betas=value.get(NO_BETAS) == "1",
        headers=headers,
        checks=[*checks, _withheld_check(url_from, withheld, untrusted)],
        origin=_origin(resolutions),
        held_back=bool(withheld or untrusted),
    )


# Who may choose where a user's credential goes, and whose apiKeyHelper doctor runs: the user's
# own settings and shell, and the machine's managed settings, never a checkout's files.
TRUSTED = frozenset({"managed", "cli", "user", "environment"})


def _trusted_url(resolution: Resolution) -> bool:
    """The winning URL is the user's choice: set by a trusted layer, or the very URL a trusted
    layer sets too (a team checkout that pins the gateway the user already uses)."""
    chosen = resolution.winner.value
    return resolution.winner.layer in TRUSTED or any(
        o.layer in TRUSTED and urls.same_base_url(o.value, chosen) for o in resolution.shadowed
    )


def _helper_not_run(helper: Origin) -> Check:
    return Check.of(
        "settings.untrusted",
        "warn",
        f"{helper.describe()} sets apiKeyHelper to {helper.value!r}: claude runs that command "
        "in this folder once you trust it; doctor did not run it",
        "read the command before trusting this folder; to check the gateway with your own key: "
        'printf %s "$KEY" | ccwrap doctor --url URL --key-stdin',
    )


def _withheld_check(url_from: Origin | None, withheld: list[str], untrusted: list[Check]) -> Check:
    if withheld and url_from is not None:
        return Check.of(
            "settings.untrusted",
            "fail",
            f"{url_from.describe()} points claude at {url_from.value!r}: claude started here "
            f"would send {' and '.join(withheld)} there; doctor did not send it",
            f"remove ANTHROPIC_BASE_URL from {url_from.path} unless you trust this checkout; "
            f'to check that gateway with its own key: printf %s "$KEY" | ccwrap doctor --url '
            f"{url_from.value} --key-stdin",
        )
    if untrusted:
        return untrusted[0]
    return ok("settings.untrusted")


def _untrusted_helper_check(files: list[SettingsFile]) -> Check:
    """For --profile, --url and the default profile: a checkout's apiKeyHelper is only shown."""
    helper = _api_key_helper(files)
    if helper is not None and helper.layer not in TRUSTED:
        return _helper_not_run(helper)
    return ok("settings.untrusted")


def _origin(resolutions: Mapping[str, Resolution]) -> str:
    resolution = resolutions.get(BASE_URL)
    what = "what claude would use here"
    return f"{what}: ANTHROPIC_BASE_URL from {resolution.winner.describe()}" if resolution else what


def _winners(resolutions: Mapping[str, Resolution]) -> dict[str, str]:
    return {variable: r.winner.value for variable, r in resolutions.items()}


def _api_key_helper(files: list[SettingsFile]) -> Origin | None:
    """The apiKeyHelper claude would run, and the file that sets it (highest precedence)."""
    for origin in claude_settings.effective_value(files, "apiKeyHelper"):
        if origin.value.strip():
            return origin
    return None


def _run_helper(secrets: SecretStore, helper: str) -> tuple[str | None, Check]:
    try:
        key = secrets.read("apiKeyHelper", f"cmd:{helper}")
    except CcwrapError as exc:
        return None, Check.of("key.missing", "fail", f"apiKeyHelper: {exc.message}", exc.hint or "")
    return key, ok("key.missing", f"{mask(key)} from apiKeyHelper")


def _custom_headers(value: str) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in value.splitlines():
        name, sep, content = line.partition(":")
        if sep and name.strip():
            headers[name.strip()] = content.strip()
    return headers


# -- the run ------------------------------------------------------------------------------------
def run(
    ctx: Context,
    target: Target,
    options: Options,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Report:
    return asyncio.run(_run(ctx, target, options, transport))


async def _run(ctx: Context, target: Target, options: Options, transport: Any) -> Report:
    report = Report(target.profile, target.base_url, list(target.checks), target.origin)
    claude = asyncio.create_task(_claude_checks(ctx, target))
    if target.base_url is None:
        why = "no ANTHROPIC_BASE_URL: claude talks to Anthropic directly"
        report.checks += [skip(id_, why) for id_ in (*URL_IDS, *NETWORK_IDS)]
    else:
        url_rows = local.url_checks(target.base_url)
        report.checks += url_rows
        if url_rows[0].status != "ok":
            report.checks += [skip(id_, "the base URL cannot be used") for id_ in NETWORK_IDS]
        elif options.offline:
            report.checks += [skip(id_, "--offline") for id_ in NETWORK_IDS]
        elif target.held_back:
            report.checks += [skip(id_, "see settings.untrusted") for id_ in NETWORK_IDS]
        elif (unsendable := _unsendable(target)) is not None:
            report.checks += [unsendable, *(skip(i, "see key.missing") for i in NETWORK_IDS)]
        else:
            report.checks += await _network(ctx, target, options, transport)
    report.checks += await claude
    return _masked(merge(report).ordered(), target.key).escaped()


def _unsendable(target: Target) -> Check | None:
    """A key or header value an HTTP header cannot carry (non-ASCII, a line break, NUL)."""
    values = {"the key": target.key or "", **{f"header {h}": v for h, v in target.headers.items()}}
    for what, value in values.items():
        bad = next((i for i, c in enumerate(value) if not c.isascii() or ord(c) < 32), None)
        if bad is not None:
            return Check.of(
                "key.missing",
                "fail",
                f"{what} holds a character an HTTP header cannot carry (a non-ASCII or control "
                f"character at position {bad + 1}): the client cannot send it either",
                "store it again, copied without stray characters (ccwrap setup NAME)",
            )
    return None


def check_profile(
    ctx: Context,
    secrets: SecretStore,
    profile: Profile,
    key: str | None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Report:
    """Doctor's free probes of a profile that may not be saved yet (``ccwrap setup``), the key
    given in memory (secret headers come from ``secrets``). Only the probes: setup has checked
    the URL's form already (ccwrap.claude.urls), and settings files and the claude binary are
    about this machine, not the gateway."""
    target = _target_of(profile, key, secrets, [])
    options = Options(timeout=timeout)
    unsendable = _unsendable(target)
    if unsendable is not None:
        checks = [unsendable, *(skip(i, "see key.missing") for i in NETWORK_IDS)]
    else:
        checks = asyncio.run(_network(ctx, target, options, transport))
    report = Report(profile.name, profile.base_url, checks, target.origin)
    return _masked(merge(report).ordered(), key).escaped()


def _masked(report: Report, key: str | None) -> Report:
    """A gateway may echo the key in its error message; it never reaches the output whole."""
    if not key:
        return report
    shown = mask(key)
    report.checks = [
        replace(c, detail=c.detail.replace(key, shown), fix=c.fix.replace(key, shown))
        for c in report.checks
    ]
    return report


async def _claude_checks(ctx: Context, target: Target) -> list[Check]:
    from ccwrap.claude.binary import claude_version
    from ccwrap.doctor.client import client_checks

    path, why = local.find_claude(ctx)
    version = await asyncio.to_thread(claude_version, path) if path else None
    checks = local.claude_checks(path, version, discovery=target.discovery, why=why)
    return checks + client_checks(
        ctx,
        profile=target.profile,
        base_url=target.base_url,
        has_credential=bool(target.key) or target.mode != "none",
        model=target.model,
        version=version,
        env={**ctx.environ, **target.env},
        attribution=target.attribution and target.env.get("CLAUDE_CODE_ATTRIBUTION_HEADER") != "0",
        files=claude_settings.discover(ctx),
    )


async def _network(ctx: Context, target: Target, options: Options, transport: Any) -> list[Check]:
    from ccwrap.doctor import probes

    probe_target = probes.ProbeTarget(
        base_url=target.base_url or "",
        mode=target.mode,
        key=target.key,
        headers=target.headers,
        model=target.model,
        discovery=target.discovery,
        profile=target.profile,
        disable_betas=target.disable_betas,
    )
    https = probe_target.base_url.lower().startswith("https://")
    proxy = probes.proxy_for(probe_target.base_url, ctx.environ)
    client = probes.make_client(ctx.environ, options.timeout, transport, tls=https, proxy=proxy)
    async with client:
        try:  # each request is bounded; this bounds the follow-ups (variants, retries) together
            checks = await asyncio.wait_for(
                probes.probe(probe_target, client, options.timeout), options.timeout * 6
            )
        except (asyncio.TimeoutError, TimeoutError):
            late = Check.of(
                "net.timeout",
                "fail",
                f"the probes did not finish within {options.timeout * 6:g} s",
                "the gateway answers too slowly; raise --timeout, or ask its operator",
            )
            checks = [late, *(skip(i, "see net.timeout") for i in NETWORK_IDS)]
        reachable = not any(c.status == "fail" and c.id.startswith("net.") for c in checks)
        if options.live and reachable:
            from ccwrap.doctor import live

            checks += await live.live_checks(probe_target, client, options.timeout)
    if not options.live:
        checks += [skip(id_, "needs --live: one real message") for id_ in LIVE_ONLY_IDS]
    return checks


SEVERITY = {"fail": 3, "warn": 2, "ok": 1, "skip": 0}


def merge(report: Report) -> Report:
    """One row per id: the free probes and --live may both speak about one; the worst wins."""
    best: dict[str, Check] = {}
    for check in report.checks:
        current = best.get(check.id)
        if current is None or SEVERITY[check.status] > SEVERITY[current.status]:
            best[check.id] = check
    return Report(report.profile, report.base_url, list(best.values()), report.origin)


def setup_check(secrets: SecretStore, profile: Profile, key: str | None) -> CheckResult:
    """The live check ``ccwrap setup`` runs: doctor's free probes of the profile being set up
    (not saved yet: the key is passed in), as the wizard shows them."""
    from ccwrap.profiles.wizard import CheckProblem, CheckResult

    report = check_profile(secrets.ctx, secrets, profile, key)
    return CheckResult(
        [
            CheckProblem(
                "fail" if check.status == "fail" else "warn", check.title, check.detail, check.fix
            )
            for check in report.checks
            if check.status in {"fail", "warn"}
        ]
    )
