"""A profile as the environment variables Claude Code reads (pure; no I/O).

``run``, ``settings apply``, ``env`` and the proxy all derive what they hand to Claude Code from
:func:`profile_env`, so the four can never disagree.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ccwrap.errors import ConfigError

# The one secret-name rule lives with the masking (keys/masking.py); re-exported for callers.
from ccwrap.keys.masking import SECRET_VARIABLES as SECRET_VARIABLES  # noqa: PLC0414
from ccwrap.keys.masking import is_secret_variable as is_secret_variable  # noqa: PLC0414
from ccwrap.keys.masking import mask
from ccwrap.keys.masking import mask_secrets as mask_secrets  # noqa: PLC0414
from ccwrap.profiles.fields import FIELDS, ProfileField, variables_of
from ccwrap.profiles.model import Profile

BASE_URL = "ANTHROPIC_BASE_URL"
AUTH_TOKEN = "ANTHROPIC_AUTH_TOKEN"  # noqa: S105 -- a variable name; sent as "authorization: Bearer …"
API_KEY = "ANTHROPIC_API_KEY"  # sent as "x-api-key: …"
CUSTOM_HEADERS = "ANTHROPIC_CUSTOM_HEADERS"

# The profile's fields that set a variable of their own (profiles/fields.py is the table).
_BOOL_FIELDS: tuple[ProfileField, ...] = tuple(f for f in FIELDS if f.kind == "bool" and f.variable)
FLAG_VARIABLES: tuple[str, ...] = tuple(f.variable for f in _BOOL_FIELDS if f.variable)
MODEL_VARIABLES: Mapping[str, str] = variables_of("text")
# Every variable ccwrap may set from a profile's own fields (not counting the profile's extra env).
MANAGED_VARIABLES: tuple[str, ...] = (
    BASE_URL,
    AUTH_TOKEN,
    API_KEY,
    CUSTOM_HEADERS,
    *FLAG_VARIABLES,
    *MODEL_VARIABLES.values(),
)
# Variables that change which program runs or what it loads: refused in a profile's env unless
# forced, and shown before an import.
_DANGEROUS_VARIABLES = frozenset(
    {"LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT", "NODE_OPTIONS", "NODE_PATH", "PATH", "BASH_ENV",
     "ENV", "ZDOTDIR", "SHELL", "PYTHONPATH", "PYTHONSTARTUP", "PYTHONHOME", "PERL5OPT",
     "PERL5LIB", "RUBYOPT", "RUBYLIB", "GIT_SSH_COMMAND", "GIT_EXEC_PATH", "PROMPT_COMMAND",
     "NODE_TLS_REJECT_UNAUTHORIZED", "CLAUDE_CONFIG_DIR"}
)  # fmt: skip
_DANGEROUS_PREFIXES = ("LD_", "DYLD_")
# Variables that send claude's traffic through another host or trust other certificates: fine
# to set yourself, worth a look in a file someone shared.
_REDIRECTING_VARIABLES = frozenset(
    {"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE",
     "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"}
)  # fmt: skip

_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


def is_dangerous_variable(name: str) -> bool:
    """``LD_PRELOAD``, ``NODE_OPTIONS``, ``PATH``…: the variable changes what runs or loads."""
    upper = name.upper()
    return upper in _DANGEROUS_VARIABLES or upper.startswith(_DANGEROUS_PREFIXES)


def is_redirecting_variable(name: str) -> bool:
    """A proxy or certificate variable: the traffic may go elsewhere or be trusted differently."""
    return name.upper() in _REDIRECTING_VARIABLES


def credential_variable(profile: Profile) -> str | None:
    """The variable that carries the key in the profile's header mode (None: no key at all)."""
    return {"bearer": AUTH_TOKEN, "x-api-key": API_KEY, "none": None}[profile.auth]


def credential_env(profile: Profile, key: str | None) -> dict[str, str]:
    """Both credential variables: the profile's one holds ``key``, the other is "".

    "" cancels a shell export of the same variable (docs/client-facts.md), so a stale
    ``ANTHROPIC_API_KEY`` cannot sneak in beside a bearer token. With ``key=None`` both are "" and
    the key must come from ``apiKeyHelper``.
    """
    chosen = credential_variable(profile)
    return {name: (key or "") if name == chosen else "" for name in (AUTH_TOKEN, API_KEY)}


def profile_env(profile: Profile, *, key: str | None = None) -> dict[str, str]:
    """Every variable the profile sets, in a stable order."""
    env: dict[str, str] = {BASE_URL: profile.base_url}
    env.update(credential_env(profile, key))
    for spec in _BOOL_FIELDS:
        if getattr(profile, spec.name) is spec.set_when and spec.variable:
            env[spec.variable] = spec.set_to
    for field_name, variable in MODEL_VARIABLES.items():
        if value := getattr(profile, field_name):
            env[variable] = value
    if profile.headers:
        env[CUSTOM_HEADERS] = custom_headers_value(profile.headers)
    env.update(profile.env)
    return env


def custom_headers_value(headers: Mapping[str, str]) -> str:
    """``ANTHROPIC_CUSTOM_HEADERS``: one ``Name: value`` line per header."""
    for name, value in headers.items():
        check_header(name, value)
    return "\n".join(f"{name}: {value}" for name, value in headers.items())


def check_header(name: str, value: str) -> None:
    """Refuse what the client would reject (from 2.1.227) or what would split into two headers."""
    if not _HEADER_NAME.fullmatch(name):
        raise ConfigError(
            f"invalid header name {name!r}",
            hint="a header name is letters, digits and !#$%&'*+.^_`|~- with no spaces or colon",
        )
    bad = next((c for c in value if c in "\r\n\0" or ord(c) > 0xFF), None)
    if bad is not None:
        raise ConfigError(
            f"the value of header {name!r} holds {bad!r}, which Claude Code rejects",
            hint="header values may not contain line breaks, NUL or characters above U+00FF",
        )


def parse_header(line: str) -> tuple[str, str]:
    """``'X-Team: a'`` → ``('X-Team', 'a')``, validated (for ``--header``)."""
    name, sep, value = line.partition(":")
    if not sep:
        # Not the line itself: a header value pasted without its name may be a secret.
        raise ConfigError(
            f"invalid header {mask(line)}: no ':' between name and value",
            hint="write it as 'Name: value'",
        )
    name, value = name.strip(), value.strip()
    check_header(name, value)
    return name, value
