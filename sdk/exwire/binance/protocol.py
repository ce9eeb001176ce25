"""Binance WebSocket API (spot ``ws-api/v3``, USDⓈ-M ``ws-fapi/v1``, COIN-M ``ws-dapi/v1``):
the sans-I/O codec.

Implements the protocol notes of :doc:`the Binance page </exchanges/binance>`: the request envelope
``{"id", "method", "params"}`` correlated by integer ``id`` (§3), the response envelope with ``status``,
``result``/``error`` and ``rateLimits`` (§4, §5), request signing (§6, through
:mod:`exwire.binance.signing`), user-data event frames routed by ``subscriptionId``
(§9) and the unsolicited ``serverShutdown`` event (§2). The futures APIs share all of it
(§10.1); one :class:`BinanceProtocol` instance serves one connection, and its ``product``
selects the futures differences: the keep-alive (futures have no ``ping`` method, so
the connection sends WebSocket ping frames there) and the error codes whose meaning
differs (§10.2). Error codes (§4.1) map onto
the exwire error tree through the one table ``ERRORS``.

Routing: every reply is keyed by its request ``id``. User-data events are keyed by a
stable key chosen by the client (``USER_DATA_KEY``); the server's ``subscriptionId``,
which changes on every connection, is mapped to it when the subscribe reply arrives.
"""

from __future__ import annotations

import itertools
import json
import logging
import re
import threading
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

from exwire._core.codec import loads
from exwire._core.errortable import ErrorRule, ErrorTable
from exwire._core.lazy import LAST_EPOCH_MS
from exwire._core.protocol import Ended, Event, Failure, Pong, Protocol, Reply, Update
from exwire.binance import converter
from exwire.binance.events import EventStreamTerminated
from exwire.binance.models import RateLimit
from exwire.binance.signing import Signer
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

__all__ = ["BinanceProtocol", "ERRORS", "map_error", "USER_DATA_KEY", "SPOT_URL", "SPOT_STREAM_URL",
           "SPOT_STREAM_TESTNET_URL", "USDM_STREAM_URL", "USDM_STREAM_TESTNET_URL", "COINM_STREAM_URL",
           "COINM_STREAM_TESTNET_URL", "COINM_REST_URL", "COINM_REST_TESTNET_URL",
           "SPOT_TESTNET_URL", "SPOT_DEMO_URL", "USDM_FUTURES_URL", "USDM_FUTURES_TESTNET_URL", "COINM_FUTURES_URL",
           "COINM_FUTURES_TESTNET_URL", "PRODUCTS"]

#: Production spot endpoint (§1).
SPOT_URL = "wss://ws-api.binance.com:443/ws-api/v3"
#: Spot testnet endpoint (§1).
SPOT_TESTNET_URL = "wss://ws-api.testnet.binance.vision/ws-api/v3"
#: Market data stream roots (§16.1); the client appends ``/stream`` (spot, COIN-M) or
#: ``/public/stream`` / ``/market/stream`` / ``/private/ws/<listenKey>`` (USDⓈ-M routes).
SPOT_STREAM_URL = "wss://stream.binance.com:9443"
SPOT_STREAM_TESTNET_URL = "wss://stream.testnet.binance.vision"
USDM_STREAM_URL = "wss://fstream.binance.com"
USDM_STREAM_TESTNET_URL = "wss://fstream.binancefuture.com"
COINM_STREAM_URL = "wss://dstream.binance.com"
COINM_STREAM_TESTNET_URL = "wss://dstream.binancefuture.com"
#: COIN-M REST root, for order book snapshots (§17.2: the COIN-M WS API has no ``depth``).
COINM_REST_URL = "https://dapi.binance.com"
COINM_REST_TESTNET_URL = "https://testnet.binancefuture.com"
#: Spot demo-mode endpoint (§1).
SPOT_DEMO_URL = "wss://demo-ws-api.binance.com/ws-api/v3"
#: USDⓈ-M futures production endpoint (§1).
USDM_FUTURES_URL = "wss://ws-fapi.binance.com/ws-fapi/v1"
#: USDⓈ-M futures testnet endpoint (§1).
USDM_FUTURES_TESTNET_URL = "wss://testnet.binancefuture.com/ws-fapi/v1"
#: COIN-M futures production endpoint (§1).
COINM_FUTURES_URL = "wss://ws-dapi.binance.com/ws-dapi/v1"
#: COIN-M futures testnet endpoint (§1; from the official Python SDK's constants).
COINM_FUTURES_TESTNET_URL = "wss://testnet.binancefuture.com/ws-dapi/v1"

#: The products a protocol instance may speak: spot, USDⓈ-M futures, COIN-M futures.
PRODUCTS = ("spot", "usdm", "coinm")
_FUTURES = ("usdm", "coinm")

#: Routing key of the account's user-data stream.
USER_DATA_KEY: Hashable = ("userData",)

log = logging.getLogger("exwire.binance")

#: Binance error codes (§4.1, §10.2) [+ message text] → exwire error classes; a rule with a
#: ``scope`` applies to that product family only (``"spot"`` or ``"futures"``) where the two
#: APIs give a code different meanings (-2026: spot ORDER_ARCHIVED, futures
#: REDUCE_ONLY_ORDER_TYPE_NOT_SUPPORTED). First match wins; codes no rule names are
#: classified by the HTTP-like status (§4).
ERRORS = ErrorTable("binance", [
    ErrorRule(-1003, RateLimited),  # TOO_MANY_REQUESTS / IP banned
    ErrorRule(-1015, RateLimited),  # TOO_MANY_ORDERS
    ErrorRule(-1034, RateLimited),  # TOO_MANY_CONNECTIONS
    ErrorRule(-1021, AuthenticationError),  # INVALID_TIMESTAMP: outside recvWindow
    ErrorRule(-1022, AuthenticationError),  # INVALID_SIGNATURE
    ErrorRule(-1002, AuthenticationError),  # UNAUTHORIZED
    ErrorRule(-2014, AuthenticationError),  # BAD_API_KEY_FMT
    ErrorRule(-2015, AuthenticationError),  # REJECTED_MBX_KEY (key, IP or permissions)
    ErrorRule(-2017, AuthenticationError, scope="futures"),  # API_KEYS_LOCKED
    ErrorRule(-2010, InsufficientFunds, message_contains="insufficient"),  # NEW_ORDER_REJECTED, by reason
    ErrorRule(-2010, InvalidRequest),
    ErrorRule(-2011, OrderNotFound, message_contains="unknown order"),  # CANCEL_REJECTED, by reason
    ErrorRule(-2011, InvalidRequest),
    ErrorRule(-2013, OrderNotFound),  # NO_SUCH_ORDER
    ErrorRule(-2026, OrderNotFound, scope="spot"),  # ORDER_ARCHIVED
    ErrorRule(-2018, InsufficientFunds, scope="futures"),  # BALANCE_NOT_SUFFICIENT
    ErrorRule(-2019, InsufficientFunds, scope="futures"),  # MARGIN_NOT_SUFFICIEN[T]
    ErrorRule(-1000, ExchangeUnavailable),  # UNKNOWN error while processing
    ErrorRule(-1001, ExchangeUnavailable),  # DISCONNECTED internally
    ErrorRule(-1006, ExchangeUnavailable),  # UNEXPECTED_RESP: outcome unknown
    ErrorRule(-1007, ExchangeUnavailable),  # TIMEOUT: outcome unknown
    ErrorRule(-1008, ExchangeUnavailable),  # SERVER_BUSY
    ErrorRule(-1016, ExchangeUnavailable),  # SERVICE_SHUTTING_DOWN
    ErrorRule(range(-1199, -1099), InvalidRequest),  # -1100..-1199 parameter errors
    ErrorRule(range(-1099, -1009), InvalidRequest),  # -1010..-1099: message/filter/unsupported
    # -2016..-2099: spot order/list/amend/subscription rules; futures -2020 UNABLE_TO_FILL,
    # -2021 ORDER_WOULD_IMMEDIATELY_TRIGGER, -2022 REDUCE_ONLY_REJECT, -2024 POSITION_NOT_SUFFICIENT,
    # -2025 MAX_OPEN_ORDER_EXCEEDED, -2026 REDUCE_ONLY_ORDER_TYPE_NOT_SUPPORTED, -2027/-2028 leverage ...
    ErrorRule(range(-2099, -2015), InvalidRequest),
    ErrorRule(-5028, AuthenticationError, scope="futures"),  # timestamp outside the matching engine's recvWindow
    # futures -4000..-4999: order, position and margin rules (-4120 STOP_ORDER_SWITCH_ALGO: a
    # conditional type sent to USDⓈ-M order.place, §10.2); -5000..-5999: time in force, BBO,
    # modify rejections (-5021 FOK, -5022 GTX would take, -5041 BBO ...)
    ErrorRule(range(-4999, -3999), InvalidRequest, scope="futures"),
    ErrorRule(range(-5999, -4999), InvalidRequest, scope="futures"),
], status_rules=[  # HTTP-like status (§4), for codes no rule names
    ErrorRule(401, AuthenticationError),
    ErrorRule((418, 429), RateLimited),
    ErrorRule(range(500, 600), ExchangeUnavailable),
    ErrorRule(range(400, 500), InvalidRequest),
])

def _check_server_time(result: Any) -> None:
    """Refuse a ``time`` result that ``server_time_from_wire`` refuses, building no datetime
    for the usual one: an integer time from 0 to ``LAST_EPOCH_MS`` always converts.

    Raises:
        DecodeError: as ``converter.server_time_from_wire``.
    """
    server_time = result.get("serverTime") if type(result) is dict else None
    if type(server_time) is not int or not 0 <= server_time <= LAST_EPOCH_MS:
        converter.server_time_from_wire(result)  # decides (and raises) as the decoder does


#: Methods whose result the protocol checks before completing the request, so a malformed
#: result fails the request with a ``DecodeError`` (its ``key`` the request id) instead of
#: breaking the client's decoding later.
_RESULT_CHECKS: dict[str, Callable[[Any], object]] = {"time": _check_server_time}
#: Bound on remembered result checks whose replies never came (a connection lost them).
_CHECK_MEMORY = 256

_BANNED_UNTIL = re.compile(r"banned until (\d{10,})")

# ``json.dumps(message, separators=(",", ":"), ensure_ascii=False)`` with its encoder built
# once: ``dumps`` builds a new one per call with these options (a quarter of its time).
# Encoding is stateless per call, so the request builders on any thread share it.
_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
# method → its JSON string, for the parameterless requests' fixed frame (the client's few
# names; bounded, as any thread may add one and a lost store only costs a re-encode).
_QUOTED_METHODS: dict[str, str] = {}


def map_error(
    error: Mapping[str, Any] | None,
    status: int | None = None,
    raw: str | None = None,
    now_ms: Callable[[], float] | None = None,
    product: str = "spot",
) -> ExchangeError:
    """Turn a response's ``error`` object (§4) into the matching exwire error (through ``ERRORS``).

    ``product`` (``"spot"``, ``"usdm"`` or ``"coinm"``) picks the meaning of the codes the
    spot and futures APIs use differently.

    The error carries ``code`` and ``message`` as sent, plus ``status`` (the HTTP-like
    status) and ``data`` (``error.data`` or ``None``, e.g. the sub-results of a failed
    cancel-replace, §8.4). A ``RateLimited`` gets ``retry_after`` in seconds from
    ``error.data.retryAfter`` (epoch ms) relative to ``error.data.serverTime``, or to
    ``now_ms()`` when the server time is absent, or from an "IP banned until <ms>"
    message (§5.2); ``None`` when the server gave no time.
    """
    error = error if isinstance(error, Mapping) else {}
    code = error.get("code")
    message = str(error.get("msg") or f"status {status}")
    scope = "futures" if product in _FUTURES else "spot"
    data = error.get("data") if isinstance(error.get("data"), Mapping) else None
    retry_after = None
    if issubclass(ERRORS.class_for(code, message, scope=scope, status=status), RateLimited):
        retry_after = _retry_after(data, message, now_ms)
    return ERRORS.error(code, message, scope=scope, raw=raw, status=status, data=data, retry_after=retry_after)


def _retry_after(data: Mapping[str, Any] | None, message: str, now_ms: Callable[[], float] | None) -> float | None:
    retry_at = data.get("retryAfter") if data else None
    if not isinstance(retry_at, (int, float)):
        match = _BANNED_UNTIL.search(message)
        retry_at = int(match.group(1)) if match else None
    if retry_at is None:
        return None
    reference = data.get("serverTime") if data else None
    if not isinstance(reference, (int, float)):
        if now_ms is None:
            return None
        reference = now_ms()
    return max(0.0, (retry_at - reference) / 1000.0)


def _text(frame: str | bytes) -> str:
    return frame if isinstance(frame, str) else frame.decode("utf-8", "replace")


class BinanceProtocol(Protocol):
    """Codec of one WS API connection: spot, USDⓈ-M or COIN-M futures.

    Request builders may be called from any thread (ids come from ``itertools.count``);
    ``receive`` runs on the reader thread, serialised with the lifecycle
    (:meth:`abandoned`, :meth:`connection_lost`) by the Connection's protocol lock.
    The usage behind :attr:`rate_limits` is replaced as a whole (an immutable tuple) on
    every response that carries ``rateLimits``, so any thread may read it without a lock.

    Args:
        now_ms: a clock in epoch milliseconds, used only to turn an absolute
            ``retryAfter`` into seconds when the server sends no ``serverTime``.
        product: ``"spot"`` (default), ``"usdm"`` or ``"coinm"``: the API this connection
            speaks. Spot's keep-alive is the ``ping`` request (:meth:`ping_frame`); futures
            have no ``ping`` method, so :meth:`ping_frame` returns ``None`` there and the
            Connection sends WebSocket ping frames, which cost no request weight (§10.1,
            §10.2). Futures error codes map with the futures meanings (§10.2).
    """

    exchange = "binance"
    raw_native = True  # raw: user data events are the whole {"subscriptionId", "event"} object

    def __init__(self, now_ms: Callable[[], float] | None = None, *, product: str = "spot") -> None:
        if product not in PRODUCTS:
            raise ValueError(f"product must be one of {PRODUCTS}, got {product!r}")
        self.product = product
        self._ids = itertools.count(1)
        self._now_ms = now_ms
        # orjson (codec.loads): Binance sends money as strings and ids within 64 bits; a JSON
        # number with a fraction becomes a float, as json.loads made it.
        self._loads = loads
        self._keepalive_ids: set[int] = set()
        # request id → routing key of a pending user-data subscribe; server subscriptionId → key
        self._subscribing: dict[Hashable, Hashable] = {}
        self._subscriptions: dict[int, Hashable] = {}
        # This lock stays: the two maps above are also touched outside receive and the
        # lifecycle, by the subscribe/unsubscribe builders and subscription_id on user threads.
        # The reader's per-event lookup of a subscription id is one atomic dict read and
        # takes no lock (see ``_event``).
        self._state_lock = threading.Lock()
        # request id → check of its result (``_RESULT_CHECKS``); written by user threads
        # (one atomic dict store), popped by the reader.
        self._checks: dict[Hashable, Callable[[Any], object]] = {}
        # Every window's latest usage, as the checked wire item (converter.RateLimitWire) or, for
        # an item of another shape, its RateLimit: the models are built when rate_limits is read.
        self._usage: dict[tuple[str, str, int], RateLimit | converter.RateLimitWire] = {}
        self._usage_now: tuple[RateLimit | converter.RateLimitWire, ...] = ()  # _usage's values (reader swaps it)
        self._usage_built: tuple[tuple[Any, ...], tuple[RateLimit, ...]] = ((), ())  # (_usage_now, its models)

    # -- requests (any thread) ----------------------------------------------------------

    def next_id(self) -> int:
        return next(self._ids)

    def request(
        self,
        method: str,
        params: Mapping[str, Any] | None = None,
        *,
        signer: Signer | None = None,
        timestamp_ms: int | None = None,
        recv_window_ms: int | None = None,
    ) -> tuple[int, str]:
        """Build one request frame; return ``(id, frame)`` (§3).

        Args:
            method: the WS API method, e.g. ``"order.place"``.
            params: wire parameters (already encoded); empty or ``None`` omits ``params``.
            signer: sign the request (§6.3): adds ``apiKey`` and ``signature``. ``None``
                for public requests and on a logged-on session (§7).
            timestamp_ms: adds ``timestamp`` (required by every SIGNED request, also on
                a logged-on session); ``None`` for public requests.
            recv_window_ms: adds ``recvWindow`` when given with a timestamp.
        """
        request_id = next(self._ids)
        body = dict(params or {})
        if timestamp_ms is not None:
            body["timestamp"] = timestamp_ms
            if recv_window_ms is not None:
                body["recvWindow"] = recv_window_ms
        if signer is not None:
            body["apiKey"] = signer.api_key
            body["signature"] = signer.sign_params(body)
        check = _RESULT_CHECKS.get(method)
        if check is not None:
            checks = self._checks
            if len(checks) >= _CHECK_MEMORY:  # replies a dropped connection lost
                checks.clear()
            checks[request_id] = check
        if not body:
            # What the encoder writes for {"id", "method"}, without building it per request.
            quoted = _QUOTED_METHODS.get(method)
            if quoted is None:
                if len(_QUOTED_METHODS) >= 256:  # the generic ``request`` takes any name
                    _QUOTED_METHODS.clear()
                quoted = _QUOTED_METHODS[method] = _encode(method)
            return request_id, '{"id":%d,"method":%s}' % (request_id, quoted)
        return request_id, _encode({"id": request_id, "method": method, "params": body})

    def subscribe_user_data(
        self, key: Hashable, *, signer: Signer | None = None, timestamp_ms: int | None = None,
        recv_window_ms: int | None = None,
    ) -> tuple[int, str]:
        """Build a user-data subscribe (§9.1) whose reply maps the new ``subscriptionId`` to ``key``.

        With a ``signer`` it is ``userDataStream.subscribe.signature`` (any key type, no
        log-on needed); without, ``userDataStream.subscribe`` on a logged-on session.
        """
        if signer is not None:
            request_id, frame = self.request(
                "userDataStream.subscribe.signature", signer=signer, timestamp_ms=timestamp_ms,
                recv_window_ms=recv_window_ms,
            )
        else:
            request_id, frame = self.request("userDataStream.subscribe")
        with self._state_lock:
            self._subscribing[request_id] = key
        return request_id, frame

    def unsubscribe_user_data(self, key: Hashable) -> tuple[int, str] | None:
        """Build ``userDataStream.unsubscribe`` for ``key``; ``None`` when not subscribed here."""
        with self._state_lock:
            subscription_id = next((sid for sid, k in self._subscriptions.items() if k == key), None)
            if subscription_id is None:
                return None
            del self._subscriptions[subscription_id]
        return self.request("userDataStream.unsubscribe", {"subscriptionId": subscription_id})

    def subscription_id(self, key: Hashable) -> int | None:
        """The server's current ``subscriptionId`` of ``key``, or ``None``."""
        with self._state_lock:
            return next((sid for sid, k in self._subscriptions.items() if k == key), None)

    def ping_frame(self) -> str | None:
        """A keep-alive request whose reply becomes ``Pong``: ``ping`` on spot (§8.1).

        ``None`` on futures, which have no ``ping`` method (§10.1): the Connection then
        sends WebSocket ping frames, which the futures server answers with pongs (§10.2)
        at no request weight.
        """
        if self.product != "spot":
            return None
        request_id = next(self._ids)
        if len(self._keepalive_ids) > 64:  # replies lost with a dropped connection
            self._keepalive_ids.clear()
        self._keepalive_ids.add(request_id)
        return '{"id":%d,"method":"ping"}' % request_id

    # -- lifecycle (called by the Connection under its protocol lock) --------------------

    def connection_lost(self, error: BaseException) -> None:
        """Forget the per-connection state: the session, its user-data subscription ids
        (§9.1) and the replies still owed die with the transport. Until the next
        connection logs on and resubscribes, :meth:`subscription_id` is ``None`` and
        :meth:`unsubscribe_user_data` has nothing to unsubscribe."""
        with self._state_lock:
            self._subscribing.clear()
            self._subscriptions.clear()
        self._keepalive_ids.clear()
        self._checks.clear()

    def abandoned(self, key: Hashable) -> bool:
        """A request got no reply (timed out or not sent): forget what was kept for it.

        A late reply then completes nothing and maps no subscription. Replies carry their
        request's id, so the connection stays trusted: returns ``False``.
        """
        self._checks.pop(key, None)
        with self._state_lock:
            self._subscribing.pop(key, None)
        return False

    # -- inbound (reader thread) -----------------------------------------------------------

    def receive(self, frame: str | bytes) -> Sequence[Event]:
        """Parse one frame into events.

        Raises:
            DecodeError: not JSON, or neither a response nor an event of the documented
                shape; ``key`` names the request a malformed response answers (its id).
        """
        try:
            message = self._loads(frame)
        except (ValueError, RecursionError) as exc:  # RecursionError: absurdly nested arrays
            raise DecodeError(f"not JSON: {exc!r}"[:200], frame) from exc
        if type(message) is not dict:
            raise DecodeError("not a JSON object", frame)
        try:
            if "status" in message:
                return self._response(message, frame)
            event = message.get("event")
            if type(event) is dict:
                return self._event(message, event, frame)
        except ProtocolError:
            raise
        except Exception as exc:  # a shape the checks missed: still only a bad frame
            error = DecodeError(f"malformed binance message: {exc!r}"[:300], frame)
            request_id = message.get("id")
            error.key = request_id if type(request_id) is int or type(request_id) is str else None
            raise error from exc
        raise DecodeError("neither a response nor an event", frame)

    def _response(self, message: dict[str, Any], frame: str | bytes) -> Sequence[Event]:
        request_id = message.get("id")
        if request_id is not None and type(request_id) is not int and type(request_id) is not str:
            # Ids are integers or strings (§3): a reply with any other id answers no request.
            log.debug("binance response with an id that is neither integer nor string: %.200r", frame)
            return ()
        limits = message.get("rateLimits")
        if limits:
            try:
                self._record_usage(limits)
            except DecodeError as exc:
                exc.key = request_id  # the reply is malformed: its request fails at once
                exc.raw = exc.raw or _text(frame)[:500]
                self._forget_reply(request_id)
                raise
        status = message.get("status")
        result = message.get("result")
        error = message.get("error")
        # referencePrice documents an error object inside a 200 result (§8.1).
        if error is None and type(result) is dict and type(result.get("code")) is int and result["code"] < 0 \
                and "msg" in result and len(result) == 2:
            error = result
        if request_id is not None and request_id in self._keepalive_ids:
            self._keepalive_ids.discard(request_id)
            return (Pong(),)
        check = self._checks.pop(request_id, None) if self._checks and request_id is not None else None
        if status == 200 and error is None:
            if check is not None:
                try:
                    check(result)
                except DecodeError as exc:
                    exc.key = request_id
                    exc.raw = exc.raw or _text(frame)[:500]
                    raise
            if request_id in self._subscribing:
                self._subscribed(request_id, result, frame)
            return (Reply(request_id, result),)
        with self._state_lock:
            self._subscribing.pop(request_id, None)
        exception = map_error(error, status if type(status) is int else None, _text(frame), self._now_ms,
                              self.product)
        if request_id is None:
            # Not attributable (§4, §7): a revoked session. Drop the connection so it logs on again.
            if isinstance(exception, AuthenticationError):
                return (Failure(exception),)
            log.warning("binance error not tied to a request: %s", exception)
            return ()
        return (Reply(request_id, error=exception),)

    def _forget_reply(self, request_id: int | str | None) -> None:
        """Drop what was kept for a request whose reply turned out malformed."""
        if request_id is None:
            return
        self._keepalive_ids.discard(request_id)
        self._checks.pop(request_id, None)
        with self._state_lock:
            self._subscribing.pop(request_id, None)

    def _subscribed(self, request_id: Hashable, result: Any, frame: str | bytes) -> None:
        with self._state_lock:
            key = self._subscribing.pop(request_id)
            subscription_id = result.get("subscriptionId") if type(result) is dict else None
            if type(subscription_id) is int:
                self._subscriptions[subscription_id] = key

    def _event(self, message: dict[str, Any], event: dict[str, Any], frame: str | bytes) -> Sequence[Event]:
        kind = event.get("e")
        if kind == "serverShutdown":
            # Maintenance is coming (§2): reconnect now rather than be cut off later.
            return (Failure(ConnectionClosed("binance announced serverShutdown; reconnecting")),)
        subscription_id = message.get("subscriptionId")
        if type(subscription_id) is not int:
            return ()  # not one of the server's integer subscription ids: no subscription of ours
        # One dict read, atomic as it is: the lock orders the writers' compound updates
        # (and the builders' scans) among themselves, and a read beside any of them sees
        # the map before or after, as it would after waiting for the lock.
        key = self._subscriptions.get(subscription_id)
        if key is None:
            return ()  # an event of a subscription we no longer hold
        if self.raw:  # a raw client: the whole {"subscriptionId", "event"} object, no model
            symbol = event.get("s")
            update = Update(key, message, symbol if type(symbol) is str else None)
            terminated = kind == "eventStreamTerminated"
        else:
            data = converter.user_data_event(event)
            # The symbol from the wire where the model has one, equal to its field:
            # reading the field would decode a lazily decoded report on the reader.
            symbol = event.get("s")
            if type(symbol) is not str or not hasattr(type(data), "symbol"):
                symbol = getattr(data, "symbol", None)
            update = Update(key, data, symbol)
            terminated = type(data) is EventStreamTerminated
        if terminated:
            with self._state_lock:
                self._subscriptions.pop(subscription_id, None)
            return (update, Ended(key, None))
        return (update,)

    def _record_usage(self, items: Any) -> None:
        """Merge a response's ``rateLimits`` into :attr:`rate_limits` (reader thread).

        Items of the documented shape are checked and kept as their wire values, each
        window's replacing the one before (the count moves with every request); their
        ``RateLimit`` models are built when :attr:`rate_limits` is read.

        Raises:
            DecodeError: ``rateLimits`` is not an array of documented rate-limit objects.
        """
        wires = converter.rate_limit_wires(items)
        usage = self._usage
        changed = False
        if wires is not None:
            for wire in wires:
                key = wire[:3]
                if usage.get(key) != wire:  # exact ints and strings only (rate_limit_wires)
                    usage[key] = wire
                    changed = True
        else:
            for limit in converter.rate_limits_from_wire(items):
                usage[(limit.rate_limit_type.value, limit.interval.value, limit.interval_number)] = limit
            changed = True
        if changed:
            self._usage_now = tuple(usage.values())  # one reference swap: readers need no lock

    @property
    def rate_limits(self) -> tuple[RateLimit, ...]:
        """The latest usage of every rate-limit window (§5), one per window; empty before the
        first response that carries ``rateLimits``. Any thread may read it (no lock): the
        models are built on the first read after a response changed them, and equal values
        give the same objects."""
        now = self._usage_now
        built = self._usage_built
        if built[0] is now:
            return built[1]
        limits = tuple(entry if isinstance(entry, RateLimit) else converter.rate_limit_of_wire(entry) for entry in now)
        self._usage_built = (now, limits)
        return limits
