"""Market data streams: trades, klines, tickers, book tickers, depth, mark price ...

The methods of :class:`exwire.BinanceClient` that subscribe to Binance's stream endpoints
(spot ``stream.binance.com``, USDⓈ-M ``fstream`` with its ``/public`` and ``/market``
routes, COIN-M ``dstream``), one combined-stream connection per market route (see
:mod:`exwire.binance._stream_engine` for the connections, pacing and resubscription).
Streams and payloads: "WebSocket Streams" of
https://developers.binance.com/docs/binance-spot-api-docs/web-socket-streams and
"Websocket Market Streams" of the USDⓈ-M and COIN-M futures documentation.

Conventions of every ``subscribe_to_*`` method:

* ``symbols``: one symbol (``"BTCUSDT"``; futures ``"BTCUSDT"``, COIN-M ``"BTCUSD_PERP"``)
  or several, any case; one subscription covers them all.
* ``market``: ``None`` (default) for spot, ``FuturesMarket.USDM`` or ``FuturesMarket.COINM``
  for that futures market's streams. A stream a market does not have is a
  ``ConfigurationError``.
* ``callback(event)`` runs as the callback threading model in :mod:`exwire.subscription`
  says; ``None`` makes a pull subscription. ``event.data`` is the model named in the
  method, ``event.symbol`` the upper-case symbol.
* ``timeout``: seconds to wait for the connection and the ``SUBSCRIBE`` reply (``None``:
  ``request_timeout``).
* Raises ``ConfigurationError`` (bad arguments, before anything is sent), ``InvalidState``
  (client closed), ``InvalidRequest`` (Binance refused the ``SUBSCRIBE``), ``ConnectError``,
  ``ConnectionClosed`` or ``RequestTimeout`` (no reply: the subscription is removed).

A subscription reply proves nothing about the symbol: Binance accepts a well-formed stream
of a symbol that does not exist and never sends anything on it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from exwire._core import validate
from exwire.binance._stream_engine import StreamEngine
from exwire.binance._validation import futures_market
from exwire.binance.enums import FuturesMarket, KlineInterval
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
from exwire.errors import ConfigurationError
from exwire.models import DataEvent
from exwire.subscription import Subscription

__all__ = ["StreamMethods"]

Symbols = str | Iterable[str]
_SYMBOL = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-]{0,39}")
_DEPTH_INTERVALS = {None: (100, 1000), FuturesMarket.USDM: (100, 250, 500), FuturesMarket.COINM: (100, 250, 500)}
_DEPTH_DEFAULT = {None: 1000, FuturesMarket.USDM: 250, FuturesMarket.COINM: 250}  # no suffix
_CONTRACT_TYPES = {FuturesMarket.USDM: ("perpetual", "current_quarter", "next_quarter", "tradifi_perpetual"),
                   FuturesMarket.COINM: ("perpetual", "current_quarter", "next_quarter")}
_WINDOWS = ("1h", "4h", "1d")
_TIMEZONES = ("+08:00",)


def _market(market: Any) -> FuturesMarket | None:
    return None if market is None else futures_market(market)


def _futures(market: Any, method: str) -> FuturesMarket:
    if market is None:
        raise ConfigurationError(f"{method} exists on futures only: pass market=FuturesMarket.USDM or COINM")
    return futures_market(market)


def _symbols(symbols: Any) -> list[str]:
    """One symbol or several → their lowercase stream names' prefixes, duplicates dropped."""
    names = validate.symbols(symbols)
    for name in names:
        if not _SYMBOL.fullmatch(name):
            raise ConfigurationError(f"not a Binance symbol: {name!r}")
    return [name.lower() for name in names]


def _interval(interval: Any, market: FuturesMarket | None, *, continuous: bool = False) -> str:
    try:
        member = KlineInterval(interval.value if isinstance(interval, KlineInterval) else interval)
    except (ValueError, TypeError):
        member = None
    if member is None or not member.is_known:
        raise ConfigurationError(f"interval must be a KlineInterval, got {interval!r}")
    if member is KlineInterval.ONE_SECOND and market is not None and not (continuous and market is FuturesMarket.USDM):
        raise ConfigurationError("futures klines have no 1s interval")
    return str(member.value)


def _speed(update_interval: Any, allowed: tuple[int, ...], default: int, what: str) -> str:
    """``update_interval`` (ms) → the stream-name suffix (``""`` for the default speed)."""
    if update_interval is None:
        return ""
    if type(update_interval) is not int or update_interval not in allowed:
        raise ConfigurationError(f"update_interval of {what} must be one of {allowed} ms, got {update_interval!r}")
    if update_interval == default:
        return ""
    return "@1s" if update_interval == 1000 else f"@{update_interval}ms"


def _topic(kind: str, names: list[str], market: FuturesMarket | None) -> str:
    prefix = "" if market is None else f"{market.value}:"
    return f"{prefix}{kind}:{','.join(name.upper() for name in names)}"


class StreamMethods(StreamEngine):
    """Mixin of :class:`exwire.BinanceClient` (see the module docstring)."""

    def _symbol_streams(self, kind: str, symbols: Any, suffix: str, market: FuturesMarket | None,
                        callback: Any, timeout: float | None) -> Subscription[Any]:
        names = _symbols(symbols)
        return self._subscribe_streams(market, [f"{name}@{suffix}" for name in names], callback,
                                       topic=_topic(kind, names, market), timeout=timeout)

    def subscribe_to_trade_updates(
        self, symbols: Symbols, callback: Callable[[DataEvent[TradeUpdate]], None] | None = None, *,
        market: FuturesMarket | None = None, timeout: float | None = None,
    ) -> Subscription[TradeUpdate]:
        """Stream every trade (``<symbol>@trade``, real time): :class:`~exwire.binance.stream_models.TradeUpdate`.

        ``side`` is the taker's. On USDⓈ-M the stream is on the ``/public`` route (where
        Binance.Net finds it; the futures documentation does not list it) and carries ``X``,
        the trade type. Conventions and errors: the module docstring.
        """
        market = _market(market)
        return self._symbol_streams("trade", symbols, "trade", market, callback, timeout)

    def subscribe_to_aggregated_trade_updates(
        self, symbols: Symbols, callback: Callable[[DataEvent[AggregateTradeUpdate]], None] | None = None, *,
        market: FuturesMarket | None = None, timeout: float | None = None,
    ) -> Subscription[AggregateTradeUpdate]:
        """Stream aggregate trades (``<symbol>@aggTrade``; futures every 100 ms):
        :class:`~exwire.binance.stream_models.AggregateTradeUpdate`. Conventions: the module docstring."""
        market = _market(market)
        return self._symbol_streams("aggTrade", symbols, "aggTrade", market, callback, timeout)

    def subscribe_to_kline_updates(
        self, symbols: Symbols, interval: KlineInterval | str,
        callback: Callable[[DataEvent[KlineUpdate]], None] | None = None, *,
        market: FuturesMarket | None = None, timezone_offset: str | None = None, timeout: float | None = None,
    ) -> Subscription[KlineUpdate]:
        """Stream the current candle (``<symbol>@kline_<interval>``; spot every 1–2 s, futures 250 ms):
        :class:`~exwire.binance.stream_models.KlineUpdate`, ``closed`` once final.

        Args:
            interval: a :class:`~exwire.binance.enums.KlineInterval` or its value
                (``"1m"``; ``"1s"`` spot only).
            timezone_offset: spot only: ``"+08:00"`` (the one offset Binance documents)
                makes candle boundaries follow UTC+8 (times stay UTC); ``None``: UTC.

        Other arguments and errors: the module docstring.
        """
        market = _market(market)
        suffix = f"kline_{_interval(interval, market)}"
        if timezone_offset is not None:
            if market is not None:
                raise ConfigurationError("timezone_offset exists on spot klines only")
            if timezone_offset not in _TIMEZONES:
                raise ConfigurationError(f"timezone_offset must be one of {_TIMEZONES}, got {timezone_offset!r}")
            suffix += f"@{timezone_offset}"
        return self._symbol_streams("kline", symbols, suffix, market, callback, timeout)

    def subscribe_to_mini_ticker_updates(
        self, symbols: Symbols | None = None, callback: Callable[[DataEvent[MiniTickerUpdate]], None] | None = None,
        *, market: FuturesMarket | None = None, timeout: float | None = None,
    ) -> Subscription[MiniTickerUpdate]:
        """Stream 24 h rolling statistics, short form (``<symbol>@miniTicker``, every second):
        :class:`~exwire.binance.stream_models.MiniTickerUpdate`.

        ``symbols=None`` takes the all-market stream ``!miniTicker@arr``: one event per symbol
        that changed in the last second. Conventions: the module docstring.
        """
        market = _market(market)
        if symbols is None:
            return self._subscribe_streams(market, ["!miniTicker@arr"], callback,
                                           topic=_topic("miniTicker", ["ALL"], market), timeout=timeout)
        return self._symbol_streams("miniTicker", symbols, "miniTicker", market, callback, timeout)

    def subscribe_to_ticker_updates(
        self, symbols: Symbols | None = None, callback: Callable[[DataEvent[TickerUpdate]], None] | None = None, *,
        market: FuturesMarket | None = None, timeout: float | None = None,
    ) -> Subscription[TickerUpdate]:
        """Stream 24 h rolling statistics (``<symbol>@ticker``, every second):
        :class:`~exwire.binance.stream_models.TickerUpdate` (best bid and ask on spot only).
        Spot tickers also feed ``client.latest``.

        ``symbols=None`` takes ``!ticker@arr`` on futures; spot retired that stream on
        2026-03-26, so there ``None`` is a ``ConfigurationError`` (use
        :meth:`subscribe_to_mini_ticker_updates` with ``None``). Conventions: the module docstring.
        """
        market = _market(market)
        if symbols is None:
            if market is None:
                raise ConfigurationError("spot has no all-market ticker stream (!ticker@arr was retired on "
                                         "2026-03-26): name the symbols, or use subscribe_to_mini_ticker_updates()")
            return self._subscribe_streams(market, ["!ticker@arr"], callback,
                                           topic=_topic("ticker", ["ALL"], market), timeout=timeout)
        return self._symbol_streams("ticker", symbols, "ticker", market, callback, timeout)

    def subscribe_to_rolling_window_ticker_updates(
        self, symbols: Symbols, window_size: str,
        callback: Callable[[DataEvent[RollingWindowTickerUpdate]], None] | None = None, *,
        timeout: float | None = None,
    ) -> Subscription[RollingWindowTickerUpdate]:
        """Stream rolling-window statistics (spot ``<symbol>@ticker_<window>``, every second):
        :class:`~exwire.binance.stream_models.RollingWindowTickerUpdate`.

        Args:
            window_size: ``"1h"``, ``"4h"`` or ``"1d"``.

        Other arguments and errors: the module docstring.
        """
        if window_size not in _WINDOWS:
            raise ConfigurationError(f"window_size must be one of {_WINDOWS}, got {window_size!r}")
        return self._symbol_streams(f"ticker_{window_size}", symbols, f"ticker_{window_size}", None, callback,
                                    timeout)

    def subscribe_to_book_ticker_updates(
        self, symbols: Symbols | None, callback: Callable[[DataEvent[BookTickerUpdate]], None] | None = None, *,
        market: FuturesMarket | None = None, timeout: float | None = None,
    ) -> Subscription[BookTickerUpdate]:
        """Stream the best bid and ask (``<symbol>@bookTicker``, real time):
        :class:`~exwire.binance.stream_models.BookTickerUpdate`. Spot ones also feed
        ``client.latest``'s top of book.

        ``symbols=None`` takes ``!bookTicker`` on futures (spot removed it in 2022: a
        ``ConfigurationError``). On USDⓈ-M the stream is on the ``/public`` route.
        Conventions: the module docstring.
        """
        market = _market(market)
        if symbols is None:
            if market is None:
                raise ConfigurationError("spot has no all-market book ticker stream: name the symbols")
            return self._subscribe_streams(market, ["!bookTicker"], callback,
                                           topic=_topic("bookTicker", ["ALL"], market), timeout=timeout)
        return self._symbol_streams("bookTicker", symbols, "bookTicker", market, callback, timeout)

    def subscribe_to_partial_order_book_updates(
        self, symbols: Symbols, depth: int, callback: Callable[[DataEvent[PartialDepthUpdate]], None] | None = None,
        *, update_interval: int | None = None, market: FuturesMarket | None = None, timeout: float | None = None,
    ) -> Subscription[PartialDepthUpdate]:
        """Stream the top ``depth`` levels of each side (``<symbol>@depth<n>``), each event a
        full replacement: :class:`~exwire.binance.stream_models.PartialDepthUpdate`.

        Args:
            depth: 5, 10 or 20.
            update_interval: milliseconds: spot 100 or 1000 (default), futures 100, 250
                (default) or 500; ``None``: the default.

        Other arguments and errors: the module docstring.
        """
        market = _market(market)
        if isinstance(depth, bool) or depth not in (5, 10, 20):
            raise ConfigurationError(f"depth must be 5, 10 or 20, got {depth!r}")
        speed = _speed(update_interval, _DEPTH_INTERVALS[market], _DEPTH_DEFAULT[market], "depth streams")
        return self._symbol_streams(f"depth{depth}", symbols, f"depth{depth}{speed}", market, callback, timeout)

    def subscribe_to_order_book_updates(
        self, symbols: Symbols, callback: Callable[[DataEvent[DepthUpdate]], None] | None = None, *,
        update_interval: int | None = None, market: FuturesMarket | None = None, timeout: float | None = None,
    ) -> Subscription[DepthUpdate]:
        """Stream diff depth (``<symbol>@depth``): :class:`~exwire.binance.stream_models.DepthUpdate`,
        the changed levels (quantity 0 removes one) with their update ids. To keep a book,
        use ``watch_order_book``, which also fetches the snapshot and checks the ids.

        Args:
            update_interval: milliseconds: spot 100 or 1000 (default), futures 100, 250
                (default) or 500; ``None``: the default.

        Other arguments and errors: the module docstring.
        """
        market = _market(market)
        speed = _speed(update_interval, _DEPTH_INTERVALS[market], _DEPTH_DEFAULT[market], "depth streams")
        return self._symbol_streams("depth", symbols, f"depth{speed}", market, callback, timeout)

    def subscribe_to_average_price_updates(
        self, symbols: Symbols, callback: Callable[[DataEvent[AveragePriceUpdate]], None] | None = None, *,
        timeout: float | None = None,
    ) -> Subscription[AveragePriceUpdate]:
        """Stream the current average price (spot ``<symbol>@avgPrice``, every second):
        :class:`~exwire.binance.stream_models.AveragePriceUpdate`. Conventions: the module docstring."""
        return self._symbol_streams("avgPrice", symbols, "avgPrice", None, callback, timeout)

    # -- futures only ------------------------------------------------------------------------------

    def subscribe_to_mark_price_updates(
        self, symbols: Symbols | None = None, callback: Callable[[DataEvent[MarkPriceUpdate]], None] | None = None,
        *, update_interval: int | None = None, market: FuturesMarket | None = None, timeout: float | None = None,
    ) -> Subscription[MarkPriceUpdate]:
        """Stream mark price and funding (futures ``<symbol>@markPrice``):
        :class:`~exwire.binance.stream_models.MarkPriceUpdate`.

        Args:
            symbols: ``None`` takes ``!markPrice@arr`` (USDⓈ-M only: COIN-M has none).
            update_interval: 1000 or 3000 (default) milliseconds; ``None``: the default.
            market: ``FuturesMarket.USDM`` or ``COINM`` (required).

        Other arguments and errors: the module docstring.
        """
        market = _futures(market, "subscribe_to_mark_price_updates")
        speed = _speed(update_interval, (1000, 3000), 3000, "mark price streams")
        if symbols is None:
            if market is not FuturesMarket.USDM:
                raise ConfigurationError("COIN-M has no all-market mark price stream: name the symbols")
            return self._subscribe_streams(market, [f"!markPrice@arr{speed}"], callback,
                                           topic=_topic("markPrice", ["ALL"], market), timeout=timeout)
        return self._symbol_streams("markPrice", symbols, f"markPrice{speed}", market, callback, timeout)

    def subscribe_to_liquidation_updates(
        self, symbols: Symbols | None = None, callback: Callable[[DataEvent[LiquidationUpdate]], None] | None = None,
        *, market: FuturesMarket | None = None, timeout: float | None = None,
    ) -> Subscription[LiquidationUpdate]:
        """Stream liquidation orders (futures ``<symbol>@forceOrder``; at most the latest per
        symbol each second): :class:`~exwire.binance.stream_models.LiquidationUpdate`.

        Args:
            symbols: ``None`` takes ``!forceOrder@arr`` (every symbol).
            market: ``FuturesMarket.USDM`` or ``COINM`` (required).

        Other arguments and errors: the module docstring.
        """
        market = _futures(market, "subscribe_to_liquidation_updates")
        if symbols is None:
            return self._subscribe_streams(market, ["!forceOrder@arr"], callback,
                                           topic=_topic("forceOrder", ["ALL"], market), timeout=timeout)
        return self._symbol_streams("forceOrder", symbols, "forceOrder", market, callback, timeout)

    def subscribe_to_continuous_contract_kline_updates(
        self, pair: str, contract_type: str, interval: KlineInterval | str,
        callback: Callable[[DataEvent[ContinuousKlineUpdate]], None] | None = None, *,
        market: FuturesMarket | None = None, timeout: float | None = None,
    ) -> Subscription[ContinuousKlineUpdate]:
        """Stream the current candle of a pair's contract type (futures
        ``<pair>_<contract_type>@continuousKline_<interval>``, 250 ms):
        :class:`~exwire.binance.stream_models.ContinuousKlineUpdate`; ``event.symbol`` is the pair.

        Args:
            pair: ``"BTCUSDT"`` (COIN-M ``"BTCUSD"``).
            contract_type: ``"perpetual"``, ``"current_quarter"``, ``"next_quarter"`` (USDⓈ-M
                also ``"tradifi_perpetual"``), any case.
            interval: a :class:`~exwire.binance.enums.KlineInterval` (``1s`` on USDⓈ-M only).
            market: ``FuturesMarket.USDM`` or ``COINM`` (required).

        Other arguments and errors: the module docstring.
        """
        market = _futures(market, "subscribe_to_continuous_contract_kline_updates")
        (name,) = _symbols(pair) if isinstance(pair, str) else (None,)
        if name is None or "_" in name:
            raise ConfigurationError(f"pair must be one pair such as 'BTCUSDT', got {pair!r}")
        kind = contract_type.lower() if isinstance(contract_type, str) else None
        if kind not in _CONTRACT_TYPES[market]:
            raise ConfigurationError(f"contract_type must be one of {_CONTRACT_TYPES[market]}, got {contract_type!r}")
        stream = f"{name}_{kind}@continuousKline_{_interval(interval, market, continuous=True)}"
        return self._subscribe_streams(market, [stream], callback, topic=_topic("continuousKline", [f"{name}_{kind}"],
                                                                                 market), timeout=timeout)
