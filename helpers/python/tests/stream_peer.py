"""A Python stream engine on stdin/stdout frames, for the cross-language test
(test/integration/streams-python-engine.test.ts). Not a client: no socket, no
handshake; the Node side plays the other peer's StreamEndpoint.

It serves the streams `count` ({n}), `fail`, `blob` and `endless`, reports
every stream end and every generator `finally` as an `emit`, and on an emit
`consume` ({cmd, data, window, stopAfter?}) opens a stream to Node and emits
`consumed` ({items, code, remoteCode}).
"""

import os
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from ipcio.frames import FrameDecoder, encode_frame  # noqa: E402
from ipcio.handlers import Call  # noqa: E402
from ipcio.errors import IpcError  # noqa: E402
from ipcio.streams import StreamEndpoint, validate_stream_message  # noqa: E402

_out = threading.Lock()


def send(message):
    frame = encode_frame(message)
    with _out:
        sys.stdout.buffer.write(frame)
        sys.stdout.buffer.flush()


def emit(cmd, data):
    send({"kind": "emit", "cmd": cmd, "data": data})


class PlannedFailure(Exception):
    code = "E_PY"


def count(call):
    for i in range(call.data["n"]):
        yield i


def fail(call):
    yield "x"
    raise PlannedFailure("python producer failed")


def blob(call):
    yield b"\x00\x01\xff"


def endless(call):
    try:
        i = 0
        while True:
            yield i
            i += 1
    finally:
        emit("finally", {"cmd": "endless", "cancelled": call.cancelled.is_set()})


HANDLERS = {"count": count, "fail": fail, "blob": blob, "endless": endless}

endpoint = StreamEndpoint(
    send,
    True,
    on_ended=lambda role, sid, error: emit("ended", {"role": role, "id": sid, "code": error.code if error else None}),
)


def consume(request):
    items, code, remote_code = [], None, None
    try:
        with endpoint.open(request["cmd"], request.get("data"), window=request["window"]) as stream:
            for item in stream:
                items.append(item)
                if request.get("stopAfter") == len(items):
                    break
    except IpcError as error:
        code, remote_code = error.code, error.remote_code
    emit("consumed", {"items": items, "code": code, "remoteCode": remote_code})


def main():
    decoder = FrameDecoder(1 << 20)
    while True:
        chunk = sys.stdin.buffer.read1(65536)
        if not chunk:
            endpoint.dispose(IpcError("DISCONNECTED", "stdin closed"))
            return
        for message in decoder.feed(chunk):
            kind = message["kind"]
            if kind == "emit" and message["cmd"] == "consume":
                threading.Thread(target=consume, args=(message["data"],), daemon=True).start()
            elif kind == "stream-open":
                validate_stream_message(message)
                endpoint.serve(message, HANDLERS.get(message["cmd"]), Call(message.get("data"), "node", message["cmd"], ""))
            elif kind.startswith("stream-"):
                validate_stream_message(message)
                endpoint.receive(message)


if __name__ == "__main__":
    main()
