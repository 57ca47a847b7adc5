"""Model renaming for gateways whose model names do not start with ``claude`` (pure).

Rules map the name Claude Code sends (exact, or a glob such as ``claude-*-haiku-*``) to the name the
gateway serves. Exact rules win over globs; globs are tried in the profile's order. Claude Code's
model picker keeps only ids starting with ``claude`` or ``anthropic`` from ``/v1/models``
(docs/client-facts.md), so that listing shows the exact rules' names for the models they reach.

:class:`ModelMapHook` is how the forwarder uses it (proxy/hooks.py): requests renamed in
``prepare``, the ``/v1/models`` listing read whole (at most :data:`LISTING_LIMIT` bytes) and
rewritten. A body too deep or otherwise not JSON the standard parser takes passes unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from fnmatch import fnmatchcase
from typing import Any

from ccwrap.proxy.hooks import Headers, Outbound, Watch

_GLOB_CHARS = frozenset("*?[")
# A listing of a thousand models is ~300 KB; anything past this is not a model listing.
LISTING_LIMIT = 8 << 20
MODELS_PATH = "/v1/models"
# What json.loads/dumps raise on input they cannot take (RecursionError: nesting too deep).
_NOT_JSON = (ValueError, RecursionError)


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
        except _NOT_JSON:
            return body  # not ours to judge: the gateway answers a broken body itself
        if not isinstance(data, dict) or not isinstance(data.get("model"), str):
            return body
        name = self.target(data["model"])
        if name is None or name == data["model"]:
            return body
        data["model"] = name
        try:
            return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        except _NOT_JSON:
            return body

    def rewrite_models(self, body: bytes) -> bytes:
        """A ``/v1/models`` page with an entry per exact rule whose target the gateway serves.

        The gateway's own entries stay (other clients may want them); an alias comes first, so
        the picker shows it. A page that is not the expected JSON shape is passed on unchanged.
        """
        try:
            page = json.loads(body)
        except _NOT_JSON:
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
        try:
            return json.dumps(page, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        except _NOT_JSON:
            return body


@dataclass(frozen=True)
class ModelMapHook:
    """The model map as a forwarder hook (proxy/hooks.py)."""

    models: ModelMap

    def prepare(self, request: Outbound) -> Outbound:
        if request.body:
            body = self.models.rewrite_request(request.body)
            if body is not request.body:
                request = replace(request, body=body)
        if request.path == MODELS_PATH:
            # The listing is rewritten, so ask for it unencoded.
            headers = [(n, v) for n, v in request.headers if n != b"accept-encoding"]
            request = replace(request, headers=[*headers, (b"accept-encoding", b"identity")])
        return request

    def watch(self, request: Outbound, status: int, headers: Headers) -> Watch | None:
        if request.path == MODELS_PATH and status == 200:
            return _Listing(self.models)
        return None


class _Listing(Watch):
    whole = LISTING_LIMIT

    def __init__(self, models: ModelMap) -> None:
        self.models = models

    def transform(self, body: bytes) -> bytes:
        return self.models.rewrite_models(body)
