"""The plan of a launch (pure): what claude gets, decided without touching the world.

How the profile wins (docs/client-facts.md, "Precedence"): a settings ``env`` block beats the
process environment, and ``claude --settings`` beats every settings file except the managed one.
So the profile's variables go into ``--settings``, and every credential variable there is "" so a
stale export or settings file cannot slip a token past it. The key itself comes from
``apiKeyHelper`` = ``<this ccwrap> key NAME``: ``run`` never reads the key, nothing secret is on
the command line, and the settings can travel inline. Measured with the real client
(tests/real/test_run_claude.py): the helper's output arrives as both ``authorization: Bearer`` and
``x-api-key``, and "" credential variables do not stop it.

When the settings may hold a secret (a literal key such as the proxy's session token, a
variable whose name says secret, any custom header: ``cf-aig-authorization: Bearer …`` is an
ordinary header to ccwrap, or the user's own ``--settings`` file whose content must not be copied
into argv), ``inline`` is False and ``ccwrap.launch.process`` writes
them to a 0600 file instead.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ccwrap.claude.env import (
    AUTH_TOKEN,
    CUSTOM_HEADERS,
    MANAGED_VARIABLES,
    is_secret_variable,
    profile_env,
)
from ccwrap.claude.env import mask_secrets as mask_env
from ccwrap.claude.settings_files import SettingsFile, is_inline_settings, load_cli_settings
from ccwrap.errors import CcwrapError, KeyStoreError, UsageError
from ccwrap.keys.sources import KeySource
from ccwrap.profiles.store import Profile

# Variables that would send claude somewhere else, or with other names or headers, than the
# profile says. When the profile does not set one but a settings file or the shell does, run sets
# it to "" (an empty value cancels it: docs/client-facts.md) so nothing stale reaches the gateway.
CLEARED_VARIABLES: tuple[str, ...] = (
    *MANAGED_VARIABLES,
    "ANTHROPIC_SMALL_FAST_MODEL",  # the deprecated name of the haiku tier
    "CLAUDE_CODE_OAUTH_TOKEN",
    "CLAUDE_CODE_USE_BEDROCK",
    "CLAUDE_CODE_USE_VERTEX",
    "CLAUDE_CODE_USE_FOUNDRY",
)
# Without any credential the client stops at "Not logged in" (docs/client-facts.md), even for a
# gateway that wants none: an ``auth = "none"`` profile gets this placeholder as its bearer token.
NO_KEY_PLACEHOLDER = "ccwrap-no-key"
KeyVia = Literal["apiKeyHelper", "environment", "settings", "placeholder"]
# When the key source is ``env:VAR`` and VAR is one of the variables the settings set (say
# ``env:ANTHROPIC_AUTH_TOKEN``), claude applies the settings' "" before it runs apiKeyHelper, and
# ``ccwrap key`` would find VAR empty (measured). The value then travels under this name instead,
# in claude's environment like VAR itself was, and the helper just prints it.
KEY_COPY_VARIABLE = "CCWRAP_RUN_API_KEY"
KEY_COPY_HELPER = f'printf %s "${KEY_COPY_VARIABLE}"'
# Header value placeholders the proxy fills per request (ccwrap.proxy.headers.COMPUTED says how):
# a profile that uses one cannot work without the proxy.
PLACEHOLDERS = ("{request_id}",)


# -- with or without the proxy --------------------------------------------------------------------
def needs_proxy(profile: Profile) -> str | None:
    """Why this profile cannot work without the proxy (for ``proxy = "auto"``), or None."""
    if profile.model_map:
        return "model_map renames models"
    if profile.secret_headers:
        return "secret_headers are added by the proxy"
    computed = [
        name for name, value in profile.headers.items() if any(p in value for p in PLACEHOLDERS)
    ]
    if computed:
        return f"header {computed[0]} is computed per request"
    return None


def wants_proxy(profile: Profile, flag: bool | None) -> bool:
    """``--proxy``/``--no-proxy`` decide; else the profile: ``auto`` = only when it needs one."""
    if flag is not None:
        return flag
    if profile.proxy == "auto":
        return needs_proxy(profile) is not None
    return profile.proxy == "always"


# -- the user's own --settings --------------------------------------------------------------------
@dataclass
class UserSettings:
    data: dict[str, Any]
    source: str  # "inline JSON" or the file's path
    from_file: bool


def split_user_settings(args: Sequence[str], cwd: Path) -> tuple[list[str], UserSettings | None]:
    """Take ``--settings X`` / ``--settings=X`` out of claude's arguments and read X.

    claude keeps only the last ``--settings`` it is given (measured: a second one replaced the
    first), so the user's settings are merged into ccwrap's rather than passed beside them.
    """
    rest: list[str] = []
    found: UserSettings | None = None
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            rest.extend(args[index:])
            break
        value: str | None = None
        if arg == "--settings":
            if index + 1 >= len(args):
                raise UsageError("--settings needs a value", hint="--settings FILE or JSON")
            value = args[index + 1]
            index += 2
        elif arg.startswith("--settings="):
            value = arg.split("=", 1)[1]
            index += 1
        else:
            rest.append(arg)
            index += 1
            continue
        if found is not None:
            raise UsageError(
                "--settings given twice after --",
                hint="claude keeps only one: merge them into a single file or JSON",
            )
        found = _read_user_settings(value, cwd)
    return rest, found


def _read_user_settings(value: str, cwd: Path) -> UserSettings:
    found = load_cli_settings(cwd, value)  # the reader `settings show --settings` uses too
    if found.error is not None:
        raise found.error
    inline = is_inline_settings(value)
    source = "inline JSON" if inline else str(found.path)
    return UserSettings(found.data or {}, source, from_file=not inline)


def merge_settings(ours: Mapping[str, Any], theirs: Mapping[str, Any]) -> dict[str, Any]:
    """The user's keys win; ``env`` is merged variable by variable (theirs win there too)."""
    merged = dict(ours)
    for key, value in theirs.items():
        if key == "env" and isinstance(value, dict) and isinstance(merged.get("env"), dict):
            merged["env"] = {**merged["env"], **{str(k): v for k, v in value.items()}}
        else:
            merged[key] = value
    return merged


# -- the plan -------------------------------------------------------------------------------------
@dataclass
class Override:
    """A value in a settings file (or the shell) that the profile's settings beat."""

    source: str  # "local", "project", "user" or "environment"
    path: Path | None
    name: str  # a variable, or "apiKeyHelper" (never the value: it may be a stale key)


@dataclass
class LaunchPlan:
    claude: Path
    args: list[str]  # claude's own arguments, as the user gave them (minus their --settings)
    settings: dict[str, Any]  # handed over with --settings
    env: dict[str, str]  # the whole environment of claude's process
    env_changes: dict[str, str]  # what ccwrap set in it (for --dry-run)
    key_via: KeyVia
    profile: str
    inline: bool  # True: --settings '<json>'; False: a 0600 file (the settings hold a secret)
    files: list[SettingsFile] = field(default_factory=list)
    overridden: list[Override] = field(default_factory=list)
    cleared: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    user_settings: str | None = None

    def argv(self, settings_file: Path | None = None) -> list[str]:
        if self.inline:
            value = json.dumps(self.settings, separators=(",", ":"), ensure_ascii=False)
        elif settings_file is None:
            value = "<0600 temporary file>"
        else:
            value = str(settings_file)
        return [str(self.claude), "--settings", value, *self.args]

    def shown_argv(self) -> list[str]:
        """The exact command line, but with any secret in the settings masked."""
        if not self.inline:
            return self.argv()
        shown = json.dumps(self.masked_settings(), separators=(",", ":"), ensure_ascii=False)
        return [str(self.claude), "--settings", shown, *self.args]

    def masked_settings(self) -> dict[str, Any]:
        shown = dict(self.settings)
        if isinstance(shown.get("env"), dict):
            shown["env"] = mask_env(shown["env"])
        return shown

    def to_dict(self) -> dict[str, Any]:
        """The dry-run view: nothing secret, every value that is one masked."""
        return {
            "profile": self.profile,
            "claude": str(self.claude),
            "argv": self.shown_argv(),
            "settings": self.masked_settings(),
            "settings_via": "inline" if self.inline else "temporary 0600 file",
            "key_via": self.key_via,
            "env": mask_env(self.env_changes),
            "settings_files": [
                {
                    "scope": f.scope,
                    "path": str(f.path),
                    "exists": f.exists,
                    "error": f.error.message if f.error else None,
                }
                for f in self.files
            ],
            "overridden": [
                {"source": o.source, "path": str(o.path) if o.path else None, "name": o.name}
                for o in self.overridden
            ],
            "cleared": self.cleared,
            "user_settings": self.user_settings,
            "warnings": self.warnings,
        }


def holds_secret(env: Mapping[str, Any]) -> bool:
    """Whether these settings variables may carry a secret, so must never travel in argv.

    Argv is readable by every local user (``ps``). A variable whose name says secret counts, and
    so does any custom header: a gateway's own auth header (``cf-aig-authorization``) is just a
    header in the profile, and ccwrap cannot tell it from ``X-Team: a``.
    """
    return any(
        isinstance(value, str) and value and (name == CUSTOM_HEADERS or is_secret_variable(name))
        for name, value in env.items()
    )


def plan_launch(
    profile: Profile,
    *,
    claude: Path,
    args: Sequence[str],
    environ: Mapping[str, str],
    files: Sequence[SettingsFile],
    key_helper: str | None,
    key: str | None = None,
    user_settings: UserSettings | None = None,
) -> LaunchPlan:
    """Everything about a launch, decided without touching the world.

    ``key_helper`` is the apiKeyHelper command (``keys.helper_command.key_helper_command``).
    ``key`` puts a literal credential in the settings instead (the proxy's session token): the
    settings then hold a secret and go through a 0600 file.
    """
    env = profile_env(profile, key=key)
    user_files = [f for f in files if f.scope != "managed"]
    cleared = _stale_variables(env, user_files, environ)
    env.update(dict.fromkeys(cleared, ""))
    inline = key is None and not holds_secret(env)  # before the no-key placeholder: not a secret
    key_via, helper, copied = _key_route(profile, env, environ, key=key, key_helper=key_helper)
    if key_via == "placeholder":
        env[AUTH_TOKEN] = NO_KEY_PLACEHOLDER
    settings: dict[str, Any] = {"env": env, **({"apiKeyHelper": helper} if helper else {})}
    if user_settings is not None:
        settings = merge_settings(settings, user_settings.data)
        inline = inline and not user_settings.from_file

    managed = next((f for f in files if f.scope == "managed"), None)
    changes = {
        k: v for k, v in settings["env"].items() if isinstance(v, str) and environ.get(k) != v
    }
    if copied is not None:
        changes[KEY_COPY_VARIABLE] = copied
    child_env = {**environ, **changes}
    return LaunchPlan(
        claude=claude,
        args=list(args),
        settings=settings,
        env=child_env,
        env_changes=changes,
        key_via=key_via,
        profile=profile.name,
        inline=inline,
        files=list(files),
        overridden=_overridden(settings, user_files, environ),
        cleared=cleared,
        warnings=_warnings(settings, files, managed),
        user_settings=user_settings.source if user_settings else None,
    )


def _key_route(
    profile: Profile,
    env: Mapping[str, str],
    environ: Mapping[str, str],
    *,
    key: str | None,
    key_helper: str | None,
) -> tuple[KeyVia, str | None, str | None]:
    """How the key reaches claude: (route, apiKeyHelper command, value copied into the env).

    With apiKeyHelper both credential variables stay "" (``profile_env`` with ``key=None``):
    they outrank apiKeyHelper in the client's credential order, and "" cancels stale values.
    """
    if key is not None:
        return "settings", None, None
    if profile.auth == "none":
        return "placeholder", None, None
    if (copied := _key_copy(profile, env, environ)) is not None:
        return "environment", KEY_COPY_HELPER, copied
    if key_helper is None:
        raise CcwrapError(f"profile {profile.name!r} needs a key helper or a key")
    return "apiKeyHelper", key_helper, None


def _key_copy(profile: Profile, env: Mapping[str, str], environ: Mapping[str, str]) -> str | None:
    """The key, when it comes from a variable that the settings themselves override."""
    source = KeySource.parse(profile.key)
    if source.kind != "env" or source.arg not in env:
        return None
    value = environ.get(source.arg)
    if not value:
        raise KeyStoreError(
            f"profile {profile.name!r} takes its key from ${source.arg}, which is not set",
            hint=f"export {source.arg}=… first, or store the key: ccwrap setup {profile.name}",
        )
    return value


def _stale_variables(
    env: Mapping[str, str], files: Iterable[SettingsFile], environ: Mapping[str, str]
) -> list[str]:
    present: set[str] = {name for name, value in environ.items() if value}
    for settings_file in files:
        present |= {name for name, value in settings_file.env.items() if value}
    return [name for name in CLEARED_VARIABLES if name in present and name not in env]


def _overridden(
    settings: Mapping[str, Any], files: Iterable[SettingsFile], environ: Mapping[str, str]
) -> list[Override]:
    ours = settings.get("env", {})
    found: list[Override] = []
    for settings_file in files:
        for name, value in settings_file.env.items():
            if name in ours and ours[name] != value:
                found.append(Override(settings_file.scope, settings_file.path, name))
        helper = (settings_file.data or {}).get("apiKeyHelper")
        if "apiKeyHelper" in settings and helper is not None:
            found.append(Override(settings_file.scope, settings_file.path, "apiKeyHelper"))
    for name, value in environ.items():
        if name in ours and ours[name] != value and value:
            found.append(Override("environment", None, name))
    return found


def _warnings(
    settings: Mapping[str, Any], files: Iterable[SettingsFile], managed: SettingsFile | None
) -> list[str]:
    warnings: list[str] = []
    for settings_file in files:
        if settings_file.error is not None:
            warnings.append(
                f"{settings_file.scope} settings cannot be read ({settings_file.error.message})"
            )
    if managed is None or managed.data is None:
        return warnings
    ours = settings.get("env", {})
    pinned = [n for n, v in managed.env.items() if n in ours and ours[n] != v]
    if pinned:
        warnings.append(
            f"managed settings ({managed.path}) pin {', '.join(sorted(pinned))}: nothing can "
            "override them, so claude uses the managed value(s), not the profile's"
        )
    if "apiKeyHelper" in settings and "apiKeyHelper" in managed.data:
        warnings.append(
            f"managed settings ({managed.path}) set apiKeyHelper: claude may use that key "
            "instead of the profile's"
        )
    return warnings
