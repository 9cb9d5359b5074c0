"""The ipcio client: one named connection to the server, kept alive across drops.

Threads:
- the caller's threads send (emit, request, ...) under `_wlock`, which also
  guards everything about the current socket (`_sock`, `_conn`, `_online`,
  `_queue`) so that frames never interleave and queued messages keep order;
- one reader thread owns the connection's life: it connects again after a
  drop, reads frames, settles responses and hands calls to the pool;
- a small pool runs handlers, so that a slow handler never stops the reader.

`_plock` guards the requests awaiting a response and the handler calls in
progress. Lock order: `_wlock` before `_plock`, never the other way round.
"""

import inspect
import itertools
import logging
import math
import os
import random
import socket
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor

from . import errors as E
from . import protocol
from .errors import IpcError
from .frames import DEFAULT_MAX_FRAME_SIZE, FrameDecoder, encode_frame
from .handlers import Call, HandlerRegistry, error_from_exception
from .lifeline import watch_parent_lifeline
from .messages import PROTOCOL_VERSION, validate
from .names import peer_name_problem
from .token_proof import ClientTokenProof
from .paths import check_path_length, check_socket_dir, default_socket_path, validate_domain
from .streams import DEFAULT_WINDOW, FEATURE as STREAMS_FEATURE, STREAM_KINDS, StreamEndpoint, validate_stream_message

log = logging.getLogger("ipcio")

QUEUE_LIMIT = protocol.QUEUE_MESSAGES
QUEUE_BYTES = protocol.QUEUE_BYTES
# A reconnect attempt that gets no welcome in this time is abandoned and retried.
RECONNECT_HANDSHAKE_TIMEOUT = protocol.HANDSHAKE_TIMEOUT_S
RECV_SIZE = 256 * 1024


class _Pending:
    """A request awaiting its response. `conn` is the connection it went out on
    (None while it waits in the offline queue)."""

    __slots__ = ("rid", "done", "result", "error", "conn")

    def __init__(self, rid):
        self.rid = rid
        self.done = threading.Event()
        self.result = None
        self.error = None
        self.conn = None

    def settle(self, result=None, error=None):
        if not self.done.is_set():
            self.result, self.error = result, error
            self.done.set()


class _EndConnection(Exception):
    """Raised inside the reader to drop the current connection."""


class Client:
    """A named ipcio client. See helpers/python/README.md.

    name, token, socket_path: default to IPCIO_NAME, IPCIO_TOKEN, IPCIO_SOCKET;
        without a socket path, the per-user path of `domain` is used.
    reconnect: re-establish a dropped connection (never after a fatal refusal).
    request_timeout: seconds for requests that do not pass `timeout`; None waits forever.
    max_frame_size: the largest frame we accept, told to the server in `hello`;
        None: what the server announces.
    handler_threads: size of the pool that runs handlers.
    on_error: called with each non-fatal IpcError the server reports.
    """

    def __init__(self, name=None, domain="default", socket_path=None, token=None, reconnect=True,
                 request_timeout=30.0, max_frame_size=None, handler_threads=8, on_error=None):
        validate_domain(domain)
        self._requested_name = name if name is not None else (os.environ.get("IPCIO_NAME") or None)
        if self._requested_name is not None:
            problem = peer_name_problem(self._requested_name)
            if problem is not None:
                raise IpcError(E.INVALID_ARGUMENT, f"{self._requested_name!r} cannot be a client name: {problem}")
        self._token = (token if token is not None else os.environ.get("IPCIO_TOKEN")) or None  # empty: no token
        if socket_path is None:
            socket_path = os.environ.get("IPCIO_SOCKET") or None
        if socket_path is None:
            self.socket_path = default_socket_path(domain)
            self._dir_to_check = os.path.dirname(self.socket_path)  # only the default dir is ours to vouch for
        else:
            self.socket_path = check_path_length(os.fspath(socket_path))
            self._dir_to_check = None
        if max_frame_size is not None and max_frame_size <= 0:
            raise IpcError(E.INVALID_ARGUMENT, "max_frame_size must be positive")
        self.domain = domain
        self.reconnect = reconnect
        self.request_timeout = request_timeout
        self.on_error = on_error  # called (in the reader thread) with non-fatal `error` messages
        self._max_frame_size = max_frame_size  # what we accept; None: what the server announced
        self._handler_threads = handler_threads
        self._handlers = HandlerRegistry()
        self._ids = itertools.count(1)

        self._wlock = threading.Lock()
        self._sock = None
        self._conn = 0  # numbers connections, so late answers for an old one are dropped
        self._online = False  # welcomed, and the socket is believed alive
        self._queue = deque()  # (frame, _Pending or None) sent after the next welcome
        self._queue_bytes = 0  # frame bytes in _queue, bounded by QUEUE_BYTES
        self._hello_commands = None
        self._token_proof = None  # this connection attempt's nonce and check of the server's proof
        self._end_error = None  # set once the client stops for good; sends raise it

        self._streams = None  # the current connection's StreamEndpoint, from its welcome on (guarded by _wlock)

        self._plock = threading.Lock()
        self._pending = {}  # request id -> _Pending
        self._running = {}  # (conn, request id) -> Call

        self._welcome = None
        self._send_limit = DEFAULT_MAX_FRAME_SIZE
        self._started = False
        self._closed = False
        self._welcomed_once = False
        self._refusal = None  # a fatal handshake error: never reconnect after it
        self._first = threading.Event()  # the first connection got its welcome or failed
        self._first_error = None
        self._stop = threading.Event()  # wakes the reconnect back-off on close()
        self._stopped = threading.Event()  # the client has stopped for good
        self._thread = None
        self._pool = None
        if name is None and os.environ.get("IPCIO_NAME"):
            watch_parent_lifeline()  # the supervised helper itself: stop when main dies

    # ------------------------------------------------------------ properties

    @property
    def name(self):
        """The name the server gave us (the requested one, or our UUID if none)."""
        return self._welcome["name"] if self._welcome else self._requested_name

    @property
    def connected(self):
        return self._online

    @property
    def session(self):
        return self._welcome["session"] if self._welcome else None

    @property
    def server_name(self):
        return self._welcome.get("serverName") if self._welcome else None

    @property
    def max_frame_size(self):
        """The largest frame the server accepts from us."""
        return self._send_limit

    # ------------------------------------------------------------ lifecycle

    def connect(self, timeout=None):
        """Connect and wait for the server's welcome.

        Makes one attempt: raises IpcError DISCONNECTED if nothing listens,
        NAME_TAKEN / AUTH_FAILED / PROTOCOL_VERSION if the server refuses us,
        TIMEOUT (and closes the client) if no welcome came within `timeout`.
        Once welcomed, later drops are reconnected in the background.
        """
        with self._wlock:
            if self._closed:
                raise IpcError(E.CLOSED, "client closed")
            if self._started:
                raise IpcError(E.ALREADY_STARTED, "connect() called twice")
            self._started = True
        self._first.clear()
        self._first_error = None
        self._refusal = None
        timeout = _wait_seconds(timeout)
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            # No read deadline on this one: connect() itself waits `timeout` for the welcome.
            sock = self._open_socket(timeout, None)
        except BaseException:
            self._started = False
            raise
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self._handler_threads, thread_name_prefix="ipcio-handler")
        self._thread = threading.Thread(target=self._run, args=(sock,), name="ipcio-reader", daemon=True)
        self._thread.start()
        if not self._first.wait(None if deadline is None else max(0.0, deadline - time.monotonic())):
            self.close()
            raise IpcError(E.TIMEOUT, f"no welcome from {self.socket_path} within {timeout} s")
        if self._first_error is not None:
            self._thread.join()
            if self._refusal is not None:
                # Refused with retry false: the client stops, and every later call fails with the same code.
                with self._wlock:
                    self._end_error = self._refusal
                self._stopped.set()
            else:
                self._started = False  # nothing was welcomed: connect() may be tried again
            raise self._first_error
        return self

    def run_forever(self):
        """Serve handlers until close(), a fatal refusal, or (without reconnect) a drop."""
        if not self._started:
            self.connect()
        try:
            while not self._stopped.wait(0.5):
                pass
        except KeyboardInterrupt:
            self.close()
            return
        error = self._end_error
        if error is not None and error.code != E.CLOSED:
            raise IpcError(error.code, error.message)

    def close(self):
        """Close the connection; pending requests fail with CLOSED."""
        with self._wlock:
            if self._closed:
                return
            self._closed = True
            self._end_error = IpcError(E.CLOSED, "client closed")
            self._online = False
            self._queue.clear()
            self._queue_bytes = 0
            sock = self._sock
            streams, self._streams = self._streams, None
        if streams is not None:
            streams.dispose(self._end_error)
        self._stop.set()
        self._fail_everything(self._end_error)
        if sock is not None:
            _shutdown(sock)  # wakes the reader
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(5)
        if self._pool is not None:
            self._pool.shutdown(wait=False)
        self._stopped.set()

    def __enter__(self):
        if not self._started:
            self.connect()
        return self

    def __exit__(self, *exc_info):
        self.close()

    # ------------------------------------------------------------ handlers

    def handler(self, command):
        """Decorator: `@client.handler("cmd")` registers `fn(call) -> result`."""
        def register(fn):
            self.add_handlers({command: fn})
            return fn
        return register

    def add_handlers(self, handlers):
        """Register `{command: fn}`; a connected client tells the server at once."""
        self._handlers.add(dict(handlers))
        names = self._handlers.names()
        frame = encode_frame({"kind": "commands", "commands": names})
        with self._wlock:
            # Offline: the next hello carries the list (and the welcome re-checks it).
            if self._online:
                self._hello_commands = names
                self._write_locked(frame)

    # ------------------------------------------------------------ sending

    def emit(self, cmd, data=None):
        """One-way command for the server."""
        self._submit(_message("emit", cmd, data))

    def emit_to(self, name, cmd, data=None):
        """One-way command for the client called `name`."""
        self._submit(_message("emit", cmd, data, to=name))

    def broadcast(self, cmd, data=None):
        """One-way command for every other client."""
        self._submit(_message("broadcast", cmd, data))

    def request(self, cmd, data=None, timeout=None):
        """Ask the server; return its result or raise IpcError."""
        return self._request(_message("request", cmd, data), timeout)

    def request_from(self, name, cmd, data=None, timeout=None):
        """Ask the client called `name`; return its result or raise IpcError."""
        return self._request(_message("request", cmd, data, to=name), timeout)

    def stream(self, cmd, data=None, window=DEFAULT_WINDOW, idle_timeout=None):
        """Open a stream from the server's stream handler: `for item in client.stream("tail"): ...`.

        The iterator grants `window` items of credit and more as you read, so
        the producer never runs further ahead. `close()` (or a `with` block)
        cancels it. Errors end the loop with IpcError: the producer's
        HANDLER_ERROR with `remote_code`, DISCONNECTED when the connection
        drops, UNSUPPORTED from a server without streams, TIMEOUT after
        `idle_timeout` seconds without an item. A stream lives on the
        connection it opened on; offline, it fails with DISCONNECTED.
        """
        return self._open_stream(cmd, data, None, window, idle_timeout)

    def stream_from(self, name, cmd, data=None, window=DEFAULT_WINDOW, idle_timeout=None):
        """Open a stream from the stream handler of the client called `name`, through the server."""
        if not isinstance(name, str) or not name:
            raise IpcError(E.INVALID_ARGUMENT, f"bad client name {name!r}")
        return self._open_stream(cmd, data, name, window, idle_timeout)

    def _open_stream(self, cmd, data, to, window, idle_timeout):
        if not isinstance(cmd, str) or not cmd:
            raise IpcError(E.INVALID_ARGUMENT, f"bad command name {cmd!r}")
        with self._wlock:
            streams = self._streams if self._online else None
            end_error = self._end_error
        if streams is None:
            error = end_error or IpcError(E.DISCONNECTED, f"stream {cmd!r}: not connected to the server")
            streams = StreamEndpoint(lambda message: None, True)
            streams.dispose(IpcError(error.code, error.message))
        return streams.open(cmd, data, to, window, idle_timeout)

    def _send_stream(self, message, conn):
        """The streams' send on connection `conn`: raises when the message cannot go (too large, connection gone)."""
        frame = encode_frame(message, self._send_limit)
        with self._wlock:
            if not (self._online and self._conn == conn and self._write_locked(frame)):
                raise IpcError(E.DISCONNECTED, "the connection to the server is gone")

    def discover(self, timeout=None):
        """`{"clients": [...], "commands": [...], "peers": {name: [...]}}`."""
        return self.request("ipcio:discover", timeout=timeout)

    def _request(self, message, timeout):
        if timeout is None:
            timeout = self.request_timeout
        timeout = _wait_seconds(timeout)  # before anything is sent: a bad one is the caller's mistake
        rid = next(self._ids)
        message["id"] = rid
        pending = _Pending(rid)
        with self._plock:
            self._pending[rid] = pending
        try:
            self._submit(message, pending)
        except BaseException:
            with self._plock:
                self._pending.pop(rid, None)
            raise
        if not pending.done.wait(timeout):
            with self._plock:
                mine = self._pending.pop(rid, None) is not None
            if mine:
                error = IpcError(E.TIMEOUT, f"no response to {message['cmd']!r} within {timeout} s")
                pending.settle(error=error)  # a still-queued request is then skipped
                if pending.conn is not None:
                    self._send_live(encode_frame({"kind": "cancel", "id": rid}), pending.conn)
            pending.done.wait()  # else it was settled just now
        if pending.error is not None:
            raise pending.error
        return pending.result

    def _submit(self, message, pending=None):
        """Send now if welcomed, else queue for the next welcome."""
        frame = encode_frame(message, self._send_limit)  # FRAME_TOO_LARGE here keeps the connection
        with self._wlock:
            if self._end_error is not None:
                raise IpcError(self._end_error.code, self._end_error.message)
            if self._online and self._write_locked(frame):
                if pending is not None:
                    pending.conn = self._conn
                return
            if len(self._queue) >= QUEUE_LIMIT or self._queue_bytes + len(frame) > QUEUE_BYTES:
                raise IpcError(E.QUEUE_FULL, f"offline queue is full ({len(self._queue)} messages, "
                                             f"{self._queue_bytes} bytes; bounds {QUEUE_LIMIT} and {QUEUE_BYTES})")
            self._queue.append((frame, pending))
            self._queue_bytes += len(frame)

    def _send_live(self, frame, conn):
        """Send on connection `conn` only; the message means nothing on another."""
        with self._wlock:
            if self._online and self._conn == conn:
                self._write_locked(frame)

    def _write_locked(self, frame):
        """Write a frame (caller holds _wlock). On failure mark offline and wake the reader."""
        try:
            self._sock.sendall(frame)
            return True
        except OSError as exc:
            log.debug("ipcio: write failed: %s", exc)
            self._online = False
            _shutdown(self._sock)
            return False

    # ------------------------------------------------------------ the reader thread

    def _open_socket(self, connect_timeout, handshake_timeout):
        if not hasattr(socket, "AF_UNIX"):
            raise IpcError(E.INVALID_ARGUMENT, "this client speaks Unix sockets only (no Windows named pipes yet)")
        if self._dir_to_check:
            check_socket_dir(self._dir_to_check)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(connect_timeout)
        try:
            sock.connect(self.socket_path)
        except OSError as exc:
            sock.close()
            raise IpcError(E.DISCONNECTED, f"cannot connect to {self.socket_path}: {exc}") from None
        sock.settimeout(handshake_timeout)  # lifted at the welcome
        return sock

    def _run(self, sock):
        attempt = 0
        try:
            while True:
                if self._serve(sock):
                    attempt = 0
                if self._stop.is_set() or self._refusal or not (self.reconnect and self._welcomed_once):
                    return
                sock = None
                while sock is None:
                    delay = protocol.backoff_delay_s(attempt, random.random())
                    attempt += 1
                    if self._stop.wait(delay):
                        return
                    try:
                        sock = self._open_socket(RECONNECT_HANDSHAKE_TIMEOUT, RECONNECT_HANDSHAKE_TIMEOUT)
                    except IpcError as exc:
                        log.debug("ipcio: reconnect attempt failed: %s", exc)
        finally:
            if self._welcomed_once:
                self._finish()

    def _serve(self, sock):
        """Handshake and read one connection until it ends. True if it was welcomed."""
        with self._wlock:
            self._conn += 1
            conn = self._conn
            self._sock = sock
            if self._closed:
                _shutdown(sock)
        decoder = FrameDecoder(self._max_frame_size or DEFAULT_MAX_FRAME_SIZE, on_undecodable=self._on_undecodable)
        welcomed = False
        reason = IpcError(E.DISCONNECTED, "connection closed before the welcome")
        try:
            self._send_hello(sock)
            while True:
                chunk = sock.recv(RECV_SIZE)
                if not chunk:
                    break
                for message in decoder.feed(chunk):
                    if not welcomed:
                        welcomed = self._handshake_message(message, conn, sock, decoder)
                    else:
                        self._dispatch(message, conn)
        except _EndConnection as exc:
            if exc.args:
                reason = exc.args[0]
        except IpcError as exc:  # FRAME_TOO_LARGE or BAD_MESSAGE from the server: tell it, then hang up
            log.warning("ipcio: dropping the connection: %s", exc)
            reason = exc
            frame = encode_frame({"kind": "error", "error": exc.to_wire(), "fatal": True,
                                  "retry": exc.code not in protocol.STOP_CODES})
            with self._wlock:
                try:
                    sock.sendall(frame)
                except OSError:
                    pass
        except OSError as exc:
            reason = IpcError(E.DISCONNECTED, f"connection lost: {exc}")
        except Exception as exc:  # a bug must not kill the reader silently: drop and reconnect
            log.exception("ipcio: reader failed")
            reason = IpcError(E.DISCONNECTED, f"reader failed: {exc!r}")
        finally:
            self._connection_lost(conn, sock)
            if not self._first.is_set():
                self._first_error = reason
                self._first.set()
        return welcomed

    def _send_hello(self, sock):
        hello = {"kind": "hello", "version": PROTOCOL_VERSION, "commands": self._handlers.names(), "features": [STREAMS_FEATURE]}
        name = self._welcome["name"] if self._welcome else self._requested_name
        # maxFrameSize: so the server answers FRAME_TOO_LARGE rather than send what we would refuse.
        # The token never crosses the wire: a nonce goes out, and each side proves the token over both nonces.
        self._token_proof = ClientTokenProof(self._token) if self._token is not None else None
        optional = (("name", name), ("nonce", self._token_proof and self._token_proof.nonce), ("session", self.session),
                    ("maxFrameSize", self._max_frame_size))
        for key, value in optional:
            if value is not None:
                hello[key] = value
        with self._wlock:
            self._hello_commands = hello["commands"]
            sock.sendall(encode_frame(hello))

    def _handshake_message(self, message, conn, sock, decoder):
        """Handle a message before the welcome. True once welcomed."""
        validate(message)
        kind = message["kind"]
        if kind == "error":
            error = IpcError.from_wire(message["error"])
            if message.get("fatal") and not protocol.can_retry_after(message):
                self._refusal = error
                raise _EndConnection(error)
            log.warning("ipcio: server error during the handshake: %s", error)
            if message.get("fatal"):
                raise _EndConnection(error)
            return False
        if kind == "challenge" and self._token_proof is not None:
            try:
                proof = self._token_proof.answer(message)
            except IpcError as error:  # not our server: stop for good, send nothing more
                self._refusal = error
                raise _EndConnection(error) from None
            with self._wlock:
                sock.sendall(encode_frame({"kind": "proof", "proof": proof}))
            return False
        if kind != "welcome":
            raise IpcError(E.BAD_MESSAGE, f"{kind!r} message before the welcome")
        if self._token_proof is not None:
            try:
                self._token_proof.check_welcome()
            except IpcError as error:
                self._refusal = error
                raise _EndConnection(error) from None
        if message["version"] != PROTOCOL_VERSION:
            self._refusal = IpcError(E.PROTOCOL_VERSION, f"server speaks version {message['version']}")
            raise _EndConnection(self._refusal)
        self._welcome = message
        self._send_limit = message["maxFrameSize"]
        decoder.max_frame_size = self._max_frame_size or message["maxFrameSize"]
        sock.settimeout(None)
        with self._wlock:
            names = self._handlers.names()
            if names != self._hello_commands:  # handlers added while the hello was in flight
                self._hello_commands = names
                sock.sendall(encode_frame({"kind": "commands", "commands": names}))
            self._flush_locked(sock, conn)
            speaks_streams = STREAMS_FEATURE in (message.get("features") or [])
            self._streams = StreamEndpoint(lambda m: self._send_stream(m, conn), speaks_streams)
            self._online = True
        self._welcomed_once = True
        self._first.set()
        return True

    def _flush_locked(self, sock, conn):
        """Send what was queued while offline, in order (caller holds _wlock)."""
        queue = self._queue
        while queue:
            frame, pending = queue[0]
            if pending is not None and pending.done.is_set():
                self._queue_bytes -= len(queue.popleft()[0])  # timed out while waiting
                continue
            if len(frame) - 4 > self._send_limit:  # this server accepts less than the last one
                self._queue_bytes -= len(queue.popleft()[0])
                error = IpcError(E.FRAME_TOO_LARGE, f"queued frame of {len(frame) - 4} bytes exceeds {self._send_limit}")
                if pending is not None:
                    with self._plock:
                        self._pending.pop(pending.rid, None)
                    pending.settle(error=error)
                else:
                    log.warning("ipcio: dropped a queued message: %s", error)
                continue
            sock.sendall(frame)  # an OSError leaves it at the head for the next connection
            self._queue_bytes -= len(queue.popleft()[0])
            if pending is not None:
                pending.conn = conn

    def _dispatch(self, message, conn):
        if message.get("kind") in STREAM_KINDS:
            self._dispatch_stream(message, conn)
            return
        if not validate(message):
            log.debug("ipcio: ignoring a message of unknown kind %r", message.get("kind"))
            return
        kind = message["kind"]
        if kind == "response":
            with self._plock:
                pending = self._pending.pop(message["id"], None)
            if pending is None:
                return  # timed out or cancelled already
            if "error" in message:
                pending.settle(error=IpcError.from_wire(message["error"]))
            else:
                pending.settle(result=message.get("data"))
        elif kind in ("emit", "request", "broadcast"):
            self._start_call(message, conn)
        elif kind == "cancel":
            # The entry goes now: its answer is dropped, and the id is free for a new request.
            with self._plock:
                call = self._running.pop((conn, message["id"]), None)
            if call is not None:
                call.cancelled.set()
        elif kind == "error":
            error = IpcError.from_wire(message["error"])
            if message.get("fatal") and not protocol.can_retry_after(message):
                # SESSION_REPLACED and the like: reconnecting cannot succeed, so stop for good.
                log.warning("ipcio: the server ended the connection for good: %s", error)
                self._refusal = error
                raise _EndConnection(error)
            if message.get("fatal"):
                log.warning("ipcio: the server is closing the connection: %s", error)
            else:
                self._report_error(error, "error from the server")
        else:
            log.debug("ipcio: ignoring an unexpected %r message", kind)

    def _dispatch_stream(self, message, conn):
        validate_stream_message(message)  # BAD_MESSAGE ends the connection, as for any malformed message
        with self._wlock:
            streams = self._streams if self._conn == conn else None
        if streams is None:
            return
        if message["kind"] == "stream-open":
            # The server's own streams carry no `from`: the caller is the server.
            call = Call(message.get("data"), message.get("from") or self.server_name, message["cmd"], message.get("fromUuid"))
            streams.serve(message, self._handlers.get(message["cmd"]), call)
        else:
            streams.receive(message)

    def _on_undecodable(self, error):
        """One message we cannot decode is skipped and reported, never a reason to drop the connection."""
        error = IpcError(error.code, f"skipped a message from the server that could not be decoded: {error.message}")
        self._report_error(error)

    def _report_error(self, error, log_prefix=None):
        """A non-fatal error goes to `on_error`, or to the log when there is none."""
        if self.on_error is not None:
            try:
                self.on_error(error)
            except Exception:
                log.exception("ipcio: on_error callback failed")
        elif log_prefix is None:
            log.warning("ipcio: %s", error)
        else:
            log.warning("ipcio: %s: %s", log_prefix, error)

    def _start_call(self, message, conn):
        kind, cmd = message["kind"], message["cmd"]
        call = Call(message.get("data"), message.get("from"), cmd, message.get("fromUuid"))
        handler = self._handlers.get(cmd)
        rid = message.get("id")
        if kind == "request":
            if handler is None:
                error = IpcError(E.NO_HANDLER, f"no handler for {cmd!r} in {self.name!r}")
                self._send_live(encode_frame({"kind": "response", "id": rid, "error": error.to_wire()}), conn)
                return
            with self._plock:
                self._running[(conn, rid)] = call
        elif handler is None:
            # A broadcast reaches everyone, handler or not; an emit without one is likely a mistake.
            log.log(logging.DEBUG if kind == "broadcast" else logging.WARNING, "ipcio: no handler for %s %r", kind, cmd)
            return
        try:
            self._pool.submit(self._call_handler, handler, call, kind, conn, rid)
        except RuntimeError:
            pass  # the pool is shut down: we are closing

    def _call_handler(self, handler, call, kind, conn, rid):
        error = None
        try:
            result = handler(call)
        except Exception as exc:  # the handler's failure is the caller's answer, not ours
            error = error_from_exception(exc)
            if kind != "request":
                log.exception("ipcio: handler for %s %r failed", kind, call.command)
        if kind != "request":
            return
        with self._plock:
            # Only its own entry: after a cancel the id may already belong to a newer request.
            mine = self._running.get((conn, rid)) is call
            if mine:
                del self._running[(conn, rid)]
        if not mine or call.cancelled.is_set():
            _close_if_generator(result)
            return  # cancelled or disconnected: no response follows
        if error is None and _close_if_generator(result):
            error = IpcError(E.HANDLER_ERROR, f"{call.command!r} is a stream: use stream() to read it, not request()")
        response = {"kind": "response", "id": rid}
        if error is not None:
            response["error"] = error.to_wire()
        elif result is not None:
            response["data"] = result
        try:
            frame = encode_frame(response, self._send_limit)
        except IpcError as exc:
            code = exc.code if exc.code == E.FRAME_TOO_LARGE else E.HANDLER_ERROR
            bad = IpcError(code, f"cannot send the result: {exc.message}", exc.code)
            frame = encode_frame({"kind": "response", "id": rid, "error": bad.to_wire()})
        self._send_live(frame, conn)

    # ------------------------------------------------------------ endings

    def _connection_lost(self, conn, sock):
        _shutdown(sock)  # unblocks a writer stuck in sendall before we take its lock
        with self._wlock:
            self._online = False
            if self._sock is sock:
                self._sock = None
            sock.close()
            streams, self._streams = self._streams, None
        if streams is not None:
            # A stream never moves to the next connection; close() disposed them with CLOSED already.
            streams.dispose(IpcError(E.DISCONNECTED, "the connection to the server was lost mid-stream"))
        with self._plock:
            lost = [rid for rid, p in self._pending.items() if p.conn == conn]
            lost = [self._pending.pop(rid) for rid in lost]
            calls = [key for key in self._running if key[0] == conn]
            calls = [self._running.pop(key) for key in calls]
        for pending in lost:
            pending.settle(error=IpcError(E.DISCONNECTED, "the connection went away with the request in flight"))
        for call in calls:
            call.cancelled.set()

    def _finish(self):
        """The reader stops for good: refuse further sends, fail what waits."""
        with self._wlock:
            if self._end_error is None:
                self._end_error = self._refusal or IpcError(E.DISCONNECTED, "connection lost (reconnect is off)")
            self._online = False
            self._queue.clear()
            self._queue_bytes = 0
        self._fail_everything(self._end_error)
        if self._pool is not None:
            self._pool.shutdown(wait=False)
        self._stopped.set()

    def _fail_everything(self, error):
        with self._plock:
            pending = list(self._pending.values())
            calls = list(self._running.values())
            self._pending.clear()
            self._running.clear()
        for p in pending:
            p.settle(error=IpcError(error.code, error.message))
        for call in calls:
            call.cancelled.set()


def _message(kind, cmd, data, to=None):
    if not isinstance(cmd, str) or not cmd:
        raise IpcError(E.INVALID_ARGUMENT, f"bad command name {cmd!r}")
    message = {"kind": kind, "cmd": cmd}
    if data is not None:
        message["data"] = data
    if to is not None:
        if not isinstance(to, str) or not to:
            raise IpcError(E.INVALID_ARGUMENT, f"bad client name {to!r}")
        message["to"] = to
    return message


def _close_if_generator(value):
    """A request answered by a stream handler: its generator is closed (its finally runs). True if it was one."""
    if inspect.isgenerator(value):
        value.close()
        return True
    return False


def _shutdown(sock):
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _wait_seconds(timeout):
    """A user's timeout as Event.wait takes it: None for none (also for inf and anything past
    threading.TIMEOUT_MAX, about 292 years, which would raise OverflowError), INVALID_ARGUMENT for
    NaN, negatives and non-numbers."""
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or math.isnan(timeout) or timeout < 0:
        raise IpcError(E.INVALID_ARGUMENT, f"timeout must be a number of seconds, 0 or more (None for none); got {timeout!r}")
    return None if timeout >= threading.TIMEOUT_MAX else timeout
