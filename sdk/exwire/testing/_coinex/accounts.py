"""The CoinEx emulator's account side, driven from Python (v1 WebSocket places no orders).

:class:`_AccountControls` is a mixin of :class:`~exwire.testing.coinex.CoinexEmulator`:
its methods change balances and orders under the emulator's ``_engine_lock`` and push
``order.update``, ``asset.update`` and own-trade ``deals.update`` to the account's
sessions (§5.13-§5.16).

Section numbers (§) refer to the protocol notes of :doc:`the CoinEx page </exchanges/coinex>`.
"""

from __future__ import annotations

import time
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any

from exwire.errors import ConfigurationError, InsufficientFunds, OrderNotFound
from exwire.models import Side
from exwire.testing._coinex.base import _CoinexBase
from exwire.testing._coinex.common import _MARKETS, FEE_RATE, _dumps, _plain, _Spec
from exwire.testing._coinex.market import _Session

#: Amounts and prices the controls accept: a ``Decimal``, its text, an ``int`` or a ``float``.
Money = Decimal | str | int | float


class _AccountControls(_CoinexBase):
    """Balances, orders and fills of :class:`CoinexEmulator`'s accounts (a mixin)."""

    def balances(self, access_id: str | None = None) -> dict[str, tuple[Decimal, Decimal]]:
        """``{asset: (available, frozen)}`` of an account (the first one when ``None``)."""
        with self._engine_lock:
            account = self._account(access_id or self._default_access_id)
            return {asset: (pair[0], pair[1]) for asset, pair in account.balances.items()}

    def set_balance(self, asset: str, available: Money, *, access_id: str | None = None) -> None:
        """Set an asset's available balance and push ``asset.update`` to the account's sessions."""
        access_id = access_id or self._default_access_id
        with self._engine_lock:
            self._account(access_id).balance(asset)[0] = _decimal(available, "available", zero=True)
            update = self._asset_update(access_id, [asset])
        self._push_private(access_id, asset_update=update)

    def place_order(self, market: str, side: Side | str, amount: Money, price: Money, *, client_id: str = "",
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
            order_side = Side(side)
        except ValueError:
            raise ConfigurationError(f"side must be Side.BUY or Side.SELL, got {side!r}") from None
        amount, price = _decimal(amount, "amount"), _decimal(price, "price")
        access_id = access_id or self._default_access_id
        now = time.time()
        with self._engine_lock:
            account = self._account(access_id)
            asset, needed = (spec.quote, amount * price) if order_side is Side.BUY else (spec.base, amount)
            balance = account.balance(asset)
            if balance[0] < needed:
                raise InsufficientFunds("coinex", 10, f"balance not enough: {balance[0]} {asset} < {needed}")
            balance[0] -= needed
            balance[1] += needed
            order: dict[str, Any] = {"id": next(self._order_ids), "access_id": access_id, "user": account.user_id,
                     "market": market, "side": 2 if order_side is Side.BUY else 1, "price": price, "amount": amount,
                     "left": amount, "deal_stock": Decimal(0), "deal_money": Decimal(0),
                     "money_fee": Decimal(0), "stock_fee": Decimal(0), "ctime": now, "mtime": now,
                     "client_id": client_id, "last_deal_amount": Decimal(0), "last_deal_price": Decimal(0),
                     "last_deal_time": 0, "last_deal_id": 0, "last_role": 0, "finished": False}
            self._orders[order["id"]] = order
            wire = _order_wire(order, spec)
            update = self._asset_update(access_id, [asset])
        self._push_private(access_id, market, order_event=(1, wire), asset_update=update)
        order_id: int = order["id"]
        return order_id

    def fill(self, order_id: int, amount: Money | None = None, price: Money | None = None) -> dict[str, Any]:
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
            quantity: Decimal = order["left"] if amount is None else _decimal(amount, "amount")
            rate: Decimal = order["price"] if price is None else _decimal(price, "price")
            buy = order["side"] == 2
            if quantity > order["left"]:
                raise ConfigurationError(f"amount {quantity} exceeds what remains ({order['left']})")
            if (rate > order["price"]) if buy else (rate < order["price"]):
                raise ConfigurationError(f"price {rate} is beyond the order's limit {order['price']}")
            account = self._account(order["access_id"])
            base, quote = account.balance(spec.base), account.balance(spec.quote)
            value = quantity * rate
            if buy:
                fee = (quantity * FEE_RATE).quantize(Decimal(1).scaleb(-spec.amount_decimals), ROUND_DOWN)
                quote[1] -= quantity * order["price"]
                quote[0] += quantity * (order["price"] - rate)
                base[0] += quantity - fee
                order["stock_fee"] += fee
            else:
                fee = (value * FEE_RATE).quantize(Decimal(1).scaleb(-spec.price_decimals), ROUND_DOWN)
                base[1] -= quantity
                quote[0] += value - fee
                order["money_fee"] += fee
            now = time.time()
            trade_id = next(self._own_trade_ids)
            order.update(left=order["left"] - quantity, deal_stock=order["deal_stock"] + quantity,
                         deal_money=order["deal_money"] + value, mtime=now, last_deal_amount=quantity,
                         last_deal_price=rate, last_deal_time=now, last_deal_id=trade_id, last_role=1)
            order["finished"] = not order["left"]
            event = 3 if order["finished"] else 2
            wire = _order_wire(order, spec)
            update = self._asset_update(order["access_id"], [spec.base, spec.quote])
            trade = {"id": trade_id, "order_id": order["id"], "client_id": order["client_id"],
                     "time": round(now, 6), "type": "buy" if buy else "sell",
                     "amount": _plain(quantity, spec.amount_decimals), "price": _plain(rate, spec.price_decimals)}
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

    def _open_order(self, order_id: int) -> dict[str, Any]:
        order = self._orders.get(order_id)
        if order is None or order["finished"]:
            raise OrderNotFound("coinex", None, f"no open order {order_id}")
        return order

    def _asset_update(self, access_id: str, assets: list[str]) -> dict[str, Any]:
        account, now = self._accounts[access_id], round(time.time(), 6)
        return {asset: {"available": _plain(account.balance(asset)[0]), "frozen": _plain(account.balance(asset)[1]),
                        "timestamp": now} for asset in assets}


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


def _decimal(value: object, name: str, *, zero: bool = False) -> Decimal:
    try:
        result = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value))
    except InvalidOperation:
        raise ConfigurationError(f"{name} is not a number: {value!r}") from None
    if not result.is_finite() or result < 0 or (result == 0 and not zero):
        raise ConfigurationError(f"{name} must be a {'non-negative' if zero else 'positive'} number, got {value!r}")
    return result
