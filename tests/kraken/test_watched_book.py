"""A watched Kraken book's updates: decoded to (price, quantity) pairs on receipt, applied from them.

``converter.watched_book_from_wire`` (what the protocol uses for a book a watcher maintains)
keeps each level's decoded price and quantity and builds the models only when the update is
read; the watcher applies the pairs (``kraken_book.apply_pairs``). These tests hold it to the
models' path on every message of every fixture: the same update when read, the same book
(price and quantity ``Decimal`` digits included), the same checksum state and checksums.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from exwire.errors import DecodeError
from exwire.kraken import book as kraken_book
from exwire.kraken import converter
from exwire.kraken.models import BookUpdate
from exwire.orderbook import OrderBook
from tests.kraken.test_book import EPOCH_TIME, load_cryptofeed, load_python_kraken_sdk

#: The Kraken fixtures that hold book messages (ws.48.0 and ws.49.0 hold trades and tickers only).
CAPTURES = ("cryptofeed/KRAKEN.ws.50.0", "python-kraken-sdk")
LEVEL = ["5541.20000", "0.15850568", "1534614057.321597"]


def book_messages(capture: str) -> list[list[Any]]:
    if capture == "python-kraken-sdk":
        data = load_python_kraken_sdk()
        messages = data["init"] + data["updates"]
    else:
        messages = load_cryptofeed(capture)
    return [m for m in messages if isinstance(m, list) and len(m) >= 4 and str(m[-2]).startswith("book-")]


def digits(book: OrderBook) -> tuple[list[Any], list[Any]]:
    """Both sides with each Decimal's exact digits and exponent."""
    return ([(lv.price.as_tuple(), lv.quantity.as_tuple()) for lv in book.bids()],
            [(lv.price.as_tuple(), lv.quantity.as_tuple()) for lv in book.asks()])


def touched(book: OrderBook, update: BookUpdate) -> list[Any]:
    """The book's exact quantity at every price ``update`` names, its top 10 per side, its sizes."""
    def exact(items: list[tuple[Decimal, Decimal]]) -> list[Any]:
        return [(price.as_tuple(), quantity.as_tuple()) for price, quantity in items]
    asks, bids = dict(book.ask_items()), dict(book.bid_items())
    named = [(side.get(level.price, Decimal(0)).as_tuple()) for side, levels in ((asks, update.asks), (bids, update.bids))
             for level in levels]
    return [named, exact(book.ask_items(10)), exact(book.bid_items(10)), book.ask_count, book.bid_count]


def level_fields(update: BookUpdate) -> list[Any]:
    return [(lv.price.as_tuple(), lv.quantity.as_tuple(), lv.time, lv.republished)
            for lv in (*update.asks, *update.bids)]


@pytest.mark.parametrize("capture", CAPTURES)
def test_every_watched_message_keeps_the_pairs_of_its_eager_decoding_and_reads_as_it(capture):
    kept = 0
    for message in book_messages(capture):
        payloads = message[1:-2]
        eager_snapshot, eager = converter.book_from_wire(payloads, lazy=False)
        is_snapshot, update = converter.watched_book_from_wire(payloads)
        assert is_snapshot == eager_snapshot
        wire = converter.watched_book_levels(update)
        if wire is None:  # an unusual time, ...: decoded at once
            assert type(update) is BookUpdate and update == eager
            continue
        kept += 1
        assert type(update) is not BookUpdate and isinstance(update, BookUpdate)
        _, asks, bids, checksum, snapshot = wire
        assert snapshot == eager.is_snapshot and checksum == eager.checksum
        assert [(p.as_tuple(), q.as_tuple()) for p, q in asks] == \
            [(lv.price.as_tuple(), lv.quantity.as_tuple()) for lv in eager.asks]
        assert [(p.as_tuple(), q.as_tuple()) for p, q in bids] == \
            [(lv.price.as_tuple(), lv.quantity.as_tuple()) for lv in eager.bids]
        # Read (another subscriber of the same book): the models as book_from_wire builds them.
        assert level_fields(update) == level_fields(eager)
        assert update.checksum == eager.checksum and update.is_snapshot == eager.is_snapshot
        assert update == eager and eager == update and repr(update) == repr(eager)
        assert converter.watched_book_levels(update) is None  # read: the models are what to apply
    assert kept > 900


@pytest.mark.parametrize("capture", CAPTURES)
def test_applying_the_kept_pairs_equals_applying_the_decoded_levels_on_every_message(capture):
    model_books: dict[str, OrderBook] = {}
    pair_books: dict[str, OrderBook] = {}
    apply_books: dict[str, OrderBook] = {}
    verified = 0
    for message in book_messages(capture):
        pair, depth = message[-1], int(message[-2].partition("-")[2])
        for books in (model_books, pair_books, apply_books):
            books.setdefault(pair, OrderBook(depth))
        _, eager = converter.book_from_wire(message[1:-2], lazy=False)
        kraken_book.apply(model_books[pair], eager)
        expected = kraken_book.apply_update(pair_books[pair], converter.watched_book_from_wire(message[1:-2])[1])
        assert expected == eager.checksum
        kraken_book.apply(apply_books[pair], converter.watched_book_from_wire(message[1:-2])[1])
        # Every level the message names, the top of both sides and the sizes, exactly (digits
        # and exponents); the whole book after every snapshot and at the end.
        model = touched(model_books[pair], eager)
        for books in (pair_books, apply_books):
            assert touched(books[pair], eager) == model
            if eager.is_snapshot:
                assert digits(books[pair]) == digits(model_books[pair])
        for books in (model_books, pair_books, apply_books):
            assert books[pair].update_count == model_books[pair].update_count
        if expected is not None:
            sums = {kraken_book.checksum(books[pair]) for books in (model_books, pair_books, apply_books)}
            assert sums == {expected}
            verified += 1
            states = [books[pair].memo[kraken_book._TOP][:3] for books in (model_books, pair_books, apply_books)]
            assert states[0] == states[1] == states[2]
    assert verified > 900
    for pair, model_book in model_books.items():
        assert digits(pair_books[pair]) == digits(apply_books[pair]) == digits(model_book)


def test_a_watched_update_read_before_the_watcher_applies_it_is_applied_from_its_models():
    book, model = OrderBook(10), OrderBook(10)
    snapshot = [{"as": [["10.0", "1", EPOCH_TIME]], "bs": [["9.0", "1", EPOCH_TIME]]}]
    for target in (book, model):
        kraken_book.apply_update(target, converter.watched_book_from_wire(snapshot)[1])
    _, update = converter.watched_book_from_wire([{"a": [["10.5", "2.0", EPOCH_TIME]], "c": "77"}])
    assert update.asks[0].price == Decimal("10.5")  # read first (another subscriber's callback)
    assert kraken_book.apply_update(book, update) == 77
    kraken_book.apply(model, converter.book_from_wire([{"a": [["10.5", "2.0", EPOCH_TIME]], "c": "77"}],
                                                      lazy=False)[1])
    assert digits(book) == digits(model)


@pytest.mark.parametrize("payloads", [
    [{"a": [[*LEVEL, "r"]], "c": "1234"}],  # republished: four elements (kept)
    [{"a": [[*LEVEL, "x", "y"]], "c": "1234"}],  # five elements: read as _book_levels reads them (kept)
    [{"a": [["5541.2", "0.1", 1534614057.5]], "c": "1"}],  # a numeric time
    [{"a": [["5541.2", "0.1", "15346140570.5"]], "c": "1"}],  # 11 digits of seconds
    [{"a": [["5541.2", "0.1", ".5"]], "c": "1"}],
    [{"a": [["5541.2", "0.1", "1534614057.5x"]], "c": "1"}],  # converted at once, and refused
    [{"a": [LEVEL], "c": "x"}],
    [{"a": [["x", *LEVEL[1:]]], "c": "1"}],
    [{"a": [[LEVEL[0], "y", LEVEL[2]]], "c": "1"}],
    [{"a": [LEVEL[:2]], "c": "1"}],
    [{"a": 5, "c": "1"}],
    [{"a": (tuple(LEVEL),), "c": "1"}],
    [{"unknown": 1}],
    [["not", "an", "object"]],
    # One object of two keys (decoded in fewer steps when one side and the checksum):
    [{"b": [LEVEL, [LEVEL[0], "0.00000000", LEVEL[2]], LEVEL], "c": "5"}],  # a price repeated
    [{"a": [LEVEL], "c": None}],  # a null checksum: none
    [{"a": None, "c": "1"}],  # a null side
    [{"a": [LEVEL], "b": [LEVEL]}],  # two sides, no checksum
    [{"c": "1", "a": [LEVEL]}],  # the checksum first
    [{"a": [LEVEL], "x": "1"}],  # an unknown key
    [{"a": [[LEVEL[0], 5, LEVEL[2]]], "c": "1"}],  # a numeric quantity
    [{"a": [[LEVEL[0], ["0.1"], LEVEL[2]]], "c": "1"}],  # an unhashable quantity
    [{"a": [[LEVEL[0], "1e-7", LEVEL[2]]], "c": "1"}],  # an exponent
    [{"a": [LEVEL], "c": 12.5}],  # a float checksum: int() of it, as book_from_wire
    [{"a": [LEVEL] * 17, "c": "1"}],  # longer than the short path takes
    *([{"b": [["5541.2", "0.1", time]], "c": "1"}] for time in (  # times at the edges of the kept shape
        "1534614057", "1534614057.", "153461405", "15346140570", "15346140570.5", ".5", "", ".", "1534614057.5.5",
        "1534614057,5", "15346 4057.5", "+534614057.5", "1534614057.-5", "\u0661534614057.5", "1534614057.\u0665")),
    [{"a": None, "b": [LEVEL], "c": 12}],
    [{"a": [["5.5e3", *LEVEL[1:]]], "c": "1"}],
])
def test_a_message_outside_the_usual_shape_is_decoded_at_once_as_book_from_wire_does(payloads):
    try:
        expected = converter.book_from_wire(payloads, lazy=False)
    except DecodeError:
        with pytest.raises(DecodeError):
            converter.watched_book_from_wire(payloads)
        return
    is_snapshot, update = converter.watched_book_from_wire(payloads)
    if converter.watched_book_levels(update) is None:
        assert type(update) is BookUpdate
    assert (is_snapshot, update) == expected
    assert level_fields(update) == level_fields(expected[1])


def long_side(*odd: Any) -> list[Any]:
    """Twenty levels (decoded column by column) with ``odd`` levels in the middle."""
    levels = [[f"{5541 + index}.20000", f"0.{index + 1}", LEVEL[2]] for index in range(20)]
    return [*levels[:10], *odd, *levels[10:]]


@pytest.mark.parametrize("side", [
    long_side(),
    long_side([*LEVEL, "r"]),  # republished: read as three elements
    long_side(["5541.2", "0.1", 1534614057.5]),  # a numeric time: decoded at once
    long_side(["5541.2", "0.1", "15346140570.5"]),  # 11 digits of seconds: decoded at once
    long_side(["5541.2", "0.1", "1534614057.5x"]),  # refused
    long_side(["x", "0.1", LEVEL[2]]),  # refused
    long_side(["5541.2", "y", LEVEL[2]]),  # refused
    long_side(LEVEL[:2]),  # refused
    long_side(["0", "0.5", LEVEL[2]], ["0.0", "0", LEVEL[2]]),  # zero prices and quantities
    long_side(["5541.2", "0.1", "1534614057"]),  # no fraction
    long_side(["5541.2", "0.1", "1534614057."]),
    long_side(["5541.2", "0.1", "\u0661534614057.5"]),  # a non-ASCII digit: kept by the level-by-level checks
])
@pytest.mark.parametrize("key", ["a", "as"])
def test_a_long_side_decodes_column_by_column_as_book_from_wire_does(side, key):
    payloads: list[Any] = [{key: side, "c": "5"} if key == "a" else {key: side, "bs": long_side()}]
    test_a_message_outside_the_usual_shape_is_decoded_at_once_as_book_from_wire_does(payloads)
    try:
        _, expected = converter.book_from_wire(payloads, lazy=False)
    except DecodeError:
        return
    _, update = converter.watched_book_from_wire(payloads)
    wire = converter.watched_book_levels(update)
    if wire is not None:
        assert [(p.as_tuple(), q.as_tuple()) for p, q in wire[1]] == \
            [(lv.price.as_tuple(), lv.quantity.as_tuple()) for lv in expected.asks]
        assert [(p.as_tuple(), q.as_tuple()) for p, q in wire[2]] == \
            [(lv.price.as_tuple(), lv.quantity.as_tuple()) for lv in expected.bids]


def test_the_protocol_keeps_the_pairs_of_a_watched_book_only():
    from exwire.kraken.protocol import KrakenProtocol
    from exwire.models import UpdateType

    frame = json.dumps([336, {"a": [LEVEL], "c": "974942666"}, "book-10", "XBT/USD"])
    protocol = KrakenProtocol()
    (unwatched,) = protocol.receive(frame)
    assert converter.watched_book_levels(unwatched.data) is None
    protocol.watched.add(("book-10", "XBT/USD"))
    (watched,) = protocol.receive(frame)
    wire = converter.watched_book_levels(watched.data)
    assert wire is not None and wire[3] == 974942666 and wire[1] == [(Decimal(LEVEL[0]), Decimal(LEVEL[1]))]
    assert watched.update_type is UpdateType.UPDATE
    assert watched.data == unwatched.data and watched.update_type == unwatched.update_type
    snapshot = json.dumps([336, {"as": [LEVEL], "bs": []}, "book-10", "XBT/USD"])
    (first,) = protocol.receive(snapshot)
    assert first.update_type is UpdateType.SNAPSHOT and converter.watched_book_levels(first.data) is not None


def test_watched_quantities_are_decoded_once_per_text_and_keep_their_exponent(monkeypatch):
    monkeypatch.setattr(converter, "_QUANTITIES", {})
    first = converter.watched_book_from_wire([{"a": [["5541.2", "0.50000000", EPOCH_TIME]], "c": "1"}])[1]
    again = converter.watched_book_from_wire([{"b": [["5540.1", "0.50000000", EPOCH_TIME]], "c": "2"}])[1]
    other = converter.watched_book_from_wire([{"b": [["5540.1", "0.5", EPOCH_TIME]], "c": "3"}])[1]
    quantity = converter.watched_book_levels(first)[1][0][1]
    assert converter.watched_book_levels(again)[2][0][1] is quantity
    assert str(quantity) == "0.50000000"
    assert str(converter.watched_book_levels(other)[2][0][1]) == "0.5"
    monkeypatch.setattr(converter, "_PRICES_LIMIT", 3)
    for index in range(10):
        converter.watched_book_from_wire([{"a": [["5541.2", f"0.{index + 1}", EPOCH_TIME]], "c": "1"}])
    assert 0 < len(converter._QUANTITIES) <= 3  # full: it started afresh


def test_a_price_deleted_and_added_again_with_another_exponent_checksums_with_its_new_digits():
    book = OrderBook(100)
    asks = [(Decimal(f"{10 + index}.0"), Decimal("1.0")) for index in range(12)]
    bids = [(Decimal(f"{9 - index * 0.5}"), Decimal("2.0")) for index in range(12)]
    kraken_book.apply_pairs(book, asks, bids, snapshot=True)
    kraken_book.checksum(book)
    for changes in ([(Decimal("10.0"), Decimal("0"))], [(Decimal("10.00"), Decimal("3.0"))],
                    [(Decimal("10.00"), Decimal("3.00"))], [(Decimal("11.0"), Decimal("5"))]):
        kraken_book.apply_pairs(book, changes, [], snapshot=False)
        fresh = OrderBook(100)
        fresh.load(book.bid_items(), book.ask_items())
        assert kraken_book.checksum(book) == kraken_book.checksum(fresh)
    assert str(book.asks(1)[0].price) == "10.00"
