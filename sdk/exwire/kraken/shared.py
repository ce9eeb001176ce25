"""``KrakenClient().shared``: Kraken's WebSocket API v1 through the exchange-neutral interface.

Symbols: ``"BTC/USD"`` ↔ ``"XBT/USD"``. Kraken's v1 wsnames are already ``BASE/QUOTE``
but spell bitcoin ``XBT`` and dogecoin ``XDG``; the mapping swaps those two codes both
ways (``"DOGE/USD"`` ↔ ``"XDG/USD"``) and leaves every other asset as it is.

Offered (:attr:`KrakenShared.features`): tickers, trades, klines, top of book (the
``spread`` channel), the maintained order book, order updates (``openOrders``), own fills
(``ownTrades``), placing and cancelling orders. Not offered:

* ``BALANCES`` / ``BALANCE_STREAM``: Kraken's v1 WebSocket API has no balance request
  or channel (balances are a REST call, which this SDK does not make);
* ``OPEN_ORDERS``: v1 has no open-orders request either; subscribe to order updates,
  whose first event lists every open order.

Native models stay reachable as ``native`` on every neutral one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from decimal import Decimal
from typing import Any, ClassVar

from exwire._core import validate
from exwire.errors import UnsupportedFeature
from exwire.kraken import models as kraken
from exwire.kraken.client import BOOK_DEPTHS, KrakenClient
from exwire.kraken.symbols import ASSET_ALIASES, to_shared
from exwire.models import (
    Fill,
    Kline,
    Level,
    Order,
    OrderStatus,
    OrderType,
    Side,
    Ticker,
    TimeInForce,
    TopOfBook,
    Trade,
)
from exwire.shared import Feature, NativeCallback, SharedClient, split_symbol
from exwire.subscription import Subscription
from exwire.watcher import OrderBookWatcher

__all__ = ["KrakenShared"]

_ORDER_TYPES: Mapping[kraken.OrderType, OrderType] = {
    kraken.OrderType.LIMIT: OrderType.LIMIT,
    kraken.OrderType.MARKET: OrderType.MARKET,
    kraken.OrderType.STOP_LOSS: OrderType.STOP_LOSS,
    kraken.OrderType.STOP_LOSS_LIMIT: OrderType.STOP_LOSS_LIMIT,
    kraken.OrderType.TAKE_PROFIT: OrderType.TAKE_PROFIT,
    kraken.OrderType.TAKE_PROFIT_LIMIT: OrderType.TAKE_PROFIT_LIMIT,
}
_TIMES_IN_FORCE: Mapping[kraken.TimeInForce, TimeInForce] = {
    kraken.TimeInForce.GOOD_TILL_CANCELED: TimeInForce.GTC,
    kraken.TimeInForce.IMMEDIATE_OR_CANCEL: TimeInForce.IOC,
}


class KrakenShared(SharedClient):
    """The exchange-neutral interface of a :class:`~exwire.kraken.client.KrakenClient`.

    Tickers: ``volume``, ``open_price``, ``high_price`` and ``low_price`` are Kraken's
    rolling 24 hours (the since-midnight values are on ``native``). Klines: Kraken sends
    the candle's end (``close_time``); ``open_time`` is that minus the interval, and
    ``closed`` is ``None`` (Kraken does not say). Trades carry no id (``trade_id`` is
    ``None``). Top of book: a missing quantity (a short ``spread`` array) is zero.

    Orders: ``place_order`` takes ``LIMIT``, ``LIMIT_MAKER`` (a post-only limit order)
    and ``MARKET``; ``time_in_force`` ``GTC``, ``IOC`` or ``POST_ONLY`` (limit orders only).
    Kraken's order updates after the first carry only what changed (often just the
    status): fields absent from one are ``None`` (``order_type`` ``OTHER``, ``status``
    ``UNKNOWN`` when not sent); merge them by ``order_id``.
    """

    exchange: ClassVar[str] = "kraken"
    features: ClassVar[frozenset[Feature]] = frozenset({
        Feature.TICKER_STREAM,
        Feature.TRADE_STREAM,
        Feature.KLINE_STREAM,
        Feature.TOP_OF_BOOK_STREAM,
        Feature.ORDER_BOOK,
        Feature.ORDER_STREAM,
        Feature.FILL_STREAM,
        Feature.PLACE_ORDER,
        Feature.CANCEL_ORDER,
    })
    kline_intervals: ClassVar[tuple[timedelta, ...]] = tuple(
        timedelta(minutes=int(interval)) for interval in kraken.KlineInterval
    )
    book_depths: ClassVar[tuple[int, ...]] = BOOK_DEPTHS
    order_types: ClassVar[frozenset[OrderType]] = frozenset({OrderType.LIMIT, OrderType.LIMIT_MAKER, OrderType.MARKET})

    client: KrakenClient

    def __init__(self, client: KrakenClient) -> None:
        super().__init__(client)

    # -- symbols ------------------------------------------------------------------------------

    def native_symbol(self, symbol: str) -> str:
        """``"BTC/USD"`` → ``"XBT/USD"`` (``DOGE`` → ``XDG``; other assets unchanged).

        Raises:
            ConfigurationError: not ``BASE/QUOTE``.
        """
        base, quote = split_symbol(symbol)
        return f"{ASSET_ALIASES.get(base, base)}/{ASSET_ALIASES.get(quote, quote)}"

    def native_symbols(self, symbols: str | Iterable[str]) -> list[str]:
        """Map one ``BASE/QUOTE`` symbol or several; duplicates removed, order kept.

        Raises:
            ConfigurationError: none given, not a ``str`` or an iterable of them (an int,
                bytes, a mapping), or one is not ``BASE/QUOTE``.
        """
        return list(dict.fromkeys(self.native_symbol(item) for item in validate.symbols(symbols)))

    def shared_symbol(self, native: str) -> str:
        """``"XBT/USD"`` → ``"BTC/USD"`` (``XDG`` → ``DOGE``; other assets unchanged)."""
        return to_shared(native)

    # -- streams ------------------------------------------------------------------------------

    def _ticker_stream(
        self, symbols: list[str], callback: NativeCallback | None, timeout: float | None
    ) -> Subscription[Any]:
        return self.client.subscribe_to_ticker_updates(symbols, callback, timeout=timeout)

    def _ticker(self, data: Any, symbol: str) -> Ticker:
        native: kraken.Ticker = data
        return Ticker(
            symbol=self.shared_symbol(symbol),
            bid_price=native.bid_price,
            bid_quantity=native.bid_quantity,
            ask_price=native.ask_price,
            ask_quantity=native.ask_quantity,
            last_price=native.last_price,
            last_quantity=native.last_quantity,
            open_price=native.open_price,
            high_price=native.high_price,
            low_price=native.low_price,
            volume=native.volume,
            native=native,
        )

    def _trade_stream(
        self, symbols: list[str], callback: NativeCallback | None, timeout: float | None
    ) -> Subscription[Any]:
        return self.client.subscribe_to_trade_updates(symbols, callback, timeout=timeout)

    def _trades(self, data: Any, symbol: str) -> list[Trade]:
        trades: list[kraken.Trade] = data
        shared = self.shared_symbol(symbol)
        return [
            Trade(
                symbol=shared,
                trade_id=None,
                price=trade.price,
                quantity=trade.quantity,
                side=trade.side,
                time=trade.time,
                native=trade,
            )
            for trade in trades
        ]

    def _kline_stream(
        self, symbols: list[str], interval: timedelta, callback: NativeCallback | None, timeout: float | None
    ) -> Subscription[Any]:
        minutes = kraken.KlineInterval(int(interval.total_seconds()) // 60)
        return self.client.subscribe_to_kline_updates(symbols, minutes, callback, timeout=timeout)

    def _kline(self, data: Any, symbol: str, interval: timedelta) -> Kline:
        native: kraken.Kline = data
        return Kline(
            symbol=self.shared_symbol(symbol),
            interval=interval,
            open_time=native.open_time,
            close_time=native.close_time,
            open=native.open,
            high=native.high,
            low=native.low,
            close=native.close,
            volume=native.volume,
            trade_count=native.trade_count,
            native=native,
        )

    def _top_of_book_stream(
        self, symbols: list[str], callback: NativeCallback | None, timeout: float | None
    ) -> Subscription[Any]:
        return self.client.subscribe_to_spread_updates(symbols, callback, timeout=timeout)

    def _top_of_book(self, data: Any, symbol: str) -> TopOfBook:
        spread: kraken.Spread = data
        return TopOfBook(
            bid=Level(price=spread.bid_price, quantity=spread.bid_quantity or Decimal(0)),
            ask=Level(price=spread.ask_price, quantity=spread.ask_quantity or Decimal(0)),
        )

    def _watch_order_book(self, symbol: str, depth: int, timeout: float | None) -> OrderBookWatcher:
        return self.client.watch_order_book(symbol, depth, timeout=timeout)

    def _order_stream(self, callback: NativeCallback | None, timeout: float | None) -> Subscription[Any]:
        return self.client.subscribe_to_order_updates(callback, timeout=timeout)

    def _orders(self, data: Any, symbol: str) -> list[Order]:
        updates: list[kraken.OrderUpdate] = data
        return [self._order(update) for update in updates]

    def _order(self, update: kraken.OrderUpdate) -> Order:
        return Order(
            order_id=update.order_id,
            client_order_id=update.client_order_id,
            symbol=None if update.symbol is None else self.shared_symbol(update.symbol),
            side=update.side,
            order_type=_order_type(update.order_type, update.flags),
            status=_status(update),
            price=update.price,
            quantity=update.quantity,
            filled_quantity=update.filled_quantity,
            average_price=update.average_price,
            time_in_force=_time_in_force(update.time_in_force, update.flags),
            created_at=update.created_at,
            updated_at=update.updated_at,
            native=update,
        )

    def _fill_stream(self, callback: NativeCallback | None, timeout: float | None) -> Subscription[Any]:
        return self.client.subscribe_to_user_trade_updates(callback, timeout=timeout)

    def _fills(self, data: Any, symbol: str) -> list[Fill]:
        trades: list[kraken.OwnTrade] = data
        return [
            Fill(
                trade_id=trade.trade_id,
                order_id=trade.order_id,
                symbol=self.shared_symbol(trade.symbol),
                side=trade.side,
                price=trade.price,
                quantity=trade.quantity,
                fee=trade.fee,
                time=trade.time,
                native=trade,
            )
            for trade in trades
        ]

    # -- requests -----------------------------------------------------------------------------

    def _place_order(
        self,
        symbol: str,
        side: Side,
        order_type: OrderType,
        quantity: Decimal,
        price: Decimal | None,
        time_in_force: TimeInForce | None,
        client_order_id: str | None,
        timeout: float | None,
    ) -> Order:
        flags: list[kraken.OrderFlag] = []
        native_tif: kraken.TimeInForce | None = None
        if order_type is OrderType.LIMIT_MAKER or time_in_force is TimeInForce.POST_ONLY:
            if order_type is OrderType.MARKET:
                raise UnsupportedFeature("kraken has no post-only market orders", exchange=self.exchange)
            flags.append(kraken.OrderFlag.POST_ONLY)
        elif time_in_force is TimeInForce.IOC:
            native_tif = kraken.TimeInForce.IMMEDIATE_OR_CANCEL
        elif time_in_force is TimeInForce.GTC:
            native_tif = kraken.TimeInForce.GOOD_TILL_CANCELED
        elif time_in_force is not None:
            raise UnsupportedFeature(
                f"kraken does not take time_in_force {time_in_force.value}", exchange=self.exchange
            )
        kind = kraken.OrderType.MARKET if order_type is OrderType.MARKET else kraken.OrderType.LIMIT
        placed = self.client.place_order(
            symbol,
            kind,
            side,
            quantity,
            price=price,
            client_order_id=client_order_id,
            flags=flags or None,
            time_in_force=native_tif,
            timeout=timeout,
        )
        return Order(
            order_id=placed.order_id or "",
            client_order_id=placed.client_order_id or client_order_id,
            symbol=self.shared_symbol(symbol),
            side=side,
            order_type=order_type,
            status=OrderStatus.NEW,
            price=price,
            quantity=quantity,
            filled_quantity=None,
            time_in_force=time_in_force,
            native=placed,
        )

    def _cancel_order(self, symbol: str, order_id: str, timeout: float | None) -> None:
        self.client.cancel_order(order_id, timeout=timeout)


def _order_type(kind: kraken.OrderType | None, flags: tuple[kraken.OrderFlag, ...] | None) -> OrderType:
    if kind is None:
        return OrderType.OTHER
    if kind is kraken.OrderType.LIMIT and flags is not None and kraken.OrderFlag.POST_ONLY in flags:
        return OrderType.LIMIT_MAKER
    return _ORDER_TYPES.get(kind, OrderType.OTHER)


def _time_in_force(
    value: kraken.TimeInForce | None, flags: tuple[kraken.OrderFlag, ...] | None
) -> TimeInForce | None:
    if flags is not None and kraken.OrderFlag.POST_ONLY in flags:
        return TimeInForce.POST_ONLY
    return None if value is None else _TIMES_IN_FORCE.get(value)


def _status(update: kraken.OrderUpdate) -> OrderStatus:
    status = update.status
    if status is None:
        return OrderStatus.UNKNOWN
    if status is kraken.OrderStatus.PENDING:
        return OrderStatus.NEW
    if status is kraken.OrderStatus.OPEN:
        filled = update.filled_quantity
        return OrderStatus.PARTIALLY_FILLED if filled is not None and filled > 0 else OrderStatus.NEW
    if status is kraken.OrderStatus.CLOSED:
        return OrderStatus.FILLED
    if status is kraken.OrderStatus.CANCELED:
        return OrderStatus.CANCELED
    if status is kraken.OrderStatus.EXPIRED:
        return OrderStatus.EXPIRED
    return OrderStatus.UNKNOWN
