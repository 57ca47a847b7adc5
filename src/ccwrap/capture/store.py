"""Capture files: one JSON file per exchange under ``<state>/captures``, written 0600.

Credentials and secret headers are redacted when the file is written (never later): the
credential headers, every header whose name the secret rule matches (``keys.masking``), the
profile's secret headers, and any occurrence of a held secret value (the key, secret header
values) anywhere in the headers or bodies. Each body is kept up to :data:`MAX_BODY` bytes (the
rest is counted, not kept); the folder is kept under :data:`MAX_TOTAL` bytes, oldest files first.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ccwrap.context import Paths, ensure_private_dir
from ccwrap.errors import CcwrapError, UsageError
from ccwrap.fsutil import read_small_file
from ccwrap.keys.masking import is_secret_variable, mask
from ccwrap.text import JSONBoundsError, loads_bounded

FOLDER = "captures"
VERSION = 1
MAX_BODY = 4 * 1024 * 1024  # kept per body (request and response)
MAX_FILE = 2 * MAX_BODY + 1024 * 1024  # what a capture file may be when read back
MAX_TOTAL = 256 * 1024 * 1024  # the whole folder
REDACTED = "<redacted>"
CREDENTIAL_HEADERS = frozenset(
    {"authorization", "x-api-key", "proxy-authorization", "cookie", "set-cookie"}
)
_ID = re.compile(r"[0-9]{8}T[0-9]{12}-[0-9a-f]{8}")  # UTC time to the microsecond: sorts by age


def folder(paths: Paths) -> Path:
    return paths.state_dir / FOLDER


@dataclass(frozen=True)
class Redactor:
    """What must never reach a capture file."""

    secrets: Sequence[str] = ()  # values: the key, the secret header values, the session token
    secret_headers: Sequence[str] = ()  # names

    def header(self, name: str, value: str) -> str:
        lowered = name.lower()
        names = {h.lower() for h in self.secret_headers}
        if lowered in CREDENTIAL_HEADERS or lowered in names or is_secret_variable(name):
            return REDACTED
        return self.text(value)

    def text(self, value: str) -> str:
        for secret in self.secrets:
            if secret and len(secret) >= 4:
                value = value.replace(secret, f"<redacted {mask(secret)}>")
        return value

    def headers(self, headers: Iterable[tuple[bytes, bytes]]) -> list[list[str]]:
        result = []
        for raw_name, raw_value in headers:
            name = raw_name.decode("latin-1")
            result.append([name, self.header(name, raw_value.decode("latin-1"))])
        return result

    def body(self, data: bytes, size: int) -> dict[str, Any]:
        """A body as stored: text when it is UTF-8, else base64; redacted either way."""
        kept = data[:MAX_BODY]
        try:
            text = kept.decode("utf-8")
        except UnicodeDecodeError:
            for secret in self.secrets:
                if secret and len(secret) >= 4:
                    kept = kept.replace(secret.encode(), b"<redacted>")
            return {"base64": base64.b64encode(kept).decode(), "bytes": size,
                    "truncated": size > len(kept)}  # fmt: skip
        return {"text": self.text(text), "bytes": size, "truncated": size > len(kept)}


def new_id(now: float | None = None) -> str:
    when = now if now is not None else time.time()
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(when))
    return f"{stamp}{int(when * 1_000_000) % 1_000_000:06d}-{os.urandom(4).hex()}"


def write(paths: Paths, record: dict[str, Any], *, max_total: int = MAX_TOTAL) -> Path:
    """Write one capture (0600, created so), then drop the oldest until under ``max_total``."""
    where = ensure_private_dir(folder(paths))
    path = where / f"{record['id']}.json"
    data = json.dumps(record, ensure_ascii=False, indent=1).encode("utf-8")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    prune(paths, max_total=max_total, keep=path)
    return path


def prune(paths: Paths, *, max_total: int = MAX_TOTAL, keep: Path | None = None) -> list[Path]:
    """Remove the oldest capture files until the folder holds at most ``max_total`` bytes."""
    files = _files(paths)
    sizes = {p: _size(p) for p in files}
    total = sum(sizes.values())
    removed: list[Path] = []
    for path in files:  # oldest first (ids sort by time)
        if total <= max_total:
            break
        if path == keep:
            continue
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        total -= sizes[path]
        removed.append(path)
    return removed


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _files(paths: Paths) -> list[Path]:
    try:
        return sorted(p for p in folder(paths).glob("*.json") if _ID.fullmatch(p.stem))
    except OSError:
        return []


def ids(paths: Paths) -> list[str]:
    return [p.stem for p in _files(paths)]


def load(paths: Paths, capture_id: str) -> dict[str, Any]:
    """One capture, or a clean error (unknown id, unreadable, corrupt, too large)."""
    if not _ID.fullmatch(capture_id):
        matches = [i for i in ids(paths) if i.startswith(capture_id) or i.endswith(capture_id)]
        if len(matches) != 1 or not capture_id:
            raise UsageError(
                f"no capture {capture_id!r}" if not matches else f"{capture_id!r} is ambiguous",
                hint="see the ids: ccwrap capture list",
            )
        capture_id = matches[0]
    path = folder(paths) / f"{capture_id}.json"
    raw = read_small_file(path, limit=MAX_FILE)
    if raw is None:
        raise UsageError(f"no capture {capture_id!r}", hint="see the ids: ccwrap capture list")
    try:
        data = loads_bounded(raw, max_bytes=MAX_FILE)
    except (JSONBoundsError, ValueError) as exc:
        raise CcwrapError(
            f"capture {capture_id} is corrupt ({path})", hint="remove it; the others are intact"
        ) from exc
    if not isinstance(data, dict) or data.get("version") != VERSION:
        raise CcwrapError(
            f"capture {capture_id} is not a capture file ccwrap can read ({path})",
            hint="remove it; the others are intact",
        )
    return data


def summaries(paths: Paths) -> list[dict[str, Any]]:
    """One line's worth of each capture; a corrupt one is listed as such."""
    rows: list[dict[str, Any]] = []
    for capture_id in ids(paths):
        try:
            data = load(paths, capture_id)
        except CcwrapError as exc:
            rows.append({"id": capture_id, "error": exc.message})
            continue
        request = data.get("request") or {}
        response = data.get("response") or {}
        rows.append(
            {
                "id": capture_id,
                "time": data.get("time"),
                "profile": data.get("profile"),
                "method": request.get("method"),
                "path": request.get("path"),
                "model": data.get("model"),
                "status": response.get("status"),
                "request_bytes": (request.get("body") or {}).get("bytes"),
                "response_bytes": (response.get("body") or {}).get("bytes"),
            }
        )
    return rows


def body_text(body: dict[str, Any]) -> str:
    """A stored body for reading: JSON pretty-printed, text as it is, binary as its size."""
    parsed = body_json(body)
    if parsed is not None:
        return json.dumps(parsed, indent=2, ensure_ascii=False)
    if "text" in body:
        return str(body["text"])
    return f"({body.get('bytes')} bytes of binary data)"


def body_json(body: dict[str, Any] | None) -> Any:
    """A stored body parsed as JSON, or None."""
    if not body or "text" not in body or body.get("truncated"):
        return None
    try:
        return loads_bounded(body["text"], max_bytes=MAX_BODY + 1)
    except (JSONBoundsError, ValueError):
        return None
