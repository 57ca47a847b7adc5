"""ccwrap.net: the one loopback rule, the one proxy rule, the one failure table (pure)."""

from __future__ import annotations

import asyncio
import errno
import itertools
import socket
import ssl
from pathlib import Path

import pytest

from ccwrap.net.failures import Failure, causes, explain
from ccwrap.net.hosts import is_loopback
from ccwrap.net.proxies import proxy_for, without_credentials
from ccwrap.net.tls import trust_store


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("localhost", True),
        ("LOCALHOST.", True),
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("::1", True),
        ("[::1]", True),
        ("::ffff:127.0.0.1", True),
        ("app.localhost", False),  # resolver-dependent: not assumed to be this machine
        ("localhost.example.com", False),
        ("0.0.0.0", False),
        ("128.0.0.1", False),
        ("::2", False),
        ("", False),
    ],
)
def test_is_loopback(host: str, expected: bool) -> None:
    assert is_loopback(host) is expected


def test_every_caller_uses_the_one_rule() -> None:
    from ccwrap.claude import urls

    assert urls.is_loopback is is_loopback
    # The plain-http warning and the proxy rule agree on 127.0.0.0/8 (they used to differ).
    assert not urls.is_insecure("http://127.5.5.5:8080")
    assert proxy_for("https://127.5.5.5", {"HTTPS_PROXY": "http://p:3128"}) is None


@pytest.mark.parametrize(
    ("url", "environ", "expected"),
    [
        ("https://gw.example", {"HTTPS_PROXY": "http://p:3128"}, "http://p:3128"),
        ("https://gw.example", {"https_proxy": "http://p:3128"}, "http://p:3128"),
        ("http://gw.example", {"HTTPS_PROXY": "http://p:3128"}, None),
        ("http://gw.example", {"HTTP_PROXY": "http://p:3128"}, "http://p:3128"),
        ("https://gw.example", {"HTTPS_PROXY": "x", "NO_PROXY": "*"}, None),
        ("https://a.gw.example", {"HTTPS_PROXY": "x", "NO_PROXY": "gw.example"}, None),
        ("https://a.gw.example", {"HTTPS_PROXY": "x", "no_proxy": ".gw.example"}, None),
        ("https://a.gw.example", {"HTTPS_PROXY": "x", "NO_PROXY": "*.gw.example"}, None),
        ("https://notgw.example", {"HTTPS_PROXY": "x", "NO_PROXY": "gw.example"}, "x"),
        ("https://gw.example", {"HTTPS_PROXY": "x", "NO_PROXY": "gw.example:443"}, None),
        ("https://gw.example:8443", {"HTTPS_PROXY": "x", "NO_PROXY": "gw.example:443"}, "x"),
        ("https://[::1]:8443", {"HTTPS_PROXY": "x"}, None),
        ("https://localhost", {"HTTPS_PROXY": "x"}, None),
        ("https://gw.example", {}, None),
    ],
)
def test_proxy_for(url: str, environ: dict[str, str], expected: str | None) -> None:
    assert proxy_for(url, environ) == expected


def test_proxy_names_leave_credentials_out() -> None:
    assert without_credentials("http://user:pw@corp:3128") == "corp:3128"


# -- the failure table: one synthetic chain per kind --------------------------------------------
def chain(*excs: BaseException) -> BaseException:
    for outer, inner in itertools.pairwise(excs):
        outer.__cause__ = inner
    return excs[0]


class ConnectTimeout(Exception):  # named as httpx/httpcore name theirs
    pass


class ReadTimeout(Exception):
    pass


class RemoteProtocolError(Exception):
    pass


class ServerDisconnectedError(Exception):  # aiohttp's
    pass


def untrusted() -> ssl.SSLCertVerificationError:
    error = ssl.SSLCertVerificationError(1, "certificate verify failed")
    error.verify_message = "self-signed certificate"
    return error


def wrong_version() -> ssl.SSLError:
    error = ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number")
    error.reason = "WRONG_VERSION_NUMBER"
    return error


@pytest.mark.parametrize(
    ("exc", "kind", "words"),
    [
        (chain(RuntimeError("x"), ConnectTimeout("t")), "connect-timeout", "no connection"),
        (ReadTimeout("t"), "timeout", "timed out"),
        (asyncio.TimeoutError(), "timeout", "timed out"),
        (chain(RuntimeError("x"), untrusted()), "untrusted", "self-signed certificate"),
        (chain(RuntimeError("x"), wrong_version()), "not-tls", "does not speak TLS"),
        (ssl.SSLError(1, "handshake failure"), "tls", "TLS handshake failed"),
        (chain(RuntimeError("x"), socket.gaierror(-2, "Name or service not known")), "dns", "DNS"),
        (ConnectionRefusedError(errno.ECONNREFUSED, "refused"), "refused", "refused"),
        (OSError(errno.ECONNREFUSED, "Connect call failed"), "refused", "refused"),
        (OSError(errno.ENETUNREACH, "Network is unreachable"), "unreachable", "unreachable"),
        (ConnectionResetError(errno.ECONNRESET, "reset"), "reset", "reset"),
        (BrokenPipeError(errno.EPIPE, "pipe"), "reset", "reset"),
        (RuntimeError("[Errno -2] Name or service not known"), "dns", "DNS"),
        (RuntimeError("certificate verify failed: x"), "untrusted", "not accepted"),
        (RemoteProtocolError("Server disconnected"), "closed", "without an answer"),
        (ServerDisconnectedError("gone"), "closed", "without an answer"),
        (ValueError("strange"), "other", "ValueError: strange"),
    ],
)
def test_each_kind(exc: BaseException, kind: str, words: str) -> None:
    failure = explain(exc)
    assert failure.kind == kind
    assert words in failure.sentence


def test_connect_timeout_names_the_timeout() -> None:
    assert explain(ConnectTimeout(), 2.5).sentence == "no connection within 2.5 s"
    assert Failure("timeout", "").is_timeout and not Failure("dns", "").is_timeout


def test_causes_follow_groups_arguments_context_and_stop_on_cycles() -> None:
    inner = ConnectionRefusedError(errno.ECONNREFUSED, "refused")
    carrier = RuntimeError(inner)  # passed as an argument, as httpcore sometimes does
    outer = RuntimeError("outer")
    outer.__context__ = carrier
    carrier.__context__ = outer  # a cycle must not hang
    assert list(causes(outer)) == [outer, carrier, inner]
    assert explain(outer).kind == "refused"


def test_trust_store_adds_the_extra_ca_files(tmp_path: Path) -> None:
    import trustme

    ca = trustme.CA()
    pem = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(pem))
    plain = trust_store({})
    for variable in ("NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE"):
        extended = trust_store({variable: str(pem)})
        assert extended.cert_store_stats()["x509_ca"] == plain.cert_store_stats()["x509_ca"] + 1
    # A missing file is no crash: the certificate check then fails and names the fix.
    assert trust_store({"NODE_EXTRA_CA_CERTS": str(tmp_path / "missing.pem")})
