"""Start-up time of the hot paths: median wall time of N runs (figures go to docs/benchmarks.md).

    scripts/bench startup            # or: .venv/bin/python scripts/bench_startup.py [RUNS]

Measures ``python -c pass`` (the floor), ``ccwrap --version``, ``ccwrap key NAME`` with a file key
and, when gnome-keyring and dbus-run-session are installed, with the Secret Service (ccwrap's
direct read, and keyring's own backend for comparison). Everything runs in a temporary HOME.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CCWRAP = str(BIN / "ccwrap")
KEY = "sk-bench-0123456789abcdef"
KEYRING_BACKEND = "keyring.backends.SecretService.Keyring"


def median_ms(argv: list[str], env: dict[str, str], runs: int) -> float:
    subprocess.run(argv, env=env, capture_output=True, check=True)  # warm the page cache
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, env=env, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def setup(env: dict[str, str], name: str, *flags: str) -> None:
    subprocess.run(
        [
            CCWRAP,
            "setup",
            name,
            "--url",
            "https://gw.example.com",
            "--key-stdin",
            "--yes",
            "--no-check",
            *flags,
        ],
        input=KEY,
        text=True,
        env=env,
        capture_output=True,
        check=True,
    )


def base_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CCWRAP_", "PYTHON_KEYRING"))}
    env.update(HOME=str(home), CCWRAP_HOME=str(home / "ccwrap"))
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
        env.pop(name, None)
    return env


def report(label: str, argv: list[str], env: dict[str, str], runs: int) -> None:
    print(f"{label:<48}{median_ms(argv, env, runs):7.1f} ms", flush=True)


def inside_session(runs: int) -> None:
    """Run under dbus-run-session with an unlocked gnome-keyring (see main)."""
    env = dict(os.environ)
    setup(env, "ss")
    report("ccwrap key NAME (Secret Service, direct read)", [CCWRAP, "key", "ss"], env, runs)
    via_keyring = {**env, "PYTHON_KEYRING_BACKEND": KEYRING_BACKEND}
    report(
        "ccwrap key NAME (Secret Service, via keyring)", [CCWRAP, "key", "ss"], via_keyring, runs
    )


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 15
    if "--inside-session" in sys.argv:
        inside_session(runs)
        return
    with tempfile.TemporaryDirectory(prefix="ccwrap-bench-") as tmp:
        home = Path(tmp)
        env = base_env(home)
        setup(env, "filekey", "--insecure-storage")
        print(f"median of {runs} runs, {sys.platform}, Python {sys.version.split()[0]}")
        report("python -c pass", [sys.executable, "-c", "pass"], env, runs)
        report("ccwrap --version", [CCWRAP, "--version"], env, runs)
        report("ccwrap key NAME (file key source)", [CCWRAP, "key", "filekey"], env, runs)
        report("ccwrap --help (Typer, for comparison)", [CCWRAP, "--help"], env, runs)
        if not (shutil.which("dbus-run-session") and shutil.which("gnome-keyring-daemon")):
            print("Secret Service: skipped (dbus-run-session or gnome-keyring-daemon missing)")
            return
        env.update(XDG_DATA_HOME=str(home / "data"), XDG_CONFIG_HOME=str(home / "config"))
        script = (
            "echo -n pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null && "
            f'"{sys.executable}" "{__file__}" {runs} --inside-session'
        )
        subprocess.run(["dbus-run-session", "--", "sh", "-c", script], env=env, check=True)


if __name__ == "__main__":
    main()
