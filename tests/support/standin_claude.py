"""A stand-in for claude: records what it was started with, then behaves as told.

Written into a test's folder as an executable (see :func:`install`). It records argv, the
environment, its pid/ppid/process group and, when ``--settings`` names a file, that file's mode and
content, into ``$STANDIN_RECORD`` (JSON). ``$STANDIN_MODE`` then says what to do:

- ``exit:N``: exit with status N (default 0);
- ``wait``: write ``$STANDIN_RECORD.ready``, wait for a signal; SIGINT → exit 42, recording it;
- ``sleep``: write ``$STANDIN_RECORD.ready``, sleep with every signal at its default action;
- ``kill:N``: kill itself with signal N.
"""

from __future__ import annotations

import sys
from pathlib import Path

SOURCE = r"""
import json, os, signal, sys, time
from pathlib import Path

record = {"argv": sys.argv[1:], "env": dict(os.environ), "pid": os.getpid(),
          "ppid": os.getppid(), "pgrp": os.getpgrp()}
if "--settings" in sys.argv:
    value = sys.argv[sys.argv.index("--settings") + 1]
    if not value.startswith("{") and os.path.exists(value):
        record["settings_file"] = {"path": value, "mode": os.stat(value).st_mode & 0o777,
                                   "content": json.loads(Path(value).read_text())}
out = Path(os.environ["STANDIN_RECORD"])
out.write_text(json.dumps(record))
mode = os.environ.get("STANDIN_MODE", "exit:0")
if mode == "wait":
    def on_int(signum, frame):
        out.with_suffix(".sigint").write_text("1")
        sys.exit(42)
    signal.signal(signal.SIGINT, on_int)
    out.with_suffix(".ready").write_text("1")
    deadline = time.time() + 60
    while time.time() < deadline:
        time.sleep(0.05)
    sys.exit(3)
if mode == "sleep":
    out.with_suffix(".ready").write_text("1")
    time.sleep(60)
    sys.exit(3)
if mode.startswith("kill:"):
    os.kill(os.getpid(), int(mode.split(":")[1]))
    time.sleep(5)
sys.exit(int(mode.split(":")[1]))
"""


def install(folder: Path) -> Path:
    path = folder / "claude"
    path.write_text(f"#!{sys.executable}\n{SOURCE}")
    path.chmod(0o755)
    return path
