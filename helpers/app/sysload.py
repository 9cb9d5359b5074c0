#!/usr/bin/env python3
"""The sidecar console's Python helper (standard library only).

Started by main's supervisor: `Client()` with no arguments finds the socket,
its name and its token in IPCIO_SOCKET, IPCIO_NAME and IPCIO_TOKEN. It
broadcasts the load average every second and answers two requests.
"""

import os
import platform
import signal
import sys
import threading
import time

# The client lives in helpers/python/ipcio; a real helper would vendor it or put it on PYTHONPATH.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))

from ipcio import Client, IpcError  # noqa: E402

BROADCAST_EVERY_S = 1.0


def sample():
    one, five, fifteen = os.getloadavg()
    return {"loadavg": [one, five, fifteen], "cpus": os.cpu_count() or 1, "at": time.time(), "pid": os.getpid()}


class SampleFeeds:
    """The `samples` stream, and how far its latest run got (for the page's and the tests' eyes)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._state = {"yielded": 0, "running": False}

    def samples(self, call):
        """A generator: one sample every `everyMs`. It runs only while the window grants credit, so a
        paused window pauses it; a cancel (or the window going away) sets call.cancelled and closes it."""
        every_s = max(0.02, float((call.data or {}).get("everyMs", 1000)) / 1000.0)
        with self._lock:
            self._state = state = {"yielded": 0, "running": True}
        try:
            while not call.cancelled.is_set():
                with self._lock:
                    state["yielded"] += 1
                    n = state["yielded"]
                yield {**sample(), "n": n}
                if call.cancelled.wait(every_s):
                    break
        finally:
            with self._lock:
                state["running"] = False

    def state(self, _call):
        with self._lock:
            return dict(self._state)


def info(_call):
    return {"python": platform.python_version(), "platform": platform.platform(), "pid": os.getpid()}


def main():
    client = Client()
    feeds = SampleFeeds()
    client.add_handlers({"sample": lambda _call: sample(), "info": info, "samples": feeds.samples, "samplesState": feeds.state})
    stop = threading.Event()
    # SIGTERM from the supervisor (or the app quitting): close cleanly rather than die mid-frame.
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    client.connect(timeout=10)
    print(f"connected as {client.name}", flush=True)
    parent = os.getppid()
    while not stop.wait(BROADCAST_EVERY_S):
        # Re-parented: main died without stopping us; leave rather than linger.
        if os.getppid() != parent:
            break
        try:
            client.broadcast("load", sample())
        except IpcError as error:
            print(f"broadcast failed: {error.code}: {error.message}", file=sys.stderr, flush=True)
    client.close()


if __name__ == "__main__":
    main()
