"""Field checks for the messages a client receives (PROTOCOL.md, "Messages").

A message missing a field its `kind` requires is BAD_MESSAGE and ends the
connection, and so does a kind version 1 does not define (PROTOCOL.md:
"a peer receiving an unknown kind treats it as BAD_MESSAGE"). Kinds the
protocol defines but a server never sends (hello, proof, commands) are left to the
caller, which ignores them.
"""

from . import protocol
from .errors import BAD_MESSAGE, IpcError

PROTOCOL_VERSION = protocol.VERSION
KINDS = frozenset({"hello", "challenge", "proof", "welcome", "emit", "request", "response", "cancel", "broadcast", "commands", "error"})


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _is_id(value):
    # Request ids: integers from 0 to 2^53 - 1 (PROTOCOL.md, "Names and ids").
    return _is_int(value) and protocol.REQUEST_ID_MIN <= value <= protocol.REQUEST_ID_MAX


def _is_error(value):
    return isinstance(value, dict) and isinstance(value.get("code"), str) and isinstance(value.get("message"), str)


# kind -> {field: predicate}; every listed field is required.
_HEX64 = frozenset("0123456789abcdef")


def _is_hex64(value):
    return isinstance(value, str) and len(value) == 64 and set(value) <= _HEX64


REQUIRED = {
    "challenge": {"nonce": _is_hex64, "proof": _is_hex64},
    "welcome": {
        "version": _is_int,
        "name": lambda v: isinstance(v, str),
        "uuid": lambda v: isinstance(v, str),
        "session": lambda v: isinstance(v, str),
        "maxFrameSize": lambda v: _is_int(v) and v > 0,
    },
    "emit": {"cmd": lambda v: isinstance(v, str)},
    "request": {"id": _is_id, "cmd": lambda v: isinstance(v, str)},
    "response": {"id": _is_id},
    "cancel": {"id": _is_id},
    "broadcast": {"cmd": lambda v: isinstance(v, str)},
    "error": {"error": _is_error},
}


def validate(message):
    """Raise IpcError BAD_MESSAGE unless `message` has what its kind requires.

    Returns False for an unknown kind, True otherwise.
    """
    kind = message.get("kind")
    if not isinstance(kind, str):
        raise IpcError(BAD_MESSAGE, "message without a kind")
    if kind not in KINDS:
        raise IpcError(BAD_MESSAGE, f"unknown message kind {kind!r}")
    fields = REQUIRED.get(kind)
    if fields is None:
        return False
    for field, ok in fields.items():
        if field not in message or not ok(message[field]):
            raise IpcError(BAD_MESSAGE, f"{kind} message with a missing or bad {field!r}")
    if kind == "response" and "error" in message and not _is_error(message["error"]):
        raise IpcError(BAD_MESSAGE, "response with a malformed error")
    return True
