"""The quick order book path (``converter.order_book_from_json``: orjson, level texts kept
until read) gives exactly what the exact path (``loads`` with ``Decimal`` numbers, then
``order_book_from_wire``) gives, digits included, on every sample; and it declines
(``None``) every payload it could not read so, which the exact path then decides."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.exchanges import coinsuper as bench  # the benchmark's flood payloads
from exwire.coinsuper import converter
from exwire.coinsuper.protocol import CoinsuperProtocol, MqttFrame
from exwire.errors import DecodeError
from tests.coinsuper.samples import ORDER_BOOK, ORDER_BOOK_TOPIC
from tests.coinsuper.test_lazy_book import SAMPLES


def _exact(data: bytes):
    return converter.order_book_from_wire(converter.loads(data), "BTC/USD", "0.01")


def _digits(book):
    return [(repr(level.price), repr(level.quantity)) for level in book.asks + book.bids]


def _assert_same(quick, exact):
    assert quick.best_bid == exact.best_bid and quick.best_ask == exact.best_ask  # before the sides are built
    assert quick == exact and hash(quick) == hash(exact) and repr(quick) == repr(exact)
    assert _digits(quick) == _digits(exact)
    assert type(quick.asks) is tuple and quick.asks is quick.asks and quick.bids is quick.bids


FRAMES = [ORDER_BOOK.encode()] + [json.dumps(sample).encode() for sample in SAMPLES] + bench._payloads()[:200]


@pytest.mark.parametrize("data", FRAMES, ids=range(len(FRAMES)))
def test_every_sample_decodes_the_quick_way_as_the_exact_way(data):
    exact = _exact(data)
    for form in (data, data.decode(), MqttFrame.publish(ORDER_BOOK_TOPIC, data)):
        quick = converter.order_book_from_json(form, "BTC/USD", "0.01")
        if b'"limitPrice": 7' in data or b'"limitPrice": "1E-8"' in data:
            assert quick is None  # a JSON number or an exponent: the exact way decides
            continue
        assert quick is not None
        _assert_same(quick, exact)


def test_the_protocol_delivers_the_quick_snapshot_equal_to_the_exact_one():
    for data in FRAMES:
        (update,) = CoinsuperProtocol().receive(MqttFrame.publish(ORDER_BOOK_TOPIC, data))
        _assert_same(update.data, _exact(data))


BOOK = json.loads(ORDER_BOOK)


@pytest.mark.parametrize("change", [
    {"asks": [{"limitPrice": 6674.89, "quantity": "0.0524"}]},  # a float for orjson
    {"asks": [{"limitPrice": "6674.89", "quantity": 5}]},  # a JSON integer
    {"asks": [{"limitPrice": " 6674.89", "quantity": "0.0524"}]},  # text Decimal reads, not plain
    {"asks": [{"limitPrice": "6674.", "quantity": "0.0524"}]},
    {"asks": [{"limitPrice": ".5", "quantity": "0.0524"}]},
    {"asks": [{"limitPrice": "1e3", "quantity": "0.0524"}]},
    {"asks": [{"limitPrice": "NaN", "quantity": "0.0524"}]},
    {"asks": [{"limitPrice": "\u0661", "quantity": "0.0524"}]},  # an Arabic-Indic digit
    {"timestamp": 1532686075803.5}, {"timestamp": 2**64}, {"timestamp": 10**20}, {"limitSize": 15.0}, {"step": 0.01},
])
def test_payloads_the_quick_way_cannot_read_exactly_are_declined_and_decoded_exactly(change):
    data = json.dumps({**BOOK, **change}).encode()
    assert converter.order_book_from_json(data, "BTC/USD", "0.01") is None
    try:
        exact = _exact(data)
    except DecodeError:  # e.g. a time out of range
        with pytest.raises(DecodeError):
            CoinsuperProtocol().receive(MqttFrame.publish(ORDER_BOOK_TOPIC, data))
        return
    (update,) = CoinsuperProtocol().receive(MqttFrame.publish(ORDER_BOOK_TOPIC, data))
    assert repr(update.data) == repr(exact) and _digits(update.data) == _digits(exact)  # NaN != NaN


@pytest.mark.parametrize("data", [
    b"", b"{", b"[1]", b'{"asks": []}', b'{"asks": {}, "bids": []}', b'{"asks": [[1, 2]], "bids": []}',
    b'{"asks": [{"limitPrice": "1"}], "bids": []}', b'{"asks": [], "bids": [], "timestamp": "x"}',
    b'{"asks": [{"limitPrice": "x", "quantity": "1"}], "bids": []}', b'{"asks": [], "bids": "12"}',
    b'{"asks": [{"limitPrice": "1.2.3", "quantity": "1"}], "bids": []}', b'{"asks": [], "bids": [], "a": NaN}',
    b'\xff', json.dumps({**BOOK, "limitSize": "many"}).encode(), b'{"asks": [], "bids": [], "x": "\\ud800"}',
])
def test_a_payload_the_exact_way_refuses_is_declined_and_still_a_decode_error(data):
    try:
        exact = _exact(data)
    except DecodeError:
        assert converter.order_book_from_json(data, "BTC/USD", "0.01") is None
        with pytest.raises(DecodeError):
            CoinsuperProtocol().receive(MqttFrame.publish(ORDER_BOOK_TOPIC, data))
    else:
        quick = converter.order_book_from_json(data, "BTC/USD", "0.01")
        assert quick is None or quick == exact


_TEXTS = st.one_of(
    st.from_regex(r"\A[0-9]{1,8}(\.[0-9]{1,10})?\Z"),  # what Coinsuper sends
    st.sampled_from(["", " 1", "1 ", "1.", ".1", "1.2.3", "-1", "+1", "1e5", "1E-8", "Infinity", "nan", "1_000",
                     "0.0000", "00012.50", "x", "\u0663.5"]),
    st.integers(-10**20, 10**20), st.floats(allow_nan=False, allow_infinity=False), st.none(), st.booleans(),
)
_LEVEL = st.one_of(
    st.fixed_dictionaries({"limitPrice": _TEXTS, "quantity": _TEXTS}, optional={"amount": _TEXTS}),
    st.fixed_dictionaries({"limitPrice": _TEXTS}), st.lists(_TEXTS, max_size=2), _TEXTS,
)
_BOOKS = st.fixed_dictionaries(
    {"asks": st.lists(_LEVEL, max_size=4), "bids": st.lists(_LEVEL, max_size=4)},
    optional={"limitSize": _TEXTS, "timestamp": st.one_of(st.integers(0, 4 * 10**12), _TEXTS),
              "step": _TEXTS, "symbol": st.one_of(st.just("ETH/USD"), _TEXTS)},
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_BOOKS)
def test_the_quick_way_never_differs_from_the_exact_way(book):
    data = json.dumps(book).encode()
    try:
        exact = _exact(data)
    except DecodeError:
        exact = None
    quick = converter.order_book_from_json(data, "BTC/USD", "0.01")
    if quick is None:
        return
    assert exact is not None  # never a snapshot where the exact way refuses the payload
    _assert_same(quick, exact)
    assert all(type(level.price) is Decimal and type(level.quantity) is Decimal for level in quick.asks + quick.bids)


_PLAIN = st.from_regex(r"\A[0-9]{1,8}(\.[0-9]{1,10})?\Z")
_PLAIN_BOOKS = st.fixed_dictionaries(
    {"asks": st.lists(st.fixed_dictionaries({"limitPrice": _PLAIN, "quantity": _PLAIN}, optional={"amount": _TEXTS}),
                      max_size=16),
     "bids": st.lists(st.fixed_dictionaries({"limitPrice": _PLAIN, "quantity": _PLAIN}), max_size=16)},
    optional={"limitSize": st.integers(0, 100), "timestamp": st.integers(0, 4 * 10**12),
              "step": st.sampled_from(["0.01", "1.0", "0.5"]), "symbol": st.sampled_from(["ETH/USD", "", 7])},
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_PLAIN_BOOKS)
def test_books_of_plain_decimal_texts_always_take_the_quick_way_to_the_same_snapshot(book):
    data = json.dumps(book).encode()
    quick = converter.order_book_from_json(data, "BTC/USD", "0.01")
    assert quick is not None
    _assert_same(quick, _exact(data))


@pytest.mark.parametrize("text, plain", [
    ("1", True), ("6674.89", True), ("0.0000", True), ("6674.89,0.0524,1,2.5", True), ("00012.50", True),
    ("", False), ("1.", False), (".5", False), ("1.2.3", False), ("1,,2", False), (",1", False), ("1,", False),
    ("1.5.,2", False), ("1,.5", False), ("-1", False), ("1e5", False), (" 1", False), ("\u0661", False),
])
def test_the_plain_decimal_check_takes_digits_with_at_most_one_inner_point(text, plain):
    assert (converter._PLAIN_DECIMALS.fullmatch(text) is not None) is plain


def test_a_quick_snapshot_pickles_evolves_and_stays_frozen_as_an_eager_one():
    import pickle

    import attrs

    quick = converter.order_book_from_json(ORDER_BOOK.encode(), "BTC/USD", "0.01")
    assert quick is not None
    assert pickle.loads(pickle.dumps(quick)) == _exact(ORDER_BOOK.encode())
    assert attrs.evolve(quick, symbol="ETH/USD").bids == _exact(ORDER_BOOK.encode()).bids
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        quick.bids = ()  # type: ignore[misc]
