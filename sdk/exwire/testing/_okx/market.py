"""The generated market of the OKX emulator: one order book per instrument and its trades.

Prices are kept in ticks and sizes in lots (integers), so the book never crosses and every
level prints as a plain decimal. Each :meth:`Market.step` changes a few levels, maybe
trades at the touch (a taker buy at the best ask, a sell at the best bid), advances the
instrument's ``seqId`` by a random step and updates the candles; the tickers, trades and
candles derived from it always agree with the book (best bid <= last <= best ask).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from exwire.testing._okx.common import Instrument, bar_start, fmt

__all__ = ["Candle", "Market", "TradePrint"]

_LEVELS = 60  # levels kept per side; the 400-level channels show all of them


@dataclass
class TradePrint:
    """One public trade."""

    trade_id: int
    price: Decimal
    size: Decimal
    side: str  # the taker's side
    ts: int
    seq_id: int


@dataclass
class Candle:
    """One bar of a price series; ``volume``/``quote_volume`` only for trade candles."""

    start: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal = Decimal(0)
    quote_volume: Decimal = Decimal(0)

    def add(self, price: Decimal, size: Decimal = Decimal(0)) -> None:
        self.high, self.low, self.close = max(self.high, price), min(self.low, price), price
        self.volume += size
        self.quote_volume += size * price


@dataclass
class _Series:
    candles: dict[str, Candle] = field(default_factory=dict)


class Market:
    """The book, last trade and statistics of one instrument. Not thread-safe: the emulator
    calls it under its lock."""

    def __init__(self, instrument: Instrument, rng: random.Random, now_ms: int) -> None:
        self.instrument = instrument
        self._rng = rng
        tick, lot = instrument.tick, instrument.lot
        mid = int(instrument.price / tick)
        self._min_lots = max(1, int(instrument.min_size / lot))
        base_lots = max(self._min_lots, int(Decimal("0.5") / (lot * instrument.contract_value))
                        if instrument.is_spot else self._min_lots * 20)
        self._base_lots = base_lots
        self.bids: dict[int, int] = {}
        self.asks: dict[int, int] = {}
        for offset in range(1, _LEVELS + 1):
            self.bids[mid - offset] = self._size()
            self.asks[mid + offset] = self._size()
        # one tiny level near the touch: its size prints with many decimals ("0.00000001")
        self.bids[mid - 3] = 1
        self.seq_id = rng.randrange(10**9, 10**11)
        self.trade_id = rng.randrange(10**8, 10**9)
        self.last = instrument.tick * (mid - 1 if rng.random() < 0.5 else mid + 1)
        self.last_size = lot * self._min_lots
        self.open_24h = self.high_24h = self.low_24h = self.last
        self.volume_24h = Decimal(0)
        self.quote_volume_24h = Decimal(0)
        self.ts = now_ms
        self.open_interest = Decimal(rng.randrange(10_000, 100_000))
        self.funding_rate = Decimal(rng.randrange(-300, 300)) / Decimal(10**6)
        self._series: dict[str, _Series] = {"trade": _Series(), "mark": _Series(), "index": _Series()}
        self._pending: list[TradePrint] = []  # printed since the last step, own fills included
        self.closed: dict[tuple[str, str], Candle] = {}  # the last completed candle per series and bar

    # -- prices ------------------------------------------------------------------------

    def _size(self) -> int:
        return self._rng.randint(self._min_lots, self._base_lots * 4)

    @property
    def best_bid(self) -> Decimal:
        return max(self.bids) * self.instrument.tick

    @property
    def best_ask(self) -> Decimal:
        return min(self.asks) * self.instrument.tick

    @property
    def mark_price(self) -> Decimal:
        """The mid price, rounded to the tick (the emulator's mark and index price)."""
        tick = self.instrument.tick
        return ((max(self.bids) + min(self.asks)) // 2) * tick

    def levels(self, side: str, depth: int) -> list[list[str]]:
        """``[[price, size, "0", orders], ...]`` of one side, best first, at most ``depth``."""
        book = self.bids if side == "bids" else self.asks
        prices = sorted(book, reverse=side == "bids")[:depth]
        tick, lot = self.instrument.tick, self.instrument.lot
        return [[fmt(p * tick), fmt(book[p] * lot), "0", str(1 + (book[p] * 7 + p) % 9)]
                for p in prices]

    # -- stepping ----------------------------------------------------------------------

    def step(self, now_ms: int) -> list[TradePrint]:
        """Move the market once: a few level changes and maybe trades at the touch.

        Returns:
            The trades printed since the previous step, this step's included (oldest first).
        """
        rng = self._rng
        self.ts = max(now_ms, self.ts + 1)
        self.seq_id += rng.randint(1, 50)
        if rng.random() < 0.6:
            self._trade("buy" if rng.random() < 0.5 else "sell")
        trades, self._pending = self._pending, []
        for _ in range(rng.randint(1, 3)):
            side = self.bids if rng.random() < 0.5 else self.asks
            roll = rng.random()
            prices = sorted(side, reverse=side is self.bids)
            if roll < 0.5:
                price = prices[rng.randrange(min(10, len(prices)))]
                side[price] = self._size()
            elif roll < 0.75 and len(side) > _LEVELS // 2:
                del side[prices[rng.randrange(1, min(15, len(prices)))]]
            else:
                self._add_level(side is self.bids)
        for is_bid in (True, False):
            while len(self.bids if is_bid else self.asks) < _LEVELS:
                self._add_level(is_bid, far=True)
        self._candles(trades)
        return trades

    def _add_level(self, is_bid: bool, far: bool = False) -> None:
        bid, ask = max(self.bids), min(self.asks)
        if far:
            price = (min(self.bids) - 1) if is_bid else (max(self.asks) + 1)
        else:  # never through the last trade: best bid <= last <= best ask holds
            last = int(self.last / self.instrument.tick)
            if is_bid:
                price = self._rng.randint(bid - 10, min(bid + 1, ask - 1, last))
            else:
                price = self._rng.randint(max(ask - 1, bid + 1, last), ask + 10)
        book = self.bids if is_bid else self.asks
        book[price] = book.get(price, 0) + self._size()

    def _trade(self, side: str) -> TradePrint:
        book = self.asks if side == "buy" else self.bids
        price = min(book) if side == "buy" else max(book)
        lots = self._rng.randint(1, book[price])
        book[price] -= lots
        if book[price] == 0:
            del book[price]
        return self.record_trade(price * self.instrument.tick, lots * self.instrument.lot, side)

    def record_trade(self, price: Decimal, size: Decimal, side: str, public: bool = True) -> TradePrint:
        """Print a trade at ``price`` (the caller keeps it at the touch) and update the
        24-hour statistics; with ``public=False`` only a trade id is taken (an own fill
        against a counterpart outside the book)."""
        self.trade_id += 1
        printed = TradePrint(self.trade_id, price, size, side, self.ts, self.seq_id)
        if not public:
            return printed
        self.last, self.last_size = price, size
        self.high_24h, self.low_24h = max(self.high_24h, price), min(self.low_24h, price)
        self.volume_24h += size
        self.quote_volume_24h += size * price
        self._pending.append(printed)
        return printed

    def _candles(self, trades: list[TradePrint]) -> None:
        for kind in ("trade", "mark", "index"):
            for bar in list(self._series[kind].candles):
                self.candle(kind, bar, trades if kind == "trade" else ())

    def candle(self, kind: str, bar: str, trades: Any = ()) -> Candle:
        """The current ``bar`` candle of ``kind`` (``trade``, ``mark``, ``index``), started
        on first use; ``trades`` are added to it."""
        series = self._series[kind].candles
        start = bar_start(bar, self.ts)
        price = self.last if kind == "trade" else self.mark_price
        candle = series.get(bar)
        if candle is None or candle.start != start:
            if candle is not None:
                self.closed[(kind, bar)] = candle
            open_price = candle.close if candle is not None else price
            candle = series[bar] = Candle(start, open_price, max(open_price, price),
                                          min(open_price, price), price)
        if kind == "trade":
            for trade in trades:
                candle.add(trade.price, trade.size)
        else:
            candle.add(price)
        return candle

