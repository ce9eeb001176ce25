"""The CoinEx v1 emulator server: hooks, fault injection and the per-connection pusher.

:class:`CoinexEmulator` combines the request handlers of :mod:`.api` and the account
controls of :mod:`.accounts` with :class:`~exwire.testing._server.EmulatorServer`.

Section numbers (§) refer to the protocol notes of :doc:`the CoinEx page </exchanges/coinex>`.
"""

from __future__ import annotations

import collections
import itertools
import json
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypedDict

from exwire.errors import ConfigurationError
from exwire.models import Credentials
from exwire.testing._coinex.accounts import Money, _AccountControls
from exwire.testing._coinex.api import _RequestHandlers
from exwire.testing._coinex.common import (
    _DEFAULT_BALANCES,
    _ERRORS,
    _MARKETS,
    _PRIVATE,
    DEFAULT_ACCESS_ID,
    DEFAULT_SECRET,
    _dumps,
    _is_int,
    _load_trades,
    _Refusal,
)
from exwire.testing._coinex.market import _Account, _Session
from exwire.testing._server import EmulatorConnection, EmulatorServer, logger

__all__ = ["CoinexClientKwargs", "CoinexEmulator"]


class CoinexClientKwargs(TypedDict):
    """The keywords :meth:`CoinexEmulator.client_kwargs` returns: ``CoinexClient(**kwargs)``."""

    url: str


# -- the emulator -------------------------------------------------------------------------------


class CoinexEmulator(_AccountControls, _RequestHandlers, EmulatorServer):
    """A local CoinEx WebSocket v1 server for tests and samples.

    ``with CoinexEmulator() as emu: client = CoinexClient(**emu.client_kwargs(),
    credentials=emu.credentials())``. Markets: BTCUSDT, ETHUSDT, CETUSDT, ETHBTC,
    BCHBTC. Each connection gets its own seeded market data: the same seed and the
    same subscriptions give the same prices, amounts and book changes (times come from
    the clock). One account exists unless ``accounts`` says otherwise: access id
    :data:`DEFAULT_ACCESS_ID`, secret :data:`DEFAULT_SECRET`.

    Threads: besides those of :class:`EmulatorServer`, each connection with a public
    subscription has one pusher (``exwire-emulator-coinex-push-<id>``). Account pushes
    are sent by the thread that calls :meth:`place_order`, :meth:`fill` or
    :meth:`cancel_order`. Thread-safety: every public method may be called from any thread.

    Args:
        seed: Seed of the generated market data.
        push_interval: Seconds between generated pushes on a connection; ``None`` sends
            only what follows a subscribe (first state, trade history, full book).
        clean_interval: Seconds after which a changed book is pushed in full again
            (CoinEx: 60).
        trade_history: Path of a captured trade list (JSON array of ``deals.update``
            trades, newest first, e.g. ``TradeUpdate.txt``) that ``trade_history_market``
            starts from; ``None`` generates the history.
        trade_history_market: The market the captured trades belong to.
        accounts: ``{access_id: secret}`` of the accounts that may sign in; ``None``
            for the default one.
        balances: Starting available balances of every account (asset → amount);
            ``None`` for 10000 USDT, 1 BTC, 10 ETH, 1000 CET, 5 BCH.
        host: Interface to bind.
        port: TCP port, 0 for a free one.
        send_timeout: Seconds a send may block on a client that stopped reading.
        close_timeout: Seconds a closing handshake may take.
        tls: Serve ``wss://`` with a generated self-signed certificate; pass
            ``ssl_context=emu.ssl_context()`` to the client (see :class:`EmulatorServer`).

    Raises:
        ConfigurationError: a bad interval, an unknown history market or an unreadable
            trade list.
        OSError: the trade list cannot be read.
    """

    def __init__(self, seed: int = 0, push_interval: float | None = 0.1, *, clean_interval: float = 60.0,
                 trade_history: str | Path | None = None, trade_history_market: str = "BTCUSDT",
                 accounts: dict[str, str] | None = None, balances: Mapping[str, Money] | None = None,
                 host: str = "127.0.0.1", port: int = 0, send_timeout: float | None = 10.0,
                 close_timeout: float = 2.0, tls: bool = False) -> None:
        super().__init__("coinex", host=host, port=port, send_timeout=send_timeout, close_timeout=close_timeout,
                         tls=tls)
        for label, value in (("push_interval", push_interval), ("clean_interval", clean_interval)):
            if value is not None and not value > 0:
                raise ConfigurationError(f"{label} must be > 0 seconds, not {value!r}")
        if trade_history is not None and trade_history_market not in _MARKETS:
            raise ConfigurationError(f"unknown market {trade_history_market!r}")
        self.seed = seed
        self.push_interval = push_interval
        self.clean_interval = clean_interval
        self._history = {trade_history_market: _load_trades(trade_history)} if trade_history else {}
        starting = balances if balances is not None else _DEFAULT_BALANCES
        self._engine_lock = threading.Lock()  # guards accounts and orders; never held while sending
        self._accounts = {access_id: _Account(secret, 1000 + n, starting)
                          for n, (access_id, secret) in enumerate((accounts or {DEFAULT_ACCESS_ID: DEFAULT_SECRET})
                                                                  .items(), 1)}
        self._default_access_id = next(iter(self._accounts))
        self._orders = {}
        self._order_ids = itertools.count(77_000_000_001)
        self._own_trade_ids = itertools.count(9_000_000_001)
        self._faults_lock = threading.Lock()  # guards the fault queues and the request log
        self._sign_refusals = collections.deque()
        self._failures = {}
        self._corruptions = 0
        self._log = collections.deque(maxlen=10_000)
        self.sign_count = 0
        """Successful ``server.sign`` requests since start."""

    # -- public API -----------------------------------------------------------------------------

    def client_kwargs(self) -> CoinexClientKwargs:
        """Keyword arguments pointing a ``CoinexClient`` at this emulator: ``{"url": ...}``."""
        return {"url": self.url}

    def credentials(self, access_id: str | None = None) -> Credentials:
        """:class:`exwire.Credentials` of an account (the first one when ``None``)."""
        access_id = access_id or self._default_access_id
        return Credentials(key=access_id, secret=self._account(access_id).secret)

    @property
    def markets(self) -> list[str]:
        """The markets this emulator trades, sorted."""
        return sorted(_MARKETS)

    def requests(self, method: str | None = None) -> list[tuple[int, str, list[Any]]]:
        """``(connection id, method, params)`` of the requests received (the last 10,000),
        optionally only those of ``method``."""
        with self._faults_lock:
            return [entry for entry in self._log if method is None or entry[1] == method]

    def subscriptions(self) -> list[dict[str, Any]]:
        """What each live connection is subscribed to, in connection order:
        ``{"user", "state", "deals", "depth", "kline", "order", "asset"}``."""
        result = []
        for connection in self.connections:
            if connection.session is not None:
                with connection.send_lock:
                    result.append(connection.session.summary())
        return result

    # -- fault injection ----------------------------------------------------------------------

    def refuse_next_sign(self, message: str = "invalid signature") -> None:
        """Answer the next ``server.sign`` with error 11 and ``message``, even if it is valid.
        Calls queue up: N calls refuse the next N sign-ins."""
        with self._faults_lock:
            self._sign_refusals.append(message)

    def fail_next(self, method: str, code: int = 3, message: str | None = None) -> None:
        """Answer the next request of ``method`` with error ``code`` (and ``message``, default
        CoinEx's text for the code) instead of handling it. Calls queue up per method."""
        with self._faults_lock:
            self._failures.setdefault(method, collections.deque()).append((code, message or _ERRORS.get(code, "")))

    def corrupt_next_checksum(self) -> None:
        """Give the next incremental ``depth.update`` sent (any connection) a wrong checksum;
        the levels stay correct. Calls accumulate."""
        with self._faults_lock:
            self._corruptions += 1

    # -- hooks ------------------------------------------------------------------------------

    def on_open(self, connection: EmulatorConnection) -> None:
        connection.session = _Session()

    def on_message(self, connection: EmulatorConnection, message: str | bytes) -> None:
        try:
            request = json.loads(message)
        except ValueError:
            request = None
        # §2.1: anything but {method: str, params: list, id: int} is a decode error: close, no reply.
        if not isinstance(request, dict) or not isinstance(request.get("method"), str) \
                or not isinstance(request.get("params"), list) or not _is_int(request.get("id")):
            logger.debug("%r: undecodable request, closing: %.200r", connection, message)
            connection.abort()
            return
        method, params, request_id = request["method"], request["params"], request["id"]
        with self._faults_lock:
            self._log.append((connection.id, method, params))
            failures = self._failures.get(method)
            failure = failures.popleft() if failures else None
        session: _Session = connection.session
        with connection.send_lock:  # the reply and the pushes that follow it stay in order
            try:
                if failure is not None:
                    raise _Refusal(*failure)
                handler = getattr(self, "_on_" + method.replace(".", "_"), None)
                if handler is None:
                    raise _Refusal(4)
                if method.startswith(_PRIVATE) and session.user is None:
                    raise _Refusal(6)
                result, pushes = handler(connection, session, params)
            except _Refusal as refusal:
                connection.send(_dumps({"error": {"code": refusal.code, "message": refusal.message},
                                        "result": None, "id": request_id}))
                return
            connection.send(_dumps({"error": None, "result": result, "id": request_id}))
            for push in pushes:
                connection.send(_dumps(push))
            if ".subscribe" in method and not session.pusher_started and self.push_interval:
                session.pusher_started = True
                connection.start_worker(self._push_loop)
        self.notify_changed()

    # -- pushing ----------------------------------------------------------------------------------

    def _push_loop(self, connection: EmulatorConnection) -> None:
        session: _Session = connection.session
        while connection.tick(self.push_interval):
            if connection.stalled:
                return
            with connection.send_lock:
                for push in self._generate(session):
                    if not connection.send(_dumps(push)):
                        return

    def _generate(self, session: _Session) -> list[dict[str, Any]]:
        used = set(_MARKETS) if session.state_all else set(session.state)
        used |= session.deals | set(session.depth) | ({session.kline[0]} if session.kline else set())
        for name in sorted(used):
            self._market(session, name).step()
        pushes: list[dict[str, Any]] = []
        if session.state_all or session.state:
            names = sorted(_MARKETS) if session.state_all else sorted(session.state)
            pushes.append({"method": "state.update",
                           "params": [{name: session.markets[name].state() for name in names}], "id": None})
        for name in sorted(session.deals):
            if session.markets[name].fresh:
                pushes.append({"method": "deals.update", "params": [name, session.markets[name].fresh], "id": None})
        now = time.monotonic()
        for name, sub in sorted(session.depth.items()):
            push = self._depth_push(session.markets[name], sub, now, clean=False)
            if push is not None:
                pushes.append(push)
        if session.kline is not None:
            name, candle = session.kline
            if candle.update(session.markets[name], session.markets[name].fresh):
                pushes.append({"method": "kline.update", "params": candle.window(), "id": None})
        return pushes
