"""Transports: the seam between a Connection and a socket library.

``WebSocketTransport`` (websocket-client) is the only module that imports
``websocket``; Coinsuper plugs paho-mqtt in behind the same interface, and engine
tests use ``MemoryNetwork``'s in-memory pairs.
"""

from __future__ import annotations

import codecs
import collections
import enum
import functools
import os
import socket
import struct
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Final, NoReturn, Protocol

from exwire._core.netopts import NetworkOptions, websocket_options
from exwire._core.sockread import SerialisedReader

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

    #: Whether :meth:`wait_readable` and a non-blocking ``recv(0.0)`` are supported, so the
    #: wait for data and the read can happen apart (and a caller may read its own reply).
    pollable: bool = False

    def wait_readable(self, timeout: float | None) -> bool:
        """Pollable transports: whether ``recv(0.0)`` has something to return (a frame, or
        the loss to raise) within ``timeout`` seconds (``None``: no limit). Reads nothing
        and waits holding no lock, so another thread may read meanwhile. The background
        reader's wait: :meth:`mute` holds it off (a caller reading its own reply waits in
        ``recv_many`` instead).
        """
        raise NotImplementedError

    def mute(self) -> bool:
        """Until the matching :meth:`unmute`, bytes arriving do not end a ``wait_readable``
        (its timeout, an error or the end of the connection still do, and so does
        ``unmute`` with bytes waiting); a ``recv_many`` that waits still sees them. Nests.

        So a caller that reads its own reply is the only thread the reply wakes.
        Returns whether the transport can; the default cannot (both waits wake).
        """
        return False

    def unmute(self) -> None:
        """Undo one :meth:`mute`."""

    def frame_ready(self) -> bool:
        """Whether a whole frame is already buffered, so ``recv`` will not block.

        The reader defers lane wake-ups while this is true. Reader thread only.
        """
        return False

    def take_buffered(self) -> str | bytes | None:
        """The next data frame already read (never does I/O), or ``None``. Reader thread only."""
        return None

    def recv_many(self, timeout: float) -> list[str | bytes] | None:
        """The frames ``recv`` can return now, in order: at least one, or ``None`` after
        ``timeout`` seconds without any. The reader's entry point: one call per socket
        read where the transport slices frames out of a read-ahead buffer.

        The default returns one frame (``frame_ready`` then tells whether more wait).
        A transport that returns several raises a failure met behind them on the next
        call, after they were returned.

        Raises:
            TransportClosed: as :meth:`recv`.
        """
        frame = self.recv(timeout)
        return None if frame is None else [frame]

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

@functools.cache  # one subclass per base class
def _abortable_websocket_class(base: type) -> type:
    """websocket-client's ``WebSocket`` whose connect another thread can abort at any point.

    ``WebSocket.connect`` assigns ``self.sock`` once the TCP connection exists and then
    runs the HTTP upgrade on it; a ``close()`` racing that assignment would find no
    socket to shut down and the handshake would run its full timeout. Here ``sock`` is
    a property: once :meth:`abort_connect` was called, a socket assigned later is shut
    down on assignment, so the handshake fails at once.
    """
    def get_sock(self: Any) -> Any:
        return self.__dict__.get("_exwire_sock")

    def set_sock(self: Any, value: Any) -> None:
        self.__dict__["_exwire_sock"] = value
        if value is not None and self.__dict__.get("_exwire_aborted"):
            shutdown_socket(value)

    def abort_connect(self: Any) -> None:
        self.__dict__["_exwire_aborted"] = True
        sock = self.__dict__.get("_exwire_sock")
        if sock is not None:
            shutdown_socket(sock)

    cls = type("_AbortableWebSocket", (base,), {"sock": property(get_sock, set_sock), "abort_connect": abort_connect})
    return cls


def _abort(ws: Any) -> None:
    """Shut websocket-client's socket down (waking a blocked reader), then close it; best effort."""
    try:
        ws.abort()
    except Exception:  # the socket may already be gone
        pass
    try:
        ws.shutdown()
    except Exception:
        pass


def shutdown_socket(sock: socket.socket) -> None:
    """Shut ``sock`` down both ways (wakes a thread blocked on it); a closed socket is ignored."""
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


# Bytes per socket read: a flood is sliced out of one buffer. Each read allocates a
# bytes object of this size first (then shrinks it): at 128 KiB and more glibc's
# malloc maps fresh pages for it, which made every read of one small reply cost
# about 15 us more (a tenth of a loopback round trip); a TLS read returns one record
# (at most 16 KiB) anyway.
_READ_SIZE = 64 * 1024
# Seconds one blocking read of a plain TCP socket may wait (SO_RCVTIMEO): a read given a
# longer timeout waits in read(2) itself, in steps of this.
_BLOCKING_READ_LIMIT = 0.1
_monotonic = time.monotonic
_OP_CONTINUATION, _OP_TEXT, _OP_BINARY, _OP_CLOSE, _OP_PING, _OP_PONG = 0, 1, 2, 8, 9, 10
# First header bytes of the hot path: FIN set, RSV bits clear, text or binary (RFC 6455 §5.2).
_FINAL_TEXT, _FINAL_BINARY = 0x80 | _OP_TEXT, 0x80 | _OP_BINARY
_MAX_CONTROL_PAYLOAD = 125  # bytes (RFC 6455 §5.5)


class MaskKeys:
    """Masking keys from the operating system's random source, fetched 4 KiB at a time.

    RFC 6455 §5.3: the key of every client frame must be fresh and unpredictable,
    "derived from a strong source of entropy"; ``os.urandom`` is one, and one call per
    1,024 frames instead of one per frame saves a system call on every request.
    Not thread-safe: the transport draws keys under its write lock.
    """

    __slots__ = ("_pool", "_next")

    def __init__(self) -> None:
        self._pool = b""
        self._next = 0

    def take(self) -> bytes:
        start = self._next
        if start + 4 > len(self._pool):
            self._pool = os.urandom(4096)
            start = 0
        self._next = start + 4
        return self._pool[start : start + 4]


def client_frame(first: int, payload: bytes, keys: MaskKeys) -> bytes:
    """One whole client frame (RFC 6455 §5.2): the first header byte ``first`` (FIN and the
    opcode), the MASK bit with the shortest length form, a masking key and the payload
    masked with it (§5.3). Call with the write lock held (``keys`` is not thread-safe)."""
    length = len(payload)
    if length < 126:
        header = bytes((first, 0x80 | length))
    elif length < 0x10000:
        header = struct.pack("!BBH", first, 0x80 | 126, length)
    else:
        header = struct.pack("!BBQ", first, 0x80 | 127, length)
    key = keys.take()
    if not length:
        return header + key
    # XOR as one big integer: C loops over the bytes (websocket-client's fallback does the same).
    repeated = key * (length // 4 + 1)
    masked = int.from_bytes(payload, "big") ^ int.from_bytes(repeated[:length], "big")
    return header + key + masked.to_bytes(length, "big")


class _Signal(enum.Enum):
    NEED_MORE = "need more"  # the buffer holds no whole frame


_NEED_MORE: Final = _Signal.NEED_MORE
_Frame = str | bytes | None | _Signal  # what the frame slicer returns


# Status codes the client sends when it fails the connection (RFC 6455 §7.4.1).
CLOSE_NORMAL, CLOSE_PROTOCOL_ERROR, CLOSE_INVALID_PAYLOAD, CLOSE_TOO_BIG = 1000, 1002, 1007, 1009


def valid_close_code(code: int) -> bool:
    """Whether a peer may send ``code`` in a Close frame (RFC 6455 §7.4.1, §7.4.2).

    1000-1003 and 1007-1011 are defined by §7.4.1; 1012-1014 are registered in the
    IANA WebSocket Close Code Number Registry (§11.7) and sent by common servers;
    3000-4999 belong to libraries, frameworks and applications. 1004-1006 and 1015
    are reserved and must never be sent; everything else is unassigned.
    """
    return 1000 <= code <= 1003 or 1007 <= code <= 1014 or 3000 <= code <= 4999


class _WebSocket(Protocol):
    """The part of ``websocket.WebSocket`` this module uses (websocket-client is untyped)."""

    connected: bool
    sock: socket.socket | None
    lock: Any  # held by send_frame around every write

    def settimeout(self, timeout: float | None) -> None: ...
    def connect(self, url: str, **options: Any) -> None: ...
    def send(self, payload: str | bytes, opcode: int = ...) -> int: ...
    def ping(self, payload: str | bytes = ...) -> None: ...
    def pong(self, payload: str | bytes = ...) -> None: ...
    def abort(self) -> None: ...
    def shutdown(self) -> None: ...


class WebSocketTransport(Transport):
    """websocket-client adapter with a read-ahead frame reader.

    websocket-client opens the connection (handshake, TLS, proxies) and sends every
    frame (masking, its send lock). Inbound frames are read by this class: the socket
    is read in large chunks and frames are sliced out of one buffer, so a flood costs
    one system call per chunk instead of three per frame, and the reader thread does
    not release the GIL (and wake the dispatcher lanes' competition for it) between
    frames. Pings are answered with a pong echoing their payload; pongs are ignored.

    The reader is as strict as RFC 6455 requires of a client. It *fails the
    connection* (§7.1.7: sends a Close frame with the status code, closes the socket,
    and raises ``TransportClosed(reason, code)`` from ``recv``/``take_buffered``) on:

    * 1002 (protocol error): RSV bits set (exwire negotiates no extension, §5.2); a
      reserved opcode (§5.2); a masked frame (§5.1: a client MUST close the connection
      when it sees one); a fragmented control frame or one with more than 125 bytes of
      payload (§5.5); a continuation frame with no message to continue, or a new text
      or binary frame inside a fragmented message (§5.4); a Close frame with a 1-byte
      payload (§5.5.1) or a status code not allowed on the wire (§7.4).
    * 1007 (invalid payload): a text message that is not UTF-8 (§5.6, §8.1), checked
      per fragment so a bad fragment fails at once; a Close reason that is not UTF-8
      (§5.5.1).
    * 1009 (too big): a frame, or the fragments of a message so far, longer than
      ``network.max_message_size`` bytes (§10.4). It fails as soon as the frame header
      is read: nothing of such a frame is buffered or waited for.

    A server Close is answered exactly once, echoing its status code (§5.5.1; an
    empty Close for one without a code), then the socket is closed: :meth:`close`
    afterwards sends nothing more. Nothing read after a Close is delivered (§1.4).

    The socket timeout is only the reader's poll tick: a quiet, healthy connection
    is never closed for being quiet (liveness is the Connection's job).

    Thread-safety: one reader thread (``recv``, ``frame_ready``, ``take_buffered``),
    any number of threads calling ``send``, ``ping`` and ``close``.
    """

    pollable = True  # the wait for data and the read happen apart (exwire._core.sockread)

    def __init__(self, headers: Mapping[str, str] | None = None, *, network: NetworkOptions | None = None) -> None:
        self._headers = dict(headers or {})
        self._network = network or NetworkOptions()
        self._ws: _WebSocket | None = None
        self._closed = threading.Event()
        self._max_message_size = self._network.max_message_size
        self._buffer = bytearray()
        self._position = 0
        self._deferred: TransportClosed | None = None  # met behind frames recv_many returned
        # The fragmented message being reassembled (reader thread only): its opcode
        # (0: none), the size of its fragments so far in bytes, its parts (text parts
        # are already decoded, by ``_decoder``, which validates UTF-8 across fragments).
        self._message_opcode = 0
        self._message_size = 0
        self._message_parts: list[Any] = []
        self._decoder: codecs.IncrementalDecoder | None = None
        self._close_lock = threading.Lock()  # guards _close_sent: one Close frame per connection
        self._close_sent = False
        # Every write holds this lock (it is websocket-client's send lock, see open());
        # the reader holds it for each non-blocking read too (exwire._core.sockread).
        self._write_lock = threading.Lock()
        self._mask_keys = MaskKeys()  # drawn under the write lock
        self._reader: SerialisedReader | None = None
        self._sock: socket.socket | None = None  # set once the handshake is done (open)
        self._plain = False
        self._blocking = False  # the descriptor is blocking (SerialisedReader.block_reads)
        self._closing = False  # a plain copy of _closed for send()
        #: ``time.monotonic()`` of the last bytes read, whatever they carried.
        self.last_activity = 0.0

    def open(self, url: str, timeout: float | None) -> None:
        import websocket  # the only import of websocket-client in exwire

        options = websocket_options(self._network, url)
        ws: _WebSocket = _abortable_websocket_class(websocket.WebSocket)(
            sslopt=options.pop("sslopt", {}),
            skip_utf8_validation=True,
            enable_multithread=True,
        )
        ws.settimeout(timeout)
        ws.lock = self._write_lock  # send_frame writes under ws.lock; every read takes it too
        self._ws = ws  # before connecting: close() can abort a handshake in progress
        if self._closed.is_set():
            raise TransportClosed("closed before opening")
        ws.connect(url, header=[f"{k}: {v}" for k, v in self._headers.items()], **options)
        if self._closed.is_set():  # close() raced the handshake's last step
            ws.shutdown()
            raise TransportClosed("closed while opening")
        sock = ws.sock
        if sock is None:
            raise TransportClosed("no socket after the handshake")
        self._attach(sock)
        reader = self._reader
        assert reader is not None
        # Plain TCP: a blocking descriptor with kernel time limits, so a caller waiting for
        # its reply waits in the read itself (one system call, not a poll and a read).
        self._blocking = reader.block_reads(_BLOCKING_READ_LIMIT, sock.gettimeout())

    def _attach(self, sock: socket.socket) -> None:
        """Read and write ``sock`` from now on (the handshake on it is done)."""
        # Reads wait for data outside the write lock and read under it, without waiting:
        # OpenSSL's SSL object must never see a read and a write at once, and the
        # connection's read token may pass between threads (exwire._core.sockread).
        self._reader = SerialisedReader(sock, self._write_lock)
        # What send() writes to: the connected socket, and whether it is plain TCP (one
        # write(2) per frame) rather than TLS (sendall through the SSL object).
        self._plain = type(sock) is socket.socket
        self._sock = sock

    def ping(self) -> bool:
        """Send a WebSocket ping frame (RFC 6455 §5.5.2); its pong counts in ``last_activity``."""
        ws = self._ws
        if ws is None or self._closed.is_set():
            raise TransportClosed("not open")
        try:
            self._control(_OP_PING, b"")
        except TransportClosed as exc:
            raise TransportClosed(f"ping failed: {exc}") from exc
        return True

    def send(self, frame: str | bytes) -> None:
        """Send one data frame: text for ``str``, binary for ``bytes``.

        The frame is built here (:func:`client_frame`) and written under the write lock
        websocket-client's own sends take, with the socket's timeout: a request is
        framed in 0.9 µs where websocket-client's ``ABNF`` takes 2.9 (a Kraken ping, best of 7).
        Control frames (ping, close) still go through websocket-client.

        Raises:
            TransportClosed: not open, or the write failed or timed out.
        """
        sock = self._sock
        if sock is None or self._closing:
            raise TransportClosed("not open")
        if isinstance(frame, str):
            self._write_frame(sock, _FINAL_TEXT, frame.encode("utf-8"))
        else:
            self._write_frame(sock, _FINAL_BINARY, frame)

    def _write_frame(self, sock: socket.socket, first: int, payload: bytes) -> None:
        """Frame ``payload`` (:func:`client_frame`) and write it under the write lock.

        Raises:
            TransportClosed: the write failed or timed out.
        """
        try:
            with self._write_lock:
                data = client_frame(first, payload, self._mask_keys)
                if self._plain:
                    # Plain TCP: one write(2) takes what fits at once (on a non-blocking
                    # descriptor ``sendall`` would first poll for room: one system call
                    # more per request). The rest, if the socket's buffer was full, goes
                    # through sendall and the write timeout. A closed socket's descriptor
                    # is -1: the write fails (EBADF).
                    try:
                        sent = os.write(sock.fileno(), data)
                    except BlockingIOError:
                        sent = 0
                    if sent < len(data):
                        sock.sendall(memoryview(data)[sent:])
                else:
                    sock.sendall(data)
        except (OSError, ValueError) as exc:  # ValueError: the socket was closed meanwhile
            raise TransportClosed(f"send failed: {exc}") from exc

    def _control(self, opcode: int, payload: bytes) -> None:
        """Send a control frame: written by this class on a blocking descriptor (whose
        write timeout websocket-client's sends would not keep), else by websocket-client.

        Raises:
            TransportClosed: not open, or the write failed.
        """
        sock = self._sock
        if self._blocking and sock is not None:
            self._write_frame(sock, 0x80 | opcode, payload)
            return
        ws = self._ws
        if ws is None:
            raise TransportClosed("not open")
        try:
            if opcode == _OP_PING:
                ws.ping(payload)
            elif opcode == _OP_PONG:
                ws.pong(payload)
            else:
                ws.send(payload, opcode)
        except Exception as exc:  # OSError, websocket.WebSocketException
            raise TransportClosed(f"send failed: {exc}") from exc

    def recv(self, timeout: float) -> str | bytes | None:
        self._check_readable()
        while True:
            frame = self._next_frame()
            if frame is not _NEED_MORE:
                if frame is not None:
                    return frame
                continue  # a control frame was handled
            if not self._fill(timeout):
                return None

    def recv_many(self, timeout: float) -> list[str | bytes] | None:
        """Every whole data frame buffered, in order; the socket is read (waiting up to
        ``timeout`` seconds) only while none is. ``None`` when nothing came in time.

        One call per socket read instead of one per frame: a flood's frames are sliced out
        of one 64 KiB read in a loop here. A frame that fails the connection (or the peer's
        Close) behind frames already sliced is raised by the next call, after they were
        returned, as :meth:`recv` would have. Reader thread only.

        Raises:
            TransportClosed: as :meth:`recv`.
        """
        reader = self._reader
        if (reader is not None and self._position == len(self._buffer) and self._deferred is None
                and not self._closing and not self._message_opcode):
            # Nothing is buffered: read first. A read that holds exactly one final text or
            # binary frame (a request's reply) is returned without going through the buffer.
            chunk = self._read_chunk(reader, timeout)
            if chunk is None:
                return None
            size = len(chunk)
            if size >= 2:
                first = chunk[0]
                length = chunk[1]
                header = 2
                if length == 126 and size >= 4:
                    length = int.from_bytes(chunk[2:4], "big")
                    header = 4
                if length < 126 or header == 4:  # not a 64-bit length, not masked
                    if header + length == size and length <= self._max_message_size:
                        if first == _FINAL_TEXT:
                            try:
                                return [chunk[header:].decode("utf-8")]
                            except UnicodeDecodeError:
                                pass  # sliced from the buffer below: that fails the connection (1007)
                        elif first == _FINAL_BINARY:
                            return [chunk[header:]]
            if self._position:
                self._buffer.clear()
                self._position = 0
            self._buffer += chunk
        else:
            self._check_readable()
        frames: list[str | bytes] = []
        append = frames.append
        next_frame = self._next_frame
        while True:
            if not self._message_opcode:
                # The hot path, inline: whole final unextended text and binary frames with a
                # 7- or 16-bit length, outside a fragmented message. Anything else (a control
                # frame, a fragment, a 64-bit length, a masked or oversized frame, text that is
                # not UTF-8, a partial frame) stops it, and _next_frame decides as it always does.
                buffer = self._buffer
                position = self._position
                size = len(buffer)
                limit = self._max_message_size
                while position + 2 <= size:
                    first = buffer[position]
                    if first != _FINAL_TEXT and first != _FINAL_BINARY:
                        break
                    length = buffer[position + 1]
                    if length < 126:
                        start = position + 2
                    elif length == 126 and position + 4 <= size:
                        length = buffer[position + 2] << 8 | buffer[position + 3]
                        start = position + 4
                    else:
                        break
                    end = start + length
                    if end > size or length > limit:
                        break
                    if first == _FINAL_TEXT:
                        try:
                            append(buffer[start:end].decode("utf-8"))
                        except UnicodeDecodeError:
                            break
                    else:
                        append(bytes(buffer[start:end]))
                    position = end
                self._position = position
            try:
                frame = next_frame()
            except TransportClosed as exc:
                if not frames:
                    raise
                self._deferred = exc
                return frames
            if frame is _NEED_MORE:
                if frames:
                    return frames
                if not self._fill(timeout):
                    return None
            elif frame is not None:  # None: a control frame was handled
                append(frame)

    def _check_readable(self) -> None:
        """Raise what ends reading: a failure met behind returned frames, or a closed transport."""
        deferred = self._deferred
        if deferred is not None:
            self._deferred = None
            raise deferred
        if self._reader is None or self._closed.is_set():
            raise TransportClosed("not open")

    def _read_chunk(self, reader: SerialisedReader, timeout: float) -> bytes | None:
        """One socket read of up to 64 KiB: its bytes, or ``None`` when nothing came within ``timeout``.

        Raises:
            TransportClosed: the socket failed, the transport was closed, or the peer
                closed the stream.
        """
        try:
            chunk = reader.recv(_READ_SIZE, timeout)
        except (OSError, ValueError) as exc:
            raise TransportClosed(f"recv failed: {exc}") from exc
        if chunk is None:
            return None
        if self._closing:
            raise TransportClosed("closed")
        if not chunk:
            raise TransportClosed("connection closed by peer")
        self.last_activity = _monotonic()  # control frames (server pings) count too
        return chunk

    def _fill(self, timeout: float) -> bool:
        """Read the socket once into the buffer; False when nothing came within ``timeout``.

        Raises:
            TransportClosed: the socket failed, the transport was closed, or the peer
                closed the stream.
        """
        reader = self._reader
        if reader is None:
            raise TransportClosed("not open")
        chunk = self._read_chunk(reader, timeout)
        if chunk is None:
            return False
        if self._position:
            del self._buffer[: self._position]
            self._position = 0
        self._buffer += chunk
        return True

    def wait_readable(self, timeout: float | None) -> bool:
        """Whether the socket has bytes (or an end) to read, within ``timeout`` seconds.

        Reads nothing and looks at no buffer, so another thread may read meanwhile: the
        caller makes sure no whole frame is left buffered when it waits (the
        connection's read token passes only with the buffer holding no whole frame).
        :meth:`mute` holds the wait off (on Linux; see :mod:`exwire._core.sockread`).
        """
        reader = self._reader
        if reader is None or self._closing:
            return True  # recv reports it
        try:
            return reader.wait(timeout)
        except (OSError, ValueError):
            return True  # closed under us: recv reports it

    def mute(self) -> bool:
        reader = self._reader
        return reader is not None and reader.mute()

    def unmute(self) -> None:
        reader = self._reader
        if reader is not None:
            reader.unmute()

    def frame_ready(self) -> bool:
        """Whether a whole frame is already buffered, so ``recv`` will not block. Reader thread only."""
        buffer = self._buffer
        position = self._position
        available = len(buffer) - position
        if available < 2:
            return False
        second = buffer[position + 1]
        if second & 0x80:
            return True  # a masked frame: recv fails the connection at once
        length = second
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
        # A frame over the size limit makes recv fail at once, without its payload.
        return available >= header + length or length > self._max_message_size

    def take_buffered(self) -> str | bytes | None:
        """The next data frame already read from the socket, or ``None`` (never does I/O).

        Lets a wrapping transport batch work over frames that arrived together (OKEx
        inflates a batch at once, so the lanes wake once per batch). Control frames
        met on the way are handled as in :meth:`recv`. Reader thread only.

        Raises:
            TransportClosed: a close frame was next, or a frame that fails the connection
                (see the class docs: code 1002, 1007 or 1009).
        """
        while True:
            frame = self._next_frame()
            if frame is _NEED_MORE:
                return None
            if frame is not None:
                return frame

    def _next_frame(self) -> _Frame:
        """Slice one frame out of the buffer: data, ``None`` (a control frame), or ``_NEED_MORE``.

        The hot path is a final, unextended text or binary frame outside a fragmented
        message; every other frame goes through :meth:`_rare_frame`.

        Raises:
            TransportClosed: the peer's Close, or the connection failed (1002, 1007, 1009).
        """
        buffer = self._buffer
        position = self._position
        available = len(buffer) - position
        if available < 2:
            return _NEED_MORE
        first = buffer[position]
        length = buffer[position + 1]
        if length < 126:
            header = 2
        elif length == 126:
            if available < 4:
                return _NEED_MORE
            length = int.from_bytes(buffer[position + 2 : position + 4], "big")
            header = 4
        elif length == 127:
            if available < 10:
                return _NEED_MORE
            length = int.from_bytes(buffer[position + 2 : position + 10], "big")
            header = 10
        else:  # the MASK bit (length byte >= 0x80)
            self._fail(CLOSE_PROTOCOL_ERROR, "masked frame from the server")  # RFC 6455 §5.1
        if length > self._max_message_size:  # also every 64-bit length with its top bit set
            self._fail(CLOSE_TOO_BIG, f"frame of {length} bytes exceeds max_message_size")
        start = position + header
        if (first != _FINAL_TEXT and first != _FINAL_BINARY) or self._message_opcode:
            return self._rare_frame(first, length, start)
        end = start + length
        if len(buffer) < end:
            return _NEED_MORE
        self._position = end
        if first == _FINAL_BINARY:
            return bytes(buffer[start:end])
        try:
            return buffer[start:end].decode("utf-8")
        except UnicodeDecodeError:
            self._fail(CLOSE_INVALID_PAYLOAD, "text frame is not UTF-8")  # RFC 6455 §8.1

    def _rare_frame(self, first: int, length: int, start: int) -> _Frame:
        """A control frame, a fragment, or a frame that fails the connection.

        Header checks come before the payload is waited for, so a bad header fails at
        once. Returns as :meth:`_next_frame`.

        Raises:
            TransportClosed: as :meth:`_next_frame`.
        """
        if first & 0x70:
            self._fail(CLOSE_PROTOCOL_ERROR, "RSV bits set without a negotiated extension")  # RFC 6455 §5.2
        opcode = first & 0x0F
        final = first & 0x80
        if opcode >= _OP_CLOSE:
            if opcode > _OP_PONG:
                self._fail(CLOSE_PROTOCOL_ERROR, f"reserved control opcode {opcode:#x}")  # RFC 6455 §5.2
            if not final:
                self._fail(CLOSE_PROTOCOL_ERROR, "fragmented control frame")  # RFC 6455 §5.4, §5.5
            if length > _MAX_CONTROL_PAYLOAD:
                self._fail(CLOSE_PROTOCOL_ERROR, f"control frame of {length} bytes")  # RFC 6455 §5.5
        elif opcode == _OP_CONTINUATION:
            if not self._message_opcode:
                self._fail(CLOSE_PROTOCOL_ERROR, "continuation frame without a message to continue")  # §5.4
            if self._message_size + length > self._max_message_size:
                self._fail(CLOSE_TOO_BIG, "fragmented message exceeds max_message_size")  # RFC 6455 §10.4
        elif opcode == _OP_TEXT or opcode == _OP_BINARY:
            if self._message_opcode:
                self._fail(CLOSE_PROTOCOL_ERROR, "new message inside a fragmented message")  # RFC 6455 §5.4
        else:
            self._fail(CLOSE_PROTOCOL_ERROR, f"reserved data opcode {opcode}")  # RFC 6455 §5.2
        buffer = self._buffer
        end = start + length
        if len(buffer) < end:
            return _NEED_MORE
        payload = bytes(buffer[start:end])
        self._position = end
        if opcode == _OP_PING:
            try:
                self._control(_OP_PONG, payload)  # echoes the payload (RFC 6455 §5.5.3)
            except TransportClosed:
                pass  # the next read reports a dead socket
            return None
        if opcode == _OP_PONG:
            return None
        if opcode == _OP_CLOSE:
            self._peer_closed(payload)
        return self._fragment(opcode, payload, bool(final))

    def _fragment(self, opcode: int, payload: bytes, final: bool) -> str | bytes | None:
        """Add a fragment to the message; the whole message once ``final`` (RFC 6455 §5.4).

        Raises:
            TransportClosed: a text fragment that cannot be part of UTF-8 text (1007).
        """
        if opcode != _OP_CONTINUATION:  # the first fragment (a final one takes the hot path)
            self._message_opcode = opcode
            self._message_size = 0
            self._message_parts = []
            self._decoder = codecs.getincrementaldecoder("utf-8")() if opcode == _OP_TEXT else None
        self._message_size += len(payload)
        decoder = self._decoder
        if decoder is None:
            self._message_parts.append(payload)
        else:
            try:
                self._message_parts.append(decoder.decode(payload, final))
            except UnicodeDecodeError:
                self._fail(CLOSE_INVALID_PAYLOAD, "text message is not UTF-8")  # RFC 6455 §8.1
        if not final:
            return None
        parts = self._message_parts
        self._reset_message()
        return "".join(parts) if decoder is not None else b"".join(parts)

    def _reset_message(self) -> None:
        self._message_opcode = 0
        self._message_size = 0
        self._message_parts = []
        self._decoder = None

    def _peer_closed(self, payload: bytes) -> NoReturn:
        """Answer the server's Close once, echoing its status code (RFC 6455 §5.5.1), and end.

        Raises:
            TransportClosed: always: the server's code and reason, or the failure (1002
                for a 1-byte payload or a code not allowed by §7.4, 1007 for a reason
                that is not UTF-8).
        """
        code: int | None = None
        reason = "closed by peer"
        if payload:
            if len(payload) < 2:
                self._fail(CLOSE_PROTOCOL_ERROR, "close frame with a 1-byte payload")  # RFC 6455 §5.5.1
            code = int.from_bytes(payload[:2], "big")
            if not valid_close_code(code):
                self._fail(CLOSE_PROTOCOL_ERROR, f"close code {code} is not allowed")  # RFC 6455 §7.4
            try:
                reason = payload[2:].decode("utf-8") or reason
            except UnicodeDecodeError:
                self._fail(CLOSE_INVALID_PAYLOAD, "close reason is not UTF-8")  # RFC 6455 §5.5.1
        self._end(payload[:2])
        raise TransportClosed(reason, code)

    def _fail(self, code: int, reason: str) -> NoReturn:
        """Fail the WebSocket connection (RFC 6455 §7.1.7): a Close with ``code``, then the socket.

        Raises:
            TransportClosed: always, with ``reason`` and ``code``.
        """
        self._end(struct.pack("!H", code) + reason.encode("utf-8")[:123])
        raise TransportClosed(reason, code)

    def _end(self, close_payload: bytes) -> None:
        """Send the one Close frame (unless one was sent), drop the socket and what was read."""
        self._closed.set()
        self._closing = True
        self._buffer.clear()  # nothing after a Close or a failure is delivered
        self._position = 0
        self._reset_message()
        self._send_close(close_payload)
        ws = self._ws
        if ws is None:
            return
        _abort(ws)  # the server sees the end of the stream
        self._release_reader()

    def _send_close(self, payload: bytes) -> None:
        """Send a Close frame with ``payload``, unless one was sent already (RFC 6455 §5.5.1)."""
        with self._close_lock:
            if self._close_sent:
                return
            self._close_sent = True
        ws = self._ws
        if ws is None:
            return
        try:
            self._control(_OP_CLOSE, payload)
        except TransportClosed:  # the socket may already be gone; closing is best effort
            pass

    def close(self) -> None:
        if self._closed.is_set():
            return
        self._closed.set()
        self._closing = True
        ws = self._ws
        if ws is None:
            return
        if not ws.connected:  # still connecting: end the handshake now, or as soon as its socket exists
            ws.abort_connect()  # type: ignore[attr-defined]
            return
        self._send_close(struct.pack("!H", CLOSE_NORMAL))  # never a second Close (RFC 6455 §5.5.1)
        _abort(ws)  # wakes a reader blocked in recv
        self._release_reader()

    def _release_reader(self) -> None:
        """Let the socket reader go of its descriptors (after the shutdown that ends its wait)."""
        reader = self._reader
        if reader is not None:
            reader.close()


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
