"""OKX v5 book: the documented checksum vectors, the seqId chain rules, the watcher's gap
path and a replay of a real capture with every checksum verified."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

from exwire.models import DataEvent, Level, UpdateType
from exwire.okx import book as okx_book
from exwire.okx.book import BookSequence, checksum, checksum_of_strings
from exwire.okx.converter import book_from_wire
from exwire.okx.models import OrderBookUpdate
from exwire.orderbook import OrderBook
from exwire.watcher import OrderBookWatcher, SequenceGap
from tests.okx.fixtures import cryptofeed_frames

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _levels(*pairs: tuple[str, str]) -> tuple[Level, ...]:
    return tuple(Level(Decimal(p), Decimal(q)) for p, q in pairs)


def _update(prev: int | None, seq: int | None, *, snapshot: bool = False, bids: tuple[Level, ...] = (),
            asks: tuple[Level, ...] = (), checksum_value: int | None = None) -> OrderBookUpdate:
    return OrderBookUpdate(symbol="BTC-USDT", bids=bids, asks=asks, sequence=seq, previous_sequence=prev,
                           is_snapshot=snapshot, checksum=checksum_value)


def test_documented_checksum_example_1_interleaves_bid_first() -> None:
    assert checksum_of_strings([("3366.1", "7"), ("3366", "6")], [("3366.8", "9"), ("3368", "8")]) == -1881014294


def test_documented_checksum_example_2_appends_the_longer_side() -> None:
    assert checksum_of_strings([("3366.1", "7")], [("3366.8", "9"), ("3368", "8"), ("3372", "8")]) == 831078360


def test_checksum_of_a_book_uses_wire_strings_even_for_tiny_sizes() -> None:
    book = OrderBook(400)
    book.set_bid(Decimal("3366.1"), Decimal("0.00000001"))
    book.set_ask(Decimal("3366.8"), Decimal("9"))
    assert checksum(book) == checksum_of_strings([("3366.1", "0.00000001")], [("3366.8", "9")])


def test_checksum_takes_only_the_best_25_levels() -> None:
    book = OrderBook(400)
    for i in range(30):
        book.set_bid(Decimal(100 - i), Decimal(1))
        book.set_ask(Decimal(200 + i), Decimal(1))
    top = [(str(100 - i), "1") for i in range(25)], [(str(200 + i), "1") for i in range(25)]
    assert checksum(book) == checksum_of_strings(*top)


def test_the_sequence_chain_of_the_documented_example() -> None:
    """Snapshot (-1 → 10), update (10 → 15), no change (15 → 15), reset (15 → 3), update (3 → 5)."""
    book, chain = OrderBook(400), BookSequence()
    chain.apply(book, _update(-1, 10, snapshot=True, bids=_levels(("1", "1"))))
    chain.apply(book, _update(10, 15, asks=_levels(("2", "1"))))
    chain.apply(book, _update(15, 15))  # the empty keep-alive update
    chain.apply(book, _update(15, 3, bids=_levels(("1", "2"))))  # the reset after maintenance
    chain.apply(book, _update(3, 5, asks=_levels(("2", "0"))))
    assert chain.last == 5
    assert book.bids() == [Level(Decimal("1"), Decimal("2"))] and book.asks() == []


def test_a_gap_raises_before_touching_the_book() -> None:
    book, chain = OrderBook(400), BookSequence()
    chain.apply(book, _update(-1, 10, snapshot=True, bids=_levels(("1", "1"))))
    try:
        chain.apply(book, _update(12, 15, bids=_levels(("1", "9"))))
    except SequenceGap:
        pass
    else:
        raise AssertionError("a prevSeqId that does not follow must raise SequenceGap")
    assert book.bids() == [Level(Decimal("1"), Decimal("1"))] and chain.last == 10
    chain.apply(book, _update(-1, 20, snapshot=True))  # a new snapshot restarts the chain
    assert chain.last == 20


def test_books_without_sequence_ids_are_not_checked() -> None:
    book, chain = OrderBook(400), BookSequence()
    chain.apply(book, _update(None, None, snapshot=True))
    chain.apply(book, _update(None, None, bids=_levels(("1", "1"))))
    assert chain.last is None and book.best_bid == Level(Decimal("1"), Decimal("1"))


def _watcher() -> tuple[OrderBookWatcher, list[int]]:
    chain = BookSequence()
    resyncs: list[int] = []
    watcher = OrderBookWatcher(exchange="okx", symbol="BTC-USDT", depth=400, apply=chain.apply,
                               checksum=okx_book.checksum)
    watcher._resync = lambda: resyncs.append(1)
    return watcher, resyncs


def _event(update: OrderBookUpdate) -> DataEvent[OrderBookUpdate]:
    kind = UpdateType.SNAPSHOT if update.is_snapshot else UpdateType.UPDATE
    return DataEvent(update, "books:BTC-USDT", "BTC-USDT", NOW, kind)


def test_the_watcher_counts_a_gap_as_a_resync_not_a_checksum_mismatch() -> None:
    watcher, resyncs = _watcher()
    watcher._on_event(_event(_update(-1, 10, snapshot=True, bids=_levels(("1", "1")))))
    watcher._on_event(_event(_update(11, 12, bids=_levels(("1", "5")))))
    assert (watcher.resyncs, watcher.sequence_gaps, watcher.checksums_mismatched) == (1, 1, 0)
    assert resyncs == [1] and not watcher.synced
    watcher._on_event(_event(_update(12, 13)))  # skipped until the snapshot
    watcher._on_event(_event(_update(-1, 20, snapshot=True, bids=_levels(("1", "3")))))
    assert watcher.synced and watcher.best_bid == Level(Decimal("1"), Decimal("3"))
    assert watcher.updates_skipped == 1


def test_the_watcher_compares_non_zero_checksums_only() -> None:
    watcher, resyncs = _watcher()
    watcher._on_event(_event(_update(-1, 1, snapshot=True, bids=_levels(("3366.1", "7")))))
    good = checksum_of_strings([("3366.1", "7")], [("3366.8", "9")])
    watcher._on_event(_event(_update(1, 2, asks=_levels(("3366.8", "9")), checksum_value=good)))
    watcher._on_event(_event(_update(2, 3, asks=_levels(("3366.8", "8")), checksum_value=None)))  # 0: not given
    assert (watcher.checksums_verified, watcher.checksums_mismatched, watcher.resyncs) == (1, 0, 0)
    watcher._on_event(_event(_update(3, 4, asks=_levels(("3366.8", "7")), checksum_value=good)))  # corrupted
    assert (watcher.checksums_mismatched, watcher.resyncs, watcher.sequence_gaps) == (1, 1, 0)
    assert resyncs == [1]


def test_replay_of_the_cryptofeed_capture_verifies_290_of_290_checksums() -> None:
    books: dict[str, OrderBook] = {}
    matched = mismatched = snapshots = 0
    for frame in cryptofeed_frames("OKX.ws.1.0"):
        message = json.loads(frame)
        arg = message.get("arg", {})
        if arg.get("channel") != "books" or "data" not in message:
            continue
        symbol = arg["instId"]
        snapshot = message["action"] == "snapshot"
        snapshots += snapshot
        book = books.setdefault(symbol, OrderBook(400))
        for item in message["data"]:
            expected = okx_book.apply(book, book_from_wire(symbol, item, snapshot))
            assert expected is not None
            if checksum(book) == expected:
                matched += 1
            else:
                mismatched += 1
    assert (snapshots, matched, mismatched) == (3, 290, 0)
    assert set(books) == {"BTC-USD-220527", "UNI-USD-SWAP", "BTC-USDT"}
