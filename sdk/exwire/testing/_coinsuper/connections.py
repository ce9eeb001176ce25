"""One Coinsuper client connection's MQTT state, and the plain-TCP connection."""

from __future__ import annotations

import socket
import threading
import time
from typing import TYPE_CHECKING

from exwire.models import Credentials
from exwire.testing._coinsuper.mqtt import _Connect, _PacketReader
from exwire.testing._coinsuper.payloads import _Feed, _Market
from exwire.testing._server import EmulatorConnection

if TYPE_CHECKING:
    from exwire.testing._coinsuper.emulator import CoinsuperEmulator


# -- sessions -------------------------------------------------------------------------------


class _Session:
    """One client connection's MQTT state; guarded by the connection's ``send_lock``."""

    def __init__(self) -> None:
        self.reader = _PacketReader()
        self.connect: _Connect | None = None
        self.account: Credentials | None = None
        self.private = False
        self.feeds: dict[str, _Feed] = {}
        self.markets: dict[str, _Market] = {}  # by pair, shared by the pair's topics
        self.qos2_received: set[int] = set()  # QoS 2 packet ids PUBREC'd, awaiting PUBREL
        self.last_packet_at = time.monotonic()


class _TcpConnection(EmulatorConnection):
    """A plain TCP client connection with :class:`EmulatorConnection`'s worker helpers."""

    def __init__(self, server: CoinsuperEmulator, connection_id: int, sock: socket.socket) -> None:
        self.server = server
        self.id = connection_id
        self.path = "tcp"
        self.session = None
        self.send_lock = threading.RLock()
        self.closing = threading.Event()
        self.closed = threading.Event()
        self.messages_received = 0
        self.messages_sent = 0
        self._socket = sock
        self._wakeup = threading.Event()
        self._stalled = False
        self._workers = []

    def __repr__(self) -> str:
        return f"<TcpConnection {self.server.name}#{self.id}>"

    def send(self, message: str | bytes) -> bool:
        if self._stalled:
            return False
        data = message.encode("utf-8") if isinstance(message, str) else message
        try:
            with self.send_lock:
                self._socket.sendall(data)
                self.messages_sent += 1
        except OSError:
            self._set_closing()
            return False
        return True

    def close(self, code: int = 1000, reason: str = "") -> None:
        self.abort()

    def abort(self) -> None:
        self._set_closing()
        try:
            self._socket.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def stall(self) -> None:
        self._stalled = True
