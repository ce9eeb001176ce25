"""Received order book snapshots build their ``Level`` objects on first read: the lazily
built sides equal the eagerly built ones on every sample, and the model behaves as the
eager attrs model does (frozen, equality, hash, repr, evolve, pickle, best levels)."""

from __future__ import annotations

import json
import pickle
import random
import threading
from decimal import Decimal

import attrs
import pytest

from exwire.coinsuper import converter
from exwire.coinsuper.models import OrderBookSnapshot
from exwire.coinsuper.protocol import CoinsuperProtocol, MqttFrame
from exwire.errors import DecodeError
from exwire.models import Level
from tests.coinsuper.samples import ORDER_BOOK, ORDER_BOOK_TOPIC


def _generated_books(count: int = 50) -> list[dict]:
    rng = random.Random(16)
    books = []
    for number in range(count):
        side = lambda: [{"amount": "0.00", "limitPrice": f"{rng.randrange(1, 10**7) / 100:.2f}",  # noqa: E731
                         "quantity": f"{rng.randrange(0, 10**6) / 10**4:.4f}"} for _ in range(rng.randrange(0, 16))]
        books.append({"asks": side(), "bids": side(), "limitSize": 15, "step": "0.01", "symbol": "BTC/USD",
                      "timestamp": 1532686075803 + number})
    books.append({"asks": [{"limitPrice": 7, "quantity": 0.5}], "bids": [{"limitPrice": "1E-8", "quantity": "0.10"}],
                  "symbol": "BTC/USD"})  # JSON numbers and exponents, as decimal_from_wire reads them
    return books


SAMPLES = [json.loads(ORDER_BOOK)] + _generated_books()


def _eager(payload: dict) -> OrderBookSnapshot:
    book = converter.order_book_from_wire(payload, "BTC/USD", "0.01")
    return OrderBookSnapshot(
        symbol=book.symbol, step=book.step, limit_size=book.limit_size, time=book.time,
        asks=tuple(Level(converter.decimal_from_wire(level["limitPrice"]), converter.decimal_from_wire(level["quantity"]))
                   for level in payload["asks"]),
        bids=tuple(Level(converter.decimal_from_wire(level["limitPrice"]), converter.decimal_from_wire(level["quantity"]))
                   for level in payload["bids"]),
    )


@pytest.mark.parametrize("payload", SAMPLES)
def test_lazy_sides_equal_the_eagerly_decoded_ones_digits_included(payload):
    eager = _eager(payload)
    lazy = converter.order_book_from_wire(payload, "BTC/USD", "0.01")
    assert lazy.best_bid == (eager.bids[0] if eager.bids else None)
    assert lazy.best_ask == (eager.asks[0] if eager.asks else None)
    assert lazy == eager and hash(lazy) == hash(eager) and repr(lazy) == repr(eager)
    assert [(repr(l.price), repr(l.quantity)) for l in lazy.asks + lazy.bids] == \
        [(repr(l.price), repr(l.quantity)) for l in eager.asks + eager.bids]
    assert type(lazy.asks) is tuple and lazy.asks is lazy.asks  # built once, then kept


def test_the_protocol_delivers_the_lazy_snapshot_equal_to_the_eager_one():
    (update,) = CoinsuperProtocol().receive(MqttFrame.publish(ORDER_BOOK_TOPIC, ORDER_BOOK.encode()))
    assert isinstance(update.data, OrderBookSnapshot)
    assert update.data == _eager(json.loads(ORDER_BOOK))


def test_a_received_snapshot_is_frozen_and_works_with_attrs_and_pickle():
    book = converter.order_book_from_wire(json.loads(ORDER_BOOK), "BTC/USD", "0.01")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        book.asks = ()  # type: ignore[misc]
    assert [field.name for field in attrs.fields(OrderBookSnapshot)] == \
        ["symbol", "step", "asks", "bids", "limit_size", "time"]
    assert attrs.evolve(book, symbol="ETH/USD").asks == book.asks
    assert pickle.loads(pickle.dumps(book)) == book
    assert attrs.asdict(book, recurse=False)["bids"] == book.bids


def test_a_snapshot_built_by_keyword_is_unchanged():
    level = Level(Decimal("1.0"), Decimal("2"))
    book = OrderBookSnapshot(symbol="BTC/USD", step="0.01", asks=(level,), bids=(), limit_size=None, time=None)
    assert book.asks == (level,) and book.bids == () and book.best_ask == level and book.best_bid is None


def test_reading_from_many_threads_gives_equal_sides():
    book = converter.order_book_from_wire(SAMPLES[1], "BTC/USD", "0.01")
    seen: list[tuple] = []
    barrier = threading.Barrier(8)

    def read() -> None:
        barrier.wait()
        seen.append(book.asks + book.bids)

    threads = [threading.Thread(target=read) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 8 and all(sides == seen[0] for sides in seen)


@pytest.mark.parametrize("level", [{"limitPrice": "x", "quantity": "1"}, {"limitPrice": "1"}, [1, 2],
                                   {"limitPrice": None, "quantity": "1"}, {"limitPrice": "1", "quantity": True}])
def test_a_malformed_level_is_still_a_decode_error_on_receipt(level):
    payload = {**json.loads(ORDER_BOOK), "bids": [level]}
    with pytest.raises(DecodeError):
        converter.order_book_from_wire(payload, "BTC/USD", "0.01")
    with pytest.raises(DecodeError):
        CoinsuperProtocol().receive(MqttFrame.publish(ORDER_BOOK_TOPIC, json.dumps(payload).encode()))
