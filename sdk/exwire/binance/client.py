"""BinanceClient: the Binance WebSocket API, spot (``reference/protocols/binance.md``).

The request methods live in mixins by seed section — market data
(:mod:`~exwire.binance.client_market`), order management and SOR
(:mod:`~exwire.binance.client_trading`), order lists (:mod:`~exwire.binance.client_lists`)
and account (:mod:`~exwire.binance.client_account`);
this module holds the client itself: connection, signing, clock, session log-on, the
general methods and the user-data stream.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable, Iterable
from datetime import datetime
from typing import Any

from exwire._core.backoff import Deadline
from exwire._core.client import BaseClient
from exwire._core.connection import Connection
from exwire._core.subscription import Subscription
from exwire._core.codec import epoch_ms_to_datetime
from exwire.binance import converter
from exwire.binance._validation import symbol_or_symbols
from exwire.binance.client_account import AccountMethods
from exwire.binance.client_lists import OrderListMethods
from exwire.binance.client_market import MarketDataMethods
from exwire.binance.client_trading import TradingMethods
from exwire.binance.models import ExchangeInfo, RateLimit, SessionStatus
from exwire.binance.protocol import SPOT_TESTNET_URL, SPOT_URL, USER_DATA_KEY, BinanceProtocol
from exwire.binance.signing import Signer, signer_for
from exwire.errors import AuthenticationError, ConfigurationError, DecodeError
from exwire.models import DataEvent

__all__ = ["BinanceClient", "SPOT_URL", "SPOT_TESTNET_URL"]

Callback = Callable[[DataEvent], None]
_MAX_RECV_WINDOW = 60.0  # seconds (§6.2)
_TIMESTAMP_REFUSED = -1021


#: Binance closes a WebSocket API connection after 24 h (binance.md): replace it first.
_MAX_CONNECTION_AGE = 23.5 * 3600


class BinanceClient(MarketDataMethods, TradingMethods, OrderListMethods, AccountMethods, BaseClient):
    """Client of the Binance spot WebSocket API (``ws-api/v3``).

    The constructor does no I/O: the connection opens on the first call. With
    credentials, every (re)connect first synchronises the clock with ``time`` (so a
    skewed machine does not get ``-1021``), then, for an Ed25519 key, logs the session
    on with ``session.logon`` (§7) so later requests need no signature; HMAC and RSA
    keys sign every SIGNED request instead. After a reconnect the client logs on again
    and resubscribes the user-data stream. Binance's 20-second ping frames are answered
    by the transport; the client also sends a ``ping`` request after ``ping_interval``
    seconds without traffic and reconnects if it is not answered within ``pong_timeout``.
    A ``serverShutdown`` event makes it reconnect at once (§2).

    Requests are never replayed after a reconnect. The one exception is a request
    refused with ``-1021`` (timestamp outside ``recvWindow``): the server did not act,
    so the client resynchronises its clock and sends it once more with a fresh timestamp.

    Thread-safe: every method may be called from any thread, callbacks included.

    Args:
        url: endpoint (default production ``wss://ws-api.binance.com:443/ws-api/v3``).
        testnet: use the spot testnet (``SPOT_TESTNET_URL``) instead; do not combine with ``url``.
        recv_window: default ``recvWindow`` of SIGNED requests in seconds (rounded to whole
            milliseconds, at most 60); ``None`` leaves Binance's default of 5 s.
        sync_time: synchronise the clock offset from ``time`` on connect and after a
            ``-1021``; ``False`` uses only :meth:`set_time_offset_ms`.
        session_logon: log Ed25519 sessions on (§7); ``False`` signs every request.
        ping_interval: seconds without sending after which a keep-alive ``ping`` goes out.
        pong_timeout: seconds within which that ping must be answered.
        **options: the common client keywords (``credentials``, ``request_timeout``,
            ``dispatch_threads``, ``reconnect``, ``on_connection_event``,
            ``on_callback_error``, ``callback_executor``, ``keep_raw``, ``queue_size``,
            ``overflow``, ``block_timeout``).

    Raises:
        ConfigurationError: bad keyword values, or credentials without a usable secret
            or private key (checked here, before any I/O).
    """

    exchange = "binance"

    def __init__(
        self,
        *,
        url: str | None = None,
        testnet: bool = False,
        recv_window: float | None = None,
        sync_time: bool = True,
        session_logon: bool = True,
        ping_interval: float = 30.0,
        pong_timeout: float = 30.0,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        if testnet and url is not None:
            raise ConfigurationError("pass either url or testnet=True, not both")
        if ping_interval is None or ping_interval <= 0 or pong_timeout is None or pong_timeout <= 0:
            raise ConfigurationError("ping_interval and pong_timeout must be positive seconds")
        self.url = url or (SPOT_TESTNET_URL if testnet else SPOT_URL)
        self._default_recv_window = _recv_window_ms(recv_window)
        self._signer: Signer | None = signer_for(self.credentials) if self.credentials is not None else None
        self._sync_time_enabled = sync_time
        self._session_logon = session_logon
        self._clock_lock = threading.Lock()  # guards _time_offset_ms
        self._time_offset_ms = 0
        self._logged_on = False
        self._protocol = BinanceProtocol(now_ms=self._now_ms)
        self._connection = self._add_connection(
            "spot",
            self.url,
            self._protocol,
            ping_interval=ping_interval,
            pong_timeout=pong_timeout,
            max_age=_MAX_CONNECTION_AGE,
        )

    # -- clock and limits ----------------------------------------------------------------

    @property
    def rate_limits(self) -> tuple[RateLimit, ...]:
        """The latest known usage of every rate-limit window (§5), one entry per window.

        Updated from the ``rateLimits`` of every response; empty before the first one.
        Readable from any thread.
        """
        return self._protocol.rate_limits

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
        request_id, frame = self._protocol.request("time")
        sent = time.time()
        (result,) = connection.request(request_id, frame, timeout, wait_ready=wait_ready)
        received = time.time()
        try:
            offset = int(result["serverTime"] - (sent + received) * 500)  # server minus the midpoint, ms
        except (KeyError, TypeError, ValueError) as exc:
            raise DecodeError(f"malformed binance time result: {result!r}") from exc
        with self._clock_lock:
            self._time_offset_ms = offset
        self.log.debug("clock offset to binance: %d ms", offset)
        return offset

    # -- the request path ------------------------------------------------------------------

    def _call(
        self,
        method: str,
        decode: Any = None,
        *,
        timeout: float | None,
        signed: bool = False,
        recv_window: float | None = None,
        **values: Any,
    ) -> Any:
        """Validate, encode, send one request and decode its result.

        ``decode`` is a model type (or ``list[Model]``) for the converter, a callable
        taking the raw result, or ``None`` for the raw result.
        """
        self._check_open()
        params = converter.encode_params(values)
        window = _recv_window_ms(recv_window) if recv_window is not None else self._default_recv_window
        if signed and self._signer is None:
            raise ConfigurationError(f"{method} is a SIGNED request: the client needs credentials")
        deadline = Deadline(self._timeout(timeout))
        self._connection.ensure_open(deadline.remaining())

        def build() -> tuple[int, str]:
            if not signed:
                return self._protocol.request(method, params)
            signer = None if self._logged_on else self._signer
            return self._protocol.request(method, params, signer=signer, timestamp_ms=self._now_ms(),
                                          recv_window_ms=window)

        result = self._send(self._connection, build, signed, deadline, wait_ready=True)
        if decode is None:
            return result
        if isinstance(decode, type) or hasattr(decode, "__origin__"):
            return converter.structure(result, decode)
        return decode(result)

    def _send(self, connection: Connection, build: Callable[[], tuple[int, str]], signed: bool,
              deadline: Deadline, *, wait_ready: bool, on_failure: Callable[[int], None] | None = None) -> Any:
        for attempt in (1, 2):
            request_id, frame = build()
            try:
                (result,) = connection.request(request_id, frame, deadline.remaining(), wait_ready=wait_ready)
                return result
            except AuthenticationError as exc:
                if on_failure is not None:
                    on_failure(request_id)
                if not (signed and exc.code == _TIMESTAMP_REFUSED and attempt == 1 and self._sync_time_enabled):
                    raise
                # -1021: refused before reaching the matching engine, so a retry cannot duplicate it.
                self.log.warning("binance refused the timestamp (%s); resynchronising the clock", exc.message)
                self._sync_time(connection, deadline.remaining(), wait_ready=wait_ready)
            except BaseException:
                if on_failure is not None:
                    on_failure(request_id)
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _authenticate(self, connection: Connection) -> None:
        """After every (re)connect: forget old subscription ids, sync the clock, log on (§7)."""
        self._protocol.reset_session()
        self._logged_on = False
        if self._signer is None:
            return
        deadline = Deadline(self.request_timeout)
        if self._sync_time_enabled:
            self._sync_time(connection, deadline.remaining(), wait_ready=False)
        if self._signer.can_log_on and self._session_logon:
            signer = self._signer

            def build() -> tuple[int, str]:
                return self._protocol.request("session.logon", signer=signer, timestamp_ms=self._now_ms(),
                                              recv_window_ms=self._default_recv_window)

            self._send(connection, build, True, deadline, wait_ready=False)
            self._logged_on = True
            self.log.info("binance session logged on with an Ed25519 key")

    # -- general (§8.1, §8.2) ------------------------------------------------------------------

    def test_spot_connectivity(self, *, timeout: float | None = None) -> float:
        """Send a ``ping`` request and wait for its reply (§8.1, weight 1).

        Returns:
            The round-trip time in seconds.

        Raises:
            InvalidState: the client is closed.
            ConnectError: the connection could not be opened or logged on.
            ConnectionClosed: the connection dropped first.
            RequestTimeout: no reply within ``timeout`` seconds (default ``request_timeout``).
        """
        self._check_open()
        deadline = Deadline(self._timeout(timeout))
        self._connection.ensure_open(deadline.remaining())
        started = time.perf_counter()
        self._call("ping", timeout=deadline.remaining())
        return time.perf_counter() - started

    def get_spot_server_time(self, *, timeout: float | None = None) -> datetime:
        """Return Binance's clock (``time``, §8.1, weight 1) as an aware UTC datetime.

        Raises:
            InvalidState: the client is closed.
            ConnectError: the connection could not be opened.
            ConnectionClosed, RequestTimeout: no reply (the request has no effect anyway).
        """
        return self._call("time", lambda result: epoch_ms_to_datetime(result["serverTime"]), timeout=timeout)

    def get_spot_exchange_info(
        self,
        symbols: str | Iterable[str] | None = None,
        *,
        permissions: str | Iterable[str] | None = None,
        show_permission_sets: bool | None = None,
        symbol_status: Any = None,
        timeout: float | None = None,
    ) -> ExchangeInfo:
        """Return trading rules, rate limits and symbol information (``exchangeInfo``, §8.1, weight 20).

        Args:
            symbols: one symbol or several; ``None`` for all (only one of ``symbols``,
                ``permissions`` and ``symbol_status`` may be given).
            permissions: e.g. ``"SPOT"`` or ``["MARGIN", "LEVERAGED"]``; ``None``: Binance's default.
            show_permission_sets: ``False`` omits ``permission_sets``; ``None``: default (shown).
            symbol_status: only symbols in this :class:`~exwire.binance.enums.SymbolStatus`.
            timeout: seconds to wait (``None``: ``request_timeout``).

        Raises:
            ConfigurationError: more than one filter, or a bad value (nothing sent).
            InvalidRequest: Binance refused (e.g. unknown symbol).
            InvalidState: the client is closed.
            ConnectError: the connection could not be opened.
            ConnectionClosed, RequestTimeout: no reply.
        """
        if sum(value is not None for value in (symbols, permissions, symbol_status)) > 1:
            raise ConfigurationError("pass at most one of symbols, permissions and symbol_status")
        return self._call("exchangeInfo", ExchangeInfo, timeout=timeout, **symbol_or_symbols(symbols),
                          permissions=permissions, show_permission_sets=show_permission_sets,
                          symbol_status=symbol_status)

    def get_spot_session_status(self, *, timeout: float | None = None) -> SessionStatus:
        """Return the authentication status of this connection (``session.status``, §7).

        Raises:
            InvalidState: the client is closed.
            ConnectError: the connection could not be opened or logged on.
            ConnectionClosed, RequestTimeout: no reply.
        """
        return self._call("session.status", SessionStatus, timeout=timeout)

    # -- user data stream (§9) ---------------------------------------------------------------------

    def subscribe_to_user_data_updates(
        self, callback: Callback | None = None, *, timeout: float | None = None
    ) -> Subscription:
        """Stream the account's order, balance and order-list events (§9).

        Subscribes with ``userDataStream.subscribe`` on an Ed25519 logged-on session, or
        ``userDataStream.subscribe.signature`` otherwise, and again after every reconnect
        (events during the gap are lost: query open orders and the account to catch up,
        e.g. on ``ConnectionState.RESTORED``). ``event.data`` is one of
        :class:`~exwire.binance.events.ExecutionReport`, ``AccountPosition``,
        ``BalanceUpdate``, ``ListStatus``, ``ExternalLockUpdate``,
        ``EventStreamTerminated`` (the subscription then ends) or ``UnknownEvent``;
        ``event.symbol`` is the order's symbol or ``None``.

        Args:
            callback: ``callback(event)`` run on a dispatcher lane, in arrival order;
                backlog beyond ``queue_size`` follows the client's ``overflow`` policy.
                ``None`` makes a pull subscription (iterate it or call ``get``).
            timeout: seconds to wait for the subscription's reply.

        Raises:
            ConfigurationError: the client has no credentials, or the callback is not callable.
            InvalidState: the client is closed.
            AuthenticationError: Binance refused the key or signature.
            InvalidRequest: e.g. already subscribed on this connection (-2035).
            ConnectError: the connection could not be opened or logged on.
            ConnectionClosed, RequestTimeout: no reply; the subscription is removed.
        """
        if self._signer is None:
            raise ConfigurationError("the user data stream needs credentials")
        return self._subscribe(self._connection, topic="userData", keys=[USER_DATA_KEY], callback=callback,
                               timeout=timeout)

    def _wire_subscribe(self, connection: Connection, keys: list[Hashable], timeout: float | None) -> None:
        deadline = Deadline(timeout)
        for key in keys:
            def build(key: Hashable = key) -> tuple[int, str]:
                if self._logged_on:
                    return self._protocol.subscribe_user_data(key)
                return self._protocol.subscribe_user_data(
                    key, signer=self._signer, timestamp_ms=self._now_ms(), recv_window_ms=self._default_recv_window)

            self._send(connection, build, True, deadline, wait_ready=False, on_failure=self._protocol.forget_request)

    def _wire_unsubscribe(self, connection: Connection, keys: list[Hashable], timeout: float | None) -> None:
        deadline = Deadline(timeout)
        for key in keys:
            built = self._protocol.unsubscribe_user_data(key)
            if built is not None:
                connection.request(built[0], built[1], deadline.remaining(), wait_ready=False)


def _recv_window_ms(seconds: float | None) -> int | None:
    if seconds is None:
        return None
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 < seconds <= _MAX_RECV_WINDOW:
        raise ConfigurationError(f"recv_window must be seconds in (0, {_MAX_RECV_WINDOW:g}], got {seconds!r}")
    return max(1, round(seconds * 1000))

