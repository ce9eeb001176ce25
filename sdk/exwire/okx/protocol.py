"""OKX API v5 WebSocket (public, private and business endpoints): the sans-I/O codec.

Implements OKX's v5 WebSocket documentation (https://www.okx.com/docs-v5/en/,
``#overview-websocket-*``, the market data, account and trade channels, ``#error-code-websocket``):

* requests carry an ``id`` (up to 32 alphanumerics); replies are correlated by it only,
  so replies in any order match. Subscribe/unsubscribe acks come **once per arg**; an ack
  without an ``id`` is matched by its arg (older servers echo none).
* ``login`` (``{"op": "login", "args": [{apiKey, passphrase, timestamp, sign}]}``) is
  answered by ``{"event": "login", "code": "0"}`` or an ``error`` event.
* pushes ``{"arg": {...}, "data": [...]}`` are routed by their ``arg`` without ``uid``
  (private pushes add it) and without ``extraParams``; see :func:`arg_key`.
* keep-alive: the plain text ``ping`` answered by the plain text ``pong`` (not JSON).
* ``{"event": "notice", "code": "64008"}`` (a service upgrade soon) makes the connection
  reconnect (a :class:`~exwire._core.protocol.Failure`); ``channel-conn-count`` is logged only.
* order operations (``order``, ``batch-orders``, ``cancel-order`` ...) answer
  ``{"id", "op", "code", "msg", "data": [{... "sCode", "sMsg"}]}``: an envelope code
  other than 0 (all ok), 1 (all failed) or 2 (some failed) refuses the whole request;
  otherwise each order has its own result (:class:`OperationReply`).

``ERRORS`` maps OKX's codes onto the exwire error tree. Builders may be called from any
thread; :meth:`OkxProtocol.receive` runs on the reader thread only.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any, NamedTuple

from exwire._core.codec import loads
from exwire._core.errortable import ErrorRule, ErrorTable
from exwire._core.protocol import Event, Failure, Pong, Protocol, Reply, Update
from exwire.errors import (
    AuthenticationError,
    ConnectionClosed,
    DecodeError,
    ExchangeError,
    ExchangeUnavailable,
    InsufficientFunds,
    InvalidRequest,
    OrderNotFound,
    ProtocolError,
    RateLimited,
)
from exwire.models import UpdateType
from exwire.okx import converter
from exwire.okx.enums import KlineInterval
from exwire.okx.models import OrderResult

__all__ = ["OkxProtocol", "ERRORS", "OperationReply", "arg_key", "channel_arg", "PONG_KEY", "ORDER_OPS"]

#: OKX's codes (strings, kept verbatim as ``ExchangeError.code``) → exwire error classes.
ERRORS = ErrorTable("okx", [
    ErrorRule(("60004", "60005", "60006", "60007", "60009", "60024", "60032", "50101", "50113", "60011"),
              AuthenticationError),
    ErrorRule(("60014", "50011", "50061"), RateLimited),
    ErrorRule(("50001", "50013", "50026", "63999", "64007", "51149", "51412", "51054"), ExchangeUnavailable),
    ErrorRule(("51008", "51131", "51127", "51502"), InsufficientFunds),
    ErrorRule(("51400", "51401", "51402", "51503", "51509", "51510", "51603"), OrderNotFound),
    ErrorRule(("60012", "60013", "60018", "60019", "60027", "60008", "60028", "64000", "64001", "64002", "64004",
               "60029", "60030", "64003", "50014", "51000", "51001", "51016", "50102"), InvalidRequest),
])

#: The correlation key of a text ``ping`` (its ``pong`` carries no id).
PONG_KEY = "okx-pong"

#: The order operations whose replies carry per-order results.
ORDER_OPS = frozenset({"order", "batch-orders", "cancel-order", "batch-cancel-orders", "amend-order",
                       "batch-amend-orders"})

_NOT_ROUTED = ("uid", "extraParams")
_CHANNEL_IN_MESSAGE = re.compile(r"channel:([^,\s]+)(?:,\s*instId:([^\s,.]+))?")

Key = tuple[tuple[str, str], ...]


def arg_key(arg: Mapping[str, Any]) -> Key:
    """The routing key of a subscription arg: its items without ``uid`` and ``extraParams``, sorted."""
    return tuple(sorted((str(k), str(v)) for k, v in arg.items() if k not in _NOT_ROUTED))


def channel_arg(channel: str, *, symbol: str | None = None, instrument_type: str | None = None,
                instrument_family: str | None = None, asset: str | None = None, algo_id: str | None = None,
                update_interval: str | None = None) -> dict[str, str]:
    """A subscription arg: ``channel`` plus the selectors given (``None``: left out)."""
    arg = {"channel": channel}
    for name, value in (("instType", instrument_type), ("instFamily", instrument_family), ("instId", symbol),
                        ("ccy", asset), ("algoId", algo_id)):
        if value is not None:
            arg[name] = value
    if update_interval is not None:
        arg["extraParams"] = json.dumps({"updateInterval": update_interval})
    return arg


class OperationReply(NamedTuple):
    """An order operation's reply: envelope ``code``/``message``, one result per order, and
    ``data`` as sent (for ``mass-cancel``)."""

    op: str
    code: str
    message: str
    results: tuple[OrderResult, ...]
    data: Sequence[Any]


def map_error(code: Any, message: str | None, raw: str | None = None) -> ExchangeError:
    """The exwire error for an OKX code and message."""
    return ERRORS.error(None if code is None else str(code), message, raw=raw)


def _dumps(message: Mapping[str, Any]) -> str:
    return json.dumps(message, separators=(",", ":"))


def _text(frame: str | bytes) -> str:
    return frame if isinstance(frame, str) else frame.decode("utf-8", "replace")


def _one(convert: Callable[[Any], Any]) -> Callable[[str, Sequence[Any], str | None], list[tuple[Any, str | None]]]:
    """A push converter that makes one event per data item (symbol: the item's instId)."""

    def each(channel: str, data: Sequence[Any], symbol: str | None) -> list[tuple[Any, str | None]]:
        out = []
        for item in data:
            model = convert(item)
            out.append((model, getattr(model, "symbol", None) or symbol))
        return out

    return each


def _all(convert: Callable[[Any], Any]) -> Callable[[str, Sequence[Any], str | None], list[tuple[Any, str | None]]]:
    """A push converter that makes one event with a tuple of every item."""

    def every(channel: str, data: Sequence[Any], symbol: str | None) -> list[tuple[Any, str | None]]:
        return [(tuple(convert(item) for item in data), symbol)]

    return every


_PUSHES: dict[str, Callable[[str, Sequence[Any], str | None], list[tuple[Any, str | None]]]] = {
    "tickers": _one(converter.ticker_from_wire),
    "trades": _one(converter.trade_from_wire),
    "trades-all": _one(converter.trade_from_wire),
    "mark-price": _one(converter.mark_price_from_wire),
    "funding-rate": _one(converter.funding_rate_from_wire),
    "open-interest": _one(converter.open_interest_from_wire),
    "index-tickers": _one(converter.index_ticker_from_wire),
    "price-limit": _one(converter.price_limit_from_wire),
    "estimated-price": _one(converter.estimated_price_from_wire),
    "opt-summary": _one(converter.option_summary_from_wire),
    "instruments": _all(converter.instrument_from_wire),
    "status": _one(converter.system_status_from_wire),
    "account": _one(converter.account_from_wire),
    "balance_and_position": _one(converter.balance_and_position_from_wire),
    "positions": _all(converter.position_from_wire),
    "liquidation-warning": _one(converter.position_from_wire),
    "orders": _one(converter.order_from_wire),
    "fills": _one(converter.user_trade_from_wire),
    "orders-algo": _one(converter.algo_order_from_wire),
    "algo-advance": _one(converter.algo_order_from_wire),
    "account-greeks": _one(converter.greeks_from_wire),
    "deposit-info": _one(converter.deposit_from_wire),
    "withdrawal-info": _one(converter.withdrawal_from_wire),
}

#: Book channels; those not incremental send a whole (small) book in every push.
BOOK_CHANNELS = frozenset({"books", "books5", "bbo-tbt", "books-l2-tbt", "books50-l2-tbt"})
_SNAPSHOT_BOOKS = frozenset({"books5", "bbo-tbt"})
_CANDLE_PREFIXES = ("mark-price-candle", "index-candle", "candle")


class OkxProtocol(Protocol):
    """OKX v5 codec for one connection (public, private or business).

    Request builders return ``(id, frame)``; the id is the correlation key of the reply
    (subscribe/unsubscribe: one reply per arg). Thread-safety: builders may run on any
    thread (they share ``_lock`` with the reader for the ack bookkeeping).
    """

    exchange = "okx"

    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self._lock = threading.Lock()  # guards _awaiting and _single
        # Subscribe/unsubscribe args awaiting an ack, for acks that echo no id: (op, key) → ids.
        self._awaiting: dict[tuple[str, Key], list[str]] = {}
        # Ids of requests whose error frame may come without an id (login, sub/unsub).
        self._single: dict[str, str] = {}

    # -- requests (any thread) -------------------------------------------------------------

    def next_id(self) -> str:
        """A fresh request id (digits: alphanumeric, at most 32 characters)."""
        return str(next(self._ids))

    def subscribe(self, args: Sequence[Mapping[str, Any]], *, unsubscribe: bool = False) -> tuple[str, str]:
        """``{"id", "op": "subscribe"|"unsubscribe", "args"}``; expect ``len(args)`` acks."""
        op = "unsubscribe" if unsubscribe else "subscribe"
        request_id = self.next_id()
        with self._lock:
            for arg in args:
                self._awaiting.setdefault((op, arg_key(arg)), []).append(request_id)
            self._single[request_id] = op
        return request_id, _dumps({"id": request_id, "op": op, "args": [dict(arg) for arg in args]})

    def login(self, args: Mapping[str, str]) -> tuple[str, str]:
        """``{"id", "op": "login", "args": [args]}`` (see :func:`exwire.okx.signing.login_args`)."""
        request_id = self.next_id()
        with self._lock:
            self._single[request_id] = "login"
        return request_id, _dumps({"id": request_id, "op": "login", "args": [dict(args)]})

    def operation(self, op: str, args: Sequence[Mapping[str, Any]], *, expires_ms: int | None = None) -> tuple[str, str]:
        """An order operation ``{"id", "op", "args"[, "expTime"]}``; ``expires_ms``: epoch ms."""
        request_id = self.next_id()
        message: dict[str, Any] = {"id": request_id, "op": op}
        if expires_ms is not None:
            message["expTime"] = str(expires_ms)
        message["args"] = [dict(arg) for arg in args]
        return request_id, _dumps(message)

    def ping_frame(self) -> str:
        """The text keep-alive ``ping`` (answered by the text ``pong``)."""
        return "ping"

    # -- lifecycle (under the Connection's protocol lock) --------------------------------

    def connection_made(self) -> None:
        """Forget acks owed by the previous socket."""
        with self._lock:
            self._awaiting.clear()
            self._single.clear()

    def abandoned(self, key: Hashable) -> bool:
        """A request timed out or failed to send: forget what it awaited; keep the connection."""
        self._forget(str(key))
        return False

    def _forget(self, request_id: str) -> None:
        with self._lock:
            self._single.pop(request_id, None)
            for entry, ids in list(self._awaiting.items()):
                if request_id in ids:
                    ids.remove(request_id)
                    if not ids:
                        del self._awaiting[entry]

    # -- inbound (reader thread) -----------------------------------------------------------

    def receive(self, frame: str | bytes) -> Sequence[Event]:
        """Parse one frame into events.

        Raises:
            DecodeError: not ``pong`` nor a JSON object of a documented shape; ``key``
                names the request a malformed reply answers (its ``id``) when it has one.
        """
        if frame == "pong" or frame == b"pong":
            return (Pong(), Reply(PONG_KEY, None))
        try:
            message = loads(frame)
        except (ValueError, RecursionError) as exc:
            raise DecodeError(f"not JSON: {exc!r}"[:200], _text(frame)[:500]) from exc
        if type(message) is not dict:
            raise DecodeError("not a JSON object", _text(frame)[:500])
        try:
            if "arg" in message and "data" in message and "event" not in message:
                return self._push(message)
            event = message.get("event")
            if event is not None:
                return self._event(event, message, frame)
            if "op" in message and "id" in message:
                return self._operation_reply(message, frame)
            raise DecodeError("neither a push, an event nor an operation reply")
        except ProtocolError as exc:
            exc.raw = exc.raw or _text(frame)[:500]
            if isinstance(exc, DecodeError) and exc.key is None and type(message.get("id")) is str:
                exc.key = message["id"]
            raise
        except Exception as exc:  # a shape the checks missed: still only a bad frame
            failure = DecodeError(f"malformed okx message: {exc!r}"[:300], _text(frame)[:500])
            request_id = message.get("id")
            failure.key = request_id if type(request_id) is str and request_id else None
            raise failure from exc

    def _push(self, message: dict[str, Any]) -> Sequence[Event]:
        arg, data = message["arg"], message["data"]
        if type(arg) is not dict or type(data) is not list:
            raise DecodeError("a push's arg is not an object or its data not an array")
        channel = arg.get("channel")
        if type(channel) is not str:
            raise DecodeError("a push without a channel")
        key = arg_key(arg)
        symbol = arg.get("instId") if type(arg.get("instId")) is str else None
        if channel in BOOK_CHANNELS:
            if symbol is None:
                raise DecodeError("a book push without an instId")
            snapshot = channel in _SNAPSHOT_BOOKS or message.get("action") != "update"
            kind = UpdateType.SNAPSHOT if snapshot else UpdateType.UPDATE
            return [Update(key, converter.book_from_wire(symbol, item, snapshot), symbol, kind) for item in data]
        convert = _PUSHES.get(channel)
        if convert is not None:
            snapshot = channel in ("balance_and_position", "positions", "account") and any(
                type(item) is dict and item.get("eventType") == "snapshot" for item in data)
            kind = UpdateType.SNAPSHOT if snapshot or channel == "instruments" else UpdateType.UPDATE
            return [Update(key, model, item_symbol, kind) for model, item_symbol in convert(channel, data, symbol)]
        for prefix in _CANDLE_PREFIXES:
            if channel.startswith(prefix):
                if symbol is None:
                    raise DecodeError("a candle push without an instId")
                interval = KlineInterval(channel[len(prefix):])
                if prefix == "candle":
                    return [Update(key, converter.kline_from_wire(symbol, interval, row), symbol) for row in data]
                return [Update(key, converter.price_kline_from_wire(symbol, interval, row), symbol) for row in data]
        return ()  # a channel exwire does not subscribe (books-rpi, sprd-*): nothing routes it

    def _event(self, event: Any, message: dict[str, Any], frame: str | bytes) -> Sequence[Event]:
        request_id = message.get("id") if type(message.get("id")) is str and message.get("id") else None
        if event in ("subscribe", "unsubscribe"):
            arg = message.get("arg")
            if type(arg) is not dict:
                raise DecodeError(f"a {event} ack without an arg")
            owner = self._ack(event, arg_key(arg), request_id)
            return (Reply(owner, arg),) if owner is not None else ()
        if event == "login":
            code = str(message.get("code", "0"))
            owner = request_id or self._owner_of("login")
            if owner is None:
                return ()
            self._forget(owner)
            if code != "0":
                return (Reply(owner, error=map_error(code, message.get("msg"), _text(frame))),)
            return (Reply(owner, message.get("connId")),)
        if event == "error":
            error = map_error(message.get("code"), message.get("msg"), _text(frame))
            owner = request_id or self._owner_of_error(str(message.get("msg") or ""))
            if owner is None:
                return ()  # cannot be tied to a request: the request times out
            self._forget(owner)
            return (Reply(owner, error=error),)
        if event == "notice":
            if str(message.get("code")) == "64008":
                return (Failure(ConnectionClosed("OKX announced a service upgrade (64008): reconnecting")),)
            return ()
        return ()  # channel-conn-count, channel-conn-count-error and future events: logged by no one

    def _ack(self, op: str, key: Key, request_id: str | None) -> str | None:
        with self._lock:
            ids = self._awaiting.get((op, key))
            if request_id is None:
                if not ids:
                    return None
                request_id = ids.pop(0)
            elif ids and request_id in ids:
                ids.remove(request_id)
            if ids is not None and not ids:
                self._awaiting.pop((op, key), None)
            if request_id in self._single and not any(request_id in left for left in self._awaiting.values()):
                del self._single[request_id]  # every ack of the request came
            return request_id

    def _owner_of(self, op: str) -> str | None:
        with self._lock:
            owners = [request_id for request_id, kind in self._single.items() if kind == op]
        return owners[0] if owners else None

    def _owner_of_error(self, message: str) -> str | None:
        """The request an error without an ``id`` answers: the one subscribing the channel the
        message names (60018 says ``channel:…,instId:…``), else the only one outstanding."""
        found = _CHANNEL_IN_MESSAGE.search(message)
        with self._lock:
            if found is not None:
                channel, inst_id = found.group(1), found.group(2)
                for (_, key), ids in self._awaiting.items():
                    fields = dict(key)
                    if ids and fields.get("channel") == channel and (inst_id is None or fields.get("instId") == inst_id):
                        return ids[0]
            if len(self._single) == 1:
                return next(iter(self._single))
        return None

    def _operation_reply(self, message: dict[str, Any], frame: str | bytes) -> Sequence[Event]:
        request_id, op = message["id"], message.get("op")
        if type(request_id) is not str or type(op) is not str:
            raise DecodeError("an operation reply without a string id and op")
        code = str(message.get("code", "0"))
        text = str(message.get("msg") or "")
        data = message.get("data") or []
        if type(data) is not list:
            raise DecodeError("an operation reply's data is not an array")
        raw = _text(frame)
        if code not in ("0", "1", "2") or (code != "0" and not data):
            return (Reply(request_id, error=map_error(code, text, raw)),)
        results: tuple[OrderResult, ...] = ()
        if op in ORDER_OPS:
            results = tuple(
                converter.order_result_from_wire(item, lambda c, m: map_error(c, m, raw)) for item in data)
        return (Reply(request_id, OperationReply(op, code, text, results, data)),)
