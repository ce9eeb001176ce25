"""Generated CoinEx market data and the state of one connection (§5.3-§5.12).

Each connection trades its own seeded :class:`_Market` per market; :class:`_Session`
holds what the connection subscribed to, :class:`_Account` one account's balances.

Section numbers (§) refer to the protocol notes of :doc:`the CoinEx page </exchanges/coinex>`.
"""

from __future__ import annotations

import collections
import random
import time
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from exwire.testing._coinex.common import _BOOK_LEVELS, _HISTORY, MERGE_STEPS, _format, _Spec, _units

# -- generated market data ------------------------------------------------------------------


class _Market:
    """One market on one connection: an order book, trades taken from it, 24 h stats."""

    def __init__(self, name: str, spec: _Spec, rng: random.Random,
                 history: list[dict[str, Any]] | None) -> None:
        self.name, self.spec, self.rng = name, spec, rng
        self.pd, self.ad = spec.price_decimals, spec.amount_decimals
        self.history: collections.deque[dict[str, Any]] = collections.deque(maxlen=_HISTORY)
        self.fresh: list[dict[str, Any]] = []  # trades of the last step, newest first
        mid = _units(history[0]["price"], self.pd) if history else _units(spec.start, self.pd)
        self.last = self.open = self.high = self.low = mid
        self.volume = 0  # amount units
        self.deal = Decimal(0)
        self.next_id = int(history[0]["id"]) + 1 if history else rng.randint(10**9, 2 * 10**9)
        self.bids: dict[int, int] = {}
        self.asks: dict[int, int] = {}
        bid, ask = mid - 1, mid + 1
        for _ in range(_BOOK_LEVELS):
            self.bids[bid], self.asks[ask] = self._amount(), self._amount()
            bid, ask = bid - rng.randint(1, spec.spacing), ask + rng.randint(1, spec.spacing)
        if history:
            self.history.extend(history)  # newest first, as captured
        else:
            for _ in range(100):
                self._take()
            self.fresh = []

    def _amount(self) -> int:
        return self.rng.randint(10 ** (self.ad - 4), 5 * 10**self.ad)

    def price(self, units: int) -> str:
        return _format(units, self.pd)

    def step(self) -> None:
        """Change 1-3 book levels, then take liquidity with 0-2 trades at the touch.

        The market stays coherent at every step: best bid <= last trade <= best ask.
        Trades take the best level (so the last price is the touch, and a level taken
        whole moves the touch away from it), and a new level never crosses the last
        price: bids are added at or below it, asks at or above it.
        """
        self.fresh = []
        rng = self.rng
        for _ in range(rng.choice((1, 1, 2, 3))):
            self._change_level()
        self._replenish()
        for _ in range(rng.choice((0, 1, 1, 2))):
            self._take()

    def _take(self) -> None:
        rng = self.rng
        buy = rng.random() < 0.5
        levels = self.asks if buy else self.bids
        best = min(levels) if buy else max(levels)
        available = levels[best]
        amount = available if rng.random() < 0.25 else rng.randint(1, available)
        if amount == available:
            del levels[best]
        else:
            levels[best] = available - amount
        self.record(best, amount, "buy" if buy else "sell")
        self._replenish()

    def record(self, price: int, amount: int, side: str) -> dict[str, Any]:
        """Add a trade at ``price``/``amount`` units to the history and the stats."""
        trade = {"id": self.next_id, "time": round(time.time(), 6), "type": side,
                 "price": self.price(price), "amount": _format(amount, self.ad)}
        self.next_id += self.rng.randint(1, 40)
        self.history.appendleft(trade)
        self.fresh.insert(0, trade)
        self.last, self.high, self.low = price, max(self.high, price), min(self.low, price)
        self.volume += amount
        self.deal += Decimal(price).scaleb(-self.pd) * Decimal(amount).scaleb(-self.ad)
        return trade

    def _change_level(self) -> None:
        rng = self.rng
        bids = rng.random() < 0.5
        levels = self.bids if bids else self.asks
        top = sorted(levels, reverse=bids)[:25]
        draw = rng.random()
        if draw < 0.5:
            levels[rng.choice(top)] = self._amount()
        elif draw < 0.8:
            if bids:  # inside the book, below the best ask and never above the last trade
                low, high = top[-1], min(min(self.asks) - 1, self.last)
            else:
                low, high = max(max(self.bids) + 1, self.last), top[-1]
            if 0 < low <= high:
                levels.setdefault(rng.randint(low, high), self._amount())
        elif len(levels) > _BOOK_LEVELS // 2:
            del levels[rng.choice(top)]

    def _replenish(self) -> None:
        spacing = self.spec.spacing
        while len(self.asks) < _BOOK_LEVELS:
            self.asks[max(self.asks, default=self.last) + self.rng.randint(1, spacing)] = self._amount()
        while len(self.bids) < _BOOK_LEVELS:
            price = min(self.bids, default=self.last) - self.rng.randint(1, spacing)
            if price <= 0:
                break
            self.bids[price] = self._amount()

    def state(self, period: int = 86400) -> dict[str, Any]:
        last = self.price(self.last)
        return {"close": last, "deal": format(self.deal, "f"), "high": self.price(self.high), "last": last,
                "low": self.price(self.low), "open": self.price(self.open), "period": period,
                "volume": _format(self.volume, self.ad)}

    def merge(self, interval: str) -> tuple[int, int] | None:
        """``(step units, decimals)`` of a merge interval, or ``None`` if this market refuses it."""
        if interval not in MERGE_STEPS:
            return None
        if interval == "0":
            return 1, self.pd
        step = Decimal(interval).scaleb(self.pd)
        if step != step.to_integral_value() or step < 1:
            return None  # finer than the market's tick
        return int(step), max(0, -Decimal(interval).as_tuple().exponent)  # type: ignore[operator]

    def view(self, limit: int, merge: tuple[int, int]) -> tuple[list[list[str]], list[list[str]]]:
        """The top ``limit`` (merged) levels: ``(bids descending, asks ascending)`` as wire strings."""
        step, decimals = merge
        scale = 10 ** (self.pd - decimals)
        sides = []
        for levels, descending in ((self.bids, True), (self.asks, False)):
            merged: dict[int, int] = {}
            for price in sorted(levels, reverse=descending):
                bucket = (price // step if descending else -(-price // step)) * step
                if bucket not in merged and len(merged) == limit:
                    break
                merged[bucket] = merged.get(bucket, 0) + levels[price]
            sides.append([[_format(bucket // scale, decimals), _format(amount, self.ad)]
                          for bucket, amount in merged.items() if bucket > 0])
        return sides[0], sides[1]

    def candles(self, start: int, end: int, interval: int, seed: Any) -> list[list[Any]]:
        """Deterministic candles of the buckets from ``start`` to ``end`` (at most 1000)."""
        first = start // interval * interval
        buckets = range(max(first, end // interval * interval - 999 * interval), end + 1, interval)
        candles = []
        for bucket in buckets:
            rng = random.Random(f"{seed}:{self.name}:{interval}:{bucket}")
            base = _units(self.spec.start, self.pd)
            wobble = max(1, base // 200)
            open_, close = base + rng.randint(-wobble, wobble), base + rng.randint(-wobble, wobble)
            high, low = max(open_, close) + rng.randint(0, wobble), min(open_, close) - rng.randint(0, wobble)
            volume = rng.randint(10**self.ad, 50 * 10**self.ad)
            value = Decimal(close).scaleb(-self.pd) * Decimal(volume).scaleb(-self.ad)
            candles.append([bucket, self.price(open_), self.price(close), self.price(high), self.price(max(1, low)),
                            _format(volume, self.ad), format(value, "f"), self.name])
        return candles


class _DepthSub:
    def __init__(self, limit: int, interval: str, merge: tuple[int, int], diff: bool) -> None:
        self.limit, self.interval, self.merge, self.diff = limit, interval, merge, diff
        self.bids: list[list[str]] = []
        self.asks: list[list[str]] = []
        self.last_clean = 0.0


class _Candle:
    def __init__(self, market: _Market, interval: int) -> None:
        self.interval = interval
        self.start = 0
        self.previous: list[Any] | None = None
        self.current: list[Any] | None = None
        self.update(market, [])

    def update(self, market: _Market, trades: list[dict[str, Any]]) -> bool:
        """Fold ``trades`` into the running candle; return whether it changed."""
        start = int(time.time()) // self.interval * self.interval
        changed = False
        if start != self.start:
            self.previous, self.start, changed = self.current, start, True
            price = market.price(market.last)
            self.current = [start, price, price, price, price, "0", "0", market.name]
        candle = self.current
        assert candle is not None
        for trade in reversed(trades):
            value = Decimal(trade["price"])
            candle[2] = trade["price"]
            candle[3] = trade["price"] if value > Decimal(candle[3]) else candle[3]
            candle[4] = trade["price"] if value < Decimal(candle[4]) else candle[4]
            candle[5] = format(Decimal(candle[5]) + Decimal(trade["amount"]), "f")
            candle[6] = format(Decimal(candle[6]) + value * Decimal(trade["amount"]), "f")
            changed = True
        return changed

    def window(self) -> list[list[Any]]:
        return [list(c) for c in (self.previous, self.current) if c is not None]


class _Session:
    """CoinEx state of one connection; changed under its connection's ``send_lock``."""

    def __init__(self) -> None:
        self.user: str | None = None
        self.markets: dict[str, _Market] = {}
        self.state: set[str] = set()
        self.state_all = False
        self.deals: set[str] = set()
        self.depth: dict[str, _DepthSub] = {}
        self.kline: tuple[str, _Candle] | None = None
        self.orders: set[str] = set()
        self.orders_all = False
        self.assets: set[str] | None = None  # None: not subscribed; empty: every asset
        self.pusher_started = False

    def summary(self) -> dict[str, Any]:
        return {
            "user": self.user,
            "state": ["*"] if self.state_all else sorted(self.state),
            "deals": sorted(self.deals),
            "depth": {market: (sub.limit, sub.interval) for market, sub in sorted(self.depth.items())},
            "kline": (self.kline[0], self.kline[1].interval) if self.kline else None,
            "order": ["*"] if self.orders_all else sorted(self.orders),
            "asset": None if self.assets is None else sorted(self.assets) or ["*"],
        }


class _Account:
    def __init__(self, secret: str, user_id: int, balances: Mapping[str, object]) -> None:
        self.secret = secret
        self.user_id = user_id
        self.balances: dict[str, list[Decimal]] = {a: [Decimal(str(v)), Decimal(0)] for a, v in balances.items()}

    def balance(self, asset: str) -> list[Decimal]:
        return self.balances.setdefault(asset, [Decimal(0), Decimal(0)])


def _diff(old: list[list[str]], new: list[list[str]], descending: bool) -> list[list[str]]:
    """Levels that changed from ``old`` to ``new``, removed ones with amount ``"0"`` (§5.6)."""
    before = {price: amount for price, amount in old}
    after = {price for price, _ in new}
    changed = [[price, amount] for price, amount in new if before.get(price) != amount]
    changed += [[price, "0"] for price, _ in old if price not in after]
    return sorted(changed, key=lambda level: Decimal(level[0]), reverse=descending)
