"""OKEx push converters: the hand-inlined ticker and depth decoding keeps every digit and
decodes (or rejects) exactly what the general ``decimal_from_wire`` path did."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta, timezone
from decimal import Decimal

import pytest

from exwire._core.codec import decimal_from_wire, epoch_ms_to_datetime
from exwire.errors import DecodeError
from exwire.models import Level, Side
from exwire.okex import converter
from exwire.okex.models import Ticker, TradeSide
from exwire.okex.protocol import _loads

TICKER = {"high": "25303.12", "vol": "601693.10813867", "last": "25003.12", "low": "24703.12", "buy": "25003.11",
          "change": "-0.04", "sell": "25003.13", "dayLow": "24603.12", "dayHigh": "25403.12",
          "timestamp": 1500444626000}
# Values a field may carry: text, JSON numbers as the protocol parses them, and bad ones.
VALUES = ["1E-8", "0.10", "", " 1 ", "x", None, 7, Decimal("0.100"), True, 1.5, 0.1, [1]]


def _reference_ticker(data):
    """The general path the converter had before: every value through decimal_from_wire."""
    optional = lambda v: None if v is None or v == "" else decimal_from_wire(v)  # noqa: E731
    return Ticker(
        symbol="btc_usdt",
        bid_price=decimal_from_wire(data["buy"]),
        ask_price=decimal_from_wire(data["sell"]),
        last_price=decimal_from_wire(data["last"]),
        high_price=decimal_from_wire(data["high"]),
        low_price=decimal_from_wire(data["low"]),
        volume=decimal_from_wire(data["vol"]),
        change=optional(data.get("change")),
        day_high=optional(data.get("dayHigh")),
        day_low=optional(data.get("dayLow")),
        time=epoch_ms_to_datetime(data["timestamp"]),
    )


def _ticker(data):
    return converter.ticker_from_wire(data, "btc_usdt")


def _same(decode, reference, data):
    try:
        expected = reference(data)
    except Exception:
        with pytest.raises(DecodeError):
            decode(data)
        return
    assert repr(decode(data)) == repr(expected)


def test_ticker_matches_the_general_decoding_for_every_value():
    for key in TICKER:
        _same(_ticker, _reference_ticker, {k: v for k, v in TICKER.items() if k != key})
        for value in VALUES:
            _same(_ticker, _reference_ticker, {**TICKER, key: value})


def test_ticker_keeps_the_wire_digits():
    ticker = _ticker({**TICKER, "low": "1E-8", "vol": "185.03743800"})
    assert str(ticker.volume) == "185.03743800" and ticker.low_price == Decimal("0.00000001")
    assert ticker.change == Decimal("-0.04") and ticker.bid_price == Decimal("25003.11")
    assert _ticker({**TICKER, "change": ""}).change is None
    assert _ticker({k: v for k, v in TICKER.items() if k != "dayHigh"}).day_high is None


def test_json_number_money_keeps_its_text():
    data = _loads('{"buy":25003.110,"sell":1E-8,"last":3,"high":"2","low":"1","vol":"5","timestamp":1}')
    ticker = _ticker(data)
    assert str(ticker.bid_price) == "25003.110" and ticker.ask_price == Decimal("1E-8") and ticker.last_price == 3


def test_depth_levels_match_the_general_decoding():
    def reference(data):
        levels = lambda side, down: tuple(sorted(  # noqa: E731
            (Level(price=decimal_from_wire(p), quantity=decimal_from_wire(q)) for p, q, *_ in data.get(side) or ()),
            key=lambda level: level.price, reverse=down))
        return (levels("bids", True), levels("asks", False))

    def decode(data):
        book = converter.book_from_wire(data, False)
        return (book.bids, book.asks)

    base = {"asks": [["117", "2"], ["116", "0.5"]], "bids": [["115", "1"], ["1E-8", "0.0008792"]]}
    _same(decode, reference, base)
    for value in VALUES:
        _same(decode, reference, {**base, "asks": [["117", value]]})
        _same(decode, reference, {**base, "bids": [[value, "1"]]})
    assert [str(level.price) for level in converter.book_from_wire(base, True).asks] == ["116", "117"]


@pytest.mark.parametrize("text", ['[{"a":1.10}]', ' {"a": [1, 2.50]} ', '\n[1]\n', '"x"', '{"n":-0.0}'])
def test_frames_parse_as_json_loads_with_decimal_numbers(text):
    assert repr(_loads(text)) == repr(json.loads(text, parse_float=Decimal))


@pytest.mark.parametrize("text", ["", "[1] x", "[1,", "nul", "  "])
def test_bad_frames_are_value_errors(text):
    with pytest.raises(ValueError):
        _loads(text)


# -- trade times: the UTC+8 time of day dated by the receive instant ------------------------------

UTC8 = timezone(timedelta(hours=8))


@pytest.mark.parametrize(("wire", "received", "expected"), [
    # the same UTC+8 day
    (time(16, 34, 7), datetime(2018, 12, 21, 16, 34, 9, tzinfo=UTC8), datetime(2018, 12, 21, 8, 34, 7, tzinfo=UTC)),
    # a trade just before midnight UTC+8, received just after: the previous day
    (time(23, 59, 58), datetime(2018, 12, 22, 0, 0, 1, tzinfo=UTC8), datetime(2018, 12, 21, 15, 59, 58, tzinfo=UTC)),
    # a server clock a few seconds ahead across midnight: the next day
    (time(0, 0, 2), datetime(2018, 12, 21, 23, 59, 59, tzinfo=UTC8), datetime(2018, 12, 21, 16, 0, 2, tzinfo=UTC)),
    # within the tolerance ahead of the receipt: still today
    (time(12, 4, 0), datetime(2018, 12, 21, 12, 0, 0, tzinfo=UTC8), datetime(2018, 12, 21, 4, 4, 0, tzinfo=UTC)),
    # beyond the tolerance ahead: yesterday's trade
    (time(12, 6, 0), datetime(2018, 12, 21, 12, 0, 0, tzinfo=UTC8), datetime(2018, 12, 20, 4, 6, 0, tzinfo=UTC)),
    # received_at given in UTC (as DataEvent.received_at is): the UTC+8 date is the next UTC day
    (time(7, 0, 0), datetime(2018, 12, 20, 23, 0, 5, tzinfo=UTC), datetime(2018, 12, 20, 23, 0, 0, tzinfo=UTC)),
])
def test_trade_time_dates_the_time_of_day_by_the_receive_instant(wire, received, expected):
    result = converter.trade_time(wire, received)
    assert result == expected and result.tzinfo is UTC


def test_trades_carry_the_vocabulary_and_the_wire_time_of_day():
    received = datetime(2018, 12, 21, 10, 29, 40, tzinfo=UTC)  # 18:29:40 UTC+8
    [sold, bought] = converter.trades_from_wire(
        [["1001", "2463.86", "0.052", "16:34:07", "ask"], ["14401265", "69.2475", "0.068231", "18:29:33", "bid"]],
        "xmr_usdt", received)
    assert (sold.symbol, sold.trade_id, sold.price, sold.quantity, sold.side) == (
        "xmr_usdt", 1001, Decimal("2463.86"), Decimal("0.052"), Side.SELL)
    assert bought.side is Side.BUY and bought.taker_side is TradeSide.BID
    assert bought.time == datetime(2018, 12, 21, 10, 29, 33, tzinfo=UTC) and bought.time_of_day == time(18, 29, 33)
    [odd] = converter.trades_from_wire([["1", "1", "1", "18:29:33", "sideways"]], "xmr_usdt", received)
    assert odd.side is None and not odd.taker_side.is_known  # kept, not refused
    with pytest.raises(DecodeError):
        converter.trades_from_wire([["1", "1", "1", "25:00:00", "bid"]], "xmr_usdt", received)
