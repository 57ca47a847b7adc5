"""Errors a user can cause, each with a sentence and a hint.

The core raises these and never prints or exits; ``ccwrap.cli.app.main`` is the one boundary that
turns them into a message on stderr and an exit code.

    CcwrapError
    ├── UsageError              bad flags or arguments the parser could not catch
    ├── ConfigError             config.toml unreadable, invalid, or a profile field out of range
    │   ├── ProfileNotFound     names the profiles that exist
    │   │   └── BoundProfileMissing  a folder binding names a profile that does not exist
    │   └── BindingMismatch     --profile B inside a folder bound to A, without --force
    ├── InvalidURL              a base URL the client could not use (see urls.py)
    ├── KeyStoreError           a key cannot be read, written or deleted
    │   ├── KeyringUnavailable  no usable OS keyring (headless server, no D-Bus)
    │   ├── KeyringLocked       the keyring exists but is locked
    │   └── KeyringTimeout      the keyring did not answer in time
    ├── SettingsError           a Claude Code settings file cannot be read or written safely
    ├── RcFileError             a shell rc file cannot be read or written safely (shell/)
    ├── ClaudeNotFound          no claude executable (exit 127, as a shell would)
    ├── GatewayError            the gateway could not be reached or answered wrongly
    ├── ProxyError              the loopback proxy cannot start
    └── LedgerError             the usage ledger (SQLite) cannot be opened or written
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """ccwrap's exit codes (the words ``--help`` and docs/cli.md use: EXIT_CODE_MEANINGS)."""

    OK = 0  # ok
    FAILURE = 1  # doctor found a problem (or another check failed)
    USAGE = 2  # usage: a bad command line
    CONFIG = 3  # config.toml or a profile
    KEY = 4  # key store: a key cannot be read or stored
    SETTINGS = 5  # a Claude Code settings file
    NETWORK = 6  # network: the gateway cannot be reached
    RC_FILE = 7  # a shell rc file
    PROXY = 8  # the loopback proxy cannot start
    LEDGER = 9  # the usage ledger
    INTERNAL = 70  # internal error: a bug in ccwrap (EX_SOFTWARE)
    CLAUDE_NOT_FOUND = 127  # claude not found
    INTERRUPTED = 130  # interrupted (Ctrl-C)


# What each code means, in the words ``--help`` prints (cli.app builds the epilog from it).
EXIT_CODE_MEANINGS: dict[ExitCode, str] = {
    ExitCode.OK: "ok",
    ExitCode.FAILURE: "doctor found a problem",
    ExitCode.USAGE: "usage",
    ExitCode.CONFIG: "config or profile",
    ExitCode.KEY: "key store",
    ExitCode.SETTINGS: "Claude Code settings file",
    ExitCode.NETWORK: "network",
    ExitCode.RC_FILE: "shell rc file",
    ExitCode.PROXY: "proxy",
    ExitCode.LEDGER: "ledger",
    ExitCode.INTERNAL: "internal error (a bug: please report it)",
    ExitCode.CLAUDE_NOT_FOUND: "claude not found",
    ExitCode.INTERRUPTED: "interrupted",
}


class CcwrapError(Exception):
    exit_code: ExitCode = ExitCode.FAILURE

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class UsageError(CcwrapError):
    exit_code = ExitCode.USAGE


class ConfigError(CcwrapError):
    exit_code = ExitCode.CONFIG


class ProfileNotFound(ConfigError):
    pass


class BoundProfileMissing(ProfileNotFound):
    """A folder's binding names a profile that does not exist (never a fallback)."""


class BindingMismatch(ConfigError):
    """The leak guard: a profile other than the folder's binding, without ``--force``."""


class InvalidURL(ConfigError):
    pass


class KeyStoreError(CcwrapError):
    exit_code = ExitCode.KEY


class KeyringUnavailable(KeyStoreError):
    pass


class KeyringLocked(KeyStoreError):
    pass


class KeyringTimeout(KeyStoreError):
    pass


class SettingsError(CcwrapError):
    exit_code = ExitCode.SETTINGS


class RcFileError(CcwrapError):
    exit_code = ExitCode.RC_FILE


class ClaudeNotFound(CcwrapError):
    exit_code = ExitCode.CLAUDE_NOT_FOUND


class GatewayError(CcwrapError):
    exit_code = ExitCode.NETWORK


class ProxyError(CcwrapError):
    """The loopback proxy cannot start (port in use, …)."""

    exit_code = ExitCode.PROXY


class LedgerError(CcwrapError):
    """The ledger database cannot be opened, is corrupt, or is newer than this ccwrap."""

    exit_code = ExitCode.LEDGER
