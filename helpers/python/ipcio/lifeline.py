"""A supervised helper stops when main dies, however main died (kill -9 included).

The ipcio supervisor hands each helper the read end of a pipe on the file
descriptor named by IPCIO_PARENT_FD; only main holds the write end, so reading
it returns end-of-file exactly when main is gone. The helper then sends itself
SIGTERM and stops as it would when main stops it (its SIGTERM handler, if any,
runs; otherwise the process ends).
"""

import os
import signal
import stat
import threading

_watching = False


def watch_parent_lifeline(environ=None):
    """Start watching once per process; returns whether a lifeline is watched."""
    global _watching
    environ = os.environ if environ is None else environ
    if _watching or os.name != "posix":
        return _watching
    value = environ.pop("IPCIO_PARENT_FD", None)  # not passed on: a child's fd 3 may be something else
    try:
        fd = int(value)
        mode = os.fstat(fd).st_mode
    except (TypeError, ValueError, OSError):
        return False
    if fd < 3 or not (stat.S_ISSOCK(mode) or stat.S_ISFIFO(mode)):
        return False
    threading.Thread(target=_wait_for_eof, args=(fd,), name="ipcio-parent-lifeline", daemon=True).start()
    _watching = True
    return True


def _wait_for_eof(fd):
    try:
        while os.read(fd, 4096):
            pass
    except OSError:
        pass
    os.kill(os.getpid(), signal.SIGTERM)
