"""BinanceClient: the Binance WebSocket API, spot and futures (:doc:`the Binance page </exchanges/binance>`).

The request methods live in mixins by method group — spot market data
(:mod:`~exwire.binance.client_market`), order management and SOR
(:mod:`~exwire.binance.client_trading`), order lists (:mod:`~exwire.binance.client_lists`),
account (:mod:`~exwire.binance.client_account`), futures market data and orders
(:mod:`~exwire.binance.client_futures`) and futures account
(:mod:`~exwire.binance.client_futures_account`); this module holds the client itself:
connections, signing, clock, session log-on, the general methods and the user-data stream.

Connections: ``spot`` (``ws-api/v3``), ``usdm`` (``ws-fapi/v1``) and ``coinm``
(``ws-dapi/v1``), each opened on its first use, with its own reader thread, protocol
instance (request ids, rate limits) and log-on state (:class:`_Session`).

Section numbers (§) refer to the protocol notes of :doc:`the Binance page </exchanges/binance>`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable, Iterable, Mapping
from datetime import datetime
from types import FunctionType, MappingProxyType
from typing import Any, ClassVar, TypeVar, cast, overload

from exwire._core import validate
from exwire._core.backoff import Deadline
from exwire._core.client import BaseClient, documented_options
from exwire._core.codec import epoch_ms_to_datetime
from exwire._core.connection import Connection
from exwire.binance import converter
from exwire.binance._stream_engine import NAMES as STREAM_CONNECTIONS
from exwire.binance._validation import futures_market, symbol_or_symbols
from exwire.binance.client_account import AccountMethods
from exwire.binance.client_book import BookMethods
from exwire.binance.client_futures import FuturesMethods
from exwire.binance.client_futures_account import FuturesAccountMethods
from exwire.binance.client_lists import OrderListMethods
from exwire.binance.client_market import MarketDataMethods
from exwire.binance.client_streams import StreamMethods
from exwire.binance.client_trading import TradingMethods
from exwire.binance.client_user_stream import UserStreamMethods
from exwire.binance.enums import FuturesMarket, SymbolStatus
from exwire.binance.events import UserDataEvent
from exwire.binance.futures_converter import FUTURES_PARAMETERS
from exwire.binance.models import ExchangeInfo, RateLimit, SessionStatus
from exwire.binance.protocol import (
    COINM_FUTURES_TESTNET_URL,
    COINM_FUTURES_URL,
    COINM_REST_TESTNET_URL,
    COINM_REST_URL,
    COINM_STREAM_TESTNET_URL,
    COINM_STREAM_URL,
    SPOT_STREAM_TESTNET_URL,
    SPOT_STREAM_URL,
    SPOT_TESTNET_URL,
    SPOT_URL,
    USDM_FUTURES_TESTNET_URL,
    USDM_FUTURES_URL,
    USDM_STREAM_TESTNET_URL,
    USDM_STREAM_URL,
    BinanceProtocol,
)
from exwire.binance.signing import Signer, signer_for
from exwire.errors import AuthenticationError, ConfigurationError, DecodeError
from exwire.models import DataEvent, decimal_to_wire

__all__ = ["BinanceClient", "SPOT_URL", "SPOT_TESTNET_URL"]


T = TypeVar("T")
UserDataCallback = Callable[[DataEvent[UserDataEvent]], None]
_MAX_RECV_WINDOW = 60.0  # seconds (§6.2)
_TIMESTAMP_REFUSED = -1021


#: Binance closes a WebSocket API connection after 24 h (§2, §10.2): replace it first.
_MAX_CONNECTION_AGE = 23.5 * 3600
#: Keep-alive defaults, seconds. Spot: a ``ping`` request after 10 s without traffic,
#: answered within 10 s. Futures have no ``ping`` method, and the server's own ping
#: frames (every 3 minutes, a pong wanted within 10, §10.2) would notice a dead link
#: only after minutes: the client sends WebSocket ping frames after 10 s without traffic
#: (one per interval, far under the 5 per second limit) and wants bytes back within
#: another 10 s. Either way a half-open connection is noticed within about 21 s.
_PING_INTERVAL = 10.0
_PONG_TIMEOUT = 10.0
_FUTURES_PING_INTERVAL = 10.0
_FUTURES_PONG_TIMEOUT = 10.0


class _Session:
    """What one WS API connection keeps: its codec, its connection and its log-on state.

    ``logged_on`` is written by the connection's ``on_open`` hook (first connect: the
    caller's thread; reconnect: the resync thread) and read by request builders; a
    plain attribute suffices (one writer at a time, atomic reads).

    Attributes:
        name: the connection name (``"spot"``, ``"usdm"``, ``"coinm"``).
        clock_method: the public method whose result carries ``serverTime``
            (``time`` on spot; futures have none, ``session.status`` carries it).
        parameters: keyword → wire table of this product's methods.
    """

    __slots__ = ("name", "protocol", "connection", "logged_on", "clock_method", "parameters")

    def __init__(self, name: str, protocol: BinanceProtocol, connection: Connection, clock_method: str,
                 parameters: Any) -> None:
        self.name, self.protocol, self.connection = name, protocol, connection
        self.clock_method, self.parameters = clock_method, parameters
        self.logged_on = False


@documented_options
class BinanceClient(StreamMethods, BookMethods, UserStreamMethods, MarketDataMethods, TradingMethods,
                    OrderListMethods, AccountMethods, FuturesMethods, FuturesAccountMethods, BaseClient):
    """Client of the Binance WebSocket API: spot (``ws-api/v3``), USDⓈ-M futures (``ws-fapi/v1``)
    and COIN-M futures (``ws-dapi/v1``), as described in the protocol notes of
    :doc:`the Binance page </exchanges/binance>` (spot §2–§9, futures §10).

    The constructor does no I/O: each product's connection opens on its first call (a
    spot call never opens a futures connection). With credentials, every (re)connect of
    each connection first synchronises the clock (spot ``time``; futures
    ``session.status``, whose reply carries ``serverTime``) so a skewed machine does not
    get ``-1021``, then, for an Ed25519 key, logs that connection on with
    ``session.logon`` (§7, §10.1) so later requests on it need no signature; HMAC and RSA
    keys sign every SIGNED request instead. After a reconnect the client logs that
    connection on again (and, on spot, resubscribes the user-data stream); the other
    connections are not touched. Binance's ping frames (spot every 20 s, futures every
    3 min) are answered by the transport. The client also keeps each connection alive
    itself: on spot it sends a ``ping`` request after ``ping_interval`` seconds without
    traffic and reconnects if it is not answered within ``pong_timeout``; on futures,
    which have no ``ping`` method, it sends a WebSocket ping frame after
    ``futures_ping_interval`` seconds without traffic and reconnects when nothing at all
    (the pong included) arrived within ``futures_pong_timeout`` seconds after that. With
    the defaults a half-open connection (one that stopped delivering without closing)
    is noticed within about 21 s, at most 30 s. A ``serverShutdown`` event makes that
    connection reconnect at once (§2).

    Requests are never replayed after a reconnect. The one exception is a request
    refused with ``-1021`` (timestamp outside ``recvWindow``): the server did not act,
    so the client resynchronises its clock and sends it once more with a fresh timestamp.

    Thread-safe: every method may be called from any thread, callbacks included.

    Conventions of every request method: it blocks until the reply and takes ``timeout=``
    (seconds; ``None``: ``request_timeout``), SIGNED ones also ``recv_window=`` (seconds;
    ``None``: the client's ``recv_window``). An optional argument left at ``None`` is not
    sent, so Binance applies its own default. Times given as ``int`` are epoch
    milliseconds; returned times are aware UTC datetimes; prices and quantities are
    ``Decimal`` (price in the quote asset, quantity in the base asset, COIN-M quantities
    in contracts). Each method's ``Raises:`` lists ``ConnectionClosed`` and
    ``RequestTimeout`` (outcome unknown) with the ``ExchangeError`` subclasses it can raise.

    Args:
        url: spot endpoint; ``None`` (default): production
            ``wss://ws-api.binance.com:443/ws-api/v3`` (the testnet with ``testnet=True``).
        usdm_futures_url: USDⓈ-M endpoint; ``None``: ``wss://ws-fapi.binance.com/ws-fapi/v1``
            (or its testnet).
        coinm_futures_url: COIN-M endpoint; ``None``: ``wss://ws-dapi.binance.com/ws-dapi/v1``
            (or its testnet).
        testnet: use the testnets (``SPOT_TESTNET_URL``, ``USDM_FUTURES_TESTNET_URL``,
            ``COINM_FUTURES_TESTNET_URL``) instead; do not combine with an explicit URL.
        recv_window: default ``recvWindow`` of SIGNED requests in seconds (rounded to whole
            milliseconds, at most 60); ``None`` leaves Binance's default of 5 s.
        sync_time: synchronise the clock offset on every connect (spot ``time``, futures
            ``session.status``) and after a ``-1021``; ``False`` uses only
            :meth:`set_time_offset_ms`. The offset is one for the client (one Binance clock).
        session_logon: log Ed25519 sessions on (§7); ``False`` signs every request.
        ping_interval: seconds without sending or receiving after which a keep-alive
            ``ping`` request goes out (spot; default 10; at most one per interval).
        pong_timeout: seconds within which that ping must be answered (spot; default 10).
        futures_ping_interval: seconds without sending or receiving after which each
            futures connection sends a WebSocket ping frame (default 10).
        futures_pong_timeout: seconds within which the pong (or any other frame) must
            follow that ping frame: a futures connection silent for
            ``futures_ping_interval + futures_pong_timeout`` seconds is re-established
            (default 10).
        stream_url: spot market data stream root; ``None``: ``wss://stream.binance.com:9443``
            (the testnet's with ``testnet=True``).
        usdm_stream_url: USDⓈ-M stream root; the client appends the route (``/public``,
            ``/market``, ``/private``) each stream needs; ``None``: ``wss://fstream.binance.com``.
        coinm_stream_url: COIN-M stream root; ``None``: ``wss://dstream.binance.com``.
        coinm_rest_url: COIN-M REST root for order book snapshots; ``None``:
            ``https://dapi.binance.com``.
        listen_key_ping_interval: seconds between keep-alives of a futures listen key
            (default 1800; Binance expires a key after 60 minutes without one).
        **options: the common client keywords:

            * ``credentials``: an :class:`exwire.Credentials` (``key`` with ``secret`` for
              HMAC, or ``private_key`` PEM for Ed25519/RSA); ``None`` (default): public
              methods only.
            {common_options}

    Raises:
        ConfigurationError: bad keyword values, or credentials without a usable secret
            or private key (checked here, before any I/O).
    """

    exchange = "binance"
    _shared_class: ClassVar[str] = "exwire.binance.shared:BinanceShared"

    def __init__(
        self,
        *,
        url: str | None = None,
        usdm_futures_url: str | None = None,
        coinm_futures_url: str | None = None,
        testnet: bool = False,
        recv_window: float | None = None,
        sync_time: bool = True,
        session_logon: bool = True,
        ping_interval: float = _PING_INTERVAL,
        pong_timeout: float = _PONG_TIMEOUT,
        futures_ping_interval: float = _FUTURES_PING_INTERVAL,
        futures_pong_timeout: float = _FUTURES_PONG_TIMEOUT,
        stream_url: str | None = None,
        usdm_stream_url: str | None = None,
        coinm_stream_url: str | None = None,
        coinm_rest_url: str | None = None,
        listen_key_ping_interval: float = 1800.0,
        **options: Any,
    ) -> None:
        for name, endpoint in (("url", url), ("usdm_futures_url", usdm_futures_url),
                               ("coinm_futures_url", coinm_futures_url), ("stream_url", stream_url),
                               ("usdm_stream_url", usdm_stream_url), ("coinm_stream_url", coinm_stream_url)):
            if endpoint is not None:
                validate.url(endpoint, name)
        if coinm_rest_url is not None:
            validate.url(coinm_rest_url, "coinm_rest_url", schemes=("http", "https"))
        if (isinstance(listen_key_ping_interval, bool) or not isinstance(listen_key_ping_interval, (int, float))
                or not 0 < listen_key_ping_interval <= 3600):
            raise ConfigurationError("listen_key_ping_interval must be seconds in (0, 3600]")
        super().__init__(**options)
        if testnet and (url is not None or usdm_futures_url is not None or coinm_futures_url is not None):
            raise ConfigurationError("pass either endpoint URLs or testnet=True, not both")
        for value in (ping_interval, pong_timeout, futures_ping_interval, futures_pong_timeout):
            if value is None or isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise ConfigurationError("ping_interval, pong_timeout and their futures_ twins must be positive "
                                         "seconds")
        self.url = url or (SPOT_TESTNET_URL if testnet else SPOT_URL)
        self.usdm_futures_url = usdm_futures_url or (USDM_FUTURES_TESTNET_URL if testnet else USDM_FUTURES_URL)
        self.coinm_futures_url = coinm_futures_url or (COINM_FUTURES_TESTNET_URL if testnet else COINM_FUTURES_URL)
        self.stream_url = (stream_url or (SPOT_STREAM_TESTNET_URL if testnet else SPOT_STREAM_URL)).rstrip("/")
        self.usdm_stream_url = (usdm_stream_url or (USDM_STREAM_TESTNET_URL if testnet else USDM_STREAM_URL)).rstrip("/")
        self.coinm_stream_url = (coinm_stream_url or (COINM_STREAM_TESTNET_URL if testnet else COINM_STREAM_URL)).rstrip("/")
        self.coinm_rest_url = (coinm_rest_url or (COINM_REST_TESTNET_URL if testnet else COINM_REST_URL)).rstrip("/")
        self.listen_key_ping_interval = float(listen_key_ping_interval)
        self._default_recv_window = _recv_window_ms(recv_window)
        self._signer: Signer | None = signer_for(self.credentials) if self.credentials is not None else None
        self._sync_time_enabled = sync_time
        self._session_logon = session_logon
        self._clock_lock = threading.Lock()  # guards _time_offset_ms
        self._time_offset_ms = 0
        # Spot symbol → (base, quote) from the exchangeInfo results fetched (.shared's
        # symbol split). Replaced whole under _symbols_lock, never mutated: readers need no lock.
        self._symbols_lock = threading.Lock()
        self._symbol_assets: dict[str, tuple[str, str]] = {}
        self._protocol = BinanceProtocol(now_ms=self._now_ms)
        self._connection = self._add_connection(
            "spot",
            self.url,
            self._protocol,
            ping_interval=ping_interval,
            pong_timeout=pong_timeout,
            max_age=_MAX_CONNECTION_AGE,
        )
        self._spot = _Session("spot", self._protocol, self._connection, "time", converter.PARAMETERS)
        self._sessions: dict[str, _Session] = {"spot": self._spot}
        self._futures: dict[FuturesMarket, _Session] = {}
        for market, market_url in ((FuturesMarket.USDM, self.usdm_futures_url),
                                   (FuturesMarket.COINM, self.coinm_futures_url)):
            protocol = BinanceProtocol(now_ms=self._now_ms, product=market.value)
            # No application ping on futures (protocol.ping_frame() is None): the pong to
            # the transport's ping frame is judged by the no-inbound-bytes deadline.
            connection = self._add_connection(market.value, market_url, protocol,
                                              ping_interval=futures_ping_interval,
                                              stale_timeout=futures_ping_interval + futures_pong_timeout,
                                              max_age=_MAX_CONNECTION_AGE)
            session = _Session(market.value, protocol, connection, "session.status", FUTURES_PARAMETERS)
            self._futures[market] = session
            self._sessions[market.value] = session

    # -- clock and limits ----------------------------------------------------------------

    @property
    def rate_limits(self) -> tuple[RateLimit, ...]:
        """The latest known usage of every rate-limit window (§5), one entry per window.

        Updated from the ``rateLimits`` of every response; empty before the first one.
        Readable from any thread.
        """
        return self._protocol.rate_limits

    def futures_rate_limits(self, market: FuturesMarket) -> tuple[RateLimit, ...]:
        """The latest known usage of every rate-limit window of one futures market (§5.4).

        Futures limits are separate from spot's and shared with the futures REST API
        (REQUEST_WEIGHT 2400/min, ORDERS 300/10 s and 1200/min). Empty before the first
        response on that market's connection. Readable from any thread.

        Raises:
            ConfigurationError: ``market`` is not a :class:`~exwire.binance.enums.FuturesMarket`.
        """
        return self._futures[futures_market(market)].protocol.rate_limits

    @property
    def time_offset_ms(self) -> int:
        """Milliseconds added to the local clock for ``timestamp`` (server minus local)."""
        with self._clock_lock:
            return self._time_offset_ms

    def set_time_offset_ms(self, offset_ms: int) -> None:
        """Set the offset in milliseconds applied to the ``timestamp`` of SIGNED requests.

        With ``sync_time=True`` (the default) the next automatic synchronisation
        (on connect, or after a ``-1021``) replaces it.

        Raises:
            ConfigurationError: not an integer.
        """
        if isinstance(offset_ms, bool) or not isinstance(offset_ms, int):
            raise ConfigurationError(f"offset_ms must be an integer number of milliseconds, got {offset_ms!r}")
        with self._clock_lock:
            self._time_offset_ms = offset_ms

    def _now_ms(self) -> int:
        with self._clock_lock:
            offset = self._time_offset_ms
        return int(time.time() * 1000) + offset

    def _sync_time(self, connection: Connection, timeout: float | None, *, wait_ready: bool) -> int:
        session = self._sessions[connection.name]
        request_id, frame = session.protocol.request(session.clock_method)
        sent = time.time()
        (result,) = connection.request(request_id, frame, timeout, wait_ready=wait_ready)
        received = time.time()
        if session.clock_method != "time" and not (isinstance(result, dict) and "serverTime" in result):
            # session.status documents serverTime (§7); should a futures server leave it out,
            # keep the current offset rather than refuse to connect.
            self.log.warning("binance %s session.status carries no serverTime: clock not synchronised", session.name)
            return self.time_offset_ms
        try:
            offset = int(result["serverTime"] - (sent + received) * 500)  # server minus the midpoint, ms
        except (KeyError, TypeError, ValueError) as exc:
            raise DecodeError(f"malformed binance time result: {result!r}") from exc
        with self._clock_lock:
            self._time_offset_ms = offset
        self.log.debug("clock offset to binance: %d ms", offset)
        return offset

    # -- the request path ------------------------------------------------------------------

    @overload
    def _call(self, method: str, decode: type[T], *, timeout: float | None, signed: bool = ...,
              recv_window: float | None = ..., market: FuturesMarket | None = ..., symbol_optional: bool = ...,
              **values: Any) -> T: ...

    @overload
    def _call(self, method: str, decode: Callable[[Any], T], *, timeout: float | None, signed: bool = ...,
              recv_window: float | None = ..., market: FuturesMarket | None = ..., symbol_optional: bool = ...,
              **values: Any) -> T: ...

    @overload
    def _call(self, method: str, decode: None = ..., *, timeout: float | None, signed: bool = ...,
              recv_window: float | None = ..., market: FuturesMarket | None = ..., symbol_optional: bool = ...,
              **values: Any) -> object: ...

    def _call(
        self,
        method: str,
        decode: type[Any] | Callable[[Any], Any] | None = None,
        *,
        timeout: float | None,
        signed: bool = False,
        recv_window: float | None = None,
        market: FuturesMarket | None = None,
        symbol_optional: bool = False,
        **values: Any,
    ) -> Any:
        """Validate, encode, send one request and decode its result.

        ``decode`` is a model type (or ``list[Model]``) for the converter, a callable
        taking the raw result, or ``None`` for the raw result. ``market`` sends it on
        that futures connection (with the futures parameter table); ``None`` on spot.
        A ``symbol`` keyword given as ``None`` is refused unless ``symbol_optional``.
        """
        self._check_open()
        timeout = self._timeout(timeout)
        session = self._spot if market is None else self._futures[market]
        if values:
            _check_values(values, session.parameters, symbol_optional)
            params: dict[str, Any] | None = converter.encode_params(values, session.parameters)
        else:  # a parameterless request (``time``, ``ping``): nothing to check or encode
            params = None
        window = _recv_window_ms(recv_window) if recv_window is not None else self._default_recv_window
        if signed and self._signer is None:
            raise ConfigurationError(f"{method} is a SIGNED request: the client needs credentials")
        protocol = session.protocol
        connection = session.connection
        if not signed and connection.is_ready:  # the common case: no opening, no retry
            request_id, frame = protocol.request(method, params)
            (result,) = connection.request(request_id, frame, timeout)
            return result if decode is None else self._decode(result, decode)
        deadline = Deadline(timeout)
        connection.ensure_open(deadline.remaining())

        def build() -> tuple[int, str]:
            if not signed:
                return protocol.request(method, params)
            signer = None if session.logged_on else self._signer
            return protocol.request(method, params, signer=signer, timestamp_ms=self._now_ms(),
                                    recv_window_ms=window)

        result = self._send(connection, build, signed, deadline, wait_ready=True)
        return result if decode is None else self._decode(result, decode)

    @staticmethod
    def _decode(result: Any, decode: type[Any] | Callable[[Any], Any]) -> Any:
        if type(decode) is FunctionType:  # a decoder function (the common case: no attribute probe)
            return decode(result)
        if isinstance(decode, type) or hasattr(decode, "__origin__"):
            return converter.structure(result, cast("type[Any]", decode))  # a class or list[Model]
        return decode(result)

    def _send(self, connection: Connection, build: Callable[[], tuple[int, str]], signed: bool,
              deadline: Deadline, *, wait_ready: bool) -> Any:
        # A request that gets no reply is the protocol's to forget (BinanceProtocol.abandoned).
        for attempt in (1, 2):
            request_id, frame = build()
            try:
                (result,) = connection.request(request_id, frame, deadline.remaining(), wait_ready=wait_ready)
                return result
            except AuthenticationError as exc:
                if not (signed and exc.code == _TIMESTAMP_REFUSED and attempt == 1 and self._sync_time_enabled):
                    raise
                # -1021: refused before reaching the matching engine, so a retry cannot duplicate it.
                self.log.warning("binance refused the timestamp (%s); resynchronising the clock", exc.message)
                self._sync_time(connection, deadline.remaining(), wait_ready=wait_ready)
        raise AssertionError("unreachable")  # pragma: no cover

    def _authenticate(self, connection: Connection) -> None:
        """After every (re)connect of one connection: sync the clock, log it on (§7, §10.1).

        Its protocol forgot the old subscription ids when the connection was lost
        (``BinanceProtocol.connection_lost``). The other connections are not touched;
        market data stream connections have nothing to log on."""
        session = self._sessions.get(connection.name)
        if session is None:
            return
        session.logged_on = False
        if self._signer is None:
            return
        deadline = Deadline(self.request_timeout)
        if self._sync_time_enabled:
            self._sync_time(connection, deadline.remaining(), wait_ready=False)
        if self._signer.can_log_on and self._session_logon:
            signer, protocol = self._signer, session.protocol

            def build() -> tuple[int, str]:
                return protocol.request("session.logon", signer=signer, timestamp_ms=self._now_ms(),
                                        recv_window_ms=self._default_recv_window)

            self._send(connection, build, True, deadline, wait_ready=False)
            session.logged_on = True
            self.log.info("binance %s session logged on with an Ed25519 key", session.name)

    # -- general (§8.1, §8.2) ------------------------------------------------------------------

    def test_spot_connectivity(self, *, timeout: float | None = None) -> float:
        """Send a ``ping`` request and wait for its reply (§8.1, weight 1).

        Args:
            timeout: seconds to wait, the connection's opening included (``None``:
                ``request_timeout``).

        Returns:
            The round-trip time in seconds (the reply alone, not the opening).

        Raises:
            ConfigurationError: a non-positive ``timeout``.
            InvalidState: the client is closed.
            ConnectError: the connection could not be opened or logged on.
            RateLimited: the request-weight limit was hit; ``retry_after`` says how long to wait.
            ExchangeUnavailable: a Binance-side failure or timeout (-1007, 5xx).
            ConnectionClosed: the connection dropped first; the outcome is unknown (a ping
                changes nothing).
            RequestTimeout: no reply within ``timeout``; the outcome is unknown (a ping
                changes nothing).
        """
        self._check_open()
        deadline = Deadline(self._timeout(validate.positive_timeout(timeout)))
        self._connection.ensure_open(deadline.remaining())
        started = time.perf_counter()
        self._call("ping", timeout=deadline.remaining())
        return time.perf_counter() - started

    def get_spot_server_time(self, *, timeout: float | None = None) -> datetime:
        """Return Binance's clock (``time``, §8.1, weight 1) as an aware UTC datetime (milliseconds).

        Args:
            timeout: seconds to wait (``None``: ``request_timeout``).

        Raises:
            ConfigurationError: a non-positive ``timeout``.
            InvalidState: the client is closed.
            ConnectError: the connection could not be opened.
            RateLimited: the request-weight limit was hit; ``retry_after`` says how long to wait.
            ExchangeUnavailable: a Binance-side failure or timeout (-1007, 5xx).
            ConnectionClosed, RequestTimeout: no reply; the outcome is unknown (a read
                changes nothing).
        """
        result = cast("dict[str, Any]", self._call("time", timeout=timeout))  # checked by the protocol
        return epoch_ms_to_datetime(result["serverTime"])

    def get_spot_exchange_info(
        self,
        symbols: str | Iterable[str] | None = None,
        *,
        permissions: str | Iterable[str] | None = None,
        show_permission_sets: bool | None = None,
        symbol_status: SymbolStatus | str | None = None,
        timeout: float | None = None,
    ) -> ExchangeInfo:
        """Return trading rules, rate limits and symbol information (``exchangeInfo``, §8.1, weight 20).

        Args:
            symbols: one symbol or several; ``None`` for all (only one of ``symbols``,
                ``permissions`` and ``symbol_status`` may be given).
            permissions: e.g. ``"SPOT"`` or ``["MARGIN", "LEVERAGED"]``; ``None``: Binance's default.
            show_permission_sets: ``False`` omits ``permission_sets``; ``None``: default (shown).
            symbol_status: only symbols in this :class:`~exwire.binance.enums.SymbolStatus`;
                ``None``: any status.
            timeout: seconds to wait (``None``: ``request_timeout``).

        Raises:
            ConfigurationError: more than one filter, a bad value or a non-positive
                ``timeout`` (nothing sent).
            InvalidRequest: Binance refused (e.g. unknown symbol).
            InvalidState: the client is closed.
            ConnectError: the connection could not be opened.
            RateLimited: the request-weight limit was hit; ``retry_after`` says how long to wait.
            ExchangeUnavailable: a Binance-side failure or timeout (-1007, 5xx).
            ConnectionClosed, RequestTimeout: no reply; the outcome is unknown (a read
                changes nothing).
        """
        if sum(value is not None for value in (symbols, permissions, symbol_status)) > 1:
            raise ConfigurationError("pass at most one of symbols, permissions and symbol_status")
        info = self._call("exchangeInfo", ExchangeInfo, timeout=timeout, **symbol_or_symbols(symbols),
                          permissions=permissions, show_permission_sets=show_permission_sets,
                          symbol_status=symbol_status)
        if info.symbols:
            fetched = {item.symbol: (item.base_asset, item.quote_asset) for item in info.symbols}
            with self._symbols_lock:  # two concurrent fetches both land
                self._symbol_assets = {**self._symbol_assets, **fetched}
        return info

    @property
    def symbol_assets(self) -> Mapping[str, tuple[str, str]]:
        """Spot symbol → its ``(base, quote)`` assets, from the ``exchangeInfo`` results this
        client fetched (:meth:`get_spot_exchange_info`); empty before the first.

        A read-only snapshot; ``client.shared`` splits symbols with it. Readable from any thread.
        """
        return MappingProxyType(self._symbol_assets)

    def get_spot_session_status(self, *, timeout: float | None = None) -> SessionStatus:
        """Return the authentication status of the spot connection (``session.status``, §7, weight 2).

        Args:
            timeout: seconds to wait (``None``: ``request_timeout``).

        Raises:
            ConfigurationError: a non-positive ``timeout``.
            InvalidState: the client is closed.
            ConnectError: the connection could not be opened or logged on.
            RateLimited: the request-weight limit was hit; ``retry_after`` says how long to wait.
            ExchangeUnavailable: a Binance-side failure or timeout (-1007, 5xx).
            ConnectionClosed, RequestTimeout: no reply; the outcome is unknown (a read
                changes nothing).
        """
        return self._call("session.status", SessionStatus, timeout=timeout)

    # -- spot user data stream (§9): subscribe_user_data_stream is in client_user_stream ------------

    def _wire_subscribe(self, connection: Connection, keys: list[Hashable], timeout: float | None) -> None:
        if connection.name in STREAM_CONNECTIONS:  # market data streams: SUBSCRIBE, paced
            self._stream_control(connection, "SUBSCRIBE", keys, timeout)
            return
        deadline = Deadline(timeout)
        for key in keys:
            def build(key: Hashable = key) -> tuple[int, str]:
                if self._spot.logged_on:
                    return self._protocol.subscribe_user_data(key)
                return self._protocol.subscribe_user_data(
                    key, signer=self._signer, timestamp_ms=self._now_ms(), recv_window_ms=self._default_recv_window)

            self._send(connection, build, True, deadline, wait_ready=False)

    def _wire_unsubscribe(self, connection: Connection, keys: list[Hashable], timeout: float | None) -> None:
        if connection.name in STREAM_CONNECTIONS:
            self._stream_control(connection, "UNSUBSCRIBE", keys, timeout)
            return
        deadline = Deadline(timeout)
        for key in keys:
            built = self._protocol.unsubscribe_user_data(key)
            if built is not None:
                connection.request(built[0], built[1], deadline.remaining(), wait_ready=False)


# Keywords every method that passes them requires (no method takes them as optional).
_REQUIRED_WHEN_GIVEN = ("side", "order_type", "interval", "cancel_replace_mode", "pending_side")


def _check_values(values: dict[str, Any], table: Any, symbol_optional: bool) -> None:
    """What the encoders do not bound: a required symbol left at ``None``, integers past
    Binance's 64-bit LONG, amounts past its decimal fields (validate's 18+18 digits)."""
    if not symbol_optional and "symbol" in values and values["symbol"] is None:
        raise ConfigurationError("symbol is required, e.g. 'BTCUSDT'")
    for name in _REQUIRED_WHEN_GIVEN:
        if name in values and values[name] is None:
            raise ConfigurationError(f"{name} is required")
    for name, value in values.items():
        if value is None:
            continue
        if type(value) is int:
            validate.integer(value, name)
        elif table.get(name, (None, None))[1] is decimal_to_wire:
            validate.money(value, name, positive=False)


def _recv_window_ms(seconds: float | None) -> int | None:
    if seconds is None:
        return None
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 < seconds <= _MAX_RECV_WINDOW:
        raise ConfigurationError(f"recv_window must be seconds in (0, {_MAX_RECV_WINDOW:g}], got {seconds!r}")
    return max(1, round(seconds * 1000))

