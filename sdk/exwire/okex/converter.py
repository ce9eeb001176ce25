"""OKEx spot WebSocket v1 payloads → :mod:`exwire.okex.models`.

The only module that knows OKEx's wire names. Section numbers (§) are
those of the protocol notes of
:doc:`the OKEx page </exchanges/okex>`, drawn from OKEx's v1 spot WebSocket document
(``API-For-Spot-EN``, "WebSocket API for SPOT"). Each function takes the ``data``
member of one response object (§3.2).

Trade times. A deals push (§5.4) gives each trade's time of day only (``HH:MM:SS``,
the server's clock, believed UTC+8), no date. :func:`trade_time` dates it by the
instant the push was received; see there for the rule.

Money arrives as strings (``"0.00001208"``, sometimes ``"1E-8"``) or, in the
balance push and order info, as JSON numbers; the protocol parses JSON with
``parse_float=Decimal``, so every value reaches :func:`_decimal` as ``str``,
``int`` or ``Decimal`` and no digit is lost. Order ids stay Python ``int``
(they exceed 2^32).

Every function raises :class:`exwire.errors.DecodeError` (cause chained) when the
payload does not have the documented shape; it never returns a partial model.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

import attrs

from exwire._core.codec import MALFORMED, decimal_from_wire, epoch_ms_to_datetime, malformed
from exwire._core.lazy import LAST_EPOCH_MS, lazy_model, plain_decimals
from exwire.errors import DecodeError
from exwire.models import Level
from exwire.okex.models import (
    BalanceUpdate,
    BookUpdate,
    Kline,
    KlineInterval,
    Order,
    OrderStatus,
    OrderType,
    OrderUpdate,
    Ticker,
    Trade,
    TradeSide,
    UserInfo,
)

__all__ = [
    "ticker_from_wire",
    "book_from_wire",
    "trades_from_wire",
    "deals_from_wire",
    "DealsPush",
    "trade_time",
    "SERVER_ZONE",
    "CLOCK_TOLERANCE",
    "klines_from_wire",
    "order_update_from_wire",
    "balance_update_from_wire",
    "user_info_from_wire",
    "orders_from_wire",
    "order_id_from_wire",
    "place_order_to_wire",
    "order_reference_to_wire",
]

_MALFORMED = MALFORMED

_decimal = decimal_from_wire


def _malformed(kind: str, error: BaseException) -> DecodeError:
    return malformed("okex", kind, error)


def _optional_decimal(value: Any) -> Decimal | None:
    return None if value is None or value == "" else _decimal(value)


def _int(value: Any) -> int:
    if isinstance(value, bool):
        raise TypeError(f"not an integer: {value!r}")
    if isinstance(value, Decimal):
        if value != value.to_integral_value():
            raise ValueError(f"not an integer: {value!r}")
        return int(value)
    return int(value)


def ticker_from_wire(data: Mapping[str, Any], symbol: str) -> Ticker:
    """Decode a ticker push (§5.1).

    Runs for every push. A push of the documented shape (plain decimal strings,
    ``change``/``dayHigh``/``dayLow`` possibly absent, an integer ``timestamp``) is
    checked here and decoded on first field read (:mod:`exwire._core.lazy`), usually
    on the lane running the callback; any other push is decoded now: string money
    straight to ``Decimal``, anything else through :func:`_decimal`.

    Raises:
        DecodeError: a required key is missing or a value is not a number.
    """
    try:
        get = data.get
        timestamp = data["timestamp"]
        # A flat tuple of the wire values, not the JSON object (retained containers
        # multiply garbage collections in a backlog).
        fields = (symbol, data["buy"], data["sell"], data["last"], data["high"], data["low"], data["vol"],
                  get("change"), get("dayHigh"), get("dayLow"), timestamp)
    except (KeyError, TypeError, AttributeError):  # the eager path says what is wrong
        return _ticker(data, symbol)
    if type(timestamp) is int and 0 <= timestamp <= LAST_EPOCH_MS:
        change, day_high, day_low = fields[7], fields[8], fields[9]
        if plain_decimals((*fields[1:7], "0" if change is None else change, "0" if day_high is None else day_high,
                           "0" if day_low is None else day_low)):
            return _lazy_ticker(fields)
    return _ticker(data, symbol)


def _ticker_from_fields(fields: tuple[Any, ...]) -> Ticker:
    """The ticker of a checked tuple built by :func:`ticker_from_wire`."""
    change, day_high, day_low = fields[7], fields[8], fields[9]
    return Ticker(
        symbol=fields[0],
        bid_price=Decimal(fields[1]),
        ask_price=Decimal(fields[2]),
        last_price=Decimal(fields[3]),
        high_price=Decimal(fields[4]),
        low_price=Decimal(fields[5]),
        volume=Decimal(fields[6]),
        change=None if change is None else Decimal(change),
        day_high=None if day_high is None else Decimal(day_high),
        day_low=None if day_low is None else Decimal(day_low),
        time=epoch_ms_to_datetime(fields[10]),
    )


def _ticker(data: Mapping[str, Any], symbol: str) -> Ticker:
    try:
        get = data.get
        return Ticker(
            symbol=symbol,
            bid_price=Decimal(v) if type(v := data["buy"]) is str else _decimal(v),
            ask_price=Decimal(v) if type(v := data["sell"]) is str else _decimal(v),
            last_price=Decimal(v) if type(v := data["last"]) is str else _decimal(v),
            high_price=Decimal(v) if type(v := data["high"]) is str else _decimal(v),
            low_price=Decimal(v) if type(v := data["low"]) is str else _decimal(v),
            volume=Decimal(v) if type(v := data["vol"]) is str else _decimal(v),
            change=Decimal(v) if type(v := get("change")) is str and v else _optional_decimal(v),
            day_high=Decimal(v) if type(v := get("dayHigh")) is str and v else _optional_decimal(v),
            day_low=Decimal(v) if type(v := get("dayLow")) is str and v else _optional_decimal(v),
            time=epoch_ms_to_datetime(data["timestamp"]),
        )
    except _MALFORMED as error:
        raise _malformed("ticker", error) from error


def _levels(levels: Iterable[list[Any]], descending: bool) -> tuple[Level, ...]:
    parsed = [
        Level(
            price=Decimal(price) if type(price := level[0]) is str else _decimal(price),
            quantity=Decimal(quantity) if type(quantity := level[1]) is str else _decimal(quantity),
        )
        for level in levels
    ]
    # The wire order is not reliable (the docs' asks are unsorted, §5.2): sort by value,
    # so "1E-8" and "0.00000001" compare as the same price.
    parsed.sort(key=lambda level: level.price, reverse=descending)
    return tuple(parsed)


def book_from_wire(data: Mapping[str, Any], is_snapshot: bool) -> BookUpdate:
    """Decode a depth push (§5.2, §5.3): ``{"asks": [[p, q]...], "bids": [...], "timestamp": ms}``.

    Args:
        data: the push's ``data``.
        is_snapshot: whether the push is a whole book (decided by the protocol:
            the first incremental push after a subscribe, or any ``depth_Y`` push).

    Raises:
        DecodeError: a level is not a ``[price, quantity]`` pair of numbers.
    """
    try:
        timestamp = data.get("timestamp")
        return BookUpdate(
            bids=_levels(data.get("bids") or (), descending=True),
            asks=_levels(data.get("asks") or (), descending=False),
            time=epoch_ms_to_datetime(timestamp) if timestamp is not None else None,
            is_snapshot=is_snapshot,
        )
    except _MALFORMED as error:
        raise _malformed("depth", error) from error


#: The zone of the server clock that stamps trades (§5.4: believed UTC+8, Beijing time).
SERVER_ZONE = timezone(timedelta(hours=8))
#: How far the server clock may run ahead of the receiving one (see :func:`trade_time`).
CLOCK_TOLERANCE = timedelta(minutes=5)
_DAY = timedelta(days=1)


def trade_time(time_of_day: time, received_at: datetime) -> datetime:
    """The aware UTC instant of a trade stamped ``time_of_day`` (UTC+8) and received at ``received_at``.

    The rule: the trade happened on the UTC+8 date of ``received_at``, unless that puts it
    more than :data:`CLOCK_TOLERANCE` (5 minutes) after the receipt: then it happened the
    day before (a ``23:59:58`` trade received at ``00:00:01`` UTC+8). Symmetrically, a time
    more than a day minus the tolerance before the receipt belongs to the next day (a
    ``00:00:02`` trade received at ``23:59:59`` from a server clock running a few seconds
    ahead). Pushes carry only recent trades, so the answer is within the tolerance of the
    truth whenever the two clocks are.

    Args:
        time_of_day: the wire's ``HH:MM:SS`` as a naive :class:`datetime.time`.
        received_at: an aware ``datetime`` (``DataEvent.received_at``).
    """
    local = received_at.astimezone(SERVER_ZONE)
    candidate = datetime.combine(local.date(), time_of_day, SERVER_ZONE)
    if candidate > local + CLOCK_TOLERANCE:
        candidate -= _DAY
    elif candidate < local - (_DAY - CLOCK_TOLERANCE):
        candidate += _DAY
    return candidate.astimezone(timezone.utc)


def _time_of_day(text: str) -> time:
    hour, minute, second = (int(part) for part in text.split(":"))
    return time(hour, minute, second)


#: One decoded trade still without its date: ``(trade id, price, quantity, time of day, taker side)``.
DealRow = tuple[int, Decimal, Decimal, time, TradeSide]


@attrs.frozen(kw_only=True)
class DealsPush:
    """A decoded deals push (§5.4) waiting for its receive time.

    The protocol decodes (and so validates) the push; the client dates its trades with
    the frame's receive instant (:func:`trade_time`), which the sans-I/O protocol does
    not know.

    Attributes:
        symbol: ``base_quote``.
        rows: the trades as sent, oldest first.
    """

    symbol: str
    rows: tuple[DealRow, ...]

    def trades(self, received_at: datetime) -> list[Trade]:
        """The :class:`Trade` models, dated from ``received_at``."""
        symbol = self.symbol
        return [
            Trade(
                symbol=symbol,
                trade_id=trade_id,
                price=price,
                quantity=quantity,
                side=taker_side.side,
                time=trade_time(time_of_day, received_at),
                time_of_day=time_of_day,
                taker_side=taker_side,
            )
            for trade_id, price, quantity, time_of_day, taker_side in self.rows
        ]


def deals_from_wire(data: Iterable[list[Any]], symbol: str) -> DealsPush:
    """Decode a deals push (§5.4): a list of ``[tid, price, amount, "HH:MM:SS", "ask"|"bid"]``.

    Raises:
        DecodeError: an element is missing or malformed.
    """
    try:
        rows = tuple(
            (_int(item[0]), _decimal(item[1]), _decimal(item[2]), _time_of_day(item[3]), TradeSide(item[4]))
            for item in data
        )
    except _MALFORMED as error:
        raise _malformed("deals", error) from error
    return DealsPush(symbol=symbol, rows=rows)


def trades_from_wire(data: Iterable[list[Any]], symbol: str, received_at: datetime) -> list[Trade]:
    """Decode a deals push received at ``received_at`` into :class:`Trade` models.

    Raises:
        DecodeError: an element is missing or malformed.
    """
    return deals_from_wire(data, symbol).trades(received_at)


def klines_from_wire(data: Iterable[list[Any]], symbol: str, interval: KlineInterval) -> list[Kline]:
    """Decode a kline push (§5.5): a list of ``[open time ms, open, high, low, close, volume]``.

    Raises:
        DecodeError: an element is missing or malformed.
    """
    duration = interval.duration
    try:
        klines: list[Kline] = []
        for item in data:
            open_time = epoch_ms_to_datetime(item[0])
            klines.append(
                Kline(
                    symbol=symbol,
                    interval=interval,
                    open_time=open_time,
                    close_time=open_time + duration,
                    open=_decimal(item[1]),
                    high=_decimal(item[2]),
                    low=_decimal(item[3]),
                    close=_decimal(item[4]),
                    volume=_decimal(item[5]),
                )
            )
        return klines
    except _MALFORMED as error:
        raise _malformed("kline", error) from error


def order_update_from_wire(data: Mapping[str, Any]) -> OrderUpdate:
    """Decode an order push (§6.6); an unknown ``tradeType`` or ``status`` is kept.

    Raises:
        DecodeError: a required field is missing or malformed.
    """
    try:
        get = data.get
        return OrderUpdate(
            order_id=_int(data["orderId"]),
            symbol=str(data["symbol"]),
            order_type=OrderType(data["tradeType"]),
            price=_decimal(data["tradeUnitPrice"]),
            quantity=_decimal(data["tradeAmount"]),
            filled_quantity=_decimal(data["completedTradeAmount"]),
            filled_notional=_decimal(get("tradePrice", "0")),
            average_price=_decimal(get("averagePrice", "0")),
            created_at=epoch_ms_to_datetime(data["createdDate"]),
            status=OrderStatus(_int(data["status"])),
            last_fill_quantity=_optional_decimal(get("sigTradeAmount")),
            last_fill_price=_optional_decimal(get("sigTradePrice")),
            unfilled=_optional_decimal(get("unTrade")),
        )
    except _MALFORMED as error:
        raise _malformed("order", error) from error


def _funds(side: Mapping[str, Any] | None) -> dict[str, Decimal]:
    return {str(asset): _decimal(value) for asset, value in (side or {}).items()}


def balance_update_from_wire(data: Mapping[str, Any]) -> BalanceUpdate:
    """Decode a balance push (§6.7): ``{"info": {"free": {...}, "freezed": {...}}}``.

    Raises:
        DecodeError: ``info`` is missing or a value is not a number.
    """
    try:
        info = data["info"]
        return BalanceUpdate(free=_funds(info.get("free")), locked=_funds(info.get("freezed")))
    except _MALFORMED as error:
        raise _malformed("balance", error) from error


def user_info_from_wire(data: Mapping[str, Any]) -> UserInfo:
    """Decode an ``ok_spot_userinfo`` reply (§6.4): ``{"info": {"funds": {"free", "freezed"}}}``.

    Raises:
        DecodeError: ``info.funds`` is missing or a value is not a number.
    """
    try:
        funds = data["info"]["funds"]
        return UserInfo(free=_funds(funds.get("free")), locked=_funds(funds.get("freezed")))
    except _MALFORMED as error:
        raise _malformed("userinfo", error) from error


def _order(item: Mapping[str, Any]) -> Order:
    order_id = item.get("order_id", item.get("orders_id"))  # orders_id: deprecated duplicate (§6.5)
    return Order(
        order_id=_int(order_id),
        symbol=str(item["symbol"]),
        order_type=OrderType(item["type"]),
        price=_decimal(item["price"]),
        quantity=_decimal(item["amount"]),
        filled_quantity=_decimal(item.get("deal_amount", 0)),
        average_price=_decimal(item.get("avg_price", 0)),
        created_at=epoch_ms_to_datetime(_int(item["create_date"])),
        status=OrderStatus(_int(item["status"])),
    )


def orders_from_wire(data: Mapping[str, Any]) -> list[Order]:
    """Decode an ``ok_spot_orderinfo`` reply (§6.5): ``{"orders": [...]}``.

    Raises:
        DecodeError: ``orders`` is missing or an order is malformed.
    """
    try:
        return [_order(item) for item in data["orders"]]
    except _MALFORMED as error:
        raise _malformed("orderinfo", error) from error


def order_id_from_wire(data: Mapping[str, Any]) -> int:
    """The ``order_id`` of a place or cancel reply (§6.2: an int; §6.3: a string).

    Raises:
        DecodeError: ``order_id`` is missing or not an integer.
    """
    try:
        return _int(data["order_id"])
    except _MALFORMED as error:
        raise _malformed("order reply", error) from error


# -- requests: Python → wire parameters (values already formatted as sent) -------------


def place_order_to_wire(symbol: str, order_type: OrderType, price: str | None, amount: str | None) -> dict[str, str]:
    """The operation's parameters of ``ok_spot_order`` (§6.2), without ``api_key``/``sign``.

    Args:
        symbol: ``base_quote``.
        order_type: side and limit/market.
        price: the limit price, or the quote amount of a market buy; ``None`` to omit
            (market sell).
        amount: the base quantity; ``None`` to omit (market buy).
    """
    parameters = {"symbol": symbol, "type": order_type.value}
    if price is not None:
        parameters["price"] = price
    if amount is not None:
        parameters["amount"] = amount
    return parameters


def order_reference_to_wire(symbol: str, order_id: int) -> dict[str, str]:
    """The operation's parameters of ``ok_spot_cancel_order`` and ``ok_spot_orderinfo`` (§6.3, §6.5)."""
    return {"symbol": symbol, "order_id": str(order_id)}


# Models decoded on first read (exwire._core.lazy): the payload is checked above first.
_lazy_ticker = lazy_model(Ticker, _ticker_from_fields)
