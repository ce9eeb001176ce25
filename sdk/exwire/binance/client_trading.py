"""Order management and SOR of :class:`~exwire.binance.client.BinanceClient`
(§8.3–§8.5 of :doc:`the Binance page </exchanges/binance>`; security types TRADE and USER_DATA, so
every call is SIGNED).

Every method here is blocking and thread-safe, takes ``timeout=`` (seconds; ``None``:
``request_timeout``) and ``recv_window=`` (seconds; ``None``: the client's default),
and raises:

* ``ConfigurationError`` before anything is sent: bad arguments, a parameter the order
  type requires is missing (§8.3 table), or the client has no credentials;
* ``InsufficientFunds`` (-2010 for lack of balance), ``OrderNotFound`` (-2013, -2011
  "Unknown order"), ``InvalidRequest`` (filters, -1013, -2010 other reasons ...),
  ``AuthenticationError`` (-1022 signature, -2015 key/IP/permissions, -1021 timestamp
  even after one clock resync), ``RateLimited`` (-1003, -1015; ``retry_after``),
  ``ExchangeUnavailable`` (-1007 timeout, 5xx: **the outcome is unknown**);
* ``InvalidState`` on a closed client, ``ConnectError`` when no connection opens;
* ``ConnectionClosed`` / ``RequestTimeout`` when no reply came: **the outcome is unknown**
  (the order may or may not exist); query it with :meth:`get_spot_order_status`.

Money (prices, quantities) is ``Decimal``, ``str``, ``int`` or ``float`` (through its
shortest repr) and goes on the wire as a plain decimal string; prices are in the quote
asset per unit of base asset, quantities in the base asset. An optional argument left at
``None`` is not sent: Binance applies its default (given per argument where it matters). ``side`` accepts
:class:`~exwire.binance.enums.OrderSide`, ``exwire.Side`` or ``"BUY"``/``"SELL"``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from exwire.binance._caller import Caller
from exwire.binance._docs import raises
from exwire.binance._validation import check_order, require_one_of
from exwire.binance.converter import order_or_list
from exwire.binance.enums import (
    CancelReplaceMode,
    CancelRestrictions,
    OrderRateLimitExceededMode,
    OrderResponseType,
    OrderSide,
    OrderType,
    PegOffsetType,
    PegPriceType,
    SelfTradePreventionMode,
    TimeInForce,
)
from exwire.binance.models import OrderTestResult
from exwire.binance.order_models import AmendResult, CancelReplaceResult, Order, OrderList
from exwire.errors import ConfigurationError
from exwire.models import Side as SharedSide

__all__ = ["TradingMethods"]

Money = Decimal | str | int | float
Side = OrderSide | SharedSide | str  # the enum, exwire.Side, or the wire value


def _cancel_result(result: Any) -> Order | OrderList:
    return order_or_list(result)


def _cancel_all_result(result: Any) -> list[Order | OrderList]:
    return [order_or_list(item) for item in result]


class TradingMethods(Caller):
    """Mixin: needs ``_call`` from the client."""

    # -- order management (§8.3) ------------------------------------------------------------

    @raises("trade")
    def submit_new_spot_order(
        self, symbol: str, side: Side, order_type: OrderType | str, *,
        time_in_force: TimeInForce | str | None = None, price: Money | None = None, quantity: Money | None = None,
        quote_order_quantity: Money | None = None, stop_price: Money | None = None, trailing_delta: int | None = None,
        iceberg_quantity: Money | None = None, new_client_order_id: str | None = None,
        response_type: OrderResponseType | str | None = None, strategy_id: int | None = None,
        strategy_type: int | None = None, self_trade_prevention_mode: SelfTradePreventionMode | str | None = None,
        peg_price_type: PegPriceType | str | None = None, peg_offset_value: int | None = None,
        peg_offset_type: PegOffsetType | str | None = None, recv_window: float | None = None,
        timeout: float | None = None,
    ) -> Order:
        """Place an order (``order.place``, weight 1, one unfilled order).

        Args:
            symbol: e.g. ``"BTCUSDT"``.
            side: buy or sell.
            order_type: ``LIMIT`` needs ``time_in_force``, ``price``, ``quantity``;
                ``LIMIT_MAKER`` ``price``, ``quantity``; ``MARKET`` ``quantity`` (base) or
                ``quote_order_quantity`` (quote); ``STOP_LOSS``/``TAKE_PROFIT`` ``quantity`` and
                ``stop_price`` or ``trailing_delta``; their ``_LIMIT`` forms also
                ``time_in_force`` and ``price``. With ``peg_price_type`` the price is optional.
            time_in_force: ``GTC``, ``IOC`` or ``FOK``; ``None``: not sent (LIMIT types need it).
            price: limit price, quote asset per unit of base asset; ``None``: not sent.
            quantity: base-asset quantity; ``None``: not sent.
            quote_order_quantity: quote-asset amount of a MARKET order; ``None``: not sent.
            stop_price: trigger price, quote asset; ``None``: not sent.
            trailing_delta: trailing stop distance in basis points; ``None``: not a trailing order.
            iceberg_quantity: visible base-asset quantity of an iceberg order (needs ``GTC``);
                ``None``: not an iceberg.
            new_client_order_id: your id for the order; ``None``: Binance makes one.
            response_type: ``ACK``, ``RESULT`` or ``FULL`` (with ``fills``); ``None``: FULL
                for MARKET and LIMIT, ACK otherwise.
            strategy_id, strategy_type: your tags (``strategy_type`` ≥ 1000000); ``None``: none.
            self_trade_prevention_mode: as allowed by the symbol; ``None``: the symbol's default.
            peg_price_type, peg_offset_value, peg_offset_type: pegged orders (the offset
                counts ``PRICE_LEVEL`` price levels, at most 100); ``None``: not pegged.
            recv_window: seconds the request stays valid; ``None``: the client's default.
            timeout: seconds to wait for the reply (``None``: ``request_timeout``).

        Returns:
            The order report; how complete depends on ``response_type``.
        """
        check_order(order_type, price=price, quantity=quantity, quote_order_quantity=quote_order_quantity,
                    stop_price=stop_price, trailing_delta=trailing_delta, time_in_force=time_in_force,
                    iceberg_quantity=iceberg_quantity, peg_price_type=peg_price_type)
        return self._call(
            "order.place", Order, timeout=timeout, signed=True, recv_window=recv_window, symbol=symbol, side=side,
            order_type=order_type, time_in_force=time_in_force, price=price, quantity=quantity,
            quote_order_quantity=quote_order_quantity, stop_price=stop_price, trailing_delta=trailing_delta,
            iceberg_quantity=iceberg_quantity, new_client_order_id=new_client_order_id, response_type=response_type,
            strategy_id=strategy_id, strategy_type=strategy_type,
            self_trade_prevention_mode=self_trade_prevention_mode, peg_price_type=peg_price_type,
            peg_offset_value=peg_offset_value, peg_offset_type=peg_offset_type,
        )

    @raises("trade")
    def test_spot_order(
        self, symbol: str, side: Side, order_type: OrderType | str, *, compute_commission_rates: bool | None = None,
        time_in_force: TimeInForce | str | None = None, price: Money | None = None, quantity: Money | None = None,
        quote_order_quantity: Money | None = None, stop_price: Money | None = None, trailing_delta: int | None = None,
        iceberg_quantity: Money | None = None, new_client_order_id: str | None = None,
        response_type: OrderResponseType | str | None = None, strategy_id: int | None = None,
        strategy_type: int | None = None, self_trade_prevention_mode: SelfTradePreventionMode | str | None = None,
        peg_price_type: PegPriceType | str | None = None, peg_offset_value: int | None = None,
        peg_offset_type: PegOffsetType | str | None = None, recv_window: float | None = None,
        timeout: float | None = None,
    ) -> OrderTestResult:
        """Validate an order and its signature without placing it (``order.test``, weight 1 or 20).

        Arguments as :meth:`submit_new_spot_order`, plus ``compute_commission_rates``
        (``True`` returns the rates that would apply, weight 20; ``None``: not). Nothing reaches the
        matching engine, so a lost reply has no consequence.
        """
        check_order(order_type, price=price, quantity=quantity, quote_order_quantity=quote_order_quantity,
                    stop_price=stop_price, trailing_delta=trailing_delta, time_in_force=time_in_force,
                    iceberg_quantity=iceberg_quantity, peg_price_type=peg_price_type)
        return self._call(
            "order.test", OrderTestResult, timeout=timeout, signed=True, recv_window=recv_window, symbol=symbol,
            side=side, order_type=order_type, compute_commission_rates=compute_commission_rates,
            time_in_force=time_in_force, price=price, quantity=quantity, quote_order_quantity=quote_order_quantity,
            stop_price=stop_price, trailing_delta=trailing_delta, iceberg_quantity=iceberg_quantity,
            new_client_order_id=new_client_order_id, response_type=response_type, strategy_id=strategy_id,
            strategy_type=strategy_type, self_trade_prevention_mode=self_trade_prevention_mode,
            peg_price_type=peg_price_type, peg_offset_value=peg_offset_value, peg_offset_type=peg_offset_type,
        )

    @raises("account")
    def get_spot_order_status(
        self, symbol: str, *, order_id: int | None = None, original_client_order_id: str | None = None,
        recv_window: float | None = None, timeout: float | None = None,
    ) -> Order:
        """Return an order's current state (``order.status``, USER_DATA, weight 4).

        Args:
            order_id, original_client_order_id: which order (at least one; both must agree).

        Raises:
            OrderNotFound: no such order (-2013) or archived (-2026).
        """
        require_one_of(order_id=order_id, original_client_order_id=original_client_order_id)
        return self._call("order.status", Order, timeout=timeout, signed=True, recv_window=recv_window,
                          symbol=symbol, order_id=order_id, original_client_order_id=original_client_order_id)

    @raises("trade")
    def cancel_spot_order(
        self, symbol: str, *, order_id: int | None = None, original_client_order_id: str | None = None,
        new_client_order_id: str | None = None, cancel_restrictions: CancelRestrictions | str | None = None,
        recv_window: float | None = None, timeout: float | None = None,
    ) -> Order | OrderList:
        """Cancel an order (``order.cancel``, weight 1).

        Cancelling one leg of an order list cancels the whole list and returns the
        :class:`OrderList` report; otherwise the cancelled :class:`Order`.

        Args:
            order_id, original_client_order_id: which order (at least one; ``order_id`` is fastest).
            new_client_order_id: id of the cancel itself; ``None``: Binance makes one.
            cancel_restrictions: cancel only if ``ONLY_NEW`` / ``ONLY_PARTIALLY_FILLED``;
                ``None``: whatever the status.

        Raises:
            OrderNotFound: unknown order (-2011 "Unknown order sent.").
        """
        require_one_of(order_id=order_id, original_client_order_id=original_client_order_id)
        return self._call("order.cancel", _cancel_result, timeout=timeout, signed=True, recv_window=recv_window,
                          symbol=symbol, order_id=order_id, original_client_order_id=original_client_order_id,
                          new_client_order_id=new_client_order_id, cancel_restrictions=cancel_restrictions)

    @raises("trade")
    def cancel_replace_spot_order(
        self, symbol: str, side: Side, order_type: OrderType | str, cancel_replace_mode: CancelReplaceMode | str, *,
        cancel_order_id: int | None = None, cancel_original_client_order_id: str | None = None,
        cancel_new_client_order_id: str | None = None, cancel_restrictions: CancelRestrictions | str | None = None,
        order_rate_limit_exceeded_mode: OrderRateLimitExceededMode | str | None = None,
        time_in_force: TimeInForce | str | None = None, price: Money | None = None, quantity: Money | None = None,
        quote_order_quantity: Money | None = None, stop_price: Money | None = None, trailing_delta: int | None = None,
        iceberg_quantity: Money | None = None, new_client_order_id: str | None = None,
        response_type: OrderResponseType | str | None = None, strategy_id: int | None = None,
        strategy_type: int | None = None, self_trade_prevention_mode: SelfTradePreventionMode | str | None = None,
        peg_price_type: PegPriceType | str | None = None, peg_offset_value: int | None = None,
        peg_offset_type: PegOffsetType | str | None = None, recv_window: float | None = None,
        timeout: float | None = None,
    ) -> CancelReplaceResult:
        """Cancel an order and place a new one (``order.cancelReplace``, weight 1; not atomic, §8.4).

        Args:
            cancel_replace_mode: ``STOP_ON_FAILURE`` (no new order if the cancel fails) or
                ``ALLOW_FAILURE``.
            cancel_order_id, cancel_original_client_order_id: the order to cancel (at least one).
            cancel_new_client_order_id: id of the cancel itself; ``None``: Binance makes one.
            cancel_restrictions: as :meth:`cancel_spot_order`.
            order_rate_limit_exceeded_mode: ``DO_NOTHING`` or ``CANCEL_ONLY``; ``None``:
                ``DO_NOTHING``.
            Other arguments: the new order, as :meth:`submit_new_spot_order`.

        Raises:
            ExchangeError: -2021 (one step failed, status 409) or -2022 (both failed) as
                ``InvalidRequest``; ``error.data`` holds both sub-results.
        """
        require_one_of(cancel_order_id=cancel_order_id, cancel_original_client_order_id=cancel_original_client_order_id)
        check_order(order_type, price=price, quantity=quantity, quote_order_quantity=quote_order_quantity,
                    stop_price=stop_price, trailing_delta=trailing_delta, time_in_force=time_in_force,
                    iceberg_quantity=iceberg_quantity, peg_price_type=peg_price_type)
        return self._call(
            "order.cancelReplace", CancelReplaceResult, timeout=timeout, signed=True, recv_window=recv_window,
            symbol=symbol, side=side, order_type=order_type, cancel_replace_mode=cancel_replace_mode,
            cancel_order_id=cancel_order_id, cancel_original_client_order_id=cancel_original_client_order_id,
            cancel_new_client_order_id=cancel_new_client_order_id, cancel_restrictions=cancel_restrictions,
            order_rate_limit_exceeded_mode=order_rate_limit_exceeded_mode, time_in_force=time_in_force, price=price,
            quantity=quantity, quote_order_quantity=quote_order_quantity, stop_price=stop_price,
            trailing_delta=trailing_delta, iceberg_quantity=iceberg_quantity, new_client_order_id=new_client_order_id,
            response_type=response_type, strategy_id=strategy_id, strategy_type=strategy_type,
            self_trade_prevention_mode=self_trade_prevention_mode, peg_price_type=peg_price_type,
            peg_offset_value=peg_offset_value, peg_offset_type=peg_offset_type,
        )

    @raises("trade")
    def amend_spot_order_keep_priority(
        self, symbol: str, new_quantity: Money, *, order_id: int | None = None,
        original_client_order_id: str | None = None, new_client_order_id: str | None = None,
        recv_window: float | None = None, timeout: float | None = None,
    ) -> AmendResult:
        """Reduce an open order's quantity keeping its queue priority (``order.amend.keepPriority``, weight 4).

        Args:
            new_quantity: the new total base-asset quantity, above 0 and below the current one.
            order_id, original_client_order_id: which order (at least one).
            new_client_order_id: the order's new client id; ``None``: Binance makes one.
        """
        require_one_of(order_id=order_id, original_client_order_id=original_client_order_id)
        check_order(None, quantity=new_quantity)
        return self._call("order.amend.keepPriority", AmendResult, timeout=timeout, signed=True,
                          recv_window=recv_window, symbol=symbol, new_quantity=new_quantity, order_id=order_id,
                          original_client_order_id=original_client_order_id, new_client_order_id=new_client_order_id)

    @raises("account")
    def get_spot_open_orders(self, symbol: str | None = None, *, recv_window: float | None = None,
                             timeout: float | None = None) -> list[Order]:
        """Return open orders of one symbol or, with ``None``, all (``openOrders.status``; weight 6 or 80)."""
        return self._call("openOrders.status", list[Order], timeout=timeout, signed=True, recv_window=recv_window,
                          symbol=symbol, symbol_optional=True)

    @raises("trade")
    def cancel_all_spot_open_orders(self, symbol: str, *, recv_window: float | None = None,
                                    timeout: float | None = None) -> list[Order | OrderList]:
        """Cancel every open order and order list of a symbol (``openOrders.cancelAll``, weight 1).

        Returns:
            One report per cancelled order (:class:`Order`) or order list (:class:`OrderList`).
        """
        return self._call("openOrders.cancelAll", _cancel_all_result, timeout=timeout, signed=True,
                          recv_window=recv_window, symbol=symbol)

    # -- smart order routing (§8.3) --------------------------------------------------------------

    @raises("trade")
    def place_spot_sor_order(
        self, symbol: str, side: Side, order_type: OrderType | str, quantity: Money, *,
        time_in_force: TimeInForce | str | None = None, price: Money | None = None, new_client_order_id: str | None = None,
        response_type: OrderResponseType | str | None = None, iceberg_quantity: Money | None = None,
        strategy_id: int | None = None, strategy_type: int | None = None,
        self_trade_prevention_mode: SelfTradePreventionMode | str | None = None,
        recv_window: float | None = None, timeout: float | None = None,
    ) -> list[Order]:
        """Place an order through smart order routing (``sor.order.place``, weight 1).

        Only ``LIMIT`` (with ``time_in_force`` and ``price``) and ``MARKET``; no quote
        quantity. Arguments as :meth:`submit_new_spot_order`.

        Returns:
            The order reports (``used_sor`` true, ``fills`` carry ``allocation_id``).
        """
        _check_sor(order_type)
        check_order(order_type, price=price, quantity=quantity, time_in_force=time_in_force,
                    iceberg_quantity=iceberg_quantity)
        return self._call(
            "sor.order.place", list[Order], timeout=timeout, signed=True, recv_window=recv_window, symbol=symbol,
            side=side, order_type=order_type, quantity=quantity, time_in_force=time_in_force, price=price,
            new_client_order_id=new_client_order_id, response_type=response_type, iceberg_quantity=iceberg_quantity,
            strategy_id=strategy_id, strategy_type=strategy_type, self_trade_prevention_mode=self_trade_prevention_mode,
        )

    @raises("trade")
    def test_spot_sor_order(
        self, symbol: str, side: Side, order_type: OrderType | str, quantity: Money, *,
        compute_commission_rates: bool | None = None, time_in_force: TimeInForce | str | None = None,
        price: Money | None = None, new_client_order_id: str | None = None,
        response_type: OrderResponseType | str | None = None, iceberg_quantity: Money | None = None,
        strategy_id: int | None = None, strategy_type: int | None = None,
        self_trade_prevention_mode: SelfTradePreventionMode | str | None = None,
        recv_window: float | None = None, timeout: float | None = None,
    ) -> OrderTestResult:
        """Validate an SOR order without placing it (``sor.order.test``, weight 1 or 20).

        Arguments as :meth:`place_spot_sor_order`, plus ``compute_commission_rates``.
        """
        _check_sor(order_type)
        check_order(order_type, price=price, quantity=quantity, time_in_force=time_in_force,
                    iceberg_quantity=iceberg_quantity)
        return self._call(
            "sor.order.test", OrderTestResult, timeout=timeout, signed=True, recv_window=recv_window, symbol=symbol,
            side=side, order_type=order_type, quantity=quantity, compute_commission_rates=compute_commission_rates,
            time_in_force=time_in_force, price=price, new_client_order_id=new_client_order_id,
            response_type=response_type, iceberg_quantity=iceberg_quantity, strategy_id=strategy_id,
            strategy_type=strategy_type, self_trade_prevention_mode=self_trade_prevention_mode,
        )


def _check_sor(order_type: Any) -> None:
    value = getattr(order_type, "value", order_type)
    if not isinstance(value, str) or value.upper() not in ("LIMIT", "MARKET"):
        raise ConfigurationError(f"SOR orders are LIMIT or MARKET only, got {order_type!r}")

