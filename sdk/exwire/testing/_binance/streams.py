"""The Binance emulator's market-data and futures user-data stream endpoints.

Paths on the emulator's one port (the stream roots of ``client_kwargs()`` plus Binance's
own paths under them):

* spot ``/spot/stream`` and ``/spot/ws[/<s1>/<s2>…]``; COIN-M ``/coinm/stream`` and
  ``/coinm/ws[/…]`` (``/coinm/ws/<listenKey>`` is the user-data stream);
* USDⓈ-M ``/usdm/public/…`` (bookTicker, depth, trade), ``/usdm/market/…`` (every other
  market stream) and ``/usdm/private/ws?listenKey=<key>`` (or ``/usdm/private/ws/<key>``,
  or ``/usdm/private/stream`` and ``SUBSCRIBE`` of the key). A market stream subscribed on
  the wrong USDⓈ-M route is accepted and stays silent, as on Binance.

Raw connections (``/ws/…``) push bare payloads; combined ones (``/stream?streams=…``, also
empty) wrap each in ``{"stream": name, "data": payload}``. Live ``SUBSCRIBE``,
``UNSUBSCRIBE``, ``LIST_SUBSCRIPTIONS``, ``SET_PROPERTY`` / ``GET_PROPERTY`` (``combined``)
are answered ``{"result": …, "id": …}``, errors ``{"error": {"code", "msg"}, "id": …}`` with
Binance's codes (0 unknown property, 1 invalid value type, 2 invalid request, 3 invalid JSON).

Limits: a connection that sends more than 5 messages in one second (spot; 10 on futures)
is closed with ``1008 Too many requests``, as Binance disconnects it (Binance also counts
pongs; the emulator counts text and binary messages only). Event streams (trade, aggTrade,
diff depth, bookTicker, user data) push as things happen, whatever the name's speed
suffix; periodic ones (tickers, klines, partial depth, average and mark price) push at
their documented period times the emulator's ``stream_scale``, the first at once.
"""

from __future__ import annotations

import json
import re
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from exwire.testing._binance import stream_payloads as payloads
from exwire.testing._binance.common import _dumps
from exwire.testing._binance.stream_names import Stream, parse_stream, usdm_route
from exwire.testing._binance.user_stream import ListenKeys, expired_event
from exwire.testing._server import EmulatorConnection

if TYPE_CHECKING:
    from exwire.testing._binance.futures_engine import _Futures
    from exwire.testing._binance.futures_state import _Contract
    from exwire.testing._binance.spot_engine import _Exchange
    from exwire.testing._binance.spot_market import _Market

__all__ = ["StreamHub", "StreamSession", "ROOTS"]

#: stream root path → (market, USDⓈ-M route or "")
ROOTS = {"/spot": ("spot", ""), "/usdm/public": ("usdm", "public"), "/usdm/market": ("usdm", "market"),
         "/usdm/private": ("usdm", "private"), "/coinm": ("coinm", "")}
_MAX_STREAMS = 1024
_TOO_MANY_REQUESTS = 1008
_ID = re.compile(r"[A-Za-z0-9]{1,36}")
_BOOK_KINDS = ("depth", "partialDepth", "bookTicker")
_TRADE_KINDS = ("trade", "aggTrade")
_METHODS = "SUBSCRIBE, UNSUBSCRIBE, LIST_SUBSCRIPTIONS, SET_PROPERTY, GET_PROPERTY"


class StreamSession:
    """One stream connection's state (guarded by the exchange lock)."""

    def __init__(self, market: str, route: str, combined: bool) -> None:
        self.market, self.route, self.combined = market, route, combined
        self.limit = 5 if market == "spot" else 10
        self.streams: dict[str, Stream] = {}
        self.due: dict[str, float] = {}
        self.listen_keys: dict[str, None] = {}
        self.arrivals: deque[float] = deque()

    def carries(self, stream: Stream) -> bool:
        """Whether this connection's route pushes ``stream``."""
        return self.market != "usdm" or usdm_route(stream) == self.route


def split_path(path: str) -> tuple[str, str, str, list[str]] | None:
    """``(market, route, "ws" | "stream", path streams)`` of a stream path, or ``None``."""
    for root, (market, route) in ROOTS.items():
        if path.startswith(root + "/"):
            rest = path[len(root) + 1:].split("/")
            if rest[0] == "stream" and len(rest) == 1:
                return market, route, "stream", []
            if rest[0] == "ws" and all(rest[1:]):
                return market, route, "ws", rest[1:]
    return None


class StreamHub:
    """Routes market events to the stream connections subscribed to them.

    Args:
        connections: the emulator's live connections.
        exchange, futures: the engines (their ``lock`` guards everything here).
        listen_keys: the futures listen keys.
        scale: multiplies the period of periodic streams.
    """

    def __init__(self, connections: Callable[[], list[EmulatorConnection]], exchange: _Exchange,
                 futures: _Futures, listen_keys: ListenKeys, scale: float) -> None:
        self.connections, self.exchange, self.futures = connections, exchange, futures
        self.listen_keys, self.scale = listen_keys, scale
        self._ticks = 0
        self.requests: deque[tuple[float, str, Any]] = deque(maxlen=10_000)
        """``(time.monotonic(), path, message)`` of every control message received, oldest first."""
        for market in exchange.markets.values():
            self.attach_market(market)
        for contract in futures.contracts.values():
            self.attach_contract(contract)

    # -- wiring ------------------------------------------------------------------------------------

    def attach_market(self, market: _Market) -> None:
        market.trade_listener = lambda row: self.on_trade("spot", market.symbol, row)
        market.book.listener = lambda event: self.on_depth("spot", market.symbol, market.book, event)

    def attach_contract(self, contract: _Contract) -> None:
        contract.trade_listener = lambda row: self.on_trade(contract.market, contract.symbol, row)
        pair = contract.spec.pair if contract.inverse else None
        contract.book.listener = lambda event: self.on_depth(contract.market, contract.symbol, contract.book, event,
                                                             pair)

    def _sessions(self, market: str) -> Iterable[tuple[EmulatorConnection, StreamSession]]:
        for connection in self.connections():
            session = connection.session
            if isinstance(session, StreamSession) and session.market == market:
                yield connection, session

    def _send(self, connection: EmulatorConnection, session: StreamSession, name: str, payload: Any) -> None:
        connection.send(_dumps({"stream": name, "data": payload} if session.combined else payload))

    def _publish(self, market: str, symbol: str, kinds: dict[str, Callable[[], Any]]) -> None:
        """Send each subscribed stream of ``symbol`` among ``kinds`` (kind → payload factory)."""
        made: dict[str, Any] = {}
        for connection, session in self._sessions(market):
            for name, stream in list(session.streams.items()):
                if stream.kind in kinds and stream.symbol in (symbol, "") and session.carries(stream):
                    if stream.kind not in made:
                        made[stream.kind] = kinds[stream.kind]()
                    self._send(connection, session, name, made[stream.kind])

    # -- event streams (exchange lock held) --------------------------------------------------------------

    def on_trade(self, market: str, symbol: str, row: dict[str, Any]) -> None:
        now = self.exchange.now()
        self._publish(market, symbol, {
            "trade": lambda: payloads.trade(symbol, row, now, market != "spot"),
            "aggTrade": lambda: payloads.agg_trade(symbol, row, now, market)})

    def on_depth(self, market: str, symbol: str, book: Any, event: dict[str, Any], pair: str | None = None) -> None:
        now = self.exchange.now()
        futures = market != "spot"
        self._publish(market, symbol, {
            "depth": lambda: payloads.diff_depth(symbol, event, now, futures, pair),
            "bookTicker": lambda: payloads.book_ticker(symbol, book, now, futures, pair),
            "allBookTicker": lambda: payloads.book_ticker(symbol, book, now, futures, pair)})

    def liquidation(self, contract: _Contract, side: str, quantity: str, price: str) -> None:
        """Push a ``forceOrder`` event for ``contract`` on ``@forceOrder`` and ``!forceOrder@arr``."""
        now = self.exchange.now()
        order: dict[str, Any] = {"s": contract.symbol}
        if contract.inverse:
            order["ps"] = contract.spec.pair
        order.update({"S": side, "o": "LIMIT", "f": "IOC", "q": quantity, "p": price, "ap": price, "X": "FILLED",
                      "l": quantity, "z": quantity, "T": now})
        event = {"e": "forceOrder", "E": now, "o": order}
        self._publish(contract.market, contract.symbol, {"forceOrder": lambda: event, "allForceOrder": lambda: event})

    def flood_trades(self, market: str, symbol: str, rows: list[dict[str, Any]]) -> None:
        """Send ``rows`` as ``trade`` events to every connection subscribed to ``<symbol>@trade``."""
        name = symbol.lower() + "@trade"
        targets = [(c, s) for c, s in self._sessions(market) if name in s.streams and s.carries(s.streams[name])]
        now = self.exchange.now()
        for row in rows:
            payload = payloads.trade(symbol, row, now, market != "spot")
            for connection, session in targets:
                self._send(connection, session, name, payload)

    def push_user_events(self) -> None:
        """Send the futures engine's pending user-data events to their accounts' private streams."""
        events, self.futures.user_events[:] = list(self.futures.user_events), []
        for wallet, event in events:
            key = self.listen_keys.active(wallet.owner, wallet.market)
            if key is None:
                continue
            for connection, session in self._sessions(wallet.market):
                if key.key in session.listen_keys:
                    self._send(connection, session, key.key, event)

    def expire(self, keys: Iterable[Any]) -> None:
        """Push ``listenKeyExpired`` on each expired key's connections (keys already deactivated)."""
        now = self.exchange.now()
        for key in keys:
            for connection, session in self._sessions(key.market):
                if key.key in session.listen_keys:
                    self._send(connection, session, key.key, expired_event(key.key, now))

    def generate(self) -> None:
        """The market generator's tick (exchange lock held): every symbol whose book or trade
        streams someone watches gets a change at one side of the touch (prices stay put): a
        trade at the touch when its trades are watched (the level's quantity changes with it),
        else a new quantity at the touch, so ``@trade``, ``@depth`` and ``@bookTicker`` keep
        moving as they do on Binance."""
        watched: dict[tuple[str, str], bool] = {}  # (market, symbol) → trades watched
        for _, session in self._sessions_all():
            for stream in session.streams.values():
                if stream.kind in _BOOK_KINDS or stream.kind in _TRADE_KINDS:
                    key = (session.market, stream.symbol)
                    watched[key] = watched.get(key, False) or stream.kind in _TRADE_KINDS
        self._ticks += 1
        now = self.exchange.now()
        for (market, symbol), trades in sorted(watched.items()):
            found: Any = self.exchange.markets.get(symbol) if market == "spot" else self.futures.contracts.get(symbol)
            if found is None or (market != "spot" and found.market != market):
                continue
            buyer_maker = bool(self._ticks % 2)  # a seller hits the bid, then a buyer lifts the ask
            price = found.bid if buyer_maker else found.ask
            if trades:
                found.add_trade(price, found.step * (1 + self._ticks % 7), buyer_maker, now)
            found.book.traded(price)

    def _sessions_all(self) -> Iterable[tuple[EmulatorConnection, StreamSession]]:
        for connection in self.connections():
            if isinstance(connection.session, StreamSession):
                yield connection, connection.session

    # -- connections ----------------------------------------------------------------------------------

    def open(self, connection: EmulatorConnection, path: str, query: str) -> None:
        market, route, form, names = split_path(path) or ("spot", "", "ws", [])
        session = StreamSession(market, route, form == "stream")
        fields = parse_qs(query)
        if form == "stream":
            names = [n for value in fields.get("streams", []) for n in value.split("/") if n]
        names += fields.get("listenKey", [])
        with self.exchange.lock:
            for name in names:
                if not self._add(session, name):
                    connection.session = session
                    connection.close(_TOO_MANY_REQUESTS, f"Invalid stream name: {name[:50]}")
                    return
            connection.session = session
        connection.start_worker(self._run_periodic, "streams")

    def _add(self, session: StreamSession, name: str) -> bool:
        if (session.route == "private" or session.market == "coinm") and self.listen_keys.lookup(name):
            session.listen_keys[name] = None
            return True
        stream = parse_stream(session.market, name) if session.route != "private" else None
        if stream is None:
            return False
        session.streams[name] = stream
        if stream.interval_ms:
            session.due.setdefault(name, 0.0)
        return True

    def message(self, connection: EmulatorConnection, text: str | bytes) -> None:
        session: StreamSession = connection.session
        arrived = time.monotonic()
        session.arrivals.append(arrived)
        while session.arrivals and session.arrivals[0] <= arrived - 1.0:
            session.arrivals.popleft()
        if len(session.arrivals) > session.limit:
            connection.close(_TOO_MANY_REQUESTS, "Too many requests")
            return
        try:
            request = json.loads(text)
        except ValueError:
            self.requests.append((arrived, connection.path, text))
            connection.send(_dumps({"error": {"code": 3, "msg": "Invalid JSON: expected value at line 1 column 1"},
                                    "id": None}))
            return
        self.requests.append((arrived, connection.path, request))
        with self.exchange.lock:
            reply = self._control(connection, session, request)
            connection.send(_dumps(reply))
        connection.wake()

    def _control(self, connection: EmulatorConnection, session: StreamSession, request: Any) -> dict[str, Any]:
        if not isinstance(request, dict):
            return {"error": {"code": 2, "msg": "Invalid request: request must be a JSON object"}, "id": None}
        request_id = request.get("id")
        if "id" not in request or isinstance(request_id, (bool, float, list, dict)) or (
                isinstance(request_id, str) and not _ID.fullmatch(request_id)):
            return _error(2, "Invalid request: request ID must be an unsigned integer", None)
        method, params = request.get("method"), request.get("params")
        if not isinstance(method, str):
            return _error(2, "Invalid request: missing field `method`", request_id)
        if method in ("SUBSCRIBE", "UNSUBSCRIBE"):
            if not isinstance(params, list) or not params or not all(isinstance(p, str) for p in params):
                return _error(2, "Invalid request: invalid stream", request_id)
            if method == "SUBSCRIBE":
                if len(set(session.streams) | set(params)) > _MAX_STREAMS:
                    return _error(2, "Invalid request: too many parameters", request_id)
                trial = StreamSession(session.market, session.route, session.combined)
                if not all(self._add(trial, name) for name in params):
                    return _error(2, "Invalid request: invalid stream", request_id)
                for name in params:
                    self._add(session, name)
            else:
                for name in params:
                    session.streams.pop(name, None)
                    session.due.pop(name, None)
                    session.listen_keys.pop(name, None)
            return {"result": None, "id": request_id}
        if method == "LIST_SUBSCRIPTIONS":
            return {"result": [*session.streams, *session.listen_keys], "id": request_id}
        if method in ("SET_PROPERTY", "GET_PROPERTY"):
            if not isinstance(params, list) or not params or not isinstance(params[0], str):
                return _error(2, "Invalid request: property name must be a string", request_id)
            if params[0] != "combined":
                return _error(0, "Unknown property", request_id)
            if method == "GET_PROPERTY":
                return {"result": session.combined, "id": request_id}
            if len(params) != 2 or not isinstance(params[1], bool):
                return _error(1, "Invalid value type: expected Boolean", request_id)
            session.combined = params[1]
            return {"result": None, "id": request_id}
        return _error(2, f"Invalid request: unknown variant `{method[:40]}`, expected one of {_METHODS}",
                      request_id)

    def _run_periodic(self, connection: EmulatorConnection) -> None:
        """The connection's worker: push periodic streams when due; expire listen keys."""
        while True:
            wake = 0.25
            with self.exchange.lock:
                session = connection.session
                if not isinstance(session, StreamSession):
                    return
                self.expire(self.listen_keys.due())
                clock = time.monotonic()
                for name, due in list(session.due.items()):
                    stream = session.streams.get(name)
                    if stream is None or not session.carries(stream):
                        continue
                    if due <= clock:
                        payload = payloads.periodic(stream, session.market, self.exchange.markets,
                                                    self.futures.contracts, self.exchange.now())
                        if payload is not None:
                            self._send(connection, session, name, payload)
                        due = session.due[name] = clock + stream.interval_ms / 1000 * self.scale
                    wake = min(wake, max(0.0, due - clock))
            if not connection.tick(wake):
                return


def _error(code: int, message: str, request_id: Any) -> dict[str, Any]:
    return {"error": {"code": code, "msg": message}, "id": request_id}
