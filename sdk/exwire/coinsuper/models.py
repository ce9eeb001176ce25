"""Typed models of Coinsuper's MQTT payloads (the "WebSocket API" document, §3 topics).

Field names are Python's; the wire names (``limitPrice``, ``utcDeal`` ...) live only
in :mod:`exwire.coinsuper.converter`. Prices are in quote currency per unit of base
currency, quantities in base currency, times are aware UTC ``datetime`` (the wire
sends epoch milliseconds). Ids (``orderNo``, ``dealNo``, ``userNo``) stay strings:
they are 19-digit numbers. Symbols use the slash form ``"BTC/USD"``.

Every model is an attrs ``frozen(kw_only=True)`` class, immutable and safe to share
between threads, built by keyword; field names follow the SDK's vocabulary (``time``,
``order_id``, ``trade_id``, ``asset``/``free``/``locked``/``total`` ...).
Enums derived from :class:`exwire._core.codec.OpenEnum` keep values this version
does not know (``is_known`` is then ``False``).

Section numbers (§) refer to the protocol notes of :doc:`the Coinsuper page </exchanges/coinsuper>`.
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs

from exwire._core.codec import OpenEnum
from exwire._core.lazy import lazy_model
from exwire.models import Level, Side

__all__ = [
    "OrderBookStep",
    "KlineInterval",
    "OrderState",
    "OrderType",
    "MatchType",
    "DepthLevel",
    "MarketDepth",
    "OrderBookSnapshot",
    "Kline",
    "Trade",
    "Balance",
    "BalanceUpdate",
    "OrderUpdate",
    "UserTrade",
]

class OrderBookStep(enum.Enum):
    """Price aggregation steps of the order book topic (§3.2), valued as the topic spells them.

    ``ONE``, ``TENTH`` and ``HUNDREDTH`` apply to fiat-quoted pairs (``BTC/USD``); the
    others to crypto-quoted pairs (``ETC/BTC``). Closed on purpose: the step is chosen by
    the subscriber, so an unsupported one is a caller error.
    """

    ONE = "1.0"
    TENTH = "0.1"
    HUNDREDTH = "0.01"
    TEN_THOUSANDTH = "0.0001"
    MILLIONTH = "0.000001"
    HUNDRED_MILLIONTH = "0.00000001"

    @property
    def size(self) -> Decimal:
        """The step as a number, e.g. ``Decimal("0.01")``."""
        return Decimal(self.value)


class KlineInterval(enum.IntEnum):
    """Kline (candle) lengths of the kline topic, valued in milliseconds as the topic carries them (§3.3).

    The doc labels 604800000 "1 Month" but it is 7 days: it is ``ONE_WEEK`` here.
    """

    ONE_MINUTE = 60_000
    FIVE_MINUTES = 300_000
    FIFTEEN_MINUTES = 900_000
    THIRTY_MINUTES = 1_800_000
    ONE_HOUR = 3_600_000
    TWO_HOURS = 7_200_000
    FOUR_HOURS = 14_400_000
    SIX_HOURS = 21_600_000
    TWELVE_HOURS = 43_200_000
    ONE_DAY = 86_400_000
    ONE_WEEK = 604_800_000

    @property
    def seconds(self) -> float:
        """The candle length in seconds."""
        return self.value / 1000

    @property
    def length(self) -> timedelta:
        """The candle length as a ``timedelta``."""
        return timedelta(milliseconds=self.value)


class OrderState(OpenEnum):
    """An order's state in order-status updates (§3.6): only creation and cancellation are pushed."""

    NEW = "NEW"
    CANCEL = "CANCEL"


class OrderType(OpenEnum):
    """The order type of a fill (§3.7)."""

    MARKET = "MKT"
    LIMIT = "LMT"


class MatchType(OpenEnum):
    """Whether a fill was passive (``MAKER``) or active (``TAKER``) (§3.7)."""

    MAKER = "MAKER"
    TAKER = "TAKER"


@attrs.frozen(kw_only=True)
class DepthLevel:
    """One bucket of the depth chart (§3.1).

    Attributes:
        price: the bucket's price.
        quantity: the **cumulative** quantity from the best price up to this bucket, in
            base currency (inferred from the doc's sample: it rises away from the mid).
    """

    price: Decimal
    quantity: Decimal


@attrs.frozen(kw_only=True)
class MarketDepth:
    """Depth-chart data of one pair, a full replacement on each update (§3.1).

    Attributes:
        symbol: the pair, e.g. ``"BTC/USD"``.
        asks: buckets above the mid, nearest first (50 in production).
        bids: buckets below the mid, nearest first.
        depth_percent: the depth percentage parameter (``0.01`` in the doc's sample).
        best_ask: the lowest ask price (``asksMinPrice``), or ``None`` if absent.
        best_bid: the highest bid price (``bidsMaxPrice``), or ``None`` if absent.
    """

    symbol: str
    asks: tuple[DepthLevel, ...]
    bids: tuple[DepthLevel, ...]
    depth_percent: Decimal | None
    best_ask: Decimal | None
    best_bid: Decimal | None


@attrs.frozen(kw_only=True)
class OrderBookSnapshot:
    """The top of one pair's order book at one aggregation step; each update replaces the book (§3.2).

    A received snapshot holds each side's prices and quantities, checked on receipt
    (decoded, or kept as their wire texts once checked to be plain decimal numbers), and
    builds its ``Level`` tuple on first read (``asks``/``bids``), once: the value,
    equality, hash and repr are those of the eagerly built model.
    :attr:`best_bid`/:attr:`best_ask` build one level only. A snapshot pushed in the
    broker's usual form is not even decoded on the reader thread: it is checked there
    and decoded on the first read of any field, on the reading thread (usually the
    callback's lane); it is then an instance of a private subclass (``isinstance``
    holds; pickling or copying gives a plain snapshot).

    Attributes:
        symbol: the pair, e.g. ``"BTC/USD"``.
        step: the aggregation step.
        asks: levels by ascending price (``limitPrice``, ``quantity``).
        bids: levels by descending price.
        limit_size: the number of levels pushed per side (15 in production), or ``None``.
        time: when the exchange built the snapshot (``timestamp``), or ``None``.
    """

    symbol: str
    step: OrderBookStep | str
    asks: tuple[Level, ...]
    bids: tuple[Level, ...]
    limit_size: int | None
    time: datetime | None

    @property
    def best_bid(self) -> Level | None:
        """The first bid level (the highest price), or ``None`` when there is none."""
        return _first_level(self, "bids")

    @property
    def best_ask(self) -> Level | None:
        """The first ask level (the lowest price), or ``None`` when there is none."""
        return _first_level(self, "asks")

    @classmethod
    def _from_wire(cls, *, symbol: str, step: OrderBookStep | str, asks: list[Any], bids: list[Any],
                   limit_size: int | None, time: datetime | None,
                   texts: Callable[[Any], tuple[str, str]] | None = None) -> OrderBookSnapshot:
        """A snapshot whose sides are decoded ``(price, quantity)`` pairs, made ``Level``s on first read.

        With ``texts``, each side is a list of wire levels and ``texts(level)`` their
        ``(price, quantity)`` texts, which the converter checked to be plain decimal numbers
        (ASCII digits, at most one point inside): their ``Decimal`` are made on first read too.
        """
        book = object.__new__(cls)
        put = object.__setattr__  # through the sides' descriptors: frozen for users, not here
        put(book, "symbol", symbol)
        put(book, "step", step)
        put(book, "asks", _WireLevels(asks, texts))
        put(book, "bids", _WireLevels(bids, texts))
        put(book, "limit_size", limit_size)
        put(book, "time", time)
        return book


class _WireLevels:
    """One side of a received snapshot whose ``Level`` objects are not built yet: its
    ``(price, quantity)`` pairs, already decoded (and so validated) by the converter, or
    its wire levels and how to read their texts (``texts``), already checked to be plain
    decimal numbers."""

    __slots__ = ("pairs", "texts")

    def __init__(self, pairs: list[Any], texts: Callable[[Any], tuple[str, str]] | None = None) -> None:
        self.pairs = pairs  # (Decimal, Decimal) pairs, or wire levels with texts
        self.texts = texts


def _levels(wire: _WireLevels) -> tuple[Level, ...]:
    if wire.texts is not None:
        numbers = map(Decimal, itertools.chain.from_iterable(map(wire.texts, wire.pairs)))
        return tuple(map(Level, numbers, numbers))  # each Level takes the next price, then its quantity
    return tuple(itertools.starmap(Level, wire.pairs))


class _LazySide:
    """The ``asks``/``bids`` slot of :class:`OrderBookSnapshot`, decoding wire levels on first read.

    Wraps attrs' slot descriptor: a stored ``_WireLevels`` is replaced by its ``Level``
    tuple the first time it is read (two threads reading at once both decode, to equal
    tuples); anything else is returned as stored.
    """

    __slots__ = ("_slot",)

    def __init__(self, slot: Any) -> None:
        self._slot = slot

    def __get__(self, book: Any, owner: Any = None) -> Any:
        if book is None:
            return self._slot
        value = self._slot.__get__(book, owner)
        if type(value) is _WireLevels:
            value = _levels(value)
            self._slot.__set__(book, value)
        return value

    def __set__(self, book: Any, value: Any) -> None:
        self._slot.__set__(book, value)

    def __delete__(self, book: Any) -> None:
        self._slot.__delete__(book)


def _first_level(book: OrderBookSnapshot, side: str) -> Level | None:
    slot = _SIDE_SLOTS[side]
    try:
        value = slot.__get__(book, OrderBookSnapshot)  # as stored: no Level tuple built
    except AttributeError:  # a snapshot decoded on first read, not decoded yet
        book.symbol  # noqa: B018 - decodes it; its sides stay unbuilt
        value = slot.__get__(book, OrderBookSnapshot)
    if type(value) is _WireLevels:
        pairs = value.pairs
        if not pairs:
            return None
        texts = value.texts
        if texts is None:
            return Level(*pairs[0])
        price, quantity = texts(pairs[0])
        return Level(Decimal(price), Decimal(quantity))
    levels: tuple[Level, ...] = value
    return levels[0] if levels else None


_SIDE_SLOTS: dict[str, Any] = {"asks": OrderBookSnapshot.__dict__["asks"], "bids": OrderBookSnapshot.__dict__["bids"]}
OrderBookSnapshot.asks = _LazySide(_SIDE_SLOTS["asks"])  # type: ignore[assignment]
OrderBookSnapshot.bids = _LazySide(_SIDE_SLOTS["bids"])  # type: ignore[assignment]


_SNAPSHOT_PLAIN = tuple(field.name for field in attrs.fields(OrderBookSnapshot) if field.name not in _SIDE_SLOTS)
_SNAPSHOT_SIDES = tuple(_SIDE_SLOTS.items())


def _fill_snapshot(book: Any, eager: OrderBookSnapshot) -> None:
    """Set a lazy snapshot's fields from the decoded one: its sides as stored (unbuilt stay unbuilt)."""
    put = object.__setattr__  # through the sides' descriptors: frozen for users, not here
    for side, slot in _SNAPSHOT_SIDES:
        put(book, side, slot.__get__(eager, OrderBookSnapshot))
    for field in _SNAPSHOT_PLAIN:
        put(book, field, object.__getattribute__(eager, field))


def lazy_order_book_snapshots(decode: Callable[[Any], OrderBookSnapshot]) -> Callable[[Any], OrderBookSnapshot]:
    """A factory ``make(wire) -> OrderBookSnapshot`` whose snapshots run ``decode(wire)`` on first field read.

    The instances are of a private subclass of :class:`OrderBookSnapshot` that keeps
    ``wire`` (the converter checked it: ``decode`` cannot fail on it) and sets every
    field from ``decode(wire)`` the first time one is read, on whichever thread reads it.
    The sides are taken as that snapshot stores them, so their ``Level`` tuples are
    still built on their own first read (:attr:`OrderBookSnapshot.best_bid` builds one
    level). As :func:`exwire._core.lazy.lazy_model` does for other models:
    ``isinstance`` holds, ``repr``, ``==`` and ``hash`` are the eager model's (in both
    directions), ``attrs.fields``/``asdict``/``evolve`` work, the instance is frozen,
    and pickling or copying gives a plain snapshot. Two threads reading a fresh
    snapshot at once may both decode it; both set equal values.
    """
    return lazy_model(OrderBookSnapshot, decode, fill=_fill_snapshot)


@attrs.frozen(kw_only=True)
class Kline:
    """The running candle of one pair and interval (§3.3); upsert by ``open_time``.

    Attributes:
        symbol: the pair.
        interval: the candle length (from the topic).
        open_time: the candle's start (``timestamp``).
        close_time: the candle's end, ``open_time + interval`` (not sent; computed).
        open, high, low, close: prices (``first``, ``max``, ``min``, ``last``).
        volume: traded quantity in base currency (``quantity``).
    """

    symbol: str
    interval: KlineInterval | int
    open_time: datetime
    close_time: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal


@attrs.frozen(kw_only=True)
class Trade:
    """One public trade (§3.4).

    Attributes:
        symbol: the pair.
        trade_id: always ``None``: Coinsuper sends no trade id.
        price: trade price.
        quantity: trade quantity in base currency.
        side: the taker's side (``action``).
        time: when the trade happened (``timestamp``).
    """

    symbol: str
    trade_id: str | None = None
    price: Decimal
    quantity: Decimal
    side: Side
    time: datetime


@attrs.frozen(kw_only=True)
class Balance:
    """One currency's balance after a change (§3.5).

    Attributes:
        asset: the currency, e.g. ``"BTC"`` (``currency``).
        free: the part free to trade (``available``).
        locked: the part held by open orders: ``total - free``, computed exactly (not
            sent by Coinsuper; the 30-decimal balances need more than the default
            28-digit decimal context).
        total: total balance.
        updated_at: when the balance last changed (``utcUpdate``), or ``None``.
    """

    asset: str
    free: Decimal
    locked: Decimal
    total: Decimal
    updated_at: datetime | None


@attrs.frozen(kw_only=True)
class BalanceUpdate:
    """The changed balances of the account (§3.5).

    Attributes:
        balances: the changed currencies only.
        user_no: Coinsuper's user number (a string of digits), or ``None``.
        email: the account e-mail, or ``None``.
        time: when the exchange queried the balances (``timestamp``), or ``None``.
    """

    balances: tuple[Balance, ...]
    user_no: str | None
    email: str | None
    time: datetime | None


@attrs.frozen(kw_only=True)
class OrderUpdate:
    """An order was created or cancelled (§3.6). The doc gives no sample: absent fields are ``None``.

    Attributes:
        order_id: the order number (``orderNo``, a string of digits).
        symbol: the pair, or ``None``.
        status: ``NEW`` or ``CANCEL`` (``state``; unknown values are kept).
        side: buy or sell, or ``None``.
        quantity: order quantity in base currency; ``quantity_remaining`` what is left.
        filled_quantity: ``quantity - quantity_remaining`` when both are sent, else ``None``.
        price: the limit price (``priceLimit``).
        average_price: average fill price (``priceAverage``).
        amount: order value in quote currency; ``amount_remaining`` what is left.
        fee: fee charged so far.
        created_at, updated_at: ``utcCreate`` / ``utcUpdate``.
    """

    order_id: str
    symbol: str | None
    status: OrderState | None
    side: Side | None
    quantity: Decimal | None
    quantity_remaining: Decimal | None
    filled_quantity: Decimal | None
    price: Decimal | None
    average_price: Decimal | None
    amount: Decimal | None
    amount_remaining: Decimal | None
    fee: Decimal | None
    created_at: datetime | None
    updated_at: datetime | None


@attrs.frozen(kw_only=True)
class UserTrade:
    """One fill of the account's order (§3.7). The fee is not sent.

    Attributes:
        trade_id: the trade id (``dealNo``, a string of digits).
        order_id: the order id (``orderNo``).
        symbol: the pair.
        side: the order's side.
        order_type: market or limit.
        match_type: maker or taker, as sent (unknown values are kept).
        is_maker: ``match_type`` as a flag, ``None`` when absent or unknown.
        price: fill price.
        quantity: fill quantity in base currency.
        time: when the fill happened (``utcDeal``).
    """

    trade_id: str
    order_id: str
    symbol: str
    side: Side
    order_type: OrderType | None
    match_type: MatchType | None
    is_maker: bool | None
    price: Decimal
    quantity: Decimal
    time: datetime
