"""User data streams of every market (the listen-key methods and ``request`` are in
:mod:`exwire.binance.client_listen_keys`).

Spot user data comes through the WS API (``userDataStream.subscribe``, Binance's
"User Data Stream" page of the spot WebSocket API). Futures user data comes through a
listen key (``userDataStream.start``/``ping``/``stop`` on the USDⓈ-M and COIN-M WS APIs)
and the key's private stream: USDⓈ-M ``<usdm_stream_url>/private/ws?listenKey=<key>``
(the "Important WebSocket Change Notice" routes), COIN-M ``<coinm_stream_url>/ws/<key>``.

One private connection per futures market carries every subscription of it (connection
names ``usdm-user`` and ``coinm-user``). A thread named ``exwire-binance-listen-key``,
started with the first futures subscription and joined by ``close()``, sends
``userDataStream.ping`` every ``listen_key_ping_interval`` seconds; on ``-1125`` (the key
is gone) or a ``listenKeyExpired`` event (acted on once, however often it comes) it
starts a new key and moves the stream to the new key's URL. Events of a gap are lost:
query orders and positions to reconcile (the ``ListenKeyExpired`` event and the connection
events of ``usdm-user``/``coinm-user`` say when).
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Hashable
from typing import Any, overload
from urllib.parse import quote

from exwire._core import validate
from exwire._core.backoff import Deadline
from exwire._core.connection import Connection
from exwire._core.dispatch import Overflow
from exwire._core.subscription import new_mailbox
from exwire.binance._validation import futures_market
from exwire.binance.client_listen_keys import ListenKeyMethods
from exwire.binance.enums import FuturesMarket
from exwire.binance.events import UserDataEvent
from exwire.binance.futures_events import FuturesUserDataEvent
from exwire.binance.protocol import USER_DATA_KEY
from exwire.binance.user_stream_protocol import BinanceUserStreamProtocol
from exwire.errors import ConfigurationError, ExchangeError, InvalidState
from exwire.models import DataEvent
from exwire.subscription import Subscription

__all__ = ["UserStreamMethods", "USER_STREAM_NAMES"]

SpotCallback = Callable[[DataEvent[UserDataEvent]], None]
FuturesCallback = Callable[[DataEvent[FuturesUserDataEvent]], None]

#: Connection name of each futures market's private user-data stream.
USER_STREAM_NAMES = {FuturesMarket.USDM: "usdm-user", FuturesMarket.COINM: "coinm-user"}
_LISTEN_KEY_GONE = -1125
_RETRY = 5.0  # seconds before retrying a failed keep-alive or renewal
_PING_INTERVAL = 10.0  # WebSocket ping frame after this many seconds without traffic
_PONG_TIMEOUT = 10.0
_MAX_AGE = 23.5 * 3600  # Binance closes stream connections after 24 h
_STATE_LOCK = threading.Lock()  # creates each client's _UserStreams once


class _Stream:
    """One futures market's listen key and private connection."""

    __slots__ = ("market", "listen_key", "connection", "next_ping", "renew")

    def __init__(self, market: FuturesMarket, listen_key: str, connection: Connection, next_ping: float) -> None:
        self.market, self.listen_key, self.connection = market, listen_key, connection
        self.next_ping, self.renew = next_ping, False


class _UserStreams:
    """What the keep-alive thread and the subscribe calls share, under ``condition``."""

    def __init__(self) -> None:
        self.condition = threading.Condition()
        self.streams: dict[FuturesMarket, _Stream] = {}
        self.stopping = False
        self.thread: threading.Thread | None = None
        # One change of the streams at a time (subscribe, renew, last unsubscribe); re-entrant:
        # a subscribe that fails unsubscribes under it.
        self.setup = threading.RLock()


class UserStreamMethods(ListenKeyMethods):
    """Mixin of :class:`exwire.BinanceClient` (see the module docstring); the listen-key
    methods and ``request`` come from :class:`~exwire.binance.client_listen_keys.ListenKeyMethods`."""

    # Provided by BinanceClient / BaseClient.
    usdm_stream_url: str
    coinm_stream_url: str
    listen_key_ping_interval: float
    log: Any
    request_timeout: float | None
    _registry: Any
    _connection: Connection
    _signer: Any
    _queue_size: int
    _overflow: Overflow
    _block_timeout: float | None
    _callback_executor: Any
    _check_open: Callable[[], None]
    _timeout: Callable[[float | None], float | None]
    _subscribe: Callable[..., Subscription[Any]]
    _add_connection: Callable[..., Connection]
    _retire_connection: Callable[..., bool]

    # -- subscribing ------------------------------------------------------------------------------

    @overload
    def subscribe_user_data_stream(self, callback: SpotCallback | None = None, *, market: None = None,
                                   timeout: float | None = None) -> Subscription[UserDataEvent]: ...

    @overload
    def subscribe_user_data_stream(self, callback: FuturesCallback | None = None, *, market: FuturesMarket,
                                   timeout: float | None = None) -> Subscription[FuturesUserDataEvent]: ...

    def subscribe_user_data_stream(self, callback: Any = None, *, market: FuturesMarket | None = None,
                                   timeout: float | None = None) -> Subscription[Any]:
        """Stream the account's order, balance and position events.

        Spot (``market=None``): ``userDataStream.subscribe`` on an Ed25519 logged-on
        session, ``userDataStream.subscribe.signature`` otherwise, again after every
        reconnect. ``event.data`` is one of :mod:`exwire.binance.events`'
        ``ExecutionReport``, ``AccountPosition``, ``BalanceUpdate``, ``ListStatus``,
        ``ExternalLockUpdate``, ``EventStreamTerminated`` (the subscription then ends) or
        ``UnknownEvent``.

        Futures (``market=FuturesMarket.USDM`` or ``COINM``): a listen key from
        ``userDataStream.start`` and its private stream, kept alive and renewed as the
        module docstring says. ``event.data`` is one of :mod:`exwire.binance.futures_events`
        (``FuturesOrderUpdate``, ``FuturesAccountUpdate``, ``MarginCall``,
        ``AccountConfigUpdate``, ``TradeLite``, ``AlgoOrderUpdate``,
        ``ConditionalOrderTriggerReject``, ``StrategyUpdate``, ``GridUpdate``,
        ``ListenKeyExpired``: the client renews the key) or ``UnknownEvent``. Several
        subscriptions of one market share its key and connection.

        Prices and quantities are ``Decimal`` (quote asset per unit; base asset, COIN-M
        contracts), times aware UTC datetimes; ``event.symbol`` is the order's or
        position's symbol, ``None`` for account-wide events. Events while disconnected
        are lost: query open orders and the account to catch up.

        Args:
            callback: ``callback(event)``; runs as the callback threading model in
                :mod:`exwire.subscription` says. ``None`` makes a pull subscription.
            market: ``None`` for spot, or the futures market.
            timeout: seconds to wait for the connection(s), log-on, listen key and the
                subscription's reply (``None``: ``request_timeout``).

        Raises:
            ConfigurationError: no credentials, a bad ``market``, a callback that is not
                callable or a non-positive ``timeout`` (nothing sent).
            InvalidState: the client is closed.
            AuthenticationError: Binance refused the key or signature.
            InvalidRequest: e.g. spot already subscribed on this connection (-2035).
            RateLimited: the request-weight limit was hit; ``retry_after`` says how long to wait.
            ConnectError: a connection could not be opened.
            ConnectionClosed, RequestTimeout: no reply; the subscription is removed.
        """
        if self._signer is None:
            raise ConfigurationError("the user data stream needs credentials")
        timeout = validate.positive_timeout(timeout)
        if market is None:
            spot: Subscription[UserDataEvent] = self._subscribe(
                self._connection, topic="userData", keys=[USER_DATA_KEY], callback=callback, timeout=timeout)
            return spot
        return self._subscribe_futures_user_data(futures_market(market), callback, timeout)

    def subscribe_to_user_data_updates(self, callback: SpotCallback | None = None, *,
                                       timeout: float | None = None) -> Subscription[UserDataEvent]:
        """The spot user data stream: the former name of :meth:`subscribe_user_data_stream`
        (``market=None``), kept as an alias."""
        return self.subscribe_user_data_stream(callback, timeout=timeout)

    def unsubscribe_user_data_stream(self, *, market: FuturesMarket | None = None,
                                     timeout: float | None = None) -> None:
        """End every user-data subscription of ``market`` (``None``: spot) made by this client.

        Spot sends ``userDataStream.unsubscribe``; futures closes the private connection.
        The futures listen key is left to expire (it is the account's: other clients may
        use it); :meth:`stop_user_data_stream_for_key` invalidates it. Idempotent.

        Raises:
            ConfigurationError: a bad ``market`` or ``timeout``.
        """
        timeout = validate.positive_timeout(timeout)
        name = self._connection.name if market is None else USER_STREAM_NAMES[futures_market(market)]
        topic = "userData" if market is None else "futuresUserData"
        for subscription in list(self._registry.active()):
            if subscription.connection_name == name and subscription.topic == topic:
                subscription.unsubscribe(timeout)

    # -- futures private streams ------------------------------------------------------------------------

    def _user_streams(self) -> _UserStreams:
        state: _UserStreams | None = self.__dict__.get("_user_stream_state")
        if state is None:
            with _STATE_LOCK:
                state = self.__dict__.setdefault("_user_stream_state", _UserStreams())
        assert state is not None
        return state

    def _subscribe_futures_user_data(self, market: FuturesMarket, callback: FuturesCallback | None,
                                     timeout: float | None) -> Subscription[FuturesUserDataEvent]:
        if callback is not None and not callable(callback):
            raise ConfigurationError(f"callback must be callable, got {type(callback).__name__}")
        self._check_open()
        deadline = Deadline(self._timeout(timeout))
        state = self._user_streams()
        name = USER_STREAM_NAMES[market]
        with state.setup:
            with state.condition:
                stream = state.streams.get(market)
            if stream is None:
                listen_key = self.start_user_data_stream_for_key(market=market, timeout=deadline.remaining())
                stream = _Stream(market, listen_key, self._user_connection(market, listen_key),
                                 time.monotonic() + self.listen_key_ping_interval)
                with state.condition:
                    if state.stopping:
                        raise InvalidState("the binance client is closed")
                    state.streams[market] = stream
                    self._start_keep_alive(state)
            subscription: Subscription[FuturesUserDataEvent] = Subscription(
                topic="futuresUserData", keys=(_route(market),), callback=callback, connection_name=name,
                mailbox=new_mailbox(self._queue_size, self._overflow, self._block_timeout),
                unsubscribe=self._unsubscribe_user_stream,
            )
            if callback is not None:
                subscription.executor = self._callback_executor
            self._registry.add(subscription)
            try:
                stream.connection.ensure_open(deadline.remaining())
            except BaseException:
                self._unsubscribe_user_stream(subscription, None)
                subscription._end()
                raise
        return subscription

    def _user_connection(self, market: FuturesMarket, listen_key: str) -> Connection:
        """A new private connection for ``listen_key`` (not opened yet)."""
        key = quote(listen_key, safe="")
        url = (f"{self.usdm_stream_url}/private/ws?listenKey={key}" if market is FuturesMarket.USDM
               else f"{self.coinm_stream_url}/ws/{key}")
        ref = weakref.ref(self)

        def expired(expired_key: str) -> None:  # reader thread: only wake the keep-alive thread
            client = ref()
            if client is not None:
                client._renew_soon(market, expired_key)

        protocol = BinanceUserStreamProtocol(_route(market), listen_key, expired)
        return self._add_connection(USER_STREAM_NAMES[market], url, protocol, ping_interval=_PING_INTERVAL,
                                    stale_timeout=_PING_INTERVAL + _PONG_TIMEOUT, max_age=_MAX_AGE)

    def _unsubscribe_user_stream(self, subscription: Subscription[Any], timeout: float | None) -> None:
        self._registry.remove(subscription)
        name = subscription.connection_name
        if any(s.connection_name == name for s in self._registry.active()):
            return
        state = self._user_streams()
        with state.setup:  # not while a renewal swaps the connection
            if any(s.connection_name == name for s in self._registry.active()):
                return  # subscribed again meanwhile
            with state.condition:
                market = next((m for m, s in state.streams.items() if s.connection.name == name), None)
                stream = state.streams.pop(market) if market is not None else None
            if stream is not None:
                self._retire_connection(stream.connection, unless_used=False)

    def _renew_soon(self, market: FuturesMarket, expired_key: str) -> None:
        state = self._user_streams()
        with state.condition:
            stream = state.streams.get(market)
            if stream is None or stream.listen_key != expired_key or stream.renew:
                return  # already renewed, or no longer streaming
            self.log.warning("binance %s listen key expired: starting a new one", market.value)
            stream.renew = True
            stream.next_ping = 0.0
            state.condition.notify_all()

    def _start_keep_alive(self, state: _UserStreams) -> None:
        """Under ``state.condition``: start the keep-alive thread once."""
        if state.thread is None:
            state.thread = threading.Thread(target=_keep_alive, args=(state, weakref.ref(self)),
                                            name="exwire-binance-listen-key", daemon=True)
            state.thread.start()
        state.condition.notify_all()

    def _keep_key_alive(self, stream: _Stream) -> None:
        """Keep-alive thread: ping the key, or renew it when it is gone; reschedule."""
        state = self._user_streams()
        interval = self.listen_key_ping_interval
        try:
            if not stream.renew:
                try:
                    self.ping_user_data_stream_for_key(stream.listen_key, market=stream.market)
                    self.log.debug("binance %s listen key kept alive", stream.market.value)
                    if not stream.connection.is_ready:  # e.g. its opening after a renewal failed
                        stream.connection.ensure_open(self.request_timeout)
                    with state.condition:
                        stream.next_ping = time.monotonic() + interval
                    return
                except ExchangeError as exc:
                    if exc.code != _LISTEN_KEY_GONE:
                        raise
                    self.log.warning("binance %s listen key is gone (%s): starting a new one",
                                     stream.market.value, exc.message)
            self._renew(stream)
        except Exception as exc:  # a timeout, a dropped WS API connection ...: retry soon
            self.log.warning("binance %s listen key keep-alive failed: %s", stream.market.value, exc)
            with state.condition:
                stream.next_ping = time.monotonic() + min(_RETRY, interval)

    def _renew(self, stream: _Stream) -> None:
        """Start a new key and move the private stream to its URL (same connection name)."""
        state = self._user_streams()
        listen_key = self.start_user_data_stream_for_key(market=stream.market)
        with state.setup:
            with state.condition:
                if state.stopping or state.streams.get(stream.market) is not stream:
                    return
            old = stream.connection
            self._retire_connection(old, unless_used=False)
            connection = self._user_connection(stream.market, listen_key)
            with state.condition:
                stream.listen_key, stream.connection = listen_key, connection
                stream.renew = False
                stream.next_ping = time.monotonic() + self.listen_key_ping_interval
        connection.ensure_open(self.request_timeout)
        self.log.info("binance %s user data stream moved to a new listen key", stream.market.value)

    # -- engine hooks ----------------------------------------------------------------------------

    def _on_open(self, connection: Connection) -> None:
        """A private stream has nothing to log on or subscribe (the key is in its URL)."""
        if connection.name in USER_STREAM_NAMES.values():
            return
        getattr(super(), "_on_open")(connection)  # noqa: B009 (a mixin: object has none)

    def close(self, timeout: float | None = 5.0) -> None:
        """Close every connection, stop the listen-key thread and every other thread the
        client started (see :meth:`exwire._core.client.BaseClient.close`)."""
        state = self._user_streams()
        with state.condition:
            state.stopping = True
            state.condition.notify_all()
            thread = state.thread
        deadline = Deadline(timeout)
        getattr(super(), "close")(deadline.remaining())  # noqa: B009 (a mixin: object has none)
        if thread is not None and thread is not threading.current_thread():
            thread.join(deadline.remaining())


def _route(market: FuturesMarket) -> Hashable:
    return (USER_STREAM_NAMES[market], "userData")


def _keep_alive(state: _UserStreams, ref: weakref.ref[UserStreamMethods]) -> None:
    """The ``exwire-binance-listen-key`` thread: wait for the next due key, keep it alive."""
    while True:
        with state.condition:
            while True:
                if state.stopping:
                    return
                now = time.monotonic()
                due = [s for s in state.streams.values() if s.next_ping <= now]
                if due:
                    break
                wake = min((s.next_ping for s in state.streams.values()), default=None)
                state.condition.wait(None if wake is None else wake - now)
        client = ref()
        if client is None:
            return
        for stream in due:
            client._keep_key_alive(stream)
        del client
