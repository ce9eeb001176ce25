"""Typed results of the Binance spot WebSocket API: general, market data and account.

Section numbers (§) refer to the protocol notes of
:doc:`the Binance page </exchanges/binance>`. Field names are Python's;
the wire names (``origQty``, ``cummulativeQuoteQty`` ...) live only in
:mod:`exwire.binance.converter`. Prices are in quote asset per unit of base asset,
quantities in base asset unless the name says ``quote``; every amount is a ``Decimal``
and every time an aware UTC ``datetime``. A field the server may leave out is
``None`` (or an empty tuple) when it did. Every model is an attrs ``frozen`` class,
immutable and safe to share between threads.

Order, order-list and trade results are in :mod:`exwire.binance.order_models`, the
user-data events in :mod:`exwire.binance.events`, the futures results in
:mod:`exwire.binance.futures_models`; all are re-exported here.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs

from exwire.binance.enums import (
    AccountType,
    OrderSide,
    OrderType,
    RateLimitInterval,
    RateLimitType,
    SelfTradePreventionMode,
    SymbolStatus,
)
from exwire.binance.events import (
    AccountPosition,
    BalanceUpdate,
    EventStreamTerminated,
    ExecutionReport,
    ExternalLockUpdate,
    ListStatus,
    ListStatusOrder,
    PositionBalance,
    UnknownEvent,
    UserDataEvent,
)
from exwire.binance.futures_events import (
    AccountConfigUpdate,
    AccountUpdateReason,
    AlgoOrderUpdate,
    ConditionalOrderTriggerReject,
    FuturesAccountUpdate,
    FuturesBalanceChange,
    FuturesOrderUpdate,
    FuturesPositionChange,
    FuturesUserDataEvent,
    GridUpdate,
    ListenKeyExpired,
    MarginCall,
    MarginCallPosition,
    StrategyUpdate,
    TradeLite,
)
from exwire.binance.futures_models import (
    AlgoOrder,
    FuturesAccount,
    FuturesAsset,
    FuturesBalance,
    FuturesBookTicker,
    FuturesOrder,
    FuturesOrderBook,
    FuturesPosition,
    FuturesPriceTicker,
)
from exwire.binance.order_models import (
    AccountTrade,
    Allocation,
    AmendResult,
    CancelReplaceResult,
    Fill,
    Order,
    OrderLeg,
    OrderList,
    OrderListEntry,
    PreventedMatch,
)
from exwire.models import Level

__all__ = [
    "RateLimit",
    "SymbolInfo",
    "SorInfo",
    "ExchangeInfo",
    "SessionStatus",
    "OrderBook",
    "Trade",
    "AggregateTrade",
    "Kline",
    "AveragePrice",
    "ExecutionRule",
    "SymbolExecutionRules",
    "ExecutionRules",
    "ReferencePrice",
    "ReferencePriceCalculation",
    "Ticker",
    "PriceTicker",
    "BookTicker",
    "Balance",
    "CommissionRates",
    "CommissionDiscount",
    "Account",
    "AccountCommission",
    "OrderTestResult",
    # re-exported from exwire.binance.order_models, .events, .futures_events and .futures_models
    "AccountConfigUpdate",
    "AccountUpdateReason",
    "AlgoOrderUpdate",
    "ConditionalOrderTriggerReject",
    "FuturesAccountUpdate",
    "FuturesBalanceChange",
    "FuturesOrderUpdate",
    "FuturesPositionChange",
    "FuturesUserDataEvent",
    "GridUpdate",
    "ListenKeyExpired",
    "MarginCall",
    "MarginCallPosition",
    "StrategyUpdate",
    "TradeLite",
    "Fill",
    "Order",
    "OrderListEntry",
    "OrderList",
    "CancelReplaceResult",
    "AmendResult",
    "AccountTrade",
    "PreventedMatch",
    "Allocation",
    "OrderLeg",
    "ExecutionReport",
    "AccountPosition",
    "PositionBalance",
    "BalanceUpdate",
    "ListStatus",
    "ListStatusOrder",
    "ExternalLockUpdate",
    "EventStreamTerminated",
    "UnknownEvent",
    "UserDataEvent",
    "FuturesOrderBook",
    "FuturesPriceTicker",
    "FuturesBookTicker",
    "FuturesOrder",
    "AlgoOrder",
    "FuturesPosition",
    "FuturesBalance",
    "FuturesAsset",
    "FuturesAccount",
]


@attrs.frozen(kw_only=True)
class RateLimit:
    """One rate-limit window and its current usage (§5.1).

    Attributes:
        rate_limit_type: ``REQUEST_WEIGHT`` (per IP) or ``ORDERS`` (per account, unfilled orders).
        interval: unit of the window; the window is ``interval_number`` of them, calendar aligned.
        interval_number: how many ``interval`` units the window spans.
        limit: the cap in the window (futures have sent ``-1``: do not assume positive).
        count: usage so far in the current window; ``None`` where the server gives only the cap
            (``exchangeInfo``).
    """

    rate_limit_type: RateLimitType
    interval: RateLimitInterval
    interval_number: int
    limit: int
    count: int | None = None


@attrs.frozen(kw_only=True)
class SymbolInfo:
    """Trading rules of one symbol in ``exchangeInfo`` (§8.1).

    ``filters`` are the raw filter objects (``{"filterType": "PRICE_FILTER", "tickSize": ...}``)
    because each filter type has its own fields; values stay strings as sent. The
    ``*_allowed`` flags are ``None`` when Binance does not send them: ``allow_amend``
    (``amendAllowed``: ``order.amend.keepPriority``), ``opo_allowed`` (``opoAllowed``:
    OPO/OPOCO order lists), ``peg_instructions_allowed`` (``pegInstructionsAllowed``:
    pegged orders).
    """

    symbol: str
    status: SymbolStatus
    base_asset: str
    quote_asset: str
    base_asset_precision: int | None = None
    quote_precision: int | None = None
    quote_asset_precision: int | None = None
    base_commission_precision: int | None = None
    quote_commission_precision: int | None = None
    order_types: tuple[OrderType, ...] = ()
    iceberg_allowed: bool | None = None
    oco_allowed: bool | None = None
    oto_allowed: bool | None = None
    quote_order_quantity_market_allowed: bool | None = None
    allow_trailing_stop: bool | None = None
    cancel_replace_allowed: bool | None = None
    allow_amend: bool | None = None
    opo_allowed: bool | None = None
    peg_instructions_allowed: bool | None = None
    is_spot_trading_allowed: bool | None = None
    is_margin_trading_allowed: bool | None = None
    filters: tuple[dict[str, Any], ...] = ()
    permissions: tuple[str, ...] = ()
    permission_sets: tuple[tuple[str, ...], ...] = ()
    default_self_trade_prevention_mode: SelfTradePreventionMode | None = None
    allowed_self_trade_prevention_modes: tuple[SelfTradePreventionMode, ...] = ()


@attrs.frozen(kw_only=True)
class SorInfo:
    """Symbols that smart order routing may use for one base asset (§8.1)."""

    base_asset: str
    symbols: tuple[str, ...]


@attrs.frozen(kw_only=True)
class ExchangeInfo:
    """Result of ``exchangeInfo`` (§8.1): limits, exchange filters and symbol rules."""

    timezone: str
    server_time: datetime
    rate_limits: tuple[RateLimit, ...] = ()
    exchange_filters: tuple[dict[str, Any], ...] = ()
    symbols: tuple[SymbolInfo, ...] = ()
    sors: tuple[SorInfo, ...] = ()


@attrs.frozen(kw_only=True)
class SessionStatus:
    """Result of ``session.status`` / ``session.logon`` (§7).

    Attributes:
        api_key: the logged-on API key, ``None`` when not logged on.
        authorized_since: when the session logged on, ``None`` when not logged on.
        connected_since: when the connection opened.
        return_rate_limits: whether responses carry ``rateLimits`` by default.
        server_time: the server's clock.
        user_data_stream: ``True`` with at least one user-data subscription, ``False`` with
            none, ``None`` where the feature is unavailable.
    """

    api_key: str | None = None
    authorized_since: datetime | None = None
    connected_since: datetime | None = None
    return_rate_limits: bool | None = None
    server_time: datetime | None = None
    user_data_stream: bool | None = None


@attrs.frozen(kw_only=True)
class OrderBook:
    """Result of ``depth`` (§11): bids best (highest) first, asks best (lowest) first."""

    last_update_id: int
    bids: tuple[Level, ...]
    asks: tuple[Level, ...]


@attrs.frozen(kw_only=True)
class Trade:
    """A public trade (``trades.recent``, ``trades.historical``, ``blockTrades.historical``).

    Attributes:
        trade_id: the trade's id.
        quote_quantity: price × quantity, in quote asset.
        is_buyer_maker: whether the buyer's order was resting (so the seller took).
        is_best_match: ``None`` for block trades, which omit it.
    """

    trade_id: int
    price: Decimal
    quantity: Decimal
    quote_quantity: Decimal | None
    time: datetime
    is_buyer_maker: bool
    is_best_match: bool | None = None

    @property
    def side(self) -> OrderSide:
        """The taker's side, derived from ``is_buyer_maker``: ``SELL`` when the buyer was the maker (the
        seller took), else ``BUY``."""
        return OrderSide.SELL if self.is_buyer_maker else OrderSide.BUY


@attrs.frozen(kw_only=True)
class AggregateTrade:
    """Trades of one taker order at one price, aggregated (``trades.aggregate``, §8.1).

    Attributes:
        trade_id: the aggregate trade's id; ``first_trade_id``/``last_trade_id``: the
            trades it aggregates.
    """

    trade_id: int
    price: Decimal
    quantity: Decimal
    first_trade_id: int
    last_trade_id: int
    time: datetime
    is_buyer_maker: bool
    is_best_match: bool | None = None

    @property
    def side(self) -> OrderSide:
        """The taker's side, derived from ``is_buyer_maker``: ``SELL`` when the buyer was the maker (the
        seller took), else ``BUY``."""
        return OrderSide.SELL if self.is_buyer_maker else OrderSide.BUY


@attrs.frozen(kw_only=True)
class Kline:
    """One candlestick (``klines``/``uiKlines``, §8.1); ``close_time`` is the last millisecond."""

    open_time: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    close_time: datetime
    quote_volume: Decimal
    trade_count: int
    taker_buy_base_volume: Decimal
    taker_buy_quote_volume: Decimal


@attrs.frozen(kw_only=True)
class AveragePrice:
    """Result of ``avgPrice``: the mean price over the last ``minutes`` minutes."""

    minutes: int
    price: Decimal
    close_time: datetime | None = None


@attrs.frozen(kw_only=True)
class ExecutionRule:
    """One execution rule, e.g. ``PRICE_RANGE``: limit prices are bound to the reference
    price times these multipliers (``executionRules``, §8.1). ``None`` where not given."""

    rule_type: str
    bid_limit_multiplier_up: Decimal | None = None
    bid_limit_multiplier_down: Decimal | None = None
    ask_limit_multiplier_up: Decimal | None = None
    ask_limit_multiplier_down: Decimal | None = None


@attrs.frozen(kw_only=True)
class SymbolExecutionRules:
    """The execution rules of one symbol."""

    symbol: str
    rules: tuple[ExecutionRule, ...] = ()


@attrs.frozen(kw_only=True)
class ExecutionRules:
    """Result of ``executionRules`` (§8.1)."""

    symbol_rules: tuple[SymbolExecutionRules, ...] = ()


@attrs.frozen(kw_only=True)
class ReferencePrice:
    """Result of ``referencePrice``: ``reference_price`` is ``None`` when none is set now;
    ``time`` is when it was computed (aware UTC), ``None`` with it."""

    symbol: str
    reference_price: Decimal | None = None
    time: datetime | None = None


@attrs.frozen(kw_only=True)
class ReferencePriceCalculation:
    """Result of ``referencePrice.calculation``: how the reference price is computed.

    Attributes:
        calculation_type: e.g. ``ARITHMETIC_MEAN`` or ``EXTERNAL``.
        bucket_count: buckets averaged (arithmetic mean only), else ``None``.
        bucket_width_ms: width of a bucket in milliseconds, else ``None``.
    """

    symbol: str
    calculation_type: str
    bucket_count: int | None = None
    bucket_width_ms: int | None = None


@attrs.frozen(kw_only=True)
class Ticker:
    """Price change statistics (``ticker.24hr``, ``ticker.tradingDay``, ``ticker``, §8.1).

    A ``MINI`` ticker leaves the change, weighted average, previous close, last quantity
    and best bid/ask fields ``None``; ``previous_close_price`` and the bid/ask only
    exist in the ``FULL`` 24-hour ticker.

    Attributes:
        price_change_percent: percent (``"4.735"`` means 4.735 %).
        volume: base asset volume; ``quote_volume``: quote asset volume.
        open_time, time: the window's start and end (``time`` is Binance's ``closeTime``).
        first_trade_id, last_trade_id: trade id range of the window (``-1`` if no trade).
        trade_count: trades in the window.
    """

    symbol: str
    open_price: Decimal | None = None
    high_price: Decimal | None = None
    low_price: Decimal | None = None
    last_price: Decimal | None = None
    volume: Decimal | None = None
    quote_volume: Decimal | None = None
    open_time: datetime | None = None
    time: datetime | None = None
    first_trade_id: int | None = None
    last_trade_id: int | None = None
    trade_count: int | None = None
    price_change: Decimal | None = None
    price_change_percent: Decimal | None = None
    weighted_average_price: Decimal | None = None
    previous_close_price: Decimal | None = None
    last_quantity: Decimal | None = None
    bid_price: Decimal | None = None
    bid_quantity: Decimal | None = None
    ask_price: Decimal | None = None
    ask_quantity: Decimal | None = None


@attrs.frozen(kw_only=True)
class PriceTicker:
    """Latest price of a symbol (``ticker.price``): ``last_price`` in the quote asset."""

    symbol: str
    last_price: Decimal


@attrs.frozen(kw_only=True)
class BookTicker:
    """Best bid and ask with their quantities (``ticker.book``)."""

    symbol: str
    bid_price: Decimal
    bid_quantity: Decimal
    ask_price: Decimal
    ask_quantity: Decimal


@attrs.frozen(kw_only=True)
class Balance:
    """One asset of the account: ``free`` to trade, ``locked`` in open orders, ``total`` both."""

    asset: str
    free: Decimal
    locked: Decimal

    @property
    def total(self) -> Decimal:
        """``free + locked``."""
        return self.free + self.locked


@attrs.frozen(kw_only=True)
class CommissionRates:
    """Commission rates as fractions (``0.001`` = 0.1 %); ``None`` where not given."""

    maker: Decimal | None = None
    taker: Decimal | None = None
    buyer: Decimal | None = None
    seller: Decimal | None = None


@attrs.frozen(kw_only=True)
class CommissionDiscount:
    """BNB commission discount (``account.commission``, ``order.test``)."""

    enabled_for_account: bool | None = None
    enabled_for_symbol: bool | None = None
    discount_asset: str | None = None
    discount: Decimal | None = None


@attrs.frozen(kw_only=True)
class Account:
    """Result of ``account.status`` (§11).

    Attributes:
        maker_commission, taker_commission, buyer_commission, seller_commission: legacy
            integer rates in basis points (15 = 0.15 %); prefer ``commission_rates``.
        update_time: last change of the account.
        uid: the user id.
    """

    maker_commission: int | None = None
    taker_commission: int | None = None
    buyer_commission: int | None = None
    seller_commission: int | None = None
    can_trade: bool | None = None
    can_withdraw: bool | None = None
    can_deposit: bool | None = None
    commission_rates: CommissionRates | None = None
    brokered: bool | None = None
    require_self_trade_prevention: bool | None = None
    prevent_sor: bool | None = None
    update_time: datetime | None = None
    account_type: AccountType | None = None
    balances: tuple[Balance, ...] = ()
    permissions: tuple[str, ...] = ()
    uid: int | None = None

    def balance(self, asset: str) -> Balance | None:
        """The balance of ``asset`` (e.g. ``"BTC"``), or ``None`` if the account has none."""
        return next((b for b in self.balances if b.asset == asset), None)


@attrs.frozen(kw_only=True)
class AccountCommission:
    """Result of ``account.commission``: the account's rates on one symbol."""

    symbol: str
    standard_commission: CommissionRates | None = None
    special_commission: CommissionRates | None = None
    tax_commission: CommissionRates | None = None
    discount: CommissionDiscount | None = None


@attrs.frozen(kw_only=True)
class OrderTestResult:
    """Result of ``order.test`` / ``sor.order.test`` (§8.3): all ``None`` unless
    ``compute_commission_rates`` was requested; rates are fractions of the order."""

    standard_commission_for_order: CommissionRates | None = None
    tax_commission_for_order: CommissionRates | None = None
    special_commission_for_order: CommissionRates | None = None
    discount: CommissionDiscount | None = None
