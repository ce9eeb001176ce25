"""The spot matching engine of the Binance emulator (§8.3, §9.3 of
:doc:`the Binance page </exchanges/binance>`): orders, order lists,
balances and the user-data events they produce. State changes under the exchange lock."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterable, Mapping
from decimal import ROUND_DOWN, Decimal
from typing import Any

from exwire.testing._binance.common import _ZERO, _Account, _ApiError, _decimal, _mandatory, _text
from exwire.testing._binance.spot_market import _Market, _SymbolSpec

_FINAL = ("FILLED", "CANCELED", "REJECTED", "EXPIRED", "EXPIRED_IN_MATCH")

# -- the matching engine (§8.3, §9.3) --------------------------------------------------------

_STOPS = ("STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT")


class _Order:
    """One order in the engine; mutated under the exchange lock only."""

    def __init__(self, account: _Account, market: _Market, order_id: int, params: Mapping[str, Any],
                 now: int) -> None:
        self.account, self.market, self.order_id = account, market, order_id
        self.side: str = params["side"]
        self.type: str = params["type"]
        self.client_order_id: str = params.get("newClientOrderId") or f"emu{order_id:020d}"
        self.time_in_force: str = params.get("timeInForce") or "GTC"
        self.price: Decimal | None = _decimal(params, "price")
        self.quantity: Decimal | None = _decimal(params, "quantity")
        self.quote_quantity: Decimal | None = _decimal(params, "quoteOrderQty")
        self.stop_price: Decimal | None = _decimal(params, "stopPrice")
        self.iceberg: Decimal | None = _decimal(params, "icebergQty")
        self.strategy_id, self.strategy_type = params.get("strategyId"), params.get("strategyType")
        self.stp: str = params.get("selfTradePreventionMode") or "EXPIRE_MAKER"
        self.status = "NEW"
        self.executed = self.cumulative_quote = _ZERO
        self.created = self.updated = now
        self.working = self.type not in _STOPS
        self.working_time: int | None = now if self.working else None
        self.order_list: _OrderList | None = None
        self.oco_group: list[_Order] | None = None
        self.used_sor = False
        self.fills: list[dict[str, Any]] = []

    @property
    def open(self) -> bool:
        return self.status in ("NEW", "PARTIALLY_FILLED")

    def remaining(self) -> Decimal:
        return (self.quantity or _ZERO) - self.executed

    def requirement(self) -> tuple[str, Decimal]:
        """What the order locks while open: quote for a buy, base for a sell."""
        spec = self.market.spec
        if self.side == "SELL":
            return spec.base, self.remaining()
        price = self.price or self.stop_price or self.market.ask
        return spec.quote, self.remaining() * price

    def report(self, kind: str, now: int | None = None) -> dict[str, Any]:
        head = {"symbol": self.market.symbol, "orderId": self.order_id,
                "orderListId": self.order_list.list_id if self.order_list else -1,
                "clientOrderId": self.client_order_id}
        if kind == "ACK":
            return {**head, "transactTime": now}
        body = {"price": _text(self.price or _ZERO), "origQty": _text(self.quantity or _ZERO),
                "executedQty": _text(self.executed), "origQuoteOrderQty": _text(self.quote_quantity or _ZERO),
                "cummulativeQuoteQty": _text(self.cumulative_quote), "status": self.status,
                "timeInForce": self.time_in_force, "type": self.type, "side": self.side}
        extra: dict[str, Any] = {}
        if self.stop_price is not None:
            extra["stopPrice"] = _text(self.stop_price)
        if self.iceberg is not None:
            extra["icebergQty"] = _text(self.iceberg)
        if self.strategy_id is not None:
            extra["strategyId"] = self.strategy_id
        if self.strategy_type is not None:
            extra["strategyType"] = self.strategy_type
        if self.used_sor:
            extra.update(usedSor=True, workingFloor="SOR")
        if kind == "STATUS":
            return {**head, **body, **extra, "time": self.created, "updateTime": self.updated,
                    "isWorking": self.working, "workingTime": self.working_time or -1,
                    "selfTradePreventionMode": self.stp}
        result = {**head, "transactTime": now, **body, **extra}
        if self.working_time is not None:
            result["workingTime"] = self.working_time
        result["selfTradePreventionMode"] = self.stp
        if kind == "FULL":
            result["fills"] = list(self.fills)
        return result

    def execution_report(self, execution: str, now: int, *, last: tuple[Decimal, Decimal] = (_ZERO, _ZERO),
                         trade_id: int = -1, maker: bool = False, client_order_id: str | None = None,
                         original_client_order_id: str = "") -> dict[str, Any]:
        quantity, price = last
        commission_asset = (self.market.spec.base if self.side == "BUY" else self.market.spec.quote) \
            if trade_id != -1 else None
        return {
            "e": "executionReport", "E": now, "s": self.market.symbol,
            "c": client_order_id or self.client_order_id, "S": self.side, "o": self.type, "f": self.time_in_force,
            "q": _text(self.quantity or _ZERO), "p": _text(self.price or _ZERO), "P": _text(self.stop_price or _ZERO),
            "F": _text(self.iceberg or _ZERO), "g": self.order_list.list_id if self.order_list else -1,
            "C": original_client_order_id, "x": execution, "X": self.status, "r": "NONE", "i": self.order_id,
            "l": _text(quantity), "z": _text(self.executed), "L": _text(price), "n": "0", "N": commission_asset,
            "T": now, "t": trade_id, "I": next(_execution_ids), "w": self.working and self.open, "m": maker,
            "M": False, "O": self.created, "Z": _text(self.cumulative_quote), "Y": _text(quantity * price),
            "Q": _text(self.quote_quantity or _ZERO), "W": self.working_time or -1, "V": self.stp,
        }


_execution_ids = itertools.count(1)


class _OrderList:
    """An OCO / OTO / OTOCO / OPO / OPOCO list (§8.3)."""

    def __init__(self, list_id: int, contingency: str, client_id: str | None, symbol: str, now: int) -> None:
        self.list_id, self.contingency, self.symbol = list_id, contingency, symbol
        self.client_id = client_id or f"emulist{list_id:016d}"
        self.orders: list[_Order] = []
        self.working: _Order | None = None  # OTO family: the order whose fill activates the rest
        self.pays = False  # OPO family: pending quantity = the working order's fill
        self.transaction_time = now
        self.done = False

    def report(self, kind: str | None, now: int) -> dict[str, Any]:
        result = {
            "orderListId": self.list_id, "contingencyType": self.contingency,
            "listStatusType": "ALL_DONE" if self.done else "EXEC_STARTED",
            "listOrderStatus": "ALL_DONE" if self.done else "EXECUTING", "listClientOrderId": self.client_id,
            "transactionTime": now, "symbol": self.symbol,
            "orders": [{"symbol": o.market.symbol, "orderId": o.order_id, "clientOrderId": o.client_order_id}
                       for o in self.orders],
        }
        if kind is not None:
            result["orderReports"] = [o.report(kind, now) for o in self.orders]
        return result

    def event(self, now: int) -> dict[str, Any]:
        report = self.report(None, now)
        return {"e": "listStatus", "E": now, "s": self.symbol, "g": self.list_id, "c": self.contingency,
                "l": report["listStatusType"], "L": report["listOrderStatus"], "r": "NONE", "C": self.client_id,
                "T": now, "O": [{"s": o["symbol"], "i": o["orderId"], "c": o["clientOrderId"]}
                                for o in report["orders"]]}



class _Events:
    """User-data events produced by one engine step, per account, in order."""

    def __init__(self) -> None:
        self.items: list[tuple[_Account, dict[str, Any]]] = []
        self.touched: dict[int, tuple[_Account, set[str]]] = {}

    def add(self, account: _Account, event: dict[str, Any]) -> None:
        self.items.append((account, event))

    def balances(self, account: _Account, *assets: str) -> None:
        self.touched.setdefault(id(account), (account, set()))[1].update(assets)

    def flush_balances(self, now: int) -> None:
        for account, assets in self.touched.values():
            rows = []
            for asset in sorted(assets):
                free, locked = account.balance(asset)
                rows.append({"a": asset, "f": _text(free), "l": _text(locked)})
            self.items.append((account, {"e": "outboundAccountPosition", "E": now, "u": now, "B": rows}))
        self.touched.clear()


_REQUIRED = {  # order type → parameters it needs besides side/type (§8.3 table)
    "LIMIT": ("timeInForce", "price", "quantity"),
    "LIMIT_MAKER": ("price", "quantity"),
    "MARKET": (),
    "STOP_LOSS": ("quantity", "stopPrice"),
    "TAKE_PROFIT": ("quantity", "stopPrice"),
    "STOP_LOSS_LIMIT": ("timeInForce", "price", "quantity", "stopPrice"),
    "TAKE_PROFIT_LIMIT": ("timeInForce", "price", "quantity", "stopPrice"),
}
_INSUFFICIENT = "Account has insufficient balance for requested action."


class _Exchange:
    """State shared by every product path: accounts, markets, orders. Guarded by :attr:`lock`."""

    def __init__(self, seed: int, symbols: Mapping[str, _SymbolSpec], time_offset_ms: int) -> None:
        self.lock = threading.RLock()
        self.seed = seed
        self.markets = {symbol: _Market(symbol, spec, seed) for symbol, spec in symbols.items()}
        self.accounts: dict[str, _Account] = {}
        self.order_ids = itertools.count(1_000_001)
        self.list_ids = itertools.count(1)
        self.allocation_ids = itertools.count(0)
        self.time_offset_ms = time_offset_ms

    def now(self) -> int:
        return int(time.time() * 1000) + self.time_offset_ms

    def market(self, symbol: Any) -> _Market:
        if symbol is None:
            raise _mandatory("symbol")
        market = self.markets.get(symbol)
        if market is None:
            raise _ApiError(-1121, "Invalid symbol.")
        return market

    def find_order(self, account: _Account, params: Mapping[str, Any], *, id_key: str = "orderId",
                   client_key: str = "origClientOrderId") -> _Order:
        market = self.market(params.get("symbol"))
        order_id, client_id = params.get(id_key), params.get(client_key)
        if order_id is None and client_id is None:
            raise _ApiError(-1102, f"Param '{client_key}' or '{id_key}' must be sent, but both were empty/null!")
        for order in account.orders:
            if order.market is market and (order_id is None or order.order_id == order_id) \
                    and (client_id is None or order.client_order_id == client_id):
                return order
        if order_id is not None and client_id is not None and any(o.order_id == order_id for o in account.orders):
            raise _ApiError(-2039, "Client order ID is not correct for this order ID.")
        raise _ApiError(-2013, "Order does not exist.")

    # -- validation and placement ----------------------------------------------------------------

    def validate(self, market: _Market, params: Mapping[str, Any]) -> None:
        for name in ("side", "type"):
            if params.get(name) is None:
                raise _mandatory(name)
        if params["side"] not in ("BUY", "SELL"):
            raise _ApiError(-1117, "Invalid side.")
        kind = params["type"]
        if kind not in _REQUIRED:
            raise _ApiError(-1116, "Invalid orderType.")
        if params.get("timeInForce") is not None and params["timeInForce"] not in ("GTC", "IOC", "FOK"):
            raise _ApiError(-1115, "Invalid timeInForce.")
        for name in _REQUIRED[kind]:
            if params.get(name) is None:
                if name == "stopPrice" and params.get("trailingDelta") is not None:
                    raise _ApiError(-1013, "Filter failure: TRAILING_DELTA")
                raise _mandatory(name)
        if kind == "MARKET" and params.get("quantity") is None and params.get("quoteOrderQty") is None:
            raise _ApiError(-1102, "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!")
        for name in ("price", "stopPrice"):
            value = _decimal(params, name)
            if value is not None and (value <= 0 or value % market.tick):
                raise _ApiError(-1013, "Filter failure: PRICE_FILTER")
        for name in ("quantity", "icebergQty"):
            value = _decimal(params, name)
            if value is not None and (value <= 0 or value % market.step):
                raise _ApiError(-1013, "Filter failure: LOT_SIZE")
        _decimal(params, "quoteOrderQty")

    def new_order(self, account: _Account, params: Mapping[str, Any], *, pending: bool = False) -> _Order:
        market = self.market(params.get("symbol"))
        self.validate(market, params)
        order = _Order(account, market, next(self.order_ids), params, self.now())
        if pending:  # checked when it activates
            return order
        if order.type in _STOPS and self.triggered(order):
            raise _ApiError(-2010, "Stop price would trigger immediately.")
        if order.type == "LIMIT_MAKER" and self.marketable(order):
            raise _ApiError(-2010, "Order would immediately match and take.")
        return order

    def check_funds(self, account: _Account, orders: Iterable[_Order]) -> None:
        needed: dict[str, Decimal] = {}
        for order in orders:
            if order.type == "MARKET":
                price = order.market.ask if order.side == "BUY" else order.market.bid
                if order.side == "BUY":
                    amount = order.quote_quantity or (order.quantity or _ZERO) * price
                    asset = order.market.spec.quote
                else:
                    amount = order.quantity or (order.quote_quantity or _ZERO) / price
                    asset = order.market.spec.base
            else:
                asset, amount = order.requirement()
            needed[asset] = max(needed.get(asset, _ZERO), amount) if order.oco_group else \
                needed.get(asset, _ZERO) + amount
        for asset, amount in needed.items():
            if amount > account.balance(asset)[0]:
                raise _ApiError(-2010, _INSUFFICIENT)

    def place(self, account: _Account, params: Mapping[str, Any], events: _Events, *, sor: bool = False) -> _Order:
        order = self.new_order(account, params)
        order.used_sor = sor
        self.check_funds(account, [order])
        now = self.now()
        account.orders.append(order)
        events.add(account, order.execution_report("NEW", now))
        events.balances(account, order.market.spec.base, order.market.spec.quote)
        self.execute(order, events, now)
        return order

    # -- execution ---------------------------------------------------------------------------------

    def triggered(self, order: _Order) -> bool:
        market, stop = order.market, order.stop_price
        if stop is None:
            return False
        if order.type.startswith("STOP_LOSS"):
            return market.bid <= stop if order.side == "SELL" else market.ask >= stop
        return market.bid >= stop if order.side == "SELL" else market.ask <= stop

    def marketable(self, order: _Order) -> bool:
        if order.price is None or order.type in ("MARKET", "STOP_LOSS", "TAKE_PROFIT"):
            return True
        return order.price >= order.market.ask if order.side == "BUY" else order.price <= order.market.bid

    def execute(self, order: _Order, events: _Events, now: int) -> None:
        """Fill what can fill now (taker), expire an IOC/FOK rest; stops wait for their trigger."""
        if not order.working or not order.open:
            return
        market = order.market
        if self.marketable(order):
            price = market.ask if order.side == "BUY" else market.bid
            if order.quantity is None and order.quote_quantity is not None:  # MARKET with quoteOrderQty
                order.quantity = (order.quote_quantity / price / market.step).to_integral_value(ROUND_DOWN) \
                    * market.step
            self.fill(order, price, order.remaining(), False, events, now)
        elif order.time_in_force in ("IOC", "FOK"):
            order.status, order.updated = "EXPIRED", now
            events.add(order.account, order.execution_report("EXPIRED", now))
            events.balances(order.account, market.spec.base, market.spec.quote)
            self.finished(order, events, now)

    def fill(self, order: _Order, price: Decimal, quantity: Decimal, maker: bool, events: _Events, now: int) -> None:
        account, market = order.account, order.market
        base, quote = market.spec.base, market.spec.quote
        amount = price * quantity
        sign = 1 if order.side == "BUY" else -1
        account.totals[base] = account.totals.get(base, _ZERO) + sign * quantity
        account.totals[quote] = account.totals.get(quote, _ZERO) - sign * amount
        order.executed += quantity
        order.cumulative_quote += amount
        order.status = "FILLED" if order.remaining() <= 0 else "PARTIALLY_FILLED"
        order.updated = now
        buyer_maker = (order.side == "BUY") == maker
        trade_id = market.add_trade(price, quantity, buyer_maker, now)
        if not maker:  # a taker trades at the touch: that level's quantity moves
            market.book.traded(price)
        fill = {"price": _text(price), "qty": _text(quantity), "commission": "0.00000000",
                "commissionAsset": base if order.side == "BUY" else quote, "tradeId": trade_id}
        if order.used_sor:
            allocation_id = next(self.allocation_ids)
            fill.update(matchType="ONE_PARTY_TRADE_REPORT", tradeId=-1, allocId=allocation_id)
            account.allocations.append({
                "symbol": market.symbol, "allocationId": allocation_id, "allocationType": "SOR",
                "orderId": order.order_id, "orderListId": -1, "price": _text(price), "qty": _text(quantity),
                "quoteQty": _text(amount), "commission": "0.00000000", "commissionAsset": fill["commissionAsset"],
                "time": now, "isBuyer": order.side == "BUY", "isMaker": maker, "isAllocator": False})
        order.fills.append(fill)
        account.trades.append({
            "symbol": market.symbol, "id": trade_id, "orderId": order.order_id,
            "orderListId": order.order_list.list_id if order.order_list else -1, "price": _text(price),
            "qty": _text(quantity), "quoteQty": _text(amount), "commission": "0.00000000",
            "commissionAsset": fill["commissionAsset"], "time": now, "isBuyer": order.side == "BUY",
            "isMaker": maker, "isBestMatch": True})
        events.add(account, order.execution_report("TRADE", now, last=(quantity, price), trade_id=trade_id,
                                                    maker=maker))
        events.balances(account, base, quote)
        if order.status == "FILLED":
            self.finished(order, events, now)

    def trigger(self, order: _Order, events: _Events, now: int) -> None:
        order.working, order.working_time = True, now
        self.expire_siblings(order, events, now)
        self.execute(order, events, now)

    def expire_siblings(self, order: _Order, events: _Events, now: int) -> None:
        for other in order.oco_group or ():
            if other is not order and other.open:
                other.status, other.updated = "EXPIRED", now
                events.add(other.account, other.execution_report("EXPIRED", now))

    def finished(self, order: _Order, events: _Events, now: int) -> None:
        """An order reached a final status: resolve its order list (OCO, OTO, OPO)."""
        order_list = order.order_list
        if order_list is None:
            return
        self.expire_siblings(order, events, now)
        if order_list.working is order and order.status == "FILLED":
            for pending in order_list.orders:
                if pending.status == "PENDING_NEW":
                    if order_list.pays:
                        pending.quantity = order.executed
                    pending.status, pending.updated = "NEW", now
                    events.add(pending.account, pending.execution_report("NEW", now))
            for pending in order_list.orders:
                if pending.open and not pending.working and pending.type in _STOPS and self.triggered(pending):
                    self.trigger(pending, events, now)
                elif pending.open and pending.working:
                    self.execute(pending, events, now)
        self.update_list(order_list, events, now)

    def update_list(self, order_list: _OrderList, events: _Events, now: int) -> None:
        if not order_list.done and all(o.status in _FINAL for o in order_list.orders):
            order_list.done = True
            order_list.transaction_time = now
            events.add(order_list.orders[0].account, order_list.event(now))

    def set_price(self, market: _Market, price: Decimal, events: _Events) -> None:
        """Move the market; trigger stops and fill resting limit orders it crosses (as maker)."""
        market.set_price(price)
        now = self.now()
        for account in self.accounts.values():
            for order in list(account.orders):
                if order.market is not market or not order.open:
                    continue
                if not order.working:
                    if self.triggered(order):
                        self.trigger(order, events, now)
                elif order.price is not None and order.type != "MARKET" and (
                        order.price >= market.ask if order.side == "BUY" else order.price <= market.bid):
                    self.fill(order, order.price, order.remaining(), True, events, now)
        market.touch_trade(now)

    def cancel(self, order: _Order, cancel_id: str | None, events: _Events) -> _Order | _OrderList:
        now = self.now()
        if order.order_list is not None:
            return self.cancel_list(order.order_list, events)
        if not order.open:
            raise _ApiError(-2011, "Unknown order sent.")
        order.status, order.updated = "CANCELED", now
        order.cancel_id = cancel_id or f"emucancel{next(self.order_ids)}"  # type: ignore[attr-defined]
        events.add(order.account, order.execution_report(
            "CANCELED", now, client_order_id=order.cancel_id,  # type: ignore[attr-defined]
            original_client_order_id=order.client_order_id))
        events.balances(order.account, order.market.spec.base, order.market.spec.quote)
        return order

    def cancel_list(self, order_list: _OrderList, events: _Events) -> _OrderList:
        if order_list.done:
            raise _ApiError(-2011, "Unknown order list sent.")
        now = self.now()
        for member in order_list.orders:
            if member.status not in _FINAL:
                member.status, member.updated = "CANCELED", now
                events.add(member.account, member.execution_report("CANCELED", now))
                events.balances(member.account, member.market.spec.base, member.market.spec.quote)
        self.update_list(order_list, events, now)
        return order_list

    def place_list(self, account: _Account, contingency: str, legs: list[tuple[str, dict[str, Any]]],
                   client_id: str | None, events: _Events, *, pays: bool = False) -> _OrderList:
        """Place an order list. ``legs`` are ``(role, params)`` with role ``oco`` (one of a
        one-cancels-the-other pair), ``working`` or ``pending``/``pending_oco``."""
        orders: list[tuple[str, _Order]] = []
        for role, params in legs:
            if pays and role.startswith("pending"):
                params = {**params, "quantity": params.get("quantity") or str(market_step(self, params))}
            orders.append((role, self.new_order(account, params, pending=role.startswith("pending"))))
        now = self.now()
        order_list = _OrderList(next(self.list_ids), contingency, client_id, orders[0][1].market.symbol, now)
        order_list.pays = pays
        pairs: dict[str, list[_Order]] = {}
        for role, order in orders:
            order.order_list = order_list
            order_list.orders.append(order)
            if role == "working":
                order_list.working = order
            if role.endswith("oco"):
                pairs.setdefault(role, []).append(order)
            if role.startswith("pending"):
                order.status, order.working, order.working_time = "PENDING_NEW", False, None
        for group in pairs.values():
            for order in group:
                order.oco_group = group
        self.check_funds(account, [o for _, o in orders if not _.startswith("pending")])
        account.orders.extend(order_list.orders)
        account.lists.append(order_list)
        for order in order_list.orders:
            events.add(account, order.execution_report("NEW", now))
        events.add(account, order_list.event(now))
        events.balances(account, order_list.orders[0].market.spec.base, order_list.orders[0].market.spec.quote)
        for order in order_list.orders:
            self.execute(order, events, now)
        return order_list


def market_step(exchange: _Exchange, params: Mapping[str, Any]) -> Decimal:
    """Placeholder quantity of an OPO pending leg until the working order fills."""
    return exchange.market(params.get("symbol")).step


