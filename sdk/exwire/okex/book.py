"""OKEx v1 incremental order book maintenance (§5.2 of :doc:`the OKEx page </exchanges/okex>`).

The rule: the first push after a subscribe is the whole book (up to 200 levels
per side); later pushes list changed levels only: a zero quantity deletes the
level, a known price gets the new quantity, an unknown price is inserted. v1 has
no sequence numbers and no checksum, so nothing can be validated; a reconnect
(or a resubscription) brings a fresh whole book.

Like :class:`exwire.orderbook.OrderBook` itself, :func:`apply` is not
thread-safe: callers lock around it (``OrderBookWatcher`` does).
"""

from __future__ import annotations

from exwire.okex.models import BookUpdate
from exwire.orderbook import OrderBook

__all__ = ["apply", "BOOK_DEPTH"]

#: Levels per side of the incremental depth channel (§5.2).
BOOK_DEPTH = 200


def apply(book: OrderBook, update: BookUpdate) -> None:
    """Apply one whole book or one change set to ``book``, then cut it to its depth.

    Prices are ``Decimal`` keys compared by value, so ``"1E-8"`` and
    ``"0.00000001"`` name the same level (§5.2).

    Returns:
        ``None``: v1 sends no checksum to compare.
    """
    if update.is_snapshot:
        book.clear()
    book.apply_levels(update.bids, update.asks)
