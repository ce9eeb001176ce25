"""Order book payloads checked by one regular expression on receipt and decoded on first
read (``converter.order_book_from_payload``): every field of the lazy snapshot equals the
eagerly decoded one, on the shared captures (skipped when absent) and on generated
payloads; anything the check refuses is decoded at once, a malformed payload raising
``DecodeError`` on the reader as before; the lazy snapshot behaves as the attrs model."""

from __future__ import annotations

import copy
import json
import pickle
import threading
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from exwire.coinsuper import converter
from exwire.coinsuper.models import OrderBookSnapshot, OrderBookStep
from exwire.coinsuper.protocol import CoinsuperProtocol, MqttFrame
from exwire.errors import DecodeError
from exwire.models import Level
from tests.coinsuper.samples import ORDER_BOOK, ORDER_BOOK_TOPIC
from tests.conftest import fixture_path, timeout

PROPERTY = settings(max_examples=300, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])
FIELDS = [field.name for field in attrs.fields(OrderBookSnapshot)]


def _compact(text: str) -> bytes:
    return json.dumps(json.loads(text), separators=(",", ":")).encode()


def _exact(data: bytes) -> OrderBookSnapshot:
    """The exact way, every side built: what the lazy snapshot must equal."""
    book = converter.order_book_from_wire(converter.loads(data), "BTC/USD", "0.01")
    return OrderBookSnapshot(symbol=book.symbol, step=book.step, asks=tuple(book.asks), bids=tuple(book.bids),
                             limit_size=book.limit_size, time=book.time)


def _is_lazy(book: OrderBookSnapshot) -> bool:
    return type(book) is not OrderBookSnapshot


def _assert_same(book: OrderBookSnapshot, eager: OrderBookSnapshot) -> None:
    for name in FIELDS:
        assert getattr(book, name) == getattr(eager, name), name
    assert [(repr(level.price), repr(level.quantity)) for level in book.asks + book.bids] == \
        [(repr(level.price), repr(level.quantity)) for level in eager.asks + eager.bids]  # digits included
    assert book == eager and eager == book and not book != eager
    assert hash(book) == hash(eager) and repr(book) == repr(eager)


COMPACT_SAMPLE = _compact(ORDER_BOOK)


def test_the_documented_sample_in_the_brokers_compact_form_is_lazy_and_equal():
    book = converter.order_book_from_payload(COMPACT_SAMPLE, "BTC/USD", "0.01")
    assert _is_lazy(book) and isinstance(book, OrderBookSnapshot)
    _assert_same(book, _exact(COMPACT_SAMPLE))


def test_the_pretty_printed_sample_is_decoded_at_once_and_equal():
    book = converter.order_book_from_payload(ORDER_BOOK.encode(), "BTC/USD", "0.01")
    assert not _is_lazy(book)
    _assert_same(book, _exact(ORDER_BOOK.encode()))


def _fixture_books() -> list[bytes]:
    folder = fixture_path("coinsuper")
    payloads = []
    for path in sorted(folder.rglob("*.json")):
        stack = [json.loads(path.read_text())]
        while stack:
            value = stack.pop()
            if isinstance(value, dict) and "asks" in value and "bids" in value:
                payloads.append(json.dumps(value, separators=(",", ":")).encode())
            elif isinstance(value, dict):
                stack.extend(value.values())
            elif isinstance(value, list):
                stack.extend(value)
    if not payloads:
        pytest.skip(f"no order book payload in {folder}")
    return payloads


def test_every_captured_book_decodes_lazily_to_the_eager_values():
    for data in _fixture_books():
        try:
            eager = _exact(data)
        except DecodeError:
            with pytest.raises(DecodeError):
                converter.order_book_from_payload(data, "BTC/USD", "0.01")
            continue
        _assert_same(converter.order_book_from_payload(data, "BTC/USD", "0.01"), eager)


# -- generated payloads -----------------------------------------------------------------

_digits = st.text("0123456789", min_size=1, max_size=12)
_decimal_text = st.builds(lambda whole, fraction: whole if fraction is None else f"{whole}.{fraction}",
                          _digits, st.none() | _digits | st.just(""))  # "12." too: Decimal reads it
_level = st.builds(
    lambda amount, price, quantity: ({} if amount is None else {"amount": amount}) |
    {"limitPrice": price, "quantity": quantity},
    st.none() | _decimal_text, _decimal_text, _decimal_text)
_book = st.builds(
    lambda asks, bids, limit_size, step, symbol, timestamp: {
        "asks": asks, "bids": bids, "limitSize": limit_size, "step": step, "symbol": symbol, "timestamp": timestamp},
    st.lists(_level, max_size=16), st.lists(_level, max_size=16), st.integers(0, 10**14 - 1),
    st.sampled_from([step.value for step in OrderBookStep] + ["0.5", "10"]),
    st.sampled_from(["BTC/USD", "ETC/BTC", "X1/Y2"]), st.integers(0, 10**14 - 1))


@PROPERTY
@given(_book)
@example({"asks": [], "bids": [], "limitSize": 0, "step": "0.01", "symbol": "BTC/USD", "timestamp": 0})
def test_generated_books_in_the_brokers_form_are_lazy_and_equal(payload: dict[str, Any]):
    data = json.dumps(payload, separators=(",", ":")).encode()
    book = converter.order_book_from_payload(MqttFrame.publish(ORDER_BOOK_TOPIC, data), "BTC/USD", "0.01")
    assert _is_lazy(book)
    _assert_same(book, _exact(data))
    _assert_same_raw(data)


def _assert_same_raw(data: bytes) -> None:
    """Raw delivery's parse of the payload (of the frame the transport makes) is the exact one, types included."""
    try:
        exact = json.loads(data, parse_float=Decimal)
    except ValueError:
        with pytest.raises(DecodeError):
            converter.loads(MqttFrame.publish(ORDER_BOOK_TOPIC, data))
        return
    assert repr(converter.loads(MqttFrame.publish(ORDER_BOOK_TOPIC, data))) == repr(exact)


def _variants(payload: dict[str, Any]) -> list[bytes]:
    """The same book in forms the check refuses: spaces, another key order, JSON numbers, a float."""
    reordered = dict(reversed(list(payload.items())))
    numbers = dict(payload, asks=[{"limitPrice": 7, "quantity": 1}] + payload["asks"])
    compact = {"separators": (",", ":")}
    return [json.dumps(payload).encode(), json.dumps(reordered, **compact).encode(),  # type: ignore[arg-type]
            json.dumps(numbers, **compact).encode(),  # type: ignore[arg-type]
            json.dumps(dict(payload, limitSize=1.5), **compact).encode(),  # type: ignore[arg-type]
            json.dumps(dict(payload, timestamp=2 * 10**14), **compact).encode()]  # type: ignore[arg-type]


@PROPERTY
@given(_book)
def test_other_forms_are_decoded_at_once_as_before(payload: dict[str, Any]):
    for data in _variants(payload):
        book = converter.order_book_from_payload(data, "BTC/USD", "0.01")
        assert not _is_lazy(book)
        _assert_same(book, _exact(data))
        _assert_same_raw(data)


@PROPERTY
@given(_book, st.data())
def test_a_mutated_payload_is_lazy_only_when_its_decoding_cannot_fail(payload: dict[str, Any], data: st.DataObject):
    text = bytearray(json.dumps(payload, separators=(",", ":")).encode())
    for _ in range(data.draw(st.integers(1, 3))):
        index = data.draw(st.integers(0, len(text) - 1))
        text[index] = data.draw(st.sampled_from(b'0123456789.,:"{}[]-eE \\aZ\xff'))
    mutated = bytes(text)
    _assert_same_raw(mutated)
    try:
        eager = _exact(mutated)
    except DecodeError:
        with pytest.raises(DecodeError):  # on the reader, as before: the frame is logged and skipped
            converter.order_book_from_payload(mutated, "BTC/USD", "0.01")
        return
    _assert_same(converter.order_book_from_payload(mutated, "BTC/USD", "0.01"), eager)


@pytest.mark.parametrize("data", [
    b'{"asks":[{"limitPrice":"1.5","quantity":"x"}],"bids":[],"limitSize":15,"step":"0.01","symbol":"BTC/USD",'
    b'"timestamp":1}',
    b'{"asks":[{"limitPrice":"1.5"}],"bids":[],"limitSize":15,"step":"0.01","symbol":"BTC/USD","timestamp":1}',
    b'{"asks":[],"bids":[],"limitSize":15,"step":"0.01","symbol":"BTC/USD","timestamp":99999999999999999}',
    b'{"asks":[],"bids":[]',
    b'{"asks": [{"limitPrice": "1.5", "quantity": "0,5"}], "bids": [], "symbol": "BTC/USD"}',  # one text, two numbers
])
def test_the_protocol_still_raises_decode_error_for_a_malformed_book(data: bytes):
    with pytest.raises(DecodeError):
        CoinsuperProtocol().receive(MqttFrame.publish(ORDER_BOOK_TOPIC, data))


# -- the lazy snapshot as a model ---------------------------------------------------------


def _lazy() -> OrderBookSnapshot:
    book = converter.order_book_from_payload(COMPACT_SAMPLE, "BTC/USD", "0.01")
    assert _is_lazy(book)
    return book


def test_each_field_read_first_gives_the_eager_value():
    eager = _exact(COMPACT_SAMPLE)
    for name in FIELDS:
        assert getattr(_lazy(), name) == getattr(eager, name)
    assert _lazy().best_bid == eager.bids[0] and _lazy().best_ask == eager.asks[0]
    assert _lazy() == eager and hash(_lazy()) == hash(eager) and repr(_lazy()) == repr(eager)


def test_the_lazy_snapshot_is_frozen_and_works_with_attrs_pickle_and_copy():
    eager = _exact(COMPACT_SAMPLE)
    book = _lazy()
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        book.symbol = "ETH/USD"  # type: ignore[misc]
    assert type(book).__name__ == "OrderBookSnapshot" and attrs.has(type(book))
    assert [field.name for field in attrs.fields(type(book))] == FIELDS
    assert attrs.asdict(_lazy(), recurse=False) == attrs.asdict(eager, recurse=False)
    assert attrs.evolve(_lazy(), symbol="ETH/USD") == attrs.evolve(eager, symbol="ETH/USD")
    for clone in (pickle.loads(pickle.dumps(_lazy())), copy.copy(_lazy()), copy.deepcopy(_lazy())):
        assert type(clone) is OrderBookSnapshot and clone == eager
    with pytest.raises(AttributeError):
        _lazy().no_such_field  # noqa: B018
    assert _lazy() != attrs.evolve(eager, bids=(Level(Decimal(1), Decimal(1)),))


def test_two_threads_reading_a_fresh_snapshot_see_equal_values():
    eager = _exact(COMPACT_SAMPLE)
    for _ in range(20):
        book = _lazy()
        start = threading.Barrier(2)
        seen: list[Any] = []

        def read(book: OrderBookSnapshot = book, start: threading.Barrier = start) -> None:
            start.wait(timeout(5))
            seen.append((book.asks, book.bids, book.time, book.symbol))

        threads = [threading.Thread(target=read) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout(5))
        assert seen == [(eager.asks, eager.bids, eager.time, eager.symbol)] * 2
