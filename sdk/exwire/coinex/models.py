"""Typed models of CoinEx WebSocket API v1 (legacy spot) messages.

Field names are exwire's vocabulary (``trade_id``, ``last_price``, ``quote_volume``,
``free``/``locked`` ...; CoinEx-only fields keep descriptive names); the wire names
(``deal``, ``left``, ``deal_stock`` ...) live only in :mod:`exwire.coinex.converter`.
Every model is built by keyword (``kw_only``).
Section numbers refer to the protocol notes of :doc:`the CoinEx page </exchanges/coinex>`.

Units: prices are in quote asset per unit of base asset, quantities in base
asset, values in quote asset; times are aware UTC ``datetime`` (CoinEx sends
epoch seconds with microseconds, or milliseconds for book times). Every model is
an attrs ``frozen`` class, immutable and safe to share between threads.

Enums derived from :class:`exwire._core.codec.OpenEnum` keep values this
version does not know (``is_known`` is then ``False``), so a message is still
delivered. The enums a caller chooses from (:class:`KlineInterval`,
:class:`MergeDepth`) are closed: a value CoinEx does not offer is a caller error.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

import attrs

from exwire._core.codec import OpenEnum
from exwire.models import Level, Side, TimeInForce

__all__ = [
    "KlineInterval",
    "MergeDepth",
    "OrderType",
    "OrderEvent",
    "OrderStatus",
    "OrderOption",
    "Role",
    "Ticker",
    "Trade",
    "UserTrade",
    "Kline",
    "Depth",
    "Balance",
    "Order",
    "OrderUpdate",
    "OrdersPage",
]


class KlineInterval(enum.IntEnum):
    """The candle lengths CoinEx offers, valued in seconds (§5.11)."""

    ONE_MINUTE = 60
    THREE_MINUTES = 180
    FIVE_MINUTES = 300
    FIFTEEN_MINUTES = 900
    THIRTY_MINUTES = 1800
    ONE_HOUR = 3600
    TWO_HOURS = 7200
    FOUR_HOURS = 14400
    SIX_HOURS = 21600
    TWELVE_HOURS = 43200
    ONE_DAY = 86400
    THREE_DAYS = 259200
    ONE_WEEK = 604800


class MergeDepth(str, enum.Enum):
    """Order book price aggregation (the ``interval`` of §5.5), valued as the wire string.

    ``NONE`` keeps every price; the others merge prices into steps of the given
    size (bids rounded down, asks up). Which steps a market accepts depends on
    its price precision: CoinEx refuses a finer step than the market's tick.
    """

    NONE = "0"
    STEP_1E_10 = "0.0000000001"
    STEP_1E_9 = "0.000000001"
    STEP_1E_8 = "0.00000001"
    STEP_1E_7 = "0.0000001"
    STEP_1E_6 = "0.000001"
    STEP_1E_5 = "0.00001"
    STEP_1E_4 = "0.0001"
    STEP_0_001 = "0.001"
    STEP_0_01 = "0.01"
    STEP_0_1 = "0.1"
    STEP_1 = "1"
    STEP_10 = "10"
    STEP_100 = "100"

    @property
    def step(self) -> Decimal:
        """The price step as a ``Decimal`` (zero for ``NONE``)."""
        return Decimal(self.value)


class OrderType(OpenEnum):
    """An order's type (``type`` of the order object, §5.16)."""

    LIMIT = 1
    MARKET = 2


class OrderEvent(OpenEnum):
    """What happened to an order in an ``order.update`` push (§5.16)."""

    NEW = 1
    """The order was accepted (PUT)."""
    UPDATE = 2
    """The order was partially filled or otherwise changed."""
    FINISH = 3
    """The order left the book: fully filled or cancelled."""


class OrderStatus(enum.Enum):
    """An order's status, derived from the event and the unfilled quantity (§5.16)."""

    OPEN = "open"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELED = "canceled"


class OrderOption(enum.IntFlag):
    """Bits of an order's ``option`` field (§5.16); unknown bits are kept."""

    NONE = 0
    FEE_IN_BASE = 0x1
    FEE_IN_QUOTE = 0x2
    NO_MIN_AMOUNT = 0x4
    IMMEDIATE_OR_CANCEL = 0x8
    FILL_OR_KILL = 0x10
    HIDDEN = 0x20
    STOP_TRIGGERED = 0x40
    MAKER_ONLY = 0x80


class Role(OpenEnum):
    """The account's role in an order's most recent fill (``last_role``, §5.16)."""

    NONE = 0
    MAKER = 1
    TAKER = 2


@attrs.frozen(kw_only=True)
class Ticker:
    """A market's state over a period: ``state.query`` and ``state.update`` (§5.3, §5.4).

    CoinEx's state carries no best bid/ask and no time.

    Attributes:
        symbol: the market, e.g. ``"BTCUSDT"``.
        period: the period the figures cover, in seconds (86400 for a day).
        last_price: last trade price (CoinEx's ``last``).
        open_price: first trade price of the period.
        close_price: latest price of the period (CoinEx's ``close``; it sends the last price).
        high_price: highest trade price of the period.
        low_price: lowest trade price of the period.
        volume: traded quantity of the period, in base asset.
        quote_volume: traded value of the period, in quote asset (CoinEx's ``deal``).
        sell_total: base quantity of the resting asks, or ``None`` when not sent.
        buy_total: base quantity of the resting bids, or ``None`` when not sent.
    """

    symbol: str
    period: int
    last_price: Decimal
    open_price: Decimal
    close_price: Decimal
    high_price: Decimal
    low_price: Decimal
    volume: Decimal
    quote_volume: Decimal
    sell_total: Decimal | None = None
    buy_total: Decimal | None = None


@attrs.frozen(kw_only=True)
class Trade:
    """One public trade: ``deals.query`` and ``deals.update`` (§5.9, §5.10).

    Attributes:
        symbol: the market.
        trade_id: CoinEx's trade id (increasing).
        price: the trade's price.
        quantity: the traded quantity, in base asset.
        side: the taker's side.
        time: when the trade happened (aware UTC, microseconds).
    """

    symbol: str
    trade_id: int
    price: Decimal
    quantity: Decimal
    side: Side
    time: datetime


@attrs.frozen(kw_only=True)
class UserTrade:
    """One of the account's own fills: a ``deals.update`` push whose params end in
    ``true`` (§5.10), sent on a signed-in connection subscribed to the market's trades.

    CoinEx sends no fee and no maker/taker role with it (``fee``, ``fee_asset`` and
    ``is_maker`` are ``None``; the order's ``order.update`` carries the fees).

    Attributes:
        trade_id: CoinEx's trade id.
        order_id: the account's order that filled.
        symbol: the market.
        side: the side CoinEx sends (``type``): that of the account's order.
        price: the fill's price, in quote asset.
        quantity: the filled quantity, in base asset.
        fee: always ``None`` (not sent).
        fee_asset: always ``None`` (not sent).
        is_maker: always ``None`` (not sent).
        time: when it executed (aware UTC, microseconds).
        client_order_id: the order's client id, or ``None`` when empty.
    """

    trade_id: int
    order_id: int
    symbol: str
    side: Side
    price: Decimal
    quantity: Decimal
    time: datetime
    fee: Decimal | None = None
    fee_asset: str | None = None
    is_maker: bool | None = None
    client_order_id: str | None = None


@attrs.frozen(kw_only=True)
class Kline:
    """One candle: ``kline.query`` and ``kline.update`` (§5.11, §5.12).

    CoinEx sends no trade count and does not say whether a candle is final (the last
    candle of a push is usually still open).

    Attributes:
        symbol: the market; taken from the request when the candle omits it.
        interval: the candle's length (the requested or subscribed interval).
        open_time: start of the candle's interval (aware UTC).
        close_time: ``open_time + interval`` (aware UTC).
        open: first trade price.
        high: highest trade price.
        low: lowest trade price.
        close: last trade price so far.
        volume: traded quantity, in base asset.
        quote_volume: traded value, in quote asset (CoinEx's ``amount``).
    """

    symbol: str
    interval: KlineInterval
    open_time: datetime
    close_time: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    quote_volume: Decimal


@attrs.frozen(kw_only=True)
class Depth:
    """An order book snapshot (``depth.query``) or push (``depth.update``) (§5.5, §5.6).

    Attributes:
        symbol: the market.
        is_full: ``True`` when the levels replace the book (a query result or a
            ``clean`` push); ``False`` for an incremental push, whose levels set the
            new absolute quantity of a price, zero deleting it.
        asks: ask levels, ascending price (a side without change is empty in an
            incremental push). Prices and quantities keep the wire string's
            exponent, so ``format(level.price, "f")`` is what CoinEx sent (the
            checksum needs it).
        bids: bid levels, descending price.
        last_price: last trade price, or ``None`` when not sent.
        time: when the book was taken (aware UTC, milliseconds), or ``None``.
        checksum: CoinEx's CRC-32 of the top levels after this message, as an
            unsigned 32-bit integer (§5.7), or ``None`` when not sent.
    """

    symbol: str
    is_full: bool
    asks: tuple[Level, ...]
    bids: tuple[Level, ...]
    last_price: Decimal | None = None
    time: datetime | None = None
    checksum: int | None = None


@attrs.frozen(kw_only=True)
class Balance:
    """One asset's spot balance: ``asset.query`` and ``asset.update`` (§5.13, §5.14).

    Attributes:
        asset: the asset code, e.g. ``"BTC"``.
        free: the quantity free to use (CoinEx's ``available``).
        locked: the quantity held by open orders (CoinEx's ``frozen``).
        updated_at: when it changed (pushes only; ``None`` in query results).
        account: CoinEx's account id (0 is the spot main account), or ``None``
            when the message does not say.
    """

    asset: str
    free: Decimal
    locked: Decimal
    updated_at: datetime | None = None
    account: int | None = None

    @property
    def total(self) -> Decimal:
        """``free + locked``."""
        return self.free + self.locked


@attrs.frozen(kw_only=True)
class Order:
    """An order object of ``order.query`` and ``order.update`` (§5.15, §5.16).

    Attributes:
        order_id: CoinEx's order id.
        symbol: the market.
        order_type: limit or market.
        side: buy or sell.
        price: the limit price (zero for market orders).
        quantity: the order's size, in base asset.
        remaining: the unfilled quantity, in base asset.
        filled_quantity: the filled quantity, in base asset.
        filled_value: the filled value, in quote asset.
        created_at: when the order was placed (aware UTC).
        updated_at: when it last changed (aware UTC).
        client_order_id: the caller's id, or ``None`` when empty.
        taker_fee_rate: taker fee as a fraction (``0.002`` is 0.2 %).
        maker_fee_rate: maker fee as a fraction.
        quote_fee: fee paid in quote asset, or ``None`` when not sent.
        base_fee: fee paid in base asset, or ``None`` when not sent.
        asset_fee: fee paid in ``fee_asset`` (e.g. CET), or ``None`` when not sent.
        deal_fee: the older single fee field, or ``None`` when not sent.
        fee_discount: the fee discount factor, or ``None``.
        fee_asset: the asset fees are deducted in, or ``None``.
        last_fill_quantity: quantity of the most recent fill (zero if none).
        last_fill_price: price of the most recent fill (zero if none).
        last_fill_time: time of the most recent fill, ``None`` if none.
        last_fill_id: trade id of the most recent fill (0 if none).
        last_role: the account's role in the most recent fill.
        option: the order's option bits.
        source: where it was placed (``"api"``, ``"web"`` ...), or ``None``.
        user: CoinEx's user id, or ``None``.
        account: the account id (0 is the spot main account), or ``None``.
        stop_id: the stop order that created it (0 if none), or ``None``.
    """

    order_id: int
    symbol: str
    order_type: OrderType
    side: Side
    price: Decimal
    quantity: Decimal
    remaining: Decimal
    filled_quantity: Decimal
    filled_value: Decimal
    created_at: datetime
    updated_at: datetime
    client_order_id: str | None = None
    taker_fee_rate: Decimal | None = None
    maker_fee_rate: Decimal | None = None
    quote_fee: Decimal | None = None
    base_fee: Decimal | None = None
    asset_fee: Decimal | None = None
    deal_fee: Decimal | None = None
    fee_discount: Decimal | None = None
    fee_asset: str | None = None
    last_fill_quantity: Decimal | None = None
    last_fill_price: Decimal | None = None
    last_fill_time: datetime | None = None
    last_fill_id: int | None = None
    last_role: Role | None = None
    option: OrderOption = OrderOption.NONE
    source: str | None = None
    user: int | None = None
    account: int | None = None
    stop_id: int | None = None

    @property
    def average_price(self) -> Decimal | None:
        """``filled_value / filled_quantity``, or ``None`` before any fill."""
        if not self.filled_quantity:
            return None
        return self.filled_value / self.filled_quantity

    @property
    def time_in_force(self) -> TimeInForce:
        """From the option bits: IOC, FOK, post only (maker only), else good till canceled."""
        option = self.option
        if option & OrderOption.IMMEDIATE_OR_CANCEL:
            return TimeInForce.IOC
        if option & OrderOption.FILL_OR_KILL:
            return TimeInForce.FOK
        if option & OrderOption.MAKER_ONLY:
            return TimeInForce.POST_ONLY
        return TimeInForce.GTC


@attrs.frozen(kw_only=True)
class OrderUpdate:
    """An ``order.update`` push: what happened to an order, and the order after it (§5.16).

    Attributes:
        event: ``NEW``, ``UPDATE`` or ``FINISH`` (unknown values are kept).
        order: the order after the event.
    """

    event: OrderEvent
    order: Order

    @property
    def status(self) -> OrderStatus:
        """The derived status: ``FINISH`` with nothing remaining is filled, with a
        remainder cancelled; otherwise open, or partially filled once something filled."""
        order = self.order
        if self.event is OrderEvent.FINISH:
            return OrderStatus.FILLED if not order.remaining else OrderStatus.CANCELED
        return OrderStatus.PARTIALLY_FILLED if order.filled_quantity else OrderStatus.OPEN


@attrs.frozen(kw_only=True)
class OrdersPage:
    """One page of open orders (``order.query``, §5.15).

    Attributes:
        offset: index of the first record in the whole list.
        limit: the page size CoinEx applied.
        total: how many open orders match in all.
        records: the orders of this page.
    """

    offset: int
    limit: int
    total: int
    records: tuple[Order, ...]
