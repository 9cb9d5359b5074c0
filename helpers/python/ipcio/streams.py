"""Streams with credit-based flow control (PROTOCOL.md, "Streams").

Transport-agnostic: each class takes a `send(message)` callable and is fed the
stream messages of one connection. Not wired into Client yet; the connection
will own one StreamEndpoint, hand it every `stream-*` message and dispose it
when the connection goes.

Producer: a handler is a generator function `def samples(call): yield ...`
(any iterable works). It runs on its own thread and is asked for the next
item only while the consumer has granted credit, so a consumer that stops
reading pauses the generator. On cancel or disconnect `call.cancelled` is set
and the generator is closed (its `finally` blocks run) by its own thread, the
only one allowed to touch it.

Consumer: `StreamConsumer` is an iterator (`for item in stream:`); it grants
credit as items are taken. `close()` (or leaving a `with` block, or `break`
followed by close) cancels the producer. Errors end the loop with IpcError:
HANDLER_ERROR with `remote_code`, DISCONNECTED, CANCELLED, TIMEOUT for the
idle timeout. Every stream ends exactly once on each side.
"""

import threading
import time
from collections import deque

from . import errors as E
from .errors import IpcError
from .handlers import error_from_exception

FEATURE = "streams"
DEFAULT_WINDOW = 16
MAX_CREDIT = 1024
DEFAULT_MAX_STREAMS = 256

STREAM_KINDS = frozenset({"stream-open", "stream-item", "stream-credit", "stream-end", "stream-cancel"})


def _is_id(value):
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_count(value):
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _is_error(value):
    return isinstance(value, dict) and isinstance(value.get("code"), str) and isinstance(value.get("message"), str)


_REQUIRED = {
    "stream-open": {"id": _is_id, "cmd": lambda v: isinstance(v, str), "credit": _is_count},
    "stream-item": {"id": _is_id},
    "stream-credit": {"id": _is_id, "n": _is_count},
    "stream-end": {"id": _is_id},
    "stream-cancel": {"id": _is_id},
}


def validate_stream_message(message):
    """Raise IpcError BAD_MESSAGE unless a stream message has the fields its kind needs."""
    kind = message.get("kind")
    for field, ok in _REQUIRED[kind].items():
        if field not in message or not ok(message[field]):
            raise IpcError(E.BAD_MESSAGE, f"{kind} message with a missing or bad {field!r}")
    if kind in ("stream-end", "stream-cancel") and "error" in message and not _is_error(message["error"]):
        raise IpcError(E.BAD_MESSAGE, f"{kind} with a malformed error")


def _spawn_thread(target):
    threading.Thread(target=target, name="ipcio-stream", daemon=True).start()


class StreamProducer:
    """The producing side of one stream; `run()` drives the generator on a worker thread."""

    def __init__(self, stream_id, description, credit, max_credit, send, on_settled):
        self.id = stream_id
        self.description = description
        self._credit = credit
        self._max_credit = max_credit
        self._send = send
        self._on_settled = on_settled
        self._cond = threading.Condition()
        self._settled = False
        self.call = None
        self.finished = threading.Event()

    @property
    def ended(self):
        return self._settled

    def receive(self, message):
        if message["kind"] == "stream-cancel":
            # With an error: the server cancels for a routed consumer that went (DISCONNECTED).
            if _is_error(message.get("error")):
                reason = IpcError.from_wire(message["error"])
            else:
                reason = IpcError(E.CANCELLED, f"{self.description} was cancelled by the consumer")
            self._settle(reason, abort=True)
            return
        with self._cond:
            if self._settled:
                return
            over = self._credit + message["n"] > self._max_credit
            if not over:
                self._credit += message["n"]
                self._cond.notify_all()
        if over:
            self._end_with(IpcError(E.BAD_MESSAGE, f"{self.description}: credit over the limit of {self._max_credit}"), abort=True)

    def dispose(self, error):
        self._settle(error, abort=True)

    def run(self, handler, call):
        """Runs on the worker thread: the only thread that touches the generator."""
        self.call = call
        try:
            if self._credit > self._max_credit:
                self._end_with(IpcError(E.BAD_MESSAGE, f"{self.description}: initial credit over the limit of {self._max_credit}"))
                return
            try:
                iterable = handler(call)
                iterator = iter(iterable) if not isinstance(iterable, (str, bytes, dict)) else None
            except TypeError:
                iterator = None
            except Exception as exc:  # the handler's failure is the consumer's error
                self._end_with(error_from_exception(exc))
                return
            if iterator is None:
                self._end_with(IpcError(E.HANDLER_ERROR, f"{self.description}: the handler must return an iterable (a generator)"))
                return
            self._drive(iterator)
        finally:
            self.finished.set()

    def _drive(self, iterator):
        done = False
        try:
            while True:
                with self._cond:
                    while not self._settled and self._credit == 0:
                        self._cond.wait()
                    if self._settled:
                        return
                try:
                    item = next(iterator)
                except StopIteration:
                    done = True
                    self._end_with(None)
                    return
                except Exception as exc:
                    done = True
                    self._end_with(error_from_exception(exc))
                    return
                with self._cond:
                    if self._settled:
                        return  # cancelled while the generator worked: the item is dropped
                    self._credit -= 1
                try:
                    self._send({"kind": "stream-item", "id": self.id, "data": item})
                except IpcError as exc:  # too large for the connection, or it is gone
                    self._end_with(exc, abort=True)
                    return
        finally:
            if not done:
                close = getattr(iterator, "close", None)
                if close is not None:
                    try:
                        close()
                    except Exception:  # a generator failing in its finally after a cancel has no one to tell
                        pass

    def _end_with(self, error, abort=False):
        with self._cond:
            if self._settled:
                return
        message = {"kind": "stream-end", "id": self.id}
        if error is not None:
            message["error"] = error.to_wire()
        try:
            self._send(message)
        except IpcError:
            pass  # the connection is going; the consumer ends with DISCONNECTED on its side
        self._settle(error, abort)

    def _settle(self, error, abort):
        with self._cond:
            if self._settled:
                return
            self._settled = True
            self._cond.notify_all()
        if abort and self.call is not None:
            self.call.cancelled.set()
        self._on_settled(self, error)


class _StreamTable:
    """One side's live streams on one connection, by id: what producers and consumers share.

    `role` ("producer" or "consumer") is what `on_ended(role, id, error)` hears.
    """

    def __init__(self, role, on_ended):
        self._role = role
        self._on_ended = on_ended
        self._lock = threading.Lock()
        self._streams = {}

    def has(self, stream_id):
        with self._lock:
            return stream_id in self._streams

    def receive(self, message):
        """Items, ends, credit or cancels; ids we do not know (the stream just ended) are dropped."""
        with self._lock:
            stream = self._streams.get(message["id"])
        if stream is not None:
            stream.receive(message)

    def dispose(self, error):
        with self._lock:
            streams = list(self._streams.values())
        for stream in streams:
            stream.dispose(error)

    def __len__(self):
        with self._lock:
            return len(self._streams)

    def _settled(self, stream, error):
        with self._lock:
            self._streams.pop(stream.id, None)
        if self._on_ended is not None:
            self._on_ended(self._role, stream.id, error)


class StreamProducers(_StreamTable):
    """The streams this side serves on one connection, by the consumer's id."""

    def __init__(self, send, max_streams=DEFAULT_MAX_STREAMS, max_credit=MAX_CREDIT, spawn=_spawn_thread, on_ended=None):
        self._send = send
        self._max_streams = max_streams
        self._max_credit = max_credit
        self._spawn = spawn
        super().__init__("producer", on_ended)

    def serve(self, message, handler, call):
        """Start `handler(call)` for a `stream-open`; `call` is a handlers.Call. Returns the producer or None."""
        sid = message["id"]
        if handler is None:
            self.refuse(sid, IpcError(E.NO_HANDLER, f"no handler for stream {message['cmd']!r}"))
            return None
        with self._lock:
            clash = self._streams.get(sid)
        if clash is not None:
            # One stream-end cannot tell the two apart: the running one ends, the new one is dropped.
            clash._end_with(IpcError(E.BAD_MESSAGE, f"stream id {sid} was opened twice"), abort=True)
            return None
        with self._lock:
            if len(self._streams) >= self._max_streams:
                refusal = IpcError(E.TOO_MANY_STREAMS, f"already {len(self._streams)} streams served on this connection")
            else:
                refusal = None
                producer = StreamProducer(sid, f"stream {message['cmd']!r} #{sid}", message["credit"], self._max_credit, self._send, self._settled)
                self._streams[sid] = producer
        if refusal is not None:
            self.refuse(sid, refusal)
            return None
        producer.call = call
        self._spawn(lambda: producer.run(handler, call))
        return producer

    def refuse(self, stream_id, error):
        self._send({"kind": "stream-end", "id": stream_id, "error": error.to_wire()})



class StreamConsumer:
    """The consuming side of one stream: an iterator over the producer's items.

    Grants `window` at open and again once half the window is free, so items in
    flight plus items unread never exceed the window. Items received before an
    end or a disconnect are still returned, then the error is raised once, then
    StopIteration.
    """

    def __init__(self, stream_id, description, send, window, idle_timeout, on_settled):
        if not isinstance(window, int) or isinstance(window, bool) or not 1 <= window <= MAX_CREDIT:
            raise IpcError(E.INVALID_ARGUMENT, f"a stream window must be an integer from 1 to {MAX_CREDIT}, got {window!r}")
        if idle_timeout is not None and idle_timeout <= 0:
            raise IpcError(E.INVALID_ARGUMENT, f"idle_timeout must be positive seconds or None, got {idle_timeout!r}")
        self.id = stream_id
        self.description = description
        self._send = send
        self._window = window
        self._idle_timeout = idle_timeout
        self._on_settled = on_settled
        self._cond = threading.Condition()
        self._buffer = deque()
        self._outstanding = 0
        self._settled = False
        self._final_error = None
        self._last_activity = time.monotonic()

    def begin(self):
        """The credit for `stream-open`."""
        self._outstanding = self._window
        self._last_activity = time.monotonic()
        return self._window

    @property
    def ended(self):
        return self._settled

    def __iter__(self):
        return self

    def __next__(self):
        while True:
            grant = 0
            timed_out = False
            with self._cond:
                if self._buffer:
                    item = self._buffer.popleft()
                    grant = self._grant_locked()
                elif self._settled:
                    error, self._final_error = self._final_error, None
                    if error is not None:
                        raise error
                    raise StopIteration
                else:
                    # The idle clock runs only while the producer holds credit.
                    wait = None
                    if self._idle_timeout is not None and self._outstanding > 0:
                        wait = self._last_activity + self._idle_timeout - time.monotonic()
                        timed_out = wait <= 0
                    if not timed_out:
                        self._cond.wait(wait)
                        continue
            if timed_out:
                self._stop(IpcError(E.TIMEOUT, f"{self.description}: no item for {self._idle_timeout} s"))
                continue
            if grant:
                self._send_credit(grant)
            return item

    def close(self):
        """Stop reading: cancels the producer if the stream is still running."""
        self._stop(IpcError(E.CANCELLED, f"{self.description} was cancelled"))
        with self._cond:
            self._final_error = None
            self._buffer.clear()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def receive(self, message):
        stop = None
        with self._cond:
            if self._settled:
                return  # late: crossed our cancel
            if message["kind"] == "stream-end":
                error = message.get("error")
                self._settle_locked(IpcError.from_wire(error) if error is not None else None)
                settled_error = self._final_error
            elif self._outstanding == 0:
                stop = IpcError(E.BAD_MESSAGE, f"{self.description}: the producer sent an item without credit")
            else:
                self._outstanding -= 1
                self._last_activity = time.monotonic()
                self._buffer.append(message.get("data"))
                self._cond.notify_all()
                return
        if stop is not None:
            self._stop(stop)
            return
        self._on_settled(self, settled_error)

    def dispose(self, error):
        with self._cond:
            if self._settled:
                return
            self._settle_locked(error)
        self._on_settled(self, error)

    def _grant_locked(self):
        if self._settled:
            return 0
        free = self._window - self._outstanding - len(self._buffer)
        if free < (self._window + 1) // 2:
            return 0
        self._outstanding += free
        self._last_activity = time.monotonic()
        return free

    def _send_credit(self, n):
        try:
            self._send({"kind": "stream-credit", "id": self.id, "n": n})
        except IpcError as exc:
            self._stop(exc)

    def _stop(self, error):
        with self._cond:
            if self._settled:
                return
            self._buffer.clear()
            self._settle_locked(error)
        try:
            self._send({"kind": "stream-cancel", "id": self.id})
        except IpcError:
            pass  # the connection is going; its dispose ends the producer's side
        self._on_settled(self, error)

    def _settle_locked(self, error):
        self._settled = True
        self._final_error = error
        self._outstanding = 0
        self._cond.notify_all()


class StreamConsumers(_StreamTable):
    """The streams this side opened on one connection, by id (a counter, never reused)."""

    def __init__(self, send, max_streams=DEFAULT_MAX_STREAMS, on_ended=None):
        self._send = send
        self._max_streams = max_streams
        super().__init__("consumer", on_ended)
        self._next_id = 1

    def open(self, cmd, data=None, to=None, window=DEFAULT_WINDOW, idle_timeout=None, refusal=None):
        """Send `stream-open`; failures to open surface from the first `next()`."""
        with self._lock:
            sid = self._next_id
            self._next_id += 1
        target = "" if to is None else f" to {to}"
        consumer = StreamConsumer(sid, f"stream {cmd!r}{target} #{sid}", self._send, window, idle_timeout, self._settled)
        if refusal is None and len(self) >= self._max_streams:
            refusal = IpcError(E.TOO_MANY_STREAMS, f"already {len(self)} streams open on this connection")
        if refusal is not None:
            consumer.dispose(refusal)
            return consumer
        with self._lock:
            self._streams[sid] = consumer
        message = {"kind": "stream-open", "id": sid, "cmd": cmd, "credit": consumer.begin()}
        if data is not None:
            message["data"] = data
        if to is not None:
            message["to"] = to
        try:
            self._send(message)
        except IpcError as exc:
            consumer.dispose(exc)
        return consumer



class StreamEndpoint:
    """Everything about streams on one connection of a client.

    The connection calls `receive(message)` for item, end, credit and cancel,
    `serve(message, handler, call)` for `stream-open`, and `dispose(error)`
    when it goes (DISCONNECTED) or is closed (CLOSED).
    """

    def __init__(self, send, peer_speaks_streams, max_streams=DEFAULT_MAX_STREAMS, spawn=_spawn_thread, on_ended=None):
        self.peer_speaks_streams = peer_speaks_streams
        self.consumers = StreamConsumers(send, max_streams, on_ended)
        self.producers = StreamProducers(send, max_streams, MAX_CREDIT, spawn, on_ended)
        self._disposed = None

    def open(self, cmd, data=None, to=None, window=DEFAULT_WINDOW, idle_timeout=None):
        refusal = None
        if self._disposed is not None:
            refusal = IpcError(self._disposed.code, f"cannot open a stream: {self._disposed.message}")
        elif not self.peer_speaks_streams:
            refusal = IpcError(E.UNSUPPORTED, "the server does not support streams (it did not announce the \"streams\" feature)")
        return self.consumers.open(cmd, data, to, window, idle_timeout, refusal)

    def serve(self, message, handler, call):
        if self._disposed is None:
            self.producers.serve(message, handler, call)

    def receive(self, message):
        if self._disposed is not None:
            return
        kind = message["kind"]
        if kind in ("stream-item", "stream-end"):
            self.consumers.receive(message)
        elif kind in ("stream-credit", "stream-cancel"):
            self.producers.receive(message)

    def dispose(self, error):
        if self._disposed is not None:
            return
        self._disposed = error
        self.consumers.dispose(error)
        self.producers.dispose(error)
