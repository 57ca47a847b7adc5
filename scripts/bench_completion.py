"""Completion latency: what one TAB costs (the shell runs ccwrap once per completion request).

Median of RUNS runs of a completion request, exactly as the committed scripts send it, against a
temporary config with a few profiles. Target: <= 150 ms for `ccwrap run --profile <TAB>`.
Also shown: the same request with Typer's default coercion/help rendering (typer_patches off), and
Python's own start-up, for scale. Figures go to docs/benchmarks.md ("Completion").
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 25
TARGET_MS = 150.0
BIN = Path(sys.executable).parent
CONFIG = "".join(
    f'[profiles.{name}]\nbase_url = "https://{name}.example"\n\n'
    for name in ("work", "home", "work-eu", "openrouter", "litellm")
)
WITHOUT_FASTPATH = (
    "import ccwrap.cli.typer_patches as f; f.install = lambda: None; "
    "from ccwrap.cli.app import main; main()"
)

REQUESTS = {
    "bash: ccwrap run --profile <TAB>": {
        "_CCWRAP_COMPLETE": "complete_bash",
        "COMP_WORDS": "ccwrap run --profile ",
        "COMP_CWORD": "3",
    },
    "zsh: ccwrap run --profile <TAB>": {
        "_CCWRAP_COMPLETE": "complete_zsh",
        "_TYPER_COMPLETE_ARGS": "ccwrap run --profile ",
    },
    "fish: ccwrap <TAB> (commands, with help)": {
        "_CCWRAP_COMPLETE": "complete_fish",
        "_TYPER_COMPLETE_FISH_ACTION": "get-args",
        "_TYPER_COMPLETE_ARGS": "ccwrap ",
    },
}


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def median_ms(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Median wall time and median CPU time (user + sys: steadier on a busy machine), in ms."""
    wall, cpu = [], []
    out = ""
    for _ in range(RUNS):
        start, start_cpu = time.perf_counter(), _child_cpu()
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((_child_cpu() - start_cpu) * 1000)
        out = done.stdout
    return statistics.median(wall), statistics.median(cpu), out


def main() -> int:
    with tempfile.TemporaryDirectory() as home:
        Path(home, "config.toml").write_text(f"version = 1\n\n{CONFIG}")
        base = {k: v for k, v in os.environ.items() if not k.startswith(("_CCWRAP", "CCWRAP"))}
        base["CCWRAP_HOME"] = home
        # An installed ccwrap has its bytecode compiled (pip does it); let the warm-up write it.
        base.pop("PYTHONDONTWRITEBYTECODE", None)
        median_ms([str(BIN / "ccwrap"), "--version"], base)  # warm the .pyc caches
        wall, cpu, _ = median_ms([sys.executable, "-c", "pass"], base)
        print(f"medians of {RUNS} runs, wall (cpu) in ms; load average {os.getloadavg()[0]:.1f}")
        print(f"python -c pass: {wall:.0f} ({cpu:.0f})")
        status = 0
        for label, extra in REQUESTS.items():
            env = {**base, **extra}
            wall, cpu, out = median_ms([str(BIN / "ccwrap")], env)
            slow_wall, slow_cpu, _ = median_ms([sys.executable, "-c", WITHOUT_FASTPATH], env)
            offered = " ".join(out.split())[:50]
            print(
                f"{label}: {wall:.0f} ({cpu:.0f}); Typer as is: {slow_wall:.0f} ({slow_cpu:.0f})"
                f" -> {offered}"
            )
            if label.startswith("bash") and wall > TARGET_MS:
                status = 1
        print(f"target: <= {TARGET_MS:.0f} ms" + ("" if status == 0 else "  MISSED"))
    return status


if __name__ == "__main__":
    sys.exit(main())
