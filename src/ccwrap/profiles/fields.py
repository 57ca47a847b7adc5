"""The one table of a profile's fields: name, kind, flag, help and the Claude Code variable.

Everything that lists a profile's fields is derived from :data:`FIELDS`: validation
(``profiles.model``), :class:`~ccwrap.profiles.ops.ProfileChanges`, the ``setup`` and
``profile edit`` options and their help (``cli/commands/profile_options.py``), ``profile show``'s
rows and the profile → variables mapping (``claude/env.py``). Adding a field means one row here
and one attribute on :class:`~ccwrap.profiles.model.Profile` (its type and default).

Kinds:

- ``url``: the gateway's base URL (normalised when set);
- ``choice``: one of ``choices``;
- ``key-source``: where the key lives (``keyring``, ``env:VAR``, ``cmd:COMMAND``, ``file:PATH``);
- ``text``: optional text, ``""`` clears it;
- ``bool``: sets ``variable`` to ``set_to`` when the value is ``set_when``;
- ``headers``: a table of header name → value (``--header 'Name: value'``, repeatable);
- ``env``: a table of variable → value (``--env NAME=VALUE``, repeatable);
- ``table``: a table of strings kept in config.toml only;
- ``price``: a price per million tokens (a number >= 0; ``""`` clears it), for ``ccwrap stats``.

The names (field = config.toml key, flag) are a contract: never rename one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FieldKind = Literal[
    "url", "choice", "key-source", "text", "bool", "headers", "env", "table", "price"
]
AuthMode = Literal["bearer", "x-api-key", "none"]
AUTH_MODES: tuple[AuthMode, ...] = ("bearer", "x-api-key", "none")
ProxyMode = Literal["auto", "always", "never"]
PROXY_MODES: tuple[ProxyMode, ...] = ("auto", "always", "never")


@dataclass(frozen=True)
class ProfileField:
    name: str  # the Profile attribute, and the key in config.toml
    kind: FieldKind
    help: str  # the flag's help, in setup and in profile edit
    # The option of ``setup`` and ``profile edit`` ("--on/--off" for a bool); None: the field is
    # set in config.toml only.
    flag: str | None = None
    variable: str | None = None  # the Claude Code variable the field sets, if any
    choices: tuple[str, ...] = ()
    set_when: bool = True  # bool fields: the value at which ``variable`` is set…
    set_to: str = "1"  # …and what it is set to

    @property
    def is_table(self) -> bool:
        return self.kind in ("headers", "env", "table")


FIELDS: tuple[ProfileField, ...] = (
    ProfileField(
        "base_url", "url", "Gateway base URL (without /v1).", "--url", "ANTHROPIC_BASE_URL"
    ),
    ProfileField(
        "auth",
        "choice",
        "How the key is sent: bearer, x-api-key or none.",
        "--auth",
        choices=AUTH_MODES,
    ),
    ProfileField(
        "key",
        "key-source",
        "Where the key lives: keyring (default), env:VAR, cmd:COMMAND or file:PATH.",
        "--key-source",
    ),
    ProfileField("model", "text", "ANTHROPIC_MODEL ('' clears it).", "--model", "ANTHROPIC_MODEL"),
    ProfileField(
        "opus_model",
        "text",
        "ANTHROPIC_DEFAULT_OPUS_MODEL.",
        "--opus-model",
        "ANTHROPIC_DEFAULT_OPUS_MODEL",
    ),
    ProfileField(
        "sonnet_model",
        "text",
        "ANTHROPIC_DEFAULT_SONNET_MODEL.",
        "--sonnet-model",
        "ANTHROPIC_DEFAULT_SONNET_MODEL",
    ),
    ProfileField(
        "haiku_model",
        "text",
        "ANTHROPIC_DEFAULT_HAIKU_MODEL (small/fast and background work).",
        "--haiku-model",
        "ANTHROPIC_DEFAULT_HAIKU_MODEL",
    ),
    ProfileField(
        "subagent_model",
        "text",
        "CLAUDE_CODE_SUBAGENT_MODEL.",
        "--subagent-model",
        "CLAUDE_CODE_SUBAGENT_MODEL",
    ),
    ProfileField(
        "cache_1h",
        "bool",
        "1-hour prompt caching (writes cost 2x base input, reads are cheaper).",
        "--cache-1h/--no-cache-1h",
        "ENABLE_PROMPT_CACHING_1H",
    ),
    ProfileField(
        "attribution_header",
        "bool",
        "Claude Code's attribution block; off improves a gateway's cache hit rate.",
        "--attribution/--no-attribution",
        "CLAUDE_CODE_ATTRIBUTION_HEADER",
        set_when=False,
        set_to="0",
    ),
    ProfileField(
        "gateway_discovery",
        "bool",
        "Gateway model discovery (Claude Code >= 2.1.129; only claude*/anthropic* ids).",
        "--discovery/--no-discovery",
        "CLAUDE_CODE_ENABLE_GATEWAY_MODEL_DISCOVERY",
    ),
    ProfileField(
        "disable_experimental_betas",
        "bool",
        "CLAUDE_CODE_DISABLE_EXPERIMENTAL_BETAS=1, for gateways that reject beta fields.",
        "--disable-betas/--enable-betas",
        "CLAUDE_CODE_DISABLE_EXPERIMENTAL_BETAS",
    ),
    ProfileField(
        "headers",
        "headers",
        "Custom header 'Name: value' (repeatable; 'Name:' removes it).",
        "--header",
        "ANTHROPIC_CUSTOM_HEADERS",
    ),
    ProfileField(
        "secret_headers",
        "table",
        "Header name -> key source, for header values that are secrets (the proxy adds them).",
    ),
    ProfileField("env", "env", "Extra environment NAME=VALUE for claude (repeatable).", "--env"),
    ProfileField(
        "proxy",
        "choice",
        "Use the loopback proxy: auto, always or never.",
        "--proxy",
        choices=PROXY_MODES,
    ),
    ProfileField(
        "model_map",
        "table",
        "Model name (exact or glob) as Claude Code sends it -> the gateway's name (proxy only).",
    ),
    *(
        ProfileField(
            f"price_{name}",
            "price",
            f"The gateway's price per million {what} tokens, in its currency (for stats).",
            f"--price-{name.replace('_', '-')}",
        )
        for name, what in (
            ("input", "input"),
            ("output", "output"),
            ("cache_write_5m", "5-minute cache-write"),
            ("cache_write_1h", "1-hour cache-write"),
            ("cache_read", "cache-read"),
        )
    ),
    ProfileField(
        "price_currency",
        "text",
        "The currency of the prices (USD, CNY, credits…), shown with costs.",
        "--price-currency",
    ),
    ProfileField("preset", "text", "The preset the profile was made from (setup --preset)."),
    ProfileField("description", "text", "A note for yourself.", "--description"),
)


# Read from FIELDS on each call (19 rows), so that the table is the only place to edit.
def by_name(name: str) -> ProfileField | None:
    return next((f for f in FIELDS if f.name == name), None)


def flag_fields() -> tuple[ProfileField, ...]:
    """The fields ``setup`` and ``profile edit`` have an option for."""
    return tuple(f for f in FIELDS if f.flag)


def variables_of(kind: FieldKind) -> dict[str, str]:
    """Field name → the Claude Code variable, for the fields of ``kind`` that set one."""
    return {f.name: f.variable for f in FIELDS if f.kind == kind and f.variable}


def markdown_table() -> str:
    """The table as docs/profiles.md shows it (a test keeps the document in step with it)."""
    lines = [
        "| field (config.toml) | kind | flag | Claude Code variable | meaning |",
        "|---|---|---|---|---|",
    ]
    for spec in FIELDS:
        flag = f"`{spec.flag}`" if spec.flag else "(config.toml only)"
        variable = f"`{spec.variable}`" if spec.variable else ""
        if spec.kind == "bool" and spec.variable:
            variable = f"`{spec.variable}={spec.set_to}` when {str(spec.set_when).lower()}"
        help_text = spec.help.replace("|", "\\|")
        lines.append(f"| `{spec.name}` | {spec.kind} | {flag} | {variable} | {help_text} |")
    return "\n".join(lines) + "\n"
