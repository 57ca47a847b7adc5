"""The one TLS trust store of ccwrap's own HTTPS connections (doctor, setup's check, the proxy).

Claude Code's runtime trusts its bundled Mozilla roots plus the PEM file named by
``NODE_EXTRA_CA_CERTS``; ccwrap trusts the same roots (certifi's copy, else the system's store when
certifi is not installed), the file named by ``NODE_EXTRA_CA_CERTS``, and the one named by
``SSL_CERT_FILE`` (the usual variable for Python and OpenSSL tools). So a private CA given to
Claude Code works for ``doctor`` and ``run --proxy`` alike. The environment is injected.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping

EXTRA_CA_VARIABLES = ("NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE")


def trust_store(environ: Mapping[str, str]) -> ssl.SSLContext:
    """A client context that verifies hosts against the roots above (~40 ms to load: call once)."""
    context = ssl.create_default_context(cafile=_bundled_roots())
    for variable in EXTRA_CA_VARIABLES:
        if path := environ.get(variable):
            try:
                context.load_verify_locations(cafile=path)
            except (OSError, ssl.SSLError, ValueError):
                # A missing or broken file: the gateway's certificate then fails, and that
                # failure (doctor's net.tls, the proxy's 502) names the fix.
                continue
    return context


def _bundled_roots() -> str | None:
    try:
        import certifi
    except ImportError:  # the system's default store (create_default_context's own)
        return None
    path: str = certifi.where()
    return path
