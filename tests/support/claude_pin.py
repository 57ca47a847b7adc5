"""Where scripts/test puts the real claude. The pinned version is the one docs/client-facts.md
measured; bump it here and in scripts/test together."""

from __future__ import annotations

from pathlib import Path

PINNED_VERSION = "2.1.197"
CACHE = Path(__file__).resolve().parents[2] / ".cache"


def pinned_claude(version: str = PINNED_VERSION) -> Path | None:
    candidate = CACHE / f"claude-{version}" / "node_modules" / ".bin" / "claude"
    return candidate if candidate.exists() else None


def latest_claude() -> Path | None:
    return pinned_claude("latest")
