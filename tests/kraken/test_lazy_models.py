"""Kraken tickers and trades decoded on first read equal the eagerly decoded models on every capture."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from exwire.errors import DecodeError
from exwire.kraken import converter
from exwire.kraken.models import BookUpdate, Ticker, Trade
from tests.helpers import assert_lazy_same
from tests.kraken.test_converter import load_cryptofeed, load_kraken_net

CAPTURES = ("cryptofeed/KRAKEN.ws.48.0", "cryptofeed/KRAKEN.ws.49.0", "cryptofeed/KRAKEN.ws.50.0")


def channel_payloads(name: str) -> list[Any]:
    """Every ``name`` channel payload of the Kraken fixtures (Kraken.Net samples and cryptofeed captures)."""
    payloads = []
    sample = {"ticker": "TickerUpdate.txt", "trade": "TradeUpdate.txt"}[name]
    messages = [load_kraken_net(sample)]
    for capture in CAPTURES:
        messages.extend(load_cryptofeed(capture))
    for message in messages:
        if isinstance(message, list) and len(message) == 4 and message[2] == name:
            payloads.append(message[1])
    return payloads


def assert_same(lazy: Any, eager: Any, model: type) -> None:
    assert_lazy_same(lazy, eager, model)


def test_every_captured_ticker_reads_as_its_eager_decoding():
    payloads = channel_payloads("ticker")
    assert len(payloads) >= 10
    for payload in payloads:
        assert_same(converter.ticker_from_wire(payload), converter._ticker(payload), Ticker)


def test_every_captured_trade_reads_as_its_eager_decoding():
    payloads = channel_payloads("trade")
    assert len(payloads) >= 2
    for payload in payloads:
        lazy = converter.trades_from_wire(payload)
        eager = [converter._trade_now(item) for item in payload]
        assert len(lazy) == len(eager) == len(payload)
        for one, other in zip(lazy, eager, strict=True):
            assert_same(one, other, Trade)


def test_a_ticker_outside_the_documented_shape_is_decoded_on_receipt():
    payload = channel_payloads("ticker")[0]
    exotic = {**payload, "c": ["5.5e3", payload["c"][1]]}  # Decimal reads it; the check does not
    ticker = converter.ticker_from_wire(exotic)
    assert type(ticker) is Ticker and ticker.last_price == Decimal("5.5e3")
    with pytest.raises(DecodeError):
        converter.ticker_from_wire({**payload, "a": ["not a price", 1, "1.0"]})
    with pytest.raises(DecodeError):
        converter.ticker_from_wire({**payload, "t": ["x", 1]})


def test_a_trade_outside_the_documented_shape_is_decoded_on_receipt():
    item = channel_payloads("trade")[0][0]
    assert type(converter.trades_from_wire([[*item[:2], 1534614057.5, *item[3:]]])[0]) is Trade
    with pytest.raises(DecodeError):
        converter.trades_from_wire([[item[0], item[1], "not a time", *item[3:]]])
    with pytest.raises(DecodeError):
        converter.trades_from_wire([[*item[:3], "x", *item[4:]]])
    with pytest.raises(DecodeError):
        converter.trades_from_wire([item[:3]])


def captured_book_payloads() -> list[Any]:
    payloads = []
    for capture in CAPTURES:
        for message in load_cryptofeed(capture):
            if isinstance(message, list) and len(message) >= 4 and str(message[-2]).startswith("book-"):
                payloads.append(message[1:-2])
    return payloads


def test_every_captured_book_update_reads_as_its_eager_decoding():
    lazy_count = 0
    for payload in captured_book_payloads():
        is_snapshot, update = converter.book_from_wire(payload)
        eager_snapshot, eager = converter._book_now(payload)
        assert is_snapshot == eager_snapshot
        if type(update) is BookUpdate:  # snapshots, republished levels: decoded at once
            assert update == eager
            continue
        lazy_count += 1
        assert not is_snapshot
        assert update.asks == eager.asks and update.bids == eager.bids
        assert [(level.price.as_tuple(), level.quantity.as_tuple(), level.time, level.republished)
                for level in (*update.asks, *update.bids)] == \
            [(level.price.as_tuple(), level.quantity.as_tuple(), level.time, level.republished)
             for level in (*eager.asks, *eager.bids)]
        assert update.checksum == eager.checksum and update == eager and eager == update
        assert repr(update) == repr(eager)
    assert lazy_count > 1000


def test_a_book_update_outside_the_usual_shape_is_decoded_on_receipt():
    level = ["5541.20000", "0.15850568", "1534614057.321597"]
    usual = converter.book_from_wire([{"a": [level], "c": "1234"}])[1]
    assert type(usual) is not BookUpdate and usual.asks[0].price == Decimal("5541.20000")
    for payload in ([{"a": [[*level, "r"]], "c": "1234"}], [{"a": [level], "c": 1234}],
                    [{"a": [["5.5e3", *level[1:]]], "c": "1"}], [{"as": [level], "bs": [], "c": "1"}],
                    [{"a": None, "b": [level], "c": "1"}]):
        assert type(converter.book_from_wire(payload)[1]) is BookUpdate, payload
    with pytest.raises(DecodeError):
        converter.book_from_wire([{"a": [["x", *level[1:]]], "c": "1"}])
    with pytest.raises(DecodeError):
        converter.book_from_wire([{"a": [[*level[:2], "later"]], "c": "1"}])
    with pytest.raises(DecodeError):
        converter.book_from_wire([{"a": 5, "c": "1"}])


def test_a_watched_book_keeps_its_decoded_pairs_and_an_unwatched_one_is_decoded_on_first_read():
    import json

    from exwire.kraken.protocol import KrakenProtocol

    frame = json.dumps([336, {"a": [["5541.20000", "0.15850568", "1534614057.321597"]], "c": "974942666"},
                        "book-10", "XBT/USD"])
    protocol = KrakenProtocol()
    (unwatched,) = protocol.receive(frame)
    assert type(unwatched.data) is not BookUpdate
    protocol.watched.add(("book-10", "XBT/USD"))
    (watched,) = protocol.receive(frame)  # the watcher applies its pairs; its models are built if read
    assert converter.watched_book_levels(watched.data) is not None
    assert converter.watched_book_levels(unwatched.data) is None
    assert watched.data == unwatched.data and watched.update_type == unwatched.update_type


def test_watch_order_book_marks_its_book_watched_on_the_connection():
    from exwire.kraken import KrakenClient
    from exwire.testing.kraken import KrakenEmulator
    from tests.conftest import timeout

    with KrakenEmulator(seed=3) as emulator, KrakenClient(**emulator.client_kwargs()) as client:
        with client.watch_order_book("XBT/USD", depth=10) as watcher:
            assert watcher.wait_synced(timeout(10))
            assert ("book-10", "XBT/USD") in client._public.protocol.watched
            assert watcher.subscription.inline == watcher._on_reader  # maintained where it is read
