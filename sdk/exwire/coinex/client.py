"""CoinexClient: CoinEx WebSocket API v1, legacy spot (``wss://socket.coinex.com/``).

Subscriptions and the wire (§2.5). CoinEx keeps **one subscription per kind**
(``state``, ``deals``, ``depth``, ``kline``, ``order``, ``asset``) per connection:
every ``<kind>.subscribe`` replaces the previous one, and ``<kind>.unsubscribe``
removes them all. Each user subscription owns routing keys (one per market, see
:mod:`exwire.coinex.protocol`); whenever the set of keys of a kind changes, the
client sends **one** ``<kind>.subscribe`` listing every market still wanted by
any subscription (``depth.subscribe_multi`` for several books), or
``<kind>.unsubscribe`` when none is left. So two subscriptions to BTCUSDT and
ETHUSDT tickers share ``state.subscribe ["BTCUSDT", "ETHUSDT"]``, and ending one
re-sends ``state.subscribe ["ETHUSDT"]``. Consequences users can see:

* re-sending ``deals.subscribe`` makes CoinEx push the recent trade history of
  every listed market again (delivered as a ``SNAPSHOT`` event);
* re-sending the depth subscription makes CoinEx push a full (``is_full``) book of
  every listed market again;
* ``kline.subscribe`` holds one (market, interval) per connection, and a market's
  book one (limit, merge) pair: a second, different one raises ``InvalidState``;
* a refused ``subscribe`` may have dropped the kind's other markets on CoinEx's
  side, so the client re-sends the remaining set before raising;
* own fills (:meth:`CoinexClient.subscribe_to_user_trade_updates`) come on a signed-in
  connection's ``deals.subscribe``: their markets join the ``deals`` list (every market,
  ``[]``, for all of them), so the connection also receives those markets' public
  trades, delivered only to public trade subscriptions.

Wire changes are serialised by ``_wire_lock`` so that two threads subscribing at
once cannot send stale market lists.

Section numbers (§) refer to the protocol notes of :doc:`the CoinEx page </exchanges/coinex>`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable, Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar, cast

from exwire._core import validate
from exwire._core.backoff import Deadline
from exwire._core.client import BaseClient, documented_options
from exwire._core.codec import datetime_to_epoch_seconds, epoch_to_datetime
from exwire._core.connection import Connection
from exwire._core.protocol import Update
from exwire.coinex import book as coinex_book
from exwire.coinex import converter
from exwire.coinex.arguments import (
    DEPTH_LIMITS,
    MAX_TRADES,
    asset_code,
    depth_limit,
    kline_interval,
    positive_int,
)
from exwire.coinex.arguments import merge_depth as merge_depth_of
from exwire.coinex.models import (
    Balance,
    Depth,
    Kline,
    KlineInterval,
    MergeDepth,
    OrdersPage,
    OrderUpdate,
    Ticker,
    Trade,
    UserTrade,
)
from exwire.coinex.protocol import ALL, KINDS, PRIVATE_KINDS, CoinexProtocol
from exwire.coinex.symbols import normalize_symbol, normalize_symbols
from exwire.errors import ConfigurationError, DecodeError, InvalidState
from exwire.latest import TICKER
from exwire.models import DataEvent, Side
from exwire.orderbook import BookSnapshot, OrderBook
from exwire.subscription import Subscription
from exwire.watcher import OrderBookWatcher

__all__ = ["CoinexClient", "DEFAULT_URL", "DEPTH_LIMITS"]

#: CoinEx's production endpoint of WebSocket API v1 (spot).
DEFAULT_URL = "wss://socket.coinex.com/"

#: Candles fetched by ``get_klines`` when no ``start`` is given.
DEFAULT_KLINES = 100

_ORDER_SIDES = {None: 0, Side.SELL: 1, Side.BUY: 2}

#: What ``merge_depth=`` accepts: the enum, its wire string, a ``Decimal`` step, or an
#: ``int`` 0-8 counting decimals as CoinEx.Net does (8: no merge).
MergeDepthArg = MergeDepth | str | Decimal | int

# Routing keys are tuples whose first element is the kind (see exwire.coinex.protocol).
_Key = tuple[Any, ...]
#: Key kinds sent on another kind's wire subscription: own fills come with ``deals.subscribe``.
_WIRE_KIND = {"own_deals": "deals"}


def _apply_book(book: OrderBook, depth: Depth) -> int | None:
    return coinex_book.apply(book, depth)


def _kind(key: Hashable) -> str:
    kind: str = cast(_Key, key)[0]
    return _WIRE_KIND.get(kind, kind)


@documented_options
class CoinexClient(BaseClient):
    """Client of CoinEx's WebSocket API v1 (legacy spot): market data and account streams
    (CoinEx's v1 WebSocket documentation, the ``coinexcom/coinex_exchange_api`` wiki:
    envelope, keep-alive, ``server.sign`` and the methods and pushes of each channel).

    The constructor does no I/O: the connection (``url``) opens on the first call
    that needs it. Public and private calls share that one connection; the first
    private call signs it in with ``server.sign`` (§4), and after every reconnect
    the client signs in again before resubscribing. Updates run on the dispatcher
    lanes, never on the reader. On a connection that sent or received nothing for
    ``ping_interval`` seconds the client sends ``server.ping`` (§3) and
    re-establishes the connection if no answer comes within ``pong_timeout``
    seconds. With the defaults a half-open connection (one that stopped delivering
    without closing) is noticed within about 21 s, at most 30 s.

    Thread-safe: every method may be called from any thread, callbacks included.
    Every blocking method takes ``timeout=`` (seconds; ``None``: ``request_timeout``).
    ``client.shared`` is the exchange-neutral view (:class:`exwire.coinex.shared.CoinexShared`:
    ``BTC/USDT`` symbols, neutral models).
    Prices are ``Decimal`` in the quote asset, quantities ``Decimal`` in the base asset,
    times aware UTC datetimes.

    Args:
        url: endpoint, a ``ws://`` or ``wss://`` URL (default production
            ``wss://socket.coinex.com/``).
        ping_interval: seconds without sending or receiving after which a keep-alive
            ``server.ping`` goes out (default 10; at most one per interval; CoinEx's
            idle timeout is far longer, its own demo pings every 3 s).
        pong_timeout: seconds a keep-alive ping may stay unanswered before the
            connection counts as dead (default 10); ``None`` disables the check.
        stale_timeout: seconds without any inbound frame before reconnecting;
            ``None`` (default) leaves liveness to the pings.
        **options: the common client keywords:

            * ``credentials``: an :class:`exwire.Credentials` with ``key`` = access id
              and ``secret``, needed for the account calls; ``None`` (default): public
              data only.
            {common_options}

    Raises:
        ConfigurationError: a bad keyword value (``url`` not a ``ws``/``wss`` URL with a
            host, ...; checked here, before any I/O).
    """

    exchange = "coinex"
    _shared_class: ClassVar[str] = "exwire.coinex.shared:CoinexShared"

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
        self._connection = self._add_connection(
            "spot", url, CoinexProtocol(),
            ping_interval=ping_interval, stale_timeout=stale_timeout, pong_timeout=pong_timeout,
        )
        self._wire_lock = threading.RLock()  # serialises computing and sending a kind's market list
        self._guard_lock = threading.RLock()  # one kline / one book per market: check + subscribe
        self._auth_lock = threading.Lock()  # guards _signed and _auth_wanted
        self._signed = False  # the current socket is signed in
        self._auth_wanted = False  # a sign-in succeeded once: repeat it after each reconnect

    # -- general -----------------------------------------------------------------------

    def ping(self, *, timeout: float | None = None) -> float:
        """Send ``server.ping`` and wait for ``"pong"`` (§5.1).

        Args:
            timeout: seconds to wait, the connection's opening included (``None``:
                ``request_timeout``).

        Returns:
            The round-trip time in seconds, the connection's opening included.

        Raises:
            ConfigurationError: a non-positive ``timeout``.
            InvalidState: the client is closed.
            ConnectError: the connection could not be opened.
            RateLimited: CoinEx refused for the request rate (code 7; it then closes the
                connection).
            ExchangeUnavailable: CoinEx's service is unavailable or timed out (codes 3, 5).
            ConnectionClosed: the connection dropped first; the outcome is unknown (a ping
                changes nothing).
            RequestTimeout: no answer within ``timeout``; the outcome is unknown (a ping
                changes nothing).
        """
        started = time.perf_counter()
        self._query(self._protocol.ping, timeout)
        return time.perf_counter() - started

    def get_server_time(self, *, timeout: float | None = None) -> datetime:
        """Return CoinEx's clock (``server.time``, §5.2): an aware UTC datetime in whole seconds.

        Args:
            timeout: seconds to wait for the answer (``None``: ``request_timeout``).

        Raises:
            ConfigurationError, InvalidState, ConnectError, RateLimited,
                ExchangeUnavailable: as :meth:`ping`.
            ConnectionClosed, RequestTimeout: no answer; the outcome is unknown (a read
                changes nothing).
            DecodeError: the result is not a number.
        """
        result = self._query(self._protocol.server_time, timeout)
        try:
            return epoch_to_datetime(result)
        except ValueError as exc:
            raise DecodeError(f"server.time result is not epoch seconds: {result!r}") from exc

    # -- market data queries ---------------------------------------------------------------

    def get_ticker(self, symbol: str, cycle_period: int = 86400, *, timeout: float | None = None) -> Ticker:
        """Return a market's state over the last ``cycle_period`` seconds (``state.query``, §5.3).

        Args:
            symbol: the market, e.g. ``"BTCUSDT"``.
            cycle_period: the period in seconds (default 86400, a day; 60 for a minute).
            timeout: seconds to wait for the answer (``None``: ``request_timeout``).

        Returns:
            A :class:`~exwire.coinex.models.Ticker`: ``Decimal`` prices in the quote asset,
            volume in the base asset, value in the quote asset.

        Raises:
            ConfigurationError: a bad symbol or period, or a non-positive ``timeout``
                (nothing is sent).
            InvalidState: the client is closed.
            ConnectError: the connection could not be opened.
            InvalidRequest: CoinEx refused (e.g. unknown market).
            RateLimited: CoinEx refused for the request rate (code 7; it then closes the
                connection).
            ExchangeUnavailable: CoinEx's service is unavailable or timed out (codes 3, 5).
            ConnectionClosed: the connection dropped first (outcome unknown; a read
                changes nothing).
            RequestTimeout: no answer in time (outcome unknown; a read changes nothing).
        """
        market = normalize_symbol(symbol)
        period = positive_int(cycle_period, "cycle_period")
        result = self._query(lambda: self._protocol.state_query(market, period), timeout)
        if not isinstance(result, dict):
            raise DecodeError(f"state.query result is not an object: {result!r}")
        return converter.ticker_from_wire(market, result)

    def get_order_book(
        self,
        symbol: str,
        limit: int = 20,
        merge_depth: MergeDepthArg = MergeDepth.NONE,
        *,
        timeout: float | None = None,
    ) -> Depth:
        """A snapshot of a market's order book (``depth.query``, §5.5).

        Args:
            symbol: the market.
            limit: levels per side: 1, 5, 10, 20, 30 or 50 (default 20).
            merge_depth: price aggregation in the quote asset: a :class:`MergeDepth`, its
                value or an equal ``Decimal`` step (``"0"`` none, the default; ``"0.01"``
                ...), or an ``int`` 0-8 counting decimals as CoinEx.Net does (``8`` no
                merge, ``n`` the step ``10**(n - 8)``: ``6`` is ``"0.01"``).
            timeout: seconds to wait for the answer (``None``: ``request_timeout``).

        Returns:
            A :class:`~exwire.coinex.models.Depth` with ``is_full`` true (``Decimal``
            prices in the quote asset, quantities in the base asset).

        Raises:
            ConfigurationError: a bad symbol, limit, merge depth or ``timeout`` (nothing is sent).
            InvalidRequest: CoinEx refused (unknown market, a merge step the market
                does not offer).
            InvalidState, ConnectError, RateLimited, ExchangeUnavailable, ConnectionClosed,
                RequestTimeout: as :meth:`get_ticker` (no reply: outcome unknown).
        """
        market, limit, merge = normalize_symbol(symbol), depth_limit(limit), merge_depth_of(merge_depth)
        result = self._query(lambda: self._protocol.depth_query(market, limit, merge.value), timeout)
        if not isinstance(result, dict):
            raise DecodeError(f"depth.query result is not an object: {result!r}")
        return converter.depth_from_wire(market, result, True)

    def get_trade_history(
        self, symbol: str, limit: int = 100, from_id: int | None = 0, *, timeout: float | None = None
    ) -> list[Trade]:
        """Recent trades of a market, newest first (``deals.query``, §5.9).

        Args:
            symbol: the market.
            limit: most trades to return, 1-1000 (default 100).
            from_id: only trades with an id greater than this; ``0`` (the default) or
                ``None`` for the latest.
            timeout: seconds to wait for the answer (``None``: ``request_timeout``).

        Returns:
            :class:`~exwire.coinex.models.Trade` objects: ``Decimal`` price in the quote
            asset, quantity in the base asset, aware UTC ``time``.

        Raises:
            ConfigurationError: a bad symbol, limit, id or ``timeout`` (nothing is sent).
            InvalidRequest: CoinEx refused.
            InvalidState, ConnectError, RateLimited, ExchangeUnavailable, ConnectionClosed,
                RequestTimeout: as :meth:`get_ticker` (no reply: outcome unknown).
        """
        market, limit = normalize_symbol(symbol), positive_int(limit, "limit", MAX_TRADES)
        last_id = 0 if from_id is None else validate.integer(from_id, "from_id", minimum=0)
        result = self._query(lambda: self._protocol.deals_query(market, limit, last_id), timeout)
        return converter.trades_from_wire(market, result)

    def get_klines(
        self,
        symbol: str,
        interval: KlineInterval | int,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        timeout: float | None = None,
    ) -> list[Kline]:
        """Candles of a market (``kline.query``, §5.11), oldest first.

        Args:
            symbol: the market.
            interval: candle length: a :class:`KlineInterval` or its value in seconds.
            start: the earliest candle start (aware); ``None``: 100 candles before ``end``.
            end: the latest time covered (aware); ``None``: now. CoinEx clamps it to now.
            timeout: seconds to wait for the answer (``None``: ``request_timeout``).

        Returns:
            :class:`~exwire.coinex.models.Kline` objects: ``Decimal`` prices in the quote
            asset, volume in the base asset, value in the quote asset, aware UTC ``open_time``.

        Raises:
            ConfigurationError: a bad symbol or interval, naive datetimes, ``start`` after
                ``end``, or a non-positive ``timeout`` (nothing is sent).
            InvalidRequest: CoinEx refused.
            RateLimited: more than CoinEx's ``kline.query`` quota (it then closes the connection).
            InvalidState, ConnectError, ExchangeUnavailable, ConnectionClosed,
                RequestTimeout: as :meth:`get_ticker` (no reply: outcome unknown).
        """
        market, interval = normalize_symbol(symbol), kline_interval(interval)
        for name, value in (("start", start), ("end", end)):
            if value is not None and not isinstance(value, datetime):
                raise ConfigurationError(f"{name} must be an aware datetime or None, got {value!r}")
        end_time = end if end is not None else datetime.now(UTC)
        start_time = start if start is not None else end_time - timedelta(seconds=int(interval) * DEFAULT_KLINES)
        end_s, start_s = int(datetime_to_epoch_seconds(end_time)), int(datetime_to_epoch_seconds(start_time))
        if start_s > end_s:
            raise ConfigurationError("start must not be after end")
        result = self._query(lambda: self._protocol.kline_query(market, start_s, end_s, int(interval)), timeout)
        return converter.klines_from_wire(result, market, interval)

    # -- account queries (need credentials) --------------------------------------------------

    def get_balances(self, assets: str | Iterable[str] = (), *, timeout: float | None = None) -> dict[str, Balance]:
        """Spot balances (``asset.query``, §5.13); signs the connection in first if needed.

        Args:
            assets: asset codes (``"BTC"`` or ``["BTC", "USDT"]``); empty (the default)
                or ``None`` for all.
            timeout: seconds to wait for the answers, sign-in included (``None``:
                ``request_timeout``).

        Returns:
            Balances keyed by asset code (``Decimal`` amounts in that asset).

        Raises:
            ConfigurationError: no credentials, a bad asset code or ``timeout`` (nothing is sent).
            AuthenticationError: CoinEx refused the signature or the key.
            InvalidState, ConnectError, InvalidRequest, RateLimited, ExchangeUnavailable,
                ConnectionClosed, RequestTimeout: as :meth:`get_ticker` (no reply: outcome
                unknown; a read changes nothing).
        """
        self._require_credentials()
        items = validate.symbols(assets, "assets") if assets or isinstance(assets, str) else ()
        codes = list(dict.fromkeys(asset_code(code) for code in items))
        result = self._query(lambda: self._protocol.asset_query(codes), timeout, private=True)
        if not isinstance(result, dict):
            raise DecodeError(f"asset.query result is not an object: {result!r}")
        return {balance.asset: balance for balance in converter.balances_from_wire(result)}

    def get_open_orders(
        self,
        symbol: str,
        side: Side | str | None = None,
        offset: int = 0,
        limit: int = 100,
        *,
        timeout: float | None = None,
    ) -> OrdersPage:
        """One page of the account's open orders in a market (``order.query``, §5.15).

        Args:
            symbol: the market.
            side: ``Side.BUY``, ``Side.SELL`` (or ``"buy"``/``"sell"``); ``None`` for both.
            offset: index of the first order to return, from 0 (default 0).
            limit: page size in orders, 1-100 (default 100; CoinEx caps it).
            timeout: seconds to wait for the answers, sign-in included (``None``:
                ``request_timeout``).

        Returns:
            An :class:`~exwire.coinex.models.OrdersPage` (``Decimal`` prices in the quote
            asset, amounts in the base asset).

        Raises:
            ConfigurationError: no credentials, or a bad argument or ``timeout`` (nothing is sent).
            AuthenticationError: CoinEx refused the signature or the key.
            InvalidState, ConnectError, InvalidRequest, RateLimited, ExchangeUnavailable,
                ConnectionClosed, RequestTimeout: as :meth:`get_ticker` (no reply: outcome
                unknown; a read changes nothing).
        """
        self._require_credentials()
        market = normalize_symbol(symbol)
        try:
            wire_side = _ORDER_SIDES[None if side is None else Side(side)]
        except (ValueError, KeyError):
            raise ConfigurationError(f"side must be Side.BUY, Side.SELL or None, got {side!r}") from None
        validate.integer(offset, "offset", minimum=0)
        limit = positive_int(limit, "limit", 100)
        result = self._query(lambda: self._protocol.order_query(market, wire_side, offset, limit), timeout,
                             private=True)
        if not isinstance(result, dict):
            raise DecodeError(f"order.query result is not an object: {result!r}")
        return converter.orders_page_from_wire(result)

    # -- subscriptions -------------------------------------------------------------------------

    def subscribe_to_ticker_updates(
        self,
        symbols: str | Iterable[str],
        callback: Callable[[DataEvent[Ticker]], None] | None = None,
        *,
        timeout: float | None = None,
    ) -> Subscription[Ticker]:
        """Stream the 24 h state of one or more markets (``state.subscribe``, §5.4).

        CoinEx pushes about once a second, only markets that changed. ``event.data`` is a
        :class:`~exwire.coinex.models.Ticker` (``Decimal`` prices in the quote asset,
        volume in the base asset, value in the quote asset, ``period`` in seconds);
        ``event.symbol`` is the market.

        Args:
            symbols: one market (``"BTCUSDT"``) or several.
            callback: ``callback(event)``; runs as the callback threading model in
                :mod:`exwire.subscription` says. ``None`` makes a pull subscription
                (iterate it or call ``get(timeout)``). Either way
                ``client.latest.ticker(symbol)`` holds the newest ticker (as the neutral
                :class:`exwire.Ticker`; ``symbol`` ``"BTCUSDT"`` or ``"BTC/USDT"``).
            timeout: seconds to wait for the connection and CoinEx's acknowledgement
                (``None``: ``request_timeout``).

        Returns:
            The :class:`exwire.Subscription`.

        Raises:
            ConfigurationError: no or malformed symbol, non-callable callback, non-positive
                ``timeout`` (nothing is sent).
            InvalidState: the client is closed.
            ConnectError: the connection could not be opened.
            InvalidRequest: CoinEx refused (e.g. unknown market).
            RateLimited: CoinEx refused for the request rate (code 7).
            ConnectionClosed, RequestTimeout: no acknowledgement; the outcome on CoinEx's
                side is unknown and the subscription is removed.
        """
        markets = normalize_symbols(symbols)
        return self._subscribe(self._connection, topic=f"ticker:{','.join(markets)}",
                               keys=[("state", m) for m in markets], callback=callback, timeout=validate.positive_timeout(timeout))

    def subscribe_to_all_ticker_updates(
        self, callback: Callable[[DataEvent[list[Ticker]]], None] | None = None, *, timeout: float | None = None
    ) -> Subscription[list[Ticker]]:
        """Stream the state of every market (``state.subscribe []``, §5.4).

        ``event.data`` is a list of :class:`~exwire.coinex.models.Ticker` (the markets
        that changed since the previous push; units as :meth:`subscribe_to_ticker_updates`);
        ``event.symbol`` is ``None``. While it is active the wire subscription covers all
        markets, which also feeds single-market ticker subscriptions. Arguments, callback
        thread, ordering, backlog policy and errors as :meth:`subscribe_to_ticker_updates`.
        """
        return self._subscribe(self._connection, topic="ticker:*", keys=[("state", ALL)],
                               callback=callback, timeout=validate.positive_timeout(timeout))

    def subscribe_to_trade_updates(
        self,
        symbols: str | Iterable[str],
        callback: Callable[[DataEvent[list[Trade]]], None] | None = None,
        *,
        timeout: float | None = None,
    ) -> Subscription[list[Trade]]:
        """Stream public trades of one or more markets (``deals.subscribe``, §5.10).

        ``event.data`` is a list of :class:`~exwire.coinex.models.Trade`, newest first
        (``Decimal`` price in the quote asset, quantity in the base asset, aware UTC
        ``time``). The first event per market is the recent history (``update_type``
        ``SNAPSHOT``, up to 100 trades); CoinEx sends it again whenever the trade
        subscription of the connection is re-sent (another market added or removed,
        reconnect), so skip trades whose id you have seen. Arguments, callback thread,
        ordering, backlog policy and errors as :meth:`subscribe_to_ticker_updates`.
        """
        markets = normalize_symbols(symbols)
        return self._subscribe(self._connection, topic=f"trades:{','.join(markets)}",
                               keys=[("deals", m) for m in markets], callback=callback, timeout=validate.positive_timeout(timeout))

    def subscribe_to_kline_updates(
        self,
        symbol: str,
        interval: KlineInterval | int,
        callback: Callable[[DataEvent[list[Kline]]], None] | None = None,
        *,
        timeout: float | None = None,
    ) -> Subscription[list[Kline]]:
        """Stream candles of one market (``kline.subscribe``, §5.12).

        ``event.data`` is a list of :class:`~exwire.coinex.models.Kline` of the recent
        window (usually 1-2, the last one still open): upsert by ``open_time``
        (``Decimal`` prices in the quote asset, volume in the base asset, value in the
        quote asset). CoinEx sends nothing on subscribing, only when a candle changes.

        Args:
            symbol: one market.
            interval: candle length: a :class:`KlineInterval` or its value in seconds.

        Other arguments, callback thread, ordering, backlog policy and errors as
        :meth:`subscribe_to_ticker_updates`.

        Raises:
            ConfigurationError: an interval CoinEx does not offer.
            InvalidState: another kline subscription (different market or interval) is
                active: CoinEx holds one per connection.
        """
        market, interval = normalize_symbol(symbol), kline_interval(interval)
        key = ("kline", market, int(interval))
        with self._guard_lock:
            for found in self._active_keys("kline"):
                other = cast(tuple[str, str, int], found)
                if other != key:
                    raise InvalidState(
                        f"CoinEx keeps one kline subscription per connection; {other[1]} "
                        f"{other[2]} s is active (unsubscribe it first)")
            return self._subscribe(self._connection, topic=f"kline:{market}:{int(interval)}", keys=[key],
                                   callback=callback, timeout=validate.positive_timeout(timeout))

    def subscribe_to_order_book_updates(
        self,
        symbol: str,
        limit: int = 20,
        merge_depth: MergeDepthArg = MergeDepth.NONE,
        callback: Callable[[DataEvent[Depth]], None] | None = None,
        *,
        timeout: float | None = None,
    ) -> Subscription[Depth]:
        """Stream raw order book pushes of one market (``depth.subscribe``, §5.6).

        ``event.data`` is a :class:`~exwire.coinex.models.Depth`: a full book
        (``is_full``, ``update_type`` ``SNAPSHOT``) first and about once a minute, else
        the changed levels (a zero quantity deletes); ``Decimal`` prices in the quote
        asset, quantities in the base asset. For a maintained, checksum-validated book
        use :meth:`watch_order_book` (under the ``drop_oldest`` or ``latest`` overflow
        policies this raw stream may skip updates; a watcher skips none).

        Args:
            symbol: one market.
            limit: levels per side: 1, 5, 10, 20, 30 or 50 (default 20).
            merge_depth: price aggregation step (see :meth:`get_order_book`).

        Other arguments, callback thread, ordering, backlog policy and errors as
        :meth:`subscribe_to_ticker_updates`.

        Raises:
            ConfigurationError: a bad limit or merge depth.
            InvalidState: the market's book is already streamed with another limit or
                merge depth (CoinEx keeps one per market and connection).
        """
        key = self._depth_key(symbol, limit, merge_depth)
        with self._guard_lock:
            self._check_depth_key(key)
            return self._subscribe(self._connection, topic=f"book:{key[1]}:{key[2]}:{key[3]}", keys=[key],
                                   callback=callback, timeout=validate.positive_timeout(timeout))

    def subscribe_to_order_updates(
        self,
        symbols: str | Iterable[str] | None = None,
        callback: Callable[[DataEvent[OrderUpdate]], None] | None = None,
        *,
        timeout: float | None = None,
    ) -> Subscription[OrderUpdate]:
        """Stream the account's order events (``order.subscribe``, §5.16); needs credentials.

        ``event.data`` is an :class:`~exwire.coinex.models.OrderUpdate`: the event
        (``NEW``, ``UPDATE``, ``FINISH``) and the order after it (``.status`` derives
        filled / cancelled; ``Decimal`` price in the quote asset, quantities in the base
        asset, ``filled_value`` in the quote asset, each fee field in the asset its name
        says, aware UTC times). Signs the connection in first if
        needed.

        Args:
            symbols: one market or several; ``None`` for every market.

        Other arguments, callback thread, ordering and backlog policy as
        :meth:`subscribe_to_ticker_updates`.

        Raises:
            ConfigurationError: no credentials, a bad symbol, non-callable callback,
                non-positive ``timeout``.
            AuthenticationError: CoinEx refused the signature or the key.
            InvalidState, ConnectError, InvalidRequest, RateLimited, ConnectionClosed,
                RequestTimeout: as :meth:`subscribe_to_ticker_updates` (no acknowledgement:
                outcome unknown).
        """
        self._require_credentials()
        markets = [ALL] if symbols is None else normalize_symbols(symbols)
        topic = "orders:" + ("*" if symbols is None else ",".join(m for m in markets if m is not None))
        return self._subscribe(self._connection, topic=topic, keys=[("order", m) for m in markets],
                               callback=callback, timeout=validate.positive_timeout(timeout))

    def subscribe_to_user_trade_updates(
        self,
        symbols: str | Iterable[str] | None = None,
        callback: Callable[[DataEvent[list[UserTrade]]], None] | None = None,
        *,
        timeout: float | None = None,
    ) -> Subscription[list[UserTrade]]:
        """Stream the account's own fills (``deals.update`` ending in ``true``, §5.10);
        needs credentials.

        CoinEx sends own fills on a signed-in connection that is subscribed to the
        market's trades, so this adds the markets to the connection's
        ``deals.subscribe`` (``[]``, every market, when ``symbols`` is ``None``; the
        connection then also receives every market's public trades, which no
        subscription of yours sees unless you asked for them). ``event.data`` is a list
        of :class:`~exwire.coinex.models.UserTrade` (``Decimal`` price in the quote
        asset, quantity in the base asset, aware UTC ``time``; no fee: CoinEx sends the
        fees with the order's ``order.update``); ``event.symbol`` is the market. Signs
        the connection in first if needed.

        Args:
            symbols: one market or several; ``None`` for every market.
            callback: ``callback(event)``; runs as the callback threading model in
                :mod:`exwire.subscription` says. ``None`` makes a pull subscription
                (iterate it or call ``get(timeout)``).
            timeout: seconds to wait for the connection, the sign-in and CoinEx's
                acknowledgement (``None``: ``request_timeout``).

        Raises:
            ConfigurationError: no credentials, a bad symbol, non-callable callback,
                non-positive ``timeout`` (nothing is sent).
            AuthenticationError: CoinEx refused the signature or the key.
            InvalidState, ConnectError, InvalidRequest, RateLimited, ConnectionClosed,
                RequestTimeout: as :meth:`subscribe_to_ticker_updates` (no acknowledgement:
                outcome unknown).
        """
        self._require_credentials()
        markets = [ALL] if symbols is None else normalize_symbols(symbols)
        topic = "user_trades:" + ("*" if symbols is None else ",".join(m for m in markets if m is not None))
        return self._subscribe(self._connection, topic=topic, keys=[("own_deals", m) for m in markets],
                               callback=callback, timeout=validate.positive_timeout(timeout))

    def subscribe_to_balance_updates(
        self, callback: Callable[[DataEvent[list[Balance]]], None] | None = None, *, timeout: float | None = None
    ) -> Subscription[list[Balance]]:
        """Stream the account's balance changes (``asset.subscribe``, §5.14); needs credentials.

        ``event.data`` is a list of :class:`~exwire.coinex.models.Balance` (the assets
        that changed; ``Decimal`` amounts in each asset); ``event.symbol`` is ``None``.
        CoinEx sends no snapshot: call :meth:`get_balances` first. Signs the connection
        in first if needed. Arguments, callback thread, ordering, backlog policy and
        errors as :meth:`subscribe_to_order_updates`.
        """
        self._require_credentials()
        return self._subscribe(self._connection, topic="balances", keys=[("asset", ALL)],
                               callback=callback, timeout=validate.positive_timeout(timeout))

    def watch_order_book(
        self,
        symbol: str,
        limit: int = 20,
        merge_depth: MergeDepthArg = MergeDepth.NONE,
        callback: Callable[[BookSnapshot], None] | None = None,
        *,
        timeout: float | None = None,
    ) -> OrderBookWatcher:
        """Maintain a local order book of one market, validated by CoinEx's CRC-32 (§5.6, §5.7).

        Applies the full pushes and the incremental ones in order, truncates each side
        to ``limit`` after every push and compares the checksum whenever CoinEx sends
        one. On a mismatch it logs, counts (``checksums_mismatched``) and re-sends the
        connection's depth subscription, which brings a full book. The book is applied on
        the connection's reader thread as each push is read (exwire's own code; nothing
        is queued), so no push is ever skipped, whatever the client's ``overflow``.

        Args:
            symbol: the market.
            limit: levels per side: 1, 5, 10, 20, 30 or 50 (default 20).
            merge_depth: price aggregation step (see :meth:`get_order_book`).
            callback: optional ``callback(snapshot)`` with an immutable
                :class:`exwire.orderbook.BookSnapshot` (``Decimal`` prices in the quote
                asset, quantities in the base asset) of the newest book after applied
                pushes, on a dispatcher lane (or the ``callback_executor``); a callback
                slower than the pushes is given the newest book when it returns. ``None`` to
                only read the watcher on demand. ``client.latest.top_of_book`` follows the
                book either way.
            timeout: seconds to wait for the connection and the subscription's
                acknowledgement (``None``: ``request_timeout``).

        Returns:
            An :class:`exwire.OrderBookWatcher`; ``wait_synced()`` blocks until the first
            full book is applied; ``close()`` unsubscribes.

        Raises:
            ConfigurationError: bad symbol, limit or merge depth, non-callable callback,
                non-positive ``timeout``.
            InvalidState: the client is closed, or the market's book is already streamed
                with another limit or merge depth.
            ConnectError: the connection could not be opened.
            InvalidRequest, RateLimited: CoinEx refused the subscription.
            ConnectionClosed, RequestTimeout: no acknowledgement; the outcome on CoinEx's
                side is unknown and the watcher is not kept.
        """
        key = self._depth_key(symbol, limit, merge_depth)
        if callback is not None and not callable(callback):
            raise ConfigurationError("callback must be callable")
        with self._guard_lock:
            self._check_depth_key(key)
            return self._watch(
                self._connection, symbol=key[1], depth=key[2], keys=[key], topic=f"book:{key[1]}:{key[2]}:{key[3]}",
                apply=_apply_book, checksum=coinex_book.checksum, callback=callback, timeout=validate.positive_timeout(timeout),
                resync=lambda: self._sync(self._connection, [key], self.request_timeout, adding=False), on_reader=True)

    # -- helpers ------------------------------------------------------------------------------

    @property
    def _protocol(self) -> CoinexProtocol:
        return cast(CoinexProtocol, self._connection.protocol)  # the connection was built with one

    def _latest_feed(self, data_type: type) -> tuple[str, Callable[[Update], Any] | None] | None:
        # Ticker pushes feed ``client.latest.ticker(market)``; watched books feed
        # ``latest.top_of_book`` themselves (CoinEx v1 has no best bid/offer channel).
        return (TICKER, None) if issubclass(data_type, Ticker) else None

    def _query(self, build: Callable[[], tuple[int, str]], timeout: float | None, *, private: bool = False) -> Any:
        """Open (and sign in) if needed, send one request, return its ``result``."""
        self._check_open()
        connection = self._connection
        if private or not connection.is_ready:
            deadline = Deadline(self._timeout(timeout))
            connection.ensure_open(deadline.remaining())
            if private:
                self._ensure_signed(connection, deadline)
            timeout = deadline.remaining()
        else:
            timeout = self._timeout(timeout)
        request_id, frame = build()
        return connection.request(request_id, frame, timeout)[0]

    def _depth_key(self, symbol: str, limit: int, merge_depth: object) -> tuple[str, str, int, str]:
        return ("depth", normalize_symbol(symbol), depth_limit(limit), merge_depth_of(merge_depth).value)

    def _check_depth_key(self, key: tuple[str, str, int, str]) -> None:
        for found in self._active_keys("depth"):
            other = cast(tuple[str, str, int, str], found)
            if other[1] == key[1] and other != key:
                raise InvalidState(
                    f"the {key[1]} book is already streamed with limit {other[2]} and merge depth "
                    f"{other[3]}; CoinEx keeps one per market and connection")

    def _active_keys(self, kind: str, connection: Connection | None = None) -> list[Hashable]:
        """Routing keys of wire ``kind`` that active subscriptions (of ``connection``) need,
        in order (the ``deals`` kind includes the own-fill keys)."""
        keys: dict[Hashable, None] = {}
        for subscription in self._registry.active():
            if connection is None or subscription.connection_name == connection.name:
                keys.update((key, None) for key in subscription.keys if _kind(key) == kind)
        return list(keys)

    # -- authentication (§4) -------------------------------------------------------------------

    def _sign(self, connection: Connection, timeout: float | None) -> None:
        credentials = self.credentials
        assert credentials is not None and credentials.secret is not None
        tonce = int(time.time() * 1000)
        request_id, frame = self._protocol.sign(credentials.key, credentials.secret, tonce)
        connection.request(request_id, frame, timeout, wait_ready=False)

    def _ensure_signed(self, connection: Connection, deadline: Deadline) -> None:
        with self._auth_lock:
            if self._signed:
                return
            self._sign(connection, deadline.remaining())
            self._signed = True
            self._auth_wanted = True

    def _authenticate(self, connection: Connection) -> None:
        """Engine hook, after every (re)connect: sign in again if a sign-in happened before."""
        with self._auth_lock:
            self._signed = False
            if not self._auth_wanted or self.credentials is None:
                return
            try:
                self._sign(connection, self.request_timeout)
            except Exception as exc:
                self.log.error("signing in again after a reconnect failed: %s", exc)
                self._report_error(exc, None)
                raise
            self._signed = True

    # -- wire subscriptions (§2.5) ---------------------------------------------------------------

    def _wire_subscribe(self, connection: Connection, keys: list[Hashable], timeout: float | None) -> None:
        self._sync(connection, keys, timeout, adding=True)

    def _wire_unsubscribe(self, connection: Connection, keys: list[Hashable], timeout: float | None) -> None:
        self._sync(connection, keys, timeout, adding=False)

    def _sync(self, connection: Connection, keys: list[Hashable], timeout: float | None, *, adding: bool) -> None:
        """Send, for each kind among ``keys``, the one subscription listing every key still wanted."""
        deadline = Deadline(timeout)
        protocol = self._protocol
        touched = {_kind(key) for key in keys}
        with self._wire_lock:
            for kind in KINDS:
                if kind not in touched:
                    continue
                wanted = self._active_keys(kind, connection)
                if wanted and (kind in PRIVATE_KINDS or any(cast(_Key, key)[0] == "own_deals" for key in wanted)):
                    self._ensure_signed(connection, deadline)
                request_id, frame = protocol.subscribe(kind, wanted)
                try:
                    connection.request(request_id, frame, deadline.remaining(), wait_ready=False)
                except Exception:
                    if adding:
                        # CoinEx dropped this kind's previous markets before refusing: put them back.
                        added = set(keys)
                        _, restore = protocol.subscribe(kind, [key for key in wanted if key not in added])
                        try:
                            connection.send(restore, wait_ready=False)
                        except Exception as exc:
                            self.log.info("restoring the %s subscription failed: %s", kind, exc)
                    raise
