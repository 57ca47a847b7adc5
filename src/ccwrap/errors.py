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
    ├── RcFileError             a shell rc file cannot be read or written safely (shell.py)
    ├── ClaudeNotFound          no claude executable (exit 127, as a shell would)
    ├── GatewayError            the gateway could not be reached or answered wrongly
    ├── ProxyError              the loopback proxy cannot start
    └── LedgerError             the usage ledger (SQLite) cannot be opened or written
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FAILURE = 1  # a check failed (doctor), or a generic error
    USAGE = 2  # bad command line (same as click's)
    CONFIG = 3  # config.toml or a profile is wrong
    KEY = 4  # a key cannot be read or stored
    SETTINGS = 5  # a Claude Code settings file cannot be read or written
    NETWORK = 6  # the gateway cannot be reached
    CLAUDE_NOT_FOUND = 127  # as a shell reports a missing command
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT)


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
    pass


class ClaudeNotFound(CcwrapError):
    exit_code = ExitCode.CLAUDE_NOT_FOUND


class GatewayError(CcwrapError):
    exit_code = ExitCode.NETWORK


class ProxyError(CcwrapError):
    """The loopback proxy cannot start (port in use, …)."""


class LedgerError(CcwrapError):
    """The ledger database cannot be opened, is corrupt, or is newer than this ccwrap."""
