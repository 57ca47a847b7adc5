"""VS Code and its forks: a profile's variables in the Claude Code extension's settings.

The extension starts claude with ``claudeCode.environmentVariables`` (a list of
``{"name", "value"}`` objects; its login check reads them, not ``~/.claude/settings.json``) and,
when set, through ``claudeCode.claudeProcessWrapper`` (one executable; the bundled claude's path
and its arguments follow). ccwrap writes the profile's variables, never the key: the key reaches
claude through the wrapper (``ccwrap wrap`` adds the apiKeyHelper) or through
``ccwrap settings apply`` (apiKeyHelper in the user settings).

The editors' settings.json is JSONC; the edits are the byte-exact splices of
:mod:`ccwrap.settings.json_splice`, and ``clear`` puts back the bytes each key replaced. The
first ``apply`` keeps a copy of the original file for ``restore``.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ccwrap.claude.env import is_secret_variable, profile_env
from ccwrap.context import Context, ensure_private_dir
from ccwrap.errors import SettingsError
from ccwrap.profiles.model import Profile
from ccwrap.settings import json_splice

Editor = Literal["vscode", "cursor", "windsurf", "vscodium"]
EDITORS: dict[str, str] = {
    "vscode": "Code",
    "cursor": "Cursor",
    "windsurf": "Windsurf",
    "vscodium": "VSCodium",
}
Scope = Literal["user", "workspace"]
ENV_KEY = "claudeCode.environmentVariables"
WRAPPER_KEY = "claudeCode.claudeProcessWrapper"
MAX_SETTINGS = 4 * 1024 * 1024


def settings_path(editor: str, scope: str, ctx: Context, platform: str = sys.platform) -> Path:
    """The editor's settings.json: the user's (per OS), or the workspace's ``.vscode/``."""
    if editor not in EDITORS:
        raise SettingsError(f"unknown editor {editor!r}", hint=f"one of {', '.join(EDITORS)}")
    if scope == "workspace":
        return ctx.cwd / ".vscode" / "settings.json"
    app = EDITORS[editor]
    if platform == "darwin":
        base = ctx.home / "Library" / "Application Support"
    elif platform.startswith("win"):
        base = Path(ctx.environ.get("APPDATA") or ctx.home / "AppData" / "Roaming")
    else:
        base = Path(ctx.environ.get("XDG_CONFIG_HOME") or ctx.home / ".config")
    return base / app / "User" / "settings.json"


def desired(profile: Profile, wrapper: str | None = None) -> dict[str, Any]:
    """What ``ide apply`` writes: the profile's variables (no key, nothing secret-looking)."""
    env = [
        {"name": name, "value": value}
        for name, value in profile_env(profile, key=None).items()
        if value and not is_secret_variable(name)
    ]
    wanted: dict[str, Any] = {ENV_KEY: env}
    if wrapper is not None:
        wanted[WRAPPER_KEY] = wrapper
    return wanted


# -- the pure edit --------------------------------------------------------------------------------
@dataclass
class Record:
    """What ccwrap wrote into one file: per key the value, and the raw text it replaced."""

    owned: dict[str, dict[str, Any]] = field(default_factory=dict)
    inner: str | None = None  # the inside of an empty top object, for when it empties again
    created: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"owned": self.owned, "inner": self.inner, "created": self.created}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Record:
        owned = data.get("owned")
        return cls(
            owned=dict(owned) if isinstance(owned, dict) else {},
            inner=data.get("inner") if isinstance(data.get("inner"), str) else None,
            created=bool(data.get("created")),
        )


def parse(text: str, path: Path) -> Any:
    try:
        data = json_splice.loads_jsonc(text)
    except (ValueError, IndexError) as exc:
        raise SettingsError(
            f"{path} is not valid JSON with comments: {exc}", hint="fix it in the editor first"
        ) from exc
    if not isinstance(data, dict):
        raise SettingsError(f"{path} does not hold an object")
    return data


def apply_text(text: str, wanted: Mapping[str, Any], record: Record, path: Path) -> str:
    """``text`` with each wanted key set; ``record`` learns what was there before."""
    if not text.strip():
        text, record.created = "{}\n", True
    parse(text, path)
    for key, value in wanted.items():
        top = json_splice.top_object(text)
        member = top.last(key)
        if key not in record.owned:
            previous = None if member is None else text[member.value_start : member.value_end]
            record.owned[key] = {"previous": previous, "written": value}
        record.owned[key]["written"] = value
        if member is not None:
            text = json_splice.replace_value(text, member, _dump(value, text))
        else:
            text, inner = json_splice.append_members(text, top, [(key, value)])
            if inner is not None and record.inner is None:
                record.inner = inner
    return text


def conflicts(text: str, record: Record, path: Path) -> list[str]:
    """The keys ccwrap wrote whose value somebody changed since."""
    data = parse(text, path)
    return sorted(
        key
        for key, entry in record.owned.items()
        if key in data and data[key] != entry.get("written")
    )


def clear_text(text: str, record: Record) -> str:
    """Put back, key by key, the raw text each ccwrap key replaced (or remove the key)."""
    for key in reversed(list(record.owned)):
        top = json_splice.top_object(text)
        member = top.last(key)
        if member is None:
            continue
        previous = record.owned[key].get("previous")
        if isinstance(previous, str):
            text = json_splice.replace_value(text, member, previous)
        else:
            text = json_splice.remove_member(text, top, member, record.inner or "")
    return text


def _dump(value: Any, text: str) -> str:
    if isinstance(value, list):  # a list of small objects, one a line, in the file's indent
        unit = json_splice.indent_unit(text)
        newline = json_splice.newline_of(text)
        items = [json.dumps(v, ensure_ascii=False) for v in value]
        if not items:
            return "[]"
        inner = f",{newline}{unit}{unit}".join(items)
        return f"[{newline}{unit}{unit}{inner}{newline}{unit}]"
    return json.dumps(value, ensure_ascii=False)


# -- the file side --------------------------------------------------------------------------------
@dataclass
class Change:
    path: Path
    before: str | None
    after: str | None

    def diff(self) -> str:
        import difflib

        lines = difflib.unified_diff(
            (self.before or "").splitlines(keepends=True),
            (self.after or "").splitlines(keepends=True),
            f"{self.path} (now)",
            f"{self.path} (after)",
        )
        return "".join(lines)


class IdeSettings:
    """One editor settings file, with ccwrap's record of it in the state folder."""

    def __init__(self, ctx: Context, path: Path) -> None:
        self.path = path
        slug = hashlib.sha256(str(path).encode()).hexdigest()[:16]
        self.state = ctx.paths.state_dir / "ide" / f"{path.parent.parent.name}-{slug}.json"
        self.backup = self.state.with_suffix(".orig")

    def read(self) -> str | None:
        from ccwrap.fsutil import read_small_text

        try:
            return read_small_text(self.path, limit=MAX_SETTINGS)
        except OSError as exc:
            raise SettingsError(f"cannot read {self.path}: {exc.strerror or exc}") from exc

    def record(self) -> Record:
        from ccwrap.fsutil import read_small_text

        try:
            text = read_small_text(self.state)
        except OSError:
            text = None
        return Record.from_json(json.loads(text)) if text else Record()

    def plan_apply(
        self, wanted: Mapping[str, Any], *, force: bool = False
    ) -> tuple[Change, Record]:
        before = self.read()
        record = self.record()
        changed = [] if before is None else conflicts(before, record, self.path)
        if changed and not force:
            raise SettingsError(
                f"{self.path}: {', '.join(changed)} changed since ccwrap wrote it",
                hint="add --force to overwrite it",
            )
        after = apply_text(before or "", wanted, record, self.path)
        return Change(self.path, before, after), record

    def apply(self, wanted: Mapping[str, Any], *, force: bool = False) -> Change:
        change, record = self.plan_apply(wanted, force=force)
        ensure_private_dir(self.state.parent)
        if change.before is not None and not self.backup.exists():
            self._write(self.backup, change.before, private=True)
        self._write(self.state, json.dumps(record.to_json()), private=True)
        self._write(self.path, change.after or "")
        return change

    def plan_clear(self, *, force: bool = False) -> tuple[Change, Record]:
        before = self.read()
        record = self.record()
        if before is None or not record.owned:
            return Change(self.path, before, before), record
        changed = conflicts(before, record, self.path)
        if changed and not force:
            raise SettingsError(
                f"{self.path}: {', '.join(changed)} changed since ccwrap wrote it",
                hint="add --force to remove it anyway",
            )
        after: str | None = clear_text(before, record)
        if record.created and after is not None and after.strip() == "{}":
            after = None
        return Change(self.path, before, after), record

    def clear(self, *, force: bool = False) -> Change:
        change, _ = self.plan_clear(force=force)
        if change.after == change.before:
            return change
        if change.after is None:
            self.path.unlink()
        else:
            self._write(self.path, change.after)
        self.state.unlink(missing_ok=True)
        return change

    def restore(self, *, force: bool = False) -> Change:
        """The file as it was before ccwrap's first apply (only if ccwrap's keys are unchanged)."""
        from ccwrap.fsutil import read_small_text

        before = self.read()
        original = read_small_text(self.backup) if self.backup.exists() else None
        if original is None:
            return self.clear(force=force)
        if before is not None and conflicts(before, self.record(), self.path) and not force:
            raise SettingsError(
                f"{self.path} changed since ccwrap wrote it", hint="add --force to restore anyway"
            )
        self._write(self.path, original)
        self.state.unlink(missing_ok=True)
        self.backup.unlink()
        return Change(self.path, before, original)

    def _write(self, path: Path, text: str, *, private: bool = False) -> None:
        from ccwrap.fsutil import atomic_write

        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, text.encode("utf-8"), mode=0o600 if private else 0o644, keep_mode=True)


def write_wrapper_script(ctx: Context, ccwrap: list[str], platform: str = sys.platform) -> Path:
    """The one executable the extension's process wrapper setting can name: it runs
    ``ccwrap wrap -- "$@"`` (the bundled claude's path and arguments)."""
    import shlex

    from ccwrap.fsutil import atomic_write

    if platform.startswith("win"):
        raise SettingsError(
            "--wrapper is not available on Windows yet",
            hint="the extension wants an .exe there; use ccwrap settings apply instead",
        )
    path = ctx.paths.config_dir / "bin" / "claude-wrapper"
    ensure_private_dir(path.parent)
    script = f'#!/bin/sh\nexec {shlex.join([*ccwrap, "wrap", "--"])} "$@"\n'
    atomic_write(path, script.encode("utf-8"), mode=0o600)
    path.chmod(0o700)  # the one file ccwrap writes that must run; in its private folder
    return path
