"""CoinEx depth updates decoded on first read equal the eagerly decoded models.

No capture in the shared fixtures holds a CoinEx book (they hold trades, orders,
balances and tickers), so the depths come from the documented examples of §5.5 and
§5.6, the emulator's pushes over a socket and the benchmark's flood (a snapshot of
20 levels, then 999 checksummed increments).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from websockets.sync.client import connect

from benchmarks.exchanges.coinex import depth_frames
from exwire._core.codec import loads_exact
from exwire.coinex import book as coinex_book
from exwire.coinex import converter
from exwire.coinex.models import Depth
from exwire.coinex.protocol import CoinexProtocol
from exwire.errors import DecodeError
from exwire.models import Level
from exwire.orderbook import OrderBook
from exwire.testing.coinex import CoinexEmulator
from tests.conftest import timeout
from tests.helpers import assert_lazy_same

MARKETS = (("BTCUSDT", 20, "0"), ("BTCBCH", 20, "0"), ("ETHUSDT", 5, "0.1"))

# The documented examples (§5.5 query result, §5.6 pushes), as the protocol tests quote them.
DOCUMENTED: list[tuple[str, dict[str, Any], bool]] = [
    ("BTCBCH", {"asks": [["12.94", "0.1524"]], "bids": [["12.25", "0.0588"]], "last": "12.50",
                "time": 1639987469166, "checksum": 21658179}, True),
    ("BTCUSDT", {"asks": [["12.94", "0.1524"]], "bids": [["12.25", "0.0588"]], "last": "12.50",
                 "time": 1639987469166, "checksum": 2022502848}, True),
    ("BTCUSDT", {"bids": [["46349.61", "0.04000000"], ["46300.00", "0"]], "checksum": 1533284725}, False),
    ("BTCUSDT", {"asks": [], "bids": [], "checksum": -1}, True),
]


def push(market: str, depth: dict[str, Any], clean: bool) -> str:
    return json.dumps({"method": "depth.update", "params": [clean, depth, market], "id": None})


def protocol() -> CoinexProtocol:
    codec = CoinexProtocol()
    codec.subscribe("depth", [("depth", *market) for market in MARKETS])
    return codec


def eager(frame: str) -> Depth:
    clean, depth, market = loads_exact(frame)["params"]
    return converter._depth_now(market, depth, clean)


def assert_same(lazy: Any, eager: Any) -> None:
    assert_lazy_same(lazy, eager, Depth)
    for mine, theirs in zip(lazy.asks + lazy.bids, eager.asks + eager.bids, strict=True):
        assert type(mine) is Level and repr(mine) == repr(theirs)  # the wire exponent is kept


def check_frames(frames: list[str]) -> None:
    codec = protocol()
    for frame in frames:
        (update,) = codec.receive(frame)
        assert_same(update.data, eager(frame))


@pytest.fixture(scope="module")
def emulated() -> Iterator[list[str]]:
    """Depth pushes of the emulator (two markets, one merged), clean and incremental."""
    frames: list[str] = []
    with CoinexEmulator(seed=5, push_interval=0.01) as emu, connect(emu.url) as websocket:
        websocket.send(json.dumps({"method": "depth.subscribe_multi", "id": 1,
                                   "params": [["BTCUSDT", 20, "0"], ["ETHUSDT", 5, "0.1"]]}))
        incremental = 0
        while incremental < 40:
            text = websocket.recv(timeout(5))
            assert isinstance(text, str)
            message = json.loads(text)
            if message.get("method") == "depth.update":
                frames.append(text)
                incremental += not message["params"][0]
    yield frames


def test_every_documented_depth_reads_as_its_eager_decoding():
    check_frames([push(*example) for example in DOCUMENTED])
    market, depth, clean = DOCUMENTED[0]
    assert_same(converter.depth_from_wire(market, depth, clean), converter._depth_now(market, depth, clean))


def test_every_benchmark_depth_reads_as_its_eager_decoding():
    frames = depth_frames(1000, ["BTCUSDT"])
    assert len(frames) == 1000 and loads_exact(frames[0])["params"][0] is True
    check_frames(frames)


def test_every_emulated_depth_reads_as_its_eager_decoding(emulated):
    assert any(loads_exact(frame)["params"][0] for frame in emulated)
    check_frames(emulated)


def test_a_book_built_from_lazy_depths_verifies_every_checksum():
    frames = depth_frames(1000, ["BTCUSDT"])
    codec = protocol()
    book, reference = OrderBook(20), OrderBook(20)
    for frame in frames:
        (update,) = codec.receive(frame)
        expected = coinex_book.apply(book, update.data)
        coinex_book.apply(reference, eager(frame))
        assert expected is not None and coinex_book.checksum(book) == expected
    assert book.snapshot() == reference.snapshot()


@pytest.mark.parametrize("depth", [
    {"asks": [["1E-8", "1"]]},  # an exponent: Decimal reads it, the check does not
    {"asks": [["12.94", "0.1524", "extra"]]},  # a third element, ignored
    {"bids": [[" 12.25", "1"]]},  # blanks: Decimal strips them
    {"bids": [["1_000", "1"]]},  # Decimal reads underscores
    {"asks": [["12.94", "1"]], "last": Decimal("12.5")},  # JSON numbers arrive as Decimal
    {"asks": [[Decimal("12.94"), 1]]},
    {"asks": [["12.94", "1"]], "time": "1639987469166"},  # time as text
    {"asks": [["12.94", "1"]], "time": -1},  # before 1970: still a datetime
    {"asks": [["12.94", "1"]], "time": Decimal("1639987469166.5")},
    {"asks": [["12.94", "1"]], "checksum": "2022502848"},  # checksum as text
    {"asks": [["12.94", "1"]], "checksum": True},
    {"asks": {}, "bids": ""},  # empty but not lists: empty sides
    {"bids": ["12"]},  # a text for a level: decoded as the eager path always did
])
def test_a_depth_outside_the_documented_shape_is_decoded_on_receipt(depth):
    try:
        expected = converter._depth_now("BTCUSDT", depth, False)
    except DecodeError:
        with pytest.raises(DecodeError):
            converter.depth_from_wire("BTCUSDT", depth, False)
        return
    decoded = converter.depth_from_wire("BTCUSDT", depth, False)
    assert type(decoded) is Depth and repr(decoded) == repr(expected)


@pytest.mark.parametrize("depth", [
    {"asks": [["x", "1"]]},
    {"asks": [["12.94"]]},
    {"asks": [[{"a": 1}, "1"]]},
    {"asks": [{"12.94": "1", "13": "2"}]},  # a two-key object is no level
    {"asks": 5},
    {"asks": [["", "1"]]},
    {"asks": [["12.94", ""]]},
    {"asks": [["12.94", "1"]], "time": 10**20},  # out of datetime's range
    {"asks": [["12.94", "1"]], "time": True},
    {"asks": [["12.94", "1"]], "time": "soon"},
    {"asks": [["12.94", "1"]], "checksum": "x"},
    {"asks": [["12.94", "1"]], "last": "x"},
    {"asks": [["12.94", "1"]], "last": ""},
])
def test_a_malformed_depth_is_still_a_decode_error_on_receipt(depth):
    with pytest.raises(DecodeError):
        converter.depth_from_wire("BTCUSDT", depth, False)
    with pytest.raises(DecodeError):
        protocol().receive(push("BTCUSDT", depth, False))


def test_a_depth_that_is_not_an_object_is_a_decode_error():
    with pytest.raises(DecodeError):
        converter.depth_from_wire("BTCUSDT", ["asks"], True)  # type: ignore[arg-type]


PLAIN = st.one_of(st.from_regex(r"-?[0-9]{1,6}(\.[0-9]{0,8})?", fullmatch=True), st.sampled_from([".5", "5.", "0"]))
ODD = st.one_of(
    st.sampled_from(["1E-8", "1e400", " 1", "1_0", "NaN", "inf", "", "-", ".", "1.2.3", "\u0661", "+1", "0x10"]),
    st.text(max_size=6),
)
VALUES = st.one_of(ODD, st.none(), st.booleans(), st.integers(), st.decimals(allow_nan=True), st.floats(),
                   st.lists(PLAIN, max_size=3), st.dictionaries(PLAIN, PLAIN, max_size=2))
LEVELS = st.lists(st.lists(PLAIN, min_size=2, max_size=2), max_size=5)
DEPTHS = st.fixed_dictionaries({}, optional={
    "asks": LEVELS, "bids": LEVELS, "last": PLAIN, "time": st.integers(min_value=0, max_value=2 * 10**12),
    "checksum": st.integers(min_value=-(2**31), max_value=2**32)})


@st.composite
def depths(draw: st.DrawFn) -> dict[str, Any]:
    """A depth of the documented shape, half of the time with one value or level made odd."""
    depth = draw(DEPTHS)
    mutation = draw(st.sampled_from(["none", "none", "none", "key", "level", "text"]))
    if mutation == "key":
        depth[draw(st.sampled_from(["asks", "bids", "last", "time", "checksum"]))] = draw(VALUES)
    elif mutation in ("level", "text") and depth.get("asks"):
        levels = depth["asks"]
        index = draw(st.integers(min_value=0, max_value=len(levels) - 1))
        if mutation == "level":
            levels[index] = draw(VALUES)
        else:
            levels[index][draw(st.integers(min_value=0, max_value=1))] = draw(st.one_of(ODD, VALUES))
    return depth


@given(depth=depths(), is_full=st.booleans())
@settings(max_examples=500, deadline=None)
def test_any_depth_decodes_lazily_as_it_does_eagerly_or_is_rejected_on_receipt(depth, is_full):
    try:
        expected = converter._depth_now("BTCUSDT", depth, is_full)
    except DecodeError:
        with pytest.raises(DecodeError):
            converter.depth_from_wire("BTCUSDT", depth, is_full)
        return
    decoded = converter.depth_from_wire("BTCUSDT", depth, is_full)
    # A lazy depth decodes on this read: it must neither fail nor differ.
    assert repr(decoded) == repr(expected)
    if type(decoded) is not Depth:  # lazy (an eager one may hold a NaN, unequal to itself)
        assert decoded == expected and hash(decoded) == hash(expected)


def test_a_watched_book_is_decoded_at_once_and_an_unwatched_one_on_first_read():
    frame = push(*DOCUMENTED[0])
    codec = protocol()
    (unwatched,) = codec.receive(frame)
    assert type(unwatched.data) is not Depth
    codec.watched.add(unwatched.key)
    (watched,) = codec.receive(frame)
    assert type(watched.data) is Depth and watched.data == unwatched.data
    assert converter.depth_from_wire(*DOCUMENTED[0], lazy=False) == watched.data
