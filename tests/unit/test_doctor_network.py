"""Network failures explained from the cause chain: each explanation with a synthetic exception
shaped like what httpx raises (httpx ← httpcore ← OSError/ssl error)."""

from __future__ import annotations

import asyncio
import builtins
import errno
import itertools
import socket
import ssl
from typing import Any

import httpcore
import httpx
import pytest

from ccwrap.doctor import probes
from ccwrap.doctor.model import Check
from ccwrap.doctor.probes import ProbeTarget, causes, network_finding

URL = "https://gw.example.test:8443"


def chained(*excs: BaseException) -> BaseException:
    """``excs[0]`` raised from ``excs[1]`` raised from …, as httpx does it."""
    for outer, inner in itertools.pairwise(excs):
        outer.__cause__ = inner
    return excs[0]


def httpx_connect(inner: BaseException) -> BaseException:
    return chained(
        httpx.ConnectError("All connection attempts failed"),
        httpcore.ConnectError(str(inner)),
        inner,
    )


def test_dns() -> None:
    gai = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    finding = network_finding(httpx_connect(gai), URL, 10)
    assert finding.id == "net.dns"
    assert "gw.example.test" in finding.detail and "FailedToOpenSocket" in finding.detail


def test_dns_from_message_only() -> None:
    # Some transports flatten the cause into a message.
    exc = httpx.ConnectError("[Errno -2] Name or service not known")
    assert network_finding(exc, URL, 10).id == "net.dns"


def test_refused_through_anyio_wrapper() -> None:
    # anyio: OSError("All connection attempts failed") from ConnectionRefusedError (measured).
    refused = ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed")
    finding = network_finding(
        httpx_connect(chained(OSError("All attempts failed"), refused)), URL, 10
    )
    assert finding.id == "net.refused" and "gw.example.test:8443" in finding.detail


def test_refused_inside_an_exception_group() -> None:
    group_type: Any = getattr(builtins, "BaseExceptionGroup", None)
    if group_type is None:  # Python 3.10: anyio's backport
        import exceptiongroup  # type: ignore[import-not-found,unused-ignore]

        group_type = exceptiongroup.BaseExceptionGroup
    group = group_type("connect", [ConnectionRefusedError(errno.ECONNREFUSED, "refused")])
    assert network_finding(httpx_connect(group), URL, 10).id == "net.refused"


def test_unreachable_network() -> None:
    exc = httpx_connect(OSError(errno.ENETUNREACH, "Network is unreachable"))
    finding = network_finding(exc, URL, 10)
    assert finding.id == "net.refused" and "unreachable" in finding.detail


def test_tls_untrusted_certificate_names_the_problem_and_both_fixes() -> None:
    error = ssl.SSLCertVerificationError(
        1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"
    )
    error.verify_message = "self-signed certificate"
    finding = network_finding(httpx_connect(error), URL, 10)
    assert finding.id == "net.tls"
    assert "self-signed certificate" in finding.detail
    assert "NODE_EXTRA_CA_CERTS" in finding.fix and "SSL_CERT_FILE" in finding.fix


def test_tls_on_a_plain_http_port() -> None:
    error = ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number")
    error.reason = "WRONG_VERSION_NUMBER"
    finding = network_finding(httpx_connect(error), URL, 10)
    assert finding.id == "net.tls" and "http://" in finding.fix


@pytest.mark.parametrize(
    "exc",
    [
        httpx.ReadTimeout("timed out"),
        httpx.ConnectTimeout("timed out"),
        chained(httpx.ConnectError("x"), TimeoutError()),
        asyncio.TimeoutError(),
    ],
    ids=["read", "connect", "oserror-timeout", "asyncio"],
)
def test_timeout(exc: BaseException) -> None:
    finding = network_finding(exc, URL, 2.5)
    assert finding.id == "net.timeout" and "2.5 s" in finding.detail


def test_closed_without_answer() -> None:
    exc = httpx.RemoteProtocolError("Server disconnected without sending a response.")
    assert network_finding(exc, URL, 10).id == "gateway.error"


@pytest.mark.parametrize(
    "exc",
    [
        chained(httpx.ReadError("reset"), ConnectionResetError(errno.ECONNRESET, "reset")),
        httpx.WriteError("[Errno 32] Broken pipe"),
        chained(httpx.ConnectError("x"), ConnectionResetError(errno.ECONNRESET, "reset")),
    ],
    ids=["read-reset", "write", "reset-during-connect"],
)
def test_reset_after_connecting_is_not_refused(exc: BaseException) -> None:
    # What plain http to a TLS port gives about one time in ten instead of a protocol error.
    finding = network_finding(exc, URL, 10)
    assert finding.id == "gateway.error"
    assert "scheme (http vs https)" in finding.fix


def test_ssl_error_carried_as_an_argument() -> None:
    # measured: httpcore.ConnectError(SSLError(...)) with no __cause__
    error = ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number")
    error.reason = "WRONG_VERSION_NUMBER"
    exc = httpx.ConnectError(str(error))
    exc.__context__ = httpcore.ConnectError(error)
    exc.__suppress_context__ = False
    assert network_finding(exc, URL, 10).id == "net.tls"


def test_causes_walks_context_and_stops_on_cycles() -> None:
    inner = ValueError("inner")
    outer = RuntimeError("outer")
    outer.__context__ = inner
    inner.__context__ = outer  # a cycle must not hang
    assert list(causes(outer)) == [outer, inner]


def test_dns_through_an_injected_transport() -> None:
    """The whole probe run with a transport that fails as a resolver would: no real DNS."""

    def fail(request: httpx.Request) -> httpx.Response:
        gai = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        raise httpx.ConnectError("name resolution failed", request=request) from gai

    async def run() -> list[Check]:
        target = ProbeTarget("https://no-such-gateway.example.test", "bearer", "sk-x")
        async with probes.make_client({}, 5, httpx.MockTransport(fail)) as client:
            return await probes.probe(target, client, 5)

    checks = {c.id: c for c in asyncio.run(run())}
    assert checks["net.dns"].status == "fail"
    assert "no-such-gateway.example.test" in checks["net.dns"].detail
    assert checks["gateway.path"].status == "skip"


@pytest.mark.parametrize(
    ("url", "environ", "expected"),
    [
        ("https://gw.example.test", {"HTTPS_PROXY": "http://p:3128"}, "http://p:3128"),
        ("http://gw.example.test", {"HTTPS_PROXY": "http://p:3128"}, None),
        ("http://gw.example.test", {"http_proxy": "http://p:3128"}, "http://p:3128"),
        ("https://api.gw.example.test", {"HTTPS_PROXY": "x", "NO_PROXY": ".example.test"}, None),
        ("https://127.0.0.1:8080", {"HTTPS_PROXY": "http://p:3128"}, None),
    ],
)
def test_proxy_like_the_client(url: str, environ: dict[str, str], expected: str | None) -> None:
    assert probes.proxy_for(url, environ) == expected
