"""The OKEx emulator's matching engine and trade requests (§6.2-§6.7).

:class:`_Trading` is a mixin of :class:`~exwire.testing.okex.OkexEmulator`: it keeps
the account's balances and orders under the emulator's ``_engine_lock``, answers
``ok_spot_order``, ``ok_spot_cancel_order``, ``ok_spot_userinfo`` and
``ok_spot_orderinfo``, and pushes ``ok_sub_spot_X_order`` and ``ok_sub_spot_X_balance``.

Section numbers (§) refer to the protocol notes of :doc:`the OKEx page </exchanges/okex>`.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal
from typing import Any

from exwire.testing._okex.common import (
    _QUANTITY,
    _decimal,
    _failure,
    _now_ms,
    _plain,
    _RequestError,
    _signature,
)
from exwire.testing._okex.host import _EmulatorHost
from exwire.testing._server import EmulatorConnection

#: The pushes a trade request causes: ``(channel, data)`` of order and balance pushes.
_Pushes = list[tuple[str, dict[str, Any]]]

# -- the matching engine ------------------------------------------------------------------


class _Order:
    def __init__(self, order_id: int, symbol: str, order_type: str, price: Decimal, amount: Decimal) -> None:
        self.order_id = order_id
        self.symbol = symbol
        self.type = order_type
        self.price = price  # limit price; the quote amount of a market buy
        self.amount = amount  # base quantity; zero for a market buy until it fills
        self.filled = Decimal(0)
        self.notional = Decimal(0)
        self.created_ms = _now_ms()
        self.status = 0
        self.last_fill: tuple[Decimal, Decimal] | None = None

    @property
    def base(self) -> str:
        return self.symbol.split("_")[0]

    @property
    def quote(self) -> str:
        return self.symbol.split("_")[1]

    def average(self) -> Decimal:
        return (self.notional / self.filled).quantize(_QUANTITY) if self.filled else Decimal(0)

    def push(self) -> dict[str, Any]:
        """The ``data`` of an ``ok_sub_spot_X_order`` push (§6.6, as captured)."""
        data = {"symbol": self.symbol, "orderId": self.order_id, "tradeUnitPrice": str(self.price),
                "tradeAmount": str(self.amount), "createdDate": str(self.created_ms),
                "completedTradeAmount": str(self.filled), "averagePrice": str(self.average()),
                "tradePrice": str(self.notional), "tradeType": self.type, "status": self.status}
        if self.last_fill is not None:
            data["sigTradeAmount"], data["sigTradePrice"] = (str(v) for v in self.last_fill)
        return data

    def info(self) -> dict[str, Any]:
        """One element of an ``ok_spot_orderinfo`` reply (§6.5; some values are numbers)."""
        return {"symbol": self.symbol, "amount": str(self.amount), "price": str(self.price),
                "avg_price": self.average(), "create_date": self.created_ms, "type": self.type,
                "deal_amount": self.filled, "order_id": self.order_id, "orders_id": self.order_id,
                "status": self.status}


class _Trading(_EmulatorHost):
    """Trade requests and fills of :class:`OkexEmulator` (a mixin)."""

    # -- trade requests (§6.2-6.5) --------------------------------------------------------

    def _trade(self, connection: EmulatorConnection, channel: str, parameters: Any) -> None:
        pushes: list[tuple[str, dict[str, Any]]] = []
        with self._engine_lock:
            withheld = self._take_withheld(channel)
            try:
                if not isinstance(parameters, dict) or not parameters.get("api_key") \
                        or not parameters.get("sign"):
                    raise _RequestError(10000)
                if parameters["api_key"] != self.api_key:
                    raise _RequestError(10005)
                if parameters["sign"] != _signature(parameters, self.secret):
                    raise _RequestError(10007)
                data, pushes = getattr(self, "_" + channel)(parameters)
                reply = {"binary": 1, "channel": channel, "data": {"result": True, **data}}
            except _RequestError as error:
                reply = {"binary": 1, "channel": channel, "data": _failure(error.code)}
        if not withheld:
            self._send(connection, [reply])
        self._send_private(pushes)

    def _ok_spot_order(self, parameters: dict[str, Any]) -> tuple[dict[str, Any], _Pushes]:
        symbol, order_type = parameters.get("symbol"), parameters.get("type")
        if not isinstance(symbol, str) or symbol not in self._quotes:
            raise _RequestError(1024)
        if not isinstance(order_type, str) or order_type not in ("buy", "sell", "buy_market", "sell_market"):
            raise _RequestError(10008)
        price = _decimal(parameters["price"]) if "price" in parameters else None
        amount = _decimal(parameters["amount"]) if "amount" in parameters else None
        needs_price, needs_amount = order_type != "sell_market", order_type != "buy_market"
        if (needs_price and price is None) or (needs_amount and amount is None):
            raise _RequestError(10000)
        # What an order type does not need counts as zero (it is not used).
        limit = price if needs_price and price is not None else Decimal(0)
        quantity = amount if needs_amount and amount is not None else Decimal(0)
        if needs_price and not 0 < limit < 1_000_000:
            raise _RequestError(10014)
        if needs_amount and not quantity > 0:
            raise _RequestError(10011)
        base, quote = symbol.split("_")
        if order_type == "buy":
            asset, cost = quote, limit * quantity
        elif order_type == "buy_market":
            asset, cost = quote, limit
        else:
            asset, cost = base, quantity
        if self._free.get(asset, Decimal(0)) < cost:
            raise _RequestError(10010)
        order = _Order(next(self._order_ids), symbol, order_type, limit, quantity)
        self._orders[order.order_id] = order
        self._free[asset] -= cost
        self._frozen[asset] = self._frozen.get(asset, Decimal(0)) + cost
        bid, ask = self._quotes[symbol]
        if order_type == "buy_market":
            order.amount = (limit / ask).quantize(_QUANTITY, ROUND_DOWN)
            self._fill(order, order.amount, ask)
        elif order_type == "sell_market":
            self._fill(order, order.amount, bid)
        elif order_type == "buy" and limit >= ask:
            self._fill(order, order.amount, ask)
        elif order_type == "sell" and limit <= bid:
            self._fill(order, order.amount, bid)
        return {"order_id": order.order_id}, self._order_pushes(order)

    def _ok_spot_cancel_order(self, parameters: dict[str, Any]) -> tuple[dict[str, Any], _Pushes]:
        order = self._find(parameters)
        if order.status == -1:
            raise _RequestError(1050)
        if order.status == 2:
            raise _RequestError(1051)
        order.status = -1
        order.last_fill = None
        base, quote = order.base, order.quote
        if order.type == "buy":
            asset, held = quote, order.price * (order.amount - order.filled)
        else:
            asset, held = base, order.amount - order.filled
        self._frozen[asset] -= held
        self._free[asset] += held
        return {"order_id": str(order.order_id)}, self._order_pushes(order)

    def _ok_spot_userinfo(self, parameters: dict[str, Any]) -> tuple[dict[str, Any], _Pushes]:
        funds = {"free": {a: format(_plain(v), "f") for a, v in self._free.items()},
                 "freezed": {a: format(_plain(self._frozen.get(a, Decimal(0))), "f") for a in self._free}}
        return {"info": {"funds": funds}}, []

    def _ok_spot_orderinfo(self, parameters: dict[str, Any]) -> tuple[dict[str, Any], _Pushes]:
        return {"orders": [self._find(parameters).info()]}, []

    def _find(self, parameters: dict[str, Any]) -> _Order:
        raw = str(parameters.get("order_id", ""))
        if not raw or "symbol" not in parameters:
            raise _RequestError(10000)
        order = self._orders.get(int(raw)) if raw.isdigit() else None
        if order is None or order.symbol != parameters["symbol"]:
            raise _RequestError(10009)
        return order

    def _fill(self, order: _Order, quantity: Decimal, price: Decimal) -> None:
        """Fill ``quantity`` of ``order`` at ``price``; move the funds (no fees)."""
        base, quote = order.base, order.quote
        notional = (quantity * price).quantize(_QUANTITY, ROUND_DOWN)
        for asset in (base, quote):
            self._free.setdefault(asset, Decimal(0))
            self._frozen.setdefault(asset, Decimal(0))
        if order.type == "buy":
            held = order.price * quantity
            self._frozen[quote] -= held
            self._free[quote] += held - notional
            self._free[base] += quantity
        elif order.type == "buy_market":
            self._frozen[quote] -= order.price
            self._free[quote] += order.price - notional
            self._free[base] += quantity
        else:
            self._frozen[base] -= quantity
            self._free[quote] += notional
        order.filled += quantity
        order.notional += notional
        order.last_fill = (quantity, price)
        order.status = 2 if order.filled >= order.amount else 1

    def _order_pushes(self, order: _Order) -> list[tuple[str, dict[str, Any]]]:
        """Pushes for a changed order: the order, then the balances of its assets (§6.6, §6.7)."""
        prefix = f"ok_sub_spot_{order.symbol}"
        assets = (order.base, order.quote)
        balance = {"info": {"free": {a: _plain(self._free.get(a, Decimal(0))) for a in assets},
                            "freezed": {a: _plain(self._frozen.get(a, Decimal(0))) for a in assets}}}
        return [(f"{prefix}_order", order.push()), (f"{prefix}_balance", balance)]

    def _send_private(self, pushes: list[tuple[str, dict[str, Any]]]) -> None:
        for connection in self.connections:
            session = connection.session
            if session is None or not session.logged_in:
                continue
            for channel, data in pushes:
                with session.lock:
                    subscribed = channel in session.channels
                if subscribed:
                    self._send(connection, [{"binary": 1, "channel": channel, "data": data}])

    def _take_withheld(self, channel: str) -> bool:
        count = self._withheld.get(channel, 0)
        if count:
            self._withheld[channel] = count - 1
        return bool(count)
