"""Masking secrets, and the one rule that says which names hold one.

A variable or header name holds a secret when the rule in :func:`is_secret_variable` says so;
every writer (setup, edit, the settings writer, the ownership record) and every renderer
(profile show/list/export, ``ccwrap env``, ``run --dry-run``, ``settings show``, reprs) uses it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Variables that carry a secret by name. Every other secret variable is found by the rule in
# is_secret_variable, which every writer and renderer uses.
SECRET_VARIABLES = frozenset(
    {"ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_API_KEY", "CLAUDE_CODE_OAUTH_TOKEN"}
)
# The last word of a secret's name (MY_API_TOKEN, GW_SECRET, DB_PASSWORD, OPENAI_KEY), and the
# words that make any name a secret's (AWS_SECRET_ACCESS_KEY). Plural counts (MAX_THINKING_TOKENS)
# and settings about a key (CLAUDE_CODE_API_KEY_HELPER_TTL_MS) are not secrets.
_SECRET_LAST_WORDS = frozenset(
    {"TOKEN", "SECRET", "PASSWORD", "PASSWD", "PASSPHRASE", "KEY", "APIKEY", "CREDENTIAL",
     "CREDENTIALS", "PAT", "COOKIE", "AUTHORIZATION"}
)  # fmt: skip
_SECRET_WORDS = frozenset({"SECRET", "PASSWORD", "PASSWD", "PASSPHRASE", "CREDENTIALS"})


def mask(secret: str | None) -> str:
    """``sk-ant-abc…wxyz`` → ``sk-…wxyz``; short secrets show nothing of themselves."""
    if not secret:
        return "(none)"
    if len(secret) < 12:
        return "…" * 3
    prefix = secret[:3] if secret[:3].isascii() and secret[2] == "-" else ""
    return f"{prefix}…{secret[-4:]}"


def is_secret_variable(name: str) -> bool:
    """The one rule for "this variable (or header) holds a secret": ``*_TOKEN``, ``*_SECRET``,
    ``*_PASSWORD``, ``*_API_KEY``, ``*_KEY``, ``*_CREDENTIALS``… (any case), and the credential
    variables Claude Code reads. Masked wherever shown, refused in a profile's env."""
    words = name.upper().replace("-", "_").split("_")
    return (
        name in SECRET_VARIABLES
        or words[-1] in _SECRET_LAST_WORDS
        or bool(_SECRET_WORDS.intersection(words))
    )


def mask_secrets(env: Mapping[str, Any]) -> dict[str, Any]:
    """``env`` with the value of every secret variable masked (for anything that is shown)."""
    return {
        name: mask(value)
        if isinstance(value, str) and value and is_secret_variable(name)
        else value
        for name, value in env.items()
    }
