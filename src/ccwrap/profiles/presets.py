"""Known gateways, as data: every row of docs/gateways.md (plus its China/cloud variants).

``source`` says where a row comes from: ``vendor`` (the gateway's own documentation) or ``preset``
(other switchers' preset lists, not confirmed on the vendor's page); a preset row says so in its
description. Base URLs never end in ``/v1``: Claude Code appends ``/v1/messages`` itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from ccwrap.errors import ConfigError
from ccwrap.profiles.model import AuthMode

Source = Literal["vendor", "preset"]
UNCONFIRMED = "unconfirmed: taken from other tools' preset lists, not from the vendor's own docs"
_TEMPLATE_FIELD = re.compile(r"\{([a-z_]+)\}")
_TEMPLATE_VALUE = re.compile(r"[A-Za-z0-9._-]+")
# Recommended where a gateway is slow to answer long prompts (docs/gateways.md: zhipu, minimax).
LONG_TIMEOUT = {"API_TIMEOUT_MS": "3000000"}


@dataclass(frozen=True)
class Preset:
    id: str
    title: str
    base_url: str  # may hold {fields} (a template, see ``fields``)
    auth: AuthMode
    notes: str
    source: Source
    # Extra environment the gateway recommends (goes into the profile's env table).
    env: Mapping[str, str] = field(default_factory=dict)
    cache_1h: bool = False
    attribution_header: bool = True
    # The gateway ignores the key (any value works): setup does not insist on one.
    key_optional: bool = False
    variant_of: str | None = None

    @property
    def confirmed(self) -> bool:
        return self.source == "vendor"

    @property
    def fields(self) -> list[str]:
        """Template fields of the base URL (Cloudflare's account and gateway ids)."""
        return _TEMPLATE_FIELD.findall(self.base_url)

    @property
    def description(self) -> str:
        return self.notes if self.confirmed else f"{self.notes} ({UNCONFIRMED})".lstrip()

    def url(self, values: Mapping[str, str] | None = None) -> str:
        """The base URL with its template fields filled in."""
        values = values or {}
        missing = [name for name in self.fields if not values.get(name)]
        if missing:
            raise ConfigError(
                f"preset {self.id!r} needs {', '.join(missing)}",
                hint=f"its URL is {self.base_url}",
            )
        for name in self.fields:
            if not _TEMPLATE_VALUE.fullmatch(values[name]):
                raise ConfigError(f"{name} {values[name]!r} may only hold letters, digits, . _ -")
        return _TEMPLATE_FIELD.sub(lambda m: values[m.group(1)], self.base_url)


PRESETS: tuple[Preset, ...] = (
    Preset(
        "aiohub",
        "AIOHub",
        "https://api.aiohub.org",
        "bearer",
        "the full sk- key, no 'Bearer ' prefix; the key's group must include the chosen model",
        "vendor",
        cache_1h=True,
        attribution_header=False,
    ),
    Preset(
        "axonhub",
        "AxonHub (self-hosted)",
        "http://localhost:8090/anthropic",
        "bearer",
        "self-hosted (the root http://localhost:8090 also works); "
        "model profiles remap names on the gateway side",
        "vendor",
    ),
    Preset(
        "aurora",
        "Aurora (self-hosted)",
        "http://localhost:8080",
        "bearer",
        "gateway master key or managed key (x-api-key also accepted); models are gateway "
        "aliases: set the model and the subagent model to the alias",
        "vendor",
    ),
    Preset(
        "litellm",
        "LiteLLM proxy (self-hosted)",
        "http://localhost:4000",
        "bearer",
        "a virtual key; the model is a LiteLLM model name; /anthropic is its pass-through route",
        "vendor",
    ),
    Preset(
        "openrouter",
        "OpenRouter",
        "https://openrouter.ai/api",
        "bearer",
        "guaranteed only with Anthropic as the upstream provider; ANTHROPIC_API_KEY is set to ''",
        "preset",
    ),
    Preset(
        "deepseek",
        "DeepSeek",
        "https://api.deepseek.com/anthropic",
        "x-api-key",
        "ignores anthropic-beta; maps claude-opus* and other claude* names to its own models "
        "(bearer also used)",
        "vendor",
    ),
    Preset(
        "moonshot",
        "Moonshot (Kimi API)",
        "https://api.moonshot.ai/anthropic",
        "bearer",
        "international endpoint; China: moonshot-cn",
        "preset",
    ),
    Preset(
        "moonshot-cn",
        "Moonshot (Kimi API, China)",
        "https://api.moonshot.cn/anthropic",
        "bearer",
        "China endpoint",
        "preset",
        variant_of="moonshot",
    ),
    Preset(
        "kimi-coding",
        "Kimi coding plan",
        "https://api.kimi.com/coding",
        "bearer",
        "allows only Claude Code's own User-Agent (claude-cli/…): a proxy must not rewrite it",
        "preset",
    ),
    Preset(
        "zhipu",
        "Zhipu GLM (BigModel)",
        "https://open.bigmodel.cn/api/anthropic",
        "bearer",
        "commonly used with API_TIMEOUT_MS=3000000",
        "preset",
        env=LONG_TIMEOUT,
    ),
    Preset("zai", "Z.ai (GLM)", "https://api.z.ai/api/anthropic", "bearer", "", "preset"),
    Preset(
        "minimax",
        "MiniMax",
        "https://api.minimax.io/anthropic",
        "bearer",
        "documents API_TIMEOUT_MS=3000000 and CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1; "
        "unset older ANTHROPIC_* exports first; China: minimax-cn",
        "vendor",
        env={**LONG_TIMEOUT, "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1"},
    ),
    Preset(
        "minimax-cn",
        "MiniMax (China)",
        "https://api.minimaxi.com/anthropic",
        "bearer",
        "China endpoint; same recommendations as minimax",
        "vendor",
        env={**LONG_TIMEOUT, "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1"},
        variant_of="minimax",
    ),
    Preset(
        "ollama",
        "Ollama (local)",
        "http://localhost:11434",
        "bearer",
        "needs Ollama 0.14+; the local server ignores the key (any value works)",
        "vendor",
        key_optional=True,
    ),
    Preset(
        "ollama-cloud",
        "Ollama cloud",
        "https://ollama.com",
        "bearer",
        "needs an ollama.com API key",
        "vendor",
        variant_of="ollama",
    ),
    Preset(
        "llamacpp",
        "llama.cpp server",
        "http://127.0.0.1:8080",
        "none",
        "llama.cpp server's Anthropic Messages API; no key",
        "vendor",
    ),
    Preset(
        "vercel",
        "Vercel AI Gateway",
        "https://ai-gateway.vercel.sh",
        "bearer",
        "ANTHROPIC_API_KEY is set to ''",
        "vendor",
    ),
    Preset(
        "cloudflare",
        "Cloudflare AI Gateway",
        "https://gateway.ai.cloudflare.com/v1/{account_id}/{gateway_id}/anthropic",
        "x-api-key",
        "the Anthropic key as x-api-key; an authenticated gateway also needs the header "
        "'cf-aig-authorization: Bearer <gateway token>'; the /v1 inside the path is correct",
        "vendor",
    ),
    Preset("ngrok", "ngrok AI gateway", "https://gateway.ngrok.ai", "bearer", "", "vendor"),
    Preset(
        "merge",
        "Merge gateway",
        "https://api-gateway.merge.dev/v1/anthropic",
        "bearer",
        "the /v1 inside the path is correct here; ANTHROPIC_API_KEY is set to ''",
        "vendor",
    ),
    Preset(
        "dashscope",
        "Alibaba DashScope (Qwen)",
        "https://dashscope.aliyuncs.com/apps/anthropic",
        "bearer",
        "coding plan: dashscope-coding",
        "preset",
    ),
    Preset(
        "dashscope-coding",
        "Alibaba DashScope coding plan",
        "https://coding.dashscope.aliyuncs.com/apps/anthropic",
        "bearer",
        "coding plan endpoint",
        "preset",
        variant_of="dashscope",
    ),
    Preset(
        "opencode-go",
        "OpenCode Zen Go",
        "https://opencode.ai/zen/go",
        "x-api-key",
        "x-api-key only (a bearer token is silently ignored)",
        "preset",
    ),
    Preset("aihubmix", "AIHubMix", "https://aihubmix.com", "x-api-key", "", "preset"),
)
BY_ID: Mapping[str, Preset] = {preset.id: preset for preset in PRESETS}


def get(preset_id: str) -> Preset:
    try:
        return BY_ID[preset_id.lower()]
    except KeyError:
        raise ConfigError(
            f"no preset named {preset_id!r}",
            hint=f"presets: {', '.join(BY_ID)}; or give the URL with --url",
        ) from None


def markdown_table() -> str:
    """The presets as docs/gateways.md's table (a test keeps the document in step with it)."""
    lines = ["| preset | base URL | auth | source | notes |", "|---|---|---|---|---|"]
    for preset in PRESETS:
        extra = [f"`{name}={value}`" for name, value in preset.env.items()]
        if preset.cache_1h:
            extra.insert(0, "1h cache on")
        if not preset.attribution_header:
            extra.insert(1 if preset.cache_1h else 0, "attribution header off")
        notes = "; ".join(filter(None, [preset.notes, "sets " + ", ".join(extra) if extra else ""]))
        lines.append(
            f"| `{preset.id}` | `{preset.base_url}` | {preset.auth} | {preset.source} | {notes} |"
        )
    return "\n".join(lines) + "\n"
