"""Stream names of the Binance emulator's market-data streams and what each one is.

The names and which market offers which stream follow Binance's "WebSocket Streams"
pages (spot: https://developers.binance.com/docs/binance-spot-api-docs/web-socket-streams,
USDⓈ-M and COIN-M futures: "Websocket Market Streams"). Names are lowercase; an unknown
symbol in a well-formed name is accepted and never pushes, as on Binance.
"""

from __future__ import annotations

import re
from typing import NamedTuple

__all__ = ["Stream", "parse_stream", "usdm_route"]

_SPOT_KLINES = ("1s", "1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d", "3d", "1w", "1M")
_FUTURES_KLINES = _SPOT_KLINES[1:]
_CONTRACT_TYPES = ("perpetual", "current_quarter", "next_quarter", "tradifi_perpetual")


class Stream(NamedTuple):
    """One parsed stream name.

    Attributes:
        name: the name as subscribed.
        kind: ``trade``, ``aggTrade``, ``depth`` (diff), ``partialDepth``, ``bookTicker``, ``kline``,
            ``continuousKline``, ``miniTicker``, ``ticker``, ``rollingTicker``, ``avgPrice``,
            ``markPrice``, ``forceOrder``, ``allMiniTicker``, ``allTicker``, ``allRollingTicker``,
            ``allMarkPrice``, ``allBookTicker``, ``allForceOrder``.
        symbol: the upper-case symbol (a pair for continuous klines), or ``""`` for all-market streams.
        argument: the interval, window, level count or contract type the name carries, else ``""``.
        interval_ms: the push period of a periodic stream; ``0`` for streams pushed as things happen.
    """

    name: str
    kind: str
    symbol: str
    argument: str
    interval_ms: int


_SYMBOL = r"(?P<symbol>[a-z0-9_\-]+)"


def parse_stream(market: str, name: object) -> Stream | None:
    """The stream ``name`` names on ``market`` (``spot``, ``usdm``, ``coinm``), or ``None``."""
    if not isinstance(name, str) or not name or len(name) > 200:
        return None
    futures = market != "spot"
    if futures:
        return _futures(market, name)
    return _spot(name)


def _spot(name: str) -> Stream | None:
    match = re.fullmatch(_SYMBOL + r"@(?P<rest>.+)", name)
    if name.startswith("!"):
        all_market = re.fullmatch(r"!miniTicker@arr|!ticker_(1h|4h|1d)@arr", name)
        if all_market is None:
            return None
        if name == "!miniTicker@arr":
            return Stream(name, "allMiniTicker", "", "", 1000)
        return Stream(name, "allRollingTicker", "", all_market.group(1), 1000)
    if match is None:
        return None
    symbol, rest = match.group("symbol").upper(), match.group("rest")
    simple = {"trade": "trade", "aggTrade": "aggTrade", "bookTicker": "bookTicker"}
    if rest in simple:
        return Stream(name, simple[rest], symbol, "", 0)
    if rest in ("miniTicker", "ticker", "avgPrice"):
        return Stream(name, rest, symbol, "", 1000)
    if rest in ("depth", "depth@100ms", "depth@1000ms"):
        return Stream(name, "depth", symbol, "", 0)
    found = re.fullmatch(r"ticker_(1h|4h|1d)", rest)
    if found:
        return Stream(name, "rollingTicker", symbol, found.group(1), 1000)
    found = re.fullmatch(r"depth(5|10|20)(@100ms|@1000ms)?", rest)
    if found:
        return Stream(name, "partialDepth", symbol, found.group(1), 100 if found.group(2) == "@100ms" else 1000)
    found = re.fullmatch(r"kline_(\w+?)(@\+08:00)?", rest)
    if found and found.group(1) in _SPOT_KLINES:
        return Stream(name, "kline", symbol, found.group(1), 1000 if found.group(1) == "1s" else 2000)
    return None


def _futures(market: str, name: str) -> Stream | None:
    usdm = market == "usdm"
    ticker_ms = 2000 if usdm else 500
    all_market = {"!miniTicker@arr": ("allMiniTicker", 1000), "!ticker@arr": ("allTicker", 1000),
                  "!bookTicker": ("allBookTicker", 0), "!forceOrder@arr": ("allForceOrder", 0)}
    if usdm:
        all_market.update({"!markPrice@arr": ("allMarkPrice", 3000), "!markPrice@arr@1s": ("allMarkPrice", 1000)})
    if name in all_market:
        kind, period = all_market[name]
        return Stream(name, kind, "", "", period)
    match = re.fullmatch(_SYMBOL + r"@(?P<rest>.+)", name)
    if match is None:
        return None
    symbol, rest = match.group("symbol").upper(), match.group("rest")
    simple = {"trade": "trade", "aggTrade": "aggTrade", "bookTicker": "bookTicker", "forceOrder": "forceOrder"}
    if rest in simple:
        return Stream(name, simple[rest], symbol, "", 0)
    if rest in ("miniTicker", "ticker"):
        return Stream(name, rest, symbol, "", ticker_ms)
    if rest in ("markPrice", "markPrice@1s"):
        return Stream(name, "markPrice", symbol, "", 1000 if rest.endswith("@1s") else 3000)
    if rest in ("depth", "depth@100ms", "depth@250ms", "depth@500ms"):
        return Stream(name, "depth", symbol, "", 0)
    found = re.fullmatch(r"depth(5|10|20)(@100ms|@250ms|@500ms)?", rest)
    if found:
        speed = {"@100ms": 100, "@500ms": 500}.get(found.group(2) or "", 250)
        return Stream(name, "partialDepth", symbol, found.group(1), speed)
    found = re.fullmatch(r"kline_(\w+)", rest)
    if found and found.group(1) in _FUTURES_KLINES:
        return Stream(name, "kline", symbol, found.group(1), 250)
    found = re.fullmatch(r"continuousKline_(\w+)", rest)
    if found:
        raw, interval = match.group("symbol"), found.group(1)
        for contract_type in _CONTRACT_TYPES:
            pair = raw.removesuffix("_" + contract_type)
            if pair != raw and pair and (interval in _FUTURES_KLINES or (usdm and interval == "1s")):
                return Stream(name, "continuousKline", pair.upper(), f"{contract_type}:{interval}", 250)
    return None


_PUBLIC = ("trade", "bookTicker", "allBookTicker", "depth", "partialDepth")


def usdm_route(stream: Stream) -> str:
    """The USDⓈ-M route (``public`` or ``market``) that pushes ``stream`` (Binance's route table
    of the "Important WebSocket Change Notice"; trade on ``public``, as Binance.Net has it)."""
    return "public" if stream.kind in _PUBLIC else "market"
