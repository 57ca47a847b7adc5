"""What in an imported profile could run code, read files or leak a key: shown, then confirmed.

An imported file (``profile import``, a team bundle) comes from someone else. Each risk is a
sentence the CLI shows before anything is written; without confirmation (``--trust`` when not at a
terminal) nothing is imported.
"""

from __future__ import annotations

import re

from ccwrap.profiles.model import Profile

# Variables that change what a process loads or runs, or where it connects.
DANGEROUS_VARIABLES = frozenset(
    {
        "NODE_OPTIONS",
        "NODE_PATH",
        "NODE_EXTRA_CA_CERTS",
        "LD_PRELOAD",
        "LD_LIBRARY_PATH",
        "LD_AUDIT",
        "PATH",
        "PYTHONPATH",
        "PYTHONSTARTUP",
        "BASH_ENV",
        "ENV",
        "SHELL",
        "HOME",
        "HTTPS_PROXY",
        "HTTP_PROXY",
        "ALL_PROXY",
        "SSL_CERT_FILE",
        "CLAUDE_CODE_PROCESS_WRAPPER",
    }
)
_DANGEROUS_PREFIXES = ("DYLD_", "LD_")
# A variable that carries a secret by its name (a shared file should hold none).
SECRET_NAME = re.compile(r".*(_KEY|_TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIALS?)", re.IGNORECASE)


def risks(profile: Profile) -> list[str]:
    """One sentence per risky item in ``profile`` (empty: nothing to confirm)."""
    from ccwrap.claude.urls import is_insecure

    found = []
    name = profile.name
    for what, spec in [
        ("key", profile.key),
        *((f"header {h}", s) for h, s in sorted(profile.secret_headers.items())),
    ]:
        if spec.startswith("cmd:"):
            found.append(f"{name}: the {what} comes from running a command: {spec[4:]}")
        elif spec.startswith("file:"):
            found.append(f"{name}: the {what} is read from the file {spec[5:]}")
    for variable in sorted(profile.env):
        upper = variable.upper()
        if upper in DANGEROUS_VARIABLES or upper.startswith(_DANGEROUS_PREFIXES):
            found.append(f"{name}: sets {variable} for claude (changes what it loads or runs)")
        elif SECRET_NAME.fullmatch(upper):
            found.append(f"{name}: sets {variable}, a secret-looking variable")
    if is_insecure(profile.base_url):
        found.append(
            f"{name}: plain http to a remote host ({profile.base_url}): the key travels unencrypted"
        )
    return found
