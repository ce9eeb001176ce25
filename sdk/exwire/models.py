"""Exchange-neutral value types shared by every client.

Every class here is immutable (attrs ``frozen``; ``DataEvent`` a ``NamedTuple``) and
therefore safe to share between threads.
"""

from __future__ import annotations

import enum
import math
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Generic, NamedTuple, TypeVar

import attrs

from exwire.errors import ConfigurationError

__all__ = [
    "Credentials",
    "DataEvent",
    "UpdateType",
    "Side",
    "Level",
    "TopOfBook",
    "ConnectionEvent",
    "ConnectionState",
    "Overflow",
    "OrderType",
    "OrderStatus",
    "TimeInForce",
    "Ticker",
    "Trade",
    "Kline",
    "Balance",
    "Order",
    "Fill",
    "to_decimal",
    "decimal_to_wire",
]

T = TypeVar("T")


def _redacted(value: object) -> str:
    return "None" if value is None else "'***'"


@attrs.frozen
class Credentials:
    """API credentials. Secrets never appear in ``repr``, logs or exceptions.

    Attributes:
        key: the public API key (Binance API key, CoinEx access id, Coinsuper access key).
        secret: the shared secret for HMAC/MD5 signing, or ``None`` when ``private_key`` is used.
        private_key: a PEM-encoded Ed25519 or RSA private key (Binance), or ``None``.
        email: the account e-mail (Coinsuper only), or ``None``.
        passphrase: the passphrase chosen when the API key was created (OKX), or ``None``;
            redacted like ``secret``.
    """

    key: str = attrs.field(repr=lambda v: v[:4] + "..." if v else repr(v))
    secret: str | None = attrs.field(default=None, repr=_redacted)
    private_key: str | None = attrs.field(default=None, repr=_redacted)
    email: str | None = None
    passphrase: str | None = attrs.field(default=None, repr=_redacted)


class Overflow(enum.Enum):
    """What a full subscription queue does with a new update.

    ``DROP_OLDEST`` (default): the oldest queued update is discarded to make room. The
    reader never waits, so a slow callback never delays a reply, another
    subscription or the connection's liveness checks.
    ``LATEST``: only the newest update is kept (GUIs, Excel).
    ``BLOCK`` (opt-in): back-pressure on the whole connection. The reader waits for
    room, up to ``block_timeout``, and reads nothing else meanwhile (replies and
    other subscriptions wait too; the liveness deadlines are paused, not run down);
    past the bound the update is dropped.

    Under every policy a drop is counted (``Subscription.dropped``), reported once per
    episode (until the queue drains) to ``on_callback_error`` as ``SlowConsumer``, and
    announced on the next delivered event (``DataEvent.dropped_before``).
    """

    DROP_OLDEST = "drop_oldest"
    LATEST = "latest"
    BLOCK = "block"


class UpdateType(enum.Enum):
    """Whether an event replaces the state (``SNAPSHOT``) or changes it (``UPDATE``)."""

    SNAPSHOT = "snapshot"
    UPDATE = "update"


class Side(enum.Enum):
    """Order or trade side, from the taker's / order owner's point of view."""

    BUY = "buy"
    SELL = "sell"


class OrderType(enum.Enum):
    """An order's type, exchange-neutral (``client.shared``). ``OTHER``: see ``native``."""

    LIMIT = "limit"
    MARKET = "market"
    LIMIT_MAKER = "limit_maker"
    STOP_LOSS = "stop_loss"
    STOP_LOSS_LIMIT = "stop_loss_limit"
    TAKE_PROFIT = "take_profit"
    TAKE_PROFIT_LIMIT = "take_profit_limit"
    OTHER = "other"


class OrderStatus(enum.Enum):
    """An order's state, exchange-neutral. ``UNKNOWN``: the exchange's own value is in ``native``."""

    NEW = "new"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELED = "canceled"
    REJECTED = "rejected"
    EXPIRED = "expired"
    UNKNOWN = "unknown"


class TimeInForce(enum.Enum):
    """How long an order stays on the book: good till canceled, immediate or cancel,
    fill or kill, or post only (maker only: refused rather than taking liquidity)."""

    GTC = "gtc"
    IOC = "ioc"
    FOK = "fok"
    POST_ONLY = "post_only"


@attrs.frozen
class Level:
    """One price level of an order book.

    Attributes:
        price: price in quote asset per unit of base asset.
        quantity: total quantity at that price, in base asset.
    """

    price: Decimal
    quantity: Decimal


@attrs.frozen
class TopOfBook:
    """The best bid and ask of one symbol.

    Attributes:
        bid: the highest bid, or ``None`` when the exchange reported no bid.
        ask: the lowest ask, or ``None`` when the exchange reported no ask.
    """

    bid: Level | None
    ask: Level | None


class DataEvent(NamedTuple, Generic[T]):
    """One update delivered to a subscription's callback or iterator.

    An immutable record, safe to share between threads. It is a ``typing.NamedTuple``
    (fields by name, ``_replace``, ``_asdict``, ``==`` and ``hash`` over the fields) rather
    than an attrs class: the reader builds one per update and subscription, and a tuple
    is built about four times faster than a frozen attrs instance (see :doc:`/performance`).

    Attributes:
        data: the typed model of the update (see each ``subscribe_to_*`` docstring); on a
            client built with ``raw=True``, the frame's decoded JSON message instead
            (``dict``/``list``, see :doc:`/performance`).
        topic: the subscription's topic, e.g. ``"ticker:XBT/USD"``.
        symbol: the symbol the update is about, or ``None`` for account-wide streams.
        received_at: when the frame was read from the socket (aware UTC).
        update_type: ``SNAPSHOT`` or ``UPDATE``.
        raw: the original frame text when the client was built with ``keep_raw=True``, else ``None``.
        dropped_before: how many of this subscription's updates were dropped just
            before this one because its queue was full (the overflow policy); 0 normally.
    """

    data: T
    topic: str
    symbol: str | None
    received_at: datetime
    update_type: UpdateType = UpdateType.UPDATE
    raw: str | None = None
    dropped_before: int = 0

    def __repr__(self) -> str:  # the frame text (``raw``) is left out: it can be long
        return (f"DataEvent(data={self.data!r}, topic={self.topic!r}, symbol={self.symbol!r}, "
                f"received_at={self.received_at!r}, update_type={self.update_type!r}, "
                f"dropped_before={self.dropped_before!r})")


class ConnectionState(enum.Enum):
    """What happened to a connection, as reported to ``on_connection_event``."""

    CONNECTED = "connected"
    LOST = "lost"
    RECONNECTING = "reconnecting"
    RESTORED = "restored"
    CLOSED = "closed"


@attrs.frozen
class ConnectionEvent:
    """A change of a connection's state.

    Attributes:
        state: what happened.
        connection: the connection's name, e.g. ``"public"`` or ``"private"``.
        attempt: the reconnect attempt number (1-based) for ``RECONNECTING``, else 0.
        error: the cause of a ``LOST`` (or a failed attempt), else ``None``.
    """

    state: ConnectionState
    connection: str
    attempt: int = 0
    error: BaseException | None = None


def to_decimal(value: Any, name: str = "value") -> Decimal:
    """Convert user money input to ``Decimal``.

    Accepts ``Decimal``, ``str``, ``int`` or ``float`` (a float goes through its
    shortest repr, ``Decimal(repr(x))``, so ``0.1`` stays ``0.1``).

    Raises:
        ConfigurationError: for NaN, infinities, booleans, or text that is not a number.
    """
    if isinstance(value, bool):
        raise ConfigurationError(f"{name} must be a number, not a bool")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ConfigurationError(f"{name} must be finite, got {value!r}")
        result = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise ConfigurationError(f"{name} is not a number: {value!r}") from None
    else:
        raise ConfigurationError(f"{name} must be Decimal, str, int or float, got {type(value).__name__}")
    if not result.is_finite():
        raise ConfigurationError(f"{name} must be finite, got {value!r}")
    return result


def decimal_to_wire(value: Any, name: str = "value") -> str:
    """Format money for the wire: a plain decimal string, never exponent notation.

    Raises:
        ConfigurationError: as :func:`to_decimal`.
    """
    return format(to_decimal(value, name), "f")


# -- the neutral models of ``client.shared`` ----------------------------------------------
#
# Field names are the SDK's vocabulary; ``native`` is the exchange's own model (or the list
# of them) the value was made from, so nothing the exchange sent is lost. Every symbol is
# written ``BASE/QUOTE`` (``"BTC/USDT"``).


@attrs.frozen(kw_only=True)
class Ticker:
    """A ticker: best bid and ask, last trade and the window's statistics.

    Attributes:
        symbol: ``BASE/QUOTE``.
        bid_price, ask_price, last_price, open_price, high_price, low_price: prices in the
            quote asset, or ``None`` where the exchange does not send them.
        bid_quantity, ask_quantity, last_quantity: quantities in the base asset, or ``None``.
        volume: traded base asset over the ticker's window (usually 24 h), or ``None``.
        quote_volume: traded quote asset over the window, or ``None``.
        time: the exchange's time of the ticker (aware UTC), or ``None`` when it sends none.
        native: the exchange's own ticker model.
    """

    symbol: str
    bid_price: Decimal | None = None
    bid_quantity: Decimal | None = None
    ask_price: Decimal | None = None
    ask_quantity: Decimal | None = None
    last_price: Decimal | None = None
    last_quantity: Decimal | None = None
    open_price: Decimal | None = None
    high_price: Decimal | None = None
    low_price: Decimal | None = None
    volume: Decimal | None = None
    quote_volume: Decimal | None = None
    time: datetime | None = None
    native: object = attrs.field(default=None, repr=False, eq=False)


@attrs.frozen(kw_only=True)
class Trade:
    """One public trade.

    Attributes:
        symbol: ``BASE/QUOTE``.
        trade_id: the exchange's trade id as text, or ``None`` where it sends none (Kraken v1).
        price: in the quote asset. quantity: in the base asset.
        side: the taker's side, or ``None`` where the exchange does not say.
        time: when it traded (aware UTC).
        native: the exchange's own trade model.
    """

    symbol: str
    trade_id: str | None
    price: Decimal
    quantity: Decimal
    side: Side | None
    time: datetime
    native: object = attrs.field(default=None, repr=False, eq=False)


@attrs.frozen(kw_only=True)
class Kline:
    """One candle.

    Attributes:
        symbol: ``BASE/QUOTE``. interval: the candle's length.
        open_time: start of the candle (aware UTC). close_time: its end, or ``None``.
        open, high, low, close: prices in the quote asset.
        volume: base asset traded in the candle. quote_volume: quote asset, or ``None``.
        trade_count: trades in the candle, or ``None``.
        closed: whether the candle is final, or ``None`` where the exchange does not say.
        native: the exchange's own kline model.
    """

    symbol: str
    interval: timedelta
    open_time: datetime
    close_time: datetime | None
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    quote_volume: Decimal | None = None
    trade_count: int | None = None
    closed: bool | None = None
    native: object = attrs.field(default=None, repr=False, eq=False)


@attrs.frozen(kw_only=True)
class Balance:
    """One asset's balance.

    Attributes:
        asset: the asset as the exchange names it, upper case (``"BTC"``).
        free: available. locked: held by open orders (or frozen), or ``None`` when unknown.
        total: ``free + locked`` where both are known, else what the exchange reports.
        native: the exchange's own balance model.
    """

    asset: str
    free: Decimal
    locked: Decimal | None
    total: Decimal | None
    native: object = attrs.field(default=None, repr=False, eq=False)


@attrs.frozen(kw_only=True)
class Order:
    """An order, as placed, listed or updated.

    Attributes:
        order_id: the exchange's order id as text.
        client_order_id: the caller's id, or ``None``.
        symbol: ``BASE/QUOTE``, or ``None`` where an update does not say.
        side, order_type, status: neutral enums (the exchange's own values are in ``native``).
        price: limit price in the quote asset, or ``None`` (market orders).
        quantity: ordered base quantity, or ``None`` where unknown.
        filled_quantity: executed base quantity, or ``None``.
        average_price: average fill price, or ``None`` before any fill.
        time_in_force: or ``None`` where the exchange does not say.
        created_at, updated_at: aware UTC, or ``None``.
        native: the exchange's own order model.
    """

    order_id: str
    client_order_id: str | None = None
    symbol: str | None = None
    side: Side | None = None
    order_type: OrderType = OrderType.OTHER
    status: OrderStatus = OrderStatus.UNKNOWN
    price: Decimal | None = None
    quantity: Decimal | None = None
    filled_quantity: Decimal | None = None
    average_price: Decimal | None = None
    time_in_force: TimeInForce | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    native: object = attrs.field(default=None, repr=False, eq=False)


@attrs.frozen(kw_only=True)
class Fill:
    """One execution of one of the user's orders (an own trade).

    Attributes:
        trade_id: the exchange's trade id as text. order_id: the order it filled.
        symbol: ``BASE/QUOTE``, or ``None`` where the exchange does not say.
        side: the order's side. price: quote asset. quantity: base asset.
        fee: the fee charged, or ``None``. fee_asset: its asset, or ``None``.
        is_maker: whether the order was the maker, or ``None`` where not said.
        time: when it executed (aware UTC), or ``None``.
        native: the exchange's own model.
    """

    trade_id: str
    order_id: str
    symbol: str | None
    side: Side | None
    price: Decimal
    quantity: Decimal
    fee: Decimal | None = None
    fee_asset: str | None = None
    is_maker: bool | None = None
    time: datetime | None = None
    native: object = attrs.field(default=None, repr=False, eq=False)
