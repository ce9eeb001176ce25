"""CoinEx WebSocket API v1 payloads → :mod:`exwire.coinex.models`.

The only module that knows CoinEx's wire names. Section numbers refer to the protocol notes of :doc:`the CoinEx page </exchanges/coinex>`.

CoinEx v1 sends prices and quantities as JSON strings ("str-dec"), times as
JSON floats of epoch seconds with microseconds (order and trade times), integer
seconds (candles, ``server.time``) or integer milliseconds (book ``time``). The
protocol parses frames with ``parse_float=Decimal``, so a float time arrives
here as an exact ``Decimal``; :func:`exwire._core.codec.epoch_to_datetime`
accepts it (and ``str``/``int``/``float``) without losing a microsecond.

Every function raises :class:`exwire.errors.DecodeError` (cause chained) when
the payload does not have the documented shape; it never returns a partial model.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from exwire._core.codec import MALFORMED, decimal_from_wire, epoch_ms_to_datetime, epoch_to_datetime, malformed
from exwire._core.lazy import LAST_EPOCH_MS, lazy_model, plain_decimals
from exwire.coinex.models import (
    Balance,
    Depth,
    Kline,
    KlineInterval,
    Order,
    OrderEvent,
    OrderOption,
    OrdersPage,
    OrderType,
    OrderUpdate,
    Role,
    Ticker,
    Trade,
    UserTrade,
)
from exwire.errors import DecodeError
from exwire.models import Level, Side

__all__ = [
    "ticker_from_wire",
    "tickers_from_wire",
    "trade_from_wire",
    "trades_from_wire",
    "user_trade_from_wire",
    "user_trades_from_wire",
    "kline_from_wire",
    "klines_from_wire",
    "depth_from_wire",
    "balances_from_wire",
    "order_from_wire",
    "order_update_from_wire",
    "orders_page_from_wire",
    "SIDES",
]

_MALFORMED = MALFORMED

#: Trade sides travel as words (§5.9), order sides as integers (§5.16).
_TRADE_SIDES = {"buy": Side.BUY, "sell": Side.SELL}
SIDES = {1: Side.SELL, 2: Side.BUY}


def _malformed(kind: str, error: BaseException) -> DecodeError:
    return malformed("coinex", kind, error)


def _decimal(value: Any) -> Decimal:
    return value if type(value) is Decimal else decimal_from_wire(value)


def _optional_decimal(value: Any) -> Decimal | None:
    return None if value is None else _decimal(value)


def _optional_time(value: Any) -> datetime | None:
    # CoinEx sends 0 for "never" (last_deal_time of an unfilled order, §5.16).
    if value is None or not value:
        return None
    return epoch_to_datetime(value)


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _market(value: Any) -> str:
    # A market name routes updates: anything but a string is a malformed payload.
    if type(value) is not str:
        raise TypeError(f"market is {type(value).__name__}, not a string")
    return value


# -- market data -----------------------------------------------------------------------


def ticker_from_wire(symbol: str, state: Mapping[str, Any]) -> Ticker:
    """Decode one market's state object (§5.3, §5.4).

    Raises:
        DecodeError: a required field is missing or not a number.
    """
    try:
        return Ticker(
            symbol=symbol,
            period=int(state.get("period", 86400)),
            last_price=_decimal(state["last"]),
            open_price=_decimal(state["open"]),
            close_price=_decimal(state["close"]),
            high_price=_decimal(state["high"]),
            low_price=_decimal(state["low"]),
            volume=_decimal(state["volume"]),
            quote_volume=_decimal(state["deal"]),
            sell_total=_optional_decimal(state.get("sell_total")),
            buy_total=_optional_decimal(state.get("buy_total")),
        )
    except _MALFORMED as error:
        raise _malformed("state", error) from error


def tickers_from_wire(params: list[Any]) -> list[Ticker]:
    """Decode the ``params`` of a ``state.update`` push (§5.4).

    Accepts CoinEx's form ``[{market: state, ...}]`` and the original ViaBTC form
    ``[market, state]``.

    Raises:
        DecodeError: neither form, or a malformed state.
    """
    try:
        first = params[0]
        if isinstance(first, str):
            return [ticker_from_wire(first, params[1])]
        return [ticker_from_wire(symbol, state) for symbol, state in first.items()]
    except _MALFORMED as error:
        raise _malformed("state.update", error) from error


def trade_from_wire(symbol: str, trade: Mapping[str, Any]) -> Trade:
    """Decode one trade object (§5.9) of ``symbol``.

    Raises:
        DecodeError: a required field is missing, or the side is neither buy nor sell.
    """
    try:
        return Trade(
            symbol=symbol,
            trade_id=int(trade["id"]),
            price=_decimal(trade["price"]),
            quantity=_decimal(trade["amount"]),
            side=_TRADE_SIDES[trade["type"]],
            time=epoch_to_datetime(trade["time"]),
        )
    except _MALFORMED as error:
        raise _malformed("trade", error) from error


def trades_from_wire(symbol: str, trades: Iterable[Mapping[str, Any]]) -> list[Trade]:
    """Decode a list of trade objects of ``symbol``, keeping their order (newest first from CoinEx).

    Raises:
        DecodeError: as :func:`trade_from_wire`, or the payload is not a list.
    """
    try:
        return [trade_from_wire(symbol, trade) for trade in trades]
    except TypeError as error:
        raise _malformed("trade list", error) from error


def user_trade_from_wire(symbol: str, trade: Mapping[str, Any]) -> UserTrade:
    """Decode one own-fill object of a ``deals.update`` ending in ``true`` (§5.10):
    the trade fields plus ``order_id`` (int) and ``client_id`` (str, may be empty).

    Raises:
        DecodeError: a required field (``order_id`` included) is missing or malformed.
    """
    try:
        return UserTrade(
            trade_id=int(trade["id"]),
            order_id=int(trade["order_id"]),
            symbol=symbol,
            side=_TRADE_SIDES[trade["type"]],
            price=_decimal(trade["price"]),
            quantity=_decimal(trade["amount"]),
            time=epoch_to_datetime(trade["time"]),
            client_order_id=trade.get("client_id") or None,
        )
    except _MALFORMED as error:
        raise _malformed("own trade", error) from error


def user_trades_from_wire(symbol: str, trades: Iterable[Mapping[str, Any]]) -> list[UserTrade]:
    """Decode the own fills of one ``deals.update`` push, keeping their order.

    Raises:
        DecodeError: as :func:`user_trade_from_wire`, or the payload is not a list.
    """
    try:
        return [user_trade_from_wire(symbol, trade) for trade in trades]
    except TypeError as error:
        raise _malformed("own trade list", error) from error


def kline_from_wire(candle: list[Any], symbol: str | None, interval: KlineInterval) -> Kline:
    """Decode one candle array ``[time, open, close, high, low, volume, value, market?]`` (§5.11).

    Note the **open, close, high, low** order. The 8th element (market) is optional.

    Args:
        candle: the array.
        symbol: the market to use when the array has only 7 elements.
        interval: the candle length that was requested or subscribed.

    Raises:
        DecodeError: an element is missing or invalid, or no market is known.
    """
    try:
        market = candle[7] if len(candle) > 7 else symbol
        if not isinstance(market, str):
            raise ValueError("the candle names no market")
        open_time = epoch_to_datetime(candle[0])
        return Kline(
            symbol=market,
            interval=interval,
            open_time=open_time,
            close_time=open_time + timedelta(seconds=int(interval)),
            open=_decimal(candle[1]),
            high=_decimal(candle[3]),
            low=_decimal(candle[4]),
            close=_decimal(candle[2]),
            volume=_decimal(candle[5]),
            quote_volume=_decimal(candle[6]),
        )
    except _MALFORMED as error:
        raise _malformed("kline", error) from error


def klines_from_wire(candles: Iterable[list[Any]], symbol: str | None, interval: KlineInterval) -> list[Kline]:
    """Decode a list of candle arrays (``kline.query`` result, ``kline.update`` params).

    Raises:
        DecodeError: as :func:`kline_from_wire`.
    """
    try:
        return [kline_from_wire(candle, symbol, interval) for candle in candles]
    except TypeError as error:
        raise _malformed("kline list", error) from error


def _levels(levels: Iterable[list[Any]] | None) -> tuple[Level, ...]:
    if not levels:
        return ()
    # Decimal(str) keeps the wire exponent: the checksum is built from these strings.
    return tuple([Level(price=Decimal(level[0]), quantity=Decimal(level[1])) for level in levels])


def depth_from_wire(symbol: str, depth: Mapping[str, Any], is_full: bool, *, lazy: bool = True) -> Depth:
    """Decode a depth object ``{asks, bids, last?, time?, checksum?}`` (§5.5, §5.6).

    A side with no change is omitted from an incremental push and becomes empty.

    A depth of the documented shape (levels ``[price, amount]`` of plain decimal
    strings, ``last`` a plain decimal string, integer ``time`` and ``checksum``) is
    checked here and decoded on first field read (:mod:`exwire._core.lazy`), usually
    on the lane running the callback; any other depth is decoded now.

    Args:
        symbol: the market (``params[2]`` of the push, or the query's market).
        depth: the object.
        is_full: whether it replaces the book (a query result or ``clean == true``).
        lazy: ``False`` decodes now: what a book maintained from every level
            (``watch_order_book``) reads at once anyway.

    Raises:
        DecodeError: a level is malformed, or ``time``/``checksum`` is not a number.
    """
    if not lazy:
        return _depth_now(symbol, depth, is_full)
    try:
        get = depth.get
        asks, bids, last, time, checksum = get("asks"), get("bids"), get("last"), get("time"), get("checksum")
    except AttributeError:  # not an object: the eager path says so
        return _depth_now(symbol, depth, is_full)
    if ((time is None or type(time) is int and 0 <= time <= LAST_EPOCH_MS)
            and (checksum is None or type(checksum) is int)):
        # One flat list of the level strings, asks then bids, then ``last`` if sent: the
        # lazy payload keeps no JSON list (retained containers multiply collections).
        texts: list[Any] = []
        shaped = _flat_levels(asks, texts)
        count = len(texts)
        shaped = shaped and _flat_levels(bids, texts)
        levels = len(texts)
        if last is not None:
            texts.append(last)
        if shaped and (not texts or plain_decimals(texts)):
            return _lazy_depth((symbol, is_full, time, checksum, count, levels, *texts))
    return _depth_now(symbol, depth, is_full)


def _flat_levels(levels: Any, texts: list[Any]) -> bool:
    """Append the texts of ``levels`` (absent, or a list of ``[price, amount]``) to ``texts``;
    whether they had that shape."""
    if levels is None:
        return True
    if type(levels) is not list:
        return False
    for level in levels:
        if type(level) is not list or len(level) != 2:
            return False
        texts += level
    return True


def _depth_from_fields(fields: tuple[Any, ...]) -> Depth:
    """The depth of a checked tuple built by :func:`depth_from_wire`: ``(symbol, is_full,
    time, checksum, a, n, *texts)``, the first ``a`` texts the asks' ``price, amount``
    pairs, the next ``n - a`` the bids', then ``last`` if it was sent."""
    count, levels = fields[4], fields[5]
    asks = iter(fields[6:6 + count])
    bids = iter(fields[6 + count:6 + levels])
    time, checksum = fields[2], fields[3]
    return Depth(
        symbol=fields[0],
        is_full=fields[1],
        asks=tuple([Level(Decimal(price), Decimal(quantity)) for price, quantity in zip(asks, asks)]),
        bids=tuple([Level(Decimal(price), Decimal(quantity)) for price, quantity in zip(bids, bids)]),
        last_price=Decimal(fields[6 + levels]) if len(fields) > 6 + levels else None,
        time=None if time is None else epoch_ms_to_datetime(time),
        checksum=None if checksum is None else checksum & 0xFFFFFFFF,
    )


def _depth_now(symbol: str, depth: Mapping[str, Any], is_full: bool) -> Depth:
    try:
        last = depth.get("last")
        time = depth.get("time")
        checksum = depth.get("checksum")
        return Depth(
            symbol=symbol,
            is_full=is_full,
            asks=_levels(depth.get("asks")),
            bids=_levels(depth.get("bids")),
            last_price=None if last is None else _decimal(last),
            time=None if time is None else epoch_ms_to_datetime(time),
            checksum=None if checksum is None else int(checksum) & 0xFFFFFFFF,
        )
    except _MALFORMED as error:
        raise _malformed("depth", error) from error


# -- account -------------------------------------------------------------------------------


def balances_from_wire(balances: Mapping[str, Mapping[str, Any]], account: int | None = None) -> list[Balance]:
    """Decode an asset map ``{asset: {available, frozen, timestamp?}}`` (§5.13, §5.14).

    Args:
        balances: the map (``asset.query`` result, ``params[0]`` of ``asset.update``).
        account: the account id (``params[1]`` of ``asset.update``), ``None`` if absent.

    Raises:
        DecodeError: an entry lacks ``available`` or ``frozen``, or is not a number.
    """
    try:
        return [
            Balance(
                asset=asset,
                free=_decimal(entry["available"]),
                locked=_decimal(entry["frozen"]),
                updated_at=_optional_time(entry.get("timestamp")),
                account=account,
            )
            for asset, entry in balances.items()
        ]
    except _MALFORMED as error:
        raise _malformed("asset", error) from error


def order_from_wire(order: Mapping[str, Any]) -> Order:
    """Decode an order object (§5.16); unknown ``type`` values and option bits are kept.

    Raises:
        DecodeError: a required field (``id``, ``market``, ``type``, ``side``,
            ``price``, ``amount``, ``left``, ``deal_stock``, ``deal_money``,
            ``ctime``, ``mtime``) is missing or malformed, or the side is unknown.
    """
    try:
        get = order.get
        last_role = get("last_role")
        return Order(
            order_id=int(order["id"]),
            symbol=_market(order["market"]),
            order_type=OrderType(order["type"]),
            side=SIDES[order["side"]],
            price=_decimal(order["price"]),
            quantity=_decimal(order["amount"]),
            remaining=_decimal(order["left"]),
            filled_quantity=_decimal(order["deal_stock"]),
            filled_value=_decimal(order["deal_money"]),
            created_at=epoch_to_datetime(order["ctime"]),
            updated_at=epoch_to_datetime(order["mtime"]),
            client_order_id=get("client_id") or None,
            taker_fee_rate=_optional_decimal(get("taker_fee")),
            maker_fee_rate=_optional_decimal(get("maker_fee")),
            quote_fee=_optional_decimal(get("money_fee")),
            base_fee=_optional_decimal(get("stock_fee")),
            asset_fee=_optional_decimal(get("asset_fee")),
            deal_fee=_optional_decimal(get("deal_fee")),
            fee_discount=_optional_decimal(get("fee_discount")),
            fee_asset=get("fee_asset"),
            last_fill_quantity=_optional_decimal(get("last_deal_amount")),
            last_fill_price=_optional_decimal(get("last_deal_price")),
            last_fill_time=_optional_time(get("last_deal_time")),
            last_fill_id=_optional_int(get("last_deal_id")),
            last_role=None if last_role is None else Role(last_role),
            option=OrderOption(int(get("option") or 0)),
            source=get("source"),
            user=_optional_int(get("user")),
            account=_optional_int(get("account")),
            stop_id=_optional_int(get("stop_id")),
        )
    except _MALFORMED as error:
        raise _malformed("order", error) from error


def order_update_from_wire(params: list[Any]) -> OrderUpdate:
    """Decode the ``params`` of an ``order.update`` push: ``[event, order]`` (§5.16).

    Raises:
        DecodeError: not a two-element list, or a malformed order.
    """
    try:
        return OrderUpdate(event=OrderEvent(params[0]), order=order_from_wire(params[1]))
    except _MALFORMED as error:
        raise _malformed("order.update", error) from error


def orders_page_from_wire(page: Mapping[str, Any]) -> OrdersPage:
    """Decode an ``order.query`` result ``{offset, limit, total, records}`` (§5.15).

    Raises:
        DecodeError: a field is missing or a record is malformed.
    """
    try:
        return OrdersPage(
            offset=int(page.get("offset", 0)),
            limit=int(page.get("limit", 0)),
            total=int(page.get("total", len(page["records"]))),
            records=tuple(order_from_wire(order) for order in page["records"]),
        )
    except _MALFORMED as error:
        raise _malformed("order.query", error) from error


# Models decoded on first read (exwire._core.lazy): the payload is checked above first.
_lazy_depth = lazy_model(Depth, _depth_from_fields)
