"""Socket path resolution (PROTOCOL.md, "Where the server listens")."""

import os
import sys
import tempfile
import unittest
from unittest import mock

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from ipcio import Client, IpcError  # noqa: E402
from ipcio.paths import check_socket_dir, default_socket_path  # noqa: E402


@unittest.skipIf(sys.platform == "win32", "Unix socket paths")
class PathTest(unittest.TestCase):
    def test_xdg_runtime_dir(self):
        with mock.patch.dict(os.environ, {"XDG_RUNTIME_DIR": "/run/user/1000"}):
            self.assertEqual(default_socket_path("my.app_1-x"), "/run/user/1000/ipcio/my.app_1-x.sock")

    def test_tmpdir_fallback(self):
        with mock.patch.dict(os.environ):
            os.environ.pop("XDG_RUNTIME_DIR", None)
            expected = os.path.join(tempfile.gettempdir(), f"ipcio-{os.getuid()}", "d.sock")
            self.assertEqual(default_socket_path("d"), expected)

    def test_bad_domains(self):
        for domain in ("", "a/b", "a b", "é", "../x", None, "d" * 65):
            with self.assertRaises(IpcError) as ctx:
                default_socket_path(domain)
            self.assertEqual(ctx.exception.code, "INVALID_ARGUMENT")

    def test_too_long_is_an_error_not_truncated(self):
        limit = 107 if sys.platform.startswith("linux") else 103
        runtime = "/" + "r" * 40  # long enough that a domain within the 64-character rule overflows
        with mock.patch.dict(os.environ, {"XDG_RUNTIME_DIR": runtime}):
            fits = "d" * (limit - len(runtime + "/ipcio/.sock"))
            self.assertEqual(len(default_socket_path(fits)), limit)
            with self.assertRaises(IpcError) as ctx:
                default_socket_path(fits + "d")
            self.assertEqual(ctx.exception.code, "SOCKET_PATH_TOO_LONG")
        with self.assertRaises(IpcError) as ctx:
            Client(socket_path="/tmp/" + "x" * limit)
        self.assertEqual(ctx.exception.code, "SOCKET_PATH_TOO_LONG")

    def test_environment(self):
        env = {"IPCIO_SOCKET": "/tmp/e.sock", "IPCIO_NAME": "helper", "IPCIO_TOKEN": "t"}
        with mock.patch.dict(os.environ, env):
            c = Client()
            self.assertEqual((c.socket_path, c.name, c._token), ("/tmp/e.sock", "helper", "t"))
            c = Client(name="n", socket_path="/tmp/o.sock", token="u")
            self.assertEqual((c.socket_path, c.name, c._token), ("/tmp/o.sock", "n", "u"))

    def test_unsafe_socket_dir(self):
        with tempfile.TemporaryDirectory(dir="/tmp") as base:
            good = os.path.join(base, "good")
            os.mkdir(good, 0o700)
            check_socket_dir(good)
            check_socket_dir(os.path.join(base, "missing"))  # nothing listens yet: not an error
            loose = os.path.join(base, "loose")
            os.mkdir(loose)
            os.chmod(loose, 0o755)
            link = os.path.join(base, "link")
            os.symlink(good, link)
            for path in (loose, link):
                with self.assertRaises(IpcError) as ctx:
                    check_socket_dir(path)
                self.assertEqual(ctx.exception.code, "UNSAFE_SOCKET_DIR")


if __name__ == "__main__":
    unittest.main()
