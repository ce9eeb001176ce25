"""Binance market data stream payloads → :mod:`exwire.binance.stream_models`, hand-written.

These run once per message on the reader thread (a trade flood is hundreds of thousands
of messages), so they convert inline in one pass, like :mod:`exwire.binance.event_converter`:
a required field that is absent or does not convert raises (the protocol turns it into a
:class:`~exwire.errors.DecodeError` and the frame is logged and skipped); an absent
optional field is ``None``; money goes through ``Decimal(text)`` (a JSON number through
:func:`~exwire._core.codec.decimal_from_wire`), epoch milliseconds through
:func:`~exwire._core.codec.epoch_ms_to_datetime`.

:func:`decoder_for` picks the decoder of a stream name (``"btcusdt@trade"``); each
decoder takes the payload and the upper-case symbol of the stream name (the only symbol
spot partial depth has) and returns the model.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from exwire._core.codec import decimal_from_wire, epoch_ms_to_datetime
from exwire._core.lazy import LAST_EPOCH_MS, lazy_model, text_shape
from exwire.binance.enums import OrderSide
from exwire.binance.stream_models import (
    AggregateTradeUpdate,
    AveragePriceUpdate,
    BookTickerUpdate,
    ContinuousKlineUpdate,
    DepthUpdate,
    KlineUpdate,
    LiquidationUpdate,
    MarkPriceUpdate,
    MiniTickerUpdate,
    PartialDepthUpdate,
    RollingWindowTickerUpdate,
    TickerUpdate,
    TradeUpdate,
)
from exwire.models import Level

__all__ = ["Decoder", "decoder_for", "DECODERS"]

Decoder = Callable[[Mapping[str, Any], str], object]
_time = epoch_ms_to_datetime
_BUY, _SELL = OrderSide.BUY, OrderSide.SELL


def _money(value: Any) -> Decimal:
    return Decimal(value) if type(value) is str else decimal_from_wire(value)


def _money_or_none(value: Any) -> Decimal | None:
    """``None`` and ``""`` (COIN-M's empty funding rate) become ``None``."""
    if value is None or value == "":
        return None
    return _money(value)


def _time_or_none(value: Any) -> Any:
    return None if value is None else _time(value)


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


def _levels(rows: Any) -> tuple[Level, ...]:
    return tuple(Level(price=_money(row[0]), quantity=_money(row[1])) for row in rows)


_trade_money = text_shape("decimal", "decimal")  # p, q
_INT = frozenset((int,))
_INT_OR_NONE = frozenset((int, type(None)))


def trade(o: Mapping[str, Any], symbol: str) -> TradeUpdate:
    """``trade``: ``E``, ``s``, ``t``, ``p``, ``q``, ``T``, ``m`` (``b``/``a`` of old, ``X`` on futures).

    A trade of the usual shape (``p``/``q`` plain decimal strings, ``t`` and the times
    integers, times in range, ``m`` a boolean) is checked here and decoded on first field
    read (:mod:`exwire._core.lazy`); any other is decoded now.
    """
    get = o.get
    try:
        wire = (None, o["s"], o["t"], o["m"], o["T"], get("E"), get("b"), get("a"), get("X"))
        joined = _trade_money((o["p"], o["q"]))
    except KeyError:
        return _trade_now(o, symbol)
    if (joined is not None and type(wire[3]) is bool and type(wire[2]) is int
            and _INT_OR_NONE.issuperset(map(type, wire[4:8])) and type(wire[4]) is int
            and 0 <= wire[4] <= LAST_EPOCH_MS and (wire[5] is None or 0 <= wire[5] <= LAST_EPOCH_MS)):
        return _lazy_trade((joined, *wire[1:]))
    return _trade_now(o, symbol)


def _trade_from_fields(wire: tuple[Any, ...]) -> TradeUpdate:
    """The trade of a checked ``(joined p q, s, t, m, T, E, b, a, X)`` tuple (:func:`trade`)."""
    price, quantity = wire[0].split(" ")
    return _trade_now({"p": price, "q": quantity, "s": wire[1], "t": wire[2], "m": wire[3], "T": wire[4],
                       "E": wire[5], "b": wire[6], "a": wire[7], "X": wire[8]}, "")


def _trade_now(o: Mapping[str, Any], symbol: str) -> TradeUpdate:
    get = o.get
    maker = o["m"]
    if type(maker) is not bool:
        raise ValueError(f"m is not a boolean: {maker!r}")
    event_time = get("E")
    return TradeUpdate(
        symbol=o["s"], trade_id=int(o["t"]), price=_money(o["p"]), quantity=_money(o["q"]),
        side=_SELL if maker else _BUY, buyer_is_maker=maker, time=_time(o["T"]),
        event_time=None if event_time is None else _time(event_time),
        buyer_order_id=_int_or_none(get("b")), seller_order_id=_int_or_none(get("a")), trade_type=get("X"),
    )


_lazy_trade = lazy_model(TradeUpdate, _trade_from_fields)


def aggregate_trade(o: Mapping[str, Any], symbol: str) -> AggregateTradeUpdate:
    """``aggTrade``: ``E``, ``s``, ``a``, ``p``, ``q``, ``f``, ``l``, ``T``, ``m`` (``nq`` USDⓈ-M)."""
    maker = bool(o["m"])
    return AggregateTradeUpdate(
        symbol=o["s"], aggregate_trade_id=int(o["a"]), price=_money(o["p"]), quantity=_money(o["q"]),
        first_trade_id=int(o["f"]), last_trade_id=int(o["l"]), side=_SELL if maker else _BUY,
        buyer_is_maker=maker, time=_time(o["T"]), event_time=_time_or_none(o.get("E")),
        normal_quantity=_money_or_none(o.get("nq")), market_type=_int_or_none(o.get("st")),
    )


def _kline_fields(k: Mapping[str, Any]) -> dict[str, Any]:
    get = k.get
    return {
        "interval": str(k["i"]), "open_time": _time(k["t"]), "close_time": _time(k["T"]),
        "open": _money(k["o"]), "high": _money(k["h"]), "low": _money(k["l"]), "close": _money(k["c"]),
        "volume": _money(k["v"]), "quote_volume": _money_or_none(get("q")), "trade_count": _int_or_none(get("n")),
        "closed": bool(get("x", False)), "taker_buy_base_volume": _money_or_none(get("V")),
        "taker_buy_quote_volume": _money_or_none(get("Q")),
    }


def kline(o: Mapping[str, Any], symbol: str) -> KlineUpdate:
    """``kline``: ``E``, ``s``, ``k`` = {``t``, ``T``, ``s``, ``i``, ``f``, ``L``, ``o``, ``c``, ``h``,
    ``l``, ``v``, ``n``, ``x``, ``q``, ``V``, ``Q``, ``B`` (ignore)}."""
    k = o["k"]
    return KlineUpdate(
        symbol=o.get("s") or k.get("s") or symbol, first_trade_id=_int_or_none(k.get("f")),
        last_trade_id=_int_or_none(k.get("L")), event_time=_time_or_none(o.get("E")), **_kline_fields(k),
    )


def continuous_kline(o: Mapping[str, Any], symbol: str) -> ContinuousKlineUpdate:
    """``continuous_kline``: ``E``, ``ps``, ``ct``, ``k`` (``f``/``L`` are update ids)."""
    k = o["k"]
    return ContinuousKlineUpdate(
        pair=str(o["ps"]), contract_type=str(o["ct"]), first_update_id=_int_or_none(k.get("f")),
        last_update_id=_int_or_none(k.get("L")), event_time=_time_or_none(o.get("E")), **_kline_fields(k),
    )


def mini_ticker(o: Mapping[str, Any], symbol: str) -> MiniTickerUpdate:
    """``24hrMiniTicker``: ``E``, ``s``, ``c``, ``o``, ``h``, ``l``, ``v``, ``q`` (``ps`` COIN-M)."""
    get = o.get
    return MiniTickerUpdate(
        symbol=o["s"], last_price=_money_or_none(get("c")), open_price=_money_or_none(get("o")),
        high_price=_money_or_none(get("h")), low_price=_money_or_none(get("l")), volume=_money_or_none(get("v")),
        quote_volume=_money_or_none(get("q")), event_time=_time_or_none(get("E")), pair=get("ps"),
        market_type=_int_or_none(get("st")),
    )


def _window_fields(o: Mapping[str, Any]) -> dict[str, Any]:
    get = o.get
    return {
        "price_change": _money_or_none(get("p")), "price_change_percent": _money_or_none(get("P")),
        "weighted_average_price": _money_or_none(get("w")), "open_price": _money_or_none(get("o")),
        "high_price": _money_or_none(get("h")), "low_price": _money_or_none(get("l")),
        "last_price": _money_or_none(get("c")), "volume": _money_or_none(get("v")),
        "quote_volume": _money_or_none(get("q")), "open_time": _time_or_none(get("O")),
        "close_time": _time_or_none(get("C")), "first_trade_id": _int_or_none(get("F")),
        "last_trade_id": _int_or_none(get("L")), "trade_count": _int_or_none(get("n")),
        "time": _time_or_none(get("E")),
    }


def ticker(o: Mapping[str, Any], symbol: str) -> TickerUpdate:
    """``24hrTicker``: ``E``, ``s``, ``p``, ``P``, ``w``, ``x``, ``c``, ``Q``, ``b``, ``B``, ``a``,
    ``A``, ``o``, ``h``, ``l``, ``v``, ``q``, ``O``, ``C``, ``F``, ``L``, ``n`` (``ps`` COIN-M)."""
    get = o.get
    return TickerUpdate(
        symbol=o["s"], first_trade_price=_money_or_none(get("x")), last_quantity=_money_or_none(get("Q")),
        bid_price=_money_or_none(get("b")), bid_quantity=_money_or_none(get("B")),
        ask_price=_money_or_none(get("a")), ask_quantity=_money_or_none(get("A")), pair=get("ps"),
        market_type=_int_or_none(get("st")), **_window_fields(o),
    )


def rolling_window_ticker(o: Mapping[str, Any], symbol: str) -> RollingWindowTickerUpdate:
    """``1hTicker`` / ``4hTicker`` / ``1dTicker``: the ticker fields without ``x``, ``Q`` and the book."""
    event = str(o.get("e", ""))
    return RollingWindowTickerUpdate(symbol=o["s"], window_size=event.removesuffix("Ticker"), **_window_fields(o))


def book_ticker(o: Mapping[str, Any], symbol: str) -> BookTickerUpdate:
    """``bookTicker``: ``u``, ``s``, ``b``, ``B``, ``a``, ``A`` (futures also ``E``, ``T``; COIN-M ``ps``)."""
    get = o.get
    return BookTickerUpdate(
        symbol=o["s"], update_id=int(o["u"]), bid_price=_money_or_none(get("b")),
        bid_quantity=_money_or_none(get("B")), ask_price=_money_or_none(get("a")),
        ask_quantity=_money_or_none(get("A")), time=_time_or_none(get("E")),
        transaction_time=_time_or_none(get("T")), pair=get("ps"), market_type=_int_or_none(get("st")),
    )


def depth(o: Mapping[str, Any], symbol: str) -> DepthUpdate:
    """``depthUpdate``: ``E``, ``s``, ``U``, ``u``, ``b``, ``a`` (futures also ``T``, ``pu``; COIN-M ``ps``)."""
    get = o.get
    return DepthUpdate(
        symbol=o["s"], first_update_id=int(o["U"]), final_update_id=int(o["u"]),
        previous_final_update_id=_int_or_none(get("pu")), bids=_levels(o["b"]), asks=_levels(o["a"]),
        time=_time_or_none(get("E")), transaction_time=_time_or_none(get("T")), pair=get("ps"),
        market_type=_int_or_none(get("st")),
    )


def partial_depth(o: Mapping[str, Any], symbol: str) -> PartialDepthUpdate:
    """Spot ``{"lastUpdateId", "bids", "asks"}``; futures a ``depthUpdate`` with ``U``, ``u``, ``pu``."""
    if "lastUpdateId" in o:
        return PartialDepthUpdate(symbol=symbol, last_update_id=int(o["lastUpdateId"]), bids=_levels(o["bids"]),
                                  asks=_levels(o["asks"]))
    get = o.get
    return PartialDepthUpdate(
        symbol=get("s") or symbol, last_update_id=int(o["u"]), bids=_levels(o["b"]), asks=_levels(o["a"]),
        first_update_id=_int_or_none(get("U")), previous_final_update_id=_int_or_none(get("pu")),
        time=_time_or_none(get("E")), transaction_time=_time_or_none(get("T")),
    )


def average_price(o: Mapping[str, Any], symbol: str) -> AveragePriceUpdate:
    """``avgPrice``: ``E``, ``s``, ``i``, ``w``, ``T``."""
    return AveragePriceUpdate(symbol=o["s"], interval=str(o["i"]), price=_money(o["w"]),
                              last_trade_time=_time_or_none(o.get("T")), event_time=_time_or_none(o.get("E")))


def mark_price(o: Mapping[str, Any], symbol: str) -> MarkPriceUpdate:
    """``markPriceUpdate``: ``E``, ``s``, ``p``, ``i``, ``P``, ``r``, ``T`` (``ap`` USDⓈ-M)."""
    get = o.get
    next_funding = get("T")
    return MarkPriceUpdate(
        symbol=o["s"], mark_price=_money(o["p"]), index_price=_money_or_none(get("i")),
        estimated_settle_price=_money_or_none(get("P")), funding_rate=_money_or_none(get("r")),
        next_funding_time=None if not next_funding else _time(next_funding),
        mark_price_moving_average=_money_or_none(get("ap")), time=_time_or_none(get("E")),
        market_type=_int_or_none(get("st")),
    )


def liquidation(o: Mapping[str, Any], symbol: str) -> LiquidationUpdate:
    """``forceOrder``: ``E``, ``o`` = {``s``, ``S``, ``o``, ``f``, ``q``, ``p``, ``ap``, ``X``, ``l``,
    ``z``, ``T``} (``ps`` COIN-M)."""
    order = o["o"]
    get = order.get
    return LiquidationUpdate(
        symbol=order["s"], side=OrderSide(order["S"]), order_type=str(order["o"]), time_in_force=get("f"),
        quantity=_money(order["q"]), price=_money(order["p"]), average_price=_money_or_none(get("ap")),
        status=str(order["X"]), last_filled_quantity=_money_or_none(get("l")),
        filled_quantity=_money_or_none(get("z")), time=_time(order["T"]), event_time=_time_or_none(o.get("E")),
        pair=get("ps") or o.get("ps"), market_type=_int_or_none(o.get("st", get("st"))),
    )


#: Stream kind (the part of the name after the symbol's ``@``, up to ``_`` or ``@``) → decoder.
DECODERS: dict[str, Decoder] = {
    "trade": trade,
    "aggTrade": aggregate_trade,
    "kline": kline,
    "continuousKline": continuous_kline,
    "miniTicker": mini_ticker,
    "ticker": ticker,
    "bookTicker": book_ticker,
    "depth": depth,
    "avgPrice": average_price,
    "markPrice": mark_price,
    "forceOrder": liquidation,
}


def decoder_for(stream: str) -> Decoder | None:
    """The decoder of one stream name (``"btcusdt@depth5@100ms"`` → partial depth), or ``None``."""
    if stream.startswith("!"):  # an all-market stream: "!miniTicker@arr"
        kind = stream[1:].split("@", 1)[0]
    else:
        kind = stream.partition("@")[2].split("@", 1)[0]
    if kind.startswith("ticker_"):
        return rolling_window_ticker
    if kind.startswith("depth") and kind != "depth":
        return partial_depth
    return DECODERS.get(kind.split("_", 1)[0])
