#!/usr/bin/env python3
"""An out-of-process Switchboard plugin in Python (standard library only).

It speaks JSON-RPC 2.0, one JSON object per line, on stdin/stdout (docs/PLUGINS.md): it answers
`initialize` with what it offers (a method, an event, a tool, as JSON Schema), then serves calls.
Logs go to stderr. It exits when stdin closes.
"""
import json
import os
import sys
import threading

lock = threading.Lock()
cancelled = set()
next_id = [0]
waiting = {}  # id -> [event, answer] for our calls to the host


def send(msg):
    msg["jsonrpc"] = "2.0"
    with lock:
        sys.stdout.write(json.dumps(msg) + "\n")
        sys.stdout.flush()


def call_host(method, params):
    """Calls the host back (host/call) and waits for its answer."""
    with lock:
        next_id[0] += 1
        rid = f"py-{next_id[0]}"
        waiting[rid] = [threading.Event(), None]
    send({"id": rid, "method": "host/call", "params": {"method": method, "params": params}})
    waiting[rid][0].wait(30)
    return waiting.pop(rid)[1]


HANDSHAKE = {
    "apiVersion": 1,
    "name": "hello-py",
    "version": "1.0.0",
    "description": "Example out-of-process plugin (Python)",
    "methods": [
        {"name": "hello-py/greet", "description": "Greets someone, and says so with a hello-py/greeted event.",
         "params": {"type": "object", "properties": {"who": {"type": "string", "minLength": 1}}, "required": ["who"]},
         "result": {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}},
        {"name": "hello-py/sessions", "description": "How many sessions the host has (a call back to the host).",
         "params": {"type": "object"},
         "result": {"type": "object", "properties": {"count": {"type": "integer"}}, "required": ["count"]}},
        {"name": "hello-py/wait", "description": "Waits until cancelled (for tests of cancellation and crashes).",
         "params": {"type": "object"}, "result": {"type": "object"}},
        {"name": "hello-py/pid", "description": "The plugin's process id.",
         "params": {"type": "object"}, "result": {"type": "object", "properties": {"pid": {"type": "integer"}}}},
    ],
    "events": [
        {"name": "hello-py/greeted", "description": "Someone was greeted.",
         "payload": {"type": "object", "properties": {"who": {"type": "string"}}, "required": ["who"]}},
    ],
    "tools": [
        {"name": "line_count", "description": "Counts the lines of a text file in the workspace.", "kind": "read",
         "inputSchema": {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]},
         "paths": ["path"]},
    ],
}


def handle(msg):
    method, params, rid = msg.get("method"), msg.get("params") or {}, msg.get("id")
    if method == "initialize":
        return HANDSHAKE
    if method == "hello-py/greet":
        send({"method": "host/emit", "params": {"event": "hello-py/greeted", "payload": {"who": params["who"]}}})
        return {"text": f"Hello, {params['who']}!"}
    if method == "hello-py/sessions":
        answer = call_host("session/list", {})
        return {"count": len(answer.get("result", {}).get("sessions", []))}
    if method == "hello-py/pid":
        return {"pid": os.getpid()}
    if method == "hello-py/wait":
        print(f"hello-py/wait {rid} started", file=sys.stderr, flush=True)
        while rid not in cancelled:
            threading.Event().wait(0.02)
        print(f"hello-py/wait {rid} cancelled", file=sys.stderr, flush=True)
        raise RpcError(-32800, "cancelled")
    if method == "tool/call" and params.get("tool") == "line_count":
        # The host has already refused a path outside the workspace; join it to the workspace.
        path = os.path.join(params["workspace"], params["arguments"]["path"])
        with open(path, encoding="utf-8") as f:
            return {"content": {"path": params["arguments"]["path"], "lines": sum(1 for _ in f)}}
    raise RpcError(-32601, f"unknown method {method}")


class RpcError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def serve(msg):
    try:
        send({"id": msg["id"], "result": handle(msg)})
    except RpcError as e:
        send({"id": msg["id"], "error": {"code": e.code, "message": str(e)}})
    except Exception as e:  # a bug in a handler answers an error; the plugin carries on
        print(f"handler failed: {e!r}", file=sys.stderr, flush=True)
        send({"id": msg["id"], "error": {"code": -32603, "message": f"hello-py failed: {e}"}})


for line in sys.stdin:
    if not line.strip():
        continue
    msg = json.loads(line)
    if "method" not in msg:  # an answer to one of our host/call requests
        if msg.get("id") in waiting:
            waiting[msg["id"]][1] = msg
            waiting[msg["id"]][0].set()
        continue
    if msg["method"] == "$/cancelRequest":
        cancelled.add(msg["params"]["id"])
    elif "id" in msg:
        threading.Thread(target=serve, args=(msg,), daemon=True).start()
