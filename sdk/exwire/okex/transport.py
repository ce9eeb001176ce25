"""The OKEx connection's transport wrapper: wire-ordered request bookkeeping and read-ahead inflation.

Wraps the engine's transport (``WebSocketTransport`` unless the client was given a
``transport_factory``); see :class:`SequencedTransport`.
"""

from __future__ import annotations

import collections
import threading

from exwire._core.netopts import DEFAULT_MAX_MESSAGE_SIZE
from exwire._core.transport import Transport, TransportClosed
from exwire.errors import DecodeError
from exwire.okex.protocol import OkexProtocol, inflate

__all__ = ["SequencedTransport", "LOOKAHEAD"]

#: Most binary frames inflated in one go: bounds the delay of the first of them (64 ticker
#: frames inflate in about 0.1 ms); 8 left most of the lane wake-ups in place, 128 gained little more.
LOOKAHEAD = 64

# WebSocketTransport slices frames out of a read-ahead buffer; its ``take_buffered``
# returns the next frame already read (no socket I/O) or None. Another transport
# (tests' MemoryNetwork, a user's factory) has none, and frames are then inflated one
# at a time.


class SequencedTransport(Transport):
    """Writes one frame at a time and tells the protocol which request each frame is;
    inflates the raw-deflate frames it reads, those already buffered together.

    Sending. The engine registers a request's future, then sends its frame; two
    threads can register A then B but write B then A. OKEx v1 answers same-channel
    requests in wire order with nothing to tell them apart, so the protocol's reply
    FIFO is appended here, under the send lock, right before the write: FIFO order is
    wire order whatever the threads did in between.

    Receiving. Every server frame is a raw-deflate stream (§2), and ``zlib`` releases
    the GIL while it inflates. Inflating on the reader thread between two updates
    therefore hands the GIL to a dispatcher lane woken by the previous update, once
    per message: a lane wake-up and two thread switches per frame, which cost more
    than the inflation. So :meth:`recv` takes every binary frame the inner transport
    has already read (up to :data:`LOOKAHEAD`), inflates them one after another, and
    returns them one per call as text: the lanes wake once per batch. A frame that
    does not inflate is returned as it came (``bytes``), for the protocol to reject
    and log; a close read behind buffered frames is raised after they are returned.
    Inflating a frame stops at ``max_message_size`` bytes of output: a frame that
    would inflate to more does not inflate (a deflate bomb costs at most that much).
    Thread-safety: ``recv`` is for the one reader thread, ``send``/``close`` any thread.
    """

    def __init__(
        self, inner: Transport, protocol: OkexProtocol, *, max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE
    ) -> None:
        self._inner = inner
        self._protocol = protocol
        self._max_message_size = max_message_size  # bytes of inflated text per frame
        self._send_lock = threading.Lock()  # guards the order of (record, write) pairs
        self._ready: collections.deque[str | bytes] = collections.deque()  # reader thread only
        self._deferred: TransportClosed | None = None  # reader thread only
        take_buffered = getattr(inner, "take_buffered", None)
        self._buffered = take_buffered if callable(take_buffered) else None

    def open(self, url: str, timeout: float | None) -> None:
        # A new socket: replies owed on the old one will never come.
        self._protocol.reset()
        self._ready.clear()
        self._deferred = None
        self._inner.open(url, timeout)

    def send(self, frame: str | bytes) -> None:
        with self._send_lock:
            token = self._protocol.on_send(frame)
            try:
                self._inner.send(frame)
            except TransportClosed:
                if token is not None:
                    self._protocol.not_sent(token)
                raise

    def recv(self, timeout: float) -> str | bytes | None:
        ready = self._ready
        if ready:
            return ready.popleft()
        if self._deferred is not None:
            error, self._deferred = self._deferred, None
            raise error
        frame = self._inner.recv(timeout)
        if not isinstance(frame, (bytes, bytearray)):
            return frame
        buffered = self._buffered
        if buffered is None:
            return _inflated(frame, self._max_message_size)
        batch = [frame]
        while len(batch) < LOOKAHEAD:
            try:
                following = buffered()
            except TransportClosed as exc:  # a close frame behind the batch: deliver the batch first
                self._deferred = exc
                break
            if following is None:  # nothing more already read
                break
            batch.append(following)
        max_size = self._max_message_size
        for item in batch:
            ready.append(_inflated(item, max_size) if isinstance(item, (bytes, bytearray)) else item)
        return ready.popleft()

    def frame_ready(self) -> bool:
        """Whether ``recv`` has a frame without blocking (lets the engine batch lane wake-ups)."""
        if self._ready or self._deferred is not None:
            return True
        inner = getattr(self._inner, "frame_ready", None)
        return bool(inner is not None and inner())

    def close(self) -> None:
        self._ready.clear()  # nothing more after a close: the next recv reports it
        self._inner.close()


def _inflated(frame: bytes | bytearray, max_size: int) -> str | bytes:
    """The frame's text, or the frame itself (as ``bytes``) when it is not a raw-deflate
    stream of UTF-8 of at most ``max_size`` bytes."""
    frame = bytes(frame)  # no copy when it is bytes already
    try:
        return inflate(frame, max_size)
    except DecodeError:
        return frame
