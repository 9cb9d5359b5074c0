"""Frame encoder/decoder (PROTOCOL.md, "Frames")."""

import json
import os
import random
import struct
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from ipcio.errors import IpcError  # noqa: E402
from ipcio.frames import FrameDecoder, encode_frame  # noqa: E402


def raw_frame(json_bytes, blobs=b"", frame_length=None, json_length=None):
    """A frame built by hand, so the decoder can be fed what the encoder would never make."""
    if json_length is None:
        json_length = len(json_bytes)
    if frame_length is None:
        frame_length = 4 + len(json_bytes) + len(blobs)
    return struct.pack(">II", frame_length, json_length) + json_bytes + blobs


def decode_all(data, max_frame_size=1 << 20):
    return FrameDecoder(max_frame_size).feed(data)


class EncodeTest(unittest.TestCase):
    def test_layout_matches_the_spec_example(self):
        frame = encode_frame({"kind": "emit", "cmd": "save", "data": {"name": "a.png", "bytes": b"hello"}})
        frame_length, json_length = struct.unpack(">II", frame[:8])
        self.assertEqual(frame_length, len(frame) - 4)
        self.assertEqual(frame_length, 4 + json_length + 5)
        message = json.loads(frame[8:8 + json_length])
        self.assertEqual(message["data"], {"name": "a.png", "bytes": None})
        self.assertEqual(message["bin"], [{"path": ["data", "bytes"], "length": 5}])
        self.assertEqual(frame[8 + json_length:], b"hello")

    def test_no_bin_without_binaries(self):
        frame = encode_frame({"kind": "emit", "cmd": "x", "data": [1, "two", None]})
        self.assertNotIn(b'"bin"', frame)

    def test_binary_types_and_paths_round_trip(self):
        message = {
            "kind": "request", "id": 1, "cmd": "c",
            "data": {"a": b"\x00\x01", "list": [b"", bytearray(b"xyz"), {"deep": memoryview(b"mv")}],
                     "tuple": (1, b"t")},
        }
        frame = encode_frame(message)
        json_length = struct.unpack(">I", frame[4:8])[0]
        bins = json.loads(frame[8:8 + json_length])["bin"]
        self.assertEqual([b["path"] for b in bins],
                         [["data", "a"], ["data", "list", 0], ["data", "list", 1],
                          ["data", "list", 2, "deep"], ["data", "tuple", 1]])
        [decoded] = decode_all(frame)
        self.assertEqual(decoded["data"], {"a": b"\x00\x01", "list": [b"", b"xyz", {"deep": b"mv"}],
                                           "tuple": [1, b"t"]})
        self.assertNotIn("bin", decoded)
        self.assertIs(type(decoded["data"]["list"][1]), bytes)

    def test_binary_under_a_prototype_key_is_refused_before_sending(self):
        for key in ("__proto__", "constructor", "prototype"):
            with self.assertRaises(IpcError) as caught:
                encode_frame({"kind": "emit", "cmd": "x", "data": {key: b"\x00"}})
            self.assertEqual(caught.exception.code, "INVALID_ARGUMENT")

    def test_too_large_is_refused(self):
        with self.assertRaises(IpcError) as ctx:
            encode_frame({"kind": "emit", "cmd": "x", "data": b"\0" * 100}, max_frame_size=100)
        self.assertEqual(ctx.exception.code, "FRAME_TOO_LARGE")

    def test_not_serialisable(self):
        for data in ({"x": object()}, float("nan"), {(1, 2): 3}):
            with self.assertRaises(IpcError) as ctx:
                encode_frame({"kind": "emit", "cmd": "x", "data": data})
            self.assertEqual(ctx.exception.code, "INVALID_ARGUMENT")

    def test_lone_surrogate_survives(self):
        [decoded] = decode_all(encode_frame({"kind": "emit", "cmd": "x", "data": "a\ud800b"}))
        self.assertEqual(decoded["data"], "a\ud800b")

    def test_non_string_keys_are_named_as_in_the_json(self):
        [decoded] = decode_all(encode_frame({"kind": "emit", "cmd": "x", "data": {1: b"one", None: b"n"}}))
        self.assertEqual(decoded["data"], {"1": b"one", "null": b"n"})
        with self.assertRaises(IpcError):
            encode_frame({"kind": "emit", "cmd": "x", "data": {1: b"one", "1": b"two"}})


class DecodeStreamTest(unittest.TestCase):
    MESSAGES = [
        {"kind": "emit", "cmd": "a", "data": "héllo wörld 😀 中文"},
        {"kind": "request", "id": 1, "cmd": "b", "data": {"blob": b"\xff" * 300, "n": [1, 2.5, None, True]}},
        {"kind": "response", "id": 1, "data": [b"one", b"", b"three"]},
        {"kind": "broadcast", "cmd": "c"},
        {"kind": "emit", "cmd": "big", "data": {"text": "ü" * 5000, "bytes": os.urandom(20000)}},
    ]

    def test_random_rechunking(self):
        stream = b"".join(encode_frame(m) for m in self.MESSAGES)
        expected = [json.loads(json.dumps(m, default=lambda b: list(b))) for m in self.MESSAGES]
        for seed in range(200):
            rng = random.Random(seed)
            decoder = FrameDecoder()
            got = []
            pos = 0
            while pos < len(stream):
                size = rng.choice([1, 2, 3, 7, 8, 9, 64, 1000, 30000])
                got.extend(decoder.feed(stream[pos:pos + size]))
                pos += size
            normalised = [json.loads(json.dumps(m, default=lambda b: list(b))) for m in got]
            self.assertEqual(normalised, expected, f"seed {seed}")

    def test_multibyte_utf8_split_at_every_byte(self):
        frame = encode_frame({"kind": "emit", "cmd": "x", "data": "é😀中"})
        for cut in range(len(frame) + 1):
            decoder = FrameDecoder()
            got = decoder.feed(frame[:cut]) + decoder.feed(frame[cut:])
            self.assertEqual([m["data"] for m in got], ["é😀中"], f"cut at {cut}")

    def test_empty_feed_and_partial_header(self):
        decoder = FrameDecoder()
        self.assertEqual(decoder.feed(b""), [])
        frame = encode_frame({"kind": "emit", "cmd": "x"})
        self.assertEqual(decoder.feed(frame[:5]), [])
        self.assertEqual(decoder.feed(frame[5:] + frame), [{"kind": "emit", "cmd": "x"}] * 2)


class DecodeErrorTest(unittest.TestCase):
    def assertCode(self, code, data, max_frame_size=1 << 20):
        with self.assertRaises(IpcError) as ctx:
            decode_all(data, max_frame_size)
        self.assertEqual(ctx.exception.code, code)

    def test_oversize_header_rejected_before_the_body(self):
        decoder = FrameDecoder(max_frame_size=1000)
        with self.assertRaises(IpcError) as ctx:
            decoder.feed(struct.pack(">II", 1001, 2))  # header alone, no body sent
        self.assertEqual(ctx.exception.code, "FRAME_TOO_LARGE")

    def test_frame_at_the_limit_is_accepted(self):
        body = b'{"kind":"emit","cmd":"x"}'
        [m] = decode_all(raw_frame(body), max_frame_size=4 + len(body))
        self.assertEqual(m["cmd"], "x")

    def test_inconsistent_lengths(self):
        self.assertCode("BAD_MESSAGE", struct.pack(">II", 3, 0))  # frameLength < 4
        self.assertCode("BAD_MESSAGE", raw_frame(b"{}", json_length=10, frame_length=6))

    def test_malformed_json(self):
        for body in (b"{", b"{'a':1}", b"", b"[1,2]", b'"str"', b'{"x":NaN}', b"{} {}"):
            self.assertCode("BAD_MESSAGE", raw_frame(body))

    def test_invalid_utf8(self):
        self.assertCode("BAD_MESSAGE", raw_frame(b'{"kind":"emit","cmd":"\xc3"}'))
        self.assertCode("BAD_MESSAGE", raw_frame(b'{"kind":"emit","cmd":"\xed\xa0\x80"}'))  # encoded surrogate

    def test_blob_bytes_without_bin(self):
        self.assertCode("BAD_MESSAGE", raw_frame(b'{"kind":"emit"}', blobs=b"xx"))

    def test_bin_lengths_must_match_exactly(self):
        body = b'{"kind":"emit","data":null,"bin":[{"path":["data"],"length":2}]}'
        self.assertCode("BAD_MESSAGE", raw_frame(body, blobs=b"x"))
        self.assertCode("BAD_MESSAGE", raw_frame(body, blobs=b"xyz"))
        [m] = decode_all(raw_frame(body, blobs=b"xy"))
        self.assertEqual(m["data"], b"xy")

    def test_bad_bin_paths(self):
        cases = [
            '{"data":{"a":1},"bin":[{"path":["data","a"],"length":1}]}',  # not a null placeholder
            '{"data":{},"bin":[{"path":["data","a"],"length":1}]}',  # no such key
            '{"data":[null],"bin":[{"path":["data",1],"length":1}]}',  # index out of range
            '{"data":[null],"bin":[{"path":["data","0"],"length":1}]}',  # string index into a list
            '{"data":{"0":null},"bin":[{"path":["data",0],"length":1}]}',  # number key into an object
            '{"__proto__":null,"bin":[{"path":["__proto__"],"length":1}]}',
            '{"data":{"constructor":null},"bin":[{"path":["data","constructor"],"length":1}]}',
            '{"data":{"prototype":null},"bin":[{"path":["data","prototype"],"length":1}]}',
            '{"data":null,"bin":[{"path":[],"length":1}]}',
            '{"data":null,"bin":[{"path":"data","length":1}]}',
            '{"data":null,"bin":[{"path":["data"],"length":-1}]}',
            '{"data":null,"bin":[{"path":["data"],"length":true}]}',
            '{"data":null,"bin":{"path":["data"],"length":1}}',
            '{"data":[null],"bin":[{"path":["data",0],"length":0},{"path":["data",0],"length":1}]}',
        ]
        for body in cases:
            with self.subTest(body=body):
                self.assertCode("BAD_MESSAGE", raw_frame(body.encode(), blobs=b"x"))


if __name__ == "__main__":
    unittest.main()


class NestingTest(unittest.TestCase):
    """PROTOCOL.md, "Nesting": 128 levels, the message itself being the first."""

    @staticmethod
    def nested(levels):
        value = 0
        for _ in range(levels):
            value = [value]
        return value

    def test_the_deepest_allowed_message_round_trips(self):
        message = {"kind": "emit", "cmd": "x", "data": self.nested(127)}
        self.assertEqual(FrameDecoder().feed(encode_frame(message)), [message])

    def test_one_level_more_is_refused_before_sending(self):
        with self.assertRaises(IpcError) as ctx:
            encode_frame({"kind": "emit", "cmd": "x", "data": self.nested(128)})
        self.assertEqual(ctx.exception.code, "NESTING_TOO_DEEP")

    def test_an_undecodable_frame_is_skipped_and_the_stream_goes_on(self):
        deep = raw_frame(('{"kind":"emit","cmd":"x","data":' + "[" * 5000 + "]" * 5000 + "}").encode())
        over_limit = raw_frame(('{"kind":"emit","cmd":"x","data":' + "[" * 128 + "]" * 128 + "}").encode())
        broken = raw_frame(b'{"kind":"emit",')
        good = encode_frame({"kind": "emit", "cmd": "after"})
        skipped = []
        decoder = FrameDecoder(on_undecodable=skipped.append)
        self.assertEqual(decoder.feed(deep + over_limit + broken + good), [{"kind": "emit", "cmd": "after"}])
        self.assertEqual([e.code for e in skipped], ["NESTING_TOO_DEEP", "NESTING_TOO_DEEP", "BAD_MESSAGE"])

    def test_without_the_callback_an_undecodable_frame_raises(self):
        with self.assertRaises(IpcError) as ctx:
            FrameDecoder().feed(raw_frame(b'{"kind":"emit",'))
        self.assertEqual(ctx.exception.code, "BAD_MESSAGE")
