"""OKX v5 order book maintenance: the ``seqId`` chain and the CRC32 checksum.

The rules of OKX's order book channel (https://www.okx.com/docs-v5/en/#order-book-trading-market-data-ws-order-book-channel,
"Sequence ID" and "Checksum"):

1. A snapshot replaces the book; an update sets each listed level (size ``"0"``
   deletes it); after each message each side is cut to the channel's depth.
2. An update is in order iff its ``prevSeqId`` equals the last ``seqId`` applied.
   Two exceptions follow the rule too: the keep-alive update (no levels,
   ``prevSeqId == seqId``) and the reset after maintenance (``seqId`` smaller than
   ``prevSeqId``, ``prevSeqId`` still the last id). Anything else is a lost message:
   :class:`exwire.watcher.SequenceGap`. Books without sequence ids (older servers)
   rely on the checksum alone.
3. The checksum: after applying a message take the best 25 bids and asks, build
   ``bid1price:bid1size:ask1price:ask1size:bid2...`` (interleaved, bid first; when a
   side runs out the other's levels follow), each number as its wire string, and take
   the CRC32 (IEEE) as a signed 32-bit integer. OKX sends 0 for "not provided" (since
   2026): such a message is neither verified nor a mismatch.

Like :class:`exwire.orderbook.OrderBook` itself, nothing here is thread-safe: the
watcher locks around it.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from decimal import Decimal

from exwire.okx.models import OrderBookUpdate
from exwire.orderbook import OrderBook
from exwire.watcher import SequenceGap

__all__ = ["BookSequence", "apply", "checksum", "checksum_of_strings", "CHECKSUM_LEVELS"]

#: Levels per side that enter the checksum.
CHECKSUM_LEVELS = 25


def _wire(number: Decimal) -> str:
    # The Decimal keeps the wire exponent; str() switches to exponent notation for tiny
    # sizes ("6.2E-7" for "0.00000062"), where format "f" gives the wire string back.
    text = str(number)
    return text if "E" not in text else format(number, "f")


def checksum_of_strings(bids: Sequence[tuple[str, str]], asks: Sequence[tuple[str, str]]) -> int:
    """OKX's checksum of wire levels ``(price, size)``, each side best first (top 25 used).

    Returns:
        The CRC32 as a signed 32-bit integer.
    """
    bids, asks = bids[:CHECKSUM_LEVELS], asks[:CHECKSUM_LEVELS]
    parts: list[str] = []
    for index in range(max(len(bids), len(asks))):
        if index < len(bids):
            parts.extend(bids[index])
        if index < len(asks):
            parts.extend(asks[index])
    crc = zlib.crc32(":".join(parts).encode("ascii"))
    return crc - (1 << 32) if crc >= 1 << 31 else crc


def _strings(levels: Iterable[tuple[Decimal, Decimal]]) -> list[tuple[str, str]]:
    return [(_wire(price), _wire(quantity)) for price, quantity in levels]


def checksum(book: OrderBook) -> int:
    """OKX's checksum of ``book`` (its best 25 levels per side), a signed 32-bit integer."""
    return checksum_of_strings(_strings(book.bid_items(CHECKSUM_LEVELS)), _strings(book.ask_items(CHECKSUM_LEVELS)))


def apply(book: OrderBook, update: OrderBookUpdate) -> int | None:
    """Apply one snapshot or update to ``book`` (no sequence check), then cut it to its depth.

    Returns:
        The checksum OKX sent, or ``None`` when it sent 0 or none.
    """
    if update.is_snapshot:
        book.clear()
    book.apply_levels(update.bids, update.asks)
    return update.checksum


class BookSequence:
    """The ``seqId`` chain of one book subscription: :meth:`apply` checks, then applies.

    Not thread-safe (one per watcher, called under its lock).
    """

    __slots__ = ("last",)

    def __init__(self) -> None:
        #: the last ``seqId`` applied, or ``None`` (none yet, or the server sends none)
        self.last: int | None = None

    def apply(self, book: OrderBook, update: OrderBookUpdate) -> int | None:
        """Apply ``update`` if it follows the last one.

        Returns:
            The checksum OKX sent, or ``None`` when it sent 0 or none.

        Raises:
            SequenceGap: ``prevSeqId`` is not the last ``seqId`` applied (the book is unchanged).
        """
        if not update.is_snapshot and self.last is not None and update.previous_sequence is not None \
                and update.previous_sequence != self.last:
            raise SequenceGap(f"prevSeqId {update.previous_sequence} does not follow seqId {self.last}")
        result = apply(book, update)
        if update.sequence is not None:
            self.last = update.sequence
        return result
