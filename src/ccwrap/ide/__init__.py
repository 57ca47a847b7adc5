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

Modules: ``editors`` (names, paths, what is written), ``edit`` (the pure JSONC edit),
``settings_file`` (the file and ccwrap's record of it), ``wrapper`` (the process wrapper script).
"""

from __future__ import annotations

from ccwrap.ide.edit import Record, apply_text, clear_text, conflicts, parse
from ccwrap.ide.editors import (
    EDITORS,
    ENV_KEY,
    WRAPPER_KEY,
    Editor,
    Scope,
    desired,
    settings_path,
)
from ccwrap.ide.settings_file import MAX_SETTINGS, Change, IdeSettings
from ccwrap.ide.wrapper import write_wrapper_script

__all__ = [
    "EDITORS",
    "ENV_KEY",
    "MAX_SETTINGS",
    "WRAPPER_KEY",
    "Change",
    "Editor",
    "IdeSettings",
    "Record",
    "Scope",
    "apply_text",
    "clear_text",
    "conflicts",
    "desired",
    "parse",
    "settings_path",
    "write_wrapper_script",
]
