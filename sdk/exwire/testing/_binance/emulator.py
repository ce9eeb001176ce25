"""The Binance emulator server: one loopback WebSocket server for spot, USDⓈ-M and COIN-M.

Section numbers (§) refer to the protocol notes of :doc:`the Binance page </exchanges/binance>`.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
import time
from collections import deque
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Self, TypedDict

from exwire.errors import ConfigurationError
from exwire.models import Credentials
from exwire.testing._binance.api import _Api, _Limits, _Session
from exwire.testing._binance.common import _ZERO, _Account, _ApiError, _dumps, _make_account, _text
from exwire.testing._binance.controls import FuturesControls
from exwire.testing._binance.futures_api import COINM_PATH, USDM_PATH, _CoinmApi, _UsdmApi
from exwire.testing._binance.futures_engine import _Futures
from exwire.testing._binance.spot_api import SPOT_PATH, _SpotApi
from exwire.testing._binance.spot_engine import _Events, _Exchange
from exwire.testing._binance.spot_market import _DEFAULT_BALANCES, _SYMBOLS, _SymbolSpec
from exwire.testing._binance.state import EmulatorState, Faults, Recorder
from exwire.testing._binance.stream_controls import COINM_REST_PREFIX, StreamControls, rest_body
from exwire.testing._binance.streams import StreamHub, StreamSession, split_path
from exwire.testing._binance.user_stream import ListenKeys
from exwire.testing._server import EmulatorConnection, EmulatorServer, logger

__all__ = ["BinanceEmulator", "BinanceClientKwargs", "SPOT_PATH", "USDM_PATH", "COINM_PATH"]

_PRODUCTS = {"spot": SPOT_PATH, "usdm": USDM_PATH, "coinm": COINM_PATH}
_POLICY_VIOLATION = 1008


class BinanceClientKwargs(TypedDict):
    """The endpoint keywords of :class:`~exwire.binance.BinanceClient` (:meth:`BinanceEmulator.client_kwargs`)."""

    url: str
    usdm_futures_url: str
    coinm_futures_url: str
    stream_url: str
    usdm_stream_url: str
    coinm_stream_url: str
    coinm_rest_url: str


class BinanceEmulator(StreamControls, FuturesControls, EmulatorServer):
    """A local Binance WebSocket API server for tests and samples: spot (``/ws-api/v3``),
    USDⓈ-M futures (``/ws-fapi/v1``) and COIN-M futures (``/ws-dapi/v1``).

    ``with BinanceEmulator() as emu: creds = emu.add_account("ed25519");
    client = BinanceClient(credentials=creds, **emu.client_kwargs())``.

    Spot market data is seeded (the same seed gives the same books, trades and klines;
    times come from the clock) and moves only when :meth:`set_price` moves it. Spot orders
    go through a small matching engine: a marketable order fills at once against the
    emulated best bid/ask (unlimited size, as taker); a resting limit order fills as maker
    when :meth:`set_price` crosses it, and stops trigger the same way. Balances are totals
    per asset; what is locked is derived from open orders. Commissions are zero; orders of
    different accounts never match each other. Unfilled-order counts only grow (Binance
    decrements them on fills).

    Futures (``BTCUSDT``/``ETHUSDT`` USDⓈ-M, ``BTCUSD_PERP``/``ETHUSD_PERP`` COIN-M) have
    their own engine (see :mod:`exwire.testing._binance.futures_engine`): one cross-margin
    wallet per account and market, one-way positions, leverage per symbol
    (:meth:`set_leverage`, default 20), a last price (:meth:`set_futures_price`) and a mark
    price (:meth:`set_mark_price`) on which positions are valued and ``MARK_PRICE``
    conditional and algo orders trigger.

    Like Binance, the server pings every connection (spot every 20 s, dropping it without
    a pong within 1 min; futures every 3 min and 10 min, §2, §10.2), scaled by ``ping_scale``.

    Market-data and futures user-data streams (:mod:`exwire.testing._binance.streams`) are
    served under the roots ``/spot``, ``/usdm`` (``/public``, ``/market``, ``/private``) and
    ``/coinm`` on the same port, driven by the same books and engines: a placed order's
    trades appear on ``@trade``/``@aggTrade``, its book changes on ``@depth`` (with ``U``/``u``,
    and ``pu`` on futures, consistent with the ``depth`` snapshot), a futures order's events
    on its account's listen-key stream. The COIN-M REST depth snapshot is answered over HTTP
    at ``/coinm-rest/dapi/v1/depth``. Stream controls: :meth:`publish_trades`,
    :meth:`skip_depth_update`, :meth:`expire_listen_key`, :meth:`order_book`,
    :meth:`last_update_id`.

    Threads: those of :class:`~exwire.testing._server.EmulatorServer`, plus one
    ``exwire-emulator-binance-ping-<id>`` per connection when ``ping_scale`` is set, one
    ``exwire-emulator-binance-streams-<id>`` per stream connection (periodic streams) and
    ``exwire-emulator-binance-market`` (the market generator) when ``market_interval`` is set;
    requests run on their connection's thread under one exchange lock. Thread-safety:
    every public method may be called from any thread.

    Args:
        seed: Seed of the generated market data.
        symbols: Extra spot symbols as ``{"XRPUSDT": ("XRP", "USDT", "0.5000", "0.0001", "1")}``
            (base, quote, first price, tick size, step size) besides BTCUSDT, ETHUSDT,
            BNBBTC and ETHBTC; ``None`` adds none.
        time_offset_ms: The server clock minus the local clock, in milliseconds (a skew
            to test ``-1021`` handling); changeable later through :attr:`time_offset_ms`.
        request_weight_limit: spot REQUEST_WEIGHT per minute before ``429``/``-1003``.
        orders_per_10s, orders_per_day: spot ORDERS limits per account before ``-1015``.
        futures_request_weight_limit: REQUEST_WEIGHT per minute of each futures market (§5.4).
        futures_orders_per_10s, futures_orders_per_minute: futures ORDERS limits per account.
        ping_scale: multiplies the ping interval and pong deadline (0.01 pings spot every
            0.2 s); ``None`` sends no automatic pings (:meth:`ping_clients` still works).
        market_interval: seconds between the market generator's ticks: each makes a trade at
            the touch of every symbol whose trade stream is watched and changes the quantity at
            the touch of every symbol whose book streams are (prices move only with
            :meth:`set_price`; symbols nobody streams never change); ``None`` generates nothing.
        stream_scale: multiplies the push period of periodic streams (tickers every 1 s,
            klines every 2 s on spot ...); 0.1 pushes ten times as often.
        listen_key_validity: seconds a futures listen key lives after its start or last ping
            (Binance: 3600); when it runs out ``listenKeyExpired`` is pushed.
        host, port, send_timeout, close_timeout, tls: as :class:`EmulatorServer` (``tls=True``:
            ``wss://`` and ``https://`` URLs; trust :meth:`ssl_context`).
    """

    def __init__(self, seed: int = 0, *, symbols: Mapping[str, tuple[str, str, str, str, str]] | None = None,
                 time_offset_ms: int = 0, request_weight_limit: int = 6000, orders_per_10s: int = 50,
                 orders_per_day: int = 160_000, futures_request_weight_limit: int = 2400,
                 futures_orders_per_10s: int = 300, futures_orders_per_minute: int = 1200,
                 ping_scale: float | None = 1.0, market_interval: float | None = 0.25, stream_scale: float = 1.0,
                 listen_key_validity: float = 3600.0, host: str = "127.0.0.1", port: int = 0,
                 send_timeout: float | None = 10.0, close_timeout: float = 2.0, tls: bool = False) -> None:
        super().__init__("binance", host=host, port=port, send_timeout=send_timeout, close_timeout=close_timeout,
                         tls=tls)
        specs = dict(_SYMBOLS)
        for symbol, spec in (symbols or {}).items():
            try:
                specs[symbol] = _SymbolSpec(*spec)
                for number in (specs[symbol].start, specs[symbol].tick, specs[symbol].step):
                    Decimal(number)  # raises InvalidOperation for text that is not a number
            except (TypeError, InvalidOperation):
                raise ConfigurationError(f"symbol {symbol}: expected (base, quote, price, tick, step)") from None
        if ping_scale is not None and not ping_scale > 0:
            raise ConfigurationError(f"ping_scale must be positive or None, got {ping_scale!r}")
        checked = [("stream_scale", stream_scale), ("listen_key_validity", listen_key_validity)]
        if market_interval is not None:
            checked.append(("market_interval", market_interval))
        for name, value in checked:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise ConfigurationError(f"{name} must be a positive number, got {value!r}")
        self.exchange = _Exchange(seed, specs, time_offset_ms)
        self.futures = _Futures(seed, self.exchange.now)
        self.limits = _Limits(request_weight_limit, [("SECOND", 10, 10_000, orders_per_10s),
                                                     ("DAY", 1, 86_400_000, orders_per_day)])
        """The spot rate limits."""
        self.ping_scale = ping_scale
        self.faults = Faults()
        """The injected faults (:meth:`withhold_replies`, :meth:`fail_next`) the request handlers take."""
        self.recorder = Recorder(_PRODUCTS)
        """What the request handlers record: answered requests and log-ons."""
        self.requests: deque[tuple[str, dict[str, Any]]] = self.recorder.requests
        """``(method, params)`` of every request answered with status 200, oldest first, all products."""
        self.requests_by_product: dict[str, deque[tuple[str, dict[str, Any]]]] = self.recorder.requests_by_product
        """The same per product."""
        self.logons_by_product: dict[str, int] = self.recorder.logons_by_product
        """``session.logon`` requests accepted so far per product (``spot``, ``usdm``, ``coinm``)."""
        self.pings_sent = dict.fromkeys(_PRODUCTS, 0)
        """Automatic ping frames sent so far per product."""
        self._accounts = itertools.count(1)
        self.market_interval = market_interval
        self.listen_keys = ListenKeys(float(listen_key_validity))
        self.streams = StreamHub(lambda: self.connections, self.exchange, self.futures, self.listen_keys,
                                 float(stream_scale))
        """The stream endpoints; :attr:`StreamHub.requests` records every control message received."""
        state = EmulatorState(self.exchange, self.futures, self.faults, self.recorder, self._push,
                              self.notify_changed, self.listen_keys,
                              lambda: self.streams.expire(self.listen_keys.due()))
        futures_limits = [("SECOND", 10, 10_000, futures_orders_per_10s),
                          ("MINUTE", 1, 60_000, futures_orders_per_minute)]
        self._apis: dict[str, _Api] = {
            SPOT_PATH: _SpotApi(state, self.limits),
            USDM_PATH: _UsdmApi(state, _Limits(futures_request_weight_limit, futures_limits)),
            COINM_PATH: _CoinmApi(state, _Limits(futures_request_weight_limit, futures_limits)),
        }

    def start(self) -> Self:
        super().start()
        if self.market_interval is not None and not getattr(self, "_generator_started", False):
            self._generator_started = True
            self._start_thread(self._generate, "market")
        return self

    def _generate(self) -> None:
        """The market generator thread (``exwire-emulator-binance-market``); ends on close."""
        interval = float(self.market_interval or 1.0)
        while not self._closing.wait(interval):
            with self.exchange.lock:
                self.streams.generate()

    @property
    def logons(self) -> int:
        """``session.logon`` requests accepted so far, all products."""
        return self.recorder.logons

    # -- addresses and accounts -------------------------------------------------------------------------

    @property
    def spot_url(self) -> str:
        """``ws://<host>:<port>/ws-api/v3``."""
        return f"{self.ws_scheme}://{self.host}:{self.port}{SPOT_PATH}"

    @property
    def usdm_futures_url(self) -> str:
        """``ws://<host>:<port>/ws-fapi/v1``."""
        return f"{self.ws_scheme}://{self.host}:{self.port}{USDM_PATH}"

    @property
    def coinm_futures_url(self) -> str:
        """``ws://<host>:<port>/ws-dapi/v1``."""
        return f"{self.ws_scheme}://{self.host}:{self.port}{COINM_PATH}"

    def client_kwargs(self) -> BinanceClientKwargs:
        """Keyword arguments pointing a ``BinanceClient`` at this emulator (all three products,
        their stream roots and the COIN-M REST root): ``BinanceClient(**emu.client_kwargs())``."""
        root = f"{self.ws_scheme}://{self.host}:{self.port}"
        http = "https" if self.tls else "http"
        return BinanceClientKwargs(url=self.spot_url, usdm_futures_url=self.usdm_futures_url,
                                   coinm_futures_url=self.coinm_futures_url, stream_url=f"{root}/spot",
                                   usdm_stream_url=f"{root}/usdm", coinm_stream_url=f"{root}/coinm",
                                   coinm_rest_url=f"{http}://{self.host}:{self.port}{COINM_REST_PREFIX}")

    def add_account(self, key_type: str = "hmac", balances: Mapping[str, Any] | None = None, *,
                    usdm_balances: Mapping[str, Any] | None = None,
                    coinm_balances: Mapping[str, Any] | None = None, key: str | None = None,
                    secret: str | None = None, public_key_pem: str | None = None) -> Credentials:
        """Create an account and return credentials the emulator accepts.

        ``add_account(key=..., secret=...)`` registers your own HMAC key and secret;
        ``add_account(public_key_pem=...)`` your own Ed25519 or RSA public key (with ``key=``
        your API key, else one is made up): the returned credentials then carry no private
        key; sign with yours.

        Args:
            key_type: ``"hmac"`` (secret), ``"rsa"`` or ``"ed25519"`` (PEM private key); a
                generated key of this type unless ``secret`` or ``public_key_pem`` is given.
            balances: spot ``{"USDT": "1000"}``; ``None`` gives 10 BTC, 100 ETH, 1000 BNB and
                1 000 000 USDT.
            usdm_balances: USDⓈ-M wallet; ``None`` gives 100 000 USDT.
            coinm_balances: COIN-M wallet; ``None`` gives 10 BTC and 100 ETH.
            key: the API key to register (``None``: a generated one).
            secret: your HMAC secret (needs ``key``).
            public_key_pem: your PEM public key (Ed25519 or RSA).

        Raises:
            ConfigurationError: an unknown key type, a balance that is not a number, both a
                secret and a public key, a secret without a key, a key already registered,
                or a public key that is not an Ed25519 or RSA PEM.
        """
        if key_type not in ("hmac", "rsa", "ed25519"):
            raise ConfigurationError(f"key_type must be 'hmac', 'rsa' or 'ed25519', got {key_type!r}")
        if secret is not None and public_key_pem is not None:
            raise ConfigurationError("give secret= or public_key_pem=, not both")
        if secret is not None and key is None:
            raise ConfigurationError("secret= needs key=, the API key it belongs to")
        for name, value in (("key", key), ("secret", secret), ("public_key_pem", public_key_pem)):
            if value is not None and (not isinstance(value, str) or not value):
                raise ConfigurationError(f"{name} must be a non-empty string, got {value!r}")
        amounts = _amounts(balances or _DEFAULT_BALANCES)
        futures = {"usdm": None if usdm_balances is None else _amounts(usdm_balances),
                   "coinm": None if coinm_balances is None else _amounts(coinm_balances)}
        api_key = key or hashlib.sha256(f"{self.exchange.seed}:{key_type}:{next(self._accounts)}".encode()).hexdigest()
        try:
            account, credentials = _make_account(key_type, api_key, amounts, secret=secret,
                                                 public_key_pem=public_key_pem)
        except ValueError as error:
            raise ConfigurationError(f"public_key_pem: {error}") from None
        with self.exchange.lock:
            if api_key in self.exchange.accounts:
                raise ConfigurationError("an account with this API key is already registered")
            self.exchange.accounts[api_key] = account
            for market, wallet_balances in futures.items():
                self.futures.open_wallet(api_key, market, wallet_balances)
        return credentials

    def _account(self, credentials: Credentials | str) -> _Account:
        key = credentials if isinstance(credentials, str) else credentials.key
        try:
            return self.exchange.accounts[key]
        except KeyError:
            raise ConfigurationError("no such account in this emulator") from None

    def balances(self, credentials: Credentials | str) -> dict[str, tuple[Decimal, Decimal]]:
        """The account's spot ``{asset: (free, locked)}``."""
        with self.exchange.lock:
            account = self._account(credentials)
            return {asset: account.balance(asset) for asset in sorted(account.totals)}

    def deposit(self, credentials: Credentials | str, asset: str, amount: Any) -> None:
        """Credit (or, negative, debit) ``amount`` of spot ``asset``; pushes ``balanceUpdate`` and
        ``outboundAccountPosition`` to the account's user-data subscriptions."""
        delta = Decimal(str(amount))
        with self.exchange.lock:
            account = self._account(credentials)
            account.totals[asset] = account.totals.get(asset, _ZERO) + delta
            now = self.exchange.now()
            events = _Events()
            events.add(account, {"e": "balanceUpdate", "E": now, "a": asset, "d": _text(delta), "T": now})
            events.balances(account, asset)
            events.flush_balances(now)
            self._push(events)

    # -- spot market ----------------------------------------------------------------------------------

    def price(self, symbol: str) -> Decimal:
        """The spot symbol's best bid (the ask is one tick above)."""
        with self.exchange.lock:
            return self.exchange.market(symbol).bid

    def set_price(self, symbol: str, price: Any) -> None:
        """Move the spot best bid to ``price`` (rounded down to the tick; the ask is one tick above).

        Resting limit orders the new price crosses fill at their own price (as maker);
        stop and take-profit orders whose stop price it crosses trigger. The resulting
        user-data events are pushed before this returns. (Futures: :meth:`set_futures_price`.)
        """
        with self.exchange.lock:
            events = _Events()
            self.exchange.set_price(self.exchange.market(symbol), Decimal(str(price)), events)
            events.flush_balances(self.exchange.now())
            self._push(events)
        self.notify_changed()

    @property
    def time_offset_ms(self) -> int:
        """The server clock minus the local clock, in milliseconds."""
        return self.exchange.time_offset_ms

    @time_offset_ms.setter
    def time_offset_ms(self, value: int) -> None:
        self.exchange.time_offset_ms = int(value)

    # -- faults ------------------------------------------------------------------------------------------

    def withhold_replies(self, count: int = 1, method: str | None = None, *, product: str | None = None) -> None:
        """Read but never answer the next ``count`` requests (of ``method`` only, if given; on
        ``product`` — ``"spot"``, ``"usdm"``, ``"coinm"`` — only, if given)."""
        _check_product(product)
        self.faults.withhold(count, method, product)

    def fail_next(self, method: str, code: int, message: str, status: int = 400, data: Any = None, *,
                  product: str | None = None) -> None:
        """Answer the next ``method`` request (on ``product`` only, if given) with this error
        instead of processing it."""
        _check_product(product)
        self.faults.fail(method, product, _ApiError(code, message, status, data))

    def connections_of(self, product: str) -> list[EmulatorConnection]:
        """The live connections of one product (``"spot"``, ``"usdm"``, ``"coinm"``)."""
        _check_product(product)
        return [c for c in self.connections if c.path == _PRODUCTS[product]]

    def drop_connections(self, product: str | None = None) -> int:
        """Cut every live TCP connection (of ``product`` only, if given) without a closing
        handshake; return how many."""
        if product is None:
            return super().drop_connections()
        connections = self.connections_of(product)
        for connection in connections:
            connection.abort()
        return len(connections)

    def stall(self, product: str | None = None) -> int:
        """Silence every live connection (of ``product`` only, if given); see
        :meth:`EmulatorServer.stall`."""
        if product is None:
            return super().stall()
        connections = self.connections_of(product)
        for connection in connections:
            connection.stall()
        return len(connections)

    def send_server_shutdown(self, product: str | None = None) -> int:
        """Send the ``serverShutdown`` event (§2) to every live connection (of ``product`` only,
        if given: its WS API connections); return how many. Stream connections get the stream
        form: raw ``{"e": "serverShutdown", "E": …}``, combined ``{"stream": "!serverShutdown", "data": …}``."""
        event: dict[str, Any] = {"e": "serverShutdown", "E": self.exchange.now()}
        targets = self.connections if product is None else self.connections_of(product)
        sent = 0
        for connection in targets:
            session = connection.session
            frame: dict[str, Any]
            if isinstance(session, StreamSession):
                frame = {"stream": "!serverShutdown", "data": event} if session.combined else event
            else:
                frame = {"event": event}
            sent += connection.send(_dumps(frame))
        return sent

    def ping_clients(self, timeout: float | None = 5.0, product: str | None = None) -> int:
        """Send a WebSocket ping frame to every live connection (of ``product`` only, if given),
        as Binance does (§2), and wait for the pongs.

        Returns:
            How many connections answered with a pong within ``timeout`` seconds in total.
        """
        waiters = []
        for connection in self.connections if product is None else self.connections_of(product):
            websocket = getattr(connection, "_websocket", None)
            if websocket is None or connection.stalled:
                continue
            try:
                waiters.append(websocket.ping(f"binance-{connection.id}".encode()))
            except Exception:  # the connection is closing
                continue
        deadline = None if timeout is None else time.monotonic() + timeout
        answered = 0
        for waiter in waiters:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            answered += bool(waiter.wait(remaining))
        return answered

    # -- hooks ---------------------------------------------------------------------------------------------

    def accepts_path(self, path: str) -> bool:
        return path in self._apis or split_path(path) is not None

    def _process_request(self, websocket: Any, request: Any) -> Any:
        path, _, query = request.path.partition("?")
        if path.startswith(COINM_REST_PREFIX + "/") and "upgrade" not in request.headers:
            status, document = self.coinm_rest(path, query)
            response = websocket.respond(status, "")
            response.body = rest_body(document)
            for name, value in (("Content-Type", "application/json;charset=UTF-8"),
                                ("Content-Length", str(len(response.body)))):
                del response.headers[name]  # the headers are multi-valued: replace, not add
                response.headers[name] = value
            return response
        return super()._process_request(websocket, request)

    def on_open(self, connection: EmulatorConnection) -> None:
        request = getattr(getattr(connection, "_websocket", None), "request", None)
        query = request.path.partition("?")[2] if request is not None else ""
        if connection.path not in self._apis:
            self.streams.open(connection, connection.path, query)
            if self.ping_scale is not None:
                connection.start_worker(self._keep_pinging, "ping")
            return
        return_rate_limits = "returnratelimits=false" not in query.lower()
        connection.session = _Session(self.exchange.now(), return_rate_limits)
        if self.ping_scale is not None:
            connection.start_worker(self._keep_pinging, "ping")

    def on_message(self, connection: EmulatorConnection, message: str | bytes) -> None:
        if isinstance(connection.session, StreamSession):
            self.streams.message(connection, message)
            return
        self._apis[connection.path].handle(connection, message)

    def _keep_pinging(self, connection: EmulatorConnection) -> None:
        """Ping every ``ping_interval`` and drop a connection whose pong is later than
        ``pong_timeout`` (§2; both scaled by ``ping_scale``)."""
        api = self._apis.get(connection.path)
        if api is not None:
            product, interval, deadline = api.product, api.ping_interval, api.pong_timeout
        else:  # streams: spot every 20 s (pong within 1 min), futures every 3 min (10 min)
            product = connection.session.market if isinstance(connection.session, StreamSession) else "spot"
            interval, deadline = (20.0, 60.0) if product == "spot" else (180.0, 600.0)
        scale = self.ping_scale or 1.0
        interval, deadline = interval * scale, deadline * scale
        websocket = connection._websocket
        outstanding: deque[tuple[float, threading.Event]] = deque()
        next_ping = time.monotonic() + interval
        for number in itertools.count(1):
            while outstanding and outstanding[0][1].is_set():
                outstanding.popleft()
            now = time.monotonic()
            if outstanding and now - outstanding[0][0] > deadline:
                logger.info("%r: no pong within %.1f s: closing", connection, deadline)
                connection.close(_POLICY_VIOLATION, "Pong timeout")
                return
            if now >= next_ping:
                next_ping = now + interval
                if not connection.stalled:  # a stalled server says nothing, pings included
                    try:
                        outstanding.append((now, websocket.ping(f"binance-{connection.id}-{number}".encode())))
                    except Exception:  # the connection is closing
                        return
                    with self.exchange.lock:
                        self.pings_sent[product] += 1
            wake = next_ping if not outstanding else min(next_ping, outstanding[0][0] + deadline + 0.001)
            if not connection.tick(max(0.0, wake - time.monotonic())):
                return

    def _push(self, events: _Events) -> None:
        """Send spot user-data events to every subscription of their account, and the futures
        engine's pending ones to their listen-key streams (exchange lock held)."""
        if self.futures.user_events:
            self.streams.push_user_events()
        if not events.items:
            return
        for connection in self.connections:
            session = connection.session
            if session is None:
                continue
            for subscription_id, (account, _) in list(session.streams.items()):
                for owner, event in events.items:
                    if owner is account:
                        connection.send(_dumps({"subscriptionId": subscription_id, "event": event}))


def _amounts(balances: Mapping[str, Any]) -> dict[str, Decimal]:
    try:
        return {asset: Decimal(str(v)) for asset, v in balances.items()}
    except InvalidOperation:
        raise ConfigurationError(f"balances must be numbers: {balances!r}") from None


def _check_product(product: str | None) -> None:
    if product is not None and product not in _PRODUCTS:
        raise ConfigurationError(f"product must be one of {sorted(_PRODUCTS)}, got {product!r}")
