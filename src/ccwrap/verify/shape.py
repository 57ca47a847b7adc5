"""The request shape of the pinned Claude Code client, so the gateway sees what ``claude`` sends.

Measured with claude 2.1.197 against a loopback recorder (tests/test_verify_real.py compares this
with the real client's requests): ``POST /v1/messages?beta=true``, ``"stream": true``, and the
headers below. The betas are doctor's measured list (one place: ``ccwrap.doctor.live``).
"""

from __future__ import annotations

import platform
import sys
import uuid
from dataclasses import dataclass, field
from typing import Any

from ccwrap.doctor.live import CLIENT_BETAS

CLIENT_VERSION = "2.1.197"
USER_AGENT = f"claude-cli/{CLIENT_VERSION} (external, sdk-cli)"
ANTHROPIC_VERSION = "2023-06-01"
MESSAGES_PATH = "/v1/messages?beta=true"
COUNT_PATH = "/v1/messages/count_tokens?beta=true"
# Headers verify copies from the client, with the value it sends (auth and custom headers aside);
# the client's SDK (x-stainless-*) and its bundled runtime are those of the pinned version.
CLIENT_HEADERS: dict[str, str] = {
    "accept": "application/json",
    "anthropic-dangerous-direct-browser-access": "true",
    "anthropic-version": ANTHROPIC_VERSION,
    "user-agent": USER_AGENT,
    "x-app": "cli",
    "x-stainless-lang": "js",
    "x-stainless-package-version": "0.94.0",
    "x-stainless-retry-count": "0",
    "x-stainless-runtime": "node",
    "x-stainless-runtime-version": "v26.3.0",
    "x-stainless-timeout": "600",
}
# ...and the two that name this machine, as the SDK spells them.
OS_NAMES = {"linux": "Linux", "darwin": "MacOS", "win32": "Windows"}
ARCH_NAMES = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}


def machine_headers() -> dict[str, str]:
    machine = platform.machine().lower()
    system = next((v for k, v in OS_NAMES.items() if sys.platform.startswith(k)), sys.platform)
    return {"x-stainless-arch": ARCH_NAMES.get(machine, machine), "x-stainless-os": system}


@dataclass(frozen=True)
class ClientShape:
    """What the client's requests look like; stored with every run (history shows a change)."""

    user_agent: str = USER_AGENT
    betas: str = CLIENT_BETAS
    anthropic_version: str = ANTHROPIC_VERSION
    path: str = MESSAGES_PATH
    disable_betas: bool = False
    session_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def headers(self) -> dict[str, str]:
        headers = {
            **CLIENT_HEADERS,
            **machine_headers(),
            "x-claude-code-session-id": self.session_id,
        }
        if not self.disable_betas:  # CLAUDE_CODE_DISABLE_EXPERIMENTAL_BETAS=1 strips them
            headers["anthropic-beta"] = self.betas
        return headers

    def to_json(self) -> dict[str, Any]:
        return {
            "client": CLIENT_VERSION,
            "user_agent": self.user_agent,
            "anthropic_version": self.anthropic_version,
            "anthropic_beta": "" if self.disable_betas else self.betas,
            "path": self.path,
            "stream": True,
        }
