"""Stream engines (ipcio/streams.py) over an in-memory link of real frames, no sockets."""

import os
import queue
import sys
import threading
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from ipcio import errors as E  # noqa: E402
from ipcio.errors import IpcError  # noqa: E402
from ipcio.frames import FrameDecoder, encode_frame  # noqa: E402
from ipcio.handlers import Call  # noqa: E402
from ipcio.streams import StreamEndpoint, validate_stream_message  # noqa: E402

WAIT_S = 10  # a bound for a hang, never a timing assertion


class Link:
    """Two endpoints joined by frames: each message is encoded, decoded on a delivery thread, and dispatched."""

    def __init__(self, handlers=None, speaks_streams=True, max_frame_size=1 << 20):
        self.ends = []
        self.sent = []
        self._max = max_frame_size
        self._queue = queue.Queue()
        self._changed = threading.Condition()
        self.client = StreamEndpoint(self._sender("client"), speaks_streams, on_ended=self._record("client"))
        self.server = StreamEndpoint(self._sender("server"), True, on_ended=self._record("server"))
        self._handlers = handlers or {}
        self._thread = threading.Thread(target=self._deliver, daemon=True)
        self._thread.start()

    def _record(self, side):
        def record(role, sid, error):
            with self._changed:
                self.ends.append((side, role, sid, error.code if error else None))
                self._changed.notify_all()

        return record

    def _sender(self, side):
        def send(message):
            frame = encode_frame(message, self._max)
            with self._changed:
                self.sent.append((side, message["kind"]))
                self._changed.notify_all()
            self._queue.put((side, frame))

        return send

    def _deliver(self):
        decoder = FrameDecoder(self._max)
        while True:
            side, frame = self._queue.get()
            if side is None:
                return
            for message in decoder.feed(frame):
                validate_stream_message(message)
                target = self.server if side == "client" else self.client
                if message["kind"] == "stream-open":
                    call = Call(message.get("data"), side, message["cmd"], "uuid")
                    target.serve(message, self._handlers.get(message["cmd"]), call)
                else:
                    target.receive(message)

    def stop(self):
        self._queue.put((None, None))
        self._thread.join(WAIT_S)

    def wait_for(self, predicate):
        with self._changed:
            if not self._changed.wait_for(predicate, WAIT_S):
                raise AssertionError(f"never happened; ends so far: {self.ends}")

    def wait_ends(self, count):
        self.wait_for(lambda: len(self.ends) >= count)


def counting(limit=None):
    state = {"yielded": 0, "finally": threading.Event(), "cancelled": None}

    def handler(call):
        state["cancelled"] = call.cancelled
        try:
            i = 0
            while limit is None or i < limit:
                state["yielded"] += 1
                yield i
                i += 1
        finally:
            state["finally"].set()

    return state, handler


class StreamTest(unittest.TestCase):
    def test_items_in_order_and_one_end_each_side(self):
        state, handler = counting(50)
        link = Link({"count": handler})
        self.addCleanup(link.stop)
        self.assertEqual(list(link.client.open("count", window=4)), list(range(50)))
        link.wait_ends(2)
        self.assertEqual(sorted(link.ends), [("client", "consumer", 1, None), ("server", "producer", 1, None)])

    def test_payload_and_sender_reach_the_handler(self):
        def echo(call):
            yield {"data": call.data, "from": call.client_name, "command": call.command}

        link = Link({"echo": echo})
        self.addCleanup(link.stop)
        self.assertEqual(list(link.client.open("echo", {"x": 1})), [{"data": {"x": 1}, "from": "client", "command": "echo"}])

    def test_a_consumer_that_stops_reading_pauses_the_generator(self):
        state, handler = counting()
        link = Link({"count": handler})
        self.addCleanup(link.stop)
        stream = link.client.open("count", window=8)
        self.assertEqual(next(stream), 0)
        # Eight items were granted; wait until they all arrived, then the producer holds no credit.
        link.wait_for(lambda: sum(1 for side, kind in link.sent if kind == "stream-item") == 8)
        producer = next(iter(link.server.producers._streams.values()))
        with producer._cond:
            self.assertEqual(producer._credit, 0)
        self.assertEqual(state["yielded"], 8)  # the generator is asked for an item only with credit in hand
        stream.close()
        self.assertTrue(state["finally"].wait(WAIT_S))
        self.assertTrue(state["cancelled"].is_set())

    def test_break_and_close_cancel_the_producer(self):
        state, handler = counting()
        link = Link({"count": handler})
        self.addCleanup(link.stop)
        with link.client.open("count") as stream:
            for n in stream:
                if n == 3:
                    break
        self.assertTrue(state["finally"].wait(WAIT_S))
        link.wait_ends(2)
        self.assertEqual(sorted(e[3] for e in link.ends), ["CANCELLED", "CANCELLED"])
        self.assertEqual(list(stream), [])

    def test_a_handler_that_raises_ends_the_loop_with_handler_error(self):
        class Broken(Exception):
            code = "E_BROKEN"

        def broken(call):
            yield "first"
            raise Broken("sensor gone")

        link = Link({"broken": broken})
        self.addCleanup(link.stop)
        got = []
        with self.assertRaises(IpcError) as caught:
            for item in link.client.open("broken"):
                got.append(item)
        self.assertEqual(got, ["first"])
        self.assertEqual((caught.exception.code, caught.exception.remote_code), (E.HANDLER_ERROR, "E_BROKEN"))

    def test_no_handler_and_not_iterable(self):
        link = Link({"plain": lambda call: 42})
        self.addCleanup(link.stop)
        with self.assertRaises(IpcError) as missing:
            list(link.client.open("missing"))
        self.assertEqual(missing.exception.code, E.NO_HANDLER)
        with self.assertRaises(IpcError) as plain:
            list(link.client.open("plain"))
        self.assertEqual(plain.exception.code, E.HANDLER_ERROR)

    def test_a_server_without_streams_gets_unsupported_and_nothing_is_sent(self):
        link = Link(speaks_streams=False)
        self.addCleanup(link.stop)
        with self.assertRaises(IpcError) as caught:
            next(link.client.open("count"))
        self.assertEqual(caught.exception.code, E.UNSUPPORTED)
        self.assertEqual(link.sent, [])

    def test_binary_items_arrive_as_bytes(self):
        def chunks(call):
            yield b"\x01\x02\x03"
            yield {"name": "b", "bytes": b"\x04"}

        link = Link({"chunks": chunks})
        self.addCleanup(link.stop)
        first, second = list(link.client.open("chunks"))
        self.assertEqual(bytes(first), b"\x01\x02\x03")
        self.assertEqual(bytes(second["bytes"]), b"\x04")

    def test_idle_timeout_raises_timeout_and_cancels_the_producer(self):
        def stuck(call):
            yield "one"
            call.cancelled.wait(WAIT_S)

        link = Link({"stuck": stuck})
        self.addCleanup(link.stop)
        stream = link.client.open("stuck", idle_timeout=0.05)
        self.assertEqual(next(stream), "one")
        with self.assertRaises(IpcError) as caught:
            next(stream)
        self.assertEqual(caught.exception.code, E.TIMEOUT)
        link.wait_ends(2)
        self.assertIn(("server", "producer", 1, "CANCELLED"), link.ends)

    def test_dispose_ends_both_sides_with_the_reason(self):
        state, handler = counting()
        link = Link({"count": handler})
        self.addCleanup(link.stop)
        stream = link.client.open("count", window=2)
        next(stream)
        lost = IpcError(E.DISCONNECTED, "socket closed")
        link.client.dispose(lost)
        link.server.dispose(lost)
        with self.assertRaises(IpcError) as caught:
            list(stream)
        self.assertEqual(caught.exception.code, E.DISCONNECTED)
        self.assertTrue(state["finally"].wait(WAIT_S))
        self.assertEqual(sorted((e[0], e[3]) for e in link.ends), [("client", "DISCONNECTED"), ("server", "DISCONNECTED")])
        with self.assertRaises(IpcError) as after:
            next(link.client.open("count"))
        self.assertEqual(after.exception.code, E.DISCONNECTED)

    def test_an_id_opened_twice_ends_the_running_stream(self):
        sent = []
        endpoint = StreamEndpoint(sent.append, True)
        state, handler = counting()
        open_message = {"kind": "stream-open", "id": 4, "cmd": "count", "credit": 1}
        first_call = Call(None, "rogue", "count", "")
        endpoint.serve(open_message, handler, first_call)
        first = endpoint.producers._streams[4]
        endpoint.serve(open_message, handler, Call(None, "rogue", "count", ""))
        self.assertTrue(first.finished.wait(WAIT_S))
        ends = [m for m in sent if m["kind"] == "stream-end"]
        self.assertEqual([(m["id"], m["error"]["code"]) for m in ends], [(4, E.BAD_MESSAGE)])
        self.assertTrue(first_call.cancelled.is_set())
        self.assertEqual(len(endpoint.producers), 0)

    def test_bad_window_is_refused_locally(self):
        link = Link()
        self.addCleanup(link.stop)
        with self.assertRaises(IpcError) as caught:
            link.client.open("x", window=0)
        self.assertEqual(caught.exception.code, E.INVALID_ARGUMENT)

    def test_validation_names_the_field(self):
        with self.assertRaisesRegex(IpcError, "'credit'"):
            validate_stream_message({"kind": "stream-open", "id": 1, "cmd": "x", "credit": 0})
        with self.assertRaisesRegex(IpcError, "'n'"):
            validate_stream_message({"kind": "stream-credit", "id": 1})


if __name__ == "__main__":
    unittest.main()
