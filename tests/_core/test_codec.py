"""The shared JSON loaders of the engine's codec."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from exwire._core.codec import loads, loads_exact


@pytest.mark.parametrize(
    "text",
    ['{"a":1.10,"b":[0.000000000000000000000000000001,2]}', ' {"a": 1.5} ', "[1e-7]", '"x"', "\ufeff[1]", b'{"a":0.1}'],
)
def test_loads_exact_matches_json_with_decimal_floats(text):
    try:
        expected = json.loads(text, parse_float=Decimal)
    except ValueError as error:
        with pytest.raises(type(error)):
            loads_exact(text)
        return
    assert loads_exact(text) == expected
    assert repr(loads_exact(text)) == repr(expected)  # the same digits, not just equal values


def test_loads_exact_refuses_what_json_refuses():
    for bad in ("{", '{"a":1} x', ""):
        with pytest.raises(ValueError):
            loads_exact(bad)


def test_fast_loads_keeps_64_bit_integers_and_strings():
    message = loads('{"connectionID":18446744073709551615,"price":"27120.00000"}')
    assert message == {"connectionID": 18446744073709551615, "price": "27120.00000"}
    with pytest.raises(ValueError):
        loads("{not json")
