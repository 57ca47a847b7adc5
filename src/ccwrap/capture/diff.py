"""What changed between two captured requests of a conversation (pure): system blocks, tools,
messages appended or changed, ``cache_control`` moved: the usual reasons a cache stops hitting."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def _digest(value: Any) -> str:
    raw = json.dumps(value, sort_keys=True, ensure_ascii=False).encode("utf-8", "surrogatepass")
    return hashlib.sha256(raw).hexdigest()[:12]


def _without_cache_control(value: Any, depth: int = 0) -> Any:
    if depth > 64:
        return value
    if isinstance(value, dict):
        return {
            k: _without_cache_control(v, depth + 1)
            for k, v in value.items()
            if k != "cache_control"
        }
    if isinstance(value, list):
        return [_without_cache_control(v, depth + 1) for v in value]
    return value


def _cache_points(body: dict[str, Any]) -> list[str]:
    """Where each cache_control sits: ``system[1]``, ``tools[12]``, ``messages[3].content[0]``."""
    points: list[str] = []
    for section in ("system", "tools", "messages"):
        items = body.get(section)
        if not isinstance(items, list):
            continue
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                continue
            if isinstance(item.get("cache_control"), dict):
                points.append(f"{section}[{index}] ttl={item['cache_control'].get('ttl', '5m')}")
            content = item.get("content")
            if isinstance(content, list):
                for inner, block in enumerate(content):
                    if isinstance(block, dict) and isinstance(block.get("cache_control"), dict):
                        ttl = block["cache_control"].get("ttl", "5m")
                        points.append(f"{section}[{index}].content[{inner}] ttl={ttl}")
    return points


def _list(body: dict[str, Any], name: str) -> list[Any]:
    value = body.get(name)
    if isinstance(value, str):
        return [{"type": "text", "text": value}]
    return value if isinstance(value, list) else []


def _tool_name(tool: Any) -> str:
    return str(tool.get("name")) if isinstance(tool, dict) else "?"


def diff(first: Any, second: Any) -> dict[str, Any]:
    """The changes from ``first`` to ``second`` (request bodies); lists of short lines."""
    a = first if isinstance(first, dict) else {}
    b = second if isinstance(second, dict) else {}
    result: dict[str, Any] = {}
    sys_a = [_digest(_without_cache_control(x)) for x in _list(a, "system")]
    sys_b = [_digest(_without_cache_control(x)) for x in _list(b, "system")]
    result["system"] = [
        f"system[{i}] {'added' if i >= len(sys_a) else 'removed' if i >= len(sys_b) else 'changed'}"
        for i in range(max(len(sys_a), len(sys_b)))
        if i >= len(sys_a) or i >= len(sys_b) or sys_a[i] != sys_b[i]
    ]
    tools_a = {_tool_name(t): _digest(_without_cache_control(t)) for t in _list(a, "tools")}
    tools_b = {_tool_name(t): _digest(_without_cache_control(t)) for t in _list(b, "tools")}
    names_a = [_tool_name(t) for t in _list(a, "tools")]
    names_b = [_tool_name(t) for t in _list(b, "tools")]
    tools = [f"tool {n} added" for n in names_b if n not in tools_a]
    tools += [f"tool {n} removed" for n in names_a if n not in tools_b]
    tools += [f"tool {n} changed" for n in names_b if n in tools_a and tools_a[n] != tools_b[n]]
    if not tools and names_a != names_b:
        tools.append("tools reordered")
    result["tools"] = tools
    msgs_a = [_digest(_without_cache_control(m)) for m in _list(a, "messages")]
    msgs_b = [_digest(_without_cache_control(m)) for m in _list(b, "messages")]
    common = 0
    while common < min(len(msgs_a), len(msgs_b)) and msgs_a[common] == msgs_b[common]:
        common += 1
    messages: list[str] = []
    if common < len(msgs_a):
        messages.append(
            f"messages[{common}:] changed: the earlier conversation is not a prefix of the later"
        )
    if len(msgs_b) > common:
        messages.append(f"{len(msgs_b) - common} message(s) appended after messages[{common - 1}]")
    result["messages"] = messages
    points_a, points_b = _cache_points(a), _cache_points(b)
    result["cache_control"] = (
        [] if points_a == points_b
        else [f"before: {', '.join(points_a) or 'none'}", f"after: {', '.join(points_b) or 'none'}"]
    )  # fmt: skip
    plain = {k: _digest(_without_cache_control(v)) for k, v in a.items()}
    other = [
        key for key in sorted(set(a) | set(b))
        if key not in ("system", "tools", "messages")
        and plain.get(key) != _digest(_without_cache_control(b.get(key)))
    ]  # fmt: skip
    result["other_fields"] = other
    return result
