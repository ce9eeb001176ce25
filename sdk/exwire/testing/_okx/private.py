"""The private side of the OKX emulator: order operations and the account pushes.

Order operations as https://www.okx.com/docs-v5/en/#order-book-trading-trade-ws-place-order
and its siblings document them: ``id`` required and echoed, ``expTime`` honoured (a request
past it is not processed: 50102), the envelope ``code`` "0" (all succeeded), "1" (all
failed), "2" (some failed) or a request-level code with empty ``data``, and one
``sCode``/``sMsg`` per order. :class:`PrivateSide` is a mixin of
:class:`~exwire.testing.okx.OkxEmulator`; it declares the emulator state and methods it
uses, so that it is type-checked on its own.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from typing import TYPE_CHECKING, Any

from exwire.testing._okx.channels import BUSINESS, PRIVATE, Subscription
from exwire.testing._okx.common import INSTRUMENTS, message
from exwire.testing._okx.orders import Event, Order, OrderError
from exwire.testing._okx.trading import Engine

if TYPE_CHECKING:
    from exwire.testing._server import EmulatorConnection

__all__ = ["PRIVATE_OPS", "PrivateSide"]

PRIVATE_OPS = ("order", "batch-orders", "cancel-order", "batch-cancel-orders", "amend-order",
               "batch-amend-orders")
_BATCH_LIMIT = 20
_EXPIRING_OPS = ("order", "batch-orders", "amend-order", "batch-amend-orders")


class PrivateSide:
    """Order operations, private snapshots and the routing of account pushes."""

    _lock: threading.RLock
    _engine: Engine
    _order_refusals: deque[tuple[str, str]]

    if TYPE_CHECKING:

        @property
        def connections(self) -> list[EmulatorConnection]: ...

        def now_ms(self) -> int: ...

        def _error(self, session: Any, code: str, msg: str, echo: dict[str, Any]) -> dict[str, Any]: ...

        def _reply(self, connection: EmulatorConnection, frame: dict[str, Any], quiet: bool) -> None: ...

        def _push(self, connection: EmulatorConnection, subscription: Subscription, data: list[Any]) -> None: ...

    def _regular_push(self) -> None:
        """The regular push of ``account``/``positions`` subscriptions that want one."""
        for connection in self.connections:
            session = connection.session
            if session is None or not session.logged_in:
                continue
            with connection.send_lock:
                for subscription in list(session.subscriptions.values()):
                    if subscription.channel in ("account", "positions") and not _events_only(subscription):
                        data = self._private_snapshot(subscription)
                        if data is not None:
                            self._push(connection, subscription, data)

    def _private_snapshot(self, subscription: Subscription) -> list[Any] | None:
        engine, channel, arg = self._engine, subscription.channel, subscription.arg
        if channel == "account":
            return [engine.account_data(arg.get("ccy"))]
        if channel == "balance_and_position":
            return [engine.balance_and_position("snapshot")]
        if channel == "positions":
            return [engine.position_data(p) for p in engine.positions.values()
                    if p.quantity and _matches(subscription, p.instrument)]
        if channel == "account-greeks":
            now = str(self.now_ms())
            return [{"ccy": ccy, "deltaBS": "0", "deltaPA": "0", "gammaBS": "0", "gammaPA": "0",
                     "thetaBS": "0", "thetaPA": "0", "ts": now, "vegaBS": "0", "vegaPA": "0"}
                    for ccy in sorted(engine.cash) if arg.get("ccy") in (None, ccy)]
        return None

    # -- order operations -------------------------------------------------------------

    def _operation(self, connection: EmulatorConnection, request: dict[str, Any], echo: dict[str, Any],
                   quiet: bool, text: str) -> None:
        session = connection.session
        op = request["op"]
        home = BUSINESS if op == "mass-cancel" else PRIVATE
        if session.endpoint != home:
            self._reply(connection, self._error(session, "60019", message("60019", op), echo), quiet)
            return
        if not session.logged_in:
            self._reply(connection, self._error(session, "60011", message("60011"), echo), quiet)
            return
        if not echo:
            self._reply(connection, self._error(session, "60012", message("60012", text), echo), quiet)
            return
        in_time = time.time_ns() // 1000
        args = request.get("args")
        single = not op.startswith("batch-")
        if not isinstance(args, list) or not args or (single and len(args) != 1) or len(args) > _BATCH_LIMIT:
            self._op_reply(connection, echo, op, [], "60013", message("60013"), in_time, quiet)
            return
        exp_time = request.get("expTime")
        if exp_time is not None and op in _EXPIRING_OPS:
            if not isinstance(exp_time, str) or not exp_time.isdigit():
                self._op_reply(connection, echo, op, [], "60013", message("60013"), in_time, quiet)
                return
            if int(exp_time) < self.now_ms():  # not processed after its deadline
                self._op_reply(connection, echo, op, [], "50102", message("50102"), in_time, quiet)
                return
        with self._lock:
            if op == "mass-cancel":
                self._mass_cancel(connection, echo, args[0], in_time, quiet)
                return
            results: list[dict[str, Any]] = []
            events: list[Event] = []
            for arg in args:
                result, new_events = self._one_order(op, arg)
                results.append(result)
                events += new_events
            failures = sum(1 for r in results if r["sCode"] != "0")
            code = "0" if not failures else "1" if failures == len(results) else "2"
            self._op_reply(connection, echo, op, results, code, "", in_time, quiet)
            self._route(events)

    def _one_order(self, op: str, arg: Any) -> tuple[dict[str, Any], list[Event]]:
        kind = op.removeprefix("batch-").removesuffix("s")
        kind = {"order": "order", "orders": "order"}.get(kind, kind)
        given = arg if isinstance(arg, dict) else {}
        result: dict[str, Any] = {"clOrdId": str(given.get("clOrdId", "") or ""), "ordId": ""}
        if kind == "order":
            result["tag"] = str(given.get("tag", "") or "")
        if kind == "amend-order":
            result["reqId"] = str(given.get("reqId", "") or "")
        events: list[Event] = []
        try:
            order: Order
            if kind == "order" and self._order_refusals:
                raise OrderError(*self._order_refusals.popleft())
            if kind == "order":
                order, events = self._engine.place(arg)
            elif kind == "cancel-order":
                order, events = self._engine.cancel(arg)
            else:
                order, events = self._engine.amend(arg)
        except OrderError as exc:
            if kind == "amend-order" and str(given.get("cxlOnFail", "")).lower() == "true" and exc.code != "51503":
                try:
                    self._engine.cancel(arg)
                except OrderError:
                    pass
            result.update(ts=str(self.now_ms()), sCode=exc.code, sMsg=exc.msg)
            return result, events
        result.update(clOrdId=order.cl_ord_id, ordId=order.ord_id, ts=str(self.now_ms()), sCode="0", sMsg="")
        return result, events

    def _mass_cancel(self, connection: EmulatorConnection, echo: dict[str, Any], arg: Any,
                     in_time: int, quiet: bool) -> None:
        if not isinstance(arg, dict) or arg.get("instType") != "OPTION" or not arg.get("instFamily"):
            self._op_reply(connection, echo, "mass-cancel", [], "60013", message("60013"), in_time, quiet)
            return
        events = self._engine.mass_cancel("OPTION", str(arg["instFamily"]))
        self._op_reply(connection, echo, "mass-cancel", [{"result": True}], "0", "", in_time, quiet)
        self._route(events)

    def _op_reply(self, connection: EmulatorConnection, echo: dict[str, Any], op: str,
                  data: list[dict[str, Any]], code: str, msg: str, in_time: int, quiet: bool) -> None:
        self._reply(connection, {**echo, "op": op, "data": data, "code": code, "msg": msg,
                                 "inTime": str(in_time), "outTime": str(time.time_ns() // 1000)}, quiet)

    def _route(self, events: list[Event]) -> None:
        """Send the private pushes of account ``events`` to every subscribed connection."""
        if not events:
            return
        for connection in self.connections:
            session = connection.session
            if session is None or not session.logged_in:
                continue
            with connection.send_lock:
                for event in events:
                    for subscription in list(session.subscriptions.values()):
                        data = self._private_data(subscription, event)
                        if data is not None:
                            self._push(connection, subscription, data)

    def _private_data(self, subscription: Subscription, event: Event) -> list[Any] | None:
        channel, arg, engine = subscription.channel, subscription.arg, self._engine
        if event.kind == "order" and channel == "orders" and event.order is not None:
            return [event.data] if _matches(subscription, event.order.instrument) else None
        if event.kind == "fill" and channel == "fills" and event.order is not None:
            return [event.fill] if arg.get("instId") in (None, event.order.instrument.inst_id) else None
        if event.kind == "position" and channel == "positions" and event.position is not None:
            return [event.data] \
                if _matches(subscription, event.position.instrument) else None
        if event.kind == "account" and channel == "account":
            ccy = arg.get("ccy")
            return [engine.account_data(ccy)] if ccy is None or ccy in event.currencies else None
        if event.kind == "account" and channel == "balance_and_position" and event.event_type:
            positions = [event.position] if event.position is not None else []
            trades = [event.fill] if event.fill is not None else []
            return [engine.balance_and_position(event.event_type, event.currencies, positions, trades)]
        if event.kind in ("deposit-info", "withdrawal-info") and channel == event.kind and event.fill:
            return [event.fill] if arg.get("ccy") in (None, event.fill["ccy"]) else None
        if event.kind == channel and channel in ("orders-algo", "algo-advance", "liquidation-warning") \
                and event.data is not None:
            instrument = INSTRUMENTS[event.data["instId"]]
            if channel == "algo-advance" and arg.get("algoId") not in (None, event.data.get("algoId")):
                return None
            return [event.data] if _matches(subscription, instrument) else None
        return None


def _events_only(subscription: Subscription) -> bool:
    """Whether the arg asked for event pushes only: ``extraParams`` ``{"updateInterval": "0"}``."""
    extra = subscription.arg.get("extraParams")
    try:
        params = json.loads(extra) if isinstance(extra, str) else {}
    except ValueError:
        return False
    return isinstance(params, dict) and str(params.get("updateInterval")) == "0"


def _matches(subscription: Subscription, instrument: Any) -> bool:
    """Whether a push about ``instrument`` belongs to an ``orders``/``positions``-like arg."""
    arg = subscription.arg
    inst_type = arg.get("instType", "ANY")
    if inst_type not in ("ANY", instrument.inst_type) and not (inst_type == "MARGIN" and instrument.is_spot):
        return False
    if arg.get("instId") not in (None, instrument.inst_id):
        return False
    return arg.get("instFamily") in (None, instrument.family)
