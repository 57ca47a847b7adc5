"""The profile: its fields (types and defaults), its name rule, its modes, and validation.

The fields' other facts (kind, flag, help, Claude Code variable) are in ``profiles/fields.py``;
validation is derived from there.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from ccwrap.context import is_variable_name
from ccwrap.errors import ConfigError
from ccwrap.keys.masking import mask_secrets
from ccwrap.profiles.fields import AUTH_MODES, FIELDS, PROXY_MODES, AuthMode, ProxyMode

__all__ = [
    "AUTH_MODES",
    "DEFAULT_KEY_SOURCE",
    "NAME_PATTERN",
    "PROXY_MODES",
    "AuthMode",
    "Profile",
    "ProxyMode",
    "validate",
    "validate_name",
]
# Profile names become keyring users, file names and shell words: checked with fullmatch, so a
# trailing newline is refused too.
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
DEFAULT_KEY_SOURCE = "keyring"


@dataclass(repr=False)
class Profile:
    name: str
    base_url: str
    auth: AuthMode = "bearer"
    # Where the key lives: "keyring", "env:VAR", "cmd:COMMAND", "file:PATH" (see keys/sources.py).
    key: str = DEFAULT_KEY_SOURCE
    model: str | None = None
    opus_model: str | None = None
    sonnet_model: str | None = None
    haiku_model: str | None = None
    subagent_model: str | None = None
    cache_1h: bool = False
    # True keeps Claude Code's attribution block in the system prompt (the client's default).
    attribution_header: bool = True
    gateway_discovery: bool = False
    disable_experimental_betas: bool = False
    headers: dict[str, str] = field(default_factory=dict)
    # Header name -> key source, for header values that are secrets (the proxy adds them).
    secret_headers: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    proxy: ProxyMode = "auto"
    # Model name (exact or glob) as Claude Code sends it -> name the gateway serves (proxy only).
    model_map: dict[str, str] = field(default_factory=dict)
    # The gateway's prices per million tokens, in its own currency (``ccwrap stats``).
    price_input: float | None = None
    price_output: float | None = None
    price_cache_write_5m: float | None = None
    price_cache_write_1h: float | None = None
    price_cache_read: float | None = None
    price_currency: str | None = None
    preset: str | None = None
    description: str | None = None

    def __repr__(self) -> str:
        """Every field, with the values of secret-looking variables and headers masked (a
        profile may reach a log or a traceback)."""
        shown = {
            name: mask_secrets(value) if name in ("env", "headers") else value
            for name, value in asdict(self).items()
        }
        return "Profile(" + ", ".join(f"{k}={v!r}" for k, v in shown.items()) + ")"

    def to_dict(self) -> dict[str, Any]:
        """The profile as TOML-ready data: defaults and empty tables left out, name excluded."""
        defaults = Profile(name=self.name, base_url=self.base_url)
        data: dict[str, Any] = {}
        for key, value in asdict(self).items():
            if key == "name" or value is None or value == {}:
                continue
            if key != "base_url" and value == getattr(defaults, key) and key != "auth":
                continue
            data[key] = value
        return data

    @classmethod
    def from_dict(cls, name: str, data: Mapping[str, Any]) -> Profile:
        known = {f.name for f in fields(cls)} - {"name"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(
                f"profile {name!r} has unknown field(s): {', '.join(unknown)}",
                hint=f"known fields: {', '.join(sorted(known))}",
            )
        if "base_url" not in data:
            raise ConfigError(f"profile {name!r} has no base_url")
        profile = cls(name=name, **{k: _plain(v) for k, v in data.items()})
        validate(profile)
        return profile


def _plain(value: Any) -> Any:
    # tomlkit hands back its own container types; the dataclass wants dicts and strs.
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, str):
        return str(value)
    return value


def validate_name(name: str) -> str:
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise ConfigError(
            f"invalid profile name {name!r}",
            hint="use letters, digits, '.', '_' or '-' (at most 64; first a letter or digit)",
        )
    return name


def validate(profile: Profile) -> None:
    """Every field has the type (and, for a choice, a value) its kind in the table says."""
    validate_name(profile.name)
    for spec in FIELDS:
        value = getattr(profile, spec.name)
        if spec.is_table:
            if not isinstance(value, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in value.items()
            ):
                raise ConfigError(
                    f"profile {profile.name!r}: {spec.name} must be a table of strings"
                )
        elif spec.kind == "bool":
            _check_type(profile, spec.name, bool)
        elif spec.kind == "text":
            if value is not None:
                _check_type(profile, spec.name, str)
        elif spec.kind == "price":
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0
            ):
                raise ConfigError(
                    f"profile {profile.name!r}: {spec.name} must be a number >= 0, not {value!r}"
                )
        else:
            _check_type(profile, spec.name, str)
        if spec.choices and value not in spec.choices:
            raise ConfigError(
                f"profile {profile.name!r}: {spec.name} must be one of "
                f"{', '.join(spec.choices)}, not {value!r}"
            )
    _check_names(profile)


# What a process environment and an HTTP header can carry (config.toml may be edited by hand).
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_BAD_VALUE = re.compile(r"[\x00\r\n]")


def _check_names(profile: Profile) -> None:
    for name, value in profile.env.items():
        if not is_variable_name(name) or "\x00" in value:
            raise ConfigError(
                f"profile {profile.name!r}: env has an invalid variable {name!r}",
                hint="variable names are letters, digits and _ (not first a digit); no NUL",
            )
    for table in ("headers", "secret_headers"):
        for name, value in getattr(profile, table).items():
            if not _HEADER_NAME.fullmatch(name) or _BAD_VALUE.search(value):
                raise ConfigError(
                    f"profile {profile.name!r}: {table} has an invalid header {name!r}",
                    hint="header names are letters, digits and -; values hold no line break",
                )


def _check_type(profile: Profile, name: str, kind: type) -> None:
    value = getattr(profile, name)
    if not isinstance(value, kind):
        raise ConfigError(
            f"profile {profile.name!r}: {name} must be a {kind.__name__}, not {value!r}"
        )
