"""``BinanceClient.shared``: Binance spot through the exchange-neutral :class:`exwire.shared.SharedClient`.

What is offered is what the native client does over the spot WebSocket API
(https://developers.binance.com/docs/binance-spot-api-docs/websocket-api): balances
(``account.status``), placing ``LIMIT``, ``MARKET`` and ``LIMIT_MAKER`` orders
(``order.place``), cancelling (``order.cancel``), open orders (``openOrders.status``),
and the account's order, fill and balance updates from the user data stream
(``executionReport``, ``outboundAccountPosition``), and the spot market data streams
(https://developers.binance.com/docs/binance-spot-api-docs/web-socket-streams): tickers
(``<symbol>@ticker``), trades (``<symbol>@trade``, the taker's side from ``m``), klines
(``<symbol>@kline_<interval>``, every interval but the calendar month) and the top of book
(``<symbol>@bookTicker``), and a locally maintained spot order book (``watch_order_book``:
the diff depth stream and a ``depth`` snapshot, "How to manage a local order book correctly").

Futures are not offered through ``.shared``: ``"BTC/USDT"`` names the spot pair, and the
same ``BASE/QUOTE`` would be ambiguous between spot, a USDⓈ-M perpetual and a delivery
contract. Use the native ``*_futures_*`` methods (``market=FuturesMarket.USDM`` ...).

Symbols: ``"BTC/USDT"`` ↔ ``"BTCUSDT"``. Binance's symbols have no separator, so
:meth:`BinanceShared.shared_symbol` splits a native symbol with the base and quote
assets of ``exchangeInfo`` when the client has fetched it
(:meth:`~exwire.binance.client.BinanceClient.get_spot_exchange_info`), and otherwise
with the longest known quote-asset suffix (``FDUSD``, ``USDT``, ``USDC``, ``BTC``,
``ETH``, ``BNB``, ``EUR``, ``TRY`` ...). A symbol neither splits is returned unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from exwire.binance import enums
from exwire.binance.events import AccountPosition, ExecutionReport, PositionBalance
from exwire.binance.models import Balance as NativeBalance
from exwire.binance.models import BookTicker, PriceTicker
from exwire.binance.models import Ticker as NativeTicker
from exwire.binance.order_models import Order as NativeOrder
from exwire.binance.stream_models import BookTickerUpdate, KlineUpdate, TickerUpdate, TradeUpdate
from exwire.errors import ConfigurationError, UnsupportedFeature
from exwire.models import (
    Balance,
    DataEvent,
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
from exwire.shared import Feature, SharedClient, split_symbol
from exwire.subscription import Subscription
from exwire.watcher import OrderBookWatcher

if TYPE_CHECKING:
    from exwire.binance.client import BinanceClient

__all__ = ["BinanceShared", "QUOTE_ASSETS"]

NativeCallback = Callable[[DataEvent[Any]], None]

#: Quote assets a native symbol is split by when ``exchangeInfo`` has not been fetched,
#: longest first (so ``FDUSD`` wins over ``USD``, ``USDT`` over ``USD``).
QUOTE_ASSETS: tuple[str, ...] = tuple(sorted(
    ("USDT", "USDC", "FDUSD", "BUSD", "TUSD", "USDP", "DAI", "USD", "BTC", "ETH", "BNB", "XRP", "TRX", "DOGE",
     "DOT", "SOL", "EUR", "TRY", "BRL", "GBP", "AUD", "JPY", "RUB", "UAH", "ZAR", "IDR", "NGN", "PLN", "RON",
     "ARS", "MXN", "COP", "CZK", "BIDR", "BVND", "IDRT", "VAI", "PAX", "AEUR", "EURI"),
    key=lambda asset: (-len(asset), asset),
))

_SIDES = {enums.OrderSide.BUY: Side.BUY, enums.OrderSide.SELL: Side.SELL}
_ORDER_TYPES = {
    enums.OrderType.LIMIT: OrderType.LIMIT,
    enums.OrderType.MARKET: OrderType.MARKET,
    enums.OrderType.LIMIT_MAKER: OrderType.LIMIT_MAKER,
    enums.OrderType.STOP_LOSS: OrderType.STOP_LOSS,
    enums.OrderType.STOP_LOSS_LIMIT: OrderType.STOP_LOSS_LIMIT,
    enums.OrderType.TAKE_PROFIT: OrderType.TAKE_PROFIT,
    enums.OrderType.TAKE_PROFIT_LIMIT: OrderType.TAKE_PROFIT_LIMIT,
}
_STATUSES = {
    enums.OrderStatus.NEW: OrderStatus.NEW,
    enums.OrderStatus.PENDING_NEW: OrderStatus.NEW,
    enums.OrderStatus.PARTIALLY_FILLED: OrderStatus.PARTIALLY_FILLED,
    enums.OrderStatus.FILLED: OrderStatus.FILLED,
    enums.OrderStatus.CANCELED: OrderStatus.CANCELED,
    enums.OrderStatus.REJECTED: OrderStatus.REJECTED,
    enums.OrderStatus.EXPIRED: OrderStatus.EXPIRED,
    enums.OrderStatus.EXPIRED_IN_MATCH: OrderStatus.EXPIRED,
}
_TIME_IN_FORCE = {
    enums.TimeInForce.GTC: TimeInForce.GTC,
    enums.TimeInForce.IOC: TimeInForce.IOC,
    enums.TimeInForce.FOK: TimeInForce.FOK,
}
#: The kline stream's intervals as lengths (the calendar month ``1M`` has no fixed one).
_KLINE_INTERVALS: dict[timedelta, enums.KlineInterval] = {
    timedelta(seconds=1): enums.KlineInterval.ONE_SECOND, timedelta(minutes=1): enums.KlineInterval.ONE_MINUTE,
    timedelta(minutes=3): enums.KlineInterval.THREE_MINUTES, timedelta(minutes=5): enums.KlineInterval.FIVE_MINUTES,
    timedelta(minutes=15): enums.KlineInterval.FIFTEEN_MINUTES,
    timedelta(minutes=30): enums.KlineInterval.THIRTY_MINUTES, timedelta(hours=1): enums.KlineInterval.ONE_HOUR,
    timedelta(hours=2): enums.KlineInterval.TWO_HOURS, timedelta(hours=4): enums.KlineInterval.FOUR_HOURS,
    timedelta(hours=6): enums.KlineInterval.SIX_HOURS, timedelta(hours=8): enums.KlineInterval.EIGHT_HOURS,
    timedelta(hours=12): enums.KlineInterval.TWELVE_HOURS, timedelta(days=1): enums.KlineInterval.ONE_DAY,
    timedelta(days=3): enums.KlineInterval.THREE_DAYS, timedelta(weeks=1): enums.KlineInterval.ONE_WEEK,
}
_ZERO = Decimal(0)
_NATIVE_TIME_IN_FORCE = {neutral: native for native, neutral in _TIME_IN_FORCE.items()}
_NATIVE_ORDER_TYPES = {neutral: native for native, neutral in _ORDER_TYPES.items()}


class BinanceShared(SharedClient):
    """Binance spot through the exchange-neutral interface (``BinanceClient.shared``).

    Thread-safe like the client. Symbols are ``BASE/QUOTE`` (``"BTC/USDT"``); events and
    results carry the neutral models of :mod:`exwire.models` with ``native`` set to the
    Binance model (``ExecutionReport``, ``Order``, ``Balance``).

    ``place_order`` takes ``LIMIT`` (time in force ``GTC`` by default, ``IOC``, ``FOK``;
    ``POST_ONLY`` places a ``LIMIT_MAKER``), ``LIMIT_MAKER`` and ``MARKET`` (base
    quantity, no time in force). Order and fill updates come from the user data stream:
    each ``executionReport`` gives one :class:`~exwire.models.Order`, one with a trade
    (execution type ``TRADE``) also one :class:`~exwire.models.Fill`; each
    ``outboundAccountPosition`` gives the :class:`~exwire.models.Balance` of the assets that
    changed (``balanceUpdate`` deltas are not balances and are not delivered). Through a
    callback only those events are delivered; a pull subscription (no callback) also yields the
    stream's other events (balance changes, order lists) as empty lists.
    """

    exchange: ClassVar[str] = "binance"
    features: ClassVar[frozenset[Feature]] = frozenset({
        Feature.BALANCES,
        Feature.PLACE_ORDER,
        Feature.CANCEL_ORDER,
        Feature.OPEN_ORDERS,
        Feature.ORDER_STREAM,
        Feature.FILL_STREAM,
        Feature.BALANCE_STREAM,
        Feature.TICKER_STREAM,
        Feature.TRADE_STREAM,
        Feature.KLINE_STREAM,
        Feature.TOP_OF_BOOK_STREAM,
        Feature.ORDER_BOOK,
    })
    #: The spot kline stream's intervals, 1 s to 1 week (the calendar month is not offered).
    kline_intervals: ClassVar[tuple[timedelta, ...]] = tuple(_KLINE_INTERVALS)
    #: Levels per side of a watched book: the spot snapshot sizes (``depth`` limits).
    book_depths: ClassVar[tuple[int, ...]] = (5, 10, 20, 50, 100, 500, 1000, 5000)
    order_types: ClassVar[frozenset[OrderType]] = frozenset({OrderType.LIMIT, OrderType.MARKET,
                                                             OrderType.LIMIT_MAKER})

    client: BinanceClient

    def __init__(self, client: BinanceClient) -> None:
        super().__init__(client)

    # -- symbols ---------------------------------------------------------------------------

    def native_symbol(self, symbol: str) -> str:
        """``"BTC/USDT"`` → ``"BTCUSDT"``.

        Raises:
            ConfigurationError: not ``BASE/QUOTE``.
        """
        base, quote = split_symbol(symbol)
        return base + quote

    def shared_symbol(self, native: str) -> str:
        """``"BTCUSDT"`` → ``"BTC/USDT"``: by ``exchangeInfo``'s assets when fetched, else by
        the longest known quote asset (:data:`QUOTE_ASSETS`); unchanged when neither splits it."""
        symbol = native.upper()
        assets = self.client.symbol_assets.get(symbol)
        if assets is not None:
            return f"{assets[0]}/{assets[1]}"
        for quote in QUOTE_ASSETS:
            if symbol.endswith(quote) and len(symbol) > len(quote):
                return f"{symbol[:-len(quote)]}/{quote}"
        return native

    # -- conversions -----------------------------------------------------------------------

    def _ticker(self, data: Any, symbol: str) -> Ticker:
        shared = self.shared_symbol(symbol)
        if isinstance(data, NativeTicker):
            return Ticker(
                symbol=shared, bid_price=data.bid_price, bid_quantity=data.bid_quantity, ask_price=data.ask_price,
                ask_quantity=data.ask_quantity, last_price=data.last_price, last_quantity=data.last_quantity,
                open_price=data.open_price, high_price=data.high_price, low_price=data.low_price,
                volume=data.volume, quote_volume=data.quote_volume, time=data.time, native=data,
            )
        if isinstance(data, TickerUpdate):
            return Ticker(
                symbol=shared, bid_price=data.bid_price, bid_quantity=data.bid_quantity, ask_price=data.ask_price,
                ask_quantity=data.ask_quantity, last_price=data.last_price, last_quantity=data.last_quantity,
                open_price=data.open_price, high_price=data.high_price, low_price=data.low_price,
                volume=data.volume, quote_volume=data.quote_volume, time=data.time, native=data,
            )
        if isinstance(data, BookTickerUpdate):
            return Ticker(symbol=shared, bid_price=data.bid_price, bid_quantity=data.bid_quantity,
                          ask_price=data.ask_price, ask_quantity=data.ask_quantity, time=data.time, native=data)
        if isinstance(data, BookTicker):
            return Ticker(symbol=shared, bid_price=data.bid_price, bid_quantity=data.bid_quantity,
                          ask_price=data.ask_price, ask_quantity=data.ask_quantity, native=data)
        if isinstance(data, PriceTicker):
            return Ticker(symbol=shared, last_price=data.last_price, native=data)
        raise TypeError(f"not a Binance ticker model: {type(data).__name__}")

    def order(self, data: NativeOrder | ExecutionReport) -> Order:
        """The neutral :class:`~exwire.models.Order` of an order report or an ``executionReport``."""
        if isinstance(data, ExecutionReport):
            filled: Decimal | None = data.filled_quantity
            quote = data.cumulative_quote_quantity
            # On a cancel ``c`` is the cancel request's id; the order's own is in ``C``.
            client_order_id: str | None = data.original_client_order_id or data.client_order_id
            created_at: datetime | None = data.created_at
            updated_at: datetime | None = data.transaction_time
        else:
            filled, quote = data.filled_quantity, data.cumulative_quote_quantity
            client_order_id = data.original_client_order_id or data.client_order_id
            created_at = data.created_at or data.transact_time
            updated_at = data.updated_at or data.transact_time
        order_type = _ORDER_TYPES.get(data.order_type, OrderType.OTHER) if data.order_type is not None else (
            OrderType.OTHER)
        price = data.price
        if price is not None and price == 0 and order_type is OrderType.MARKET:
            price = None  # Binance reports 0 for a market order's price
        average = quote / filled if filled and quote is not None else None
        return Order(
            order_id=str(data.order_id),
            client_order_id=client_order_id or None,
            symbol=self.shared_symbol(data.symbol),
            side=None if data.side is None else _SIDES.get(data.side),
            order_type=order_type,
            status=OrderStatus.UNKNOWN if data.status is None else _STATUSES.get(data.status, OrderStatus.UNKNOWN),
            price=price,
            quantity=data.quantity,
            filled_quantity=filled,
            average_price=average,
            # A LIMIT_MAKER is Binance's post-only order (it reports GTC).
            time_in_force=TimeInForce.POST_ONLY if order_type is OrderType.LIMIT_MAKER else
            None if data.time_in_force is None else _TIME_IN_FORCE.get(data.time_in_force),
            created_at=created_at,
            updated_at=updated_at,
            native=data,
        )

    def fill(self, report: ExecutionReport) -> Fill | None:
        """The neutral :class:`~exwire.models.Fill` of an ``executionReport`` with a trade, else ``None``."""
        if report.execution_type is not enums.ExecutionType.TRADE:
            return None
        return Fill(
            trade_id=str(report.trade_id),
            order_id=str(report.order_id),
            symbol=self.shared_symbol(report.symbol),
            side=_SIDES.get(report.side),
            price=report.last_executed_price,
            quantity=report.last_executed_quantity,
            fee=report.fee,
            fee_asset=report.fee_asset,
            is_maker=report.is_maker,
            time=report.transaction_time,
            native=report,
        )

    def _orders(self, data: Any, symbol: str) -> list[Order]:
        return [self.order(data)] if isinstance(data, ExecutionReport) else []

    def _fills(self, data: Any, symbol: str) -> list[Fill]:
        fill = self.fill(data) if isinstance(data, ExecutionReport) else None
        return [] if fill is None else [fill]

    def balance(self, item: PositionBalance | NativeBalance) -> Balance:
        """The neutral :class:`~exwire.models.Balance` of one Binance balance entry."""
        asset = item.asset.upper()
        return Balance(asset=asset, free=item.free, locked=item.locked, total=item.total, native=item)

    def _balances(self, data: Any, symbol: str) -> list[Balance]:
        return [self.balance(item) for item in data.balances] if isinstance(data, AccountPosition) else []

    # -- streams ---------------------------------------------------------------------------

    def _ticker_stream(self, symbols: list[str], callback: NativeCallback | None,
                       timeout: float | None) -> Subscription[Any]:
        return self.client.subscribe_to_ticker_updates(symbols, callback, timeout=timeout)

    def _trade_stream(self, symbols: list[str], callback: NativeCallback | None,
                      timeout: float | None) -> Subscription[Any]:
        return self.client.subscribe_to_trade_updates(symbols, callback, timeout=timeout)

    def _trades(self, data: Any, symbol: str) -> list[Trade]:
        trade: TradeUpdate = data
        return [Trade(symbol=self.shared_symbol(trade.symbol), trade_id=str(trade.trade_id), price=trade.price,
                      quantity=trade.quantity, side=_SIDES.get(trade.side), time=trade.time, native=trade)]

    def _kline_stream(self, symbols: list[str], interval: timedelta, callback: NativeCallback | None,
                      timeout: float | None) -> Subscription[Any]:
        return self.client.subscribe_to_kline_updates(symbols, _KLINE_INTERVALS[interval], callback, timeout=timeout)

    def _kline(self, data: Any, symbol: str, interval: timedelta) -> Kline:
        kline: KlineUpdate = data
        return Kline(symbol=self.shared_symbol(kline.symbol), interval=interval, open_time=kline.open_time,
                     close_time=kline.close_time, open=kline.open, high=kline.high, low=kline.low, close=kline.close,
                     volume=kline.volume, quote_volume=kline.quote_volume, trade_count=kline.trade_count,
                     closed=kline.closed, native=kline)

    def _top_of_book_stream(self, symbols: list[str], callback: NativeCallback | None,
                            timeout: float | None) -> Subscription[Any]:
        return self.client.subscribe_to_book_ticker_updates(symbols, callback, timeout=timeout)

    def _watch_order_book(self, symbol: str, depth: int, timeout: float | None) -> OrderBookWatcher:
        return self.client.watch_order_book(symbol, depth, timeout=timeout)

    def _top_of_book(self, data: Any, symbol: str) -> TopOfBook:
        book: BookTickerUpdate = data
        return TopOfBook(
            bid=None if book.bid_price is None else Level(price=book.bid_price, quantity=book.bid_quantity or _ZERO),
            ask=None if book.ask_price is None else Level(price=book.ask_price, quantity=book.ask_quantity or _ZERO),
        )

    def _balance_stream(self, callback: NativeCallback | None, timeout: float | None) -> Subscription[Any]:
        if callback is None:
            return self.client.subscribe_to_user_data_updates(timeout=timeout)
        deliver = callback

        def positions(event: DataEvent[Any]) -> None:
            if isinstance(event.data, AccountPosition):
                deliver(event)

        return self.client.subscribe_to_user_data_updates(positions, timeout=timeout)

    def _order_stream(self, callback: NativeCallback | None, timeout: float | None) -> Subscription[Any]:
        if callback is None:
            return self.client.subscribe_to_user_data_updates(timeout=timeout)
        deliver = callback

        def reports(event: DataEvent[Any]) -> None:
            if isinstance(event.data, ExecutionReport):
                deliver(event)

        return self.client.subscribe_to_user_data_updates(reports, timeout=timeout)

    def _fill_stream(self, callback: NativeCallback | None, timeout: float | None) -> Subscription[Any]:
        if callback is None:
            return self.client.subscribe_to_user_data_updates(timeout=timeout)
        deliver = callback

        def trades(event: DataEvent[Any]) -> None:
            data = event.data
            if isinstance(data, ExecutionReport) and data.execution_type is enums.ExecutionType.TRADE:
                deliver(event)

        return self.client.subscribe_to_user_data_updates(trades, timeout=timeout)

    # -- requests --------------------------------------------------------------------------

    def _get_balances(self, timeout: float | None) -> dict[str, Balance]:
        account = self.client.get_spot_account_information(timeout=timeout)
        return {item.asset.upper(): self.balance(item) for item in account.balances}

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
        native_type = _NATIVE_ORDER_TYPES[order_type]
        native_tif: enums.TimeInForce | None = None
        if order_type is OrderType.LIMIT:
            if time_in_force is TimeInForce.POST_ONLY:
                native_type = enums.OrderType.LIMIT_MAKER  # Binance's post-only limit order
            else:
                native_tif = _NATIVE_TIME_IN_FORCE[time_in_force or TimeInForce.GTC]
        elif time_in_force is not None and not (order_type is OrderType.LIMIT_MAKER
                                                and time_in_force is TimeInForce.POST_ONLY):
            raise UnsupportedFeature(
                f"binance takes no time in force on {order_type.value} orders", exchange=self.exchange)
        side_value = enums.OrderSide.BUY if side is Side.BUY else enums.OrderSide.SELL
        placed = self.client.submit_new_spot_order(
            symbol, side_value, native_type, time_in_force=native_tif, price=price, quantity=quantity,
            new_client_order_id=client_order_id, response_type=enums.OrderResponseType.RESULT, timeout=timeout,
        )
        return self.order(placed)

    def _cancel_order(self, symbol: str, order_id: str, timeout: float | None) -> None:
        if not order_id.isdigit():
            raise ConfigurationError(f"a binance order id is a number, got {order_id!r}")
        self.client.cancel_spot_order(symbol, order_id=int(order_id), timeout=timeout)

    def _get_open_orders(self, symbol: str | None, timeout: float | None) -> list[Order]:
        return [self.order(item) for item in self.client.get_spot_open_orders(symbol, timeout=timeout)]
