"""Kraken Spot WebSocket API v1 payloads → :mod:`exwire.kraken.models`.

The only module that knows Kraken's wire names. Section numbers refer to the protocol notes of :doc:`the Kraken page </exchanges/kraken>`.

Each public-channel function takes the *payload*: the element(s) between
``channelID`` and ``channelName`` of a channel array (§3), i.e. ``msg[1]`` of a
4-element array, or ``msg[1:-2]`` for the book. Event functions take the whole
event object. The functions are hand-written per message because the payloads
are positional arrays and they run for every message (the target is around
100,000 messages per second): no reflection, one pass, no intermediate dicts.

Kraken sends every price, volume and time as a JSON string and counters as
JSON integers (§2), so ``Decimal(value)`` is exact here and cheaper than the
general :func:`exwire._core.codec.decimal_from_wire`; times go through
:func:`exwire._core.codec.epoch_to_datetime`, which keeps the microseconds.

Every function raises :class:`exwire.errors.DecodeError` (cause chained) when the
payload does not have the documented shape; it never returns a partial model.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from exwire._core.codec import EPOCH, MALFORMED, epoch_to_datetime, malformed
from exwire._core.lazy import joined_plain_decimals, lazy_model, plain_epochs, text_shape
from exwire.errors import DecodeError
from exwire.kraken.models import (
    _BOOK_LEVEL_SLOTS,
    BookLevel,
    BookUpdate,
    CancelAfterResult,
    ContingentOrder,
    Kline,
    KlineInterval,
    OrderDescription,
    OrderFlag,
    OrderStatus,
    OrderType,
    OrderUpdate,
    OwnTrade,
    PlacedOrder,
    Spread,
    SubscriptionState,
    SubscriptionStatus,
    SystemState,
    SystemStatus,
    Ticker,
    TimeInForce,
    Trade,
    WebSocketToken,
)
from exwire.models import Side

__all__ = [
    "ticker_from_wire",
    "trades_from_wire",
    "spread_from_wire",
    "kline_from_wire",
    "book_from_wire",
    "watched_book_from_wire",
    "watched_book_levels",
    "book_price",
    "system_status_from_wire",
    "subscription_status_from_wire",
    "order_updates_from_wire",
    "own_trades_from_wire",
    "placed_order_from_wire",
    "cancel_count_from_wire",
    "cancel_after_from_wire",
    "websocket_token_from_wire",
]

_MALFORMED = MALFORMED

# §5.3: the trade side and order type travel as single letters.
_TRADE_SIDES = {"b": Side.BUY, "s": Side.SELL}
_TRADE_ORDER_TYPES = {"m": OrderType.MARKET, "l": OrderType.LIMIT}

# §5.5: the optional fourth element of a book level.
_REPUBLISH_FLAG = "r"


def _malformed(kind: str, error: BaseException) -> DecodeError:
    return malformed("kraken", kind, error)


def ticker_from_wire(payload: dict[str, Any]) -> Ticker:
    """Decode a ticker payload (§5.1): ``{"a": [...], "b": [...], "c": ..., "v" ... "o"}``.

    A payload of the documented shape (plain decimal strings, integer counts) is
    checked here and decoded on first field read (:mod:`exwire._core.lazy`); any
    other payload is decoded now.

    Raises:
        DecodeError: when a key is missing or a value is not a number.
    """
    try:
        a, b, c, v, p, t = payload["a"], payload["b"], payload["c"], payload["v"], payload["p"], payload["t"]
        low, high, open_ = payload["l"], payload["h"], payload["o"]
        texts = (a[0], a[2], b[0], b[2], c[0], c[1], v[0], v[1], p[0], p[1],
                 low[0], low[1], high[0], high[1], open_[0], open_[1])
        fields = (None, a[1], b[1], t[0], t[1])
        if type(fields[1]) is int and type(fields[2]) is int and type(fields[3]) is int \
                and type(fields[4]) is int and (joined := joined_plain_decimals(texts)) is not None:
            # One string and four ints, not the payload: the JSON's dict and lists are
            # freed now, and the garbage collector untracks the tuple.
            return _lazy_ticker((joined, *fields[1:]))
    except (KeyError, IndexError, TypeError):
        pass
    return _ticker(payload)


def _ticker_from_fields(wire: tuple[Any, ...]) -> Ticker:
    """The ticker of a checked ``(joined texts, *counts)`` tuple built by :func:`ticker_from_wire`."""
    fields = (*wire[0].split(" "), *wire[1:])
    return Ticker(
        ask_price=Decimal(fields[0]),
        ask_quantity=Decimal(fields[1]),
        bid_price=Decimal(fields[2]),
        bid_quantity=Decimal(fields[3]),
        last_price=Decimal(fields[4]),
        last_quantity=Decimal(fields[5]),
        volume_today=Decimal(fields[6]),
        volume=Decimal(fields[7]),
        vwap_today=Decimal(fields[8]),
        vwap_24h=Decimal(fields[9]),
        low_today=Decimal(fields[10]),
        low_price=Decimal(fields[11]),
        high_today=Decimal(fields[12]),
        high_price=Decimal(fields[13]),
        open_today=Decimal(fields[14]),
        open_price=Decimal(fields[15]),
        ask_whole_lot_quantity=fields[16],
        bid_whole_lot_quantity=fields[17],
        trade_count_today=fields[18],
        trade_count_24h=fields[19],
    )


def _ticker(payload: dict[str, Any]) -> Ticker:
    try:
        ask = payload["a"]
        bid = payload["b"]
        last_trade = payload["c"]
        volume = payload["v"]
        vwap = payload["p"]
        trade_count = payload["t"]
        low = payload["l"]
        high = payload["h"]
        open_ = payload["o"]
        return Ticker(
            bid_price=Decimal(bid[0]),
            bid_quantity=Decimal(bid[2]),
            bid_whole_lot_quantity=int(bid[1]),
            ask_price=Decimal(ask[0]),
            ask_quantity=Decimal(ask[2]),
            ask_whole_lot_quantity=int(ask[1]),
            last_price=Decimal(last_trade[0]),
            last_quantity=Decimal(last_trade[1]),
            volume=Decimal(volume[1]),
            volume_today=Decimal(volume[0]),
            vwap_24h=Decimal(vwap[1]),
            vwap_today=Decimal(vwap[0]),
            trade_count_24h=int(trade_count[1]),
            trade_count_today=int(trade_count[0]),
            open_price=Decimal(open_[1]),
            open_today=Decimal(open_[0]),
            high_price=Decimal(high[1]),
            high_today=Decimal(high[0]),
            low_price=Decimal(low[1]),
            low_today=Decimal(low[0]),
        )
    except _MALFORMED as error:
        raise _malformed("ticker", error) from error


_trade_texts = text_shape("decimal", "decimal", "epoch")  # price, volume, time (§5.3)


def _trade(item: list[Any]) -> Trade:
    # The documented shape is checked here and decoded on first read; anything else now.
    side, order_type, misc = item[3], item[4], item[5]
    if ((side == "b" or side == "s") and type(order_type) is str and type(misc) is str
            and (joined := _trade_texts((item[0], item[1], item[2]))) is not None):
        # A tuple of strings (price, quantity and time joined): untracked by the garbage collector.
        return _lazy_trade((joined, side, order_type, misc))
    return _trade_now(item)


def _trade_from_fields(wire: tuple[str, str, str, str]) -> Trade:
    """The trade of a checked ``(joined texts, side, order type, misc)`` tuple built by :func:`_trade`."""
    return _trade_now([*wire[0].split(" "), *wire[1:]])


def _trade_now(item: list[Any]) -> Trade:
    order_type = item[4]
    return Trade(
        price=Decimal(item[0]),
        quantity=Decimal(item[1]),
        time=epoch_to_datetime(item[2]),
        side=_TRADE_SIDES[item[3]],
        # An order-type letter this version does not know is kept (OpenEnum).
        order_type=_TRADE_ORDER_TYPES.get(order_type) or OrderType(order_type),
        misc=item[5],
    )


def trades_from_wire(payload: Iterable[list[Any]]) -> list[Trade]:
    """Decode a trade payload (§5.3): a list of ``[price, volume, time, side, orderType, misc]``.

    The side letters ``b``/``s`` become :class:`exwire.models.Side`; the order
    type letters ``m``/``l`` become ``OrderType.MARKET``/``LIMIT`` and any other
    letter is kept as an unknown ``OrderType`` value.

    Raises:
        DecodeError: when an element is missing, a number or time is invalid,
            or the side is neither ``b`` nor ``s`` (a side cannot be unknown).
    """
    try:
        return [_trade(item) for item in payload]
    except _MALFORMED as error:
        raise _malformed("trade", error) from error


def spread_from_wire(payload: list[Any]) -> Spread:
    """Decode a spread payload (§5.4): ``[bid, ask, time, bidVolume, askVolume]``.

    The volumes are ``None`` when the array stops after the time.

    Raises:
        DecodeError: when an element is missing or invalid.
    """
    try:
        has_volumes = len(payload) >= 5
        return Spread(
            bid_price=Decimal(payload[0]),
            ask_price=Decimal(payload[1]),
            time=epoch_to_datetime(payload[2]),
            bid_quantity=Decimal(payload[3]) if has_volumes else None,
            ask_quantity=Decimal(payload[4]) if has_volumes else None,
        )
    except _MALFORMED as error:
        raise _malformed("spread", error) from error


def kline_from_wire(payload: list[Any], interval: KlineInterval | int) -> Kline:
    """Decode an ohlc payload (§5.2): ``[time, etime, open, high, low, close, vwap, volume, count]``.

    Args:
        payload: the array between channelID and channelName.
        interval: the candle length in minutes, taken from the channel name
            (``"ohlc-5"`` → 5).

    Raises:
        DecodeError: when an element is missing or invalid, or the interval is
            not one of :class:`~exwire.kraken.models.KlineInterval`.
    """
    try:
        minutes = KlineInterval(interval)
        close_time = epoch_to_datetime(payload[1])
        return Kline(
            open_time=close_time - timedelta(minutes=int(minutes)),
            close_time=close_time,
            updated_at=epoch_to_datetime(payload[0]),
            open=Decimal(payload[2]),
            high=Decimal(payload[3]),
            low=Decimal(payload[4]),
            close=Decimal(payload[5]),
            vwap=Decimal(payload[6]),
            volume=Decimal(payload[7]),
            trade_count=int(payload[8]),
            interval=minutes,
        )
    except _MALFORMED as error:
        raise _malformed("ohlc", error) from error


# BookLevel built without attrs' __init__ (one object, four slot writes): a snapshot has
# up to a thousand levels per side. The time slot takes the wire text when it converts
# without error ("<at most 10 digits>[.<digits>]": no overflow), and
# BookLevel.time turns it into the datetime on first read; any other shape is converted
# here, so a malformed time still fails the decoding.
_new_level = object.__new__
_set_price = _BOOK_LEVEL_SLOTS["price"].__set__
_set_quantity = _BOOK_LEVEL_SLOTS["quantity"].__set__
_set_time = _BOOK_LEVEL_SLOTS["time"].__set__
_set_republished = _BOOK_LEVEL_SLOTS["republished"].__set__
_set_update_asks = BookUpdate.__dict__["asks"].__set__
_set_update_bids = BookUpdate.__dict__["bids"].__set__
_set_update_checksum = BookUpdate.__dict__["checksum"].__set__
_set_update_is_snapshot = BookUpdate.__dict__["is_snapshot"].__set__


#: Book prices already decoded, by wire text. A book's prices recur (most updates change a
#: level the book holds, a snapshot after a resubscription repeats the book), and a
#: Decimal made once is hashed once: hashing a new Decimal, which every dict of the book
#: does on its first use, costs more than making it. Decimals are immutable, so one
#: object serves every book and thread; the table starts afresh when full.
_PRICES: dict[Any, Decimal] = {}
_PRICES_LIMIT = 50_000


def book_price(text: Any) -> Decimal:
    """The ``Decimal`` of a book level's price text, the same object for the same text.

    Kraken repeats a few thousand price texts per pair, and hashing a new ``Decimal``
    (every book dict does) costs more than decoding the level: the decoded prices are
    kept in one table of at most 50,000 texts, emptied when full. Any thread may call it.

    Raises:
        decimal.InvalidOperation: ``text`` is not a number.
        TypeError: ``text`` is not hashable, or of a type ``Decimal`` does not take.
    """
    price = _PRICES.get(text)
    return price if price is not None else _kept(_PRICES, text)


def _kept(table: dict[Any, Decimal], text: Any) -> Decimal:
    """``Decimal(text)``, made and kept in ``table`` (emptied first when full); ``text`` is not in it."""
    value = Decimal(text)
    if len(table) >= _PRICES_LIMIT:
        table.clear()
    table[text] = value
    return value


#: Book quantities already decoded, by wire text, as :data:`_PRICES` holds the prices: a watched
#: book's quantities recur too (a deletion's zero, round lots, the levels a snapshot after a
#: resubscription repeats; two updates in three of a capture name a quantity text seen before),
#: and a lookup costs a tenth of a ``Decimal`` of the text.
_QUANTITIES: dict[Any, Decimal] = {}


def _book_quantity(text: Any) -> Decimal:
    """``Decimal(text)``, the same object for the same text (kept as :func:`book_price` keeps prices).

    Raises:
        decimal.InvalidOperation: ``text`` is not a number.
        TypeError: ``text`` is not hashable, or of a type ``Decimal`` does not take.
    """
    quantity = _QUANTITIES.get(text)
    return quantity if quantity is not None else _kept(_QUANTITIES, text)


def _book_levels(levels: Iterable[list[Any]]) -> list[BookLevel]:
    """The levels of one side of one object, in wire order (one call per side, not per level)."""
    out: list[BookLevel] = []
    append = out.append
    for level in levels:
        try:
            price, quantity, time = level  # the usual level: no fourth element
            republished = False
        except ValueError:  # a republished level ("r"), or a malformed one
            price, quantity, time = level[0], level[1], level[2]
            republished = len(level) > 3 and level[3] == _REPUBLISH_FLAG
        new = _new_level(BookLevel)
        known = _PRICES.get(price)
        _set_price(new, known if known is not None else book_price(price))
        _set_quantity(new, Decimal(quantity))
        if type(time) is str:
            seconds, _, fraction = time.partition(".")
            # isdecimal: what int() reads (isdigit also passes "²"); 10 digits: no overflow.
            if not (seconds.isdecimal() and len(seconds) <= 10 and (fraction.isdecimal() or not fraction)):
                time = epoch_to_datetime(time)
        else:
            time = epoch_to_datetime(time)
        _set_time(new, time)
        _set_republished(new, republished)
        append(new)
    return out


def _plain_book_update(payloads: Sequence[Any]) -> tuple[str, int, Any] | None:
    """``(joined level texts, ask level count, checksum)`` of an update of the usual shape, else ``None``.

    The usual update (§5.5): one or two objects holding only ``a``, ``b`` and ``c``;
    levels of exactly ``[price, quantity, time]`` strings, prices and quantities plain
    decimals, times epoch seconds; the checksum a string of ASCII digits. Snapshots,
    republished levels and anything else return ``None`` (decoded at once).
    """
    asks: list[Any] = []
    bids: list[Any] = []
    checksum: Any = None
    for obj in payloads:
        if type(obj) is not dict:
            return None
        for key, value in obj.items():
            if key == "c":
                checksum = value
            elif type(value) is not list:  # a null side, a snapshot key, anything else: decoded now
                return None
            elif key == "a":
                asks.extend(value)
            elif key == "b":
                bids.extend(value)
            else:
                return None
    if not (asks or bids) or type(checksum) is not str or not (checksum.isascii() and checksum.isdigit()):
        return None
    texts: list[Any] = []
    for level in (*asks, *bids):
        if type(level) is not list or len(level) != 3:
            return None
        texts += level
    joined = joined_plain_decimals(texts)
    if joined is None or not plain_epochs(texts[2::3]):
        return None
    return joined, len(asks), checksum


def _book_update_from_fields(wire: tuple[str, int, Any]) -> BookUpdate:
    """The update of a checked ``(joined texts, ask count, checksum)`` tuple (:func:`_plain_book_update`)."""
    texts = wire[0].split(" ")
    levels = [texts[index:index + 3] for index in range(0, len(texts), 3)]
    count = wire[1]
    return _book_now(({"a": levels[:count], "b": levels[count:], "c": wire[2]},))[1]


def book_from_wire(payloads: Sequence[dict[str, Any]], *, lazy: bool = True) -> tuple[bool, BookUpdate]:
    """Decode a book snapshot or update (§5.5) from the objects between channelID and channelName.

    Accepts both array forms: 4 elements (one object: ``{"as", "bs"}`` for a
    snapshot, ``{"a", "c"}`` or ``{"b", "c"}`` for an update) and 5 elements
    (two objects, ``{"a"}`` then ``{"b", "c"}``; the checksum sits in the last
    object). Levels keep their wire order, because the same price may repeat
    within one message and the last occurrence wins. A level's fourth element
    ``"r"`` sets :attr:`~exwire.kraken.models.BookLevel.republished`. A price text seen
    before gives the same ``Decimal`` object (:func:`book_price`); a level's time is read
    from its text when first used (:class:`~exwire.kraken.models.BookLevel`).

    An update of the usual shape (:func:`_plain_book_update`) is checked here and
    decoded on first field read (:mod:`exwire._core.lazy`); snapshots and anything
    else are decoded now.

    Args:
        payloads: ``msg[1:-2]`` of the channel array: one or two objects.
        lazy: ``False`` decodes every update now: what a book maintained from every
            level (``watch_order_book``) reads at once anyway.

    Returns:
        ``(is_snapshot, update)``; ``update.is_snapshot`` holds the same flag.

    Raises:
        DecodeError: when a level is malformed, the checksum is not an integer,
            or no object holds a known key.
    """
    if lazy:
        plain = _plain_book_update(payloads)
        if plain is not None:
            return False, _lazy_book_update(plain)
    return _book_now(payloads)


def _book_now(payloads: Iterable[dict[str, Any]]) -> tuple[bool, BookUpdate]:
    try:
        asks: tuple[BookLevel, ...] = ()
        bids: tuple[BookLevel, ...] = ()
        checksum: int | None = None
        is_snapshot = False
        recognised = False
        for obj in payloads:
            for key, value in obj.items():  # one pass over the object's few keys, in wire order
                if value is None:  # a null stands for an absent key
                    continue
                if key == "c":
                    checksum = int(value)
                elif key == "a" or key == "as":
                    asks = (*asks, *_book_levels(value)) if asks else tuple(_book_levels(value))
                    is_snapshot = is_snapshot or key == "as"
                elif key == "b" or key == "bs":
                    bids = (*bids, *_book_levels(value)) if bids else tuple(_book_levels(value))
                    is_snapshot = is_snapshot or key == "bs"
                else:
                    continue
                recognised = True
        if not recognised:
            raise ValueError("no 'as', 'bs', 'a', 'b' or 'c' key")
    except _MALFORMED as error:
        raise _malformed("book", error) from error
    # BookUpdate(asks=..., bids=..., checksum=..., is_snapshot=...) by slot writes, as for the levels.
    update = _new_level(BookUpdate)
    _set_update_asks(update, asks)
    _set_update_bids(update, bids)
    _set_update_checksum(update, checksum)
    _set_update_is_snapshot(update, is_snapshot)
    return is_snapshot, update


#: What :func:`watched_book_from_wire` keeps of a message: ``(payloads, ask levels, bid
#: levels, checksum, is_snapshot)``, each side's levels as ``(price, quantity)`` pairs in
#: wire order.
WatchedBook = tuple[Sequence[Any], Sequence[tuple[Decimal, Decimal]], Sequence[tuple[Decimal, Decimal]], "int | None",
                    bool]
#: The side of a :data:`WatchedBook` that the message does not name.
_NO_PAIRS: tuple[tuple[Decimal, Decimal], ...] = ()


class _Unusual(Exception):
    """A watched book's message outside the usual shape: decoded at once instead."""


def watched_book_from_wire(payloads: Sequence[Any]) -> tuple[bool, BookUpdate]:
    """:func:`book_from_wire` for a book a watcher maintains: each level's price and quantity
    decoded now, no level model built unless the update is read.

    The usual message (objects of ``as``/``bs``/``a``/``b``/``c`` keys, levels of
    ``[price, quantity, time]`` or ``[price, quantity, time, "r"]`` with a plain epoch time)
    is decoded to ``(price, quantity)`` pairs, with the same ``Decimal`` values as
    :func:`book_from_wire` (a quantity text seen before gives the same ``Decimal`` object,
    kept as :func:`book_price` keeps prices), and kept with the payload in an update decoded on first field
    read (:mod:`exwire._core.lazy`): the watcher applies the pairs
    (:func:`watched_book_levels`), and any other subscriber of the same book reads the
    update as :func:`book_from_wire` builds it (the fill is the eager decoder on the kept
    payload, which the checks here guarantee succeeds). Any other message is decoded at
    once by :func:`book_from_wire`, which raises as it does.

    The checks run the same steps as the eager decoder (keys in wire order, ``None``
    values skipped, ``int`` of the checksum, :func:`book_price` and ``Decimal`` (once per
    text) of each level's texts, a level read as ``_book_levels`` reads it), so where they pass the
    eager decoder gives the same values; they also require dict objects, list sides and
    a plain epoch time text (what the eager decoder keeps as text without converting).

    Raises:
        DecodeError: as :func:`book_from_wire`.
    """
    known = _PRICES.get
    amounts = _QUANTITIES.get
    if len(payloads) == 1:
        # The usual update: one object of one side's one level and the checksum
        # ({"a": [level], "c": "..."} or {"b": ...}), what the loop below makes of it in fewer steps.
        obj = payloads[0]
        if type(obj) is dict and len(obj) == 2 and "c" in obj:
            value = obj.get("a")
            side = 1
            if value is None:
                value = obj.get("b")
                side = 2
            if type(value) is list and len(value) == 1:
                try:
                    checksum = obj["c"]
                    if checksum is not None:
                        checksum = int(checksum)
                    level = value[0]
                    try:
                        price, quantity, time = level
                    except ValueError:  # as below
                        price, quantity, time = level[0], level[1], level[2]
                    if type(time) is not str:
                        raise _Unusual
                    # The loop's check in fewer calls: at most 10 digits of seconds (at least one),
                    # then an optional "." and digits.
                    dot = time.find(".")
                    if not ((0 < dot <= 10) if dot >= 0 else len(time) <= 10) or \
                            not time.replace(".", "", 1).isdecimal():
                        raise _Unusual
                    decoded = known(price)
                    amount = amounts(quantity)
                    pairs = [(decoded if decoded is not None else book_price(price),
                              amount if amount is not None else _book_quantity(quantity))]
                except Exception:  # noqa: BLE001 - as below
                    return _book_now(payloads)
                update: Any = _new_level(_WATCHED_BOOK_UPDATE)
                _set_wire(update, (payloads, pairs, _NO_PAIRS, checksum, False) if side == 1
                          else (payloads, _NO_PAIRS, pairs, checksum, False))
                return False, update
    asks: list[tuple[Decimal, Decimal]] = []
    bids: list[tuple[Decimal, Decimal]] = []
    checksum = None
    is_snapshot = recognised = False
    try:
        for obj in payloads:
            if type(obj) is not dict:
                raise _Unusual
            for key, value in obj.items():
                if value is None:
                    continue
                if key == "c":
                    checksum = int(value)
                elif key == "a" or key == "b" or key == "as" or key == "bs":
                    if type(value) is not list:
                        raise _Unusual
                    if len(value) > _COLUMNS_FROM and _columns(value, asks if key[0] == "a" else bids):
                        if len(key) == 2:
                            is_snapshot = True
                        recognised = True
                        continue
                    append = asks.append if key[0] == "a" else bids.append
                    for level in value:
                        try:
                            price, quantity, time = level  # the usual level: no fourth element
                        except ValueError:  # as _book_levels: a republished level ("r"), or a malformed one
                            price, quantity, time = level[0], level[1], level[2]
                        if type(time) is not str:
                            raise _Unusual
                        seconds, _, fraction = time.partition(".")
                        if not (seconds.isdecimal() and len(seconds) <= 10 and (fraction.isdecimal() or not fraction)):
                            raise _Unusual
                        decoded = known(price)
                        amount = amounts(quantity)
                        append((decoded if decoded is not None else book_price(price),
                                amount if amount is not None else _book_quantity(quantity)))
                    if len(key) == 2:
                        is_snapshot = True
                else:
                    continue
                recognised = True
        if not recognised:
            raise _Unusual
    except Exception:  # noqa: BLE001 - _Unusual, or a malformed message: the eager decoder raises what it raises
        return _book_now(payloads)
    update = _new_level(_WATCHED_BOOK_UPDATE)  # _watched_book_update(...) without the call
    _set_wire(update, (payloads, asks, bids, checksum, is_snapshot))
    return is_snapshot, update


#: Sides longer than this (snapshots) are decoded column by column (:func:`_columns`).
_COLUMNS_FROM = 16
#: Space-joined epoch times each of which _book_levels keeps as text (at most 10 digits of
#: seconds, an optional fraction); ASCII digits only, so stricter than its isdecimal checks.
_PLAIN_TIMES = re.compile(r"[0-9]{1,10}+(?:\.[0-9]*+)?+(?: [0-9]{1,10}+(?:\.[0-9]*+)?+)*+", re.ASCII).fullmatch


def _columns(levels: list[Any], side: list[tuple[Decimal, Decimal]]) -> bool:
    """Add a long side's ``(price, quantity)`` pairs to ``side`` a column at a time; False (nothing
    added) when it does not have the usual shape, for the level-by-level loop to decide.

    The same values as that loop: every level's first three elements (``zip`` stops at the
    shortest level, and a level shorter than three makes the unpacking fail), every time
    checked in one regex call (a non-string fails the join), :func:`book_price` of each
    price and ``Decimal`` of each quantity.
    """
    try:
        prices, quantities, times = zip(*levels, strict=False)
        if _PLAIN_TIMES(" ".join(times)) is None:
            return False
        known = _PRICES.get
        # A zero price (falsy) takes book_price too, which gives the same kept Decimal.
        decoded = [known(text) or book_price(text) for text in prices]
        # Quantities are not looked up (_QUANTITIES): a snapshot's are mostly new texts, and
        # missing the table costs more than the Decimal.
        pairs = list(zip(decoded, map(Decimal, quantities), strict=True))  # whole before side changes
    except Exception:  # noqa: BLE001 - the loop reads it level by level (and fails as it fails)
        return False
    side.extend(pairs)
    return True


def watched_book_levels(update: BookUpdate) -> WatchedBook | None:
    """What :func:`watched_book_from_wire` kept of ``update``, or ``None`` (any other update,
    or one whose fields were read already: its models are then the levels to apply)."""
    if type(update) is not _WATCHED_BOOK_UPDATE:
        return None
    try:
        wire: WatchedBook = _get_wire(update)
    except AttributeError:  # read already: the payload was dropped
        return None
    return wire


def _watched_book_fill(wire: WatchedBook) -> BookUpdate:
    """The update :func:`book_from_wire` builds from a :data:`WatchedBook`'s payload."""
    return _book_now(wire[0])[1]


def system_status_from_wire(obj: dict[str, Any]) -> SystemStatus:
    """Decode a ``systemStatus`` event (§4.3); an unknown ``status`` is kept.

    Raises:
        DecodeError: when ``status`` is missing or ``connectionID`` is not an integer.
    """
    try:
        connection_id = obj.get("connectionID")
        return SystemStatus(
            connection_id=None if connection_id is None else int(connection_id),
            status=SystemState(obj["status"]),
            version=str(obj.get("version", "")),
        )
    except _MALFORMED as error:
        raise _malformed("systemStatus", error) from error


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _optional_str(value: Any, name: str) -> str | None:
    # Names and pairs become routing keys: anything but a string is a malformed payload.
    if value is None or type(value) is str:
        return value
    raise TypeError(f"{name} is {type(value).__name__}, not a string")


def subscription_status_from_wire(obj: dict[str, Any]) -> SubscriptionStatus:
    """Decode a ``subscriptionStatus`` event (§4.6); an unknown ``status`` is kept.

    Raises:
        DecodeError: when ``status`` is missing, a numeric field (``reqid`` included)
            is not an integer, or ``channelName``/``pair`` is not a string.
    """
    try:
        subscription = obj.get("subscription") or {}
        request_id = obj.get("reqid")
        if request_id is not None and type(request_id) is not int:
            raise TypeError(f"reqid is {type(request_id).__name__}, not an integer")
        error_message = obj.get("errorMessage")
        return SubscriptionStatus(
            status=SubscriptionState(obj["status"]),
            channel_name=_optional_str(obj.get("channelName"), "channelName"),
            pair=_optional_str(obj.get("pair"), "pair"),
            request_id=request_id,
            name=_optional_str(subscription.get("name"), "subscription.name"),
            depth=_optional_int(subscription.get("depth")),
            interval=_optional_int(subscription.get("interval")),
            max_rate_count=_optional_int(subscription.get("maxratecount")),
            error_message=None if error_message is None else str(error_message),
            channel_id=_optional_int(obj.get("channelID")),
        )
    except _MALFORMED as error:
        raise _malformed("subscriptionStatus", error) from error


# -- private channels (§7): one-key objects keyed by Kraken id --------------------


def _optional_decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value)


def _optional_time(value: Any) -> datetime | None:
    # Kraken sends "0" / "0.000000" for an unset start or expiry time (§7.2).
    if value is None:
        return None
    time = epoch_to_datetime(value)
    return None if time == EPOCH else time


def _optional_bool(value: Any) -> bool | None:
    # Booleans may arrive as JSON booleans or as "true"/"false" strings.
    if value is None or isinstance(value, bool):
        return value
    return str(value).lower() == "true"


def _flags(text: Any) -> tuple[OrderFlag, ...] | None:
    return None if text is None else tuple(OrderFlag(flag) for flag in str(text).split(",") if flag)


def _order_description(descr: dict[str, Any] | None) -> OrderDescription | None:
    if descr is None:
        return None
    side = descr.get("type")
    order_type = descr.get("ordertype")
    return OrderDescription(
        pair=descr.get("pair"),
        side=None if side is None else Side(side),
        order_type=None if order_type is None else OrderType(order_type),
        price=_optional_decimal(descr.get("price")),
        secondary_price=_optional_decimal(descr.get("price2")),
        leverage=descr.get("leverage"),
        order=descr.get("order"),
        close=descr.get("close"),
        position=descr.get("position"),
    )


def _contingent(obj: dict[str, Any] | None) -> ContingentOrder | None:
    if obj is None:
        return None
    order_type = obj.get("ordertype")
    return ContingentOrder(
        order_type=None if order_type is None else OrderType(order_type),
        price=_optional_decimal(obj.get("price")),
        secondary_price=_optional_decimal(obj.get("price2")),
        flags=_flags(obj.get("oflags")),
    )


def _order_update(order_id: str, fields: dict[str, Any], sequence: int | None) -> OrderUpdate:
    get = fields.get
    status = get("status")
    time_in_force = get("timeinforce")
    description = _order_description(get("descr"))
    return OrderUpdate(
        order_id=order_id,
        client_order_id=get("cl_ord_id"),
        symbol=None if description is None else description.pair,
        side=None if description is None else description.side,
        order_type=None if description is None else description.order_type,
        status=None if status is None else OrderStatus(status),
        price=None if description is None else description.price,
        secondary_price=None if description is None else description.secondary_price,
        quantity=_optional_decimal(get("vol")),
        filled_quantity=_optional_decimal(get("vol_exec")),
        average_price=_optional_decimal(get("avg_price")),
        time_in_force=None if time_in_force is None else TimeInForce(time_in_force),
        created_at=_optional_time(get("opentm")),
        updated_at=_optional_time(get("lastupdated")),
        sequence=sequence,
        reference_id=get("refid"),
        user_reference=_optional_int(get("userref")),
        external_order_id=get("ext_ord_id"),
        start_time=_optional_time(get("starttm")),
        expire_time=_optional_time(get("expiretm")),
        description=description,
        display_quantity=_optional_decimal(get("display_volume")),
        display_quantity_remaining=_optional_decimal(get("display_volume_remain")),
        contingent=_contingent(get("contingent")),
        cost=_optional_decimal(get("cost")),
        fee=_optional_decimal(get("fee")),
        stop_price=_optional_decimal(get("stopprice")),
        limit_price=_optional_decimal(get("limitprice")),
        misc=get("misc"),
        flags=_flags(get("oflags")),
        cancel_reason=get("cancel_reason"),
        amended=_optional_bool(get("amended")),
        rate_count=_optional_decimal(get("ratecount")),
    )


def order_updates_from_wire(
    payload: Iterable[dict[str, dict[str, Any]]], sequence: int | None = None
) -> list[OrderUpdate]:
    """Decode an ``openOrders`` payload (§7.2): a list of ``{order_id: {fields}}`` objects.

    Fields absent from a partial update are ``None`` in the model; unknown
    status, order type, flag and time-in-force values are kept.

    Args:
        payload: ``msg[0]`` of the private array ``[payload, "openOrders", {"sequence": n}]``.
        sequence: that array's ``sequence``, kept on every update.

    Raises:
        DecodeError: when an element is not an object or a field is malformed.
    """
    try:
        return [_order_update(order_id, fields, sequence) for item in payload for order_id, fields in item.items()]
    except _MALFORMED as error:
        raise _malformed("openOrders", error) from error


def _own_trade(trade_id: str, fields: dict[str, Any], sequence: int | None) -> OwnTrade:
    get = fields.get
    return OwnTrade(
        trade_id=trade_id,
        order_id=fields["ordertxid"],
        symbol=fields["pair"],
        side=Side(fields["type"]),
        price=Decimal(fields["price"]),
        quantity=Decimal(fields["vol"]),
        fee=Decimal(fields["fee"]),
        time=epoch_to_datetime(fields["time"]),
        sequence=sequence,
        position_id=get("postxid"),
        order_type=OrderType(fields["ordertype"]),
        cost=Decimal(fields["cost"]),
        margin=_optional_decimal(get("margin")),
        user_reference=_optional_int(get("userref")),
        client_order_id=get("cl_ord_id"),
        margin_borrow=_optional_bool(get("margin_borrow")),
        external_execution_id=get("ext_exec_id"),
    )


def own_trades_from_wire(
    payload: Iterable[dict[str, dict[str, Any]]], sequence: int | None = None
) -> list[OwnTrade]:
    """Decode an ``ownTrades`` payload (§7.1): a list of ``{trade_id: {fields}}`` objects.

    Args:
        payload: ``msg[0]`` of the private array ``[payload, "ownTrades", {"sequence": n}]``.
        sequence: that array's ``sequence``, kept on every trade.

    Raises:
        DecodeError: when a required field (``ordertxid``, ``pair``, ``time``,
            ``type``, ``ordertype``, ``price``, ``cost``, ``fee``, ``vol``) is
            missing or malformed, or the side is neither buy nor sell.
    """
    try:
        return [_own_trade(trade_id, fields, sequence) for item in payload for trade_id, fields in item.items()]
    except _MALFORMED as error:
        raise _malformed("ownTrades", error) from error


# -- trading replies (§8) and the REST token (§6.1) ---------------------------------


def placed_order_from_wire(obj: dict[str, Any], user_reference: int | None = None) -> PlacedOrder:
    """Decode an ``addOrderStatus`` with ``status: ok`` (§8.1).

    ``txid`` is one string on the WebSocket API (a one-element list is tolerated);
    it is absent for a validate-only order.

    Args:
        user_reference: the ``userref`` the request carried (Kraken does not echo it).

    Raises:
        DecodeError: ``txid`` or ``descr`` has an unexpected type.
    """
    try:
        txid = obj.get("txid")
        if isinstance(txid, list):
            txid = txid[0] if txid else None
        if txid is not None and not isinstance(txid, str):
            raise TypeError(f"txid is {type(txid).__name__}")
        description = obj.get("descr")
        if isinstance(description, dict):  # REST's shape: {"order": "...", "close": "..."}
            description = description.get("order")
        if description is not None and not isinstance(description, str):
            raise TypeError(f"descr is {type(description).__name__}")
        client_order_id = obj.get("cl_ord_id")
        return PlacedOrder(
            order_id=txid,
            description=description,
            client_order_id=None if client_order_id is None else str(client_order_id),
            user_reference=user_reference,
        )
    except _MALFORMED as error:
        raise _malformed("addOrderStatus", error) from error


def cancel_count_from_wire(obj: dict[str, Any]) -> int:
    """The number of orders a ``cancelAllStatus`` reports cancelled (§8.4).

    ``count`` is a JSON integer on the wire although the schema says string; both are read.

    Raises:
        DecodeError: ``count`` is missing or not an integer.
    """
    try:
        return int(obj["count"])
    except _MALFORMED as error:
        raise _malformed("cancelAllStatus", error) from error


def _rfc3339(value: Any) -> datetime:
    time = datetime.fromisoformat(value)
    if time.tzinfo is None:
        raise ValueError(f"time without offset: {value!r}")
    return time.astimezone(UTC)


def cancel_after_from_wire(obj: dict[str, Any]) -> CancelAfterResult:
    """Decode a ``cancelAllOrdersAfterStatus`` (§8.5): RFC 3339 times, ``"0"`` = disabled.

    Raises:
        DecodeError: a time is missing or not RFC 3339 with an offset.
    """
    try:
        trigger = obj["triggerTime"]
        return CancelAfterResult(
            current_time=_rfc3339(obj["currentTime"]),
            trigger_time=None if trigger in ("0", 0) else _rfc3339(trigger),
        )
    except _MALFORMED as error:
        raise _malformed("cancelAllOrdersAfterStatus", error) from error


def websocket_token_from_wire(result: dict[str, Any], received_at: datetime) -> WebSocketToken:
    """Decode the ``result`` of ``GetWebSocketsToken`` (§6.1): ``{"token", "expires"}``.

    Args:
        received_at: when the reply arrived (aware UTC); ``expires`` counts from it.

    Raises:
        DecodeError: ``token`` is missing or empty, or ``expires`` is not a number.
            The message never contains the token.
    """
    try:
        token = result["token"]
        if not isinstance(token, str) or not token:
            raise ValueError("token is not a non-empty string")
        lifetime = float(result.get("expires", 900))
        return WebSocketToken(token=token, lifetime=lifetime, expires_at=received_at + timedelta(seconds=lifetime))
    except _MALFORMED as error:
        raise DecodeError(f"malformed kraken GetWebSocketsToken result: {type(error).__name__}") from None


# Models decoded on first read (exwire._core.lazy): the payload is checked above first.
_lazy_ticker = lazy_model(Ticker, _ticker_from_fields)
_lazy_trade = lazy_model(Trade, _trade_from_fields)
_lazy_book_update = lazy_model(BookUpdate, _book_update_from_fields)
_watched_book_update = lazy_model(BookUpdate, _watched_book_fill)
_WATCHED_BOOK_UPDATE = type(_watched_book_update(None))
_get_wire = _WATCHED_BOOK_UPDATE.__dict__["_wire"].__get__  # the slot's read: AttributeError once dropped
_set_wire = _WATCHED_BOOK_UPDATE.__dict__["_wire"].__set__
