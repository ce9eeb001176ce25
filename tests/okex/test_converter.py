"""OKEx push converters: the hand-inlined ticker and depth decoding keeps every digit and
decodes (or rejects) exactly what the general ``decimal_from_wire`` path did."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from exwire._core.codec import decimal_from_wire, epoch_ms_to_datetime
from exwire.errors import DecodeError
from exwire.models import Level
from exwire.okex import converter
from exwire.okex.models import Ticker
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
        decimal_from_wire(data["buy"]), decimal_from_wire(data["sell"]), decimal_from_wire(data["last"]),
        decimal_from_wire(data["high"]), decimal_from_wire(data["low"]), decimal_from_wire(data["vol"]),
        optional(data.get("change")), optional(data.get("dayHigh")), optional(data.get("dayLow")),
        epoch_ms_to_datetime(data["timestamp"]),
    )


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
        _same(converter.ticker_from_wire, _reference_ticker, {k: v for k, v in TICKER.items() if k != key})
        for value in VALUES:
            _same(converter.ticker_from_wire, _reference_ticker, {**TICKER, key: value})


def test_ticker_keeps_the_wire_digits():
    ticker = converter.ticker_from_wire({**TICKER, "low": "1E-8", "vol": "185.03743800"})
    assert str(ticker.volume) == "185.03743800" and ticker.low == Decimal("0.00000001")
    assert ticker.change == Decimal("-0.04") and ticker.best_bid == Decimal("25003.11")
    assert converter.ticker_from_wire({**TICKER, "change": ""}).change is None
    assert converter.ticker_from_wire({k: v for k, v in TICKER.items() if k != "dayHigh"}).day_high is None


def test_json_number_money_keeps_its_text():
    data = _loads('{"buy":25003.110,"sell":1E-8,"last":3,"high":"2","low":"1","vol":"5","timestamp":1}')
    ticker = converter.ticker_from_wire(data)
    assert str(ticker.best_bid) == "25003.110" and ticker.best_ask == Decimal("1E-8") and ticker.last_price == 3


def test_depth_levels_match_the_general_decoding():
    def reference(data):
        levels = lambda side, down: tuple(sorted(  # noqa: E731
            (Level(decimal_from_wire(p), decimal_from_wire(q)) for p, q, *_ in data.get(side) or ()),
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
