"""Shell integration: aliases in rc files, ``ccwrap env`` output, per shell.

The rendering and the rc-file block edits are pure functions of text; only :func:`add_alias`,
:func:`remove_alias` and :func:`list_aliases` touch files. An alias lives in a marked block::

    # >>> ccwrap alias NAME >>>
    function NAME { command ccwrap run --profile P -- "$@"; }   (per shell)
    # <<< ccwrap alias NAME <<<

Adding appends the block after one newline (which ends the file's last line, or leaves a blank line
before the block); removing takes that newline away again, so add then remove gives the file back
byte for byte. No key is ever written to an rc file: the alias calls ``ccwrap run``, and
``ccwrap env`` prints a line that calls ``ccwrap key`` when it is evaluated.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ccwrap.claude.env import MANAGED_VARIABLES, credential_variable, profile_env
from ccwrap.context import Context, ensure_private_dir
from ccwrap.errors import RcFileError, UsageError
from ccwrap.fsutil import atomic_write, read_small_file
from ccwrap.profiles.store import Profile

Shell = Literal["bash", "zsh", "fish", "powershell"]
SHELLS: tuple[Shell, ...] = ("bash", "zsh", "fish", "powershell")
SHELL_ALIASES: Mapping[str, Shell] = {"pwsh": "powershell", "powershell": "powershell"}

# A function name every shell accepts as a plain word (no quoting, no glob, no expansion).
ALIAS_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Words that need no quotes in POSIX shells and fish (profile names are such words).
_BARE_WORD = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.,:/@%+=-]*$")
_HOME_RELATIVE = re.compile(r"^[A-Za-z0-9_./-]+$")

START_MARKER = "# >>> ccwrap alias {name} >>>"
END_MARKER = "# <<< ccwrap alias {name} <<<"
_START = re.compile(r"^# >>> ccwrap alias (\S+) >>>[ \t]*\r?$", re.MULTILINE)
_PROFILE_IN_BODY = re.compile(r"ccwrap run --profile ('(?:[^']|'')*'|\S+)")

# Builtins and reserved words, as `compgen -b; compgen -k` (bash 5.2), `${(k)builtins}
# ${(k)reswords}` (zsh 5.9) and `builtin -n` (fish 3.6) list them; for PowerShell its keywords
# and the default aliases (PowerShell compares names case-insensitively).
_BASH = """. : [ alias bg bind break builtin caller cd command compgen complete compopt continue
declare dirs disown echo enable eval exec exit export false fc fg getopts hash help history jobs
kill let local logout mapfile popd printf pushd pwd read readarray readonly return set shift shopt
source suspend test times trap true type typeset ulimit umask unalias unset wait if then else elif
fi case esac for select while until do done in function time { } ! [[ ]] coproc"""
_ZSH = """unset rehash popd ulimit local jobs disable [ compfiles printf autoload noglob pushln zle
readonly exit false times sched setopt getln builtin let bg which unhash pwd zparseopts logout
disown type source eval comptags compdescribe compctl r zmodload zregexparse history return exec
compadd emulate chdir ttyctl test comparguments pushd functions float zstyle print declare comptry
alias shift - . bindkey typeset true hash compset cd compvalues getopts compgroups export enable
limit echotc echo wait dirs unsetopt read : integer bye echoti compquote unfunction fc vared unalias
kill compcall where fg zformat suspend unlimit break set continue command zcompile whence umask trap
log private if function else end do then { select coproc } ! case [[ repeat done for while time esac
until fi nocorrect foreach elif"""
_FISH = """. : [ _ abbr and argparse begin bg bind block break breakpoint builtin case cd command
commandline complete contains continue count disown echo else emit end eval exec exit false fg for
function functions history if jobs math not or path printf pwd random read realpath return set
set_color source status string switch test time true type ulimit wait while"""
_POWERSHELL = """begin break catch class clean continue data define do dynamicparam else elseif end
enum exit filter finally for foreach from function hidden if in param process return static switch
throw trap try until using var while workflow ? % ac cat cd chdir clc clear clhy cli clp cls clv
cnsn compare copy cp cpi cpp cvpa dbp del diff dir dnsn ebp echo epal epcsv erase etsn exsn fc fhx
fl ft fw gal gbp gc gci gcm gcs gdr ghy gi gin gjb gl gm gmo gp gps gpv group gsn gsv gu gv gwmi h
history icm iex ihy ii ipal ipcsv ipmo irm ise iwmi iwr kill lp ls man md measure mi mount move mp
mv nal ndr ni nmo npssc nsn nv ogv oh popd ps pushd pwd r rbp rcjb rcsn rd rdr ren ri rjb rm rmdir
rmo rni rnp rp rsn rv rvpa rwmi sajb sal saps sasv sbp sc scb select set shcm si sl sleep sls sort
sp spjb spps spsv start stz sujb sv swmi tee trcm type wget where wjb write"""
BUILTINS: Mapping[Shell, frozenset[str]] = {
    "bash": frozenset(_BASH.split()),
    "zsh": frozenset(_ZSH.split()),
    "fish": frozenset(_FISH.split()),
    "powershell": frozenset(_POWERSHELL.split()),
}


# --- shells -----------------------------------------------------------------------------------


def parse_shell(name: str) -> Shell:
    """``bash``, ``/usr/bin/zsh``, ``pwsh``, ``powershell.exe`` → the shell's canonical name."""
    base = Path(name.strip()).name.lower().removesuffix(".exe")
    shell = SHELL_ALIASES.get(base, base)
    if shell not in SHELLS:
        raise UsageError(
            f"unsupported shell {name!r}", hint=f"pass --shell with one of: {', '.join(SHELLS)}"
        )
    return shell


def detect_shell(environ: Mapping[str, str]) -> Shell:
    """The shell ccwrap runs under (shellingham, as Typer uses), else ``$SHELL``."""
    for candidate in (_shellingham_name(), environ.get("SHELL")):
        if candidate:
            try:
                return parse_shell(candidate)
            except UsageError:
                continue
    raise UsageError("cannot tell which shell you use", hint=f"pass --shell ({', '.join(SHELLS)})")


def _shellingham_name() -> str | None:
    import shellingham

    try:
        name, _path = shellingham.detect_shell()
    except (shellingham.ShellDetectionFailure, OSError, RuntimeError):
        return None
    return str(name)


# --- quoting ------------------------------------------------------------------------------------


def quote(shell: Shell, value: str) -> str:
    """``value`` as one literal word in ``shell`` (no expansion of $, `, \\, quotes or globs)."""
    if shell == "powershell":
        return _quote_powershell(value)
    if _BARE_WORD.match(value):
        return value
    if shell == "fish":
        # Inside fish's single quotes only \\ and \' are special.
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return "'" + value.replace("'", "'\\''") + "'"


# PowerShell treats the typographic quotes as quotes too.
_PS_SINGLE_QUOTES = "'\u2018\u2019\u201a\u201b"
_PS_DOUBLE_QUOTES = '"\u201c\u201d\u201e'
_PS_ESCAPES = {"\n": "`n", "\r": "`r", "\t": "`t", "\0": "`0", "`": "``", "$": "`$"}


def _quote_powershell(value: str) -> str:
    if not any(c in value for c in "\r\n\0"):
        return "'" + "".join(c * 2 if c in _PS_SINGLE_QUOTES else c for c in value) + "'"
    # A line break must stay on one line: `ccwrap env | Invoke-Expression` runs line by line.
    escaped = "".join(_PS_ESCAPES.get(c, "`" + c if c in _PS_DOUBLE_QUOTES else c) for c in value)
    return f'"{escaped}"'


# --- ccwrap env -----------------------------------------------------------------------------------


def _check_variable(name: str) -> str:
    if not ENV_NAME.match(name):
        raise RcFileError(
            f"the profile sets the variable {name!r}, which a shell cannot export",
            hint="variable names are letters, digits and _ (not first a digit)",
        )
    return name


def _key_command(shell: Shell, profile: str) -> str:
    if shell == "powershell":
        return f"(ccwrap key {quote(shell, profile)})"
    if shell == "fish":
        return f"(command ccwrap key {quote(shell, profile)} | string collect)"
    return f'"$(command ccwrap key {quote(shell, profile)})"'


def _assign(shell: Shell, name: str, expression: str) -> str:
    return {
        "bash": f"export {name}={expression}",
        "zsh": f"export {name}={expression}",
        "fish": f"set -gx {name} {expression}",
        "powershell": f"$env:{name} = {expression}",
    }[shell]


def render_env(shell: Shell, profile: Profile) -> str:
    """Lines that set the profile's variables; the key is read by ``ccwrap key`` when evaluated."""
    key_variable = credential_variable(profile)
    lines = [f"# ccwrap env --profile {profile.name} --shell {shell}"]
    for name, value in profile_env(profile).items():
        _check_variable(name)
        if name == key_variable:
            lines.append(_assign(shell, name, _key_command(shell, profile.name)))
        else:
            lines.append(_assign(shell, name, quote(shell, value)))
    return "\n".join(lines) + "\n"


def managed_variables(profile: Profile | None) -> list[str]:
    """Every variable ccwrap may set: its own, then the profile's extra env."""
    names = list(MANAGED_VARIABLES)
    if profile is not None:
        names += [name for name in profile.env if name not in names]
    return [_check_variable(name) for name in names]


def render_unset(shell: Shell, profile: Profile | None) -> str:
    names = managed_variables(profile)
    if shell in ("bash", "zsh"):
        lines = [f"unset {name}" for name in names]
    elif shell == "fish":
        # `set -e` of an unset variable fails quietly; `or true` keeps `source`'s status 0.
        lines = [f"set -e {name}; or true" for name in names]
    else:
        lines = [f"Remove-Item Env:{name} -ErrorAction SilentlyContinue" for name in names]
    return "\n".join(lines) + "\n"


# --- alias text -----------------------------------------------------------------------------------


def validate_alias_name(name: str) -> str:
    if not ALIAS_NAME.match(name):
        raise UsageError(
            f"invalid alias name {name!r}",
            hint="use letters, digits, '_' or '-' (first a letter or '_'; at most 64)",
        )
    return name


def render_function(shell: Shell, name: str, profile: str) -> list[str]:
    """The function's lines. Arguments pass through as they are: "$@", $argv, @args."""
    p = quote(shell, profile)
    if shell == "fish":
        return [
            f"function {name} --description {quote(shell, f'Claude Code (ccwrap {profile})')}",
            f"    command ccwrap run --profile {p} -- $argv",
            "end",
        ]
    if shell == "powershell":
        # '--' quoted: Windows PowerShell swallows a bare -- before a native command's arguments.
        return [f"function {name} {{", f"    & ccwrap run --profile {p} '--' @args", "}"]
    # `function NAME {` rather than `NAME() {`: an alias of the same name is not expanded there.
    return [
        f"function {name} {{",
        f'    command ccwrap run --profile {p} -- "$@"',
        "}",
    ]


def render_block(shell: Shell, name: str, profile: str, nl: str = "\n") -> str:
    lines = [
        START_MARKER.format(name=name),
        f"# Claude Code with ccwrap profile {profile}; remove with: ccwrap alias remove {name}",
        *render_function(shell, name, profile),
        END_MARKER.format(name=name),
    ]
    return nl.join(lines) + nl


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
    return f"~/{relative}" if _HOME_RELATIVE.match(relative) else quote(shell, str(path))


# --- blocks in text ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    name: str
    profile: str | None
    start: int
    end: int  # just after the end marker's line break (or at the end of the text)


def find_blocks(text: str, where: str = "the file") -> list[Block]:
    blocks: list[Block] = []
    position = 0
    while match := _START.search(text, position):
        name = match.group(1)
        end_marker = re.compile(
            rf"^{re.escape(END_MARKER.format(name=name))}[ \t]*(?:\r?\n|\Z)", re.MULTILINE
        )
        end = end_marker.search(text, match.end())
        if end is None:
            raise RcFileError(
                f"{where}: the ccwrap block of alias {name!r} has no end marker",
                hint=f"fix it by hand: the block ends with the line {END_MARKER.format(name=name)}",
            )
        body = text[match.end() : end.start()]
        blocks.append(Block(name, _profile_in(body), match.start(), end.end()))
        position = end.end()
    return blocks


def _profile_in(body: str) -> str | None:
    match = _PROFILE_IN_BODY.search(body)
    if match is None:
        return None
    word = match.group(1)
    if word.startswith("'") and word.endswith("'"):
        return word[1:-1].replace("''", "'")
    return word


def newline_of(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def add_block(text: str, name: str, block: str) -> str:
    """Replace the block of ``name`` in place, or append it after one line break."""
    for existing in find_blocks(text):
        if existing.name == name:
            return text[: existing.start] + block + text[existing.end :]
    if not text:
        return block
    return text + newline_of(text) + block


def remove_block(text: str, name: str) -> str | None:
    """The text without the block of ``name`` and the line break added with it (None: absent)."""
    found = next((b for b in find_blocks(text) if b.name == name), None)
    if found is None:
        return None
    before, after = text[: found.start], text[found.end :]
    nl = newline_of(text)
    # At the end of the file, the line break before the block is the one `add_block` added; in
    # the middle (the user wrote more after it), only a blank line before it is ours to take.
    if before.endswith(nl) and (not after or before.endswith(nl * 2)):
        before = before[: -len(nl)]
    return before + after


# --- files -------------------------------------------------------------------------------------


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
