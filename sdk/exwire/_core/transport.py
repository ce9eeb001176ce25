"""Transports: the seam between a Connection and a socket library.

``WebSocketTransport`` (websocket-client) is the only module that imports
``websocket``; Coinsuper plugs paho-mqtt in behind the same interface, and engine
tests use ``MemoryNetwork``'s in-memory pairs.
"""

from __future__ import annotations

import collections
import socket
import threading
import time
from collections.abc import Callable, Mapping

from exwire._core.netopts import NetworkOptions, websocket_options

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

    The engine calls only the methods declared here; the optional ones have
    defaults, so a minimal transport implements ``open``/``send``/``recv``/``close``.
    """

    #: ``time.monotonic()`` of the last bytes read, whatever they carried (control
    #: frames, MQTT PINGRESP); 0.0 when the transport does not track it.
    last_activity: float = 0.0

    def frame_ready(self) -> bool:
        """Whether a whole frame is already buffered, so ``recv`` will not block.

        The reader defers lane wake-ups while this is true. Reader thread only.
        """
        return False

    def take_buffered(self) -> str | bytes | None:
        """The next data frame already read (never does I/O), or ``None``. Reader thread only."""
        return None

    def ping(self) -> bool:
        """Send a transport-level keep-alive (a WebSocket ping frame, an MQTT PINGREQ).

        Its answer shows up as ``last_activity``. Returns ``False`` when the transport
        has no such frame (the connection then relies on the protocol's pings).

        Raises:
            TransportClosed: the transport is closed.
        """
        return False

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


_READ_SIZE = 256 * 1024  # bytes per socket read: a flood is sliced out of one buffer
_OP_CONTINUATION, _OP_TEXT, _OP_BINARY, _OP_CLOSE, _OP_PING, _OP_PONG = 0, 1, 2, 8, 9, 10
_NEED_MORE = object()


class WebSocketTransport(Transport):
    """websocket-client adapter with a read-ahead frame reader.

    websocket-client opens the connection (handshake, TLS, proxies) and sends every
    frame (masking, its send lock). Inbound frames are read by this class: the socket
    is read in large chunks and frames are sliced out of one buffer, so a flood costs
    one system call per chunk instead of three per frame, and the reader thread does
    not release the GIL (and wake the dispatcher lanes' competition for it) between
    frames. Server frames are unmasked and uncompressed (exwire offers no extension).
    Pings are answered with pongs; a close frame is answered and ends the transport.

    The socket timeout is only the reader's poll tick: a quiet, healthy connection
    is never closed for being quiet (liveness is the Connection's job). A text frame
    that is not valid UTF-8 is handed on as ``bytes`` so the protocol's decoder
    rejects, logs and skips it, as any malformed frame.
    """

    def __init__(self, headers: Mapping[str, str] | None = None, *, network: NetworkOptions | None = None) -> None:
        self._headers = dict(headers or {})
        self._network = network or NetworkOptions()
        self._ws = None
        self._sock = None
        self._closed = threading.Event()
        self._timeout: float | None = None
        self._buffer = bytearray()
        self._position = 0
        self._fragments: list[bytes] = []
        self._fragment_opcode = 0
        #: ``time.monotonic()`` of the last bytes read, whatever they carried.
        self.last_activity = 0.0

    def open(self, url: str, timeout: float | None) -> None:
        import websocket  # the only import of websocket-client in exwire

        self._ws = websocket.create_connection(
            url,
            timeout=timeout,
            skip_utf8_validation=True,
            enable_multithread=True,
            header=[f"{k}: {v}" for k, v in self._headers.items()],
            **websocket_options(self._network, url),
        )
        self._sock = self._ws.sock
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
        sock = self._sock
        if sock is None or self._closed.is_set():
            raise TransportClosed("not open")
        while True:
            frame = self._next_frame()
            if frame is not _NEED_MORE:
                if frame is not None:
                    return frame
                continue  # a control frame was handled
            if timeout != self._timeout:
                sock.settimeout(timeout)
                self._timeout = timeout
            try:
                chunk = sock.recv(_READ_SIZE)
            except (socket.timeout, TimeoutError):
                return None
            except (OSError, ValueError) as exc:
                raise TransportClosed(f"recv failed: {exc}") from exc
            if not chunk:
                raise TransportClosed("connection closed by peer")
            self.last_activity = time.monotonic()  # control frames (server pings) count too
            if self._position:
                del self._buffer[: self._position]
                self._position = 0
            self._buffer += chunk

    def frame_ready(self) -> bool:
        """Whether a whole frame is already buffered, so ``recv`` will not block. Reader thread only."""
        buffer = self._buffer
        position = self._position
        available = len(buffer) - position
        if available < 2:
            return False
        second = buffer[position + 1]
        length = second & 0x7F
        header = 2
        if length == 126:
            header = 4
            if available < header:
                return False
            length = int.from_bytes(buffer[position + 2 : position + 4], "big")
        elif length == 127:
            header = 10
            if available < header:
                return False
            length = int.from_bytes(buffer[position + 2 : position + 10], "big")
        if second & 0x80:
            header += 4
        return available >= header + length

    def take_buffered(self) -> str | bytes | None:
        """The next data frame already read from the socket, or ``None`` (never does I/O).

        Lets a wrapping transport batch work over frames that arrived together (OKEx
        inflates a batch at once, so the lanes wake once per batch). Control frames
        met on the way are handled as in :meth:`recv`. Reader thread only.

        Raises:
            TransportClosed: a close frame was next.
        """
        while True:
            frame = self._next_frame()
            if frame is _NEED_MORE:
                return None
            if frame is not None:
                return frame  # type: ignore[return-value]

    def _next_frame(self) -> object:
        """Slice one frame out of the buffer: data, ``None`` (control), or ``_NEED_MORE``."""
        buffer = self._buffer
        position = self._position
        available = len(buffer) - position
        if available < 2:
            return _NEED_MORE
        first, second = buffer[position], buffer[position + 1]
        length = second & 0x7F
        header = 2
        if length == 126:
            header = 4
            if available < header:
                return _NEED_MORE
            length = int.from_bytes(buffer[position + 2 : position + 4], "big")
        elif length == 127:
            header = 10
            if available < header:
                return _NEED_MORE
            length = int.from_bytes(buffer[position + 2 : position + 10], "big")
        mask = None
        if second & 0x80:  # servers must not mask (RFC 6455 §5.1); tolerate it anyway
            if available < header + 4:
                return _NEED_MORE
            mask = bytes(buffer[position + header : position + header + 4])
            header += 4
        end = position + header + length
        if len(buffer) < end:
            return _NEED_MORE
        payload = bytes(buffer[position + header : end])
        self._position = end
        if mask is not None:
            payload = bytes(b ^ mask[i & 3] for i, b in enumerate(payload))
        opcode = first & 0x0F
        final = first & 0x80
        if opcode == _OP_TEXT or opcode == _OP_BINARY:
            if final:
                return self._data(opcode, payload)
            self._fragment_opcode, self._fragments = opcode, [payload]
            return None
        if opcode == _OP_CONTINUATION:
            self._fragments.append(payload)
            if not final:
                return None
            data, self._fragments = b"".join(self._fragments), []
            return self._data(self._fragment_opcode, data)
        if opcode == _OP_PING:
            try:
                self._ws.pong(payload)  # type: ignore[union-attr]
            except Exception:
                pass  # the next read reports a dead socket
            return None
        if opcode == _OP_CLOSE:
            code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else None
            try:
                self._ws.send_close()  # type: ignore[union-attr]
            except Exception:
                pass
            raise TransportClosed(payload[2:].decode("utf-8", "replace") or "closed by peer", code)
        return None  # pong or a reserved opcode: nothing to deliver

    @staticmethod
    def _data(opcode: int, payload: bytes) -> str | bytes:
        if opcode == _OP_BINARY:
            return payload
        try:
            return payload.decode("utf-8")
        except UnicodeDecodeError:
            return payload  # the protocol's decoder rejects and logs it

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

    def frame_ready(self) -> bool:
        peer = self._peer
        return peer is not None and bool(peer._inbox)

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
