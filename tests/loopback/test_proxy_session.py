"""``run --proxy``'s start-up checks (proxy/session.py), without claude."""

from __future__ import annotations

import pytest

from ccwrap.errors import ExitCode, ProxyError
from ccwrap.proxy.config import ProxyConfig
from ccwrap.proxy.server import start_background
from ccwrap.proxy.session import check_startable, report_failed_start

BAD_KEY = "sk-\u043a\u043b\u044e\u0447-0123456789"


def test_a_key_no_header_can_carry_is_refused_before_anything_starts() -> None:
    with pytest.raises(ProxyError) as raised:
        check_startable(ProxyConfig(upstream="https://gw.example", key=BAD_KEY), "work")
    assert raised.value.exit_code == ExitCode.PROXY
    assert BAD_KEY not in raised.value.message + str(raised.value.hint)


def test_a_secret_header_no_header_can_carry_is_refused() -> None:
    config = ProxyConfig(upstream="https://gw.example", key="k", secret_headers={"X-Sig": "\u20ac"})
    with pytest.raises(ProxyError, match="cannot carry"):
        check_startable(config, "work")


def test_a_start_that_fails_anyway_is_reported(capsys: pytest.CaptureFixture[str]) -> None:
    # Skip the check on purpose: the proxy thread fails the way check_startable prevents.
    handle = start_background(ProxyConfig(upstream="https://gw.example", key=BAD_KEY), wait=False)
    try:
        with pytest.raises(ProxyError):
            handle.wait_ready()
        report_failed_start(handle)
    finally:
        handle.close()
    err = capsys.readouterr().err
    assert "ccwrap: error: the proxy could not start" in err
    assert BAD_KEY not in err


def test_a_proxy_that_serves_is_not_reported(capsys: pytest.CaptureFixture[str]) -> None:
    handle = start_background(ProxyConfig(upstream="https://gw.example", key="k"), wait=True)
    try:
        report_failed_start(handle)
    finally:
        handle.close()
    assert capsys.readouterr().err == ""


def test_a_proxy_still_starting_is_not_reported(capsys: pytest.CaptureFixture[str]) -> None:
    handle = start_background(ProxyConfig(upstream="https://gw.example", key="k"), wait=False)
    try:
        report_failed_start(handle)  # at once: uvicorn is still importing or starting
    finally:
        handle.close()
    assert capsys.readouterr().err == ""
