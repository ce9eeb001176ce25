"""Kraken v1 order book maintenance and CRC32 checksum (§5.5 of :doc:`the Kraken page </exchanges/kraken>`).

The algorithm, verified against real captures (979 of 979 and 4,269 of 4,269
checksums match):

1. A snapshot replaces the book; an update changes the listed levels.
2. Levels are applied in wire order (the same price may repeat within one
   message: the last occurrence wins); a zero quantity deletes the level.
3. After the whole message, each side is truncated to the subscribed depth,
   because Kraken never sends deletes for levels that fall out of range.
4. The checksum is then computed over the top 10 levels per side and compared
   with the update's ``c``.

Like :class:`exwire.orderbook.OrderBook` itself, these functions are not
thread-safe: callers lock around them.
"""

from __future__ import annotations

import zlib

from exwire.kraken.models import BookUpdate
from exwire.orderbook import OrderBook

__all__ = ["apply", "checksum", "CHECKSUM_LEVELS"]

#: Levels per side that enter the checksum, whatever the subscribed depth (§5.5).
CHECKSUM_LEVELS = 10


def apply(book: OrderBook, update: BookUpdate) -> None:
    """Apply one snapshot or update to ``book``, then truncate it to its depth.

    A snapshot (``update.is_snapshot``) clears the book first. Build the book
    with the subscribed depth (``OrderBook(depth=10)`` for ``book-10``) so the
    truncation matches Kraken's window; otherwise checksums fail.

    Args:
        book: the local book of one pair; modified in place.
        update: the decoded message, from :func:`exwire.kraken.converter.book_from_wire`.
    """
    if update.is_snapshot:
        book.clear()
    set_ask = book.set_ask
    for level in update.asks:
        set_ask(level.price, level.quantity)
    set_bid = book.set_bid
    for level in update.bids:
        set_bid(level.price, level.quantity)
    book.truncate()


def checksum(book: OrderBook) -> int:
    """Compute Kraken's book checksum: CRC32 (unsigned) of the top 10 asks, then the top 10 bids.

    For each of the best 10 asks (ascending price), then the best 10 bids
    (descending price): the price, then the volume, each as its wire string with
    the ``.`` removed and leading ``0`` stripped, concatenated; the CRC-32
    (zlib, IEEE 802.3) of those ASCII bytes is the checksum (§5.5). Timestamps
    are not part of it.

    Returns:
        The checksum as an unsigned 32-bit integer, comparable to
        :attr:`~exwire.kraken.models.BookUpdate.checksum`.
    """
    # Each number is its wire string (the Decimal keeps its exponent) without "."
    # and without leading zeros: "0.00000500" -> "500", "27120.00000" -> "2712000000".
    # Written inline because it runs for every book update; str() is several times
    # faster than format(number, "f") and gives the same plain string unless it
    # switches to exponent notation (very small volumes, e.g. "5.0E-7").
    text = "".join(
        [
            (plain if "E" not in (plain := str(number)) else format(number, "f")).replace(".", "").lstrip("0")
            for items in (book.ask_items(CHECKSUM_LEVELS), book.bid_items(CHECKSUM_LEVELS))
            for level in items
            for number in level
        ]
    )
    return zlib.crc32(text.encode("ascii"))
