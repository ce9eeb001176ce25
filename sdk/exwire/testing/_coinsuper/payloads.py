"""Seeded generated payloads of the Coinsuper topics, in the documented JSON (§3).

Section numbers (§) refer to the protocol notes of :doc:`the Coinsuper page </exchanges/coinsuper>`.
"""

from __future__ import annotations

import collections
import itertools
import random
import time
from decimal import Decimal
from typing import Any, Protocol

from exwire.models import Credentials
from exwire.testing._coinsuper.common import _FIAT


class FeedSettings(Protocol):
    """What a feed reads of its emulator: the seed and the sizes of the generated payloads."""

    seed: int
    trade_window: int
    depth_levels: int
    book_levels: int


# -- generated payloads (§3) ---------------------------------------------------------------


class _Number(str):
    """Number text written into JSON as is (a bare number with all its digits, §3.5)."""


def _json(value: Any) -> str:
    """JSON text; :class:`_Number` values become bare JSON numbers, exactly as written."""
    if isinstance(value, _Number):
        return str(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{_json(str(k))}:{_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_json(v) for v in value) + "]"
    raise TypeError(f"cannot encode {type(value).__name__}")


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _fixed(units: int, decimals: int) -> str:
    """``units`` × 10^-decimals as plain decimal text, exact at any length (no Decimal context)."""
    sign, units = ("-" if units < 0 else ""), abs(units)
    whole, fraction = divmod(units, 10**decimals)
    return f"{sign}{whole}.{fraction:0{decimals}d}" if decimals else f"{sign}{whole}"


class _Market:
    """The generated market of one pair on one session, in integer price units of
    ``decimals`` places: the best bid and ask, and the trades taken at them.

    Every topic of the pair (``depth``, ``orderBook``, ``tickers``, ``kline``) renders
    this one state, which :meth:`step` moves once per publish round, so the market is
    coherent at every moment: best bid < best ask, each trade at the touch (a taker buy
    at the best ask, a sell at the best bid), and the last trade between the two (the
    quotes move freely but never across the last trade price).
    """

    def __init__(self, symbol: str, rng: random.Random, trade_window: int = 50) -> None:
        base, quote = symbol.split("/")
        self.symbol = symbol
        self.rng = rng
        self.decimals = 2 if quote in _FIAT else 8
        mid = 667456 if self.decimals == 2 else 312345  # 6674.56 or 0.00312345
        self.bid = mid + rng.randint(-1000, 1000)
        self.ask = self.bid + rng.choice((1, 1, 2, 3))
        self.last = self.bid
        self.trades: collections.deque[dict[str, Any]] = collections.deque(maxlen=trade_window)
        self._trade()

    def price(self, units: int) -> str:
        return _fixed(units, self.decimals)

    def step(self) -> None:
        """Move the quotes (never across the last trade), then trade 1-3 times at them."""
        rng = self.rng
        move = rng.choice((-3, -1, 0, 1, 3)) * max(1, self.bid // 20000)
        self.bid = max(1000, min(self.bid + move, self.last))
        self.ask = max(self.bid + rng.choice((1, 1, 2, 3)), self.last)
        self._trade()

    def _trade(self) -> None:
        now = _now_ms()
        for _ in range(self.rng.choice((1, 1, 2, 3))):  # several trades may share a millisecond
            buy = self.rng.random() < 0.5
            self.last = self.ask if buy else self.bid
            self.trades.appendleft({"symbol": self.symbol, "price": self.price(self.last),
                                    "quantity": _fixed(self.rng.randint(10, 900_000), 4),
                                    "action": "BUY" if buy else "SELL", "timestamp": now})


class _Feed:
    """The next payload of one topic for one session."""

    def __init__(self, kind: str, market: _Market | None, parameter: str | None,
                 account: Credentials | None, emulator: FeedSettings, rng: random.Random | None = None) -> None:
        self.kind = kind
        self.market = market  # shared by every topic of the pair on the session
        self.parameter = parameter
        self.account = account
        self.emulator = emulator
        self.rng = rng if rng is not None else random.Random(f"{emulator.seed}:{kind}")
        self.candle: dict[str, Any] | None = None
        self.orders: collections.deque[dict[str, Any]] = collections.deque()  # open orders
        self.order_numbers = itertools.count(1616392747273428993 + self.rng.randint(0, 10**6))

    def next(self) -> bytes:
        """The payload of the market's current state (the pusher steps the market)."""
        return _json(getattr(self, "_" + self.kind)()).encode("utf-8")

    def quantity(self) -> int:  # 4 decimals
        return self.rng.randint(10, 900_000)

    def _depth(self) -> dict[str, Any]:
        market, levels = self.market, self.emulator.depth_levels
        assert market is not None
        spacing = max(1, market.bid // 1000)  # buckets about 0.1 % apart (§3.1)
        best_ask, best_bid = market.ask, market.bid

        def side(start: int, direction: int) -> list[dict[str, Any]]:
            total, buckets = 0, []
            for i in range(levels):
                total += self.quantity()
                buckets.append({"price": market.price(start + direction * i * spacing),
                                "quantity": _fixed(total, 4), "stepValue": None})
            return buckets

        return {"symbol": market.symbol, "asks": side(best_ask, 1), "bids": side(best_bid, -1),
                "depthPercent": "0.01", "asksMinPrice": market.price(best_ask),
                "bidsMaxPrice": market.price(best_bid)}

    def _orderBook(self) -> dict[str, Any]:  # noqa: N802 - named after the topic
        market, levels = self.market, self.emulator.book_levels
        assert market is not None and self.parameter is not None
        step = max(1, int(Decimal(self.parameter).scaleb(market.decimals)))
        best_ask = -(-market.ask // step) * step  # the bucket holding the best ask, rounded up
        best_bid = market.bid // step * step  # and the best bid's, rounded down

        def side(start: int, direction: int) -> list[dict[str, Any]]:
            rows = []
            for i in range(levels):
                price, quantity = start + direction * i * step, self.quantity()
                if price <= 0:
                    break
                amount = Decimal(price).scaleb(-market.decimals) * Decimal(quantity).scaleb(-4)
                rows.append({"amount": format(amount.quantize(Decimal("0.01")), "f"),
                             "limitPrice": market.price(price), "quantity": _fixed(quantity, 4)})
            return rows

        return {"asks": side(best_ask, 1), "bids": side(best_bid, -1), "limitSize": levels,
                "step": self.parameter, "symbol": market.symbol, "timestamp": _now_ms()}

    def _kline(self) -> dict[str, Any]:
        market = self.market
        assert market is not None and self.parameter is not None
        span = int(self.parameter)
        start = _now_ms() // span * span
        price = market.last
        if self.candle is None or self.candle["timestamp"] != start:
            self.candle = {"timestamp": start, "first": price, "max": price, "min": price, "quantity": 0}
        candle = self.candle
        candle["max"], candle["min"] = max(candle["max"], price), min(candle["min"], price)
        candle["quantity"] += self.rng.randint(1, 10**8)
        return {"symbol": market.symbol, "first": market.price(candle["first"]), "last": market.price(price),
                "max": market.price(candle["max"]), "min": market.price(candle["min"]),
                "quantity": _fixed(candle["quantity"], 8), "timestamp": start}

    def _tickers(self) -> list[dict[str, Any]]:
        market = self.market
        assert market is not None
        return list(market.trades)  # newest first (§3.4)

    def _asset(self) -> dict[str, Any]:
        assert self.account is not None
        now = _now_ms()
        rows = []
        for currency, scale in (("BTC", 1), ("USD", 4000)):
            # 30 decimals with significant digits far beyond a float's 17 (§3.5).
            total = self.rng.randint(10**29, 3 * 10**30) * scale
            available = total * self.rng.randint(40, 100) // 100
            rows.append({"available": _Number(_fixed(available, 30)), "currency": currency,
                         "total": _Number(_fixed(total, 30)), "utcUpdate": now - 700})
        return {"asset": rows, "email": self.account.email, "timestamp": now, "userNo": "1600000000000000000"}

    def _order(self) -> dict[str, Any]:
        now = _now_ms()
        if self.orders:  # cancel the order created by the previous publish
            order = {**self.orders.popleft(), "state": "CANCEL", "utcUpdate": now}
            return order
        quantity = Decimal(self.rng.randint(1, 9999)).scaleb(-4)
        price = Decimal(self.rng.randint(600000, 700000)).scaleb(-2)
        amount = (quantity * price).quantize(Decimal("0.01"))
        order = {"symbol": "BTC/USD", "orderNo": str(next(self.order_numbers)), "quantity": format(quantity, "f"),
                 "quantityRemaining": format(quantity, "f"), "priceLimit": format(price, "f"),
                 "action": self.rng.choice(("BUY", "SELL")), "priceAverage": "0", "amount": format(amount, "f"),
                 "amountRemaining": format(amount, "f"), "fee": "0", "state": "NEW",
                 "utcCreate": now, "utcUpdate": now}
        self.orders.append(order)
        return order

    def _trade(self) -> dict[str, Any]:
        return {"action": self.rng.choice(("BUY", "SELL")), "dealNo": str(next(self.order_numbers) + 10**17),
                "matchType": self.rng.choice(("MAKER", "TAKER")), "orderNo": str(next(self.order_numbers)),
                "orderType": self.rng.choice(("MKT", "LMT")),
                "price": _fixed(self.rng.randint(10**10, 10**12), 8),
                "quantity": _fixed(self.rng.randint(10**4, 10**8), 8), "symbol": "ETC/BTC",
                "utcDeal": str(_now_ms())}  # a string in the doc's sample (§3.7)
