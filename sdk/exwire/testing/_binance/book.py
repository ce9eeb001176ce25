"""The Binance emulator's order books: one persistent book per spot symbol and futures
contract, with Binance's update ids, so that the WebSocket API ``depth`` snapshot and the
``<symbol>@depth`` diff stream agree and Binance's documented local order book procedure
("How to manage a local order book correctly") synchronises against them.

Update ids: spot events are contiguous (``U`` = previous ``u`` + 1) and a snapshot's
``lastUpdateId`` is the last id applied, so the first event after it has
``U <= lastUpdateId + 1 <= u``. Futures ids are not contiguous between events, as on
Binance: each event takes eight ids and starts one above the previous ``u`` + 1, and
carries ``pu`` (the previous event's ``u``), the only proof of continuity; a futures
snapshot's ``lastUpdateId`` lies inside the next event (``U <= lastUpdateId <= u``), as
the futures procedure expects. A client applying the spot rule to futures resyncs forever.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from decimal import Decimal
from typing import Any

__all__ = ["Book", "DepthListener"]

_ZERO = Decimal(0)
_FUTURES_IDS = 8  # ids one futures event takes

#: ``listener(event)`` receives each published diff event (the ``depthUpdate`` payload fields
#: ``U``, ``u``, ``pu`` (futures), ``b``, ``a``); called with the exchange lock held.
DepthListener = Callable[[dict[str, Any]], None]


class Book:
    """One symbol's book: ``price → quantity`` per side, the current update id, and the
    last published event's ``u``. Guarded by the emulator's exchange lock.

    Args:
        tick, step: price and quantity steps.
        bid, ask: the first touch.
        seed: seeds the generated quantities.
        futures: futures ids (three per event, ``pu``) rather than spot ones.
        price_text, quantity_text: format a price / quantity as the wire sends it.
        levels: levels kept filled on each side next to the touch.
    """

    def __init__(self, *, tick: Decimal, step: Decimal, bid: Decimal, ask: Decimal, seed: str, futures: bool,
                 price_text: Callable[[Decimal], str], quantity_text: Callable[[Decimal], str],
                 levels: int = 200) -> None:
        self.tick, self.step, self.futures, self.levels = tick, step, futures, levels
        self.price_text, self.quantity_text = price_text, quantity_text
        self.rng = random.Random(seed)
        self.bids: dict[Decimal, Decimal] = {}
        self.asks: dict[Decimal, Decimal] = {}
        self.update_id = 1_000_000 if not futures else 7_000_000_000
        self.last_published = self.update_id
        self.listener: DepthListener | None = None
        self._skip = False
        self._refill(bid, ask, {}, {})

    # -- reading ------------------------------------------------------------------------------

    def sorted_levels(self) -> tuple[list[tuple[Decimal, Decimal]], list[tuple[Decimal, Decimal]]]:
        """The whole book: bids best (highest) first, asks best (lowest) first."""
        return (sorted(self.bids.items(), key=lambda item: -item[0]), sorted(self.asks.items()))

    def snapshot_id(self) -> int:
        """The ``lastUpdateId`` a snapshot taken now carries."""
        return self.update_id + 5 if self.futures else self.update_id

    def snapshot(self, limit: int) -> dict[str, Any]:
        """``{"lastUpdateId", "bids", "asks"}`` with at most ``limit`` levels a side, wire-formatted."""
        bids, asks = self.sorted_levels()
        return {"lastUpdateId": self.snapshot_id(),
                "bids": [[self.price_text(p), self.quantity_text(q)] for p, q in bids[:limit]],
                "asks": [[self.price_text(p), self.quantity_text(q)] for p, q in asks[:limit]]}

    def best(self) -> tuple[tuple[Decimal, Decimal], tuple[Decimal, Decimal]]:
        """``((bid, quantity), (ask, quantity))``."""
        bid = max(self.bids)
        ask = min(self.asks)
        return (bid, self.bids[bid]), (ask, self.asks[ask])

    # -- changing --------------------------------------------------------------------------------

    def _quantity(self) -> Decimal:
        return self.step * self.rng.randint(1, 5000)

    def _refill(self, bid: Decimal, ask: Decimal, bid_changes: dict[Decimal, Decimal],
                ask_changes: dict[Decimal, Decimal]) -> None:
        for price in [p for p in self.bids if p > bid]:
            del self.bids[price]
            bid_changes[price] = _ZERO
        for price in [p for p in self.asks if p < ask]:
            del self.asks[price]
            ask_changes[price] = _ZERO
        for index in range(self.levels):
            for side, changes, price in ((self.bids, bid_changes, bid - self.tick * index),
                                         (self.asks, ask_changes, ask + self.tick * index)):
                if price > 0 and price not in side:
                    side[price] = changes[price] = self._quantity()

    def move(self, bid: Decimal, ask: Decimal) -> None:
        """The touch moved to ``bid``/``ask``: crossed levels go, missing ones near the touch come."""
        bid_changes: dict[Decimal, Decimal] = {}
        ask_changes: dict[Decimal, Decimal] = {}
        self._refill(bid, ask, bid_changes, ask_changes)
        self._apply(bid_changes, ask_changes)

    def traded(self, price: Decimal) -> None:
        """A trade at ``price`` (the touch): that level's quantity changes."""
        side, other = (self.asks, self.bids) if price in self.asks else (self.bids, self.asks)
        if price not in side:
            return
        side[price] = self._quantity()
        changes = {price: side[price]}
        self._apply(changes if side is self.bids else {}, changes if side is self.asks else {})

    def skip(self) -> None:
        """Apply one change that is never published, then publish the next one: a gap."""
        (bid, _), _ = self.best()
        self.bids[bid] = self._quantity()
        self._skip = True
        self.update_id += _FUTURES_IDS if self.futures else 1
        self.traded(bid)

    def _apply(self, bid_changes: dict[Decimal, Decimal], ask_changes: dict[Decimal, Decimal]) -> None:
        if not bid_changes and not ask_changes:
            return
        first = self.update_id + (2 if self.futures else 1)
        previous = self.last_published
        if self._skip:  # the hidden change's ids are missing from the stream
            self._skip = False
            previous = self.update_id if self.futures else previous  # futures: pu names the lost event
        self.update_id += _FUTURES_IDS if self.futures else 1
        self.last_published = self.update_id
        event: dict[str, Any] = {"U": first, "u": self.update_id}
        if self.futures:
            event["pu"] = previous
        event["b"] = [[self.price_text(p), self.quantity_text(q)] for p, q in sorted(bid_changes.items(),
                                                                                    key=lambda i: -i[0])]
        event["a"] = [[self.price_text(p), self.quantity_text(q)] for p, q in sorted(ask_changes.items())]
        if self.listener is not None:
            self.listener(event)
