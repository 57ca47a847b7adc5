"""The hot paths import nothing heavy (docs/design.md, principle 5); speed: scripts/bench."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import CliRunner

HEAVY = (
    "typer",
    "click",
    "rich",
    "pydantic",
    "keyring",
    "httpx",
    "tomlkit",
    "starlette",
    "uvicorn",
)
PROBE = """
import json, sys
from ccwrap.cli.app import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
sys.stderr.write("\\nMODULES " + json.dumps(sorted(sys.modules)) + "\\n")
sys.exit(code)
"""


def loaded(*argv: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, check=False
    )
    line = done.stderr.rsplit("MODULES ", 1)[1]
    return done, {name.split(".")[0] for name in json.loads(line)}


def test_version_imports_nothing_heavy() -> None:
    done, modules = loaded("--version")
    assert done.returncode == 0
    assert not modules & set(HEAVY)


def test_key_from_a_file_imports_nothing_heavy(cli: CliRunner) -> None:
    made = cli(
        "setup", "w", "--url", "https://gw.example.com", "--key-stdin", "--insecure-storage",
        "--yes", "--no-check", input="sk-file-key-0123456789",
    )  # fmt: skip
    assert made.exit_code == 0, made.stderr
    done, modules = loaded("key", "w")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "sk-file-key-0123456789"
    assert not modules & set(HEAVY)


def test_other_commands_still_go_through_typer() -> None:
    done, modules = loaded("key", "--help")
    assert done.returncode == 0
    assert "typer" in modules
    assert "Print a profile's key" in done.stdout
