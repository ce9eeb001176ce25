"""Typed futures user-data events (USDⓈ-M and COIN-M listen-key streams).

Each model is one event object of the futures user data stream, as documented on the
Binance futures "User Data Streams" pages (events ``ORDER_TRADE_UPDATE``,
``ACCOUNT_UPDATE``, ``MARGIN_CALL``, ``ACCOUNT_CONFIG_UPDATE``, ``TRADE_LITE``,
``ALGO_UPDATE``, ``CONDITIONAL_ORDER_TRIGGER_REJECT``, ``STRATEGY_UPDATE``,
``GRID_UPDATE`` and ``listenKeyExpired``). Conventions: prices and quantities are
``Decimal`` (price in the quote asset per unit; quantity in the base asset on USDⓈ-M, in
contracts on COIN-M), times aware UTC datetimes (milliseconds), ``None`` where Binance
did not send the field. An event type this version does not model arrives as
:class:`exwire.binance.events.UnknownEvent` rather than being dropped.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import attrs

from exwire._core.codec import OpenEnum
from exwire.binance.enums import (
    AlgoStatus,
    AlgoType,
    ExecutionType,
    FuturesOrderType,
    FuturesTimeInForce,
    MarginType,
    OrderSide,
    OrderStatus,
    PositionSide,
    PriceMatch,
    SelfTradePreventionMode,
    WorkingType,
)
from exwire.binance.events import UnknownEvent

__all__ = [
    "AccountUpdateReason",
    "FuturesOrderUpdate",
    "FuturesBalanceChange",
    "FuturesPositionChange",
    "FuturesAccountUpdate",
    "MarginCallPosition",
    "MarginCall",
    "AccountConfigUpdate",
    "TradeLite",
    "AlgoOrderUpdate",
    "ConditionalOrderTriggerReject",
    "StrategyUpdate",
    "GridUpdate",
    "ListenKeyExpired",
    "FuturesUserDataEvent",
]


class AccountUpdateReason(OpenEnum):
    """Why an ``ACCOUNT_UPDATE`` was sent (its ``m``); unknown values are kept."""

    DEPOSIT = "DEPOSIT"
    WITHDRAW = "WITHDRAW"
    ORDER = "ORDER"
    FUNDING_FEE = "FUNDING_FEE"
    WITHDRAW_REJECT = "WITHDRAW_REJECT"
    ADJUSTMENT = "ADJUSTMENT"
    INSURANCE_CLEAR = "INSURANCE_CLEAR"
    ADMIN_DEPOSIT = "ADMIN_DEPOSIT"
    ADMIN_WITHDRAW = "ADMIN_WITHDRAW"
    MARGIN_TRANSFER = "MARGIN_TRANSFER"
    MARGIN_TYPE_CHANGE = "MARGIN_TYPE_CHANGE"
    ASSET_TRANSFER = "ASSET_TRANSFER"
    OPTIONS_PREMIUM_FEE = "OPTIONS_PREMIUM_FEE"
    OPTIONS_SETTLE_PROFIT = "OPTIONS_SETTLE_PROFIT"
    AUTO_EXCHANGE = "AUTO_EXCHANGE"
    COIN_SWAP_DEPOSIT = "COIN_SWAP_DEPOSIT"
    COIN_SWAP_WITHDRAW = "COIN_SWAP_WITHDRAW"


@attrs.frozen(kw_only=True)
class FuturesOrderUpdate:
    """An order changed (``ORDER_TRADE_UPDATE``; the fields of its ``o`` object, flattened).

    Attributes:
        event_time, transaction_time: ``E`` and ``T``.
        account_alias: COIN-M's ``i``; ``None`` on USDⓈ-M.
        client_order_id: ``c`` (``autoclose-…`` liquidation, ``adl_autoclose`` ADL,
            ``settlement_autoclose-…`` delivery).
        quantity, price, average_price, stop_price: ``q``, ``p``, ``ap``, ``sp``.
        execution_type: ``NEW``, ``CANCELED``, ``CALCULATED`` (liquidation), ``EXPIRED``,
            ``TRADE`` or ``AMENDMENT``.
        last_executed_quantity, last_executed_price: this fill's (``l``, ``L``; 0 if none).
        filled_quantity: filled so far (``z``).
        fee, fee_asset: this fill's commission (``n``, ``N``); ``None`` when not sent.
        trade_time, trade_id: ``T`` and ``t`` of the order object (0 without a fill).
        bid_notional, ask_notional: ``b``, ``a`` (COIN-M: base-asset quantity).
        realized_profit: of this trade (``rp``).
        original_order_type: ``ot``; activation_price, callback_rate: trailing (``AP``, ``cr``).
        good_till_date: GTD auto-cancel time; ``None`` for none (wire 0).
        expiry_reason: ``er`` code (0 none, 1 STP, 2 IOC unfilled, …).
        modify_id: ``M``, the ``modify_id`` sent with ``order.modify`` (``AMENDMENT`` only).
        margin_asset: COIN-M's ``ma``.
    """

    event_time: datetime
    transaction_time: datetime
    account_alias: str | None = None
    symbol: str
    client_order_id: str
    side: OrderSide
    order_type: FuturesOrderType
    time_in_force: FuturesTimeInForce
    quantity: Decimal
    price: Decimal
    average_price: Decimal | None = None
    stop_price: Decimal | None = None
    execution_type: ExecutionType
    status: OrderStatus
    order_id: int
    last_executed_quantity: Decimal
    filled_quantity: Decimal
    last_executed_price: Decimal
    fee_asset: str | None = None
    fee: Decimal | None = None
    trade_time: datetime | None = None
    trade_id: int | None = None
    bid_notional: Decimal | None = None
    ask_notional: Decimal | None = None
    is_maker: bool | None = None
    reduce_only: bool | None = None
    working_type: WorkingType | None = None
    original_order_type: FuturesOrderType | None = None
    position_side: PositionSide | None = None
    close_position: bool | None = None
    activation_price: Decimal | None = None
    callback_rate: Decimal | None = None
    price_protect: bool | None = None
    realized_profit: Decimal | None = None
    self_trade_prevention_mode: SelfTradePreventionMode | None = None
    price_match: PriceMatch | None = None
    good_till_date: datetime | None = None
    expiry_reason: int | None = None
    modify_id: int | None = None
    margin_asset: str | None = None


@attrs.frozen(kw_only=True)
class FuturesBalanceChange:
    """One changed asset of an ``ACCOUNT_UPDATE`` (``B`` item): wallet and cross wallet
    balances after it, and ``balance_change`` (``bc``, except PnL and commission)."""

    asset: str
    wallet_balance: Decimal
    cross_wallet_balance: Decimal | None = None
    balance_change: Decimal | None = None


@attrs.frozen(kw_only=True)
class FuturesPositionChange:
    """One changed position of an ``ACCOUNT_UPDATE`` (``P`` item).

    Attributes:
        position_amount: signed (``pa``; negative: short).
        entry_price, break_even_price: ``ep``, ``bep``.
        accumulated_realized: realized PnL before fees (``cr``).
        unrealized_pnl: ``up``; isolated_wallet: ``iw``.
    """

    symbol: str
    position_amount: Decimal
    entry_price: Decimal
    break_even_price: Decimal | None = None
    accumulated_realized: Decimal | None = None
    unrealized_pnl: Decimal
    margin_type: MarginType
    isolated_wallet: Decimal | None = None
    position_side: PositionSide


@attrs.frozen(kw_only=True)
class FuturesAccountUpdate:
    """Balances or positions changed (``ACCOUNT_UPDATE``); only the changed ones are listed.

    ``funding_symbol`` is ``S``, the symbol of a ``FUNDING_FEE`` update (``None`` otherwise).
    """

    event_time: datetime
    transaction_time: datetime
    account_alias: str | None = None
    reason: AccountUpdateReason
    funding_symbol: str | None = None
    balances: tuple[FuturesBalanceChange, ...] = ()
    positions: tuple[FuturesPositionChange, ...] = ()


@attrs.frozen(kw_only=True)
class MarginCallPosition:
    """A position of a ``MARGIN_CALL`` (``p`` item): ``mark_price`` (``mp``) and the
    ``maintenance_margin`` (``mm``) it requires."""

    symbol: str
    position_side: PositionSide
    position_amount: Decimal
    margin_type: MarginType
    isolated_wallet: Decimal | None = None
    mark_price: Decimal
    unrealized_pnl: Decimal
    maintenance_margin: Decimal


@attrs.frozen(kw_only=True)
class MarginCall:
    """Positions near liquidation (``MARGIN_CALL``); ``cross_wallet_balance`` (``cw``) is
    ``None`` unless in cross margin."""

    event_time: datetime
    account_alias: str | None = None
    cross_wallet_balance: Decimal | None = None
    positions: tuple[MarginCallPosition, ...] = ()


@attrs.frozen(kw_only=True)
class AccountConfigUpdate:
    """Leverage (``ac``: ``symbol``, ``leverage``) or the multi-assets mode (``ai``,
    USDⓈ-M: ``multi_assets_mode``) changed (``ACCOUNT_CONFIG_UPDATE``); the other is ``None``."""

    event_time: datetime
    transaction_time: datetime
    symbol: str | None = None
    leverage: int | None = None
    multi_assets_mode: bool | None = None


@attrs.frozen(kw_only=True)
class TradeLite:
    """A fast, small fill notice (``TRADE_LITE``, USDⓈ-M); the full
    :class:`FuturesOrderUpdate` of the same fill follows: do not count it twice."""

    event_time: datetime
    transaction_time: datetime
    symbol: str
    quantity: Decimal
    price: Decimal
    is_maker: bool
    client_order_id: str
    side: OrderSide
    last_executed_price: Decimal
    last_executed_quantity: Decimal
    trade_id: int
    order_id: int


@attrs.frozen(kw_only=True)
class AlgoOrderUpdate:
    """An algo (conditional) order changed (``ALGO_UPDATE``, USDⓈ-M; its ``o`` object, flattened).

    Attributes:
        order_id: the matching engine's order id once triggered (``ai``); ``None`` before.
        average_price, filled_quantity, actual_order_type: of the triggered order
            (``ap``, ``aq``, ``act``).
        trigger_price: ``tp``; trigger_time: ``tt`` (``None`` for 0).
        good_till_date: ``gtd`` (``None`` for 0); failure_reason: ``rm``.
        trailing_activated: ``ia``.
    """

    event_time: datetime
    transaction_time: datetime
    client_algo_id: str
    algo_id: int
    algo_type: AlgoType
    order_type: FuturesOrderType
    symbol: str
    side: OrderSide
    position_side: PositionSide | None = None
    time_in_force: FuturesTimeInForce | None = None
    quantity: Decimal | None = None
    status: AlgoStatus
    order_id: str | None = None
    average_price: Decimal | None = None
    filled_quantity: Decimal | None = None
    actual_order_type: str | None = None
    trigger_price: Decimal | None = None
    price: Decimal | None = None
    self_trade_prevention_mode: SelfTradePreventionMode | None = None
    working_type: WorkingType | None = None
    price_match: PriceMatch | None = None
    close_position: bool | None = None
    price_protect: bool | None = None
    reduce_only: bool | None = None
    trigger_time: datetime | None = None
    good_till_date: datetime | None = None
    failure_reason: str | None = None
    trailing_activated: bool | None = None


@attrs.frozen(kw_only=True)
class ConditionalOrderTriggerReject:
    """A triggered conditional order was rejected (``CONDITIONAL_ORDER_TRIGGER_REJECT``, ``or``)."""

    event_time: datetime
    transaction_time: datetime
    symbol: str
    order_id: int
    reason: str


@attrs.frozen(kw_only=True)
class StrategyUpdate:
    """A strategy changed (``STRATEGY_UPDATE``, ``su``): ``strategy_type`` e.g. ``GRID``,
    ``strategy_status`` ``NEW``, ``WORKING``, ``CANCELLED``, ``EXPIRED``; ``op_code`` (``c``)
    e.g. 8007."""

    event_time: datetime
    transaction_time: datetime
    strategy_id: int
    strategy_type: str
    strategy_status: str
    symbol: str
    update_time: datetime
    op_code: int | None = None


@attrs.frozen(kw_only=True)
class GridUpdate:
    """A grid strategy changed (``GRID_UPDATE``, ``gu``): realized and matched PnL, and the
    unmatched average price, quantity and fee."""

    event_time: datetime
    transaction_time: datetime
    strategy_id: int
    strategy_type: str
    strategy_status: str
    symbol: str
    realized_pnl: Decimal
    unmatched_average_price: Decimal
    unmatched_quantity: Decimal
    unmatched_fee: Decimal
    matched_pnl: Decimal
    update_time: datetime


@attrs.frozen(kw_only=True)
class ListenKeyExpired:
    """The listen key expired (``listenKeyExpired``); no event follows on it.

    ``listen_key`` is ``None`` when not sent (older frames). A subscription made with
    ``subscribe_user_data_stream`` renews the key itself and delivers this event first.
    """

    event_time: datetime
    listen_key: str | None = None


FuturesUserDataEvent = (
    FuturesOrderUpdate
    | FuturesAccountUpdate
    | MarginCall
    | AccountConfigUpdate
    | TradeLite
    | AlgoOrderUpdate
    | ConditionalOrderTriggerReject
    | StrategyUpdate
    | GridUpdate
    | ListenKeyExpired
    | UnknownEvent
)
