"""A loopback WebSocket server that plays Autobahn-style cases against a client.

It does the HTTP upgrade handshake itself over a raw socket, so a case can send any
bytes at all, malformed frames included, and it records every frame the client sends
back (pongs, close frames and their status codes). One server serves one connection:
``AutobahnServer(script)`` is a context manager; leaving it shuts the sockets and
joins its thread (``exwire-test-autobahn``).
"""

from __future__ import annotations

import base64
import hashlib
import socket
import struct
import threading
from collections.abc import Sequence
from types import TracebackType
from typing import NamedTuple

__all__ = ["AutobahnServer", "ClientFrame", "frame", "close_payload", "OP"]

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455 §1.3


class OP:
    """Opcodes (RFC 6455 §5.2)."""

    CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


def frame(
    opcode: int,
    payload: bytes = b"",
    *,
    final: bool = True,
    rsv: int = 0,
    mask: bytes | None = None,
    length: int | None = None,
) -> bytes:
    """One server frame as bytes. ``rsv`` is the 3 RSV bits (0..7); ``length``, if
    given, is written in the header instead of the payload's length (a lying header)."""
    first = (0x80 if final else 0) | (rsv & 7) << 4 | opcode
    size = len(payload) if length is None else length
    mask_bit = 0x80 if mask else 0
    if size < 126:
        header = struct.pack("!BB", first, mask_bit | size)
    elif size < 65536:
        header = struct.pack("!BBH", first, mask_bit | 126, size)
    else:
        header = struct.pack("!BBQ", first, mask_bit | 127, size)
    if mask:
        return header + mask + bytes(b ^ mask[i & 3] for i, b in enumerate(payload))
    return header + payload


def close_payload(code: int | None, reason: bytes = b"") -> bytes:
    """The payload of a close frame: ``code`` (``None``: no status at all) then ``reason``."""
    return b"" if code is None else struct.pack("!H", code) + reason


class ClientFrame(NamedTuple):
    """A frame the client sent, unmasked."""

    opcode: int
    payload: bytes
    final: bool
    masked: bool

    @property
    def close_code(self) -> int | None:
        """The status code of a close frame, ``None`` when it carries none."""
        return int.from_bytes(self.payload[:2], "big") if len(self.payload) >= 2 else None


class AutobahnServer:
    """Serves one WebSocket connection on 127.0.0.1 and plays ``script`` to it.

    ``script`` is a sequence of byte strings written one after another once the
    handshake is done; ``chop`` writes them in pieces of that many bytes instead (the
    client's reader then meets frames split across reads). After the script the server
    reads the client's frames until the client ends the TCP connection.

    Thread-safety: ``received``/``wait_*`` may be used from any thread.
    """

    def __init__(self, script: Sequence[bytes], *, chop: int | None = None, read_timeout: float = 10.0) -> None:
        self._script = list(script)
        self._chop = chop
        self._read_timeout = read_timeout
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.url = f"ws://127.0.0.1:{self.port}/case"
        self._cond = threading.Condition()
        self._frames: list[ClientFrame] = []
        self._ended = False  # the client ended the connection (or the server gave up)
        self._connection: socket.socket | None = None
        self._stopping = False
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._serve, name="exwire-test-autobahn", daemon=True)
        self._thread.start()

    # -- test side ------------------------------------------------------------------

    def __enter__(self) -> AutobahnServer:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    def stop(self) -> None:
        """Shut every socket and join the thread (idempotent)."""
        with self._cond:
            self._stopping = True
            connection = self._connection
        for sock in (self._listener, connection):
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)  # wakes accept()/recv() in the thread
                except OSError:
                    pass
        self._thread.join(10.0)
        self._listener.close()
        assert not self._thread.is_alive(), "the test server did not stop"

    @property
    def received(self) -> list[ClientFrame]:
        """The frames the client sent so far."""
        with self._cond:
            return list(self._frames)

    def wait_frames(self, count: int, timeout: float) -> list[ClientFrame]:
        """Wait until the client sent ``count`` frames (or ended); return them all."""
        with self._cond:
            self._cond.wait_for(lambda: len(self._frames) >= count or self._ended, timeout)
            return list(self._frames)

    def wait_ended(self, timeout: float) -> list[ClientFrame]:
        """Wait until the client ended the TCP connection; return every frame it sent.

        Raises:
            TimeoutError: the connection is still open after ``timeout`` seconds.
        """
        with self._cond:
            if not self._cond.wait_for(lambda: self._ended, timeout):
                raise TimeoutError("the client did not end the connection")
            return list(self._frames)

    def closes(self) -> list[ClientFrame]:
        """The close frames the client sent so far."""
        return [f for f in self.received if f.opcode == OP.CLOSE]

    # -- server thread --------------------------------------------------------------

    def _serve(self) -> None:
        try:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return  # stopped before a client came
            with connection:
                with self._cond:
                    self._connection = connection
                    if self._stopping:
                        return
                connection.settimeout(self._read_timeout)
                connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                reader = _Reader(connection)
                self._handshake(connection, reader)
                try:
                    for data in self._script:
                        if self._chop:
                            for start in range(0, len(data), self._chop):
                                connection.sendall(data[start : start + self._chop])
                        else:
                            connection.sendall(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client failed the connection mid-script, as an invalid case should
                while True:
                    try:
                        client_frame = reader.frame()
                    except ConnectionResetError:
                        break  # the client's socket closed with our unread script bytes pending
                    if client_frame is None:
                        break
                    with self._cond:
                        self._frames.append(client_frame)
                        self._cond.notify_all()
        except OSError as exc:
            if not self._stopping:
                self.error = exc
        finally:
            with self._cond:
                self._ended = True
                self._connection = None
                self._cond.notify_all()

    @staticmethod
    def _handshake(connection: socket.socket, reader: _Reader) -> None:
        request = reader.until(b"\r\n\r\n").decode("latin-1")
        key = ""
        for line in request.split("\r\n")[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "sec-websocket-key":
                key = value.strip()
        accept = base64.b64encode(hashlib.sha1(key.encode() + _GUID).digest()).decode()
        connection.sendall(
            (
                "HTTP/1.1 101 Switching Protocols\r\n"
                "Upgrade: websocket\r\n"
                "Connection: Upgrade\r\n"
                f"Sec-WebSocket-Accept: {accept}\r\n\r\n"
            ).encode()
        )


class _Reader:
    """Buffered reads of a socket: lines of the handshake, then client frames."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buffer = b""

    def _fill(self) -> bool:
        try:
            chunk = self._sock.recv(65536)
        except (ConnectionResetError, socket.timeout):
            return False
        if not chunk:
            return False
        self._buffer += chunk
        return True

    def until(self, marker: bytes) -> bytes:
        while marker not in self._buffer:
            if not self._fill():
                raise ConnectionError("the client left during the handshake")
        head, _, self._buffer = self._buffer.partition(marker)
        return head

    def exactly(self, count: int) -> bytes | None:
        while len(self._buffer) < count:
            if not self._fill():
                return None
        data, self._buffer = self._buffer[:count], self._buffer[count:]
        return data

    def frame(self) -> ClientFrame | None:
        """The next client frame, or ``None`` at the end of the stream."""
        head = self.exactly(2)
        if head is None:
            return None
        first, second = head
        length = second & 0x7F
        if length == 126:
            extended = self.exactly(2)
            if extended is None:
                return None
            length = int.from_bytes(extended, "big")
        elif length == 127:
            extended = self.exactly(8)
            if extended is None:
                return None
            length = int.from_bytes(extended, "big")
        mask = self.exactly(4) if second & 0x80 else b""
        payload = self.exactly(length)
        if mask is None or payload is None:
            return None
        if mask:
            payload = bytes(b ^ mask[i & 3] for i, b in enumerate(payload))
        return ClientFrame(first & 0x0F, payload, bool(first & 0x80), bool(mask))
