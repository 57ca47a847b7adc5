"""The hostile-gateway table (tests/support/hostile.py) against doctor and setup's check: every
answer ends in a clean report, in bounded time and memory (issue 16 items 8-11).

Memory is measured in a child process (its peak RSS through ``resource.getrusage``); time only by
the subprocess timeout, never by a tighter assertion."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.hostile import TABLE, HostileGateway

# Peak RSS a doctor run may reach: Python with httpx is about 50 MB; an unbounded read of the
# endless body reached 5.4 GB, of the 1 GB listing several GB.
MAX_RSS_MB = 300
# What the table's slowest row (trickle: per-request bound 3 s, live deadline 3 s) needs, with room
# for a loaded machine.
RUN_TIMEOUT = 120
MEASURE = (
    "import json, resource, subprocess, sys\n"
    "done = subprocess.run(sys.argv[1:], input=sys.stdin.read(), capture_output=True, text=True)\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024\n"
    "print(json.dumps({'rc': done.returncode, 'out': done.stdout, 'err': done.stderr,"
    " 'rss_mb': peak}))\n"
)
EXPECTED = {
    "endless": "larger than",
    "endless-error": "larger than",
    "trickle": "did not finish",
    "deep-json": "nested deeper",
    "deep-object": "nested deeper",
    "escapes": "\\x1b[2J",
    "raw-escapes": "\\x1b[2J",
    "huge-headers": "gateway.error",
    "html": "gateway.html",
    "gigabyte-listing": "GET /v1/models: the answer was larger than",
}


def _doctor(url: str, *extra: str) -> dict[str, object]:
    command = [
        sys.executable,
        "-m",
        "ccwrap",
        "doctor",
        "--url",
        url,
        "--key-stdin",
        "--timeout",
        "1",
        *extra,
    ]
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, *command],
        input="sk-hostile-test-key",
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


@pytest.mark.parametrize("mode", list(TABLE))
def test_doctor_against_the_hostile_table(mode: str) -> None:
    with HostileGateway(mode) as gateway:
        result = _doctor(gateway.url, "--live")
    out, err = str(result["out"]), str(result["err"])
    assert result["rc"] == 1, err  # a finding, not a crash (70) nor a hang (the timeout)
    assert "Traceback" not in out + err and "internal error" not in err
    assert "\x1b" not in out + err and "\x07" not in out and "\x9b" not in out
    assert EXPECTED[mode] in out, out
    assert int(str(result["rss_mb"])) < MAX_RSS_MB


@pytest.mark.parametrize("mode", ["escapes", "deep-json", "endless"])
def test_doctor_json_output_is_clean_too(mode: str) -> None:
    with HostileGateway(mode) as gateway:
        result = _doctor(gateway.url, "--json")
    report = json.loads(str(result["out"]))
    assert report["ok"] is False
    assert "\x1b" not in json.dumps(report, ensure_ascii=False)


@pytest.mark.parametrize("mode", ["deep-json", "deep-object", "endless", "escapes", "trickle"])
def test_setups_check_against_the_hostile_table(mode: str, tmp_path: Path) -> None:
    """`ccwrap setup`'s live check is doctor's probes: a clean failure, no RecursionError."""
    env_key = {"HOSTILE_KEY": "sk-hostile-test-key"}
    with HostileGateway(mode) as gateway:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "ccwrap",
                "setup",
                "hostile",
                "--url",
                gateway.url,
                "--key-source",
                "env:HOSTILE_KEY",
                "--yes",
            ],
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT,
            env={**_environ(), **env_key},
            check=False,
        )
    assert done.returncode != 70, done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    assert "\x1b" not in done.stdout + done.stderr


def _environ() -> dict[str, str]:
    import os

    return dict(os.environ)
