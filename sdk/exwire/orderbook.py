"""An exchange-neutral local order book: a pure data structure, no threads, no I/O.

Each side is a dict from price to quantity plus a list of the same prices kept
sorted with :mod:`bisect`, so one level change costs one dict operation and one
binary search (plus a list insert or delete), never a re-sort of the side.
Reading the best ``n`` levels is a slice. This stays fast at depth 1000 with
thousands of updates per second.

Exchange-specific maintenance rules (which message clears the book, when to
truncate, how to compute a checksum) live with each exchange, e.g.
:mod:`exwire.kraken.book`.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterable, Sequence
from decimal import Decimal
from operator import itemgetter
from typing import Any, Protocol

import attrs

from exwire.errors import ConfigurationError
from exwire.models import Level

__all__ = ["OrderBook", "BookSnapshot"]

_quantity = itemgetter(1)


@attrs.frozen
class BookSnapshot:
    """An immutable copy of an order book at one moment.

    Attributes:
        bids: bid levels, best (highest price) first.
        asks: ask levels, best (lowest price) first.
        update_count: the book's :attr:`OrderBook.update_count` when the copy was
            taken; two snapshots with the same count hold the same levels.
    """

    bids: tuple[Level, ...]
    asks: tuple[Level, ...]
    update_count: int



class PriceLevel(Protocol):
    """What :meth:`OrderBook.apply_levels` reads of a level: ``Level`` and the exchanges'
    level models (Kraken's ``BookLevel`` ...) all have it."""

    @property
    def price(self) -> Decimal: ...

    @property
    def quantity(self) -> Decimal: ...

class OrderBook:
    """Bids and asks keyed by price, best first, optionally cut to a depth.

    Prices are ``Decimal`` keys and keep their exponent: the ``Decimal`` of the
    first insertion of a price is the key stored (a later update with an equal
    price, e.g. ``Decimal("1.0")`` after ``Decimal("1.00")``, changes the quantity
    of that same level), so ``format(level.price, "f")`` reproduces the price
    string as the exchange sent it. Quantities are stored as given, with their
    exponent too. Checksums built from wire strings (§5.5 of :doc:`the Kraken page </exchanges/kraken>`) rely on this.

    Thread-safety: **not thread-safe.** An ``OrderBook`` is a plain data
    structure; callers that share one between threads must hold a lock around
    every mutation and every read (or hand out :meth:`snapshot` copies, which
    are immutable and safe to share).

    Args:
        depth: the number of levels per side kept by :meth:`truncate`; ``None``
            means unlimited. Mutations never truncate on their own, because
            exchanges apply a whole message before cutting to depth.

    Raises:
        ConfigurationError: when ``depth`` is not ``None`` or a positive integer.
    """

    __slots__ = ("_depth", "_bid_prices", "_bid_quantities", "_ask_prices", "_ask_quantities", "_update_count",
                 "memo", "_best_bid_level", "_best_ask_level")

    def __init__(self, depth: int | None = None) -> None:
        if depth is not None and (isinstance(depth, bool) or not isinstance(depth, int) or depth <= 0):
            raise ConfigurationError(f"depth must be a positive integer or None, got {depth!r}")
        self._depth = depth
        # Both price lists are sorted ascending: the best ask is the first
        # element, the best bid the last one.
        self._bid_prices: list[Decimal] = []
        self._bid_quantities: dict[Decimal, Decimal] = {}
        self._ask_prices: list[Decimal] = []
        self._ask_quantities: dict[Decimal, Decimal] = {}
        self._update_count = 0
        # The Level last returned by best_bid / best_ask, handed out again while the best
        # level's price and quantity are the very same objects (a Level is immutable).
        self._best_bid_level: Level | None = None
        self._best_ask_level: Level | None = None
        #: Scratch space for exchange modules' data derived from this book's levels (e.g.
        #: :func:`exwire.kraken.book.checksum`'s level texts and halves); the book itself never
        #: reads it, and :meth:`snapshot` does not copy it. Not thread-safe, like the book.
        self.memo: dict[str, Any] = {}

    @property
    def depth(self) -> int | None:
        """Levels per side kept by :meth:`truncate`, or ``None`` for unlimited."""
        return self._depth

    @property
    def update_count(self) -> int:
        """How many mutations were applied: each ``set_*`` and ``clear`` call,
        and each ``truncate`` that removed a level. Never decreases."""
        return self._update_count

    def clear(self) -> None:
        """Remove every level of both sides (e.g. before applying a new snapshot)."""
        self._bid_prices.clear()
        self._bid_quantities.clear()
        self._ask_prices.clear()
        self._ask_quantities.clear()
        self._update_count += 1

    def load(self, bids: Iterable[tuple[Decimal, Decimal]], asks: Iterable[tuple[Decimal, Decimal]]) -> None:
        """Replace both sides with these levels (a snapshot), in one step.

        The same as :meth:`clear` and then :meth:`set_bid` / :meth:`set_ask` for every
        level in order (a price listed twice keeps its first ``Decimal`` as the key and
        its last quantity; a zero quantity deletes), but sorts each side once instead
        of inserting level by level. Counts as one update in :attr:`update_count`.

        Args:
            bids: ``(price, quantity)`` pairs, in any order.
            asks: ``(price, quantity)`` pairs, in any order.
        """
        self._bid_prices, self._bid_quantities = _side(bids)
        self._ask_prices, self._ask_quantities = _side(asks)
        self._update_count += 1

    def set_bid(self, price: Decimal, quantity: Decimal) -> None:
        """Insert, replace or (with a zero ``quantity``) delete one bid level.

        Args:
            price: the level's price, in quote asset per unit of base asset.
            quantity: the new total quantity at that price, in base asset; zero
                (any exponent, e.g. ``Decimal("0.00000000")``) deletes the level,
                and deleting an absent level does nothing.
        """
        self._update_count += 1
        quantities = self._bid_quantities
        if quantity:
            if price not in quantities:
                insort(self._bid_prices, price)
            quantities[price] = quantity
        elif quantities.pop(price, None) is not None:
            prices = self._bid_prices
            del prices[bisect_left(prices, price)]

    def set_ask(self, price: Decimal, quantity: Decimal) -> None:
        """Insert, replace or (with a zero ``quantity``) delete one ask level.

        Args:
            price: the level's price, in quote asset per unit of base asset.
            quantity: the new total quantity at that price, in base asset; zero
                deletes the level, and deleting an absent level does nothing.
        """
        self._update_count += 1
        quantities = self._ask_quantities
        if quantity:
            if price not in quantities:
                insort(self._ask_prices, price)
            quantities[price] = quantity
        elif quantities.pop(price, None) is not None:
            prices = self._ask_prices
            del prices[bisect_left(prices, price)]

    def apply_levels(self, bids: Iterable[PriceLevel], asks: Iterable[PriceLevel]) -> None:
        """Apply one update's levels: :meth:`set_ask` for each ask, :meth:`set_bid` for each
        bid (a zero quantity deletes the level), then :meth:`truncate`.

        Args:
            bids: the changed bid levels (:class:`~exwire.Level` or any exchange level
                model with ``price`` and ``quantity``), in any order.
            asks: the changed ask levels, in any order.
        """
        set_ask = self.set_ask
        for level in asks:
            set_ask(level.price, level.quantity)
        set_bid = self.set_bid
        for level in bids:
            set_bid(level.price, level.quantity)
        self.truncate()

    def apply_pairs(self, bids: Sequence[tuple[Decimal, Decimal]], asks: Sequence[tuple[Decimal, Decimal]],
                    top: int | None = None) -> tuple[bool, bool]:
        """Apply one update's ``(price, quantity)`` pairs: the asks then the bids in order, as
        :meth:`set_ask` and :meth:`set_bid` each (a zero quantity deletes the level; one
        :attr:`update_count` per pair), then :meth:`truncate`.

        The same book and count as those calls, in one call, for hot paths (a book maintained
        from a stream). With ``top``, it also tells whether the update may have changed the
        best ``top`` levels of each side: a side is touched when one of its pairs is at or
        better than the side's ``top``-th best price as it was before the update, or when the
        side held fewer than ``top`` levels then (a side without pairs is never touched).

        Args:
            bids: the bid levels to set, as ``(price, quantity)`` pairs in wire order.
            asks: the ask levels to set, likewise.
            top: how many best levels per side to watch; ``None`` watches none.

        Returns:
            ``(asks_touched, bids_touched)``; both ``False`` without ``top``.

        Raises:
            ConfigurationError: ``top`` is not ``None`` or a positive integer.
        """
        if top is not None and (type(top) is not int or top <= 0):  # a bool is no count
            raise ConfigurationError(f"top must be a positive integer or None, got {top!r}")
        ask_touched = bid_touched = False
        if asks:
            prices = self._ask_prices
            if top is not None:  # min of the pairs: the lowest price (ties compare quantities)
                ask_touched = len(prices) < top or min(asks)[0] <= prices[top - 1]
            self._set_pairs(prices, self._ask_quantities, asks)
        if bids:
            prices = self._bid_prices
            if top is not None:
                bid_touched = len(prices) < top or max(bids)[0] >= prices[-top]
            self._set_pairs(prices, self._bid_quantities, bids)
        depth = self._depth
        if depth is not None and (len(self._ask_prices) > depth or len(self._bid_prices) > depth):
            self.truncate()
        return ask_touched, bid_touched

    def _set_pairs(self, prices: list[Decimal], quantities: dict[Decimal, Decimal],
                   pairs: Iterable[tuple[Decimal, Decimal]]) -> None:
        """One side's part of :meth:`apply_pairs`: :meth:`set_ask`/:meth:`set_bid` of each pair,
        written out once for both sides; the count is stored even when a pair fails."""
        count = self._update_count
        try:
            for price, quantity in pairs:
                count += 1
                if quantity:
                    if price not in quantities:
                        insort(prices, price)
                    quantities[price] = quantity
                elif quantities.pop(price, None) is not None:
                    del prices[bisect_left(prices, price)]
        finally:
            self._update_count = count

    def truncate(self) -> None:
        """Cut each side to :attr:`depth` levels, dropping the worst prices.

        Does nothing when ``depth`` is ``None``.
        """
        depth = self._depth
        if depth is None:
            return
        removed = False
        asks = self._ask_prices
        if len(asks) > depth:
            quantities = self._ask_quantities
            for price in asks[depth:]:
                del quantities[price]
            del asks[depth:]
            removed = True
        bids = self._bid_prices
        excess = len(bids) - depth
        if excess > 0:
            quantities = self._bid_quantities
            for price in bids[:excess]:
                del quantities[price]
            del bids[:excess]
            removed = True
        if removed:
            self._update_count += 1

    def bids(self, n: int | None = None) -> list[Level]:
        """Return the best ``n`` bid levels, highest price first.

        Args:
            n: how many levels; ``None`` means all of them.
        """
        quantities = self._bid_quantities
        return [Level(price, quantities[price]) for price in self._best_bid_prices(n)]

    def asks(self, n: int | None = None) -> list[Level]:
        """Return the best ``n`` ask levels, lowest price first.

        Args:
            n: how many levels; ``None`` means all of them.
        """
        quantities = self._ask_quantities
        return [Level(price, quantities[price]) for price in self._best_ask_prices(n)]

    def bid_items(self, n: int | None = None) -> list[tuple[Decimal, Decimal]]:
        """Like :meth:`bids` but as ``(price, quantity)`` tuples, for hot paths (checksums)."""
        quantities = self._bid_quantities
        return [(price, quantities[price]) for price in self._best_bid_prices(n)]

    def ask_items(self, n: int | None = None) -> list[tuple[Decimal, Decimal]]:
        """Like :meth:`asks` but as ``(price, quantity)`` tuples, for hot paths (checksums)."""
        quantities = self._ask_quantities
        return [(price, quantities[price]) for price in self._best_ask_prices(n)]

    def top(self, n: int) -> tuple[list[Decimal], dict[Decimal, Decimal], list[Decimal], dict[Decimal, Decimal]]:
        """The best ``n`` ask prices (lowest first) and bid prices (highest first), each with its
        side's price-to-quantity mapping, for hot paths (checksums). The mappings are the
        book's own: read them, never change them.
        """
        bids = self._bid_prices
        start = len(bids) - n
        return (self._ask_prices[:n], self._ask_quantities, bids[: start - 1 if start > 0 else None : -1],
                self._bid_quantities)

    def nth_best_prices(self, n: int) -> tuple[Decimal | None, Decimal | None]:
        """The ``n``-th best ask price and the ``n``-th best bid price (``n=1``: the best),
        each ``None`` while its side holds fewer than ``n`` levels.

        A change at a price worse than a side's ``n``-th best leaves that side's best ``n``
        levels as they were: exchange modules use it to tell whether an update touched
        what a checksum covers.

        Raises:
            ConfigurationError: ``n`` is not a positive integer.
        """
        if type(n) is not int or n <= 0:  # a bool is no count
            raise ConfigurationError(f"n must be a positive integer, got {n!r}")
        asks = self._ask_prices
        bids = self._bid_prices
        return asks[n - 1] if len(asks) >= n else None, bids[-n] if len(bids) >= n else None

    def _best_bid_prices(self, n: int | None) -> list[Decimal]:
        prices = self._bid_prices
        if n is None:
            return prices[::-1]
        if n < 0:
            raise ConfigurationError(f"n must be >= 0 or None, got {n!r}")
        # Walk the ascending list backwards from its end down to index ``start``.
        start = len(prices) - n
        return prices[: start - 1 if start > 0 else None : -1]

    def _best_ask_prices(self, n: int | None) -> list[Decimal]:
        if n is None:
            return self._ask_prices[:]
        if n < 0:
            raise ConfigurationError(f"n must be >= 0 or None, got {n!r}")
        return self._ask_prices[:n]

    def best_prices_and_quantities(self) -> tuple[Decimal | None, Decimal | None, Decimal | None, Decimal | None]:
        """``(best bid price, its quantity, best ask price, its quantity)``: prices in quote
        asset per unit of base asset, quantities in base asset, the book's own ``Decimal``
        objects; a side's pair is ``(None, None)`` while that side is empty. The top of book
        without :class:`~exwire.models.Level` models, for hot paths (a watched book gives it to ``latest`` once per burst of
        updates, and ``latest.top_of_book`` builds the models when it is read)."""
        bids, asks = self._bid_prices, self._ask_prices
        bid = bids[-1] if bids else None
        ask = asks[0] if asks else None
        return (bid, None if bid is None else self._bid_quantities[bid],
                ask, None if ask is None else self._ask_quantities[ask])

    @property
    def best_bid(self) -> Level | None:
        """The highest bid, or ``None`` when the bid side is empty."""
        prices = self._bid_prices
        if not prices:
            return None
        price = prices[-1]
        quantity = self._bid_quantities[price]
        level = self._best_bid_level
        if level is None or level.price is not price or level.quantity is not quantity:
            level = self._best_bid_level = Level(price, quantity)
        return level

    @property
    def best_ask(self) -> Level | None:
        """The lowest ask, or ``None`` when the ask side is empty."""
        prices = self._ask_prices
        if not prices:
            return None
        price = prices[0]
        quantity = self._ask_quantities[price]
        level = self._best_ask_level
        if level is None or level.price is not price or level.quantity is not quantity:
            level = self._best_ask_level = Level(price, quantity)
        return level

    @property
    def spread(self) -> Decimal | None:
        """Best ask price minus best bid price (quote asset), or ``None`` if a side is empty.

        Negative when the book is crossed.
        """
        if not self._bid_prices or not self._ask_prices:
            return None
        return self._ask_prices[0] - self._bid_prices[-1]

    @property
    def mid(self) -> Decimal | None:
        """The mean of the best bid and best ask prices, or ``None`` if a side is empty."""
        if not self._bid_prices or not self._ask_prices:
            return None
        return (self._ask_prices[0] + self._bid_prices[-1]) / 2

    @property
    def bid_count(self) -> int:
        """Number of bid levels held."""
        return len(self._bid_prices)

    @property
    def ask_count(self) -> int:
        """Number of ask levels held."""
        return len(self._ask_prices)

    def __len__(self) -> int:
        """Number of levels held on both sides together."""
        return len(self._bid_prices) + len(self._ask_prices)

    def snapshot(self, n: int | None = None) -> BookSnapshot:
        """Copy the best ``n`` levels of each side into an immutable :class:`BookSnapshot`.

        Args:
            n: levels per side; ``None`` means all of them.
        """
        return BookSnapshot(tuple(self.bids(n)), tuple(self.asks(n)), self._update_count)

    def __repr__(self) -> str:
        return (
            f"OrderBook(depth={self._depth!r}, bids={len(self._bid_prices)}, asks={len(self._ask_prices)}, "
            f"best_bid={self.best_bid!r}, best_ask={self.best_ask!r})"
        )


def _side(levels: Iterable[tuple[Decimal, Decimal]]) -> tuple[list[Decimal], dict[Decimal, Decimal]]:
    """One side built from ``(price, quantity)`` pairs as :meth:`OrderBook.load` documents."""
    if type(levels) is list and all(map(_quantity, levels)):
        # No zero quantity (a snapshot): dict() keeps the first key and the last value of a
        # repeated price, as the loop below does.
        quantities = dict(levels)
        return sorted(quantities), quantities
    quantities = {}
    for price, quantity in levels:
        if quantity:
            quantities[price] = quantity  # an equal key already there stays the key, as in set_*
        else:
            quantities.pop(price, None)
    return sorted(quantities), quantities
