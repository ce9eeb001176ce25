"""Reading a socket that other threads write to: never a read beside a write, never a wait under a lock.

OpenSSL's ``SSL`` object must not be used by two threads at once, and CPython releases
the GIL inside ``SSL_read`` and ``SSL_write``: a thread reading an ``ssl.SSLSocket``
while another writes to it shares the object's state between two calls in flight. The
outcome is intermittent and looks like the network's fault: ``recv`` returns ``b""``
(an end of stream the peer never sent) or ``send`` raises ``SSLEOFError`` ("EOF
occurred in violation of protocol") or ``SSLError`` ("bad length"). Every ``wss://``
connection has exactly that shape: a reader thread always waiting for the next frame,
callers sending requests whenever they like.

:class:`SerialisedReader` removes the overlap without making writers wait for data: the
reader waits for the socket to be readable *outside* the lock (``poll``/``select``, which
never touch the ``SSL`` object), then takes the lock only for one non-blocking read.
Writers take the same lock around each write. A read that finds only part of a TLS
record (``SSLWantReadError``) releases the lock and waits again; decrypted bytes that
OpenSSL holds already (``pending()``) are read without waiting.

The same reader serves plain TCP sockets, where reads and writes may overlap (so a
plain read takes no lock: with a timeout set, Python keeps the descriptor non-blocking
and the read is one ``read(2)``) but the non-blocking read still matters: the wait for data is separate from the read, so
whoever holds the connection's read token (the reader thread, or a caller reading its
own reply, see ``Connection``) can read what is there without waiting, and wait
without holding anything. The socket's timeout belongs to the writers (websocket-client
bounds a blocked ``send`` with it): it is 0 only for the instant of a read, under the
lock, and put back before the lock is released.

A connection's plain TCP socket goes further (:meth:`SerialisedReader.block_reads`, where
the system has ``MSG_DONTWAIT``): its descriptor is made blocking and the time limits move
into the kernel (``SO_RCVTIMEO`` for reads, ``SO_SNDTIMEO`` for writes, which then fail
as a timed-out ``sendall`` would). A read that must not wait passes ``MSG_DONTWAIT`` (one
system call, as before); a read that may wait, a caller's for its reply, waits in the
``recv(2)`` itself, at most the read limit at a time, instead of a poll and then a read.
Python's own timeout cannot do that: it keeps the descriptor non-blocking and polls before
every call.

Two threads may wait for the same socket: the connection's reader thread, idle between
frames, and a caller reading its own reply. When the reply comes the kernel wakes both,
and the reader thread, finding nothing for it, only costs the caller a hand-over of the
GIL on the round trip's critical path. So the reader thread's wait (:meth:`SerialisedReader.wait`)
can be *muted* while a caller waits instead (:meth:`SerialisedReader.mute`): on Linux it
waits in an ``epoll`` whose interest in the socket is switched off and on again, without
waking it; when the interest comes back with bytes waiting, the wait ends then. The
``epoll`` watches a duplicate of the socket's descriptor: a descriptor closed by another
thread drops out of an ``epoll`` silently, while the duplicate keeps the socket's hang-up
(``shutdown``, which every close does first) visible to the wait. Elsewhere muting does
nothing and both threads wake, as before.
"""

from __future__ import annotations

import math
import os
import select
import socket
import ssl
import struct
import threading
import time
import weakref
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

__all__ = ["SerialisedReader", "SerialisedTLSSocket", "Lock"]


#: What :class:`SerialisedReader` needs of a lock: ``threading.Lock`` or ``RLock``.
Lock = AbstractContextManager[Any]


class SerialisedReader:
    """Reads of ``sock`` that never overlap a write made under the same ``lock``.

    Args:
        sock: A connected socket: an ``ssl.SSLSocket`` (handshake done) or a plain one.
        lock: The lock every writer of ``sock`` holds while it writes (for
            websocket-client, the ``WebSocket.lock`` its ``send_frame`` takes).

    The socket's timeout stays what writers expect: it is 0 only for the instant of a
    read, under the lock, and put back before the lock is released.

    Thread-safety: one reading thread; writers serialise on ``lock`` themselves.
    """

    def __init__(self, sock: socket.socket, lock: Lock) -> None:
        self.sock = sock
        self.lock = lock
        self._pending: Any = sock.pending if isinstance(sock, ssl.SSLSocket) else None
        self._want_write = False  # the last TLS read must write first (_read_locked)
        self._poll: Any = None
        self._poll_lock = threading.Lock()
        if hasattr(select, "poll"):  # POSIX: no FD_SETSIZE limit; select() on Windows
            self._poll = select.poll()
            self._poll.register(sock.fileno(), select.POLLIN)
        # The muted wait (Linux): made by the first wait(), released by close() or, when a
        # wait is in progress then, by that wait as it ends (never under a thread in it).
        self._watch_lock = threading.Lock()  # guards the fields below
        self._epoll: Any = None
        self._watch_fd = -1  # the duplicate descriptor the epoll watches
        self._release_watch: Callable[[], Any] | None = None  # closes both, once
        self._waiting = 0  # threads in wait()
        self._mutes = 0
        self._closed = False
        # Plain TCP made blocking (block_reads): the longest one read(2) may wait, else None.
        self._read_limit: float | None = None

    def block_reads(self, limit: float, write_timeout: float | None) -> bool:
        """Plain TCP where the system has ``MSG_DONTWAIT``: make the descriptor blocking,
        with kernel time limits instead of Python's timeout (which keeps it non-blocking
        and polls before every call). A read may then wait in read(2) itself, at most
        ``limit`` seconds (``SO_RCVTIMEO``); a write waits at most ``write_timeout``
        (``SO_SNDTIMEO``; ``None``: no limit) and then fails; a read that must not wait
        passes ``MSG_DONTWAIT``. Returns whether it did (TLS and other systems keep the
        socket as it was).
        """
        sock = self.sock
        if self._pending is not None or not hasattr(socket, "MSG_DONTWAIT"):
            return False
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, _timeval(limit))
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, _timeval(write_timeout or 0.0))
            sock.settimeout(None)
        except OSError:
            return False
        self._read_limit = limit
        return True

    def recv(self, size: int, timeout: float | None) -> bytes | None:
        """Up to ``size`` bytes; ``b""`` at the end of the stream; ``None`` after ``timeout`` seconds.

        ``timeout`` ``None`` waits without limit.

        Raises:
            OSError: the socket failed (``ssl.SSLError`` included) or was closed.
            ValueError: the socket was closed under the reader.
        """
        sock = self.sock
        limit = self._read_limit
        if limit is not None:
            return self._recv_blocking(size, timeout, limit)
        if timeout == 0 and self._pending is None and sock.gettimeout() is not None:
            # Plain TCP with a timeout, without waiting: one read(2) on the non-blocking descriptor.
            try:
                return os.read(sock.fileno(), size)
            except BlockingIOError:
                return None
        deadline = None if timeout is None else time.monotonic() + timeout
        want_write = False
        while True:
            if timeout == 0 and not want_write:
                pass  # a non-blocking read: the read itself finds out (one system call, not two)
            elif want_write or not self._decrypted():
                remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
                if not self._wait(remaining, want_write):
                    return None
            if self._pending is None and sock.gettimeout() is not None:
                # Plain TCP with a timeout: Python keeps the descriptor non-blocking, so a
                # read(2) on it cannot block, and reads may overlap writes (no lock, and no
                # settimeout round trip: two system calls fewer per read).
                try:
                    return os.read(sock.fileno(), size)
                except BlockingIOError:  # nothing there yet
                    pass
            else:
                data = self._read_locked(size)
                if data is not None:
                    return data
                want_write = self._want_write
            if deadline is not None and time.monotonic() >= deadline:
                return None

    def _recv_blocking(self, size: int, timeout: float | None, limit: float) -> bytes | None:
        """:meth:`recv` on a descriptor made blocking (:meth:`block_reads`): plain TCP, so
        reads may overlap writes (no lock). With at least ``limit`` seconds to go the read
        waits in read(2) (``SO_RCVTIMEO`` ends it after ``limit``); with less, a poll waits
        for the rest and a ``MSG_DONTWAIT`` read takes what came."""
        sock = self.sock
        if timeout == 0:
            try:
                return sock.recv(size, _DONTWAIT)
            except BlockingIOError:
                return None
        deadline = None if timeout is None else time.monotonic() + timeout
        remaining = timeout
        while True:
            if remaining is None or remaining >= limit:
                try:
                    return sock.recv(size)
                except BlockingIOError:  # SO_RCVTIMEO: nothing came within limit seconds
                    pass
            elif self._wait(remaining, False):
                try:
                    return sock.recv(size, _DONTWAIT)
                except BlockingIOError:
                    pass
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0.0:
                    return None

    def _read_locked(self, size: int) -> bytes | None:
        """One non-blocking read under the writers' lock; ``None`` when it must wait.

        Sets ``_want_write`` when TLS must write before it can read (a key update).
        """
        sock = self.sock
        self._want_write = False
        with self.lock:
            restore = sock.gettimeout()
            sock.settimeout(0.0)
            try:
                return sock.recv(size)
            except (ssl.SSLWantReadError, BlockingIOError):  # nothing, or part of a TLS record
                return None
            except ssl.SSLWantWriteError:  # the read must write first (a TLS 1.3 key update)
                self._want_write = True
                return None
            finally:
                sock.settimeout(restore)

    def _decrypted(self) -> bool:
        """Whether OpenSSL holds decrypted bytes not read yet (TLS only; read under the lock)."""
        if self._pending is None:
            return False
        with self.lock:
            return bool(self._pending())

    def wait(self, timeout: float | None) -> bool:
        """Whether there is something to read (or an error or end to report) within ``timeout`` s.

        The background wait: while :meth:`mute` holds it, bytes
        arriving do not end it (an error, a hang-up, the timeout, and :meth:`unmute`
        with bytes waiting do). Waits with no lock held; only OpenSSL's count of
        decrypted bytes already held (``pending()``) is read under the lock.
        """
        if self._decrypted():
            return True
        if not _EPOLL:
            return self._wait(timeout, False)
        with self._watch_lock:
            if self._closed:
                return True  # the read that follows reports it
            if self._epoll is None and not self._watch():
                return True
            self._waiting += 1
            epoll: Any = self._epoll
        try:
            return bool(epoll.poll(-1 if timeout is None else timeout, 1))
        finally:
            with self._watch_lock:
                self._waiting -= 1
                if self._closed and not self._waiting:
                    self._unwatch()

    def mute(self) -> bool:
        """Until the matching :meth:`unmute`, bytes arriving do not end :meth:`wait`. Nests.

        Returns whether muting works here (Linux); elsewhere both waits wake for bytes.
        """
        if not _EPOLL:
            return False
        with self._watch_lock:
            self._mutes += 1
            if self._mutes == 1 and self._epoll is not None:
                try:  # the hang-up and errors stay watched: the kernel adds them
                    self._epoll.modify(self._watch_fd, 0)
                except (OSError, ValueError):  # released meanwhile: the waits report the end
                    pass
        return True

    def unmute(self) -> None:
        """Undo one :meth:`mute`; with none left, :meth:`wait` ends (now, if bytes are waiting)."""
        if not _EPOLL:
            return
        with self._watch_lock:
            self._mutes -= 1
            if self._mutes == 0 and self._epoll is not None:
                try:
                    self._epoll.modify(self._watch_fd, select.EPOLLIN)
                except (OSError, ValueError):  # released meanwhile: the waits report the end
                    pass

    def close(self) -> None:
        """Release the descriptors of the muted wait (now, or as the wait in progress ends). Idempotent.

        The caller shuts the socket down first, which ends a wait in progress.
        """
        with self._watch_lock:
            self._closed = True
            if not self._waiting:
                self._unwatch()

    def _watch(self) -> bool:
        """Make the epoll (watch lock held); False when the socket is closed already."""
        try:
            fd = os.dup(self.sock.fileno())
        except (OSError, ValueError):
            return False
        try:
            epoll = select.epoll(1)
        except OSError:
            os.close(fd)
            raise
        self._release_watch = weakref.finalize(self, _close_watch, epoll, fd)
        self._epoll, self._watch_fd = epoll, fd
        epoll.register(fd, 0 if self._mutes else select.EPOLLIN)
        return True

    def _unwatch(self) -> None:
        release = self._release_watch
        if release is not None:
            self._release_watch = None
            self._epoll = None
            self._watch_fd = -1
            release()

    def _wait(self, timeout: float | None, write: bool) -> bool:
        """Whether the socket became readable (or writable, for ``write``) within ``timeout``.

        A hang-up, an error or a closed descriptor count as ready: the read that follows
        reports them.
        """
        if self._poll is not None:
            milliseconds = None if timeout is None else math.ceil(timeout * 1000)
            mask = select.POLLIN | select.POLLOUT if write else select.POLLIN
            # A poll object serves one thread at a time; two threads may wait here (the
            # reader and a caller reading its own reply): the second makes its own.
            if not write and self._poll_lock.acquire(blocking=False):
                try:
                    return bool(self._poll.poll(milliseconds))
                finally:
                    self._poll_lock.release()
            poller = select.poll()
            poller.register(self.sock.fileno(), mask)
            return bool(poller.poll(milliseconds))
        readable, writable, failed = select.select([self.sock], [self.sock] if write else [], [self.sock], timeout)
        return bool(readable or writable or failed)


_EPOLL = hasattr(select, "epoll")
_DONTWAIT: int = getattr(socket, "MSG_DONTWAIT", 0)


def _timeval(seconds: float) -> bytes:
    """A ``struct timeval`` for ``SO_RCVTIMEO``/``SO_SNDTIMEO`` (0: no limit)."""
    whole = int(seconds)
    return struct.pack("@ll", whole, int((seconds - whole) * 1_000_000))


def _close_watch(epoll: Any, fd: int) -> None:
    epoll.close()
    os.close(fd)


class SerialisedTLSSocket:
    """An ``ssl.SSLSocket`` stand-in whose ``recv`` and ``sendall`` never overlap.

    For code that reads a socket in one thread and writes it from others and is not
    ours to change (the ``websockets`` threaded server behind the emulators). Reads go
    through :class:`SerialisedReader`; ``send``/``sendall``/``settimeout`` take the same
    lock; every other attribute is the wrapped socket's.

    ``recv`` keeps the socket's semantics: it waits up to the socket's timeout and
    raises ``TimeoutError`` when nothing came.
    """

    def __init__(self, sock: ssl.SSLSocket) -> None:
        self._sock = sock
        self._lock = threading.RLock()
        self._reader = SerialisedReader(sock, self._lock)

    def recv(self, size: int) -> bytes:
        data = self._reader.recv(size, self._sock.gettimeout())
        if data is None:
            raise TimeoutError("timed out")
        return data

    def send(self, data: bytes) -> int:
        with self._lock:
            return self._sock.send(data)

    def sendall(self, data: bytes) -> None:
        with self._lock:
            self._sock.sendall(data)

    def settimeout(self, value: float | None) -> None:
        with self._lock:
            self._sock.settimeout(value)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)
