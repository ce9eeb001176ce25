"""KrakenClient: Kraken Spot WebSocket API v1 (https://docs.kraken.com/api/docs/websocket-v1/)."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar, cast

from exwire._core import validate
from exwire._core.backoff import Deadline
from exwire._core.client import BaseClient, documented_options
from exwire._core.connection import Connection
from exwire._core.protocol import Update
from exwire.errors import ConfigurationError
from exwire.kraken import book as kraken_book
from exwire.kraken.models import BookUpdate, Kline, KlineInterval, Spread, SystemStatus, Ticker, Trade
from exwire.kraken.private import PrivateMethods
from exwire.kraken.protocol import PRIVATE_CHANNELS, SYSTEM_STATUS_KEY, KrakenProtocol, SequenceGap, channel_name
from exwire.kraken.symbols import normalize_symbol, normalize_symbols
from exwire.latest import TICKER, TOP_OF_BOOK
from exwire.models import DataEvent, Level, TopOfBook, UpdateType
from exwire.orderbook import BookSnapshot
from exwire.subscription import Subscription
from exwire.watcher import OrderBookWatcher

__all__ = ["KrakenClient", "BOOK_DEPTHS", "PRODUCTION_URL", "PRODUCTION_PRIVATE_URL", "PRODUCTION_REST_URL"]

#: Book depths Kraken accepts.
BOOK_DEPTHS = (10, 25, 100, 500, 1000)
#: Kraken's public v1 endpoint.
PRODUCTION_URL = "wss://ws.kraken.com"
#: Kraken's private (authenticated) v1 endpoint.
PRODUCTION_PRIVATE_URL = "wss://ws-auth.kraken.com"
#: Kraken's REST API, which issues the WebSocket tokens.
PRODUCTION_REST_URL = "https://api.kraken.com"


@documented_options
class KrakenClient(PrivateMethods, BaseClient):
    """Client of Kraken's Spot WebSocket API v1 (:doc:`the Kraken page </exchanges/kraken>`: public
    channels §4–§5 on ``url``, token §6, private channels §7 and trading §8 on ``private_url``).

    The constructor does no I/O: the public connection (``url``) opens on the first
    call that needs it, the private one (``private_url``, ``ws-auth``) on the first
    private stream or trading call, which also fetches a WebSocket token over REST
    (``rest_url``) with the ``credentials``. Private methods: ``get_websocket_token``,
    ``place_order``, ``cancel_order``, ``cancel_orders``, ``cancel_all_orders``,
    ``cancel_all_orders_after``, ``subscribe_to_order_updates`` and
    ``subscribe_to_user_trade_updates`` (see :mod:`exwire.kraken.private`).
    Updates run on the dispatcher lanes, never on the reader. The client sends
    ``ping`` (§4.1) on a connection that sent or received nothing for ``ping_interval``
    seconds, so Kraken's one-minute idle timeout never closes it, and re-establishes
    the connection when the ``pong`` is not back within ``pong_timeout`` seconds or
    nothing at all arrived for ``stale_timeout`` seconds (heartbeats come every second
    while subscribed). With the defaults a half-open connection (one that stopped
    delivering without closing) is noticed within about 21 s, at most 30 s. After a
    reconnect every active subscription is resubscribed and order books start again
    from a fresh snapshot.

    Thread-safe: every method may be called from any thread, callbacks included.
    Every blocking method takes ``timeout=`` (seconds; ``None``: ``request_timeout``).

    Args:
        url: public endpoint (default production ``wss://ws.kraken.com``).
        private_url: private/trading endpoint (default ``wss://ws-auth.kraken.com``).
        rest_url: REST base used to fetch WebSocket tokens (default ``https://api.kraken.com``);
            the client owns one ``requests`` session for it, closed by ``close``.
        ping_interval: seconds without sending or receiving after which a keep-alive
            ``ping`` goes out (default 10; at most one per interval).
        pong_timeout: seconds within which that ping's ``pong`` must arrive before the
            connection is re-established (default 10); ``None`` disables the check.
        stale_timeout: seconds without any inbound frame before reconnecting (default 30;
            must exceed ``ping_interval``); ``None`` disables the check.
        **options: the common client keywords:

            * ``credentials``: an :class:`exwire.Credentials` with the API key and its
              base64 secret, needed for private calls unless each passes
              ``websocket_token=``; ``None`` (default): public data only.
            {common_options}

    Raises:
        ConfigurationError: a bad keyword value (checked here, before any I/O).
    """

    exchange = "kraken"
    _shared_class: ClassVar[str] = "exwire.kraken.shared:KrakenShared"

    def __init__(
        self,
        *,
        url: str = PRODUCTION_URL,
        private_url: str = PRODUCTION_PRIVATE_URL,
        rest_url: str = PRODUCTION_REST_URL,
        ping_interval: float = 10.0,
        pong_timeout: float | None = 10.0,
        stale_timeout: float | None = 30.0,
        **options: Any,
    ) -> None:
        url = validate.url(url, "url")
        private_url = validate.url(private_url, "private_url")
        rest_url = validate.url(rest_url, "rest_url", schemes=("http", "https"))
        super().__init__(**options)
        if ping_interval is None or ping_interval <= 0:
            raise ConfigurationError("ping_interval must be positive seconds")
        if pong_timeout is not None and not pong_timeout > 0:
            raise ConfigurationError("pong_timeout must be positive seconds or None")
        if stale_timeout is not None and stale_timeout <= ping_interval:
            raise ConfigurationError("stale_timeout must exceed ping_interval (pongs prove liveness)")
        self.url = url
        self.private_url = private_url
        self.rest_url = rest_url
        self._public = self._add_connection(
            "public", url, KrakenProtocol(),
            ping_interval=ping_interval, pong_timeout=pong_timeout, stale_timeout=stale_timeout,
        )
        self._init_private(private_url, rest_url, ping_interval, stale_timeout, pong_timeout=pong_timeout)
        self._last_status: DataEvent[SystemStatus] | None = None

    def close(self, timeout: float | None = 5.0) -> None:
        """Close both connections, stop every thread and close the REST session.

        Pending requests fail with ``ConnectionClosed``; pull subscriptions end.
        Idempotent; safe to call from a callback.

        Args:
            timeout: total seconds to wait for threads to finish; ``None`` waits without limit.
        """
        super().close(timeout)
        self._token_fetcher.close()

    # -- general ---------------------------------------------------------------------

    def ping(self, *, timeout: float | None = None) -> float:
        """Send a ``ping`` on the public connection and wait for its ``pong`` (§4.1 of :doc:`the Kraken page </exchanges/kraken>`).

        Args:
            timeout: seconds to wait, the connection's opening included (``None``:
                ``request_timeout``).

        Returns:
            The round-trip time in seconds.

        Raises:
            ConfigurationError: a non-positive ``timeout``.
            InvalidState: the client is closed.
            ConnectError: the connection could not be opened.
            ConnectionClosed: the connection dropped first; the outcome is unknown (a ping
                changes nothing).
            RequestTimeout: no ``pong`` within ``timeout``; the outcome is unknown (a ping
                changes nothing).
        """
        self._check_open()
        connection = self._public
        timeout = self._opened(connection, self._timeout(timeout))
        protocol: KrakenProtocol = connection.protocol  # type: ignore[assignment]  # built with one
        request_id, frame = protocol.ping()
        started = time.perf_counter()
        connection.request(request_id, frame, timeout)
        return time.perf_counter() - started

    # -- subscriptions -------------------------------------------------------------------

    def subscribe_to_ticker_updates(
        self,
        symbols: str | Iterable[str],
        callback: Callable[[DataEvent[Ticker]], None] | None = None,
        *,
        timeout: float | None = None,
    ) -> Subscription[Ticker]:
        """Stream ticker updates (best bid/ask, last trade, daily stats) of one or more pairs (§5.1).

        ``event.data`` is an :class:`exwire.kraken.models.Ticker`: ``Decimal`` prices in
        the quote asset, volumes in the base asset, trade counts as ``int``;
        ``event.symbol`` is the pair. Every event is an ``UPDATE``.

        Args:
            symbols: one pair (``"XBT/USD"``; ``BTC`` is accepted for ``XBT``) or several.
            callback: ``callback(event)``; runs as the callback threading model in
                :mod:`exwire.subscription` says. ``None`` makes a pull subscription
                (iterate it or call ``get(timeout)``).
            timeout: seconds to wait for the connection and Kraken's acknowledgements
                (``None``: ``request_timeout``).

        Returns:
            The :class:`exwire.Subscription` of :class:`~exwire.kraken.models.Ticker`.

        Raises:
            ConfigurationError: no or malformed symbol, non-callable callback, non-positive
                ``timeout`` (nothing is sent).
            InvalidState: the client is closed.
            ConnectError: the public connection could not be opened.
            InvalidRequest: Kraken refused (e.g. unknown pair).
            RateLimited: Kraken refused for the message rate (``Exceeded msg rate``).
            ConnectionClosed, RequestTimeout: no acknowledgement; the outcome on Kraken's
                side is unknown (an unsubscribe is sent for the pairs already acknowledged)
                and the subscription is removed.
        """
        return cast("Subscription[Ticker]", self._subscribe_channel("ticker", symbols, callback, timeout))

    def subscribe_to_trade_updates(
        self,
        symbols: str | Iterable[str],
        callback: Callable[[DataEvent[list[Trade]]], None] | None = None,
        *,
        timeout: float | None = None,
    ) -> Subscription[list[Trade]]:
        """Stream trades of one or more pairs (§5.3); ``event.data`` is a list of
        :class:`exwire.kraken.models.Trade` (one frame may carry several trades): ``Decimal``
        price in the quote asset, volume in the base asset, aware UTC ``time``.

        Arguments and errors as
        :meth:`subscribe_to_ticker_updates`.
        """
        return cast("Subscription[list[Trade]]", self._subscribe_channel("trade", symbols, callback, timeout))

    def subscribe_to_spread_updates(
        self,
        symbols: str | Iterable[str],
        callback: Callable[[DataEvent[Spread]], None] | None = None,
        *,
        timeout: float | None = None,
    ) -> Subscription[Spread]:
        """Stream top-of-book (best bid and ask with volumes) of one or more pairs (§5.4);
        ``event.data`` is a :class:`exwire.kraken.models.Spread`: ``Decimal`` prices in the
        quote asset, volumes in the base asset, aware UTC ``time``.

        Arguments and errors as
        :meth:`subscribe_to_ticker_updates`.
        """
        return cast("Subscription[Spread]", self._subscribe_channel("spread", symbols, callback, timeout))

    def subscribe_to_kline_updates(
        self,
        symbols: str | Iterable[str],
        interval: KlineInterval | int,
        callback: Callable[[DataEvent[Kline]], None] | None = None,
        *,
        timeout: float | None = None,
    ) -> Subscription[Kline]:
        """Stream klines (OHLC candles) of one or more pairs (§5.2); ``event.data`` is a
        :class:`exwire.kraken.models.Kline` (``Decimal`` prices in the quote asset, volume in
        the base asset, aware UTC times). The first update is the last closed or running
        candle, possibly old (compare ``close_time``); later ones update the running candle.

        Args:
            interval: candle length in minutes: a :class:`KlineInterval` or one of
                1, 5, 15, 30, 60, 240, 1440, 10080, 21600.

        Other arguments and errors as
        :meth:`subscribe_to_ticker_updates`.

        Raises:
            ConfigurationError: an interval Kraken does not offer.
        """
        try:
            minutes = KlineInterval(interval)
        except ValueError:
            allowed = ", ".join(str(int(i)) for i in KlineInterval)
            raise ConfigurationError(f"interval must be one of {allowed} minutes, got {interval!r}") from None
        channel = channel_name("ohlc", interval=int(minutes))
        return cast("Subscription[Kline]", self._subscribe_channel(channel, symbols, callback, timeout))

    def subscribe_to_order_book_updates(
        self,
        symbols: str | Iterable[str],
        depth: int = 10,
        callback: Callable[[DataEvent[BookUpdate]], None] | None = None,
        *,
        timeout: float | None = None,
    ) -> Subscription[BookUpdate]:
        """Stream raw order book snapshots and updates of one or more pairs (§5.5).

        The first event per pair is a snapshot (``event.update_type`` is ``SNAPSHOT``),
        then updates carrying Kraken's checksum; ``event.data`` is a
        :class:`exwire.kraken.models.BookUpdate` (levels with ``Decimal`` prices in the quote
        asset and volumes in the base asset; a zero volume deletes the level). For a
        maintained, checksum-validated book use :meth:`watch_order_book` instead. Under the
        ``drop_oldest`` or ``latest`` overflow policies updates can be dropped, which breaks
        a book rebuilt from this stream; :meth:`watch_order_book` skips none.

        Args:
            depth: levels per side: 10, 25, 100, 500 or 1000 (default 10).

        Other arguments and errors as
        :meth:`subscribe_to_ticker_updates`.

        Raises:
            ConfigurationError: any other depth.
        """
        _check_depth(depth)
        channel = channel_name("book", depth=depth)
        return cast("Subscription[BookUpdate]", self._subscribe_channel(channel, symbols, callback, timeout))

    def subscribe_to_system_status_updates(
        self, callback: Callable[[DataEvent[SystemStatus]], None] | None = None, *, timeout: float | None = None
    ) -> Subscription[SystemStatus]:
        """Stream Kraken's engine status (§4.3): sent on every connect and on each change.

        ``event.data`` is a :class:`exwire.kraken.models.SystemStatus`; ``event.symbol`` is
        ``None``. Kraken needs no subscription for it: the client opens the connection if
        needed and delivers the status last received first (a ``SNAPSHOT``), then every
        change. Nothing is sent, so ``timeout`` bounds only the connection's opening.
        Callback and errors as :meth:`subscribe_to_ticker_updates`.
        """
        timeout = validate.positive_timeout(timeout)
        subscription: Subscription[SystemStatus] = self._subscribe(
            self._public, topic="systemStatus", keys=[SYSTEM_STATUS_KEY], callback=callback, timeout=timeout
        )
        if self._last_status is not None:
            self._registry.deliver([(subscription, self._last_status)])
        return subscription

    def watch_order_book(
        self,
        symbol: str,
        depth: int = 10,
        callback: Callable[[BookSnapshot], None] | None = None,
        *,
        timeout: float | None = None,
    ) -> OrderBookWatcher:
        """Maintain a local order book of one pair, validated by Kraken's CRC32 checksum.

        Applies the snapshot and every update in order, truncates each side to ``depth``
        after every message and checks the checksum after every update (§5.5). On a
        mismatch it logs, counts (``checksums_mismatched``) and resubscribes this book
        alone for a fresh snapshot.

        The book is applied on the connection's reader thread as each message is read
        (exwire's own code; nothing is queued), so no update is ever skipped, whatever the
        client's ``overflow``.

        Args:
            symbol: one pair, e.g. ``"XBT/USD"``.
            depth: levels per side: 10, 25, 100, 500 or 1000 (default 10).
            callback: optional ``callback(snapshot)`` with an immutable
                :class:`exwire.orderbook.BookSnapshot` (``Decimal`` prices in the quote
                asset, quantities in the base asset) of the newest book after applied
                messages, on a dispatcher lane (or the ``callback_executor``); a callback
                slower than the updates is given the newest book when it returns (the
                ones in between are skipped, never queued);
                ``None`` to only read the watcher on demand. ``client.latest.top_of_book`` follows the book either way.
            timeout: seconds to wait for the connection and the subscription's
                acknowledgement (``None``: ``request_timeout``).

        Returns:
            An :class:`exwire.OrderBookWatcher`; ``wait_synced()`` blocks until the
            first snapshot is applied; ``close()`` unsubscribes.

        Raises:
            ConfigurationError: bad symbol or depth, non-callable callback, non-positive
                ``timeout``.
            InvalidState: the client is closed.
            ConnectError: the public connection could not be opened.
            InvalidRequest: Kraken refused the subscription.
            RateLimited: Kraken refused for the message rate.
            ConnectionClosed, RequestTimeout: no acknowledgement; the outcome on Kraken's
                side is unknown (an unsubscribe is sent) and the watcher is not kept.
        """
        _check_depth(depth)
        timeout = validate.positive_timeout(timeout)
        if callback is not None and not callable(callback):
            raise ConfigurationError("callback must be callable")
        pair = normalize_symbol(symbol)
        key = (channel_name("book", depth=depth), pair)
        return self._watch(
            self._public,
            symbol=pair,
            depth=depth,
            keys=[key],
            topic=f"book:{pair}:{depth}",
            apply=kraken_book.apply_update,
            checksum=kraken_book.checksum,
            callback=callback,
            timeout=timeout,
            on_reader=True,
        )

    # -- wire -------------------------------------------------------------------------

    def _subscribe_channel(
        self,
        channel: str,
        symbols: str | Iterable[str],
        callback: Callable[[DataEvent[Any]], None] | None,
        timeout: float | None,
    ) -> Subscription[Any]:
        pairs = normalize_symbols(symbols)
        timeout = validate.positive_timeout(timeout)
        return self._subscribe(
            self._public,
            topic=f"{channel}:{','.join(pairs)}",
            keys=[(channel, pair) for pair in pairs],
            callback=callback,
            timeout=timeout,
        )

    def _wire_subscribe(self, connection: Connection, keys: list[Hashable], timeout: float | None) -> None:
        self._wire(connection, keys, timeout, unsubscribe=False)

    def _wire_unsubscribe(self, connection: Connection, keys: list[Hashable], timeout: float | None) -> None:
        self._wire(connection, keys, timeout, unsubscribe=True)

    def _wire(self, connection: Connection, keys: list[Hashable], timeout: float | None, *, unsubscribe: bool) -> None:
        deadline = Deadline(timeout)
        protocol = cast(KrakenProtocol, connection.protocol)  # this client's connections speak Kraken
        by_channel: dict[str, list[str]] = {}
        for key in keys:
            channel, pair = cast("tuple[str, str]", key)  # routing keys are (channelName, pair)
            if channel in PRIVATE_CHANNELS:
                self._wire_private(connection, (channel, pair), deadline, unsubscribe=unsubscribe)
            elif (channel, pair) != SYSTEM_STATUS_KEY:
                by_channel.setdefault(channel, []).append(pair)
        for channel, pairs in by_channel.items():
            request_id, frame = protocol.subscribe(channel, pairs, unsubscribe=unsubscribe)
            try:
                # One subscriptionStatus comes back per pair (§4.4).
                connection.request(request_id, frame, deadline.remaining(), expected=len(pairs), wait_ready=False)
            except Exception:
                if not unsubscribe:
                    # Undo the pairs that did succeed; their acks match nothing and are ignored.
                    _, undo = protocol.subscribe(channel, pairs, unsubscribe=True)
                    try:
                        connection.send(undo, wait_ready=False)
                    except Exception:
                        pass
                raise

    # System status and sequence gaps name no pair: the client acts on them (_intercept).
    _intercept_unnamed = True

    def _latest_feed(self, data_type: type) -> tuple[str, Callable[[Update], Any] | None] | None:
        if issubclass(data_type, Ticker):
            return TICKER, None
        if issubclass(data_type, Spread):
            return TOP_OF_BOOK, _spread_top
        return None

    def _intercept(self, update: Update, received_at: datetime) -> Update | None:
        if update.key is SYSTEM_STATUS_KEY or update.key == SYSTEM_STATUS_KEY:
            self._last_status = DataEvent(update.data, "systemStatus", None, received_at, UpdateType.SNAPSHOT)
        elif isinstance(update.data, SequenceGap):
            self._sequence_gap(update.data)
            return None
        return update


def _spread_top(update: Update) -> TopOfBook:
    """A spread push as the top of book ``client.latest`` keeps (a missing quantity is 0)."""
    spread: Spread = update.data
    return TopOfBook(
        bid=Level(price=spread.bid_price, quantity=spread.bid_quantity or Decimal(0)),
        ask=Level(price=spread.ask_price, quantity=spread.ask_quantity or Decimal(0)),
    )


def _check_depth(depth: object) -> None:
    if depth not in BOOK_DEPTHS or isinstance(depth, bool):
        raise ConfigurationError(f"depth must be one of {', '.join(map(str, BOOK_DEPTHS))}, got {depth!r}")

