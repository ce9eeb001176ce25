"""Typed user-data events of the Binance spot WebSocket API (§9 of
:doc:`the Binance page </exchanges/binance>`).

Each event is the ``event`` object of a ``{"subscriptionId": n, "event": {...}}`` frame.
Conventions as in :mod:`exwire.binance.models` (which re-exports everything here). An
event type this version does not know arrives as :class:`UnknownEvent` rather than
being dropped.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs

from exwire.binance.enums import (
    ContingencyType,
    ExecutionType,
    ListOrderStatus,
    ListStatusType,
    OrderSide,
    OrderStatus,
    OrderType,
    PegOffsetType,
    PegPriceType,
    SelfTradePreventionMode,
    TimeInForce,
)

__all__ = [
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
]


@attrs.frozen(kw_only=True)
class ExecutionReport:
    """An order changed (``executionReport``, §9.3).

    Attributes:
        event_time: when the event was generated.
        client_order_id: the order's client id — on a cancel, the cancel request's id
            (the order's own is then in ``original_client_order_id``).
        quantity, price, stop_price, iceberg_quantity: the order's parameters.
        execution_type: what happened (``NEW``, ``TRADE``, ``CANCELED`` ...).
        status: the order's status after it.
        reject_reason: ``"NONE"`` unless rejected.
        last_executed_quantity, last_executed_price: of this fill (0 if none).
        filled_quantity: filled so far (``z``); ``cumulative_quote_quantity``: quote so far.
        last_quote_quantity: quote amount of this fill.
        fee: commission of this fill, in ``fee_asset`` (``None`` if none).
        transaction_time: when it happened; ``created_at``: when the order was made.
        trade_id: ``-1`` unless this is a fill.
        execution_id: unique id of this execution.
        is_working: whether the order is on the book; ``is_maker``: whether this fill was maker.
        quote_order_quantity: the order's ``quoteOrderQty``.
        order_list_id: ``-1`` unless in an order list.
        prevented_match_id: the self-trade prevention match (``v``), with, on an STP
            expiry: ``prevented_quantity`` (``A``, base asset, so far),
            ``last_prevented_quantity`` (``B``, this event), ``trade_group_id`` (``u``),
            ``counter_order_id`` (``U``) and ``counter_symbol`` (``Cs``) of the order it
            would have matched, and ``prevented_execution_quantity``/``_price``/
            ``_quote_quantity`` (``pl``, ``pL``, ``pY``). ``None`` when no STP happened.
        match_type, allocation_id: a SOR allocation's match type (``b``, e.g.
            ``ONE_PARTY_TRADE_REPORT``) and allocation id (``a``); ``None`` otherwise.
        peg_price_type, peg_offset_type, peg_offset_value: a pegged order's instructions
            (``gP``, ``gOT``, ``gOV``: offset in price levels); ``pegged_price`` (``gp``)
            the price it is pegged at now, quote asset. ``None``: not pegged.
    """

    event_time: datetime
    symbol: str
    client_order_id: str
    side: OrderSide
    order_type: OrderType
    time_in_force: TimeInForce
    quantity: Decimal
    price: Decimal
    stop_price: Decimal | None = None
    iceberg_quantity: Decimal | None = None
    order_list_id: int = -1
    original_client_order_id: str | None = None
    execution_type: ExecutionType
    status: OrderStatus
    reject_reason: str | None = None
    order_id: int
    last_executed_quantity: Decimal
    filled_quantity: Decimal
    last_executed_price: Decimal
    fee: Decimal | None = None
    fee_asset: str | None = None
    transaction_time: datetime
    trade_id: int = -1
    execution_id: int | None = None
    is_working: bool | None = None
    is_maker: bool | None = None
    created_at: datetime | None = None
    cumulative_quote_quantity: Decimal | None = None
    last_quote_quantity: Decimal | None = None
    quote_order_quantity: Decimal | None = None
    working_time: datetime | None = None
    self_trade_prevention_mode: SelfTradePreventionMode | None = None
    prevented_match_id: int | None = None
    trailing_delta: int | None = None
    trailing_time: int | None = None
    strategy_id: int | None = None
    strategy_type: int | None = None
    used_sor: bool | None = None
    working_floor: str | None = None
    expiry_reason: str | None = None
    prevented_quantity: Decimal | None = None
    last_prevented_quantity: Decimal | None = None
    trade_group_id: int | None = None
    counter_order_id: int | None = None
    counter_symbol: str | None = None
    prevented_execution_quantity: Decimal | None = None
    prevented_execution_price: Decimal | None = None
    prevented_execution_quote_quantity: Decimal | None = None
    match_type: str | None = None
    allocation_id: int | None = None
    peg_price_type: PegPriceType | None = None
    peg_offset_type: PegOffsetType | None = None
    peg_offset_value: int | None = None
    pegged_price: Decimal | None = None


@attrs.frozen(kw_only=True)
class PositionBalance:
    """One changed asset in an :class:`AccountPosition`: ``free`` and ``locked`` after the
    change, ``total`` both."""

    asset: str
    free: Decimal
    locked: Decimal

    @property
    def total(self) -> Decimal:
        """``free + locked``."""
        return self.free + self.locked


@attrs.frozen(kw_only=True)
class AccountPosition:
    """Balances changed (``outboundAccountPosition``, §9.3); only changed assets are listed."""

    event_time: datetime
    last_update_time: datetime
    balances: tuple[PositionBalance, ...]


@attrs.frozen(kw_only=True)
class BalanceUpdate:
    """A deposit, withdrawal or transfer (``balanceUpdate``, §9.3); ``delta`` is signed."""

    event_time: datetime
    asset: str
    delta: Decimal
    clear_time: datetime | None = None


@attrs.frozen(kw_only=True)
class ListStatusOrder:
    """One order of a :class:`ListStatus`."""

    symbol: str
    order_id: int
    client_order_id: str | None = None


@attrs.frozen(kw_only=True)
class ListStatus:
    """An order list changed (``listStatus``, §9.3); sent alongside the members' execution reports.

    Attributes:
        list_reject_reason: ``"NONE"`` unless rejected.
    """

    event_time: datetime
    symbol: str
    order_list_id: int
    contingency_type: ContingencyType
    list_status_type: ListStatusType
    list_order_status: ListOrderStatus
    list_reject_reason: str | None = None
    list_client_order_id: str | None = None
    transaction_time: datetime | None = None
    orders: tuple[ListStatusOrder, ...] = ()


@attrs.frozen(kw_only=True)
class ExternalLockUpdate:
    """Part of the balance was locked or unlocked by another product (``externalLockUpdate``)."""

    event_time: datetime
    asset: str
    delta: Decimal
    transaction_time: datetime | None = None


@attrs.frozen(kw_only=True)
class EventStreamTerminated:
    """The exchange ended the subscription (``eventStreamTerminated``, §9.1); none follow."""

    event_time: datetime


@attrs.frozen(kw_only=True)
class UnknownEvent:
    """An event type this version does not model; ``data`` is the raw event object."""

    event_type: str
    event_time: datetime | None
    data: dict[str, Any] = attrs.field(repr=False)


UserDataEvent = (
    ExecutionReport
    | AccountPosition
    | BalanceUpdate
    | ListStatus
    | ExternalLockUpdate
    | EventStreamTerminated
    | UnknownEvent
)
