"""``watch_order_book``: a local order book kept by Binance's documented procedure.

"How to manage a local order book correctly" (Spot "WebSocket Streams",
https://developers.binance.com/docs/binance-spot-api-docs/web-socket-streams) and its
futures counterparts (USDⓈ-M / COIN-M "Diff. Book Depth Streams"): the diff depth stream
``<symbol>@depth@100ms`` is subscribed first and its events buffered; then the snapshot is
fetched (spot and USDⓈ-M through the WS API ``depth`` method, COIN-M through REST
``GET /dapi/v1/depth``, which its WS API lacks); :mod:`exwire.binance.book` bridges and
chains the events and decides when the book must start again.

Each watched book is run by a :class:`_BookFeed` on its subscription's dispatcher lane:
stream events, the snapshot and any later resync fetch happen there, in order, so the
book is never touched by two threads. The watcher itself is the engine's
:class:`exwire.OrderBookWatcher`, fed one ``SNAPSHOT`` event per installed snapshot and
one ``UPDATE`` per applied diff.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

import requests

from exwire._core import validate
from exwire._core.connection import Connection
from exwire.binance._validation import futures_market
from exwire.binance.book import (
    DepthSequencer,
    DepthSnapshot,
    Outcome,
    ResyncPacer,
    apply_snapshot,
    apply_update,
)
from exwire.binance.enums import FuturesMarket
from exwire.binance.protocol import map_error
from exwire.binance.stream_models import DepthUpdate
from exwire.errors import ConfigurationError, ConnectError, DecodeError, ExchangeUnavailable, RequestTimeout
from exwire.models import DataEvent, Level, UpdateType
from exwire.orderbook import BookSnapshot, OrderBook
from exwire.subscription import Subscription
from exwire.watcher import OrderBookWatcher

if TYPE_CHECKING:
    from exwire.binance.client import BinanceClient

__all__ = ["BookMethods", "snapshot_limit"]

#: Largest ``depth`` per market: the snapshot's maximum ``limit`` (spot 5000, futures 1000).
MAX_DEPTH = {None: 5000, FuturesMarket.USDM: 1000, FuturesMarket.COINM: 1000}
#: Snapshot limits taken, smallest first: each is the top of a request-weight tier (spot
#: 1–100, 101–500, 501–1000, 1001–5000; futures up to 50, 100, 500, 1000), so the deepest
#: snapshot of the tier costs no more and leaves fewer unknown levels.
_LIMITS = {None: (100, 500, 1000, 5000), FuturesMarket.USDM: (50, 100, 500, 1000),
           FuturesMarket.COINM: (50, 100, 500, 1000)}
_WAKE = object()  # the data of the event that tells the lane a snapshot was offered


def snapshot_limit(depth: Any, market: FuturesMarket | None) -> int:
    """The snapshot ``limit`` for a book of ``depth`` levels per side on ``market``.

    Raises:
        ConfigurationError: ``depth`` is not an integer from 1 to 5000 (spot) or 1000 (futures).
    """
    top = MAX_DEPTH[market]
    if type(depth) is not int or not 1 <= depth <= top:
        where = "spot" if market is None else market.value
        raise ConfigurationError(f"depth must be an integer from 1 to {top} on {where}, got {depth!r}")
    return next(limit for limit in _LIMITS[market] if limit >= depth)


def _apply(book: OrderBook, data: Any) -> None:
    """The watcher's ``apply``: a snapshot replaces the book, a diff sets its levels."""
    if isinstance(data, DepthSnapshot):
        apply_snapshot(book, data)
    else:
        apply_update(book, data)


class _BookFeed:
    """One watched book: runs the procedure on the lane and feeds the watcher.

    Thread-safety: :meth:`on_event` runs on the subscription's lane only; :meth:`offer`
    (the first snapshot, fetched by the caller of ``watch_order_book``) may come from
    any thread and is handed to the lane under ``_offer_lock``.
    """

    def __init__(self, *, symbol: str, futures: bool, topic: str,
                 fetch: Callable[[], DepthSnapshot], log: Any) -> None:
        self.symbol = symbol
        self.topic = topic
        self.watcher: OrderBookWatcher | None = None
        self._fetch = fetch
        self._forward: Callable[[DataEvent[Any]], None] | None = None
        self._sequencer = DepthSequencer(futures=futures)
        self._pacer = ResyncPacer()
        self._started = False  # lane only: the first snapshot was offered, resyncs are ours
        self._offer_lock = threading.Lock()  # guards _offered
        self._offered: DepthSnapshot | None = None
        self.log = log

    def bind(self, callback: Callable[[DataEvent[Any]], None]) -> None:
        """Remember where the watcher takes its events (``watcher._on_event``)."""
        self._forward = callback

    def offer(self, snapshot: DepthSnapshot) -> None:
        """Any thread: hand a snapshot to the lane (installed with the next event)."""
        with self._offer_lock:
            self._offered = snapshot

    # -- the lane ----------------------------------------------------------------------------

    def on_event(self, event: DataEvent[Any]) -> None:
        """The stream subscription's callback (and the wake-up after :meth:`offer`)."""
        watcher = self.watcher
        data = event.data
        if watcher is None:  # still inside watch_order_book: only buffer
            if isinstance(data, DepthUpdate):
                self._sequencer.push(data)
            return
        if event.dropped_before:
            watcher.updates_lost += event.dropped_before  # the chain check shows the gap
        if self._sequencer.installed and not watcher.synced:
            # The engine marked the book stale (its connection dropped): ids of the new
            # connection prove nothing about the old one's, so start again.
            self._restart(watcher, "the stream connection dropped")
        with self._offer_lock:
            offered, self._offered = self._offered, None
        if offered is not None:
            self._started = True
            self._install(watcher, offered, event.received_at)
        if isinstance(data, DepthUpdate):
            self._push(watcher, data, event)
        if self._started and not self._sequencer.installed and self._pacer.ready():
            try:
                snapshot = self._fetch()
            except Exception as exc:
                delay = self._pacer.failed()
                self.log.warning("%s book: snapshot failed (%s); next try in %.1f s or later", self.symbol, exc, delay)
                return
            self._install(watcher, snapshot, event.received_at)

    def _push(self, watcher: OrderBookWatcher, update: DepthUpdate, event: DataEvent[Any]) -> None:
        outcome = self._sequencer.push(update)
        if outcome is Outcome.APPLIED:
            self._send(DataEvent(update, self.topic, self.symbol, event.received_at, UpdateType.UPDATE, event.raw))
        elif outcome is Outcome.STALE:
            watcher.updates_skipped += 1
        elif outcome is Outcome.GAP:
            self._lost(watcher, f"sequence gap before update {update.first_update_id}")
        elif outcome is Outcome.TOO_OLD:
            self._pacer.failed()
            self._lost(watcher, "the snapshot is older than the stream", pace=False)

    def _install(self, watcher: OrderBookWatcher, snapshot: DepthSnapshot, received_at: datetime) -> None:
        installed = self._sequencer.install(snapshot)
        watcher.updates_skipped += installed.stale
        if installed.outcome is not Outcome.SYNCED:
            delay = self._pacer.failed()
            self.log.info("%s book: snapshot %d refused (%s); fetching another in %.1f s", self.symbol,
                          snapshot.last_update_id, installed.outcome.value, delay)
            return
        self._pacer.synced()
        self._send(DataEvent(snapshot, self.topic, self.symbol, received_at, UpdateType.SNAPSHOT))
        for update in installed.updates:
            self._send(DataEvent(update, self.topic, self.symbol, received_at, UpdateType.UPDATE))

    def _lost(self, watcher: OrderBookWatcher, reason: str, *, pace: bool = True) -> None:
        """The book broke: mark it stale, count a resync, fetch again when the pacer allows."""
        self.log.warning("%s book: %s; resynchronising", self.symbol, reason)
        watcher._invalidate()
        watcher.resyncs += 1
        if pace:
            self._pacer.lost()

    def _restart(self, watcher: OrderBookWatcher, reason: str) -> None:
        self._sequencer.restart()
        self._lost(watcher, reason)

    def _send(self, event: DataEvent[Any]) -> None:
        if self._forward is not None:
            self._forward(event)


class BookMethods:
    """Mixin of :class:`exwire.BinanceClient` (see the module docstring)."""

    def watch_order_book(
        self,
        symbol: str,
        depth: int = 1000,
        *,
        market: FuturesMarket | None = None,
        callback: Callable[[BookSnapshot], None] | None = None,
        timeout: float | None = None,
    ) -> OrderBookWatcher:
        """Maintain a local order book of one symbol, kept by Binance's documented procedure.

        Subscribes ``<symbol>@depth@100ms`` and buffers it, then fetches a snapshot of at
        least ``depth`` levels (the top of its request-weight tier: spot 100, 500, 1000 or
        5000, futures 50, 100, 500 or 1000; spot and USDⓈ-M through the WS
        API ``depth`` method, COIN-M through ``GET <coinm_rest_url>/dapi/v1/depth``),
        drops the events it covers, bridges the first one (spot ``U <= lastUpdateId+1 <= u``,
        futures ``U <= lastUpdateId <= u``) and then checks every event continues the last
        (spot ``U == previous u + 1``, futures ``pu == previous u``). A gap, a snapshot
        older than the stream, or a dropped stream connection marks the book not synced,
        counts a resync (``resyncs``) and starts again from a fresh snapshot with the
        next stream event; one snapshot of a book is fetched at a time, and snapshots that
        keep failing (or books that keep breaking right after syncing) are retried with an
        exponential backoff up to 30 s. Resynchronisation is driven by the stream: after a
        reconnect the book stays not synced until the next diff event arrives. Resync
        snapshots are fetched on the book's dispatcher lane (a blocking request of at
        most ``request_timeout``), so other subscriptions sharing that lane wait for it.

        The book keeps every level it learns, including levels past the snapshot's depth
        that the stream creates (cutting them off would lose a level that moves back into
        the top); ``callback`` snapshots and ``snapshot(depth)`` give the top ``depth``.

        Args:
            symbol: e.g. ``"BTCUSDT"`` (COIN-M ``"BTCUSD_PERP"``), any case.
            depth: levels per side reported: 1–5000 on spot, 1–1000 on futures (default 1000).
            market: ``None`` for spot, ``FuturesMarket.USDM`` or ``FuturesMarket.COINM``.
            callback: optional ``callback(snapshot)`` with an immutable
                :class:`exwire.orderbook.BookSnapshot` of the top ``depth`` levels (``Decimal``
                prices in the quote asset, quantities in the base asset, contracts on COIN-M)
                after each applied snapshot and update; runs as the callback threading
                model in :mod:`exwire.subscription` says, in order. ``None`` to read the
                watcher on demand. On spot ``client.latest.top_of_book`` follows the book
                either way (futures books leave it to the spot pairs of the same name).
            timeout: seconds for the subscription's reply and for the first snapshot
                each (``None``: ``request_timeout``).

        Returns:
            An :class:`exwire.OrderBookWatcher`; ``wait_synced()`` blocks until the first
            snapshot is installed; ``close()`` unsubscribes.

        Raises:
            ConfigurationError: bad symbol, depth or market, non-callable callback, bad
                ``timeout``; a client built with ``raw=True``.
            InvalidState: the client is closed.
            InvalidRequest: Binance refused the subscription or the snapshot (an unknown
                symbol); the watcher is closed again.
            RateLimited: the snapshot's request weight was refused.
            ConnectError, ConnectionClosed, RequestTimeout: no connection or no reply to the
                subscription or the snapshot; the watcher is closed again.
        """
        client = cast("BinanceClient", self)
        client._require_typed("watch_order_book")
        name = validate.symbol(symbol)
        member = None if market is None else futures_market(market)
        limit = snapshot_limit(depth, member)
        timeout = validate.positive_timeout(timeout)
        if callback is not None and not callable(callback):
            raise ConfigurationError(f"callback must be callable, got {type(callback).__name__}")
        upper = name.upper()
        stream = f"{name.lower()}@depth@100ms"
        topic = ("" if member is None else f"{member.value}:") + f"book:{upper}:{depth}"
        fetch = _book_fetcher(client, upper, limit, member)
        feed = _BookFeed(symbol=upper, futures=member is not None, topic=topic, fetch=fetch, log=client.log)

        def subscribe(connection: Connection, *, topic: str, keys: list[Hashable],
                      callback: Callable[[DataEvent[Any]], None], timeout: float | None,
                      internal: bool = True) -> Subscription[Any]:
            feed.bind(callback)
            return client._subscribe_streams(member, [stream], feed.on_event, topic=topic, timeout=timeout,
                                           internal=True)

        connection = client._stream_connection(member, stream)
        watcher = client._watch(
            connection, symbol=upper, depth=depth, keys=[(connection.name, stream)], topic=topic, apply=_apply,
            checksum=None, callback=None if callback is None else _top(callback, depth), timeout=timeout,
            resync=lambda: None, subscribe=subscribe,
            # Futures symbols (BTCUSDT) would overwrite the spot pair's top of book.
            feeds_latest=member is None,
        )
        feed.watcher = watcher
        try:
            snapshot = _book_fetcher(client, upper, limit, member, timeout)()
        except BaseException:
            watcher.close()
            raise
        feed.offer(snapshot)
        subscription = watcher.subscription
        if subscription is not None:
            now = datetime.now(UTC)
            client._registry.deliver([(subscription, DataEvent(_WAKE, topic, upper, now, UpdateType.SNAPSHOT))])
        return watcher



def _book_fetcher(client: BinanceClient, symbol: str, limit: int, market: FuturesMarket | None,
                  timeout: float | None = None) -> Callable[[], DepthSnapshot]:
    """A function fetching one snapshot of ``symbol`` (``timeout``: ``request_timeout``)."""
    if market is None:
        def spot() -> DepthSnapshot:
            book = client.get_spot_order_book(symbol, limit, timeout=timeout)
            return DepthSnapshot(last_update_id=book.last_update_id, bids=book.bids, asks=book.asks)
        return spot
    if market is FuturesMarket.USDM:
        def usdm() -> DepthSnapshot:
            book = client.get_futures_order_book(symbol, limit, market=FuturesMarket.USDM, timeout=timeout)
            return DepthSnapshot(last_update_id=book.last_update_id, bids=book.bids, asks=book.asks)
        return usdm

    def coinm() -> DepthSnapshot:
        return _coinm_depth(client, symbol, limit, client._timeout(timeout))
    return coinm


def _top(callback: Callable[[BookSnapshot], None], depth: int) -> Callable[[BookSnapshot], None]:
    """The user's callback, given the top ``depth`` levels of each snapshot."""
    def call(snapshot: BookSnapshot) -> None:
        callback(BookSnapshot(snapshot.bids[:depth], snapshot.asks[:depth], snapshot.update_count))
    return call


def _coinm_depth(client: BinanceClient, symbol: str, limit: int, timeout: float | None) -> DepthSnapshot:
    """``GET <coinm_rest_url>/dapi/v1/depth`` (COIN-M "Order Book"), honouring the client's
    proxy and TLS context.

    Raises:
        InvalidRequest, RateLimited, ExchangeError: Binance's refusal (``{"code", "msg"}``).
        ExchangeUnavailable: HTTP 5xx without a Binance error.
        ConnectError: the endpoint could not be reached; RequestTimeout: no reply in time.
        DecodeError: the reply is not an order book.
    """
    url = client.coinm_rest_url.rstrip("/") + "/dapi/v1/depth"
    network = client.network
    proxies = network.requests_proxies
    with requests.Session() as session:
        session.proxies.update(proxies)
        if network.ssl_context is not None:
            from exwire.kraken.rest import _ContextAdapter  # the one requests adapter for an SSLContext
            session.mount("https://", _ContextAdapter(network.ssl_context))
        try:
            response = session.get(url, params={"symbol": symbol, "limit": str(limit)}, timeout=timeout,
                                   proxies=proxies or None, headers={"User-Agent": "exwire"})
        except requests.Timeout as exc:
            raise RequestTimeout(f"binance: no reply from {url} within {timeout} s") from exc
        except requests.RequestException as exc:
            raise ConnectError(f"binance: could not reach {url}: {type(exc).__name__}") from exc
    try:
        document = response.json()
    except ValueError:
        document = None
    if response.status_code >= 400 or not isinstance(document, dict) or "lastUpdateId" not in document:
        if isinstance(document, dict) and "code" in document:
            raise map_error(document, response.status_code, response.text, product="coinm")
        if response.status_code >= 500:
            raise ExchangeUnavailable("binance", response.status_code, f"HTTP {response.status_code} from {url}")
        raise DecodeError(f"binance: {url} answered HTTP {response.status_code} without an order book")
    try:
        return DepthSnapshot(
            last_update_id=int(document["lastUpdateId"]),
            bids=tuple(Level(_decimal(p), _decimal(q)) for p, q in document["bids"]),
            asks=tuple(Level(_decimal(p), _decimal(q)) for p, q in document["asks"]),
        )
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        raise DecodeError(f"binance: malformed order book from {url}: {exc}") from exc


def _decimal(value: object) -> Decimal:
    if not isinstance(value, str):
        raise ValueError(f"not a decimal string: {value!r}")
    return Decimal(value)
