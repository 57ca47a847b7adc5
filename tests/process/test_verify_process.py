"""``ccwrap verify`` as a subprocess: Ctrl-C stops at once and keeps what ran (tier 4)."""

from __future__ import annotations

import pytest

from ccwrap.context import Context
from tests.loopback.test_verify import save
from tests.support.hostile import TABLE
from tests.support.relay import Relay


@pytest.fixture(autouse=True)
def key_env(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.loopback.test_verify import KEY

    monkeypatch.setenv("VERIFY_KEY", KEY)


def test_ctrl_c_stops_at_once_and_keeps_what_ran() -> None:
    import signal
    import subprocess
    import sys
    import time

    from ccwrap.ledger.database import open_ledger
    from ccwrap.verify.history import history

    with Relay(hang_on_system=True) as relay:
        save(relay)
        child = subprocess.Popen(
            [sys.executable, "-m", "ccwrap", "verify", "work", "--yes", "--timeout", "60"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            stdin=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 30
            while not any((r.body or {}).get("system") for r in relay.requests):
                assert time.monotonic() < deadline, "the cache request never came"
                time.sleep(0.02)
            child.send_signal(signal.SIGINT)
            _, err = child.communicate(timeout=10)  # at once: not after the 60 s timeout
        finally:
            child.kill()
    assert child.returncode == 130, err
    assert "Traceback" not in err, err
    assert "interrupted; 5 checks that ran are saved" in err
    conn = open_ledger(Context.from_os().paths)
    (run,) = history(conn, "work").runs
    assert run.interrupted
    done = {c.id: c.status for c in run.checks}
    assert done["model.served"] == "pass"  # the group that finished before Ctrl-C
    assert done["cache.read"] == "skip" and done["errors.shape"] == "skip"
    assert run.spent.requests >= 5


@pytest.mark.parametrize(("reply", "sent"), [("n", False), ("y", True)])
def test_at_a_terminal_the_plan_is_asked_about(reply: str, sent: bool) -> None:
    import os
    import sys

    pexpect = pytest.importorskip("pexpect")
    with Relay() as relay:
        save(relay)
        child = pexpect.spawn(
            sys.executable,
            ["-m", "ccwrap", "verify", "work", "--only", "errors.shape"],
            env={**os.environ, "NO_COLOR": "1", "TERM": "dumb"},
            encoding="utf-8",
            timeout=30,
        )
        child.expect_exact("1 request (invalid request)")
        child.expect_exact("Send these requests? [y/N]")
        assert relay.requests == []  # nothing before the answer
        child.sendline(reply)
        child.expect(pexpect.EOF)
        child.close()
    assert (len(relay.requests) == 1) is sent
    assert child.exitstatus == (0 if sent else 1)


MEASURE = (
    "import json, resource, subprocess, sys\n"
    "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024\n"
    "print(json.dumps({'rc': done.returncode, 'out': done.stdout, 'err': done.stderr,"
    " 'rss_mb': peak}))\n"
)
MAX_RSS_MB = 300  # as for doctor against the same table (tests/process/test_hostile_gateway.py)


@pytest.mark.parametrize("mode", list(TABLE))
def test_verify_against_the_shared_hostile_table(mode: str) -> None:
    import json
    import subprocess
    import sys

    from ccwrap.profiles.store import Profile, ProfileStore
    from tests.support.hostile import HostileGateway

    with HostileGateway(mode) as gateway:
        profile = Profile(name="work", base_url=gateway.url, key="env:VERIFY_KEY")
        ProfileStore(Context.from_os().paths.config_file).save(profile)
        command = [sys.executable, "-m", "ccwrap", "verify", "work", "--yes", "--timeout", "1"]
        command += ["--repeat", "1", "--only", "model.served,billing.input,errors.shape"]
        done = subprocess.run(
            [sys.executable, "-c", MEASURE, *command],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
    result = json.loads(done.stdout)
    out, err = str(result["out"]), str(result["err"])
    assert result["rc"] in (0, 1), err  # a result, not a crash (70)
    assert "Traceback" not in out + err and "internal error" not in err
    assert "\x1b" not in out + err and "\x07" not in out and "\x9b" not in out
    assert "model.served" in out and "errors.shape" in out
    assert int(result["rss_mb"]) < MAX_RSS_MB
