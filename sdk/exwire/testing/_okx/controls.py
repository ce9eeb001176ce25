"""The test controls of the OKX emulator: market steering, inspection and faults.

:class:`Controls` is a mixin of :class:`~exwire.testing.okx.OkxEmulator`; it holds
annotations for the state the emulator creates and declares the emulator methods it
calls, so that it is type-checked on its own.
"""

from __future__ import annotations

import threading
from collections import deque
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from exwire.errors import ConfigurationError
from exwire.testing._okx.channels import INCREMENTAL_BOOKS
from exwire.testing._okx.common import ERRORS, INSTRUMENTS, dumps, fmt, message, to_decimal
from exwire.testing._okx.market import Market, TradePrint
from exwire.testing._okx.orders import Event
from exwire.testing._okx.trading import Engine

if TYPE_CHECKING:
    from exwire.testing._server import EmulatorConnection

__all__ = ["Controls", "REGULAR_STEPS"]

#: Market steps between the regular pushes of ``account`` and ``positions`` subscriptions
#: that did not ask for event pushes only (``extraParams`` ``{"updateInterval": "0"}``).
REGULAR_STEPS = 10


class Controls:
    """Market steering, inspection helpers and faults of :class:`OkxEmulator`."""

    _lock: threading.RLock
    _engine: Engine
    _markets: dict[str, Market]
    _status: dict[str, Any]
    _requests: deque[tuple[int, str, Any]]
    _withheld: dict[str, int]
    _failures: dict[str, deque[tuple[str, str]]]
    _order_refusals: deque[tuple[str, str]]
    _login_refusals: deque[str]
    _withhold_pong: bool
    _corruptions: int
    _skips: int
    _steps: int
    _algo_ids: int

    if TYPE_CHECKING:

        @property
        def connections(self) -> list[EmulatorConnection]: ...

        def notify_changed(self) -> None: ...

        def now_ms(self) -> int: ...

        def _public_step(self, trades: dict[str, list[TradePrint]]) -> None: ...

        def _route(self, events: list[Event]) -> None: ...

        def _regular_push(self) -> None: ...

        def _send(self, connection: EmulatorConnection, frame: dict[str, Any] | str) -> bool: ...

    # -- the market -------------------------------------------------------------------

    def step(self, count: int = 1, inst_id: str | None = None) -> None:
        """Move the market ``count`` times (every instrument, or only ``inst_id``) and send
        the resulting pushes; resting orders the market moved through fill. Every
        :data:`REGULAR_STEPS` steps, ``account`` and ``positions`` subscriptions without
        ``{"updateInterval": "0"}`` get their regular push."""
        with self._lock:
            for _ in range(count):
                now = self.now_ms()
                trades = {i: m.step(now) for i, m in self._markets.items() if inst_id in (None, i)}
                self._public_step(trades)
                self._route(self._engine.match(trades))
                self._steps += 1
                if self._steps % REGULAR_STEPS == 0:
                    self._regular_push()
        self.notify_changed()

    @property
    def instruments(self) -> list[str]:
        """Every instId the emulator lists."""
        return list(INSTRUMENTS)

    def instrument_code(self, inst_id: str) -> int:
        """The ``instIdCode`` of ``inst_id`` (``KeyError`` if unknown)."""
        return INSTRUMENTS[inst_id].code

    def best_prices(self, inst_id: str) -> tuple[Decimal, Decimal]:
        """``(best bid, best ask)`` of the instrument's book."""
        with self._lock:
            market = self._markets[inst_id]
            return market.best_bid, market.best_ask

    def last_price(self, inst_id: str) -> Decimal:
        """The price of the instrument's last trade."""
        with self._lock:
            return self._markets[inst_id].last

    def order_book(self, inst_id: str, depth: int = 400) -> dict[str, list[list[str]]]:
        """``{"bids": [...], "asks": [...]}``: the book's wire levels, best first."""
        with self._lock:
            market = self._markets[inst_id]
            return {"bids": market.levels("bids", depth), "asks": market.levels("asks", depth)}

    def sequence_id(self, inst_id: str) -> int:
        """The current ``seqId`` of the instrument's books."""
        with self._lock:
            return self._markets[inst_id].seq_id

    # -- the account --------------------------------------------------------------------

    def balances(self) -> dict[str, tuple[Decimal, Decimal]]:
        """``ccy → (available, frozen)``; frozen counts live orders and position margin."""
        with self._lock:
            engine = self._engine
            return {ccy: (engine.available(ccy), engine.frozen(ccy)) for ccy in sorted(engine.cash)}

    def set_balance(self, ccy: str, amount: Any) -> None:
        """Set the cash balance of ``ccy`` and push the account update."""
        value = to_decimal(amount) if not isinstance(amount, Decimal) else amount
        if value is None or value < 0:
            raise ConfigurationError(f"balance of {ccy!r} must be a non-negative number")
        with self._lock:
            self._engine.cash[ccy.upper()] = value
            self._route([Event("account", currencies={ccy.upper()}, event_type="transferred")])

    def orders(self, state: str | None = None) -> list[dict[str, Any]]:
        """Every order (only those in ``state`` when given) as the ``orders`` channel shows it."""
        with self._lock:
            return [o.data() for o in self._engine.orders.values() if state in (None, o.state)]

    def order(self, ord_id: str) -> dict[str, Any]:
        """One order as the ``orders`` channel shows it (``KeyError`` if unknown)."""
        with self._lock:
            return self._engine.orders[ord_id].data()

    def positions(self) -> list[dict[str, Any]]:
        """The open positions as the ``positions`` channel shows them."""
        with self._lock:
            return [self._engine.position_data(p) for p in self._engine.positions.values() if p.quantity]

    def fill_order(self, ord_id: str, size: Any = None, price: Any = None) -> None:
        """Fill ``size`` (all that remains when ``None``) of a live order at ``price`` (its
        own when ``None``) against a counterpart outside the public book, and push the
        ``orders``/``fills``/``account``/``positions``/``balance_and_position`` updates.

        Raises:
            KeyError: no such order.
            ConfigurationError: the order is final or the size is out of range.
        """
        with self._lock:
            try:
                events = self._engine.fill(ord_id, _optional(size), _optional(price))
            except ValueError as exc:
                raise ConfigurationError(str(exc)) from None
            self._route(events)
        self.notify_changed()

    def push_deposit(self, ccy: str, amount: Any, state: str = "2") -> None:
        """Credit a deposit of ``amount`` ``ccy`` (state ``"2"``: credited) and push
        ``deposit-info``, ``account`` and ``balance_and_position``."""
        self._transfer("deposit-info", ccy, amount, state)

    def push_withdrawal(self, ccy: str, amount: Any, state: str = "2") -> None:
        """Debit a withdrawal of ``amount`` ``ccy`` (state ``"2"``: completed) and push
        ``withdrawal-info``, ``account`` and ``balance_and_position``."""
        self._transfer("withdrawal-info", ccy, amount, state)

    def _transfer(self, channel: str, ccy: str, amount: Any, state: str) -> None:
        value = _optional(amount)
        if value is None or value <= 0:
            raise ConfigurationError("amount must be a positive number")
        ccy = ccy.upper()
        with self._lock:
            engine = self._engine
            deposit = channel == "deposit-info"
            if not deposit and value > engine.available(ccy):
                raise ConfigurationError(f"only {engine.available(ccy)} {ccy} available")
            engine.cash[ccy] = engine.cash.get(ccy, Decimal(0)) + (value if deposit else -value)
            now = str(self.now_ms())
            number = str(88165462 + len(self._requests))
            item: dict[str, Any] = {"amt": fmt(value), "ccy": ccy, "chain": f"{ccy}-TRC20", "from": "",
                                    "pTime": now, "state": state, "subAcct": "", "to": "TEhFAqpuHa3LY8ByNoGnrmexeGMw",
                                    "ts": now, "txId": "bc5376817dbb0d729f6b", "uid": "614488474791936"}
            item.update({"depId": number, "actualDepBlkConfirm": "0", "fromWdId": ""} if deposit else
                        {"wdId": number, "fee": "0.8", "feeCcy": ccy, "clientId": "", "tag": "", "memo": ""})
            self._route([Event(channel, fill=item),
                         Event("account", currencies={ccy}, event_type="transferred")])
        self.notify_changed()

    def push_algo_order(self, inst_id: str, side: str = "buy", size: Any = "1", trigger_price: Any = None,
                        state: str = "live", ord_type: str = "conditional", *, advance: bool = False) -> str:
        """Push an algo order event (``orders-algo``, or ``algo-advance`` for iceberg/twap
        with ``advance=True``) to the logged-in business connections subscribed to it.
        The emulator does not run algo orders; this only reports one.

        Returns:
            The ``algoId`` pushed.
        """
        instrument = INSTRUMENTS[inst_id]
        with self._lock:
            self._algo_ids += 1
            algo_id = str(581878926302093312 + self._algo_ids)
            now = str(self.now_ms())
            market = self._markets[inst_id]
            trigger = fmt(_optional(trigger_price) or market.mark_price)
            data = {"actualPx": "", "actualSide": "", "actualSz": "0", "algoClOrdId": "", "algoId": algo_id,
                    "cTime": now, "uTime": now, "ccy": "", "clOrdId": "", "instId": inst_id,
                    "instType": instrument.inst_type, "last": fmt(market.last), "lever": "0",
                    "ordId": "", "ordPx": "-1", "ordType": ord_type, "posSide": "net" if not instrument.is_spot else "",
                    "reduceOnly": "false", "side": side, "state": state, "sz": fmt(_optional(size) or Decimal(1)),
                    "tag": "", "tdMode": "cash" if instrument.is_spot else "cross", "triggerPx": trigger,
                    "triggerTime": "", "failCode": "", "pTime": now}
            self._route([Event("algo-advance" if advance else "orders-algo", data=data)])
        return algo_id

    def push_liquidation_warning(self) -> int:
        """Push every open position to the ``liquidation-warning`` subscribers of its type
        (as OKX does when a position nears liquidation). Returns the positions pushed."""
        with self._lock:
            positions = [p for p in self._engine.positions.values() if p.quantity]
            self._route([Event("liquidation-warning", data=self._engine.position_data(p)) for p in positions])
        return len(positions)

    # -- inspection ---------------------------------------------------------------------

    def requests(self, op: str | None = None) -> list[tuple[int, str, dict[str, Any]]]:
        """``(connection id, endpoint, request)`` of every JSON request received (those
        with ``op`` only when given), oldest first; endpoint is ``public``/``private``/``business``."""
        with self._lock:
            return [r for r in self._requests if op is None or r[2].get("op") == op]

    def subscriptions(self, endpoint: str | None = None) -> list[dict[str, Any]]:
        """The subscribed args of every live connection (of ``endpoint`` only when given)."""
        with self._lock:
            return [dict(s.arg) for c in self.connections if c.session is not None
                    and endpoint in (None, c.session.endpoint) for s in c.session.subscriptions.values()]

    def logged_in_connections(self) -> int:
        """Live connections that logged in."""
        return sum(1 for c in self.connections if c.session is not None and c.session.logged_in)

    def set_status(self, **fields: str) -> None:
        """Change the ``status`` item (``state="ongoing"``, ``title=...``) and push it."""
        with self._lock:
            self._status.update(fields, ts=str(self.now_ms()))
            for connection in self.connections:
                session = connection.session
                if session is None:
                    continue
                for subscription in list(session.subscriptions.values()):
                    if subscription.channel == "status":
                        self._send(connection, {"arg": subscription.arg, "data": [dict(self._status)]})

    # -- faults -----------------------------------------------------------------------

    def refuse_next_login(self, count: int = 1, code: str = "60009") -> None:
        """Refuse the next ``count`` logins with ``code`` whatever their signature."""
        message(code)  # KeyError for a code the emulator does not know
        with self._lock:
            self._login_refusals.extend([code] * count)

    def withhold_next_reply(self, op: str, count: int = 1) -> None:
        """Carry out the next ``count`` requests with ``op`` (``"login"``, ``"subscribe"``,
        ``"order"`` ...) but send no reply to them; pushes still go out."""
        with self._lock:
            self._withheld[op] = self._withheld.get(op, 0) + count

    def fail_next(self, op: str, code: str = "50001", msg: str = "Service temporarily unavailable. Please try again later.",
                  count: int = 1) -> None:
        """Refuse the next ``count`` requests with ``op`` as a whole, without carrying them
        out: order ops get the envelope ``code``/``msg`` with empty ``data`` (50011: rate
        limit, 50001: busy ...), ``login``/``subscribe`` an error event."""
        with self._lock:
            self._failures.setdefault(op, deque()).extend([(code, msg)] * count)

    def refuse_next_order(self, code: str = "51008", msg: str | None = None, count: int = 1) -> None:
        """Fail the next ``count`` orders of ``order``/``batch-orders`` with ``sCode`` ``code``
        (e.g. 51149: timed out inside OKX) whatever they are; the others of a batch go on."""
        text = msg if msg is not None else message(code, "USDT") if code in ERRORS else "Order failed."
        with self._lock:
            self._order_refusals.extend([(code, text)] * count)

    def withhold_pong(self, enabled: bool = True) -> None:
        """Stop (or, with ``False``, resume) answering the text ``ping``."""
        with self._lock:
            self._withhold_pong = enabled

    def corrupt_next_checksum(self, count: int = 1) -> None:
        """Give the next ``count`` incremental book messages a wrong ``checksum`` (the levels
        stay right). Calls accumulate."""
        with self._lock:
            self._corruptions += count

    def skip_next_sequence(self, count: int = 1) -> None:
        """Lose the next ``count`` incremental book updates: they are not sent, and the
        next one sent chains its ``prevSeqId`` to the lost one (a gap). Calls accumulate."""
        with self._lock:
            self._skips += count

    def reset_sequence(self, inst_id: str) -> None:
        """Restart the instrument's ``seqId`` from a small number, as after a maintenance:
        the next update has ``seqId`` < ``prevSeqId``."""
        with self._lock:
            self._markets[inst_id].seq_id = 3

    def send_book_keepalive(self, inst_id: str | None = None) -> int:
        """Send the no-change update of the incremental books (empty ``asks``/``bids``,
        ``prevSeqId == seqId``) to every subscription (of ``inst_id`` when given).

        Returns:
            The number of messages sent.
        """
        sent = 0
        with self._lock:
            for connection in self.connections:
                session = connection.session
                if session is None:
                    continue
                for subscription in list(session.subscriptions.values()):
                    instrument = subscription.instrument
                    if subscription.channel not in INCREMENTAL_BOOKS or instrument is None or \
                            inst_id not in (None, instrument.inst_id):
                        continue
                    market = self._markets[instrument.inst_id]
                    checksum = 0 if subscription.channel == "books" and not getattr(self, "books_checksum", True) \
                        else _view_checksum(subscription.view)
                    data = {"asks": [], "bids": [], "ts": str(market.ts), "checksum": checksum,
                            "prevSeqId": subscription.last_seq, "seqId": subscription.last_seq}
                    sent += self._send(connection, {"arg": subscription.arg, "action": "update", "data": [data]})
        return sent

    def send_notice(self, code: str = "64008") -> int:
        """Send the ``notice`` event (64008: "The connection will soon be closed for a
        service upgrade") to every connection. Returns the number reached."""
        sent = 0
        for connection in self.connections:
            session = connection.session
            if session is not None:
                sent += self._send(connection, {"event": "notice", "code": code, "msg": message(code),
                                                "connId": session.conn_id})
        return sent

    def send_frame(self, frame: Any, endpoint: str | None = None) -> int:
        """Send ``frame`` (JSON-encoded unless ``str``) verbatim to every connection (of
        ``endpoint`` only when given). Returns the number of connections reached."""
        text = frame if isinstance(frame, str) else dumps(frame)
        return sum(self._send(c, text) for c in self.connections
                   if c.session is not None and endpoint in (None, c.session.endpoint))


def _optional(value: Any) -> Decimal | None:
    if value is None:
        return None
    number = value if isinstance(value, Decimal) else to_decimal(value if not isinstance(value, float) else repr(value))
    if number is None:
        raise ConfigurationError(f"not a number: {value!r}")
    return number


def _view_checksum(view: dict[str, dict[str, list[str]]]) -> int:
    from exwire.testing._okx.common import book_checksum

    bids = sorted(view.get("bids", {}).values(), key=lambda level: Decimal(level[0]), reverse=True)
    asks = sorted(view.get("asks", {}).values(), key=lambda level: Decimal(level[0]))
    return book_checksum(bids, asks)
