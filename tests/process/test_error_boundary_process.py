"""The error boundary in a real ccwrap process: no traceback unless CCWRAP_DEBUG (split from
tests/cli/test_error_boundary.py)."""

from __future__ import annotations

import os
import subprocess
import sys

from ccwrap.errors import ExitCode


def test_a_real_process_prints_no_traceback_unless_debug(tmp_path: object) -> None:
    bad_config = os.path.join(os.environ["CCWRAP_HOME"], "config.toml")
    os.makedirs(os.path.dirname(bad_config), exist_ok=True)
    with open(bad_config, "w") as handle:
        handle.write("version = 1\n[profiles.work\n")
    plain = subprocess.run(
        [sys.executable, "-m", "ccwrap", "profile", "list"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert plain.returncode == ExitCode.CONFIG
    assert plain.stderr.startswith("ccwrap: error: ")
    assert "not valid TOML" in plain.stderr
    assert "Traceback" not in plain.stderr
    debug = subprocess.run(
        [sys.executable, "-m", "ccwrap", "profile", "list"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "CCWRAP_DEBUG": "1"},
    )
    assert debug.returncode == ExitCode.CONFIG
    assert "Traceback" in debug.stderr
