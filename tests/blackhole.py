"""A TCP relay on 127.0.0.1 that can turn the connections through it half-open.

:class:`Blackhole` forwards bytes both ways between each accepted client socket and a
new socket to the target (an emulator). :meth:`Blackhole.stall` makes every pair open
at that moment silent: both sockets stay open, nothing more is forwarded in either
direction and nothing is closed, which is how a dead NAT entry or a stuck proxy looks
to both ends. Connections accepted afterwards are relayed normally, so a client that
notices the stall and reconnects gets through again.

Threads: ``blackhole-accept`` and one ``blackhole-pair-<n>`` per relayed connection;
:meth:`Blackhole.close` shuts every socket and joins them all. Nothing here polls:
each thread blocks in ``select`` on its sockets and a wake-up socket pair.
"""

from __future__ import annotations

import select
import socket
import threading
from types import TracebackType
from urllib.parse import urlsplit, urlunsplit

__all__ = ["Blackhole"]

_CHUNK = 64 * 1024  # bytes per read


class _Pair:
    """One relayed connection: the client's socket, the target's, and the pump thread."""

    def __init__(self, number: int, downstream: socket.socket, upstream: socket.socket) -> None:
        self.downstream = downstream  # accepted from the client
        self.upstream = upstream  # connected to the target
        self.stalled = threading.Event()  # set: forward nothing more, close nothing
        self.closing = threading.Event()  # set by Blackhole.close
        self._wake_r, self._wake_w = socket.socketpair()
        self.thread = threading.Thread(target=self._pump, name=f"blackhole-pair-{number}", daemon=True)

    def wake(self) -> None:
        try:
            self._wake_w.send(b"x")
        except OSError:  # a wake-up is already pending, or the pair is closed
            pass

    def _pump(self) -> None:
        peers = {self.downstream: self.upstream, self.upstream: self.downstream}
        try:
            while not self.closing.is_set() and not self.stalled.is_set():
                readable, _, _ = select.select([self.downstream, self.upstream, self._wake_r], [], [])
                if self.stalled.is_set() or self.closing.is_set():
                    return
                for sock in readable:
                    if sock is self._wake_r:
                        self._wake_r.recv(64)
                        continue
                    data = sock.recv(_CHUNK)
                    if not data:  # one side closed: close the other (not stalled: a normal relay)
                        self._shut()
                        return
                    peers[sock].sendall(data)
        except OSError:  # a socket failed or was shut by close()
            self._shut()

    def _shut(self) -> None:
        for sock in (self.downstream, self.upstream):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self, timeout: float) -> None:
        """Shut both sockets, stop the pump and join it, then close everything."""
        self.closing.set()
        self._shut()
        self.wake()
        self.thread.join(timeout)
        for sock in (self.downstream, self.upstream, self._wake_r, self._wake_w):
            sock.close()


class Blackhole:
    """A relay from ``127.0.0.1:<port>`` to ``target``; a context manager.

    Args:
        target: ``(host, port)`` of the server behind the relay.
    """

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._lock = threading.Lock()  # guards _pairs and _closed
        self._pairs: list[_Pair] = []
        self._closed = False
        self._wake_r, self._wake_w = socket.socketpair()
        self._acceptor = threading.Thread(target=self._accept, name="blackhole-accept", daemon=True)

    @classmethod
    def before(cls, url: str) -> Blackhole:
        """A started relay in front of the host and port of ``url``."""
        parts = urlsplit(url)
        assert parts.hostname is not None and parts.port is not None, url
        return cls((parts.hostname, parts.port)).start()

    def start(self) -> Blackhole:
        self._acceptor.start()
        return self

    def url(self, url: str) -> str:
        """``url`` with its host and port replaced by the relay's."""
        parts = urlsplit(url)
        return urlunsplit(parts._replace(netloc=f"127.0.0.1:{self.port}"))

    @property
    def accepted(self) -> int:
        """Connections accepted so far."""
        with self._lock:
            return len(self._pairs)

    def stall(self) -> int:
        """Stop forwarding on every connection open now, both ways, keeping its sockets open.

        Returns:
            How many connections were stalled.
        """
        with self._lock:
            pairs = [pair for pair in self._pairs if not pair.stalled.is_set()]
        for pair in pairs:
            pair.stalled.set()
            pair.wake()
        for pair in pairs:  # once the pump has returned, not one more byte crosses
            pair.thread.join(5.0)  # it may first finish a write already under way
        return len(pairs)

    def _accept(self) -> None:
        while True:
            readable, _, _ = select.select([self._listener, self._wake_r], [], [])
            if self._wake_r in readable:
                return
            try:
                downstream, _ = self._listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5.0)
            except OSError:
                downstream.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                if self._closed:
                    downstream.close()
                    upstream.close()
                    return
                pair = _Pair(len(self._pairs) + 1, downstream, upstream)
                self._pairs.append(pair)
                pair.thread.start()

    def close(self, timeout: float = 5.0) -> None:
        """Close every socket and join every thread; idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            pairs = list(self._pairs)
        self._wake_w.send(b"x")
        if self._acceptor.is_alive() or self._acceptor.ident is not None:
            self._acceptor.join(timeout)
        for pair in pairs:
            pair.close(timeout)
        for sock in (self._listener, self._wake_r, self._wake_w):
            sock.close()
        alive = [thread.name for thread in [self._acceptor, *(pair.thread for pair in pairs)] if thread.is_alive()]
        assert not alive, f"blackhole threads still running: {alive}"

    def __enter__(self) -> Blackhole:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()
