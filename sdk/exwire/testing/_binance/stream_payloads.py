"""Payloads of the Binance emulator's market-data streams, shaped as Binance's "WebSocket
Streams" pages (spot) and "Websocket Market Streams" pages (USDⓈ-M, COIN-M) show them:
single-letter fields, prices and quantities as strings, times in ms. Built from the
emulator's markets and books under the exchange lock.
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from exwire.testing._binance.common import _ZERO, _text
from exwire.testing._binance.futures_state import _Contract, _fmt
from exwire.testing._binance.spot_market import _INTERVAL_MS, _Market
from exwire.testing._binance.stream_names import Stream

__all__ = ["trade", "agg_trade", "diff_depth", "book_ticker", "periodic"]

_DAY_MS = 86_400_000
_WINDOWS = {"1h": 3_600_000, "4h": 14_400_000, "1d": _DAY_MS}
_FUNDING_MS = 8 * 3_600_000


def trade(symbol: str, row: dict[str, Any], now: int, futures: bool) -> dict[str, Any]:
    """``trade`` from one trades row (``id``, ``price``, ``qty``, ``time``, ``isBuyerMaker``)."""
    if futures:
        return {"e": "trade", "E": now, "T": row["time"], "s": symbol, "t": row["id"], "p": row["price"],
                "q": row["qty"], "X": "MARKET", "m": row["isBuyerMaker"]}
    return {"e": "trade", "E": now, "s": symbol, "t": row["id"], "p": row["price"], "q": row["qty"],
            "T": row["time"], "m": row["isBuyerMaker"], "M": True}


def agg_trade(symbol: str, row: dict[str, Any], now: int, market: str) -> dict[str, Any]:
    """``aggTrade``: each emulated trade is its own aggregate (``a`` = ``f`` = ``l`` = trade id)."""
    event = {"e": "aggTrade", "E": now, "s": symbol, "a": row["id"], "p": row["price"], "q": row["qty"]}
    if market == "usdm":
        event["nq"] = row["qty"]
    event.update({"f": row["id"], "l": row["id"], "T": row["time"], "m": row["isBuyerMaker"]})
    if market == "spot":
        event["M"] = True
    return event


def diff_depth(symbol: str, event: dict[str, Any], now: int, futures: bool, pair: str | None = None) -> dict[str, Any]:
    """``depthUpdate`` from a book event (``U``, ``u``, ``pu`` on futures, ``b``, ``a``; COIN-M adds ``ps``)."""
    payload: dict[str, Any] = {"e": "depthUpdate", "E": now}
    if futures:
        payload["T"] = now
    payload["s"] = symbol
    if pair is not None:
        payload["ps"] = pair
    payload.update({"U": event["U"], "u": event["u"]})
    if futures:
        payload["pu"] = event["pu"]
    payload.update({"b": event["b"], "a": event["a"]})
    return payload


def book_ticker(symbol: str, book: Any, now: int, futures: bool, pair: str | None = None) -> dict[str, Any]:
    """``bookTicker`` (spot: no ``e``/``E``; futures: with ``e``, ``E``, ``T``; COIN-M adds ``ps``)."""
    (bid, bid_quantity), (ask, ask_quantity) = book.best()
    fields: dict[str, Any] = {"u": book.update_id, "s": symbol}
    if pair is not None:
        fields["ps"] = pair
    fields.update({"b": book.price_text(bid), "B": book.quantity_text(bid_quantity), "a": book.price_text(ask),
                   "A": book.quantity_text(ask_quantity)})
    if futures:
        return {"e": "bookTicker", **fields, "T": now, "E": now}
    return fields


# -- periodic streams -------------------------------------------------------------------------------


def _window(trades: Any, now: int, window_ms: int, fallback: Decimal) -> tuple[list[dict[str, Any]], list[Decimal]]:
    rows = [row for row in trades if row["time"] >= now - window_ms] or list(trades)[-1:]
    prices = [Decimal(row["price"]) for row in rows] or [fallback]
    return rows, prices


def _ticker(symbol: str, trades: Any, now: int, window_ms: int, fallback: Decimal, kind: str,
            text: Any, full: bool) -> dict[str, Any]:
    rows, prices = _window(trades, now, window_ms, fallback)
    volume = sum((Decimal(row["qty"]) for row in rows), _ZERO)
    quote = sum((Decimal(row["qty"]) * Decimal(row["price"]) for row in rows), _ZERO)
    if not full:
        return {"e": kind, "E": now, "s": symbol, "c": text(prices[-1]), "o": text(prices[0]),
                "h": text(max(prices)), "l": text(min(prices)), "v": _text(volume), "q": _text(quote)}
    change = prices[-1] - prices[0]
    return {"e": kind, "E": now, "s": symbol, "p": text(change),
            "P": f"{change / prices[0] * 100:.3f}" if prices[0] else "0.000",
            "w": text(quote / volume if volume else prices[-1]), "c": text(prices[-1]),
            "Q": rows[-1]["qty"] if rows else "0", "o": text(prices[0]), "h": text(max(prices)),
            "l": text(min(prices)), "v": _text(volume), "q": _text(quote), "O": now - window_ms, "C": now,
            "F": rows[0]["id"] if rows else -1, "L": rows[-1]["id"] if rows else -1, "n": len(rows)}


def _kline(symbol: str, interval: str, now: int, last: Decimal, tick: Decimal, seed: str, text: Any,
           trades: Any) -> dict[str, Any]:
    width = _INTERVAL_MS[interval]
    open_time = now // width * width
    rows = [row for row in trades if row["time"] >= open_time]
    rng = random.Random(f"{seed}:{symbol}:{interval}:{open_time}")
    opening = Decimal(rows[0]["price"]) if rows else last + tick * rng.randint(-5, 5)
    prices = [opening, *(Decimal(row["price"]) for row in rows), last]
    volume = sum((Decimal(row["qty"]) for row in rows), _ZERO)
    quote = sum((Decimal(row["qty"]) * Decimal(row["price"]) for row in rows), _ZERO)
    return {"t": open_time, "T": open_time + width - 1, "s": symbol, "i": interval,
            "f": rows[0]["id"] if rows else -1, "L": rows[-1]["id"] if rows else -1, "o": text(opening),
            "c": text(last), "h": text(max(prices)), "l": text(min(prices)), "v": _text(volume), "n": len(rows),
            "x": False, "q": _text(quote), "V": _text(volume / 2), "Q": _text(quote / 2), "B": "0"}


def _spot(stream: Stream, market: _Market, now: int) -> Any:
    symbol, kind = market.symbol, stream.kind
    if kind == "ticker":
        ticker = _ticker(symbol, market.trades, now, _DAY_MS, market.bid, "24hrTicker", _text, True)
        (bid, bid_quantity), (ask, ask_quantity) = market.book.best()
        ticker["x"] = ticker["o"]
        ticker.update(b=_text(bid), B=_text(bid_quantity), a=_text(ask), A=_text(ask_quantity))
        return ticker
    if kind == "miniTicker":
        return _ticker(symbol, market.trades, now, _DAY_MS, market.bid, "24hrMiniTicker", _text, False)
    if kind == "rollingTicker":
        ticker = _ticker(symbol, market.trades, now, _WINDOWS[stream.argument], market.bid,
                         f"{stream.argument}Ticker", _text, True)
        del ticker["Q"]
        return ticker
    if kind == "avgPrice":
        rows, prices = _window(market.trades, now, 300_000, market.bid)
        average = sum(prices, _ZERO) / len(prices)
        return {"e": "avgPrice", "E": now, "s": symbol, "i": "5m", "w": _text(average),
                "T": rows[-1]["time"] if rows else now}
    if kind == "partialDepth":
        return market.book.snapshot(int(stream.argument))
    if kind == "kline":
        return {"e": "kline", "E": now, "s": symbol,
                "k": _kline(symbol, stream.argument, now, market.last, market.tick, str(market.seed), _text,
                            market.trades)}
    return None


def _futures(stream: Stream, contract: _Contract, now: int) -> Any:
    symbol, kind = contract.symbol, stream.kind

    def text(value: Decimal) -> str:
        return _fmt(value, contract.price_places)

    if kind in ("ticker", "miniTicker"):
        ticker = _ticker(symbol, contract.trades, now, _DAY_MS, contract.last,
                         "24hrTicker" if kind == "ticker" else "24hrMiniTicker", text, kind == "ticker")
        if contract.inverse:
            ticker["ps"] = contract.spec.pair
        return ticker
    if kind == "markPrice":
        event = {"e": "markPriceUpdate", "E": now, "s": symbol, "p": _fmt(contract.mark)}
        if not contract.inverse:
            event["ap"] = _fmt(contract.mark)
        event.update({"i": _fmt(contract.mark), "P": _fmt(contract.mark), "r": "0.00010000",
                      "T": (now // _FUNDING_MS + 1) * _FUNDING_MS})
        return event
    if kind == "partialDepth":
        book = contract.book
        snapshot = book.snapshot(int(stream.argument))
        return {"e": "depthUpdate", "E": now, "T": now, "s": symbol, "U": book.last_published - 7,
                "u": book.last_published, "pu": book.last_published - 8, "b": snapshot["bids"],
                "a": snapshot["asks"]}
    if kind == "kline":
        return {"e": "kline", "E": now, "s": symbol,
                "k": _kline(symbol, stream.argument, now, contract.last, contract.tick, str(contract.seed), text,
                            contract.trades)}
    if kind == "continuousKline":
        contract_type, _, interval = stream.argument.partition(":")
        k = _kline(symbol, interval, now, contract.last, contract.tick, str(contract.seed), text, contract.trades)
        del k["s"], k["i"]
        return {"e": "continuous_kline", "E": now, "ps": stream.symbol, "ct": contract_type.upper(),
                "k": {"t": k.pop("t"), "T": k.pop("T"), "i": interval, **k}}
    return None


def periodic(stream: Stream, market: str, markets: dict[str, _Market], contracts: dict[str, _Contract],
             now: int) -> Any:
    """The payload a periodic stream pushes now (a JSON object or array), or ``None`` (nothing to push)."""
    if market == "spot":
        if stream.kind == "allMiniTicker":
            return [_spot(stream._replace(kind="miniTicker"), m, now) for m in markets.values()]
        if stream.kind == "allRollingTicker":
            return [_spot(stream._replace(kind="rollingTicker"), m, now) for m in markets.values()]
        found = markets.get(stream.symbol)
        return None if found is None else _spot(stream, found, now)
    own = {symbol: c for symbol, c in contracts.items() if c.market == market}
    if stream.kind in ("allMiniTicker", "allTicker", "allMarkPrice"):
        kind = {"allMiniTicker": "miniTicker", "allTicker": "ticker", "allMarkPrice": "markPrice"}[stream.kind]
        return [_futures(stream._replace(kind=kind), c, now) for c in own.values()]
    if stream.kind == "continuousKline":
        for contract in own.values():
            if contract.spec.pair == stream.symbol or contract.symbol == stream.symbol:
                return _futures(stream, contract, now)
        return None
    chosen = own.get(stream.symbol)
    return None if chosen is None else _futures(stream, chosen, now)
