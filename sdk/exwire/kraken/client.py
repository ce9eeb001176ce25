"""KrakenClient: Kraken Spot WebSocket API v1 (``reference/protocols/kraken.md``)."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from exwire._core import validate
from exwire._core.backoff import Deadline
from exwire._core.client import BaseClient, Deliveries, documented_options
from exwire._core.connection import Connection
from exwire._core.protocol import Update
from exwire._core.subscription import Subscription
from exwire.errors import ConfigurationError
from exwire.kraken import book as kraken_book
from exwire.kraken.models import KlineInterval
from exwire.kraken.pairs import normalize_pair, normalize_pairs
from exwire.kraken.private import PrivateMethods
from exwire.kraken.protocol import PRIVATE_CHANNELS, SYSTEM_STATUS_KEY, KrakenProtocol, channel_name
from exwire.latest import TICKER, TOP_OF_BOOK
from exwire.models import DataEvent, Level, TopOfBook, UpdateType
from exwire.orderbook import BookSnapshot
from exwire.watcher import OrderBookWatcher

__all__ = ["KrakenClient", "BOOK_DEPTHS", "normalize_pair", "normalize_pairs"]

#: Book depths Kraken accepts (§4.4).
BOOK_DEPTHS = (10, 25, 100, 500, 1000)

Callback = Callable[[DataEvent], None]


@documented_options
class KrakenClient(PrivateMethods, BaseClient):
    """Client of Kraken's Spot WebSocket API v1 (``reference/protocols/kraken.md``: public
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

    def __init__(
        self,
        *,
        url: str = "wss://ws.kraken.com",
        private_url: str = "wss://ws-auth.kraken.com",
        rest_url: str = "https://api.kraken.com",
        ping_interval: float = 10.0,
        pong_timeout: float | None = 10.0,
        stale_timeout: float | None = 30.0,
        **options: Any,
    ) -> None:
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
        self._last_status: DataEvent | None = None

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
        """Send a ``ping`` on the public connection and wait for its ``pong`` (kraken.md §4.1).

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
        timeout = self._timeout(validate.positive_timeout(timeout))
        deadline = Deadline(timeout)
        self._public.ensure_open(deadline.remaining())
        request_id, frame = self._public.protocol.ping()
        started = time.perf_counter()
        self._public.request(request_id, frame, deadline.remaining())
        return time.perf_counter() - started

    # -- subscriptions -------------------------------------------------------------------

    def subscribe_to_ticker_updates(
        self, symbols: str | Iterable[str], callback: Callback | None = None, *, timeout: float | None = None
    ) -> Subscription:
        """Stream ticker updates (best bid/ask, last trade, daily stats) of one or more pairs (§5.1).

        ``event.data`` is an :class:`exwire.kraken.models.Ticker`: ``Decimal`` prices in
        the quote asset, volumes in the base asset, trade counts as ``int``;
        ``event.symbol`` is the pair. Every event is an ``UPDATE``.

        Args:
            symbols: one pair (``"XBT/USD"``; ``BTC`` is accepted for ``XBT``) or several.
            callback: ``callback(event)``, run on a dispatcher lane (a thread
                ``exwire-kraken-dispatch-<n>``) or, when the client has a
                ``callback_executor``, by that executor; never on the reader thread.
                Updates of one subscription run one at a time, in arrival order;
                different subscriptions run in parallel. Up to ``queue_size`` updates
                wait per subscription; beyond that the client's ``overflow`` policy
                applies (``block``: the reader waits up to ``block_timeout`` seconds, then
                drops the update and reports ``SlowConsumer`` to ``on_callback_error``;
                ``drop_oldest``; ``latest``). ``None`` makes a pull subscription (iterate
                it or call ``get(timeout)``) with the same bounded queue and policy.
            timeout: seconds to wait for the connection and Kraken's acknowledgements
                (``None``: ``request_timeout``).

        Returns:
            The :class:`exwire.Subscription`.

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
        return self._subscribe_channel("ticker", symbols, callback, timeout)

    def subscribe_to_trade_updates(
        self, symbols: str | Iterable[str], callback: Callback | None = None, *, timeout: float | None = None
    ) -> Subscription:
        """Stream trades of one or more pairs (§5.3); ``event.data`` is a list of
        :class:`exwire.kraken.models.Trade` (one frame may carry several trades): ``Decimal``
        price in the quote asset, volume in the base asset, aware UTC ``time``.

        Arguments, callback thread, ordering, backlog policy and errors as
        :meth:`subscribe_to_ticker_updates`.
        """
        return self._subscribe_channel("trade", symbols, callback, timeout)

    def subscribe_to_spread_updates(
        self, symbols: str | Iterable[str], callback: Callback | None = None, *, timeout: float | None = None
    ) -> Subscription:
        """Stream top-of-book (best bid and ask with volumes) of one or more pairs (§5.4);
        ``event.data`` is a :class:`exwire.kraken.models.Spread`: ``Decimal`` prices in the
        quote asset, volumes in the base asset, aware UTC ``time``.

        Arguments, callback thread, ordering, backlog policy and errors as
        :meth:`subscribe_to_ticker_updates`.
        """
        return self._subscribe_channel("spread", symbols, callback, timeout)

    def subscribe_to_kline_updates(
        self,
        symbols: str | Iterable[str],
        interval: KlineInterval | int,
        callback: Callback | None = None,
        *,
        timeout: float | None = None,
    ) -> Subscription:
        """Stream klines (OHLC candles) of one or more pairs (§5.2); ``event.data`` is a
        :class:`exwire.kraken.models.Kline` (``Decimal`` prices in the quote asset, volume in
        the base asset, aware UTC times). The first update is the last closed or running
        candle, possibly old (compare ``end_time``); later ones update the running candle.

        Args:
            interval: candle length in minutes: a :class:`KlineInterval` or one of
                1, 5, 15, 30, 60, 240, 1440, 10080, 21600.

        Other arguments, callback thread, ordering, backlog policy and errors as
        :meth:`subscribe_to_ticker_updates`.

        Raises:
            ConfigurationError: an interval Kraken does not offer.
        """
        try:
            interval = KlineInterval(interval)
        except ValueError:
            allowed = ", ".join(str(int(i)) for i in KlineInterval)
            raise ConfigurationError(f"interval must be one of {allowed} minutes, got {interval!r}") from None
        return self._subscribe_channel(channel_name("ohlc", interval=int(interval)), symbols, callback, timeout)

    def subscribe_to_order_book_updates(
        self,
        symbols: str | Iterable[str],
        depth: int = 10,
        callback: Callback | None = None,
        *,
        timeout: float | None = None,
    ) -> Subscription:
        """Stream raw order book snapshots and updates of one or more pairs (§5.5).

        The first event per pair is a snapshot (``event.update_type`` is ``SNAPSHOT``),
        then updates carrying Kraken's checksum; ``event.data`` is a
        :class:`exwire.kraken.models.BookUpdate` (levels with ``Decimal`` prices in the quote
        asset and volumes in the base asset; a zero volume deletes the level). For a
        maintained, checksum-validated book use :meth:`watch_order_book` instead. Under the
        ``drop_oldest`` or ``latest`` overflow policies updates can be dropped, which breaks
        a book rebuilt from this stream; :meth:`watch_order_book` always back-pressures.

        Args:
            depth: levels per side: 10, 25, 100, 500 or 1000 (default 10).

        Other arguments, callback thread, ordering, backlog policy and errors as
        :meth:`subscribe_to_ticker_updates`.

        Raises:
            ConfigurationError: any other depth.
        """
        _check_depth(depth)
        return self._subscribe_channel(channel_name("book", depth=depth), symbols, callback, timeout)

    def subscribe_to_system_status_updates(
        self, callback: Callback | None = None, *, timeout: float | None = None
    ) -> Subscription:
        """Stream Kraken's engine status (§4.3): sent on every connect and on each change.

        ``event.data`` is a :class:`exwire.kraken.models.SystemStatus`; ``event.symbol`` is
        ``None``. Kraken needs no subscription for it: the client opens the connection if
        needed and delivers the status last received first (a ``SNAPSHOT``), then every
        change. Nothing is sent, so ``timeout`` bounds only the connection's opening.
        Callback thread, ordering, backlog policy and errors as
        :meth:`subscribe_to_ticker_updates`.
        """
        timeout = validate.positive_timeout(timeout)
        subscription = self._subscribe(
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

        The book's own subscription always back-pressures (the ``block`` policy,
        whatever the client's ``overflow``), so no update is ever skipped.

        Args:
            symbol: one pair, e.g. ``"XBT/USD"``.
            depth: levels per side: 10, 25, 100, 500 or 1000 (default 10).
            callback: optional ``callback(snapshot)`` with an immutable
                :class:`exwire.orderbook.BookSnapshot` (``Decimal`` prices in the quote
                asset, volumes in the base asset) after each applied message, run on the
                book's dispatcher lane (``exwire-kraken-dispatch-<n>``) or, with a
                ``callback_executor``, by that executor, in order; ``None`` to only read
                the watcher on demand. ``client.latest.top_of_book`` follows the book either way.
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
        pair = normalize_pair(symbol)
        key = (channel_name("book", depth=depth), pair)
        return self._watch(
            self._public,
            symbol=pair,
            depth=depth,
            keys=[key],
            topic=f"book:{pair}:{depth}",
            apply=_apply_book,
            checksum=kraken_book.checksum,
            callback=callback,
            timeout=timeout,
        )

    # -- wire -------------------------------------------------------------------------

    def _subscribe_channel(
        self, channel: str, symbols: str | Iterable[str], callback: Callback | None, timeout: float | None
    ) -> Subscription:
        pairs = normalize_pairs(symbols)
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
        protocol: KrakenProtocol = connection.protocol  # type: ignore[assignment]
        by_channel: dict[str, list[str]] = {}
        for channel, pair in keys:  # type: ignore[misc]
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

    def _latest(self, update):  # type: ignore[override]
        channel = update.key[0]
        if channel == "ticker":
            return TICKER, update.data
        if channel == "spread":
            spread = update.data
            return TOP_OF_BOOK, TopOfBook(
                Level(spread.bid, spread.bid_volume) if spread.bid_volume is not None else Level(spread.bid, Decimal(0)),
                Level(spread.ask, spread.ask_volume) if spread.ask_volume is not None else Level(spread.ask, Decimal(0)),
            )
        return None

    def _deliver(self, update: Update, received_at: datetime, frame: str | bytes, out: Deliveries) -> None:
        if update.key is SYSTEM_STATUS_KEY or update.key == SYSTEM_STATUS_KEY:
            self._last_status = DataEvent(update.data, "systemStatus", None, received_at, UpdateType.SNAPSHOT)
        super()._deliver(update, received_at, frame, out)


def _check_depth(depth: Any) -> None:
    if depth not in BOOK_DEPTHS or isinstance(depth, bool):
        raise ConfigurationError(f"depth must be one of {', '.join(map(str, BOOK_DEPTHS))}, got {depth!r}")


def _apply_book(book, update) -> int | None:
    kraken_book.apply(book, update)
    return update.checksum
