"""A real Secret Service (tier 6): gnome-keyring under dbus-run-session, in a temporary HOME.

Each test runs a small shell script inside its own ``dbus-run-session``, so the machine's login
keyring is never touched. ``PYTHON_KEYRING_BACKEND`` is removed from the children's environment:
keyring (and ccwrap's direct Secret Service read) must resolve the backend as on a real desktop.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import have, require

pytestmark = pytest.mark.secret_service
KEY = "sk-secret-service-0123456789"
PY = shlex.quote(sys.executable)
TIMEOUT = 60
LOCK_COLLECTION = (
    "import secretstorage; c = secretstorage.dbus_init(); "
    "col = secretstorage.get_default_collection(c); col.lock(); assert col.is_locked()"
)


@pytest.fixture
def session_env(tmp_path: Path) -> dict[str, str]:
    require(
        have("dbus-run-session") and have("gnome-keyring-daemon"),
        "dbus-run-session or gnome-keyring-daemon is missing (Debian: dbus, gnome-keyring)",
    )
    env = dict(os.environ)
    env.pop("PYTHON_KEYRING_BACKEND", None)
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    home = Path(env["HOME"])
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    env.update(
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_RUNTIME_DIR=str(runtime),
        CCWRAP_KEYRING_TIMEOUT="2",
    )
    return env


def in_session(env: dict[str, str], script: str) -> subprocess.CompletedProcess[str]:
    """Run ``script`` under a fresh D-Bus session with an unlocked gnome-keyring."""
    body = (
        "echo -n pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null || exit 99\n"
        + script
    )
    return subprocess.run(
        ["dbus-run-session", "--", "sh", "-c", body],
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


SETUP = f"printf %s {KEY} | {PY} -m ccwrap setup work --url https://gw.example.com --key-stdin --yes --no-check >/dev/null 2>&1 || exit 98\n"  # noqa: E501


def test_key_round_trips_through_the_secret_service(session_env: dict[str, str]) -> None:
    script = SETUP + f"{PY} -m ccwrap key work\n"
    done = in_session(session_env, script)
    assert done.returncode == 0, done.stderr
    assert done.stdout == KEY


def test_direct_read_and_keyring_agree(session_env: dict[str, str]) -> None:
    """ccwrap's direct Secret Service read finds what keyring's own backend stored, and back."""
    keyring_backend = "PYTHON_KEYRING_BACKEND=keyring.backends.SecretService.Keyring"
    script = (
        f"printf %s {KEY} | {keyring_backend} {PY} -m ccwrap setup work "
        "--url https://gw.example.com --key-stdin --yes --no-check >/dev/null 2>&1 || exit 98\n"
        f"{PY} -m ccwrap key work; echo\n"
        f"{keyring_backend} {PY} -m ccwrap key work; echo\n"
    )
    if have("secret-tool"):
        script += "secret-tool lookup service ccwrap username work; echo\n"
    done = in_session(session_env, script)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines and all(line == KEY for line in lines)


def test_remove_deletes_the_key_from_the_secret_service(session_env: dict[str, str]) -> None:
    script = (
        SETUP
        + f"{PY} -m ccwrap profile remove work --yes\n"
        + f"{PY} -c \"import keyring; print(keyring.get_password('ccwrap', 'work'))\"\n"
    )
    done = in_session(session_env, script)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "None"


@pytest.mark.parametrize("backend", ["direct", "keyring"])
def test_locked_keyring_is_a_clean_error(session_env: dict[str, str], backend: str) -> None:
    prefix = "PYTHON_KEYRING_BACKEND=keyring.backends.SecretService.Keyring " * (
        backend == "keyring"
    )
    script = (
        SETUP + f'{PY} -c "{LOCK_COLLECTION}" || exit 97\n' + f"{prefix}{PY} -m ccwrap key work\n"
    )
    started = time.monotonic()
    done = in_session(session_env, script)
    assert done.returncode == 4, (done.stdout, done.stderr)
    assert done.stdout == ""
    assert "ccwrap: error:" in done.stderr
    # Locked, or (if the unlock prompt hangs somewhere) the timeout; both name the alternatives.
    assert "locked" in done.stderr or "did not answer" in done.stderr
    assert "hint:" in done.stderr and "--key-source env:VAR" in done.stderr
    assert "Traceback" not in done.stderr
    assert time.monotonic() - started < TIMEOUT / 2


def test_no_keyring_at_all_is_a_clean_error(session_env: dict[str, str]) -> None:
    """No D-Bus session: keyring's real backend resolution finds nothing usable."""
    started = time.monotonic()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "ccwrap",
            "setup",
            "work",
            "--url",
            "https://gw.example.com",
            "--key-stdin",
            "--yes",
            "--no-check",
        ],
        input=KEY,
        env=session_env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert done.returncode == 4, done.stderr
    assert "no OS keyring is available" in done.stderr
    assert "--insecure-storage" in done.stderr
    assert "Traceback" not in done.stderr
    assert KEY not in done.stderr
    assert time.monotonic() - started < TIMEOUT / 2


def test_reading_takes_the_direct_path_without_importing_keyring(
    session_env: dict[str, str],
) -> None:
    probe = (
        "import sys\n"
        "from ccwrap.cli.app import main\n"
        "try:\n"
        "    main(['key', 'work'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "sys.stderr.write('keyring loaded: %s' % ('keyring' in sys.modules))\n"
    )
    script = SETUP + f"{PY} -c {shlex.quote(probe)}\n"
    done = in_session(session_env, script)
    assert done.returncode == 0, done.stderr
    assert done.stdout == KEY
    assert "keyring loaded: False" in done.stderr
