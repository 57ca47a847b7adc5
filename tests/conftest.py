"""Every test runs in a world of its own: temporary HOME and CCWRAP_HOME, a scrubbed environment,
and keyring's ``fail`` backend, so a forgotten injection fails loudly instead of touching the
machine's real keychain, ~/.claude or rc files."""

from __future__ import annotations

import io
import os
import shutil
import signal
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import keyring
import pytest
from hypothesis import settings
from keyring.backends import fail

from tests.support.gateway import TestGateway
from tests.support.keyrings import MemoryKeyring
from tests.support.tiers import TIERS, tier_of, tier_problem

REPO = Path(__file__).resolve().parent.parent
SCRUBBED_PREFIXES = ("ANTHROPIC_", "CLAUDE_", "CCWRAP_", "ENABLE_PROMPT_CACHING", "API_TIMEOUT")
SCRUBBED = {
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "no_proxy",
    "DISABLE_PROMPT_CACHING",
    "NODE_EXTRA_CA_CERTS",
    "XDG_CONFIG_HOME",
    "XDG_STATE_HOME",
    "XDG_DATA_HOME",
    "ZDOTDIR",
    "DBUS_SESSION_BUS_ADDRESS",
}


def _restore_sigint() -> None:
    # A shell starts a background job (`scripts/test &`, some CI runners) with SIGINT ignored, and
    # an ignored signal stays ignored across exec: every claude, ccwrap and shell a test spawns
    # would then shrug off Ctrl-C. Tests that press Ctrl-C need the default, as in a terminal.
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


_restore_sigint()


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


# Hypothesis: under CI no per-example deadline (a shared runner stalls) and no example database; a
# test that sets its own max_examples keeps it (the settings round trip spreads its 5,000 over
# several tests so none nears the 120 s timeout). Locally, fewer examples for the default.
settings.register_profile("ci", deadline=None, max_examples=200, database=None, print_blob=True)
settings.register_profile("dev", max_examples=50)
settings.load_profile("ci" if in_ci() else "dev")

TESTS = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The folder is the tier: add its markers, refuse a test whose own markers disagree."""
    problems: set[str] = set()
    for item in items:
        parts = item.path.resolve().relative_to(TESTS).parts
        problem = tier_problem(parts, (mark.name for mark in item.iter_markers()))
        if problem:
            problems.add(problem)
            continue
        tier = tier_of(parts)
        assert tier is not None
        for name in TIERS[tier]:
            item.add_marker(name)
    if problems:
        raise pytest.UsageError("tests in the wrong tier:\n  " + "\n  ".join(sorted(problems)))


def require(available: bool, reason: str) -> None:
    """Skip a tier whose real part is missing; under CI=true that is a failure instead."""
    if available:
        return
    if in_ci():
        pytest.fail(f"required under CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    for name in list(os.environ):
        if name.startswith(SCRUBBED_PREFIXES) or name in SCRUBBED:
            monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    work = tmp_path / "work"
    home.mkdir()
    work.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("CCWRAP_HOME", str(tmp_path / "ccwrap-home"))
    # Never read the machine's /etc/claude-code/managed-settings.json.
    monkeypatch.setenv("CCWRAP_MANAGED_SETTINGS", str(tmp_path / "managed-settings.json"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.chdir(work)
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield home
    keyring.set_keyring(previous)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    backend = MemoryKeyring()
    MemoryKeyring.store.clear()
    keyring.set_keyring(backend)
    yield backend
    MemoryKeyring.store.clear()


@pytest.fixture
def file_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A keyring shared with subprocesses (``python -m ccwrap``) through a file."""
    path = tmp_path / "test-keyring.json"
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "tests.support.keyrings.FileKeyring")
    monkeypatch.setenv("CCWRAP_TEST_KEYRING_FILE", str(path))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    from tests.support.keyrings import FileKeyring

    keyring.set_keyring(FileKeyring())
    return path


@pytest.fixture
def gateway() -> Iterator[TestGateway]:
    with TestGateway() as server:
        yield server


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


CliRunner = Callable[..., CliResult]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """Run ccwrap in-process through its real entry point (error boundary included)."""
    from ccwrap.cli.app import main

    def run(*args: str, input: str | None = None) -> CliResult:
        capsys.readouterr()
        monkeypatch.setattr(sys, "stdin", io.StringIO(input or ""))
        with pytest.raises(SystemExit) as exited:
            main(list(args))
        out = capsys.readouterr()
        code = exited.value.code
        return CliResult(code if isinstance(code, int) else 1, out.out, out.err)

    return run


def claude_binary() -> Path | None:
    """The pinned real claude that scripts/test installs into .cache/."""
    from tests.support.claude_pin import pinned_claude

    return pinned_claude()


@pytest.fixture
def real_claude() -> Path:
    path = claude_binary()
    require(path is not None, "the pinned claude is not installed (run scripts/test)")
    assert path is not None
    return path


def have(command: str) -> bool:
    return shutil.which(command) is not None
