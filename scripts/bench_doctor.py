"""Wall time of ``ccwrap doctor`` (a fresh process each run, as a user runs it):
a healthy loopback gateway, a refused port and a blackhole (accepts, never answers), --timeout 2.

Figures go to docs/benchmarks.md, section "Doctor".
"""

from __future__ import annotations

import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support import doctor_modes  # noqa: E402
from tests.support.claude_pin import pinned_claude  # noqa: E402

KEY = "sk-bench-0123456789abcdef"
RUNS = 10


def environment(home: Path, claude: Path | None) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ANTHROPIC_", "CLAUDE_", "CCWRAP_")) and "PROXY" not in k.upper()
    }
    env.update(
        HOME=str(home),
        CCWRAP_HOME=str(home / "ccwrap"),
        CCWRAP_MANAGED_SETTINGS=str(home / "managed.json"),
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )
    if claude:
        env["CCWRAP_CLAUDE"] = str(claude)
    return env


def measure(label: str, url: str, env: dict[str, str], *extra: str) -> None:
    ccwrap = ROOT / ".venv" / "bin" / "ccwrap"
    times, cpu, probes, codes = [], [], [], set()
    for _ in range(RUNS):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(
            [str(ccwrap), "doctor", "--url", url, "--key-stdin", "--json", *extra],
            input=KEY,
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        times.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        codes.add(done.returncode)
        latency = re.search(r"answered in (\d+) ms", done.stdout)
        if latency:
            probes.append(int(latency.group(1)) / 1000)
    print(
        f"| {label} | {statistics.median(times):.2f} | {min(times):.2f} | {max(times):.2f} "
        f"| {statistics.median(cpu):.2f} "
        f"| {f'{statistics.median(probes):.3f}' if probes else '–'} | {sorted(codes)} |"
    )


GATEWAY = """
import sys, time
sys.path.insert(0, sys.argv[1])
from tests.support.gateway import TestGateway
gateway = TestGateway(key=sys.argv[2]).start()
print(gateway.url, flush=True)
sys.stdin.read()
"""


class GatewayProcess:
    """The test gateway in a process of its own, as a real one would be (no shared GIL)."""

    def __enter__(self) -> str:
        self.process = subprocess.Popen(
            [sys.executable, "-c", GATEWAY, str(ROOT), KEY],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        return self.process.stdout.readline().strip()

    def __exit__(self, *exc: object) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=10)


def main() -> None:
    claude = pinned_claude()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        stub = home / "claude"
        stub.write_text("#!/bin/sh\necho '2.1.197 (Claude Code)'\n")
        stub.chmod(0o755)
        real_env = environment(home, claude or stub)
        stub_env = environment(home, stub)
        print(f"{RUNS} runs each; claude = {claude or 'stub (pinned claude not installed)'}")
        print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs\n")
        print("| case | median s | min s | max s | CPU s | probe s | exit |")
        print("|---|---|---|---|---|---|---|")
        with GatewayProcess() as url:
            measure("healthy local gateway (real claude --version)", url, real_env)
            measure("healthy local gateway (stub claude)", url, stub_env)
            measure("healthy, --offline", url, stub_env, "--offline")
        measure("refused port, --timeout 2", doctor_modes.refused_url(), stub_env, "--timeout", "2")
        with doctor_modes.blackhole() as url:
            measure("blackhole (never answers), --timeout 2", url, stub_env, "--timeout", "2")


if __name__ == "__main__":
    main()
