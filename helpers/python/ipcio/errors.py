"""IpcError: the one exception type of ipcio, local or remote (PROTOCOL.md, "Error codes")."""

# The codes this client raises itself. Remote errors may carry any code.
INVALID_ARGUMENT = "INVALID_ARGUMENT"
ALREADY_STARTED = "ALREADY_STARTED"
RESERVED_COMMAND = "RESERVED_COMMAND"
DUPLICATE_HANDLER = "DUPLICATE_HANDLER"
SOCKET_PATH_TOO_LONG = "SOCKET_PATH_TOO_LONG"
UNSAFE_SOCKET_DIR = "UNSAFE_SOCKET_DIR"
NAME_TAKEN = "NAME_TAKEN"
AUTH_FAILED = "AUTH_FAILED"
SERVER_AUTH_FAILED = "SERVER_AUTH_FAILED"
PROTOCOL_VERSION = "PROTOCOL_VERSION"
FRAME_TOO_LARGE = "FRAME_TOO_LARGE"
BAD_MESSAGE = "BAD_MESSAGE"
QUEUE_FULL = "QUEUE_FULL"
NESTING_TOO_DEEP = "NESTING_TOO_DEEP"
NO_HANDLER = "NO_HANDLER"
HANDLER_ERROR = "HANDLER_ERROR"
TIMEOUT = "TIMEOUT"
DISCONNECTED = "DISCONNECTED"
CLOSED = "CLOSED"
SESSION_REPLACED = "SESSION_REPLACED"
CANCELLED = "CANCELLED"
NO_SUCH_CLIENT = "NO_SUCH_CLIENT"
UNSUPPORTED = "UNSUPPORTED"
TOO_MANY_STREAMS = "TOO_MANY_STREAMS"

# Which fatal errors stop a client: protocol.can_retry_after (the `retry` flag, else protocol.json's stopCodes).


class IpcError(Exception):
    """An ipcio error. `remote_code` is the code a remote handler's exception carried."""

    def __init__(self, code, message="", remote_code=None, data=None):
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        self.message = message
        self.remote_code = remote_code
        self.data = data

    def __repr__(self):
        return f"IpcError({self.code!r}, {self.message!r})"

    def to_wire(self):
        """The `{code, message, remoteCode?, data?}` object of `response.error` / `error.error`."""
        wire = {"code": self.code, "message": self.message}
        if self.remote_code is not None:
            wire["remoteCode"] = self.remote_code
        if self.data is not None:
            wire["data"] = self.data
        return wire

    @classmethod
    def from_wire(cls, wire):
        return cls(
            str(wire.get("code")),
            str(wire.get("message", "")),
            wire.get("remoteCode"),
            wire.get("data"),
        )
