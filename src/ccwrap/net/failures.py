"""Why a connection failed, from an exception's cause chain (pure, stdlib only).

Every client library wraps the error that says what happened: httpx ← httpcore ← ``OSError`` or
``ssl.SSLError``; aiohttp's ``ClientConnectorError`` holds its ``OSError``; anyio raises groups.
:func:`explain` walks the chain (causes, contexts, group members, exceptions passed as arguments)
and answers with one :class:`Failure` from the table below, used by the proxy's 502/504 body and
by doctor's ``net.*``/``gateway.error`` findings. Library exceptions are recognised by class name
(anywhere in their MRO), so this module imports none of those libraries::

    kind             first cause in the chain that is …                     proxy  doctor
    timeout          TimeoutError, *Timeout*/TimeoutException (not connect)  504    net.timeout
    connect-timeout  ConnectTimeout, ConnectionTimeoutError                  504    net.timeout
    untrusted        ssl.SSLCertVerificationError                            502    net.tls
    not-tls          ssl.SSLError "wrong version number"/"record layer"      502    net.tls
    tls              any other ssl.SSLError                                  502    net.tls
    dns              socket.gaierror                                         502    net.dns
    refused          ConnectionRefusedError, errno ECONNREFUSED              502    net.refused
    unreachable      errno ENETUNREACH, EHOSTUNREACH                         502    net.refused
    reset            ConnectionResetError, BrokenPipeError, ECONNRESET/EPIPE 502    gateway.error
    (then, when no cause matched, the words of the whole chain: DNS, certificate, refused)
    closed           RemoteProtocolError, ServerDisconnectedError, Read/WriteError,
                     ClientPayloadError                                      502    gateway.error
    other            anything else                                           502    net.refused
"""

from __future__ import annotations

import asyncio
import errno
import socket
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

Kind = Literal[
    "timeout",
    "connect-timeout",
    "untrusted",
    "not-tls",
    "tls",
    "dns",
    "refused",
    "unreachable",
    "reset",
    "closed",
    "other",
]
TIMEOUTS = frozenset({"timeout", "connect-timeout"})

_CONNECT_TIMEOUT_NAMES = frozenset({"ConnectTimeout", "ConnectionTimeoutError"})
_TIMEOUT_NAMES = frozenset(
    {"TimeoutException", "ReadTimeout", "WriteTimeout", "PoolTimeout", "ServerTimeoutError"}
)
_CLOSED_NAMES = frozenset(
    {
        "RemoteProtocolError",
        "ServerDisconnectedError",
        "ReadError",
        "WriteError",
        "ClientPayloadError",
        "UpstreamClosed",
    }
)


@dataclass(frozen=True)
class Failure:
    """What went wrong, in words without a host name (callers add where)."""

    kind: Kind
    sentence: str
    # The most telling detail on its own (a verify message, a TLS reason, a resolver message).
    detail: str = ""

    @property
    def is_timeout(self) -> bool:
        return self.kind in TIMEOUTS


def causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception, then what caused it, breadth first: ``__cause__`` (or ``__context__`` unless
    suppressed), members of exception groups, exceptions passed as arguments. Cycles end."""
    seen: set[int] = set()
    pending = [exc]
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending.extend(getattr(current, "exceptions", ()) or ())
        # httpcore sometimes carries the original error as an argument, not as the cause.
        pending.extend(arg for arg in current.args if isinstance(arg, BaseException))
        nxt = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
        if nxt is not None:
            pending.append(nxt)


def explain(exc: BaseException, connect_timeout: float | None = None) -> Failure:
    """The first row of the table that matches ``exc``'s cause chain (``connect_timeout``, when
    given, is named in the connect-timeout sentence)."""
    chain = list(causes(exc))
    for cause in chain:
        if (failure := _from_cause(cause)) is not None:
            if failure.kind == "connect-timeout" and connect_timeout is not None:
                return Failure(failure.kind, f"no connection within {connect_timeout:g} s")
            return failure
    text = " ".join(str(cause) for cause in chain).lower()
    for words, failure in _WORDS:
        if any(w in text for w in words):
            return failure
    if any(_names(cause) & _CLOSED_NAMES for cause in chain):
        return Failure("closed", f"the connection was closed without an answer ({exc})", str(exc))
    text = str(exc) or type(exc).__name__
    return Failure("other", f"{type(exc).__name__}: {text}", text)


def _names(exc: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(exc).__mro__}


def _errno(exc: BaseException) -> int | None:
    return exc.errno if isinstance(exc, OSError) else None


def _from_cause(cause: BaseException) -> Failure | None:
    for matches, build in _TABLE:
        if matches(cause):
            return build(cause)
    return None


def _is_connect_timeout(cause: BaseException) -> bool:
    return bool(_names(cause) & _CONNECT_TIMEOUT_NAMES)


def _is_timeout(cause: BaseException) -> bool:
    return isinstance(cause, (TimeoutError, asyncio.TimeoutError)) or bool(
        _names(cause) & _TIMEOUT_NAMES
    )


def _untrusted(cause: BaseException) -> Failure:
    detail = getattr(cause, "verify_message", None) or getattr(cause, "reason", None) or str(cause)
    return Failure("untrusted", f"TLS certificate not accepted ({detail})", detail)


def _is_not_tls(cause: BaseException) -> bool:
    text = str(cause).lower()
    return isinstance(cause, ssl.SSLError) and (
        "wrong version number" in text or "record layer" in text
    )


def _tls(cause: BaseException) -> Failure:
    detail = str(getattr(cause, "reason", None) or cause)
    if _is_not_tls(cause):
        return Failure("not-tls", f"the port does not speak TLS ({detail})", detail)
    return Failure("tls", f"TLS handshake failed ({detail})", detail)


def _dns(cause: BaseException) -> Failure:
    detail = (cause.strerror if isinstance(cause, OSError) else None) or str(cause)
    return Failure("dns", f"host name not found (DNS: {detail})", detail)


_Row = tuple[Callable[[BaseException], bool], Callable[[BaseException], Failure]]
_TABLE: tuple[_Row, ...] = (
    (
        _is_connect_timeout,
        lambda c: Failure("connect-timeout", "no connection within the connect timeout"),
    ),
    (_is_timeout, lambda c: Failure("timeout", "timed out")),
    (lambda c: isinstance(c, ssl.SSLCertVerificationError), _untrusted),
    (lambda c: isinstance(c, ssl.SSLError), _tls),
    (lambda c: isinstance(c, socket.gaierror), _dns),
    (
        lambda c: isinstance(c, ConnectionRefusedError) or _errno(c) == errno.ECONNREFUSED,
        lambda c: Failure("refused", "connection refused (nothing listens there)", str(c)),
    ),
    (
        lambda c: _errno(c) in (errno.ENETUNREACH, errno.EHOSTUNREACH),
        lambda c: Failure("unreachable", f"unreachable from this machine ({c})", str(c)),
    ),
    (
        lambda c: (
            isinstance(c, (ConnectionResetError, BrokenPipeError))
            or _errno(c) in (errno.ECONNRESET, errno.EPIPE)
        ),
        lambda c: Failure("reset", "the connection was reset before an HTTP answer", str(c)),
    ),
)

_WORDS: tuple[tuple[tuple[str, ...], Failure], ...] = (
    (
        ("name or service not known", "nodename nor servname", "getaddrinfo"),
        Failure("dns", "host name not found (DNS: the name does not resolve)", "does not resolve"),
    ),
    (
        ("certificate verify failed",),
        Failure(
            "untrusted",
            "TLS certificate not accepted (certificate verify failed)",
            "certificate verify failed",
        ),
    ),
    (
        ("connection refused", "connect call failed"),
        Failure("refused", "connection refused (nothing listens there)"),
    ),
)
