"""Conformance driver for the Python client (docs/CONFORMANCE.md).

One op per JSON line on stdin, one reply per line on stdout, in order.
Bytes travel as {"$bytes": "<base64>"} in both directions. Diagnostics go to
stderr. Uses helpers/python/ipcio from this repository.
"""

import base64
import json
import os
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "helpers", "python"))

import ipcio  # noqa: E402  (the path above must come first)

client = None
received = []
errors = []
cancelled = []
finished = []
lock = threading.Lock()  # handlers run on the client's threads


def from_tagged(value):
    if isinstance(value, list):
        return [from_tagged(item) for item in value]
    if isinstance(value, dict):
        if len(value) == 1 and isinstance(value.get("$bytes"), str):
            return base64.b64decode(value["$bytes"])
        return {key: from_tagged(item) for key, item in value.items()}
    return value


def to_tagged(value):
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"$bytes": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, (list, tuple)):
        return [to_tagged(item) for item in value]
    if isinstance(value, dict):
        return {key: to_tagged(item) for key, item in value.items()}
    return value


class HandlerFailure(Exception):
    """What a "fail" handler raises; `code` becomes the response's remoteCode."""

    def __init__(self, message, code):
        super().__init__(message)
        self.code = code


def make_handler(op):
    """echo: return the data; fail: raise with the given code; hang: wait up to 10 s for a cancel."""
    def handle(call):
        record = {"command": call.command, "from": call.client_name, "data": to_tagged(call.data)}
        with lock:
            received.append(record)
        if op.get("behavior") == "fail":
            raise HandlerFailure(op.get("message", "failed"), op.get("code"))
        if op.get("behavior") == "hang":
            if call.cancelled.wait(10):
                with lock:
                    cancelled.append(record)
            return None
        return call.data
    return handle


def make_stream_handler(op):
    """count: yield 0, 1, ... (data["n"] of them, or forever); fail: yield "first", then raise with `code`."""
    def handle(call):
        with lock:
            received.append({"command": call.command, "from": call.client_name, "data": to_tagged(call.data)})
        yielded = 0
        try:
            if op.get("behavior") == "fail":
                yielded = 1
                yield "first"
                raise HandlerFailure(op.get("message", "failed"), op.get("code"))
            limit = (call.data or {}).get("n")
            i = 0
            while limit is None or i < limit:
                yielded = i + 1
                yield i
                i += 1
        finally:
            with lock:
                finished.append({"command": call.command, "from": call.client_name, "yielded": yielded,
                                 "cancelled": call.cancelled.is_set()})
    return handle


def read_stream(op):
    """Read a stream to its end, or `max` items and then close it (a cancel)."""
    window = op.get("window", 16)
    data = from_tagged(op.get("data"))
    if op.get("to") is None:
        stream = client.stream(op["cmd"], data, window=window)
    else:
        stream = client.stream_from(op["to"], op["cmd"], data, window=window)
    items = []
    with stream:
        for item in stream:
            items.append(to_tagged(item))
            if len(items) >= op.get("max", float("inf")):
                break
    return {"items": items}


def on_error(error):
    with lock:
        errors.append({"code": error.code, "message": error.message})


def timeout_of(op):
    ms = op.get("timeoutMs")
    return None if ms is None else ms / 1000.0


def connect(op):
    global client
    client = ipcio.Client(name=op.get("name"), socket_path=op["socket"], token=op.get("token"),
                          reconnect=False, max_frame_size=op.get("maxFrameSize"), on_error=on_error)
    client.connect(timeout=10)
    return {"name": client.name}


def emit(op):
    if op.get("to") is None:
        client.emit(op["cmd"], from_tagged(op.get("data")))
    else:
        client.emit_to(op["to"], op["cmd"], from_tagged(op.get("data")))


def snapshot(items):
    with lock:
        return list(items)


OPS = {
    "connect": connect,
    "emit": emit,
    "request": lambda op: to_tagged(client.request(op["cmd"], from_tagged(op.get("data")), timeout=timeout_of(op))),
    "request_from": lambda op: to_tagged(client.request_from(op["to"], op["cmd"], from_tagged(op.get("data")), timeout=timeout_of(op))),
    "broadcast": lambda op: client.broadcast(op["cmd"], from_tagged(op.get("data"))),
    "discover": lambda op: client.discover(),
    "handle": lambda op: client.add_handlers({op["cmd"]: make_handler(op)}),
    "handle_stream": lambda op: client.add_handlers({op["cmd"]: make_stream_handler(op)}),
    "stream": read_stream,
    "finished": lambda op: snapshot(finished),
    "received": lambda op: snapshot(received),
    "errors": lambda op: snapshot(errors),
    "cancelled": lambda op: snapshot(cancelled),
    "close": lambda op: client.close() if client is not None else None,
}


# Ops that answer with a value: their reply always has "result", null included.
VALUE_OPS = frozenset({"connect", "request", "request_from", "discover", "received", "errors", "cancelled", "stream", "finished"})


def reply_for(op):
    run = OPS.get(op.get("op"))
    if run is None:
        return {"id": op.get("id"), "error": {"code": "UNSUPPORTED_OP", "message": f"unknown op {op.get('op')!r}"}}
    try:
        result = run(op)
    except ipcio.IpcError as exc:
        error = {"code": exc.code, "message": exc.message}
        if exc.remote_code is not None:
            error["remoteCode"] = exc.remote_code
        return {"id": op.get("id"), "error": error}
    except Exception as exc:  # a driver or client bug: report it as such, keep serving
        return {"id": op.get("id"), "error": {"code": "DRIVER_ERROR", "message": repr(exc)}}
    reply = {"id": op.get("id"), "ok": True}
    if op["op"] in VALUE_OPS:
        reply["result"] = result
    return reply


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        op = json.loads(line)
        sys.stdout.write(json.dumps(reply_for(op), ensure_ascii=False) + "\n")
        sys.stdout.flush()
        if op.get("op") == "close":
            return
    if client is not None:  # stdin ended without a close op (the runner died)
        client.close()


if __name__ == "__main__":
    main()
