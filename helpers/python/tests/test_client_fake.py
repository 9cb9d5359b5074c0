"""Client behaviour against a scripted fake server (see fake_server.py)."""

import os
import queue
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from fake_server import FakeServer  # noqa: E402
from ipcio import Client, IpcError  # noqa: E402
from ipcio import client as client_module  # noqa: E402


class FakeServerTest(unittest.TestCase):
    def setUp(self):
        self.server = FakeServer()
        self.clients = []

    def tearDown(self):
        for c in self.clients:
            c.close()
        self.server.close()

    def client(self, **kwargs):
        kwargs.setdefault("name", "py")
        kwargs.setdefault("token", "tok")
        c = Client(socket_path=self.server.path, **kwargs)
        self.clients.append(c)
        return c

    def connected(self, **kwargs):
        """A client connected to the fake server, and the server's side of it."""
        c = self.client(**kwargs)
        result = {}
        t = threading.Thread(target=lambda: result.update(zip(("peer", "hello"), self.server.handshake())))
        t.start()
        c.connect(timeout=5)
        t.join()
        return c, result["peer"], result["hello"]

    def test_hello_and_welcome(self):
        c = self.client()
        c.add_handlers({"a": lambda call: 1})
        t = threading.Thread(target=c.connect, kwargs={"timeout": 5})
        t.start()
        peer = self.server.accept()
        hello = peer.recv()
        # The token never crosses the wire: a nonce does, and the client proves the token in answer to the challenge.
        nonce = hello.pop("nonce")
        self.assertRegex(nonce, r"^[0-9a-f]{64}$")
        self.assertEqual(hello, {"kind": "hello", "version": 1, "name": "py", "commands": ["a"], "features": ["streams"]})
        hello["nonce"] = nonce
        peer.welcome(hello, name="py")
        t.join()
        self.assertTrue(c.connected)
        self.assertEqual(c.name, "py")
        c2 = self.client(name="py2", max_frame_size=5000)
        t = threading.Thread(target=c2.connect, kwargs={"timeout": 5})
        t.start()
        peer2 = self.server.accept()
        hello2 = peer2.recv()
        self.assertEqual(hello2["maxFrameSize"], 5000)
        peer2.welcome(hello2)
        t.join()
        self.assertEqual(c.session, "s1")
        with self.assertRaises(IpcError) as ctx:
            c.connect()
        self.assertEqual(ctx.exception.code, "ALREADY_STARTED")

    def test_a_decoy_that_cannot_prove_the_token_is_refused_and_learns_nothing(self):
        """A server in the real one's place, without the token: a wrong challenge proof, or a welcome with
        no challenge at all. The client stops with SERVER_AUTH_FAILED, sends no proof, and never retries."""
        for behaviour in ("wrong proof", "welcome at once"):
            c = self.client(reconnect=True)
            seen = []

            def decoy():
                peer = self.server.accept()
                hello = peer.recv()
                seen.append(hello)
                if behaviour == "wrong proof":
                    peer.send({"kind": "challenge", "nonce": "ab" * 32, "proof": "cd" * 32})
                else:
                    peer.send({"kind": "welcome", "version": 1, "name": "py", "uuid": "0" * 32, "session": "s",
                               "serverName": "decoy", "maxFrameSize": 1 << 20})
                seen.append(peer.recv())  # what the client sends next: nothing (None at its close)
            t = threading.Thread(target=decoy)
            t.start()
            with self.assertRaises(IpcError) as ctx:
                c.connect(timeout=5)
            t.join()
            self.assertEqual(ctx.exception.code, "SERVER_AUTH_FAILED", behaviour)
            self.assertNotIn("token", seen[0])
            self.assertNotIn("tok", repr(seen[0]))
            self.assertIsNone(seen[1], behaviour)
            with self.assertRaises(IpcError) as later:
                c.emit("x")  # stopped for good: later calls fail with the refusal's code, nothing is retried
            self.assertEqual(later.exception.code, "SERVER_AUTH_FAILED")

    def test_fatal_refusal_is_raised_and_not_retried(self):
        for code in ("AUTH_FAILED", "NAME_TAKEN", "PROTOCOL_VERSION"):
            c = self.client()

            def refuse():
                peer = self.server.accept()
                peer.recv()
                peer.send({"kind": "error", "error": {"code": code, "message": "no"}, "fatal": True})
                peer.close()
            t = threading.Thread(target=refuse)
            t.start()
            with self.assertRaises(IpcError) as ctx:
                c.connect(timeout=5)
            t.join()
            self.assertEqual(ctx.exception.code, code)
            self.assertFalse(c.connected)
            with self.assertRaises(queue.Empty):
                self.server.accept(timeout=0.3)

    def test_nothing_listening(self):
        c = Client(socket_path=self.server.path + ".none")
        with self.assertRaises(IpcError) as ctx:
            c.connect(timeout=1)
        self.assertEqual(ctx.exception.code, "DISCONNECTED")

    def test_request_response_and_error(self):
        c, peer, _ = self.connected()
        out = {}
        t = threading.Thread(target=lambda: out.update(r=c.request("sum", [1, 2])))
        t.start()
        req = peer.recv()
        self.assertEqual((req["kind"], req["cmd"], req["data"]), ("request", "sum", [1, 2]))
        peer.send({"kind": "response", "id": req["id"], "data": {"v": b"\x01"}})
        t.join()
        self.assertEqual(out["r"], {"v": b"\x01"})

        t = threading.Thread(target=lambda: out.update(r=self._catch(lambda: c.request_from("x", "y"))))
        t.start()
        req = peer.recv()
        self.assertEqual(req["to"], "x")
        peer.send({"kind": "response", "id": req["id"],
                   "error": {"code": "HANDLER_ERROR", "message": "m", "remoteCode": "E"}})
        t.join()
        self.assertEqual((out["r"].code, out["r"].message, out["r"].remote_code), ("HANDLER_ERROR", "m", "E"))

    def test_timeout_sends_cancel(self):
        c, peer, _ = self.connected()
        start = time.monotonic()
        with self.assertRaises(IpcError) as ctx:
            c.request("slow", timeout=0.2)
        self.assertEqual(ctx.exception.code, "TIMEOUT")
        self.assertLess(time.monotonic() - start, 2)
        req = peer.recv()
        self.assertEqual(peer.recv(), {"kind": "cancel", "id": req["id"]})
        peer.send({"kind": "response", "id": req["id"], "data": 1})  # late answer: ignored
        self.assertTrue(c.connected)

    def test_incoming_calls(self):
        seen = queue.Queue()

        def boom(call):
            error = ValueError("bad value")
            error.code = "E_BAD"
            raise error

        def slow(call):
            seen.put(("slow started", call.data))
            self.assertTrue(call.cancelled.wait(5))
            seen.put("slow cancelled")
            return "never sent"

        c, peer, _ = self.connected()
        c.add_handlers({"echo": lambda call: {"got": call.data, "from": call.client_name, "cmd": call["command"]},
                        "boom": boom, "plain": lambda call: 1 / 0, "slow": slow,
                        "note": lambda call: seen.put(("note", call.data))})
        self.assertEqual(peer.recv(), {"kind": "commands", "commands": ["boom", "echo", "note", "plain", "slow"]})

        peer.send({"kind": "request", "id": 5, "cmd": "slow", "data": 1, "from": "srv"})
        self.assertEqual(seen.get(timeout=5), ("slow started", 1))
        # the slow handler does not hold up the others
        peer.send({"kind": "request", "id": 1, "cmd": "echo", "data": b"\x00", "from": "srv", "fromUuid": "u"})
        self.assertEqual(peer.recv(), {"kind": "response", "id": 1,
                                       "data": {"got": b"\x00", "from": "srv", "cmd": "echo"}})
        peer.send({"kind": "request", "id": 2, "cmd": "boom"})
        self.assertEqual(peer.recv()["error"], {"code": "HANDLER_ERROR", "message": "bad value", "remoteCode": "E_BAD"})
        peer.send({"kind": "request", "id": 3, "cmd": "plain"})
        self.assertEqual(peer.recv()["error"]["remoteCode"], "ZeroDivisionError")
        peer.send({"kind": "request", "id": 4, "cmd": "nope"})
        self.assertEqual(peer.recv()["error"]["code"], "NO_HANDLER")
        peer.send({"kind": "emit", "cmd": "note", "data": "e"})
        peer.send({"kind": "broadcast", "cmd": "note", "data": "b"})
        got = {seen.get(timeout=5), seen.get(timeout=5)}
        self.assertEqual(got, {("note", "e"), ("note", "b")})
        peer.send({"kind": "cancel", "id": 5})
        self.assertEqual(seen.get(timeout=5), "slow cancelled")
        peer.send({"kind": "request", "id": 6, "cmd": "echo", "data": 6})
        self.assertEqual(peer.recv()["id"], 6)  # and no response for 5 came before it

    def test_frame_too_large_locally_keeps_the_connection(self):
        c, peer, _ = self.connected(max_frame_size=None)
        self.assertEqual(c.max_frame_size, 1 << 20)
        with self.assertRaises(IpcError) as ctx:
            c.emit("big", b"\0" * (1 << 20))
        self.assertEqual(ctx.exception.code, "FRAME_TOO_LARGE")
        c.emit("small", b"\0")
        self.assertEqual(peer.recv()["cmd"], "small")
        self.assertTrue(c.connected)

    def test_drop_reconnect_queue_and_session(self):
        c, peer, hello = self.connected()
        failed = {}
        t = threading.Thread(target=lambda: failed.update(e=self._catch(lambda: c.request("inflight"))))
        t.start()
        self.assertEqual(peer.recv()["cmd"], "inflight")
        peer.close()
        t.join(5)
        self.assertEqual(failed["e"].code, "DISCONNECTED")
        deadline = time.monotonic() + 5
        while c.connected and time.monotonic() < deadline:
            time.sleep(0.01)
        self.assertFalse(c.connected)
        self.server.stop_listening()  # let a few reconnect attempts fail
        for i in range(5):
            c.emit("queued", i)
        queued_request = {}
        t = threading.Thread(target=lambda: queued_request.update(r=c.request("later")))
        t.start()
        time.sleep(0.3)
        self.server.listen()
        peer2 = self.server.accept(timeout=5)
        hello2 = peer2.recv()
        self.assertEqual((hello2["name"], hello2["session"]), ("py", "s1"))
        peer2.welcome(hello2, session="s2")
        self.assertEqual([peer2.recv()["data"] for _ in range(5)], list(range(5)))
        req = peer2.recv()
        self.assertEqual(req["cmd"], "later")
        peer2.send({"kind": "response", "id": req["id"], "data": "ok"})
        t.join(5)
        self.assertEqual(queued_request["r"], "ok")
        self.assertEqual(c.session, "s2")

    def test_no_reconnect(self):
        c, peer, _ = self.connected(reconnect=False)
        peer.close()
        c._stopped.wait(5)
        with self.assertRaises(IpcError) as ctx:
            c.emit("x")
        self.assertEqual(ctx.exception.code, "DISCONNECTED")
        with self.assertRaises(queue.Empty):
            self.server.accept(timeout=0.3)

    def test_session_replaced_stops_instead_of_reclaiming(self):
        """Defect 5 of issue 9: a replaced connection must not reconnect and take its name back."""
        c, peer, _ = self.connected()
        peer.send({"kind": "error", "error": {"code": "SESSION_REPLACED", "message": "replaced"}, "fatal": True, "retry": False})
        peer.close()
        self.assertTrue(c._stopped.wait(5))
        with self.assertRaises(IpcError) as ctx:
            c.emit("x")
        self.assertEqual(ctx.exception.code, "SESSION_REPLACED")
        with self.assertRaises(queue.Empty):
            self.server.accept(timeout=0.3)

    def test_any_fatal_error_with_retry_false_stops(self):
        """Defect 2 of issue 9: the retry flag decides, not a list of handshake codes."""
        c, peer, _ = self.connected()
        peer.send({"kind": "error", "error": {"code": "SLOW_CONSUMER", "message": "go"}, "fatal": True, "retry": False})
        peer.close()
        self.assertTrue(c._stopped.wait(5))
        with self.assertRaises(IpcError) as ctx:
            c.request("x")
        self.assertEqual(ctx.exception.code, "SLOW_CONSUMER")

    def test_no_answer_after_cancel_even_when_the_id_is_reused(self):
        """Defects 3 and 4 of issue 9 on the Python side."""
        release = threading.Event()
        started = threading.Event()

        def stuck(call):
            started.set()
            release.wait(5)
            return "stale"

        c, peer, _ = self.connected()
        c.add_handlers({"stuck": stuck, "echo": lambda call: call.data})
        peer.recv_kind("commands")
        peer.send({"kind": "request", "id": 5, "cmd": "stuck"})
        self.assertTrue(started.wait(5))
        peer.send({"kind": "cancel", "id": 5})
        peer.send({"kind": "request", "id": 5, "cmd": "echo", "data": "fresh"})
        self.assertEqual(peer.recv(), {"kind": "response", "id": 5, "data": "fresh"})
        release.set()
        peer.send({"kind": "request", "id": 6, "cmd": "echo", "data": 6})
        self.assertEqual(peer.recv(), {"kind": "response", "id": 6, "data": 6})  # nothing for the cancelled 5 came first

    def test_request_ids_must_be_integers_below_2_53(self):
        for bad in ("7", -1, 2 ** 53, 1.5):
            c, peer, _ = self.connected(name=f"ids{len(self.clients)}")
            peer.send({"kind": "request", "id": bad, "cmd": "echo"})
            message = peer.recv()
            self.assertEqual((message["kind"], message["error"]["code"], message["fatal"]), ("error", "BAD_MESSAGE", True), bad)

    def test_close_rejects_pending(self):
        c, peer, _ = self.connected()
        out = {}
        t = threading.Thread(target=lambda: out.update(e=self._catch(lambda: c.request("x"))))
        t.start()
        peer.recv()
        c.close()
        t.join(5)
        self.assertEqual(out["e"].code, "CLOSED")
        with self.assertRaises(IpcError) as ctx:
            c.emit("x")
        self.assertEqual(ctx.exception.code, "CLOSED")
        self.assertIsNone(peer.recv())

    def test_queue_bound(self):
        c = self.client()  # never connected: everything is queued
        old = client_module.QUEUE_LIMIT
        client_module.QUEUE_LIMIT = 3
        try:
            for i in range(3):
                c.emit("x", i)
            with self.assertRaises(IpcError) as ctx:
                c.emit("x", 3)
            self.assertEqual(ctx.exception.code, "QUEUE_FULL")
        finally:
            client_module.QUEUE_LIMIT = old

    def test_queue_byte_bound(self):
        c = self.client()  # never connected: everything is queued
        old = client_module.QUEUE_BYTES
        client_module.QUEUE_BYTES = 2100  # two 900-byte emits and their framing fit, a third does not
        try:
            c.emit("x", b"a" * 900)
            c.emit("x", b"b" * 900)
            with self.assertRaises(IpcError) as ctx:
                c.emit("x", b"c" * 900)
            self.assertEqual(ctx.exception.code, "QUEUE_FULL")
            c.emit("x", 1)  # a small one still fits: the newest too-large message was refused, nothing else
        finally:
            client_module.QUEUE_BYTES = old

    def test_default_queue_bound_is_10000(self):
        c = self.client()
        for i in range(10000):
            c.emit("x")
        with self.assertRaises(IpcError) as ctx:
            c.emit("x")
        self.assertEqual(ctx.exception.code, "QUEUE_FULL")

    def test_handler_registration_rules(self):
        c = self.client()
        for bad in ("ipcio:x", "discover", "emit", "error", "handshake", "broadcast", "delivery"):
            with self.assertRaises(IpcError) as ctx:
                c.add_handlers({bad: print})
            self.assertEqual(ctx.exception.code, "RESERVED_COMMAND")

        @c.handler("a")
        def a(call):
            return 1
        with self.assertRaises(IpcError) as ctx:
            c.add_handlers({"a": print})
        self.assertEqual(ctx.exception.code, "DUPLICATE_HANDLER")

    @staticmethod
    def _catch(fn):
        try:
            fn()
        except IpcError as exc:
            return exc
        return None


if __name__ == "__main__":
    unittest.main()


class StreamWiringTest(unittest.TestCase):
    """The client's stream wiring against a scripted server: the feature, the messages, the ends."""

    def setUp(self):
        self.server = FakeServer()
        self.clients = []

    def tearDown(self):
        for c in self.clients:
            c.close()
        self.server.close()

    def connected(self, features):
        c = Client(socket_path=self.server.path, name="py", reconnect=False)
        self.clients.append(c)
        result = {}

        def serve():
            peer = self.server.accept()
            hello = peer.recv()
            welcome = {"kind": "welcome", "version": 1, "name": "py", "uuid": "0" * 32, "session": "s", "serverName": "srv",
                       "maxFrameSize": 1 << 20}
            if features is not None:
                welcome["features"] = features
            peer.send(welcome)
            result["peer"] = peer
        t = threading.Thread(target=serve)
        t.start()
        c.connect(timeout=5)
        t.join()
        return c, result["peer"]

    def test_a_server_without_the_feature_gets_no_stream_open_and_the_loop_raises_unsupported(self):
        c, peer = self.connected(features=None)
        with self.assertRaises(IpcError) as caught:
            list(c.stream("tail"))
        self.assertEqual(caught.exception.code, "UNSUPPORTED")
        c.emit("still", 1)
        self.assertEqual(peer.recv()["kind"], "emit")  # nothing stream-related went out before it

    def test_items_then_end_and_credit_as_the_loop_reads(self):
        c, peer = self.connected(features=["streams"])
        stream = c.stream("tail", {"n": 4}, window=2)
        opened = peer.recv()
        self.assertEqual({k: opened[k] for k in ("kind", "cmd", "credit", "data")}, {"kind": "stream-open", "cmd": "tail", "credit": 2, "data": {"n": 4}})
        sid = opened["id"]
        peer.send({"kind": "stream-item", "id": sid, "data": 0})
        peer.send({"kind": "stream-item", "id": sid, "data": 1})
        self.assertEqual([next(stream), next(stream)], [0, 1])
        # Credit comes back as items are read (once half the window is free), never more than the window.
        self.assertIn(peer.recv_kind("stream-credit")["n"], (1, 2))
        peer.send({"kind": "stream-item", "id": sid, "data": 2})
        peer.send({"kind": "stream-end", "id": sid, "error": {"code": "HANDLER_ERROR", "message": "broke", "remoteCode": "E_X"}})
        self.assertEqual(next(stream), 2)
        with self.assertRaises(IpcError) as caught:
            next(stream)
        self.assertEqual((caught.exception.code, caught.exception.remote_code), ("HANDLER_ERROR", "E_X"))

    def test_a_generator_handler_serves_a_stream_and_the_connection_loss_closes_it(self):
        closed = threading.Event()

        def ticks(call):
            try:
                i = 0
                while True:
                    yield i
                    i += 1
            finally:
                closed.set()

        c, peer = self.connected(features=["streams"])
        c.add_handlers({"ticks": ticks})
        peer.recv_kind("commands")
        peer.send({"kind": "stream-open", "id": 9, "cmd": "ticks", "credit": 2, "from": "other"})
        self.assertEqual([peer.recv_kind("stream-item")["data"] for _ in range(2)], [0, 1])
        peer.close()
        self.assertTrue(closed.wait(5), "the generator's finally ran when the connection went")

    def test_a_request_to_a_generator_handler_is_handler_error(self):
        def ticks(call):
            yield 1

        c, peer = self.connected(features=["streams"])
        c.add_handlers({"ticks": ticks})
        peer.recv_kind("commands")
        peer.send({"kind": "request", "id": 3, "cmd": "ticks", "from": "other"})
        response = peer.recv_kind("response")
        self.assertEqual(response["error"]["code"], "HANDLER_ERROR")
        self.assertIn("stream()", response["error"]["message"])
