"""Writing Claude Code's settings files: only ccwrap's keys, safely, reversibly.

Every write goes: read the bytes → plan the edit (:mod:`ccwrap.settings.ownership`) → refuse
unapproved conflicts → back the file up → record ownership (before the file changes, so a crash
never leaves ccwrap's keys unrecorded) → atomic replace, checking right before the rename that
nobody changed the file since it was read. If somebody did, the whole thing starts over from their
version (a few times), so their change is never lost.

Ownership records live in ``<state>/settings/<file>-<hash>.json`` (0600), backups in
``<state>/backups/<file>-<hash>/`` (0600, the newest ten kept).
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import json
import os
import sys
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ccwrap.claude.env import credential_variable, is_secret_variable, profile_env
from ccwrap.claude.settings_files import parse_settings, scope_path
from ccwrap.context import Context, ensure_private_dir
from ccwrap.errors import SettingsError
from ccwrap.fsutil import (
    FileChanged,
    atomic_write,
    read_bytes,
    remove_if_unchanged,
    resolves_inside,
    sweep_temp_files,
)

# The same apiKeyHelper command ``ccwrap run`` hands to claude (one rule for both).
from ccwrap.keys.helper_command import ccwrap_command, key_helper_command, statusline_command
from ccwrap.profiles.store import Profile
from ccwrap.settings import ownership as settings_edit
from ccwrap.settings.ownership import HELPER, Conflict, Ownership, Slot

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

PROCESS_WRAPPER: Slot = ("processWrapper",)
WritableScope = Literal["user", "project", "local"]
WRITABLE_SCOPES: tuple[WritableScope, ...] = ("user", "project", "local")
MAX_ATTEMPTS = 5
BACKUPS_KEPT = 10
STATE_VERSION = 1


class SettingsConflict(SettingsError):
    """ccwrap would overwrite or remove values it does not own."""

    def __init__(self, path: Path, conflicts: list[Conflict]) -> None:
        names = ", ".join(c.name for c in conflicts)
        super().__init__(
            f"{path}: {names} {'is' if len(conflicts) == 1 else 'are'} not ccwrap's to change "
            f"({'; '.join(c.describe() for c in conflicts)})",
            hint="run it in a terminal to be asked, or add --force to overwrite them",
        )
        self.conflicts = conflicts


def check_plaintext_scope(scope: WritableScope) -> None:
    if scope == "project":
        raise SettingsError(
            "refusing to write a key into the project settings: .claude/settings.json is shared "
            "through git",
            hint="leave out --plaintext-key (apiKeyHelper fetches the key), or use --scope local",
        )


def desired_settings(
    profile: Profile,
    scope: WritableScope,
    *,
    plaintext_key: str | None = None,
    ccwrap: Sequence[str] | None = None,
    wrapper: bool = False,
) -> dict[Slot, Any]:
    """What ``settings apply`` writes: the profile's env and, unless the key goes in plain text,
    ``apiKeyHelper`` so that no key is ever written. ``wrapper`` adds ``processWrapper`` (user
    scope only: the client ignores it in project and local settings), which starts Claude Code's
    background and dispatched sessions through ``ccwrap wrap`` on their folder's profile."""
    if plaintext_key is not None:
        check_plaintext_scope(scope)
    env = profile_env(profile, key=plaintext_key)
    secret = sorted(k for k, v in env.items() if v and is_secret_variable(k))
    if scope == "project" and secret:
        raise SettingsError(
            f"refusing to write {', '.join(secret)} into the project settings: "
            ".claude/settings.json is shared through git",
            hint=f"remove it from the profile's env, or use --scope local (profile {profile.name})",
        )
    desired: dict[Slot, Any] = {("env", name): value for name, value in env.items()}
    if plaintext_key is None and credential_variable(profile) is not None:
        # A project file travels to other machines: name ccwrap by PATH, not by this one's path.
        command = ["ccwrap"] if scope == "project" else ccwrap
        desired[HELPER] = key_helper_command(profile.name, command)
    if wrapper:
        if scope != "user":
            raise SettingsError(
                "--wrapper goes with --scope user: Claude Code ignores processWrapper in "
                "project and local settings"
            )
        if sys.platform.startswith("win"):
            raise SettingsError(
                "--wrapper does nothing on Windows: Claude Code ignores processWrapper there",
                hint="start background sessions with: ccwrap run -- --bg",
            )
        # The client's JSON-array form: an argv prefix, its first element an absolute path.
        desired[PROCESS_WRAPPER] = json.dumps([*(ccwrap or ccwrap_command()), "wrap", "--"])
    return desired


STATUS_LINE: Slot = ("statusLine",)


def status_line_setting(
    scope: WritableScope, ccwrap: Sequence[str] | None = None
) -> dict[str, Any]:
    """The ``statusLine`` value ``settings apply --statusline`` writes (``ccwrap statusline``)."""
    command = ["ccwrap"] if scope == "project" else ccwrap
    return {"type": "command", "command": statusline_command(command), "padding": 0}


def sha256(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha256(data).hexdigest()


@dataclass
class FileState:
    """What ccwrap knows about one settings file."""

    path: str
    ownership: Ownership = field(default_factory=Ownership)
    profile: str | None = None
    written_sha256: str | None = None  # the bytes ccwrap last left there (None: no file)
    # One entry per write, newest last: the backup of the bytes before it and what ccwrap
    # owned then, so ``restore`` undoes exactly one write.
    history: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": STATE_VERSION,
            "path": self.path,
            "profile": self.profile,
            "written_sha256": self.written_sha256,
            "ownership": self.ownership.to_json(),
            "history": self.history,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FileState:
        return cls(
            path=str(data["path"]),
            ownership=Ownership.from_json(data.get("ownership", {})),
            profile=data.get("profile"),
            written_sha256=data.get("written_sha256"),
            history=list(data.get("history", [])),
        )

    def owned_names(self) -> list[str]:
        return [settings_edit.slot_name(s) for s in self.ownership.slots]


def _slug(path: Path) -> str:
    digest = hashlib.sha256(str(path.absolute()).encode()).hexdigest()[:12]
    return f"{path.name}-{digest}"


class StateStore:
    def __init__(self, ctx: Context) -> None:
        self.folder = ctx.paths.state_dir / "settings"
        self.backups = ctx.paths.backups_dir

    def _file(self, path: Path) -> Path:
        return self.folder / f"{_slug(path)}.json"

    def load(self, path: Path) -> FileState:
        try:
            raw = self._file(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            return FileState(str(path.absolute()))
        except OSError as exc:
            raise SettingsError(f"cannot read ccwrap's record of {path}: {exc.strerror}") from exc
        try:
            return FileState.from_json(json.loads(raw))
        except (ValueError, KeyError, TypeError) as exc:
            raise SettingsError(
                f"ccwrap's record of {path} ({self._file(path)}) is damaged",
                hint="move it away; ccwrap will then treat every key in the file as yours",
            ) from exc

    def save(self, state: FileState) -> None:
        target = self._file(Path(state.path))
        if state.ownership.empty and not state.history:
            with contextlib.suppress(FileNotFoundError):
                target.unlink()
            return
        ensure_private_dir(self.folder)
        data = json.dumps(state.to_json(), indent=2, ensure_ascii=False) + "\n"
        atomic_write(target, data.encode("utf-8"), mode=0o600)

    @contextlib.contextmanager
    def locked(self, path: Path) -> Iterator[None]:
        """One ccwrap at a time per settings file, so two records cannot interleave. (Other
        programs take no lock; the check before the rename covers them.)"""
        ensure_private_dir(self.folder)
        fd = os.open(self.folder / f"{_slug(path)}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def backup(self, path: Path, data: bytes) -> Path:
        folder = ensure_private_dir(self.backups / _slug(path))
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + f".{time.time_ns() % 10**9:09d}Z"
        target = folder / f"{stamp}-{path.name}"
        atomic_write(target, data, mode=0o600)
        for old in sorted(folder.glob(f"*-{path.name}"))[:-BACKUPS_KEPT]:
            old.unlink()
        return target

    def backups_of(self, path: Path) -> list[Path]:
        return sorted((self.backups / _slug(path)).glob(f"*-{path.name}"))


@dataclass
class Change:
    """One planned (or done) edit of a settings file."""

    scope: WritableScope
    path: Path
    before: bytes | None
    after: bytes | None  # None: the file is (to be) removed
    ownership: Ownership
    conflicts: list[Conflict] = field(default_factory=list)
    backup: Path | None = None
    written: bool = False

    @property
    def changed(self) -> bool:
        return self.before != self.after

    def diff(self) -> str:
        return unified_diff(self.before, self.after, str(self.path))


def unified_diff(before: bytes | None, after: bytes | None, name: str) -> str:
    old = (before or b"").decode("utf-8", "replace").splitlines(keepends=True)
    new = (after or b"").decode("utf-8", "replace").splitlines(keepends=True)
    lines = difflib.unified_diff(old, new, f"{name} (now)", f"{name} (after)")
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def _decode(path: Path, data: bytes | None) -> str | None:
    if data is None:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SettingsError(
            f"{path} is not UTF-8 text (byte {exc.start})",
            hint="fix the file by hand; ccwrap leaves a file it cannot parse untouched",
        ) from exc
    parse_settings(text, path)  # invalid JSON: line and column, nothing written
    return text


Planner = Callable[[str | None, FileState], settings_edit.Edit]


class SettingsWriter:
    """apply / clear / restore for one scope's settings file."""

    def __init__(
        self,
        ctx: Context,
        scope: WritableScope,
        *,
        on_planned: Callable[[], None] | None = None,
    ) -> None:
        self.ctx = ctx
        self.scope = scope
        self.path = scope_path(ctx, scope)
        self.states = StateStore(ctx)
        self._on_planned = on_planned  # tests: another writer strikes between read and write

    # -- reading ----------------------------------------------------------------------------
    def read(self) -> bytes | None:
        """The file's bytes now (None: missing). A project or local file must resolve inside the
        project folder: a checkout's symlink never sends ccwrap's write elsewhere."""
        if self.scope in ("project", "local") and not resolves_inside(self.path, self.ctx.cwd):
            raise SettingsError(
                f"{self.path} is a symlink to {os.path.realpath(self.path)}, outside the project "
                f"folder {self.ctx.cwd}; ccwrap writes project and local settings only inside it",
                hint="remove the symlink (or the symlinked .claude folder), then run it again",
            )
        try:
            return read_bytes(self.path)
        except OSError as exc:
            raise SettingsError(f"cannot read {self.path}: {exc.strerror or exc}") from exc

    def state(self, current: bytes | None = None) -> FileState:
        """ccwrap's record of the file, rolled back if its last write never reached the disk."""
        state = self.states.load(self.path)
        digest = sha256(current if current is not None else self.read())
        if state.history and digest != state.written_sha256:
            last = state.history[-1]
            if digest == last.get("sha256"):  # killed after recording, before the rename
                self._pop_history(state)
                self.states.save(state)
        return state

    def _pop_history(self, state: FileState) -> dict[str, Any]:
        last = state.history.pop()
        state.ownership = Ownership.from_json(last.get("ownership", {}))
        state.profile = last.get("profile")
        state.written_sha256 = last.get("sha256")
        return last

    def _plan(self, planner: Planner) -> tuple[Change, FileState]:
        before = self.read()  # first: refuses a path that leaves the project folder
        # Leftovers of a writer killed mid-write, here and in ccwrap's own folders.
        sweep_temp_files(Path(os.path.realpath(self.path)).parent)
        sweep_temp_files(self.states.folder)
        sweep_temp_files(self.states.backups / _slug(self.path))
        text = _decode(self.path, before)
        state = self.state(before)
        try:
            edit = planner(text, state)
        except SettingsError as exc:  # the edit does not know which file it is in
            raise SettingsError(f"{self.path}: {exc.message}", hint=exc.hint) from exc
        after = None if edit.text is None else edit.text.encode("utf-8")
        change = Change(self.scope, self.path, before, after, edit.ownership, edit.conflicts)
        return change, state

    # -- apply / clear ----------------------------------------------------------------------
    def preview_apply(self, desired: dict[Slot, Any]) -> Change:
        return self._plan(lambda text, st: settings_edit.apply(text, desired, st.ownership))[0]

    def apply(
        self,
        desired: dict[Slot, Any],
        *,
        profile: str | None = None,
        approved: Collection[Conflict] | bool = False,
    ) -> Change:
        """Write ``desired``; conflicts must be ``approved`` (all with True) or it raises."""

        def plan(text: str | None, state: FileState) -> settings_edit.Edit:
            return settings_edit.apply(text, desired, state.ownership)

        return self._commit(plan, approved, profile)

    def preview_clear(self, *, force: bool | Collection[Slot] = False) -> Change:
        return self._plan(lambda text, st: settings_edit.clear(text, st.ownership, force=force))[0]

    def clear(self, *, force: bool | Collection[Slot] = False) -> Change:
        """Take back ccwrap's keys; values changed since ccwrap wrote them stay unless forced."""

        def plan(text: str | None, state: FileState) -> settings_edit.Edit:
            return settings_edit.clear(text, state.ownership, force=force)

        return self._commit(plan, True, None)

    def _commit(
        self, planner: Planner, approved: Collection[Conflict] | bool, profile: str | None
    ) -> Change:
        with self.states.locked(self.path):
            return self._commit_locked(planner, approved, profile)

    def _commit_locked(
        self, planner: Planner, approved: Collection[Conflict] | bool, profile: str | None
    ) -> Change:
        for _attempt in range(MAX_ATTEMPTS):
            change, state = self._plan(planner)
            refused = [
                c for c in change.conflicts if approved is not True and c not in (approved or ())
            ]
            if refused:
                raise SettingsConflict(self.path, refused)
            if self._on_planned is not None:
                self._on_planned()
            if not change.changed:
                if change.ownership.to_json() != state.ownership.to_json():
                    state.ownership = change.ownership
                    self.states.save(state)
                return change
            try:
                self._write(change, state, profile)
            except FileChanged:
                continue
            return change
        raise SettingsError(
            f"{self.path} kept changing while ccwrap tried to write it; nothing was changed",
            hint="close the program that is editing it, then run the command again",
        )

    def _write(self, change: Change, state: FileState, profile: str | None) -> None:
        previous = FileState.from_json(state.to_json())
        if change.before is not None:
            change.backup = self.states.backup(self.path, change.before)
        state.history.append(
            {
                "backup": str(change.backup) if change.backup else None,
                "sha256": sha256(change.before),
                "ownership": state.ownership.to_json(),
                "profile": state.profile,
            }
        )
        del state.history[:-BACKUPS_KEPT]
        state.ownership = change.ownership
        state.profile = profile if not change.ownership.empty else None
        state.written_sha256 = sha256(change.after)
        self.states.save(state)  # recorded first: a crash now is rolled back by state()
        try:
            self._replace(change.before, change.after)
        except FileChanged:
            self.states.save(previous)
            raise
        change.written = True

    def _replace(self, before: bytes | None, after: bytes | None) -> None:
        if after is None:
            if before is not None:
                remove_if_unchanged(self.path, before)
            return
        if not os.path.lexists(self.path):
            ensure_private_dir(self.path.parent, check=False)  # Claude Code's folder, not ccwrap's
        try:
            atomic_write(self.path, after, mode=0o600, keep_mode=True, expected=before)
        except FileChanged:
            raise
        except OSError as exc:
            raise SettingsError(f"cannot write {self.path}: {exc.strerror}") from exc

    # -- restore ----------------------------------------------------------------------------
    def preview_restore(self) -> RestorePlan:
        current = self.read()
        state = self.state(current)
        if not state.history:
            raise SettingsError(
                f"ccwrap has not changed {self.path}, so there is nothing to restore",
                hint="ccwrap restores only what its own apply or clear changed",
            )
        last = state.history[-1]
        backup = Path(last["backup"]) if last.get("backup") else None
        try:
            target = backup.read_bytes() if backup else None
        except OSError as exc:
            raise SettingsError(f"the backup {backup} cannot be read: {exc.strerror}") from exc
        modified = sha256(current) != state.written_sha256
        return RestorePlan(self.scope, self.path, current, target, backup, modified)

    def restore(self, *, force: bool = False) -> RestorePlan:
        """Put back the bytes from before ccwrap's last write (and what ccwrap owned then)."""
        with self.states.locked(self.path):
            return self._restore_locked(force)

    def _restore_locked(self, force: bool) -> RestorePlan:
        plan = self.preview_restore()
        if plan.modified and not force:
            raise SettingsError(
                f"{self.path} was changed after ccwrap wrote it; restoring would lose that change",
                hint="see the difference with a terminal (you will be asked), or add --force",
            )
        try:
            self._replace(plan.current, plan.target)
        except FileChanged as exc:
            raise SettingsError(
                f"{self.path} changed while ccwrap restored it; nothing was changed",
                hint="run the command again",
            ) from exc
        state = self.states.load(self.path)
        self._pop_history(state)
        self.states.save(state)
        plan.written = True
        return plan


@dataclass
class RestorePlan:
    scope: WritableScope
    path: Path
    current: bytes | None
    target: bytes | None  # None: ccwrap created the file, restoring removes it
    backup: Path | None
    modified: bool  # changed by someone since ccwrap's write
    written: bool = False

    def diff(self) -> str:
        return unified_diff(self.current, self.target, str(self.path))
