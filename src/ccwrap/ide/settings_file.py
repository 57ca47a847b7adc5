"""One editor settings file on disk, with ccwrap's record of it in the state folder."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ccwrap.context import Context, ensure_private_dir
from ccwrap.errors import SettingsError
from ccwrap.ide.edit import Record, apply_text, clear_text, conflicts

MAX_SETTINGS = 4 * 1024 * 1024


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
