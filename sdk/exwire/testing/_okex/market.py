"""The OKEx emulator's generated public feeds (§5) and the state of one connection.

Section numbers (§) refer to the protocol notes of :doc:`the OKEx page </exchanges/okex>`.
"""

from __future__ import annotations

import random
import threading
import time
from decimal import Decimal
from typing import Any

from exwire.testing._okex.common import _BOOK_LEVELS, _SYMBOLS, KLINE_SECONDS, _now_ms

# -- generated market data (one feed per symbol per connection) ------------------------


class _Feed:
    """A seeded book, trades, ticker and candles of one symbol on one connection."""

    def __init__(self, symbol: str, rng: random.Random) -> None:
        bid, ask, decimals = _SYMBOLS.get(symbol, ("100.0000", "100.0100", 4))
        self.rng = rng
        self.tick = Decimal(1).scaleb(-decimals)
        self.asks: dict[Decimal, Decimal] = {}
        self.bids: dict[Decimal, Decimal] = {}
        best_bid, best_ask = Decimal(bid), Decimal(ask)
        for level in range(_BOOK_LEVELS):
            self.asks[best_ask + self.tick * level * 3] = self._quantity()
            self.bids[best_bid - self.tick * level * 3] = self._quantity()
        self.last = self.open = self.high = self.low = best_bid
        self.volume = Decimal(0)
        self.changes: tuple[dict[Decimal, Decimal], dict[Decimal, Decimal]] = ({}, {})
        self.trades: list[list[str]] = []
        self.next_trade_id = rng.randint(1_000_000, 9_000_000)
        self.candles: dict[str, list[Any]] = {}

    def _quantity(self) -> Decimal:
        return Decimal(self.rng.randint(1, 5_000_000)).scaleb(-4)

    def step(self) -> None:
        """Change a few levels (kept in :attr:`changes`) and make one or two trades."""
        rng = self.rng
        ask_changes: dict[Decimal, Decimal] = {}
        bid_changes: dict[Decimal, Decimal] = {}
        for _ in range(rng.choice((1, 1, 2, 3))):
            is_ask = rng.random() < 0.5
            levels, changes = (self.asks, ask_changes) if is_ask else (self.bids, bid_changes)
            draw = rng.random()
            if draw < 0.2 and len(levels) > 5:
                price = rng.choice(sorted(levels))
                del levels[price]
                changes[price] = Decimal(0)
                continue
            if draw < 0.4:
                inner = min(self.asks) if not is_ask else max(self.bids)
                offset = self.tick * rng.randint(1, 3 * _BOOK_LEVELS)
                price = inner + offset if is_ask else inner - offset
                if price <= 0:
                    continue
            else:
                price = rng.choice(sorted(levels))
            levels[price] = changes[price] = self._quantity()
        self.changes = (ask_changes, bid_changes)
        self.trades = []
        clock = time.strftime("%H:%M:%S", time.gmtime(time.time() + 8 * 3600))  # server clock, UTC+8
        for _ in range(rng.choice((1, 1, 2))):
            taker_buys = rng.random() < 0.5
            price = min(self.asks) if taker_buys else max(self.bids)
            quantity = Decimal(rng.randint(1, 20_000)).scaleb(-4)
            self.next_trade_id += 1
            self.trades.append([str(self.next_trade_id), str(price), str(quantity), clock,
                                "bid" if taker_buys else "ask"])
            self.last = price
            self.high, self.low = max(self.high, price), min(self.low, price)
            self.volume += quantity
            for interval in list(self.candles):
                candle = self._candle(interval)
                candle[2], candle[3], candle[4] = max(candle[2], price), min(candle[3], price), price
                candle[5] += quantity

    def _candle(self, interval: str) -> list[Any]:
        seconds = KLINE_SECONDS[interval]
        start = int(time.time()) // seconds * seconds * 1000
        candle = self.candles.get(interval)
        if candle is None or candle[0] != start:
            candle = self.candles[interval] = [start, self.last, self.last, self.last, self.last, Decimal(0)]
        return candle

    def kline(self, interval: str) -> list[list[str]]:
        candle = self._candle(interval)
        return [[str(candle[0]), *(str(value) for value in candle[1:])]]

    def book(self, levels: int | None = None) -> dict[str, Any]:
        asks = sorted(self.asks)[:levels]
        bids = sorted(self.bids, reverse=True)[:levels]
        # Asks listed from the highest price down, as v1 sent them: clients must sort.
        return {"asks": [[str(p), str(self.asks[p])] for p in reversed(asks)],
                "bids": [[str(p), str(self.bids[p])] for p in bids], "timestamp": _now_ms()}

    def book_changes(self) -> dict[str, Any]:
        asks, bids = self.changes
        return {"asks": [[str(p), str(q)] for p, q in asks.items()],
                "bids": [[str(p), str(q)] for p, q in bids.items()], "timestamp": _now_ms()}

    def ticker(self) -> dict[str, Any]:
        return {"high": str(self.high), "vol": str(self.volume), "last": str(self.last),
                "low": str(self.low), "buy": str(max(self.bids)), "change": str(self.last - self.open),
                "sell": str(min(self.asks)), "dayLow": str(self.low), "dayHigh": str(self.high),
                "timestamp": _now_ms()}


class _Session:
    """OKEx state of one connection."""

    def __init__(self) -> None:
        self.lock = threading.Lock()  # guards channels for readers on other threads
        self.channels: set[str] = set()
        self.logged_in = False
        self.feeds: dict[str, _Feed] = {}
        self.pusher_started = False


def _generated(feed: _Feed, kind: str) -> Any:
    if kind == "ticker":
        return feed.ticker()
    if kind == "depth":
        return feed.book_changes() if any(feed.changes) else None
    if kind.startswith("depth_"):
        return feed.book(int(kind[6:]))
    if kind == "deals":
        return feed.trades or None
    if kind.startswith("kline_"):
        return feed.kline(kind[6:])
    return None
