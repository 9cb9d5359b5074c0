"""Where the server listens (PROTOCOL.md, "Where the server listens")."""

import os
import re
import stat
import sys
import tempfile

from .protocol import DOMAIN_PATTERN
from .errors import INVALID_ARGUMENT, SOCKET_PATH_TOO_LONG, UNSAFE_SOCKET_DIR, IpcError

DOMAIN_RE = re.compile(DOMAIN_PATTERN)


def validate_domain(domain):
    if not isinstance(domain, str) or not DOMAIN_RE.match(domain):
        raise IpcError(INVALID_ARGUMENT, f"bad domain name {domain!r}: use 1 to 64 letters, digits, '.', '_' and '-'")
    return domain


def socket_dir():
    """`$XDG_RUNTIME_DIR/ipcio`, else `<tmpdir>/ipcio-<uid>`.

    A relative XDG_RUNTIME_DIR is invalid and ignored, as the XDG Base Directory spec requires.
    """
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isabs(runtime):
        return os.path.join(runtime, "ipcio")
    return os.path.join(tempfile.gettempdir(), f"ipcio-{os.getuid()}")


def default_socket_path(domain):
    validate_domain(domain)
    if sys.platform == "win32":
        user = os.environ.get("USERNAME", "user")
        return f"\\\\.\\pipe\\ipcio-{user}-{domain}"
    return check_path_length(os.path.join(socket_dir(), f"{domain}.sock"))


def max_path_bytes():
    # sun_path is 108 bytes on Linux and 104 on macOS and the BSDs, NUL included.
    return 107 if sys.platform.startswith("linux") else 103


def check_path_length(path):
    """Refuse a Unix socket path the kernel would silently truncate."""
    if sys.platform == "win32":
        return path
    size = len(os.fsencode(path))
    if size > max_path_bytes():
        raise IpcError(
            SOCKET_PATH_TOO_LONG,
            f"socket path is {size} bytes, the limit here is {max_path_bytes()}: {path}",
        )
    return path


def check_socket_dir(directory):
    """Refuse a socket directory another user could have planted or can reach into."""
    try:
        info = os.lstat(directory)
    except FileNotFoundError:
        return  # nothing listens yet; connecting will fail and be retried
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        raise IpcError(UNSAFE_SOCKET_DIR, f"{directory} is not a plain directory")
    if info.st_uid != os.geteuid():
        raise IpcError(UNSAFE_SOCKET_DIR, f"{directory} is owned by uid {info.st_uid}, not by us")
    if info.st_mode & 0o077:
        raise IpcError(UNSAFE_SOCKET_DIR, f"{directory} has mode {oct(info.st_mode & 0o777)}, expected 0700")
    check_parent_dir(directory)


def check_parent_dir(directory):
    """Whoever can rename entries in the parent can swap our directory for theirs between the check
    and the connect: the parent must be root's or ours, and writable by nobody else unless sticky."""
    parent = os.path.dirname(os.path.abspath(directory))
    info = os.stat(parent)  # follows a symlink: /tmp may be one (macOS)
    if info.st_uid not in (0, os.geteuid()):
        raise IpcError(UNSAFE_SOCKET_DIR, f"{parent} (the parent of {directory}) is owned by uid {info.st_uid}, neither root nor us")
    if info.st_mode & 0o022 and not info.st_mode & stat.S_ISVTX:
        raise IpcError(
            UNSAFE_SOCKET_DIR,
            f"{parent} (the parent of {directory}) has mode {oct(info.st_mode & 0o7777)}: others may write it and it has no sticky bit",
        )
