"""A loopback Anthropic relay for ``ccwrap verify``: honest, or telling one lie, or hostile.

A small model lives inside: it counts from 1 to 20, writes a story, calls the one tool, answers
a tool result, remembers a code word and finds a needle, all from the request's own text, so
every check has something true to find. Tokens are words and punctuation; ``count_tokens``
counts the same way as the bill. Caching is real: a system block with ``cache_control`` is
stored under the hash of the prefix up to it, written once and read back after, in the bucket
its ``ttl`` names.

Lies (``Relay(mode=…)``), one per check:
    renamed      the answer names another model                        model.served
    translated   chatcmpl-/call_ ids, usage only in message_delta      id.format
    ignore-max   max_tokens ignored                                    limit.max_tokens
    injected     400 hidden tokens billed on every message             billing.input
    nocache      cache_control ignored                                 cache.read
    ttl-5m       a 1h breakpoint written to the 5-minute bucket        cache.ttl
    buffered     the stream held back and sent at once                 stream.live
    truncated    only the last 4 messages reach the model              context.recall
    openai-errors errors in OpenAI's shape                             errors.shape
Hostile modes: html, endless, gzip-bomb, never-ending, invalid-json, 503, 429, close, control.

A raw asyncio HTTP/1.1 server (not Starlette) so a hostile mode can do anything a socket can.
Only 127.0.0.1 is bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import hashlib
import json
import re
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

LIES = (
    "renamed",
    "translated",
    "ignore-max",
    "injected",
    "nocache",
    "ttl-5m",
    "buffered",
    "truncated",
    "openai-errors",
)
HOSTILE = (
    "html",
    "endless",
    "gzip-bomb",
    "never-ending",
    "invalid-json",
    "503",
    "429",
    "close",
    "control",
)
# The check each lie must fail (and no other).
CAUGHT_BY = {
    "renamed": "model.served",
    "translated": "id.format",
    "ignore-max": "limit.max_tokens",
    "injected": "billing.input",
    "nocache": "cache.read",
    "ttl-5m": "cache.ttl",
    "buffered": "stream.live",
    "truncated": "context.recall",
    "openai-errors": "errors.shape",
}
INJECTED_TOKENS = 400
WINDOW = 6000  # what /v1/models claims for every model (keeps --deep small in tests)
DELTA_PAUSE = 0.003  # between stream deltas: an honest, live stream
STORY = (
    "The keeper climbed the stairs at dusk and lit the great lamp, and the ships far out "
    "on the grey water turned toward the light as they had for a hundred years. " * 6
).strip()
_TOKEN = re.compile(r"\w+|[^\w\s]")


def tokens(text: str) -> int:
    return len(_TOKEN.findall(text))


@dataclass
class Seen:
    method: str
    target: str
    headers: dict[str, str]
    body: Any


@dataclass
class Relay:
    __test__ = False

    mode: str = "honest"
    requests: list[Seen] = field(default_factory=list)
    cache: dict[str, str] = field(default_factory=dict)
    hang_on_system: bool = False  # requests with a system prompt (the cache group) never answer
    echo_key: bool = False  # errors quote the key they were sent (as some gateways do)
    port: int = 0
    _loop: asyncio.AbstractEventLoop | None = None
    _server: asyncio.AbstractServer | None = None
    _thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Relay:
        ready = threading.Event()

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            self._server = loop.run_until_complete(
                asyncio.start_server(self._handle, "127.0.0.1", 0)
            )
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()
            loop.run_forever()
            loop.close()

        self._thread = threading.Thread(target=serve, daemon=True)
        self._thread.start()
        ready.wait(5)
        return self

    def __exit__(self, *exc: object) -> None:
        loop = self._loop
        if loop is None:
            return

        async def stop() -> None:
            assert self._server is not None
            self._server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        assert self._thread is not None
        self._thread.join(5)

    def messages(self) -> list[Seen]:
        return [r for r in self.requests if r.target.startswith("/v1/messages?")]

    # -- HTTP ------------------------------------------------------------------------------------
    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        name, value = line.split(":", 1)
                        headers[name.strip().lower()] = value.strip()
                raw = await reader.readexactly(int(headers.get("content-length", "0")))
                body = json.loads(raw) if raw else None
                self.requests.append(Seen(method, target, headers, body))
                if not await self._answer(writer, method, target, body):
                    break
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _answer(
        self, writer: asyncio.StreamWriter, method: str, target: str, body: Any
    ) -> bool:
        """Write one answer; False closes the connection."""
        mode = self.mode
        if mode == "close":
            return False
        if mode == "html":
            page = b"<!doctype html><html><head><title>Just a moment...</title></head></html>"
            await send(writer, 200, page, "text/html")
            return True
        if mode == "invalid-json":
            await send(writer, 200, b'{"id": "msg_1", "content": [', "application/json")
            return True
        if mode == "503":
            error = anthropic_error("overloaded_error", "Overloaded")
            await send(writer, 503, error, "application/json")
            return True
        if mode == "429":
            error = anthropic_error(
                "rate_limit_error", "Number of requests has exceeded your rate limit"
            )
            await send(writer, 429, error, "application/json")
            return True
        if mode == "gzip-bomb":  # 64 MiB of zeros in about 64 KiB
            writer.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                b"content-encoding: gzip\r\ncontent-length: "
                + str(len(BOMB)).encode()
                + b"\r\n\r\n"
            )
            writer.write(BOMB)
            await writer.drain()
            return True
        if mode == "endless":
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n")
            chunk = b'{"padding": "' + b"x" * 65536
            while True:
                writer.write(chunk)
                await writer.drain()
        if target.startswith("/v1/models"):
            data = {"data": [{"id": m, "max_input_tokens": WINDOW} for m in MODELS]}
            await send(writer, 200, json.dumps(data).encode(), "application/json")
            return True
        if target.startswith("/v1/messages/count_tokens"):
            count = {"input_tokens": self.count(body)}
            await send(writer, 200, json.dumps(count).encode(), "application/json")
            return True
        if target.startswith("/v1/messages"):
            if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
                await send(writer, 400, self.error("messages: Field required"), "application/json")
                return True
            if self.hang_on_system and body.get("system"):
                await asyncio.sleep(3600)
            if mode == "never-ending":
                await self._never_ending(writer)
            await self._stream(writer, body)
            return True
        await send(writer, 404, self.error("not found", "not_found_error"), "application/json")
        return True

    def error(self, message: str, kind: str = "invalid_request_error") -> bytes:
        if self.echo_key and self.requests:
            message = f"key {self.requests[-1].headers.get('x-api-key', '')}: {message}"
        if self.mode == "openai-errors":
            data = {"error": {"message": message, "type": kind, "param": None, "code": None}}
            return json.dumps(data).encode()
        return anthropic_error(kind, message)

    async def _never_ending(self, writer: asyncio.StreamWriter) -> None:
        writer.write(sse_head())
        start = {"type": "message_start", "message": {"id": "msg_x", "model": "m", "usage": {}}}
        writer.write(sse("message_start", start))
        while True:
            writer.write(sse("ping", {"type": "ping"}))
            await writer.drain()
            await asyncio.sleep(0.05)

    # -- the model -------------------------------------------------------------------------------
    def count(self, body: Any) -> int:
        return sum(tokens(text) for text in texts(body))

    def visible(self, body: dict[str, Any]) -> dict[str, Any]:
        """What reaches the model (a truncating relay keeps only the last messages)."""
        if self.mode == "truncated":
            return {**body, "messages": body["messages"][-4:]}
        return body

    def usage(self, body: dict[str, Any]) -> dict[str, Any]:
        total = self.count(body)
        read = created_5m = created_1h = 0
        prefix = ""
        for block in body.get("system") or [] if isinstance(body.get("system"), list) else []:
            prefix += json.dumps(block.get("text", ""))
            control = block.get("cache_control")
            if not isinstance(control, dict) or self.mode == "nocache":
                continue
            key = hashlib.sha256(prefix.encode()).hexdigest()
            size = tokens(block.get("text", ""))
            if key in self.cache:
                read += size
            else:
                self.cache[key] = control.get("ttl", "5m")
                if control.get("ttl") == "1h" and self.mode != "ttl-5m":
                    created_1h += size
                else:
                    created_5m += size
        injected = INJECTED_TOKENS if self.mode == "injected" else 0
        return {
            "input_tokens": total - read - created_5m - created_1h + injected,
            "cache_read_input_tokens": read,
            "cache_creation_input_tokens": created_5m + created_1h,
            "cache_creation": {
                "ephemeral_5m_input_tokens": created_5m,
                "ephemeral_1h_input_tokens": created_1h,
            },
        }

    def reply(self, body: dict[str, Any]) -> tuple[list[dict[str, Any]], str]:
        """The content blocks and the stop reason, before max_tokens."""
        seen = self.visible(body)
        everything = "\n".join(texts({"messages": seen["messages"], "system": seen.get("system")}))
        last = seen["messages"][-1]
        last_text = "\n".join(texts({"messages": [last]}))
        choice = body.get("tool_choice") or {}
        if choice.get("type") == "tool":
            tool_id = ("call_" if self.mode == "translated" else "toolu_") + secrets.token_hex(8)
            block = {
                "type": "tool_use",
                "id": tool_id,
                "name": choice["name"],
                "input": {"order_number": 4711, "region": "eu"},
            }
            return [block], "tool_use"
        if any(isinstance(b, dict) and b.get("type") == "tool_result" for b in content_of(last)):
            code = re.search(r"tracking code (\S+?)\.", last_text)
            return [
                text_block(
                    f"Order 4711 has shipped; tracking code {code.group(1) if code else '?'}."
                )
            ], "end_turn"
        if "code word I gave you first" in last_text:
            found = re.search(r"The code word is (\S+?)\.", everything)
            return [text_block(found.group(1) if found else "I do not know.")], "end_turn"
        if "secret number of this document" in last_text:
            found = re.search(r"secret number of this document is (\S+?)\.", everything)
            return [text_block(found.group(1) if found else "I do not know.")], "end_turn"
        if "Count from 1 to 20" in last_text:
            return [text_block(" ".join(str(i) for i in range(1, 21)))], "end_turn"
        if "story" in last_text:
            return [text_block(STORY)], "end_turn"
        if "single word OK" in last_text:
            return [text_block("OK")], "end_turn"
        return [text_block("pong")], "end_turn"

    async def _stream(self, writer: asyncio.StreamWriter, body: dict[str, Any]) -> None:
        blocks, stop = self.reply(body)
        limit = body.get("max_tokens", 4096)
        pieces: list[list[tuple[str, str]]] = []
        out = 0
        for block in blocks:
            if block["type"] == "text":
                words = re.findall(r"\S+\s*", block["text"])
                if self.mode != "ignore-max" and out + len(words) > limit:
                    words, stop = words[: max(0, limit - out)], "max_tokens"
                out += len(words)
                pieces.append([("text_delta", w) for w in words])
            else:
                raw = json.dumps(block["input"])
                out += tokens(raw)
                pieces.append([("input_json_delta", raw[i : i + 8]) for i in range(0, len(raw), 8)])
        usage = self.usage(body)
        translated = self.mode == "translated"
        model = body.get("model", "")
        if self.mode == "renamed":
            model = "claude-3-5-haiku-20241022"
        if self.mode == "control":
            model = "\x1b[31mclaude\x1b]0;pwned\x07"
        message_id = ("chatcmpl-" if translated else "msg_") + secrets.token_hex(8)
        start_usage = {"output_tokens": 1} if translated else {**usage, "output_tokens": 1}
        events = [
            sse(
                "message_start",
                {
                    "type": "message_start",
                    "message": {
                        "id": message_id,
                        "type": "message",
                        "role": "assistant",
                        "model": model,
                        "content": [],
                        "stop_reason": None,
                        "usage": start_usage,
                    },
                },
            )
        ]
        for index, (block, deltas) in enumerate(zip(blocks, pieces, strict=True)):
            started = {**block, "text": ""} if block["type"] == "text" else {**block, "input": {}}
            events.append(
                sse(
                    "content_block_start",
                    {"type": "content_block_start", "index": index, "content_block": started},
                )
            )
            for kind, value in deltas:
                key = "text" if kind == "text_delta" else "partial_json"
                events.append(
                    sse(
                        "content_block_delta",
                        {
                            "type": "content_block_delta",
                            "index": index,
                            "delta": {"type": kind, key: value},
                        },
                    )
                )
            events.append(sse("content_block_stop", {"type": "content_block_stop", "index": index}))
        final_usage = {**usage, "output_tokens": out} if translated else {"output_tokens": out}
        events.append(
            sse(
                "message_delta",
                {"type": "message_delta", "delta": {"stop_reason": stop}, "usage": final_usage},
            )
        )
        events.append(sse("message_stop", {"type": "message_stop"}))
        writer.write(sse_head())
        if self.mode == "buffered":
            await asyncio.sleep(0.2)
            writer.write(b"".join(events))
        else:
            for event in events:
                writer.write(event)
                await writer.drain()
                if b"content_block_delta" in event[:40]:
                    await asyncio.sleep(DELTA_PAUSE)
        writer.write(b"0\r\n\r\n")
        await writer.drain()


MODELS = ("claude-sonnet-4-5", "claude-opus-4-1", "claude-haiku-4-5")
BOMB = gzip.compress(b"\0" * (64 * 1024 * 1024), compresslevel=9)


def texts(body: Any) -> list[str]:
    """Every piece of prompt text in a request (system, messages, tools), for counting."""
    if not isinstance(body, dict):
        return []
    found: list[str] = []
    system = body.get("system")
    if isinstance(system, str):
        found.append(system)
    elif isinstance(system, list):
        found += [b.get("text", "") for b in system if isinstance(b, dict)]
    for message in body.get("messages") or []:
        for block in content_of(message):
            if block.get("type") == "text":
                found.append(block.get("text", ""))
            elif block.get("type") == "tool_use":
                found.append(json.dumps(block.get("input")))
            elif block.get("type") == "tool_result":
                content = block.get("content")
                found.append(content if isinstance(content, str) else json.dumps(content))
    if body.get("tools"):
        found.append(json.dumps(body["tools"]))
    return found


def content_of(message: Any) -> list[dict[str, Any]]:
    content = message.get("content") if isinstance(message, dict) else None
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return [b for b in content or [] if isinstance(b, dict)]


def text_block(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def anthropic_error(kind: str, message: str) -> bytes:
    return json.dumps({"type": "error", "error": {"type": kind, "message": message}}).encode()


def sse(name: str, data: Any) -> bytes:
    payload = f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()
    return f"{len(payload):x}\r\n".encode() + payload + b"\r\n"  # one chunk of a chunked body


def sse_head() -> bytes:
    return (
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
        b"cache-control: no-cache\r\ntransfer-encoding: chunked\r\n\r\n"
    )


async def send(writer: asyncio.StreamWriter, status: int, body: bytes, content_type: str) -> None:
    reason = {
        200: "OK",
        400: "Bad Request",
        404: "Not Found",
        429: "Too Many Requests",
        503: "Service Unavailable",
    }
    writer.write(
        f"HTTP/1.1 {status} {reason.get(status, 'X')}\r\ncontent-type: {content_type}\r\n"
        f"content-length: {len(body)}\r\n\r\n".encode()
        + body
    )
    await writer.drain()
