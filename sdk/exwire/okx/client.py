"""OkxClient: OKX API v5 WebSocket, public, private and business endpoints.

The channels, order operations, login and keep-alive are those of OKX's v5
documentation, https://www.okx.com/docs-v5/en/. Market data methods are here; the
account streams and order operations in :mod:`exwire.okx.client_trading`; the
connections, login and the ``instIdCode`` look-up in :mod:`exwire.okx.client_base`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from exwire._core import validate
from exwire._core.backoff import Deadline
from exwire._core.client import documented_options
from exwire._core.connection import Connection
from exwire._core.protocol import Update
from exwire.errors import ConfigurationError
from exwire.latest import TICKER
from exwire.models import DataEvent
from exwire.okx import arguments
from exwire.okx import book as okx_book
from exwire.okx.client_base import (
    DEFAULT_BUSINESS_URL,
    DEFAULT_PRIVATE_URL,
    DEFAULT_URL,
    DEMO_BUSINESS_URL,
    DEMO_PRIVATE_URL,
    DEMO_URL,
)
from exwire.okx.client_trading import OkxTrading
from exwire.okx.enums import InstrumentType, KlineInterval, OrderBookType
from exwire.okx.models import (
    EstimatedPrice,
    FundingRate,
    IndexTicker,
    Instrument,
    Kline,
    MarkPrice,
    OpenInterest,
    OptionSummary,
    OrderBookUpdate,
    PriceKline,
    PriceLimit,
    SystemStatus,
    Ticker,
    Trade,
)
from exwire.okx.protocol import PONG_KEY, channel_arg
from exwire.okx.symbols import normalize_symbol, normalize_symbols
from exwire.orderbook import BookSnapshot
from exwire.subscription import Subscription
from exwire.watcher import OrderBookWatcher

__all__ = [
    "OkxClient",
    "DEFAULT_URL",
    "DEFAULT_PRIVATE_URL",
    "DEFAULT_BUSINESS_URL",
    "DEMO_URL",
    "DEMO_PRIVATE_URL",
    "DEMO_BUSINESS_URL",
]


@documented_options
class OkxClient(OkxTrading):
    """Client of OKX's API v5 WebSocket: market data, account streams and order operations.

    The constructor does no I/O. Three connections open on demand: ``url`` (public market
    data), ``private_url`` (account channels and order operations, logged in) and
    ``business_url`` (candles, all trades, and the logged-in algo, deposit and withdrawal
    channels). A connection that needs it logs in first (``op: login``, HMAC-SHA256 over
    whole Unix seconds) and again first after every reconnect, before resubscribing.
    After ``ping_interval`` seconds without traffic the client sends the text ``ping``;
    without a ``pong`` within ``pong_timeout`` seconds it reconnects. OKX's notice 64008
    (a service upgrade soon) makes the client open a new connection and resubscribe.
    Requests are never replayed after a drop: a pending one fails with
    ``ConnectionClosed`` (outcome unknown).

    Threads: ``exwire-okx-reader-<connection>`` per open connection, the dispatcher lanes
    ``exwire-okx-dispatch-<n>`` that run callbacks, a short-lived ``exwire-okx-resync``
    after a reconnect; ``close()`` joins them all. Thread-safe: every method may be
    called from any thread, callbacks included. Every blocking method takes ``timeout=``
    (seconds; ``None``: ``request_timeout``). Prices are ``Decimal`` in the quote asset,
    quantities ``Decimal`` in the base asset (contracts for derivatives), times aware UTC.

    Args:
        url, private_url, business_url: ``ws://`` or ``wss://`` endpoints; ``None``:
            production (``wss://ws.okx.com:8443/ws/v5/public`` ...), or the demo hosts
            (``wss://wspap.okx.com:8443/...``) with ``demo=True``.
        demo: use OKX's demo trading hosts (demo API keys); explicit URLs win.
        ping_interval: seconds without traffic before a text ``ping`` (default 10, as on
            the other clients: with ``pong_timeout`` a half-open connection is noticed
            within about 21 s; OKX closes a connection silent for 30 s).
        pong_timeout: seconds a ``ping`` may stay unanswered before reconnecting
            (default 10); ``None`` disables the check.
        **options: the common client keywords:

            * ``credentials``: an :class:`exwire.Credentials` with ``key``, ``secret`` and
              ``passphrase``, needed by the private methods; ``None`` (default): public
              data only.
            {common_options}

    Raises:
        ConfigurationError: a bad URL, interval or keyword; credentials without a
            passphrase (checked here, before any I/O).
    """

    _shared_class: ClassVar[str] = "exwire.okx.shared:OkxShared"

    def _latest_feed(self, data_type: type) -> tuple[str, Callable[[Update], Any] | None] | None:
        # Ticker pushes feed ``client.latest.ticker(symbol)``.
        return (TICKER, None) if issubclass(data_type, Ticker) else None

    # -- general ----------------------------------------------------------------------------

    def ping(self, *, timeout: float | None = None) -> float:
        """Send the text ``ping`` on the public connection and wait for ``pong``.

        Returns:
            The round trip in seconds (the connection's opening excluded).

        Raises:
            ConfigurationError: a bad ``timeout``.
            InvalidState: the client is closed.
            ConnectError: the connection could not be opened.
            ConnectionClosed, RequestTimeout: no ``pong``; the outcome is unknown (a ping
                changes nothing).
        """
        timeout = validate.positive_timeout(timeout)
        self._check_open()
        deadline = Deadline(self._timeout(timeout))
        self._public.ensure_open(deadline.remaining())
        started = time.perf_counter()
        self._public.request(PONG_KEY, self._protocol_of(self._public).ping_frame(), deadline.remaining())
        return time.perf_counter() - started

    # -- public market data -----------------------------------------------------------------

    def _per_symbol(self, connection: Connection, channel: str, symbols: str | Iterable[str],
                    callback: Any, timeout: float | None, *, login: bool = False) -> Subscription[Any]:
        ids = normalize_symbols(symbols)
        args = [channel_arg(channel, symbol=symbol) for symbol in ids]
        return self._stream(connection, args, f"{channel}:{','.join(ids)}", callback, timeout, login=login)

    def subscribe_to_ticker_updates(
        self, symbols: str | Iterable[str], callback: Callable[[DataEvent[Ticker]], None] | None = None, *,
        timeout: float | None = None,
    ) -> Subscription[Ticker]:
        """Stream the ticker of one or more instruments (``tickers``, public).

        ``event.data`` is a :class:`~exwire.okx.models.Ticker`; ``event.symbol`` the
        instrument id; ``event.topic`` ``"tickers:BTC-USDT"``.

        Args:
            symbols: one instrument id (``"BTC-USDT"``, ``"btc/usdt"``) or several.
            callback: ``callback(event)``, run on a dispatcher lane (or the
                ``callback_executor``), in order per subscription; the client's
                ``overflow`` policy applies to its backlog. ``None`` makes a pull
                subscription (iterate it or call ``get(timeout)``).
            timeout: seconds for the connection and OKX's acknowledgements (``None``:
                ``request_timeout``).

        Returns:
            The :class:`exwire.Subscription`.

        Raises:
            ConfigurationError: no or malformed symbol, non-callable callback, bad
                ``timeout`` (nothing is sent).
            InvalidState: the client is closed.
            ConnectError: the connection could not be opened.
            InvalidRequest: OKX refused (an unknown instrument: 60018).
            RateLimited: OKX refused for the request rate (60014).
            ConnectionClosed, RequestTimeout: no acknowledgement; the outcome on OKX's side
                is unknown and the subscription is removed.
        """
        return self._per_symbol(self._public, "tickers", symbols, callback, timeout)

    def subscribe_to_trade_updates(
        self, symbols: str | Iterable[str], callback: Callable[[DataEvent[Trade]], None] | None = None, *,
        all_trades: bool = False, timeout: float | None = None,
    ) -> Subscription[Trade]:
        """Stream public trades (``trades``, public; ``trades-all`` on the business connection
        with ``all_trades``: every single trade, none aggregated). One event per trade,
        ``event.data`` a :class:`~exwire.okx.models.Trade`. Other arguments and errors as
        :meth:`subscribe_to_ticker_updates`."""
        if not isinstance(all_trades, bool):
            raise ConfigurationError("all_trades must be True or False")
        if all_trades:
            return self._per_symbol(self._business, "trades-all", symbols, callback, timeout)
        return self._per_symbol(self._public, "trades", symbols, callback, timeout)

    def subscribe_to_kline_updates(
        self, symbols: str | Iterable[str], period: KlineInterval | str,
        callback: Callable[[DataEvent[Kline]], None] | None = None, *, timeout: float | None = None,
    ) -> Subscription[Kline]:
        """Stream candles (``candle<period>``, business). ``period``: a bar such as ``"1m"``,
        ``"1H"``, ``"1Dutc"`` (case-sensitive) or a :class:`~exwire.okx.KlineInterval`.
        ``event.data`` is a :class:`~exwire.okx.models.Kline` (the open candle again as it
        changes; ``closed`` once complete). Other arguments and errors as
        :meth:`subscribe_to_ticker_updates`."""
        bar = arguments.period(period)
        return self._per_symbol(self._business, f"candle{bar.value}", symbols, callback, timeout)

    def subscribe_to_mark_price_kline_updates(
        self, symbols: str | Iterable[str], period: KlineInterval | str,
        callback: Callable[[DataEvent[PriceKline]], None] | None = None, *, timeout: float | None = None,
    ) -> Subscription[PriceKline]:
        """Stream mark-price candles (``mark-price-candle<period>``, business); ``event.data``
        is a :class:`~exwire.okx.models.PriceKline`. As :meth:`subscribe_to_kline_updates`."""
        bar = arguments.period(period)
        return self._per_symbol(self._business, f"mark-price-candle{bar.value}", symbols, callback, timeout)

    def subscribe_to_index_kline_updates(
        self, symbols: str | Iterable[str], period: KlineInterval | str,
        callback: Callable[[DataEvent[PriceKline]], None] | None = None, *, timeout: float | None = None,
    ) -> Subscription[PriceKline]:
        """Stream index candles (``index-candle<period>``, business; ``symbols`` are index
        ids such as ``"BTC-USDT"``); ``event.data`` is a :class:`~exwire.okx.models.PriceKline`.
        As :meth:`subscribe_to_kline_updates`."""
        bar = arguments.period(period)
        return self._per_symbol(self._business, f"index-candle{bar.value}", symbols, callback, timeout)

    def subscribe_to_order_book_updates(
        self, symbols: str | Iterable[str], order_book_type: OrderBookType | str = "books",
        callback: Callable[[DataEvent[OrderBookUpdate]], None] | None = None, *, timeout: float | None = None,
    ) -> Subscription[OrderBookUpdate]:
        """Stream raw order book pushes (``books``, ``books5``, ``bbo-tbt``, ``books-l2-tbt``,
        ``books50-l2-tbt``; the tick-by-tick ones log the public connection in).

        ``event.data`` is an :class:`~exwire.okx.models.OrderBookUpdate`; ``update_type``
        is ``SNAPSHOT`` for a snapshot and for every books5/bbo-tbt push. For a maintained,
        validated book use :meth:`watch_order_book`.

        Raises:
            ConfigurationError: an unknown book type, or a tick-by-tick one without credentials.
            ExwireError: the other errors :meth:`subscribe_to_ticker_updates` raises.
        """
        kind = arguments.order_book_type(order_book_type)
        return self._per_symbol(self._public, kind.value, symbols, callback, timeout, login=kind.needs_login)

    def _simple(self, channel: str, symbols: str | Iterable[str], callback: Any,
                timeout: float | None) -> Subscription[Any]:
        return self._per_symbol(self._public, channel, symbols, callback, timeout)

    def subscribe_to_mark_price_updates(
        self, symbols: str | Iterable[str], callback: Callable[[DataEvent[MarkPrice]], None] | None = None, *,
        timeout: float | None = None,
    ) -> Subscription[MarkPrice]:
        """Stream mark prices (``mark-price``, public); ``event.data`` a
        :class:`~exwire.okx.models.MarkPrice`. As :meth:`subscribe_to_ticker_updates`."""
        return self._simple("mark-price", symbols, callback, timeout)

    def subscribe_to_funding_rate_updates(
        self, symbols: str | Iterable[str], callback: Callable[[DataEvent[FundingRate]], None] | None = None, *,
        timeout: float | None = None,
    ) -> Subscription[FundingRate]:
        """Stream perpetual swaps' funding rates (``funding-rate``, public); ``event.data`` a
        :class:`~exwire.okx.models.FundingRate`. As :meth:`subscribe_to_ticker_updates`."""
        return self._simple("funding-rate", symbols, callback, timeout)

    def subscribe_to_open_interest_updates(
        self, symbols: str | Iterable[str], callback: Callable[[DataEvent[OpenInterest]], None] | None = None, *,
        timeout: float | None = None,
    ) -> Subscription[OpenInterest]:
        """Stream open interest (``open-interest``, public); ``event.data`` an
        :class:`~exwire.okx.models.OpenInterest`. As :meth:`subscribe_to_ticker_updates`."""
        return self._simple("open-interest", symbols, callback, timeout)

    def subscribe_to_index_ticker_updates(
        self, symbols: str | Iterable[str], callback: Callable[[DataEvent[IndexTicker]], None] | None = None, *,
        timeout: float | None = None,
    ) -> Subscription[IndexTicker]:
        """Stream index tickers (``index-tickers``, public; index ids such as ``"BTC-USDT"``);
        ``event.data`` an :class:`~exwire.okx.models.IndexTicker`. As
        :meth:`subscribe_to_ticker_updates`."""
        return self._simple("index-tickers", symbols, callback, timeout)

    def subscribe_to_price_limit_updates(
        self, symbols: str | Iterable[str], callback: Callable[[DataEvent[PriceLimit]], None] | None = None, *,
        timeout: float | None = None,
    ) -> Subscription[PriceLimit]:
        """Stream price limits (``price-limit``, public); ``event.data`` a
        :class:`~exwire.okx.models.PriceLimit`. As :meth:`subscribe_to_ticker_updates`."""
        return self._simple("price-limit", symbols, callback, timeout)

    def subscribe_to_estimated_price_updates(
        self, instrument_type: InstrumentType | str, instrument_family: str | None = None, symbol: str | None = None,
        callback: Callable[[DataEvent[EstimatedPrice]], None] | None = None, *, timeout: float | None = None,
    ) -> Subscription[EstimatedPrice]:
        """Stream estimated delivery/exercise prices (``estimated-price``, public).

        Args:
            instrument_type: FUTURES or OPTION.
            instrument_family: e.g. ``"BTC-USD"``; symbol: one instrument. One of them is required.

        Other arguments and errors as :meth:`subscribe_to_ticker_updates`.
        """
        if instrument_family is None and symbol is None:
            raise ConfigurationError("give instrument_family or symbol")
        arg = self._typed_arg("estimated-price", instrument_type, symbol, instrument_family, allow_any=False)
        return self._stream(self._public, [arg], "estimated-price:" + (arg.get("instFamily") or arg["instId"]),
                            callback, timeout)

    def subscribe_to_option_summary_updates(
        self, instrument_family: str, callback: Callable[[DataEvent[OptionSummary]], None] | None = None, *,
        timeout: float | None = None,
    ) -> Subscription[OptionSummary]:
        """Stream the greeks of every option of a family (``opt-summary``, public): one event
        per option, ``event.data`` an :class:`~exwire.okx.models.OptionSummary`. As
        :meth:`subscribe_to_ticker_updates`."""
        family = arguments.instrument_family(instrument_family)
        return self._stream(self._public, [channel_arg("opt-summary", instrument_family=family)],
                            f"opt-summary:{family}", callback, timeout)

    def subscribe_to_symbol_updates(
        self, instrument_type: InstrumentType | str,
        callback: Callable[[DataEvent[tuple[Instrument, ...]]], None] | None = None, *, timeout: float | None = None,
    ) -> Subscription[tuple[Instrument, ...]]:
        """Stream the instruments of a type (``instruments``, public): the full list first
        (``SNAPSHOT``), then the changed ones; ``event.data`` is a tuple of
        :class:`~exwire.okx.models.Instrument`. As :meth:`subscribe_to_ticker_updates`."""
        kind = arguments.instrument_type(instrument_type)
        return self._stream(self._public, [channel_arg("instruments", instrument_type=kind.value)],
                            f"instruments:{kind.value}", callback, timeout)

    def subscribe_to_system_status_updates(
        self, callback: Callable[[DataEvent[SystemStatus]], None] | None = None, *, timeout: float | None = None,
    ) -> Subscription[SystemStatus]:
        """Stream OKX's maintenance notices (``status``, public): the latest on subscribing,
        then changes; ``event.data`` a :class:`~exwire.okx.models.SystemStatus`. As
        :meth:`subscribe_to_ticker_updates`."""
        return self._stream(self._public, [channel_arg("status")], "status", callback, timeout)

    # -- order book ----------------------------------------------------------------------------

    def watch_order_book(
        self, symbol: str, depth: int = 400, callback: Callable[[BookSnapshot], None] | None = None, *,
        tick_by_tick: bool = False, timeout: float | None = None,
    ) -> OrderBookWatcher:
        """Maintain a local order book of one instrument, validated by OKX's ``seqId`` chain
        and checksum.

        ``depth`` picks the channel: 400 ``books`` (``books-l2-tbt`` with ``tick_by_tick``),
        50 ``books50-l2-tbt``, 5 ``books5``, 1 ``bbo-tbt`` (the tick-by-tick ones log the
        public connection in and need OKX's VIP tiers). Each update must follow the last
        one (``prevSeqId``; the empty keep-alive and the post-maintenance reset do); a gap
        resubscribes for a fresh snapshot and counts in ``resyncs`` and ``sequence_gaps``.
        A non-zero checksum (CRC32 of the top 25 levels) is compared; a mismatch counts in
        ``checksums_mismatched`` and resubscribes; a checksum of 0 (OKX's "not provided")
        is not compared.

        Args:
            symbol: the instrument id.
            depth: 400 (default), 50, 5 or 1 levels per side.
            callback: optional ``callback(snapshot)`` with an immutable
                :class:`exwire.orderbook.BookSnapshot` of the newest book after applied
                pushes, run on a dispatcher lane (or the ``callback_executor``); a callback
                slower than the pushes is given the newest book when it returns. The book
                itself is applied on the reader thread as each push is read, so none is
                skipped. ``None``: read the watcher on demand.
            tick_by_tick: with depth 400, the ``books-l2-tbt`` channel.
            timeout: seconds for the connection (and login) and the acknowledgement.

        Returns:
            An :class:`exwire.OrderBookWatcher`: ``wait_synced()`` blocks until the first
            snapshot is applied; ``close()`` unsubscribes.

        Raises:
            ConfigurationError: bad symbol or depth, non-callable callback, bad ``timeout``,
                a tick-by-tick book without credentials.
            ExwireError: the other errors :meth:`subscribe_to_ticker_updates` raises; the
                watcher is then not kept.
        """
        inst = normalize_symbol(symbol)
        if isinstance(depth, bool) or depth not in arguments.BOOK_DEPTHS:
            raise ConfigurationError(f"depth must be 400, 50, 5 or 1, got {depth!r}")
        if not isinstance(tick_by_tick, bool):
            raise ConfigurationError("tick_by_tick must be True or False")
        if callback is not None and not callable(callback):
            raise ConfigurationError("callback must be callable")
        kind = OrderBookType.BOOKS_L2_TBT if depth == 400 and tick_by_tick else arguments.BOOK_DEPTHS[depth]
        timeout = validate.positive_timeout(timeout)
        if kind.needs_login:
            self._credentials_for(f"the {kind.value} book")
        self._check_open()
        deadline = Deadline(self._timeout(timeout))
        arg = channel_arg(kind.value, symbol=inst)
        keys = [self._remember(arg)]
        if kind.needs_login:
            self._ensure_login(self._public, deadline)
        chain = okx_book.BookSequence()
        return self._watch(self._public, symbol=inst, depth=kind.depth, keys=list(keys),
                           topic=f"{kind.value}:{inst}", apply=chain.apply, checksum=okx_book.checksum,
                           callback=callback, timeout=deadline.remaining(), on_reader=True)
