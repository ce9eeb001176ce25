"""The shared JSON loaders of the engine's codec."""

from __future__ import annotations

import json
import random
from decimal import Decimal

import pytest

from exwire._core.codec import loads, loads_exact
from tests.conftest import fixture_path


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


def _outcome(parse, text):
    """``("ok", repr of the value)`` (the same digits and types, not just equal values) or the error's type."""
    try:
        return "ok", repr(parse(text))
    except (ValueError, RecursionError, TypeError) as error:
        return "error", type(error)


def _json_exact(text):
    return json.loads(text, parse_float=Decimal)


# What msgspec refuses and json accepts (NaN, a lone surrogate, 4,300+ digits), what both
# refuse for different reasons, and the numbers' forms: loads_exact must end as json does.
EDGES = [
    '{"a":1,"a":2}', '["a\x01b"]', '["\\ud800"]', '["\\ud83d\\ude00"]', "[" + "9" * 5000 + "]",
    "[1.0e5, 1E5, -0.0, -0, 0.1e-7, 1e-400, 1e400, 123456789.123456789123456789]", "[NaN]", "[Infinity, -Infinity]",
    "  [1]  ", "[1] x", "[" * 100_000, '"\\u0000"', "[1,]", '{"a":1,}', "[01]", "[.5]", "[1.]", '["\t"]',
    b"[1]\n", b"\xef\xbb\xbf[1.5]", "[1.5]".encode("utf-16"), b'["\xff"]', "[-]", "[tru]", '{"\\u00e9":"x"}',
    "[9223372036854775808, -9223372036854775809, 18446744073709551616]", bytearray(b'{"a":2.50}'), "", " ",
]


@pytest.mark.parametrize("text", EDGES, ids=range(len(EDGES)))
def test_loads_exact_ends_as_json_with_decimal_floats_on_edge_cases(text):
    assert _outcome(loads_exact, text) == _outcome(_json_exact, text)


def test_loads_exact_ends_as_json_on_every_line_of_every_capture():
    root = fixture_path()
    checked = 0
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        for line in path.read_text("utf-8", "replace").splitlines():
            starts = [i for i in (line.find("{"), line.find("[")) if i >= 0]
            for text in {line, line[min(starts):]} if starts else {line}:
                assert _outcome(loads_exact, text) == _outcome(_json_exact, text), (path, text[:200])
                checked += 1
    assert checked > 10_000


def test_loads_exact_ends_as_json_on_mutated_frames():
    rng = random.Random(16)
    seeds = [
        '{"method":"depth.update","params":[false,{"asks":[["46350.01","0"]],"bids":[]},"BTCUSDT"],"id":null}',
        '[{"binary":1,"channel":"ok_sub_spot_btc_usdt_ticker","data":{"high":"25303.12","timestamp":1693415330,'
        '"vol":1.5e3}}]',
        '{"asks":[{"price":"1.5","quantity":"2"}],"limitSize":10,"timestamp":1569308912453,"x":[1.10,-0.0,2E-3]}',
    ]
    alphabet = '{}[]",:.-+eE0123456789 \\u\tnultrfasNIy\x00\x7f\u00e9\ud800'
    outcomes = {"ok": 0, "error": 0}
    for _ in range(4000):
        text = list(rng.choice(seeds))
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(text))
            action = rng.random()
            if action < 0.4:
                text[at] = rng.choice(alphabet)
            elif action < 0.7:
                text.insert(at, rng.choice(alphabet))
            else:
                del text[at]
        mutated = "".join(text)
        outcome = _outcome(loads_exact, mutated)
        assert outcome == _outcome(_json_exact, mutated), mutated
        outcomes[outcome[0]] += 1
        encoded = mutated.encode("utf-8", "surrogatepass")
        assert _outcome(loads_exact, encoded) == _outcome(_json_exact, encoded), encoded
    assert min(outcomes.values()) > 500, outcomes  # both parsed and refused texts were compared


def test_loads_exact_refuses_what_json_refuses():
    for bad in ("{", '{"a":1} x', ""):
        with pytest.raises(ValueError):
            loads_exact(bad)


def test_fast_loads_keeps_64_bit_integers_and_strings():
    message = loads('{"connectionID":18446744073709551615,"price":"27120.00000"}')
    assert message == {"connectionID": 18446744073709551615, "price": "27120.00000"}
    with pytest.raises(ValueError):
        loads("{not json")
