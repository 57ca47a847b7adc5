"""The single-file build (scripts/build): dist/ccwrap.pyz runs on a plain Python with nothing
installed, in a clean HOME: ``--version``, ``setup --yes`` with a live check against a loopback
gateway and a key source that needs no keyring, ``run --dry-run``, and the apiKeyHelper command
that dry run hands claude prints the key (from the .pyz, not ``python -m ccwrap``).

The file is built by scripts/build (it downloads wheels, so it is not done here: tests reach only
127.0.0.1); a missing or stale build is a skip locally and a failure under CI=true.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import ccwrap
from tests.conftest import require
from tests.support.gateway import TestGateway

ROOT = Path(__file__).resolve().parents[2]
PYZ = ROOT / "dist" / "ccwrap.pyz"
KEY = "sk-pyz-0123456789abcdef"


def current_build() -> bool:
    """dist/ccwrap.pyz exists and was built from this tree (its .source stamp is today's hash)."""
    stamp = PYZ.with_name(PYZ.name + ".source")
    if not PYZ.is_file() or not stamp.is_file():
        return False
    done = subprocess.run(
        [str(ROOT / "scripts" / "build"), "--print-hash"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHON": sys.executable},
    )
    return done.returncode == 0 and done.stdout.strip() == stamp.read_text().strip()


def plain_pythons() -> list[Path]:
    """Every CPython >= 3.10 on this machine outside the test venv (the system one first)."""
    names = [f"python3.{minor}" for minor in range(10, 16)]
    folders = [Path("/usr/bin"), Path("/usr/local/bin")]
    pyenv_root = Path(os.environ.get("PYENV_ROOT", "/root/.pyenv")) / "versions"
    if pyenv_root.is_dir():
        folders += sorted(p / "bin" for p in pyenv_root.iterdir())
    found: dict[Path, Path] = {}
    venv = Path(sys.prefix).resolve()
    for folder in folders:
        for name in ["python3", *names]:
            candidate = folder / name
            if not candidate.is_file() or venv in candidate.resolve().parents:
                continue
            check = subprocess.run(
                [str(candidate), "-I", "-c", "import sys; print(sys.version_info >= (3, 10))"],
                capture_output=True,
                text=True,
                timeout=30,
            )
            if check.stdout.strip() == "True":
                found.setdefault(candidate.resolve(), candidate)
    return list(found.values())


def test_the_pyz_runs_on_plain_python(tmp_path: Path) -> None:
    require(current_build(), "dist/ccwrap.pyz is missing or older than the source: scripts/build")
    pythons = plain_pythons()
    require(bool(pythons), "no CPython >= 3.10 outside the venv")
    standin = tmp_path / "claude"
    standin.write_text("#!/bin/sh\nexit 0\n")
    standin.chmod(0o755)
    with TestGateway(key=KEY, auth="bearer") as gateway:
        for python in pythons:
            home = tmp_path / python.parent.parent.name / "home"
            home.mkdir(parents=True)
            env = {
                "PATH": "/usr/bin:/bin",
                "HOME": str(home),
                "LANG": "C.UTF-8",
                "GW_KEY": KEY,
                "CCWRAP_CLAUDE": str(standin),
            }

            def pyz(*args: str, python: Path = python, env: dict[str, str] = env) -> str:
                done = subprocess.run(
                    [str(python), "-I", str(PYZ), *args],
                    capture_output=True,
                    text=True,
                    timeout=120,
                    env=env,
                    cwd=env["HOME"],
                    stdin=subprocess.DEVNULL,
                )
                assert done.returncode == 0, (python, args, done.stdout, done.stderr)
                return done.stdout

            # Nothing installed: this Python cannot import ccwrap by itself.
            bare = subprocess.run(
                [str(python), "-I", "-c", "import ccwrap"], capture_output=True, env=env
            )
            assert bare.returncode != 0, python

            assert pyz("--version").strip() == f"ccwrap {ccwrap.__version__}"
            pyz("setup", "work", "--url", gateway.url, "--key-source", "env:GW_KEY", "--yes")
            plan = json.loads(pyz("run", "--dry-run", "--json"))
            assert plan["settings"]["env"]["ANTHROPIC_BASE_URL"] == gateway.url
            helper = plan["settings"]["apiKeyHelper"]
            assert str(PYZ) in helper, helper
            key = subprocess.run(
                ["/bin/sh", "-c", helper], capture_output=True, text=True, env=env, timeout=60
            )
            assert (key.returncode, key.stdout) == (0, KEY), (python, key.stderr)
            assert (home / ".shiv").is_dir()  # unpacked into the clean HOME, nowhere else
