"""An upstream failure as the Anthropic-shaped error Claude Code shows to its user (pure).

Explained from the cause chain (style.md #4): httpx wraps httpcore's exception, which wraps the
``OSError`` or ``ssl.SSLError`` that says what really happened.
"""

from __future__ import annotations

import json
import socket
import ssl
from collections.abc import Iterator

BAD_GATEWAY = 502
GATEWAY_TIMEOUT = 504


def error_body(kind: str, message: str) -> bytes:
    return json.dumps({"type": "error", "error": {"type": kind, "message": message}}).encode()


def causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def explain(exc: BaseException, connect_timeout: float) -> tuple[int, str]:
    """(status, why) for an exception raised before any response byte arrived."""
    names = {type(e).__name__ for e in causes(exc)}
    for cause in causes(exc):
        if isinstance(cause, ssl.SSLCertVerificationError):
            detail = getattr(cause, "verify_message", None) or cause
            return BAD_GATEWAY, f"TLS certificate not accepted ({detail})"
        if isinstance(cause, ssl.SSLError):
            return BAD_GATEWAY, f"TLS handshake failed ({getattr(cause, 'reason', None) or cause})"
        if isinstance(cause, socket.gaierror):
            return BAD_GATEWAY, "host name not found (DNS)"
        if isinstance(cause, ConnectionRefusedError):
            return BAD_GATEWAY, "connection refused (nothing listens there)"
        if isinstance(cause, ConnectionResetError):
            return BAD_GATEWAY, "connection reset by the upstream"
        if isinstance(cause, BrokenPipeError):
            return BAD_GATEWAY, "the upstream closed the connection while the request was sent"
    if "ConnectTimeout" in names:
        return GATEWAY_TIMEOUT, f"no connection within {connect_timeout:g} s"
    if "PoolTimeout" in names or "WriteTimeout" in names or "ReadTimeout" in names:
        return GATEWAY_TIMEOUT, "timed out"
    if "RemoteProtocolError" in names:
        return BAD_GATEWAY, f"the upstream closed the connection without an answer ({exc})"
    text = str(exc) or type(exc).__name__
    return BAD_GATEWAY, text


def upstream_error(exc: BaseException, upstream: str, connect_timeout: float) -> tuple[int, bytes]:
    status, why = explain(exc, connect_timeout)
    return status, error_body("api_error", f"ccwrap proxy: upstream {upstream} failed: {why}")
