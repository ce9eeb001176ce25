"""``CoinexClient().shared``: CoinEx v1 through the exchange-neutral interface.

Symbols: ``"BTC/USDT"`` ↔ ``"BTCUSDT"``. CoinEx writes a market as base and quote
concatenated, upper case, without a separator, so the way back splits off a known
quote asset: the longest of :data:`QUOTE_ASSETS` that ends the market name and leaves a
non-empty base (``"ETHTUSD"`` → ``"ETH/TUSD"``, ``"CETUSDT"`` → ``"CET/USDT"``,
``"BCHBTC"`` → ``"BCH/BTC"``). A market that ends in none of them is returned as it is.

Offered (:attr:`CoinexShared.features`): tickers, trades, klines, the maintained order
book, balances and their updates, open orders (of one market), order updates and own
fills. Not offered:

* ``PLACE_ORDER`` / ``CANCEL_ORDER``: CoinEx's v1 WebSocket has no order entry (orders
  are placed over REST, which this SDK does not speak);
* ``TOP_OF_BOOK_STREAM``: v1 has no best bid/offer channel (``client.latest.top_of_book``
  follows a watched book instead).

Native models stay reachable as ``native`` on every neutral one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any, ClassVar

from exwire.coinex import models as coinex
from exwire.coinex.arguments import DEPTH_LIMITS
from exwire.coinex.client import CoinexClient
from exwire.errors import ConfigurationError, UnsupportedFeature
from exwire.models import (
    Balance,
    DataEvent,
    Fill,
    Kline,
    Order,
    OrderStatus,
    OrderType,
    Side,
    Ticker,
    Trade,
)
from exwire.shared import Feature, NativeCallback, SharedClient, split_symbol
from exwire.subscription import Subscription
from exwire.watcher import OrderBookWatcher

__all__ = ["CoinexShared", "QUOTE_ASSETS"]

#: Quote assets CoinEx markets end in, tried longest first when splitting a market name.
QUOTE_ASSETS: tuple[str, ...] = tuple(
    sorted(("USDT", "USDC", "TUSD", "BUSD", "USD", "BTC", "ETH", "BCH", "CET", "TRX", "DAI", "PAX"),
           key=lambda quote: (-len(quote), quote))
)

#: Pages of ``order.query`` are at most this long (CoinEx caps them).
_PAGE = 100

_STATUS = {
    coinex.OrderStatus.OPEN: OrderStatus.NEW,
    coinex.OrderStatus.PARTIALLY_FILLED: OrderStatus.PARTIALLY_FILLED,
    coinex.OrderStatus.FILLED: OrderStatus.FILLED,
    coinex.OrderStatus.CANCELED: OrderStatus.CANCELED,
}


class CoinexShared(SharedClient):
    """The exchange-neutral interface of a :class:`~exwire.coinex.client.CoinexClient`.

    Klines: CoinEx keeps one kline subscription per connection, so
    ``subscribe_to_kline_updates`` takes one symbol. Each CoinEx push carries the recent
    window (usually the last two candles); a callback subscription receives every candle
    of it, oldest first, a pull subscription the newest of each push.

    Fills and order updates cover every market: fills come through ``deals.subscribe []``
    (the connection then receives every market's public trades as well).
    """

    exchange: ClassVar[str] = "coinex"
    features: ClassVar[frozenset[Feature]] = frozenset({
        Feature.TICKER_STREAM,
        Feature.TRADE_STREAM,
        Feature.KLINE_STREAM,
        Feature.ORDER_BOOK,
        Feature.BALANCES,
        Feature.BALANCE_STREAM,
        Feature.OPEN_ORDERS,
        Feature.ORDER_STREAM,
        Feature.FILL_STREAM,
    })
    kline_intervals: ClassVar[tuple[timedelta, ...]] = tuple(
        timedelta(seconds=int(interval)) for interval in coinex.KlineInterval
    )
    book_depths: ClassVar[tuple[int, ...]] = DEPTH_LIMITS
    order_types: ClassVar[frozenset[OrderType]] = frozenset()

    client: CoinexClient

    def __init__(self, client: CoinexClient) -> None:
        super().__init__(client)

    # -- symbols ------------------------------------------------------------------------------

    def native_symbol(self, symbol: str) -> str:
        """``"BTC/USDT"`` → ``"BTCUSDT"``.

        Raises:
            ConfigurationError: not ``BASE/QUOTE``.
        """
        base, quote = split_symbol(symbol)
        return base + quote

    def shared_symbol(self, native: str) -> str:
        """``"BTCUSDT"`` → ``"BTC/USDT"``: the longest known quote asset that ends the name
        (see :data:`QUOTE_ASSETS`); a name ending in none is returned unchanged."""
        market = native.upper()
        for quote in QUOTE_ASSETS:
            if market.endswith(quote) and len(market) > len(quote):
                return f"{market[: -len(quote)]}/{quote}"
        return native

    def native_symbols(self, symbols: str | Iterable[str]) -> list[str]:
        """Map one ``BASE/QUOTE`` symbol or several; duplicates removed, order kept.

        Raises:
            ConfigurationError: none given, not a ``str`` or an iterable of them (an int,
                bytes, a mapping), or one is not ``BASE/QUOTE``.
        """
        if not isinstance(symbols, str) and (
            isinstance(symbols, (bytes, bytearray, memoryview, Mapping)) or not isinstance(symbols, Iterable)
        ):
            raise ConfigurationError(f"symbols must be 'BASE/QUOTE' or an iterable of them, got {symbols!r}")
        return super().native_symbols(symbols)

    # -- streams ------------------------------------------------------------------------------

    def _ticker_stream(
        self, symbols: list[str], callback: NativeCallback | None, timeout: float | None
    ) -> Subscription[Any]:
        return self.client.subscribe_to_ticker_updates(symbols, callback, timeout=timeout)

    def _ticker(self, data: Any, symbol: str) -> Ticker:
        native: coinex.Ticker = data
        return Ticker(
            symbol=self.shared_symbol(native.symbol or symbol),
            last_price=native.last_price,
            open_price=native.open_price,
            high_price=native.high_price,
            low_price=native.low_price,
            volume=native.volume,
            quote_volume=native.quote_volume,
            native=native,
        )

    def _trade_stream(
        self, symbols: list[str], callback: NativeCallback | None, timeout: float | None
    ) -> Subscription[Any]:
        return self.client.subscribe_to_trade_updates(symbols, callback, timeout=timeout)

    def _trades(self, data: Any, symbol: str) -> list[Trade]:
        natives: list[coinex.Trade] = data
        # CoinEx sends newest first; the shared interface delivers oldest first.
        return [
            Trade(
                symbol=self.shared_symbol(trade.symbol),
                trade_id=str(trade.trade_id),
                price=trade.price,
                quantity=trade.quantity,
                side=trade.side,
                time=trade.time,
                native=trade,
            )
            for trade in reversed(natives)
        ]

    def _kline_stream(
        self, symbols: list[str], interval: timedelta, callback: NativeCallback | None, timeout: float | None
    ) -> Subscription[Any]:
        if len(symbols) != 1:
            raise ConfigurationError("coinex streams klines of one symbol per connection; subscribe to one")
        native_interval = coinex.KlineInterval(int(interval.total_seconds()))
        if callback is None:
            return self.client.subscribe_to_kline_updates(symbols[0], native_interval, None, timeout=timeout)
        deliver = callback

        def each(event: DataEvent[list[coinex.Kline]]) -> None:
            for kline in event.data:
                deliver(DataEvent(kline, event.topic, event.symbol, event.received_at, event.update_type,
                                  event.raw, event.dropped_before))

        return self.client.subscribe_to_kline_updates(symbols[0], native_interval, each, timeout=timeout)

    def _kline(self, data: Any, symbol: str, interval: timedelta) -> Kline:
        native: coinex.Kline = data[-1] if isinstance(data, list) else data
        return Kline(
            symbol=self.shared_symbol(native.symbol),
            interval=timedelta(seconds=int(native.interval)),
            open_time=native.open_time,
            close_time=native.close_time,
            open=native.open,
            high=native.high,
            low=native.low,
            close=native.close,
            volume=native.volume,
            quote_volume=native.quote_volume,
            native=native,
        )

    def _watch_order_book(self, symbol: str, depth: int, timeout: float | None) -> OrderBookWatcher:
        return self.client.watch_order_book(symbol, depth, timeout=timeout)

    def _order_stream(self, callback: NativeCallback | None, timeout: float | None) -> Subscription[Any]:
        return self.client.subscribe_to_order_updates(None, callback, timeout=timeout)

    def _orders(self, data: Any, symbol: str) -> list[Order]:
        update: coinex.OrderUpdate = data
        return [self._order(update.order, _STATUS[update.status])]

    def _fill_stream(self, callback: NativeCallback | None, timeout: float | None) -> Subscription[Any]:
        return self.client.subscribe_to_user_trade_updates(None, callback, timeout=timeout)

    def _fills(self, data: Any, symbol: str) -> list[Fill]:
        natives: list[coinex.UserTrade] = data
        return [
            Fill(
                trade_id=str(fill.trade_id),
                order_id=str(fill.order_id),
                symbol=self.shared_symbol(fill.symbol),
                side=fill.side,
                price=fill.price,
                quantity=fill.quantity,
                fee=fill.fee,
                fee_asset=fill.fee_asset,
                is_maker=fill.is_maker,
                time=fill.time,
                native=fill,
            )
            for fill in natives
        ]

    def _balance_stream(self, callback: NativeCallback | None, timeout: float | None) -> Subscription[Any]:
        return self.client.subscribe_to_balance_updates(callback, timeout=timeout)

    def _balances(self, data: Any, symbol: str) -> list[Balance]:
        natives: list[coinex.Balance] = data
        return [self._balance(native) for native in natives]

    # -- requests -----------------------------------------------------------------------------

    def _get_balances(self, timeout: float | None) -> dict[str, Balance]:
        return {asset.upper(): self._balance(native) for asset, native in self.client.get_balances(timeout=timeout).items()}

    def _get_open_orders(self, symbol: str | None, timeout: float | None) -> list[Order]:
        if symbol is None:
            raise UnsupportedFeature(
                "coinex lists open orders per market (order.query): pass a symbol", exchange=self.exchange
            )
        orders: list[Order] = []
        offset = 0
        while True:
            page = self.client.get_open_orders(symbol, offset=offset, limit=_PAGE, timeout=timeout)
            for native in page.records:
                status = OrderStatus.PARTIALLY_FILLED if native.filled_quantity else OrderStatus.NEW
                orders.append(self._order(native, status))
            offset += len(page.records)
            if not page.records or offset >= page.total:
                return orders

    # -- conversion ---------------------------------------------------------------------------

    @staticmethod
    def _balance(native: coinex.Balance) -> Balance:
        return Balance(
            asset=native.asset.upper(), free=native.free, locked=native.locked, total=native.total, native=native
        )

    def _order(self, native: coinex.Order, status: OrderStatus) -> Order:
        market = native.order_type is coinex.OrderType.MARKET
        order_type = (
            OrderType.LIMIT if native.order_type is coinex.OrderType.LIMIT
            else OrderType.MARKET if market else OrderType.OTHER
        )
        # A market buy's ``amount`` is in the quote asset on CoinEx: no base quantity is known.
        quantity = None if market and native.side is Side.BUY else native.quantity
        return Order(
            order_id=str(native.order_id),
            client_order_id=native.client_order_id,
            symbol=self.shared_symbol(native.symbol),
            side=native.side,
            order_type=order_type,
            status=status,
            price=None if market else native.price,
            quantity=quantity,
            filled_quantity=native.filled_quantity,
            average_price=native.average_price,
            time_in_force=native.time_in_force,
            created_at=native.created_at,
            updated_at=native.updated_at,
            native=native,
        )

