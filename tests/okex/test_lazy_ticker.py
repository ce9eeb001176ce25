"""OKEx tickers decoded on first read equal the eagerly decoded models.

No capture in the shared fixtures holds an OKEx ticker (they hold acks, order and
balance pushes), so the tickers come from the documented example of §5.1, the
emulator's pushes over a socket (raw deflate, as OKEx sends them) and the
benchmark's flood of 1,000 distinct tickers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import websocket
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.exchanges.okex import ticker_frames
from exwire._core.codec import loads_exact
from exwire.errors import DecodeError
from exwire.okex import converter
from exwire.okex.models import Ticker
from exwire.okex.protocol import OkexProtocol, inflate
from exwire.testing.okex import OkexEmulator
from tests.conftest import timeout
from tests.helpers import assert_lazy_same

# The documented example of §5.1, as the protocol tests quote it.
DOCUMENTED = ('[{"binary":0,"channel":"ok_sub_spot_bch_btc_ticker","data":{"high":"10000","vol":"185.03743858",'
              '"last":"111","low":"0.00000001","buy":"115","change":"101","sell":"115","dayLow":"0.00000001",'
              '"dayHigh":"10000","timestamp":1500444626000}}]')
TICKER = {"high": "25303.12", "vol": "601693.10813867", "last": "25003.12", "low": "24703.12", "buy": "25003.11",
          "change": "-0.04", "sell": "25003.13", "dayLow": "24603.12", "dayHigh": "25403.12",
          "timestamp": 1500444626000}


def eager(text: str) -> Ticker:
    (item,) = loads_exact(text)
    symbol = item["channel"][len("ok_sub_spot_"):-len("_ticker")]
    return converter._ticker(item["data"], symbol)


def assert_same(lazy: Any, eager: Any) -> None:
    assert_lazy_same(lazy, eager, Ticker)


def check_frames(frames: list[str | bytes]) -> None:
    protocol = OkexProtocol()
    for frame in frames:
        (update,) = protocol.receive(frame)
        assert_same(update.data, eager(inflate(frame) if isinstance(frame, bytes) else frame))


@pytest.fixture(scope="module")
def emulated() -> Iterator[list[str | bytes]]:
    """Ticker pushes of the emulator for two symbols, raw-deflate binary frames."""
    frames: list[str | bytes] = []
    with OkexEmulator(seed=4, push_interval=0.01) as emu:
        socket = websocket.create_connection(emu.client_kwargs()["url"], timeout=timeout(5))
        try:
            socket.send(json.dumps([{"event": "addChannel", "channel": "ok_sub_spot_btc_usdt_ticker"},
                                    {"event": "addChannel", "channel": "ok_sub_spot_eth_btc_ticker"}]))
            while len(frames) < 40:
                opcode, data = socket.recv_data()
                assert opcode == websocket.ABNF.OPCODE_BINARY
                if '_ticker","data":{"' in inflate(data).replace(" ", ""):
                    frames.append(bytes(data))
        finally:
            socket.close()
    yield frames


def test_the_documented_ticker_reads_as_its_eager_decoding():
    check_frames([DOCUMENTED])
    assert_same(converter.ticker_from_wire(TICKER, "btc_usdt"), converter._ticker(TICKER, "btc_usdt"))


def test_every_benchmark_ticker_reads_as_its_eager_decoding():
    frames: list[str | bytes] = list(ticker_frames(1000, ["btc_usdt"]))
    assert len(frames) == 1000 and all(isinstance(frame, bytes) for frame in frames)
    check_frames(frames)


def test_every_emulated_ticker_reads_as_its_eager_decoding(emulated):
    # The emulator prints Decimals with str(), so a change of zero is "0E-8" at times: such
    # a ticker (an exponent, as OKEx also sent now and then) is decoded on receipt.
    protocol = OkexProtocol()
    lazy = 0
    for frame in emulated:
        (update,) = protocol.receive(frame)
        text = inflate(frame) if isinstance(frame, bytes) else frame
        if "E" in text:
            assert type(update.data) is Ticker and repr(update.data) == repr(eager(text))
        else:
            assert_same(update.data, eager(text))
            lazy += 1
    assert lazy >= len(emulated) // 2


@pytest.mark.parametrize("null", [False, True])
@pytest.mark.parametrize("key", ["change", "dayHigh", "dayLow"])
def test_a_ticker_without_an_optional_value_is_lazy_too(key, null):
    data: dict[str, Any] = {k: v for k, v in TICKER.items() if k != key}
    if null:
        data[key] = None
    ticker = converter.ticker_from_wire(data, "btc_usdt")
    assert_same(ticker, converter._ticker(data, "btc_usdt"))
    assert getattr(ticker, {"change": "change", "dayHigh": "day_high", "dayLow": "day_low"}[key]) is None


@pytest.mark.parametrize("changes", [
    {"low": "1E-8"},  # an exponent: Decimal reads it, the check does not
    {"change": ""},  # empty: None, as before
    {"vol": " 185.5"},  # blanks: Decimal strips them
    {"buy": "1_000"},
    {"buy": Decimal("25003.110"), "sell": 3},  # JSON numbers
    {"timestamp": "1500444626000"},  # a timestamp as text
    {"timestamp": -1},  # before 1970: still a datetime
    {"timestamp": Decimal("1500444626000.5")},
])
def test_a_ticker_outside_the_documented_shape_is_decoded_on_receipt(changes):
    data = {**TICKER, **changes}
    ticker = converter.ticker_from_wire(data, "btc_usdt")
    assert type(ticker) is Ticker and repr(ticker) == repr(converter._ticker(data, "btc_usdt"))


@pytest.mark.parametrize("changes", [
    {"buy": "x"},
    {"sell": ""},
    {"last": None},
    {"vol": [1]},
    {"change": "x"},
    {"dayLow": "-"},
    {"timestamp": True},
    {"timestamp": 10**20},  # out of datetime's range
    {"timestamp": "soon"},
    {"timestamp": None},
])
def test_a_malformed_ticker_is_still_a_decode_error_on_receipt(changes):
    data = {**TICKER, **changes}
    with pytest.raises(DecodeError):
        converter.ticker_from_wire(data, "btc_usdt")
    frame = json.dumps([{"channel": "ok_sub_spot_btc_usdt_ticker", "data": data}], default=str)
    with pytest.raises(DecodeError):
        OkexProtocol().receive(frame)


@pytest.mark.parametrize("data", [None, [], "ticker", 5, {k: v for k, v in TICKER.items() if k != "buy"}])
def test_a_ticker_that_is_not_an_object_of_the_keys_is_a_decode_error(data):
    with pytest.raises(DecodeError):
        converter.ticker_from_wire(data, "btc_usdt")  # type: ignore[arg-type]


PLAIN = st.one_of(st.from_regex(r"-?[0-9]{1,6}(\.[0-9]{0,8})?", fullmatch=True), st.sampled_from([".5", "5.", "0"]))
ODD = st.one_of(
    st.sampled_from(["1E-8", "1e400", " 1", "1_0", "NaN", "inf", "", "-", ".", "1.2.3", "\u0661", "+1", "0x10"]),
    st.text(max_size=6),
)
VALUES = st.one_of(ODD, st.none(), st.booleans(), st.integers(), st.decimals(allow_nan=True), st.floats(),
                   st.lists(PLAIN, max_size=2))
TICKERS = st.fixed_dictionaries(
    {key: PLAIN for key in ("buy", "sell", "last", "high", "low", "vol")}
    | {"timestamp": st.integers(min_value=0, max_value=4 * 10**12)},
    optional={"change": PLAIN, "dayHigh": PLAIN, "dayLow": PLAIN},
)


@st.composite
def tickers(draw: st.DrawFn) -> dict[str, Any]:
    """A ticker of the documented shape, half of the time with one value made odd (or dropped)."""
    data = draw(TICKERS)
    if draw(st.booleans()):
        key = draw(st.sampled_from(sorted(TICKER)))
        if draw(st.integers(min_value=0, max_value=5)) == 0:
            data.pop(key, None)
        else:
            data[key] = draw(VALUES)
    return data


@given(data=tickers())
@settings(max_examples=500, deadline=None)
def test_any_ticker_decodes_lazily_as_it_does_eagerly_or_is_rejected_on_receipt(data):
    try:
        expected = converter._ticker(data, "btc_usdt")
    except DecodeError:
        with pytest.raises(DecodeError):
            converter.ticker_from_wire(data, "btc_usdt")
        return
    decoded = converter.ticker_from_wire(data, "btc_usdt")
    # A lazy ticker decodes on this read: it must neither fail nor differ.
    assert repr(decoded) == repr(expected)
    if type(decoded) is not Ticker:  # lazy (an eager one may hold a NaN, unequal to itself)
        assert decoded == expected and hash(decoded) == hash(expected)
