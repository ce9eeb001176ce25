"""OkexClient: OKEx spot WebSocket API v1 (retired; the v1 spot WebSocket document of OKEx).

Section numbers (§) refer to the protocol notes of :doc:`the OKEx page </exchanges/okex>`.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar, Literal

from exwire._core import validate
from exwire._core.backoff import Deadline
from exwire._core.client import BaseClient, documented_options
from exwire._core.connection import Connection
from exwire._core.protocol import Update
from exwire.errors import ConfigurationError, OrderNotFound
from exwire.latest import TICKER
from exwire.models import DataEvent, Side
from exwire.okex import book as okex_book
from exwire.okex import converter
from exwire.okex.converter import DealsPush
from exwire.okex.models import (
    Balance,
    BalanceUpdate,
    BookUpdate,
    Kline,
    KlineInterval,
    Order,
    OrderType,
    OrderUpdate,
    Ticker,
    Trade,
    UserInfo,
)
from exwire.okex.protocol import (
    CANCEL_ORDER,
    FULL_DEPTHS,
    LOGIN,
    ORDER_INFO,
    PLACE_ORDER,
    USER_INFO,
    OkexProtocol,
    channel_name,
    inflate,
    signed_channels,
)
from exwire.okex.signing import signed_parameters
from exwire.okex.symbols import normalize_symbol, normalize_symbols
from exwire.okex.transport import InflatingTransport
from exwire.orderbook import BookSnapshot
from exwire.subscription import Subscription
from exwire.watcher import OrderBookWatcher

__all__ = ["OkexClient", "DEFAULT_URL", "KlineIntervalName", "FullDepth", "Money"]

#: The v1 spot endpoint of 2018-11 to 2019-07 (§1); it no longer answers.
DEFAULT_URL = "wss://real.okex.com:10440/ws/v1"

#: The wire names of :class:`KlineInterval`, accepted wherever an interval is.
KlineIntervalName = Literal[
    "1min", "3min", "5min", "15min", "30min", "1hour", "2hour", "4hour", "6hour", "12hour", "day", "3day", "week"
]
#: The full-book depths of ``ok_sub_spot_X_depth_Y`` (§5.3).
FullDepth = Literal[5, 10, 20]

#: The money input place_order takes (``Decimal``, ``str``, ``int`` or ``float``).
Money = Decimal | str | int | float


@documented_options
class OkexClient(BaseClient):
    """Client of the OKEx spot WebSocket API v1 — the exchange is now OKX, and this
    API (``/ws/v1``) was retired on 2019-07-15.

    It speaks the protocol as documented (the v1 spot WebSocket document, ``API-For-Spot-EN``) so that
    recorded sessions, the emulator (:class:`exwire.testing.okex.OkexEmulator`) and
    compatible servers can be used. One connection (``url``) carries everything:
    market data, log-on, trade requests and private pushes. The constructor does no
    I/O: the connection opens on the first call that needs it, and logs on first
    when ``credentials`` are given (again after every reconnect, before private
    channels are resubscribed). A refused log-on fails the connection, public data
    included (``ConnectError`` with the ``AuthenticationError`` chained).

    Frames arrive raw-deflated (§2); the frames already read are inflated together
    (:class:`exwire.okex.transport.InflatingTransport`). The client sends
    ``{"event":"ping"}`` after ``ping_interval`` seconds without sending or receiving
    anything and reconnects when no ``pong`` follows within ``pong_timeout`` seconds
    (§7). With the defaults a half-open connection (one that stopped delivering
    without closing) is noticed within about 21 s, at most 30 s.

    Replies without ids. v1 replies name only their channel (``ok_spot_order`` ...),
    so same-channel requests are answered in the order they were written to the
    socket. The client records that order at the moment of writing, under a lock,
    so concurrent callers are safe: two threads placing orders at once each get the
    reply to their own order. Two consequences for callers:

    * replies on one channel come back in request order, so a slow reply holds up
      the later replies of that channel (other channels are independent);
    * when a reply does not come within the timeout, the client cannot tell a lost
      reply from a late one, and a late one would otherwise be taken for the next
      request's. It therefore re-establishes the connection: the timed-out request
      raises ``RequestTimeout``, and other requests then in flight fail with
      ``ConnectionClosed``; for all of them the outcome is unknown (an order may
      have been placed). Check with :meth:`get_order` or the order pushes.

    Thread-safe: every method may be called from any thread, callbacks included.
    Every blocking method takes ``timeout=`` (seconds; ``None``: ``request_timeout``).
    Prices are ``Decimal`` in the quote asset per unit of base asset, quantities
    ``Decimal`` in the base asset.

    Args:
        url: the endpoint (default production ``wss://real.okex.com:10440/ws/v1``).
        ping_interval: seconds without sending or receiving anything after which a
            ping is sent (default 10; at most one per interval; the document allows
            at most 30).
        pong_timeout: seconds a ping may wait for its pong before the connection is
            re-established (default 10); ``None`` disables the check.
        stale_timeout: seconds without any inbound frame before reconnecting;
            ``None`` (default) disables it: market channels are silent while nothing
            changes (§7), and the pong rule already proves liveness.
        **options: the common client keywords:

            * ``credentials``: an :class:`exwire.Credentials` with the API key and secret,
              needed for log-on, trading and the private pushes; ``None`` (default):
              public data only.
            {common_options}

    Raises:
        ConfigurationError: a non-positive interval or timeout, a ``url`` that is not a
            ``ws://``/``wss://`` URL with a host, or another bad keyword value (checked
            here, before any I/O).
    """

    exchange = "okex"
    _shared_class: ClassVar[str] = "exwire.okex.shared:OkexShared"

    def __init__(
        self,
        *,
        url: str = DEFAULT_URL,
        ping_interval: float = 10.0,
        pong_timeout: float | None = 10.0,
        stale_timeout: float | None = None,
        **options: Any,
    ) -> None:
        url = validate.url(url, "url")
        super().__init__(**options)
        if ping_interval is None or not ping_interval > 0:
            raise ConfigurationError("ping_interval must be positive seconds")
        if pong_timeout is not None and not pong_timeout > 0:
            raise ConfigurationError("pong_timeout must be positive seconds or None")
        if stale_timeout is not None and not stale_timeout > ping_interval:
            raise ConfigurationError("stale_timeout must exceed ping_interval (pongs prove liveness)")
        self.url = url
        max_message_size = self.network.max_message_size  # also caps inflated frames
        protocol = OkexProtocol(max_message_size=max_message_size)
        make_transport = self._transport_factory
        self._protocol = protocol
        self._spot = self._add_connection(
            "spot",
            url,
            protocol,
            ping_interval=ping_interval,
            stale_timeout=stale_timeout,
            pong_timeout=pong_timeout,
            transport_factory=lambda: InflatingTransport(make_transport(), max_message_size=max_message_size),
        )

    # -- public market data (§5) -------------------------------------------------------

    def subscribe_to_ticker_updates(
        self,
        symbols: str | Iterable[str],
        callback: Callable[[DataEvent[Ticker]], None] | None = None,
        *,
        timeout: float | None = None,
    ) -> Subscription[Ticker]:
        """Stream the ticker of one or more symbols (§5.1, ``ok_sub_spot_X_ticker``).

        OKEx pushes a ticker only when it changed. ``event.data`` is an
        :class:`exwire.okex.models.Ticker` (``Decimal`` prices in the quote asset, 24 h
        volume in the base asset, aware UTC ``time``); ``event.symbol`` is the symbol.

        Args:
            symbols: one symbol (``"btc_usdt"``; ``"BTC/USDT"`` is accepted) or several.
            callback: ``callback(event)``; runs as the callback threading model in
                :mod:`exwire.subscription` says. ``None`` makes a pull subscription
                (iterate it or call ``get(timeout)``).
            timeout: seconds to wait for the connection and the acknowledgements
                (``None``: ``request_timeout``).

        Returns:
            The :class:`exwire.Subscription`.

        Raises:
            ConfigurationError: no or malformed symbol, non-callable callback, non-positive
                ``timeout`` (nothing is sent).
            InvalidState: the client is closed.
            ConnectError: the connection (or its log-on) could not be opened.
            ExchangeError: OKEx refused (the subclass from the error table).
            ConnectionClosed, RequestTimeout: no acknowledgement; the outcome is unknown and
                the subscription is removed (a ``removeChannel`` is sent).
        """
        return self._subscribe_kind("ticker", symbols, callback, timeout)

    def subscribe_to_order_book_updates(
        self,
        symbols: str | Iterable[str],
        depth: FullDepth | None = None,
        callback: Callable[[DataEvent[BookUpdate]], None] | None = None,
        *,
        timeout: float | None = None,
    ) -> Subscription[BookUpdate]:
        """Stream raw order book pushes of one or more symbols (§5.2, §5.3).

        With ``depth=None``, the incremental book ``ok_sub_spot_X_depth`` (200 levels):
        the first event per symbol is the whole book (``event.update_type`` is
        ``SNAPSHOT``), later ones list changed levels (a zero quantity deletes). If the
        symbol's book was already subscribed, it is resubscribed so this subscription
        starts from a whole book too (other subscribers then see a ``SNAPSHOT`` as well).
        With ``depth`` 5, 10 or 20, ``ok_sub_spot_X_depth_Y``: every event is the whole
        top of book. ``event.data`` is an :class:`exwire.okex.models.BookUpdate` (levels
        with ``Decimal`` prices in the quote asset and quantities in the base asset). For
        a maintained book use :meth:`watch_order_book`; under the ``drop_oldest`` or
        ``latest`` overflow policies the incremental stream may skip updates.

        Args:
            depth: ``None`` (default) for the incremental book, or 5, 10, 20 levels per
                side for full snapshots.

        Other arguments and errors as
        :meth:`subscribe_to_ticker_updates`.

        Raises:
            ConfigurationError: any other depth.
        """
        if depth is None:
            return self._subscribe_incremental_depth(symbols, callback, timeout)
        if isinstance(depth, bool) or depth not in FULL_DEPTHS:
            raise ConfigurationError(f"depth must be None or one of {FULL_DEPTHS}, got {depth!r}")
        return self._subscribe_kind("depth", symbols, callback, timeout, argument=depth)

    def subscribe_to_trade_updates(
        self,
        symbols: str | Iterable[str],
        callback: Callable[[DataEvent[list[Trade]]], None] | None = None,
        *,
        timeout: float | None = None,
    ) -> Subscription[list[Trade]]:
        """Stream public trades of one or more symbols (§5.4, ``ok_sub_spot_X_deals``).

        ``event.data`` is a list of :class:`exwire.okex.models.Trade`: the trades since
        the previous push, oldest first (``Decimal`` price in the quote asset, quantity in
        the base asset, ``side`` the taker's). OKEx sends each trade's time of day only
        (``HH:MM:SS``, believed UTC+8), kept as ``time_of_day``; ``time`` is the aware UTC
        instant it names on the day of ``event.received_at`` (a time of day more than a
        few minutes after the receipt is yesterday's; see
        :func:`exwire.okex.converter.trade_time`). Arguments and errors as
        :meth:`subscribe_to_ticker_updates`.
        """
        return self._subscribe_kind("deals", symbols, callback, timeout)

    def subscribe_to_kline_updates(
        self,
        symbols: str | Iterable[str],
        interval: KlineInterval | KlineIntervalName,
        callback: Callable[[DataEvent[list[Kline]]], None] | None = None,
        *,
        timeout: float | None = None,
    ) -> Subscription[list[Kline]]:
        """Stream candles of one or more symbols (§5.5, ``ok_sub_spot_X_kline_Y``).

        ``event.data`` is a list of :class:`exwire.okex.models.Kline` (``Decimal`` prices
        in the quote asset, volume in the base asset, aware UTC ``open_time`` and
        ``close_time``).

        Args:
            interval: candle length: a :class:`KlineInterval` or its wire value
                (``"1min"``, ``"1hour"``, ``"day"``, ``"week"`` ...).

        Other arguments and errors as
        :meth:`subscribe_to_ticker_updates`.

        Raises:
            ConfigurationError: an interval OKEx does not offer.
        """
        try:
            interval = KlineInterval(interval)
        except ValueError:
            allowed = ", ".join(i.value for i in KlineInterval)
            raise ConfigurationError(f"interval must be one of {allowed}, got {interval!r}") from None
        return self._subscribe_kind("kline", symbols, callback, timeout, argument=interval.value)

    def watch_order_book(
        self,
        symbol: str,
        callback: Callable[[BookSnapshot], None] | None = None,
        *,
        timeout: float | None = None,
    ) -> OrderBookWatcher:
        """Maintain a local order book of one symbol from ``ok_sub_spot_X_depth`` (§5.2).

        Applies the whole book, then every change set in order, keeping 200 levels per
        side. v1 has no checksum and no sequence numbers, so nothing can be validated
        (``checksums_verified`` stays 0); a reconnect brings a fresh whole book.

        The book is applied on a dispatcher lane with back-pressure whatever the client's
        ``overflow`` policy (a dropped change would corrupt it silently), and it feeds
        ``client.latest.top_of_book``.

        Args:
            symbol: one symbol, e.g. ``"btc_usdt"``.
            callback: optional ``callback(snapshot)`` with an immutable
                :class:`exwire.BookSnapshot` (``Decimal`` prices in the quote asset,
                quantities in the base asset) after each applied push; runs as the
                callback threading model in :mod:`exwire.subscription` says. ``None`` to
                read the watcher on demand.
            timeout: seconds to wait for the connection and the subscription's
                acknowledgement (``None``: ``request_timeout``).

        Returns:
            An :class:`exwire.OrderBookWatcher`; ``wait_synced()`` blocks until the whole
            book is applied; ``close()`` unsubscribes.

        Raises:
            ConfigurationError: bad symbol, non-callable callback, non-positive ``timeout``.
            InvalidState: the client is closed.
            ConnectError: the connection could not be opened.
            ExchangeError: OKEx refused the subscription (the subclass from the error table).
            ConnectionClosed, RequestTimeout: no acknowledgement; the outcome is unknown
                and the watcher is not kept.
        """
        if callback is not None and not callable(callback):
            raise ConfigurationError("callback must be callable")
        pair = normalize_symbol(symbol)
        channel = channel_name(pair, "depth")

        def subscribe(connection: Connection, *, topic: str, keys: list[Hashable],
                      callback: Callable[[DataEvent[Any]], None], timeout: float | None,
                      internal: bool) -> Subscription[Any]:
            return self._subscribe_incremental_depth(pair, callback, timeout, topic=topic, internal=internal)

        # v1 sends no checksum: a dropped change is noticed through DataEvent.dropped_before,
        # and the watcher then resubscribes for a fresh whole book.
        return self._watch(
            self._spot, symbol=pair, depth=okex_book.BOOK_DEPTH, keys=[channel], topic=f"book:{pair}",
            apply=okex_book.apply, checksum=None, callback=callback,
            timeout=validate.positive_timeout(timeout), subscribe=subscribe,
        )

    # -- private pushes (§6.6, §6.7) --------------------------------------------------------

    def subscribe_to_order_updates(
        self,
        symbols: str | Iterable[str],
        callback: Callable[[DataEvent[OrderUpdate]], None] | None = None,
        *,
        timeout: float | None = None,
    ) -> Subscription[OrderUpdate]:
        """Stream changes of the account's orders in one or more symbols (§6.6).

        ``event.data`` is an :class:`exwire.okex.models.OrderUpdate` (``Decimal`` price
        in the quote asset, quantities in the base asset; for a market buy ``price`` is
        the quote amount). The connection logs on first (and after every reconnect).
        Arguments and errors as
        :meth:`subscribe_to_ticker_updates`.

        Raises:
            ConfigurationError: the client has no credentials (nothing is sent).
            AuthenticationError: OKEx refused the log-on or the subscription.
        """
        self._require_credentials()
        return self._subscribe_kind("order", symbols, callback, timeout)

    def subscribe_to_balance_updates(
        self,
        symbols: str | Iterable[str],
        callback: Callable[[DataEvent[BalanceUpdate]], None] | None = None,
        *,
        timeout: float | None = None,
    ) -> Subscription[BalanceUpdate]:
        """Stream balance changes of the assets of one or more symbols (§6.7).

        ``event.data`` is an :class:`exwire.okex.models.BalanceUpdate` holding only
        the assets that changed (``Decimal`` quantities of each lower-case asset).
        Arguments and errors as
        :meth:`subscribe_to_order_updates`.
        """
        self._require_credentials()
        return self._subscribe_kind("balance", symbols, callback, timeout)

    # -- private requests (§6.1-6.5) ---------------------------------------------------------

    def login(self, *, timeout: float | None = None) -> None:
        """Log on now (§6.1). Not needed: the client logs on whenever it connects.

        OKEx was seen answering ``result: true`` to a log-on with a wrong signature
        and refusing only later requests (§4), so success is no proof of a valid key.

        Args:
            timeout: seconds to wait for the connection and the reply (``None``:
                ``request_timeout``).

        Raises:
            ConfigurationError: the client has no credentials, or a non-positive
                ``timeout`` (nothing is sent).
            InvalidState: the client is closed.
            ConnectError: the first connection or its log-on failed (cause chained,
                e.g. an ``AuthenticationError``).
            AuthenticationError: a repeated log-on was refused.
            ConnectionClosed, RequestTimeout: no reply; the outcome (the session's
                log-on state) is unknown; after a timeout the connection is re-established.
        """
        self._require_credentials()
        self._check_open()
        deadline = Deadline(self._timeout(validate.positive_timeout(timeout)))
        if not self._spot.is_ready:
            self._spot.ensure_open(deadline.remaining())  # opening logs on
            return
        self._call(LOGIN, {}, deadline.remaining())

    def place_order(
        self,
        symbol: str,
        side: Side | Literal["buy", "sell"],
        quantity: Money | None = None,
        price: Money | None = None,
        *,
        market: bool = False,
        quote_quantity: Money | None = None,
        timeout: float | None = None,
    ) -> int:
        """Place a limit or market order (§6.2, ``ok_spot_order``).

        * limit (``market=False``): ``price`` and ``quantity`` are required;
        * market buy: ``quote_quantity``, the quote amount to spend, is required
          (OKEx sends it as ``price``);
        * market sell: ``quantity``, in base asset, is required.

        Args:
            symbol: e.g. ``"btc_usdt"``.
            side: ``Side.BUY``/``Side.SELL`` or ``"buy"``/``"sell"``.
            quantity: base quantity (``Decimal``, ``str``, ``int`` or ``float``).
            price: limit price in quote asset per unit of base asset.
            market: ``True`` for a market order.
            quote_quantity: quote amount of a market buy.
            timeout: seconds to wait for the reply (``None``: ``request_timeout``).

        Returns:
            The new order's id.

        Raises:
            ConfigurationError: no credentials, a missing, extra or non-positive amount,
                a bad symbol or side, a non-positive ``timeout`` (nothing is sent).
            InvalidState: the client is closed.
            ConnectError: the connection or its log-on failed.
            InsufficientFunds, InvalidRequest, AuthenticationError, ExchangeError: OKEx refused.
            ConnectionClosed: the connection dropped first; whether the order was placed
                is unknown.
            RequestTimeout: no reply in time; whether the order was placed is unknown
                (the connection is re-established, see the class notes).
        """
        pair = normalize_symbol(symbol)
        order_side = _side(side)
        if market and order_side is Side.BUY:
            _forbid(quantity=quantity, price=price)
            wire_price, amount = _positive(quote_quantity, "quote_quantity"), None
        elif market:
            _forbid(price=price, quote_quantity=quote_quantity)
            wire_price, amount = None, _positive(quantity, "quantity")
        else:
            _forbid(quote_quantity=quote_quantity)
            wire_price, amount = _positive(price, "price"), _positive(quantity, "quantity")
        order_type = OrderType.of(order_side, market)
        order_id: int = self._call(PLACE_ORDER, converter.place_order_to_wire(pair, order_type, wire_price, amount), timeout)
        return order_id

    def cancel_order(self, symbol: str, order_id: int | str, *, timeout: float | None = None) -> int:
        """Cancel an order (§6.3, ``ok_spot_cancel_order``).

        Args:
            symbol: the order's symbol, e.g. ``"btc_usdt"``.
            order_id: the id :meth:`place_order` returned (an ``int``, or its decimal text).
            timeout: seconds to wait for the reply (``None``: ``request_timeout``).

        Returns:
            The cancelled order's id.

        Raises:
            ConfigurationError: no credentials, a bad symbol, order id or ``timeout``
                (nothing is sent).
            InvalidState: the client is closed.
            ConnectError: the connection or its log-on failed.
            OrderNotFound: no such order, or it is no longer open.
            AuthenticationError, ExchangeError: OKEx refused.
            ConnectionClosed, RequestTimeout: no reply; whether it was cancelled is unknown
                (after a timeout the connection is re-established, see the class notes).
        """
        parameters = converter.order_reference_to_wire(normalize_symbol(symbol), _order_id(order_id))
        cancelled: int = self._call(CANCEL_ORDER, parameters, timeout)
        return cancelled

    def get_user_info(self, *, timeout: float | None = None) -> UserInfo:
        """Fetch the account's free and locked (frozen) funds (§6.4, ``ok_spot_userinfo``).

        Args:
            timeout: seconds to wait for the reply (``None``: ``request_timeout``).

        Returns:
            ``Decimal`` quantities per lower-case asset.

        Raises:
            ConfigurationError: no credentials, or a non-positive ``timeout`` (nothing is sent).
            InvalidState: the client is closed.
            ConnectError: the connection or its log-on failed.
            AuthenticationError, ExchangeError: OKEx refused.
            ConnectionClosed, RequestTimeout: no reply; the outcome is unknown (a read
                changes nothing; after a timeout the connection is re-established, see
                the class notes).
        """
        info: UserInfo = self._call(USER_INFO, {}, timeout)
        return info

    def get_balances(self, *, timeout: float | None = None) -> dict[str, Balance]:
        """Return the account's balances per lower-case asset, from :meth:`get_user_info`.

        ``Decimal`` ``free``, ``locked`` and ``total`` quantities of each asset. Arguments and errors as
        :meth:`get_user_info`.
        """
        return self.get_user_info(timeout=timeout).balances()

    def get_order(self, symbol: str, order_id: int | str, *, timeout: float | None = None) -> Order:
        """Fetch one order (§6.5, ``ok_spot_orderinfo``).

        Args:
            symbol: the order's symbol, e.g. ``"btc_usdt"``.
            order_id: the order's id (an ``int``, or its decimal text).
            timeout: seconds to wait for the reply (``None``: ``request_timeout``).

        Returns:
            The :class:`exwire.okex.models.Order` (``Decimal`` price in the quote asset,
            quantities in the base asset).

        Raises:
            ConfigurationError: no credentials, a bad symbol, order id or ``timeout``
                (nothing is sent).
            InvalidState: the client is closed.
            ConnectError: the connection or its log-on failed.
            OrderNotFound: OKEx knows no such order.
            AuthenticationError, ExchangeError: OKEx refused.
            ConnectionClosed, RequestTimeout: no reply; the outcome is unknown (a read
                changes nothing; after a timeout the connection is re-established, see
                the class notes).
        """
        wanted = _order_id(order_id)
        parameters = converter.order_reference_to_wire(normalize_symbol(symbol), wanted)
        orders: list[Order] = self._call(ORDER_INFO, parameters, timeout)
        for order in orders:
            if order.order_id == wanted:
                return order
        raise OrderNotFound("okex", None, f"order {wanted} not found")

    # -- internals --------------------------------------------------------------------------

    def _call(self, channel: str, parameters: dict[str, str], timeout: float | None, *, opening: bool = False) -> Any:
        """Send a signed request on ``channel`` and return its typed result."""
        credentials = self._require_credentials()
        if opening:
            connection, remaining = self._spot, timeout
        else:
            self._check_open()
            deadline = Deadline(self._timeout(validate.positive_timeout(timeout)))
            connection = self._spot
            connection.ensure_open(deadline.remaining())
            remaining = deadline.remaining()
        key, frame = self._protocol.request(
            channel, signed_parameters(credentials.key, credentials.secret, parameters)  # type: ignore[arg-type]
        )
        # On a timeout the protocol (OkexProtocol.abandoned) has the Connection replace
        # the connection: a late reply would otherwise be taken for the next request's.
        return connection.request(key, frame, remaining, wait_ready=not opening)[0]

    def _authenticate(self, connection: Connection) -> None:
        credentials = self.credentials
        if credentials is None or not credentials.key or not credentials.secret:
            return
        self._call(LOGIN, {}, self.request_timeout, opening=True)

    def _subscribe_kind(
        self,
        kind: str,
        symbols: str | Iterable[str],
        callback: Callable[[DataEvent[Any]], None] | None,
        timeout: float | None,
        *,
        argument: str | int | None = None,
    ) -> Subscription[Any]:
        pairs = normalize_symbols(symbols)
        timeout = validate.positive_timeout(timeout)
        name = kind if argument is None else f"{kind}_{argument}"
        return self._subscribe(
            self._spot,
            topic=f"{name}:{','.join(pairs)}",
            keys=[channel_name(pair, kind, argument) for pair in pairs],
            callback=callback,
            timeout=timeout,
        )

    def _subscribe_incremental_depth(
        self,
        symbols: str | Iterable[str],
        callback: Callable[[DataEvent[Any]], None] | None,
        timeout: float | None,
        *,
        topic: str | None = None,
        internal: bool = False,
    ) -> Subscription[Any]:
        pairs = normalize_symbols(symbols)
        channels = [channel_name(pair, "depth") for pair in pairs]
        deadline = Deadline(self._timeout(validate.positive_timeout(timeout)))
        # A channel another subscription already holds will not be subscribed again, so
        # no whole book would come for this one: resubscribe it afterwards. Until that
        # book arrives, the channel's updates (pushes already on their way) are not this
        # subscription's.
        shared = [channel for channel in channels if self._registry.route(channel)]
        subscription = self._subscribe(
            self._spot,
            topic=topic or f"depth:{','.join(pairs)}",
            keys=channels,
            callback=callback,
            timeout=deadline.remaining(),
            internal=internal,
            awaiting_snapshot=shared,
        )
        if shared:
            try:
                self._spot.send(self._protocol.unsubscribe(shared), timeout=deadline.remaining())
                self._wire_subscribe(self._spot, list(shared), deadline.remaining())
            except BaseException:
                subscription.unsubscribe()
                raise
        return subscription

    # Trade pushes date their trades by time of day only: the receive instant supplies the date.
    _intercepted = frozenset({DealsPush})

    def _latest_feed(self, data_type: type) -> tuple[str, Callable[[Update], Any] | None] | None:
        # Ticker pushes feed ``client.latest.ticker(symbol)`` (the native model; ``latest``
        # turns it into the neutral Ticker through ``.shared``); watched books feed top_of_book.
        return (TICKER, None) if issubclass(data_type, Ticker) else None

    def _intercept(self, update: Update, received_at: datetime) -> Update | None:
        return update._replace(data=update.data.trades(received_at))  # a DealsPush

    def _raw_text(self, frame: str | bytes) -> str:
        # keep_raw promises the frame's text. InflatingTransport hands frames on inflated; one
        # still binary here (it could not be inflated there) is inflated again, only then.
        if isinstance(frame, (bytes, bytearray)):
            return inflate(frame, self.network.max_message_size)
        return frame

    def _wire_subscribe(self, connection: Connection, keys: list[Hashable], timeout: float | None) -> None:
        channels = [str(key) for key in keys]
        parameters = None
        private = signed_channels(channels)
        if private:
            credentials = self._require_credentials()
            # Clients sent api_key and sign with private subscriptions and got acks (§6.1).
            signed = signed_parameters(credentials.key, credentials.secret)  # type: ignore[arg-type]
            parameters = {channel: signed for channel in private}
        key, frame = self._protocol.subscribe(channels, parameters)
        try:
            # One ack per channel of the batch (§3.3).
            connection.request(key, frame, timeout, expected=len(channels), wait_ready=False)
        except Exception:
            # Undo the channels that did succeed; their acks match nothing and are ignored.
            try:
                connection.send(self._protocol.unsubscribe(channels), wait_ready=False)
            except Exception:
                pass
            raise

    def _wire_unsubscribe(self, connection: Connection, keys: list[Hashable], timeout: float | None) -> None:
        # v1 documents no acknowledgement of removeChannel: send and go.
        connection.send(self._protocol.unsubscribe([str(key) for key in keys]), wait_ready=False)


def _side(side: object) -> Side:
    if isinstance(side, Side):
        return side
    if isinstance(side, str):
        try:
            return Side(side.strip().lower())
        except ValueError:
            pass
    raise ConfigurationError(f"side must be Side.BUY, Side.SELL, 'buy' or 'sell', got {side!r}")


def _positive(value: Money | None, name: str) -> str:
    if value is None:
        raise ConfigurationError(f"{name} is required for this order")
    return format(validate.money(value, name), "f")  # finite, positive, within 18+18 digits


def _forbid(**values: Money | None) -> None:
    for name, value in values.items():
        if value is not None:
            raise ConfigurationError(f"{name} does not apply to this kind of order")


def _order_id(order_id: int | str) -> int:
    if isinstance(order_id, (bool, float)):
        # A float cannot hold every OKEx id exactly (they exceed 2^53 in places).
        raise ConfigurationError(f"order_id must be an int, got {order_id!r}")
    if isinstance(order_id, str) and not order_id.strip().isdigit():
        raise ConfigurationError(f"order_id must be a positive integer, got {order_id!r}")
    try:
        value = int(order_id)
    except (TypeError, ValueError):
        raise ConfigurationError(f"order_id must be a positive integer, got {order_id!r}") from None
    if not 0 < value <= validate.INT64_MAX:
        raise ConfigurationError(f"order_id must be a positive 64-bit integer, got {order_id!r}")
    return value
