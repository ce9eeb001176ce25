"""Accounts, orders and the trading book of the Kraken emulator (§7, §8 of :doc:`the Kraken page </exchanges/kraken>`).

:class:`Account` keeps balances, orders, own trades, the trading rate counter and the
dead man's switch of one API key. :class:`Order` renders itself in the ``openOrders``
shapes of §7.2. :class:`Liquidity` is the book a pair's orders trade against: a
seeded ladder of levels around the pair's start price that refills itself, so a
marketable order always fills.

Not thread-safe by itself: :class:`~exwire.testing._kraken.trading.TradingEngine`
changes everything under its one lock.
"""

from __future__ import annotations

import random
import time
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from exwire.testing._kraken.market import _PairSpec

__all__ = ["Account", "Order", "Liquidity", "Fill", "money", "volume_text", "epoch_text"]

TAKER_FEE = Decimal("0.0026")
MAKER_FEE = Decimal("0.0016")
COST_DECIMALS = 5  # cost and fee strings, e.g. "1000000.00000" (§7.1)
VOLUME_DECIMALS = 8
#: Smallest order volume per base asset ("EOrder:Order minimum not met" below it).
ORDER_MINIMUMS = {"XBT": Decimal("0.0001"), "ETH": Decimal("0.002"), "XDG": Decimal("10")}
DEFAULT_MINIMUM = Decimal("0.0001")
#: Balances of a new account (asset → amount).
DEFAULT_BALANCES = {"USD": "1000000", "EUR": "1000000", "XBT": "10", "ETH": "100", "XDG": "1000000"}
#: Cancel penalty of the trading rate counter by order age in seconds (§10 of :doc:`the Kraken page </exchanges/kraken>`).
CANCEL_PENALTIES = ((5, 8), (10, 6), (15, 5), (45, 4), (90, 2), (300, 1))
RATE_DECAY = 2.34  # per second (intermediate tier, §10)
_LADDER = 25  # levels kept per side of the trading book


def money(value: Decimal, decimals: int) -> str:
    """A plain decimal string with exactly ``decimals`` decimals."""
    return format(value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_EVEN), "f")


def volume_text(value: Decimal) -> str:
    return money(value, VOLUME_DECIMALS)


def epoch_text(seconds: float | None) -> str:
    """Epoch seconds with microseconds; ``"0.000000"`` for "not set" (§7.2)."""
    return f"{seconds or 0:.6f}"


class Fill:
    """One execution of an order against the trading book (or a manual fill)."""

    __slots__ = ("price", "volume")

    def __init__(self, price: Decimal, volume: Decimal) -> None:
        self.price = price
        self.volume = volume


class Order:
    """One order of an account, in the emulator's terms and in ``openOrders`` form."""

    def __init__(self, txid: str, account: Account, pair: str, spec: _PairSpec, fields: dict[str, Any]) -> None:
        self.txid = txid
        self.account = account
        self.pair = pair
        self.spec = spec
        self.base, self.quote = pair.split("/")
        self.side: str = fields["type"]
        self.order_type: str = fields["ordertype"]
        self.volume: Decimal = fields["volume"]
        self.price: Decimal | None = fields.get("price")  # resolved (absolute) price
        self.price_text: str | None = fields.get("price_text")  # as the request gave it
        self.price2: Decimal | None = fields.get("price2")
        self.leverage: str | None = fields.get("leverage")
        self.flags: list[str] = fields.get("oflags", [])
        self.user_reference: int | None = fields.get("userref")
        self.client_order_id: str | None = fields.get("cl_ord_id")
        self.time_in_force: str = fields.get("timeinforce", "GTC")
        self.start_time: float | None = fields.get("starttm")
        self.expire_time: float | None = fields.get("expiretm")
        self.close: dict[str, Any] | None = fields.get("close")
        self.reference_id: str | None = fields.get("refid")
        self.open_time = time.time()
        self.opened_at = time.monotonic()
        self.status = "pending"
        self.volume_executed = Decimal(0)
        self.cost = Decimal(0)  # in quote, rounded per fill as Kraken shows it
        self.notional = Decimal(0)  # exact sum of price x volume, for the average price
        self.fee = Decimal(0)
        self.cancel_reason: str | None = None
        self.last_updated = self.open_time

    @property
    def remaining(self) -> Decimal:
        return self.volume - self.volume_executed

    @property
    def is_open(self) -> bool:
        return self.status in ("pending", "open")

    def reserved(self, asset: str, reference_price: Decimal) -> Decimal:
        """What this open order holds back of ``asset``: quote for a buy, base for a sell."""
        if not self.is_open:
            return Decimal(0)
        if self.side == "sell":
            return self.remaining if asset == self.base else Decimal(0)
        if asset != self.quote:
            return Decimal(0)
        price = self.price if self.price is not None else reference_price
        return self.remaining * price * (1 + TAKER_FEE)

    def apply_fill(self, fill: Fill, fee_rate: Decimal) -> tuple[Decimal, Decimal]:
        """Book a fill on the order and the balances; return ``(cost, fee)`` in quote."""
        cost = (fill.price * fill.volume).quantize(Decimal(1).scaleb(-COST_DECIMALS))
        fee = (cost * fee_rate).quantize(Decimal(1).scaleb(-COST_DECIMALS))
        balances = self.account.balances
        if self.side == "buy":
            balances[self.quote] = balances.get(self.quote, Decimal(0)) - cost - fee
            balances[self.base] = balances.get(self.base, Decimal(0)) + fill.volume
        else:
            balances[self.base] = balances.get(self.base, Decimal(0)) - fill.volume
            balances[self.quote] = balances.get(self.quote, Decimal(0)) + cost - fee
        self.volume_executed += fill.volume
        self.notional += fill.price * fill.volume
        self.cost += cost
        self.fee += fee
        self.last_updated = time.time()
        return cost, fee

    # -- wire shapes (§7.2, §8.1) -------------------------------------------------------

    def _price(self, value: Decimal | None) -> str:
        return money(value or Decimal(0), self.spec.decimals)

    def description_text(self) -> str:
        """The ``descr`` of ``addOrderStatus``: ``"buy 0.01770000 XBTUSD @ limit 4000"`` (§8.1)."""
        text = f"{self.side} {volume_text(self.volume)} {self.base}{self.quote} @ {self.order_type}"
        if self.price_text is not None:
            text += f" {self.price_text}"
        if self.leverage:
            text += f" with {self.leverage}:1 leverage"
        return text

    def close_text(self) -> str:
        if not self.close:
            return ""
        text = f"close position @ {self.close['ordertype']}"
        return text + (f" {self.close['price_text']}" if self.close.get("price_text") else "")

    def description(self) -> dict[str, Any]:
        return {
            "close": self.close_text(),
            "leverage": f"{self.leverage}:1" if self.leverage else "none",
            "order": self.description_text(),
            "ordertype": self.order_type,
            "pair": self.pair,
            "price": self._price(self.price),
            "price2": self._price(self.price2),
            "type": self.side,
        }

    def average_price(self) -> Decimal:
        return self.notional / self.volume_executed if self.volume_executed else Decimal(0)

    def full(self) -> dict[str, Any]:
        """The whole order, as a new order or a snapshot shows it (§7.2)."""
        fields: dict[str, Any] = {
            "avg_price": self._price(self.average_price()),
            "cost": money(self.cost, COST_DECIMALS),
            "descr": self.description(),
            "expiretm": epoch_text(self.expire_time),
            "fee": money(self.fee, COST_DECIMALS),
            "limitprice": self._price(self.price if self.order_type == "limit" else self.price2),
            "misc": "",
            "oflags": ",".join(self.flags),
            "opentm": epoch_text(self.open_time),
            "refid": self.reference_id,
            "starttm": epoch_text(self.start_time),
            "status": self.status,
            "stopprice": self._price(self.price if self.order_type not in ("limit", "market") else None),
            "timeinforce": self.time_in_force,
            "userref": self.user_reference or 0,
            "vol": volume_text(self.volume),
            "vol_exec": volume_text(self.volume_executed),
            "lastupdated": epoch_text(self.last_updated),
        }
        if self.client_order_id is not None:
            fields["cl_ord_id"] = self.client_order_id
        if self.cancel_reason is not None:
            fields["cancel_reason"] = self.cancel_reason
        return fields

    def change(self, **fields: Any) -> dict[str, Any]:
        """A partial update (§7.2): the given fields plus the order's tags."""
        fields["userref"] = self.user_reference or 0
        if self.client_order_id is not None:
            fields["cl_ord_id"] = self.client_order_id
        return fields

    def execution(self) -> dict[str, Any]:
        """The partial update after a fill: executed volume, cost, fee, average price."""
        return self.change(vol_exec=volume_text(self.volume_executed), cost=money(self.cost, COST_DECIMALS),
                           fee=money(self.fee, COST_DECIMALS), avg_price=self._price(self.average_price()),
                           lastupdated=epoch_text(self.last_updated))


class Account:
    """One API key's account: balances, orders, own trades, rate counter, dead man's switch."""

    def __init__(self, key: str, secret: str, balances: dict[str, Decimal]) -> None:
        self.key = key
        self.secret = secret
        self.balances = balances
        self.last_nonce = 0
        self.orders: dict[str, Order] = {}
        self.trades: list[tuple[str, dict[str, Any]]] = []
        self.rate_counters: dict[str, tuple[float, float]] = {}  # pair → (value, monotonic time)
        self.switch_generation = 0  # bumped whenever the dead man's switch is (re)armed or disarmed

    def open_orders(self) -> list[Order]:
        return [order for order in self.orders.values() if order.is_open]

    def available(self, asset: str, reference_prices: dict[str, Decimal]) -> Decimal:
        """Balance minus what the open orders hold back."""
        held = sum((order.reserved(asset, reference_prices.get(order.pair, Decimal(0)))
                    for order in self.open_orders()), Decimal(0))
        return self.balances.get(asset, Decimal(0)) - held

    def rate_count(self, pair: str, now: float) -> float:
        value, at = self.rate_counters.get(pair, (0.0, now))
        return max(0.0, value - RATE_DECAY * (now - at))

    def add_rate(self, pair: str, cost: float, now: float) -> float:
        value = self.rate_count(pair, now) + cost
        self.rate_counters[pair] = (value, now)
        return value


def cancel_penalty(age: float) -> int:
    """The rate counter's penalty for cancelling an order ``age`` seconds old (§10)."""
    for limit, penalty in CANCEL_PENALTIES:
        if age < limit:
            return penalty
    return 0


class Liquidity:
    """The book one pair's orders trade against: a seeded, self-refilling ladder.

    Prices are integer units of the pair's price decimals; volumes are ``Decimal``.
    """

    def __init__(self, pair: str, spec: _PairSpec, rng: random.Random) -> None:
        self.spec = spec
        # Level volumes scale with the order minimum: 0.1-5 XBT, 100-5000 XDG.
        self._volume_scale = max(Decimal(1), ORDER_MINIMUMS.get(pair.split("/")[0], DEFAULT_MINIMUM) * 100)
        self.scale = Decimal(1).scaleb(-spec.decimals)
        self.tick = int(Decimal(spec.tick) / self.scale)
        self.rng = rng
        mid = int(Decimal(spec.start) / self.scale)
        self.asks: list[list[Any]] = []  # [price units, volume], best (lowest) first
        self.bids: list[list[Any]] = []  # best (highest) first
        self._extend(self.asks, mid + self.tick, self.tick)
        self._extend(self.bids, mid, -self.tick)

    def _volume(self) -> Decimal:
        return Decimal(self.rng.randint(100, 5000)) / 1000 * self._volume_scale

    def _extend(self, levels: list[list[Any]], start: int, step: int) -> None:
        price = levels[-1][0] + step * self.rng.randint(1, 3) if levels else start
        while len(levels) < _LADDER and price > 0:
            levels.append([price, self._volume()])
            price += step * self.rng.randint(1, 3)

    def best(self) -> tuple[Decimal, Decimal]:
        """The best bid and ask prices."""
        return self.bids[0][0] * self.scale, self.asks[0][0] * self.scale

    def reference_price(self) -> Decimal:
        bid, ask = self.best()
        return ((bid + ask) / 2).quantize(self.scale)

    def plan(self, side: str, volume: Decimal, limit: Decimal | None) -> list[Fill]:
        """The fills a taker order would get, best price first, without changing the book."""
        levels = self.asks if side == "buy" else self.bids
        fills: list[Fill] = []
        remaining = volume
        index = 0
        while remaining > 0:
            if index >= len(levels):
                self._grow(levels, side)
            price_units, available = levels[index]
            price = price_units * self.scale
            if limit is not None and (price > limit if side == "buy" else price < limit):
                break
            taken = min(remaining, available)
            fills.append(Fill(price, taken))
            remaining -= taken
            index += 1
        return fills

    def _grow(self, levels: list[list[Any]], side: str) -> None:
        step = self.tick if side == "buy" else -self.tick
        price = levels[-1][0] + step * self.rng.randint(1, 3)
        if price <= 0:
            raise ValueError("the book ran out of prices")
        levels.append([price, self._volume()])

    def take(self, side: str, fills: list[Fill]) -> None:
        """Remove what ``fills`` (from :meth:`plan`) consumed, then refill the ladder."""
        levels = self.asks if side == "buy" else self.bids
        step = self.tick if side == "buy" else -self.tick
        last = levels[-1][0]
        for fill in fills:
            level = levels[0]
            level[1] -= fill.volume
            if level[1] <= 0:
                levels.pop(0)
        if not levels:
            levels.append([last + step, self._volume()])
        self._extend(levels, 0, step)
