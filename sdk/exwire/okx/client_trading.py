"""The account streams and order operations of :class:`exwire.okx.OkxClient` (private to the package)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from exwire._core import validate
from exwire._core.backoff import Deadline
from exwire.errors import ConfigurationError, DecodeError
from exwire.models import DataEvent, Side
from exwire.okx import arguments, converter
from exwire.okx.client_base import OkxBase
from exwire.okx.enums import (
    InstrumentType,
    OrderType,
    PositionSide,
    QuantityAsset,
    QuickMarginType,
    SelfTradePreventionMode,
    TradeMode,
)
from exwire.okx.models import (
    AccountBalance,
    AlgoOrder,
    AmendRequest,
    BalanceAndPosition,
    CancelRequest,
    DepositUpdate,
    Greeks,
    Order,
    OrderRequest,
    OrderResult,
    Position,
    UserTrade,
    WithdrawalUpdate,
)
from exwire.okx.protocol import OperationReply, channel_arg
from exwire.okx.symbols import normalize_symbol
from exwire.subscription import Subscription

__all__: list[str] = []

Money = Decimal | str | int | float


class OkxTrading(OkxBase):
    """Account streams and order operations (see :class:`exwire.okx.OkxClient`)."""

    # -- account streams ------------------------------------------------------------------

    def login(self, *, timeout: float | None = None) -> None:
        """Open the private connection and log in (``op: login``); a no-op when logged in.

        Private calls log in by themselves; this lets a program fail early on bad keys.

        Args:
            timeout: seconds to wait for the connection and OKX's answer (``None``:
                ``request_timeout``).

        Raises:
            ConfigurationError: no credentials (key, secret, passphrase); nothing is sent.
            InvalidState: the client is closed.
            LogOnRefused: OKX refused the key, signature, timestamp or passphrase (60004-60032).
            ConnectError: the connection could not be opened.
            ConnectionClosed, RequestTimeout: no answer; the outcome is unknown.
        """
        self._credentials_for("login")
        deadline = Deadline(self._timeout(validate.positive_timeout(timeout)))
        self._check_open()
        self._ensure_login(self._private, deadline)

    def subscribe_to_account_updates(
        self, asset: str | None = None, regular_updates: bool = False,
        callback: Callable[[DataEvent[AccountBalance]], None] | None = None, *, timeout: float | None = None,
    ) -> Subscription[AccountBalance]:
        """Stream the trading account's balances (``account``, private).

        ``event.data`` is an :class:`~exwire.okx.models.AccountBalance` (account-wide USD
        figures and one :class:`~exwire.okx.models.AssetBalance` per asset; ``Decimal``
        amounts in each asset); ``event.symbol`` is ``None``.

        Args:
            asset: one asset (``"BTC"``); ``None`` for all.
            regular_updates: also receive OKX's periodic pushes; ``False`` (default): only
                on account events (``extraParams`` ``updateInterval`` 0).
            callback, timeout: as :meth:`~exwire.okx.OkxClient.subscribe_to_ticker_updates`.

        Raises:
            ConfigurationError: no credentials or a bad argument (nothing is sent).
            LogOnRefused: OKX refused the login.
            InvalidState, ConnectError, InvalidRequest, RateLimited, ConnectionClosed,
                RequestTimeout: as :meth:`~exwire.okx.OkxClient.subscribe_to_ticker_updates`.
        """
        code = None if asset is None else arguments.asset(asset)
        if not isinstance(regular_updates, bool):
            raise ConfigurationError("regular_updates must be True or False")
        arg = channel_arg("account", asset=code, update_interval=None if regular_updates else "0")
        return self._private_stream([arg], "account" + (f":{code}" if code else ""), callback, timeout)

    def subscribe_to_balance_and_position_updates(
        self, callback: Callable[[DataEvent[BalanceAndPosition]], None] | None = None, *, timeout: float | None = None,
    ) -> Subscription[BalanceAndPosition]:
        """Stream balance and position changes together (``balance_and_position``, private).

        ``event.data`` is a :class:`~exwire.okx.models.BalanceAndPosition`; the first push
        is the snapshot (``update_type`` ``SNAPSHOT``). Arguments and errors as
        :meth:`subscribe_to_account_updates`.
        """
        return self._private_stream([channel_arg("balance_and_position")], "balance_and_position", callback, timeout)

    def subscribe_to_greeks_updates(
        self, asset: str | None = None, callback: Callable[[DataEvent[Greeks]], None] | None = None, *,
        timeout: float | None = None,
    ) -> Subscription[Greeks]:
        """Stream the account's greeks per asset (``account-greeks``, private); ``asset``
        ``None`` for all. ``event.data`` is a :class:`~exwire.okx.models.Greeks`. Arguments
        and errors as :meth:`subscribe_to_account_updates`."""
        code = None if asset is None else arguments.asset(asset)
        return self._private_stream([channel_arg("account-greeks", asset=code)], "account-greeks", callback, timeout)

    def subscribe_to_deposit_updates(
        self, callback: Callable[[DataEvent[DepositUpdate]], None] | None = None, *, timeout: float | None = None,
    ) -> Subscription[DepositUpdate]:
        """Stream deposit state changes (``deposit-info``, on the business connection, logged
        in). ``event.data`` is a :class:`~exwire.okx.models.DepositUpdate`. Arguments and
        errors as :meth:`subscribe_to_account_updates`."""
        return self._stream(self._business, [channel_arg("deposit-info")], "deposit-info", callback, timeout,
                            login=True)

    def subscribe_to_withdrawal_updates(
        self, callback: Callable[[DataEvent[WithdrawalUpdate]], None] | None = None, *, timeout: float | None = None,
    ) -> Subscription[WithdrawalUpdate]:
        """Stream withdrawal state changes (``withdrawal-info``, business, logged in).
        ``event.data`` is a :class:`~exwire.okx.models.WithdrawalUpdate`. Arguments and
        errors as :meth:`subscribe_to_account_updates`."""
        return self._stream(self._business, [channel_arg("withdrawal-info")], "withdrawal-info", callback, timeout,
                            login=True)

    def subscribe_to_order_updates(
        self, instrument_type: InstrumentType | str = "ANY", symbol: str | None = None,
        instrument_family: str | None = None, callback: Callable[[DataEvent[Order]], None] | None = None, *,
        timeout: float | None = None,
    ) -> Subscription[Order]:
        """Stream the account's order events (``orders``, private): one event per order.

        ``event.data`` is an :class:`~exwire.okx.models.Order` (``Decimal`` prices and
        quantities, aware UTC times); ``event.symbol`` its instrument. OKX sends nothing on
        subscribing.

        Args:
            instrument_type: SPOT, MARGIN, SWAP, FUTURES, OPTION or ANY (default).
            symbol: one instrument; ``None`` for all of the type.
            instrument_family: e.g. ``"BTC-USD"`` (derivatives); ``None`` for all.
            callback, timeout: as :meth:`~exwire.okx.OkxClient.subscribe_to_ticker_updates`.

        Raises:
            As :meth:`subscribe_to_account_updates`.
        """
        arg = self._typed_arg("orders", instrument_type, symbol, instrument_family, allow_any=True)
        return self._private_stream([arg], _topic(arg), callback, timeout)

    def subscribe_to_user_trade_updates(
        self, symbol: str | None = None, callback: Callable[[DataEvent[UserTrade]], None] | None = None, *,
        timeout: float | None = None,
    ) -> Subscription[UserTrade]:
        """Stream the account's own fills (``fills``, private; OKX offers it to VIP5+).

        ``event.data`` is a :class:`~exwire.okx.models.UserTrade` (no fee: the channel has
        none). ``symbol``: one instrument, ``None`` for all. Arguments and errors as
        :meth:`subscribe_to_account_updates`.
        """
        inst = None if symbol is None else normalize_symbol(symbol)
        arg = channel_arg("fills", symbol=inst)
        return self._private_stream([arg], _topic(arg), callback, timeout)

    def subscribe_to_position_updates(
        self, instrument_type: InstrumentType | str = "ANY", symbol: str | None = None,
        instrument_family: str | None = None, regular_updates: bool = False,
        callback: Callable[[DataEvent[tuple[Position, ...]]], None] | None = None, *, timeout: float | None = None,
    ) -> Subscription[tuple[Position, ...]]:
        """Stream positions (``positions``, private): ``event.data`` is a tuple of
        :class:`~exwire.okx.models.Position` per push (the first one the snapshot).
        ``regular_updates``: also OKX's periodic pushes. Other arguments and errors as
        :meth:`subscribe_to_order_updates`."""
        if not isinstance(regular_updates, bool):
            raise ConfigurationError("regular_updates must be True or False")
        arg = self._typed_arg("positions", instrument_type, symbol, instrument_family, allow_any=True,
                              update_interval=None if regular_updates else "0")
        return self._private_stream([arg], _topic(arg), callback, timeout)

    def subscribe_to_liquidation_warning_updates(
        self, instrument_type: InstrumentType | str, instrument_family: str | None = None,
        callback: Callable[[DataEvent[Position]], None] | None = None, *, timeout: float | None = None,
    ) -> Subscription[Position]:
        """Stream positions nearing liquidation (``liquidation-warning``, private); one
        :class:`~exwire.okx.models.Position` per event. Arguments and errors as
        :meth:`subscribe_to_order_updates`."""
        arg = self._typed_arg("liquidation-warning", instrument_type, None, instrument_family, allow_any=True)
        return self._private_stream([arg], _topic(arg), callback, timeout)

    def subscribe_to_algo_order_updates(
        self, instrument_type: InstrumentType | str, symbol: str | None = None, instrument_family: str | None = None,
        callback: Callable[[DataEvent[AlgoOrder]], None] | None = None, *, timeout: float | None = None,
    ) -> Subscription[AlgoOrder]:
        """Stream algo order events (``orders-algo``, business, logged in); one
        :class:`~exwire.okx.models.AlgoOrder` per event. Arguments and errors as
        :meth:`subscribe_to_order_updates`."""
        arg = self._typed_arg("orders-algo", instrument_type, symbol, instrument_family, allow_any=True)
        return self._stream(self._business, [arg], _topic(arg), callback, timeout, login=True)

    def subscribe_to_advance_algo_order_updates(
        self, instrument_type: InstrumentType | str, symbol: str | None = None, algo_id: str | None = None,
        callback: Callable[[DataEvent[AlgoOrder]], None] | None = None, *, timeout: float | None = None,
    ) -> Subscription[AlgoOrder]:
        """Stream iceberg/TWAP algo orders (``algo-advance``, business, logged in); ``algo_id``
        narrows it to one. Arguments and errors as :meth:`subscribe_to_order_updates`."""
        arg = self._typed_arg("algo-advance", instrument_type, symbol, None, allow_any=True)
        if algo_id is not None:
            arg["algoId"] = arguments.identifier(algo_id, "algo_id")
        return self._stream(self._business, [arg], _topic(arg), callback, timeout, login=True)

    # -- order operations ------------------------------------------------------------------

    def place_order(
        self, symbol: str, side: Side | str, order_type: OrderType | str, trade_mode: TradeMode | str,
        quantity: Money, price: Money | None = None, *, position_side: PositionSide | str | None = None,
        quick_margin_type: QuickMarginType | str | None = None, self_trade_prevention_id: int | None = None,
        self_trade_prevention_mode: SelfTradePreventionMode | str | None = None, asset: str | None = None,
        quantity_asset: QuantityAsset | str | None = None, client_order_id: str | None = None,
        reduce_only: bool | None = None, trade_quote_asset: str | None = None,
        max_slippage_percentage: Money | None = None, symbol_code: int | None = None,
        expires_at: datetime | None = None, timeout: float | None = None,
    ) -> OrderResult:
        """Place one order (``op: order`` on the private connection).

        Every argument is checked before any I/O; then the instrument's ``instIdCode`` is
        resolved (the public ``instruments`` channel, once per instrument type;
        ``symbol_code`` skips it) and the order is sent. Never replayed after a drop.

        Args:
            symbol: the instrument, e.g. ``"BTC-USDT"``.
            side: ``"buy"``/``"sell"`` or :class:`exwire.Side`.
            order_type: market, limit, post_only, fok, ioc, optimal_limit_ioc, mmp,
                mmp_and_post_only (or :class:`~exwire.okx.OrderType`).
            trade_mode: cash, cross, isolated, spot_isolated (or :class:`~exwire.okx.TradeMode`).
            quantity: in base asset (SPOT) or contracts; positive ``Decimal``/``str``/``int``/``float``.
            price: the limit price in the quote asset; required by limit-type orders; ``None`` for market.
            position_side: ``posSide`` (long, short, net); ``None``: not sent (as below).
            quick_margin_type: ``quickMgnType``.
            self_trade_prevention_id: ``stpId``.
            self_trade_prevention_mode: ``stpMode``.
            asset: the margin asset (``ccy``).
            quantity_asset: the unit of a SPOT market order's quantity (``tgtCcy``).
            client_order_id: ``clOrdId``, 1-32 alphanumerics.
            reduce_only: ``reduceOnly``.
            trade_quote_asset: ``tradeQuoteCcy``.
            max_slippage_percentage: ``slippagePct``, the market order's slippage bound in percent.
            symbol_code: the ``instIdCode``; ``None``: looked up.
            expires_at: an aware datetime after which OKX must not process the request
                (``expTime``); ``None``: no deadline.
            timeout: seconds for the whole call, look-up and login included (``None``: ``request_timeout``).

        Returns:
            The :class:`~exwire.okx.models.OrderResult` (``order_id`` set).

        Raises:
            ConfigurationError: no credentials or a bad argument (nothing is sent, no connection opened).
            InsufficientFunds, InvalidRequest, RateLimited, ExchangeUnavailable, ExchangeError:
                OKX refused the order (its ``sCode``) or the request.
            LogOnRefused: OKX refused the login.
            InvalidState: the client is closed.
            ConnectError: a connection could not be opened.
            ConnectionClosed, RequestTimeout: no answer; the outcome is unknown (the order
                may have reached OKX: watch the orders channel, never resend blindly).
        """
        order = arguments.place_order(
            symbol, side, order_type, trade_mode, quantity, price, position_side=position_side,
            quick_margin_type=quick_margin_type, self_trade_prevention_id=self_trade_prevention_id,
            self_trade_prevention_mode=self_trade_prevention_mode, asset=asset, quantity_asset=quantity_asset,
            client_order_id=client_order_id, reduce_only=reduce_only, trade_quote_asset=trade_quote_asset,
            max_slippage_percentage=max_slippage_percentage, symbol_code=symbol_code)
        return self._single("order", order, converter.order_args, arguments.expires_ms(expires_at), timeout)

    def place_multiple_orders(
        self, orders: Iterable[OrderRequest | Mapping[str, Any]], *, expires_at: datetime | None = None,
        timeout: float | None = None,
    ) -> list[OrderResult]:
        """Place 1-20 orders in one request (``op: batch-orders``).

        Args:
            orders: :class:`~exwire.okx.OrderRequest` objects or mappings with
                :meth:`place_order`'s keyword names.
            expires_at, timeout: as :meth:`place_order`.

        Returns:
            One :class:`~exwire.okx.models.OrderResult` per order, in order; a refused
            order has ``error`` set (nothing is raised for it).

        Raises:
            ConfigurationError: 0 or more than 20 orders, or a bad one (nothing is sent).
            InvalidRequest, RateLimited, ExchangeUnavailable, ExchangeError: OKX refused the
                whole request. Other errors as :meth:`place_order` (no answer: outcome unknown).
        """
        checked = []
        for index, fields in enumerate(arguments.batch(orders, "place")):
            try:
                checked.append(arguments.place_order(**fields))
            except TypeError as exc:
                raise ConfigurationError(f"orders[{index}]: {exc}") from None
        return self._batch("batch-orders", checked, converter.order_args, arguments.expires_ms(expires_at), timeout)

    def cancel_order(
        self, symbol: str, order_id: str | None = None, client_order_id: str | None = None, *,
        symbol_code: int | None = None, timeout: float | None = None,
    ) -> OrderResult:
        """Cancel one order (``op: cancel-order``) by ``order_id`` or ``client_order_id``
        (``order_id`` wins when both are given). OKX's acceptance means the cancel is under
        way; the orders channel tells the outcome.

        Raises:
            ConfigurationError: neither id, or a bad argument (nothing is sent).
            OrderNotFound: the order is filled, canceled or unknown (51400 ...).
            ExwireError: the other errors :meth:`place_order` raises (no answer: the outcome
                is unknown).
        """
        order = arguments.cancel_order(symbol, order_id, client_order_id, symbol_code=symbol_code)
        return self._single("cancel-order", order, converter.cancel_args, None, timeout)

    def cancel_multiple_orders(
        self, orders: Iterable[CancelRequest | Mapping[str, Any]], *, timeout: float | None = None,
    ) -> list[OrderResult]:
        """Cancel 1-20 orders (``op: batch-cancel-orders``); items are
        :class:`~exwire.okx.CancelRequest` or mappings (``symbol``, ``order_id`` /
        ``client_order_id``, ``symbol_code``). Returns and raises as :meth:`place_multiple_orders`."""
        checked = []
        for index, fields in enumerate(arguments.batch(orders, "cancel")):
            try:
                checked.append(arguments.cancel_order(**fields))
            except TypeError as exc:
                raise ConfigurationError(f"orders[{index}]: {exc}") from None
        return self._batch("batch-cancel-orders", checked, converter.cancel_args, None, timeout)

    def amend_order(
        self, symbol: str, order_id: str | None = None, client_order_id: str | None = None,
        request_id: str | None = None, new_quantity: Money | None = None, new_price: Money | None = None, *,
        cancel_on_fail: bool | None = None, symbol_code: int | None = None, expires_at: datetime | None = None,
        timeout: float | None = None,
    ) -> OrderResult:
        """Change an order's quantity and/or price (``op: amend-order``).

        Args:
            order_id, client_order_id: which order (one required).
            request_id: your id of this amend (1-32 alphanumerics), echoed in the orders channel.
            new_quantity, new_price: the new values (at least one), positive money.
            cancel_on_fail: cancel the order when the amend fails; ``None``: OKX's default (no).
            symbol_code, expires_at, timeout: as :meth:`place_order`.

        Raises:
            ConfigurationError: no id or no new value, or a bad argument (nothing is sent).
            OrderNotFound: the order is filled, canceled or unknown (51503 ...).
            ExwireError: the other errors :meth:`place_order` raises (no answer: the outcome
                is unknown).
        """
        order = arguments.amend_order(symbol, order_id, client_order_id, request_id, new_quantity, new_price,
                                      cancel_on_fail=cancel_on_fail, symbol_code=symbol_code)
        return self._single("amend-order", order, converter.amend_args, arguments.expires_ms(expires_at), timeout)

    def amend_multiple_orders(
        self, orders: Iterable[AmendRequest | Mapping[str, Any]], *, expires_at: datetime | None = None,
        timeout: float | None = None,
    ) -> list[OrderResult]:
        """Amend 1-20 orders (``op: batch-amend-orders``); items are
        :class:`~exwire.okx.AmendRequest` or mappings with :meth:`amend_order`'s names.
        Returns and raises as :meth:`place_multiple_orders`."""
        checked = []
        for index, fields in enumerate(arguments.batch(orders, "amend")):
            try:
                checked.append(arguments.amend_order(**fields))
            except TypeError as exc:
                raise ConfigurationError(f"orders[{index}]: {exc}") from None
        return self._batch("batch-amend-orders", checked, converter.amend_args, arguments.expires_ms(expires_at),
                           timeout)

    def mass_cancel(
        self, instrument_type: InstrumentType | str, instrument_family: str, *, lock_interval: int | None = None,
        timeout: float | None = None,
    ) -> bool:
        """Cancel every MMP order of an instrument family (``op: mass-cancel``, business, logged in).

        Args:
            instrument_type: OPTION (the only type OKX accepts).
            instrument_family: e.g. ``"BTC-USD"``.
            lock_interval: milliseconds during which new MMP orders are refused (0-10000);
                ``None``: not sent.
            timeout: as :meth:`place_order`.

        Returns:
            OKX's ``result`` (``True``: accepted).

        Raises:
            As :meth:`place_order`.
        """
        kind = arguments.instrument_type(instrument_type)
        family = arguments.instrument_family(instrument_family)
        args: dict[str, Any] = {"instType": kind.value, "instFamily": family}
        if lock_interval is not None:
            args["lockInterval"] = str(validate.integer(lock_interval, "lock_interval", minimum=0, maximum=10_000))
        timeout = validate.positive_timeout(timeout)
        self._credentials_for("mass_cancel")
        self._check_open()
        deadline = Deadline(self._timeout(timeout))
        self._ensure_login(self._business, deadline)
        reply = self._send_operation(self._business, "mass-cancel", [args], None, deadline)
        try:
            return bool(reply.data[0]["result"])
        except (IndexError, KeyError, TypeError) as exc:
            raise DecodeError(f"mass-cancel reply without a result: {reply.data!r}"[:300]) from exc

    # -- helpers ----------------------------------------------------------------------------

    def _private_stream(self, args: list[dict[str, str]], topic: str, callback: Any,
                        timeout: float | None) -> Subscription[Any]:
        self._credentials_for(f"the {topic} stream")
        return self._stream(self._private, args, topic, callback, timeout)

    def _typed_arg(self, channel: str, instrument_type: Any, symbol: str | None, instrument_family: str | None, *,
                   allow_any: bool, update_interval: str | None = None) -> dict[str, str]:
        kind = arguments.instrument_type(instrument_type, allow_any=allow_any)
        return channel_arg(channel, instrument_type=kind.value,
                           symbol=None if symbol is None else normalize_symbol(symbol),
                           instrument_family=None if instrument_family is None
                           else arguments.instrument_family(instrument_family),
                           update_interval=update_interval)

    def _single(self, op: str, order: Any, to_wire: Callable[[Any, int], dict[str, Any]],
                expires_ms: int | None, timeout: float | None) -> OrderResult:
        (result,) = self._batch(op, [order], to_wire, expires_ms, timeout, expected=1)
        if result.error is not None:
            raise result.error
        return result

    def _batch(self, op: str, orders: list[Any], to_wire: Callable[[Any, int], dict[str, Any]],
               expires_ms: int | None, timeout: float | None, *, expected: int | None = None) -> list[OrderResult]:
        timeout = validate.positive_timeout(timeout)
        self._credentials_for(op)
        self._check_open()
        deadline = Deadline(self._timeout(timeout))
        codes = self._symbol_codes(arguments.symbols_of(orders), deadline)
        args = [to_wire(order, order.symbol_code if order.symbol_code is not None else codes[order.symbol])
                for order in orders]
        self._private.ensure_open(deadline.remaining())
        reply = self._send_operation(self._private, op, args, expires_ms, deadline)
        results = list(reply.results)
        if expected is not None and len(results) != expected:
            raise DecodeError(f"okx {op}: {len(results)} results for {expected} orders")
        return results

    def _send_operation(self, connection: Any, op: str, args: list[dict[str, Any]], expires_ms: int | None,
                        deadline: Deadline) -> OperationReply:
        request_id, frame = self._protocol_of(connection).operation(op, args, expires_ms=expires_ms)
        (reply,) = connection.request(request_id, frame, deadline.remaining())
        return cast(OperationReply, reply)


def _topic(arg: Mapping[str, str]) -> str:
    selectors = [arg[name] for name in ("instType", "instFamily", "instId", "ccy", "algoId") if name in arg]
    return ":".join([arg["channel"], *selectors])

