"""Cross-check with the real client (tier 5): for each failure the test gateway can produce, the
message the pinned claude prints, fed to ``doctor --explain``, names a finding that ``doctor``
reports against the same gateway. When a new client changes its message, the failure says how."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ccwrap.doctor.explain import explain
from tests.conftest import CliRunner
from tests.support import doctor_modes
from tests.support.gateway import TestGateway

pytestmark = pytest.mark.claude

KEY = "sk-test-0123456789abcdef"


@dataclass
class Case:
    name: str
    # a test-gateway mode, or one of "refused", "blackhole", "tls", "tls-as-http"
    mode: str
    suffix: str = ""
    credential: str = "ANTHROPIC_AUTH_TOKEN"
    # The gateway demands another key: its 401 says "invalid x-api-key", Anthropic's own words.
    demands_other_key: bool = False
    # What claude 2.1.197 printed (measured); a different text fails with both shown.
    printed: str = ""
    # The text names several possible causes; doctor's finding must be one of them.
    ambiguous: bool = False
    extra_env: dict[str, str] = field(default_factory=dict)


CASES = [
    Case("404-v1-suffix", "ok", "/v1", printed=r"There's an issue with the selected model"),
    Case("401-bearer", "401", printed=r"Failed to authenticate\. API Error: 401 invalid api key"),
    # Anthropic's own 401 text turns into the client's login messages (misleading for gateways).
    Case("401-not-logged-in", "ok", demands_other_key=True, printed=r"Not logged in · Please run"),
    Case(
        "401-invalid-api-key",
        "ok",
        credential="ANTHROPIC_API_KEY",
        demands_other_key=True,
        printed=r"Invalid API key · Fix external API key",
    ),
    Case("403", "doctor-403", printed=r"Failed to authenticate\. API Error: 403 "),
    Case("400", "doctor-400", printed=r"API Error: 400 context_management: Extra inputs"),
    Case("402", "doctor-402", printed=r"API Error: 402 Insufficient balance"),
    Case("429", "doctor-429", printed=r"API Error: Request rejected \(429\) · rate limit exceeded"),
    Case("500", "500", printed=r"API Error: 500 upstream exploded\. This is a server-side issue"),
    Case(
        "refused", "refused", printed=r"API Error: Unable to connect to API \(ConnectionRefused\)"
    ),
    Case(
        "timeout",
        "blackhole",
        printed=r"Request timed out",
        extra_env={"API_TIMEOUT_MS": "2000"},
    ),
    Case("tls-untrusted", "tls", printed=r"SSL certificate verification failed"),
    Case("http-to-tls-port", "tls-as-http", printed=r"Unable to connect to API \(ECONNRESET\)"),
    Case("html", "doctor-html", printed=r"Failed to authenticate\. API Error: Attention Required"),
    Case("quota-403", "doctor-quota-403", printed=r"API Error: 403 用户额度不足"),
    Case("no-channel", "doctor-no-channel", printed=r"API Error: 503 No available channel"),
    Case(
        "openai-endpoint",
        "doctor-openai",
        printed=r"There's an issue with the selected model",
        ambiguous=True,
    ),
]


@contextmanager
def base_url(case: Case, folder: Path) -> Iterator[str]:
    if case.mode == "refused":
        yield doctor_modes.refused_url()
        return
    if case.mode == "blackhole":
        with doctor_modes.blackhole() as url:
            yield url
        return
    if case.mode.startswith("tls"):
        with doctor_modes.tls_gateway(folder) as (server, _):
            plain = case.mode == "tls-as-http"
            yield server.url.replace("https://", "http://") if plain else server.url
        return
    with TestGateway(
        mode=case.mode, key="sk-the-right-key" if case.demands_other_key else None
    ) as server:
        yield server.url + case.suffix


def claude_env(home: Path, url: str, case: Case) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "CLAUDE_CODE_MAX_RETRIES": "0",
        "DISABLE_AUTOUPDATER": "1",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "ANTHROPIC_BASE_URL": url,
        case.credential: KEY,
        **case.extra_env,
    }


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_explain_matches_doctor(
    case: Case,
    real_claude: Path,
    cli: CliRunner,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    home = tmp_path / "claude-home"
    home.mkdir()
    with base_url(case, tmp_path) as url:
        env = claude_env(home, url, case)
        done = subprocess.run(
            [str(real_claude), "-p", "ping"],
            env=env,
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
        )
        printed = (done.stdout + done.stderr).strip()
        assert done.returncode != 0, f"claude succeeded against {case.name}: {printed!r}"
        assert re.search(case.printed, printed), (
            f"the client's message for {case.name} changed: it now prints {printed!r}; "
            f"claude 2.1.197 printed /{case.printed}/"
        )
        # doctor against the same setup, as claude saw it (environment, no profile)
        for name, value in env.items():
            if name.startswith(("ANTHROPIC_", "CLAUDE_")):
                monkeypatch.setenv(name, value)
        monkeypatch.setenv("CCWRAP_CLAUDE", str(real_claude))
        result = cli("doctor", "--json", "--timeout", "2")
    explained = explain(printed)
    assert explained, f"--explain recognises nothing in the client's message {printed!r}"
    report = json.loads(result.stdout)
    failed = [c["id"] for c in report["checks"] if c["status"] == "fail"]
    assert result.exit_code == 1
    said = [f.id for f in explained] if case.ambiguous else [explained[0].id]
    assert set(said) & set(failed), (
        f"--explain {printed!r} says {said}; doctor against the gateway found {failed}"
    )
    via_cli = cli("doctor", "--explain", printed, "--json")
    assert json.loads(via_cli.stdout)["checks"][0]["id"] == explained[0].id
