"""What Claude Code itself reads and does: env from a profile, settings files and their precedence,
base-URL rules, the binary.

    env             a profile as the variables Claude Code reads (profile_env, check_header)
    settings_files  the settings files, their precedence (Origin, Resolution), the effective view
    urls            base-URL rules (normalize_base_url, is_loopback, is_insecure, same_base_url)
    binary          finding claude and its version

The public names are importable from here; each is loaded on first use (the hot paths import
only the module they need).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ccwrap.claude.binary import INSTALL_HINT, claude_version, find_claude
    from ccwrap.claude.env import (
        API_KEY,
        AUTH_TOKEN,
        BASE_URL,
        CUSTOM_HEADERS,
        MANAGED_VARIABLES,
        SECRET_VARIABLES,
        check_header,
        credential_env,
        credential_variable,
        parse_header,
        profile_env,
    )
    from ccwrap.claude.settings_files import (
        EffectiveView,
        Layer,
        Origin,
        Resolution,
        Scope,
        SettingsFile,
        discover,
        effective_env,
        effective_value,
        effective_view,
        load_cli_settings,
        parse_settings,
        read_settings,
        scope_path,
        shown,
    )
    from ccwrap.claude.urls import (
        NormalizedURL,
        is_insecure,
        is_loopback,
        normalize_base_url,
        same_base_url,
    )

_EXPORTS = {
    "binary": ("INSTALL_HINT", "claude_version", "find_claude"),
    "env": (
        "API_KEY",
        "AUTH_TOKEN",
        "BASE_URL",
        "CUSTOM_HEADERS",
        "MANAGED_VARIABLES",
        "SECRET_VARIABLES",
        "check_header",
        "credential_env",
        "credential_variable",
        "parse_header",
        "profile_env",
    ),
    "settings_files": (
        "EffectiveView",
        "Layer",
        "Origin",
        "Resolution",
        "Scope",
        "SettingsFile",
        "discover",
        "effective_env",
        "effective_value",
        "effective_view",
        "load_cli_settings",
        "parse_settings",
        "read_settings",
        "scope_path",
        "shown",
    ),
    "urls": ("NormalizedURL", "is_insecure", "is_loopback", "normalize_base_url", "same_base_url"),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}
__all__ = [
    "API_KEY",
    "AUTH_TOKEN",
    "BASE_URL",
    "CUSTOM_HEADERS",
    "INSTALL_HINT",
    "MANAGED_VARIABLES",
    "SECRET_VARIABLES",
    "EffectiveView",
    "Layer",
    "NormalizedURL",
    "Origin",
    "Resolution",
    "Scope",
    "SettingsFile",
    "check_header",
    "claude_version",
    "credential_env",
    "credential_variable",
    "discover",
    "effective_env",
    "effective_value",
    "effective_view",
    "find_claude",
    "is_insecure",
    "is_loopback",
    "load_cli_settings",
    "normalize_base_url",
    "parse_header",
    "parse_settings",
    "profile_env",
    "read_settings",
    "same_base_url",
    "scope_path",
    "shown",
]


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'ccwrap.claude' has no attribute {name!r}")
    return getattr(importlib.import_module(f"ccwrap.claude.{module}"), name)
