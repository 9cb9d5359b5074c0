"""A scripted stand-in for the ipcio server, for client tests that must control
exactly what the server says and when (drops, refusals, small frame limits).
It speaks only what PROTOCOL.md says; the live tests check the real server."""

import os
import queue
import socket
import sys
import tempfile
import threading

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from ipcio.frames import FrameDecoder, encode_frame  # noqa: E402
from ipcio.token_proof import handshake_proofs  # noqa: E402


class Peer:
    """One accepted connection; `recv()` returns the client's next message."""

    def __init__(self, sock, token="tok"):
        self.sock = sock
        self.token = token
        self.inbox = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        decoder = FrameDecoder()
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    break
                for message in decoder.feed(chunk):
                    self.inbox.put(message)
        except OSError:
            pass
        self.inbox.put(None)  # end of stream

    def recv(self, timeout=5):
        return self.inbox.get(timeout=timeout)

    def recv_kind(self, kind, timeout=5):
        """Skip to the next message of `kind`."""
        while True:
            message = self.recv(timeout)
            if message is None or message.get("kind") == kind:
                return message

    def send(self, message):
        self.sock.sendall(encode_frame(message))

    def challenge(self, hello, token, server_nonce="5e" * 32):
        """The server's side of the token proof (PROTOCOL.md, Handshake): True when the client proved `token`."""
        server_proof, client_proof = handshake_proofs(token, hello["nonce"], server_nonce)
        self.send({"kind": "challenge", "nonce": server_nonce, "proof": server_proof})
        answer = self.recv()
        return answer is not None and answer.get("kind") == "proof" and answer.get("proof") == client_proof

    def welcome(self, hello, name=None, max_frame_size=1 << 20, session="s1"):
        """Welcomes the client; first, when its hello carries a nonce, the challenge and its proof."""
        if "nonce" in hello and not self.challenge(hello, self.token):
            raise AssertionError("the client did not prove the token")
        self.send({"kind": "welcome", "version": 1, "name": name or hello.get("name") or "anon",
                   "uuid": "0" * 32, "session": session, "serverName": "fake",
                   "maxFrameSize": max_frame_size})

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


class FakeServer:
    def __init__(self, token="tok"):
        self.token = token  # what handshake() proves when a hello carries a nonce
        self.dir = tempfile.mkdtemp(prefix="ipf-", dir="/tmp")
        self.path = os.path.join(self.dir, "s.sock")
        self.peers = queue.Queue()
        self.all_peers = []
        self.listen()

    def listen(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen()
        threading.Thread(target=self._accept, args=(self.sock,), daemon=True).start()

    def _accept(self, sock):
        while True:
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            peer = Peer(conn, self.token)
            self.all_peers.append(peer)
            self.peers.put(peer)

    def accept(self, timeout=5):
        return self.peers.get(timeout=timeout)

    def handshake(self, **welcome):
        """Accept the next connection, read its hello, welcome it."""
        peer = self.accept()
        hello = peer.recv()
        peer.welcome(hello, **welcome)
        return peer, hello

    def stop_listening(self):
        self.sock.close()
        os.unlink(self.path)

    def close(self):
        for peer in self.all_peers:
            peer.close()
        try:
            self.sock.close()
            os.unlink(self.path)
        except OSError:
            pass
        try:
            os.rmdir(self.dir)
        except OSError:
            pass
