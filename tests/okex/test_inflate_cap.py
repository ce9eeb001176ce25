"""The inflate cap: an OKEx frame never inflates to more than the max message size."""

from __future__ import annotations

import collections
import tracemalloc
import zlib

import pytest

from exwire._core.netopts import DEFAULT_MAX_MESSAGE_SIZE
from exwire._core.transport import Transport
from exwire.errors import DecodeError
from exwire.okex.protocol import OkexProtocol, inflate
from exwire.okex.transport import InflatingTransport


def _deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


class _Frames(Transport):
    def __init__(self, *frames: str | bytes) -> None:
        self.frames = collections.deque(frames)

    def recv(self, timeout: float) -> str | bytes | None:
        return self.frames.popleft() if self.frames else None


@pytest.mark.parametrize("size", [1, 1000, 65536])
def test_a_frame_of_exactly_the_cap_inflates(size: int) -> None:
    text = "x" * size
    assert inflate(_deflate(text.encode()), size) == text


@pytest.mark.parametrize("size", [1, 1000, 65536])
def test_a_frame_one_byte_over_the_cap_is_a_decode_error(size: int) -> None:
    with pytest.raises(DecodeError, match="max_message_size"):
        inflate(_deflate(b"x" * (size + 1)), size)


def test_a_deflate_bomb_is_refused_without_inflating_it_whole() -> None:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    chunk = bytes(1024 * 1024)
    # 8 x 16 MiB of zeros in about 128 KiB
    bomb = b"".join(compressor.compress(chunk) for _ in range(8 * 16)) + compressor.flush()
    tracemalloc.start()
    try:
        with pytest.raises(DecodeError, match="max_message_size"):
            inflate(bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 3 * DEFAULT_MAX_MESSAGE_SIZE  # about the cap (output buffer growth), never the 128 MiB


def test_truncated_and_corrupt_streams_are_still_decode_errors() -> None:
    whole = _deflate(b'{"event":"pong"}')
    with pytest.raises(DecodeError, match="truncated"):
        inflate(whole[:-3])
    with pytest.raises(DecodeError, match="not a raw deflate stream"):
        inflate(b"\xff" * 10)


def test_the_inflating_transport_applies_its_cap_and_passes_over_cap_frames_on() -> None:
    small, big = _deflate(b"[1]"), _deflate(b"[" + b"1" * 2000 + b"]")
    transport = InflatingTransport(_Frames(small, big), max_message_size=1000)
    assert transport.recv(0.1) == "[1]"
    assert transport.recv(0.1) == big  # as it came: the protocol rejects and logs it
    with pytest.raises(DecodeError):
        OkexProtocol().receive(big[:-2])


def test_the_protocol_re_inflates_a_frame_still_binary_under_the_clients_cap() -> None:
    big = _deflate(b"[" + b"1" * 2000 + b"]")
    with pytest.raises(DecodeError, match="max_message_size"):
        OkexProtocol(max_message_size=1000).receive(big)
    assert OkexProtocol(max_message_size=1000).receive(_deflate(b'{"event":"pong"}'))  # under the cap: parsed
