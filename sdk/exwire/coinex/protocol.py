"""CoinEx WebSocket API v1 (legacy spot, ``wss://socket.coinex.com/``): the sans-I/O codec.

Implements the protocol notes of :doc:`the CoinEx page </exchanges/coinex>`: the JSON-RPC-like envelope (§2.1–2.3)
correlated by integer ``id``, the error codes (§2.4) mapped onto the exwire error
tree through the table ``ERRORS``, ``server.ping``/``server.time``/``server.sign``
(§3, §4, §5.1, §5.2), every query and subscription of §5.3–§5.16 and their pushes.

Routing keys (one wire subscription per *kind* per connection, §2.5):

* ``("state", market)`` — one market's ticker; ``("state", None)`` — all markets;
* ``("deals", market)`` — public trades; own fills (the trailing ``true`` of §5.10)
  are routed to ``("own_deals", market)`` and ``("own_deals", None)``, never to the
  public stream (the wire subscription of both is ``deals.subscribe``);
* ``("depth", market, limit, merge)`` — the book of one market (a push names only
  the market, so the codec remembers the ``limit``/``merge`` it last subscribed);
* ``("kline", market, interval)`` — candles (one per connection, §5.12);
* ``("order", market)`` / ``("order", None)`` — order updates of one / all markets;
* ``("asset", None)`` — balance updates.

Subscribe builders remember what they asked for (depth parameters, the kline
market, which trade streams expect their history snapshot), because pushes do not
repeat it. They may be called from any thread; :meth:`CoinexProtocol.receive` runs
on the reader thread only.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Hashable, Iterable, Sequence
from typing import Any

from exwire._core.codec import loads_exact
from exwire._core.errortable import ErrorRule, ErrorTable
from exwire._core.protocol import Event, Pong, Protocol, Reply, Update, new_update
from exwire.coinex import converter
from exwire.coinex.models import KlineInterval
from exwire.coinex.signing import sign
from exwire.errors import (
    AuthenticationError,
    DecodeError,
    ExchangeError,
    ExchangeUnavailable,
    InvalidRequest,
    ProtocolError,
    RateLimited,
)
from exwire.models import UpdateType

__all__ = [
    "CoinexProtocol",
    "ERRORS",
    "map_error",
    "ALL",
    "KINDS",
    "PRIVATE_KINDS",
]

#: The market part of a key that stands for "every market" (``state``/``order``).
ALL = None

#: Subscription kinds, in the order they are (re)subscribed.
KINDS = ("state", "deals", "depth", "kline", "order", "asset")
#: Kinds that need ``server.sign`` first (§5.13–§5.16).
PRIVATE_KINDS = frozenset({"order", "asset"})

#: CoinEx error codes (§2.4) → exwire error classes; codes not listed are ``ExchangeError``.
ERRORS = ErrorTable("coinex", [
    ErrorRule(1, InvalidRequest),  # invalid argument
    ErrorRule(3, ExchangeUnavailable),  # service unavailable
    ErrorRule(5, ExchangeUnavailable),  # service timeout
    ErrorRule(6, AuthenticationError),  # require authentication
    ErrorRule(7, RateLimited),  # too quick (the server then closes the connection)
    ErrorRule(11, AuthenticationError),  # server.sign refused by the auth backend
])


def map_error(code: Any, message: str, raw: str | None = None) -> ExchangeError:
    """Turn a CoinEx ``error`` object's code and message into the matching exwire error."""
    return ERRORS.error(code, message or "unknown error", raw=raw)


# One encoder for every request: ``json.dumps(..., separators=...)`` builds a new one per call.
_dumps = json.JSONEncoder(separators=(",", ":")).encode
# What ``_dumps`` writes for a method without parameters, kept per method name.
_QUOTED_METHODS: dict[str, str] = {}


# Floats (times with microseconds) become exact Decimals; money is sent as strings.
_loads = loads_exact

_SNAPSHOT, _UPDATE = UpdateType.SNAPSHOT, UpdateType.UPDATE


class CoinexProtocol(Protocol):
    """CoinEx v1 codec for one connection. Request builders return ``(id, frame)``.

    With :attr:`raw` set (a raw client), each push is delivered as the whole push
    object (``{"method", "params", "id"}``, JSON numbers as ``Decimal``), no model built.
    """

    exchange = "coinex"
    raw_native = True

    #: How many keep-alive ids to remember while their replies are outstanding.
    _KEEPALIVE_MEMORY = 64

    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self._keepalive_ids: dict[int, None] = {}
        # Written by subscribe builders (user or resync thread), read by the reader:
        # each is replaced whole (one atomic assignment), never mutated in place.
        self._depth_keys: dict[str, tuple[str, str, int, str]] = {}  # market → its routing key
        self._kline: tuple[str, int] | None = None
        # Both threads replace this one, so the read-modify-write holds a lock.
        self._deals_awaiting_history: frozenset[str] = frozenset()
        self._deals_lock = threading.Lock()

    # -- requests (any thread) ---------------------------------------------------------

    def next_id(self) -> int:
        return next(self._ids)

    def request(self, method: str, params: Sequence[Any] = ()) -> tuple[int, str]:
        """Build ``{"method", "params", "id"}`` with a fresh integer id (§2.1)."""
        request_id = next(self._ids)
        if not params:  # the encoder's output for {"method", "params": [], "id"}, without building it
            quoted = _QUOTED_METHODS.get(method)
            if quoted is None:
                if len(_QUOTED_METHODS) >= 256:  # any method name may come through here
                    _QUOTED_METHODS.clear()
                quoted = _QUOTED_METHODS[method] = _dumps(method)
            return request_id, '{"method":%s,"params":[],"id":%d}' % (quoted, request_id)
        return request_id, _dumps({"method": method, "params": list(params), "id": request_id})

    def ping(self) -> tuple[int, str]:
        """``server.ping`` (§5.1); the reply's result is ``"pong"``."""
        return self.request("server.ping")

    def ping_frame(self) -> str:
        """A keep-alive ``server.ping`` whose reply becomes a ``Pong`` event (§3)."""
        request_id, frame = self.ping()
        keepalive = self._keepalive_ids
        keepalive[request_id] = None
        while len(keepalive) > self._KEEPALIVE_MEMORY:  # replies that never came
            keepalive.pop(next(iter(keepalive)), None)
        return frame

    def server_time(self) -> tuple[int, str]:
        """``server.time`` (§5.2); the result is integer epoch seconds."""
        return self.request("server.time")

    def sign(self, access_id: str, secret: str, tonce: int) -> tuple[int, str]:
        """``server.sign`` with ``[access_id, authorisation, tonce]`` (§4); ``tonce`` in ms."""
        return self.request("server.sign", [access_id, sign(access_id, tonce, secret), tonce])

    def state_query(self, market: str, period: int) -> tuple[int, str]:
        """``state.query`` ``[market, period seconds]`` (§5.3)."""
        return self.request("state.query", [market, period])

    def depth_query(self, market: str, limit: int, merge: str) -> tuple[int, str]:
        """``depth.query`` ``[market, limit, interval]`` (§5.5); ``merge`` is the wire string."""
        return self.request("depth.query", [market, limit, merge])

    def deals_query(self, market: str, limit: int, last_id: int) -> tuple[int, str]:
        """``deals.query`` ``[market, limit, last_id]`` (§5.9); ``last_id`` 0 means the latest."""
        return self.request("deals.query", [market, limit, last_id])

    def kline_query(self, market: str, start: int, end: int, interval: int) -> tuple[int, str]:
        """``kline.query`` ``[market, start s, end s, interval s]`` (§5.11)."""
        return self.request("kline.query", [market, start, end, interval])

    def asset_query(self, assets: Iterable[str]) -> tuple[int, str]:
        """``asset.query`` with asset codes, empty for all (§5.13)."""
        return self.request("asset.query", list(assets))

    def order_query(self, market: str, side: int, offset: int, limit: int) -> tuple[int, str]:
        """``order.query`` ``[market, side (0 both, 1 sell, 2 buy), offset, limit]`` (§5.15)."""
        return self.request("order.query", [market, side, offset, limit])

    def subscribe(self, kind: str, keys: Iterable[Hashable]) -> tuple[int, str]:
        """The one ``<kind>.subscribe`` frame that installs exactly ``keys`` (§2.5).

        CoinEx replaces every subscription of a kind with each ``subscribe`` call, so
        the frame lists every market the connection needs; without keys it is
        ``<kind>.unsubscribe`` (which takes ``[]`` and removes them all).

        Args:
            kind: one of :data:`KINDS`.
            keys: routing keys of that kind (see the module docstring).
        """
        keys = list(keys)
        if not keys:
            if kind == "depth":
                self._depth_keys = {}
            elif kind == "kline":
                self._kline = None
            return self.request(f"{kind}.unsubscribe")
        markets = [key[1] for key in keys]  # type: ignore[index]
        if kind in ("state", "order"):
            # An "all markets" key subsumes the others: the empty list means all.
            return self.request(f"{kind}.subscribe", [] if ALL in markets else sorted(set(markets)))
        if kind == "asset":
            return self.request("asset.subscribe", [])
        if kind == "deals":
            # Own-fill keys ride on the same wire subscription; ALL (own fills of every
            # market) makes it ``[]``. Only the named markets' first push is awaited as
            # the public history snapshot.
            named = sorted({market for market in markets if market is not ALL})
            with self._deals_lock:
                self._deals_awaiting_history = frozenset(named)
            return self.request("deals.subscribe", [] if ALL in markets else named)
        if kind == "depth":
            # The routing key of each market, built once: a push reuses it.
            depth_keys = {key[1]: ("depth", key[1], key[2], key[3]) for key in keys}  # type: ignore[index]
            self._depth_keys = depth_keys
            entries = [[market, key[2], key[3]] for market, key in sorted(depth_keys.items())]
            # 3 parameters, not the 4-parameter ``diff`` form (§5.6: not accepted by every server).
            if len(entries) == 1:
                return self.request("depth.subscribe", entries[0])
            return self.request("depth.subscribe_multi", entries)
        if kind == "kline":
            last: tuple[str, str, int] = keys[-1]  # type: ignore[assignment]  # kline keys are (kind, market, s)
            market, interval = last[1], last[2]
            self._kline = (market, interval)
            return self.request("kline.subscribe", [market, interval])
        raise ValueError(f"unknown subscription kind {kind!r}")

    # -- inbound (reader thread) ---------------------------------------------------------

    def receive(self, frame: str | bytes) -> Sequence[Event]:
        """Parse one frame into events.

        Raises:
            DecodeError: not JSON, or neither a push nor a reply of the documented shape;
                ``key`` names the request a malformed reply answers (its integer id).
        """
        try:
            message = _loads(frame)
        except (ValueError, RecursionError) as exc:  # RecursionError: absurdly nested arrays
            raise DecodeError(f"not JSON: {exc!r}"[:200], frame) from exc
        if type(message) is not dict:
            raise DecodeError("not a JSON object", frame)
        try:
            method = message.get("method")
            if method is not None and message.get("id") is None:
                try:
                    if self.raw:
                        return self._raw_push(method, message, frame)
                    return self._push(method, message.get("params"), frame)
                except DecodeError as exc:
                    exc.raw = exc.raw or _text(frame)[:500]
                    raise
            request_id = message.get("id")
            if type(request_id) is not int:
                raise DecodeError("neither a push nor a reply with an integer id", frame)
            if request_id in self._keepalive_ids:
                # Any answer to a keep-alive ping, even an error, proves the link is alive.
                self._keepalive_ids.pop(request_id, None)
                return (Pong(),)
            error = message.get("error")
            if error is not None:
                if isinstance(error, dict):
                    code, text = error.get("code"), str(error.get("message", ""))
                else:
                    code, text = None, str(error)
                return (Reply(request_id, error=map_error(code, text, _text(frame))),)
            return (Reply(request_id, message.get("result")),)
        except ProtocolError:
            raise
        except Exception as exc:  # a shape the checks missed: still only a bad frame
            failure = DecodeError(f"malformed coinex message: {exc!r}"[:300], frame)
            request_id = message.get("id")
            failure.key = request_id if type(request_id) is int else None
            raise failure from exc

    def _push(self, method: str, params: Any, frame: str | bytes) -> Sequence[Event]:
        if type(params) is not list:
            raise DecodeError(f"{method} push without a params array", frame)
        if method == "depth.update":
            return self._depth_update(params, frame)
        if method == "deals.update":
            return self._deals_update(params, frame)
        if method == "state.update":
            tickers = converter.tickers_from_wire(params)
            events: list[Event] = [Update(("state", t.symbol), t, t.symbol) for t in tickers]
            events.append(Update(("state", ALL), tickers, None))
            return events
        if method == "order.update":
            update = converter.order_update_from_wire(params)
            symbol = update.order.symbol
            return (Update(("order", symbol), update, symbol), Update(("order", ALL), update, symbol))
        if method == "asset.update":
            account = params[1] if len(params) > 1 and type(params[1]) is int else None
            if not params or not isinstance(params[0], dict):
                raise DecodeError("asset.update without an asset map", frame)
            return (Update(("asset", ALL), converter.balances_from_wire(params[0], account), None),)
        if method == "kline.update":
            return self._kline_update(params)
        return ()  # order.update_stop, index.update, notice.update ...: not subscribed by exwire

    def _raw_push(self, method: str, message: dict[str, Any], frame: str | bytes) -> Sequence[Event]:
        """A raw client's push: routed as :meth:`_push` routes it, the whole push object as data."""
        params = message.get("params")
        if type(params) is not list:
            raise DecodeError(f"{method} push without a params array", frame)
        if method == "depth.update":
            if len(params) < 3 or type(params[0]) is not bool or type(params[2]) is not str:
                raise DecodeError("depth.update params are not [clean, depth, market]", frame)
            market = params[2]
            key = self._depth_keys.get(market)
            if key is None:
                return ()
            return (new_update(Update, (key, message, market, _SNAPSHOT if params[0] else _UPDATE)),)
        if method == "deals.update":
            if len(params) < 2 or not isinstance(params[0], str):
                raise DecodeError("deals.update params are not [market, trades]", frame)
            market = params[0]
            if len(params) > 2 and params[2] is True:
                return (Update(("own_deals", market), message, market), Update(("own_deals", ALL), message, market))
            return (Update(("deals", market), message, market, self._deals_update_type(market)),)
        if method == "state.update":
            first = params[0] if params else None
            markets = [first] if type(first) is str else list(first) if type(first) is dict else None
            if markets is None:
                raise DecodeError("state.update params are neither [{market: state}] nor [market, state]", frame)
            events: list[Event] = [Update(("state", market), message, market) for market in markets]
            events.append(Update(("state", ALL), message, None))
            return events
        if method == "order.update":
            order = params[1] if len(params) > 1 else None
            symbol = order.get("market") if type(order) is dict else None
            if type(symbol) is not str:
                raise DecodeError("order.update names no market", frame)
            return (Update(("order", symbol), message, symbol), Update(("order", ALL), message, symbol))
        if method == "asset.update":
            return (Update(("asset", ALL), message, None),)
        if method == "kline.update":
            kline = self._kline
            if kline is None:
                return ()
            market, interval = kline
            last = params[-1] if params else None
            if type(last) is list and len(last) > 7 and last[7] != market:
                return ()  # candles of a replaced kline subscription
            return (Update(("kline", market, interval), message, market),)
        return ()

    def _deals_update_type(self, market: str) -> UpdateType:
        """SNAPSHOT for the first deals push after (re)subscribing ``market`` (its recent history, §5.10)."""
        if market in self._deals_awaiting_history:  # cheap check first: most pushes are not
            with self._deals_lock:
                awaiting = self._deals_awaiting_history
                if market in awaiting:
                    self._deals_awaiting_history = awaiting - {market}
                    return UpdateType.SNAPSHOT
        return UpdateType.UPDATE

    def _depth_update(self, params: list[Any], frame: str | bytes) -> Sequence[Event]:
        if len(params) < 3 or type(params[0]) is not bool or not isinstance(params[1], dict):
            raise DecodeError("depth.update params are not [clean, depth, market]", frame)
        clean, market = params[0], params[2]
        if type(market) is not str:
            raise DecodeError("depth.update names no market string", frame)
        key = self._depth_keys.get(market)
        if key is None:
            return ()  # no longer subscribed: a push that crossed the unsubscribe
        depth = converter.depth_from_wire(market, params[1], clean, lazy=key not in self.watched)
        return (new_update(Update, (key, depth, market, _SNAPSHOT if clean else _UPDATE)),)

    def _deals_update(self, params: list[Any], frame: str | bytes) -> Sequence[Event]:
        if len(params) < 2 or not isinstance(params[0], str):
            raise DecodeError("deals.update params are not [market, trades]", frame)
        market = params[0]
        if len(params) > 2 and params[2] is True:
            fills = converter.user_trades_from_wire(market, params[1])
            return (Update(("own_deals", market), fills, market), Update(("own_deals", ALL), fills, market))
        trades = converter.trades_from_wire(market, params[1])
        return (Update(("deals", market), trades, market, self._deals_update_type(market)),)

    def _kline_update(self, params: list[Any]) -> Sequence[Event]:
        subscribed = self._kline
        if subscribed is None:
            return ()
        market, interval = subscribed
        klines = converter.klines_from_wire(params, market, KlineInterval(interval))
        if klines and klines[-1].symbol != market:
            return ()  # candles of a replaced kline subscription
        return (Update(("kline", market, interval), klines, market),)


def _text(frame: str | bytes) -> str:
    return frame if isinstance(frame, str) else frame.decode("utf-8", "replace")
