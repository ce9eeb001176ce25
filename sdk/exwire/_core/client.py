"""BaseClient: composes connections, the dispatcher and the subscription registry.

Each exchange client subclasses it, declares its connections, and implements the
wire part of subscribing (``_wire_subscribe`` / ``_wire_unsubscribe``) and of
logging on (``_authenticate``). Everything else — lazy connect, routing,
resubscribe after a reconnect, hooks, ``close`` — lives here once.
"""

from __future__ import annotations

import functools
import importlib
import logging
import ssl
import threading
import time
import warnings
import weakref
from collections.abc import Callable, Hashable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeVar

from exwire._core import validate
from exwire._core.backoff import Deadline, backoff
from exwire._core.connection import Burst, Connection, ConnectionListener, ConnectionPolicy, State
from exwire._core.dispatch import Dispatcher, Mailbox, Overflow
from exwire._core.netopts import DEFAULT_MAX_MESSAGE_SIZE, NetworkOptions
from exwire._core.protocol import SKIPPED, DeferredDecoder, Protocol, Update
from exwire._core.subscription import SubscriptionRegistry, new_mailbox
from exwire._core.transport import Transport, WebSocketTransport
from exwire.errors import ConfigurationError, ExchangeError, InvalidState, SlowConsumer
from exwire.latest import LatestValues
from exwire.models import ConnectionEvent, ConnectionState, Credentials, DataEvent, UpdateType
from exwire.subscription import Subscription
from exwire.watcher import OrderBookWatcher

__all__ = ["BaseClient", "COMMON_OPTIONS_DOC", "Deliveries", "documented_options", "require_credentials"]

#: What ``BaseClient._deliver`` appends to: the events to queue, per subscription.
Deliveries = list[tuple[Subscription[Any], DataEvent[Any]]]

if TYPE_CHECKING:
    from exwire.models import Ticker
    from exwire.shared import SharedClient

C = TypeVar("C", bound=type)


def _check_callable(value: Any, name: str) -> None:
    if value is not None and not callable(value):
        raise ConfigurationError(f"{name} must be callable, got {type(value).__name__}")


COMMON_OPTIONS_DOC = """\
            * ``request_timeout``: seconds a blocking call waits when its ``timeout`` is
              ``None`` (default 10); ``None``: no limit.
            * ``dispatch_threads``: number of dispatcher lanes, the threads
              ``exwire-{exchange}-dispatch-<n>`` that run callbacks (default 4).
            * ``reconnect``: re-establish a lost connection with backoff, log on again
              where the exchange needs it, and resubscribe (default ``True``).
            * ``on_connection_event``: ``hook(ConnectionEvent)`` on every connection
              state change, run on a dispatcher lane; ``None``: logged only.
            * ``on_callback_error``: ``hook(exception, event)`` when a callback raises or
              a subscription's queue overflows (``SlowConsumer``), run on a dispatcher
              lane (or on the ``callback_executor`` thread for a callback it ran);
              ``None``: logged only.
            * ``callback_executor``: an object with ``submit(fn, *args)`` (e.g. a GUI's
              executor) that runs subscription callbacks instead of the lanes, still
              one at a time and in order per subscription; ``None``: the lanes.
            * ``keep_raw``: put the original frame text in each event's ``raw``
              (default ``False``: ``raw`` is ``None``).
            * ``raw``: raw delivery (default ``False``): every subscription's
              ``event.data`` is the frame's decoded JSON message as the exchange sent
              it (``dict``/``list``; prices the exchange sends as strings stay
              strings, JSON numbers with a fraction become ``Decimal`` where the
              exchange sends money as numbers) instead of a typed model, decoded on
              the reader thread and delivered on the lanes like typed events; a
              frame that updates several subscriptions reaches each of them whole.
              Blocking calls still return typed models; ``client.latest`` is not fed
              and ``watch_order_book`` needs typed updates (``ConfigurationError``).
            * ``queue_size``: updates buffered per subscription (default 10 000).
            * ``overflow``: what a full queue does: ``"drop_oldest"`` (default: the
              oldest queued update is dropped; the reader never waits, so a slow
              callback delays nothing else), ``"latest"`` (keep only the newest) or
              ``"block"`` (opt-in back-pressure on the whole connection: the reader
              waits up to ``block_timeout`` for room and reads nothing else
              meanwhile, replies included; liveness deadlines are paused). Every drop
              is counted (``Subscription.dropped``), reported once per episode to
              ``on_callback_error`` as ``SlowConsumer`` and announced on the next
              event (``DataEvent.dropped_before``); a watched order book that loses
              an update resynchronises itself.
            * ``block_timeout``: seconds the reader waits for room under ``"block"``
              before dropping (default 10); ``None``: wait without limit.
            * ``ssl_context``: an ``ssl.SSLContext`` for every TLS connection the client
              opens (WebSocket, REST, MQTT), e.g. one trusting a corporate CA;
              ``None``: the platform's defaults.
            * ``proxy``: ``"http://[user:pass@]host:port"``, an HTTP CONNECT proxy for
              every connection; ``None``: direct.
            * ``max_message_size``: the largest inbound message in bytes (default
              16 MiB, also the cap on inflated size); a larger one fails the
              connection, which reconnects."""

#: What the reader queues for a watcher maintained on the reader when its lane has work
#: (``OrderBookWatcher._follow_up``): a marker, never handed to user code.
_FOLLOW_UP: DataEvent[None] = DataEvent(None, "follow-up", None, datetime.min, UpdateType.UPDATE)
_UNSEEN: Any = object()  # a data type BaseClient._latest_feed was not asked about yet
#: Builds a DataEvent from its seven fields in order (the NamedTuple's own constructor
#: with no argument handling: the reader's one allocation per update and subscription).
_new_event = tuple.__new__


def _undeferring(callback: Callable[[DataEvent[Any]], None], decoder: DeferredDecoder) -> Callable[[DataEvent[Any]], None]:
    """What a lane calls for a subscription of a raw client whose protocol leaves JSON to the
    lanes (``Protocol.deferred``): an event whose data is still the frame is given
    its decoded JSON first (a text the protocol refuses is logged, counted and skipped:
    the callback never sees it)."""
    decode, kind = decoder.decode, decoder.kind

    def deliver(event: DataEvent[Any]) -> None:
        data = event[0]
        if type(data) is kind:
            try:  # DeferredDecoder.value written out: one call fewer per event on the lane
                value = decode(data)
            except Exception as exc:  # the reader would have skipped the frame: so does the lane
                decoder.refused(data, exc)
                return
            _, topic, symbol, received_at, update_type, raw, dropped_before = event
            event = _new_event(DataEvent, (value, topic, symbol, received_at, update_type, raw, dropped_before))
        callback(event)

    return deliver


_COMMON_OPTIONS_MARKER = "            {common_options}"


def documented_options(cls: C) -> C:
    """Class decorator: put the common keywords' documentation in the client's docstring.

    The keywords every client shares (``BaseClient.__init__``) are described once, in
    :data:`COMMON_OPTIONS_DOC`; each client's docstring holds the line
    ``{common_options}`` where they belong.
    """
    if cls.__doc__ and _COMMON_OPTIONS_MARKER in cls.__doc__:
        text = COMMON_OPTIONS_DOC.replace("{exchange}", getattr(cls, "exchange", "<exchange>"))
        cls.__doc__ = cls.__doc__.replace(_COMMON_OPTIONS_MARKER, text)
    return cls


class BaseClient:
    """Shared machinery of every exchange client (see the exchange clients' docs).

    Thread-safe: every public method may be called from any thread, including from
    inside a callback.
    """

    exchange = "exchange"
    #: The exchange's ``SharedClient`` subclass, as ``"module:Class"`` (imported on first use).
    _shared_class: ClassVar[str] = "exwire.shared:SharedClient"
    #: Exact ``Update.data`` types the client acts on itself before delivery (:meth:`_intercept`).
    _intercepted: ClassVar[frozenset[type]] = frozenset()
    #: Whether updates without a symbol go through :meth:`_intercept` too.
    _intercept_unnamed: ClassVar[bool] = False

    def __init__(
        self,
        *,
        credentials: Credentials | None = None,
        request_timeout: float | None = 10.0,
        dispatch_threads: int = 4,
        reconnect: bool = True,
        on_connection_event: Callable[[ConnectionEvent], None] | None = None,
        on_callback_error: Callable[[BaseException, Any], None] | None = None,
        callback_executor: Any = None,
        keep_raw: bool = False,
        raw: bool = False,
        queue_size: int = 10_000,
        overflow: Overflow | str = Overflow.DROP_OLDEST,
        block_timeout: float | None = 10.0,
        transport_factory: Callable[[], Transport] | None = None,
        backoff_factory: Callable[[], Any] = backoff,
        ssl_context: ssl.SSLContext | None = None,
        proxy: str | None = None,
        max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
    ) -> None:
        if credentials is not None and not isinstance(credentials, Credentials):
            raise ConfigurationError("credentials must be an exwire.Credentials")
        request_timeout = validate.positive_timeout(request_timeout, "request_timeout")
        if not isinstance(dispatch_threads, int) or dispatch_threads < 1:
            raise ConfigurationError("dispatch_threads must be a positive integer")
        if not isinstance(queue_size, int) or queue_size < 1:
            raise ConfigurationError("queue_size must be a positive integer")
        if not isinstance(raw, bool):
            raise ConfigurationError(f"raw must be True or False, got {raw!r}")
        _check_callable(on_connection_event, "on_connection_event")
        _check_callable(on_callback_error, "on_callback_error")
        if callback_executor is not None and not callable(getattr(callback_executor, "submit", None)):
            raise ConfigurationError("callback_executor must have a submit(fn, *args) method")
        try:
            self._overflow = Overflow(overflow)
        except ValueError:
            raise ConfigurationError(f"overflow must be one of {[o.value for o in Overflow]}") from None
        self.credentials = credentials
        self.request_timeout = request_timeout
        self._reconnect = reconnect
        self._on_connection_event = on_connection_event
        self._on_callback_error = on_callback_error
        self._callback_executor = callback_executor
        self._keep_raw = keep_raw
        # A raw protocol's decoder of the frames it leaves to the lanes (Protocol.deferred),
        # set by the first subscription on such a connection; None: every event is final.
        self._decoder: DeferredDecoder | None = None
        # _latest_feed's answer per data type, filled by the reader as types appear.
        self._feeds: dict[type, tuple[str, Callable[[Update], Any] | None] | None] = {}
        #: Raw delivery (``raw=True``): updates carry the frame's decoded JSON, no models.
        self.raw = raw
        self._queue_size = queue_size
        self._block_timeout = block_timeout
        if ssl_context is not None and not isinstance(ssl_context, ssl.SSLContext):
            raise ConfigurationError("ssl_context must be an ssl.SSLContext")
        if proxy is not None and not isinstance(proxy, str):
            raise ConfigurationError("proxy must be a string like 'http://host:port'")
        if isinstance(max_message_size, bool) or not isinstance(max_message_size, int) or max_message_size < 1:
            raise ConfigurationError("max_message_size must be a positive integer of bytes")
        #: The TLS, proxy and size options every connection of this client honours.
        self.network = NetworkOptions(ssl_context=ssl_context, proxy=proxy, max_message_size=max_message_size)
        network = self.network
        self._transport_factory = transport_factory or (lambda: WebSocketTransport(network=network))
        self._backoff_factory = backoff_factory
        self.log = logging.getLogger(f"exwire.{self.exchange}")
        # Threads hold the client weakly (a client dropped without close() is collected,
        # stops its threads and warns): every hook they run goes through a weak reference.
        ref: weakref.ref[BaseClient] = weakref.ref(self)
        self._dispatcher = Dispatcher(self.exchange, dispatch_threads, _weak_hook(ref, BaseClient._callback_failed),
                                      hand_off=raw)
        self._registry = SubscriptionRegistry(self._dispatcher, _weak_hook(ref, BaseClient._delivery_failed))
        self._listener = _ClientListener(ref)
        #: Latest ticker / top of book per symbol, fed by the user's subscriptions.
        self.latest = LatestValues(ticker=_weak_ticker(ref), resolve=_weak_resolve(ref))
        self._connections: dict[str, Connection] = {}
        # Guards adding and retiring connections; once close() starts, the set is frozen.
        self._connections_lock = threading.Lock()
        self._retiring: set[Connection] = set()  # retired, still closing: close() joins them too
        # Order book watchers, told when their connection drops so they stop serving a
        # book that is no longer maintained (they resync from the next snapshot).
        self._watchers: weakref.WeakSet[Any] = weakref.WeakSet()
        self._closed = threading.Event()
        self._closed_now = False  # a plain copy of _closed for the request path
        self._close_lock = threading.Lock()
        # Hooks (on_connection_event, on_callback_error for reader-side problems) are
        # user code: they run on a dispatcher lane, never on a reader thread.
        self._hooks = Mailbox(1000, Overflow.DROP_OLDEST, None)
        self._hooks_lane: int | None = None
        self._hooks_lock = threading.Lock()
        self._finalizer = weakref.finalize(
            self, _collected, type(self).__name__, self._connections, self._dispatcher, self._hooks
        )
        self._finalizer.atexit = False

    def __repr__(self) -> str:
        """``KrakenClient(open, connections: public=connected private=idle, subscriptions: 3)``:
        the client's state, each connection's state and the active subscriptions; never a
        credential or a URL."""
        connections = list(getattr(self, "_connections", {}).values())  # no lock: repr may run anywhere
        registry = getattr(self, "_registry", None)
        count = 0 if registry is None else len(registry.active())
        states = " ".join(f"{connection.name}={_connection_word(connection)}" for connection in connections)
        state = "open" if getattr(self, "_closed", None) is not None and not self.closed else "closed"
        return (f"{type(self).__name__}({state}, "
                f"connections: {states or 'none'}, subscriptions: {count})")

    @property
    def shared(self) -> SharedClient:
        """The exchange-neutral interface (:class:`exwire.SharedClient`): ``BASE/QUOTE``
        symbols, neutral models, ``features``. A light view holding the client: keep it as
        long as you like (the client is not kept alive by anything else of its own)."""
        return _shared_class(self._shared_class)(self)

    # -- construction helpers for subclasses ----------------------------------------

    def _add_connection(
        self,
        name: str,
        url: str,
        protocol: Protocol,
        *,
        ping_interval: float | None = None,
        stale_timeout: float | None = None,
        pong_timeout: float | None = None,
        max_age: float | None = None,
        transport_factory: Callable[[], Transport] | None = None,
    ) -> Connection:
        credentials = self.credentials
        secrets = [] if credentials is None else [
            s for s in (credentials.secret, credentials.private_key, credentials.passphrase) if s]
        policy = ConnectionPolicy(
            reconnect=self._reconnect,
            ping_interval=ping_interval,
            pong_timeout=pong_timeout,
            stale_timeout=stale_timeout,
            max_age=max_age,
            backoff=self._backoff_factory,
        )
        if self.raw:
            protocol.raw = True  # before the first frame: the reader reads it once per session
        connection = Connection(
            name=name,
            exchange=self.exchange,
            url=url,
            protocol=protocol,
            transport_factory=transport_factory or self._transport_factory,
            listener=self._listener,
            policy=policy,
            secrets=secrets,
        )
        with self._connections_lock:
            if self._closed.is_set():
                raise InvalidState(f"the {self.exchange} client is closed")
            self._connections[name] = connection
        return connection

    def _connection_named(self, name: str, make: Callable[[], Connection]) -> Connection:
        """The open connection called ``name``, or a new one from ``make()`` (which calls
        :meth:`_add_connection`): for exchanges that open connections on demand.

        Raises:
            InvalidState: the client is closed.
        """
        with self._connections_lock:
            if self._closed.is_set():
                raise InvalidState(f"the {self.exchange} client is closed")
            connection = self._connections.get(name)
        if connection is not None:
            return connection
        created = make()
        return created

    def _retire_connection(self, connection: Connection, *, unless_used: bool = True) -> bool:
        """Remove and close ``connection`` (for connections opened on demand); return whether it is gone.

        With ``unless_used``, a connection an active subscription still uses is kept
        (returns ``False``). A connection already retired, replaced or closed counts as gone.
        """
        with self._connections_lock:
            if self._closed.is_set() or self._connections.get(connection.name) is not connection:
                return True
            if unless_used and any(s.connection_name == connection.name for s in self._registry.active()):
                return False
            del self._connections[connection.name]
            self._retiring.add(connection)
        try:
            connection.close(self._timeout(None))
        finally:
            with self._connections_lock:
                self._retiring.discard(connection)
        return True

    # -- to be provided by exchange clients ---------------------------------------------

    def _authenticate(self, connection: Connection) -> None:
        """Log on a freshly opened connection (before it is ready). Default: nothing."""

    def _wire_subscribe(self, connection: Connection, keys: list[Hashable], timeout: float | None) -> None:
        """Subscribe ``keys`` on the wire and wait for the acknowledgement(s)."""
        raise NotImplementedError

    def _wire_unsubscribe(self, connection: Connection, keys: list[Hashable], timeout: float | None) -> None:
        """Unsubscribe ``keys`` on the wire and wait for the acknowledgement(s)."""
        raise NotImplementedError

    # -- public ------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """Whether ``close`` has been called."""
        return self._closed.is_set()

    def _require_credentials(self, *fields: str, purpose: str = "this call") -> Credentials:
        """The client's credentials, checked to have ``fields`` (default ``key`` and ``secret``).

        Raises:
            ConfigurationError: no credentials, or one of ``fields`` is empty; nothing is sent.
        """
        return require_credentials(self.credentials, self.exchange, *fields, purpose=purpose)

    def _check_open(self) -> None:
        if self._closed_now:
            raise InvalidState(f"the {self.exchange} client is closed")

    def _opened(self, connection: Connection, timeout: float | None) -> float | None:
        """Open ``connection`` unless it is ready (within ``timeout`` seconds); return the
        seconds left of ``timeout`` for the request (``None``: no limit).

        Raises:
            As :meth:`Connection.ensure_open`.
        """
        if connection.is_ready:
            return timeout
        deadline = Deadline(timeout)
        connection.ensure_open(deadline.remaining())
        return deadline.remaining()

    def _timeout(self, timeout: float | None) -> float | None:
        """The seconds a blocking call waits: ``timeout``, or the client's default for ``None``.

        Raises:
            ConfigurationError: not ``None`` nor positive finite seconds (at most a day).
        """
        timeout = validate.positive_timeout(timeout)
        return self.request_timeout if timeout is None else timeout

    def _subscribe(
        self,
        connection: Connection,
        *,
        topic: str,
        keys: Iterable[Hashable],
        callback: Callable[[DataEvent[Any]], None] | None,
        timeout: float | None,
        queue_size: int | None = None,
        internal: bool = False,
        inline: Callable[[Any, UpdateType, datetime], bool] | None = None,
        inline_end: Callable[[], None] | None = None,
        awaiting_snapshot: Iterable[Hashable] = (),
    ) -> Subscription[Any]:
        """Register a subscription, subscribe its new keys on the wire, return the handle.

        Raises:
            ConfigurationError: the callback is not callable.
            InvalidState: the client is closed.
            ExchangeError: the exchange refused (the subscription is removed again).
            ConnectionClosed, RequestTimeout: no acknowledgement; the subscription is removed.
        """
        _check_callable(callback, "callback")
        self._check_open()
        timeout = self._timeout(timeout)
        deadline = Deadline(timeout)
        connection.ensure_open(deadline.remaining())
        subscription = Subscription(
            topic=topic,
            keys=tuple(keys),
            callback=callback,
            connection_name=connection.name,
            # Internal consumers (order book watchers) resynchronise after a drop, so they
            # drop the oldest too, never keeping only the latest; BLOCK stays connection-wide.
            mailbox=new_mailbox(
                queue_size or self._queue_size,
                Overflow.DROP_OLDEST if internal and self._overflow is Overflow.LATEST else self._overflow,
                self._block_timeout,
            ),
            unsubscribe=self._unsubscribe,
            inline=inline,
            inline_end=inline_end,
            awaiting_snapshot=awaiting_snapshot,
        )
        if callback is not None and not internal:
            subscription.executor = self._callback_executor
        decoder = connection.protocol.deferred
        if decoder is not None and any(decoder.defers(key) for key in subscription.keys):
            self._decoder = decoder
            if callback is not None and subscription.executor is None:
                subscription._lane_callback = _undeferring(callback, decoder)
        new_keys = self._registry.add(subscription)
        try:
            if new_keys:
                self._wire_subscribe(connection, new_keys, deadline.remaining())
        except BaseException:
            self._registry.remove(subscription)
            subscription._end()
            raise
        return subscription

    def _unsubscribe(self, subscription: Subscription[Any], timeout: float | None) -> None:
        freed = self._registry.remove(subscription)
        if not freed or self._closed.is_set():
            return
        connection = self._connections[subscription.connection_name]
        if not connection.is_ready:
            return  # nothing to undo on the wire: a reconnect will not resubscribe it
        try:
            self._wire_unsubscribe(connection, freed, self._timeout(timeout))
        except Exception as exc:
            # The stream is already stopped locally; a stale server-side subscription
            # only costs bandwidth and its updates are dropped on arrival.
            self.log.warning("unsubscribing %s failed: %s", subscription.topic, exc)

    def health(self) -> dict[str, Any]:
        """A JSON-serialisable picture of the client, for health checks and dashboards.

        Keys: ``exchange``; ``closed``; ``connections`` (per name: ``state``, ``ready``,
        ``url``, ``reconnects``, ``frames_received``, ``frames_skipped``,
        ``seconds_since_last_frame`` — ``None`` before the first frame —,
        ``pending_requests``); ``subscriptions`` (each: ``id``, ``topic``, ``active``,
        ``delivery`` — ``lane``, ``executor`` or ``pull`` —, ``queued``, ``dropped``,
        ``seconds_since_last_update`` or ``None``); ``dispatcher`` (``threads``,
        ``backlog``); ``latest`` (ages in seconds per kind and symbol).
        Safe to call from any thread; takes no network action.
        """
        now = time.monotonic()
        connections = {}
        for name, connection in self._connections.items():
            since = connection.seconds_since_last_frame()
            connections[name] = {
                "state": connection.state.value,
                "ready": connection.is_ready,
                "url": connection.url,
                "reconnects": connection.reconnects,
                "frames_received": connection.frames_received,
                "frames_skipped": connection.frames_skipped + connection.protocol.frames_skipped_late,
                "seconds_since_last_frame": None if since is None else round(since, 3),
                "pending_requests": connection.pending_count(),
            }
        subscriptions = []
        for subscription in self._registry.active():
            last = subscription.last_update_at
            subscriptions.append(
                {
                    "id": subscription.id,
                    "topic": subscription.topic,
                    "active": subscription.active,
                    "delivery": "lane" if subscription.lane is not None
                    else "executor" if subscription.executor is not None else "pull",
                    "queued": subscription.queued,
                    "dropped": subscription.dropped,
                    "seconds_since_last_update": None if last is None else round(now - last, 3),
                }
            )
        return {
            "exchange": self.exchange,
            "closed": self.closed,
            "connections": connections,
            "subscriptions": subscriptions,
            "dispatcher": {"threads": len(self._dispatcher.threads()), "backlog": self._dispatcher.backlog()},
            "latest": self.latest.as_dict(),
        }

    def close(self, timeout: float | None = 5.0) -> None:
        """Close every connection and stop every thread the client started.

        Pending requests fail with ``ConnectionClosed``; pull subscriptions end
        (their iterators stop). Idempotent; safe to call from a callback (the
        calling lane is not joined).

        Args:
            timeout: total seconds to wait for threads to finish; ``None`` waits without limit.
        """
        with self._close_lock:
            if self._closed.is_set():
                return
            with self._connections_lock:
                self._closed.set()  # no connection is added or retired from here on
                self._closed_now = True
                connections = list(self._connections.values()) + list(self._retiring)
        self._finalizer.detach()
        deadline = Deadline(timeout)
        self._registry.end_all()
        for connection in connections:
            connection.close(deadline.remaining())
        self._hooks.close()
        self._dispatcher.close(deadline.remaining())

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- engine callbacks ------------------------------------------------------------

    def _on_open(self, connection: Connection) -> None:
        """Runs after every (re)connect: log on, then resubscribe what is active."""
        self._authenticate(connection)
        keys: dict[Hashable, None] = {}
        for subscription in self._registry.active():
            if subscription.connection_name == connection.name:
                keys.update(dict.fromkeys(subscription.keys))
        if not keys:
            return
        try:
            self._wire_subscribe(connection, list(keys), self.request_timeout)
        except ExchangeError as exc:
            # The exchange refused something it accepted before (a delisted symbol, a
            # revoked permission). Find which key, one at a time, and end only those
            # subscriptions; dropping the connection would retry the refusal forever.
            if len(keys) == 1:
                self._subscription_ended(next(iter(keys)), exc)  # the refusal names it
                return
            self.log.warning("resubscribing on %s was refused (%s): retrying key by key", connection.name, exc)
            for key in keys:
                try:
                    self._wire_subscribe(connection, [key], self.request_timeout)
                except ExchangeError as refused:
                    self._subscription_ended(key, refused)

    def _require_typed(self, what: str) -> None:
        """Refuse ``what`` (a method maintaining state from typed updates) on a raw client.

        Raises:
            ConfigurationError: the client was built with ``raw=True``.
        """
        if self.raw:
            raise ConfigurationError(
                f"{what} maintains its state from typed updates: not available on a client built with raw=True "
                "(subscribe to the stream and use its JSON, or use a typed client)"
            )

    def _latest_feed(self, data_type: type) -> tuple[str, Callable[[Update], Any] | None] | None:
        """Which ``client.latest`` entry updates whose data is a ``data_type`` feed.

        Returns ``(kind, to_value)`` or ``None``: ``to_value(update)`` gives the value to
        keep, or ``None`` to keep nothing of that update; without it the update's data
        is kept. Asked once per data type and remembered (lazy models are subclasses of
        their model: test with ``issubclass``); updates without a symbol feed nothing.
        Exchange clients override this for their ticker and top-of-book streams.
        """
        return None

    def _intercept(self, update: Update, received_at: datetime) -> Update | None:
        """Reader thread: act on an update this client handles itself; return what to deliver.

        Called for updates whose data is exactly one of :attr:`_intercepted` and, with
        :attr:`_intercept_unnamed`, for updates without a symbol; ``None`` delivers
        nothing.
        """
        return update

    def _raw_text(self, frame: str | bytes) -> str:
        """The frame's text for ``DataEvent.raw`` (``keep_raw=True``)."""
        return frame if isinstance(frame, str) else frame.decode("utf-8", "replace")

    def _updates(self, burst: Burst) -> float:
        """Reader thread: queue a burst of updates; return seconds spent blocked (BLOCK policy).

        Each update feeds ``client.latest`` (typed clients), then becomes a
        ``DataEvent`` per subscription routed its key, or is applied at once by a book
        maintained on the reader (``Subscription.inline``; its ``inline_end`` once the
        burst's events are queued). One loop with no call per
        update on the usual path: the routing table is read once per burst (it is
        replaced, never changed, when subscriptions change) and the latest-value feed
        is looked up by the data's type.
        """
        groups: dict[int, list[list[Any]]] = {}  # lane entries [feed, event, 0] by lane
        mailed: list[tuple[Subscription[Any], Any]] = []  # pull or host-executor subscriptions
        inlined: dict[Subscription[Any], None] = {}  # the books maintained here that had an update
        last: Subscription[Any] | None = None  # the subscription of the previous event, and its lane's entries
        group: list[list[Any]] = []
        feed: Any = None
        now = time.monotonic()
        routes = self._registry.table()
        feeds = None if self.raw else self._feeds
        intercepted, unnamed = self._intercepted, self._intercept_unnamed
        keep_raw = self._keep_raw
        deferring = self.raw  # a raw protocol may leave the JSON to the lanes (Protocol.deferred)
        decoded_json = False  # whether a raw event of the burst holds decoded JSON (the lanes' hand-off)
        raw = None
        for update, received_at, frame in burst:
            if (unnamed and update.symbol is None) or (intercepted and type(update.data) in intercepted):
                intercepting = self._intercept(update, received_at)
                if intercepting is None:
                    continue
                update = intercepting
            key, data, symbol, update_type = update
            subscribers = routes.get(key, ())
            if deferring:
                if data is frame:  # the JSON left to the lanes (Protocol.deferred)
                    for subscription in subscribers:
                        if subscription._feed is None:  # a pull or executor subscription: decoded here
                            data = self._decoder.value(frame)  # type: ignore[union-attr]  # set with the protocol
                            decoded_json = True
                            break
                    if data is SKIPPED:
                        continue
                else:
                    decoded_json = True
            if feeds is not None and symbol is not None:
                data_type = type(data)
                latest = feeds.get(data_type, _UNSEEN)
                if latest is _UNSEEN:
                    latest = feeds[data_type] = self._latest_feed(data_type)
                if latest is not None:
                    to_value = latest[1]
                    value = data if to_value is None else to_value(update)
                    if value is not None:
                        self.latest._set(latest[0], symbol, value, received_at)
            if keep_raw:
                raw = self._raw_text(frame)
            for subscription in subscribers:
                awaiting = subscription.awaiting_snapshot
                if awaiting is not None and key in awaiting:  # joined a held stream: wait for its snapshot
                    if update_type is not UpdateType.SNAPSHOT:
                        continue
                    awaiting.discard(key)
                    if not awaiting:
                        subscription.awaiting_snapshot = None
                inline = subscription.inline
                if inline is None:
                    event: Any = _new_event(DataEvent, (data, subscription.topic, symbol, received_at, update_type,
                                                        raw, 0))
                else:  # a book maintained here
                    inlined[subscription] = None
                    if inline(data, update_type, received_at):
                        event = _FOLLOW_UP  # its lane runs the watcher's follow-up
                    else:
                        continue
                if subscription is last:  # a run of one subscription: no lookups
                    if feed is None:
                        mailed.append((subscription, event))
                    else:
                        group.append([feed, event, 0])
                    continue
                last = subscription
                subscription.last_update_at = now
                feed = subscription._feed
                if feed is None:
                    mailed.append((subscription, event))
                else:
                    found = groups.get(feed.lane)
                    if found is None:
                        group = groups[feed.lane] = [[feed, event, 0]]
                    else:
                        group = found
                        group.append([feed, event, 0])
        blocked = self._registry.queue(groups, mailed, decoded_json) if groups or mailed else 0.0
        for subscription in inlined:  # after the events are queued: nothing here can lose them
            if subscription.inline_end is not None:
                subscription.inline_end()
        return blocked

    def _watch(
        self,
        connection: Connection,
        *,
        symbol: str,
        depth: int,
        keys: list[Hashable],
        topic: str,
        apply: Callable[[Any, Any], int | None],
        checksum: Callable[[Any], int] | None,
        callback: Callable[[Any], None] | None,
        timeout: float | None,
        resync: Callable[[], None] | None = None,
        subscribe: Callable[..., Subscription[Any]] | None = None,
        on_reader: bool = False,
        feeds_latest: bool = True,
    ) -> OrderBookWatcher:
        """Build and start an order book watcher: the one body of every ``watch_order_book``.

        ``apply(book, data)`` applies one update and returns the checksum it carries (or
        ``None``); ``checksum(book)`` computes the local one. ``resync`` fetches a fresh
        snapshot after a checksum mismatch or a dropped update (default: unsubscribe and
        subscribe ``keys`` again); ``subscribe`` replaces :meth:`_subscribe` for exchanges
        with their own subscribe path (it takes the same keywords).

        ``on_reader`` maintains the book on the reader thread as each update is read,
        for an ``apply`` and ``checksum`` that are exwire's own bounded code (no I/O, no
        user code, no waiting): no lane hop per update and no queue to overflow. The
        subscription's lane then runs only what may block or is user code: the
        resubscription after a mismatch and the callback (given the newest book).
        Ignored with ``subscribe``, whose path decides where updates go.

        Raises:
            ConfigurationError: the callback is not callable, or the client is raw (a
                book is maintained from typed updates).
            and whatever :meth:`_subscribe` raises.
        """
        _check_callable(callback, "callback")
        self._require_typed("watch_order_book")
        watcher = OrderBookWatcher(
            exchange=self.exchange,
            symbol=symbol,
            depth=depth,
            apply=apply,
            checksum=checksum,
            callback=callback,
            latest=self.latest if feeds_latest else None,
            executor=self._callback_executor,
        )
        connection.protocol.watched.update(keys)  # decoded at once from now on (Protocol.watched)
        watcher._resync = resync or (lambda: self._resubscribe(connection, keys))
        watcher.connection_name = connection.name
        self._watchers.add(watcher)
        if subscribe is not None:
            watcher.subscription = subscribe(
                connection, topic=topic, keys=keys, callback=watcher._on_event, timeout=timeout, internal=True
            )
        elif on_reader:
            watcher.subscription = self._subscribe(
                connection, topic=topic, keys=keys, callback=watcher._follow_up, timeout=timeout, internal=True,
                inline=watcher._on_reader, inline_end=watcher._end_of_burst,
            )
        else:
            watcher.subscription = self._subscribe(
                connection, topic=topic, keys=keys, callback=watcher._on_event, timeout=timeout, internal=True
            )
        return watcher

    def _resubscribe(self, connection: Connection, keys: list[Hashable]) -> None:
        """Unsubscribe and subscribe ``keys`` again on the wire (a fresh snapshot follows)."""
        deadline = Deadline(self.request_timeout)
        try:
            self._wire_unsubscribe(connection, keys, deadline.remaining())
        except Exception as exc:
            self.log.info("unsubscribe before resubscribing failed: %s", exc)
        self._wire_subscribe(connection, keys, deadline.remaining())

    def _subscription_ended(self, key: Hashable, error: BaseException | None) -> None:
        for subscription in self._registry.route(key):
            self.log.warning("the exchange ended %s: %s", subscription.topic, error)
            self._registry.remove(subscription)
            subscription._end()
            if error is not None:
                self._report_error(error, None)

    def _callback_failed(self, exc: BaseException, event: Any) -> None:
        """Lane thread: a callback raised. Log it and tell the user's hook."""
        self.log.error("callback raised %s: %s", type(exc).__name__, exc, exc_info=exc)
        if self._on_callback_error is not None:
            try:
                self._on_callback_error(exc, self._undeferred(event))
            except Exception:
                self.log.exception("on_callback_error raised")

    def _delivery_failed(self, exc: BaseException, event: Any) -> None:
        """A queue overflowed (reader thread) or a host-executor callback raised (host thread)."""
        if isinstance(exc, SlowConsumer):
            self._report_error(exc, event)
        else:
            self._callback_failed(exc, event)

    def _undeferred(self, event: Any) -> Any:
        """``event`` for user code: a DataEvent whose data is still a frame left to the lanes
        (``Protocol.deferred``) gets its decoded JSON (``None`` for a text the protocol
        refuses); anything else as it is."""
        decoder = self._decoder
        if decoder is not None and type(event) is DataEvent and type(event.data) is decoder.kind:
            value = decoder.value(event.data)
            return event._replace(data=None if value is SKIPPED else value)
        return event

    def _report_error(self, exc: BaseException, event: Any) -> None:
        """Any thread: hand a problem to ``on_callback_error`` on a lane."""
        if self._on_callback_error is not None:
            self._run_hook(self._on_callback_error, exc, self._undeferred(event))

    def _connection_event(self, event: ConnectionEvent) -> None:
        if event.state is ConnectionState.LOST:
            for watcher in list(self._watchers):
                if watcher.connection_name == event.connection:
                    watcher._invalidate()
        if self._on_connection_event is None:
            return
        if self._closed.is_set():
            # Closing: we are on the user's thread that called close(); lanes are stopping.
            try:
                self._on_connection_event(event)
            except Exception:
                self.log.exception("on_connection_event raised")
            return
        self._run_hook(self._on_connection_event, event)

    def _run_hook(self, hook: Callable[..., None], *args: Any) -> None:
        with self._hooks_lock:
            if self._closed.is_set():
                return
            if self._hooks_lane is None:
                self._hooks_lane = self._dispatcher.assign()
        if self._hooks.put((hook, args)):
            self._dispatcher.schedule(self._hooks_lane, self._hooks, self._call_hook)

    def _call_hook(self, item: tuple[Callable[..., None], tuple[Any, ...]]) -> None:
        hook, args = item
        try:
            hook(*args)
        except Exception:
            self.log.exception("hook %r raised", hook)


def require_credentials(
    credentials: Credentials | None, exchange: str, *fields: str, purpose: str = "this call"
) -> Credentials:
    """Return ``credentials`` when every one of ``fields`` (default ``key``, ``secret``) is set.

    Raises:
        ConfigurationError: naming the missing fields, before anything is sent.
    """
    wanted = fields or ("key", "secret")
    missing = [name for name in wanted if credentials is None or not getattr(credentials, name)]
    if credentials is None or missing:
        listed = ", ".join(f"{name}=..." for name in wanted)
        raise ConfigurationError(
            f"{exchange}: {purpose} needs credentials=exwire.Credentials({listed})"
            + (f"; missing: {', '.join(missing)}" if credentials is not None else "")
        )
    return credentials


@functools.cache
def _shared_class(path: str) -> type[SharedClient]:
    module, _, name = path.partition(":")
    cls: type[SharedClient] = getattr(importlib.import_module(module), name)
    return cls


def _weak_ticker(ref: "weakref.ref[BaseClient]") -> Callable[[Any, str], "Ticker"]:
    def ticker(value: Any, symbol: str) -> "Ticker":
        client = ref()
        if client is None:
            raise InvalidState("the client is gone")
        return client.shared.ticker_from(value, symbol)

    return ticker


def _weak_resolve(ref: "weakref.ref[BaseClient]") -> Callable[[str], str]:
    def resolve(symbol: str) -> str:
        client = ref()
        if client is None:
            raise InvalidState("the client is gone")
        return client.shared.native_symbol(symbol)

    return resolve


def _weak_hook(
    ref: "weakref.ref[BaseClient]", method: Callable[["BaseClient", BaseException, Any], None]
) -> Callable[[BaseException, Any], None]:
    """A hook for a thread that must not keep the client alive: ``method(client, ...)`` while it exists."""

    def hook(exc: BaseException, event: Any) -> None:
        client = ref()
        if client is not None:
            method(client, exc, event)

    return hook


class _ClientListener(ConnectionListener):
    """The client's side of its connections, through a weak reference (see ``BaseClient``)."""

    __slots__ = ("_client",)

    def __init__(self, ref: "weakref.ref[BaseClient]") -> None:
        self._client = ref

    def _get(self) -> "BaseClient":
        client = self._client()
        if client is None:
            raise InvalidState("the client was garbage-collected")
        return client

    def opened(self, connection: Connection) -> None:
        self._get()._on_open(connection)

    def updates(self, burst: Burst) -> float:
        client = self._client()
        return 0.0 if client is None else client._updates(burst)

    def ended(self, key: Hashable, error: BaseException | None) -> None:
        client = self._client()
        if client is not None:
            client._subscription_ended(key, error)

    def event(self, event: ConnectionEvent) -> None:
        client = self._client()
        if client is not None:
            client._connection_event(event)


def _connection_word(connection: Connection) -> str:
    """A connection's state in one word: idle (not opened yet), connecting, connected,
    reconnecting or closed."""
    state = connection.state
    if state is State.NEW:
        return "idle"
    if state is State.OPEN:
        return "connected" if connection.is_ready else "connecting"
    return str(state.value)


def _collected(name: str, connections: dict[str, Connection], dispatcher: Dispatcher, hooks: Mailbox) -> None:
    """A client was garbage-collected without ``close()``: stop its threads and say so."""
    warnings.warn(
        f"unclosed {name}: call close() or use it in a with block; its threads are being stopped",
        ResourceWarning,
        stacklevel=2,
    )
    for connection in list(connections.values()):
        connection.close(timeout=1.0)
    hooks.close()
    dispatcher.close(timeout=1.0)
