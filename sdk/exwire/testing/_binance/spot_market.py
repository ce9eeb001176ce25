"""Seeded spot market data of the Binance emulator: one :class:`_Market` per symbol."""

from __future__ import annotations

import random
import time
from collections import deque
from collections.abc import Callable
from decimal import ROUND_DOWN, Decimal
from typing import Any, NamedTuple

from exwire.testing._binance.book import Book
from exwire.testing._binance.common import _ZERO, _text


class _SymbolSpec(NamedTuple):
    base: str
    quote: str
    start: str  # first price
    tick: str  # price step
    step: str  # quantity step


_SYMBOLS = {
    "BTCUSDT": _SymbolSpec("BTC", "USDT", "30000.00", "0.01", "0.00001"),
    "ETHUSDT": _SymbolSpec("ETH", "USDT", "2000.00", "0.01", "0.0001"),
    "BNBBTC": _SymbolSpec("BNB", "BTC", "0.010000", "0.000001", "0.001"),
    "ETHBTC": _SymbolSpec("ETH", "BTC", "0.06000", "0.00001", "0.0001"),
}
_DEFAULT_BALANCES = {"BTC": "10", "ETH": "100", "BNB": "1000", "USDT": "1000000"}
_INTERVAL_MS = {"1s": 1_000, "1m": 60_000, "3m": 180_000, "5m": 300_000, "15m": 900_000, "30m": 1_800_000,
                "1h": 3_600_000, "2h": 7_200_000, "4h": 14_400_000, "6h": 21_600_000, "8h": 28_800_000,
                "12h": 43_200_000, "1d": 86_400_000, "3d": 259_200_000, "1w": 604_800_000, "1M": 2_592_000_000}


# -- market data (seeded) ---------------------------------------------------------------------


class _Market:
    """One symbol: best bid/ask around a mid price, public trades, seeded depth and klines."""

    def __init__(self, symbol: str, spec: _SymbolSpec, seed: int) -> None:
        self.symbol, self.spec, self.seed = symbol, spec, seed
        self.tick, self.step = Decimal(spec.tick), Decimal(spec.step)
        self.rng = random.Random(f"{seed}:{symbol}")
        self.bid = Decimal(spec.start)
        self.ask = self.bid + self.tick
        self.trades: deque[dict[str, Any]] = deque(maxlen=2000)
        self.next_trade_id = 1
        self.version = 1
        self.trade_listener: Callable[[dict[str, Any]], None] | None = None
        """Receives each new trade (the ``trades`` row), exchange lock held; the stream hub sets it."""
        start = int(time.time() * 1000) - 200 * 1000
        for index in range(200):  # a seeded history of public trades
            buyer_maker = self.rng.random() < 0.5
            quantity = self.step * self.rng.randint(1, 5000)
            self.add_trade(self.bid if buyer_maker else self.ask, quantity, buyer_maker, start + index * 1000)
        self.book = Book(tick=self.tick, step=self.step, bid=self.bid, ask=self.ask, seed=f"{seed}:{symbol}:book",
                         futures=False, price_text=_text, quantity_text=_text)

    @property
    def last(self) -> Decimal:
        return Decimal(self.trades[-1]["price"]) if self.trades else self.bid

    def add_trade(self, price: Decimal, quantity: Decimal, buyer_maker: bool, at_ms: int) -> int:
        trade_id = self.next_trade_id
        self.next_trade_id += 1
        self.trades.append({"id": trade_id, "price": _text(price), "qty": _text(quantity),
                            "quoteQty": _text(price * quantity), "time": at_ms, "isBuyerMaker": buyer_maker,
                            "isBestMatch": True})
        if self.trade_listener is not None:
            self.trade_listener(self.trades[-1])
        return trade_id

    def set_price(self, price: Decimal) -> None:
        self.bid = (price / self.tick).to_integral_value(ROUND_DOWN) * self.tick
        self.ask = self.bid + self.tick
        self.version += 1
        self.book.move(self.bid, self.ask)

    def touch_trade(self, at_ms: int) -> None:
        """The market generator's trade at the touch after a move (a seller hits the bid), so that
        the best bid <= the last trade <= the best ask holds at every moment."""
        self.add_trade(self.bid, self.step * self.rng.randint(1, 500), True, at_ms)

    def depth(self, limit: int) -> dict[str, Any]:
        """The ``depth`` snapshot: ``lastUpdateId`` and at most ``limit`` levels a side."""
        return self.book.snapshot(limit)

    def klines(self, interval: str, start: int | None, end: int | None, limit: int) -> list[list[Any]]:
        width = _INTERVAL_MS[interval]
        now = int(time.time() * 1000)
        last_open = (min(end, now) if end is not None else now) // width * width
        first_open = last_open - (limit - 1) * width
        if start is not None:
            first_open = max(first_open, start // width * width)
        rows = []
        for open_time in range(first_open, last_open + 1, width):
            rng = random.Random(f"{self.seed}:{self.symbol}:{interval}:{open_time}")
            ticks = [self.bid + self.tick * rng.randint(-50, 50) for _ in range(4)]
            volume = self.step * rng.randint(1_000, 1_000_000)
            rows.append([open_time, _text(ticks[0]), _text(max(ticks)), _text(min(ticks)), _text(ticks[-1]),
                         _text(volume), open_time + width - 1, _text(volume * ticks[-1]), rng.randint(1, 5000),
                         _text(volume / 2), _text(volume * ticks[-1] / 2), "0"])
        return rows[-limit:]

    def ticker(self, kind: str, window_ms: int, *, with_book: bool = False) -> dict[str, Any]:
        """A ``ticker.*`` row; ``with_book``: the ``FULL`` 24-hour ticker's previous close and best bid/ask."""
        now = int(time.time() * 1000)
        trades = [t for t in self.trades if t["time"] >= now - window_ms] or list(self.trades)[-1:]
        prices = [Decimal(t["price"]) for t in trades] or [self.bid]
        volume = sum((Decimal(t["qty"]) for t in trades), _ZERO)
        quote = sum((Decimal(t["quoteQty"]) for t in trades), _ZERO)
        ticker = {"symbol": self.symbol, "openPrice": _text(prices[0]), "highPrice": _text(max(prices)),
                  "lowPrice": _text(min(prices)), "lastPrice": _text(prices[-1]), "volume": _text(volume),
                  "quoteVolume": _text(quote), "openTime": now - window_ms, "closeTime": now,
                  "firstId": trades[0]["id"] if trades else -1, "lastId": trades[-1]["id"] if trades else -1,
                  "count": len(trades)}
        if kind == "FULL":
            change = prices[-1] - prices[0]
            ticker.update({
                "priceChange": _text(change), "priceChangePercent": f"{change / prices[0] * 100:.3f}",
                "weightedAvgPrice": _text(quote / volume if volume else prices[-1]),
                "lastQty": trades[-1]["qty"] if trades else "0.00000000",
            })
            if with_book:
                (bid, bid_quantity), (ask, ask_quantity) = self.book.best()
                ticker.update({"prevClosePrice": _text(prices[0]), "bidPrice": _text(bid),
                               "bidQty": _text(bid_quantity), "askPrice": _text(ask), "askQty": _text(ask_quantity)})
        return ticker

    def exchange_info(self) -> dict[str, Any]:
        spec = self.spec
        return {
            "symbol": self.symbol, "status": "TRADING", "baseAsset": spec.base, "baseAssetPrecision": 8,
            "quoteAsset": spec.quote, "quotePrecision": 8, "quoteAssetPrecision": 8, "baseCommissionPrecision": 8,
            "quoteCommissionPrecision": 8,
            "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT",
                           "TAKE_PROFIT_LIMIT"],
            "icebergAllowed": True, "ocoAllowed": True, "otoAllowed": True, "quoteOrderQtyMarketAllowed": True,
            "allowTrailingStop": False, "cancelReplaceAllowed": True, "amendAllowed": True, "opoAllowed": True,
            "pegInstructionsAllowed": False,
            "isSpotTradingAllowed": True, "isMarginTradingAllowed": False,
            "filters": [
                {"filterType": "PRICE_FILTER", "minPrice": spec.tick, "maxPrice": "1000000.00", "tickSize": spec.tick},
                {"filterType": "LOT_SIZE", "minQty": spec.step, "maxQty": "9000.00", "stepSize": spec.step},
            ],
            "permissions": [], "permissionSets": [["SPOT"]], "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
            "allowedSelfTradePreventionModes": ["NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"],
        }


