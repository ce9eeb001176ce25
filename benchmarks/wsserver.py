"""A lean loopback WebSocket server for benchmarks, on raw sockets.

Why not the emulators' server: a flood must cost the server as little as possible,
because it shares the process (and the GIL) with the client being measured. Here
the N frames of a flood are encoded once, before timing, into one ``bytes`` blob,
and a flood is a single ``socket.sendall`` of that blob: the kernel copies it while
the GIL is released, so the client, bare or exwire, sets the pace.

Each connection has one thread (``bench-ws-conn-<id>``) that runs the opening
handshake, then reads the client's frames and hands each text or binary message
to the exchange's :class:`Handler` (subscribe acks, request replies). A flood runs
on its own short-lived thread (``bench-ws-flood-<id>``). Thread names do not start
with ``exwire-``: the server is not part of the SDK.

The server counts the CPU seconds its own threads spend (``cpu_seconds``), so a
benchmark can subtract them from the process's ``getrusage`` figures.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable

__all__ = ["FloodServer", "Handler", "ServerConnection", "encode_frame", "encode_flood", "TEXT", "BINARY"]

TEXT = 0x1
BINARY = 0x2
_CLOSE = 0x8
_PING = 0x9
_PONG = 0xA
_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def encode_frame(payload: str | bytes, opcode: int | None = None) -> bytes:
    """One unmasked (server to client) WebSocket frame; ``str`` is sent as text."""
    if isinstance(payload, str):
        payload = payload.encode("utf-8")
        opcode = TEXT if opcode is None else opcode
    elif opcode is None:
        opcode = BINARY
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", 0x80 | opcode, length)
    elif length < 65536:
        header = struct.pack("!BBH", 0x80 | opcode, 126, length)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 127, length)
    return header + payload


def encode_flood(messages: Iterable[str | bytes]) -> bytes:
    """Pre-encode a flood: every message as one frame, concatenated."""
    return b"".join([encode_frame(message) for message in messages])


def _unmask(payload: bytes, mask: bytes) -> bytes:
    if not payload:
        return payload
    length = len(payload)
    key = int.from_bytes((mask * (length // 4 + 1))[:length], "big")
    return (int.from_bytes(payload, "big") ^ key).to_bytes(length, "big")


class _Closed(Exception):
    pass


class Handler:
    """Speaks one exchange's protocol on one connection; subclass per exchange.

    Methods run on the connection's thread. Reply with ``connection.send``.
    """

    def on_open(self, connection: "ServerConnection") -> None:
        """Called after the handshake (e.g. Kraken's ``systemStatus``)."""

    def on_message(self, connection: "ServerConnection", message: str | bytes) -> None:
        """Called for each text (``str``) or binary (``bytes``) message from the client."""


class ServerConnection:
    """One accepted client. ``send`` and ``flood`` are thread-safe."""

    def __init__(self, server: "FloodServer", number: int, sock: socket.socket) -> None:
        self.server = server
        self.number = number
        self.sock = sock
        self.path = "/"
        self.subprotocols: list[str] = []
        self.handler: Handler | None = None
        self.send_lock = threading.Lock()
        self.open = threading.Event()  # handshake done, on_open ran
        self.closed = threading.Event()
        self.messages_received = 0
        self.state: dict = {}  # the handler's; "subscribed" names what the client subscribed
        self._buffer = bytearray()

    # -- sending ------------------------------------------------------------------

    def send(self, message: str | bytes) -> None:
        """Send one text (``str``) or binary (``bytes``) message; errors are ignored."""
        self.send_raw(encode_frame(message))

    def send_raw(self, data: bytes) -> None:
        try:
            with self.send_lock:
                self.sock.sendall(data)
        except OSError:
            pass

    def flood(self, blob: bytes) -> threading.Thread:
        """Send a pre-encoded blob on a new thread; returns the (started) thread."""

        def run() -> None:
            started = time.thread_time()
            try:
                with self.send_lock:
                    self.sock.sendall(blob)
            except OSError:
                pass
            finally:
                self.server._add_cpu(time.thread_time() - started)

        thread = threading.Thread(target=run, name=f"bench-ws-flood-{self.number}", daemon=True)
        thread.start()
        return thread

    # -- reading --------------------------------------------------------------------

    def _read(self, count: int) -> bytes:
        buffer = self._buffer
        while len(buffer) < count:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise _Closed()
            buffer += chunk
        data = bytes(buffer[:count])
        del buffer[:count]
        return data

    def _handshake(self) -> None:
        buffer = self._buffer
        while b"\r\n\r\n" not in buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise _Closed()
            buffer += chunk
        head, _, rest = bytes(buffer).partition(b"\r\n\r\n")
        self._buffer = bytearray(rest)
        lines = head.decode("latin-1").split("\r\n")
        self.path = lines[0].split(" ")[1] if len(lines[0].split(" ")) > 1 else "/"
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        key = headers.get("sec-websocket-key", "").encode("ascii")
        accept = base64.b64encode(hashlib.sha1(key + _GUID).digest()).decode("ascii")
        self.subprotocols = [p.strip() for p in headers.get("sec-websocket-protocol", "").split(",") if p.strip()]
        response = (
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Accept: {accept}\r\n"
        )
        if self.subprotocols:
            response += f"Sec-WebSocket-Protocol: {self.subprotocols[0]}\r\n"
        self.send_raw((response + "\r\n").encode("ascii"))

    def _next_message(self) -> str | bytes | None:
        """The next text/binary message; ``None`` after a control frame was handled."""
        fragments: list[bytes] = []
        first_opcode = None
        while True:
            b0, b1 = self._read(2)
            fin, opcode = b0 & 0x80, b0 & 0x0F
            length = b1 & 0x7F
            if length == 126:
                (length,) = struct.unpack("!H", self._read(2))
            elif length == 127:
                (length,) = struct.unpack("!Q", self._read(8))
            mask = self._read(4) if b1 & 0x80 else b""
            payload = self._read(length)
            if mask:
                payload = _unmask(payload, mask)
            if opcode == _CLOSE:
                self.send_raw(encode_frame(payload[:2], _CLOSE))
                raise _Closed()
            if opcode == _PING:
                self.send_raw(encode_frame(payload, _PONG))
                return None
            if opcode == _PONG:
                return None
            if opcode:
                first_opcode = opcode
            fragments.append(payload)
            if fin:
                data = b"".join(fragments)
                return data.decode("utf-8") if first_opcode == TEXT else data

    def _run(self) -> None:
        account = self.server._thread_accountant()
        try:
            self._handshake()
            self.handler = self.server.handler_factory(self.path)
            self.handler.on_open(self)
            self.open.set()
            self.server._connected(self)
            account()
            while True:
                message = self._next_message()
                if message is not None:
                    self.messages_received += 1
                    self.handler.on_message(self, message)
                account()
        except (_Closed, OSError):
            pass
        finally:
            account()
            self.closed.set()
            try:
                self.sock.close()
            except OSError:
                pass

    def close(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class FloodServer:
    """A loopback WebSocket server run by background threads; a context manager.

    Args:
        handler_factory: ``handler_factory(path)`` makes the :class:`Handler` of a new
            connection.
    """

    def __init__(self, handler_factory: Callable[[str], Handler]) -> None:
        self.handler_factory = handler_factory
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port = self._listener.getsockname()[1]
        self._lock = threading.Condition()
        self._connections: list[ServerConnection] = []
        self._threads: list[threading.Thread] = []
        self._accepted: list[ServerConnection] = []
        self._numbers = itertools.count(1)
        self._last_number = 0
        self._cpu = 0.0
        self._closing = False
        self._accept_thread = threading.Thread(target=self._accept, name="bench-ws-accept", daemon=True)
        self._accept_thread.start()

    def url(self, path: str = "/") -> str:
        return f"ws://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> "FloodServer":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- CPU accounting ----------------------------------------------------------------

    def cpu_seconds(self) -> float:
        """CPU seconds (user + system) the server's threads have used so far."""
        with self._lock:
            return self._cpu

    def _add_cpu(self, seconds: float) -> None:
        with self._lock:
            self._cpu += seconds

    def _thread_accountant(self) -> Callable[[], None]:
        last = [time.thread_time()]

        def account() -> None:
            now = time.thread_time()
            self._add_cpu(now - last[0])
            last[0] = now

        return account

    # -- connections -----------------------------------------------------------------------

    def _accept(self) -> None:
        while True:
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            connection = ServerConnection(self, next(self._numbers), sock)
            with self._lock:
                self._last_number = connection.number
            thread = threading.Thread(target=connection._run, name=f"bench-ws-conn-{connection.number}", daemon=True)
            with self._lock:
                if self._closing:
                    sock.close()
                    return
                self._threads = [t for t in self._threads if t.is_alive()] + [thread]
                self._accepted = [c for c in self._accepted if not c.closed.is_set()] + [connection]
            thread.start()

    def _connected(self, connection: ServerConnection) -> None:
        with self._lock:
            self._connections = [c for c in self._connections if not c.closed.is_set()] + [connection]
            self._lock.notify_all()

    def wait_connections(self, count: int, timeout: float) -> list[ServerConnection]:
        """Wait until ``count`` connections are open; return the open ones, oldest first.

        Raises:
            TimeoutError: fewer connections opened in time.
        """
        with self._lock:
            ok = self._lock.wait_for(
                lambda: len([c for c in self._connections if not c.closed.is_set()]) >= count, timeout
            )
            if not ok:
                raise TimeoutError(f"only {len(self._connections)} connection(s) opened")
            return [c for c in self._connections if not c.closed.is_set()]

    def mark(self) -> int:
        """The number of the last connection accepted so far (see :meth:`connection_after`)."""
        with self._lock:
            return self._last_number

    def connection_after(self, mark: int, timeout: float = 10.0) -> ServerConnection:
        """The first open connection accepted after ``mark``, waiting for its handshake.

        Raises:
            TimeoutError: none opened in time.
        """
        def find() -> ServerConnection | None:
            return next((c for c in self._connections if c.number > mark and not c.closed.is_set()), None)

        with self._lock:
            if not self._lock.wait_for(lambda: find() is not None, timeout):
                raise TimeoutError("no new connection opened")
            return find()  # type: ignore[return-value]

    def close(self) -> None:
        """Stop accepting, cut every connection, join every thread. Idempotent."""
        with self._lock:
            if self._closing:
                return
            self._closing = True
            connections = list(self._accepted)
            threads = list(self._threads)
        try:
            self._listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._listener.close()
        self._accept_thread.join(5)
        for connection in connections:
            connection.close()
        for thread in threads:
            thread.join(5)
