"""Launch overhead of ``ccwrap run`` and the cost of ``ccwrap key`` (apiKeyHelper).

- run: wall time of ``ccwrap run -- -p x`` exec'ing a stand-in claude that exits at once, minus
  the wall time of starting that stand-in directly; runs alternate, medians of N each.
- key: wall time of ``ccwrap key NAME`` with a file-backed key and with the OS keyring (the Secret
  Service of gnome-keyring under a private ``dbus-run-session`` when it is installed).

Usage: scripts/bench launch   (or .venv/bin/python scripts/bench_launch.py [--runs N])
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
CCWRAP = VENV_BIN / "ccwrap"
KEY = "sk-bench-0123456789abcdef"
IN_DBUS = "--in-dbus"


def wall(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return (time.perf_counter() - start) * 1000


def medians(commands: dict[str, list[str]], env: dict[str, str], runs: int) -> dict[str, float]:
    for argv in commands.values():  # warm the page cache and .pyc files
        wall(argv, env)
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, argv in commands.items():
            samples[name].append(wall(argv, env))
    return {name: statistics.median(values) for name, values in samples.items()}


def unlock_secret_service(env: dict[str, str]) -> bool:
    """Start an unlocked gnome-keyring in this (private) D-Bus session."""
    daemon = shutil.which("gnome-keyring-daemon")
    if not daemon or "DBUS_SESSION_BUS_ADDRESS" not in os.environ:
        return False
    # The daemon keeps its keyring under $HOME/.local/share/keyrings: the temporary HOME only.
    os.environ.update(HOME=env["HOME"], XDG_DATA_HOME=f"{env['HOME']}/.local/share")
    env["XDG_DATA_HOME"] = os.environ["XDG_DATA_HOME"]
    done = subprocess.run(
        [daemon, "--unlock", "--components=secrets"],
        env=env,
        input="benchpw",
        capture_output=True,
        text=True,
        check=False,
        timeout=20,
    )
    for line in done.stdout.splitlines():
        name, sep, value = line.partition("=")
        if sep:
            env[name] = value
            os.environ[name] = value
    env.pop("PYTHON_KEYRING_BACKEND", None)
    os.environ.pop("PYTHON_KEYRING_BACKEND", None)
    try:
        import keyring

        keyring.set_password("ccwrap", "ring", KEY)
        return keyring.get_password("ccwrap", "ring") == KEY
    except Exception as exc:
        print(f"(Secret Service unusable: {exc})")
        return False


def setup(root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "CCWRAP_"))}
    env.update(HOME=str(root / "home"), CCWRAP_HOME=str(root / "ccwrap"))
    # An installed ccwrap has its .pyc files (pip compiles them); without them every run would
    # compile ccwrap's modules again and measure the compiler.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    (root / "home").mkdir()
    (root / "ccwrap").mkdir(mode=0o700)
    standin = root / "claude"
    standin.write_text("#!/bin/sh\nexit 0\n")
    standin.chmod(0o755)
    env["CCWRAP_CLAUDE"] = str(standin)
    key_file = root / "ccwrap" / "file.key"
    key_file.write_text(KEY)
    key_file.chmod(0o600)
    (root / "ccwrap" / "config.toml").write_text(
        'version = 1\ndefault = "file"\n\n'
        f'[profiles.file]\nbase_url = "https://gw.example"\nkey = "file:{key_file}"\n'
        "cache_1h = true\nattribution_header = false\n\n"
        '[profiles.ring]\nbase_url = "https://gw.example"\nkey = "keyring"\n'
    )
    return env


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument(IN_DBUS, action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if not options.in_dbus and shutil.which("dbus-run-session") and os.name == "posix":
        os.execvp(  # noqa: S606 - re-run this script inside a private D-Bus session
            "dbus-run-session",
            [
                "dbus-run-session",
                "--",
                sys.executable,
                __file__,
                IN_DBUS,
                "--runs",
                str(options.runs),
            ],
        )
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        env = setup(root)
        keyring_ok = unlock_secret_service(env)
        standin = env["CCWRAP_CLAUDE"]
        commands = {
            "stand-in claude directly": [standin, "-p", "x"],
            "ccwrap run (exec stand-in)": [str(CCWRAP), "run", "--", "-p", "x"],
            "python3 -c pass": [sys.executable, "-c", "pass"],
            "ccwrap key (file)": [str(CCWRAP), "key", "file"],
        }
        if keyring_ok:
            commands["ccwrap key (Secret Service)"] = [str(CCWRAP), "key", "ring"]
        result = medians(commands, env, options.runs)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"medians of {options.runs} alternating runs (ms), python {sys.version.split()[0]}, "
        f"{os.cpu_count()} CPUs, load average {load:.2f} at the end"
    )
    for name, value in result.items():
        print(f"  {name:<32} {value:7.1f}")
    added = result["ccwrap run (exec stand-in)"] - result["stand-in claude directly"]
    print(f"ccwrap run adds {added:.1f} ms (target <= 100)")
    for name in ("ccwrap key (file)", "ccwrap key (Secret Service)"):
        if name in result:
            print(f"{name}: {result[name]:.1f} ms (target <= 150)")
    if not keyring_ok:
        print("(no Secret Service here: gnome-keyring and dbus-run-session are needed)")


if __name__ == "__main__":
    main()
