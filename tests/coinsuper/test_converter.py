"""Coinsuper converters: the inlined level decoding and the prebuilt JSON decoder give
exactly what the general path (``decimal_from_wire`` per value, ``json.loads(...,
parse_float=Decimal)``) gave, digits included, and fail where it failed."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from exwire._core.codec import decimal_from_wire
from exwire.coinsuper import converter
from exwire.errors import DecodeError

BOOK = {"asks": [{"amount": "0.00", "limitPrice": "6674.89", "quantity": "0.0524"},
                 {"amount": "0.00", "limitPrice": "6674.96", "quantity": "0.2399"}],
        "bids": [{"amount": "0.00", "limitPrice": "6674.56", "quantity": "0.1236"}],
        "limitSize": 15, "step": "0.01", "symbol": "BTC/USD", "timestamp": 1532686075803}
DEPTH = {"asks": [{"price": "6681.39", "quantity": "25.1470"}], "bids": [{"price": "6674.56", "quantity": "0.0000"}],
         "depthPercent": "0.01", "asksMinPrice": "6674.89", "bidsMaxPrice": "6674.56", "symbol": "BTC/USD"}
# Values a level may carry: text, JSON numbers as loads parses them, and bad ones.
VALUES = ["1E-8", "0.10", "", " 1 ", "x", None, 7, Decimal("0.100"), True, 0.1, [1]]


def _reference(value):
    if value is None:
        raise ValueError("missing number")
    return decimal_from_wire(value)


def _pairs(decoded):
    return [(repr(level.price), repr(level.quantity)) for side in (decoded.asks, decoded.bids) for level in side]


def _check(decode, payload, price_key):
    try:
        expected = [(repr(_reference(item[price_key])), repr(_reference(item["quantity"])))
                    for side in ("asks", "bids") for item in payload[side]]
    except Exception:
        with pytest.raises(DecodeError):
            decode(payload)
        return
    assert _pairs(decode(payload)) == expected


@pytest.mark.parametrize("value", VALUES)
@pytest.mark.parametrize("field", ["limitPrice", "quantity"])
def test_order_book_levels_decode_as_decimal_from_wire_did(field, value):
    def decode(payload):
        return converter.order_book_from_wire(payload, "BTC/USD", "0.01")

    _check(decode, BOOK, "limitPrice")
    _check(decode, {**BOOK, "asks": [{**BOOK["asks"][0], field: value}]}, "limitPrice")


@pytest.mark.parametrize("value", VALUES)
@pytest.mark.parametrize("field", ["price", "quantity"])
def test_depth_levels_decode_as_decimal_from_wire_did(field, value):
    def decode(payload):
        return converter.market_depth_from_wire(payload, "BTC/USD")

    _check(decode, DEPTH, "price")
    _check(decode, {**DEPTH, "bids": [{**DEPTH["bids"][0], field: value}]}, "price")


def test_a_missing_level_field_is_a_decode_error():
    with pytest.raises(DecodeError):
        converter.order_book_from_wire({**BOOK, "bids": [{"limitPrice": "1"}]}, "BTC/USD", "0.01")


@pytest.mark.parametrize("payload", [
    b'{"total":0.738763122563248000000000000000}', b'\xef\xbb\xbf[1]', b' [1] ', b'\x00[\x001\x00]',
    bytearray(b'[2.50]'), '{"a": [1, 2.50]}', b'{"a":NaN}', json.dumps(BOOK).encode(),
])
def test_payloads_parse_as_json_loads_with_decimal_numbers(payload):
    assert repr(converter.loads(payload)) == repr(json.loads(payload, parse_float=Decimal))


@pytest.mark.parametrize("payload", [b"", b"[1] x", b"\xff", "\ufeff[1]", b"{not json"])
def test_payloads_that_are_not_json_are_decode_errors(payload):
    with pytest.raises(DecodeError):
        converter.loads(payload)
