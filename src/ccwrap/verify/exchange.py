"""One request to the gateway, read defensively: bounded in time and size, never raising.

Every request of a run goes through ``Session.send``: it counts the request and the usage the
gateway reports, and turns whatever happens (an HTML page, invalid JSON, a 5xx, a 429, a
connection closed mid-stream, a stream that never ends, an endless body) into an ``Exchange``
with a ``problem`` sentence instead of an exception. Only a cancellation (Ctrl-C) goes through.
"""

from __future__ import annotations

import asyncio
import time
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ccwrap.net import sse
from ccwrap.verify.model import Spend, Status
from ccwrap.verify.shape import MESSAGES_PATH, ClientShape

if TYPE_CHECKING:
    import httpx

    from ccwrap.verify.target import Target

# What is read of any one answer; more is cut off and said so.
MAX_BYTES = 2 * 1024 * 1024
# What is kept of a non-stream body for parsing and for the error sentence.
MAX_KEPT = 256 * 1024
MAX_CHUNK_TIMES = 20_000
# Only encodings decoded here with a bound on the output (no gzip bomb can fill memory).
ACCEPT_ENCODING = "gzip, deflate"


class Decoder:
    """A response body decoded chunk by chunk, never more than ``limit`` bytes at a time."""

    def __init__(self, encoding: str) -> None:
        name = encoding.strip().lower()
        self.inflate: Any = None
        if name in ("gzip", "x-gzip"):
            self.inflate = zlib.decompressobj(wbits=31)
        elif name == "deflate":
            self.inflate = zlib.decompressobj()
        elif name not in ("", "identity"):
            raise UnreadableEncoding(name)

    def feed(self, chunk: bytes, limit: int) -> bytes:
        if self.inflate is None:
            return chunk
        return bytes(self.inflate.decompress(chunk, max(1, limit)))


class UnreadableEncoding(Exception):
    pass


@dataclass(frozen=True)
class Problem:
    """Why an exchange gave no usable answer, in doctor's words where doctor has them."""

    detail: str
    fix: str = ""
    status: Status = "fail"  # a rate limit is "inconclusive": it says nothing about honesty
    finding: str = ""  # doctor's finding id, when one applies


@dataclass
class Exchange:
    label: str
    path: str
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""  # what was kept of a non-stream body
    streamed: bool = False  # the answer was text/event-stream
    message: dict[str, Any] | None = None
    events: list[str] = field(default_factory=list)
    delta_times: list[float] = field(default_factory=list)
    start_usage: dict[str, Any] = field(default_factory=dict)
    delta_usage: dict[str, Any] = field(default_factory=dict)
    chunk_times: list[float] = field(default_factory=list)
    ttfb: float | None = None
    elapsed: float = 0.0
    size: int = 0
    cut: bool = False
    problem: Problem | None = None

    @property
    def usage(self) -> dict[str, Any]:
        usage = (self.message or {}).get("usage")
        return usage if isinstance(usage, dict) else {}

    @property
    def answered(self) -> bool:
        """A message came back (the checks can look at it)."""
        return self.problem is None and self.message is not None

    @property
    def data(self) -> Any:
        """The non-stream body as JSON (None when it is not)."""
        return sse.loads(self.body) if self.body else None


@dataclass
class Session:
    """The HTTP client, the target and what the run has spent so far."""

    client: httpx.AsyncClient
    target: Target
    shape: ClientShape
    timeout: float
    spent: Spend = field(default_factory=Spend)
    log: list[Exchange] = field(default_factory=list)

    async def send(
        self,
        label: str,
        body: dict[str, Any] | None,
        *,
        path: str = MESSAGES_PATH,
        spends: bool = True,
        method: str = "POST",
    ) -> Exchange:
        exchange = Exchange(label, path)
        self.log.append(exchange)
        self.spent.requests += 1
        started = time.monotonic()
        try:
            # httpx bounds each phase; this bounds the whole answer (a stream that never ends).
            await asyncio.wait_for(self._fill(exchange, method, body, started), self.timeout)
        except (asyncio.TimeoutError, TimeoutError):
            exchange.problem = Problem(
                f"no complete answer within {self.timeout:g} s"
                + (f" ({exchange.size} bytes arrived)" if exchange.size else ""),
                "raise --timeout for a slow gateway; a stream that never ends is a gateway fault",
                finding="net.timeout",
            )
        except Exception as exc:
            exchange.problem = network_problem(exc, self.target.base_url, self.timeout)
        finally:
            exchange.elapsed = time.monotonic() - started
            if spends:
                self.spent.add(exchange.usage)
        return exchange

    async def _fill(
        self, exchange: Exchange, method: str, body: dict[str, Any] | None, started: float
    ) -> None:
        url = self.target.url(exchange.path)
        headers = {
            **self.shape.headers(),
            **self.target.request_headers(),
            "accept-encoding": ACCEPT_ENCODING,
        }
        reader, accumulator = sse.Reader(), sse.Accumulator()
        kept = bytearray()
        async with self.client.stream(method, url, headers=headers, json=body) as response:
            exchange.status = response.status_code
            exchange.headers = {k.lower(): v for k, v in list(response.headers.items())[:200]}
            content_type = exchange.headers.get("content-type", "")
            exchange.streamed = "text/event-stream" in content_type and response.status_code < 300
            encoding = exchange.headers.get("content-encoding", "")
            try:
                decoder = Decoder(encoding)
            except UnreadableEncoding:
                exchange.problem = Problem(
                    f"the answer is in the {encoding!r} encoding, which was not asked for"
                )
                return
            async for raw in response.aiter_raw():
                try:
                    chunk = decoder.feed(raw, MAX_BYTES - exchange.size + 1)
                except zlib.error:
                    exchange.problem = Problem(f"the answer's {encoding} encoding is broken")
                    return
                at = time.monotonic() - started
                exchange.ttfb = at if exchange.ttfb is None else exchange.ttfb
                if len(exchange.chunk_times) < MAX_CHUNK_TIMES:
                    exchange.chunk_times.append(at)
                exchange.size += len(chunk)
                if exchange.streamed:
                    for event in reader.feed(chunk, at):
                        accumulator.add(event)
                elif len(kept) < MAX_KEPT:
                    kept += chunk[: MAX_KEPT - len(kept)]
                if exchange.size > MAX_BYTES:
                    exchange.cut = True
                    break
        exchange.body = bytes(kept)
        _conclude(exchange, accumulator)


def _conclude(exchange: Exchange, accumulator: sse.Accumulator) -> None:
    from ccwrap.doctor.classify import classify, finding_for

    if exchange.cut:
        exchange.problem = Problem(
            f"the answer went past {MAX_BYTES // (1024 * 1024)} MiB and was cut off",
            "an honest answer to these prompts is a few kilobytes; ask the gateway's operator",
        )
        return
    status = exchange.status or 0
    if exchange.streamed:
        exchange.events = accumulator.names
        exchange.delta_times = accumulator.delta_times
        exchange.start_usage, exchange.delta_usage = (
            accumulator.start_usage,
            accumulator.delta_usage,
        )
        if accumulator.error is not None:
            body = _json_bytes(accumulator.error)
            verdict = classify(500, {"content-type": "application/json"}, body)
            exchange.problem = _verdict_problem(verdict, finding_for, "in the stream: ")
        elif not accumulator.message and not accumulator.blocks:
            exchange.problem = Problem("the stream carried no message (no message_start)")
        exchange.message = accumulator.result()
        return
    verdict = classify(status, exchange.headers, exchange.body)
    if verdict.kind not in ("ok",):
        exchange.problem = _verdict_problem(verdict, finding_for, "")
        return
    data = exchange.data
    if not isinstance(data, dict):
        start = exchange.body[:60].decode("utf-8", "replace")
        exchange.problem = Problem(f"HTTP {status}, but the answer is not JSON ({start!r}…)")
        return
    exchange.message = data


def _verdict_problem(verdict: Any, finding_for: Any, prefix: str) -> Problem:
    said = prefix + verdict.said()
    if verdict.kind == "invalid-request":
        return Problem(f"the gateway refused the request ({said})")
    finding = finding_for(verdict)
    status: Status = "inconclusive" if verdict.kind == "rate.limited" else "fail"
    return Problem(finding.detail or said, finding.fix, status, finding.id)


def _json_bytes(value: Any) -> bytes:
    import json

    return json.dumps(value).encode() if not isinstance(value, bytes) else value


def network_problem(exc: BaseException, url: str, timeout: float) -> Problem:
    """The one place verify classifies a network failure (doctor's table and sentences)."""
    from ccwrap.doctor.probes import network_finding

    finding = network_finding(exc, url, timeout)
    return Problem(finding.detail or str(exc), finding.fix, "fail", finding.id)
