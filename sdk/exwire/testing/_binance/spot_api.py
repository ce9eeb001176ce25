"""The spot WebSocket API of the Binance emulator at ``/ws-api/v3`` (§8, §9 of
:doc:`the Binance page </exchanges/binance>`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from exwire.testing._binance.api import _Api, _Limits, _Method, _Request, _Session
from exwire.testing._binance.common import (
    _ZERO,
    _Account,
    _ApiError,
    _decimal,
    _dumps,
    _int,
    _mandatory,
    _symbols_param,
    _text,
)
from exwire.testing._binance.spot_engine import _Events, _execution_ids, _Order, _OrderList
from exwire.testing._binance.spot_market import _INTERVAL_MS, _Market
from exwire.testing._server import EmulatorConnection

if TYPE_CHECKING:
    from exwire.testing._binance.state import EmulatorState

SPOT_PATH = "/ws-api/v3"


_LEG_KEYS = {"Type": "type", "Side": "side", "Price": "price", "Quantity": "quantity", "StopPrice": "stopPrice",
             "TimeInForce": "timeInForce", "ClientOrderId": "newClientOrderId", "IcebergQty": "icebergQty",
             "TrailingDelta": "trailingDelta", "StrategyId": "strategyId", "StrategyType": "strategyType"}


def _leg(params: Mapping[str, Any], prefix: str, **shared: Any) -> dict[str, Any]:
    leg = {"symbol": params.get("symbol"), **{k: v for k, v in shared.items() if v is not None}}
    for suffix, key in _LEG_KEYS.items():
        if params.get(prefix + suffix) is not None:
            leg[key] = params[prefix + suffix]
    return leg


def _signed(request: _Request) -> _Account:
    """The account of a SIGNED request (``authorize`` has set it)."""
    assert request.account is not None
    return request.account


class _SpotApi(_Api):
    """The spot WebSocket API at ``/ws-api/v3`` (§8, §9)."""

    path = SPOT_PATH

    def __init__(self, state: EmulatorState, limits: _Limits) -> None:
        super().__init__(state, limits)
        M = _Method
        self.methods = {
            # general and session (§8.1, §7)
            "ping": M(lambda r, e: {}, takes_params=False),
            "time": M(lambda r, e: {"serverTime": r.now}, takes_params=False),
            "exchangeInfo": M(self.exchange_info, weight=20),
            **self.session_methods(),
            "session.subscriptions": M(lambda r, e: [{"subscriptionId": s} for s in r.session.streams],
                                       weight=2, takes_params=False),
            # market data (§8.1)
            "depth": M(self.depth, weight=5),
            "trades.recent": M(self.trades_recent, weight=25),
            "trades.historical": M(self.trades_historical, weight=25),
            "blockTrades.historical": M(self.block_trades, weight=25),
            "trades.aggregate": M(self.trades_aggregate, weight=4),
            "klines": M(self.klines, weight=2),
            "uiKlines": M(self.klines, weight=2),
            "avgPrice": M(self.average_price, weight=2),
            "executionRules": M(self.execution_rules, weight=2),
            "referencePrice": M(self.reference_price, weight=2),
            "referencePrice.calculation": M(self.reference_price_calculation, weight=2),
            "ticker.24hr": M(lambda r, e: self.tickers(r, 86_400_000), weight=2),
            "ticker.tradingDay": M(lambda r, e: self.tickers(r, r.now % 86_400_000 or 1), weight=4),
            "ticker": M(self.rolling_ticker, weight=4),
            "ticker.price": M(self.price_ticker, weight=2),
            "ticker.book": M(self.book_ticker, weight=2),
            # trading (§8.3)
            "order.place": M(self.order_place, "SIGNED", 1, 1),
            "order.test": M(self.order_test, "SIGNED", 1),
            "order.cancel": M(self.order_cancel, "SIGNED", 1),
            "order.cancelReplace": M(self.order_cancel_replace, "SIGNED", 1, 1),
            "order.amend.keepPriority": M(self.order_amend, "SIGNED", 4),
            "openOrders.cancelAll": M(self.cancel_all, "SIGNED", 1),
            "orderList.place": M(self.list_legacy, "SIGNED", 1, 2),
            "orderList.place.oco": M(self.list_oco, "SIGNED", 1, 2),
            "orderList.place.oto": M(lambda r, e: self.list_oto(r, e, False, False), "SIGNED", 1, 2),
            "orderList.place.otoco": M(lambda r, e: self.list_oto(r, e, True, False), "SIGNED", 1, 3),
            "orderList.place.opo": M(lambda r, e: self.list_oto(r, e, False, True), "SIGNED", 1, 2),
            "orderList.place.opoco": M(lambda r, e: self.list_oto(r, e, True, True), "SIGNED", 1, 3),
            "orderList.cancel": M(self.list_cancel, "SIGNED", 1),
            "sor.order.place": M(self.sor_place, "SIGNED", 1, 1),
            "sor.order.test": M(self.sor_test, "SIGNED", 1),
            # account (§8.5)
            "account.status": M(self.account_status, "SIGNED", 20),
            "account.rateLimits.orders": M(
                lambda r, e: self.limits.report(r.now, r.account)[:-1], "SIGNED", 40),
            "account.commission": M(self.account_commission, "SIGNED", 20),
            "order.status": M(lambda r, e: self.exchange.find_order(_signed(r), r.params).report("STATUS"),
                              "SIGNED", 4),
            "openOrders.status": M(self.open_orders, "SIGNED", 6),
            "allOrders": M(self.all_orders, "SIGNED", 20),
            "orderList.status": M(self.list_status, "SIGNED", 4),
            "openOrderLists.status": M(lambda r, e: [l.report(None, r.now) for l in _signed(r).lists if not l.done],
                                       "SIGNED", 6),
            "allOrderLists": M(self.all_lists, "SIGNED", 20),
            "myTrades": M(self.my_trades, "SIGNED", 20),
            "myPreventedMatches": M(self.prevented_matches, "SIGNED", 20),
            "myAllocations": M(self.allocations, "SIGNED", 20),
            # user data stream (§9)
            "userDataStream.subscribe": M(self.subscribe, "SESSION", 2),
            "userDataStream.subscribe.signature": M(self.subscribe, "SIGNED", 2),
            "userDataStream.unsubscribe": M(self.unsubscribe, weight=2),
        }

    # -- general and session --------------------------------------------------------------------

    def exchange_info(self, request: _Request, events: _Events) -> dict[str, Any]:
        params = request.params
        wanted = _symbols_param(params) or ([params["symbol"]] if params.get("symbol") else None)
        markets = [self.exchange.market(s) for s in wanted] if wanted else list(self.exchange.markets.values())
        return {
            "timezone": "UTC", "serverTime": request.now,
            "rateLimits": self.limits.exchange_info() + [
                {"rateLimitType": "CONNECTIONS", "interval": "MINUTE", "intervalNum": 5, "limit": 300}],
            "exchangeFilters": [], "symbols": [m.exchange_info() for m in markets],
            "sors": [{"baseAsset": "BTC", "symbols": ["BTCUSDT"]}],
        }

    def session_status(self, session: _Session, now: int) -> dict[str, Any]:
        return {**super().session_status(session, now), "userDataStream": bool(session.streams)}

    def logout(self, request: _Request, events: _Events) -> dict[str, Any]:
        for subscription_id, (_, via_logon) in list(request.session.streams.items()):
            if via_logon:  # §7: logging out ends the subscription made through the log-on
                self.terminate(request.connection, subscription_id, request.now)
        return super().logout(request, events)

    def terminate(self, connection: EmulatorConnection, subscription_id: int, now: int) -> None:
        connection.session.streams.pop(subscription_id, None)
        connection.send(_dumps({"subscriptionId": subscription_id,
                                "event": {"e": "eventStreamTerminated", "E": now}}))

    # -- market data ----------------------------------------------------------------------------

    def depth(self, request: _Request, events: _Events) -> dict[str, Any]:
        market = self.exchange.market(request.params.get("symbol"))
        return market.depth(_int(request.params, "limit", 100, 1, 5000) or 100)  # null: the default

    def trades_recent(self, request: _Request, events: _Events) -> list[dict[str, Any]]:
        market = self.exchange.market(request.params.get("symbol"))
        limit = _int(request.params, "limit", 500, 1, 1000) or 500  # null: the default
        return list(market.trades)[-limit:]

    def trades_historical(self, request: _Request, events: _Events) -> list[dict[str, Any]]:
        market = self.exchange.market(request.params.get("symbol"))
        limit = _int(request.params, "limit", 500, 1, 1000)
        from_id = _int(request.params, "fromId")
        trades = list(market.trades)
        if from_id is None:
            return trades[-limit:]  # type: ignore[operator]
        return [t for t in trades if t["id"] >= from_id][:limit]

    def block_trades(self, request: _Request, events: _Events) -> list[dict[str, Any]]:
        self.exchange.market(request.params.get("symbol"))
        if request.params.get("fromId") is None:
            raise _mandatory("fromId")
        return []  # the emulator has no block trades

    def trades_aggregate(self, request: _Request, events: _Events) -> list[dict[str, Any]]:
        rows = [{"a": t["id"], "p": t["price"], "q": t["qty"], "f": t["id"], "l": t["id"], "T": t["time"],
                 "m": t["isBuyerMaker"], "M": True} for t in self.trades_historical(request, events)]
        start, end = _int(request.params, "startTime"), _int(request.params, "endTime")
        return [r for r in rows if (start is None or r["T"] >= start) and (end is None or r["T"] <= end)]

    def klines(self, request: _Request, events: _Events) -> list[list[Any]]:
        params = request.params
        market = self.exchange.market(params.get("symbol"))
        interval = params.get("interval")
        if interval not in _INTERVAL_MS:
            raise _ApiError(-1120, "Invalid interval.")
        return market.klines(interval, _int(params, "startTime"), _int(params, "endTime"),
                             _int(params, "limit", 500, 1, 1000))  # type: ignore[arg-type]

    def average_price(self, request: _Request, events: _Events) -> dict[str, Any]:
        market = self.exchange.market(request.params.get("symbol"))
        return {"mins": 5, "price": _text((market.bid + market.ask) / 2), "closeTime": request.now}

    def execution_rules(self, request: _Request, events: _Events) -> dict[str, Any]:
        wanted = _symbols_param(request.params) or \
            ([request.params["symbol"]] if request.params.get("symbol") else list(self.exchange.markets))
        return {"symbolRules": [{"symbol": self.exchange.market(s).symbol, "rules": [
            {"ruleType": "PRICE_RANGE", "bidLimitMultUp": "1.05", "bidLimitMultDown": "0.95",
             "askLimitMultUp": "1.05", "askLimitMultDown": "0.95"}]} for s in wanted]}

    def reference_price(self, request: _Request, events: _Events) -> dict[str, Any]:
        market = self.exchange.market(request.params.get("symbol"))
        return {"symbol": market.symbol, "referencePrice": _text(market.bid), "timestamp": request.now}

    def reference_price_calculation(self, request: _Request, events: _Events) -> dict[str, Any]:
        market = self.exchange.market(request.params.get("symbol"))
        return {"symbol": market.symbol, "calculationType": "ARITHMETIC_MEAN", "bucketCount": 10,
                "bucketWidthMs": 1000}

    def _markets(self, params: Mapping[str, Any], *, required: bool = False) -> tuple[list[_Market], bool]:
        symbols = _symbols_param(params)
        if params.get("symbol") is not None and symbols is not None:
            raise _ApiError(-1106, "Parameter 'symbols' sent when not required.")
        if params.get("symbol") is not None:
            return [self.exchange.market(params["symbol"])], True
        if symbols is not None:
            return [self.exchange.market(s) for s in symbols], False
        if required:
            raise _ApiError(-1102, "Param 'symbol' or 'symbols' must be sent, but both were empty/null!")
        return list(self.exchange.markets.values()), False

    def tickers(self, request: _Request, window_ms: int, required: bool = False) -> Any:
        markets, single = self._markets(request.params, required=required)
        kind = request.params.get("type", "FULL")
        if kind not in ("FULL", "MINI"):
            raise _ApiError(-1139, "Invalid ticker type.")
        rows = [m.ticker(kind, window_ms, with_book=request.method == "ticker.24hr") for m in markets]
        return rows[0] if single else rows

    def rolling_ticker(self, request: _Request, events: _Events) -> Any:
        size = request.params.get("windowSize", "1d")
        units = {"m": 60_000, "h": 3_600_000, "d": 86_400_000}
        try:
            window = int(size[:-1]) * units[size[-1]]
        except (TypeError, ValueError, KeyError, IndexError):
            raise _ApiError(-1100, "Illegal characters found in parameter 'windowSize'.") from None
        return self.tickers(request, window, required=True)

    def price_ticker(self, request: _Request, events: _Events) -> Any:
        markets, single = self._markets(request.params)
        rows = [{"symbol": m.symbol, "price": m.trades[-1]["price"] if m.trades else _text(m.bid)} for m in markets]
        return rows[0] if single else rows

    def book_ticker(self, request: _Request, events: _Events) -> Any:
        markets, single = self._markets(request.params)
        rows = []
        for market in markets:
            depth = market.depth(1)
            rows.append({"symbol": market.symbol, "bidPrice": depth["bids"][0][0], "bidQty": depth["bids"][0][1],
                         "askPrice": depth["asks"][0][0], "askQty": depth["asks"][0][1]})
        return rows[0] if single else rows

    # -- trading ----------------------------------------------------------------------------------

    @staticmethod
    def _response_type(params: Mapping[str, Any], order: _Order | None = None) -> str:
        kind = params.get("newOrderRespType")
        if kind is None:
            return "FULL" if order is None or order.type in ("MARKET", "LIMIT") else "ACK"
        if kind not in ("ACK", "RESULT", "FULL"):
            raise _ApiError(-1100, "Illegal characters found in parameter 'newOrderRespType'.")
        return str(kind)

    def order_place(self, request: _Request, events: _Events, *, sor: bool = False) -> dict[str, Any]:
        self._response_type(request.params)
        order = self.exchange.place(request.account, request.params, events, sor=sor)  # type: ignore[arg-type]
        return order.report(self._response_type(request.params, order), request.now)

    @staticmethod
    def _commission(params: Mapping[str, Any]) -> dict[str, Any]:
        if not params.get("computeCommissionRates"):
            return {}
        rates = {"maker": "0.00100000", "taker": "0.00100000"}
        return {"standardCommissionForOrder": rates, "taxCommissionForOrder": {"maker": "0", "taker": "0"},
                "discount": {"enabledForAccount": False, "enabledForSymbol": False, "discountAsset": "BNB",
                             "discount": "0.25000000"}}

    def order_test(self, request: _Request, events: _Events) -> dict[str, Any]:
        self.exchange.new_order(request.account, request.params)  # type: ignore[arg-type]
        return self._commission(request.params)

    @staticmethod
    def _cancel_report(order: _Order, now: int) -> dict[str, Any]:
        report = order.report("RESULT", now)
        report.pop("workingTime", None)
        report["origClientOrderId"] = order.client_order_id
        report["clientOrderId"] = getattr(order, "cancel_id", order.client_order_id)
        return report

    def _cancel(self, request: _Request, events: _Events, order: _Order, cancel_id: Any) -> dict[str, Any]:
        restriction = request.params.get("cancelRestrictions")
        if restriction is not None and (restriction, order.status) not in (("ONLY_NEW", "NEW"),
                                                                           ("ONLY_PARTIALLY_FILLED",
                                                                            "PARTIALLY_FILLED")):
            raise _ApiError(-2011, "Order was not canceled due to cancel restrictions.")
        result = self.exchange.cancel(order, cancel_id, events)
        if isinstance(result, _OrderList):
            return result.report("RESULT", request.now)
        return self._cancel_report(result, request.now)

    def order_cancel(self, request: _Request, events: _Events) -> dict[str, Any]:
        order = self.exchange.find_order(request.account, request.params)  # type: ignore[arg-type]
        return self._cancel(request, events, order, request.params.get("newClientOrderId"))

    def order_cancel_replace(self, request: _Request, events: _Events) -> dict[str, Any]:
        params = request.params
        mode = params.get("cancelReplaceMode")
        if mode not in ("STOP_ON_FAILURE", "ALLOW_FAILURE"):
            raise _mandatory("cancelReplaceMode")
        cancel_response: Any
        try:
            order = self.exchange.find_order(request.account, params, id_key="cancelOrderId",  # type: ignore[arg-type]
                                             client_key="cancelOrigClientOrderId")
            cancel_response = self._cancel(request, events, order, params.get("cancelNewClientOrderId"))
            cancelled = True
        except _ApiError as error:
            cancel_response, cancelled = {"code": error.code, "msg": error.message}, False
        new_response: Any = None
        placed = False
        if cancelled or mode == "ALLOW_FAILURE":
            new_params = {k: v for k, v in params.items() if not k.startswith("cancel")}
            try:
                new_response = self.order_place(request._replace(params=new_params), events)
                placed = True
            except _ApiError as error:
                new_response = {"code": error.code, "msg": error.message}
        data = {"cancelResult": "SUCCESS" if cancelled else "FAILURE",
                "newOrderResult": "SUCCESS" if placed else ("FAILURE" if new_response else "NOT_ATTEMPTED"),
                "cancelResponse": cancel_response, "newOrderResponse": new_response}
        if cancelled and placed:
            return data
        if cancelled or placed:
            raise _ApiError(-2021, "Order cancel-replace partially failed.", 409, data)
        raise _ApiError(-2022, "Order cancel-replace failed.", 400, data)

    def order_amend(self, request: _Request, events: _Events) -> dict[str, Any]:
        order = self.exchange.find_order(request.account, request.params)  # type: ignore[arg-type]
        new_quantity = _decimal(request.params, "newQty")
        if new_quantity is None:
            raise _mandatory("newQty")
        if not order.open:
            raise _ApiError(-2013, "Order does not exist.")
        if not order.executed < new_quantity < (order.quantity or _ZERO) or new_quantity % order.market.step:
            raise _ApiError(-2038, "Order amend (quantity increase) rejected.")
        order.quantity, order.updated = new_quantity, request.now
        order.client_order_id = request.params.get("newClientOrderId") or f"emuamend{next(self.exchange.order_ids)}"
        events.add(order.account, order.execution_report("REPLACED", request.now))
        events.balances(order.account, order.market.spec.base, order.market.spec.quote)
        amended = order.report("STATUS")
        amended["cumulativeQuoteQty"] = amended.pop("cummulativeQuoteQty")  # §11: this spelling here
        result = {"transactTime": request.now, "executionId": next(_execution_ids), "amendedOrder": amended}
        if order.order_list is not None:
            result["listStatus"] = order.order_list.report(None, request.now)
        return result

    def cancel_all(self, request: _Request, events: _Events) -> list[dict[str, Any]]:
        market = self.exchange.market(request.params.get("symbol"))
        account: _Account = request.account  # type: ignore[assignment]
        results: list[dict[str, Any]] = []
        seen: set[int] = set()
        for order in list(account.orders):
            if order.market is not market or order.status not in ("NEW", "PARTIALLY_FILLED", "PENDING_NEW"):
                continue
            if order.order_list is not None:
                if order.order_list.list_id in seen:
                    continue
                seen.add(order.order_list.list_id)
            results.append(self._cancel(request, events, order, None))
        if not results:
            raise _ApiError(-2011, "Unknown order sent.")
        return results

    def _place_list(self, request: _Request, events: _Events, contingency: str,
                    legs: list[tuple[str, dict[str, Any]]], *, pays: bool = False) -> dict[str, Any]:
        kind = self._response_type(request.params, None)
        kind = "RESULT" if request.params.get("newOrderRespType") is None else kind
        order_list = self.exchange.place_list(request.account, contingency, legs,  # type: ignore[arg-type]
                                              request.params.get("listClientOrderId"), events, pays=pays)
        return order_list.report(kind, request.now)

    def list_legacy(self, request: _Request, events: _Events) -> dict[str, Any]:
        p = request.params
        for name in ("side", "quantity", "price"):
            if p.get(name) is None:
                raise _mandatory(name)
        if p.get("stopPrice") is None:
            raise _mandatory("stopPrice")
        shared = {"symbol": p.get("symbol"), "side": p["side"], "quantity": p["quantity"]}
        stop = {**shared, "type": "STOP_LOSS_LIMIT" if p.get("stopLimitPrice") else "STOP_LOSS",
                "stopPrice": p["stopPrice"], "price": p.get("stopLimitPrice"),
                "timeInForce": p.get("stopLimitTimeInForce"), "newClientOrderId": p.get("stopClientOrderId"),
                "icebergQty": p.get("stopIcebergQty")}
        limit = {**shared, "type": "LIMIT_MAKER", "price": p["price"], "newClientOrderId": p.get("limitClientOrderId"),
                 "icebergQty": p.get("limitIcebergQty")}
        return self._place_list(request, events, "OCO", [("oco", {k: v for k, v in stop.items() if v is not None}),
                                                         ("oco", {k: v for k, v in limit.items() if v is not None})])

    def list_oco(self, request: _Request, events: _Events) -> dict[str, Any]:
        p = request.params
        for name in ("side", "quantity", "aboveType", "belowType"):
            if p.get(name) is None:
                raise _mandatory(name)
        legs = [("oco", _leg(p, "below", side=p["side"], quantity=p["quantity"])),
                ("oco", _leg(p, "above", side=p["side"], quantity=p["quantity"]))]
        return self._place_list(request, events, "OCO", legs)

    def list_oto(self, request: _Request, events: _Events, with_oco: bool, pays: bool) -> dict[str, Any]:
        p = request.params
        required = ["workingType", "workingSide", "workingPrice", "workingQuantity"]
        required += ["pendingSide", "pendingAboveType"] if with_oco else ["pendingType", "pendingSide"]
        if with_oco and not pays:
            required.append("pendingQuantity")
        if not with_oco and not pays:
            required.append("pendingQuantity")
        for name in required:
            if p.get(name) is None:
                raise _mandatory(name)
        legs = [("working", _leg(p, "working"))]
        if with_oco:
            shared = {"side": p["pendingSide"], "quantity": p.get("pendingQuantity")}
            legs.append(("pending_oco", _leg(p, "pendingAbove", **shared)))
            if p.get("pendingBelowType") is not None:
                legs.append(("pending_oco", _leg(p, "pendingBelow", **shared)))
        else:
            legs.append(("pending", _leg(p, "pending")))
        return self._place_list(request, events, "OTO", legs, pays=pays)

    def _find_list(self, account: _Account, list_id: Any, client_id: Any) -> _OrderList:
        if list_id is None and client_id is None:
            raise _ApiError(-1102, "Param 'listClientOrderId' or 'orderListId' must be sent, but both were "
                                   "empty/null!")
        for order_list in account.lists:
            if (client_id is not None and order_list.client_id == client_id) or \
                    (client_id is None and order_list.list_id == list_id):
                return order_list
        raise _ApiError(-2011, "Unknown order list sent.")

    def list_cancel(self, request: _Request, events: _Events) -> dict[str, Any]:
        self.exchange.market(request.params.get("symbol"))
        order_list = self._find_list(request.account, request.params.get("orderListId"),  # type: ignore[arg-type]
                                     request.params.get("listClientOrderId"))
        return self.exchange.cancel_list(order_list, events).report("RESULT", request.now)

    def list_status(self, request: _Request, events: _Events) -> dict[str, Any]:
        order_list = self._find_list(request.account, request.params.get("orderListId"),  # type: ignore[arg-type]
                                     request.params.get("origClientOrderId"))
        return order_list.report(None, order_list.transaction_time)

    def _check_sor(self, params: Mapping[str, Any]) -> None:
        if params.get("quoteOrderQty") is not None:
            raise _ApiError(-1106, "Parameter 'quoteOrderQty' sent when not required.")
        if params.get("type") not in ("LIMIT", "MARKET"):
            raise _ApiError(-1013, "SOR supports only LIMIT and MARKET orders.")

    def sor_place(self, request: _Request, events: _Events) -> list[dict[str, Any]]:
        self._check_sor(request.params)
        return [self.order_place(request, events, sor=True)]

    def sor_test(self, request: _Request, events: _Events) -> dict[str, Any]:
        self._check_sor(request.params)
        return self.order_test(request, events)

    # -- account ------------------------------------------------------------------------------------

    def account_status(self, request: _Request, events: _Events) -> dict[str, Any]:
        account: _Account = request.account  # type: ignore[assignment]
        locked = account.locked()
        balances = []
        for asset in sorted(set(account.totals) | set(locked)):
            total, held = account.totals.get(asset, _ZERO), locked.get(asset, _ZERO)
            if request.params.get("omitZeroBalances") and not total:
                continue
            balances.append({"asset": asset, "free": _text(total - held), "locked": _text(held)})
        return {"makerCommission": 10, "takerCommission": 10, "buyerCommission": 0, "sellerCommission": 0,
                "canTrade": True, "canWithdraw": True, "canDeposit": True,
                "commissionRates": {"maker": "0.00100000", "taker": "0.00100000", "buyer": "0.00000000",
                                    "seller": "0.00000000"},
                "brokered": False, "requireSelfTradePrevention": False, "preventSor": False,
                "updateTime": request.now, "accountType": "SPOT", "balances": balances, "permissions": ["SPOT"],
                "uid": account.uid}

    def account_commission(self, request: _Request, events: _Events) -> dict[str, Any]:
        market = self.exchange.market(request.params.get("symbol"))
        rates = {"maker": "0.00100000", "taker": "0.00100000", "buyer": "0.00000000", "seller": "0.00000000"}
        zero = dict.fromkeys(rates, "0.00000000")
        return {"symbol": market.symbol, "standardCommission": rates, "specialCommission": zero,
                "taxCommission": zero, "discount": {"enabledForAccount": False, "enabledForSymbol": False,
                                                    "discountAsset": "BNB", "discount": "0.25000000"}}

    def open_orders(self, request: _Request, events: _Events) -> list[dict[str, Any]]:
        symbol = request.params.get("symbol")
        market = self.exchange.market(symbol) if symbol is not None else None
        return [o.report("STATUS") for o in request.account.orders  # type: ignore[union-attr]
                if o.open and (market is None or o.market is market)]

    @staticmethod
    def _window(params: Mapping[str, Any], rows: list[dict[str, Any]], time_key: str, id_key: str,
                from_key: str) -> list[dict[str, Any]]:
        start, end = _int(params, "startTime"), _int(params, "endTime")
        first = _int(params, from_key)
        limit = _int(params, "limit", 500, 1, 1000)
        rows = [r for r in rows if (start is None or r[time_key] >= start) and (end is None or r[time_key] <= end)
                and (first is None or r[id_key] >= first)]
        return rows[:limit]

    def all_orders(self, request: _Request, events: _Events) -> list[dict[str, Any]]:
        market = self.exchange.market(request.params.get("symbol"))
        rows = [o.report("STATUS") for o in request.account.orders if o.market is market]  # type: ignore[union-attr]
        return self._window(request.params, rows, "time", "orderId", "orderId")

    def all_lists(self, request: _Request, events: _Events) -> list[dict[str, Any]]:
        rows = [l.report(None, l.transaction_time) for l in request.account.lists]  # type: ignore[union-attr]
        return self._window(request.params, rows, "transactionTime", "orderListId", "fromId")

    def my_trades(self, request: _Request, events: _Events) -> list[dict[str, Any]]:
        market = self.exchange.market(request.params.get("symbol"))
        order_id = _int(request.params, "orderId")
        rows = [t for t in request.account.trades  # type: ignore[union-attr]
                if t["symbol"] == market.symbol and (order_id is None or t["orderId"] == order_id)]
        return self._window(request.params, rows, "time", "id", "fromId")

    def prevented_matches(self, request: _Request, events: _Events) -> list[dict[str, Any]]:
        self.exchange.market(request.params.get("symbol"))
        if request.params.get("preventedMatchId") is None and request.params.get("orderId") is None:
            raise _ApiError(-1102, "Param 'preventedMatchId' or 'orderId' must be sent, but both were empty/null!")
        return []  # the engine never matches an account with itself

    def allocations(self, request: _Request, events: _Events) -> list[dict[str, Any]]:
        market = self.exchange.market(request.params.get("symbol"))
        order_id = _int(request.params, "orderId")
        rows = [a for a in request.account.allocations  # type: ignore[union-attr]
                if a["symbol"] == market.symbol and (order_id is None or a["orderId"] == order_id)]
        return self._window(request.params, rows, "time", "allocationId", "fromAllocationId")

    # -- user data stream ------------------------------------------------------------------------------

    def subscribe(self, request: _Request, events: _Events) -> dict[str, Any]:
        session, account = request.session, request.account
        if any(existing is account for existing, _ in session.streams.values()):
            raise _ApiError(-2035, "User Data Stream subscription already active.")
        subscription_id = next(session.subscription_ids)
        session.streams[subscription_id] = (account, request.method == "userDataStream.subscribe")  # type: ignore
        return {"subscriptionId": subscription_id}

    def unsubscribe(self, request: _Request, events: _Events) -> dict[str, Any]:
        subscription_id = request.params.get("subscriptionId")
        session = request.session
        if subscription_id is None:
            for existing in list(session.streams):
                self.terminate(request.connection, existing, request.now)
        elif subscription_id not in session.streams:
            raise _ApiError(-2036, "User Data Stream subscription not active.")
        else:
            self.terminate(request.connection, subscription_id, request.now)
        return {}


