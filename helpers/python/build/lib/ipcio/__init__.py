"""ipcio client for Python (stdlib only). The wire protocol is docs/PROTOCOL.md."""

from .client import Client
from .errors import IpcError
from .frames import FrameDecoder, encode_frame
from .handlers import Call

__all__ = ["Client", "IpcError", "Call", "FrameDecoder", "encode_frame"]
__version__ = "0.1.0"
