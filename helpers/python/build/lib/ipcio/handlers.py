"""Command handlers: the registry and the container each call receives."""

import threading

from .errors import DUPLICATE_HANDLER, HANDLER_ERROR, INVALID_ARGUMENT, RESERVED_COMMAND, IpcError

RESERVED_NAMES = frozenset({"handshake", "discover", "broadcast", "emit", "delivery", "error"})
RESERVED_PREFIX = "ipcio:"


class Call:
    """What a handler receives: one incoming emit, request or broadcast.

    Readable as attributes (`call.data`) or as a dict (`call["data"]`).
    `cancelled` is set when the caller cancels or the connection goes away;
    a long handler should check it and give up.
    """

    __slots__ = ("data", "client_name", "command", "uuid", "cancelled")

    def __init__(self, data, client_name, command, uuid):
        self.data = data
        self.client_name = client_name
        self.command = command
        self.uuid = uuid
        self.cancelled = threading.Event()

    def __getitem__(self, key):
        if key not in self.__slots__:
            raise KeyError(key)
        return getattr(self, key)

    def get(self, key, default=None):
        return getattr(self, key, default) if key in self.__slots__ else default

    def __repr__(self):
        return f"Call(command={self.command!r}, client_name={self.client_name!r})"


class HandlerRegistry:
    """Maps command names to callables; refuses reserved names and duplicates."""

    def __init__(self):
        self._lock = threading.Lock()
        self._handlers = {}

    def add(self, handlers):
        for command, fn in handlers.items():
            if not isinstance(command, str) or not command:
                raise IpcError(INVALID_ARGUMENT, f"bad command name {command!r}")
            if command.startswith(RESERVED_PREFIX) or command in RESERVED_NAMES:
                raise IpcError(RESERVED_COMMAND, f"{command!r} is reserved")
            if not callable(fn):
                raise IpcError(INVALID_ARGUMENT, f"handler for {command!r} is not callable")
        with self._lock:
            for command in handlers:
                if command in self._handlers:
                    raise IpcError(DUPLICATE_HANDLER, f"a handler for {command!r} exists already")
            self._handlers.update(handlers)

    def get(self, command):
        with self._lock:
            return self._handlers.get(command)

    def names(self):
        with self._lock:
            return sorted(self._handlers)


def error_from_exception(exc):
    """The `HANDLER_ERROR` sent back when a handler raises `exc`."""
    remote_code = getattr(exc, "code", None)
    if not isinstance(remote_code, (str, int)) or isinstance(remote_code, bool):
        remote_code = type(exc).__name__
    return IpcError(HANDLER_ERROR, str(exc) or type(exc).__name__, remote_code)
