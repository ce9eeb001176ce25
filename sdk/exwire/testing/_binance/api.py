"""The request layer the Binance emulator shares between products (§3–§7 of
:doc:`the Binance page </exchanges/binance>`): envelope, rate
limits, authentication, signature and timestamp checks, session log-on; one :class:`_Api`
subclass per product path."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from exwire.testing._binance.common import _Account, _ApiError, _coerce, _dumps, _mandatory, _payload
from exwire.testing._binance.spot_engine import _Events
from exwire.testing._server import EmulatorConnection, logger

if TYPE_CHECKING:
    from exwire.testing._binance.state import EmulatorState

# -- rate limits (§5) --------------------------------------------------------------------------


class _Limits:
    """REQUEST_WEIGHT per minute (per emulator and product, like per IP) and ORDERS windows per
    account (§5.2, §5.4).

    Args:
        weight_limit: request weight per minute.
        order_windows: ``(interval, interval_number, span_ms, limit)`` of each ORDERS window,
            e.g. spot ``("SECOND", 10, 10_000, 50)`` and ``("DAY", 1, 86_400_000, 160_000)``.
    """

    def __init__(self, weight_limit: int, order_windows: list[tuple[str, int, int, int]]) -> None:
        self.weight_limit = weight_limit
        self.order_windows = order_windows
        self.weight: dict[int, int] = {}
        self.orders: dict[tuple[str, str, int], int] = {}

    def exchange_info(self) -> list[dict[str, Any]]:
        """The limits as ``exchangeInfo`` lists them (no counts)."""
        return [{"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1,
                 "limit": self.weight_limit}] + [
            {"rateLimitType": "ORDERS", "interval": unit, "intervalNum": number, "limit": limit}
            for unit, number, _, limit in self.order_windows]

    def charge_weight(self, now: int, weight: int) -> None:
        window = now // 60_000
        used = self.weight.get(window, 0) + weight
        self.weight = {window: used}
        if used > self.weight_limit:
            raise _ApiError(-1003, f"Too much request weight used; current limit is {self.weight_limit} request "
                                   "weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid "
                                   "polling the API.", 429,
                            {"serverTime": now, "retryAfter": (window + 1) * 60_000})

    def charge_orders(self, account: _Account, now: int, count: int) -> None:
        for unit, number, span, limit in self.order_windows:
            key = (account.api_key, unit, now // span)
            used = self.orders.get(key, 0) + count
            self.orders[key] = used
            if used > limit:
                raise _ApiError(-1015, f"Too many new orders; current limit is {limit} orders per {number} {unit}.",
                                429)

    def report(self, now: int, account: _Account | None) -> list[dict[str, Any]]:
        """The ``rateLimits`` of a response: the account's ORDERS windows (when it placed an
        order), then REQUEST_WEIGHT."""
        limits = []
        if account is not None:
            for unit, number, span, limit in self.order_windows:
                count = self.orders.get((account.api_key, unit, now // span), 0)
                limits.append({"rateLimitType": "ORDERS", "interval": unit, "intervalNum": number, "limit": limit,
                               "count": count})
        limits.append({"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1,
                       "limit": self.weight_limit, "count": self.weight.get(now // 60_000, 0)})
        return limits


# -- the request layer shared by every product (§3, §4, §6, §7) -------------------------------


class _Session:
    """Per-connection state (§7, §9.1): log-on and user-data subscriptions."""

    def __init__(self, now: int, return_rate_limits: bool) -> None:
        self.connected_since = now
        self.return_rate_limits = return_rate_limits
        self.account: _Account | None = None
        self.authorized_since: int | None = None
        self.streams: dict[int, tuple[_Account, bool]] = {}  # subscriptionId → (account, via log-on)
        self.subscription_ids = itertools.count(0)


class _Request(NamedTuple):
    connection: EmulatorConnection
    session: _Session
    method: str
    params: dict[str, Any]
    account: _Account | None
    now: int


Handler = Callable[[_Request, _Events], Any]


class _Method(NamedTuple):
    handler: Handler
    security: str = "NONE"  # NONE | SIGNED (USER_DATA/TRADE) | LOGON | SESSION (needs a logged-on session)
    weight: int | Callable[[dict[str, Any]], int] = 1  # or a function of the params
    orders: int = 0  # unfilled order count added
    takes_params: bool = True


class _Api:
    """One product's WebSocket API on one path; subclasses fill :attr:`methods`.

    Attributes:
        product: ``"spot"``, ``"usdm"`` or ``"coinm"``.
        ping_interval: seconds between the server's ping frames (§2: spot 20 s, futures 3 min).
        pong_timeout: seconds the server waits for the pong before dropping the connection
            (§2: spot 1 min, futures 10 min).
        limits: this product's rate limits.
    """

    path = "/"
    product = "spot"
    ping_interval = 20.0
    pong_timeout = 60.0
    methods: dict[str, _Method] = {}

    def __init__(self, state: EmulatorState, limits: _Limits) -> None:
        self.state = state
        self.exchange = state.exchange
        self.limits = limits

    def session_methods(self) -> dict[str, _Method]:
        """``session.logon``/``status``/``logout`` (§7), the same on every product (§10.1)."""
        return {
            "session.logon": _Method(self.logon, "LOGON", 2),
            "session.status": _Method(lambda r, e: self.session_status(r.session, r.now), weight=2,
                                      takes_params=False),
            "session.logout": _Method(self.logout, weight=2, takes_params=False),
        }

    def session_status(self, session: _Session, now: int) -> dict[str, Any]:
        return {"apiKey": session.account.api_key if session.account else None,
                "authorizedSince": session.authorized_since, "connectedSince": session.connected_since,
                "returnRateLimits": session.return_rate_limits, "serverTime": now}

    def logon(self, request: _Request, events: _Events) -> dict[str, Any]:
        session = request.session
        session.account, session.authorized_since = request.account, request.now
        self.state.recorder.logged_on(self.product)
        return self.session_status(session, request.now)

    def logout(self, request: _Request, events: _Events) -> dict[str, Any]:
        session = request.session
        session.account = session.authorized_since = None
        return self.session_status(session, request.now)

    def prepare(self, now: int) -> None:
        """Runs under the exchange lock before each request (e.g. to expire orders)."""

    def handle(self, connection: EmulatorConnection, text: str | bytes) -> None:
        state = self.state
        try:
            request = json.loads(text)
        except ValueError:
            request = None
        if not isinstance(request, dict):
            connection.send(_dumps({"id": None, "status": 400,
                                    "error": {"code": -1100, "msg": "Malformed request: not a JSON object."}}))
            return
        request_id, method = request.get("id"), request.get("method")
        params = request.get("params") or {}
        if state.faults.take_withheld(method, self.product):
            logger.debug("binance emulator: withholding the reply to %s", method)
            return
        session: _Session = connection.session
        if not isinstance(method, str):
            method = None  # answered with -1102 below
        with self.exchange.lock:
            now = self.exchange.now()
            events = _Events()
            account = None
            spec: _Method | None = None
            try:
                if method is None:
                    raise _mandatory("method")
                spec = self.methods.get(method)
                if spec is None:
                    raise _ApiError(-1020, "Unsupported operation.")
                if not isinstance(params, dict):
                    raise _ApiError(-1130, "Invalid data sent for a parameter.")
                params = _coerce(params)
                self.prepare(now)
                weight = spec.weight(params) if callable(spec.weight) else spec.weight
                self.limits.charge_weight(now, weight)
                failure = state.faults.take_failure(method, self.product)
                if failure is not None:
                    raise failure
                account = self.authorize(session, spec, params, now)
                if spec.orders and account is not None:  # order methods are SIGNED: account is set
                    self.limits.charge_orders(account, now, spec.orders)
                result = spec.handler(_Request(connection, session, method, params, account, now), events)
                events.flush_balances(now)
                reply: dict[str, Any] = {"id": request_id, "status": 200, "result": result}
                state.recorder.record(self.product, method, params)
            except _ApiError as error:
                # Steps that succeeded before the error (a cancel-replace's cancel) did happen.
                events.flush_balances(now)
                body = {"code": error.code, "msg": error.message}
                if error.data is not None:
                    body["data"] = error.data
                reply = {"id": request_id, "status": error.status, "error": body}
            show = params.get("returnRateLimits", session.return_rate_limits) if isinstance(params, dict) \
                else session.return_rate_limits
            if show:
                reply["rateLimits"] = self.limits.report(now, account if spec and spec.orders else None)
            connection.send(_dumps(reply))
            state.push(events)
        state.notify_changed()

    def authorize(self, session: _Session, spec: _Method, params: dict[str, Any], now: int) -> _Account | None:
        if spec.security == "NONE":
            if not spec.takes_params and params:
                raise _ApiError(-1104, f"Not all sent parameters were read; read '0' parameter(s) but was sent "
                                       f"'{len(params)}'.")
            return None
        if spec.security == "SESSION":
            if params:
                raise _ApiError(-1104, f"Not all sent parameters were read; read '0' parameter(s) but was sent "
                                       f"'{len(params)}'.")
            if session.account is None:
                raise _ApiError(-2015, "Invalid API-key, IP, or permissions for action.", 401)
            return session.account
        signature = params.get("signature")
        if signature is not None:
            api_key = params.get("apiKey")
            if api_key is None:
                raise _mandatory("apiKey")
            account = self.exchange.accounts.get(api_key)
            if account is None:
                raise _ApiError(-2015, "Invalid API-key, IP, or permissions for action.", 401)
            if not isinstance(signature, str) or not account.verify(_payload(params).encode("utf-8"), signature):
                raise _ApiError(-1022, "Signature for this request is not valid.")
            if spec.security == "LOGON" and account.key_type != "ed25519":
                raise _ApiError(-1022, "Signature for this request is not valid.")  # §7: Ed25519 only
        elif spec.security != "LOGON" and session.account is not None and "apiKey" not in params:
            account = session.account
        else:
            raise _mandatory("signature" if "apiKey" in params else "apiKey")
        timestamp, window = params.get("timestamp"), params.get("recvWindow", 5000)
        if not isinstance(timestamp, int):
            raise _mandatory("timestamp")
        if not isinstance(window, (int, float)) or window > 60_000:
            raise _ApiError(-1131, "recvWindow must be less than 60000")
        if timestamp >= now + 1000:
            raise _ApiError(-1021, "Timestamp for this request was 1000ms ahead of the server's time.")
        if now - timestamp > window:
            raise _ApiError(-1021, "Timestamp for this request is outside of the recvWindow.")
        return account


