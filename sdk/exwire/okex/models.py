"""Typed models of OKEx spot WebSocket API v1 messages.

Field names are exwire's vocabulary (``bid_price``, ``quantity``, ``locked`` ...); the
wire names (``buy``/``sell`` for best bid/ask, ``tradeAmount``, ``freezed`` ...) live
only in :mod:`exwire.okex.converter`. Section numbers (§) are those of the protocol notes of
:doc:`the OKEx page </exchanges/okex>`, drawn from OKEx's v1 spot WebSocket document
(``API-For-Spot-EN``, "WebSocket API for SPOT").

Units: prices are in quote asset per unit of base asset, quantities in base
asset, times are aware UTC ``datetime`` (OKEx sends epoch milliseconds, and a bare
UTC+8 time of day for trades). Order ids are Python ``int`` (they exceed 2^32, §6.6).
Every model is an attrs ``frozen(kw_only=True)`` class, built by keyword, immutable
and safe to share between threads.

Enums derived from :class:`exwire._core.codec.OpenEnum` keep values this
version does not know: an unknown value becomes a pseudo-member whose ``value``
is the wire value and whose ``is_known`` is ``False``, so the message is still
delivered.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from types import MappingProxyType

import attrs

from exwire._core.codec import OpenEnum
from exwire.models import Level, Side

__all__ = [
    "OrderType",
    "OrderStatus",
    "TradeSide",
    "KlineInterval",
    "Ticker",
    "BookUpdate",
    "Trade",
    "Kline",
    "Order",
    "OrderUpdate",
    "Balance",
    "UserInfo",
    "BalanceUpdate",
]


def _frozen_map(value: Mapping[str, Decimal]) -> Mapping[str, Decimal]:
    return MappingProxyType(dict(value))


class OrderType(OpenEnum):
    """An order's wire ``type``/``tradeType``: side and limit/market in one word (§6.2).

    ``BUY``/``SELL`` are limit orders; ``BUY_MARKET`` spends a quote amount,
    ``SELL_MARKET`` sells a base quantity.
    """

    BUY = "buy"
    SELL = "sell"
    BUY_MARKET = "buy_market"
    SELL_MARKET = "sell_market"

    @property
    def side(self) -> Side | None:
        """``Side.BUY`` or ``Side.SELL``; ``None`` for a kept unknown value."""
        if not self.is_known:
            return None
        return Side.BUY if self.value.startswith("buy") else Side.SELL

    @property
    def is_market(self) -> bool:
        """Whether it is a market order (``False`` for limit and unknown types)."""
        return self.is_known and self.value.endswith("_market")

    @classmethod
    def of(cls, side: Side, market: bool) -> OrderType:
        """The wire type of a side and a limit (``market=False``) or market order."""
        if side is Side.BUY:
            return cls.BUY_MARKET if market else cls.BUY
        return cls.SELL_MARKET if market else cls.SELL


class OrderStatus(OpenEnum):
    """An order's status (§6.5, §6.6)."""

    CANCELLED = -1
    OPEN = 0
    """Unfilled, resting on the book."""
    PARTIALLY_FILLED = 1
    FILLED = 2
    CANCELLING = 4
    """A cancel request is in process."""
    CANCEL_PROCESSING = 5
    """A cancel request is in process (the second code the document gives for it)."""

    @property
    def is_open(self) -> bool:
        """Whether the order may still fill (open, partially filled or being cancelled)."""
        return self in (OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED,
                        OrderStatus.CANCELLING, OrderStatus.CANCEL_PROCESSING)


class TradeSide(OpenEnum):
    """The taker side of a public trade (§5.4): ``ask`` is a sell, ``bid`` a buy."""

    ASK = "ask"
    BID = "bid"

    @property
    def side(self) -> Side | None:
        """The taker's :class:`exwire.Side`; ``None`` for a kept unknown value."""
        if self is TradeSide.ASK:
            return Side.SELL
        if self is TradeSide.BID:
            return Side.BUY
        return None


class KlineInterval(enum.Enum):
    """Candle lengths OKEx offers for ``ok_sub_spot_X_kline_Y`` (§5.5).

    A closed enum on purpose: the interval is chosen by the subscriber, so an
    unsupported value is a caller error, not wire data to keep.
    """

    ONE_MINUTE = "1min"
    THREE_MINUTES = "3min"
    FIVE_MINUTES = "5min"
    FIFTEEN_MINUTES = "15min"
    THIRTY_MINUTES = "30min"
    ONE_HOUR = "1hour"
    TWO_HOURS = "2hour"
    FOUR_HOURS = "4hour"
    SIX_HOURS = "6hour"
    TWELVE_HOURS = "12hour"
    ONE_DAY = "day"
    THREE_DAYS = "3day"
    ONE_WEEK = "week"

    @property
    def duration(self) -> timedelta:
        """The candle's length (a day is 24 h, a week 7 days)."""
        return _DURATIONS[self]


_DURATIONS = {
    KlineInterval.ONE_MINUTE: timedelta(minutes=1),
    KlineInterval.THREE_MINUTES: timedelta(minutes=3),
    KlineInterval.FIVE_MINUTES: timedelta(minutes=5),
    KlineInterval.FIFTEEN_MINUTES: timedelta(minutes=15),
    KlineInterval.THIRTY_MINUTES: timedelta(minutes=30),
    KlineInterval.ONE_HOUR: timedelta(hours=1),
    KlineInterval.TWO_HOURS: timedelta(hours=2),
    KlineInterval.FOUR_HOURS: timedelta(hours=4),
    KlineInterval.SIX_HOURS: timedelta(hours=6),
    KlineInterval.TWELVE_HOURS: timedelta(hours=12),
    KlineInterval.ONE_DAY: timedelta(days=1),
    KlineInterval.THREE_DAYS: timedelta(days=3),
    KlineInterval.ONE_WEEK: timedelta(weeks=1),
}


@attrs.frozen(kw_only=True)
class Ticker:
    """A ticker push of one symbol (§5.1); pushed only when something changed.

    Attributes:
        symbol: ``base_quote``, e.g. ``"btc_usdt"``.
        bid_price: highest bid price (wire ``buy``).
        ask_price: lowest ask price (wire ``sell``).
        last_price: price of the last trade.
        high_price: highest price over the last 24 hours.
        low_price: lowest price over the last 24 hours.
        volume: traded base quantity over the last 24 hours.
        change: price change as OKEx reports it, or ``None`` when absent.
        day_high: highest price of the current day, or ``None`` when absent.
        day_low: lowest price of the current day, or ``None`` when absent.
        time: server time of the ticker (aware UTC).
    """

    symbol: str
    bid_price: Decimal
    ask_price: Decimal
    last_price: Decimal
    high_price: Decimal
    low_price: Decimal
    volume: Decimal
    change: Decimal | None
    day_high: Decimal | None
    day_low: Decimal | None
    time: datetime


@attrs.frozen(kw_only=True)
class BookUpdate:
    """A depth push (§5.2 incremental, §5.3 full).

    Levels are sorted best first (the wire does not sort asks). In an incremental
    update a zero ``quantity`` deletes the level. v1 sends no checksum and no
    sequence number, so the model has neither.

    Attributes:
        bids: bid levels, highest price first.
        asks: ask levels, lowest price first.
        time: server time of the push, or ``None`` when absent.
        is_snapshot: ``True`` for a whole book (the first incremental push after a
            subscribe, and every ``depth_Y`` push), ``False`` for changed levels only.
    """

    bids: tuple[Level, ...]
    asks: tuple[Level, ...]
    time: datetime | None
    is_snapshot: bool


@attrs.frozen(kw_only=True)
class Trade:
    """One public trade (§5.4).

    Attributes:
        symbol: ``base_quote``.
        trade_id: the exchange's trade id.
        price: execution price.
        quantity: base quantity traded.
        side: the taker's side (wire ``bid``: the taker bought, ``ask``: sold), or
            ``None`` when OKEx sent an unknown value (kept in ``taker_side``).
        time: when it traded (aware UTC), from ``time_of_day`` and the instant the
            push was received; see :func:`exwire.okex.converter.trade_time` for the
            day rule.
        time_of_day: the server's wall-clock time of the trade, as sent: OKEx v1
            sends ``HH:MM:SS`` with no date and no zone (believed UTC+8), a naive
            :class:`datetime.time`.
        taker_side: the wire value, ``ASK`` or ``BID`` (an unknown one is kept).
    """

    symbol: str
    trade_id: int
    price: Decimal
    quantity: Decimal
    side: Side | None
    time: datetime
    time_of_day: dt.time
    taker_side: TradeSide


@attrs.frozen(kw_only=True)
class Kline:
    """One candle (§5.5).

    Attributes:
        symbol: ``base_quote``.
        interval: the candle length subscribed to.
        open_time: start of the candle (aware UTC).
        close_time: its end, ``open_time + interval.duration``.
        open, high, low, close: prices.
        volume: base quantity traded in the candle.
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


@attrs.frozen(kw_only=True)
class Order:
    """An order as ``ok_spot_orderinfo`` reports it (§6.5).

    Attributes:
        order_id: the exchange's order id.
        symbol: ``base_quote``, e.g. ``"btc_usdt"``.
        order_type: side and limit/market.
        status: the order's status.
        price: limit price (for a market buy, the quote amount to spend).
        quantity: order quantity in base asset.
        filled_quantity: base quantity filled so far.
        average_price: average fill price (zero before any fill).
        created_at: when the order was placed.
    """

    order_id: int
    symbol: str
    order_type: OrderType
    status: OrderStatus
    price: Decimal
    quantity: Decimal
    filled_quantity: Decimal
    average_price: Decimal
    created_at: datetime

    @property
    def side(self) -> Side | None:
        """The order's side, or ``None`` for an unknown order type."""
        return self.order_type.side


@attrs.frozen(kw_only=True)
class OrderUpdate:
    """A push of ``ok_sub_spot_X_order`` (§6.6): an order changed.

    Attributes:
        order_id: the exchange's order id.
        symbol: ``base_quote``.
        order_type: side and limit/market (wire ``tradeType``).
        status: the order's status.
        price: limit price; for a market buy, the total quote amount (``tradeUnitPrice``).
        quantity: order quantity; for a market sell, the total quantity (``tradeAmount``).
        filled_quantity: base quantity filled so far (``completedTradeAmount``).
        filled_notional: quote amount filled so far (``tradePrice``).
        average_price: average fill price.
        created_at: when the order was placed.
        last_fill_quantity: quantity of the latest fill, or ``None`` when not sent.
        last_fill_price: price of the latest fill, or ``None`` when not sent.
        unfilled: what remains (quote for a market buy, base otherwise), or ``None``.
    """

    order_id: int
    symbol: str
    order_type: OrderType
    status: OrderStatus
    price: Decimal
    quantity: Decimal
    filled_quantity: Decimal
    filled_notional: Decimal
    average_price: Decimal
    created_at: datetime
    last_fill_quantity: Decimal | None = None
    last_fill_price: Decimal | None = None
    unfilled: Decimal | None = None

    @property
    def side(self) -> Side | None:
        """The order's side, or ``None`` for an unknown order type."""
        return self.order_type.side


@attrs.frozen(kw_only=True)
class Balance:
    """One asset of the account.

    Attributes:
        asset: lower-case asset name, e.g. ``"btc"``.
        free: available quantity (wire ``free``).
        locked: quantity held by open orders (wire ``freezed``).
        total: ``free + locked``.
    """

    asset: str
    free: Decimal
    locked: Decimal
    total: Decimal


@attrs.frozen(kw_only=True)
class UserInfo:
    """The account's funds as ``ok_spot_userinfo`` reports them (§6.4).

    Attributes:
        free: available quantity per lower-case asset.
        locked: quantity held by open orders per asset (wire ``freezed``).
    """

    free: Mapping[str, Decimal] = attrs.field(converter=_frozen_map)
    locked: Mapping[str, Decimal] = attrs.field(converter=_frozen_map)

    def balances(self) -> dict[str, Balance]:
        """Every asset present in either map, as :class:`Balance` (a missing side is zero)."""
        zero = Decimal(0)
        result: dict[str, Balance] = {}
        for asset in dict.fromkeys([*self.free, *self.locked]):
            free, locked = self.free.get(asset, zero), self.locked.get(asset, zero)
            result[asset] = Balance(asset=asset, free=free, locked=locked, total=free + locked)
        return result


@attrs.frozen(kw_only=True)
class BalanceUpdate:
    """A push of ``ok_sub_spot_X_balance`` (§6.7): only the assets that changed.

    Attributes:
        free: new available quantity per changed asset.
        locked: new quantity held by open orders per changed asset (wire ``freezed``).
    """

    free: Mapping[str, Decimal] = attrs.field(converter=_frozen_map)
    locked: Mapping[str, Decimal] = attrs.field(converter=_frozen_map)
