"""``CoinsuperClient.shared``: Coinsuper through the exchange-neutral :class:`exwire.shared.SharedClient`.

What is offered is what Coinsuper's MQTT "WebSocket API" pushes (it is publish-only: no
request of any kind goes over it):

* ``TRADE_STREAM``: the real-time transactions topic (de-duplicated, oldest first; no
  trade ids);
* ``KLINE_STREAM``: the kline topic, eleven intervals from 1 minute to 7 days;
* ``TOP_OF_BOOK_STREAM`` and ``ORDER_BOOK``: the order book topic at the pair's finest
  step (``0.01`` for fiat and dollar-stablecoin quotes, ``0.00000001`` otherwise), 15
  levels per side, each publish a whole book;
* ``BALANCE_STREAM``, ``ORDER_STREAM``, ``FILL_STREAM``: the three private topics
  (asset, order and trade change).

Not offered: ``TICKER_STREAM`` (Coinsuper has no ticker topic), and the requests
``BALANCES``, ``PLACE_ORDER``, ``CANCEL_ORDER``, ``OPEN_ORDERS`` (they belong to
Coinsuper's REST API, which this SDK does not implement). The depth-chart topic
(``subscribe_to_market_depth_updates``: cumulative buckets around the mid) has no
neutral counterpart; it stays native.

Symbols: ``"BTC/USD"`` is Coinsuper's own form, so the mapping is the identity up to case.
Each stream method takes exactly one symbol: every Coinsuper topic gets its own MQTT
connection and a subscription lives on one connection.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from exwire.coinsuper.models import (
    Balance as NativeBalance,
)
from exwire.coinsuper.models import (
    BalanceUpdate,
    KlineInterval,
    OrderBookSnapshot,
    OrderState,
    OrderUpdate,
    UserTrade,
)
from exwire.coinsuper.models import (
    Kline as NativeKline,
)
from exwire.coinsuper.models import (
    Trade as NativeTrade,
)
from exwire.coinsuper.symbols import normalize_symbol
from exwire.errors import ConfigurationError
from exwire.models import (
    Balance,
    DataEvent,
    Fill,
    Kline,
    Order,
    OrderStatus,
    OrderType,
    TopOfBook,
    Trade,
)
from exwire.shared import Feature, SharedClient, split_symbol
from exwire.subscription import Subscription

if TYPE_CHECKING:
    from exwire.coinsuper.client import CoinsuperClient
    from exwire.watcher import OrderBookWatcher

__all__ = ["CoinsuperShared"]

NativeCallback = Callable[[DataEvent[Any]], None]

_INTERVALS = {interval.length: interval for interval in KlineInterval}
_STATUSES = {OrderState.NEW: OrderStatus.NEW, OrderState.CANCEL: OrderStatus.CANCELED}


class CoinsuperShared(SharedClient):
    """Coinsuper through the exchange-neutral interface (``CoinsuperClient.shared``).

    Thread-safe like the client. Symbols are ``BASE/QUOTE`` (``"BTC/USD"``); events carry
    the neutral models of :mod:`exwire.models` with ``native`` set to the Coinsuper model
    (:class:`~exwire.coinsuper.models.Trade`, ``Kline``, ``OrderBookSnapshot``,
    ``Balance``, ``OrderUpdate``, ``UserTrade``). Each stream takes one symbol
    (``ConfigurationError`` for more). Order updates carry ``NEW`` or ``CANCELED``
    statuses only (Coinsuper pushes creations and cancellations; fills come through
    :meth:`subscribe_to_fill_updates`) and no order type; fills carry no fee.
    """

    exchange: ClassVar[str] = "coinsuper"
    features: ClassVar[frozenset[Feature]] = frozenset({
        Feature.TRADE_STREAM,
        Feature.KLINE_STREAM,
        Feature.TOP_OF_BOOK_STREAM,
        Feature.ORDER_BOOK,
        Feature.BALANCE_STREAM,
        Feature.ORDER_STREAM,
        Feature.FILL_STREAM,
    })
    kline_intervals: ClassVar[tuple[timedelta, ...]] = tuple(sorted(_INTERVALS))
    #: The order book topic pushes 15 levels per side.
    book_depths: ClassVar[tuple[int, ...]] = (15,)
    #: No order placement (Coinsuper's MQTT API has none).
    order_types: ClassVar[frozenset[OrderType]] = frozenset()

    client: CoinsuperClient

    def __init__(self, client: CoinsuperClient) -> None:
        super().__init__(client)

    # -- symbols ---------------------------------------------------------------------------

    def native_symbol(self, symbol: str) -> str:
        """``"btc/usd"`` → ``"BTC/USD"`` (Coinsuper writes pairs ``BASE/QUOTE`` too).

        Raises:
            ConfigurationError: not ``BASE/QUOTE``.
        """
        base, quote = split_symbol(symbol)
        return f"{base}/{quote}"

    def shared_symbol(self, native: str) -> str:
        """``"BTC/USD"`` → ``"BTC/USD"``; the topic form ``"BTC_USD"`` is accepted too.
        A value that is no pair is returned unchanged."""
        try:
            return normalize_symbol(native.replace("_", "/", 1) if "/" not in native else native)
        except ConfigurationError:
            return native

    # -- market streams --------------------------------------------------------------------

    def _trade_stream(
        self, symbols: list[str], callback: NativeCallback | None, timeout: float | None
    ) -> Subscription[Any]:
        return self.client.subscribe_to_trade_updates(_one(symbols), callback, timeout=timeout)

    def _trades(self, data: Any, symbol: str) -> list[Trade]:
        return [self._trade(trade, symbol) for trade in data]

    def _trade(self, trade: NativeTrade, symbol: str) -> Trade:
        return Trade(
            symbol=self.shared_symbol(trade.symbol or symbol),
            trade_id=trade.trade_id,
            price=trade.price,
            quantity=trade.quantity,
            side=trade.side,
            time=trade.time,
            native=trade,
        )

    def _kline_stream(
        self, symbols: list[str], interval: timedelta, callback: NativeCallback | None, timeout: float | None
    ) -> Subscription[Any]:
        return self.client.subscribe_to_kline_updates(_one(symbols), _INTERVALS[interval], callback, timeout=timeout)

    def _kline(self, data: Any, symbol: str, interval: timedelta) -> Kline:
        kline: NativeKline = data
        return Kline(
            symbol=self.shared_symbol(kline.symbol or symbol),
            interval=interval,
            open_time=kline.open_time,
            close_time=kline.close_time,
            open=kline.open,
            high=kline.high,
            low=kline.low,
            close=kline.close,
            volume=kline.volume,
            native=kline,
        )

    def _top_of_book_stream(
        self, symbols: list[str], callback: NativeCallback | None, timeout: float | None
    ) -> Subscription[Any]:
        from exwire.coinsuper.client import finest_step

        symbol = _one(symbols)
        return self.client.subscribe_to_order_book_updates(symbol, finest_step(symbol), callback, timeout=timeout)

    def _top_of_book(self, data: Any, symbol: str) -> TopOfBook:
        book: OrderBookSnapshot = data
        return TopOfBook(bid=book.best_bid, ask=book.best_ask)

    def _watch_order_book(self, symbol: str, depth: int, timeout: float | None) -> OrderBookWatcher:
        return self.client.watch_order_book(symbol, depth=depth, timeout=timeout)

    # -- private streams -------------------------------------------------------------------

    def _balance_stream(self, callback: NativeCallback | None, timeout: float | None) -> Subscription[Any]:
        return self.client.subscribe_to_balance_updates(callback, timeout=timeout)

    def _balances(self, data: Any, symbol: str) -> list[Balance]:
        update: BalanceUpdate = data
        return [_balance(balance) for balance in update.balances]

    def _order_stream(self, callback: NativeCallback | None, timeout: float | None) -> Subscription[Any]:
        return self.client.subscribe_to_order_updates(callback, timeout=timeout)

    def _orders(self, data: Any, symbol: str) -> list[Order]:
        order: OrderUpdate = data
        return [self._order(order)]

    def _order(self, order: OrderUpdate) -> Order:
        return Order(
            order_id=order.order_id,
            symbol=None if order.symbol is None else self.shared_symbol(order.symbol),
            side=order.side,
            status=OrderStatus.UNKNOWN if order.status is None else _STATUSES.get(order.status, OrderStatus.UNKNOWN),
            price=order.price,
            quantity=order.quantity,
            filled_quantity=order.filled_quantity,
            average_price=order.average_price,
            created_at=order.created_at,
            updated_at=order.updated_at,
            native=order,
        )

    def _fill_stream(self, callback: NativeCallback | None, timeout: float | None) -> Subscription[Any]:
        return self.client.subscribe_to_user_trade_updates(callback, timeout=timeout)

    def _fills(self, data: Any, symbol: str) -> list[Fill]:
        fill: UserTrade = data
        return [
            Fill(
                trade_id=fill.trade_id,
                order_id=fill.order_id,
                symbol=self.shared_symbol(fill.symbol),
                side=fill.side,
                price=fill.price,
                quantity=fill.quantity,
                is_maker=fill.is_maker,
                time=fill.time,
                native=fill,
            )
        ]


def _one(symbols: list[str]) -> str:
    if len(symbols) != 1:
        raise ConfigurationError(
            f"coinsuper streams one symbol per subscription (one MQTT connection per topic), got {symbols!r}"
        )
    return symbols[0]


def _balance(balance: NativeBalance) -> Balance:
    return Balance(asset=balance.asset, free=balance.free, locked=balance.locked, total=balance.total, native=balance)
