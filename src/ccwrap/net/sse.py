"""Server-sent events as the Messages API streams them, read incrementally into one message.

``Reader.feed(chunk)`` takes bytes as they arrive and returns the events completed by them;
``Accumulator`` folds the events into the message the non-streaming API would have returned
(content blocks, ``stop_reason``, ``usage`` merged from ``message_start`` and ``message_delta``).
Nothing here trusts the gateway: unknown events, broken JSON and odd types are recorded, not raised.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# One event's data is small in any honest stream; longer lines are cut (memory stays bounded).
MAX_EVENT = 256 * 1024


@dataclass
class Event:
    name: str
    data: Any  # the parsed JSON, or None when it was not JSON
    at: float  # seconds since the request was sent


def loads(raw: bytes | str) -> Any:
    """JSON or None: malformed, too large, too deep or not text all give None."""
    from ccwrap.text import loads_bounded

    try:
        return loads_bounded(raw)
    except ValueError:  # JSONBoundsError is one
        return None


@dataclass
class Reader:
    pending: bytes = b""

    def feed(self, chunk: bytes, at: float) -> list[Event]:
        self.pending += chunk.replace(b"\r\n", b"\n")
        events: list[Event] = []
        while b"\n\n" in self.pending:
            block, self.pending = self.pending.split(b"\n\n", 1)
            if event := _parse(block, at):
                events.append(event)
        if len(self.pending) > MAX_EVENT:  # a "line" that never ends
            self.pending = b""
            events.append(Event("oversized", None, at))
        return events


def _parse(block: bytes, at: float) -> Event | None:
    name, data = "message", []
    for line in block.split(b"\n"):
        if line.startswith(b"event:"):
            name = line[6:].strip().decode("utf-8", "replace")
        elif line.startswith(b"data:"):
            data.append(line[5:].strip())
    if not data and name == "message":
        return None  # a comment or keep-alive
    return Event(name, loads(b"\n".join(data)), at)


@dataclass
class Accumulator:
    message: dict[str, Any] = field(default_factory=dict)
    blocks: list[dict[str, Any]] = field(default_factory=list)
    usage: dict[str, Any] = field(default_factory=dict)
    names: list[str] = field(default_factory=list)
    error: Any = None
    delta_times: list[float] = field(default_factory=list)
    start_usage: dict[str, Any] = field(default_factory=dict)  # where the API puts input usage
    delta_usage: dict[str, Any] = field(default_factory=dict)  # …and output usage

    def add(self, event: Event) -> None:
        if len(self.names) < 10_000:
            self.names.append(event.name)
        data = event.data if isinstance(event.data, dict) else {}
        handler = getattr(self, "_on_" + event.name.replace("-", "_"), None)
        if handler is not None and event.name.isidentifier():
            handler(data, event.at)

    def _on_message_start(self, data: dict[str, Any], at: float) -> None:
        message = data.get("message")
        if isinstance(message, dict):
            self.message = {k: v for k, v in message.items() if k != "content"}
            if isinstance(message.get("usage"), dict):
                self.start_usage = dict(message["usage"])
                self.usage.update(message["usage"])

    def _on_content_block_start(self, data: dict[str, Any], at: float) -> None:
        block = data.get("content_block")
        if isinstance(block, dict) and len(self.blocks) < 100:
            self.blocks.append({**block, "_json": ""})

    def _on_content_block_delta(self, data: dict[str, Any], at: float) -> None:
        self.delta_times.append(at)
        delta = data.get("delta")
        index = data.get("index")
        if not isinstance(delta, dict) or not isinstance(index, int):
            return
        if not 0 <= index < len(self.blocks):
            return
        block = self.blocks[index]
        if delta.get("type") == "text_delta" and isinstance(delta.get("text"), str):
            block["text"] = str(block.get("text", "")) + delta["text"]
        elif delta.get("type") == "input_json_delta" and isinstance(delta.get("partial_json"), str):
            block["_json"] += delta["partial_json"]

    def _on_content_block_stop(self, data: dict[str, Any], at: float) -> None:
        index = data.get("index")
        if isinstance(index, int) and 0 <= index < len(self.blocks):
            block = self.blocks[index]
            if block.get("type") == "tool_use" and block["_json"]:
                block["input"] = loads(block["_json"])

    def _on_message_delta(self, data: dict[str, Any], at: float) -> None:
        delta = data.get("delta")
        if isinstance(delta, dict) and "stop_reason" in delta:
            self.message["stop_reason"] = delta["stop_reason"]
        if isinstance(data.get("usage"), dict):
            self.delta_usage = dict(data["usage"])
            self.usage.update({k: v for k, v in data["usage"].items() if v is not None})

    def _on_error(self, data: dict[str, Any], at: float) -> None:
        self.error = data or "an error event without data"

    def result(self) -> dict[str, Any]:
        content = [{k: v for k, v in b.items() if k != "_json"} for b in self.blocks]
        return {**self.message, "content": content, "usage": dict(self.usage)}


def text_of(message: dict[str, Any]) -> str:
    """The text blocks of a message, joined."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    return "".join(
        str(b.get("text", "")) for b in content if isinstance(b, dict) and b.get("type") == "text"
    )
