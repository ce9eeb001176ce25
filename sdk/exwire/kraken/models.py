"""Typed models of Kraken Spot WebSocket API v1 messages.

Field names are Python's and the field's terms; the wire names (``a``, ``vwap``,
``as``/``bs`` ...) live only in :mod:`exwire.kraken.converter`. Section numbers
refer to ``reference/protocols/kraken.md``.

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

import attrs

from exwire._core.codec import OpenEnum
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


@attrs.frozen
class Ticker:
    """A ticker update of one pair (§5.1, channel ``ticker``).

    "Today" is since 00:00 UTC; "24h" is the rolling last 24 hours.

    Attributes:
        ask_price: best ask price.
        ask_whole_lot_volume: volume at the best ask, in whole lots (integer).
        ask_lot_volume: volume at the best ask, in base asset.
        bid_price: best bid price.
        bid_whole_lot_volume: volume at the best bid, in whole lots (integer).
        bid_lot_volume: volume at the best bid, in base asset.
        last_trade_price: price of the last trade.
        last_trade_volume: volume of the last trade, in base asset.
        volume_today: traded volume today, in base asset.
        volume_24h: traded volume over the last 24 hours, in base asset.
        vwap_today: volume-weighted average price today.
        vwap_24h: volume-weighted average price over the last 24 hours.
        trade_count_today: number of trades today.
        trade_count_24h: number of trades over the last 24 hours.
        low_today: lowest trade price today.
        low_24h: lowest trade price over the last 24 hours.
        high_today: highest trade price today.
        high_24h: highest trade price over the last 24 hours.
        open_today: opening price today.
        open_24h: price 24 hours ago.
    """

    ask_price: Decimal
    ask_whole_lot_volume: int
    ask_lot_volume: Decimal
    bid_price: Decimal
    bid_whole_lot_volume: int
    bid_lot_volume: Decimal
    last_trade_price: Decimal
    last_trade_volume: Decimal
    volume_today: Decimal
    volume_24h: Decimal
    vwap_today: Decimal
    vwap_24h: Decimal
    trade_count_today: int
    trade_count_24h: int
    low_today: Decimal
    low_24h: Decimal
    high_today: Decimal
    high_24h: Decimal
    open_today: Decimal
    open_24h: Decimal


@attrs.frozen
class Trade:
    """One public trade (§5.3, channel ``trade``).

    Attributes:
        price: the trade's price.
        volume: the traded volume, in base asset.
        time: when the trade happened (aware UTC, microseconds).
        side: the taker's side.
        order_type: the taker order's type, ``MARKET`` or ``LIMIT``.
        misc: Kraken's miscellaneous info string, usually empty.
    """

    price: Decimal
    volume: Decimal
    time: datetime
    side: Side
    order_type: OrderType
    misc: str


@attrs.frozen
class Spread:
    """The best bid and ask of one pair (§5.4, channel ``spread``).

    Attributes:
        bid: best bid price.
        ask: best ask price.
        time: when the top of book changed (aware UTC, microseconds).
        bid_volume: volume at the best bid in base asset, or ``None`` when the
            message omits it (§5.4 documents five elements; shorter arrays are
            tolerated).
        ask_volume: volume at the best ask in base asset, or ``None`` when omitted.
    """

    bid: Decimal
    ask: Decimal
    time: datetime
    bid_volume: Decimal | None
    ask_volume: Decimal | None


@attrs.frozen
class Kline:
    """One kline (OHLC candle) update (§5.2, channel ``ohlc-<interval>``).

    The first message after subscribing is the last valid candle, even an old
    one; later messages update the running candle.

    Attributes:
        time: when the candle was last updated (aware UTC).
        end_time: when the candle's interval ends (aware UTC).
        open: first trade price of the interval.
        high: highest trade price of the interval.
        low: lowest trade price of the interval.
        close: last trade price of the interval so far.
        vwap: volume-weighted average price of the interval.
        volume: traded volume of the interval, in base asset.
        count: number of trades in the interval.
        interval: the candle's length (minutes), from the channel name.
    """

    time: datetime
    end_time: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    vwap: Decimal
    volume: Decimal
    count: int
    interval: KlineInterval


@attrs.frozen
class BookLevel:
    """One price level of a book snapshot or update (§5.5).

    Attributes:
        price: the level's price; keeps the exponent of the wire string, so
            ``format(price, "f")`` is that string (the checksum needs it).
        volume: the level's new total volume in base asset, wire exponent kept;
            zero means the level is deleted.
        time: when the level last changed (aware UTC, microseconds).
        republished: ``True`` for a level re-sent (``"r"``) because a level above
            it left the subscribed window; it is applied like any other level.
    """

    price: Decimal
    volume: Decimal
    time: datetime
    republished: bool = False


@attrs.frozen
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


@attrs.frozen
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


@attrs.frozen
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


@attrs.frozen
class OrderDescription:
    """The ``descr`` block of an order (§7.2); ``None`` where the update omits a field.

    Attributes:
        pair: the pair's wsname, e.g. ``"XBT/EUR"``.
        side: buy or sell.
        order_type: the order's type.
        price: the primary price (limit price, or trigger price for stop/take-profit orders).
        secondary_price: the secondary price (``price2``) of ``*-limit`` order types.
        leverage: Kraken's leverage text, e.g. ``"0:1"`` or ``"2:1"``.
        order: Kraken's human-readable description of the order.
        close: the human-readable conditional close order, empty if none.
    """

    pair: str | None = None
    side: Side | None = None
    order_type: OrderType | None = None
    price: Decimal | None = None
    secondary_price: Decimal | None = None
    leverage: str | None = None
    order: str | None = None
    close: str | None = None


@attrs.frozen
class OrderUpdate:
    """A new order, or a change to one, from the ``openOrders`` channel (§7.2).

    The first push after subscribing (sequence 1) lists every open order in
    full; later pushes carry a full order when it is new and only the changed
    fields otherwise (e.g. just ``status``), so every field but ``order_id`` is
    ``None`` when the update omits it: merge updates into the cached order by id.
    Times that Kraken sends as ``0`` ("not set") are ``None`` too.

    Attributes:
        order_id: Kraken's order id (txid), e.g. ``"OGTT3Y-C6I3P-XRI6HX"``.
        status: the order's status.
        reference_id: the id of the order that created this one (``refid``).
        user_reference: the caller's numeric tag (``userref``).
        client_order_id: the caller's client order id.
        open_time: when the order was placed (aware UTC).
        start_time: the scheduled start time.
        expire_time: the expiry time.
        description: pair, side, type and prices of the order.
        volume: the order's volume, in base asset (quote with ``VOLUME_IN_QUOTE``).
        volume_executed: the volume executed so far, in base asset.
        cost: the total cost of the executed part, in quote asset.
        fee: the total fee, in quote asset.
        average_price: the average price of the executed part.
        stop_price: the stop price (for trailing stops, the current trigger).
        limit_price: the triggered limit price.
        misc: Kraken's comma-separated miscellaneous info.
        flags: the order flags, in wire order.
        time_in_force: how long the order stays on the book.
        cancel_reason: why the order was cancelled.
        amended: whether the order was amended.
        rate_count: the rate counter after this update (``ratecounter`` subscriptions).
        last_updated: when the order last changed (aware UTC).
    """

    order_id: str
    status: OrderStatus | None = None
    reference_id: str | None = None
    user_reference: int | None = None
    client_order_id: str | None = None
    open_time: datetime | None = None
    start_time: datetime | None = None
    expire_time: datetime | None = None
    description: OrderDescription | None = None
    volume: Decimal | None = None
    volume_executed: Decimal | None = None
    cost: Decimal | None = None
    fee: Decimal | None = None
    average_price: Decimal | None = None
    stop_price: Decimal | None = None
    limit_price: Decimal | None = None
    misc: str | None = None
    flags: tuple[OrderFlag, ...] | None = None
    time_in_force: TimeInForce | None = None
    cancel_reason: str | None = None
    amended: bool | None = None
    rate_count: Decimal | None = None
    last_updated: datetime | None = None


@attrs.frozen
class OwnTrade:
    """One of the account's own trades, from the ``ownTrades`` channel (§7.1).

    The first push after subscribing holds the last 50 trades (unless the
    subscription asked for no snapshot); later pushes hold new fills.

    Attributes:
        trade_id: Kraken's trade id.
        order_id: the id of the order that traded (``ordertxid``).
        position_id: the id of the position (``postxid``).
        pair: the pair's wsname.
        time: when the trade happened (aware UTC, microseconds).
        side: buy or sell.
        order_type: the type of the order that traded.
        price: the average price of the trade.
        cost: the total cost, in quote asset.
        fee: the fee, in quote asset.
        volume: the traded volume, in base asset.
        margin: the initial margin, in quote asset.
        user_reference: the order's numeric tag, or ``None`` if absent.
        client_order_id: the order's client order id, or ``None`` if absent.
        margin_borrow: whether the trade was funded by borrowing, or ``None`` if absent.
        external_execution_id: Kraken's external execution id, or ``None`` if absent.
    """

    trade_id: str
    order_id: str
    position_id: str | None
    pair: str
    time: datetime
    side: Side
    order_type: OrderType
    price: Decimal
    cost: Decimal
    fee: Decimal
    volume: Decimal
    margin: Decimal | None = None
    user_reference: int | None = None
    client_order_id: str | None = None
    margin_borrow: bool | None = None
    external_execution_id: str | None = None


@attrs.frozen
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


@attrs.frozen
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


@attrs.frozen
class CancelAfterResult:
    """The reply to ``cancelAllOrdersAfter``, the dead man's switch (§8.5).

    Attributes:
        current_time: Kraken's clock when it took the request (aware UTC, whole seconds).
        trigger_time: when every open order will be cancelled unless the timer is
            refreshed (aware UTC, whole seconds), or ``None`` when the request disabled it.
    """

    current_time: datetime
    trigger_time: datetime | None
