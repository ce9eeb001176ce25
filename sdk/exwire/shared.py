"""``client.shared``: the same methods, symbols and models on every exchange.

Each client offers ``client.shared``, a :class:`SharedClient`. Its symbols are written
``BASE/QUOTE`` (``"BTC/USDT"``) and mapped to the exchange's own form (``XBT/USD`` on
Kraken, ``BTCUSDT`` on Binance, ``btc_usdt`` on OKEx ...); its events carry the neutral
models of :mod:`exwire.models` (:class:`~exwire.models.Ticker`, :class:`~exwire.models.Trade`,
:class:`~exwire.models.Kline`, :class:`~exwire.models.Order`, :class:`~exwire.models.Fill`,
:class:`~exwire.models.Balance`), each with ``native``, the exchange's own model.

``features`` says what the exchange offers; any other method raises
:class:`exwire.UnsupportedFeature` (a ``ConfigurationError``) before anything is sent::

    for client in (exwire.KrakenClient(), exwire.BinanceClient(), exwire.CoinexClient()):
        s = client.shared
        if exwire.Feature.TICKER_STREAM in s.features:
            s.subscribe_to_ticker_updates("BTC/USDT", on_ticker)   # event.data: exwire.Ticker

Callbacks run as the callback threading model of :mod:`exwire.subscription` says (the
native subscription's lane). The anchors of this interface are CryptoExchange.Net's
Shared APIs and ccxt's unified methods.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from exwire._core import validate
from exwire.errors import ConfigurationError, UnsupportedFeature
from exwire.models import (
    Balance,
    DataEvent,
    Fill,
    Kline,
    Order,
    OrderType,
    Side,
    Ticker,
    TimeInForce,
    TopOfBook,
    Trade,
    to_decimal,
)
from exwire.subscription import Subscription

if TYPE_CHECKING:
    from exwire.watcher import OrderBookWatcher

__all__ = ["Feature", "SharedClient", "split_symbol"]

T = TypeVar("T")
NativeCallback = Callable[[DataEvent[Any]], None]


class Feature(enum.Enum):
    """One capability of :class:`SharedClient`; ``client.shared.features`` lists those offered."""

    TICKER_STREAM = "ticker_stream"
    TRADE_STREAM = "trade_stream"
    KLINE_STREAM = "kline_stream"
    TOP_OF_BOOK_STREAM = "top_of_book_stream"
    ORDER_BOOK = "order_book"
    BALANCES = "balances"
    PLACE_ORDER = "place_order"
    CANCEL_ORDER = "cancel_order"
    OPEN_ORDERS = "open_orders"
    ORDER_STREAM = "order_stream"
    FILL_STREAM = "fill_stream"
    BALANCE_STREAM = "balance_stream"


_CANONICAL = re.compile(r"^([A-Z0-9]{1,20})/([A-Z0-9]{1,20})$")


def split_symbol(symbol: object) -> tuple[str, str]:
    """``"BTC/USDT"`` → ``("BTC", "USDT")``; lower case is accepted and upper-cased.

    Raises:
        ConfigurationError: not a ``str`` of the form ``BASE/QUOTE``.
    """
    if not isinstance(symbol, str):
        raise ConfigurationError(f"symbol must be a str like 'BTC/USDT', got {type(symbol).__name__}")
    match = _CANONICAL.match(symbol.strip().upper())
    if match is None:
        raise ConfigurationError(f"symbol must be written BASE/QUOTE, e.g. 'BTC/USDT', got {symbol!r}")
    return match.group(1), match.group(2)


class SharedClient:
    """The exchange-neutral interface of one client (``client.shared``).

    Thread-safe like the client. Each exchange subclasses it (``exwire.<exchange>.shared``)
    and declares ``features``; a method outside ``features`` raises
    :class:`exwire.UnsupportedFeature` before sending.

    Attributes:
        exchange: the exchange's name, e.g. ``"kraken"``.
        features: the :class:`Feature` members offered.
        client: the native client.
    """

    exchange: ClassVar[str] = "exchange"
    features: ClassVar[frozenset[Feature]] = frozenset()
    #: Kline intervals the exchange streams, shortest first.
    kline_intervals: ClassVar[tuple[timedelta, ...]] = ()
    #: Book depths ``watch_order_book`` accepts, ascending.
    book_depths: ClassVar[tuple[int, ...]] = ()
    #: Order types ``place_order`` accepts.
    order_types: ClassVar[frozenset[OrderType]] = frozenset({OrderType.LIMIT, OrderType.MARKET})

    def __init__(self, client: Any) -> None:
        self.client = client

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.exchange} features={len(self.features)}>"

    # -- symbols (each exchange overrides these two) --------------------------------------

    def native_symbol(self, symbol: str) -> str:
        """The exchange's form of a ``BASE/QUOTE`` symbol (``"BTC/USDT"`` → ``"BTCUSDT"``).

        Raises:
            ConfigurationError: not ``BASE/QUOTE``.
        """
        base, quote = split_symbol(symbol)
        return f"{base}/{quote}"

    def shared_symbol(self, native: str) -> str:
        """The ``BASE/QUOTE`` form of the exchange's symbol (``"BTCUSDT"`` → ``"BTC/USDT"``)."""
        return native

    def native_symbols(self, symbols: str | Iterable[str]) -> list[str]:
        """Map one ``BASE/QUOTE`` symbol or several; duplicates removed, order kept.

        Raises:
            ConfigurationError: none given, or one is not ``BASE/QUOTE``.
        """
        if isinstance(symbols, str):
            items = [symbols]
        else:
            try:
                items = list(symbols)
            except TypeError:
                raise ConfigurationError(
                    f"symbols must be a str or an iterable of str, got {type(symbols).__name__}"
                ) from None
        if not items:
            raise ConfigurationError("at least one symbol is required")
        return list(dict.fromkeys(self.native_symbol(item) for item in items))

    # -- streams ---------------------------------------------------------------------------

    def subscribe_to_ticker_updates(
        self,
        symbols: str | Iterable[str],
        callback: Callable[[DataEvent[Ticker]], None] | None = None,
        *,
        timeout: float | None = None,
    ) -> Subscription[Ticker]:
        """Stream tickers of one or more ``BASE/QUOTE`` symbols; ``event.data`` is a :class:`~exwire.models.Ticker`.

        ``event.symbol`` is ``BASE/QUOTE``. Without a callback the subscription is pulled.

        Raises:
            UnsupportedFeature: the exchange has no ticker stream.
            ConfigurationError: a bad symbol, callback or timeout.
            and what the native ``subscribe_to_ticker_updates`` raises.
        """
        self._require(Feature.TICKER_STREAM)
        native = self.native_symbols(symbols)
        return self._stream(lambda cb: self._ticker_stream(native, cb, timeout), self._ticker, callback)

    def subscribe_to_trade_updates(
        self,
        symbols: str | Iterable[str],
        callback: Callable[[DataEvent[list[Trade]]], None] | None = None,
        *,
        timeout: float | None = None,
    ) -> Subscription[list[Trade]]:
        """Stream public trades; ``event.data`` is a ``list`` of :class:`~exwire.models.Trade`
        (one frame may carry several), oldest first.

        Raises:
            UnsupportedFeature, ConfigurationError: as :meth:`subscribe_to_ticker_updates`.
        """
        self._require(Feature.TRADE_STREAM)
        native = self.native_symbols(symbols)
        return self._stream(lambda cb: self._trade_stream(native, cb, timeout), self._trades, callback)

    def subscribe_to_kline_updates(
        self,
        symbols: str | Iterable[str],
        interval: timedelta,
        callback: Callable[[DataEvent[Kline]], None] | None = None,
        *,
        timeout: float | None = None,
    ) -> Subscription[Kline]:
        """Stream candles of ``interval`` (a ``timedelta`` among ``kline_intervals``);
        ``event.data`` is a :class:`~exwire.models.Kline`.

        Raises:
            UnsupportedFeature: no kline stream.
            ConfigurationError: an interval the exchange does not stream, or as
                :meth:`subscribe_to_ticker_updates`.
        """
        self._require(Feature.KLINE_STREAM)
        if not isinstance(interval, timedelta) or interval not in self.kline_intervals:
            offered = ", ".join(str(i) for i in self.kline_intervals)
            raise ConfigurationError(f"{self.exchange} streams klines of {offered}, not {interval!r}")
        native = self.native_symbols(symbols)
        return self._stream(
            lambda cb: self._kline_stream(native, interval, cb, timeout),
            lambda data, symbol: self._kline(data, symbol, interval),
            callback,
        )

    def subscribe_to_top_of_book_updates(
        self,
        symbols: str | Iterable[str],
        callback: Callable[[DataEvent[TopOfBook]], None] | None = None,
        *,
        timeout: float | None = None,
    ) -> Subscription[TopOfBook]:
        """Stream the best bid and ask; ``event.data`` is a :class:`~exwire.models.TopOfBook`.

        Raises:
            UnsupportedFeature, ConfigurationError: as :meth:`subscribe_to_ticker_updates`.
        """
        self._require(Feature.TOP_OF_BOOK_STREAM)
        native = self.native_symbols(symbols)
        return self._stream(lambda cb: self._top_of_book_stream(native, cb, timeout), self._top_of_book, callback)

    def watch_order_book(
        self,
        symbol: str,
        depth: int | None = None,
        *,
        timeout: float | None = None,
    ) -> OrderBookWatcher:
        """Maintain a local order book of ``symbol`` (``depth`` levels per side: one of
        ``book_depths``; ``None``: the smallest).

        Returns the native :class:`exwire.OrderBookWatcher` (its ``symbol`` is the
        exchange's form).

        Raises:
            UnsupportedFeature: no maintained book.
            ConfigurationError: a depth not in ``book_depths``, a bad symbol.
        """
        self._require(Feature.ORDER_BOOK)
        if depth is None:
            depth = self.book_depths[0]
        if isinstance(depth, bool) or depth not in self.book_depths:
            offered = ", ".join(map(str, self.book_depths))
            raise ConfigurationError(f"{self.exchange} keeps books of depth {offered}, not {depth!r}")
        return self._watch_order_book(self.native_symbol(symbol), depth, timeout)

    def subscribe_to_order_updates(
        self,
        callback: Callable[[DataEvent[list[Order]]], None] | None = None,
        *,
        timeout: float | None = None,
    ) -> Subscription[list[Order]]:
        """Stream the account's order updates; ``event.data`` is a ``list`` of :class:`~exwire.models.Order`.

        Raises:
            UnsupportedFeature: no order stream.
            ConfigurationError: the client has no credentials.
        """
        self._require(Feature.ORDER_STREAM)
        return self._stream(lambda cb: self._order_stream(cb, timeout), self._orders, callback)

    def subscribe_to_fill_updates(
        self,
        callback: Callable[[DataEvent[list[Fill]]], None] | None = None,
        *,
        timeout: float | None = None,
    ) -> Subscription[list[Fill]]:
        """Stream the account's own trades; ``event.data`` is a ``list`` of :class:`~exwire.models.Fill`.

        Raises:
            UnsupportedFeature: no fill stream.
            ConfigurationError: the client has no credentials.
        """
        self._require(Feature.FILL_STREAM)
        return self._stream(lambda cb: self._fill_stream(cb, timeout), self._fills, callback)

    def subscribe_to_balance_updates(
        self,
        callback: Callable[[DataEvent[list[Balance]]], None] | None = None,
        *,
        timeout: float | None = None,
    ) -> Subscription[list[Balance]]:
        """Stream the account's balance changes; ``event.data`` is a ``list`` of
        :class:`~exwire.models.Balance` (the assets that changed, or all of them where the
        exchange sends the whole account).

        Raises:
            UnsupportedFeature: no balance stream.
            ConfigurationError: the client has no credentials.
        """
        self._require(Feature.BALANCE_STREAM)
        return self._stream(lambda cb: self._balance_stream(cb, timeout), self._balances, callback)

    # -- requests --------------------------------------------------------------------------

    def get_balances(self, *, timeout: float | None = None) -> dict[str, Balance]:
        """The account's balances keyed by asset (upper case).

        Raises:
            UnsupportedFeature: the exchange offers no balance request.
            ConfigurationError: no credentials. And what the native request raises.
        """
        self._require(Feature.BALANCES)
        return self._get_balances(validate.positive_timeout(timeout))

    def place_order(
        self,
        symbol: str,
        side: Side,
        order_type: OrderType,
        quantity: Decimal | str | int | float,
        *,
        price: Decimal | str | int | float | None = None,
        time_in_force: TimeInForce | None = None,
        client_order_id: str | None = None,
        timeout: float | None = None,
    ) -> Order:
        """Place an order; returns the :class:`~exwire.models.Order` as the exchange acknowledged it.

        Args:
            symbol: ``BASE/QUOTE``.
            side: :class:`~exwire.models.Side`.
            order_type: one of ``order_types`` (``LIMIT`` needs ``price``; ``MARKET`` refuses it).
            quantity: base quantity (money input: ``Decimal``, ``str``, ``int`` or ``float``).
            price: the limit price in the quote asset.
            time_in_force: or ``None`` for the exchange's default (good till canceled).
            client_order_id: the caller's id, where the exchange takes one.

        Raises:
            UnsupportedFeature: the exchange places no orders, or not of this type /
                time in force / with a client order id.
            ConfigurationError: bad arguments (nothing is sent).
            and what the native order request raises (``InsufficientFunds`` ...).
        """
        self._require(Feature.PLACE_ORDER)
        native = self.native_symbol(symbol)
        if not isinstance(side, Side):
            raise ConfigurationError(f"side must be an exwire.Side, got {side!r}")
        if not isinstance(order_type, OrderType):
            raise ConfigurationError(f"order_type must be an exwire.OrderType, got {order_type!r}")
        if order_type not in self.order_types:
            raise UnsupportedFeature(
                f"{self.exchange} does not place {order_type.value} orders through .shared",
                exchange=self.exchange,
            )
        if time_in_force is not None and not isinstance(time_in_force, TimeInForce):
            raise ConfigurationError(f"time_in_force must be an exwire.TimeInForce, got {time_in_force!r}")
        if client_order_id is not None and (not isinstance(client_order_id, str) or not client_order_id):
            raise ConfigurationError("client_order_id must be a non-empty str")
        amount = to_decimal(quantity, "quantity")
        if amount <= 0:
            raise ConfigurationError(f"quantity must be positive, got {quantity!r}")
        limit: Decimal | None = None
        if order_type in (OrderType.LIMIT, OrderType.LIMIT_MAKER):
            if price is None:
                raise ConfigurationError(f"a {order_type.value} order needs a price")
            limit = to_decimal(price, "price")
            if limit <= 0:
                raise ConfigurationError(f"price must be positive, got {price!r}")
        elif price is not None:
            raise ConfigurationError(f"a {order_type.value} order takes no price")
        return self._place_order(
            native,
            side,
            order_type,
            amount,
            limit,
            time_in_force,
            client_order_id,
            validate.positive_timeout(timeout),
        )

    def cancel_order(self, symbol: str, order_id: str, *, timeout: float | None = None) -> None:
        """Cancel one order by the exchange's id (``Order.order_id``).

        Raises:
            UnsupportedFeature: the exchange cancels no orders.
            OrderNotFound: no such open order. And what the native cancel raises.
        """
        self._require(Feature.CANCEL_ORDER)
        native = self.native_symbol(symbol)
        if not isinstance(order_id, str) or not order_id:
            raise ConfigurationError(f"order_id must be a non-empty str, got {order_id!r}")
        self._cancel_order(native, order_id, validate.positive_timeout(timeout))

    def get_open_orders(self, symbol: str | None = None, *, timeout: float | None = None) -> list[Order]:
        """The account's open orders, of one ``BASE/QUOTE`` symbol or (``None``) of all that
        the exchange can list at once.

        Raises:
            UnsupportedFeature: the exchange lists no open orders (or needs a symbol).
        """
        self._require(Feature.OPEN_ORDERS)
        native = None if symbol is None else self.native_symbol(symbol)
        return self._get_open_orders(native, validate.positive_timeout(timeout))

    # -- machinery -------------------------------------------------------------------------

    def _require(self, feature: Feature) -> None:
        if feature not in self.features:
            raise UnsupportedFeature(
                f"{self.exchange} does not offer {feature.value} (see client.shared.features)",
                exchange=self.exchange,
                feature=feature,
            )

    def _unsupported(self, what: str) -> UnsupportedFeature:
        return UnsupportedFeature(f"{self.exchange} does not offer {what} through .shared", exchange=self.exchange)

    def _stream(
        self,
        start: Callable[[NativeCallback | None], Subscription[Any]],
        convert: Callable[[Any, str], T],
        callback: Callable[[DataEvent[T]], None] | None,
    ) -> Subscription[T]:
        """Start a native subscription whose events reach the user as neutral ones.

        Callbacks are wrapped (the conversion runs on the lane); a pull subscription
        converts each event as it is taken, so the reader thread never pays for it.
        """
        if callback is not None and not callable(callback):
            raise ConfigurationError("callback must be callable")
        shared_symbol = self.shared_symbol

        def neutral(event: DataEvent[Any]) -> DataEvent[T]:
            native = event.symbol or ""
            return DataEvent(
                convert(event.data, native),
                event.topic,
                shared_symbol(native) if event.symbol is not None else None,
                event.received_at,
                event.update_type,
                event.raw,
                event.dropped_before,
            )

        if callback is None:
            subscription = start(None)
            subscription._convert = neutral
            return subscription
        user = callback

        def deliver(event: DataEvent[Any]) -> None:
            user(neutral(event))

        result: Subscription[T] = start(deliver)
        return result

    # Each exchange overrides those of its features. The defaults are never reached (the
    # feature check comes first); they raise so that a missing override cannot pass quietly.

    def _ticker_stream(self, symbols: list[str], callback: NativeCallback | None, timeout: float | None) -> Subscription[Any]:
        raise self._unsupported("ticker updates")

    def _ticker(self, data: Any, symbol: str) -> Ticker:
        raise self._unsupported("ticker updates")

    def _trade_stream(self, symbols: list[str], callback: NativeCallback | None, timeout: float | None) -> Subscription[Any]:
        raise self._unsupported("trade updates")

    def _trades(self, data: Any, symbol: str) -> list[Trade]:
        raise self._unsupported("trade updates")

    def _kline_stream(
        self, symbols: list[str], interval: timedelta, callback: NativeCallback | None, timeout: float | None
    ) -> Subscription[Any]:
        raise self._unsupported("kline updates")

    def _kline(self, data: Any, symbol: str, interval: timedelta) -> Kline:
        raise self._unsupported("kline updates")

    def _top_of_book_stream(
        self, symbols: list[str], callback: NativeCallback | None, timeout: float | None
    ) -> Subscription[Any]:
        raise self._unsupported("top-of-book updates")

    def _top_of_book(self, data: Any, symbol: str) -> TopOfBook:
        raise self._unsupported("top-of-book updates")

    def _watch_order_book(self, symbol: str, depth: int, timeout: float | None) -> OrderBookWatcher:
        raise self._unsupported("order books")

    def _order_stream(self, callback: NativeCallback | None, timeout: float | None) -> Subscription[Any]:
        raise self._unsupported("order updates")

    def _orders(self, data: Any, symbol: str) -> list[Order]:
        raise self._unsupported("order updates")

    def _fill_stream(self, callback: NativeCallback | None, timeout: float | None) -> Subscription[Any]:
        raise self._unsupported("fill updates")

    def _fills(self, data: Any, symbol: str) -> list[Fill]:
        raise self._unsupported("fill updates")

    def _balance_stream(self, callback: NativeCallback | None, timeout: float | None) -> Subscription[Any]:
        raise self._unsupported("balance updates")

    def _balances(self, data: Any, symbol: str) -> list[Balance]:
        raise self._unsupported("balance updates")

    def _get_balances(self, timeout: float | None) -> dict[str, Balance]:
        raise self._unsupported("balances")

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
        raise self._unsupported("orders")

    def _cancel_order(self, symbol: str, order_id: str, timeout: float | None) -> None:
        raise self._unsupported("order cancels")

    def _get_open_orders(self, symbol: str | None, timeout: float | None) -> list[Order]:
        raise self._unsupported("open orders")

    # -- helpers for the exchange adapters -------------------------------------------------

    def ticker_from(self, native: object, native_symbol: str) -> Ticker:
        """Convert one of the exchange's ticker models (as ``client.latest`` holds them)."""
        return self._ticker(native, native_symbol)
