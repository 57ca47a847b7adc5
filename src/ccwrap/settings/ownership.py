"""Apply and clear ccwrap's keys in a settings document's text (pure: text in, text out).

ccwrap owns *slots*: ``("env", VARIABLE)`` and ``("apiKeyHelper",)``. For each slot it records the
value it wrote and the raw JSON text that was there before (``None``: nothing was), so that
``clear`` puts back exactly what ``apply`` replaced. Together with the inverse splices of
:mod:`ccwrap.settings.json_splice`, apply then clear gives the original bytes.

A slot is the user's when ccwrap did not write it, or when its value changed after ccwrap wrote
it: changing or removing such a value is a :class:`Conflict`, which the caller must approve.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any, Literal

from ccwrap.claude.env import is_secret_variable
from ccwrap.errors import SettingsError
from ccwrap.settings import json_splice as json_edit

Slot = tuple[str, ...]
ENV = "env"
HELPER: Slot = ("apiKeyHelper",)
TOP = ""  # the top-level object, in Ownership.inner


def slot_name(slot: Slot) -> str:
    return ".".join(slot)


def is_secret(slot: Slot) -> bool:
    return len(slot) == 2 and slot[0] == ENV and is_secret_variable(slot[1])


def _digest(value: Any) -> str:
    return "sha256:" + hashlib.sha256(json.dumps(value).encode()).hexdigest()


@dataclass
class Owned:
    """What ccwrap wrote into one slot. A written secret is kept only as a digest."""

    written: Any
    previous: str | None = None  # raw JSON text that was there before ccwrap (None: absent)
    digest: str | None = None

    @classmethod
    def of(cls, slot: Slot, value: Any, previous: str | None) -> Owned:
        if is_secret(slot) and value:
            return cls(written=None, previous=previous, digest=_digest(value))
        return cls(written=value, previous=previous)

    def holds(self, value: Any) -> bool:
        if self.digest is not None:
            return _digest(value) == self.digest
        return bool(value == self.written and type(value) is type(self.written))


@dataclass
class Ownership:
    slots: dict[Slot, Owned] = field(default_factory=dict)
    env_created: bool = False
    # Inner whitespace of an object that was empty when ccwrap added to it ("" = top level).
    inner: dict[str, str] = field(default_factory=dict)
    # The whole original text when it was blank (missing file: ""), and whether the file existed.
    blank: str | None = None
    file_existed: bool = True

    @property
    def empty(self) -> bool:
        return not self.slots and not self.env_created

    def to_json(self) -> dict[str, Any]:
        return {
            "slots": [
                {"slot": list(s), "written": o.written, "digest": o.digest, "previous": o.previous}
                for s, o in self.slots.items()
            ],
            "env_created": self.env_created,
            "inner": self.inner,
            "blank": self.blank,
            "file_existed": self.file_existed,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Ownership:
        slots = {
            tuple(item["slot"]): Owned(
                item.get("written"), item.get("previous"), item.get("digest")
            )
            for item in data.get("slots", [])
        }
        return cls(
            slots=slots,
            env_created=bool(data.get("env_created")),
            inner=dict(data.get("inner", {})),
            blank=data.get("blank"),
            file_existed=bool(data.get("file_existed", True)),
        )

    def copy(self) -> Ownership:
        return Ownership.from_json(json.loads(json.dumps(self.to_json())))


@dataclass(frozen=True)
class Conflict:
    slot: Slot
    reason: Literal["not-ccwrap", "changed"]
    current: Any
    wanted: Any  # None: ccwrap would remove it

    @property
    def name(self) -> str:
        return slot_name(self.slot)

    def describe(self) -> str:
        if self.reason == "not-ccwrap":
            return f"{self.name} was not written by ccwrap"
        return f"{self.name} was changed after ccwrap wrote it"


@dataclass
class Edit:
    text: str | None  # None: delete the file (ccwrap created it and it is empty again)
    ownership: Ownership
    conflicts: list[Conflict] = field(default_factory=list)


class _Doc:
    """The text being edited, re-scanned after every splice (settings files are small)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def top(self) -> json_edit.ObjectSpan:
        return json_edit.top_object(self.text)

    def env(self) -> tuple[json_edit.Member | None, json_edit.ObjectSpan | None]:
        member = self.top().last(ENV)
        if member is None:
            return None, None
        if self.text[member.value_start] != "{":
            raise SettingsError(
                '"env" in this settings file is not an object',
                hint='Claude Code expects "env": {"NAME": "value", ...}; fix it by hand',
            )
        return member, json_edit.scan_object(self.text, member.value_start)

    def find(self, slot: Slot) -> tuple[json_edit.ObjectSpan | None, json_edit.Member | None]:
        if len(slot) == 1:
            top = self.top()
            return top, top.last(slot[0])
        _, env = self.env()
        return env, env.last(slot[1]) if env else None

    def current(self, slot: Slot) -> tuple[bool, Any, str | None]:
        _, member = self.find(slot)
        if member is None:
            return False, None, None
        raw = self.text[member.value_start : member.value_end]
        return True, json.loads(raw), raw

    def set(self, slot: Slot, value: Any, ownership: Ownership) -> None:
        obj, member = self.find(slot)
        if member is not None:
            self.text = json_edit.replace_value(self.text, member, json_edit.dump_value(value))
            return
        if obj is None:  # an env variable, and no env object yet
            self._append(self.top(), TOP, (ENV, {slot[1]: value}), ownership)
            ownership.env_created = True
            return
        self._append(obj, TOP if len(slot) == 1 else ENV, (slot[-1], value), ownership)

    def _append(
        self, obj: json_edit.ObjectSpan, where: str, item: tuple[str, Any], ownership: Ownership
    ) -> None:
        self.text, inner = json_edit.append_members(self.text, obj, [item])
        if inner is not None:
            ownership.inner.setdefault(where, inner)

    def restore(self, slot: Slot, previous: str | None, ownership: Ownership) -> None:
        obj, member = self.find(slot)
        if member is None or obj is None:
            return
        if previous is not None:
            self.text = json_edit.replace_value(self.text, member, previous)
            return
        where = TOP if len(slot) == 1 else ENV
        self.text = json_edit.remove_member(
            self.text, obj, member, ownership.inner.pop(where, "") if len(obj.members) == 1 else ""
        )

    def drop_created_env(self, ownership: Ownership) -> None:
        member, env = self.env()
        if member is None or env is None or env.members or not ownership.env_created:
            return
        top = self.top()
        inner = ownership.inner.pop(TOP, "") if len(top.members) == 1 else ""
        self.text = json_edit.remove_member(self.text, top, member, inner)
        ownership.env_created = False
        ownership.inner.pop(ENV, None)


def _start(text: str | None, ownership: Ownership) -> _Doc:
    if text is None or not text.strip():
        if ownership.empty:
            ownership.blank = text or ""
            ownership.file_existed = text is not None
        return _Doc("{}\n")
    return _Doc(text)


def _finish(doc: _Doc, ownership: Ownership) -> str | None:
    if ownership.empty and ownership.blank is not None and not doc.top().members:
        blank, existed = ownership.blank, ownership.file_existed
        ownership.blank, ownership.file_existed, ownership.inner = None, True, {}
        return blank if existed else None
    if ownership.empty:
        ownership.inner = {}
    return doc.text


def apply(text: str | None, desired: dict[Slot, Any], ownership: Ownership) -> Edit:
    """Set every slot in ``desired``; release slots ccwrap owned that are no longer wanted.

    The edit overwrites conflicting values; the caller decides from ``conflicts`` whether it may.
    """
    owned = ownership.copy()
    doc = _start(text, owned)
    conflicts: list[Conflict] = []
    for slot in [s for s in owned.slots if s not in desired]:
        previous = owned.slots.pop(slot)
        present, value, _ = doc.current(slot)
        if present and previous.holds(value):
            doc.restore(slot, previous.previous, owned)
    for slot, value in desired.items():
        present, current, raw = doc.current(slot)
        mine = owned.slots.get(slot)
        if not present:  # also when the user deleted ccwrap's value: nothing to put back later
            owned.slots[slot] = Owned.of(slot, value, None)
            doc.set(slot, value, owned)
            continue
        if mine is None:
            if current != value:
                conflicts.append(Conflict(slot, "not-ccwrap", current, value))
            owned.slots[slot] = Owned.of(slot, value, raw)
        else:
            if not mine.holds(current) and current != value:
                conflicts.append(Conflict(slot, "changed", current, value))
            owned.slots[slot] = Owned.of(slot, value, mine.previous)
        if current != value or type(current) is not type(value):
            doc.set(slot, value, owned)
    doc.drop_created_env(owned)
    return Edit(_finish(doc, owned), owned, conflicts)


def clear(
    text: str | None, ownership: Ownership, *, force: bool | Collection[Slot] = False
) -> Edit:
    """Take back what ccwrap wrote; values changed since are left unless ``force`` (all, or the
    slots it names)."""
    owned = ownership.copy()
    if text is None:  # the file is gone: nothing left to take back
        return Edit(None, Ownership())
    doc = _start(text, owned)
    conflicts: list[Conflict] = []
    for slot in list(owned.slots):
        mine = owned.slots.pop(slot)
        present, current, _ = doc.current(slot)
        if not present:
            continue
        if not mine.holds(current):
            conflicts.append(Conflict(slot, "changed", current, None))
            if not (force is True or (not isinstance(force, bool) and slot in force)):
                continue
        doc.restore(slot, mine.previous, owned)
    doc.drop_created_env(owned)
    owned.env_created = False
    return Edit(_finish(doc, owned), owned, conflicts)
