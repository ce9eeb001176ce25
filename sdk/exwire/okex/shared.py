"""``client.shared`` for OKEx v1: :class:`OkexShared`.

Symbols: ``"BTC/USDT"`` ↔ ``"btc_usdt"``. What the v1 API offers and how it maps:

* tickers (``ok_sub_spot_X_ticker``), trades (``..._deals``), candles (``..._kline_Y``);
* the top of book from the 5-level full depth channel (``..._depth_5``, every push a
  whole top of book);
* a maintained book (``..._depth``, 200 levels): :meth:`SharedClient.watch_order_book`;
* balances (``ok_spot_userinfo``), limit orders (``ok_spot_order``), cancels
  (``ok_spot_cancel_order``);
* order, fill and balance streams from the private pushes (``ok_sub_spot_X_order``,
  ``ok_sub_spot_X_balance``).

Account-wide streams. v1 pushes orders and balances per symbol, while the ``.shared``
streams are account-wide and take no symbol. They therefore subscribe the channels of
every pair the account could trade when the stream starts: each asset ``ok_spot_userinfo``
lists, quoted in each of :data:`QUOTE_ASSETS` (the ack does not check a symbol, and a
pair that does not exist is simply never pushed). An asset that first appears in the
account later is not covered: subscribe again, or use the native per-symbol methods.

Not offered through ``.shared``, and why:

* open orders: v1 fetches one order by id (``ok_spot_orderinfo``); listing all open
  orders (``order_id=-1``) is documented for REST only;
* market orders: a v1 market buy spends a quote amount (``price`` of ``buy_market``),
  not the base quantity ``.shared`` gives, so ``order_types`` is ``LIMIT`` only; use
  ``client.place_order(symbol, side, ..., market=True)`` for market orders.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Final

from exwire._core.backoff import Deadline
from exwire.errors import UnsupportedFeature
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
    TimeInForce,
    TopOfBook,
    Trade,
)
from exwire.okex import models as okex
from exwire.okex.book import BOOK_DEPTH
from exwire.okex.models import KlineInterval
from exwire.okex.symbols import normalize_symbol
from exwire.shared import Feature, SharedClient, split_symbol
from exwire.subscription import Subscription

if TYPE_CHECKING:
    from collections.abc import Callable

    from exwire.okex.client import OkexClient
    from exwire.watcher import OrderBookWatcher

__all__ = [
    "OkexShared",
    "ticker_from_native",
    "trade_from_native",
    "kline_from_native",
    "top_of_book_from_native",
    "balance_from_native",
    "order_from_info",
    "order_from_update",
    "fill_from_update",
    "balances_from_update",
    "QUOTE_ASSETS",
]

#: The quote assets of OKEx v1 spot pairs (``X_usdt``, ``X_btc``, ``X_eth``, ``X_okb``).
QUOTE_ASSETS = ("usdt", "btc", "eth", "okb")

_TOP_OF_BOOK_DEPTH: Final = 5

_INTERVALS: dict[timedelta, KlineInterval] = {interval.duration: interval for interval in KlineInterval}

_STATUS = {
    okex.OrderStatus.CANCELLED: OrderStatus.CANCELED,
    okex.OrderStatus.OPEN: OrderStatus.NEW,
    okex.OrderStatus.PARTIALLY_FILLED: OrderStatus.PARTIALLY_FILLED,
    okex.OrderStatus.FILLED: OrderStatus.FILLED,
}


def _shared_symbol(native: str) -> str:
    base, _, quote = native.partition("_")
    return f"{base.upper()}/{quote.upper()}" if quote else native.upper()


def _order_type(order_type: okex.OrderType) -> OrderType:
    if not order_type.is_known:
        return OrderType.OTHER
    return OrderType.MARKET if order_type.is_market else OrderType.LIMIT


def _status(status: okex.OrderStatus, filled: Decimal) -> OrderStatus:
    """The neutral status; a cancel in process (4, 5) is still open: ``NEW`` or ``PARTIALLY_FILLED``."""
    neutral = _STATUS.get(status)
    if neutral is not None:
        return neutral
    if status in (okex.OrderStatus.CANCELLING, okex.OrderStatus.CANCEL_PROCESSING):
        return OrderStatus.PARTIALLY_FILLED if filled > 0 else OrderStatus.NEW
    return OrderStatus.UNKNOWN


def ticker_from_native(ticker: okex.Ticker) -> Ticker:
    """The neutral :class:`~exwire.models.Ticker` of an OKEx ticker push (no quantities: v1 sends none)."""
    return Ticker(
        symbol=_shared_symbol(ticker.symbol),
        bid_price=ticker.bid_price,
        ask_price=ticker.ask_price,
        last_price=ticker.last_price,
        high_price=ticker.high_price,
        low_price=ticker.low_price,
        volume=ticker.volume,
        time=ticker.time,
        native=ticker,
    )


def trade_from_native(trade: okex.Trade) -> Trade:
    """The neutral :class:`~exwire.models.Trade` of one OKEx trade (``trade_id`` as text)."""
    return Trade(
        symbol=_shared_symbol(trade.symbol),
        trade_id=str(trade.trade_id),
        price=trade.price,
        quantity=trade.quantity,
        side=trade.side,
        time=trade.time,
        native=trade,
    )


def kline_from_native(kline: okex.Kline) -> Kline:
    """The neutral :class:`~exwire.models.Kline` of one OKEx candle (``closed`` unknown: ``None``)."""
    return Kline(
        symbol=_shared_symbol(kline.symbol),
        interval=kline.interval.duration,
        open_time=kline.open_time,
        close_time=kline.close_time,
        open=kline.open,
        high=kline.high,
        low=kline.low,
        close=kline.close,
        volume=kline.volume,
        native=kline,
    )


def top_of_book_from_native(book: okex.BookUpdate) -> TopOfBook:
    """The best bid and ask of a depth push (levels are sorted best first)."""
    return TopOfBook(bid=book.bids[0] if book.bids else None, ask=book.asks[0] if book.asks else None)


def balance_from_native(balance: okex.Balance) -> Balance:
    """The neutral :class:`~exwire.models.Balance` (``asset`` upper case)."""
    return Balance(
        asset=balance.asset.upper(),
        free=balance.free,
        locked=balance.locked,
        total=balance.total,
        native=balance,
    )


def balances_from_update(update: okex.BalanceUpdate) -> list[Balance]:
    """The assets a balance push changed (upper case); ``locked`` and ``total`` are ``None``
    for an asset whose frozen quantity the push does not carry."""
    result: list[Balance] = []
    for asset, free in update.free.items():
        locked = update.locked.get(asset)
        result.append(
            Balance(
                asset=asset.upper(),
                free=free,
                locked=locked,
                total=None if locked is None else free + locked,
                native=update,
            )
        )
    return result


def _price(order_type: okex.OrderType, price: Decimal) -> Decimal | None:
    # A market order has no limit price (a market buy's ``price`` is its quote amount).
    return None if order_type.is_market or not order_type.is_known else price


def _quantity(order_type: okex.OrderType, quantity: Decimal) -> Decimal | None:
    # A market buy has no base quantity until it fills.
    return None if order_type is okex.OrderType.BUY_MARKET else quantity


def order_from_info(order: okex.Order) -> Order:
    """The neutral :class:`~exwire.models.Order` of an ``ok_spot_orderinfo`` order.

    A market order's ``price`` is ``None`` (a market buy's wire price is the quote amount,
    kept in ``native``); a market buy's ``quantity`` is ``None``; ``average_price`` is
    ``None`` before any fill.
    """
    return Order(
        order_id=str(order.order_id),
        symbol=_shared_symbol(order.symbol),
        side=order.side,
        order_type=_order_type(order.order_type),
        status=_status(order.status, order.filled_quantity),
        price=_price(order.order_type, order.price),
        quantity=_quantity(order.order_type, order.quantity),
        filled_quantity=order.filled_quantity,
        average_price=order.average_price if order.filled_quantity > 0 else None,
        created_at=order.created_at,
        native=order,
    )


def order_from_update(update: okex.OrderUpdate) -> Order:
    """The neutral :class:`~exwire.models.Order` of an ``ok_sub_spot_X_order`` push (as :func:`order_from_info`)."""
    return Order(
        order_id=str(update.order_id),
        symbol=_shared_symbol(update.symbol),
        side=update.side,
        order_type=_order_type(update.order_type),
        status=_status(update.status, update.filled_quantity),
        price=_price(update.order_type, update.price),
        quantity=_quantity(update.order_type, update.quantity),
        filled_quantity=update.filled_quantity,
        average_price=update.average_price if update.filled_quantity > 0 else None,
        created_at=update.created_at,
        native=update,
    )


def fill_from_update(update: okex.OrderUpdate) -> Fill | None:
    """The latest fill an order push reports (``sigTradeAmount``/``sigTradePrice``), or ``None``
    (a push for a new or cancelled order).

    v1 gives a fill no id of its own: ``trade_id`` is ``"<order id>-<filled quantity>"``,
    unique per fill of the order. No fee, maker flag or time is sent.
    """
    quantity, price = update.last_fill_quantity, update.last_fill_price
    if quantity is None or price is None or quantity <= 0:
        return None
    return Fill(
        trade_id=f"{update.order_id}-{format(update.filled_quantity.normalize(), 'f')}",
        order_id=str(update.order_id),
        symbol=_shared_symbol(update.symbol),
        side=update.side,
        price=price,
        quantity=quantity,
        native=update,
    )


class OkexShared(SharedClient):
    """``client.shared`` of :class:`~exwire.okex.client.OkexClient` (see the module docstring).

    ``kline_intervals``: the v1 candle lengths, 1 minute to 1 week. ``book_depths``: 200
    (the incremental depth channel). ``order_types``: ``LIMIT``.
    """

    exchange: ClassVar[str] = "okex"
    features: ClassVar[frozenset[Feature]] = frozenset(
        {
            Feature.TICKER_STREAM,
            Feature.TRADE_STREAM,
            Feature.KLINE_STREAM,
            Feature.TOP_OF_BOOK_STREAM,
            Feature.ORDER_BOOK,
            Feature.BALANCES,
            Feature.PLACE_ORDER,
            Feature.CANCEL_ORDER,
            Feature.ORDER_STREAM,
            Feature.FILL_STREAM,
            Feature.BALANCE_STREAM,
        }
    )
    kline_intervals: ClassVar[tuple[timedelta, ...]] = tuple(sorted(_INTERVALS))
    book_depths: ClassVar[tuple[int, ...]] = (BOOK_DEPTH,)
    order_types: ClassVar[frozenset[OrderType]] = frozenset({OrderType.LIMIT})

    client: OkexClient

    def __init__(self, client: OkexClient) -> None:
        super().__init__(client)

    # -- symbols ---------------------------------------------------------------------------

    def native_symbol(self, symbol: str) -> str:
        """``"BTC/USDT"`` → ``"btc_usdt"``.

        Raises:
            ConfigurationError: not ``BASE/QUOTE``.
        """
        base, quote = split_symbol(symbol)
        return normalize_symbol(f"{base}_{quote}")

    def shared_symbol(self, native: str) -> str:
        """``"btc_usdt"`` → ``"BTC/USDT"``."""
        return _shared_symbol(native)

    # -- streams ---------------------------------------------------------------------------

    def _ticker_stream(
        self, symbols: list[str], callback: Callable[[DataEvent[Any]], None] | None, timeout: float | None
    ) -> Subscription[Any]:
        return self.client.subscribe_to_ticker_updates(symbols, callback, timeout=timeout)

    def _ticker(self, data: Any, symbol: str) -> Ticker:
        return ticker_from_native(data)

    def _trade_stream(
        self, symbols: list[str], callback: Callable[[DataEvent[Any]], None] | None, timeout: float | None
    ) -> Subscription[Any]:
        return self.client.subscribe_to_trade_updates(symbols, callback, timeout=timeout)

    def _trades(self, data: Any, symbol: str) -> list[Trade]:
        return [trade_from_native(trade) for trade in data]

    def _kline_stream(
        self,
        symbols: list[str],
        interval: timedelta,
        callback: Callable[[DataEvent[Any]], None] | None,
        timeout: float | None,
    ) -> Subscription[Any]:
        return self.client.subscribe_to_kline_updates(symbols, _INTERVALS[interval], callback, timeout=timeout)

    def _kline(self, data: Any, symbol: str, interval: timedelta) -> Kline:
        # A push lists the candles since the previous one (one, in practice): the event
        # carries the newest, the current candle; ``native`` of the others is not kept.
        candles: list[okex.Kline] = data
        return kline_from_native(candles[-1])

    def _top_of_book_stream(
        self, symbols: list[str], callback: Callable[[DataEvent[Any]], None] | None, timeout: float | None
    ) -> Subscription[Any]:
        return self.client.subscribe_to_order_book_updates(symbols, _TOP_OF_BOOK_DEPTH, callback, timeout=timeout)

    def _top_of_book(self, data: Any, symbol: str) -> TopOfBook:
        return top_of_book_from_native(data)

    def _watch_order_book(self, symbol: str, depth: int, timeout: float | None) -> OrderBookWatcher:
        return self.client.watch_order_book(symbol, timeout=timeout)

    def _account_pairs(self, deadline: Deadline) -> list[str]:
        """Every pair of the account's assets and :data:`QUOTE_ASSETS` (see the module docstring)."""
        info = self.client.get_user_info(timeout=_remaining(deadline))
        assets = sorted({*info.free, *info.locked, *QUOTE_ASSETS})
        return [f"{asset}_{quote}" for quote in QUOTE_ASSETS for asset in assets if asset != quote]

    def _order_stream(self, callback: Callable[[DataEvent[Any]], None] | None, timeout: float | None) -> Subscription[Any]:
        deadline = Deadline(timeout)
        pairs = self._account_pairs(deadline)
        return self.client.subscribe_to_order_updates(pairs, callback, timeout=_remaining(deadline))

    def _orders(self, data: Any, symbol: str) -> list[Order]:
        return [order_from_update(data)]

    def _fill_stream(self, callback: Callable[[DataEvent[Any]], None] | None, timeout: float | None) -> Subscription[Any]:
        return self._order_stream(callback, timeout)

    def _fills(self, data: Any, symbol: str) -> list[Fill]:
        # An order push without a fill (a new or cancelled order) gives an empty list.
        fill = fill_from_update(data)
        return [] if fill is None else [fill]

    def _balance_stream(
        self, callback: Callable[[DataEvent[Any]], None] | None, timeout: float | None
    ) -> Subscription[Any]:
        deadline = Deadline(timeout)
        pairs = self._account_pairs(deadline)
        return self.client.subscribe_to_balance_updates(pairs, callback, timeout=_remaining(deadline))

    def _balances(self, data: Any, symbol: str) -> list[Balance]:
        return balances_from_update(data)

    # -- requests --------------------------------------------------------------------------

    def _get_balances(self, timeout: float | None) -> dict[str, Balance]:
        balances = self.client.get_balances(timeout=timeout)
        return {balance.asset.upper(): balance_from_native(balance) for balance in balances.values()}

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
        if time_in_force not in (None, TimeInForce.GTC):
            raise UnsupportedFeature(
                f"okex v1 orders are good till canceled, not {time_in_force.value}", exchange=self.exchange
            )
        if client_order_id is not None:
            raise UnsupportedFeature("okex v1 orders take no client order id", exchange=self.exchange)
        # order_types is LIMIT only (SharedClient.place_order checked it): a price is given.
        order_id = self.client.place_order(symbol, side, quantity, price, timeout=timeout)
        # The reply carries the id only: whether the order already filled is not said.
        return Order(
            order_id=str(order_id),
            symbol=_shared_symbol(symbol),
            side=side,
            order_type=order_type,
            status=OrderStatus.UNKNOWN,
            price=price,
            quantity=quantity,
            time_in_force=TimeInForce.GTC,
            native=order_id,
        )

    def _cancel_order(self, symbol: str, order_id: str, timeout: float | None) -> None:
        self.client.cancel_order(symbol, order_id, timeout=timeout)


def _remaining(deadline: Deadline) -> float | None:
    """What is left of ``deadline`` as a ``timeout=`` (``None``: the client's ``request_timeout``)."""
    remaining = deadline.remaining()
    # An expired deadline still makes a valid (tiny) timeout: the call then times out.
    return None if remaining is None else max(remaining, 1e-3)
