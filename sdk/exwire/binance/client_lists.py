"""Order-list requests of :class:`~exwire.binance.client.BinanceClient` (§8.3, §8.5 of
:doc:`the Binance page </exchanges/binance>`): OCO, OTO, OTOCO, OPO, OPOCO, their status and cancels. All SIGNED.

Conventions (``timeout``/``recv_window`` in seconds, ``None`` arguments not sent, money
as ``Decimal``, ``str``, ``int`` or ``float``, prices in the quote asset and quantities in
the base asset), threading and errors as in :mod:`exwire.binance.client_trading`. Legs are
given as :class:`~exwire.binance.order_models.OrderLeg` objects; each is checked against
its type's mandatory parameters before anything is sent.
"""

from __future__ import annotations

from decimal import Decimal
from enum import Enum
from typing import Any

from exwire.binance._caller import Caller
from exwire.binance._docs import raises
from exwire.binance._validation import check_order, require_one_of
from exwire.binance.enums import OrderResponseType, OrderSide, SelfTradePreventionMode, TimeInForce
from exwire.binance.order_models import OrderLeg, OrderList
from exwire.errors import ConfigurationError
from exwire.models import Side as SharedSide

__all__ = ["OrderListMethods"]

Money = Decimal | str | int | float
Side = OrderSide | SharedSide | str  # the enum, exwire.Side, or the wire value


class OrderListMethods(Caller):
    """Mixin: needs ``_call`` from the client."""

    # -- order lists (§8.3) --------------------------------------------------------------------

    @raises("trade")
    def place_spot_order_list(
        self, symbol: str, side: Side, quantity: Money, price: Money, *, stop_price: Money | None = None,
        trailing_delta: int | None = None, stop_limit_price: Money | None = None,
        stop_limit_time_in_force: TimeInForce | str | None = None, list_client_order_id: str | None = None,
        limit_client_order_id: str | None = None, limit_iceberg_quantity: Money | None = None,
        stop_client_order_id: str | None = None, stop_iceberg_quantity: Money | None = None,
        limit_strategy_id: int | None = None, limit_strategy_type: int | None = None,
        stop_strategy_id: int | None = None, stop_strategy_type: int | None = None,
        response_type: OrderResponseType | str | None = None,
        self_trade_prevention_mode: SelfTradePreventionMode | str | None = None,
        recv_window: float | None = None, timeout: float | None = None,
    ) -> OrderList:
        """Place a legacy OCO (``orderList.place``, deprecated: prefer :meth:`place_spot_oco_order_list`).

        A LIMIT_MAKER at ``price`` and a STOP_LOSS(_LIMIT) at ``stop_price`` /
        ``trailing_delta`` (with ``stop_limit_price`` it is STOP_LOSS_LIMIT and needs
        ``stop_limit_time_in_force``). Not available on the testnet.

        Args:
            quantity: base-asset quantity of both legs.
            price: the LIMIT_MAKER leg's price, quote asset.
            stop_price: the stop leg's trigger price; ``None``: use ``trailing_delta``.
            trailing_delta: trailing distance in basis points; ``None``: use ``stop_price``.
            stop_limit_price: makes the stop leg STOP_LOSS_LIMIT at this price; ``None``: STOP_LOSS.
            stop_limit_time_in_force: ``GTC``, ``IOC`` or ``FOK``; needed with ``stop_limit_price``.
            list_client_order_id, limit_client_order_id, stop_client_order_id: your ids;
                ``None``: Binance makes them.
            limit_iceberg_quantity, stop_iceberg_quantity: visible base-asset quantity of an
                iceberg leg; ``None``: not an iceberg.
            limit_strategy_id, limit_strategy_type, stop_strategy_id, stop_strategy_type:
                your strategy tags of each leg (types at least 1000000); ``None``: none.
            response_type: ``ACK``, ``RESULT`` or ``FULL``; ``None``: Binance's default.
            self_trade_prevention_mode: ``None``: the symbol's default.
            recv_window, timeout: seconds, as in :meth:`submit_new_spot_order`.
        """
        require_one_of(stop_price=stop_price, trailing_delta=trailing_delta)
        if price is None or quantity is None:
            raise ConfigurationError("an OCO order list needs quantity and price")
        check_order(None, price=price, quantity=quantity, stop_price=stop_price)
        if stop_limit_price is not None and stop_limit_time_in_force is None:
            raise ConfigurationError("stop_limit_price needs stop_limit_time_in_force")
        return self._call(
            "orderList.place", OrderList, timeout=timeout, signed=True, recv_window=recv_window, symbol=symbol,
            side=side, quantity=quantity, price=price, stop_price=stop_price, trailing_delta=trailing_delta,
            stop_limit_price=stop_limit_price, stop_limit_time_in_force=stop_limit_time_in_force,
            list_client_order_id=list_client_order_id, limit_client_order_id=limit_client_order_id,
            limit_iceberg_quantity=limit_iceberg_quantity, stop_client_order_id=stop_client_order_id,
            stop_iceberg_quantity=stop_iceberg_quantity, limit_strategy_id=limit_strategy_id,
            limit_strategy_type=limit_strategy_type, stop_strategy_id=stop_strategy_id,
            stop_strategy_type=stop_strategy_type, response_type=response_type,
            self_trade_prevention_mode=self_trade_prevention_mode,
        )

    @raises("trade")
    def place_spot_oco_order_list(
        self, symbol: str, side: Side, quantity: Money, above: OrderLeg, below: OrderLeg, *,
        list_client_order_id: str | None = None, response_type: OrderResponseType | str | None = None,
        self_trade_prevention_mode: SelfTradePreventionMode | str | None = None,
        recv_window: float | None = None, timeout: float | None = None,
    ) -> OrderList:
        """Place a one-cancels-the-other pair (``orderList.place.oco``, weight 1, two unfilled orders).

        Args:
            side, quantity: shared by both legs.
            above: the leg priced above the market: ``LIMIT_MAKER``, ``TAKE_PROFIT(_LIMIT)``
                for a sell, ``STOP_LOSS(_LIMIT)`` for a buy. No ``side``/``quantity``.
            below: the leg priced below (the mirror image).
            list_client_order_id: your id for the list; ``None``: Binance makes one.
            response_type: ``ACK``, ``RESULT`` or ``FULL``; ``None``: Binance's default.
            self_trade_prevention_mode: ``None``: the symbol's default.
        """
        check_order(None, quantity=quantity)
        legs = _legs(above=above, below=below, shared=("side", "quantity"))
        return self._call("orderList.place.oco", OrderList, timeout=timeout, signed=True, recv_window=recv_window,
                          symbol=symbol, side=side, quantity=quantity, list_client_order_id=list_client_order_id,
                          response_type=response_type, self_trade_prevention_mode=self_trade_prevention_mode, **legs)

    @raises("trade")
    def place_spot_oto_order_list(
        self, symbol: str, working: OrderLeg, pending: OrderLeg, *, list_client_order_id: str | None = None,
        response_type: OrderResponseType | str | None = None,
        self_trade_prevention_mode: SelfTradePreventionMode | str | None = None,
        recv_window: float | None = None, timeout: float | None = None,
    ) -> OrderList:
        """Place a one-triggers-the-other list (``orderList.place.oto``, two unfilled orders).

        Args:
            working: ``LIMIT`` or ``LIMIT_MAKER`` with ``side``, ``price``, ``quantity``
                (and ``time_in_force`` for LIMIT); it works at once.
            pending: placed when ``working`` fills; needs ``side`` and ``quantity``.
        """
        _need(working, "working", "side", "price", "quantity")
        _need(pending, "pending", "side", "quantity")
        legs = _legs(working=working, pending=pending)
        return self._call("orderList.place.oto", OrderList, timeout=timeout, signed=True, recv_window=recv_window,
                          symbol=symbol, list_client_order_id=list_client_order_id, response_type=response_type,
                          self_trade_prevention_mode=self_trade_prevention_mode, **legs)

    @raises("trade")
    def place_spot_otoco_order_list(
        self, symbol: str, working: OrderLeg, pending_side: Side, pending_quantity: Money,
        pending_above: OrderLeg, pending_below: OrderLeg | None = None, *, list_client_order_id: str | None = None,
        response_type: OrderResponseType | str | None = None,
        self_trade_prevention_mode: SelfTradePreventionMode | str | None = None,
        recv_window: float | None = None, timeout: float | None = None,
    ) -> OrderList:
        """Place a working order that triggers an OCO pair (``orderList.place.otoco``, three unfilled orders).

        Args:
            working: as in :meth:`place_spot_oto_order_list`.
            pending_side, pending_quantity: shared by the pending legs.
            pending_above, pending_below: the pending OCO legs (no ``side``/``quantity``);
                ``pending_below`` ``None``: a single pending leg.
        """
        _need(working, "working", "side", "price", "quantity")
        check_order(None, quantity=pending_quantity)
        legs = _legs(working=working, pending_above=pending_above, pending_below=pending_below,
                     shared=("side", "quantity"))
        return self._call("orderList.place.otoco", OrderList, timeout=timeout, signed=True, recv_window=recv_window,
                          symbol=symbol, pending_side=pending_side, pending_quantity=pending_quantity,
                          list_client_order_id=list_client_order_id, response_type=response_type,
                          self_trade_prevention_mode=self_trade_prevention_mode, **legs)

    @raises("trade")
    def place_spot_opo_order_list(
        self, symbol: str, working: OrderLeg, pending: OrderLeg, *, list_client_order_id: str | None = None,
        response_type: OrderResponseType | str | None = None,
        self_trade_prevention_mode: SelfTradePreventionMode | str | None = None,
        recv_window: float | None = None, timeout: float | None = None,
    ) -> OrderList:
        """Place a one-pays-the-other list (``orderList.place.opo``): a working BUY whose fill
        funds a pending SELL of the filled quantity.

        Args:
            working: as in :meth:`place_spot_oto_order_list`.
            pending: needs ``side``; no ``quantity`` (it is the working order's fill).
        """
        _need(working, "working", "side", "price", "quantity")
        _need(pending, "pending", "side")
        if pending.quantity is not None:
            raise ConfigurationError("an OPO pending leg takes no quantity: it is the working order's fill")
        legs = _legs(working=working, pending=pending)
        return self._call("orderList.place.opo", OrderList, timeout=timeout, signed=True, recv_window=recv_window,
                          symbol=symbol, list_client_order_id=list_client_order_id, response_type=response_type,
                          self_trade_prevention_mode=self_trade_prevention_mode, **legs)

    @raises("trade")
    def place_spot_opoco_order_list(
        self, symbol: str, working: OrderLeg, pending_side: Side, pending_above: OrderLeg,
        pending_below: OrderLeg | None = None, *, list_client_order_id: str | None = None,
        response_type: OrderResponseType | str | None = None,
        self_trade_prevention_mode: SelfTradePreventionMode | str | None = None,
        recv_window: float | None = None, timeout: float | None = None,
    ) -> OrderList:
        """Place a working BUY whose fill funds a pending SELL OCO pair (``orderList.place.opoco``).

        Arguments as :meth:`place_spot_otoco_order_list` without ``pending_quantity``.
        """
        _need(working, "working", "side", "price", "quantity")
        legs = _legs(working=working, pending_above=pending_above, pending_below=pending_below,
                     shared=("side", "quantity"))
        return self._call("orderList.place.opoco", OrderList, timeout=timeout, signed=True, recv_window=recv_window,
                          symbol=symbol, pending_side=pending_side, list_client_order_id=list_client_order_id,
                          response_type=response_type, self_trade_prevention_mode=self_trade_prevention_mode, **legs)

    @raises("account")
    def get_spot_order_list_status(
        self, *, order_list_id: int | None = None, list_client_order_id: str | None = None,
        recv_window: float | None = None, timeout: float | None = None,
    ) -> OrderList:
        """Return an order list's state (``orderList.status``, USER_DATA, weight 4).

        Args:
            order_list_id, list_client_order_id: which list (at least one; the client id wins).
        """
        require_one_of(order_list_id=order_list_id, list_client_order_id=list_client_order_id)
        return self._call("orderList.status", OrderList, timeout=timeout, signed=True, recv_window=recv_window,
                          order_list_id=order_list_id, original_list_client_order_id=list_client_order_id)

    @raises("trade")
    def cancel_spot_order_list(
        self, symbol: str, *, order_list_id: int | None = None, list_client_order_id: str | None = None,
        new_client_order_id: str | None = None, recv_window: float | None = None, timeout: float | None = None,
    ) -> OrderList:
        """Cancel a whole order list (``orderList.cancel``, weight 1).

        Args:
            order_list_id, list_client_order_id: which list (at least one).
            new_client_order_id: id of the cancel itself; ``None``: Binance makes one.
        """
        require_one_of(order_list_id=order_list_id, list_client_order_id=list_client_order_id)
        return self._call("orderList.cancel", OrderList, timeout=timeout, signed=True, recv_window=recv_window,
                          symbol=symbol, order_list_id=order_list_id, list_client_order_id=list_client_order_id,
                          new_client_order_id=new_client_order_id)

    @raises("account")
    def get_spot_open_order_lists(self, *, recv_window: float | None = None,
                                  timeout: float | None = None) -> list[OrderList]:
        """Return every open order list (``openOrderLists.status``, USER_DATA, weight 6)."""
        return self._call("openOrderLists.status", list[OrderList], timeout=timeout, signed=True,
                          recv_window=recv_window)


def _need(leg: Any, name: str, *fields: str) -> None:
    if not isinstance(leg, OrderLeg):
        raise ConfigurationError(f"{name} must be an exwire.binance.models.OrderLeg, got {type(leg).__name__}")
    missing = [field for field in fields if getattr(leg, field) is None]
    if missing:
        raise ConfigurationError(f"the {name} leg needs {', '.join(missing)}")


#: The working leg of OTO, OTOCO, OPO and OPOCO lists rests on the book at once: Binance
#: takes ``workingType`` ``LIMIT`` or ``LIMIT_MAKER`` only, and no stop or trailing parameter.
_WORKING_TYPES = ("LIMIT", "LIMIT_MAKER")


def _check_working(leg: OrderLeg) -> None:
    kind = leg.order_type.value if isinstance(leg.order_type, Enum) else leg.order_type
    if not isinstance(kind, str) or kind.upper() not in _WORKING_TYPES:
        raise ConfigurationError(f"the working leg must be LIMIT or LIMIT_MAKER, got {kind!r}")
    given = [field for field in ("stop_price", "trailing_delta") if getattr(leg, field) is not None]
    if given:
        raise ConfigurationError(f"the working leg takes no {', '.join(given)} (it is a LIMIT or LIMIT_MAKER)")


def _legs(*, shared: tuple[str, ...] = (), **legs: OrderLeg | None) -> dict[str, Any]:
    """Validate order-list legs and flatten them into ``<leg>_<field>`` keywords."""
    values: dict[str, Any] = {}
    for name, leg in legs.items():
        if leg is None:
            continue
        _need(leg, name)
        if name == "working":
            _check_working(leg)
        if name != "working" and shared:
            given = [field for field in shared if getattr(leg, field) is not None]
            if given:
                raise ConfigurationError(f"the {name} leg takes no {', '.join(given)}: the list has it")
        check_order(leg.order_type, price=leg.price, quantity=leg.quantity, stop_price=leg.stop_price,
                    trailing_delta=leg.trailing_delta, time_in_force=leg.time_in_force,
                    iceberg_quantity=leg.iceberg_quantity, peg_price_type=leg.peg_price_type, prefix=f"{name}_")
        values.update(leg.values(name))
    return values
