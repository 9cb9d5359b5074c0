"""Frame encoding and decoding (PROTOCOL.md, "Frames").

    frameLength u32BE | jsonLength u32BE | JSON (UTF-8) | blob 0 | blob 1 | ...

frameLength counts everything after its own field. Binary values are not put in
the JSON: each becomes a `null` placeholder and its bytes follow the JSON, in
the order listed by the message's `bin` array of `{path, length}`.
"""

import json
import struct

from .errors import BAD_MESSAGE, FRAME_TOO_LARGE, INVALID_ARGUMENT, IpcError

DEFAULT_MAX_FRAME_SIZE = 64 * 1024 * 1024
HEADER = struct.Struct(">II")
U32_MAX = 0xFFFFFFFF
# Keys a path may not use: a JavaScript peer would walk into its prototype chain.
FORBIDDEN_KEYS = frozenset({"__proto__", "prototype", "constructor"})
BINARY_TYPES = (bytes, bytearray, memoryview)


# ---------------------------------------------------------------- encoding


def encode_frame(message, max_frame_size=None):
    """Return the frame bytes for `message` (a dict), binaries moved out as blobs.

    Raises IpcError INVALID_ARGUMENT if the message cannot be JSON, and
    FRAME_TOO_LARGE if the frame exceeds `max_frame_size` (or 2**32 - 1).
    """
    blobs = []
    bins = []
    try:
        plain = _extract(message, [], blobs, bins)
    except (TypeError, ValueError) as exc:
        raise IpcError(INVALID_ARGUMENT, f"message is not serialisable: {exc}") from None
    if bins:
        plain["bin"] = bins
    json_bytes = _dump_json(plain)
    frame_length = 4 + len(json_bytes) + sum(len(b) for b in blobs)
    limit = U32_MAX if max_frame_size is None else min(max_frame_size, U32_MAX)
    if frame_length > limit:
        raise IpcError(FRAME_TOO_LARGE, f"frame of {frame_length} bytes exceeds the limit of {limit}")
    return b"".join([HEADER.pack(frame_length, len(json_bytes)), json_bytes, *blobs])


def _extract(value, path, blobs, bins):
    """Copy `value` with every binary replaced by None, recording blob and path."""
    if isinstance(value, BINARY_TYPES):
        # Receivers refuse these keys in binary paths (they reach a JS prototype): fail here, keep the connection.
        bad = next((step for step in path if step in FORBIDDEN_KEYS), None)
        if bad is not None:
            raise IpcError(INVALID_ARGUMENT, f"binary data under the key {bad!r} cannot be sent (path {path!r})")
        blob = value.tobytes() if isinstance(value, memoryview) else bytes(value)
        blobs.append(blob)
        bins.append({"path": list(path), "length": len(blob)})
        return None
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            key = _json_key(key)
            if key in out:  # e.g. 1 and "1": one JSON key, two values
                raise ValueError(f"object key {key!r} appears twice once converted to a string")
            path.append(key)
            out[key] = _extract(item, path, blobs, bins)
            path.pop()
        return out
    if isinstance(value, (list, tuple)):
        out = []
        for index, item in enumerate(value):
            path.append(index)
            out.append(_extract(item, path, blobs, bins))
            path.pop()
        return out
    return value


def _json_key(key):
    # The path must name the key as it will appear in the JSON, so convert the
    # non-string keys json.dumps accepts exactly the way it would.
    if isinstance(key, str):
        return key
    if key is None or isinstance(key, (bool, int, float)):
        return json.dumps(key)
    raise TypeError(f"object keys must be strings, not {type(key).__name__}")


def _dump_json(obj):
    try:
        text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        return text.encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate cannot be UTF-8; \u escapes keep it (JavaScript strings allow it).
        return json.dumps(obj, separators=(",", ":"), allow_nan=False).encode("ascii")
    except (TypeError, ValueError) as exc:
        raise IpcError(INVALID_ARGUMENT, f"message is not serialisable: {exc}") from None


# ---------------------------------------------------------------- decoding


class FrameDecoder:
    """Turns a byte stream, fed in chunks of any size, into messages.

    Raises IpcError FRAME_TOO_LARGE as soon as a header announces a frame over
    the limit (before its body is buffered) and BAD_MESSAGE for a malformed
    frame. After either error the stream is unusable: close the connection.
    """

    def __init__(self, max_frame_size=DEFAULT_MAX_FRAME_SIZE):
        self.max_frame_size = max_frame_size
        self._buffer = bytearray()

    def feed(self, chunk):
        """Append `chunk`; return the list of messages completed by it."""
        self._buffer += chunk
        messages = []
        while True:
            message = self._next()
            if message is None:
                return messages
            messages.append(message)

    def _next(self):
        buf = self._buffer
        if len(buf) < HEADER.size:
            return None
        frame_length, json_length = HEADER.unpack_from(buf)
        if frame_length > self.max_frame_size:
            raise IpcError(
                FRAME_TOO_LARGE,
                f"incoming frame of {frame_length} bytes exceeds the limit of {self.max_frame_size}",
            )
        if json_length > frame_length - 4:  # also catches frame_length < 4
            raise IpcError(BAD_MESSAGE, f"jsonLength {json_length} does not fit in frameLength {frame_length}")
        end = 4 + frame_length
        if len(buf) < end:
            return None
        json_bytes = bytes(buf[HEADER.size:HEADER.size + json_length])
        blob_bytes = bytes(buf[HEADER.size + json_length:end])
        del buf[:end]
        return decode_body(json_bytes, blob_bytes)


def decode_body(json_bytes, blob_bytes):
    """Parse the JSON of one frame and put its blobs back in place."""
    try:
        message = json.loads(json_bytes.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError as exc:
        raise IpcError(BAD_MESSAGE, f"invalid UTF-8: {exc}") from None
    except ValueError as exc:
        raise IpcError(BAD_MESSAGE, f"invalid JSON: {exc}") from None
    if not isinstance(message, dict):
        raise IpcError(BAD_MESSAGE, "the JSON of a frame must be an object")
    bins = message.pop("bin", None)
    if bins is None:
        if blob_bytes:
            raise IpcError(BAD_MESSAGE, f"{len(blob_bytes)} blob bytes but no bin array")
        return message
    _insert_blobs(message, bins, blob_bytes)
    return message


def _reject_constant(name):
    # Python's json accepts NaN and Infinity; JSON (and JavaScript's JSON.parse) does not.
    raise ValueError(f"{name} is not JSON")


def _insert_blobs(message, bins, blob_bytes):
    if not isinstance(bins, list):
        raise IpcError(BAD_MESSAGE, "bin must be an array")
    lengths = []
    for entry in bins:
        length = entry.get("length") if isinstance(entry, dict) else None
        if not _is_int(length) or length < 0:
            raise IpcError(BAD_MESSAGE, f"bad bin entry {entry!r}")
        lengths.append(length)
    if sum(lengths) != len(blob_bytes):
        raise IpcError(BAD_MESSAGE, f"bin lengths add up to {sum(lengths)}, frame carries {len(blob_bytes)} blob bytes")
    offset = 0
    for entry, length in zip(bins, lengths):
        container, last = _resolve_placeholder(message, entry.get("path"))
        container[last] = blob_bytes[offset:offset + length]
        offset += length


def _resolve_placeholder(message, path):
    """Return (container, key) of the null placeholder `path` leads to."""
    if not isinstance(path, list) or not path:
        raise IpcError(BAD_MESSAGE, f"bad bin path {path!r}")
    node = message
    for depth, step in enumerate(path):
        if isinstance(node, dict) and isinstance(step, str):
            if step in FORBIDDEN_KEYS:
                raise IpcError(BAD_MESSAGE, f"bin path key {step!r} is refused")
            ok = step in node
        elif isinstance(node, list) and _is_int(step):
            ok = 0 <= step < len(node)
        else:
            ok = False
        if not ok:
            raise IpcError(BAD_MESSAGE, f"bin path {path!r} does not exist in the message")
        if depth == len(path) - 1:
            if node[step] is not None:
                raise IpcError(BAD_MESSAGE, f"bin path {path!r} does not lead to a null placeholder")
            return node, step
        node = node[step]
    raise AssertionError("unreachable")


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)
