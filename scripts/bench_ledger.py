"""What the usage ledger adds to a proxied request: `ccwrap proxy` with the ledger on and off.

Run: scripts/bench ledger [REQUESTS]   (figures go to docs/benchmarks.md, section "Ledger")

Three kinds of process share the machine: a local upstream (uvicorn, raw ASGI) answering a
Messages-API-shaped stream (message_start with usage, 40 text deltas, message_delta, message_stop)
or a JSON answer; two `ccwrap proxy` processes on one profile, one with `CCWRAP_LEDGER=off`; and
this client (stdlib http.client, kept-alive connections). Requests alternate between the two
proxies so that machine noise hits both alike; the figure is the difference of the medians.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PY = sys.executable
CCWRAP = str(Path(PY).parent / "ccwrap")
KEY = "sk-bench-real-key-0123456789"
BODY = json.dumps(
    {"model": "claude-x", "max_tokens": 8, "messages": [{"role": "user", "content": "hi" * 500}]}
).encode()


def upstream_main(port: int) -> None:
    import asyncio

    import uvicorn

    usage = {"input_tokens": 12, "cache_read_input_tokens": 30000, "output_tokens": 1}
    start = {"id": "msg_1", "type": "message", "model": "claude-x-1", "usage": usage}
    delta = {"type": "content_block_delta", "index": 0, "delta": {"text": "y" * 40}}

    def sse(data: dict[str, object]) -> bytes:
        return f"event: {data['type']}\ndata: {json.dumps(data)}\n\n".encode()

    events = [sse({"type": "message_start", "message": start})]
    events += [sse(delta)] * 40
    events += [
        sse({"type": "message_delta", "delta": {}, "usage": {"output_tokens": 41}}),
        sse({"type": "message_stop"}),
    ]
    answer = json.dumps({**start, "content": [], "usage": {**usage, "output_tokens": 9}}).encode()

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        if scope["type"] != "http":
            return
        more = True
        while more:
            more = (await receive()).get("more_body", False)
        if b"json" in scope["query_string"]:
            headers = [
                (b"content-type", b"application/json"),
                (b"content-length", b"%d" % len(answer)),
            ]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": answer})
            return
        headers = [(b"content-type", b"text/event-stream")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        for index in range(0, len(events), 8):  # a few events per write, as a gateway sends them
            body = b"".join(events[index : index + 8])
            await send({"type": "http.response.body", "body": body, "more_body": True})
            await asyncio.sleep(0)
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    config = uvicorn.Config(app, log_level="warning", lifespan="off", timeout_keep_alive=120)
    uvicorn.Server(config).run(sockets=[sock])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


def start_proxy(env: dict[str, str], port: int) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [CCWRAP, "proxy", "--profile", "bench", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    token = ""
    while not token:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError("ccwrap proxy did not start")
        if line.startswith("export ANTHROPIC_AUTH_TOKEN="):
            token = line.strip().split("=", 1)[1]
    wait_port(port)
    return proc, token


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Side:
    def __init__(self, port: int, token: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port)
        self.headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}

    def post(self, target: str) -> float:
        start = time.perf_counter()
        self.conn.request("POST", target, body=BODY, headers=self.headers)
        response = self.conn.getresponse()
        response.read()
        assert response.status == 200, response.status
        return (time.perf_counter() - start) * 1000


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 1000
    with tempfile.TemporaryDirectory(prefix="ccwrap-bench-") as tmp:
        home = Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith("CCWRAP_")}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env.update(HOME=str(home), CCWRAP_HOME=str(home / "ccwrap"), BENCH_KEY=KEY)
        up_port = free_port()
        upstream = subprocess.Popen(
            [PY, "-c", f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r});"
             f" import bench_ledger; bench_ledger.upstream_main({up_port})"],
        )  # fmt: skip
        procs: list[subprocess.Popen[str]] = []
        try:
            wait_port(up_port)
            subprocess.run(
                [CCWRAP, "setup", "bench", "--url", f"http://127.0.0.1:{up_port}",
                 "--key-source", "env:BENCH_KEY", "--yes", "--no-check"],
                env=env, check=True, capture_output=True,
            )  # fmt: skip
            on, on_token = start_proxy(env, free_port())
            off, off_token = start_proxy({**env, "CCWRAP_LEDGER": "off"}, free_port())
            procs += [on, off]
            sides = {
                "on": Side(int(on.args[-1]), on_token),
                "off": Side(int(off.args[-1]), off_token),
            }
            version = sys.version.split()[0]
            load = os.getloadavg()[0]
            print(
                f"{count} requests per side, {sys.platform}, Python {version}, load {load:.1f}"
            )
            for label, target in (("SSE stream", "/v1/messages"), ("JSON", "/v1/messages?json")):
                for side in sides.values():  # warm up
                    for _ in range(50):
                        side.post(target)
                times: dict[str, list[float]] = {"on": [], "off": []}
                cpu = {name: cpu_seconds(p.pid) for name, p in (("on", on), ("off", off))}
                for _ in range(count):
                    for name, side in sides.items():
                        times[name].append(side.post(target))
                cpu = {
                    n: (cpu_seconds(p.pid) - cpu[n]) / count * 1e6
                    for n, p in (("on", on), ("off", off))
                }
                p50 = {n: statistics.median(t) for n, t in times.items()}
                print(f"{label:<11} ledger off p50 {p50['off']:.3f} ms, on {p50['on']:.3f} ms:"
                      f" +{p50['on'] - p50['off']:.3f} ms; proxy CPU per request"
                      f" {cpu['off']:.0f} / {cpu['on']:.0f} µs")  # fmt: skip
        finally:
            for proc in procs:
                proc.terminate()
                proc.wait(10)
            upstream.terminate()
            upstream.wait(10)
        ledger = home / "ccwrap" / "state" / "ledger.sqlite3"
        rows = sqlite3.connect(ledger).execute("SELECT count(*) FROM proxy_requests").fetchone()[0]
        print(f"ledger rows written by the 'on' proxy: {rows} (expected {2 * (count + 50)})")


if __name__ == "__main__":
    main()
