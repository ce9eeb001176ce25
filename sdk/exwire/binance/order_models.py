"""Typed results of Binance spot order, order-list and account-trade requests.

Section numbers (§8.3–§8.5, §11) refer to the protocol notes of
:doc:`the Binance page </exchanges/binance>`. Units and
conventions as in :mod:`exwire.binance.models` (which re-exports everything here).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import attrs

from exwire.binance.enums import (
    ContingencyType,
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
]


@attrs.frozen(kw_only=True)
class Fill:
    """One fill of a newly placed order (``FULL`` response, §11).

    Attributes:
        fee: commission charged, in ``fee_asset`` (Binance's ``commission``/``commissionAsset``).
        trade_id: the trade's id (``-1`` for SOR allocations).
        match_type, allocation_id: SOR only, else ``None``.
    """

    price: Decimal
    quantity: Decimal
    fee: Decimal
    fee_asset: str | None
    trade_id: int
    match_type: str | None = None
    allocation_id: int | None = None


@attrs.frozen(kw_only=True)
class Order:
    """An order report: placement result, cancel result, or order status (§8.3, §11).

    Which fields are present depends on the request and ``response_type``: an ``ACK``
    carries only the identifiers and ``transact_time``; ``RESULT`` adds quantities and
    status; ``FULL`` adds ``fills``. Conditional fields (stop, trailing, iceberg, strategy,
    self-trade prevention, peg, SOR) are ``None`` unless relevant.

    Attributes:
        order_list_id: the order list it belongs to, ``-1`` for none.
        original_client_order_id: on a cancel, the client id of the cancelled order
            (``client_order_id`` is then the cancel's own id).
        quantity: ordered quantity (``origQty``); ``filled_quantity``: filled so far
            (``executedQty``).
        original_quote_order_quantity: the ``quoteOrderQty`` of a market order, else 0.
        cumulative_quote_quantity: quote asset spent or received so far.
        transact_time: when the request was processed; ``created_at``: when the order was
            created (``time``); ``updated_at``: its last change (``updateTime``); ``working_time``: when it
            started working on the book.
        trailing_delta: in basis points (BIPS); ``trailing_time``: when the trailing stop
            was activated, ``None`` or -1 if not.
        used_sor, working_floor: set for SOR orders.
    """

    symbol: str
    order_id: int
    order_list_id: int | None = None
    client_order_id: str | None = None
    original_client_order_id: str | None = None
    transact_time: datetime | None = None
    price: Decimal | None = None
    quantity: Decimal | None = None
    filled_quantity: Decimal | None = None
    original_quote_order_quantity: Decimal | None = None
    cumulative_quote_quantity: Decimal | None = None
    status: OrderStatus | None = None
    time_in_force: TimeInForce | None = None
    order_type: OrderType | None = None
    side: OrderSide | None = None
    stop_price: Decimal | None = None
    trailing_delta: int | None = None
    trailing_time: int | None = None
    iceberg_quantity: Decimal | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    is_working: bool | None = None
    working_time: datetime | None = None
    strategy_id: int | None = None
    strategy_type: int | None = None
    self_trade_prevention_mode: SelfTradePreventionMode | None = None
    prevented_match_id: int | None = None
    prevented_quantity: Decimal | None = None
    used_sor: bool | None = None
    working_floor: str | None = None
    peg_price_type: PegPriceType | None = None
    peg_offset_type: PegOffsetType | None = None
    peg_offset_value: int | None = None
    pegged_price: Decimal | None = None
    expiry_reason: str | None = None
    fills: tuple[Fill, ...] = ()


@attrs.frozen(kw_only=True)
class OrderListEntry:
    """One order of an order list: its symbol and identifiers."""

    symbol: str
    order_id: int
    client_order_id: str | None = None


@attrs.frozen(kw_only=True)
class OrderList:
    """An order list report (OCO, OTO, OTOCO, OPO, OPOCO; §8.3).

    Attributes:
        transaction_time: when the list was placed or last changed.
        orders: the member orders' identifiers.
        order_reports: full reports of the members (placement and cancel results);
            empty for status queries.
    """

    order_list_id: int
    contingency_type: ContingencyType
    list_status_type: ListStatusType
    list_order_status: ListOrderStatus
    list_client_order_id: str | None = None
    transaction_time: datetime | None = None
    symbol: str | None = None
    orders: tuple[OrderListEntry, ...] = ()
    order_reports: tuple[Order, ...] = ()


@attrs.frozen(kw_only=True)
class CancelReplaceResult:
    """Result of ``order.cancelReplace`` when both steps succeeded (§8.4).

    Partial failures arrive as an ``ExchangeError`` (code -2021/-2022) whose ``data``
    holds the raw ``cancelResponse``/``newOrderResponse``.
    """

    cancel_result: str
    new_order_result: str
    cancel_response: Order | None = None
    new_order_response: Order | None = None


@attrs.frozen(kw_only=True)
class AmendResult:
    """Result of ``order.amend.keepPriority`` (§8.3).

    Attributes:
        execution_id: the id of the amendment.
        list_status: the order list of the amended order, ``None`` if it is in none.
    """

    transact_time: datetime
    execution_id: int
    amended_order: Order
    list_status: OrderList | None = None


@attrs.frozen(kw_only=True)
class AccountTrade:
    """One of the account's trades (``myTrades``, §8.5): a fill of one of its orders.

    Attributes:
        trade_id: the trade's id.
        fee: the commission, in ``fee_asset`` (Binance's ``commission``/``commissionAsset``).
    """

    symbol: str
    trade_id: int
    order_id: int
    order_list_id: int | None
    price: Decimal
    quantity: Decimal
    quote_quantity: Decimal
    fee: Decimal
    fee_asset: str | None
    time: datetime
    is_buyer: bool
    is_maker: bool
    is_best_match: bool | None = None

    @property
    def side(self) -> OrderSide:
        """The order's side, derived from ``is_buyer``: ``BUY`` when the account was the buyer, else
        ``SELL``."""
        return OrderSide.BUY if self.is_buyer else OrderSide.SELL


@attrs.frozen(kw_only=True)
class PreventedMatch:
    """An order expired by self-trade prevention (``myPreventedMatches``, §8.5)."""

    symbol: str
    prevented_match_id: int
    taker_order_id: int | None = None
    maker_symbol: str | None = None
    maker_order_id: int | None = None
    trade_group_id: int | None = None
    self_trade_prevention_mode: SelfTradePreventionMode | None = None
    price: Decimal | None = None
    maker_prevented_quantity: Decimal | None = None
    transact_time: datetime | None = None


@attrs.frozen(kw_only=True)
class Allocation:
    """An allocation from an SOR order (``myAllocations``, §8.5); ``fee`` in ``fee_asset``."""

    symbol: str
    allocation_id: int
    allocation_type: str
    order_id: int
    order_list_id: int | None
    price: Decimal
    quantity: Decimal
    quote_quantity: Decimal
    fee: Decimal
    fee_asset: str | None
    time: datetime
    is_buyer: bool
    is_maker: bool
    is_allocator: bool


@attrs.frozen(kw_only=True)
class OrderLeg:
    """One leg of an order list, as *input* to the ``place_spot_*_order_list`` methods (§8.3).

    Only the fields the list type uses may be set: an OCO leg takes no ``side`` or
    ``quantity`` (the list has them); an OTO working leg needs ``side``, ``price`` and
    ``quantity``; an OPO pending leg takes no ``quantity`` (it comes from the fill).

    Attributes:
        order_type: the leg's :class:`~exwire.binance.enums.OrderType` (or its value).
        price, quantity, stop_price, iceberg_quantity: ``Decimal``, ``str``, ``int`` or ``float``.
        trailing_delta: in basis points.
    """

    order_type: OrderType | str
    side: OrderSide | str | None = None
    price: Decimal | str | int | float | None = None
    quantity: Decimal | str | int | float | None = None
    stop_price: Decimal | str | int | float | None = None
    trailing_delta: int | None = None
    time_in_force: TimeInForce | str | None = None
    iceberg_quantity: Decimal | str | int | float | None = None
    client_order_id: str | None = None
    strategy_id: int | None = None
    strategy_type: int | None = None
    peg_price_type: PegPriceType | str | None = None
    peg_offset_type: PegOffsetType | str | None = None
    peg_offset_value: int | None = None

    def values(self, prefix: str) -> dict[str, object]:
        """The leg's set fields as client keywords named ``<prefix>_<field>``."""
        fields = attrs.asdict(self, recurse=False)
        fields["type"] = fields.pop("order_type")
        return {f"{prefix}_{name}": value for name, value in fields.items() if value is not None}
