"""The matching engine and account of the OKX emulator.

Orders follow https://www.okx.com/docs-v5/en/#order-book-trading-trade-ws-place-order and
its siblings: each order of a request gets its own ``sCode``/``sMsg``; ``instIdCode`` is
required (WebSocket order operations ignore ``instId`` since 2026-02, see the change log
https://www.okx.com/docs-v5/log_en/) and an order without it fails with 50014. SPOT trades
in ``cash`` mode against the account's balances; SWAP, FUTURES and OPTION open net
positions in ``cross``/``isolated`` mode with an initial margin of
``sz * ctVal * px / lever`` in the settlement currency.

A marketable order fills at once, completely, at the touch (the best ask for a buy, the
best bid for a sell) and prints a public trade there; a resting limit order fills at its
own price when the market trades through it (:meth:`Engine.match`) or when a test calls
``fill_order``. Fees: 0.08 % maker, 0.1 % taker, in the received currency for SPOT and in
the settlement currency for derivatives.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from decimal import ROUND_DOWN, Decimal
from typing import Any

from exwire.testing._okx.common import CLIENT_ORDER_ID, INSTRUMENTS, Instrument, fmt, to_decimal
from exwire.testing._okx.market import Market
from exwire.testing._okx.orders import (
    FINAL_STATES,
    MAKER_FEE,
    ORDER_TYPES,
    TAKER_FEE,
    TAKING_TYPES,
    Event,
    Order,
    OrderError,
    Position,
    order_error,
)

__all__ = ["DEFAULT_BALANCES", "Engine"]

DEFAULT_BALANCES = {"USDT": "100000", "BTC": "2", "ETH": "30"}


class Engine:
    """Orders, balances and positions of the emulator's one account. Not thread-safe: the
    emulator calls it under its lock.

    Args:
        markets: the generated markets, by instId (orders fill at their touch).
        balances: cash balance per currency (``None``: :data:`DEFAULT_BALANCES`).
        clock: current Unix time in milliseconds.
    """

    def __init__(self, markets: Mapping[str, Market], balances: Mapping[str, Any] | None,
                 clock: Callable[[], int]) -> None:
        self.markets = markets
        self.clock = clock
        self.cash: dict[str, Decimal] = {}
        for ccy, amount in (DEFAULT_BALANCES if balances is None else balances).items():
            value = to_decimal(amount) if not isinstance(amount, Decimal) else amount
            if value is None or value < 0:
                raise ValueError(f"balance of {ccy!r} must be a non-negative number")
            self.cash[ccy.upper()] = value
        self.orders: dict[str, Order] = {}
        self.positions: dict[str, Position] = {}
        self._ids = itertools.count(2510789768709120, 65537)
        self._pos_ids = itertools.count(307173036051017730, 17)
        self.updated = clock()

    # -- balances --------------------------------------------------------------------

    def frozen(self, ccy: str) -> Decimal:
        """What live orders of ``ccy`` hold, plus the margin of open positions."""
        orders = sum((o.frozen for o in self.orders.values()
                      if o.state not in FINAL_STATES and o.frozen_ccy == ccy), Decimal(0))
        margin = sum((p.margin for p in self.positions.values()
                      if p.instrument.settle == ccy and p.quantity), Decimal(0))
        return orders + margin

    def order_frozen(self, ccy: str) -> Decimal:
        return sum((o.frozen for o in self.orders.values()
                    if o.state not in FINAL_STATES and o.frozen_ccy == ccy), Decimal(0))

    def available(self, ccy: str) -> Decimal:
        return self.cash.get(ccy, Decimal(0)) - self.frozen(ccy)

    def usd_price(self, ccy: str) -> Decimal:
        market = self.markets.get(f"{ccy}-USDT")
        return market.mark_price if market is not None else Decimal(1)

    def upl(self, position: Position) -> Decimal:
        mark = self.markets[position.instrument.inst_id].mark_price
        return (mark - position.average) * position.quantity * position.instrument.contract_value

    def account_data(self, ccy: str | None = None) -> dict[str, Any]:
        """The ``account`` channel's data item, details for ``ccy`` only when given."""
        now = str(self.updated)
        details = []
        total = Decimal(0)
        for currency in sorted(self.cash):
            upl = sum((self.upl(p) for p in self.positions.values()
                       if p.instrument.settle == currency and p.quantity), Decimal(0))
            cash, frozen = self.cash[currency], self.frozen(currency)
            equity = cash + upl
            equity_usd = (equity * self.usd_price(currency)).quantize(Decimal("0.00000001"))
            total += equity_usd
            if ccy is not None and currency != ccy:
                continue
            details.append({
                "availBal": fmt(cash - frozen), "availEq": fmt(equity - frozen), "borrowFroz": "0",
                "cashBal": fmt(cash), "ccy": currency, "coinUsdPrice": fmt(self.usd_price(currency)),
                "crossLiab": "0", "disEq": fmt(equity_usd), "eq": fmt(equity), "eqUsd": fmt(equity_usd),
                "fixedBal": "0", "frozenBal": fmt(frozen), "imr": "", "interest": "0", "isoEq": "0",
                "isoLiab": "0", "isoUpl": "0", "liab": "0", "maxLoan": "0", "mgnRatio": "", "mmr": "",
                "notionalLever": "", "ordFrozen": fmt(self.order_frozen(currency)), "rewardBal": "0",
                "spotIsoBal": "0", "stgyEq": "0", "twap": "0", "uTime": now, "upl": fmt(upl),
                "uplLiab": "0",
            })
        margin_usd = sum((p.margin * self.usd_price(p.instrument.settle)
                          for p in self.positions.values() if p.quantity), Decimal(0))
        return {"adjEq": fmt(total), "borrowFroz": "0", "details": details,
                "imr": fmt(margin_usd), "isoEq": "0", "mgnRatio": "", "mmr": fmt(margin_usd / 10),
                "notionalUsd": fmt(margin_usd * 10), "ordFroz": "0", "totalEq": fmt(total),
                "uTime": now, "upl": "0"}

    def position_data(self, position: Position) -> dict[str, Any]:
        instrument = position.instrument
        mark = self.markets[instrument.inst_id].mark_price
        notional = abs(position.quantity) * instrument.contract_value * mark
        return {
            "adl": "1", "availPos": fmt(abs(position.quantity)) if position.td_mode == "isolated" else "",
            "avgPx": fmt(position.average) if position.quantity else "", "cTime": str(position.created),
            "ccy": instrument.settle, "deltaBS": "", "deltaPA": "", "gammaBS": "", "gammaPA": "",
            "imr": fmt(position.margin) if position.td_mode == "cross" else "", "instId": instrument.inst_id,
            "instType": instrument.inst_type, "interest": "0", "idxPx": fmt(mark), "last": fmt(self.markets[instrument.inst_id].last),
            "lever": str(instrument.leverage), "liab": "", "liabCcy": "", "liqPx": "",
            "markPx": fmt(mark), "margin": fmt(position.margin) if position.td_mode == "isolated" else "",
            "mgnMode": position.td_mode, "mgnRatio": "", "mmr": fmt(position.margin / 10),
            "notionalUsd": fmt(notional * self.usd_price(instrument.settle)), "optVal": "",
            "pTime": str(self.updated), "pos": fmt(position.quantity), "posCcy": "",
            "posId": position.pos_id, "posSide": "net", "thetaBS": "", "thetaPA": "",
            "tradeId": position.trade_id, "uTime": str(position.updated), "upl": fmt(self.upl(position)),
            "realizedPnl": fmt(position.realized), "pnl": fmt(position.realized), "fee": fmt(-position.fee),
            "fundingFee": "0", "liqPenalty": "0", "vegaBS": "", "vegaPA": "", "closeOrderAlgo": [],
        }

    def balance_and_position(self, event_type: str, currencies: set[str] | None = None,
                             positions: list[Position] | None = None,
                             trades: list[dict[str, str]] | None = None) -> dict[str, Any]:
        """The ``balance_and_position`` data item: every balance and position for the
        snapshot, the changed ones otherwise."""
        now = str(self.updated)
        chosen = sorted(self.cash) if currencies is None else sorted(currencies & set(self.cash))
        held = [p for p in self.positions.values() if p.quantity] if positions is None else positions
        return {"pTime": now, "eventType": event_type,
                "balData": [{"ccy": c, "cashBal": fmt(self.cash[c]), "uTime": now} for c in chosen],
                "posData": [{"posId": p.pos_id, "tradeId": p.trade_id, "instId": p.instrument.inst_id,
                             "instType": p.instrument.inst_type, "mgnMode": p.td_mode, "posSide": "net",
                             "pos": fmt(p.quantity), "ccy": p.instrument.settle, "posCcy": "",
                             "avgPx": fmt(p.average) if p.quantity else "", "uTime": str(p.updated)}
                            for p in held],
                "trades": trades or []}

    # -- operations ------------------------------------------------------------------

    def place(self, arg: Any) -> tuple[Order, list[Event]]:
        """Validate and place one order; it may fill at once.

        Raises:
            OrderError: the order is refused (its ``sCode``/``sMsg``).
        """
        if not isinstance(arg, dict):
            raise order_error("51000", "args")
        instrument = self._instrument(arg)
        td_mode = arg.get("tdMode")
        if not td_mode:
            raise order_error("50014", "tdMode")
        if td_mode not in ("cash", "cross", "isolated", "spot_isolated") or \
                (td_mode == "cash") != instrument.is_spot:
            raise order_error("51000", "tdMode")
        side = arg.get("side")
        if side not in ("buy", "sell"):
            raise order_error("50014" if not side else "51000", "side")
        ord_type = arg.get("ordType")
        if ord_type not in ORDER_TYPES:
            raise order_error("50014" if not ord_type else "51000", "ordType")
        if "sz" not in arg or arg.get("sz") == "":
            raise order_error("50014", "sz")
        size = to_decimal(arg.get("sz"))
        if size is None or size <= 0:
            raise order_error("51000", "sz")
        tgt_ccy = arg.get("tgtCcy") or ("quote_ccy" if instrument.is_spot and ord_type == "market"
                                         and side == "buy" else "")
        if tgt_ccy not in ("", "base_ccy", "quote_ccy"):
            raise order_error("51000", "tgtCcy")
        quote_sized = instrument.is_spot and ord_type == "market" and tgt_ccy == "quote_ccy"
        if not quote_sized:
            if size < instrument.min_size:
                raise order_error("51020")
            if size % instrument.lot:
                raise order_error("51121")
        price: Decimal | None = None
        if ord_type not in TAKING_TYPES:
            if arg.get("px") in (None, ""):
                raise order_error("50014", "px")
            price = to_decimal(arg.get("px"))
            if price is None or price <= 0 or price % instrument.tick:
                raise order_error("51000", "px")
        cl_ord_id = arg.get("clOrdId", "") or ""
        if cl_ord_id and (not isinstance(cl_ord_id, str) or not CLIENT_ORDER_ID.fullmatch(cl_ord_id)):
            raise order_error("51000", "clOrdId")
        if cl_ord_id and any(o.cl_ord_id == cl_ord_id and o.state not in FINAL_STATES
                             for o in self.orders.values()):
            raise order_error("51016")
        now = self._tick()
        order = Order(str(next(self._ids)), cl_ord_id, str(arg.get("tag", "") or ""), instrument,
                      side, ord_type, td_mode, size, price, tgt_ccy,
                      str(arg.get("reduceOnly", "")).lower() == "true", now, now)
        market = self.markets[instrument.inst_id]
        touch = market.best_ask if side == "buy" else market.best_bid
        self._freeze(order, touch)
        self.orders[order.ord_id] = order
        crosses = price is None or (price >= touch if side == "buy" else price <= touch)
        if crosses and ord_type in ("post_only", "mmp_and_post_only"):
            return order, self._cancel(order, "31")
        if crosses:
            return order, self._fill(order, order.remaining if not quote_sized else
                                              self._base_for(order, touch), touch, maker=False)
        if ord_type in ("fok", "ioc"):
            return order, self._cancel(order, "14" if ord_type == "ioc" else "15")
        return order, [Event("order", order=order), Event("account", currencies={order.frozen_ccy})]

    def cancel(self, arg: Any) -> tuple[Order, list[Event]]:
        """Cancel one live order (``ordId`` wins over ``clOrdId``).

        Raises:
            OrderError: 51400 when it is unknown or already final.
        """
        order = self._find(arg, "51400")
        return order, self._cancel(order, "1")

    def amend(self, arg: Any) -> tuple[Order, list[Event]]:
        """Amend one live order's ``newSz``/``newPx``; a new size at or below the filled
        size completes it.

        Raises:
            OrderError: 51503 when it is unknown or already final, 51000 for bad values,
                51008 when the new order needs more than is available.
        """
        order = self._find(arg, "51503")
        try:
            return self._amend(order, arg)
        finally:
            order.amend = {}  # amendResult and reqId belong to the amend's own push only

    def _amend(self, order: Order, arg: dict[str, Any]) -> tuple[Order, list[Event]]:
        req_id = str(arg.get("reqId", "") or "")
        new_size = to_decimal(arg["newSz"]) if arg.get("newSz") not in (None, "") else None
        new_price = to_decimal(arg["newPx"]) if arg.get("newPx") not in (None, "") else None
        if new_size is None and new_price is None:
            raise order_error("50014", "newSz or newPx")
        if (new_size is not None and (new_size <= 0 or new_size % order.instrument.lot)) or \
                (new_price is not None and (new_price <= 0 or new_price % order.instrument.tick)) or \
                (new_price is not None and order.price is None):
            raise order_error("51000", "newSz" if new_size is not None else "newPx")
        now = self._tick()
        order.amend = {"amendResult": "0", "reqId": req_id, "code": "0", "msg": ""}
        order.updated = now
        events: list[Event] = []
        if new_size is not None and new_size <= order.filled:
            order.size = order.filled
            order.state = "filled"
            order.frozen = Decimal(0)
            return order, [Event("order", order=order), Event("account", currencies={order.frozen_ccy})]
        old = (order.size, order.price, order.frozen)
        if new_size is not None:
            order.size = new_size
        if new_price is not None:
            order.price = new_price
        market = self.markets[order.instrument.inst_id]
        touch = market.best_ask if order.side == "buy" else market.best_bid
        try:
            self._freeze(order, touch, previous=old[2])
        except OrderError:
            order.size, order.price, order.frozen = old
            order.amend = {}
            raise
        assert order.price is not None
        if order.price >= touch if order.side == "buy" else order.price <= touch:
            events += [Event("order", order=order)]
            order.amend = {}
            events += self._fill(order, order.remaining, touch, maker=False)
            return order, events
        return order, [Event("order", order=order), Event("account", currencies={order.frozen_ccy})]

    def mass_cancel(self, inst_type: str, family: str) -> list[Event]:
        """Cancel every live order of ``inst_type`` in ``family``."""
        events: list[Event] = []
        for order in list(self.orders.values()):
            if order.state not in FINAL_STATES and order.instrument.inst_type == inst_type and \
                    order.instrument.family == family:
                events += self._cancel(order, "6")
        return events

    def match(self, trades: Mapping[str, list[Any]]) -> list[Event]:
        """Fill the resting orders the market reached, as makers.

        A buy fills at the best ask once the ask is at or below its price; or at its own
        price when this step's ``trades`` (by instId) include a taker sell at or below it
        while it is at the top of the book (best bid <= price < best ask). Sells mirror
        this, so every fill prints inside the book.
        """
        events: list[Event] = []
        for order in list(self.orders.values()):
            if order.state in FINAL_STATES or order.price is None:
                continue
            inst_id = order.instrument.inst_id
            market = self.markets[inst_id]
            price, buy = order.price, order.side == "buy"
            if market.best_ask <= price if buy else market.best_bid >= price:
                touch = market.best_ask if buy else market.best_bid
                events += self._fill(order, order.remaining, touch, maker=True)
            elif market.best_bid <= price <= market.best_ask and any(
                    t.side != order.side and (t.price <= price if buy else t.price >= price)
                    for t in trades.get(inst_id, ())):
                events += self._fill(order, order.remaining, price, maker=True)
        return events

    def fill(self, ord_id: str, size: Decimal | None, price: Decimal | None) -> list[Event]:
        """Fill ``size`` (all that remains when ``None``) of a live order at ``price``
        (its own price when ``None``) as a maker, against a counterpart outside the public
        book (no public trade is printed).

        Raises:
            KeyError: no such order.
            ValueError: the order is final or ``size`` is out of range.
        """
        order = self.orders[ord_id]
        if order.state in FINAL_STATES:
            raise ValueError(f"order {ord_id} is {order.state}")
        amount = order.remaining if size is None else size
        if not 0 < amount <= order.remaining:
            raise ValueError(f"size must be in (0, {order.remaining}]")
        fill_price = price if price is not None else order.price
        if fill_price is None:
            raise ValueError("a market order needs a price")
        return self._fill(order, amount, fill_price, maker=True, public=False)

    # -- internals -------------------------------------------------------------------

    def _tick(self) -> int:
        self.updated = max(self.clock(), self.updated)
        return self.updated

    def _instrument(self, arg: Mapping[str, Any]) -> Instrument:
        code = arg.get("instIdCode")
        if code is None or code == "":
            raise order_error("50014", "instIdCode")
        for instrument in INSTRUMENTS.values():
            if str(instrument.code) == str(code):
                return instrument
        raise order_error("51001")

    def _find(self, arg: Any, code: str) -> Order:
        if not isinstance(arg, dict):
            raise order_error("51000", "args")
        self._instrument(arg)
        ord_id, cl_ord_id = arg.get("ordId"), arg.get("clOrdId")
        if not ord_id and not cl_ord_id:
            raise order_error("50014", "ordId or clOrdId")
        if ord_id:
            order = self.orders.get(str(ord_id))
        else:
            order = next((o for o in reversed(self.orders.values()) if o.cl_ord_id == cl_ord_id), None)
        if order is None or order.state in FINAL_STATES or str(order.instrument.code) != str(arg["instIdCode"]):
            raise order_error(code)
        return order

    def _base_for(self, order: Order, touch: Decimal) -> Decimal:
        """Base size a quote-sized market buy gets at ``touch``, rounded down to the lot."""
        lot = order.instrument.lot
        return (order.size / touch / lot).to_integral_value(ROUND_DOWN) * lot

    def _freeze(self, order: Order, touch: Decimal, previous: Decimal = Decimal(0)) -> None:
        instrument = order.instrument
        price = order.price if order.price is not None else touch
        remaining = order.remaining
        if instrument.is_spot:
            if order.side == "buy":
                ccy = instrument.quote
                need = order.size if order.tgt_ccy == "quote_ccy" and order.ord_type == "market" \
                    else remaining * price
            else:
                ccy = instrument.base
                need = remaining if order.tgt_ccy != "quote_ccy" else order.size / touch
        else:
            ccy = instrument.settle
            position = self.positions.get(instrument.inst_id)
            held = position.quantity if position is not None else Decimal(0)
            closing = min(remaining, abs(held)) if (held < 0) == (order.side == "buy") and held else Decimal(0)
            opening = Decimal(0) if order.reduce_only else remaining - closing
            need = opening * instrument.contract_value * price / instrument.leverage
        if need > self.available(ccy) + previous:
            raise order_error("51008", ccy)
        order.frozen, order.frozen_ccy = need, ccy

    def _cancel(self, order: Order, source: str) -> list[Event]:
        order.state = "canceled"
        order.cancel_source = source
        order.frozen = Decimal(0)
        order.updated = self._tick()
        return [Event("order", order=order), Event("account", currencies={order.frozen_ccy})]

    def _fill(self, order: Order, size: Decimal, price: Decimal, maker: bool,
              public: bool = True) -> list[Event]:
        instrument = order.instrument
        market = self.markets[instrument.inst_id]
        now = self._tick()
        rate = MAKER_FEE if maker else TAKER_FEE
        if size <= 0:
            return self._cancel(order, "1")
        release = order.frozen if size >= order.remaining else order.frozen * size / order.remaining
        order.frozen -= release
        trade = market.record_trade(price, size, order.side, public=public)
        currencies: set[str] = set()
        position: Position | None = None
        if instrument.is_spot:
            base, quote = instrument.base, instrument.quote
            cost = size * price
            if order.side == "buy":
                fee = size * rate
                self.cash[quote] = self.cash.get(quote, Decimal(0)) - cost
                self.cash[base] = self.cash.get(base, Decimal(0)) + size - fee
            else:
                fee = cost * rate
                self.cash[base] = self.cash.get(base, Decimal(0)) - size
                self.cash[quote] = self.cash.get(quote, Decimal(0)) + cost - fee
            currencies = {base, quote}
        else:
            position = self._position(order, size, price, now, trade.trade_id)
            fee = size * instrument.contract_value * price * rate
            self.cash[instrument.settle] = self.cash.get(instrument.settle, Decimal(0)) - fee
            position.fee += fee
            currencies = {instrument.settle}
        if order.tgt_ccy == "quote_ccy" and order.ord_type == "market":
            order.size = size  # a quote-sized market buy reports its base fill
        order.filled += size
        order.notional += size * price
        order.fee += fee
        order.state = "filled" if order.filled >= order.size or order.ord_type in (
            "market", "optimal_limit_ioc", "ioc", "fok") else "partially_filled"
        if order.state == "filled":
            order.frozen = Decimal(0)
        order.updated = now
        order.last_fill = {"execType": "M" if maker else "T", "fillFee": fmt(-fee), "fillPx": fmt(price),
                           "fillSz": fmt(size), "fillTime": str(now), "tradeId": str(trade.trade_id),
                           "notional": fmt(size * price * (instrument.contract_value if not instrument.is_spot
                                                             else 1))}
        fill = {"instId": instrument.inst_id, "fillSz": fmt(size), "fillPx": fmt(price), "side": order.side,
                "ts": str(now), "ordId": order.ord_id, "clOrdId": order.cl_ord_id,
                "tradeId": str(trade.trade_id), "execType": "M" if maker else "T", "count": "1"}
        events = [Event("order", order=order), Event("fill", order=order, fill=fill),
                  Event("account", currencies=currencies, event_type="filled",
                        fill={"instId": instrument.inst_id, "tradeId": str(trade.trade_id)},
                        position=position)]
        if position is not None:
            events.append(Event("position", position=position, data=self.position_data(position)))
        return events

    def _position(self, order: Order, size: Decimal, price: Decimal, now: int, trade_id: int) -> Position:
        instrument = order.instrument
        position = self.positions.get(instrument.inst_id)
        if position is None:
            position = self.positions[instrument.inst_id] = Position(
                str(next(self._pos_ids)), instrument, order.td_mode, created=now)
        signed = size if order.side == "buy" else -size
        held = position.quantity
        value = instrument.contract_value
        if held and (held > 0) != (signed > 0):  # closing first
            closed = min(abs(signed), abs(held))
            direction = 1 if held > 0 else -1
            pnl = (price - position.average) * closed * value * direction
            position.realized += pnl
            self.cash[instrument.settle] = self.cash.get(instrument.settle, Decimal(0)) + pnl
            position.margin -= position.margin * closed / abs(held)
            held += closed * (-direction)
            signed += closed * direction
            if not held:
                position.average = Decimal(0)
        if signed:
            total = abs(held) + abs(signed)
            position.average = (position.average * abs(held) + price * abs(signed)) / total
            position.margin += abs(signed) * value * price / instrument.leverage
            held += signed
        position.quantity = held
        position.updated = now
        position.trade_id = str(trade_id)
        position.td_mode = order.td_mode
        return position
