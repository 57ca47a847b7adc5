"""Wall time of `ccwrap statusline` as Claude Code runs it (figures go to docs/benchmarks.md).

Run: scripts/bench statusline [RUNS]

Each case pipes the JSON Claude Code sends into a fresh `ccwrap statusline` process in a temporary
HOME whose ledger holds 100,000 proxy rows: a proxied session, a session known from a 20 MB
transcript (read once, then only the lines added between refreshes), and an unknown session.
`python -c pass` and `ccwrap --version` are the floor.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
CCWRAP = str(BIN / "ccwrap")


def client_json(session: str, transcript: Path) -> bytes:
    return json.dumps(
        {
            "hook_event_name": "Status",
            "session_id": session,
            "transcript_path": str(transcript),
            "cwd": "/work/p",
            "model": {"id": "claude-opus-4-1", "display_name": "Opus"},
            "workspace": {"current_dir": "/work/p", "project_dir": "/work/p"},
            "version": "2.1.197",
            "cost": {"total_cost_usd": 0.5},
        }
    ).encode()


def timed(argv: list[str], env: dict[str, str], stdin: bytes, runs: int) -> tuple[float, float]:
    subprocess.run(argv, env=env, input=stdin, capture_output=True, check=True)  # warm up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, env=env, input=stdin, capture_output=True, check=True)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def fill(env: dict[str, str], home: Path) -> Path:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    from ccwrap.context import Context
    from ccwrap.ledger.database import open_ledger

    ctx = Context(environ=env, cwd=home, home=home)
    conn = open_ledger(ctx.paths)
    now = time.time()
    rng = random.Random(1)
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO proxy_requests (time, profile, route, session_id, model_served, status,"
        " ttfb_ms, input_tokens, output_tokens, cache_read_input_tokens,"
        " cache_creation_input_tokens, complete) VALUES (?, 'work', 'POST /v1/messages', ?,"
        " 'glm-4.6', 200, 500, ?, ?, ?, ?, 1)",
        [
            (now - i, f"s{i % 2000}", rng.randint(1, 500), 300, rng.randint(0, 50000), 1000)
            for i in range(100_000)
        ],
    )
    conn.execute("COMMIT")
    conn.close()
    transcript = home / "claude" / "projects" / "-work-p" / "t-1.jsonl"
    transcript.parent.mkdir(parents=True)
    user = json.dumps({"type": "user", "message": {"content": "x" * 20000}})
    with transcript.open("w") as out:
        for i in range(1000):
            out.write(user + "\n")
            out.write(
                json.dumps(
                    {
                        "type": "assistant",
                        "sessionId": "t-1",
                        "timestamp": "2026-12-01T10:00:00Z",
                        "message": {
                            "id": f"m{i}",
                            "model": "glm-4.6",
                            "usage": {"input_tokens": 5, "cache_read_input_tokens": 9000},
                        },
                    }
                )
                + "\n"
            )
    return transcript


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 21
    with tempfile.TemporaryDirectory(prefix="ccwrap-bench-") as tmp:
        home = Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith("CCWRAP_")}
        env.update(HOME=str(home), CCWRAP_HOME=str(home / "ccwrap"))
        env.pop("XDG_STATE_HOME", None)
        # As installed: byte code cached (this machine sets PYTHONDONTWRITEBYTECODE, which would
        # compile every module on every run).
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        transcript = fill(env, home)
        subprocess.run(
            [CCWRAP, "setup", "work", "--url", "https://gw.example", "--key-source", "env:K",
             "--price-input", "0.6", "--price-output", "2.2", "--price-cache-read", "0.11",
             "--yes", "--no-check"],
            env=env, capture_output=True, check=True,
        )  # fmt: skip
        size = transcript.stat().st_size / 1e6
        print(f"median and p95 of {runs} runs, {sys.platform}, Python {sys.version.split()[0]}")
        print(
            f"load average {os.getloadavg()[0]:.1f}; ledger 100,000 rows; transcript {size:.0f} MB"
        )
        cases = [
            ("python -c pass (the floor)", [sys.executable, "-c", "pass"], b""),
            ("ccwrap --version", [CCWRAP, "--version"], b""),
        ]
        line = [CCWRAP, "statusline"]
        first = time.perf_counter()
        subprocess.run(
            line, env=env, input=client_json("t-1", transcript), capture_output=True, check=True
        )
        print(f"{'statusline, transcript session, first read':<52}"
              f"{(time.perf_counter() - first) * 1000:7.1f} ms (once)")  # fmt: skip
        cases += [
            ("statusline, proxied session", line, client_json("s7", transcript)),
            ("statusline, transcript session (nothing new)", line, client_json("t-1", transcript)),
            ("statusline, unknown session", line, client_json("nope", home / "none.jsonl")),
        ]
        for label, argv, stdin in cases:
            p50, p95 = timed(argv, env, stdin, runs)
            print(f"{label:<52}{p50:7.1f} ms  p95 {p95:7.1f} ms", flush=True)


if __name__ == "__main__":
    main()
