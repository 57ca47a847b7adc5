"""Model renaming for gateways whose model names do not start with ``claude`` (pure).

Rules map the name Claude Code sends (exact, or a glob such as ``claude-*-haiku-*``) to the name the
gateway serves. Exact rules win over globs; globs are tried in the profile's order. Claude Code's
model picker keeps only ids starting with ``claude`` or ``anthropic`` from ``/v1/models``
(docs/client-facts.md), so that listing shows the exact rules' names for the models they reach.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

_GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True)
class ModelMap:
    exact: Mapping[str, str]
    globs: tuple[tuple[str, str], ...]

    @classmethod
    def from_rules(cls, rules: Mapping[str, str]) -> ModelMap:
        exact = {k: v for k, v in rules.items() if not _GLOB_CHARS & set(k)}
        globs = tuple((k, v) for k, v in rules.items() if _GLOB_CHARS & set(k))
        return cls(exact, globs)

    def __bool__(self) -> bool:
        return bool(self.exact or self.globs)

    def target(self, model: str) -> str | None:
        """The gateway's name for ``model``, or None when no rule applies."""
        if model in self.exact:
            return self.exact[model]
        for pattern, name in self.globs:
            if fnmatchcase(model, pattern):
                return name
        return None

    def rewrite_request(self, body: bytes) -> bytes:
        """``model`` in a JSON request body renamed; any other body comes back as it was."""
        if b'"model"' not in body:
            return body
        try:
            data = json.loads(body)
        except ValueError:
            return body  # not ours to judge: the gateway answers a broken body itself
        if not isinstance(data, dict) or not isinstance(data.get("model"), str):
            return body
        name = self.target(data["model"])
        if name is None or name == data["model"]:
            return body
        data["model"] = name
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def rewrite_models(self, body: bytes) -> bytes:
        """A ``/v1/models`` page with an entry per exact rule whose target the gateway serves.

        The gateway's own entries stay (other clients may want them); an alias comes first, so
        the picker shows it. A page that is not the expected JSON shape is passed on unchanged.
        """
        try:
            page = json.loads(body)
        except ValueError:
            return body
        if not isinstance(page, dict) or not isinstance(page.get("data"), list):
            return body
        served: dict[str, dict[str, Any]] = {
            entry["id"]: entry
            for entry in page["data"]
            if isinstance(entry, dict) and isinstance(entry.get("id"), str)
        }
        aliases = [
            {**served[target], "id": alias, "display_name": f"{alias} ({target})"}
            for alias, target in self.exact.items()
            if target in served and alias not in served
        ]
        if not aliases:
            return body
        page["data"] = aliases + page["data"]
        page["first_id"] = page["data"][0].get("id")
        return json.dumps(page, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
