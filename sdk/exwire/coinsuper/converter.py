"""Coinsuper MQTT payloads → :mod:`exwire.coinsuper.models`.

The only module that knows Coinsuper's JSON field names. Section numbers refer to the protocol notes of :doc:`the Coinsuper page </exchanges/coinsuper>` §3.

Payloads are parsed by :func:`loads`, which turns every JSON number with a fraction
into ``Decimal`` straight from its text (``parse_float=Decimal``): the asset payload
carries numbers such as ``0.738763122563248000000000000000`` that a float would round.
Market data sends money as strings; private payloads may send strings or numbers, so
every money field goes through :func:`exwire._core.codec.decimal_from_wire`, which is
exact for ``str``, ``int`` and ``Decimal``. Times are epoch milliseconds (an ``int`` or,
in the fill payload, a string). Ids are kept as strings whatever their JSON type.

Order books, the busiest topic, have a quick path (:func:`order_book_from_json`):
orjson, with the level texts kept until read, for the payloads it reads exactly as
:func:`loads` does (money as strings, no number a float would round); it declines any
other, which then goes the exact way.

Every function raises :class:`exwire.errors.DecodeError` (cause chained) when the
payload does not have the documented shape; it never returns a partial model. Fields the
doc marks optional or unsure become ``None`` when absent.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal, localcontext
from itertools import chain
from operator import itemgetter
from typing import Any, TypeVar

from exwire._core import codec
from exwire._core.codec import MALFORMED, decimal_from_wire, epoch_ms_to_datetime, loads_exact, malformed
from exwire.coinsuper.models import (
    Balance,
    BalanceUpdate,
    DepthLevel,
    Kline,
    KlineInterval,
    MarketDepth,
    MatchType,
    OrderBookSnapshot,
    OrderBookStep,
    OrderState,
    OrderType,
    OrderUpdate,
    Trade,
    UserTrade,
    lazy_order_book_snapshots,
)
from exwire.errors import DecodeError
from exwire.models import Side

__all__ = [
    "loads",
    "market_depth_from_wire",
    "order_book_from_wire",
    "order_book_from_json",
    "order_book_from_payload",
    "kline_from_wire",
    "trades_from_wire",
    "balance_update_from_wire",
    "order_updates_from_wire",
    "user_trades_from_wire",
]

_MALFORMED = MALFORMED
_SIDES = {"BUY": Side.BUY, "SELL": Side.SELL}
_EXACT_PRECISION = 200  # digits: plenty for any balance difference Coinsuper can send

T = TypeVar("T")


def loads(payload: str | bytes) -> Any:
    """Parse a JSON payload, keeping every fractional number exact as ``Decimal``.

    Raises:
        DecodeError: the payload is not UTF-8 JSON.
    """
    try:
        # Bytes straight to the parser (loads_exact decides as json.loads of the bytes does,
        # the encoding detected the same way): no text copy of the payload first.
        return loads_exact(payload)
    except (ValueError, TypeError, RecursionError) as error:  # UnicodeDecodeError is a ValueError
        raise DecodeError(f"coinsuper payload is not JSON: {error}", payload) from error


def _malformed(kind: str, error: BaseException) -> DecodeError:
    return malformed("coinsuper", kind, error)


def _decode(kind: str, build: Callable[[], T]) -> T:
    try:
        return build()
    except DecodeError:
        raise
    except _MALFORMED as error:
        raise _malformed(kind, error) from error


def _decimal(value: Any) -> Decimal:
    if value is None:
        raise ValueError("missing number")
    return decimal_from_wire(value)


def _optional_decimal(value: Any) -> Decimal | None:
    return None if value is None or value == "" else decimal_from_wire(value)


def _time(value: Any) -> datetime:
    if value is None:
        raise ValueError("missing time")
    return epoch_ms_to_datetime(value)


def _optional_time(value: Any) -> datetime | None:
    return None if value is None or value == "" else epoch_ms_to_datetime(value)


def _id(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)) or value == "":
        raise ValueError(f"not an id: {value!r}")
    return str(value)


def _side(value: Any) -> Side:
    # A side cannot be "unknown": a value other than BUY/SELL makes the payload undecodable.
    return _SIDES[value.upper()]


def _symbol(payload: dict[str, Any], fallback: str) -> str:
    symbol = payload.get("symbol")
    return symbol if isinstance(symbol, str) and symbol else fallback


def market_depth_from_wire(payload: dict[str, Any], symbol: str) -> MarketDepth:
    """Decode a depth-chart payload (§3.1). ``stepValue`` (deprecated) is ignored.

    Args:
        payload: the parsed JSON object.
        symbol: the pair of the topic, used when the payload carries none.
    """

    def build() -> MarketDepth:
        def levels(side: str) -> tuple[DepthLevel, ...]:
            return tuple([
                DepthLevel(
                    price=Decimal(price) if type(price := level["price"]) is str else _decimal(price),
                    quantity=Decimal(quantity) if type(quantity := level["quantity"]) is str else _decimal(quantity),
                )
                for level in payload[side]
            ])

        return MarketDepth(
            symbol=_symbol(payload, symbol),
            asks=levels("asks"),
            bids=levels("bids"),
            depth_percent=_optional_decimal(payload.get("depthPercent")),
            best_ask=_optional_decimal(payload.get("asksMinPrice")),
            best_bid=_optional_decimal(payload.get("bidsMaxPrice")),
        )

    return _decode("depth", build)


def order_book_from_wire(payload: dict[str, Any], symbol: str, step: OrderBookStep | str) -> OrderBookSnapshot:
    """Decode an order book payload (§3.2). ``amount`` (deprecated) is ignored.

    Args:
        payload: the parsed JSON object.
        symbol: the pair of the topic, used when the payload carries none.
        step: the step of the topic, used when the payload carries none.
    """

    def build() -> OrderBookSnapshot:
        def levels(side: str) -> list[tuple[Decimal, Decimal]]:
            # 30 levels a publish: string money (the documented form) goes straight to
            # Decimal; the Level objects are built when a side is first read.
            return [
                (Decimal(price) if type(price := level["limitPrice"]) is str else _decimal(price),
                 Decimal(quantity) if type(quantity := level["quantity"]) is str else _decimal(quantity))
                for level in payload[side]
            ]

        asks, bids = levels("asks"), levels("bids")
        return _order_book(payload, symbol, payload.get("step", step), asks, bids,
                           payload.get("limitSize"), payload.get("timestamp"))

    return _decode("orderBook", build)


_STEPS: dict[str, OrderBookStep | str] = {step.value: step for step in OrderBookStep}
_BOOK_LEVEL = itemgetter("limitPrice", "quantity")  # a level's texts, read when the snapshot's Levels are built
_PRICE = itemgetter("limitPrice")
_QUANTITY = itemgetter("quantity")
# Every price and quantity of a side, joined by commas: plain decimals only (ASCII digits,
# optionally one point between digits), each of which Decimal reads exactly and never refuses.
# Possessive (nothing here needs backtracking): about 3x quicker than the same greedy pattern.
_PLAIN_DECIMALS = re.compile(r"[0-9]++(?:\.[0-9]++)?+(?:,[0-9]++(?:\.[0-9]++)?+)*+", re.ASCII)
_FAST_FAILURES = (DecodeError, RecursionError, *MALFORMED)


def _plain_sides(asks: Any, bids: Any) -> bool:
    """Whether both sides are lists of levels whose price and quantity are all plain decimal texts."""
    if type(asks) is not list or type(bids) is not list:
        return False
    if not asks and not bids:
        return True
    # A missing field or a level that is no object raises; a value that is no text makes join raise.
    text = ",".join(chain(map(_PRICE, asks), map(_QUANTITY, asks), map(_PRICE, bids), map(_QUANTITY, bids)))
    # As many numbers as texts: a text holding a comma ("0,5") would make two plain ones.
    return _PLAIN_DECIMALS.fullmatch(text) is not None and text.count(",") == 2 * (len(asks) + len(bids)) - 1


def order_book_from_json(data: str | bytes, symbol: str, step: OrderBookStep | str) -> OrderBookSnapshot | None:
    """Parse and decode an order book payload (§3.2) the quick way, or return ``None``.

    The quick way reads the JSON with :func:`exwire._core.codec.loads` (orjson) and keeps
    each level's price and quantity as its wire text, checked here to be a plain decimal
    number; the snapshot makes their ``Decimal`` and ``Level`` objects on first read. It
    answers only for payloads it reads exactly as ``order_book_from_wire(loads(data),
    ...)`` does: ``None`` whenever a field the snapshot reads is a float (a JSON number
    with a fraction or beyond 64 bits, which orjson would round), a level value is not a
    plain decimal text, or anything fails; the caller then takes that path, which
    decodes the payload or raises its ``DecodeError``.
    """
    if not isinstance(data, str) and type(data) is not bytes:
        data = bytes(data)  # orjson takes no bytes subclass (an MqttFrame)
    try:
        payload = codec.loads(data)
        asks, bids = payload["asks"], payload["bids"]
        wire_step = payload.get("step", step)
        limit_size = payload.get("limitSize")
        timestamp = payload.get("timestamp")
        if not _plain_sides(asks, bids) or float in (type(wire_step), type(limit_size), type(timestamp)):
            return None
        return _order_book(payload, symbol, wire_step, asks, bids, limit_size, timestamp, texts=_BOOK_LEVEL)
    except _FAST_FAILURES:
        return None


# The order book payload as Coinsuper's broker sends it (compact JSON, the fields in the
# documented order, §3.2), every price and quantity a plain decimal text (ASCII digits with
# at most one point, not first: what Decimal reads exactly), the ignored amount digits and
# points, the step a plain decimal, limitSize and timestamp JSON integers of at most 14
# digits (within datetime's range as epoch milliseconds), the symbol BASE/QUOTE: a payload
# whose decoding (order_book_from_json, else the exact way) cannot fail, so it can wait for
# the first read. Possessive quantifiers throughout: no backtracking could make a failed
# match succeed (about 57,000 instructions for the benchmark's 30 levels, 1.9 KB).
_DECIMAL_TEXT = rb'"[0-9]++(?:\.[0-9]++)?+"'
_JSON_INT = rb"(?:0|[1-9][0-9]{0,13}+)"
_LEVEL_DECIMAL = rb'"[0-9]++\.?+[0-9]*+"'
_LEVEL = rb'\{(?:"amount":"[0-9.]*+",)?+"limitPrice":' + _LEVEL_DECIMAL + rb',"quantity":' + _LEVEL_DECIMAL + rb"\}"
_SIDE = rb"\[(?:" + _LEVEL + rb"(?:," + _LEVEL + rb")*+)?+\]"
_BOOK_SHAPE = re.compile(
    rb'\{"asks":' + _SIDE + rb',"bids":' + _SIDE + rb',"limitSize":' + _JSON_INT + rb',"step":' + _DECIMAL_TEXT +
    rb',"symbol":"[A-Za-z0-9]++/[A-Za-z0-9]++","timestamp":' + _JSON_INT + rb"\}"
).fullmatch


def _book_from_bytes(wire: tuple[bytes, str, OrderBookStep | str]) -> OrderBookSnapshot:
    """The eager decoding of a payload: :func:`order_book_from_json`, else the exact way (what a
    lazy snapshot of a payload ``_BOOK_SHAPE`` accepted decodes on first read)."""
    data, symbol, step = wire
    book = order_book_from_json(data, symbol, step)
    return book if book is not None else order_book_from_wire(loads(data), symbol, step)


_lazy_book = lazy_order_book_snapshots(_book_from_bytes)


def order_book_from_payload(data: bytes, symbol: str, step: OrderBookStep | str) -> OrderBookSnapshot:
    """Decode an order book PUBLISH payload (§3.2), on first field read when its shape allows.

    A payload in the broker's form (compact JSON, fields in the documented order, every
    price and quantity a plain decimal string, integer ``limitSize`` and ``timestamp``)
    is checked with one regular expression and returned as a snapshot that decodes it
    on first field read (:mod:`exwire._core.lazy`): the values are those this function
    would have built. Any other is decoded now: :func:`order_book_from_json`, else
    ``order_book_from_wire(loads(data), ...)``.

    Args:
        data: the UTF-8 JSON payload (kept, not copied, by a lazy snapshot).
        symbol: the pair of the topic, used when the payload carries none.
        step: the step of the topic, used when the payload carries none.

    Raises:
        DecodeError: the payload is not JSON or not an order book (never from a later field read).
    """
    wire = (data, symbol, step)
    return _lazy_book(wire) if _BOOK_SHAPE(data) is not None else _book_from_bytes(wire)


def _order_book(payload: dict[str, Any], symbol: str, wire_step: Any, asks: list[Any], bids: list[Any],
                limit_size: Any, timestamp: Any, *,
                texts: Callable[[Any], tuple[str, str]] | None = None) -> OrderBookSnapshot:
    step_text = str(wire_step)
    return OrderBookSnapshot._from_wire(
        symbol=_symbol(payload, symbol),
        step=_STEPS.get(step_text, step_text),  # a step this version does not know stays its text
        asks=asks,
        bids=bids,
        limit_size=None if limit_size is None else int(limit_size),
        time=_optional_time(timestamp),
        texts=texts,
    )


def kline_from_wire(payload: dict[str, Any], symbol: str, interval: KlineInterval | int) -> Kline:
    """Decode a kline payload (§3.3): ``first``/``max``/``min``/``last``/``quantity``/``timestamp``.

    Args:
        payload: the parsed JSON object.
        symbol: the pair of the topic, used when the payload carries none.
        interval: the candle length in milliseconds, from the topic.
    """

    def build() -> Kline:
        try:
            kline_interval: KlineInterval | int = KlineInterval(int(interval))
        except ValueError:
            kline_interval = int(interval)
        open_time = _time(payload["timestamp"])
        return Kline(
            symbol=_symbol(payload, symbol),
            interval=kline_interval,
            open_time=open_time,
            close_time=open_time + timedelta(milliseconds=int(kline_interval)),
            open=_decimal(payload["first"]),
            high=_decimal(payload["max"]),
            low=_decimal(payload["min"]),
            close=_decimal(payload["last"]),
            volume=_decimal(payload["quantity"]),
        )

    return _decode("kline", build)


def trades_from_wire(payload: list[dict[str, Any]], symbol: str) -> list[Trade]:
    """Decode a real-time transactions payload (§3.4): an array of trades, newest first.

    The list keeps the wire order; de-duplication across publishes is the protocol's job.

    Raises:
        DecodeError: not an array, a missing field, or an ``action`` other than BUY/SELL.
    """

    def build() -> list[Trade]:
        if not isinstance(payload, list):
            raise TypeError(f"expected an array, got {type(payload).__name__}")
        return [
            Trade(
                symbol=_symbol(item, symbol),
                price=_decimal(item["price"]),
                quantity=_decimal(item["quantity"]),
                side=_side(item["action"]),
                time=_time(item["timestamp"]),
            )
            for item in payload
        ]

    return _decode("tickers", build)


def _exact_difference(minuend: Decimal, subtrahend: Decimal) -> Decimal:
    # The default context keeps 28 digits; the 30-decimal balances of §3.5 need more.
    with localcontext() as context:
        context.prec = _EXACT_PRECISION
        return minuend - subtrahend


def _balance(item: dict[str, Any]) -> Balance:
    total = _decimal(item["total"])
    free = _decimal(item["available"])
    return Balance(
        asset=str(item["currency"]),
        free=free,
        locked=_exact_difference(total, free),
        total=total,
        updated_at=_optional_time(item.get("utcUpdate")),
    )


def balance_update_from_wire(payload: dict[str, Any]) -> BalanceUpdate:
    """Decode an asset-change payload (§3.5); ``total``/``available`` are JSON numbers of up to 30 decimals."""

    def build() -> BalanceUpdate:
        balances = tuple(_balance(item) for item in payload["asset"])
        user_no = payload.get("userNo")
        email = payload.get("email")
        return BalanceUpdate(
            balances=balances,
            user_no=None if user_no is None else _id(user_no),
            email=None if email is None else str(email),
            time=_optional_time(payload.get("timestamp")),
        )

    return _decode("asset", build)


def _objects(payload: Any) -> list[dict[str, Any]]:
    # §3.6/§3.7: whether a private payload is one object or an array is not documented.
    if isinstance(payload, dict):
        return [payload]
    if isinstance(payload, list) and all(isinstance(item, dict) for item in payload):
        return payload
    raise TypeError(f"expected an object or an array of objects, got {type(payload).__name__}")


def _order_update(item: dict[str, Any]) -> OrderUpdate:
    state = item.get("state")
    action = item.get("action")
    symbol = item.get("symbol")
    quantity = _optional_decimal(item.get("quantity"))
    remaining = _optional_decimal(item.get("quantityRemaining"))
    return OrderUpdate(
        order_id=_id(item["orderNo"]),
        symbol=None if symbol is None else str(symbol),
        status=None if state is None else OrderState(str(state)),
        side=None if action is None else _side(action),
        quantity=quantity,
        quantity_remaining=remaining,
        filled_quantity=None if quantity is None or remaining is None else _exact_difference(quantity, remaining),
        price=_optional_decimal(item.get("priceLimit")),
        average_price=_optional_decimal(item.get("priceAverage")),
        amount=_optional_decimal(item.get("amount")),
        amount_remaining=_optional_decimal(item.get("amountRemaining")),
        fee=_optional_decimal(item.get("fee")),
        created_at=_optional_time(item.get("utcCreate")),
        updated_at=_optional_time(item.get("utcUpdate")),
    )


def order_updates_from_wire(payload: Any) -> list[OrderUpdate]:
    """Decode an order-status payload (§3.6): one object or an array of them (the doc has no sample).

    Raises:
        DecodeError: no ``orderNo``, a number or time that is not one, or an unknown side.
    """
    return _decode("order change", lambda: [_order_update(item) for item in _objects(payload)])


def _user_trade(item: dict[str, Any]) -> UserTrade:
    order_type = item.get("orderType")
    match_type = item.get("matchType")
    match = None if match_type is None else MatchType(str(match_type))
    return UserTrade(
        trade_id=_id(item["dealNo"]),
        order_id=_id(item["orderNo"]),
        symbol=str(item["symbol"]),
        side=_side(item["action"]),
        order_type=None if order_type is None else OrderType(str(order_type)),
        match_type=match,
        is_maker=None if match is None or not match.is_known else match is MatchType.MAKER,
        price=_decimal(item["price"]),
        quantity=_decimal(item["quantity"]),
        time=_time(item["utcDeal"]),
    )


def user_trades_from_wire(payload: Any) -> list[UserTrade]:
    """Decode an order-transaction (fill) payload (§3.7): one object or an array of them.

    Raises:
        DecodeError: a missing field or an unknown side.
    """
    return _decode("trade change", lambda: [_user_trade(item) for item in _objects(payload)])
