"""The protocol's shared constants, read from protocol.json next to this file.

protocol.json is a copy of lib/common/protocol.ts (the one source), written
by `npm run protocol:write`; test/unit/protocol-constants.test.ts fails when
the copy differs from the source.
"""

import json
import os

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "protocol.json"), encoding="utf-8") as _file:
    PROTOCOL = json.load(_file)

VERSION = PROTOCOL["version"]
# Codes after which reconnecting cannot succeed, for a fatal error without a `retry` field.
STOP_CODES = frozenset(PROTOCOL["stopCodes"])
NAME_MAX_LENGTH = PROTOCOL["names"]["maxLength"]
DOMAIN_PATTERN = PROTOCOL["domains"]["pattern"]
REQUEST_ID_MIN = PROTOCOL["requestIds"]["min"]
REQUEST_ID_MAX = PROTOCOL["requestIds"]["max"]
_defaults = PROTOCOL["defaults"]
HANDSHAKE_TIMEOUT_S = _defaults["handshakeTimeoutMs"] / 1000
REQUEST_TIMEOUT_S = _defaults["requestTimeoutMs"] / 1000
RECONNECT_MIN_S = _defaults["reconnectMinMs"] / 1000
RECONNECT_MAX_S = _defaults["reconnectMaxMs"] / 1000
QUEUE_MESSAGES = _defaults["queueMessages"]
QUEUE_BYTES = _defaults["queueBytes"]
MAX_FRAME_SIZE = _defaults["maxFrameSize"]


def can_retry_after(message):
    """Whether connecting again can succeed after this fatal `error` message."""
    retry = message.get("retry")
    if isinstance(retry, bool):
        return retry
    error = message.get("error")
    return not (isinstance(error, dict) and error.get("code") in STOP_CODES)


def backoff_delay_s(attempt, random_value):
    """The delay before reconnect attempt `attempt` (from 0): the upper half of a doubling ceiling."""
    ceiling = min(RECONNECT_MAX_S, RECONNECT_MIN_S * 2 ** min(attempt, 30))
    return max(RECONNECT_MIN_S, ceiling / 2 + random_value * ceiling / 2)
