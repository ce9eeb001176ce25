"""Kraken Spot WebSocket v1 emulator (:doc:`the Kraken page </exchanges/kraken>`).

Speaks the public side of v1 as the spec documents it: ``systemStatus`` on connect
(§4.3), ``ping``/``pong`` (§4.1), ``heartbeat`` (§4.2), subscribe/unsubscribe with one
``subscriptionStatus`` per pair (§4.4-4.6) and the error strings of §9, and the channel
arrays of §5 (ticker, ohlc, trade, spread, and book with the CRC32 checksum of §5.5).
Market data comes from a seeded random walk or from a real capture (``replay=``).

The private side (§6-§8) lives in :mod:`exwire.testing._kraken.trading`: the REST token
endpoint ``POST /0/private/GetWebSocketsToken`` on the same port (signature and nonce
checked), the ``openOrders``/``ownTrades`` channels on ``/auth`` and trading against a
matching engine with balances; the controls (credentials, balances, fills, faults) are
in :mod:`exwire.testing._kraken.private`.
"""

from __future__ import annotations

import itertools
import json
import math
import random
import re
import threading
import time
from collections import Counter, deque
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypedDict

from exwire.errors import ConfigurationError
from exwire.testing._kraken.market import (
    _HEARTBEAT,
    _OTHER_PAIR,
    _PAIRS,
    _Book,
    _Candle,
    _Capture,
    _channel_name,
    _dumps,
    _Market,
    _subscription_echo,
    book_checksum,
)
from exwire.testing._kraken.private import PrivateSide
from exwire.testing._kraken.trading import PRIVATE_CHANNELS, TRADING_EVENTS, TradingEngine
from exwire.testing._server import EmulatorConnection, EmulatorServer, logger

__all__ = ["KrakenEmulator", "KrakenClientKwargs", "book_checksum"]


class KrakenClientKwargs(TypedDict):
    """What :meth:`KrakenEmulator.client_kwargs` returns: ``KrakenClient(**emu.client_kwargs())``."""

    url: str
    private_url: str
    rest_url: str

VERSION = "1.9.1"
BOOK_DEPTHS = (10, 25, 100, 500, 1000)
OHLC_INTERVALS = (1, 5, 15, 30, 60, 240, 1440, 10080, 21600)  # minutes
PUBLIC_CHANNELS = ("ticker", "ohlc", "trade", "spread", "book")
_ALIASES = {"BTC": "XBT", "DOGE": "XDG"}  # §2: BTC/USD is acked and pushed as XBT/USD
_PAIR_FORMAT = re.compile(r"[A-Z0-9]{2,10}/[A-Z0-9]{2,10}")
_REQID_ERROR = "Reqid field must be a positive integer less than 18446744073709551616"
_ABSENT = object()
_PRIVATE_ONLY = "Private data and trading are unavailable on this endpoint. Try ws-auth.kraken.com"


# -- per-connection state -------------------------------------------------------------


class _Subscription:
    def __init__(self, name: str, pair: str, depth: int, interval: int, channel_id: int,
                 replayed: bool) -> None:
        self.name, self.pair, self.channel_id, self.replayed = name, pair, channel_id, replayed
        self.channel_name = _channel_name(name, depth, interval)
        self.echo = _subscription_echo(name, depth, interval)
        self.book: _Book | None = None
        self.candle = _Candle(interval) if name == "ohlc" else None


class _Session:
    """Kraken state of one connection; changed under its connection's ``send_lock``."""

    def __init__(self) -> None:
        self.lock = threading.Lock()  # lets other threads read subscriptions
        self.subscriptions: dict[tuple[str, str], _Subscription] = {}
        self.markets: dict[str, _Market] = {}
        self.pusher_started = False
        self.replay_started = False
        self.replay_due = False


# -- the emulator ---------------------------------------------------------------------


class KrakenEmulator(PrivateSide, EmulatorServer):
    """A local Kraken WebSocket v1 server for tests and samples.

    ``with KrakenEmulator() as emu: client = KrakenClient(**emu.client_kwargs(),
    credentials=emu.credentials)``. Connections to ``/`` (public) and ``/auth``
    (private) are accepted, and plain HTTP ``POST`` requests to the REST token endpoint
    on the same port. Each connection
    gets its own seeded market data: the same seed and the same subscriptions give the
    same prices, volumes and book updates (timestamps come from the clock).

    With ``replay=``, generated data is off for the captured pairs: a subscription to one
    of them gets its ack and nothing else, and once a connection has subscribed to every
    captured ``(channelName, pair)`` it receives the captured channel messages and
    heartbeats in order, as fast as the socket takes them, with each ``channelID``
    rewritten to the one acked. Captured replies (``systemStatus``, ``pong``,
    ``subscriptionStatus``) are not replayed; the emulator makes its own.

    Private side: ``credentials`` are accepted by the token endpoint; each token gives
    ``/auth`` access to that account's ``openOrders``/``ownTrades`` and trading. Orders
    trade against one seeded book per pair (:meth:`best_prices`); balances are checked
    and settled; ``cancelAllOrdersAfter`` cancels everything when it runs out. See
    :mod:`exwire.testing._kraken.trading` for the behaviour where Kraken's documents are
    uncertain (one ``cancelOrderStatus`` per id of a multi-id ``cancelOrder``).

    Threads: besides those of :class:`EmulatorServer`, each connection with a
    subscription has one pusher thread (``exwire-emulator-kraken-push-<id>``) that sends
    generated updates, heartbeats and the replay, and the dead man's switch and order
    expiry run on ``exwire-emulator-kraken-timers`` once used. Thread-safety: every
    public method may be called from any thread.

    Args:
        seed: Seed of the generated market data.
        replay: Path of a capture to replay: python-kraken-sdk ``orderbook-v1.json`` or a
            cryptofeed ``KRAKEN.ws.*.0`` log; ``None`` for generated data only.
        push_interval: Seconds between generated updates of each subscription; ``None``
            sends only what follows a subscribe (snapshot, first ticker ...).
        heartbeat_interval: Seconds between ``heartbeat`` events on a connection with at
            least one subscription; ``None`` sends none.
        pairs: Extra pairs to accept beyond XBT/USD, XBT/EUR, ETH/USD, ETH/EUR, XDG/USD
            and the replayed ones; ``None`` adds none.
        system_status: ``status`` of the ``systemStatus`` event sent on connect; it also
            gates trading (``maintenance`` refuses everything with ``EService:Unavailable``,
            ``cancel_only``/``post_only``/``limit_only`` refuse the orders they exclude).
            May be changed while running.
        token_lifetime: Seconds an issued token may wait for its first use.
        rate_limit: The trading rate counter's ceiling per pair (§10), ``None`` for no limit.
        balances: Balances of the default account (asset → amount); ``None`` for the defaults.
        host: Interface to bind.
        port: TCP port, 0 for a free one.
        send_timeout: Seconds a send may block on a client that stopped reading.
        close_timeout: Seconds a closing handshake may take.
        tls: Serve ``wss://`` with a generated self-signed certificate; pass
            ``ssl_context=emu.ssl_context()`` to the client. The REST token endpoint
            stays plain ``http://`` on the same port (each new connection is told apart
            by its first bytes, which TLS would hide).

    Raises:
        ConfigurationError: A bad interval, or a capture with nothing to replay.
        OSError: The capture cannot be read.
    """

    def __init__(self, seed: int = 0, replay: str | Path | None = None,
                 push_interval: float | None = 0.05, heartbeat_interval: float | None = 1.0,
                 *, pairs: Iterable[str] | None = None, system_status: str = "online",
                 token_lifetime: float = 900.0, rate_limit: int | None = 125,
                 balances: dict[str, Any] | None = None,
                 host: str = "127.0.0.1", port: int = 0, send_timeout: float | None = 10.0,
                 close_timeout: float = 2.0, tls: bool = False) -> None:
        super().__init__("kraken", host=host, port=port, send_timeout=send_timeout,
                         close_timeout=close_timeout, tls=tls)
        for label, value in (("push_interval", push_interval),
                             ("heartbeat_interval", heartbeat_interval)):
            if value is not None and not value > 0:
                raise ConfigurationError(f"{label} must be > 0 seconds or None, not {value!r}")
        self.seed = seed
        self.push_interval = push_interval
        self.heartbeat_interval = heartbeat_interval
        self.system_status = system_status
        self.replay_finished = threading.Event()
        """Set when a connection has sent the whole capture."""
        self._capture = _Capture(replay) if replay is not None else None
        self._pair_specs = dict(_PAIRS)
        for pair in itertools.chain(pairs or (), self._capture.pairs if self._capture else ()):
            self._pair_specs.setdefault(pair, _OTHER_PAIR)
        self._faults_lock = threading.Lock()  # guards the fault queues and channel ids
        self._refusals: deque[str] = deque()
        self._corruptions = 0
        self._channel_ids = dict(self._capture.channel_ids) if self._capture else {}
        self._next_channel_id = itertools.count(max(self._channel_ids.values(), default=0) + 1)
        self._received: Counter[str] = Counter()  # requests by event, under the engine's lock
        self._engine = TradingEngine(
            self, seed=seed, pair_specs=self._pair_specs, system_status=lambda: self.system_status,
            token_lifetime=token_lifetime, rate_limit=rate_limit, balances=balances,
        )

    # -- public API --------------------------------------------------------------------

    def client_kwargs(self) -> KrakenClientKwargs:
        """Keyword arguments pointing a ``KrakenClient`` at this emulator: ``url``,
        ``private_url`` and ``rest_url`` (add ``credentials=emu.credentials`` to trade)."""
        return KrakenClientKwargs(
            url=self.url, private_url=f"{self.url}auth", rest_url=f"http://{self.host}:{self.port}"
        )

    def start(self) -> KrakenEmulator:
        """Bind the port and start accepting connections (see :meth:`EmulatorServer.start`)."""
        started = super().start()
        self._hide_tokens_in_logs()
        return started

    def close(self) -> None:
        """Stop the timers, then close as :meth:`EmulatorServer.close` does; idempotent."""
        self._engine.stop()
        super().close()

    @property
    def pairs(self) -> list[str]:
        """Every pair this emulator accepts, sorted."""
        return sorted(self._pair_specs)

    @property
    def replay_pairs(self) -> list[str]:
        """Pairs of the replayed capture in order of appearance; empty without replay."""
        return list(self._capture.pairs) if self._capture else []

    @property
    def replay_channel(self) -> dict[str, Any] | None:
        """The captured subscription, e.g. ``{"name": "book", "depth": 10}``; ``None``
        without replay."""
        return dict(self._capture.channel) if self._capture and self._capture.channel else None

    @property
    def replay_book_updates(self) -> int:
        """Book updates carrying a checksum in the capture; 0 without replay."""
        return self._capture.book_updates if self._capture else 0

    @property
    def subscriptions(self) -> int:
        """Active subscriptions, summed over the live connections."""
        return sum(len(self._session(c).subscriptions) for c in self.connections)

    def subscription_keys(self) -> list[tuple[str, str]]:
        """``(channelName, pair)`` of every active subscription of every live connection."""
        keys: list[tuple[str, str]] = []
        for connection in self.connections:
            session = self._session(connection)
            with session.lock:
                keys.extend(session.subscriptions)
        return keys

    def refuse_next_subscription(self, message: str = "Exceeded msg rate") -> None:
        """Answer every pair of the next ``subscribe`` request with an error ack carrying
        ``message``. Calls queue up: N calls refuse the next N requests."""
        with self._faults_lock:
            self._refusals.append(message)

    def corrupt_next_checksum(self) -> None:
        """Give the next book update sent (any connection, generated or replayed) a wrong
        ``c``; the book itself stays correct. Calls accumulate."""
        with self._faults_lock:
            self._corruptions += 1

    # -- hooks -------------------------------------------------------------------------

    def accepts_path(self, path: str) -> bool:
        return path in ("/", "/auth")

    def on_open(self, connection: EmulatorConnection) -> None:
        connection.session = _Session()
        connection_id = random.Random(f"{self.seed}:connection:{connection.id}").getrandbits(64)
        self._reply(connection, {"connectionID": connection_id, "event": "systemStatus",
                                 "status": self.system_status, "version": VERSION})

    def on_close(self, connection: EmulatorConnection) -> None:
        self._engine.connection_closed(connection)

    def on_message(self, connection: EmulatorConnection, message: str | bytes) -> None:
        try:
            request = json.loads(message)
        except ValueError:
            request = None
        if not isinstance(request, dict):
            self._reply(connection, {"errorMessage": "Malformed request", "event": "error"})
            return
        event = request.get("event")
        if isinstance(event, str):
            with self._engine.lock:
                self._received[event] += 1
        status_event = "pingStatus" if event == "ping" else \
            f"{event}Status" if event in TRADING_EVENTS else "subscriptionStatus"
        echo = {"reqid": request["reqid"]} if "reqid" in request else {}
        if event is None:
            self._reply(connection, {"errorMessage": "Event(s) not found",
                                     "event": status_event, "status": "error", **echo})
        elif "reqid" in request and not _valid_reqid(request["reqid"]):
            self._reply(connection, {"errorMessage": _REQID_ERROR, "event": status_event,
                                     "status": "error", **echo})
        elif event == "ping":
            self._reply(connection, {"event": "pong", **echo})
        elif event in ("subscribe", "unsubscribe"):
            self._subscribe(connection, request, echo, event == "unsubscribe")
        elif event in TRADING_EVENTS:
            if connection.path == "/auth":
                self._engine.trade(connection, event, request, echo)
            else:
                self._reply(connection, {"errorMessage": _PRIVATE_ONLY, "event": status_event,
                                         "status": "error", **echo})
        else:
            self._reply(connection, {"errorMessage": "Unsupported event",
                                     "event": status_event, "status": "error", **echo})

    # -- subscribe / unsubscribe (§4.4-4.6, §9) ----------------------------------------

    def _subscribe(self, connection: EmulatorConnection, request: dict[str, Any],
                   echo: dict[str, Any], unsubscribe: bool) -> None:
        subscription = request.get("subscription")

        def error(message: str, pair: Any = _ABSENT) -> dict[str, Any]:
            # §4.6: reqid, pair and subscription are echoed when the request had them.
            reply = {"errorMessage": message, "event": "subscriptionStatus",
                     "status": "error", **echo}
            if pair is not _ABSENT:
                reply["pair"] = pair
            if subscription is not None:
                reply["subscription"] = subscription
            return reply

        refusal = None if unsubscribe else self._take_refusal()
        if not isinstance(subscription, dict):
            self._reply(connection, error("Subscription field must be an object"))
            return
        name = subscription.get("name")
        if name in PRIVATE_CHANNELS:
            if connection.path == "/auth":
                self._engine.subscribe(connection, request, echo, unsubscribe, refusal)
                self._start_pusher_or_replay(connection, self._session(connection))  # heartbeats
            else:
                self._reply(connection, error(_PRIVATE_ONLY))
            return
        pairs = request.get("pair")
        if not isinstance(pairs, list):
            self._reply(connection, error("Pair field must be an array"))
            return
        if not pairs:
            self._reply(connection, error("Pair(s) not found"))
            return
        depth, interval = subscription.get("depth"), subscription.get("interval")
        depth, interval = 10 if depth is None else depth, 1 if interval is None else interval
        problem = _subscription_problem(subscription, unsubscribe)
        channel = name if isinstance(name, str) else ""  # a bad name is a problem: nothing added
        replies: list[Any] = []  # event objects and channel arrays, in sending order
        session = self._session(connection)
        with connection.send_lock:  # acks, snapshots and state change stay in order
            for given in pairs:
                pair, pair_problem = self._normalize_pair(given)
                failure = problem or pair_problem or refusal
                if failure:
                    replies.append(error(failure, given))
                    continue
                if unsubscribe:
                    replies.extend(self._remove(session, channel, pair, depth, interval, echo)
                                   or [error("Subscription Not Found", pair)])
                    continue
                channel_name = _channel_name(channel, depth, interval)
                if (channel_name, pair) in session.subscriptions:
                    replies.append(error("Already subscribed", pair))
                    continue
                replies.extend(self._add(connection, session, channel, pair, depth, interval, echo))
            for reply in replies:
                connection.send(_dumps(reply))
            if not unsubscribe:
                self._start_pusher_or_replay(connection, session)
        self.notify_changed()

    def _add(self, connection: EmulatorConnection, session: _Session, name: str, pair: str,
             depth: int, interval: int, echo: dict[str, Any]) -> list[Any]:
        replayed = self._capture is not None and pair in self._capture.pairs
        channel_name = _channel_name(name, depth, interval)
        sub = _Subscription(name, pair, depth, interval,
                            self._channel_id(channel_name, pair), replayed)
        with session.lock:
            session.subscriptions[(channel_name, pair)] = sub
        ack = {"channelID": sub.channel_id, "channelName": channel_name, "pair": pair,
               "event": "subscriptionStatus", "status": "subscribed",
               "subscription": sub.echo, **echo}
        if replayed:
            return [ack]
        market = self._market(session, pair)
        if name == "book":  # a view of the pair's one book, which the ticker and trades share
            sub.book = _Book(market, depth)
            return [ack, [sub.channel_id, sub.book.snapshot(), channel_name, pair]]
        first = {"ticker": market.ticker, "spread": market.spread}.get(name)
        if first is not None:  # Kraken sends the current ticker/spread right away
            return [ack, [sub.channel_id, first(), channel_name, pair]]
        if sub.candle is not None:  # and the last candle for ohlc (§5.2)
            return [ack, [sub.channel_id, sub.candle.update(market, ()), channel_name, pair]]
        return [ack]

    def _remove(self, session: _Session, name: str, pair: str, depth: int, interval: int,
                echo: dict[str, Any]) -> list[dict[str, Any]]:
        if name == "*":
            keys = [key for key in session.subscriptions if key[1] == pair]
        else:
            keys = [(_channel_name(name, depth, interval), pair)]
        replies = []
        for key in keys:
            with session.lock:
                sub = session.subscriptions.pop(key, None)
            if sub is not None:
                replies.append({"channelID": sub.channel_id, "channelName": sub.channel_name,
                                "event": "subscriptionStatus", "pair": pair,
                                "status": "unsubscribed", "subscription": sub.echo, **echo})
        return replies

    def _normalize_pair(self, given: Any) -> tuple[str, str | None]:
        if not isinstance(given, str) or not _PAIR_FORMAT.fullmatch(given):
            return "", f"Currency pair not in ISO 4217-A3 format {given}"
        base, quote = given.split("/")
        pair = f"{_ALIASES.get(base, base)}/{_ALIASES.get(quote, quote)}"
        if pair not in self._pair_specs:
            return pair, "Pair(s) not found"
        return pair, None

    # -- pushing -----------------------------------------------------------------------

    def _start_pusher_or_replay(self, connection: EmulatorConnection, session: _Session) -> None:
        capture = self._capture
        if capture and not session.replay_started and capture.keys <= session.subscriptions.keys():
            session.replay_started = session.replay_due = True
        idle = self.push_interval is None and self.heartbeat_interval is None and not capture
        subscribed = session.subscriptions or self._engine.subscribed(connection)
        if not session.pusher_started and subscribed and not idle:
            session.pusher_started = True
            connection.start_worker(self._push_loop)
        connection.wake()

    def _push_loop(self, connection: EmulatorConnection) -> None:
        session = self._session(connection)
        push, heartbeat = self.push_interval, self.heartbeat_interval
        now = time.monotonic()
        next_push = now + push if push else math.inf
        next_heartbeat = now + heartbeat if heartbeat else math.inf
        timeout: float | None = None
        while connection.tick(timeout):
            if connection.stalled:
                return
            if session.replay_due:
                session.replay_due = False
                self._replay(connection, session)
            now = time.monotonic()
            if now >= next_push:
                self._push_generated(connection, session)
                next_push = now + push  # type: ignore[operator]
            if now >= next_heartbeat:
                if session.subscriptions or self._engine.subscribed(connection):
                    connection.send(_HEARTBEAT)
                next_heartbeat = now + heartbeat  # type: ignore[operator]
            wake_at = min(next_push, next_heartbeat)
            timeout = None if wake_at == math.inf else max(0.0, wake_at - time.monotonic())

    def _push_generated(self, connection: EmulatorConnection, session: _Session) -> None:
        with connection.send_lock:
            # One step per pair and push, before anything of the pair is rendered: every
            # frame of this push shows the same coherent state of the pair's market.
            subscriptions = [sub for sub in session.subscriptions.values() if not sub.replayed]
            for pair in dict.fromkeys(sub.pair for sub in subscriptions):
                session.markets[pair].step()
            for sub in subscriptions:
                if sub.book is not None:
                    payloads = sub.book.update()
                    if not payloads:
                        continue  # nothing changed within this book's depth
                    if self._take_corruption():
                        payloads[-1]["c"] = str((int(payloads[-1]["c"]) + 1) & 0xFFFFFFFF)
                    frame = [sub.channel_id, *payloads, sub.channel_name, sub.pair]
                else:
                    market = session.markets[sub.pair]
                    payload = market.ticker() if sub.name == "ticker" else \
                        market.spread() if sub.name == "spread" else \
                        market.trade_list() if sub.name == "trade" else \
                        sub.candle.update(market, market.trades)  # type: ignore[union-attr]
                    frame = [sub.channel_id, payload, sub.channel_name, sub.pair]
                if not connection.send(_dumps(frame)):
                    return

    def _replay(self, connection: EmulatorConnection, session: _Session) -> None:
        assert self._capture is not None
        logger.debug("%r: replaying %d messages", connection, len(self._capture.frames))
        for frame in self._capture.frames:
            if connection.closing.is_set() or connection.stalled:
                return
            text = frame.text
            if frame.key is not None:
                with session.lock:
                    sub = session.subscriptions.get(frame.key)
                if sub is None:  # unsubscribed meanwhile
                    continue
                corrupt = frame.checksummed and self._take_corruption()
                if corrupt or frame.message[0] != sub.channel_id:
                    message = list(frame.message)
                    message[0] = sub.channel_id
                    if corrupt:
                        message[-3] = dict(message[-3])
                        message[-3]["c"] = str((int(message[-3]["c"]) + 1) & 0xFFFFFFFF)
                    text = _dumps(message)
            if not connection.send(text):
                return
        self.replay_finished.set()
        self.notify_changed()

    # -- helpers -----------------------------------------------------------------------

    @staticmethod
    def _session(connection: EmulatorConnection) -> _Session:
        session = connection.session
        return session if session is not None else _Session()

    def _reply(self, connection: EmulatorConnection, message: dict[str, Any]) -> None:
        connection.send(_dumps(message))

    def _market(self, session: _Session, pair: str) -> _Market:
        market = session.markets.get(pair)
        if market is None:
            rng = random.Random(f"{self.seed}:{pair}:market")
            market = session.markets[pair] = _Market(self._pair_specs[pair], rng)
        return market

    def _channel_id(self, channel_name: str, pair: str) -> int:
        with self._faults_lock:
            channel_id = self._channel_ids.get((channel_name, pair))
            if channel_id is None:
                channel_id = self._channel_ids[(channel_name, pair)] = next(self._next_channel_id)
            return channel_id

    def _take_refusal(self) -> str | None:
        with self._faults_lock:
            return self._refusals.popleft() if self._refusals else None

    def _take_corruption(self) -> bool:
        with self._faults_lock:
            if self._corruptions:
                self._corruptions -= 1
                return True
            return False


def _valid_reqid(reqid: Any) -> bool:
    return isinstance(reqid, int) and not isinstance(reqid, bool) and 0 <= reqid < 2**64


def _subscription_problem(subscription: dict[str, Any], unsubscribe: bool) -> str | None:
    """The §9 error string for a bad ``subscription`` object, or ``None``."""
    name = subscription.get("name")
    if name is None:
        return "Malformed request"
    if name not in PUBLIC_CHANNELS and not (unsubscribe and name == "*"):
        return "Subscription name invalid"
    depth, interval = subscription.get("depth"), subscription.get("interval")
    if depth is not None:
        if name != "book":
            return "Subscription object unsupported field"
        if not isinstance(depth, int) or isinstance(depth, bool):
            return "Subscription book depth must be an integer"
        if depth not in BOOK_DEPTHS:
            return "Subscription depth not supported"
    if interval is not None:
        if name != "ohlc":
            return "Subscription object unsupported field"
        if not isinstance(interval, int) or isinstance(interval, bool):
            return "Subscription ohlc interval must be an integer"
        if interval not in OHLC_INTERVALS:
            return "Subscription ohlc interval not supported"
    return None
