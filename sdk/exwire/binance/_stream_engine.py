"""The stream connections of :class:`~exwire.binance.client.BinanceClient`: routes, live
``SUBSCRIBE``/``UNSUBSCRIBE``, pacing and resubscription.

One combined-stream connection per market route, each opened on its first subscription:

========================  ========================================  ===========================
connection name           URL                                       streams
========================  ========================================  ===========================
``spot-stream``           ``<stream_url>/stream``                   every spot stream
``usdm-public``           ``<usdm_stream_url>/public/stream``       ``@bookTicker``, ``@depth…``, ``@trade``
``usdm-market``           ``<usdm_stream_url>/market/stream``       every other USDⓈ-M stream
``coinm-stream``          ``<coinm_stream_url>/stream``             every COIN-M stream
========================  ========================================  ===========================

(USDⓈ-M's route split: "Important WebSocket Change Notice" of the derivatives
documentation; unrouted URLs stopped delivering ``/market`` streams on 2026-04-23.)

Each subscription is one ``SUBSCRIBE`` carrying all its new streams, correlated by id
(a refusal raises the mapped :class:`~exwire.errors.ExchangeError`). Control messages
on a connection are at least :data:`CONTROL_SPACING` seconds apart (Binance disconnects
above 5 incoming messages a second on spot, 10 on futures: pings and pongs count too),
and the client keeps the reference count of each stream: the last local subscriber
leaving sends the ``UNSUBSCRIBE``. After a reconnect the full current set goes out again,
each stream once, in ``SUBSCRIBE`` messages of at most :data:`STREAMS_PER_MESSAGE`
streams. Keep-alive: a WebSocket ping frame after :data:`PING_INTERVAL` seconds without
traffic, and a reconnect when nothing arrived within :data:`PONG_TIMEOUT` seconds after
it; Binance's own ping frames are answered by the transport on the reader thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable, Sequence
from decimal import Decimal
from typing import Any

from exwire._core.backoff import Deadline
from exwire._core.connection import Connection
from exwire._core.protocol import Update
from exwire.binance.enums import FuturesMarket
from exwire.binance.stream_models import BookTickerUpdate, TickerUpdate
from exwire.binance.stream_protocol import BinanceStreamProtocol
from exwire.errors import ConfigurationError, InvalidState, RequestTimeout
from exwire.latest import TICKER, TOP_OF_BOOK
from exwire.models import DataEvent, Level, TopOfBook
from exwire.subscription import Subscription

__all__ = ["StreamEngine", "CONTROL_SPACING", "STREAMS_PER_MESSAGE", "MAX_STREAMS"]

#: Seconds between two control messages on one stream connection (at most 4 a second,
#: under spot's limit of 5 incoming messages a second, which the server's pongs share).
CONTROL_SPACING = 0.25
#: Streams per ``SUBSCRIBE`` message when resubscribing a connection's whole set.
STREAMS_PER_MESSAGE = 200
#: Streams one connection may carry (Binance's documented limit per connection).
MAX_STREAMS = 1024
PING_INTERVAL = 10.0
PONG_TIMEOUT = 10.0
_MAX_AGE = 23.5 * 3600  # Binance closes stream connections after 24 h
_HIGH_FREQUENCY = ("bookTicker", "depth", "trade", "rpiDepth")  # USDⓈ-M /public
_CREATE_LOCK = threading.Lock()  # one creator of a stream connection at a time (any client)
SPOT = "spot-stream"
_ZERO = Decimal(0)
NAMES = (SPOT, "usdm-public", "usdm-market", "coinm-stream")


def route_name(market: FuturesMarket | None, stream: str) -> str:
    """The connection name that carries ``stream`` on ``market`` (``None``: spot)."""
    if market is None:
        return SPOT
    if market is FuturesMarket.COINM:
        return "coinm-stream"
    if stream.startswith("!"):  # all-market: "!bookTicker", "!markPrice@arr"
        kind = stream[1:].split("@", 1)[0]
    else:
        kind = stream.partition("@")[2].split("@", 1)[0]
    return "usdm-public" if kind.startswith(_HIGH_FREQUENCY) else "usdm-market"


class StreamEngine:
    """Mixin: the stream-connection machinery the ``subscribe_to_*`` methods use."""

    stream_url: str
    usdm_stream_url: str
    coinm_stream_url: str
    _registry: Any
    _timeout: Callable[[float | None], float | None]
    _add_connection: Callable[..., Connection]
    _connection_named: Callable[[str, Callable[[], Connection]], Connection]
    _subscribe: Callable[..., Subscription[Any]]

    # -- connections -------------------------------------------------------------------------

    def _stream_connection(self, market: FuturesMarket | None, stream: str) -> Connection:
        """The connection that carries ``stream`` on ``market`` (created, not opened, on first use).

        Raises:
            InvalidState: the client is closed.
        """
        name = route_name(market, stream)
        with _CREATE_LOCK:
            return self._connection_named(name, lambda: self._new_stream_connection(name))

    def _new_stream_connection(self, name: str) -> Connection:
        root = {"spot-stream": self.stream_url, "usdm-public": self.usdm_stream_url + "/public",
                "usdm-market": self.usdm_stream_url + "/market", "coinm-stream": self.coinm_stream_url}[name]
        return self._add_connection(name, root + "/stream", BinanceStreamProtocol(name),
                                    ping_interval=PING_INTERVAL, stale_timeout=PING_INTERVAL + PONG_TIMEOUT,
                                    max_age=_MAX_AGE)

    # -- subscribing ---------------------------------------------------------------------------

    def _subscribe_streams(
        self,
        market: FuturesMarket | None,
        streams: Sequence[str],
        callback: Callable[[DataEvent[Any]], None] | None,
        *,
        topic: str,
        timeout: float | None,
        internal: bool = False,
    ) -> Subscription[Any]:
        """Subscribe the lowercase stream names on their route's connection; return the handle.

        Every stream must be on the same route. Events carry the decoded model and the
        upper-case symbol.

        Raises:
            ConfigurationError: no stream, streams of two routes, more than
                :data:`MAX_STREAMS` on the connection, a callback that is not callable or a
                bad ``timeout``.
            InvalidState: the client is closed.
            InvalidRequest: Binance refused the ``SUBSCRIBE`` (the subscription is removed).
            ConnectError, ConnectionClosed, RequestTimeout: no connection or no reply.
        """
        if not streams:
            raise ConfigurationError("no stream to subscribe")
        names = {route_name(market, stream) for stream in streams}
        if len(names) != 1:
            raise ConfigurationError(f"streams of different routes in one subscription: {sorted(names)}")
        connection = self._stream_connection(market, streams[0])
        keys = [(connection.name, stream) for stream in streams]
        held = {key for s in self._registry.active() if s.connection_name == connection.name for key in s.keys}
        if len(held | set(keys)) > MAX_STREAMS:
            raise ConfigurationError(f"a Binance stream connection carries at most {MAX_STREAMS} streams")
        return self._subscribe(connection, topic=topic, keys=keys, callback=callback, timeout=timeout,
                               internal=internal)

    def _stream_control(self, connection: Connection, method: str, keys: Sequence[Hashable],
                        timeout: float | None) -> None:
        """Send ``SUBSCRIBE``/``UNSUBSCRIBE`` messages for ``keys`` (paced) and wait for each reply."""
        protocol = connection.protocol
        if not isinstance(protocol, BinanceStreamProtocol):
            raise InvalidState(f"{connection.name} is not a stream connection")
        streams = [key[1] for key in keys if isinstance(key, tuple)]
        deadline = Deadline(timeout)
        build = protocol.subscribe if method == "SUBSCRIBE" else protocol.unsubscribe
        for start in range(0, len(streams), STREAMS_PER_MESSAGE):
            request_id, frame = build(streams[start:start + STREAMS_PER_MESSAGE])
            self._paced_request(connection, protocol, request_id, frame, deadline)

    def _paced_request(self, connection: Connection, protocol: BinanceStreamProtocol, request_id: int,
                       frame: str, deadline: Deadline) -> Any:
        """One control request, at least :data:`CONTROL_SPACING` after the previous one's write."""
        with protocol.pacing:
            wait = protocol.last_control_sent + CONTROL_SPACING - time.monotonic()
            if wait > 0:
                remaining = deadline.remaining()
                if remaining is not None and remaining < wait:
                    time.sleep(max(remaining, 0.0))
                    raise _timeout_error(request_id)
                time.sleep(wait)  # pacing, not polling: Binance counts every message
            (result,) = connection.request(request_id, frame, deadline.remaining(), wait_ready=False)
        return result

    def _list_streams(self, market: FuturesMarket | None, stream: str, timeout: float | None = None) -> list[str]:
        """``LIST_SUBSCRIPTIONS`` on the connection that carries ``stream``: the server's set."""
        connection = self._stream_connection(market, stream)
        deadline = Deadline(self._timeout(timeout))
        connection.ensure_open(deadline.remaining())
        protocol = connection.protocol
        assert isinstance(protocol, BinanceStreamProtocol)
        request_id, frame = protocol.list_subscriptions()
        result = self._paced_request(connection, protocol, request_id, frame, deadline)
        return [str(name) for name in result or ()]

    # -- engine hooks (BaseClient) ---------------------------------------------------------------

    def _latest_feed(self, data_type: type) -> tuple[str, Callable[[Update], Any] | None] | None:
        """Spot ticker streams feed ``client.latest``'s ticker, spot book tickers its top of book.

        Futures streams do not: their symbols (``BTCUSDT``) would overwrite the spot pair's.
        """
        if issubclass(data_type, TickerUpdate):
            return TICKER, _spot_ticker
        if issubclass(data_type, BookTickerUpdate):
            return TOP_OF_BOOK, _spot_top
        return None


def _spot_ticker(update: Update) -> TickerUpdate | None:
    return update.data if update.key[0] == SPOT else None  # type: ignore[index]


def _spot_top(update: Update) -> TopOfBook | None:
    if update.key[0] != SPOT:  # type: ignore[index]
        return None
    book: BookTickerUpdate = update.data
    return TopOfBook(
        bid=None if book.bid_price is None else Level(price=book.bid_price, quantity=book.bid_quantity or _ZERO),
        ask=None if book.ask_price is None else Level(price=book.ask_price, quantity=book.ask_quantity or _ZERO),
    )


def _timeout_error(request_id: int) -> Exception:
    return RequestTimeout(f"binance: request {request_id} not sent: its turn came after the timeout")
