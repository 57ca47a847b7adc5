"""What an upstream transport must do: the one contract between the forwarder and a client library.

A transport carries the gateway leg of one proxy session. It is built once (inside the server's
event loop, by the app's lifespan) and must:

1. **send** an :class:`UpstreamRequest` exactly as given (method, the already-encoded target,
   headers in order, the body) over HTTP/1.1, through ``forward_proxy`` when one is set (CONNECT
   for https, absolute-form for http), verifying TLS with the given context, following no
   redirect, keeping no cookie, adding no header of its own; and answer with an
   :class:`UpstreamResponse` as soon as the status line and headers have arrived.
2. **pool** connections (keep-alive) unless told ``fresh=True``, which uses a new connection
   that is not kept. A reused connection that turns out dead before any byte of answer (the
   gateway closed it on its keep-alive timer) raises :class:`StaleConnection`: the gateway never
   saw the request, so the forwarder resends it once with ``fresh=True``.
3. **relay** the body raw (``content-encoding`` untouched), calling ``write`` with everything that
   arrived in one read, never waiting for more before handing over what it has, and stop reading
   from the network while ``write`` is slow (back-pressure). No read timeout: a live stream may be
   silent for minutes.
4. **map its errors** in :meth:`Transport.errors`, one context manager the forwarder puts around
   ``send`` and ``relay`` (as httpx's ``map_httpcore_exceptions`` does): every exception of the
   library becomes an :class:`UpstreamError` with the original as ``__cause__``
   (ccwrap.net.failures explains it from that chain). Nothing above this package sees a library
   exception or asks which transport it has; exceptions raised by ``write`` (the client side) and
   cancellation pass through unmapped.
5. **release** a response in ``aclose``: back to the pool when read to the end, else closed.
"""

from __future__ import annotations

import abc
import contextlib
from collections.abc import Awaitable, Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field

Headers = list[tuple[bytes, bytes]]
# Set by a transport around one send: whatever opens a connection appends to it, so the transport
# tells a fresh connection from a reused one (both libraries connect in the sending task).
OPENED: ContextVar[list[str] | None] = ContextVar("ccwrap_proxy_opened", default=None)
Write = Callable[[bytes], Awaitable[None]]


class UpstreamError(Exception):
    """The upstream leg failed; ``__cause__`` is the library's exception."""


class StaleConnection(UpstreamError):
    """A reused connection was dead before any answer byte: resending is safe."""


class TooLarge(UpstreamError):
    """A body read whole was larger than the limit the caller set."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the answer was larger than {limit} bytes")
        self.limit = limit


@dataclass(frozen=True)
class UpstreamRequest:
    method: str
    origin: str  # scheme://host[:port], the profile's
    target: str  # path and query, already percent-encoded
    headers: Headers = field(default_factory=list)
    body: bytes = b""

    @property
    def url(self) -> str:
        return self.origin + self.target


class UpstreamResponse(abc.ABC):
    """Status and headers have arrived; the body has not been read."""

    status: int
    headers: Headers

    @abc.abstractmethod
    async def relay(self, write: Write) -> None:
        """Call ``write`` with the body's bytes as they arrive (see the module docstring, 3)."""

    @abc.abstractmethod
    async def aclose(self) -> None:
        """Release the connection: pooled again when the body was read to the end."""

    async def read(self, limit: int) -> bytes:
        """The whole body; :class:`TooLarge` (and the connection dropped) past ``limit`` bytes."""
        parts: list[bytes] = []
        size = 0

        async def collect(chunk: bytes) -> None:
            nonlocal size
            size += len(chunk)
            if size > limit:
                raise TooLarge(limit)
            parts.append(chunk)

        await self.relay(collect)
        return b"".join(parts)


class Transport(abc.ABC):
    """One session's gateway leg (see the module docstring for the contract)."""

    @abc.abstractmethod
    async def send(self, request: UpstreamRequest, *, fresh: bool = False) -> UpstreamResponse:
        """Send the request, return once the status line and headers are in."""

    @abc.abstractmethod
    def errors(self) -> contextlib.AbstractContextManager[None]:
        """Map the library's exceptions to :class:`UpstreamError` inside the block."""

    @abc.abstractmethod
    async def aclose(self) -> None:
        """Close every pooled connection."""


@contextlib.contextmanager
def mapping(library_errors: tuple[type[BaseException], ...]) -> Iterator[None]:
    """The usual :meth:`Transport.errors`: ``library_errors`` → UpstreamError, cause kept."""
    try:
        yield
    except UpstreamError:
        raise
    except library_errors as exc:
        raise UpstreamError(str(exc) or type(exc).__name__) from exc
