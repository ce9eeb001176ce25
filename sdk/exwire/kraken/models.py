"""Typed models of Kraken Spot WebSocket API v1 messages.

Field names are Python's and the field's terms; the wire names (``a``, ``vwap``,
``as``/``bs`` ...) live only in :mod:`exwire.kraken.converter`. Section numbers
refer to the protocol notes of :doc:`the Kraken page </exchanges/kraken>`.
Field names follow the SDK's vocabulary (``bid_price``, ``quantity``, ``open_time``,
``filled_quantity`` ...), so these models read like every other exchange's.

Units: prices are in quote asset per unit of base asset, volumes in base asset,
times are aware UTC ``datetime`` exact to the microsecond. Every model is an
attrs ``frozen`` class, immutable and safe to share between threads.

Enums derived from :class:`exwire._core.codec.OpenEnum` keep values this
version does not know: an unknown value becomes a pseudo-member whose ``value``
is the wire string and whose ``is_known`` is ``False``, so the message is still
delivered.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs

from exwire._core.codec import OpenEnum, epoch_to_datetime
from exwire.models import Side

__all__ = [
    "OrderType",
    "KlineInterval",
    "SystemState",
    "SubscriptionState",
    "Ticker",
    "Trade",
    "Spread",
    "Kline",
    "BookLevel",
    "BookUpdate",
    "SystemStatus",
    "SubscriptionStatus",
    "OrderStatus",
    "OrderFlag",
    "TimeInForce",
    "OrderDescription",
    "ContingentOrder",
    "OrderUpdate",
    "OwnTrade",
    "WebSocketToken",
    "PlacedOrder",
    "CancelAfterResult",
]


class OrderType(OpenEnum):
    """Kraken order types (§8.1). Public trades (§5.3) only carry ``MARKET`` or ``LIMIT``."""

    MARKET = "market"
    LIMIT = "limit"
    STOP_LOSS = "stop-loss"
    TAKE_PROFIT = "take-profit"
    STOP_LOSS_LIMIT = "stop-loss-limit"
    TAKE_PROFIT_LIMIT = "take-profit-limit"
    TRAILING_STOP = "trailing-stop"
    TRAILING_STOP_LIMIT = "trailing-stop-limit"
    SETTLE_POSITION = "settle-position"


class KlineInterval(enum.IntEnum):
    """The kline (OHLC) intervals Kraken offers, valued in minutes (§4.4).

    A closed ``IntEnum`` on purpose: the interval is chosen by the subscriber, so
    an unsupported value is a caller error (``ValueError``), not wire data to keep.
    """

    ONE_MINUTE = 1
    FIVE_MINUTES = 5
    FIFTEEN_MINUTES = 15
    THIRTY_MINUTES = 30
    ONE_HOUR = 60
    FOUR_HOURS = 240
    ONE_DAY = 1440
    ONE_WEEK = 10080
    FIFTEEN_DAYS = 21600


class SystemState(OpenEnum):
    """The trading engine's state reported by ``systemStatus`` (§4.3)."""

    ONLINE = "online"
    """Operating normally."""
    MAINTENANCE = "maintenance"
    """No new orders and no cancels."""
    CANCEL_ONLY = "cancel_only"
    """Cancels only; no matching."""
    POST_ONLY = "post_only"
    """Only post-only limit orders; no matching."""
    LIMIT_ONLY = "limit_only"
    """Only limit orders (listed in older schemas)."""


class OrderStatus(OpenEnum):
    """An order's status in ``openOrders`` updates (§7.2)."""

    PENDING = "pending"
    OPEN = "open"
    CLOSED = "closed"
    CANCELED = "canceled"
    EXPIRED = "expired"


class OrderFlag(OpenEnum):
    """Order flags (``oflags``, §8.1)."""

    POST_ONLY = "post"
    """Post-only limit order."""
    FEE_IN_BASE = "fcib"
    """Prefer the fee in the base asset."""
    FEE_IN_QUOTE = "fciq"
    """Prefer the fee in the quote asset."""
    NO_MARKET_PRICE_PROTECTION = "nompp"
    """Deprecated, ignored by Kraken."""
    VOLUME_IN_QUOTE = "viqc"
    """Order volume expressed in the quote asset."""


class TimeInForce(OpenEnum):
    """How long an order stays on the book (§8.1)."""

    GOOD_TILL_CANCELED = "GTC"
    GOOD_TILL_DATE = "GTD"
    IMMEDIATE_OR_CANCEL = "IOC"


class SubscriptionState(OpenEnum):
    """The ``status`` of a ``subscriptionStatus`` event (§4.6)."""

    SUBSCRIBED = "subscribed"
    UNSUBSCRIBED = "unsubscribed"
    ERROR = "error"


@attrs.frozen(kw_only=True)
class Ticker:
    """A ticker update of one pair (§5.1, channel ``ticker``).

    "Today" is since 00:00 UTC; "24h" is the rolling last 24 hours. The vocabulary's
    window-less names (``volume``, ``open_price``, ``high_price``, ``low_price``) are
    the rolling 24 hours; the ``*_today`` fields are since midnight UTC.

    Attributes:
        bid_price: best bid price.
        bid_quantity: quantity at the best bid, in base asset.
        bid_whole_lot_quantity: quantity at the best bid, in whole lots (integer).
        ask_price: best ask price.
        ask_quantity: quantity at the best ask, in base asset.
        ask_whole_lot_quantity: quantity at the best ask, in whole lots (integer).
        last_price: price of the last trade.
        last_quantity: quantity of the last trade, in base asset.
        volume: traded volume over the last 24 hours, in base asset.
        volume_today: traded volume today, in base asset.
        vwap_24h: volume-weighted average price over the last 24 hours.
        vwap_today: volume-weighted average price today.
        trade_count_24h: number of trades over the last 24 hours.
        trade_count_today: number of trades today.
        open_price: the price 24 hours ago.
        open_today: the opening price today.
        high_price: highest trade price over the last 24 hours.
        high_today: highest trade price today.
        low_price: lowest trade price over the last 24 hours.
        low_today: lowest trade price today.
    """

    bid_price: Decimal
    bid_quantity: Decimal
    bid_whole_lot_quantity: int
    ask_price: Decimal
    ask_quantity: Decimal
    ask_whole_lot_quantity: int
    last_price: Decimal
    last_quantity: Decimal
    volume: Decimal
    volume_today: Decimal
    vwap_24h: Decimal
    vwap_today: Decimal
    trade_count_24h: int
    trade_count_today: int
    open_price: Decimal
    open_today: Decimal
    high_price: Decimal
    high_today: Decimal
    low_price: Decimal
    low_today: Decimal


@attrs.frozen(kw_only=True)
class Trade:
    """One public trade (§5.3, channel ``trade``).

    Attributes:
        price: the trade's price.
        quantity: the traded quantity, in base asset.
        time: when the trade happened (aware UTC, microseconds).
        side: the taker's side.
        order_type: the taker order's type, ``MARKET`` or ``LIMIT``.
        misc: Kraken's miscellaneous info string, usually empty.
        trade_id: always ``None``: Kraken v1 trades carry no trade id (the field is the
            vocabulary's, so code written for another exchange reads it unchanged).
    """

    price: Decimal
    quantity: Decimal
    time: datetime
    side: Side
    order_type: OrderType
    misc: str
    trade_id: str | None = None


@attrs.frozen(kw_only=True)
class Spread:
    """The best bid and ask of one pair (§5.4, channel ``spread``).

    Attributes:
        bid_price: best bid price.
        ask_price: best ask price.
        time: when the top of book changed (aware UTC, microseconds).
        bid_quantity: quantity at the best bid in base asset, or ``None`` when the
            message omits it (§5.4 documents five elements; shorter arrays are
            tolerated).
        ask_quantity: quantity at the best ask in base asset, or ``None`` when omitted.
    """

    bid_price: Decimal
    ask_price: Decimal
    time: datetime
    bid_quantity: Decimal | None
    ask_quantity: Decimal | None


@attrs.frozen(kw_only=True)
class Kline:
    """One kline (OHLC candle) update (§5.2, channel ``ohlc-<interval>``).

    The first message after subscribing is the last valid candle, even an old
    one; later messages update the running candle.

    Attributes:
        open_time: when the candle's interval starts (aware UTC; ``close_time``
            minus the interval).
        close_time: when the candle's interval ends (aware UTC; Kraken's ``etime``).
        updated_at: when the candle was last updated (aware UTC; Kraken's ``time``).
        open: first trade price of the interval.
        high: highest trade price of the interval.
        low: lowest trade price of the interval.
        close: last trade price of the interval so far.
        vwap: volume-weighted average price of the interval.
        volume: traded volume of the interval, in base asset.
        trade_count: number of trades in the interval.
        interval: the candle's length (minutes), from the channel name.
    """

    open_time: datetime
    close_time: datetime
    updated_at: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    vwap: Decimal
    volume: Decimal
    trade_count: int
    interval: KlineInterval


@attrs.frozen(kw_only=True)
class BookLevel:
    """One price level of a book snapshot or update (§5.5).

    Attributes:
        price: the level's price; keeps the exponent of the wire string, so
            ``format(price, "f")`` is that string (the checksum needs it).
        quantity: the level's new total quantity in base asset, wire exponent kept;
            zero means the level is deleted.
        time: when the level last changed (aware UTC, microseconds).
        republished: ``True`` for a level re-sent (``"r"``) because a level above
            it left the subscribed window; it is applied like any other level.
    """

    price: Decimal
    quantity: Decimal
    time: datetime
    republished: bool = False


#: BookLevel's slot member descriptors, by field name (the decoder writes them directly).
_BOOK_LEVEL_SLOTS: dict[str, Any] = {field.name: BookLevel.__dict__[field.name] for field in attrs.fields(BookLevel)}


def _install_lazy_book_level_time() -> None:
    """Let :attr:`BookLevel.time` hold its wire text until first read.

    A book snapshot carries hundreds of levels whose times are rarely read, and turning
    each epoch string into a ``datetime`` is most of a level's decoding. The decoder
    (:func:`exwire.kraken.converter.book_from_wire`) may store the wire text itself,
    once it checked the text converts without error; the first read of ``time``
    (attribute access, ``==``, ``hash``, ``repr``, pickling: attrs reads fields by
    attribute) converts it and keeps the ``datetime``. Every reader sees a
    ``datetime``; the instance stays frozen to users (attrs' ``__setattr__`` refuses).
    """
    slot = _BOOK_LEVEL_SLOTS["time"]
    read, write = slot.__get__, slot.__set__

    def time(self: BookLevel) -> datetime:
        value = read(self)
        if type(value) is str:
            value = epoch_to_datetime(value)
            write(self, value)
        return value  # type: ignore[no-any-return]

    time.__doc__ = "When the level last changed (aware UTC, microseconds)."
    BookLevel.time = property(time, write)  # type: ignore[assignment]


_install_lazy_book_level_time()


@attrs.frozen(kw_only=True)
class BookUpdate:
    """A book snapshot or update of one pair (§5.5, channel ``book-<depth>``).

    Both forms share this model: a snapshot (the first message after
    subscribing) replaces the whole book and carries no checksum; an update
    changes the listed levels, in order, and carries the checksum of the book
    after applying it and truncating to depth. Apply one with
    :func:`exwire.kraken.book.apply`.

    Attributes:
        asks: ask levels in wire order (ascending price in a snapshot; in an
            update the same price may appear more than once, the last wins).
        bids: bid levels in wire order (descending price in a snapshot).
        checksum: the CRC32 (unsigned 32-bit) of the top 10 levels per side after
            this update, or ``None`` for a snapshot.
        is_snapshot: ``True`` when this replaces the book, ``False`` for an update.
    """

    asks: tuple[BookLevel, ...]
    bids: tuple[BookLevel, ...]
    checksum: int | None
    is_snapshot: bool = False


@attrs.frozen(kw_only=True)
class SystemStatus:
    """The engine's status, sent on connect and on every change (§4.3).

    Attributes:
        connection_id: Kraken's id of this connection (unsigned 64-bit), or
            ``None`` if the message lacks it.
        status: the engine's state; unknown states are kept.
        version: the API version string, e.g. ``"1.9.1"``.
    """

    connection_id: int | None
    status: SystemState
    version: str


@attrs.frozen(kw_only=True)
class SubscriptionStatus:
    """The reply to a subscribe or unsubscribe request, one per pair (§4.6).

    Attributes:
        status: ``SUBSCRIBED``, ``UNSUBSCRIBED`` (also sent unsolicited) or ``ERROR``.
        channel_name: e.g. ``"book-10"``, ``"ohlc-5"``, ``"ticker"``, or ``None``
            on errors that echo no channel.
        pair: the pair's wsname (``"XBT/USD"``), or ``None`` for private channels
            and errors that echo none.
        request_id: the request's ``reqid`` echoed back, or ``None``.
        name: the subscription's name (``"book"``, ``"ohlc"`` ...), or ``None``.
        depth: the book depth in levels, or ``None`` if not a book subscription.
        interval: the kline interval in minutes, or ``None`` if not an ohlc one.
        max_rate_count: the trading rate counter's ceiling (``openOrders`` with
            ``ratecounter``), or ``None``.
        error_message: Kraken's error text when ``status`` is ``ERROR``, else ``None``.
        channel_id: the deprecated numeric channel id, or ``None``.
    """

    status: SubscriptionState
    channel_name: str | None = None
    pair: str | None = None
    request_id: int | None = None
    name: str | None = None
    depth: int | None = None
    interval: int | None = None
    max_rate_count: int | None = None
    error_message: str | None = None
    channel_id: int | None = None


@attrs.frozen(kw_only=True)
class OrderDescription:
    """The ``descr`` block of an order (§7.2); ``None`` where the update omits a field.

    :class:`OrderUpdate` repeats ``symbol``, ``side``, ``order_type``, ``price`` and
    ``secondary_price`` from here under the vocabulary's names.

    Attributes:
        pair: the pair's wsname, e.g. ``"XBT/EUR"``.
        side: buy or sell.
        order_type: the order's type.
        price: the primary price (limit price, or trigger price for stop/take-profit orders).
        secondary_price: the secondary price (``price2``) of ``*-limit`` order types.
        leverage: Kraken's leverage text, e.g. ``"0:1"`` or ``"2:1"``.
        order: Kraken's human-readable description of the order.
        close: the human-readable conditional close order, empty if none.
        position: the id of the margin position the order belongs to (``position``).
    """

    pair: str | None = None
    side: Side | None = None
    order_type: OrderType | None = None
    price: Decimal | None = None
    secondary_price: Decimal | None = None
    leverage: str | None = None
    order: str | None = None
    close: str | None = None
    position: str | None = None


@attrs.frozen(kw_only=True)
class ContingentOrder:
    """The conditional close order attached to an order (``contingent``, §7.2).

    Attributes:
        order_type: the close order's type.
        price: its primary price.
        secondary_price: its secondary price (``price2``).
        flags: its order flags, in wire order.
    """

    order_type: OrderType | None = None
    price: Decimal | None = None
    secondary_price: Decimal | None = None
    flags: tuple[OrderFlag, ...] | None = None


@attrs.frozen(kw_only=True)
class OrderUpdate:
    """A new order, or a change to one, from the ``openOrders`` channel (§7.2).

    The first push after subscribing lists every open order in full; later pushes
    carry a full order when it is new and only the changed fields otherwise (e.g.
    just ``status``), so every field but ``order_id`` and ``sequence`` is ``None``
    when the update omits it: merge updates into the cached order by id. Times that
    Kraken sends as ``0`` ("not set") are ``None`` too.

    Attributes:
        order_id: Kraken's order id (txid), e.g. ``"OGTT3Y-C6I3P-XRI6HX"``.
        client_order_id: the caller's client order id (``cl_ord_id``).
        symbol: the pair's wsname (``descr.pair``).
        side: buy or sell (``descr.type``).
        order_type: the order's type (``descr.ordertype``).
        status: the order's status.
        price: the primary price (``descr.price``: limit or trigger price).
        secondary_price: the secondary price (``descr.price2``).
        quantity: the order's quantity, in base asset (quote with ``VOLUME_IN_QUOTE``).
        filled_quantity: the quantity executed so far, in base asset.
        average_price: the average price of the executed part.
        time_in_force: how long the order stays on the book.
        created_at: when the order was placed (aware UTC, ``opentm``).
        updated_at: when the order last changed (aware UTC, ``lastupdated``).
        sequence: the ``sequence`` number of the push that carried this update.
        reference_id: the id of the order that created this one (``refid``).
        user_reference: the caller's numeric tag (``userref``).
        external_order_id: the external partner's order id (``ext_ord_id``).
        start_time: the scheduled start time.
        expire_time: the expiry time.
        description: the whole ``descr`` block (leverage, Kraken's texts, position).
        display_quantity: the reload quantity of an iceberg order (``display_volume``).
        display_quantity_remaining: the visible quantity left in the book of an iceberg
            order (``display_volume_remain``).
        contingent: the conditional close order, if one is attached.
        cost: the total cost of the executed part, in quote asset.
        fee: the total fee, in quote asset.
        stop_price: the stop price (for trailing stops, the current trigger).
        limit_price: the triggered limit price.
        misc: Kraken's comma-separated miscellaneous info.
        flags: the order flags, in wire order.
        cancel_reason: why the order was cancelled.
        amended: whether the order was amended.
        rate_count: the rate counter after this update (``ratecounter`` subscriptions).
    """

    order_id: str
    client_order_id: str | None = None
    symbol: str | None = None
    side: Side | None = None
    order_type: OrderType | None = None
    status: OrderStatus | None = None
    price: Decimal | None = None
    secondary_price: Decimal | None = None
    quantity: Decimal | None = None
    filled_quantity: Decimal | None = None
    average_price: Decimal | None = None
    time_in_force: TimeInForce | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    sequence: int | None = None
    reference_id: str | None = None
    user_reference: int | None = None
    external_order_id: str | None = None
    start_time: datetime | None = None
    expire_time: datetime | None = None
    description: OrderDescription | None = None
    display_quantity: Decimal | None = None
    display_quantity_remaining: Decimal | None = None
    contingent: ContingentOrder | None = None
    cost: Decimal | None = None
    fee: Decimal | None = None
    stop_price: Decimal | None = None
    limit_price: Decimal | None = None
    misc: str | None = None
    flags: tuple[OrderFlag, ...] | None = None
    cancel_reason: str | None = None
    amended: bool | None = None
    rate_count: Decimal | None = None


@attrs.frozen(kw_only=True)
class OwnTrade:
    """One of the account's own trades, from the ``ownTrades`` channel (§7.1).

    The first push after subscribing holds the last 50 trades (unless the
    subscription asked for no snapshot); later pushes hold new fills.

    Attributes:
        trade_id: Kraken's trade id.
        order_id: the id of the order that traded (``ordertxid``).
        symbol: the pair's wsname.
        side: buy or sell.
        price: the average price of the trade.
        quantity: the traded quantity, in base asset.
        fee: the fee, in quote asset.
        time: when the trade happened (aware UTC, microseconds).
        sequence: the ``sequence`` number of the push that carried this trade.
        position_id: the id of the position (``postxid``).
        order_type: the type of the order that traded.
        cost: the total cost, in quote asset.
        margin: the initial margin, in quote asset.
        user_reference: the order's numeric tag, or ``None`` if absent.
        client_order_id: the order's client order id, or ``None`` if absent.
        margin_borrow: whether the trade was funded by borrowing, or ``None`` if absent.
        external_execution_id: Kraken's external execution id, or ``None`` if absent.
    """

    trade_id: str
    order_id: str
    symbol: str
    side: Side
    price: Decimal
    quantity: Decimal
    fee: Decimal
    time: datetime
    sequence: int | None = None
    position_id: str | None = None
    order_type: OrderType
    cost: Decimal
    margin: Decimal | None = None
    user_reference: int | None = None
    client_order_id: str | None = None
    margin_borrow: bool | None = None
    external_execution_id: str | None = None


@attrs.frozen(kw_only=True)
class WebSocketToken:
    """A token for Kraken's private WebSocket endpoint, from ``GetWebSocketsToken`` (§6.1).

    Use it within ``lifetime`` seconds; once a private subscription used it, it stays
    valid as long as that connection lives. The token is a credential: it never
    appears in ``repr``.

    Attributes:
        token: the token text (sent in ``subscription.token`` and in trading requests).
        lifetime: seconds it may wait before its first use (Kraken says 900).
        expires_at: when it expires if still unused (aware UTC, from the local clock
            when the reply arrived).
    """

    token: str = attrs.field(repr=lambda value: "'***'")
    lifetime: float
    expires_at: datetime


@attrs.frozen(kw_only=True)
class PlacedOrder:
    """The reply to ``addOrder`` (§8.1).

    Attributes:
        order_id: Kraken's order id (txid), or ``None`` for a validate-only order,
            which Kraken checks but does not place.
        description: Kraken's human-readable description, e.g.
            ``"buy 0.01770000 XBTUSD @ limit 4000"``; ``None`` if absent.
        client_order_id: the ``cl_ord_id`` Kraken echoed, or ``None``.
        user_reference: the ``userref`` the order was placed with, or ``None``.
    """

    order_id: str | None
    description: str | None
    client_order_id: str | None = None
    user_reference: int | None = None


@attrs.frozen(kw_only=True)
class CancelAfterResult:
    """The reply to ``cancelAllOrdersAfter``, the dead man's switch (§8.5).

    Attributes:
        current_time: Kraken's clock when it took the request (aware UTC, whole seconds).
        trigger_time: when every open order will be cancelled unless the timer is
            refreshed (aware UTC, whole seconds), or ``None`` when the request disabled it.
    """

    current_time: datetime
    trigger_time: datetime | None
