"""One capture as a self-contained HTML page (pure): no script, no link, no network.

Every text from the capture is HTML-escaped (and control characters shown escaped); a Content
Security Policy of ``default-src 'none'`` tells the browser to load nothing at all.
"""

from __future__ import annotations

import html
import json
from typing import Any

from ccwrap.capture import store
from ccwrap.text import escape_control

STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em;max-width:70em;color:#222}
h1{font-size:1.3em}h2{font-size:1.1em;margin-top:1.5em}
table{border-collapse:collapse}td{border-bottom:1px solid #ddd;padding:2px 8px;vertical-align:top}
pre{background:#f6f6f6;padding:8px;overflow:auto;white-space:pre-wrap;word-break:break-all}
.muted{color:#777}
"""


def _e(value: object) -> str:
    return html.escape(escape_control(str(value)), quote=True)


def _pre(text: str) -> str:
    lines = text.splitlines() or [""]
    return "<pre>" + "\n".join(_e(line) for line in lines) + "</pre>"


def _headers(rows: Any) -> str:
    if not isinstance(rows, list) or not rows:
        return '<p class="muted">(none)</p>'
    cells = "".join(
        f"<tr><td>{_e(r[0])}</td><td>{_e(r[1])}</td></tr>"
        for r in rows
        if isinstance(r, list) and len(r) == 2
    )
    return f"<table>{cells}</table>"


def _body(body: Any) -> str:
    if not isinstance(body, dict):
        return '<p class="muted">(none)</p>'
    text = store.body_text(body)
    note = (
        f'<p class="muted">cut: {_e(body.get("bytes"))} bytes in all</p>'
        if body.get("truncated")
        else ""
    )
    return _pre(text) + note


def _section(capture: dict[str, Any], name: str) -> dict[str, Any]:
    value = capture.get(name)
    return value if isinstance(value, dict) else {}


def render(capture: dict[str, Any]) -> str:
    request = _section(capture, "request")
    response = _section(capture, "response")
    title = f"ccwrap capture {capture.get('id')}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'\">",
        f"<title>{_e(title)}</title><style>{STYLE}</style></head><body>",
        f'<h1 id="title">{_e(title)}</h1>',
        f"<p>{_e(capture.get('time'))} · profile {_e(capture.get('profile') or '-')} · "
        f"model {_e(capture.get('model') or '-')}</p>",
        f'<h2 id="request">{_e(request.get("method"))} {_e(request.get("target"))}</h2>',
        _headers(request.get("headers")),
        "<h2>Request body</h2>",
        _body(request.get("body")),
        f'<h2 id="response">Response {_e(response.get("status"))}'
        + (" (cut off)" if response.get("cut") else "")
        + "</h2>",
        _headers(response.get("headers")),
    ]
    if response.get("message") is not None:
        parts += [
            "<h2>Response, events reassembled</h2>",
            _pre(json.dumps(response["message"], indent=2, ensure_ascii=False)),
        ]
    else:
        parts += ["<h2>Response body</h2>", _body(response.get("body"))]
    parts += [
        '<h2 id="usage">Usage</h2>',
        _pre(json.dumps(response.get("usage"), indent=2)),
        '<p class="muted">Credentials and secret headers were redacted when this was captured.</p>',
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"
