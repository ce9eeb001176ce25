"""Transports: the seam between a Connection and a socket library.

``WebSocketTransport`` (websocket-client) is the only module that imports
``websocket``; Coinsuper plugs paho-mqtt in behind the same interface, and engine
tests use ``MemoryNetwork``'s in-memory pairs.
"""

from __future__ import annotations

import collections
import socket
import threading
from collections.abc import Callable, Mapping

__all__ = [
    "Transport",
    "TransportClosed",
    "TransportFactory",
    "WebSocketTransport",
    "MemoryNetwork",
    "MemoryPeer",
]


class TransportClosed(Exception):
    """The transport is closed or failed; ``code``/``reason`` come from a close frame if any."""

    def __init__(self, reason: str = "closed", code: int | None = None) -> None:
        super().__init__(reason if code is None else f"{reason} (close code {code})")
        self.code = code
        self.reason = reason


class Transport:
    """One message-oriented connection. Implementations are thread-safe for one
    reader (``recv``) and any number of writers (``send``) and closers (``close``).
    """

    def open(self, url: str, timeout: float | None) -> None:
        """Connect; raises ``OSError`` or ``TransportClosed`` on failure."""
        raise NotImplementedError

    def send(self, frame: str | bytes) -> None:
        """Send one text (``str``) or binary (``bytes``) frame; raises ``TransportClosed``."""
        raise NotImplementedError

    def recv(self, timeout: float) -> str | bytes | None:
        """Return the next frame, or ``None`` after ``timeout`` seconds without one.

        Raises:
            TransportClosed: the peer closed or the socket failed.
        """
        raise NotImplementedError

    def close(self) -> None:
        """Close (idempotent); a thread blocked in ``recv`` is woken with ``TransportClosed``."""
        raise NotImplementedError


TransportFactory = Callable[[], Transport]


class WebSocketTransport(Transport):
    """websocket-client adapter.

    The socket timeout is only the reader's poll tick: a quiet, healthy connection
    is never closed for being quiet (liveness is the Connection's job). Frames are
    read with ``skip_utf8_validation=True``: decoding the text validates it anyway,
    and the pure-Python validator costs 3x in throughput (DESIGN.md).
    """

    def __init__(self, headers: Mapping[str, str] | None = None) -> None:
        self._headers = dict(headers or {})
        self._ws = None
        self._closed = threading.Event()
        self._timeout: float | None = None

    def open(self, url: str, timeout: float | None) -> None:
        import websocket  # the only import of websocket-client in exwire

        self._ws = websocket.create_connection(
            url,
            timeout=timeout,
            skip_utf8_validation=True,
            enable_multithread=True,
            header=[f"{k}: {v}" for k, v in self._headers.items()],
        )
        self._timeout = timeout

    def send(self, frame: str | bytes) -> None:
        import websocket

        ws = self._ws
        if ws is None or self._closed.is_set():
            raise TransportClosed("not open")
        try:
            if isinstance(frame, bytes):
                ws.send(frame, opcode=websocket.ABNF.OPCODE_BINARY)
            else:
                ws.send(frame)
        except (OSError, websocket.WebSocketException) as exc:
            raise TransportClosed(f"send failed: {exc}") from exc

    def recv(self, timeout: float) -> str | bytes | None:
        import websocket

        ws = self._ws
        if ws is None or self._closed.is_set():
            raise TransportClosed("not open")
        if timeout != self._timeout:
            ws.settimeout(timeout)
            self._timeout = timeout
        try:
            opcode, data = ws.recv_data(control_frame=False)
        except websocket.WebSocketTimeoutException:
            return None
        except socket.timeout:
            return None
        except websocket.WebSocketConnectionClosedException as exc:
            raise TransportClosed(f"connection closed: {exc}") from exc
        except (OSError, websocket.WebSocketException, ValueError) as exc:
            raise TransportClosed(f"recv failed: {exc}") from exc
        if opcode == websocket.ABNF.OPCODE_TEXT:
            return data.decode("utf-8")
        if opcode == websocket.ABNF.OPCODE_BINARY:
            return bytes(data)
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            code = int.from_bytes(data[:2], "big") if len(data) >= 2 else None
            raise TransportClosed(data[2:].decode("utf-8", "replace") or "closed by peer", code)
        return None

    def close(self) -> None:
        if self._closed.is_set():
            return
        self._closed.set()
        ws = self._ws
        if ws is None:
            return
        try:
            ws.send_close()
        except Exception:  # the socket may already be gone; closing is best effort
            pass
        try:
            ws.abort()  # shuts the socket down: wakes a reader blocked in recv
        except Exception:
            pass
        try:
            ws.shutdown()
        except Exception:
            pass


class MemoryPeer:
    """The far end of an in-memory transport, driven by a test as the "server".

    ``push`` sends a frame to the client; ``sent`` holds what the client sent;
    ``drop`` simulates a lost connection.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._inbox: collections.deque[str | bytes | TransportClosed] = collections.deque()
        self.sent: collections.deque[str | bytes] = collections.deque()
        self._sent_cond = threading.Condition()
        self.closed = False

    def push(self, frame: str | bytes) -> None:
        """Deliver a frame to the client's ``recv``."""
        with self._cond:
            self._inbox.append(frame)
            self._cond.notify_all()

    def drop(self, reason: str = "dropped by peer", code: int | None = None) -> None:
        """Make the client's ``recv`` fail as if the connection was lost."""
        with self._cond:
            self.closed = True
            self._inbox.append(TransportClosed(reason, code))
            self._cond.notify_all()

    def next_sent(self, timeout: float | None) -> str | bytes:
        """Wait for the next frame the client sent; raises ``TimeoutError``."""
        with self._sent_cond:
            if not self._sent_cond.wait_for(lambda: self.sent, timeout):
                raise TimeoutError("the client sent nothing")
            return self.sent.popleft()


class _MemoryTransport(Transport):
    def __init__(self, network: "MemoryNetwork") -> None:
        self._network = network
        self._peer: MemoryPeer | None = None
        self._closed = False

    def open(self, url: str, timeout: float | None) -> None:
        self._peer = self._network._accept(url)

    def send(self, frame: str | bytes) -> None:
        peer = self._peer
        if peer is None or self._closed or peer.closed:
            raise TransportClosed("not open")
        if self._network.on_send is not None:
            self._network.on_send(peer, frame)
            return
        with peer._sent_cond:
            peer.sent.append(frame)
            peer._sent_cond.notify_all()

    def recv(self, timeout: float) -> str | bytes | None:
        peer = self._peer
        if peer is None:
            raise TransportClosed("not open")
        with peer._cond:
            if not peer._cond.wait_for(lambda: peer._inbox, timeout):
                return None
            item = peer._inbox.popleft()
        if isinstance(item, TransportClosed):
            raise item
        return item

    def close(self) -> None:
        self._closed = True
        if self._peer is not None:
            self._peer.drop("closed by client")


class MemoryNetwork:
    """Hands out in-memory transports for engine tests; each ``open`` makes a new peer.

    ``refuse_next(n)`` makes the next ``n`` opens fail with ``OSError``. ``on_send``,
    if given, is called as ``on_send(peer, frame)`` inside the client's ``send``: a
    test's scripted server that answers synchronously, without a thread.
    """

    def __init__(self, on_send: Callable[[MemoryPeer, str | bytes], None] | None = None) -> None:
        self.on_send = on_send
        self._cond = threading.Condition()
        self.peers: list[MemoryPeer] = []
        self.urls: list[str] = []
        self._refusals = 0

    def transport(self) -> Transport:
        """A ``TransportFactory``: pass ``network.transport`` to a Connection."""
        return _MemoryTransport(self)

    def refuse_next(self, count: int = 1) -> None:
        with self._cond:
            self._refusals += count

    def _accept(self, url: str) -> MemoryPeer:
        with self._cond:
            if self._refusals:
                self._refusals -= 1
                raise ConnectionRefusedError("refused by MemoryNetwork")
            peer = MemoryPeer()
            self.peers.append(peer)
            self.urls.append(url)
            self._cond.notify_all()
            return peer

    def wait_peer(self, count: int, timeout: float | None) -> MemoryPeer:
        """Wait until ``count`` connections have been opened; return the latest."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.peers) >= count, timeout):
                raise TimeoutError(f"only {len(self.peers)} connections opened")
            return self.peers[count - 1]
