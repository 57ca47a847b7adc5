"""Shell integration: quoting, ``env`` lines, aliases and their rc blocks, builtin tables as data.

kinds          the shells ccwrap speaks, parse_shell, detect_shell
quoting        quote: one literal word per shell
env_lines      render_env / render_unset (``ccwrap env``)
rc_blocks      an alias as text: its function, the marked block, find/add/remove (pure)
aliases        rc files: where they are, add_alias / remove_alias / list_aliases, backups
builtin_words  each shell's builtins and reserved words (data)
"""

from ccwrap.shell.aliases import (
    AliasChange,
    AliasEntry,
    add_alias,
    backup_path,
    default_rc,
    fish_functions_dir,
    forget_command,
    known_files,
    list_aliases,
    powershell_profile,
    reload_command,
    remembered,
    remembered_path,
    remove_alias,
    shadowed,
)
from ccwrap.shell.builtin_words import BUILTINS
from ccwrap.shell.env_lines import ENV_NAME, managed_variables, render_env, render_unset
from ccwrap.shell.kinds import SHELL_ALIASES, SHELLS, Shell, detect_shell, parse_shell
from ccwrap.shell.quoting import quote
from ccwrap.shell.rc_blocks import (
    ALIAS_NAME,
    END_MARKER,
    START_MARKER,
    Block,
    add_block,
    find_blocks,
    newline_of,
    remove_block,
    render_block,
    render_function,
    validate_alias_name,
)

__all__ = [
    "ALIAS_NAME",
    "BUILTINS",
    "END_MARKER",
    "ENV_NAME",
    "SHELLS",
    "SHELL_ALIASES",
    "START_MARKER",
    "AliasChange",
    "AliasEntry",
    "Block",
    "Shell",
    "add_alias",
    "add_block",
    "backup_path",
    "default_rc",
    "detect_shell",
    "find_blocks",
    "fish_functions_dir",
    "forget_command",
    "known_files",
    "list_aliases",
    "managed_variables",
    "newline_of",
    "parse_shell",
    "powershell_profile",
    "quote",
    "reload_command",
    "remembered",
    "remembered_path",
    "remove_alias",
    "remove_block",
    "render_block",
    "render_env",
    "render_function",
    "render_unset",
    "shadowed",
    "validate_alias_name",
]
