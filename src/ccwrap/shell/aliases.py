"""Aliases in rc files: where each shell reads them, adding, removing, listing, backups.

Only this module of the package touches files. No key is ever written to an rc file: the alias
calls ``ccwrap run``.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ccwrap.context import Context, ensure_private_dir
from ccwrap.errors import RcFileError, UsageError
from ccwrap.fsutil import atomic_write, read_small_file
from ccwrap.shell.builtin_words import BUILTINS
from ccwrap.shell.kinds import SHELLS, Shell, parse_shell
from ccwrap.shell.quoting import quote
from ccwrap.shell.rc_blocks import (
    add_block,
    find_blocks,
    newline_of,
    remove_block,
    render_block,
    validate_alias_name,
)

_HOME_RELATIVE = re.compile(r"[A-Za-z0-9_./-]+")


def reload_command(shell: Shell, rc: Path, home: Path) -> str:
    """The line that makes the change take effect in the current shell."""
    if shell == "powershell":
        return f". {quote(shell, str(rc))}"
    return f"source {_display(shell, rc, home)}"


def forget_command(shell: Shell, name: str) -> str:
    """The line that drops a removed alias from the current shell."""
    return {
        "bash": f"unset -f {name}",
        "zsh": f"unset -f {name}",
        "fish": f"functions -e {name}",
        "powershell": f"Remove-Item Function:{name}",
    }[shell]


def _display(shell: Shell, path: Path, home: Path) -> str:
    try:
        relative = path.relative_to(home).as_posix()
    except ValueError:
        return quote(shell, str(path))
    return f"~/{relative}" if _HOME_RELATIVE.fullmatch(relative) else quote(shell, str(path))


def default_rc(ctx: Context, shell: Shell, name: str, platform: str = sys.platform) -> Path:
    """The file each shell reads at start-up, where an alias goes unless ``--rc`` says otherwise."""
    if shell == "bash":
        return ctx.home / ".bashrc"
    if shell == "zsh":
        return Path(ctx.environ.get("ZDOTDIR") or ctx.home) / ".zshrc"
    if shell == "fish":
        # fish autoloads functions/NAME.fish on first use: one file per function.
        return fish_functions_dir(ctx) / f"{name}.fish"
    return powershell_profile(ctx, platform)


def fish_functions_dir(ctx: Context) -> Path:
    config = ctx.environ.get("XDG_CONFIG_HOME") or str(ctx.home / ".config")
    return Path(config) / "fish" / "functions"


def powershell_profile(ctx: Context, platform: str = sys.platform) -> Path:
    """``$PROFILE`` (CurrentUserCurrentHost) of PowerShell 7."""
    if platform == "win32":
        return ctx.home / "Documents" / "PowerShell" / "Microsoft.PowerShell_profile.ps1"
    config = ctx.environ.get("XDG_CONFIG_HOME") or str(ctx.home / ".config")
    return Path(config) / "powershell" / "Microsoft.PowerShell_profile.ps1"


def shadowed(ctx: Context, name: str, shell: Shell) -> str | None:
    """What an alias called ``name`` would hide in ``shell``, if anything."""
    lookup = name.lower() if shell == "powershell" else name
    if lookup in BUILTINS[shell]:
        return f"the {shell} builtin or keyword {name!r}"
    found = shutil.which(name, path=ctx.environ.get("PATH", os.defpath))
    if found:
        return f"the command {found}"
    return None


@dataclass(frozen=True)
class AliasEntry:
    name: str
    profile: str | None
    shell: Shell
    file: Path


@dataclass(frozen=True)
class AliasChange:
    name: str
    shell: Shell
    file: Path
    action: Literal["added", "updated", "unchanged", "removed"]
    backup: Path | None
    # The line to run in the current shell for the change to take effect.
    apply: str


def add_alias(
    ctx: Context,
    name: str,
    profile: str,
    shell: Shell,
    *,
    rc: Path | None = None,
    force: bool = False,
) -> AliasChange:
    validate_alias_name(name)
    path = rc or default_rc(ctx, shell, name)
    text = _read(path)
    ours = any(block.name == name for block in find_blocks(text, str(path)))
    if not force:
        _refuse_shadowing(name, _defined_in(text, name, shell, path) or shadowed(ctx, name, shell))
    new = add_block(text, name, render_block(shell, name, profile, newline_of(text)))
    action: Literal["added", "updated", "unchanged"] = (
        "unchanged" if new == text else "updated" if ours else "added"
    )
    backup = None if action == "unchanged" else _write(ctx, path, new)
    if rc is not None:
        _remember(ctx, shell, path)
    return AliasChange(name, shell, path, action, backup, reload_command(shell, path, ctx.home))


def _defined_in(text: str, name: str, shell: Shell, path: Path) -> str | None:
    """The user's own alias or function of that name in the file, outside ccwrap's blocks."""
    for block in reversed(find_blocks(text, str(path))):
        text = text[: block.start] + text[block.end :]
    if shell == "fish" and path.name == f"{name}.fish":
        # functions/NAME.fish holding anything but ccwrap's block is the user's own function.
        return f"the fish function in {path}" if text.strip() else None
    n = re.escape(name)
    definition = {
        "fish": rf"^\s*(function\s+{n}\b|alias\s+{n}[= ])",
        "powershell": rf"^\s*(function\s+{n}\b|(Set|New)-Alias\s+(-Name\s+)?{n}\b)",
    }.get(shell, rf"^\s*(alias\s+{n}=|function\s+{n}\b|{n}\s*\(\s*\))")
    flags = re.MULTILINE | (re.IGNORECASE if shell == "powershell" else 0)
    if re.search(definition, text, flags):
        return f"the alias or function {name!r} defined in {path}"
    return None


def _refuse_shadowing(name: str, what: str | None) -> None:
    if what is not None:
        raise UsageError(
            f"an alias named {name!r} would shadow {what}",
            hint="choose another name, or add --force to shadow it anyway",
        )


def remove_alias(
    ctx: Context, name: str, *, in_shell: Shell | None = None, rc: Path | None = None
) -> list[AliasChange]:
    """Remove the block of ``name`` from ``rc``, the shell's file, or every known file."""
    validate_alias_name(name)
    if rc is not None:
        candidates = [(in_shell or _shell_of(rc), rc)]
    elif in_shell is not None:
        candidates = [(in_shell, default_rc(ctx, in_shell, name))]
    else:
        candidates = [(s, default_rc(ctx, s, name)) for s in SHELLS] + remembered(ctx)
    changes = []
    for candidate_shell, path in candidates:
        text = _read(path)
        new = remove_block(text, name)
        if new is None:
            continue
        # A fish function file holds one function: once it is empty, it goes.
        is_fish_file = candidate_shell == "fish" and path.parent == fish_functions_dir(ctx)
        backup = _write(ctx, path, new, delete_if_empty=is_fish_file)
        changes.append(
            AliasChange(
                name,
                candidate_shell,
                path,
                "removed",
                backup,
                forget_command(candidate_shell, name),
            )
        )
    if not changes:
        where = ", ".join(str(path) for _, path in candidates)
        raise UsageError(f"no ccwrap alias named {name!r} in {where}", hint="ccwrap alias list")
    return changes


def _shell_of(rc: Path) -> Shell:
    if rc.suffix == ".fish":
        return "fish"
    if rc.suffix == ".ps1":
        return "powershell"
    return "zsh" if "zsh" in rc.name else "bash"


def known_files(ctx: Context) -> Iterator[tuple[Shell, Path]]:
    yield "bash", default_rc(ctx, "bash", "")
    yield "zsh", default_rc(ctx, "zsh", "")
    functions = fish_functions_dir(ctx)
    if functions.is_dir():
        for path in sorted(functions.glob("*.fish")):
            yield "fish", path
    yield "powershell", powershell_profile(ctx)
    yield from remembered(ctx)


def list_aliases(ctx: Context) -> list[AliasEntry]:
    entries = []
    for shell, path in known_files(ctx):
        text = _read(path)
        entries += [
            AliasEntry(block.name, block.profile, shell, path)
            for block in find_blocks(text, str(path))
        ]
    return entries


def remembered_path(ctx: Context) -> Path:
    return ctx.paths.state_dir / "alias-files"


def remembered(ctx: Context) -> list[tuple[Shell, Path]]:
    """Files given with ``--rc``, so that ``list`` and ``remove`` find their aliases too."""
    entries: list[tuple[Shell, Path]] = []
    for line in _read(remembered_path(ctx)).splitlines():
        shell, _, path = line.partition("\t")
        if shell in SHELLS and path:
            entries.append((parse_shell(shell), Path(path)))
    return entries


def _remember(ctx: Context, shell: Shell, path: Path) -> None:
    entries = remembered(ctx)
    if (shell, path) in entries or path in {p for _, p in known_files(ctx)}:
        return
    lines = [f"{s}\t{p}" for s, p in [*entries, (shell, path)]]
    ensure_private_dir(ctx.paths.state_dir)
    atomic_write(remembered_path(ctx), ("\n".join(lines) + "\n").encode(), mode=0o600)


# --- file I/O ------------------------------------------------------------------------------------


def _read(path: Path) -> str:
    try:
        data = read_small_file(path)  # an --rc of /dev/zero or a FIFO: refused, not read
    except OSError as exc:
        raise RcFileError(f"cannot read {path}: {exc.strerror}") from exc
    if data is None:
        return ""
    # surrogateescape: bytes that are not UTF-8 come back out unchanged.
    return data.decode("utf-8", "surrogateescape")


def _write(ctx: Context, path: Path, text: str, *, delete_if_empty: bool = False) -> Path | None:
    """Back the file up (first change only), then replace it atomically, keeping its mode."""
    try:
        backup = _backup_once(ctx, path)
        if delete_if_empty and not text:
            path.unlink()
            return backup
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, text.encode("utf-8", "surrogateescape"), mode=None)
    except OSError as exc:
        raise RcFileError(f"cannot write {path}: {exc.strerror}") from exc
    return backup


def backup_path(ctx: Context, path: Path) -> Path:
    real = os.path.realpath(path)
    digest = hashlib.sha256(real.encode("utf-8", "surrogateescape")).hexdigest()[:12]
    return ctx.paths.backups_dir / "rc" / f"{Path(real).name}.{digest}.orig"


def _backup_once(ctx: Context, path: Path) -> Path | None:
    """Keep the file as it was before ccwrap first changed it (0600, in the state folder)."""
    if not path.exists():
        return None
    destination = backup_path(ctx, path)
    if destination.exists():
        return None
    ensure_private_dir(destination.parent)
    atomic_write(destination, path.read_bytes(), mode=0o600)
    return destination
