"""The futures matching engine of the Binance emulator (§10 of :doc:`the Binance page </exchanges/binance>`):
contracts with a last and a mark price, one cross-margin wallet per account and market,
positions, leverage, orders, COIN-M conditional orders and USDⓈ-M algo orders.

Model (kept deliberately small, and consistent):

* USDⓈ-M contracts are linear: quantities in the base asset, value ``q × price`` in the
  margin asset (USDT). COIN-M contracts are inverse: quantities in contracts of
  ``contract_size`` USD, value ``q × size / price`` in the coin (BTC).
* One-way mode (position side ``BOTH``) and cross margin only. The wallet moves by
  realized PnL (commissions are zero); unrealized PnL, notional and margins are computed
  at the mark price: initial margin ``value / leverage``, maintenance margin 0.4 % of
  the value; ``available = wallet + unrealized − position IM − open-order IM``.
* Marketable orders fill at once at the best bid/ask (unlimited size, as taker); resting
  LIMIT orders fill at their price (as maker) when :meth:`_Futures.set_price` crosses them.
* Conditional orders trigger on the mark price (``MARK_PRICE``) or the last price
  (``CONTRACT_PRICE``): :meth:`_Futures.set_mark_price` moves only the former,
  :meth:`_Futures.set_price` moves the book and last price, and the mark with them.

Everything here runs under the emulator's exchange lock.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from exwire.testing._binance.common import _ZERO, _ApiError, _decimal, _mandatory
from exwire.testing._binance.futures_state import (
    _CONDITIONAL,
    _CONTRACTS,
    _FUTURES_BALANCES,
    _MAINT_RATE,
    _TIME_IN_FORCE,
    _AlgoOrder,
    _bool,
    _Contract,
    _FuturesOrder,
    _Position,
    _Wallet,
)
from exwire.testing._binance.user_stream import account_update, order_update, trade_lite


class _Futures:
    """Contracts and wallets of both futures markets; see the module docstring for the model."""

    def __init__(self, seed: int, now: Callable[[], int]) -> None:
        self.now = now
        self.contracts = {symbol: _Contract(symbol, spec, seed) for symbol, spec in _CONTRACTS.items()}
        self.wallets: dict[tuple[str, str], _Wallet] = {}  # (api key, market) → wallet
        self.order_ids = {"usdm": itertools.count(8_389_765_000), "coinm": itertools.count(5_100_000)}
        self.algo_ids = itertools.count(3_000_000_000_000_001)
        self.user_events: list[tuple[_Wallet, dict[str, Any]]] = []
        """User-data events waiting to be pushed on the accounts' private streams (the emulator
        takes them after each request and each price move)."""

    # -- lookups ------------------------------------------------------------------------------------

    def open_wallet(self, api_key: str, market: str, balances: Mapping[str, Decimal] | None) -> _Wallet:
        defaults = {asset: Decimal(v) for asset, v in _FUTURES_BALANCES[market].items()}
        wallet = _Wallet(market, defaults if balances is None else balances)
        wallet.owner = api_key
        self.wallets[(api_key, market)] = wallet
        return wallet

    def wallet(self, api_key: str, market: str) -> _Wallet:
        wallet = self.wallets.get((api_key, market))
        return wallet if wallet is not None else self.open_wallet(api_key, market, None)

    def contract(self, symbol: Any, market: str) -> _Contract:
        if symbol is None:
            raise _mandatory("symbol")
        contract = self.contracts.get(symbol)
        if contract is None or contract.market != market:
            raise _ApiError(-1121, "Invalid symbol.")
        return contract

    def contract_any(self, symbol: str) -> _Contract:
        contract = self.contracts.get(symbol)
        if contract is None:
            raise KeyError(symbol)
        return contract

    def find_order(self, wallet: _Wallet, params: Mapping[str, Any]) -> _FuturesOrder:
        contract = self.contract(params.get("symbol"), wallet.market)
        order_id, client_id = params.get("orderId"), params.get("origClientOrderId")
        if order_id is None and client_id is None:
            raise _ApiError(-1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!")
        for order in wallet.orders:
            if order.contract is contract and (order_id is None or order.order_id == order_id) \
                    and (client_id is None or order.client_order_id == client_id):
                return order
        raise _ApiError(-2013, "Order does not exist.")

    # -- margin arithmetic -------------------------------------------------------------------------------

    def order_margin(self, order: _FuturesOrder) -> Decimal:
        """Initial margin an open order holds: only the part that would grow the position."""
        if order.reduce_only or order.close_position or not order.open:
            return _ZERO
        contract = order.contract
        amount = order.wallet.position(contract.symbol).amount
        remaining = order.remaining()
        opposite = (amount > 0 and order.side == "SELL") or (amount < 0 and order.side == "BUY")
        growing = max(_ZERO, remaining - abs(amount)) if opposite else remaining
        price = order.price or order.trigger or contract.mark
        return contract.value(growing, price) / order.wallet.leverage_of(contract.symbol)

    def asset_state(self, wallet: _Wallet, asset: str) -> dict[str, Decimal]:
        """Wallet, unrealized PnL, margins and what is available, for one margin asset."""
        state: dict[str, Decimal] = dict.fromkeys(("unrealized", "position_im", "order_im", "maint"), _ZERO)
        state["wallet"] = wallet.balances.get(asset, _ZERO)
        for symbol, position in wallet.positions.items():
            contract = self.contracts[symbol]
            if contract.spec.margin != asset or not position.amount:
                continue
            value = contract.value(abs(position.amount), contract.mark)
            state["unrealized"] += contract.pnl(position.amount, position.entry, contract.mark)
            state["position_im"] += value / wallet.leverage_of(symbol)
            state["maint"] += value * _MAINT_RATE
        for order in wallet.orders:
            if order.contract.spec.margin == asset:
                state["order_im"] += self.order_margin(order)
        state["margin_balance"] = state["wallet"] + state["unrealized"]
        state["initial"] = state["position_im"] + state["order_im"]
        state["available"] = state["margin_balance"] - state["initial"]
        state["max_withdraw"] = max(_ZERO, min(state["available"], state["wallet"]))
        return state

    def liquidation_price(self, wallet: _Wallet, contract: _Contract, position: _Position) -> Decimal:
        """Where the margin balance of this position alone would fall to its maintenance margin."""
        amount, entry = position.amount, position.entry
        if not amount:
            return _ZERO
        balance = wallet.balances.get(contract.spec.margin, _ZERO)
        if contract.inverse:
            size = contract.size
            denominator = balance + amount * size / entry
            price = (amount * size + abs(amount) * size * _MAINT_RATE) / denominator if denominator else _ZERO
        else:
            denominator = abs(amount) * _MAINT_RATE - amount
            price = (balance - amount * entry) / denominator if denominator else _ZERO
        return max(_ZERO, price)

    # -- placement ----------------------------------------------------------------------------------------

    def validate(self, contract: _Contract, params: dict[str, Any], *, allowed: tuple[str, ...]) -> None:
        for name in ("side", "type"):
            if params.get(name) is None:
                raise _mandatory(name)
        if params["side"] not in ("BUY", "SELL"):
            raise _ApiError(-1117, "Invalid side.")
        if params["type"] not in allowed:
            if params["type"] in _CONDITIONAL:  # USDⓈ-M since the 2026 move to the algo service (§10.2)
                raise _ApiError(-4120, "Order type not supported for this endpoint. Please use the Algo Order API "
                                       "endpoints instead.")
            raise _ApiError(-1116, "Invalid orderType.")
        if params.get("positionSide", "BOTH") != "BOTH":
            raise _ApiError(-4061, "Order's position side does not match user's setting.")
        tif = params.get("timeInForce")
        if tif is not None and tif not in _TIME_IN_FORCE:
            raise _ApiError(-1115, "Invalid timeInForce.")
        if params.get("priceMatch") not in (None, "NONE"):
            if params.get("price") is not None:
                raise _ApiError(-1106, "Parameter 'price' sent when not required.")
            buy = params["side"] == "BUY"
            queue = params["priceMatch"].startswith("QUEUE")
            params["price"] = format((contract.bid if buy == queue else contract.ask), "f")
        kind = params["type"]
        required = {"LIMIT": ("timeInForce", "price", "quantity"), "STOP": ("price", "quantity"),
                    "TAKE_PROFIT": ("price", "quantity"), "TRAILING_STOP_MARKET": ("quantity",),
                    "MARKET": ("quantity",)}.get(kind, ())
        for name in required:
            if params.get(name) is None:
                raise _mandatory(name)
        if kind in ("STOP_MARKET", "TAKE_PROFIT_MARKET") and params.get("quantity") is None \
                and not _bool(params, "closePosition"):
            raise _mandatory("quantity")
        if tif == "GTD":
            good_till = params.get("goodTillDate")
            if not isinstance(good_till, int) or good_till < self.now() + 600_000:
                raise _ApiError(-4084, "goodTillDate must be greater than the current time plus 600 seconds.")
        for name in ("price", "stopPrice", "triggerPrice", "activationPrice", "activatePrice"):
            value = _decimal(params, name)
            if value is not None and (value <= 0 or value % contract.tick):
                raise _ApiError(-4014, "Price not increased by tick size.")
        quantity = _decimal(params, "quantity")
        if quantity is not None and (quantity <= 0 or quantity % contract.step):
            raise _ApiError(-1111, "Precision is over the maximum defined for this asset.")

    def check_margin(self, wallet: _Wallet, order: _FuturesOrder) -> None:
        position = wallet.position(order.contract.symbol)
        if order.reduce_only:
            reduces = (position.amount > 0 and order.side == "SELL") or (position.amount < 0 and order.side == "BUY")
            if not reduces:
                raise _ApiError(-2022, "ReduceOnly Order is rejected.")
            return
        needed = self.order_margin(order)
        if needed and needed > self.asset_state(wallet, order.contract.spec.margin)["available"]:
            raise _ApiError(-2019, "Margin is insufficient.")

    def place(self, wallet: _Wallet, params: dict[str, Any], *, allowed: tuple[str, ...],
              client_order_id: str | None = None) -> tuple[_FuturesOrder, dict[str, Any]]:
        """Validate, check margin, add and match one order; return it and its ACK report."""
        contract = self.contract(params.get("symbol"), wallet.market)
        self.validate(contract, params, allowed=allowed)
        order = _FuturesOrder(wallet, contract, next(self.order_ids[wallet.market]), params, self.now())
        if client_order_id is not None:
            order.client_order_id = client_order_id
        if order.type in _CONDITIONAL and order.triggered(contract):
            raise _ApiError(-2021, "Order would immediately trigger.")
        if order.working and order.time_in_force in ("GTX", "RPI") and self.marketable(order):
            raise _ApiError(-5022, "Due to the order could not be executed as maker, the Post Only order will be "
                                   "rejected. The order will not be recorded in the order history")
        if order.working and order.time_in_force == "FOK" and not self.marketable(order):
            raise _ApiError(-5021, "Due to the order could not be filled immediately, the FOK order has been "
                                   "rejected. The order will not be recorded in the order history")
        self.check_margin(wallet, order)
        acknowledged = order.report()
        wallet.orders.append(order)
        self.user_events.append((wallet, order_update(order, "NEW", self.now())))
        self.execute(order, self.now())
        return order, acknowledged

    # -- execution --------------------------------------------------------------------------------------

    @staticmethod
    def marketable(order: _FuturesOrder) -> bool:
        contract = order.contract
        if order.type == "MARKET" or order.price is None:
            return True
        return order.price >= contract.ask if order.side == "BUY" else order.price <= contract.bid

    def execute(self, order: _FuturesOrder, now: int) -> None:
        """Fill what can fill now (as taker); expire an IOC rest; conditional orders wait."""
        if not order.working or not order.open:
            return
        contract = order.contract
        if self.marketable(order):
            price = contract.ask if order.side == "BUY" else contract.bid
            self.fill(order, price, order.remaining(), now)
        elif order.time_in_force in ("IOC", "FOK"):
            self.finish(order, "EXPIRED", now)

    def fill(self, order: _FuturesOrder, price: Decimal, quantity: Decimal, now: int, *, maker: bool = False) -> None:
        wallet, contract = order.wallet, order.contract
        position = wallet.position(contract.symbol)
        if order.reduce_only or order.close_position:
            reduces = (position.amount > 0 and order.side == "SELL") or (position.amount < 0 and order.side == "BUY")
            quantity = min(quantity, abs(position.amount)) if reduces else _ZERO
            if order.close_position and reduces:
                quantity = abs(position.amount)
                order.quantity = order.executed + quantity
            if not quantity:
                self.finish(order, "EXPIRED", now)
                return
        delta = quantity if order.side == "BUY" else -quantity
        amount, entry = position.amount, position.entry
        if not amount or (amount > 0) == (delta > 0):  # opening or growing
            total = amount + delta
            if contract.inverse:
                position.entry = abs(total) / (abs(amount) / entry + abs(delta) / price) if amount else price
            else:
                position.entry = (abs(amount) * entry + abs(delta) * price) / abs(total)
        else:  # reducing, maybe flipping
            closed = min(abs(amount), abs(delta))
            realized = contract.pnl(closed if amount > 0 else -closed, entry, price)
            asset = contract.spec.margin
            wallet.balances[asset] = wallet.balances.get(asset, _ZERO) + realized
            wallet.updated[asset] = now
            total = amount + delta
            if not total:
                position.entry = _ZERO
            elif (total > 0) != (amount > 0):
                position.entry = price
        position.amount = amount + delta
        position.updated = now
        order.executed += quantity
        order.cumulative_value += contract.value(quantity, price)
        order.updated = now
        trade_id = contract.add_trade(price, quantity, (order.side == "BUY") == maker, now)
        if not maker:  # a taker trades at the touch: that level's quantity moves
            contract.book.traded(price)
        if order.remaining() <= 0:
            self.finish(order, "FILLED", now)
        else:
            order.status = "PARTIALLY_FILLED"
        if not contract.inverse:
            self.user_events.append((wallet, trade_lite(order, quantity, price, trade_id, maker, now)))
        self.user_events.append((wallet, order_update(order, "TRADE", now, last=(quantity, price), trade_id=trade_id,
                                                      maker=maker)))
        self.user_events.append((wallet, account_update(wallet, order, now)))

    def finish(self, order: _FuturesOrder, status: str, now: int) -> None:
        order.status, order.updated = status, now
        if status != "FILLED":  # a fill's own ORDER_TRADE_UPDATE reports FILLED
            self.user_events.append((order.wallet, order_update(order, status, now)))
        if order.algo is not None:
            order.algo.status, order.algo.updated = "FINISHED", now

    def cancel(self, order: _FuturesOrder) -> _FuturesOrder:
        if not order.open:
            raise _ApiError(-2011, "Unknown order sent.")
        self.finish(order, "CANCELED", self.now())
        return order

    def modify(self, order: _FuturesOrder, params: Mapping[str, Any]) -> _FuturesOrder:
        if not order.open:
            raise _ApiError(-2013, "Order does not exist.")
        if order.type != "LIMIT":
            raise _ApiError(-4123, "Only limit order is supported.")
        if params.get("side") != order.side:
            raise _ApiError(-4124, "The side of the modified order does not match the original order.")
        quantity = _decimal(params, "quantity")
        if quantity is None:
            raise _mandatory("quantity")
        price = _decimal(params, "price")
        if price is None and params.get("priceMatch") in (None, "NONE"):
            raise _mandatory("price")
        if params.get("priceMatch") not in (None, "NONE"):
            queue = params["priceMatch"].startswith("QUEUE")
            price = order.contract.bid if (order.side == "BUY") == queue else order.contract.ask
            order.price_match = params["priceMatch"]
        contract = order.contract
        if quantity <= order.executed or quantity % contract.step:
            raise _ApiError(-4028, "Quantity must be greater than the executed quantity.")
        if price is None or price <= 0 or price % contract.tick:
            raise _ApiError(-4014, "Price not increased by tick size.")
        order.quantity, order.price = quantity, price
        now = self.now()
        order.updated = now
        self.user_events.append((order.wallet, order_update(order, "AMENDMENT", now)))
        self.execute(order, now)
        return order

    def trigger(self, order: _FuturesOrder, now: int) -> None:
        """A COIN-M conditional order reached its trigger: it becomes a LIMIT or MARKET order."""
        order.working = True
        order.type = "LIMIT" if order.original_type in ("STOP", "TAKE_PROFIT") else "MARKET"
        self.execute(order, now)

    def place_algo(self, wallet: _Wallet, params: dict[str, Any]) -> _AlgoOrder:
        if params.get("algoType") != "CONDITIONAL":
            raise _ApiError(-1130, "Invalid value for parameter 'algoType'.") if params.get("algoType") \
                else _mandatory("algoType")
        contract = self.contract(params.get("symbol"), wallet.market)
        self.validate(contract, params, allowed=_CONDITIONAL)
        algo = _AlgoOrder(wallet, contract, next(self.algo_ids), params, self.now())
        if algo.reduce_only:
            position = wallet.position(contract.symbol).amount
            if not ((position > 0 and algo.side == "SELL") or (position < 0 and algo.side == "BUY")):
                raise _ApiError(-2022, "ReduceOnly Order is rejected.")
        if algo.triggered(contract):
            raise _ApiError(-2021, "Order would immediately trigger.")
        wallet.algos.append(algo)
        return algo

    def find_algo(self, wallet: _Wallet, params: Mapping[str, Any]) -> _AlgoOrder:
        algo_id, client_id = params.get("algoId"), params.get("clientAlgoId")
        if algo_id is None and client_id is None:
            raise _ApiError(-1102, "Param 'clientAlgoId' or 'algoId' must be sent, but both were empty/null!")
        for algo in wallet.algos:
            if (algo_id is None or algo.algo_id == algo_id) and (client_id is None or algo.client_algo_id == client_id):
                return algo
        raise _ApiError(-2013, "Order does not exist.")

    def cancel_algo(self, algo: _AlgoOrder) -> _AlgoOrder:
        if algo.status != "NEW":
            raise _ApiError(-2011, "Unknown order sent.")
        algo.status, algo.updated = "CANCELED", self.now()
        return algo

    def fire_algo(self, algo: _AlgoOrder, now: int) -> None:
        """The algo service places the real order: LIMIT at ``price`` or MARKET (§10.2)."""
        algo.status, algo.trigger_time, algo.updated = "TRIGGERED", now, now
        kind = "LIMIT" if algo.type in ("STOP", "TAKE_PROFIT") else "MARKET"
        params: dict[str, Any] = {"symbol": algo.contract.symbol, "side": algo.side, "type": kind,
                                  "reduceOnly": algo.reduce_only, "closePosition": algo.close_position,
                                  "selfTradePreventionMode": algo.stp}
        if algo.close_position:
            params["quantity"] = str(abs(algo.wallet.position(algo.contract.symbol).amount) or algo.contract.step)
        elif algo.quantity is not None:
            params["quantity"] = format(algo.quantity, "f")
        if kind == "LIMIT":
            params.update(price=format(algo.price or algo.contract.last, "f"), timeInForce=algo.time_in_force)
        try:
            contract = algo.contract
            order = _FuturesOrder(algo.wallet, contract, next(self.order_ids["usdm"]), params, now)
            order.client_order_id = algo.client_algo_id  # the emulator's link from algo to order
            order.algo = algo
            algo.order = order
            algo.wallet.orders.append(order)
            self.execute(order, now)
        except _ApiError:
            algo.status = "REJECTED"

    # -- the market moves ---------------------------------------------------------------------------------

    def _sweep(self, contract: _Contract, now: int, *, book: bool) -> None:
        for wallet in list(self.wallets.values()):
            if wallet.market != contract.market:
                continue
            for order in list(wallet.orders):
                if order.contract is not contract or not order.open:
                    continue
                if not order.working:
                    if order.triggered(contract):
                        self.trigger(order, now)
                elif book and order.price is not None and order.type == "LIMIT" and (
                        order.price >= contract.ask if order.side == "BUY" else order.price <= contract.bid):
                    self.fill(order, order.price, order.remaining(), now, maker=True)
            for algo in list(wallet.algos):
                if algo.contract is contract and algo.status == "NEW" and algo.triggered(contract):
                    self.fire_algo(algo, now)

    def set_price(self, contract: _Contract, price: Decimal) -> None:
        """Move the book, last and mark price; fill crossed orders, trigger conditional ones."""
        now = self.now()
        contract.set_price(price, now)
        self._sweep(contract, now, book=True)
        contract.add_trade(contract.bid, contract.step, True, now)  # the generator trades at the touch

    def set_mark_price(self, contract: _Contract, price: Decimal) -> None:
        """Move only the mark price: PnL and margins follow; ``MARK_PRICE`` triggers fire."""
        contract.mark = price
        self._sweep(contract, self.now(), book=False)

    def expire(self, now: int) -> None:
        """End ``GTD`` orders whose date passed (checked before every request)."""
        for wallet in self.wallets.values():
            for order in wallet.orders:
                if order.open and order.time_in_force == "GTD" and order.good_till and order.good_till <= now:
                    self.finish(order, "EXPIRED", now)
