"""Market-data requests of :class:`~exwire.binance.client.BinanceClient` (§8.1 of
:doc:`the Binance page </exchanges/binance>`).

Every method here is public (security type NONE), blocking and thread-safe, takes
``timeout=`` (seconds; ``None`` uses the client's ``request_timeout``) and raises:

* ``ConfigurationError`` for bad arguments, before anything is sent;
* ``InvalidRequest`` when Binance refuses them (unknown symbol ...), ``RateLimited``
  (with ``retry_after``) past the request-weight limit;
* ``InvalidState`` on a closed client, ``ConnectError`` when no connection opens;
* ``ConnectionClosed`` / ``RequestTimeout`` when no reply came: the outcome is unknown,
  which for a read only means the answer is lost (reads have no side effect).

An optional argument left at ``None`` is not sent: Binance applies its default. Prices are
``Decimal`` in the quote asset, quantities ``Decimal`` in the base asset, times aware UTC
datetimes (arguments also accept epoch milliseconds).

Where a method accepts one symbol or several, a ``str`` returns one model and an
iterable (or ``None`` for all symbols) returns a list.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from exwire.binance._caller import Caller
from exwire.binance._docs import raises
from exwire.binance._validation import check_window_size, exclusive, one_or_list, symbol_or_symbols
from exwire.binance.enums import KlineInterval, SymbolStatus, TickerType
from exwire.binance.models import (
    AggregateTrade,
    AveragePrice,
    BookTicker,
    ExecutionRules,
    Kline,
    OrderBook,
    PriceTicker,
    ReferencePrice,
    ReferencePriceCalculation,
    Ticker,
    Trade,
)
from exwire.errors import ConfigurationError

__all__ = ["MarketDataMethods"]

Time = datetime | int  # an aware datetime, or epoch milliseconds


class MarketDataMethods(Caller):
    """Mixin: needs ``_call`` from the client."""

    @raises("read")
    def get_spot_order_book(
        self, symbol: str, limit: int | None = None, *, symbol_status: SymbolStatus | str | None = None,
        timeout: float | None = None,
    ) -> OrderBook:
        """Return an order book snapshot (``depth``; weight 5 up to 100 levels, 250 at 5000).

        Args:
            symbol: e.g. ``"BTCUSDT"``.
            limit: levels per side, 1–5000; ``None``: 100.
            symbol_status: refuse unless the symbol is in this status (-1220); ``None``: any status.
        """
        return self._call("depth", OrderBook, timeout=timeout, symbol=symbol, limit=limit,
                          symbol_status=symbol_status)

    @raises("read")
    def get_spot_recent_trades(self, symbol: str, limit: int | None = None, *,
                               timeout: float | None = None) -> list[Trade]:
        """Return the latest trades, oldest first (``trades.recent``, weight 25).

        Args:
            limit: how many, 1–1000; ``None``: 500.
        """
        return self._call("trades.recent", list[Trade], timeout=timeout, symbol=symbol, limit=limit)

    @raises("read")
    def get_spot_historical_trades(self, symbol: str, from_id: int | None = None, limit: int | None = None, *,
                                   timeout: float | None = None) -> list[Trade]:
        """Return older trades starting at trade id ``from_id`` (``trades.historical``, weight 25).

        Args:
            from_id: first trade id; ``None``: the most recent trades.
            limit: how many, 1–1000; ``None``: 500.
        """
        return self._call("trades.historical", list[Trade], timeout=timeout, symbol=symbol, from_id=from_id,
                          limit=limit)

    @raises("read")
    def get_spot_historical_block_trades(self, symbol: str, from_id: int, limit: int | None = None, *,
                                         timeout: float | None = None) -> list[Trade]:
        """Return block trades from block trade id ``from_id`` (``blockTrades.historical``, weight 25).

        ``is_best_match`` is ``None`` on block trades.

        Args:
            limit: how many, 1–1000; ``None``: 500.
        """
        return self._call("blockTrades.historical", list[Trade], timeout=timeout, symbol=symbol,
                          from_id=from_id, limit=limit)

    @raises("read")
    def get_spot_aggregate_trades(
        self, symbol: str, *, from_id: int | None = None, start_time: Time | None = None,
        end_time: Time | None = None, limit: int | None = None, timeout: float | None = None,
    ) -> list[AggregateTrade]:
        """Return aggregate trades (``trades.aggregate``, weight 4).

        Args:
            from_id: first aggregate trade id (not with the times); ``None``: the most recent.
            start_time, end_time: time range (aware datetimes or epoch ms); ``None``: open.
            limit: how many, 1–1000; ``None``: 500.
        """
        if from_id is not None and (start_time is not None or end_time is not None):
            raise ConfigurationError("from_id cannot be combined with start_time or end_time")
        return self._call("trades.aggregate", list[AggregateTrade], timeout=timeout, symbol=symbol,
                          from_id=from_id, start_time=start_time, end_time=end_time, limit=limit)

    @raises("read")
    def get_spot_klines(
        self, symbol: str, interval: KlineInterval | str, *, start_time: Time | None = None,
        end_time: Time | None = None, time_zone: str | None = None, limit: int | None = None,
        timeout: float | None = None,
    ) -> list[Kline]:
        """Return candlesticks, oldest first (``klines``, weight 2).

        Args:
            interval: a :class:`~exwire.binance.enums.KlineInterval` or its value (``"1m"``, ``"1M"`` ...).
            start_time, end_time: time range (aware datetimes or epoch ms); ``None``: latest.
            time_zone: interpret days in this zone, e.g. ``"-1:00"``, ``"05:45"``, ``"8"``; ``None``: UTC.
            limit: how many, 1–1000; ``None``: 500.
        """
        return self._call("klines", list[Kline], timeout=timeout, symbol=symbol, interval=interval,
                          start_time=start_time, end_time=end_time, time_zone=time_zone, limit=limit)

    @raises("read")
    def get_spot_ui_klines(
        self, symbol: str, interval: KlineInterval | str, *, start_time: Time | None = None,
        end_time: Time | None = None, time_zone: str | None = None, limit: int | None = None,
        timeout: float | None = None,
    ) -> list[Kline]:
        """Return candlesticks tuned for charts (``uiKlines``, weight 2); arguments as :meth:`get_spot_klines`."""
        return self._call("uiKlines", list[Kline], timeout=timeout, symbol=symbol, interval=interval,
                          start_time=start_time, end_time=end_time, time_zone=time_zone, limit=limit)

    @raises("read")
    def get_spot_average_price(self, symbol: str, *, timeout: float | None = None) -> AveragePrice:
        """Return the current average price (``avgPrice``, weight 2)."""
        return self._call("avgPrice", AveragePrice, timeout=timeout, symbol=symbol)

    @raises("read")
    def get_spot_execution_rules(
        self, symbols: str | Iterable[str] | None = None, *, symbol_status: SymbolStatus | str | None = None,
        timeout: float | None = None,
    ) -> ExecutionRules:
        """Return execution rules such as ``PRICE_RANGE`` (``executionRules``, weight 2 per symbol, 40 for all).

        Args:
            symbols: one or several symbols; ``None`` for all (not with ``symbol_status``).
            symbol_status: all symbols in this status; ``None``: any status.
        """
        exclusive(symbols=symbols, symbol_status=symbol_status)
        return self._call("executionRules", ExecutionRules, timeout=timeout, **symbol_or_symbols(symbols),
                          symbol_status=symbol_status)

    @raises("read")
    def get_spot_reference_price(self, symbol: str, *, timeout: float | None = None) -> ReferencePrice:
        """Return the symbol's reference price (``referencePrice``, weight 2).

        Raises:
            InvalidRequest: the symbol never had a reference price (-2043).
        """
        return self._call("referencePrice", ReferencePrice, timeout=timeout, symbol=symbol)

    @raises("read")
    def get_spot_reference_price_calculation(
        self, symbol: str, *, symbol_status: SymbolStatus | str | None = None, timeout: float | None = None,
    ) -> ReferencePriceCalculation:
        """Return how the reference price is computed (``referencePrice.calculation``, weight 2).

        Args:
            symbol_status: refuse unless the symbol is in this status (-1220); ``None``: any status.

        Raises:
            InvalidRequest: the symbol has no reference price (-2043).
        """
        return self._call("referencePrice.calculation", ReferencePriceCalculation, timeout=timeout, symbol=symbol,
                          symbol_status=symbol_status)

    @raises("read")
    def get_spot_24hr_ticker(
        self, symbols: str | Iterable[str] | None = None, *, ticker_type: TickerType | str | None = None,
        symbol_status: SymbolStatus | str | None = None, timeout: float | None = None,
    ) -> Ticker | list[Ticker]:
        """Return 24-hour rolling statistics (``ticker.24hr``; weight 2 for 1–20 symbols, 80 for all).

        Args:
            symbols: one symbol (returns a :class:`Ticker`), several or ``None`` for all (a list).
            ticker_type: ``FULL`` or ``MINI``; ``None``: ``FULL``.
            symbol_status: only symbols in this status; ``None``: any status.
        """
        return self._call("ticker.24hr", one_or_list(Ticker, isinstance(symbols, str)), timeout=timeout,
                          **symbol_or_symbols(symbols), ticker_type=ticker_type, symbol_status=symbol_status)

    @raises("read")
    def get_spot_trading_day_ticker(
        self, symbols: str | Iterable[str], *, time_zone: str | None = None,
        ticker_type: TickerType | str | None = None, symbol_status: SymbolStatus | str | None = None,
        timeout: float | None = None,
    ) -> Ticker | list[Ticker]:
        """Return statistics of the current trading day (``ticker.tradingDay``, weight 4 per symbol).

        Args:
            symbols: one symbol (returns a :class:`Ticker`) or several (a list).
            time_zone: the day's zone, e.g. ``"-1:00"`` (hours[:minutes] from UTC); ``None``: UTC.
            ticker_type: ``FULL`` or ``MINI``; ``None``: ``FULL``.
            symbol_status: only symbols in this status (``TRADING``, ``HALT``, ``BREAK``; a
                named symbol in another status is refused, -1220); ``None``: any status.
        """
        return self._call("ticker.tradingDay", one_or_list(Ticker, isinstance(symbols, str)), timeout=timeout,
                          **symbol_or_symbols(symbols), time_zone=time_zone, ticker_type=ticker_type,
                          symbol_status=symbol_status)

    @raises("read")
    def get_spot_ticker(
        self, symbols: str | Iterable[str], *, window_size: str | None = None,
        ticker_type: TickerType | str | None = None, symbol_status: SymbolStatus | str | None = None,
        timeout: float | None = None,
    ) -> Ticker | list[Ticker]:
        """Return rolling-window statistics (``ticker``, weight 4 per symbol).

        Args:
            symbols: one symbol (returns a :class:`Ticker`) or up to 200 (a list).
            window_size: ``"1m"``–``"59m"``, ``"1h"``–``"23h"`` or ``"1d"``–``"7d"``; ``None``: ``1d``.
            ticker_type: ``FULL`` or ``MINI``; ``None``: ``FULL``.
            symbol_status: only symbols in this status (``TRADING``, ``HALT``, ``BREAK``; a
                named symbol in another status is refused, -1220); ``None``: any status.
        """
        check_window_size(window_size)
        return self._call("ticker", one_or_list(Ticker, isinstance(symbols, str)), timeout=timeout,
                          **symbol_or_symbols(symbols), window_size=window_size, ticker_type=ticker_type,
                          symbol_status=symbol_status)

    @raises("read")
    def get_spot_symbol_price_ticker(
        self, symbols: str | Iterable[str] | None = None, *, symbol_status: SymbolStatus | str | None = None,
        timeout: float | None = None,
    ) -> PriceTicker | list[PriceTicker]:
        """Return the latest price (``ticker.price``, weight 2 for one symbol, 4 for several or all).

        Args:
            symbols: one symbol (returns a :class:`PriceTicker`), several or ``None`` for all (a list).
            symbol_status: only symbols in this status (``TRADING``, ``HALT``, ``BREAK``; a
                named symbol in another status is refused, -1220); ``None``: any status.
        """
        return self._call("ticker.price", one_or_list(PriceTicker, isinstance(symbols, str)), timeout=timeout,
                          **symbol_or_symbols(symbols), symbol_status=symbol_status)

    @raises("read")
    def get_spot_symbol_order_book_ticker(
        self, symbols: str | Iterable[str] | None = None, *, symbol_status: SymbolStatus | str | None = None,
        timeout: float | None = None,
    ) -> BookTicker | list[BookTicker]:
        """Return the best bid and ask (``ticker.book``, weight 2 for one symbol, 4 for several or all).

        Args:
            symbols: one symbol (returns a :class:`BookTicker`), several or ``None`` for all (a list).
            symbol_status: only symbols in this status (``TRADING``, ``HALT``, ``BREAK``; a
                named symbol in another status is refused, -1220); ``None``: any status.
        """
        return self._call("ticker.book", one_or_list(BookTicker, isinstance(symbols, str)), timeout=timeout,
                          **symbol_or_symbols(symbols), symbol_status=symbol_status)

