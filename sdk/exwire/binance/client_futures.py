"""Futures market data and order management of :class:`~exwire.binance.client.BinanceClient`
(§10 of :doc:`the Binance page </exchanges/binance>`).

Each futures market has its own connection: ``FuturesMarket.USDM`` (``ws-fapi``) and
``FuturesMarket.COINM`` (``ws-dapi``). Methods that take ``market`` as their first argument
exist on both; the others exist on USDⓈ-M only and take ``market=`` as a keyword
(default ``USDM``) so that asking them for COIN-M is a ``ConfigurationError`` before
anything is sent (the COIN-M WS API has no market data and no algo orders, §10.3).

Every method is blocking and thread-safe, takes ``timeout=`` (seconds; ``None``:
``request_timeout``) and, when SIGNED, ``recv_window=`` (seconds; ``None``: the
client's default); an optional argument left at ``None`` is not sent, so Binance applies
its default. Money is ``Decimal``, ``str``, ``int`` or ``float`` (through its
shortest repr) and goes on the wire as a plain decimal string; times are aware
datetimes or epoch milliseconds. On USDⓈ-M quantities are in the base asset, on COIN-M
in contracts; prices are in the quote asset per unit (USDⓈ-M: USDT/USDC, COIN-M: USD).

Since the 2026 move of conditional orders to the algo service (§10.2), USDⓈ-M
``order.place`` takes only ``LIMIT`` and ``MARKET``: stop, take-profit and trailing-stop
orders go through :meth:`FuturesMethods.submit_new_futures_algo_order`. COIN-M
``order.place`` still takes them (with ``stop_price``, ``working_type`` ...).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from exwire.binance._caller import Caller
from exwire.binance._docs import raises
from exwire.binance._validation import (
    check_algo_order,
    check_futures_order,
    futures_market,
    one_or_list,
    require_one_of,
    usdm_only,
)
from exwire.binance.enums import (
    AlgoType,
    FuturesMarket,
    FuturesOrderResponseType,
    FuturesOrderType,
    FuturesTimeInForce,
    OrderSide,
    PositionSide,
    PriceMatch,
    SelfTradePreventionMode,
    WorkingType,
)
from exwire.binance.futures_models import (
    AlgoOrder,
    FuturesBookTicker,
    FuturesOrder,
    FuturesOrderBook,
    FuturesPriceTicker,
)
from exwire.errors import ConfigurationError
from exwire.models import Side as SharedSide

__all__ = ["FuturesMethods"]

Money = Decimal | str | int | float
Side = OrderSide | SharedSide | str  # the enum, exwire.Side, or the wire value
Time = datetime | int  # an aware datetime, or epoch milliseconds

_DEPTH_LIMITS = (5, 10, 20, 50, 100, 500, 1000)
_USDM = FuturesMarket.USDM


def _one_symbol(symbol: Any) -> None:
    if symbol is not None and not isinstance(symbol, str):
        raise ConfigurationError(f"pass one symbol or None for all (the futures API takes no symbol lists), "
                                 f"got {symbol!r}")


class FuturesMethods(Caller):
    """Mixin: needs ``_call`` from the client."""

    # -- market data (USDⓈ-M only, §10.3) ------------------------------------------------------------

    @raises("futures_read")
    def get_futures_order_book(self, symbol: str, limit: int | None = None, *, market: FuturesMarket = _USDM,
                               timeout: float | None = None) -> FuturesOrderBook:
        """Return a USDⓈ-M order book snapshot (``depth``; weight 2 up to 50 levels, 20 at 1000).

        Args:
            symbol: e.g. ``"BTCUSDT"``.
            limit: levels per side: 5, 10, 20, 50, 100, 500 or 1000; ``None``: 500.
            market: must be ``USDM`` (the COIN-M WS API has no ``depth``).
        """
        usdm_only(market, "get_futures_order_book")
        if limit is not None and limit not in _DEPTH_LIMITS:
            raise ConfigurationError(f"limit must be one of {_DEPTH_LIMITS}, got {limit!r}")
        return self._call("depth", FuturesOrderBook, timeout=timeout, market=_USDM, symbol=symbol, limit=limit)

    @raises("futures_read")
    def get_futures_symbol_price_ticker(self, symbol: str | None = None, *, market: FuturesMarket = _USDM,
                                        timeout: float | None = None) -> FuturesPriceTicker | list[FuturesPriceTicker]:
        """Return the latest price of one USDⓈ-M contract or, with ``None``, of all (``ticker.price``,
        weight 1 or 2).

        Returns:
            One :class:`FuturesPriceTicker` for a symbol, a list for ``None``.
        """
        usdm_only(market, "get_futures_symbol_price_ticker")
        _one_symbol(symbol)
        return self._call("ticker.price", one_or_list(FuturesPriceTicker, symbol is not None), timeout=timeout,
                          market=_USDM, symbol=symbol, symbol_optional=True)

    @raises("futures_read")
    def get_futures_symbol_order_book_ticker(
        self, symbol: str | None = None, *, market: FuturesMarket = _USDM, timeout: float | None = None,
    ) -> FuturesBookTicker | list[FuturesBookTicker]:
        """Return the best bid and ask of one USDⓈ-M contract or, with ``None``, of all (``ticker.book``,
        weight 2 or 5).

        Returns:
            One :class:`FuturesBookTicker` for a symbol, a list for ``None``.
        """
        usdm_only(market, "get_futures_symbol_order_book_ticker")
        _one_symbol(symbol)
        return self._call("ticker.book", one_or_list(FuturesBookTicker, symbol is not None), timeout=timeout,
                          market=_USDM, symbol=symbol, symbol_optional=True)

    # -- orders (both markets, §10.3) ------------------------------------------------------------------

    @raises("futures_trade")
    def submit_new_futures_order(
        self, market: FuturesMarket, symbol: str, side: Side, order_type: FuturesOrderType | str, *,
        position_side: PositionSide | str | None = None, time_in_force: FuturesTimeInForce | str | None = None,
        quantity: Money | None = None, price: Money | None = None, reduce_only: bool | None = None,
        new_client_order_id: str | None = None, response_type: FuturesOrderResponseType | str | None = None,
        price_match: PriceMatch | str | None = None,
        self_trade_prevention_mode: SelfTradePreventionMode | str | None = None, good_till_date: Time | None = None,
        stop_price: Money | None = None, close_position: bool | None = None, activation_price: Money | None = None,
        callback_rate: Money | None = None, working_type: WorkingType | str | None = None,
        price_protect: bool | None = None, recv_window: float | None = None, timeout: float | None = None,
    ) -> FuturesOrder:
        """Place a futures order (``order.place``, TRADE; counts on the order limits).

        Args:
            market: ``FuturesMarket.USDM`` or ``FuturesMarket.COINM``.
            symbol: e.g. ``"BTCUSDT"`` (USDⓈ-M) or ``"BTCUSD_PERP"`` (COIN-M).
            side: buy or sell (:class:`~exwire.binance.enums.OrderSide`, ``exwire.Side`` or text).
            order_type: ``LIMIT`` needs ``time_in_force``, ``quantity`` and ``price`` (or
                ``price_match``); ``MARKET`` needs ``quantity``. COIN-M only: ``STOP`` and
                ``TAKE_PROFIT`` (``quantity``, ``price``, ``stop_price``), ``STOP_MARKET`` and
                ``TAKE_PROFIT_MARKET`` (``stop_price`` and ``quantity`` or ``close_position``),
                ``TRAILING_STOP_MARKET`` (``quantity``, ``callback_rate``).
            position_side: ``BOTH`` (one-way mode, the default) or ``LONG``/``SHORT`` (required
                in hedge mode).
            time_in_force: ``GTC``, ``IOC``, ``FOK``, ``GTX`` (post-only), ``GTD`` (needs
                ``good_till_date``, more than 600 s ahead) or ``RPI``.
            quantity: base asset (USDⓈ-M) or contracts (COIN-M).
            price: limit price, quote asset per unit; ``None``: not sent.
            reduce_only: only reduce the position (not in hedge mode); ``None``: not sent.
            new_client_order_id: your id, ``^[.A-Z:/a-z0-9_-]{1,36}$``; ``None``: Binance makes one.
            response_type: ``ACK`` (default: the order as accepted) or ``RESULT`` (after matching).
            price_match: price a LIMIT order from the book (not with ``price``); ``None``: not sent.
            self_trade_prevention_mode: ``NONE``, ``EXPIRE_TAKER``, ``EXPIRE_MAKER``, ``EXPIRE_BOTH``.
            good_till_date: expiry of a ``GTD`` order (aware datetime or epoch ms); ``None``: none.
            stop_price, close_position, activation_price, callback_rate, working_type, price_protect:
                COIN-M conditional orders only (``callback_rate`` in percent, 0.1–10;
                ``working_type`` ``MARK_PRICE`` or ``CONTRACT_PRICE`` triggers).

        Returns:
            The order report (see ``response_type``).
        """
        market = futures_market(market)
        check_futures_order(market, order_type, price=price, quantity=quantity, time_in_force=time_in_force,
                            price_match=price_match, good_till_date=good_till_date, position_side=position_side,
                            reduce_only=reduce_only, stop_price=stop_price, close_position=close_position,
                            activation_price=activation_price, callback_rate=callback_rate,
                            working_type=working_type, price_protect=price_protect)
        return self._call(
            "order.place", FuturesOrder, timeout=timeout, signed=True, recv_window=recv_window, market=market,
            symbol=symbol, side=side, order_type=order_type, position_side=position_side,
            time_in_force=time_in_force, quantity=quantity, price=price, reduce_only=reduce_only,
            new_client_order_id=new_client_order_id, response_type=response_type, price_match=price_match,
            self_trade_prevention_mode=self_trade_prevention_mode, good_till_date=good_till_date,
            stop_price=stop_price, close_position=close_position, activation_price=activation_price,
            callback_rate=callback_rate, working_type=working_type, price_protect=price_protect,
        )

    @raises("futures_trade")
    def modify_futures_order(
        self, market: FuturesMarket, symbol: str, side: Side, quantity: Money, price: Money | None = None, *,
        order_id: int | None = None, original_client_order_id: str | None = None,
        price_match: PriceMatch | str | None = None, modify_id: int | None = None, recv_window: float | None = None,
        timeout: float | None = None,
    ) -> FuturesOrder:
        """Change the price and quantity of an open LIMIT order (``order.modify``, TRADE).

        The order loses its queue priority; at most 10 000 modifications per order; Binance
        may cancel the order in edge cases (e.g. a post-only order that would now take).

        Args:
            side: the order's side (must match it).
            quantity: the new total quantity (above what has filled).
            price: the new price, quote asset per unit, or ``None`` with ``price_match``.
            order_id, original_client_order_id: which order (at least one).
            modify_id: your id of this modification (USDⓈ-M), echoed as the ``modify_id`` of
                the ``AMENDMENT`` order update; ``None``: not sent.
        """
        market = futures_market(market)
        if modify_id is not None and market is not _USDM:
            raise ConfigurationError("modify_id is a USDⓈ-M order.modify parameter")
        require_one_of(order_id=order_id, original_client_order_id=original_client_order_id)
        check_futures_order(market, "LIMIT", price=price, quantity=quantity, time_in_force="GTC",
                            price_match=price_match)
        return self._call("order.modify", FuturesOrder, timeout=timeout, signed=True, recv_window=recv_window,
                          market=market, symbol=symbol, side=side, quantity=quantity, price=price, order_id=order_id,
                          original_client_order_id=original_client_order_id, price_match=price_match,
                          modify_id=modify_id)

    @raises("futures_trade")
    def cancel_futures_order(
        self, market: FuturesMarket, symbol: str, *, order_id: int | None = None,
        original_client_order_id: str | None = None, recv_window: float | None = None, timeout: float | None = None,
    ) -> FuturesOrder:
        """Cancel an open futures order (``order.cancel``, TRADE, weight 1).

        Args:
            order_id, original_client_order_id: which order (at least one).

        Raises:
            OrderNotFound: the order is unknown or no longer open (-2011 "Unknown order sent.").
        """
        market = futures_market(market)
        require_one_of(order_id=order_id, original_client_order_id=original_client_order_id)
        return self._call("order.cancel", FuturesOrder, timeout=timeout, signed=True, recv_window=recv_window,
                          market=market, symbol=symbol, order_id=order_id,
                          original_client_order_id=original_client_order_id)

    @raises("futures_account")
    def get_futures_order_status(
        self, market: FuturesMarket, symbol: str, *, order_id: int | None = None,
        original_client_order_id: str | None = None, recv_window: float | None = None, timeout: float | None = None,
    ) -> FuturesOrder:
        """Return a futures order's current state (``order.status``, USER_DATA, weight 1).

        Args:
            order_id, original_client_order_id: which order (at least one).

        Raises:
            OrderNotFound: no such order (-2013).
        """
        market = futures_market(market)
        require_one_of(order_id=order_id, original_client_order_id=original_client_order_id)
        return self._call("order.status", FuturesOrder, timeout=timeout, signed=True, recv_window=recv_window,
                          market=market, symbol=symbol, order_id=order_id,
                          original_client_order_id=original_client_order_id)

    # -- algo orders (USDⓈ-M only, §10.2, §10.3) ----------------------------------------------------------

    @raises("futures_trade")
    def submit_new_futures_algo_order(
        self, symbol: str, side: Side, order_type: FuturesOrderType | str, *,
        algo_type: AlgoType | str = AlgoType.CONDITIONAL, position_side: PositionSide | str | None = None,
        time_in_force: FuturesTimeInForce | str | None = None, quantity: Money | None = None, price: Money | None = None,
        trigger_price: Money | None = None, working_type: WorkingType | str | None = None,
        price_match: PriceMatch | str | None = None, close_position: bool | None = None,
        price_protect: bool | None = None, reduce_only: bool | None = None, activation_price: Money | None = None,
        callback_rate: Money | None = None, client_algo_id: str | None = None,
        self_trade_prevention_mode: SelfTradePreventionMode | str | None = None, good_till_date: Time | None = None,
        response_type: FuturesOrderResponseType | str | None = None,
        market: FuturesMarket = _USDM, recv_window: float | None = None, timeout: float | None = None,
    ) -> AlgoOrder:
        """Place a USDⓈ-M conditional order through the algo service (``algoOrder.place``, TRADE).

        Stop, take-profit and trailing-stop orders moved here from ``order.place`` in 2026
        (§10.2). The order waits, untouched by the book, until ``trigger_price`` is reached
        (by the mark or the last price, per ``working_type``); then the algo service places
        the real order (``LIMIT`` at ``price`` for ``STOP``/``TAKE_PROFIT``, ``MARKET`` for the
        ``*_MARKET`` types).

        Args:
            order_type: ``STOP``/``TAKE_PROFIT`` (``quantity``, ``price``, ``trigger_price``),
                ``STOP_MARKET``/``TAKE_PROFIT_MARKET`` (``trigger_price`` and ``quantity`` or
                ``close_position``), ``TRAILING_STOP_MARKET`` (``quantity``, ``callback_rate``,
                optionally ``activation_price``).
            algo_type: ``CONDITIONAL`` (the only type the WS API documents).
            trigger_price: the trigger price, quote asset per unit.
            working_type: ``CONTRACT_PRICE`` or ``MARK_PRICE``; ``None``: ``CONTRACT_PRICE``.
            close_position: close the whole position when triggered (no ``quantity``).
            price_protect: refuse to trigger when mark and last price diverge too much.
            callback_rate: trailing distance in percent (0.1–10).
            client_algo_id: your id for it; ``None``: Binance makes one.
            response_type: ``ACK`` or ``RESULT`` (``newOrderRespType``); ``None``: Binance's default.
            market: must be ``USDM`` (COIN-M keeps conditional orders on
                :meth:`submit_new_futures_order`).
            Other arguments: as :meth:`submit_new_futures_order`.

        Returns:
            The algo order (status ``NEW``).

        Raises:
            InvalidRequest: the order would trigger immediately (-2021).
        """
        usdm_only(market, "submit_new_futures_algo_order")
        check_algo_order(order_type, price=price, quantity=quantity, trigger_price=trigger_price,
                         time_in_force=time_in_force, price_match=price_match, good_till_date=good_till_date,
                         close_position=close_position, reduce_only=reduce_only, position_side=position_side,
                         activation_price=activation_price, callback_rate=callback_rate)
        return self._call(
            "algoOrder.place", AlgoOrder, timeout=timeout, signed=True, recv_window=recv_window, market=_USDM,
            algo_type=algo_type, symbol=symbol, side=side, order_type=order_type, position_side=position_side,
            time_in_force=time_in_force, quantity=quantity, price=price, trigger_price=trigger_price,
            working_type=working_type, price_match=price_match, close_position=close_position,
            price_protect=price_protect, reduce_only=reduce_only, activate_price=activation_price,
            callback_rate=callback_rate, client_algo_id=client_algo_id,
            self_trade_prevention_mode=self_trade_prevention_mode, good_till_date=good_till_date,
            response_type=response_type,
        )

    @raises("futures_trade")
    def cancel_futures_algo_order(
        self, *, algo_id: int | None = None, client_algo_id: str | None = None, market: FuturesMarket = _USDM,
        recv_window: float | None = None, timeout: float | None = None,
    ) -> AlgoOrder:
        """Cancel a USDⓈ-M algo order that has not triggered (``algoOrder.cancel``, TRADE, weight 1).

        Args:
            algo_id, client_algo_id: which algo order (at least one).
            market: must be ``USDM``.

        Returns:
            The algo order (status ``CANCELED``).

        Raises:
            OrderNotFound: unknown, or already triggered, cancelled or finished
                (-2011 "Unknown order sent.", -2013).
        """
        usdm_only(market, "cancel_futures_algo_order")
        require_one_of(algo_id=algo_id, client_algo_id=client_algo_id)
        return self._call("algoOrder.cancel", AlgoOrder, timeout=timeout, signed=True, recv_window=recv_window,
                          market=_USDM, algo_id=algo_id, client_algo_id=client_algo_id)
