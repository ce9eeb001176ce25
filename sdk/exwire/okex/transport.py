"""The OKEx connection's transport wrapper: read-ahead inflation of the raw-deflate frames.

Wraps the engine's transport (``WebSocketTransport`` unless the client was given a
``transport_factory``); see :class:`InflatingTransport`. The reply FIFOs, which must
follow the wire order, are kept by the protocol (``OkexProtocol.sent``), not here.

Section numbers (§) refer to the protocol notes of :doc:`the OKEx page </exchanges/okex>`.
"""

from __future__ import annotations

import collections
import zlib

from exwire._core.netopts import DEFAULT_MAX_MESSAGE_SIZE
from exwire._core.transport import Transport, TransportClosed
from exwire.errors import DecodeError
from exwire.okex.protocol import inflate

__all__ = ["InflatingTransport", "LOOKAHEAD"]

_decompress = zlib.decompress
_RAW_DEFLATE = -zlib.MAX_WBITS

#: Most binary frames inflated in one go: bounds the delay of the first of them (64 ticker
#: frames inflate in about 0.1 ms); 8 left most of the lane wake-ups in place, 128 gained little more.
LOOKAHEAD = 64


class InflatingTransport(Transport):
    """Inflates the raw-deflate frames it reads, those already buffered together.

    Every server frame is a raw-deflate stream (§2), and ``zlib`` releases the GIL
    while it inflates. Inflating on the reader thread between two updates therefore
    hands the GIL to a dispatcher lane woken by the previous update, once per
    message: a lane wake-up and two thread switches per frame, which cost more than
    the inflation. So :meth:`recv` takes every binary frame the inner transport has
    already read (``Transport.take_buffered``, up to :data:`LOOKAHEAD`; a transport
    without a read-ahead buffer returns ``None`` there, and its frames are inflated
    one at a time), inflates them one after another, and returns them one per call
    as text: the lanes wake once per batch. A frame that does not inflate is returned
    as it came (``bytes``), for the protocol to reject and log; a close read behind
    buffered frames is raised after they are returned. Inflating a frame stops at
    ``max_message_size`` bytes of output: a frame that would inflate to more does not
    inflate (a deflate bomb costs at most that much).

    Sending and closing go straight to the inner transport.
    Thread-safety: ``recv`` is for the one reader thread, ``send``/``close`` any thread.
    """

    def __init__(self, inner: Transport, *, max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE) -> None:
        self._inner = inner
        self._max_message_size = max_message_size  # bytes of inflated text per frame
        self._ready: collections.deque[str | bytes] = collections.deque()  # reader thread only
        self._deferred: TransportClosed | None = None  # reader thread only

    def open(self, url: str, timeout: float | None) -> None:
        self._ready.clear()
        self._deferred = None
        self._inner.open(url, timeout)

    def send(self, frame: str | bytes) -> None:
        self._inner.send(frame)

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
        batch: list[str | bytes] = [frame]
        while len(batch) < LOOKAHEAD:
            try:
                following = self._inner.take_buffered()
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

    def recv_many(self, timeout: float) -> list[str | bytes] | None:
        """Every frame the inner transport has read, inflated, in order (see the class docs).

        Frames batched by an earlier :meth:`recv` come first. ``None`` when nothing came
        within ``timeout`` seconds.

        Raises:
            TransportClosed: as :meth:`recv`.
        """
        if self._ready or self._deferred is not None:
            frame = self.recv(timeout)
            return None if frame is None else [frame]
        frames = self._inner.recv_many(timeout)
        if frames is None:
            return None
        max_size = self._max_message_size
        limit = max_size // 1032  # frames this small cannot inflate past max_size (see inflate)
        out: list[str | bytes] = []
        append = out.append
        for item in frames:
            if type(item) is bytes and len(item) <= limit:
                try:  # the usual frame: inflate's first step, inline
                    append(_decompress(item, _RAW_DEFLATE).decode("utf-8"))
                    continue
                except (zlib.error, UnicodeDecodeError):
                    pass  # inflate diagnoses it
            append(_inflated(item, max_size) if isinstance(item, (bytes, bytearray)) else item)
        return out

    def frame_ready(self) -> bool:
        """Whether ``recv`` has a frame without blocking (lets the engine batch lane wake-ups)."""
        if self._ready or self._deferred is not None:
            return True
        return self._inner.frame_ready()

    @property
    def last_activity(self) -> float:  # type: ignore[override]  # read-only: the inner transport owns it
        """The inner transport's: control frames (pongs, server pings) count as signs of life."""
        return self._inner.last_activity

    def ping(self) -> bool:
        return self._inner.ping()

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
