"""Every string of a JSON-like value from a gateway made safe to print (``ccwrap.text``'s rule)."""

from __future__ import annotations

from typing import Any

from ccwrap.text import escape_control


def escape_tree(value: Any, depth: int = 0) -> Any:
    """Every string in a JSON-like value escaped (keys too); deeper than 20 levels is cut."""
    if depth > 20:
        return "…"
    if isinstance(value, str):
        return escape_control(value)
    if isinstance(value, dict):
        return {escape_control(str(k)): escape_tree(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [escape_tree(v, depth + 1) for v in value]
    return value
