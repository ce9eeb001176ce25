"""CoinEx book maintenance and CRC-32 checksum (reference/protocols/coinex.md §5.6, §5.7)."""

from __future__ import annotations

from decimal import Decimal

from exwire.coinex import book
from exwire.coinex.models import Depth
from exwire.models import Level
from exwire.orderbook import OrderBook


def levels(*pairs: tuple[str, str]) -> tuple[Level, ...]:
    return tuple(Level(price=Decimal(p), quantity=Decimal(a)) for p, a in pairs)


def depth(is_full: bool, asks: tuple[Level, ...], bids: tuple[Level, ...], checksum: int | None = None) -> Depth:
    return Depth(symbol="X", is_full=is_full, asks=asks, bids=bids, checksum=checksum)


def test_checksum_vector_of_the_document():
    assert book.checksum_of_levels([["12.25", "0.0588"]], [["12.94", "0.1524"]]) == 2022502848
    local = OrderBook(20)
    book.apply(local, depth(True, levels(("12.94", "0.1524")), levels(("12.25", "0.0588"))))
    assert book.checksum(local) == 2022502848


def test_checksum_without_bids_starts_with_asks():
    local = OrderBook(5)
    book.apply(local, depth(True, levels(("1.5", "2")), ()))
    assert book.checksum(local) == book.checksum_of_levels([], [["1.5", "2"]])


def test_checksum_keeps_wire_strings_including_tiny_numbers():
    local = OrderBook(5)
    book.apply(local, depth(True, levels(("0.00000010", "0.00000001")), levels(("0.00000009", "100.00"))))
    assert book.checksum(local) == book.checksum_of_levels([["0.00000009", "100.00"]],
                                                            [["0.00000010", "0.00000001"]])


def test_incremental_sets_absolute_amounts_deletes_zero_and_truncates():
    local = OrderBook(2)
    checksum = book.apply(local, depth(True, levels(("11", "1"), ("12", "1")),
                                       levels(("10", "1"), ("9", "1")), checksum=7))
    assert checksum == 7
    book.apply(local, depth(False, levels(("10.5", "3")), levels(("10", "0"), ("9.5", "2"), ("9.8", "4"))))
    assert local.asks() == list(levels(("10.5", "3"), ("11", "1")))
    assert local.bids() == list(levels(("9.8", "4"), ("9.5", "2")))  # 9 fell out of the top 2


def test_full_push_replaces_the_book():
    local = OrderBook(5)
    book.apply(local, depth(True, levels(("11", "1")), levels(("10", "1"))))
    book.apply(local, depth(True, levels(("21", "1")), ()))
    assert local.asks() == list(levels(("21", "1"))) and local.bids() == []
