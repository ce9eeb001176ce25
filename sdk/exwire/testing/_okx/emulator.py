"""The OKX API v5 emulator server: connections, login, subscriptions, pushes and order ops.

:class:`OkxEmulator` speaks the three WebSocket endpoints of https://www.okx.com/docs-v5/en/
(``/ws/v5/public``, ``/ws/v5/private``, ``/ws/v5/business``) on one loopback port; the
market comes from :mod:`.market`, the channel rules and public pushes from
:mod:`.channels`, the order operations and account pushes from :mod:`.private`, the
matching engine from :mod:`.trading` and :mod:`.orders`, and the test controls (faults,
inspection) from :mod:`.controls`.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any, TypedDict

from exwire.errors import ConfigurationError
from exwire.models import Credentials
from exwire.testing._okx import channels
from exwire.testing._okx.channels import (
    BUSINESS,
    COUNTED_CHANNELS,
    INCREMENTAL_BOOKS,
    PRIVATE,
    PUBLIC,
    ArgError,
    Subscription,
    book_message,
    public_data,
    resolve,
)
from exwire.testing._okx.common import INSTRUMENTS, REQUEST_ID, dumps, login_sign, message
from exwire.testing._okx.controls import Controls
from exwire.testing._okx.market import Market, TradePrint
from exwire.testing._okx.orders import UID
from exwire.testing._okx.private import PRIVATE_OPS, PrivateSide
from exwire.testing._okx.trading import Engine
from exwire.testing._server import EmulatorConnection, EmulatorServer

__all__ = ["OkxClientKwargs", "OkxEmulator"]

_ENDPOINTS = {"/ws/v5/public": PUBLIC, "/ws/v5/private": PRIVATE, "/ws/v5/business": BUSINESS}


class OkxClientKwargs(TypedDict):
    """The keywords :meth:`OkxEmulator.client_kwargs` gives ``OkxClient``."""

    url: str
    private_url: str
    business_url: str


class _Session:
    """OKX state of one connection; changed under the emulator's lock."""

    def __init__(self, endpoint: str, conn_id: str) -> None:
        self.endpoint = endpoint
        self.conn_id = conn_id
        self.logged_in = False
        self.subscriptions: dict[str, Subscription] = {}
        self.last_activity = time.monotonic()


class OkxEmulator(PrivateSide, Controls, EmulatorServer):
    """A local OKX API v5 WebSocket server (public, private and business) for tests.

    ``with OkxEmulator() as emu: client = OkxClient(**emu.client_kwargs(), credentials=emu.credentials)``.
    One account
    (``api_key``/``secret``/``passphrase``) holds the balances; logins are checked with
    OKX's rule (HMAC-SHA256 of ``timestamp + "GET" + "/users/self/verify"``, whole-second
    timestamps within ``login_window`` seconds of the emulator's clock). The market is one
    seeded generated book per instrument shared by every connection (so ``seqId`` is the
    same everywhere); it moves every ``push_interval`` seconds, or on :meth:`step`.

    Controls: :meth:`step` moves the market; :meth:`best_prices`, :meth:`last_price`,
    :meth:`order_book`, :meth:`sequence_id`, :meth:`instrument_code` read it;
    :meth:`balances`, :meth:`set_balance`, :meth:`orders`, :meth:`order`,
    :meth:`positions`, :meth:`fill_order`, :meth:`push_deposit`, :meth:`push_withdrawal`,
    :meth:`push_algo_order`, :meth:`push_liquidation_warning` and :meth:`set_status` reach
    the account and the status channel; :meth:`requests`,
    :meth:`subscriptions` and :meth:`logged_in_connections` show what clients did.

    Faults: those of :class:`EmulatorServer` (:meth:`drop_connections`, :meth:`stall`,
    :meth:`send_raw`, :meth:`close_connections`) plus :meth:`refuse_next_login`,
    :meth:`withhold_next_reply`, :meth:`withhold_pong`, :meth:`fail_next`,
    :meth:`refuse_next_order`, :meth:`corrupt_next_checksum`, :meth:`skip_next_sequence`,
    :meth:`reset_sequence`, :meth:`send_book_keepalive`, :meth:`send_notice` (64008) and
    :meth:`send_frame`.

    Threads: besides those of :class:`EmulatorServer`, ``exwire-emulator-okx-market`` moves
    the market when ``push_interval`` is set, and each connection has a watchdog
    (``exwire-emulator-okx-idle-<id>``) closing it with 4004 after ``idle_timeout``
    seconds without traffic. Thread-safety: every public method may be called from any
    thread.

    Args:
        seed: seed of the generated market.
        push_interval: seconds between market steps; ``None``: only :meth:`step` moves it.
        api_key, secret, passphrase: the account's credentials.
        balances: cash per currency (``None``: 100,000 USDT, 2 BTC, 30 ETH).
        books_checksum: ``False`` sends ``checksum`` 0 on ``books`` as OKX does since 2026;
            the tick-by-tick books keep real checksums.
        idle_timeout: seconds without any message either way before the connection is
            closed with 4004 (OKX: 30); ``None`` never closes.
        login_window: seconds a login timestamp may differ from the clock (OKX: 30).
        clock: current Unix time in seconds (``None``: ``time.time``); login timestamps
            are checked against it.
        host, port, send_timeout, close_timeout: as :class:`EmulatorServer`.
        tls: serve ``wss://`` with a generated self-signed certificate; pass
            ``ssl_context=emu.ssl_context()`` to the client.

    Raises:
        ConfigurationError: a bad interval or balance.
    """

    def __init__(self, seed: int = 0, push_interval: float | None = 0.1, *,
                 api_key: str = "emulator-api-key", secret: str = "emulator-secret-key",
                 passphrase: str = "emulator-passphrase", balances: Mapping[str, Any] | None = None,
                 books_checksum: bool = True, idle_timeout: float | None = 30.0,
                 login_window: float = 30.0, clock: Callable[[], float] | None = None,
                 host: str = "127.0.0.1", port: int = 0, send_timeout: float | None = 10.0,
                 close_timeout: float = 2.0, tls: bool = False) -> None:
        super().__init__("okx", host=host, port=port, send_timeout=send_timeout,
                         close_timeout=close_timeout, tls=tls)
        for label, value in (("push_interval", push_interval), ("idle_timeout", idle_timeout)):
            if value is not None and not value > 0:
                raise ConfigurationError(f"{label} must be > 0 seconds or None, not {value!r}")
        self.seed = seed
        self.push_interval = push_interval
        self.api_key, self.secret, self.passphrase = api_key, secret, passphrase
        self.books_checksum = books_checksum
        self.idle_timeout = idle_timeout
        self.login_window = login_window
        self._clock = clock or time.time
        self._lock = threading.RLock()  # guards markets, engine, sessions and fault state
        now = self.now_ms()
        self._markets = {inst_id: Market(instrument, random.Random(f"{seed}:{inst_id}"), now)
                         for inst_id, instrument in INSTRUMENTS.items()}
        try:
            self._engine = Engine(self._markets, balances, self.now_ms)
        except ValueError as exc:
            raise ConfigurationError(str(exc)) from None
        self._status = {"begin": "1672823400000", "end": "1672825980000", "href": "",
                        "preOpenBegin": "", "scheDesc": "", "serviceType": "0", "state": "completed",
                        "system": "unified", "maintType": "1", "env": "1",
                        "title": "Trading account WebSocket system upgrade", "ts": "1672826038470"}
        self._requests: deque[tuple[int, str, Any]] = deque(maxlen=10_000)
        self._withheld: dict[str, int] = {}
        self._failures: dict[str, deque[tuple[str, str]]] = {}
        self._order_refusals: deque[tuple[str, str]] = deque()
        self._login_refusals: deque[str] = deque()
        self._withhold_pong = False
        self._corruptions = 0
        self._skips = 0
        self._steps = 0
        self._algo_ids = 0
        self.pings_received = 0
        self.logins = 0

    # -- lifecycle and addresses ------------------------------------------------------

    def start(self) -> OkxEmulator:
        """Bind the port and start accepting connections (see :meth:`EmulatorServer.start`)."""
        with self._lock:
            starting = not self._started
        super().start()
        if starting and self.push_interval is not None:
            self._start_thread(self._market_loop, "market")
        return self

    def client_kwargs(self) -> OkxClientKwargs:
        """``url``, ``private_url`` and ``business_url`` for ``OkxClient``; like every
        emulator's, they hold no account: ``OkxClient(**emu.client_kwargs(),
        credentials=emu.credentials)``."""
        base = f"{self.ws_scheme}://{self.host}:{self.port}/ws/v5"
        return OkxClientKwargs(url=f"{base}/public", private_url=f"{base}/private",
                               business_url=f"{base}/business")

    @property
    def credentials(self) -> Credentials:
        """The account's credentials (key, secret and passphrase)."""
        return Credentials(key=self.api_key, secret=self.secret, passphrase=self.passphrase)

    def now_ms(self) -> int:
        """The emulator's clock in Unix milliseconds."""
        return int(self._clock() * 1000)

    # -- hooks ------------------------------------------------------------------------

    def accepts_path(self, path: str) -> bool:
        return path in _ENDPOINTS

    def on_open(self, connection: EmulatorConnection) -> None:
        conn_id = f"{random.Random(f'{self.seed}:conn:{connection.id}').getrandbits(32):08x}"
        connection.session = _Session(_ENDPOINTS[connection.path], conn_id)
        if self.idle_timeout is not None:
            connection.start_worker(self._watch_idle, "idle")

    def on_message(self, connection: EmulatorConnection, message_: str | bytes) -> None:
        session: _Session = connection.session
        session.last_activity = time.monotonic()
        if message_ == "ping":
            with self._lock:
                self.pings_received += 1
                withheld = self._withhold_pong
            if not withheld:
                self._send(connection, "pong")
            return
        try:
            request = json.loads(message_)
        except ValueError:
            request = None
        text = message_ if isinstance(message_, str) else message_.decode("utf-8", "replace")
        if not isinstance(request, dict):
            self._send(connection, self._error(session, "60012", message("60012", text), {}))
            return
        op = request.get("op")
        with self._lock:
            self._requests.append((connection.id, session.endpoint, request))
        echo = {"id": request["id"]} if "id" in request else {}
        if "id" in request and (not isinstance(request["id"], str) or not REQUEST_ID.fullmatch(request["id"])):
            self._send(connection, self._error(session, "60012", message("60012", text), echo))
            return
        quiet = self._take_withheld(op)
        failure = self._take_failure(op)
        if failure is not None:
            code, msg = failure
            if op in PRIVATE_OPS or op == "mass-cancel":
                self._op_reply(connection, echo, op, [], code, msg, time.time_ns() // 1000, quiet)
            else:
                self._reply(connection, self._error(session, code, msg, echo), quiet)
        elif op == "login":
            self._login(connection, request, echo, quiet)
        elif op in ("subscribe", "unsubscribe"):
            self._subscribe(connection, request, echo, quiet, op == "unsubscribe", text)
        elif op in PRIVATE_OPS or op == "mass-cancel":
            self._operation(connection, request, echo, quiet, text)
        else:
            self._reply(connection, self._error(session, "60019", message("60019", op), echo), quiet)
        self.notify_changed()

    # -- login ------------------------------------------------------------------------

    def _login(self, connection: EmulatorConnection, request: dict[str, Any],
               echo: dict[str, Any], quiet: bool) -> None:
        session: _Session = connection.session
        args = request.get("args")
        arg = args[0] if isinstance(args, list) and len(args) == 1 else None
        with self._lock:
            refusal = self._login_refusals.popleft() if self._login_refusals else None
        code = refusal or self._login_problem(arg)
        if code is None and session.logged_in:
            code = "60031"
        if code is not None:
            self._reply(connection, self._error(session, code, message(code, json.dumps(request)), echo), quiet)
            return
        session.logged_in = True
        with self._lock:
            self.logins += 1
        self._reply(connection, {**echo, "event": "login", "code": "0", "msg": "",
                                 "connId": session.conn_id}, quiet)

    def _login_problem(self, arg: Any) -> str | None:
        """The error code refusing a login arg, ``None`` when it is right
        (https://www.okx.com/docs-v5/en/#overview-websocket-login)."""
        if not isinstance(arg, dict):
            return "60012"
        key, passphrase = arg.get("apiKey"), arg.get("passphrase")
        timestamp, sign = arg.get("timestamp"), arg.get("sign")
        if not isinstance(key, str) or not key:
            return "60005"
        if isinstance(timestamp, int) and not isinstance(timestamp, bool):
            timestamp = str(timestamp)  # the official python-okx SDK sends a JSON integer
        if not isinstance(timestamp, str) or not timestamp.isdigit() or len(timestamp) > 10:
            return "60004"  # Unix seconds; no fractions, no milliseconds
        if abs(int(timestamp) - self._clock()) > self.login_window:
            return "60006"
        if key != self.api_key:
            return "60032"
        if passphrase != self.passphrase:
            return "60024"
        if not isinstance(sign, str) or sign != login_sign(self.secret, timestamp):
            return "60007"
        return None

    # -- subscribe / unsubscribe ------------------------------------------------------

    def _subscribe(self, connection: EmulatorConnection, request: dict[str, Any], echo: dict[str, Any],
                   quiet: bool, unsubscribe: bool, text: str) -> None:
        session: _Session = connection.session
        args = request.get("args")
        if not isinstance(args, list) or not args:
            self._reply(connection, self._error(session, "60012", message("60012", text), echo), quiet)
            return
        op = "unsubscribe" if unsubscribe else "subscribe"
        with self._lock, connection.send_lock:  # acks before their first pushes
            for arg in args:
                if unsubscribe:
                    if not isinstance(arg, dict) or not isinstance(arg.get("channel"), str):
                        self._reply(connection, self._error(session, "60012", message("60012", text), echo), quiet)
                        continue
                    session.subscriptions.pop(json.dumps(arg, sort_keys=True), None)
                    self._reply(connection, {**echo, "event": op, "arg": arg, "connId": session.conn_id}, quiet)
                    continue
                try:
                    subscription = resolve(arg, session.endpoint, session.logged_in)
                    self._check_combination(session, subscription)
                except ArgError as exc:
                    self._reply(connection, self._error(session, exc.code, exc.msg, echo), quiet)
                    continue
                session.subscriptions[subscription.key] = subscription
                self._reply(connection, {**echo, "event": op, "arg": arg, "connId": session.conn_id}, quiet)
                if subscription.channel in COUNTED_CHANNELS:
                    count = sum(1 for c in self.connections if c.session is not None and any(
                        s.channel == subscription.channel for s in c.session.subscriptions.values()))
                    self._send(connection, {"event": "channel-conn-count", "channel": subscription.channel,
                                            "connCount": str(count), "connId": session.conn_id})
                self._initial_push(connection, subscription)

    @staticmethod
    def _check_combination(session: _Session, subscription: Subscription) -> None:
        """64004: ``books-l2-tbt`` excludes ``books`` and ``books50-l2-tbt`` for one instId."""
        exclusive = {"books-l2-tbt": ("books", "books50-l2-tbt"), "books": ("books-l2-tbt",),
                     "books50-l2-tbt": ("books-l2-tbt",)}.get(subscription.channel, ())
        for other in session.subscriptions.values():
            if other.channel in exclusive and other.arg.get("instId") == subscription.arg.get("instId"):
                raise ArgError("64004", message("64004"))

    def _initial_push(self, connection: EmulatorConnection, subscription: Subscription) -> None:
        channel = subscription.channel
        if subscription.private:
            data = self._private_snapshot(subscription)
            if data is not None:
                self._push(connection, subscription, data)
            return
        if subscription.depth:
            self._book_push(connection, subscription, snapshot=True)
            return
        if channel in ("trades", "trades-all"):
            return
        data = public_data(subscription, self._markets, self._status, self.now_ms())
        if data is not None:
            self._push(connection, subscription, data)

    # -- pushes -----------------------------------------------------------------------

    def _market_loop(self) -> None:
        interval = self.push_interval
        assert interval is not None
        while not self._closing.wait(interval):
            self.step()

    def _public_step(self, trades: dict[str, list[TradePrint]]) -> None:
        for connection in self.connections:
            session: _Session | None = connection.session
            if session is None or connection.stalled:
                continue
            with connection.send_lock:
                for subscription in list(session.subscriptions.values()):
                    if subscription.private or subscription.quiet:
                        continue
                    instrument = subscription.instrument
                    if subscription.depth:
                        self._book_push(connection, subscription, snapshot=False)
                    elif subscription.channel == "trades":
                        assert instrument is not None
                        prints = trades.get(instrument.inst_id)
                        if prints:
                            self._push(connection, subscription,
                                       [channels.trade(t, instrument.inst_id) for t in prints])
                    elif subscription.channel == "trades-all":
                        assert instrument is not None
                        for t in trades.get(instrument.inst_id, ()):
                            self._push(connection, subscription, [channels.trade(t, instrument.inst_id, True)])
                    else:
                        data = public_data(subscription, self._markets, self._status, self.now_ms())
                        if data is not None:
                            self._push(connection, subscription, data)

    def _book_push(self, connection: EmulatorConnection, subscription: Subscription, *,
                   snapshot: bool) -> None:
        assert subscription.instrument is not None
        market = self._markets[subscription.instrument.inst_id]
        zero = subscription.channel == "books" and not self.books_checksum
        data = book_message(subscription, market, snapshot=snapshot, zero_checksum=zero)
        if data is None:
            return
        incremental = subscription.channel in INCREMENTAL_BOOKS
        if incremental and not snapshot and self._skips:
            self._skips -= 1  # lost on the way: the next update chains to this one
            return
        if incremental and self._corruptions:
            self._corruptions -= 1
            data["checksum"] = (data["checksum"] + 1 + (1 << 31)) % (1 << 32) - (1 << 31) or 1
        frame: dict[str, Any] = {"arg": subscription.arg}
        if incremental:
            frame["action"] = "snapshot" if snapshot else "update"
        frame["data"] = [data]
        self._send(connection, frame)

    def _push(self, connection: EmulatorConnection, subscription: Subscription, data: list[Any]) -> None:
        arg = {**subscription.arg, "uid": UID} if subscription.private else subscription.arg
        if "candle" in subscription.channel:  # one candle per push
            for row in data:
                self._send(connection, {"arg": arg, "data": [row]})
            return
        self._send(connection, {"arg": arg, "data": data})

    # -- sending ------------------------------------------------------------------------

    def _error(self, session: _Session, code: str, msg: str, echo: dict[str, Any]) -> dict[str, Any]:
        return {**echo, "event": "error", "code": code, "msg": msg, "connId": session.conn_id}

    def _reply(self, connection: EmulatorConnection, frame: dict[str, Any], quiet: bool) -> None:
        if not quiet:
            self._send(connection, frame)

    def _send(self, connection: EmulatorConnection, frame: dict[str, Any] | str) -> bool:
        sent = connection.send(frame if isinstance(frame, str) else dumps(frame))
        if sent and connection.session is not None:
            connection.session.last_activity = time.monotonic()
        return sent

    def _take_failure(self, op: Any) -> tuple[str, str] | None:
        with self._lock:
            queue = self._failures.get(op) if isinstance(op, str) else None
            return queue.popleft() if queue else None

    def _take_withheld(self, op: Any) -> bool:
        with self._lock:
            count = self._withheld.get(op, 0) if isinstance(op, str) else 0
            if count:
                self._withheld[op] = count - 1
            return bool(count)

    def _watch_idle(self, connection: EmulatorConnection) -> None:
        """Close the connection with 4004 after ``idle_timeout`` seconds without traffic."""
        session: _Session = connection.session
        timeout = self.idle_timeout
        assert timeout is not None
        while True:
            remaining = session.last_activity + timeout - time.monotonic()
            if remaining <= 0:
                connection.close(4004, "No data received in 30s")
                return
            if not connection.tick(remaining):
                return
