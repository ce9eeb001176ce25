"""Futures state of the Binance emulator: contracts (last and mark price, seeded depth),
positions, orders, algo orders and wallets (§10 of :doc:`the Binance page </exchanges/binance>`).

The rules that change this state live in :mod:`exwire.testing._binance.futures_engine`.
Everything here is mutated under the emulator's exchange lock.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from decimal import ROUND_DOWN, Decimal
from typing import Any, NamedTuple

from exwire.testing._binance.book import Book
from exwire.testing._binance.common import _ZERO, _ApiError, _decimal, _mandatory

_MAINT_RATE = Decimal("0.004")
_ONE = Decimal(1)
_OPEN = ("NEW", "PARTIALLY_FILLED")
_CONDITIONAL = ("STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET")
_TIME_IN_FORCE = ("GTC", "IOC", "FOK", "GTX", "GTD", "RPI")
_DEFAULT_LEVERAGE = 20


def _fmt(value: Decimal, places: int = 8) -> str:
    """A plain decimal string with ``places`` decimals (futures replies use fixed precision)."""
    return format(value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_DOWN), "f")


def _bool(params: Mapping[str, Any], name: str) -> bool:
    value = params.get(name)
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise _ApiError(-1130, f"Invalid value for parameter '{name}'.")


class _ContractSpec(NamedTuple):
    market: str  # "usdm" or "coinm"
    base: str
    margin: str  # margin asset
    start: str  # first price
    tick: str
    step: str
    size: str  # COIN-M: USD per contract; USDⓈ-M: unused ("1")
    pair: str


_CONTRACTS = {
    "BTCUSDT": _ContractSpec("usdm", "BTC", "USDT", "30000.00", "0.10", "0.001", "1", "BTCUSDT"),
    "ETHUSDT": _ContractSpec("usdm", "ETH", "USDT", "2000.00", "0.01", "0.001", "1", "ETHUSDT"),
    "BTCUSD_PERP": _ContractSpec("coinm", "BTC", "BTC", "30000.0", "0.1", "1", "100", "BTCUSD"),
    "ETHUSD_PERP": _ContractSpec("coinm", "ETH", "ETH", "2000.00", "0.01", "1", "10", "ETHUSD"),
}
_FUTURES_BALANCES = {"usdm": {"USDT": "100000"}, "coinm": {"BTC": "10", "ETH": "100"}}


class _Contract:
    """One perpetual contract: best bid/ask, last price, mark price, seeded depth."""

    def __init__(self, symbol: str, spec: _ContractSpec, seed: int) -> None:
        self.symbol, self.spec, self.seed = symbol, spec, seed
        self.market = spec.market
        self.tick, self.step, self.size = Decimal(spec.tick), Decimal(spec.step), Decimal(spec.size)
        self.inverse = spec.market == "coinm"
        self.price_places = max(0, -self.tick.as_tuple().exponent)  # type: ignore[operator]
        self.quantity_places = max(0, -self.step.as_tuple().exponent)  # type: ignore[operator]
        self.bid = Decimal(spec.start)
        self.ask = self.bid + self.tick
        self.last = self.bid
        self.mark = self.bid
        self.version = 1
        self.updated = 0
        self.trades: deque[dict[str, Any]] = deque(maxlen=2000)
        self.next_trade_id = 1
        self.trade_listener: Callable[[dict[str, Any]], None] | None = None
        """Receives each new trade row, exchange lock held; the stream hub sets it."""
        self.book = Book(tick=self.tick, step=self.step, bid=self.bid, ask=self.ask, seed=f"{seed}:{symbol}:book",
                         futures=True, price_text=lambda v: _fmt(v, self.price_places),
                         quantity_text=lambda v: _fmt(v, self.quantity_places))

    def value(self, quantity: Decimal, price: Decimal) -> Decimal:
        """Position value in the margin asset: ``q × p`` (linear) or ``q × size / p`` (inverse)."""
        if self.inverse:
            return quantity * self.size / price if price else _ZERO
        return quantity * price

    def pnl(self, amount: Decimal, entry: Decimal, price: Decimal) -> Decimal:
        """PnL of a signed ``amount`` entered at ``entry``, valued at ``price``, in the margin asset."""
        if not amount or not entry or not price:
            return _ZERO
        if self.inverse:
            return amount * self.size * (_ONE / entry - _ONE / price)
        return amount * (price - entry)

    def price_of(self, working_type: str) -> Decimal:
        return self.mark if working_type == "MARK_PRICE" else self.last

    def set_price(self, price: Decimal, now: int) -> None:
        self.bid = (price / self.tick).to_integral_value(ROUND_DOWN) * self.tick
        self.ask = self.bid + self.tick
        self.last = self.mark = self.bid
        self.version += 1
        self.updated = now
        self.book.move(self.bid, self.ask)

    def add_trade(self, price: Decimal, quantity: Decimal, buyer_maker: bool, now: int) -> int:
        """Record a public trade (the last price follows) and tell the stream hub."""
        trade_id = self.next_trade_id
        self.next_trade_id += 1
        self.last = price
        self.trades.append({"id": trade_id, "price": _fmt(price, self.price_places),
                            "qty": _fmt(quantity, self.quantity_places), "time": now, "isBuyerMaker": buyer_maker})
        if self.trade_listener is not None:
            self.trade_listener(self.trades[-1])
        return trade_id

    def depth(self, limit: int, now: int) -> dict[str, Any]:
        snapshot = self.book.snapshot(limit)
        return {"lastUpdateId": snapshot["lastUpdateId"], "E": now, "T": self.updated or now,
                "bids": snapshot["bids"], "asks": snapshot["asks"]}


class _Position:
    __slots__ = ("amount", "entry", "updated")

    def __init__(self) -> None:
        self.amount = _ZERO
        self.entry = _ZERO
        self.updated = 0


class _Trigger:
    """The trigger rule shared by COIN-M conditional orders and USDⓈ-M algo orders.

    ``STOP*`` triggers when the price reaches the trigger moving against the position
    being protected (a BUY stop at or above it, a SELL stop at or below); ``TAKE_PROFIT*``
    the other way. ``TRAILING_STOP_MARKET`` activates at ``activation`` (or at once), then
    follows the best price and triggers on a retrace of ``callback_rate`` percent.
    """

    side: str
    type: str
    trigger: Decimal | None
    working_type: str
    callback_rate: Decimal | None
    activation: Decimal | None
    extreme: Decimal | None
    activated: bool

    def triggered(self, contract: _Contract) -> bool:
        price = contract.price_of(self.working_type)
        buy = self.side == "BUY"
        if self.type == "TRAILING_STOP_MARKET":
            if not self.activated:
                if self.activation is not None and (price < self.activation if buy else price > self.activation):
                    return False
                self.activated, self.extreme = True, price
            assert self.extreme is not None and self.callback_rate is not None
            self.extreme = min(self.extreme, price) if buy else max(self.extreme, price)
            rate = self.callback_rate / 100
            return price >= self.extreme * (1 + rate) if buy else price <= self.extreme * (1 - rate)
        if self.trigger is None:
            return False
        if self.type.startswith("STOP"):
            return price >= self.trigger if buy else price <= self.trigger
        return price <= self.trigger if buy else price >= self.trigger


def _conditional_fields(target: Any, params: Mapping[str, Any], trigger_key: str, activation_key: str) -> None:
    target.trigger = _decimal(params, trigger_key)
    target.working_type = params.get("workingType") or "CONTRACT_PRICE"
    if target.working_type not in ("MARK_PRICE", "CONTRACT_PRICE"):
        raise _ApiError(-1130, "Invalid value for parameter 'workingType'.")
    target.callback_rate = _decimal(params, "callbackRate")
    target.activation = _decimal(params, activation_key)
    target.extreme, target.activated = None, False
    if target.type == "TRAILING_STOP_MARKET":
        if target.callback_rate is None:
            raise _mandatory("callbackRate")
        if not Decimal("0.1") <= target.callback_rate <= Decimal("10"):
            raise _ApiError(-2007, "Invalid callBackRate.")
    elif target.type in _CONDITIONAL and target.trigger is None:
        raise _mandatory(trigger_key)


class _FuturesOrder(_Trigger):
    """One order of the futures engine."""

    def __init__(self, wallet: _Wallet, contract: _Contract, order_id: int, params: Mapping[str, Any],
                 now: int) -> None:
        self.wallet, self.contract, self.order_id = wallet, contract, order_id
        self.side: str = params["side"]
        self.type: str = params["type"]
        self.original_type = self.type
        self.client_order_id: str = params.get("newClientOrderId") or f"emuf{order_id:018d}"
        self.time_in_force: str = params.get("timeInForce") or "GTC"
        self.price: Decimal | None = _decimal(params, "price")
        self.quantity: Decimal = _decimal(params, "quantity") or _ZERO
        self.reduce_only = _bool(params, "reduceOnly")
        self.close_position = _bool(params, "closePosition")
        self.price_protect = _bool(params, "priceProtect")
        self.price_match: str = params.get("priceMatch") or "NONE"
        self.stp: str = params.get("selfTradePreventionMode") or "NONE"
        self.good_till: int = params.get("goodTillDate") or 0
        self.status = "NEW"
        self.executed = self.cumulative_value = _ZERO
        self.created = self.updated = now
        self.working = self.type not in _CONDITIONAL
        self.algo: _AlgoOrder | None = None
        _conditional_fields(self, params, "stopPrice", "activationPrice")

    @property
    def open(self) -> bool:
        return self.status in _OPEN

    def remaining(self) -> Decimal:
        return self.quantity - self.executed

    def average_price(self) -> Decimal:
        if not self.executed:
            return _ZERO
        if self.contract.inverse:  # the harmonic mean: value is size / price per contract
            return self.executed * self.contract.size / self.cumulative_value
        return self.cumulative_value / self.executed

    def report(self, *, with_time: bool = False) -> dict[str, Any]:
        contract = self.contract
        prices, quantities = contract.price_places, contract.quantity_places
        report: dict[str, Any] = {
            "orderId": self.order_id, "symbol": contract.symbol, "status": self.status,
            "clientOrderId": self.client_order_id, "price": _fmt(self.price or _ZERO, prices),
            "avgPrice": _fmt(self.average_price(), prices + 3), "origQty": _fmt(self.quantity, quantities),
            "executedQty": _fmt(self.executed, quantities), "cumQty": _fmt(self.executed, quantities),
        }
        if contract.inverse:
            report["cumBase"] = _fmt(self.cumulative_value, 8)
        else:
            report["cumQuote"] = _fmt(self.cumulative_value, 5)
        report.update({
            "timeInForce": self.time_in_force, "type": self.type, "reduceOnly": self.reduce_only,
            "closePosition": self.close_position, "side": self.side, "positionSide": "BOTH",
            "stopPrice": _fmt(self.trigger or _ZERO, prices), "workingType": self.working_type,
            "priceProtect": self.price_protect, "origType": self.original_type, "priceMatch": self.price_match,
            "selfTradePreventionMode": self.stp, "goodTillDate": self.good_till, "updateTime": self.updated,
        })
        if contract.inverse:
            report["pair"] = contract.spec.pair
        if self.original_type == "TRAILING_STOP_MARKET":
            report["activatePrice"] = _fmt(self.activation or _ZERO, prices)
            report["priceRate"] = _fmt(self.callback_rate or _ZERO, 1)
        if with_time:
            report["time"] = self.created
        return report


class _AlgoOrder(_Trigger):
    """A USDⓈ-M algo (conditional) order (``algoOrder.place``, §10.2)."""

    def __init__(self, wallet: _Wallet, contract: _Contract, algo_id: int, params: Mapping[str, Any],
                 now: int) -> None:
        self.wallet, self.contract, self.algo_id = wallet, contract, algo_id
        self.params = dict(params)
        self.side: str = params["side"]
        self.type: str = params["type"]
        self.client_algo_id: str = params.get("clientAlgoId") or f"emualgo{algo_id}"
        self.time_in_force: str = params.get("timeInForce") or "GTC"
        self.price: Decimal | None = _decimal(params, "price")
        self.quantity: Decimal | None = _decimal(params, "quantity")
        self.reduce_only = _bool(params, "reduceOnly")
        self.close_position = _bool(params, "closePosition")
        self.price_protect = _bool(params, "priceProtect")
        self.price_match: str = params.get("priceMatch") or "NONE"
        self.stp: str = params.get("selfTradePreventionMode") or "EXPIRE_MAKER"
        self.good_till: int = params.get("goodTillDate") or 0
        self.status = "NEW"
        self.created = self.updated = now
        self.trigger_time = 0
        self.order: _FuturesOrder | None = None
        _conditional_fields(self, params, "triggerPrice", "activatePrice")

    def report(self) -> dict[str, Any]:
        prices = self.contract.price_places
        report: dict[str, Any] = {
            "algoId": self.algo_id, "clientAlgoId": self.client_algo_id, "algoType": "CONDITIONAL",
            "orderType": self.type, "symbol": self.contract.symbol, "side": self.side, "positionSide": "BOTH",
            "timeInForce": self.time_in_force,
            "quantity": _fmt(self.quantity or _ZERO, self.contract.quantity_places),
            "algoStatus": self.status, "triggerPrice": _fmt(self.trigger or _ZERO, prices),
            "price": _fmt(self.price or _ZERO, prices), "icebergQuantity": None, "selfTradePreventionMode": self.stp,
            "workingType": self.working_type, "priceMatch": self.price_match, "closePosition": self.close_position,
            "priceProtect": self.price_protect, "reduceOnly": self.reduce_only, "createTime": self.created,
            "updateTime": self.updated, "triggerTime": self.trigger_time, "goodTillDate": self.good_till,
        }
        if self.type == "TRAILING_STOP_MARKET":
            report["activatePrice"] = _fmt(self.activation or _ZERO, prices)
            report["callbackRate"] = _fmt(self.callback_rate or _ZERO, 1)
        if self.order is not None:
            report["actualOrderId"] = self.order.order_id
            report["actualPrice"] = _fmt(self.order.average_price(), prices + 3)
        return report


class _Wallet:
    """One account's futures wallet on one market: balances, positions, leverage, orders."""

    def __init__(self, market: str, balances: Mapping[str, Decimal]) -> None:
        self.market = market
        self.balances: dict[str, Decimal] = dict(balances)
        self.updated: dict[str, int] = {}
        self.positions: dict[str, _Position] = {}
        self.leverage: dict[str, int] = {}
        self.orders: list[_FuturesOrder] = []
        self.algos: list[_AlgoOrder] = []
        self.owner = ""
        """The account's API key (set by the engine when it opens the wallet)."""

    def position(self, symbol: str) -> _Position:
        return self.positions.setdefault(symbol, _Position())

    def leverage_of(self, symbol: str) -> int:
        return self.leverage.get(symbol, _DEFAULT_LEVERAGE)
