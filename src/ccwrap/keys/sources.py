"""Where a profile's key lives, and reading and writing it (masking: keys/masking.py).

A key source is one of:

- ``keyring``: the OS keyring, service ``ccwrap``, user = the profile's name (the default);
- ``env:VAR``: an environment variable;
- ``cmd:COMMAND``: a command's stdout, stripped (``pass show gw/work``, ``op read …``);
- ``file:PATH``: a 0600 file, only with ``--insecure-storage``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from ccwrap.context import Context, ensure_private_dir, is_variable_name
from ccwrap.errors import ConfigError, KeyStoreError
from ccwrap.fsutil import atomic_write, read_small_text
from ccwrap.keys.masking import mask as mask  # noqa: PLC0414 - re-exported

if TYPE_CHECKING:
    from ccwrap.keys.keyring_store import KeyringBackend, KeyringStore

KeySourceKind = Literal["keyring", "env", "cmd", "file"]
COMMAND_TIMEOUT = 30.0
# apiKeyHelper's contract (docs/client-facts.md): one printable-ASCII token, at most 16,384 chars.
MAX_KEY_LENGTH = 16_384
KEY_HINT = (
    "a key is one token of printable ASCII: save the file without a line break inside it, or "
    "set the variable again (a 'Bearer ' prefix is not part of the key)"
)
_CHARACTER_NAMES = {
    "\r": "a carriage return (CR)",
    "\n": "a line break (LF)",
    "\0": "a NUL character",
    "\t": "a tab",
    " ": "a space",
}


def key_problem(secret: str) -> str | None:
    """Why ``secret`` cannot be sent as a key (None: it can). Never quotes the key itself."""
    if not secret:
        return "is empty"
    if len(secret) > MAX_KEY_LENGTH:
        return f"is longer than {MAX_KEY_LENGTH} characters"
    for position, char in enumerate(secret, start=1):
        if not 33 <= ord(char) < 127:
            name = _CHARACTER_NAMES.get(char, f"the character U+{ord(char):04X}")
            return (
                f"holds {name} at character {position}, which an HTTP header cannot carry "
                "(a key is printable ASCII)"
            )
    return None


def clean_key(secret: str) -> str:
    """The key without the whitespace around it (a trailing CRLF from a file, a pasted space)."""
    return secret.strip()


@dataclass(frozen=True)
class KeySource:
    kind: KeySourceKind
    arg: str = ""

    @classmethod
    def parse(cls, spec: str) -> KeySource:
        if spec == "keyring":
            return cls("keyring")
        kind, sep, arg = spec.partition(":")
        if sep and arg.strip() and kind in ("cmd", "file"):
            return cls(kind, arg.strip())  # type: ignore[arg-type]
        if sep and kind == "env" and is_variable_name(arg.strip()):
            return cls("env", arg.strip())
        if sep and kind == "env" and not is_variable_name(arg.strip()):
            raise ConfigError(
                f"invalid key source {spec!r}: {arg.strip()!r} is not a variable name",
                hint="a variable name is letters, digits and _ (not first a digit)",
            )
        # Masked: a key pasted where its source belongs must not be echoed.
        raise ConfigError(
            f"invalid key source {mask(spec) if not sep else kind + ':…'}",
            hint="use 'keyring', 'env:VAR', 'cmd:COMMAND' or 'file:PATH'",
        )

    def __str__(self) -> str:
        return "keyring" if self.kind == "keyring" else f"{self.kind}:{self.arg}"

    def describe(self, profile: str) -> str:
        """Where the key is, in words (for ``profile show`` and error messages)."""
        return {
            "keyring": f"OS keyring (service ccwrap, user {profile})",
            "env": f"environment variable {self.arg}",
            "cmd": f"output of the command {self.arg!r}",
            "file": f"plain-text file {self.arg}",
        }[self.kind]


def default_key_file(ctx: Context, profile: str) -> Path:
    return ctx.paths.keys_dir / f"{profile}.key"


class SecretStore:
    def __init__(
        self,
        ctx: Context,
        *,
        keyring_backend: KeyringBackend | None = None,
        keyring_timeout: float | None = None,
    ) -> None:
        self.ctx = ctx
        self._backend = keyring_backend
        self._timeout = keyring_timeout
        self._keyring: KeyringStore | None = None

    @property
    def keyring(self) -> KeyringStore:
        if self._keyring is None:
            from ccwrap.keys.keyring_store import DEFAULT_TIMEOUT, KeyringStore

            timeout = self._timeout
            if timeout is None:
                timeout = float(self.ctx.environ.get("CCWRAP_KEYRING_TIMEOUT", DEFAULT_TIMEOUT))
            self._keyring = KeyringStore(
                self._backend, timeout=timeout, environ=self.ctx.environ, home=self.ctx.home
            )
        return self._keyring

    def keyring_problem(self) -> KeyStoreError | None:
        """Why the OS keyring cannot store a key here (None: it can), asked before any question
        about the key so that no answer is lost."""
        try:
            self.keyring.check_available()
        except KeyStoreError as exc:
            return exc
        return None

    def read(self, profile: str, spec: str) -> str:
        """The key, stripped and checked on every path (keyring, env, cmd, file): one that holds
        CR, LF, NUL or anything but printable ASCII is refused, and the error never shows it."""
        source = KeySource.parse(spec)
        secret = clean_key(self._read(profile, source) or "")
        if not secret:
            raise KeyStoreError(
                f"profile {profile!r} has no key in its store ({source.describe(profile)})",
                hint=f"store one with: ccwrap setup {profile}",
            )
        problem = key_problem(secret)
        if problem is not None:
            raise KeyStoreError(
                f"the key of profile {profile!r} ({source.describe(profile)}) {problem}",
                hint=KEY_HINT,
            )
        return secret

    def _read(self, profile: str, source: KeySource) -> str | None:
        if source.kind == "keyring":
            return self.keyring.get(profile)
        if source.kind == "env":
            return self.ctx.environ.get(source.arg)
        if source.kind == "cmd":
            return _run_command(profile, source.arg, self.ctx)
        return _read_file(profile, Path(source.arg).expanduser())

    def write(self, profile: str, spec: str, secret: str) -> None:
        """Store ``secret`` where ``spec`` says; env and cmd sources are read-only."""
        source = KeySource.parse(spec)
        problem = key_problem(secret)
        if problem is not None:
            raise KeyStoreError(f"not storing the key of profile {profile!r}: it {problem}")
        if source.kind == "keyring":
            self.keyring.set(profile, secret)
        elif source.kind == "file":
            path = Path(source.arg).expanduser()
            ensure_private_dir(path.parent)
            atomic_write(path, secret.encode("utf-8"), mode=0o600)
        else:
            raise KeyStoreError(
                f"ccwrap cannot store a key in {source.describe(profile)}",
                hint="set it there yourself; ccwrap only reads it",
            )

    def delete(self, profile: str, spec: str) -> bool:
        """Remove the stored key, if ccwrap stored it; True when something was removed."""
        source = KeySource.parse(spec)
        if source.kind == "keyring":
            return self.keyring.delete(profile)
        if source.kind == "file":
            try:
                Path(source.arg).expanduser().unlink()
            except FileNotFoundError:
                return False
            return True
        return False


def _run_command(profile: str, command: str, ctx: Context) -> str:
    import subprocess  # only for cmd: sources; keeps `ccwrap key` lean

    try:
        done = subprocess.run(  # noqa: S602 - the user's own command line, run as they wrote it
            command,
            shell=True,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
            env=dict(ctx.environ),
            cwd=ctx.cwd,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise KeyStoreError(
            f"the key command of profile {profile!r} did not finish within {COMMAND_TIMEOUT:g} s"
        ) from exc
    if done.returncode != 0:
        # stderr, not stdout: stdout may hold (part of) a secret.
        detail = done.stderr.strip().splitlines()[-1:] or [f"exit status {done.returncode}"]
        raise KeyStoreError(
            f"the key command of profile {profile!r} failed: {detail[0]}",
            hint=f"run it yourself to see why: {command}",
        )
    return done.stdout


KEY_FILE_LIMIT = 64 * 1024  # a key is a line; anything larger is not a key file


def _read_file(profile: str, path: Path) -> str:
    try:
        mode = path.stat().st_mode
        if os.name == "posix" and mode & 0o077:
            raise KeyStoreError(
                f"the key file of profile {profile!r} ({path}) is readable by others",
                hint=f"chmod 600 {path}",
            )
        # Decoded bytes, not read_text: universal newlines would turn a CR into LF unseen.
        text = read_small_text(path, limit=KEY_FILE_LIMIT)
    except FileNotFoundError as exc:
        raise KeyStoreError(f"the key file of profile {profile!r} does not exist: {path}") from exc
    except OSError as exc:
        raise KeyStoreError(f"cannot read the key file {path}: {exc.strerror}") from exc
    if text is None:
        raise KeyStoreError(f"the key file of profile {profile!r} does not exist: {path}")
    return text  # stripped and checked by SecretStore.read
