"""CoinEx WebSocket API v1 (legacy spot) emulator (``reference/protocols/coinex.md``).

Speaks v1 as the spec documents it: the JSON-RPC-like envelope (§2; a frame that is
not JSON, or has a non-integer ``id``, a non-string ``method`` or non-array ``params``,
closes the connection without a reply), the error codes of §2.4, ``server.ping``/
``server.time``, ``server.sign`` with the MD5 signature and the ±60 s tonce window of
§4, every query of §5 and every subscription with CoinEx's semantics (§2.5: each
``<kind>.subscribe`` first drops that kind's subscriptions, then installs the new
list; ``<kind>.unsubscribe`` drops them all). Private methods before a successful sign
answer code 6.

Market data is generated per connection from a seeded random order book: trades take
liquidity from it, so ``state.update``, ``deals.update``, ``depth.update`` (full then
incremental pushes with the CRC-32 checksum of §5.7, a full one again every
``clean_interval``) and ``kline.update`` agree with each other. ``trade_history=`` makes
a market start from a captured trade list (e.g. ``fixtures/coinex/coinex-net/
TradeUpdate.txt``).

CoinEx v1 WebSocket has no order placement, so the account side is driven from Python:
:meth:`CoinexEmulator.place_order`, :meth:`~CoinexEmulator.fill` and
:meth:`~CoinexEmulator.cancel_order` change the balances and push ``order.update``,
``asset.update`` and the own-trade ``deals.update`` as the exchange would; resting
orders do not enter the generated public book.
"""

from __future__ import annotations

import collections
import hashlib
import itertools
import json
import random
import threading
import time
import zlib
from collections.abc import Iterable
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from pathlib import Path
from typing import Any, NamedTuple

from exwire.errors import ConfigurationError, InsufficientFunds, OrderNotFound
from exwire.models import Credentials, Side
from exwire.testing._server import EmulatorConnection, EmulatorServer, logger

__all__ = ["CoinexEmulator", "DEFAULT_ACCESS_ID", "DEFAULT_SECRET", "depth_checksum"]

DEFAULT_ACCESS_ID = "E6D1A7B0C0E54E3E9B1F0EMULATOR01"
DEFAULT_SECRET = "0D2F5A9C4B7E4F8A9E3C1B6D8F0A2C4E6B8D0F1A3C5E7B9D"

DEPTH_LIMITS = (1, 5, 10, 20, 30, 50)
MERGE_STEPS = ("0", "0.0000000001", "0.000000001", "0.00000001", "0.0000001", "0.000001", "0.00001",
               "0.0001", "0.001", "0.01", "0.1", "1", "10", "100")
KLINE_INTERVALS = (60, 180, 300, 900, 1800, 3600, 7200, 14400, 21600, 43200, 86400, 259200, 604800)
TONCE_WINDOW_MS = 60_000
FEE_RATE = Decimal("0.002")
_BOOK_LEVELS = 60  # levels kept per side, more than the largest limit
_HISTORY = 1000  # trades kept per market (deals.query's deal_max)
_ERRORS = {1: "invalid argument", 2: "internal error", 3: "service unavailable", 4: "method not found",
           5: "service timeout", 6: "require authentication", 7: "too quick"}
_PRIVATE = ("asset.", "order.")


class _Spec(NamedTuple):
    start: str  # first price
    price_decimals: int
    amount_decimals: int
    spacing: int  # most ticks between two book levels
    base: str
    quote: str


_MARKETS = {
    "BTCUSDT": _Spec("39121.21", 2, 8, 80, "BTC", "USDT"),
    "ETHUSDT": _Spec("3000.00", 2, 8, 10, "ETH", "USDT"),
    "CETUSDT": _Spec("0.050000", 6, 8, 20, "CET", "USDT"),
    "ETHBTC": _Spec("0.070000", 6, 8, 5, "ETH", "BTC"),
    "BCHBTC": _Spec("0.01900000", 8, 8, 20, "BCH", "BTC"),
}
_DEFAULT_BALANCES = {"USDT": "10000", "BTC": "1", "ETH": "10", "CET": "1000", "BCH": "5"}


def depth_checksum(bids: Iterable[list[str]], asks: Iterable[list[str]]) -> int:
    """CoinEx's book checksum (§5.7): CRC-32 of ``bid1_price:bid1_amount:…:ask1_price:…``."""
    return zlib.crc32(":".join(text for levels in (bids, asks) for level in levels for text in level[:2])
                      .encode("ascii"))


def _format(units: int, decimals: int) -> str:
    sign, units = ("-", -units) if units < 0 else ("", units)
    if decimals == 0:
        return f"{sign}{units}"
    whole, fraction = divmod(units, 10**decimals)
    return f"{sign}{whole}.{fraction:0{decimals}d}"


def _units(text: str, decimals: int) -> int:
    return int(Decimal(text).scaleb(decimals))


def _plain(value: Decimal, decimals: int = 8) -> str:
    return format(value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_DOWN), "f")


def _dumps(message: Any) -> str:
    return json.dumps(message, separators=(",", ":"))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class _Refusal(Exception):
    """A request answered with a CoinEx error code."""

    def __init__(self, code: int, message: str | None = None) -> None:
        super().__init__(message or _ERRORS.get(code, "error"))
        self.code = code
        self.message = message or _ERRORS.get(code, "error")


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
        """Take liquidity with 0-2 trades, then change 1-3 book levels."""
        self.fresh = []
        rng = self.rng
        for _ in range(rng.choice((0, 1, 1, 2))):
            self._take()
        for _ in range(rng.choice((1, 1, 2, 3))):
            self._change_level()
        self._replenish()

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
            low, high = (top[-1], min(self.asks) - 1) if bids else (max(self.bids) + 1, top[-1])
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
            price = Decimal(trade["price"])
            candle[2] = trade["price"]
            candle[3] = trade["price"] if price > Decimal(candle[3]) else candle[3]
            candle[4] = trade["price"] if price < Decimal(candle[4]) else candle[4]
            candle[5] = format(Decimal(candle[5]) + Decimal(trade["amount"]), "f")
            candle[6] = format(Decimal(candle[6]) + price * Decimal(trade["amount"]), "f")
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
    def __init__(self, secret: str, user_id: int, balances: dict[str, Any]) -> None:
        self.secret = secret
        self.user_id = user_id
        self.balances: dict[str, list[Decimal]] = {a: [Decimal(str(v)), Decimal(0)] for a, v in balances.items()}

    def balance(self, asset: str) -> list[Decimal]:
        return self.balances.setdefault(asset, [Decimal(0), Decimal(0)])


# -- the emulator -------------------------------------------------------------------------------


class CoinexEmulator(EmulatorServer):
    """A local CoinEx WebSocket v1 server for tests and samples.

    ``with CoinexEmulator() as emu: client = CoinexClient(**emu.client_kwargs(),
    credentials=emu.credentials())``. Markets: BTCUSDT, ETHUSDT, CETUSDT, ETHBTC,
    BCHBTC. Each connection gets its own seeded market data: the same seed and the
    same subscriptions give the same prices, amounts and book changes (times come from
    the clock). One account exists unless ``accounts`` says otherwise: access id
    :data:`DEFAULT_ACCESS_ID`, secret :data:`DEFAULT_SECRET`.

    Threads: besides those of :class:`EmulatorServer`, each connection with a public
    subscription has one pusher (``exwire-emulator-coinex-push-<id>``). Account pushes
    are sent by the thread that calls :meth:`place_order`, :meth:`fill` or
    :meth:`cancel_order`. Thread-safety: every public method may be called from any thread.

    Args:
        seed: Seed of the generated market data.
        push_interval: Seconds between generated pushes on a connection; ``None`` sends
            only what follows a subscribe (first state, trade history, full book).
        clean_interval: Seconds after which a changed book is pushed in full again
            (CoinEx: 60).
        trade_history: Path of a captured trade list (JSON array of ``deals.update``
            trades, newest first, e.g. ``TradeUpdate.txt``) that ``trade_history_market``
            starts from; ``None`` generates the history.
        trade_history_market: The market the captured trades belong to.
        accounts: ``{access_id: secret}`` of the accounts that may sign in; ``None``
            for the default one.
        balances: Starting available balances of every account (asset → amount);
            ``None`` for 10000 USDT, 1 BTC, 10 ETH, 1000 CET, 5 BCH.
        host: Interface to bind.
        port: TCP port, 0 for a free one.
        send_timeout: Seconds a send may block on a client that stopped reading.
        close_timeout: Seconds a closing handshake may take.

    Raises:
        ConfigurationError: a bad interval, an unknown history market or an unreadable
            trade list.
        OSError: the trade list cannot be read.
    """

    def __init__(self, seed: int = 0, push_interval: float | None = 0.1, *, clean_interval: float = 60.0,
                 trade_history: str | Path | None = None, trade_history_market: str = "BTCUSDT",
                 accounts: dict[str, str] | None = None, balances: dict[str, Any] | None = None,
                 host: str = "127.0.0.1", port: int = 0, send_timeout: float | None = 10.0,
                 close_timeout: float = 2.0) -> None:
        super().__init__("coinex", host=host, port=port, send_timeout=send_timeout, close_timeout=close_timeout)
        for label, value in (("push_interval", push_interval), ("clean_interval", clean_interval)):
            if value is not None and not value > 0:
                raise ConfigurationError(f"{label} must be > 0 seconds, not {value!r}")
        if trade_history is not None and trade_history_market not in _MARKETS:
            raise ConfigurationError(f"unknown market {trade_history_market!r}")
        self.seed = seed
        self.push_interval = push_interval
        self.clean_interval = clean_interval
        self._history = {trade_history_market: _load_trades(trade_history)} if trade_history else {}
        starting = balances if balances is not None else _DEFAULT_BALANCES
        self._engine_lock = threading.Lock()  # guards accounts and orders; never held while sending
        self._accounts = {access_id: _Account(secret, 1000 + n, starting)
                          for n, (access_id, secret) in enumerate((accounts or {DEFAULT_ACCESS_ID: DEFAULT_SECRET})
                                                                  .items(), 1)}
        self._default_access_id = next(iter(self._accounts))
        self._orders: dict[int, dict[str, Any]] = {}
        self._order_ids = itertools.count(77_000_000_001)
        self._own_trade_ids = itertools.count(9_000_000_001)
        self._faults_lock = threading.Lock()  # guards the fault queues and the request log
        self._sign_refusals: collections.deque[str] = collections.deque()
        self._failures: dict[str, collections.deque[tuple[int, str]]] = {}
        self._corruptions = 0
        self._log: collections.deque[tuple[int, str, list[Any]]] = collections.deque(maxlen=10_000)
        self.sign_count = 0
        """Successful ``server.sign`` requests since start."""

    # -- public API -----------------------------------------------------------------------------

    def client_kwargs(self) -> dict[str, str]:
        """Keyword arguments pointing a ``CoinexClient`` at this emulator: ``{"url": ...}``."""
        return {"url": self.url}

    def credentials(self, access_id: str | None = None) -> Credentials:
        """:class:`exwire.Credentials` of an account (the first one when ``None``)."""
        access_id = access_id or self._default_access_id
        return Credentials(key=access_id, secret=self._account(access_id).secret)

    @property
    def markets(self) -> list[str]:
        """The markets this emulator trades, sorted."""
        return sorted(_MARKETS)

    def requests(self, method: str | None = None) -> list[tuple[int, str, list[Any]]]:
        """``(connection id, method, params)`` of the requests received (the last 10,000),
        optionally only those of ``method``."""
        with self._faults_lock:
            return [entry for entry in self._log if method is None or entry[1] == method]

    def subscriptions(self) -> list[dict[str, Any]]:
        """What each live connection is subscribed to, in connection order:
        ``{"user", "state", "deals", "depth", "kline", "order", "asset"}``."""
        result = []
        for connection in self.connections:
            if connection.session is not None:
                with connection.send_lock:
                    result.append(connection.session.summary())
        return result

    def balances(self, access_id: str | None = None) -> dict[str, tuple[Decimal, Decimal]]:
        """``{asset: (available, frozen)}`` of an account (the first one when ``None``)."""
        with self._engine_lock:
            account = self._account(access_id or self._default_access_id)
            return {asset: (pair[0], pair[1]) for asset, pair in account.balances.items()}

    def set_balance(self, asset: str, available: Any, *, access_id: str | None = None) -> None:
        """Set an asset's available balance and push ``asset.update`` to the account's sessions."""
        access_id = access_id or self._default_access_id
        with self._engine_lock:
            self._account(access_id).balance(asset)[0] = _decimal(available, "available", zero=True)
            update = self._asset_update(access_id, [asset])
        self._push_private(access_id, asset_update=update)

    def place_order(self, market: str, side: Side | str, amount: Any, price: Any, *, client_id: str = "",
                    access_id: str | None = None) -> int:
        """Place a limit order as if the account had placed it elsewhere (REST, web).

        Freezes the quote (buy) or base (sell) it needs and pushes ``order.update``
        event 1 (PUT) and ``asset.update``. The order does not enter the public book.

        Returns:
            The order id.

        Raises:
            ConfigurationError: unknown market or account, bad side, amount or price.
            InsufficientFunds: the available balance does not cover the order.
        """
        spec = _MARKETS.get(market)
        if spec is None:
            raise ConfigurationError(f"unknown market {market!r}")
        try:
            side = Side(side)
        except ValueError:
            side = None
        if side is None:
            raise ConfigurationError(f"side must be Side.BUY or Side.SELL, got {side!r}")
        amount, price = _decimal(amount, "amount"), _decimal(price, "price")
        access_id = access_id or self._default_access_id
        now = time.time()
        with self._engine_lock:
            account = self._account(access_id)
            asset, needed = (spec.quote, amount * price) if side is Side.BUY else (spec.base, amount)
            balance = account.balance(asset)
            if balance[0] < needed:
                raise InsufficientFunds("coinex", 10, f"balance not enough: {balance[0]} {asset} < {needed}")
            balance[0] -= needed
            balance[1] += needed
            order = {"id": next(self._order_ids), "access_id": access_id, "user": account.user_id,
                     "market": market, "side": 2 if side is Side.BUY else 1, "price": price, "amount": amount,
                     "left": amount, "deal_stock": Decimal(0), "deal_money": Decimal(0),
                     "money_fee": Decimal(0), "stock_fee": Decimal(0), "ctime": now, "mtime": now,
                     "client_id": client_id, "last_deal_amount": Decimal(0), "last_deal_price": Decimal(0),
                     "last_deal_time": 0, "last_deal_id": 0, "last_role": 0, "finished": False}
            self._orders[order["id"]] = order
            wire = _order_wire(order, spec)
            update = self._asset_update(access_id, [asset])
        self._push_private(access_id, market, order_event=(1, wire), asset_update=update)
        return order["id"]

    def fill(self, order_id: int, amount: Any = None, price: Any = None) -> dict[str, Any]:
        """Fill (part of) a resting order as maker, as if another account traded with it.

        Moves the balances (fee ``0.2 %`` of what is received), pushes ``order.update``
        (event 2 while something remains, 3 when filled), ``asset.update`` for both
        assets and the own trade ``deals.update`` (trailing ``true``) to sessions
        subscribed to that market's trades.

        Args:
            order_id: the order.
            amount: base quantity to fill; ``None`` fills what remains.
            price: the fill price, no worse than the limit; ``None`` for the limit price.

        Returns:
            The own trade as sent in ``deals.update``.

        Raises:
            OrderNotFound: no open order has this id.
            ConfigurationError: an amount above what remains, or a price beyond the limit.
        """
        with self._engine_lock:
            order = self._open_order(order_id)
            spec = _MARKETS[order["market"]]
            amount = order["left"] if amount is None else _decimal(amount, "amount")
            price = order["price"] if price is None else _decimal(price, "price")
            buy = order["side"] == 2
            if amount > order["left"]:
                raise ConfigurationError(f"amount {amount} exceeds what remains ({order['left']})")
            if (price > order["price"]) if buy else (price < order["price"]):
                raise ConfigurationError(f"price {price} is beyond the order's limit {order['price']}")
            account = self._account(order["access_id"])
            base, quote = account.balance(spec.base), account.balance(spec.quote)
            value = amount * price
            if buy:
                fee = (amount * FEE_RATE).quantize(Decimal(1).scaleb(-spec.amount_decimals), ROUND_DOWN)
                quote[1] -= amount * order["price"]
                quote[0] += amount * (order["price"] - price)
                base[0] += amount - fee
                order["stock_fee"] += fee
            else:
                fee = (value * FEE_RATE).quantize(Decimal(1).scaleb(-spec.price_decimals), ROUND_DOWN)
                base[1] -= amount
                quote[0] += value - fee
                order["money_fee"] += fee
            now = time.time()
            trade_id = next(self._own_trade_ids)
            order.update(left=order["left"] - amount, deal_stock=order["deal_stock"] + amount,
                         deal_money=order["deal_money"] + value, mtime=now, last_deal_amount=amount,
                         last_deal_price=price, last_deal_time=now, last_deal_id=trade_id, last_role=1)
            order["finished"] = not order["left"]
            event = 3 if order["finished"] else 2
            wire = _order_wire(order, spec)
            update = self._asset_update(order["access_id"], [spec.base, spec.quote])
            trade = {"id": trade_id, "order_id": order["id"], "client_id": order["client_id"],
                     "time": round(now, 6), "type": "buy" if buy else "sell",
                     "amount": _plain(amount, spec.amount_decimals), "price": _plain(price, spec.price_decimals)}
        self._push_private(order["access_id"], order["market"], order_event=(event, wire), asset_update=update,
                           own_trade=trade)
        return trade

    def cancel_order(self, order_id: int) -> None:
        """Cancel an open order: unfreeze what remains, push ``order.update`` event 3 and ``asset.update``.

        Raises:
            OrderNotFound: no open order has this id.
        """
        with self._engine_lock:
            order = self._open_order(order_id)
            spec = _MARKETS[order["market"]]
            account = self._account(order["access_id"])
            asset, frozen = ((spec.quote, order["left"] * order["price"]) if order["side"] == 2
                             else (spec.base, order["left"]))
            balance = account.balance(asset)
            balance[0] += frozen
            balance[1] -= frozen
            order.update(finished=True, mtime=time.time())
            wire = _order_wire(order, spec)
            update = self._asset_update(order["access_id"], [asset])
        self._push_private(order["access_id"], order["market"], order_event=(3, wire), asset_update=update)

    # -- fault injection ----------------------------------------------------------------------

    def refuse_next_sign(self, message: str = "invalid signature") -> None:
        """Answer the next ``server.sign`` with error 11 and ``message``, even if it is valid.
        Calls queue up: N calls refuse the next N sign-ins."""
        with self._faults_lock:
            self._sign_refusals.append(message)

    def fail_next(self, method: str, code: int = 3, message: str | None = None) -> None:
        """Answer the next request of ``method`` with error ``code`` (and ``message``, default
        CoinEx's text for the code) instead of handling it. Calls queue up per method."""
        with self._faults_lock:
            self._failures.setdefault(method, collections.deque()).append((code, message or _ERRORS.get(code, "")))

    def corrupt_next_checksum(self) -> None:
        """Give the next incremental ``depth.update`` sent (any connection) a wrong checksum;
        the levels stay correct. Calls accumulate."""
        with self._faults_lock:
            self._corruptions += 1

    # -- hooks ------------------------------------------------------------------------------

    def on_open(self, connection: EmulatorConnection) -> None:
        connection.session = _Session()

    def on_message(self, connection: EmulatorConnection, message: str | bytes) -> None:
        try:
            request = json.loads(message)
        except ValueError:
            request = None
        # §2.1: anything but {method: str, params: list, id: int} is a decode error: close, no reply.
        if not isinstance(request, dict) or not isinstance(request.get("method"), str) \
                or not isinstance(request.get("params"), list) or not _is_int(request.get("id")):
            logger.debug("%r: undecodable request, closing: %.200r", connection, message)
            connection.abort()
            return
        method, params, request_id = request["method"], request["params"], request["id"]
        with self._faults_lock:
            self._log.append((connection.id, method, params))
            failures = self._failures.get(method)
            failure = failures.popleft() if failures else None
        session: _Session = connection.session
        with connection.send_lock:  # the reply and the pushes that follow it stay in order
            try:
                if failure is not None:
                    raise _Refusal(*failure)
                handler = getattr(self, "_on_" + method.replace(".", "_"), None)
                if handler is None:
                    raise _Refusal(4)
                if method.startswith(_PRIVATE) and session.user is None:
                    raise _Refusal(6)
                result, pushes = handler(connection, session, params)
            except _Refusal as refusal:
                connection.send(_dumps({"error": {"code": refusal.code, "message": refusal.message},
                                        "result": None, "id": request_id}))
                return
            connection.send(_dumps({"error": None, "result": result, "id": request_id}))
            for push in pushes:
                connection.send(_dumps(push))
            if ".subscribe" in method and not session.pusher_started and self.push_interval:
                session.pusher_started = True
                connection.start_worker(self._push_loop)
        self.notify_changed()

    # -- server.* (§3, §4, §5.1, §5.2) --------------------------------------------------------------

    def _on_server_ping(self, connection, session, params):
        return "pong", ()

    def _on_server_time(self, connection, session, params):
        return int(time.time()), ()

    def _on_server_sign(self, connection, session, params):
        if len(params) != 3 or not isinstance(params[0], str) or not isinstance(params[1], str) \
                or not _is_int(params[2]):
            raise _Refusal(1)
        access_id, authorisation, tonce = params
        with self._faults_lock:
            refusal = self._sign_refusals.popleft() if self._sign_refusals else None
        if refusal is not None:
            raise _Refusal(11, refusal)
        with self._engine_lock:
            account = self._accounts.get(access_id)
        if account is None:
            raise _Refusal(11, "access_id not exists")
        if abs(tonce - time.time() * 1000) > TONCE_WINDOW_MS:
            raise _Refusal(11, "tonce expired")
        text = f"access_id={access_id}&tonce={tonce}&secret_key={account.secret}"
        if authorisation != hashlib.md5(text.encode()).hexdigest().upper():
            raise _Refusal(11, "invalid signature")
        if session.user is not None and session.user != access_id:
            # §4: signing in as another user drops the order and asset subscriptions.
            session.orders, session.orders_all, session.assets = set(), False, None
        session.user = access_id
        with self._faults_lock:
            self.sign_count += 1
        return {"status": "success"}, ()

    # -- market data (§5.3-§5.12) -------------------------------------------------------------------

    def _on_state_query(self, connection, session, params):
        if len(params) != 2 or not _is_int(params[1]) or params[1] <= 0:
            raise _Refusal(1)
        return self._market(session, self._known(params[0])).state(params[1]), ()

    def _on_state_subscribe(self, connection, session, params):
        session.state, session.state_all = set(), False
        markets = [self._known(market) for market in params]
        session.state, session.state_all = set(markets), not markets
        names = sorted(_MARKETS) if session.state_all else sorted(session.state)
        push = {"method": "state.update", "params": [{n: self._market(session, n).state() for n in names}],
                "id": None}
        return {"status": "success"}, [push]

    def _on_state_unsubscribe(self, connection, session, params):
        session.state, session.state_all = set(), False
        return {"status": "success"}, ()

    def _on_depth_query(self, connection, session, params):
        if len(params) != 3:
            raise _Refusal(1)
        market = self._market(session, self._known(params[0]))
        limit = params[1] if params[1] in DEPTH_LIMITS and _is_int(params[1]) else 20  # §5.5: falls back to 20
        merge = market.merge(params[2]) if isinstance(params[2], str) else None
        if merge is None:
            raise _Refusal(1, f"invalid argument, market:{market.name} limit:{params[1]} interval:{params[2]}, "
                              "please check your parameters")
        bids, asks = market.view(limit, merge)
        return {"asks": asks, "bids": bids, "last": market.price(market.last), "time": int(time.time() * 1000),
                "checksum": depth_checksum(bids, asks)}, ()

    def _on_depth_subscribe(self, connection, session, params):
        session.depth = {}
        return self._install_depth(session, [params])

    def _on_depth_subscribe_multi(self, connection, session, params):
        session.depth = {}
        entries = [entry for entry in params if not (isinstance(entry, list) and entry and entry[0] == "")]
        if not entries:
            raise _Refusal(1)
        return self._install_depth(session, entries)

    def _install_depth(self, session: _Session, entries: list[Any]):
        subs: dict[str, _DepthSub] = {}
        for entry in entries:
            if not isinstance(entry, list) or len(entry) not in (3, 4):
                raise _Refusal(1)
            name, limit, interval, *diff = entry
            market = self._market(session, self._known(name))
            merge = market.merge(interval) if isinstance(interval, str) else None
            bad_diff = bool(diff) and not isinstance(diff[0], bool)
            if not _is_int(limit) or limit not in DEPTH_LIMITS or merge is None or bad_diff:
                raise _Refusal(1, f"invalid argument, market:{name} limit:{limit} interval:{interval}, "
                                  "please check your parameters")
            subs[market.name] = _DepthSub(limit, interval, merge, diff[0] if diff else True)
        session.depth = subs
        now = time.monotonic()
        pushes = [self._depth_push(session.markets[name], sub, now, clean=True) for name, sub in subs.items()]
        return {"status": "success"}, pushes

    def _on_depth_unsubscribe(self, connection, session, params):
        session.depth = {}
        return {"status": "success"}, ()

    _on_depth_unsubscribe_multi = _on_depth_unsubscribe

    def _on_deals_query(self, connection, session, params):
        if len(params) != 3 or not _is_int(params[1]) or not 0 < params[1] <= _HISTORY \
                or not _is_int(params[2]) or params[2] < 0:
            raise _Refusal(1)
        market = self._market(session, self._known(params[0]))
        trades = [t for t in market.history if t["id"] > params[2]] if params[2] else list(market.history)
        return trades[: params[1]], ()

    def _on_deals_subscribe(self, connection, session, params):
        session.deals = set()
        markets = [self._known(market) for market in params] or sorted(_MARKETS)
        session.deals = set(markets)
        pushes = [{"method": "deals.update", "params": [name, list(self._market(session, name).history)[:100]],
                   "id": None} for name in sorted(session.deals)]
        return {"status": "success"}, pushes

    def _on_deals_unsubscribe(self, connection, session, params):
        session.deals = set()
        return {"status": "success"}, ()

    def _on_kline_query(self, connection, session, params):
        if len(params) != 4 or not all(_is_int(p) for p in params[1:]) or params[3] not in KLINE_INTERVALS:
            raise _Refusal(1)
        market = self._market(session, self._known(params[0]))
        start, end = params[1], min(params[2], int(time.time()))
        if start > end:
            raise _Refusal(1)
        return market.candles(start, end, params[3], self.seed), ()

    def _on_kline_subscribe(self, connection, session, params):
        session.kline = None
        if len(params) != 2 or not _is_int(params[1]) or params[1] not in KLINE_INTERVALS:
            raise _Refusal(1)
        market = self._market(session, self._known(params[0]))
        session.kline = (market.name, _Candle(market, params[1]))
        return {"status": "success"}, ()  # §5.12: no snapshot on subscribe

    def _on_kline_unsubscribe(self, connection, session, params):
        session.kline = None
        return {"status": "success"}, ()

    # -- account (§5.13-§5.16) ------------------------------------------------------------------------

    def _on_asset_query(self, connection, session, params):
        if not all(isinstance(asset, str) for asset in params):
            raise _Refusal(1)
        with self._engine_lock:
            account = self._account(session.user)
            assets = params or sorted(account.balances)
            return {asset: {"available": _plain(account.balance(asset)[0]),
                            "frozen": _plain(account.balance(asset)[1])} for asset in assets}, ()

    def _on_asset_subscribe(self, connection, session, params):
        if not all(isinstance(asset, str) for asset in params):
            session.assets = None
            raise _Refusal(1)
        session.assets = set(params)
        return {"status": "success"}, ()

    def _on_asset_unsubscribe(self, connection, session, params):
        session.assets = None
        return {"status": "success"}, ()

    def _on_order_query(self, connection, session, params):
        if len(params) != 4 or not all(_is_int(p) for p in params[1:]) or params[1] not in (0, 1, 2) \
                or params[2] < 0 or params[3] <= 0:
            raise _Refusal(1)
        market, side, offset, limit = self._known(params[0]), params[1], params[2], min(params[3], 100)
        with self._engine_lock:
            orders = [o for o in self._orders.values() if o["access_id"] == session.user and o["market"] == market
                      and not o["finished"] and side in (0, o["side"])]
            orders.sort(key=lambda o: o["id"], reverse=True)
            records = [_order_wire(o, _MARKETS[market]) for o in orders[offset: offset + limit]]
        return {"limit": limit, "offset": offset, "total": len(orders), "records": records}, ()

    def _on_order_subscribe(self, connection, session, params):
        session.orders, session.orders_all = set(), False
        markets = [self._known(market) for market in params]
        session.orders, session.orders_all = set(markets), not markets
        return {"status": "success"}, ()

    def _on_order_unsubscribe(self, connection, session, params):
        session.orders, session.orders_all = set(), False
        return {"status": "success"}, ()

    # -- pushing ----------------------------------------------------------------------------------

    def _push_loop(self, connection: EmulatorConnection) -> None:
        session: _Session = connection.session
        while connection.tick(self.push_interval):
            if connection.stalled:
                return
            with connection.send_lock:
                for push in self._generate(session):
                    if not connection.send(_dumps(push)):
                        return

    def _generate(self, session: _Session) -> list[dict[str, Any]]:
        used = set(_MARKETS) if session.state_all else set(session.state)
        used |= session.deals | set(session.depth) | ({session.kline[0]} if session.kline else set())
        for name in sorted(used):
            self._market(session, name).step()
        pushes: list[dict[str, Any]] = []
        if session.state_all or session.state:
            names = sorted(_MARKETS) if session.state_all else sorted(session.state)
            pushes.append({"method": "state.update",
                           "params": [{name: session.markets[name].state() for name in names}], "id": None})
        for name in sorted(session.deals):
            if session.markets[name].fresh:
                pushes.append({"method": "deals.update", "params": [name, session.markets[name].fresh], "id": None})
        now = time.monotonic()
        for name, sub in sorted(session.depth.items()):
            push = self._depth_push(session.markets[name], sub, now, clean=False)
            if push is not None:
                pushes.append(push)
        if session.kline is not None:
            name, candle = session.kline
            if candle.update(session.markets[name], session.markets[name].fresh):
                pushes.append({"method": "kline.update", "params": candle.window(), "id": None})
        return pushes

    def _depth_push(self, market: _Market, sub: _DepthSub, now: float, *, clean: bool) -> dict[str, Any] | None:
        bids, asks = market.view(sub.limit, sub.merge)
        if not clean and bids == sub.bids and asks == sub.asks:
            return None
        full = clean or not sub.diff or now - sub.last_clean >= self.clean_interval
        checksum = depth_checksum(bids, asks)
        if full:
            body: dict[str, Any] = {"asks": asks, "bids": bids}
            sub.last_clean = now
        else:
            body = {}
            changed_asks, changed_bids = _diff(sub.asks, asks, False), _diff(sub.bids, bids, True)
            if changed_asks:
                body["asks"] = changed_asks
            if changed_bids:
                body["bids"] = changed_bids
            if self._take_corruption():
                checksum = (checksum + 1) & 0xFFFFFFFF
        body.update(last=market.price(market.last), time=int(time.time() * 1000), checksum=checksum)
        sub.bids, sub.asks = bids, asks
        return {"method": "depth.update", "params": [full, body, market.name], "id": None}

    def _push_private(self, access_id: str, market: str | None = None, *,
                      order_event: tuple[int, dict[str, Any]] | None = None,
                      asset_update: dict[str, Any] | None = None, own_trade: dict[str, Any] | None = None) -> None:
        for connection in self.connections:
            session: _Session | None = connection.session
            if session is None:
                continue
            with connection.send_lock:
                if session.user != access_id:
                    continue
                if order_event is not None and (session.orders_all or market in session.orders):
                    connection.send(_dumps({"method": "order.update", "params": list(order_event), "id": None}))
                if asset_update is not None and session.assets is not None:
                    wanted = {a: v for a, v in asset_update.items() if not session.assets or a in session.assets}
                    if wanted:
                        connection.send(_dumps({"method": "asset.update", "params": [wanted, 0], "id": None}))
                if own_trade is not None and market in session.deals:
                    connection.send(_dumps({"method": "deals.update", "params": [market, [own_trade], True],
                                            "id": None}))
        self.notify_changed()

    # -- helpers ----------------------------------------------------------------------------------

    def _known(self, market: Any) -> str:
        if not isinstance(market, str) or market not in _MARKETS:
            raise _Refusal(1)
        return market

    def _market(self, session: _Session, name: str) -> _Market:
        market = session.markets.get(name)
        if market is None:
            rng = random.Random(f"{self.seed}:{name}")
            market = session.markets[name] = _Market(name, _MARKETS[name], rng, self._history.get(name))
        return market

    def _account(self, access_id: str | None) -> _Account:
        account = self._accounts.get(access_id or "")
        if account is None:
            raise ConfigurationError(f"unknown access id {access_id!r}")
        return account

    def _open_order(self, order_id: int) -> dict[str, Any]:
        order = self._orders.get(order_id)
        if order is None or order["finished"]:
            raise OrderNotFound("coinex", None, f"no open order {order_id}")
        return order

    def _asset_update(self, access_id: str, assets: list[str]) -> dict[str, Any]:
        account, now = self._accounts[access_id], round(time.time(), 6)
        return {asset: {"available": _plain(account.balance(asset)[0]), "frozen": _plain(account.balance(asset)[1]),
                        "timestamp": now} for asset in assets}

    def _take_corruption(self) -> bool:
        with self._faults_lock:
            if self._corruptions:
                self._corruptions -= 1
                return True
            return False


def _diff(old: list[list[str]], new: list[list[str]], descending: bool) -> list[list[str]]:
    """Levels that changed from ``old`` to ``new``, removed ones with amount ``"0"`` (§5.6)."""
    before = {price: amount for price, amount in old}
    after = {price for price, _ in new}
    changed = [[price, amount] for price, amount in new if before.get(price) != amount]
    changed += [[price, "0"] for price, _ in old if price not in after]
    return sorted(changed, key=lambda level: Decimal(level[0]), reverse=descending)


def _order_wire(order: dict[str, Any], spec: _Spec) -> dict[str, Any]:
    pd, ad = spec.price_decimals, spec.amount_decimals
    return {"id": order["id"], "type": 1, "side": order["side"], "user": order["user"], "account": 0, "option": 0,
            "ctime": round(order["ctime"], 6), "mtime": round(order["mtime"], 6), "market": order["market"],
            "source": "api", "client_id": order["client_id"], "price": _plain(order["price"], pd),
            "amount": _plain(order["amount"], ad), "taker_fee": "0.0020", "maker_fee": "0.0020",
            "left": _plain(order["left"], ad), "deal_stock": _plain(order["deal_stock"], ad),
            "deal_money": _plain(order["deal_money"], pd + ad), "money_fee": _plain(order["money_fee"], pd + ad),
            "stock_fee": _plain(order["stock_fee"], ad), "asset_fee": "0", "fee_discount": "1",
            "last_deal_amount": _plain(order["last_deal_amount"], ad),
            "last_deal_price": _plain(order["last_deal_price"], pd),
            "last_deal_time": round(order["last_deal_time"], 6) if order["last_deal_time"] else 0,
            "last_deal_id": order["last_deal_id"], "last_role": order["last_role"], "fee_asset": None, "stop_id": 0}


def _decimal(value: Any, name: str, *, zero: bool = False) -> Decimal:
    try:
        result = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value))
    except InvalidOperation:
        raise ConfigurationError(f"{name} is not a number: {value!r}") from None
    if not result.is_finite() or result < 0 or (result == 0 and not zero):
        raise ConfigurationError(f"{name} must be a {'non-negative' if zero else 'positive'} number, got {value!r}")
    return result


def _load_trades(path: str | Path) -> list[dict[str, Any]]:
    trades = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    if not isinstance(trades, list) or not trades or not all(
            isinstance(t, dict) and {"id", "time", "type", "price", "amount"} <= t.keys() for t in trades):
        raise ConfigurationError(f"{path}: expected a JSON array of CoinEx trades")
    return sorted(trades, key=lambda t: t["id"], reverse=True)
