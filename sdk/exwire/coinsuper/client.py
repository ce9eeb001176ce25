"""CoinsuperClient: Coinsuper's MQTT "WebSocket API" (Coinsuper's "WebSocket API" document, v1.0.0β-R1.0.2).

Section numbers (§) refer to the protocol notes of :doc:`the Coinsuper page </exchanges/coinsuper>`.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Callable, Hashable
from decimal import Decimal
from typing import Any, ClassVar, Literal, TypeVar

from exwire._core import validate
from exwire._core.client import BaseClient, documented_options
from exwire._core.connection import Connection
from exwire._core.lazy import lazy_model
from exwire._core.protocol import Update
from exwire._core.transport import Transport
from exwire.coinsuper import signing
from exwire.coinsuper.models import (
    BalanceUpdate,
    Kline,
    KlineInterval,
    MarketDepth,
    OrderBookSnapshot,
    OrderBookStep,
    OrderUpdate,
    Trade,
    UserTrade,
)
from exwire.coinsuper.protocol import ENVIRONMENT, CoinsuperProtocol, Topics
from exwire.coinsuper.signing import Login
from exwire.coinsuper.symbols import normalize_symbol
from exwire.coinsuper.transport import MqttTransport, parse_endpoint, require_paho
from exwire.errors import ConfigurationError, ConnectionClosed, InvalidState
from exwire.latest import TOP_OF_BOOK
from exwire.models import DataEvent, TopOfBook, to_decimal
from exwire.orderbook import BookSnapshot, OrderBook
from exwire.subscription import Subscription
from exwire.watcher import OrderBookWatcher

__all__ = ["CoinsuperClient", "DEFAULT_URL", "TCP_URL", "FIAT_QUOTES", "BOOK_DEPTH", "finest_step"]

#: MQTT over WebSocket + TLS, the browser endpoint of §1 (path and sub-protocol inferred: ``/mqtt``, ``mqtt``).
DEFAULT_URL = "wss://api-mqtt-premium.coinsuper.com:443/mqtt"
#: MQTT over plain TCP (no TLS), the native-client endpoint of §1, written as the Java demo
#: does (``tcp://`` is ``mqtt://``; ``ssl://`` is ``mqtts://``).
TCP_URL = "tcp://mqtt.coinsuper.com:1883"
_PRIVATE = "private"
#: Seconds a PINGRESP (or any other packet) may take after the keep-alive's PINGREQ: a
#: connection that read nothing for ``keepalive_interval`` plus this is re-established.
_PINGRESP_ALLOWANCE = 10.0

#: The schemes ``url`` may have: MQTT over WebSocket (+ TLS) or over TCP (+ TLS).
_URL_SCHEMES = ("wss", "ws", "mqtt", "mqtts", "tcp", "ssl")

#: Quote currencies priced to 2 decimals (fiat and the dollar stablecoins): their finest
#: order book step is ``0.01``; other (crypto) quotes have ``0.00000001``.
FIAT_QUOTES = frozenset({"USD", "USDT", "USDC", "EUR", "KRW", "CNY", "HKD", "JPY"})
#: Levels per side Coinsuper pushes on its order book topic (``limitSize``).
BOOK_DEPTH = 15

M = TypeVar("M")
Callback = Callable[[DataEvent[M]], None]


@documented_options
class CoinsuperClient(BaseClient):
    """Client of Coinsuper's MQTT 3.1.1 publish/subscribe API (Coinsuper's "WebSocket API"
    document, versions v1.0.0β–R1.0.2, market topics ``…/api/ws/v1/market/…``: sessions §2,
    topics §3, subscribe/unsubscribe §4).

    ``client.shared`` (:class:`exwire.coinsuper.shared.CoinsuperShared`) offers the same
    streams with ``BASE/QUOTE`` symbols and the neutral models of :mod:`exwire.models`;
    ``client.latest.top_of_book`` follows order book subscriptions and watchers.

    Coinsuper derives each market-data connection's MQTT client id from the access
    key, the e-mail and the topic (§2.1), so every public topic gets its own MQTT
    connection: it opens on the first subscription to that topic and closes when the
    last subscription to it ends. The three private topics share one connection logged
    on with a signed, timestamped password (§2.2), also opened on demand and closed with
    its last subscription. Even market data needs ``credentials`` with ``key`` and
    ``email``; private data also needs ``secret``.

    The constructor does no I/O. Callbacks run as the callback threading model in
    :mod:`exwire.subscription` says. Liveness is MQTT's keep-alive (§2.4): paho-mqtt sends PINGREQ when a
    session sent or read nothing for ``keepalive_interval`` seconds and drops it when
    the PINGRESP is not back within another ``keepalive_interval``; besides, a
    connection that read no packet at all (PINGRESP included) for
    ``keepalive_interval + 10`` seconds is re-established. With the default 10 s a
    half-open connection (one that stopped delivering without closing) is noticed
    within about 20 s, at most 30 s. After any loss the connection
    reconnects with backoff, logs on afresh and resubscribes; ``on_connection_event``
    hears of it with the connection's name (the subscription's topic label, or
    ``"private"``). A topic the broker refuses on a resubscribe ends alone (its
    subscriptions stop and ``on_callback_error`` receives the ``InvalidRequest``).

    Thread-safe: every method may be called from any thread, callbacks included.
    Every blocking method takes ``timeout=`` (seconds; ``None``: ``request_timeout``).
    Prices are ``Decimal`` in the quote currency per unit of base currency, quantities
    ``Decimal`` in the base currency, times aware UTC datetimes.

    Args:
        url: the broker: ``wss://host[:port]/path`` (default :data:`DEFAULT_URL`),
            ``ws://...``, or ``mqtt://host:port`` / ``mqtts://...`` (also spelled
            ``tcp://`` / ``ssl://``) for MQTT over TCP (:data:`TCP_URL` is production's).
        environment: the prefix of every topic (§1); default ``exchange_ha_prod_hk``,
            production's.
        keepalive_interval: the MQTT keep-alive, whole seconds (1-65535; default 10, so
            a stalled broker is noticed within 30 s; the demos use 60).
        client_id_topic: which topic string a public client id hashes: ``"full"``
            (``$env`` + sub-topic, as the doc defines it and the Java and C# demos do) or
            ``"sub"`` (the sub-topic alone, as the Python demo does) (§2.1).
        ssl_context: TLS settings for ``wss://``/``mqtts://`` (the client's
            ``network.ssl_context``, as on every client); ``None`` for the system defaults.
        tls_insecure: skip the certificate host-name check (the Python demo does; default
            ``False``). With an ``ssl_context``, set its ``check_hostname = False``
            instead: a context whose ``check_hostname`` is on is refused with
            ``tls_insecure=True`` (it would be changed for everything that shares it).
        proxy: ``"http://[user:password@]host[:port]"``: every MQTT connection tunnels
            through this HTTP CONNECT proxy (PySocks under paho-mqtt); ``None``: direct.
        **options: the common client keywords:

            * ``credentials``: an :class:`exwire.Credentials` with ``key`` and ``email``
              (market data) and ``secret`` (private data); ``None`` (default): no
              subscription can be made (Coinsuper needs credentials even for market data).
            {common_options}

    Raises:
        ConfigurationError: a malformed ``url``, ``environment``, ``keepalive_interval``,
            ``client_id_topic`` or ``proxy``, ``tls_insecure=True`` with an ``ssl_context``
            that checks host names, or another bad keyword value (checked here, before any I/O).
    """

    exchange = "coinsuper"
    _shared_class: ClassVar[str] = "exwire.coinsuper.shared:CoinsuperShared"

    def __init__(
        self,
        *,
        url: str = DEFAULT_URL,
        environment: str = ENVIRONMENT,
        keepalive_interval: int = 10,
        client_id_topic: Literal["full", "sub"] = "full",
        ssl_context: ssl.SSLContext | None = None,
        tls_insecure: bool = False,
        **options: Any,
    ) -> None:
        url = validate.url(url, "url", schemes=_URL_SCHEMES)
        custom_transport = options.get("transport_factory")
        parse_endpoint(url)
        if custom_transport is None:
            require_paho()  # paho-mqtt is the coinsuper extra: say so before anything else
        if (isinstance(keepalive_interval, bool) or not isinstance(keepalive_interval, int)
                or not 1 <= keepalive_interval <= 65535):
            raise ConfigurationError(
                f"keepalive_interval must be whole seconds in 1..65535, got {keepalive_interval!r}"
            )
        if client_id_topic not in ("full", "sub"):
            raise ConfigurationError(f"client_id_topic must be 'full' or 'sub', got {client_id_topic!r}")
        if not isinstance(environment, str) or not environment or "/" in environment:
            raise ConfigurationError(f"environment must be a topic prefix without '/', got {environment!r}")
        if tls_insecure and isinstance(ssl_context, ssl.SSLContext) and ssl_context.check_hostname:
            # paho's tls_insecure_set would switch check_hostname off on the caller's
            # context, for every connection (of any client) that shares it.
            raise ConfigurationError(
                "tls_insecure=True with an ssl_context: set ssl_context.check_hostname = False instead"
            )
        super().__init__(ssl_context=ssl_context, **options)
        self.url = url
        self.environment = environment
        self.keepalive_interval = keepalive_interval
        self._stale_timeout = keepalive_interval + _PINGRESP_ALLOWANCE
        self._client_id_topic = client_id_topic
        self._tls_insecure = tls_insecure
        self._custom_transport: Callable[[], Transport] | None = custom_transport
        self._topics = Topics(environment)
        self._opening_lock = threading.Lock()

    # -- market data (§3.1-§3.4) -----------------------------------------------------------

    def subscribe_to_market_depth_updates(
        self, symbol: str, callback: Callback[MarketDepth] | None = None, *, timeout: float | None = None
    ) -> Subscription[MarketDepth]:
        """Stream depth-chart data of one pair, about once a second (§3.1).

        Each update is a full replacement (``event.update_type`` is ``SNAPSHOT``) whose
        ``event.data`` is a :class:`exwire.coinsuper.models.MarketDepth`: 50 buckets per
        side with cumulative quantities in the base currency, ``Decimal`` prices in the
        quote currency, the best bid and the best ask; ``event.symbol`` is the pair. For
        the order book itself use :meth:`subscribe_to_order_book_updates`.

        Args:
            symbol: the pair, e.g. ``"BTC/USD"``.
            callback: ``callback(event)``; runs as the callback threading model in
                :mod:`exwire.subscription` says (``overflow="latest"`` suits these
                full-replacement snapshots). ``None`` makes a pull subscription.
            timeout: seconds to wait for the connection and the SUBACK (``None``: ``request_timeout``).

        Returns:
            The :class:`exwire.Subscription`; unsubscribing the last one of this topic
            closes its MQTT connection.

        Raises:
            ConfigurationError: a malformed symbol, a non-callable callback, a non-positive
                ``timeout``, or credentials without ``key`` and ``email`` (nothing is sent).
            InvalidState: the client is closed.
            ConnectError: the connection could not be opened; a CONNACK refusal is chained
                as the cause (``AuthenticationError`` for unknown credentials).
            InvalidRequest: the broker refused the topic (SUBACK 0x80).
            ConnectionClosed, RequestTimeout: no SUBACK; the outcome on the broker's side is
                unknown and the subscription is removed (its MQTT connection closes when no
                other subscription uses it).
        """
        sub_topic, topic = self._topics.market_depth(symbol)
        return self._subscribe_public(
            f"market_depth:{normalize_symbol(symbol)}", sub_topic, topic, callback, timeout
        )

    def subscribe_to_order_book_updates(
        self,
        symbol: str,
        step: OrderBookStep | str | Decimal,
        callback: Callback[OrderBookSnapshot] | None = None,
        *,
        timeout: float | None = None,
    ) -> Subscription[OrderBookSnapshot]:
        """Stream the top 15 levels per side of one pair's order book, every 1-2 s (§3.2).

        Each update replaces the book (``SNAPSHOT``); ``event.data`` is a
        :class:`exwire.coinsuper.models.OrderBookSnapshot` (``Decimal`` prices in the
        quote currency, quantities in the base currency, aware UTC ``timestamp``).

        Args:
            symbol: the pair, e.g. ``"BTC/USD"``.
            step: the price aggregation in the quote currency: an :class:`~exwire.coinsuper.models.OrderBookStep`
                or its number (``"0.01"``, ``Decimal("0.1")``); ``1.0``/``0.1``/``0.01`` suit
                fiat-quoted pairs, ``0.0001``/``0.000001``/``0.00000001`` crypto-quoted ones.

        Other arguments and errors as
        :meth:`subscribe_to_market_depth_updates`.

        Raises:
            ConfigurationError: a step Coinsuper does not offer.
        """
        book_step = _order_book_step(step)
        sub_topic, topic = self._topics.order_book(symbol, book_step)
        label = f"order_book:{normalize_symbol(symbol)}:{book_step.value}"
        return self._subscribe_public(label, sub_topic, topic, callback, timeout)

    def watch_order_book(
        self,
        symbol: str,
        step: OrderBookStep | str | Decimal | None = None,
        depth: int = BOOK_DEPTH,
        callback: Callable[[BookSnapshot], None] | None = None,
        *,
        timeout: float | None = None,
    ) -> OrderBookWatcher:
        """Maintain a local order book of one pair from the order book topic (§3.2).

        Every publish (each 1-2 s) is the whole top of the book, so each replaces the
        local one; Coinsuper sends no checksum or sequence (``checksums_verified`` stays
        0). The watcher feeds ``client.latest.top_of_book``.

        Args:
            symbol: the pair, e.g. ``"BTC/USD"``.
            step: the price aggregation (as :meth:`subscribe_to_order_book_updates`);
                ``None``: the finest for the pair's quote (:func:`finest_step`).
            depth: levels per side kept, 1 to :data:`BOOK_DEPTH` (what Coinsuper pushes).
            callback: optional ``callback(snapshot)`` with an immutable
                :class:`exwire.BookSnapshot` of the newest book after applied publishes,
                on a dispatcher lane (or the ``callback_executor``); a callback slower
                than the publishes is given the newest book when it returns. The book
                itself is replaced on the reader thread as each publish is read.
            timeout: seconds to wait for the connection and the SUBACK.

        Returns:
            An :class:`exwire.OrderBookWatcher`; ``wait_synced()`` blocks until the first
            book arrived; ``close()`` unsubscribes (and closes the topic's connection
            when nothing else uses it).

        Raises:
            ConfigurationError: a malformed symbol, step or depth, a non-callable
                callback, or credentials without ``key`` and ``email``.
            ExwireError: what :meth:`subscribe_to_market_depth_updates` raises.
        """
        pair = normalize_symbol(symbol)
        book_step = finest_step(pair) if step is None else _order_book_step(step)
        depth = validate.positive_int(depth, "depth", maximum=BOOK_DEPTH)
        if callback is not None and not callable(callback):
            raise ConfigurationError(f"callback must be callable, got {type(callback).__name__}")
        signing.check_credentials(self.credentials, private=False)
        self._check_open()
        timeout = self._timeout(validate.positive_timeout(timeout))
        sub_topic, topic = self._topics.order_book(pair, book_step)
        label = f"order_book:{pair}:{book_step.value}"
        hashed = topic if self._client_id_topic == "full" else sub_topic
        credentials = self.credentials

        def login() -> Login:
            return signing.public_login(credentials, hashed)

        connection = self._connection(label, login)
        try:
            return self._watch(
                connection, symbol=pair, depth=depth, keys=[topic], topic=label,
                apply=_replace_book, checksum=None, callback=callback, timeout=timeout, on_reader=True,
            )
        except BaseException:
            self._release(connection)
            raise

    def subscribe_to_kline_updates(
        self,
        symbol: str,
        interval: KlineInterval | int,
        callback: Callback[Kline] | None = None,
        *,
        timeout: float | None = None,
    ) -> Subscription[Kline]:
        """Stream the running candle of one pair, every 1-2 s (§3.3).

        ``event.data`` is a :class:`exwire.coinsuper.models.Kline` (``Decimal`` prices in
        the quote currency, volume in the base currency, aware UTC ``open_time``);
        successive updates of one candle share ``open_time`` (upsert by it).

        Args:
            symbol: the pair, e.g. ``"BTC/USD"``.
            interval: the candle length in **milliseconds**: a
                :class:`~exwire.coinsuper.models.KlineInterval` or one of 60000, 300000,
                900000, 1800000, 3600000, 7200000, 14400000, 21600000, 43200000, 86400000,
                604800000.

        Other arguments and errors as
        :meth:`subscribe_to_market_depth_updates`.

        Raises:
            ConfigurationError: an interval Coinsuper does not offer.
        """
        kline_interval = _kline_interval(interval)
        sub_topic, topic = self._topics.kline(symbol, kline_interval)
        label = f"kline:{normalize_symbol(symbol)}:{int(kline_interval)}"
        return self._subscribe_public(label, sub_topic, topic, callback, timeout)

    def subscribe_to_trade_updates(
        self, symbol: str, callback: Callback[list[Trade]] | None = None, *, timeout: float | None = None
    ) -> Subscription[list[Trade]]:
        """Stream one pair's public trades (§3.4 real-time transactions).

        Coinsuper re-publishes its last 50 trades every 1-2 s without trade ids; the client
        de-duplicates them by (time, price, quantity, side) and delivers only new trades,
        oldest first: ``event.data`` is a non-empty ``list`` of
        :class:`exwire.coinsuper.models.Trade` (``Decimal`` price in the quote currency,
        quantity in the base currency, aware UTC ``timestamp``). The first event holds the
        current window (``SNAPSHOT``), later ones only trades newer than those seen
        (``UPDATE``). Under the ``drop_oldest`` or ``latest`` overflow policies dropped
        events lose those trades for good (the de-duplication has already passed them).

        Arguments and errors as
        :meth:`subscribe_to_market_depth_updates`.
        """
        sub_topic, topic = self._topics.trades(symbol)
        return self._subscribe_public(f"trades:{normalize_symbol(symbol)}", sub_topic, topic, callback, timeout)

    # -- private data (§3.5-§3.7) -----------------------------------------------------------

    def subscribe_to_balance_updates(
        self, callback: Callback[BalanceUpdate] | None = None, *, timeout: float | None = None
    ) -> Subscription[BalanceUpdate]:
        """Stream the account's balance changes (§3.5, topic ``asset/change``).

        ``event.data`` is a :class:`exwire.coinsuper.models.BalanceUpdate` listing the
        changed currencies with exact ``Decimal`` balances, each in its own currency (the
        wire sends numbers with up to 30 decimals); ``event.symbol`` is ``None``.
        Coinsuper's API team must enable this topic for the account; otherwise the broker
        refuses it (``InvalidRequest``).

        Args:
            callback: ``callback(event)``; runs as the callback threading model in
                :mod:`exwire.subscription` says. ``None`` makes a pull subscription.
            timeout: seconds to wait for the connection and the SUBACK (``None``: ``request_timeout``).

        Raises:
            ConfigurationError: credentials without ``key``, ``secret`` and ``email``, a
                non-callable callback, or a non-positive ``timeout`` (nothing is sent).
            InvalidState: the client is closed.
            ConnectError: the private connection could not be opened; a CONNACK refusal is
                chained as the cause (``AuthenticationError`` for a wrong key, secret or e-mail).
            InvalidRequest: the broker refused the topic (SUBACK 0x80).
            ConnectionClosed, RequestTimeout: no SUBACK; the outcome on the broker's side is
                unknown and the subscription is removed.
        """
        return self._subscribe_private("balances", self._topics.balances, callback, timeout)

    def subscribe_to_order_updates(
        self, callback: Callback[OrderUpdate] | None = None, *, timeout: float | None = None
    ) -> Subscription[OrderUpdate]:
        """Stream the account's order creations and cancellations (§3.6, topic ``order/change``).

        ``event.data`` is an :class:`exwire.coinsuper.models.OrderUpdate` (one event per
        order, also when a publish carries several; ``Decimal`` quantities in the base
        currency, prices and amounts in the quote currency). Fills come from
        :meth:`subscribe_to_user_trade_updates`. Coinsuper says events may be omitted or
        duplicated.

        Arguments and errors as
        :meth:`subscribe_to_balance_updates`.
        """
        return self._subscribe_private("orders", self._topics.orders, callback, timeout)

    def subscribe_to_user_trade_updates(
        self, callback: Callback[UserTrade] | None = None, *, timeout: float | None = None
    ) -> Subscription[UserTrade]:
        """Stream the fills of the account's orders (§3.7, topic ``trade/change``).

        ``event.data`` is an :class:`exwire.coinsuper.models.UserTrade` (one event per
        fill; ``Decimal`` price in the quote currency, quantity in the base currency, aware
        UTC ``timestamp``). Coinsuper sends no fee. Events may be omitted or duplicated.

        Arguments and errors as
        :meth:`subscribe_to_balance_updates`.
        """
        return self._subscribe_private("user_trades", self._topics.user_trades, callback, timeout)

    def close(self, timeout: float | None = 5.0) -> None:
        """Close every MQTT connection (sending DISCONNECT) and stop every thread the client started.

        Pending subscribe calls fail with ``ConnectionClosed``; pull subscriptions end.
        Idempotent; safe to call from a callback (the calling lane is not joined).

        Args:
            timeout: total seconds to wait for threads to finish; ``None`` waits without limit.
        """
        super().close(timeout)

    # -- connections ----------------------------------------------------------------------

    def _subscribe_public(
        self, label: str, sub_topic: str, topic: str, callback: Callback[M] | None, timeout: float | None
    ) -> Subscription[M]:
        signing.check_credentials(self.credentials, private=False)
        hashed = topic if self._client_id_topic == "full" else sub_topic
        credentials = self.credentials

        def login() -> Login:
            return signing.public_login(credentials, hashed)

        return self._subscribe_on(label, login, topic, label, callback, timeout)

    def _subscribe_private(
        self,
        label: str,
        topics: Callable[[str], tuple[str, str]],
        callback: Callback[M] | None,
        timeout: float | None,
    ) -> Subscription[M]:
        signing.check_credentials(self.credentials, private=True)
        credentials = self.credentials
        _, topic = topics(credentials.email)  # type: ignore[union-attr, arg-type]

        def login() -> Login:  # the password signs the time of each connect (§2.2)
            return signing.private_login(credentials, time.time_ns() // 1_000_000)

        return self._subscribe_on(_PRIVATE, login, topic, label, callback, timeout)

    def _subscribe_on(
        self,
        name: str,
        login: Callable[[], Login],
        topic: str,
        label: str,
        callback: Callback[M] | None,
        timeout: float | None,
    ) -> Subscription[M]:
        if callback is not None and not callable(callback):
            raise ConfigurationError(f"callback must be callable, got {type(callback).__name__}")
        self._check_open()
        timeout = self._timeout(validate.positive_timeout(timeout))
        for _ in range(3):
            connection = self._connection(name, login)
            try:
                return self._subscribe(connection, topic=label, keys=[topic], callback=callback, timeout=timeout)
            except BaseException as exc:
                replaced = self._connections.get(name) is not connection
                self._release(connection)
                # A concurrent unsubscribe closed this connection with its last subscription
                # between our lookup and our use of it: start again on a new one.
                if not (replaced and isinstance(exc, (InvalidState, ConnectionClosed)) and not self.closed):
                    raise
                self.log.debug("%s closed under a new subscription; retrying on a new connection", name)
        raise ConnectionClosed(f"coinsuper {name}: the connection kept closing under the subscription")

    def _connection(self, name: str, login: Callable[[], Login]) -> Connection:
        with self._opening_lock:  # one connection per name, even when two threads subscribe at once
            return self._connection_named(
                name,
                lambda: self._add_connection(
                    name, self.url, CoinsuperProtocol(self.environment),
                    stale_timeout=self._stale_timeout,  # PINGREQ comes from paho's keep-alive
                    transport_factory=self._transport_factory_for(login),
                ),
            )

    def _transport_factory_for(self, login: Callable[[], Login]) -> Callable[[], Transport]:
        if self._custom_transport is not None:
            return self._custom_transport
        keepalive, network, tls_insecure = self.keepalive_interval, self.network, self._tls_insecure
        return lambda: MqttTransport(login, keepalive_interval=keepalive, network=network, tls_insecure=tls_insecure)

    def _release(self, connection: Connection) -> bool:
        """Close ``connection`` if no active subscription uses it; return whether it is gone."""
        return self._retire_connection(connection)

    # -- wire (§4) ------------------------------------------------------------------------

    def _latest_feed(self, data_type: type) -> tuple[str, Callable[[Update], Any] | None] | None:
        """An order book snapshot feeds ``client.latest.top_of_book`` (its best levels)."""
        return (TOP_OF_BOOK, _top_of_book) if issubclass(data_type, OrderBookSnapshot) else None

    def _unsubscribe(self, subscription: Subscription[Any], timeout: float | None) -> None:
        freed = self._registry.remove(subscription)
        if not freed or self._closed.is_set():
            return
        connection = self._connections.get(subscription.connection_name)
        if connection is None or self._release(connection):
            return  # closed with its last subscription: DISCONNECT ends the broker's session
        if not connection.is_ready:
            return  # a reconnect will not resubscribe it
        try:
            self._wire_unsubscribe(connection, freed, self._timeout(timeout))
        except Exception as exc:
            # The stream is already stopped locally; late publishes match no route.
            self.log.warning("unsubscribing %s failed: %s", subscription.topic, exc)

    def _on_open(self, connection: Connection) -> None:
        """Runs after every (re)connect: resubscribe the connection's active topics.

        The engine resubscribes every topic in one SUBSCRIBE and, when the broker now
        refuses some of them (SUBACK 0x80, e.g. the asset topic's approval was
        withdrawn), ends only those. A per-topic connection left with nothing to
        stream is then released (we are on its resync thread).
        """
        def streaming() -> bool:
            return any(s.connection_name == connection.name for s in self._registry.active())

        had_topics = streaming()  # False on a first connect: the subscription registers after it
        super()._on_open(connection)
        if had_topics and not streaming():
            self._release(connection)

    def _wire_subscribe(self, connection: Connection, keys: list[Hashable], timeout: float | None) -> None:
        protocol: CoinsuperProtocol = connection.protocol  # type: ignore[assignment]
        key, frame = protocol.subscribe([str(k) for k in keys])
        connection.request(key, frame, timeout, wait_ready=False)  # no ack: CoinsuperProtocol.abandoned

    def _wire_unsubscribe(self, connection: Connection, keys: list[Hashable], timeout: float | None) -> None:
        protocol: CoinsuperProtocol = connection.protocol  # type: ignore[assignment]
        key, frame = protocol.unsubscribe([str(k) for k in keys])
        connection.request(key, frame, timeout, wait_ready=False)


def finest_step(symbol: str) -> OrderBookStep:
    """The finest order book step of a pair: ``0.01`` for a :data:`FIAT_QUOTES` quote, else ``0.00000001``.

    Raises:
        ConfigurationError: a malformed symbol.
    """
    quote = normalize_symbol(symbol).split("/")[1]
    return OrderBookStep.HUNDREDTH if quote in FIAT_QUOTES else OrderBookStep.HUNDRED_MILLIONTH


def _top_of_book_now(book: OrderBookSnapshot) -> TopOfBook:
    return TopOfBook(bid=book.best_bid, ask=book.best_ask)  # one level decoded per side


# The reader stores one per order book update; its levels are decoded when it is read.
_lazy_top_of_book = lazy_model(TopOfBook, _top_of_book_now)


def _top_of_book(update: Update) -> TopOfBook:
    return _lazy_top_of_book(update.data)


def _replace_book(book: OrderBook, data: OrderBookSnapshot) -> None:
    book.clear()
    for level in data.bids:
        book.set_bid(level.price, level.quantity)
    for level in data.asks:
        book.set_ask(level.price, level.quantity)
    book.truncate()
    return None


def _order_book_step(step: object) -> OrderBookStep:
    if isinstance(step, OrderBookStep):
        return step
    allowed = ", ".join(member.value for member in OrderBookStep)
    try:
        value = to_decimal(step, "step")
    except ConfigurationError:
        raise ConfigurationError(f"step must be one of {allowed}, got {step!r}") from None
    for member in OrderBookStep:
        if member.size == value:
            return member
    raise ConfigurationError(f"step must be one of {allowed}, got {step!r}")


def _kline_interval(interval: object) -> KlineInterval:
    try:
        if isinstance(interval, bool) or not isinstance(interval, int):
            raise ValueError(interval)
        return KlineInterval(interval)
    except ValueError:
        allowed = ", ".join(str(int(member)) for member in KlineInterval)
        raise ConfigurationError(f"interval must be one of {allowed} milliseconds, got {interval!r}") from None
