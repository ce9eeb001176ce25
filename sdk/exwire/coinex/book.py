"""CoinEx v1 order book maintenance and CRC-32 checksum (:doc:`the CoinEx page </exchanges/coinex>` §5.6, §5.7).

1. A full message (a ``depth.query`` result or a ``depth.update`` with
   ``clean == true``) replaces the book; an incremental one sets each listed
   level to its new absolute quantity, ``"0"`` deleting it.
2. After the whole message each side is truncated to the subscribed ``limit``.
3. The checksum is the CRC-32 (IEEE, ``zlib.crc32``) of
   ``bid1_price:bid1_amount:…:ask1_price:ask1_amount:…`` over those levels, bids
   descending then asks ascending, each number as the exact wire string. CoinEx
   sends the unsigned value; the wiki calls it signed, so both sides are compared
   modulo 2**32.

Like :class:`exwire.orderbook.OrderBook` itself, these functions are not
thread-safe: callers lock around them.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from decimal import Decimal

from exwire.coinex.models import Depth
from exwire.orderbook import OrderBook

__all__ = ["apply", "checksum", "checksum_of_levels"]


def apply(book: OrderBook, depth: Depth) -> int | None:
    """Apply one full or incremental depth message to ``book``, then truncate it.

    Build the book with the subscribed limit (``OrderBook(depth=20)``) so the
    truncation matches CoinEx's window; otherwise checksums fail.

    Returns:
        The checksum CoinEx sent with the message, or ``None`` if it sent none.
    """
    if depth.is_full:
        book.clear()
    book.apply_levels(depth.bids, depth.asks)
    return depth.checksum


def _plain(number: Decimal) -> str:
    # str() keeps the wire exponent ("46300.00") and is fast; it switches to
    # exponent notation for tiny numbers ("1E-8"), where format "f" does not.
    text = str(number)
    return text if "E" not in text else format(number, "f")


def checksum(book: OrderBook) -> int:
    """CoinEx's checksum of every level ``book`` holds (truncate it to the limit first).

    Returns:
        The CRC-32 as an unsigned 32-bit integer, comparable to
        :attr:`exwire.coinex.models.Depth.checksum`.
    """
    parts = [_plain(number) for items in (book.bid_items(), book.ask_items()) for level in items for number in level]
    return zlib.crc32(":".join(parts).encode("ascii"))


def checksum_of_levels(bids: Iterable[Sequence[str]], asks: Iterable[Sequence[str]]) -> int:
    """CoinEx's checksum of wire levels ``[[price, amount], ...]``, bids best first then asks best first.

    Returns:
        The CRC-32 as an unsigned 32-bit integer.
    """
    parts = [text for levels in (bids, asks) for level in levels for text in (level[0], level[1])]
    return zlib.crc32(":".join(parts).encode("ascii"))
