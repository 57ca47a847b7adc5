"""``ccwrap env``: the lines that set (or unset) a profile's variables in each shell."""

from __future__ import annotations

from ccwrap.claude.env import (
    MANAGED_VARIABLES,
    credential_variable,
    is_secret_variable,
    profile_env,
)
from ccwrap.context import VARIABLE_NAME
from ccwrap.errors import RcFileError
from ccwrap.profiles.model import Profile
from ccwrap.shell.kinds import Shell
from ccwrap.shell.quoting import quote

ENV_NAME = VARIABLE_NAME


def _check_variable(name: str) -> str:
    if not ENV_NAME.fullmatch(name):
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
        elif value and is_secret_variable(name):
            # Only a hand-edited config.toml can hold one (setup and edit refuse it).
            lines.append(f"# {name} is not printed: its name says it holds a secret")
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
