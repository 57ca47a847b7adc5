"""An upstream failure as the Anthropic-shaped error Claude Code shows to its user (pure).

Why it failed comes from the one table in ccwrap.net.failures (doctor's net.* findings use it too);
a timeout is a 504, anything else a 502.
"""

from __future__ import annotations

import json

from ccwrap.net.failures import explain as explain_failure

BAD_GATEWAY = 502
GATEWAY_TIMEOUT = 504


def error_body(kind: str, message: str) -> bytes:
    return json.dumps({"type": "error", "error": {"type": kind, "message": message}}).encode()


def explain(exc: BaseException, connect_timeout: float) -> tuple[int, str]:
    """(status, why) for an exception raised before the answer was complete."""
    failure = explain_failure(exc, connect_timeout)
    return (GATEWAY_TIMEOUT if failure.is_timeout else BAD_GATEWAY), failure.sentence


def upstream_error(exc: BaseException, upstream: str, connect_timeout: float) -> tuple[int, bytes]:
    status, why = explain(exc, connect_timeout)
    return status, failed(upstream, why)


def failed(upstream: str, why: str) -> bytes:
    return error_body("api_error", f"ccwrap proxy: upstream {upstream} failed: {why}")
