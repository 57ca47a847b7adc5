"""``ccwrap capture export`` (tier 4): one self-contained, escaped HTML file, opened in headless
Chromium when it is installed (Debian's ``chromium``; scripts/test installs it)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from ccwrap.capture import store
from ccwrap.context import Context
from tests.conftest import require

HOSTILE = '<script>document.title="owned"</script><img src="http://198.51.100.1/x.png">'
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def capture() -> dict[str, Any]:
    record = {
        "version": store.VERSION,
        "id": store.new_id(),
        "time": "2026-01-01T00:00:00Z",
        "profile": "work",
        "model": "claude-sonnet-4-5",
        "request": {
            "method": "POST",
            "path": "/v1/messages",
            "target": "/v1/messages?beta=true",
            "query": "beta=true",
            "headers": [["authorization", store.REDACTED], ["x-team", HOSTILE]],
            "body": {
                "text": '{"messages": [{"role": "user", "content": "hi\\u001b[2J"}]}',
                "bytes": 55,
                "truncated": False,
            },
        },
        "response": {
            "status": 200,
            "headers": [["content-type", "text/event-stream"]],
            "body": {"text": "event: ping\n\n", "bytes": 13, "truncated": False},
            "message": {"content": [{"type": "text", "text": HOSTILE}]},
            "usage": {"input_tokens": 3, "output_tokens": 1},
        },
    }
    store.write(Context.from_os().paths, record)
    return record


def export(capture_id: str, target: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ccwrap", "capture", "export", capture_id, "-o", str(target)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_export_is_escaped_and_self_contained(tmp_path: Path) -> None:
    record = capture()
    target = tmp_path / "out.html"
    done = export(record["id"], target)
    assert done.returncode == 0, done.stderr
    page = target.read_text()
    assert target.stat().st_mode & 0o777 == 0o600
    assert "<script" not in page and "<img" not in page
    assert "&lt;script&gt;" in page
    assert "\x1b" not in page
    assert "default-src 'none'" in page
    # Nothing to load: no attribute that fetches (the hostile src= is text).
    assert ' src="' not in page and "<link" not in page and " href=" not in page


def test_export_opens_in_headless_chromium(tmp_path: Path) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    require(chromium is not None, "chromium is not installed (scripts/test installs it)")
    assert chromium is not None
    record = capture()
    target = tmp_path / "out.html"
    assert export(record["id"], target).returncode == 0
    dom = subprocess.run(
        [
            chromium,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={tmp_path / 'profile'}",
            "--dump-dom",
            target.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    assert f"ccwrap capture {record['id']}" in dom
    assert "owned" not in dom.split("<title>", 1)[1].split("</title>", 1)[0]
    assert "&lt;script&gt;" in dom  # shown as text, never run
    assert '"output_tokens": 1' in dom
