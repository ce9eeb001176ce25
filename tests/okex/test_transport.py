"""InflatingTransport's read-ahead inflation, sans-I/O, against an inner transport that
slices frames out of chunks the way ``WebSocketTransport`` does."""

from __future__ import annotations

import collections
import zlib

import pytest

from exwire._core.transport import _NEED_MORE, Transport, TransportClosed
from exwire.errors import DecodeError
from exwire.okex.protocol import OkexProtocol
from exwire.okex.transport import LOOKAHEAD, InflatingTransport


def _deflate(text: str) -> bytes:
    compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(text.encode("utf-8")) + compressor.flush()


class _Chunked(Transport):
    """``recv`` reads the next chunk (a socket read) and returns its first frame;
    ``take_buffered`` slices the rest of the chunk (via ``_next_frame``: a frame, ``None`` for a control frame,
    ``_NEED_MORE`` at the chunk's end; an exception in a chunk is a close frame."""

    def __init__(self, *chunks: list) -> None:
        self.chunks = collections.deque(chunks)
        self.current: collections.deque = collections.deque()
        self.reads = 0
        self.closed = False

    def open(self, url: str, timeout: float | None) -> None:
        pass

    def send(self, frame: str | bytes) -> None:
        pass

    def recv(self, timeout: float) -> str | bytes | None:
        while True:
            frame = self._next_frame()
            if frame is not _NEED_MORE:
                if frame is not None:
                    return frame
                continue
            if not self.chunks:
                return None
            self.reads += 1
            self.current = collections.deque(self.chunks.popleft())

    def take_buffered(self) -> str | bytes | None:
        """As ``WebSocketTransport.take_buffered``: the next frame already read, or None."""
        while True:
            frame = self._next_frame()
            if frame is _NEED_MORE:
                return None
            if frame is not None:
                return frame

    def _next_frame(self) -> object:
        if not self.current:
            return _NEED_MORE
        item = self.current.popleft()
        if isinstance(item, BaseException):
            raise item
        return item

    def close(self) -> None:
        self.closed = True


class _Unbuffered(Transport):
    """A transport without read-ahead (tests' MemoryNetwork, a user's factory)."""

    def __init__(self, *frames: str | bytes) -> None:
        self.frames = collections.deque(frames)

    def recv(self, timeout: float) -> str | bytes | None:
        return self.frames.popleft() if self.frames else None


def _frames(transport: Transport, count: int) -> list:
    return [transport.recv(0.1) for _ in range(count)]


def test_buffered_frames_are_inflated_together_and_returned_in_order():
    texts = [f'[{{"n":{n}}}]' for n in range(5)]
    inner = _Chunked([_deflate(t) for t in texts], [_deflate('{"event":"pong"}')])
    transport = InflatingTransport(inner)
    assert _frames(transport, 5) == texts
    assert inner.reads == 1  # the first recv took the whole chunk
    assert transport.recv(0.1) == '{"event":"pong"}' and inner.reads == 2
    assert transport.recv(0.1) is None


def test_a_batch_is_at_most_lookahead_frames():
    texts = [f"[{n}]" for n in range(LOOKAHEAD + 3)]
    inner = _Chunked([_deflate(t) for t in texts])
    transport = InflatingTransport(inner)
    assert _frames(transport, LOOKAHEAD) == texts[:LOOKAHEAD]
    assert len(inner.current) == 3  # not taken yet
    assert _frames(transport, 3) == texts[LOOKAHEAD:]


def test_text_control_and_bad_frames_pass_through():
    bad = zlib.compress(b'{"event":"pong"}')  # zlib-wrapped: not raw deflate (§2)
    inner = _Chunked([_deflate("[1]"), None, "[2]", bad, _deflate("[3]")])
    transport = InflatingTransport(inner)
    assert _frames(transport, 4) == ["[1]", "[2]", bad, "[3]"]
    with pytest.raises(DecodeError):  # the protocol rejects it as before
        OkexProtocol().receive(bad)


def test_a_close_behind_buffered_frames_is_raised_after_them():
    inner = _Chunked([_deflate("[1]"), _deflate("[2]"), TransportClosed("bye", 1000)])
    transport = InflatingTransport(inner)
    assert _frames(transport, 2) == ["[1]", "[2]"]
    with pytest.raises(TransportClosed) as raised:
        transport.recv(0.1)
    assert raised.value.code == 1000


def test_close_drops_frames_not_yet_returned_and_open_starts_clean():
    inner = _Chunked([_deflate("[1]"), _deflate("[2]"), _deflate("[3]")], [_deflate("[4]")])
    transport = InflatingTransport(inner)
    assert transport.recv(0.1) == "[1]"
    transport.close()
    assert inner.closed and transport.recv(0.1) == "[4]"  # the inner transport decides what follows
    transport.open("ws://unused", 1.0)
    assert transport.recv(0.1) is None


def test_a_transport_without_read_ahead_gets_each_frame_inflated():
    inner = _Unbuffered(_deflate("[1]"), "[2]", b"\x00garbage")
    transport = InflatingTransport(inner)
    assert _frames(transport, 3) == ["[1]", "[2]", b"\x00garbage"]


def _deflate_bytes(data: bytes) -> bytes:
    compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


class _Many(Transport):
    """An inner transport whose one ``recv_many`` returns ``frames`` (one socket read)."""

    def __init__(self, frames: list) -> None:
        self.frames = frames

    def recv_many(self, timeout: float) -> list[str | bytes] | None:
        frames, self.frames = self.frames, []
        return frames or None


def test_recv_many_inflates_each_frame_as_inflate_does():
    # recv_many inflates the usual frame inline; every other frame (not raw deflate,
    # truncated, not UTF-8 once inflated, possibly past max_message_size, text) must come
    # out exactly as the per-frame path makes it: inflated text, or the frame as it came.
    from exwire.okex.transport import _inflated

    max_size = 1032 * 40
    frames: list = [
        _deflate('[{"n":1}]'),
        "[2]",
        zlib.compress(b"[3]"),  # zlib-wrapped, not raw deflate
        _deflate('[{"n":4}]')[:-2],  # truncated
        _deflate_bytes(b"\xff\xfe"),  # inflates to bytes that are not UTF-8
        _deflate("x" * 50_000),  # small enough to inflate inline? no: 50,000 bytes > max_size
        _deflate("y" * 100),
        bytearray(_deflate('[{"n":8}]')),
    ]
    assert all(len(f) <= max_size // 1032 for f in frames[:5])
    transport = InflatingTransport(_Many(list(frames)), max_message_size=max_size)
    got = transport.recv_many(0.1)
    assert got == [_inflated(f, max_size) if isinstance(f, (bytes, bytearray)) else f for f in frames]
    assert got[0] == '[{"n":1}]' and got[1] == "[2]" and got[6] == "y" * 100 and got[7] == '[{"n":8}]'
    assert got[2:6] == frames[2:6]  # passed on as they came, for the protocol to reject
