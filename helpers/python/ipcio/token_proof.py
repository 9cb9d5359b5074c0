"""The token never crosses the wire (PROTOCOL.md, "Handshake"): lib/common/token-proof.ts in Python.

The hello carries a fresh nonce; the server answers `challenge` with its own
nonce and its proof of the token over both; the client checks that proof
(a decoy in the server's place cannot make it) and answers `proof` with its
own. Proofs are HMAC-SHA256 under the key SHA-256(UTF-8 token) of
"ipcio-server-proof" or "ipcio-client-proof", "\\n", client nonce, "\\n",
server nonce, as 64 lowercase hex digits.
"""

import hashlib
import hmac
import secrets

from .errors import IpcError

SERVER_AUTH_FAILED = "SERVER_AUTH_FAILED"
NONCE_BYTES = 32


def _proof(token, label, client_nonce, server_nonce):
    key = hashlib.sha256(token.encode("utf-8")).digest()
    message = f"{label}\n{client_nonce}\n{server_nonce}".encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def handshake_proofs(token, client_nonce, server_nonce):
    """(server's proof, client's proof) for one handshake."""
    return (_proof(token, "ipcio-server-proof", client_nonce, server_nonce),
            _proof(token, "ipcio-client-proof", client_nonce, server_nonce))


class ClientTokenProof:
    """One connection attempt's side of the proof."""

    def __init__(self, token):
        self._token = token
        self.nonce = secrets.token_hex(NONCE_BYTES)
        self.verified = False

    def answer(self, challenge):
        """The client's proof for `challenge`; IpcError SERVER_AUTH_FAILED when the server's proof is wrong."""
        server, client = handshake_proofs(self._token, self.nonce, challenge["nonce"])
        if not hmac.compare_digest(server, str(challenge.get("proof", ""))):
            raise IpcError(SERVER_AUTH_FAILED, "the server could not prove it knows our token: a wrong token, "
                           "or not the server meant (a decoy in its place?); nothing more was sent")
        self.verified = True
        return client

    def check_welcome(self):
        if not self.verified:
            raise IpcError(SERVER_AUTH_FAILED, "the server welcomed this client without proving it knows the token: "
                           "not the server meant (a decoy in its place?), or one that requires no token")
