"""``OkxClient().shared``: OKX v5 through the exchange-neutral interface.

Symbols: ``"BTC/USDT"`` ↔ ``"BTC-USDT"`` (spot instrument ids; derivatives' ids such as
``"BTC-USDT-SWAP"`` are returned unchanged by :meth:`OkxShared.shared_symbol`).

Offered (:attr:`OkxShared.features`): tickers, trades, klines, the maintained order book,
balance updates (the ``account`` channel), order updates and fills (both from the
``orders`` channel, which every account tier receives), placing and cancelling orders
(SPOT, ``cash`` trade mode). Not offered: ``BALANCES`` and ``OPEN_ORDERS`` (OKX answers
those over REST only, which this SDK does not speak) and ``TOP_OF_BOOK_STREAM``.

Native models stay reachable as ``native`` on every neutral one.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any, ClassVar

from exwire.errors import ConfigurationError, UnsupportedFeature
from exwire.models import (
    Balance,
    Fill,
    Kline,
    Order,
    OrderStatus,
    OrderType,
    Side,
    Ticker,
    TimeInForce,
    Trade,
)
from exwire.okx import models as okx
from exwire.okx.client import OkxClient
from exwire.okx.enums import KlineInterval
from exwire.okx.enums import OrderStatus as OkxStatus
from exwire.okx.enums import OrderType as OkxOrderType
from exwire.shared import Feature, NativeCallback, SharedClient, split_symbol
from exwire.subscription import Subscription
from exwire.watcher import OrderBookWatcher

__all__ = ["OkxShared"]

_INTERVALS: dict[timedelta, KlineInterval] = {
    timedelta(minutes=1): KlineInterval.ONE_MINUTE, timedelta(minutes=3): KlineInterval.THREE_MINUTES,
    timedelta(minutes=5): KlineInterval.FIVE_MINUTES, timedelta(minutes=15): KlineInterval.FIFTEEN_MINUTES,
    timedelta(minutes=30): KlineInterval.THIRTY_MINUTES, timedelta(hours=1): KlineInterval.ONE_HOUR,
    timedelta(hours=2): KlineInterval.TWO_HOURS, timedelta(hours=4): KlineInterval.FOUR_HOURS,
    timedelta(hours=6): KlineInterval.SIX_HOURS_UTC, timedelta(hours=12): KlineInterval.TWELVE_HOURS_UTC,
    timedelta(days=1): KlineInterval.ONE_DAY_UTC, timedelta(days=2): KlineInterval.TWO_DAYS_UTC,
    timedelta(days=3): KlineInterval.THREE_DAYS_UTC, timedelta(weeks=1): KlineInterval.ONE_WEEK_UTC,
}
_DURATIONS = {bar: interval for interval, bar in _INTERVALS.items()}
_DURATIONS.update({KlineInterval.SIX_HOURS: timedelta(hours=6), KlineInterval.TWELVE_HOURS: timedelta(hours=12),
                   KlineInterval.ONE_DAY: timedelta(days=1), KlineInterval.TWO_DAYS: timedelta(days=2),
                   KlineInterval.THREE_DAYS: timedelta(days=3), KlineInterval.ONE_WEEK: timedelta(weeks=1),
                   KlineInterval.ONE_SECOND: timedelta(seconds=1)})

_STATUS = {
    OkxStatus.LIVE: OrderStatus.NEW, OkxStatus.PARTIALLY_FILLED: OrderStatus.PARTIALLY_FILLED,
    OkxStatus.FILLED: OrderStatus.FILLED, OkxStatus.CANCELED: OrderStatus.CANCELED,
    OkxStatus.MMP_CANCELED: OrderStatus.CANCELED,
}
_ORDER_TYPE = {OkxOrderType.LIMIT: OrderType.LIMIT, OkxOrderType.MARKET: OrderType.MARKET,
               OkxOrderType.POST_ONLY: OrderType.LIMIT_MAKER, OkxOrderType.FOK: OrderType.LIMIT,
               OkxOrderType.IOC: OrderType.LIMIT}
_WIRE_TYPE = {TimeInForce.GTC: "limit", TimeInForce.IOC: "ioc", TimeInForce.FOK: "fok",
              TimeInForce.POST_ONLY: "post_only"}


class OkxShared(SharedClient):
    """The exchange-neutral interface of an :class:`~exwire.okx.client.OkxClient` (thread-safe like it).

    Orders are SPOT orders in the ``cash`` trade mode; quantities are in the base asset.
    """

    exchange: ClassVar[str] = "okx"
    features: ClassVar[frozenset[Feature]] = frozenset({
        Feature.TICKER_STREAM, Feature.TRADE_STREAM, Feature.KLINE_STREAM, Feature.ORDER_BOOK,
        Feature.BALANCE_STREAM, Feature.ORDER_STREAM, Feature.FILL_STREAM, Feature.PLACE_ORDER,
        Feature.CANCEL_ORDER,
    })
    kline_intervals: ClassVar[tuple[timedelta, ...]] = tuple(sorted(_INTERVALS))
    book_depths: ClassVar[tuple[int, ...]] = (1, 5, 50, 400)
    order_types: ClassVar[frozenset[OrderType]] = frozenset({OrderType.LIMIT, OrderType.MARKET,
                                                             OrderType.LIMIT_MAKER})

    client: OkxClient

    def __init__(self, client: OkxClient) -> None:
        super().__init__(client)

    # -- symbols --------------------------------------------------------------------------

    def native_symbol(self, symbol: str) -> str:
        """``"BTC/USDT"`` → ``"BTC-USDT"``.

        Raises:
            ConfigurationError: not ``BASE/QUOTE``.
        """
        base, quote = split_symbol(symbol)
        return f"{base}-{quote}"

    def shared_symbol(self, native: str) -> str:
        """``"BTC-USDT"`` → ``"BTC/USDT"``; a derivative's id is returned unchanged."""
        parts = native.split("-")
        return f"{parts[0]}/{parts[1]}" if len(parts) == 2 else native

    # -- streams ----------------------------------------------------------------------------

    def _ticker_stream(self, symbols: list[str], callback: NativeCallback | None,
                       timeout: float | None) -> Subscription[Any]:
        return self.client.subscribe_to_ticker_updates(symbols, callback, timeout=timeout)

    def _ticker(self, data: Any, symbol: str) -> Ticker:
        native: okx.Ticker = data
        return Ticker(symbol=self.shared_symbol(native.symbol or symbol), bid_price=native.bid_price,
                      bid_quantity=native.bid_quantity, ask_price=native.ask_price, ask_quantity=native.ask_quantity,
                      last_price=native.last_price, last_quantity=native.last_quantity, open_price=native.open_price,
                      high_price=native.high_price, low_price=native.low_price, volume=native.volume,
                      quote_volume=native.quote_volume, time=native.time, native=native)

    def _trade_stream(self, symbols: list[str], callback: NativeCallback | None,
                      timeout: float | None) -> Subscription[Any]:
        return self.client.subscribe_to_trade_updates(symbols, callback, timeout=timeout)

    def _trades(self, data: Any, symbol: str) -> list[Trade]:
        native: okx.Trade = data
        return [Trade(symbol=self.shared_symbol(native.symbol), trade_id=native.trade_id, price=native.price,
                      quantity=native.quantity, side=native.side, time=native.time, native=native)]

    def _kline_stream(self, symbols: list[str], interval: timedelta, callback: NativeCallback | None,
                      timeout: float | None) -> Subscription[Any]:
        bar = _INTERVALS.get(interval)
        if bar is None:
            raise ConfigurationError(f"okx streams klines of {[str(i) for i in sorted(_INTERVALS)]}, got {interval}")
        return self.client.subscribe_to_kline_updates(symbols, bar, callback, timeout=timeout)

    def _kline(self, data: Any, symbol: str, interval: timedelta) -> Kline:
        native: okx.Kline = data
        length = _DURATIONS.get(native.interval, interval)
        return Kline(symbol=self.shared_symbol(native.symbol), interval=length, open_time=native.open_time,
                     close_time=native.open_time + length, open=native.open, high=native.high, low=native.low,
                     close=native.close, volume=native.volume or Decimal(0), quote_volume=native.quote_volume,
                     closed=native.closed, native=native)

    def _watch_order_book(self, symbol: str, depth: int, timeout: float | None) -> OrderBookWatcher:
        return self.client.watch_order_book(symbol, depth, timeout=timeout)

    def _order_stream(self, callback: NativeCallback | None, timeout: float | None) -> Subscription[Any]:
        return self.client.subscribe_to_order_updates("ANY", None, None, callback, timeout=timeout)

    def _orders(self, data: Any, symbol: str) -> list[Order]:
        native: okx.Order = data
        return [self._order(native)]

    def _fill_stream(self, callback: NativeCallback | None, timeout: float | None) -> Subscription[Any]:
        # The orders channel carries each fill (fillSz, tradeId) for every account tier;
        # the fills channel is VIP5+ only.
        return self.client.subscribe_to_order_updates("ANY", None, None, callback, timeout=timeout)

    def _fills(self, data: Any, symbol: str) -> list[Fill]:
        native: okx.Order = data
        if native.trade_id is None or not native.fill_quantity or native.fill_price is None:
            return []
        return [Fill(trade_id=native.trade_id, order_id=native.order_id, symbol=self.shared_symbol(native.symbol),
                     side=native.side, price=native.fill_price, quantity=native.fill_quantity,
                     fee=None if native.fee is None else -native.fee, fee_asset=native.fee_asset,
                     time=native.fill_time, native=native)]

    def _balance_stream(self, callback: NativeCallback | None, timeout: float | None) -> Subscription[Any]:
        return self.client.subscribe_to_account_updates(None, False, callback, timeout=timeout)

    def _balances(self, data: Any, symbol: str) -> list[Balance]:
        native: okx.AccountBalance = data
        return [Balance(asset=detail.asset.upper(), free=detail.free or Decimal(0), locked=detail.locked,
                        total=detail.total, native=detail) for detail in native.details]

    # -- requests -------------------------------------------------------------------------------

    def _place_order(self, symbol: str, side: Side, order_type: OrderType, quantity: Decimal, price: Decimal | None,
                     time_in_force: TimeInForce | None, client_order_id: str | None,
                     timeout: float | None) -> Order:
        if order_type is OrderType.MARKET:
            if time_in_force not in (None, TimeInForce.IOC):
                raise UnsupportedFeature("okx market orders are immediate", exchange=self.exchange)
            wire = "market"
        elif order_type is OrderType.LIMIT_MAKER:
            wire = "post_only"
        else:
            wire = _WIRE_TYPE[time_in_force or TimeInForce.GTC]
        quantity_asset = "base_ccy" if order_type is OrderType.MARKET else None
        result = self.client.place_order(symbol, side, wire, "cash", quantity, price, quantity_asset=quantity_asset,
                                         client_order_id=client_order_id, timeout=timeout)
        return Order(order_id=result.order_id or "", client_order_id=result.client_order_id,
                     symbol=self.shared_symbol(symbol), side=side, order_type=order_type, status=OrderStatus.NEW,
                     price=price, quantity=quantity, filled_quantity=Decimal(0), time_in_force=time_in_force,
                     created_at=result.time, updated_at=result.time, native=result)

    def _cancel_order(self, symbol: str, order_id: str, timeout: float | None) -> None:
        self.client.cancel_order(symbol, order_id=order_id, timeout=timeout)

    # -- conversion -------------------------------------------------------------------------

    def _order(self, native: okx.Order) -> Order:
        status = OrderStatus.UNKNOWN if native.status is None else _STATUS.get(native.status, OrderStatus.UNKNOWN)
        kind = OrderType.OTHER if native.order_type is None else _ORDER_TYPE.get(native.order_type, OrderType.OTHER)
        return Order(order_id=native.order_id, client_order_id=native.client_order_id,
                     symbol=self.shared_symbol(native.symbol), side=native.side, order_type=kind, status=status,
                     price=native.price, quantity=native.quantity, filled_quantity=native.filled_quantity,
                     average_price=native.average_price, time_in_force=native.time_in_force,
                     created_at=native.created_at, updated_at=native.updated_at, native=native)
