"""A TCP relay on 127.0.0.1 that injects network faults between a client and an emulator.

:class:`FaultProxy` forwards bytes both ways between each accepted client socket and
a new socket to the target (an emulator), and
can, on demand:

* :meth:`~FaultProxy.reset` every open connection: both ends get a TCP RST
  (``SO_LINGER`` 0), no closing handshake;
* :meth:`~FaultProxy.cut_mid_frame`: on every open connection, forward only the first
  half of the next WebSocket frame from the server, then close both sockets (FIN):
  the client reads a truncated frame and then EOF;
* :meth:`~FaultProxy.stall` every open connection: nothing more crosses, nothing is
  closed (a dead NAT entry);
* :meth:`~FaultProxy.trickle`: while on, forward every chunk one byte at a time, both
  ways, with a small gap between bytes (``TCP_NODELAY``: one segment per byte);
* :meth:`~FaultProxy.refuse`: the next ``n`` connections are reset as soon as they are
  accepted, before any byte crosses (a server that refuses while it restarts);
* :meth:`~FaultProxy.hold_replies`: on every open connection, read and discard what the
  server sends (requests still reach it): a reply "in flight" when the connection is
  then reset.

Server-to-client frames are tracked (after the HTTP upgrade response) by parsing the
WebSocket frame headers (RFC 6455 §5.2; server frames are unmasked), which is how a cut
lands inside a frame rather than between two.

Threads: ``faultproxy-accept`` and one ``faultproxy-pair-<n>`` per relayed connection.
Every socket is written and closed only by its pair's thread (or by :meth:`close` once
that thread is joined); each thread blocks in ``select`` on its sockets and a wake-up
socket pair. :meth:`FaultProxy.close` closes every socket and joins every thread.
"""

from __future__ import annotations

import select
import socket
import struct
import threading
from types import TracebackType
from urllib.parse import urlsplit, urlunsplit

__all__ = ["FaultProxy"]

_CHUNK = 64 * 1024
_RST = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() sends a RST


def _reset(sock: socket.socket) -> None:
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _RST)
    except OSError:
        pass
    sock.close()


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


class _FrameTracker:
    """Follows the WebSocket frame boundaries of one server-to-client byte stream."""

    def __init__(self) -> None:
        self._http = b""  # tail of the upgrade response, until its blank line
        self.upgraded = False
        self._header = bytearray()  # header bytes of the frame being started
        self._remaining = 0  # payload bytes of the current frame still to come

    @property
    def mid_frame(self) -> bool:
        """Whether part, not all, of a frame has been seen."""
        return self.upgraded and (self._remaining > 0 or bool(self._header))

    def frames(self, data: bytes) -> list[tuple[int, int]]:
        """Advance over ``data``; return ``(offset, length)`` of each frame beginning in it."""
        found: list[tuple[int, int]] = []
        i = 0
        if not self.upgraded:
            joined = self._http + data
            end = joined.find(b"\r\n\r\n")
            if end < 0:
                self._http = joined[-3:]
                return found
            self.upgraded = True
            i = end + 4 - len(self._http)
            self._http = b""
        start = -1
        while i < len(data):
            if self._remaining:
                step = min(self._remaining, len(data) - i)
                self._remaining -= step
                i += step
                continue
            if not self._header:
                start = i
            self._header.append(data[i])
            i += 1
            size = self._header_size()
            if size is None or len(self._header) < size:
                continue
            payload = self._payload_size()
            if start >= 0:
                found.append((start, size + payload))
            self._header.clear()
            self._remaining = payload
            start = -1
        return found

    def _header_size(self) -> int | None:
        if len(self._header) < 2:
            return None
        length = self._header[1] & 0x7F
        masked = 4 if self._header[1] & 0x80 else 0
        return 2 + masked + (2 if length == 126 else 8 if length == 127 else 0)

    def _payload_size(self) -> int:
        length = self._header[1] & 0x7F
        if length == 126:
            return int.from_bytes(self._header[2:4], "big")
        if length == 127:
            return int.from_bytes(self._header[2:10], "big")
        return length


class _Pair:
    """One relayed connection and the thread that pumps it."""

    def __init__(self, proxy: FaultProxy, number: int, downstream: socket.socket, upstream: socket.socket) -> None:
        self.proxy = proxy
        self.downstream = downstream  # accepted from the client
        self.upstream = upstream  # connected to the target
        for sock in (downstream, upstream):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.tracker = _FrameTracker()
        self.stalled = False
        self.holding = False
        self.cut_armed = False
        self.reset_armed = False
        self.closing = threading.Event()
        self.done = threading.Event()  # the sockets are closed (or stalled for good)
        self.cut_bytes: int | None = None  # bytes of the cut frame forwarded, once cut
        self._wake_r, self._wake_w = socket.socketpair()
        self.thread = threading.Thread(target=self._pump, name=f"faultproxy-pair-{number}", daemon=True)

    def wake(self) -> None:
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass

    def _pump(self) -> None:
        try:
            self._loop()
        except OSError:
            pass
        finally:
            if not self.stalled:
                self._close_sockets(reset=False)
            self.done.set()

    def _loop(self) -> None:
        # Each direction has its own output buffer, drained at full speed or, while
        # trickling, one byte per direction per gap: the two directions never wait
        # for each other (a keep-alive is not stuck behind a trickled push).
        out = {self.downstream: bytearray(), self.upstream: bytearray()}
        ending = False  # cut: forward what is buffered, then close
        while not self.closing.is_set():
            gap = self.proxy.trickle_gap
            waiting = any(out.values())
            wait = None if not waiting else (gap if gap is not None else 0.0)
            sources = [] if ending else [self.downstream, self.upstream]
            readable, _, _ = select.select([*sources, self._wake_r], [], [], wait)
            if self._wake_r in readable:
                self._wake_r.recv(64)
            if self.closing.is_set():
                return
            if self.reset_armed:
                self._close_sockets(reset=True)
                return
            if self.stalled:
                return  # sockets stay open until FaultProxy.close
            for sock in sources:
                if sock not in readable:
                    continue
                data = sock.recv(_CHUNK)
                if not data:  # one side closed: close the other
                    return
                if sock is self.upstream:
                    forward, ending = self._from_server(data)
                    out[self.downstream] += forward
                else:
                    out[self.upstream] += data
                if ending:
                    break
            for sock, buffer in out.items():
                if not buffer:
                    continue
                count = 1 if self.proxy.trickle_gap is not None else len(buffer)
                sock.sendall(bytes(buffer[:count]))
                del buffer[:count]
            if ending and not out[self.downstream]:
                return

    def _from_server(self, data: bytes) -> tuple[bytes, bool]:
        """What to forward of server bytes, and whether the pair ends after it."""
        was_mid_frame = self.tracker.mid_frame
        frames = self.tracker.frames(data)
        if self.holding:
            return b"", False
        if self.cut_armed and self.tracker.upgraded:
            if was_mid_frame:  # the client already holds the first part of a frame
                self.cut_bytes = 0
                return b"", True
            if frames:
                offset, length = frames[0]
                cut = min(offset + max(1, length // 2), len(data))
                self.cut_bytes = cut - offset
                return data[:cut], True
        return data, False

    def _close_sockets(self, *, reset: bool) -> None:
        for sock in (self.downstream, self.upstream):
            if reset:
                _reset(sock)
            else:
                _shut(sock)
                sock.close()

    def close(self, timeout: float) -> None:
        self.closing.set()
        self.wake()
        self.thread.join(timeout)
        for sock in (self.downstream, self.upstream, self._wake_r, self._wake_w):
            sock.close()


class FaultProxy:
    """A fault-injecting relay from ``127.0.0.1:<port>`` to ``target``; a context manager.

    Thread-safe: every method may be called from any thread.

    Args:
        target: ``(host, port)`` of the server behind the relay.
    """

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._lock = threading.Lock()  # guards _pairs, _closed, _refusals, refused
        self._pairs: list[_Pair] = []
        self._closed = False
        self._refusals = 0
        self.refused = 0  # connections reset at accept by refuse()
        #: Seconds between forwarded bytes while trickling; ``None``: full speed.
        self.trickle_gap: float | None = None
        self._wake_r, self._wake_w = socket.socketpair()
        self._acceptor = threading.Thread(target=self._accept, name="faultproxy-accept", daemon=True)

    @classmethod
    def before(cls, url: str) -> FaultProxy:
        """A started relay in front of the host and port of ``url``."""
        parts = urlsplit(url)
        assert parts.hostname is not None and parts.port is not None, url
        return cls((parts.hostname, parts.port)).start()

    def start(self) -> FaultProxy:
        self._acceptor.start()
        return self

    def url(self, url: str) -> str:
        """``url`` with its host and port replaced by the relay's."""
        return urlunsplit(urlsplit(url)._replace(netloc=f"127.0.0.1:{self.port}"))

    @property
    def accepted(self) -> int:
        """Connections relayed so far (refused ones not counted)."""
        with self._lock:
            return len(self._pairs)

    def _live(self) -> list[_Pair]:
        with self._lock:
            return [p for p in self._pairs if not p.done.is_set() and not p.stalled]

    # -- faults ----------------------------------------------------------------------

    def reset(self, timeout: float = 5.0) -> int:
        """Reset (RST) both sides of every open connection; return how many."""
        pairs = self._live()
        for pair in pairs:
            pair.reset_armed = True
            pair.wake()
        for pair in pairs:
            pair.done.wait(timeout)
        return len(pairs)

    def cut_mid_frame(self) -> list[_Pair]:
        """Arm every open connection: half of the next server frame, then FIN both ways.

        Returns the armed pairs: ``pair.done`` is set once cut, and ``pair.cut_bytes``
        says how much of the frame the client got.
        """
        pairs = self._live()
        for pair in pairs:
            pair.cut_armed = True
        return pairs

    def stall(self, timeout: float = 5.0) -> int:
        """Stop forwarding on every open connection, keeping its sockets open."""
        pairs = self._live()
        for pair in pairs:
            pair.stalled = True
            pair.wake()
        for pair in pairs:
            pair.thread.join(timeout)
        return len(pairs)

    def hold_replies(self) -> int:
        """Discard what the server sends on every open connection from now on."""
        pairs = self._live()
        for pair in pairs:
            pair.holding = True
        return len(pairs)

    def trickle(self, gap: float | None = 0.0005) -> None:
        """Forward one byte at a time with ``gap`` seconds between; ``None`` stops trickling."""
        self.trickle_gap = gap

    def refuse(self, count: int) -> None:
        """Reset the next ``count`` connections as soon as they are accepted."""
        with self._lock:
            self._refusals += count

    @property
    def refusals_left(self) -> int:
        with self._lock:
            return self._refusals

    # -- internals -------------------------------------------------------------------

    def _accept(self) -> None:
        while True:
            readable, _, _ = select.select([self._listener, self._wake_r], [], [])
            if self._wake_r in readable:
                return
            try:
                downstream, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                refuse = self._refusals > 0
                if refuse:
                    self._refusals -= 1
                    self.refused += 1
            if refuse:
                _reset(downstream)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5.0)
            except OSError:
                _reset(downstream)
                continue
            upstream.settimeout(None)
            with self._lock:
                if self._closed:
                    downstream.close()
                    upstream.close()
                    return
                pair = _Pair(self, len(self._pairs) + 1, downstream, upstream)
                self._pairs.append(pair)
                pair.thread.start()

    def close(self, timeout: float = 5.0) -> None:
        """Close every socket and join every thread; idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            pairs = list(self._pairs)
        self.trickle_gap = None
        self._wake_w.send(b"x")
        if self._acceptor.ident is not None:
            self._acceptor.join(timeout)
        for pair in pairs:
            pair.close(timeout)
        for sock in (self._listener, self._wake_r, self._wake_w):
            sock.close()
        alive = [t.name for t in [self._acceptor, *(p.thread for p in pairs)] if t.is_alive()]
        assert not alive, f"faultproxy threads still running: {alive}"

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()
