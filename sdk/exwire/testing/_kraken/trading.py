"""The private side of the Kraken emulator: tokens, private channels and trading
(:doc:`the Kraken page </exchanges/kraken>` §6–§8, errors of §9).

:class:`TradingEngine` answers ``GetWebSocketsToken`` (checking ``API-Key``,
``API-Sign`` and the nonce as Kraken does), the ``openOrders``/``ownTrades``
subscriptions of ``/auth`` and the trading requests ``addOrder``, ``cancelOrder``,
``cancelAll`` and ``cancelAllOrdersAfter``. Orders trade against a per-pair
:class:`~exwire.testing._kraken.account.Liquidity` ladder; every state change pushes
the ``openOrders`` and ``ownTrades`` updates Kraken would push, to every connection
subscribed for that account. Replies come before the pushes they cause.

Choices where Kraken's documents leave room (the emulator's documented behaviour):

* a ``cancelOrder`` listing several ids gets one ``cancelOrderStatus`` per id, in
  the request's order, each ``ok`` or ``EOrder:Unknown order`` (§8.3's "one status
  message per cancelled order");
* trigger order types (stop-loss, take-profit, trailing) rest without triggering;
  start times are recorded only; expire times do expire; margin orders settle like
  spot orders; fees are taken in the quote asset (taker 0.26 %, maker 0.16 %);
* new orders trade against the pair's liquidity ladder only, never against resting
  orders of any account; a resting order fills when a test calls ``fill_order``.

Thread-safety: everything runs under one re-entrant lock; pushes are sent while it
is held, so each connection sees an account's updates in the order they happened.
The dead man's switch and order expiry run on one timer thread
(``exwire-emulator-kraken-timers``), started on first use and stopped by :meth:`stop`.
"""

from __future__ import annotations

import base64
import heapq
import itertools
import random
import string
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from exwire.models import Credentials
from exwire.testing._kraken.account import (
    DEFAULT_BALANCES,
    MAKER_FEE,
    TAKER_FEE,
    Account,
    Fill,
    Liquidity,
    Order,
    cancel_penalty,
    epoch_text,
    money,
    volume_text,
)
from exwire.testing._kraken.market import _dumps, _PairSpec
from exwire.testing._kraken.orders import Refusal, parse_order
from exwire.testing._kraken.rest import TOKEN_PATH, Form, signature_matches
from exwire.testing._server import EmulatorConnection, EmulatorServer

__all__ = ["TradingEngine", "PRIVATE_CHANNELS", "TRADING_EVENTS"]

PRIVATE_CHANNELS = ("ownTrades", "openOrders")
TRADING_EVENTS = ("addOrder", "editOrder", "cancelOrder", "cancelAll", "cancelAllOrdersAfter")
_TRUE = (True, "true", "True")
_INVALID_TOKEN = "EAPI:Invalid token"
_ID_CHARACTERS = string.ascii_uppercase + string.digits
_SNAPSHOT_TRADES = 50


class _Token:
    __slots__ = ("account", "issued_at", "used", "revoked")

    def __init__(self, account: Account, issued_at: float) -> None:
        self.account = account
        self.issued_at = issued_at
        self.used = False
        self.revoked = False


class _PrivateSubscription:
    """One ``openOrders`` or ``ownTrades`` subscription of one connection."""

    def __init__(self, connection: EmulatorConnection, channel: str, account: Account, token: str,
                 rate_counter: bool, sequence_skips: Counter[str] | None = None) -> None:
        self.connection = connection
        self.channel = channel
        self.account = account
        self.token = token
        self.rate_counter = rate_counter
        self.sequence = 0
        self.consolidate_taker = True
        self._skips = sequence_skips if sequence_skips is not None else Counter()

    def frame(self, payload: list[Any]) -> str:
        self.sequence += 1
        if self.sequence > 1 and self._skips[self.channel] > 0:  # fault: a push went missing
            self._skips[self.channel] -= 1
            self.sequence += 1
        return _dumps([payload, self.channel, {"sequence": self.sequence}])


class TradingEngine:
    """Accounts, tokens, private subscriptions and the matching engine of one emulator.

    Args:
        server: the emulator (threads, change notification).
        seed: seed of keys, tokens, ids and the trading books.
        pair_specs: the pairs the emulator knows.
        system_status: returns the engine state (``online``, ``cancel_only`` ...).
        token_lifetime: seconds an unused token stays valid (Kraken: 900).
        rate_limit: the trading rate counter's ceiling per pair, or ``None`` for no limit.
        balances: balances of the default account; ``None``: ``DEFAULT_BALANCES``.
    """

    def __init__(self, server: EmulatorServer, *, seed: Any, pair_specs: dict[str, _PairSpec],
                 system_status: Callable[[], str], token_lifetime: float, rate_limit: int | None,
                 balances: dict[str, Any] | None) -> None:
        self._server = server
        self._seed = seed
        self._pair_specs = pair_specs
        self._system_status = system_status
        self.token_lifetime = token_lifetime
        self.rate_limit = rate_limit
        self.lock = threading.RLock()
        self._rng = random.Random(f"{seed}:trading")
        self._books: dict[str, Liquidity] = {}
        self.accounts: dict[str, Account] = {}
        self._tokens: dict[str, _Token] = {}
        self._subscriptions: dict[tuple[int, str], _PrivateSubscription] = {}
        self.order_refusals: deque[str] = deque()
        self.token_refusals: deque[str] = deque()
        self.withheld: Counter[str] = Counter()
        self.sequence_skips: Counter[str] = Counter()
        self.tokens_issued: list[str] = []
        self._timers: list[tuple[float, int, str, Any]] = []
        self._timer_ids = itertools.count()
        self._timer_cond = threading.Condition()  # guards _timers, _timer_started, _stopped
        self._timer_started = False
        self._stopped = False
        self.default_account = self.add_account(balances)

    # -- accounts and tokens ------------------------------------------------------------

    def add_account(self, balances: dict[str, Any] | None = None) -> Account:
        with self.lock:
            key = base64.b64encode(self._rng.randbytes(42)).decode("ascii")
            secret = base64.b64encode(self._rng.randbytes(64)).decode("ascii")
            amounts = {asset: Decimal(str(amount)) for asset, amount in (balances or DEFAULT_BALANCES).items()}
            account = self.accounts[key] = Account(key, secret, amounts)
            return account

    def account(self, credentials: Credentials | None) -> Account:
        if credentials is None:
            return self.default_account
        account = self.accounts.get(credentials.key)
        if account is None:
            raise KeyError("no such account in this emulator")
        return account

    def issue_token(self, path: str, headers: dict[str, str], form: Form) -> tuple[int, dict[str, Any]]:
        """Answer ``POST /0/private/GetWebSocketsToken`` (§6.1, §6.2): key, then signature,
        then nonce (a refused signature uses up no nonce)."""
        try:
            return self._issue_token(path, headers, form)
        finally:
            self._server.notify_changed()

    def _issue_token(self, path: str, headers: dict[str, str], form: Form) -> tuple[int, dict[str, Any]]:
        if path != TOKEN_PATH:
            return 404, {"error": ["EGeneral:Unknown method"]}
        with self.lock:
            account = self.accounts.get(headers.get("api-key", ""))
            if account is None:
                return 200, {"error": ["EAPI:Invalid key"]}
            if not signature_matches(path, form, headers.get("api-sign", ""), account.secret):
                return 200, {"error": ["EAPI:Invalid signature"]}
            nonce = form.fields.get("nonce", "")
            if not nonce.isdigit() or int(nonce) <= account.last_nonce:
                return 200, {"error": ["EAPI:Invalid nonce"]}
            account.last_nonce = int(nonce)
            if self.token_refusals:
                return 200, {"error": [self.token_refusals.popleft()]}
            token = base64.b64encode(self._rng.randbytes(32)).decode("ascii").rstrip("=")
            token = token.replace("+", "A").replace("/", "B")
            self._tokens[token] = _Token(account, time.monotonic())
            self.tokens_issued.append(token)
        return 200, {"error": [], "result": {"token": token, "expires": int(self.token_lifetime)}}

    def revoke_tokens(self) -> None:
        with self.lock:
            for token in self._tokens.values():
                token.revoked = True

    def _account_for(self, token: Any) -> Account | None:
        entry = self._tokens.get(token) if isinstance(token, str) else None
        if entry is None or entry.revoked:
            return None
        if not entry.used and time.monotonic() - entry.issued_at > self.token_lifetime:
            return None
        return entry.account

    # -- private channels (§7) ----------------------------------------------------------

    def subscribe(self, connection: EmulatorConnection, request: dict[str, Any], echo: dict[str, Any],
                  unsubscribe: bool, refusal: str | None) -> None:
        subscription = request["subscription"]
        name = subscription["name"]
        reply_subscription = {"name": name}

        def error(message: str) -> None:
            connection.send(_dumps({"errorMessage": message, "event": "subscriptionStatus", "status": "error",
                                    "subscription": reply_subscription, **echo}))

        if "pair" in request:
            return error("Pair field unsupported for this subscription type")
        unknown = set(subscription) - {"name", "token", "snapshot", "ratecounter", "consolidate_taker"}
        if unknown:
            return error("Subscription object unsupported field")
        token = subscription.get("token")
        with self.lock:
            account = self._account_for(token)
            if account is None:
                return error(_INVALID_TOKEN)
            if refusal:
                return error(refusal)
            key = (connection.id, name)
            if unsubscribe:
                if self._subscriptions.pop(key, None) is None:
                    return error("Subscription Not Found")
                connection.send(_dumps({"channelName": name, "event": "subscriptionStatus",
                                        "status": "unsubscribed", "subscription": reply_subscription, **echo}))
                return None
            if key in self._subscriptions:
                return error("Already subscribed")
            self._tokens[token].used = True  # a used token stays valid (§6.1)
            rate_counter = subscription.get("ratecounter") in _TRUE
            if rate_counter:
                reply_subscription["maxratecount"] = self.rate_limit or 0
            sub = _PrivateSubscription(connection, name, account, token, rate_counter, self.sequence_skips)
            sub.consolidate_taker = subscription.get("consolidate_taker", True) not in (False, "false", "False")
            connection.send(_dumps({"channelName": name, "event": "subscriptionStatus", "status": "subscribed",
                                    "subscription": reply_subscription, **echo}))
            if name == "openOrders":
                payload = [{order.txid: order.full()} for order in account.open_orders()]
                connection.send(sub.frame(self._with_rate(sub, payload)))
            elif subscription.get("snapshot", True) not in (False, "false", "False"):
                connection.send(sub.frame([{tid: fields} for tid, fields in account.trades[-_SNAPSHOT_TRADES:]]))
            self._subscriptions[key] = sub
        self._server.notify_changed()
        return None

    def subscription_list(self) -> list[dict[str, Any]]:
        with self.lock:
            return [{"channel": s.channel, "token": s.token, "connection": s.connection.id,
                     "rate_counter": s.rate_counter, "consolidate_taker": s.consolidate_taker}
                    for s in self._subscriptions.values()]

    def subscribed(self, connection: EmulatorConnection) -> bool:
        """Whether ``connection`` has a private subscription (it then gets heartbeats, §4.2).

        Lock-free on purpose: the public side asks while holding a connection's send lock,
        and the engine sends while holding its own lock (``list(dict)`` is atomic).
        """
        return any(key[0] == connection.id for key in list(self._subscriptions))

    def connection_closed(self, connection: EmulatorConnection) -> None:
        with self.lock:
            for key in [k for k in self._subscriptions if k[0] == connection.id]:
                del self._subscriptions[key]

    def _with_rate(self, sub: _PrivateSubscription, payload: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if not sub.rate_counter or sub.channel != "openOrders":
            return payload
        now = time.monotonic()
        result = []
        for item in payload:
            (txid, fields), = item.items()
            order = sub.account.orders.get(txid)
            count = round(sub.account.rate_count(order.pair, now)) if order else 0
            result.append({txid: {**fields, "ratecount": count}})
        return result

    def _push(self, account: Account, channel: str, payload: list[dict[str, Any]]) -> None:
        for sub in list(self._subscriptions.values()):
            if sub.account is account and sub.channel == channel:
                sub.connection.send(sub.frame(self._with_rate(sub, payload)))

    # -- trading (§8) ------------------------------------------------------------------

    def trade(self, connection: EmulatorConnection, event: str, request: dict[str, Any],
              echo: dict[str, Any]) -> None:
        """Answer one trading request on ``/auth`` and push what it changed."""
        handler = {"addOrder": self._add_order, "cancelOrder": self._cancel_order, "cancelAll": self._cancel_all,
                   "cancelAllOrdersAfter": self._cancel_after}.get(event)
        with self.lock:
            withhold = self.withheld[event] > 0
            if withhold:
                self.withheld[event] -= 1
            account = self._account_for(request.get("token"))
            pushes: list[tuple[str, list[dict[str, Any]]]] = []
            if account is None:
                replies = [{"errorMessage": _INVALID_TOKEN, "status": "error"}]
            elif handler is None:
                replies = [{"errorMessage": f"EGeneral:Invalid arguments:{event} is not emulated", "status": "error"}]
            else:
                try:
                    replies = handler(account, request, pushes)
                except Refusal as refusal:
                    replies = [{"errorMessage": str(refusal), "status": "error"}]
            if not withhold:
                for reply in replies:
                    connection.send(_dumps({**reply, "event": f"{event}Status", **echo}))
            for channel, payload in pushes:
                self._push(account, channel, payload)  # type: ignore[arg-type]
        self._server.notify_changed()

    def _book(self, pair: str) -> Liquidity:
        book = self._books.get(pair)
        if book is None:
            rng = random.Random(f"{self._seed}:{pair}:trading-book")
            book = self._books[pair] = Liquidity(pair, self._pair_specs[pair], rng)
        return book

    def best_prices(self, pair: str) -> tuple[Decimal, Decimal]:
        with self.lock:
            return self._book(pair).best()

    def _txid(self, prefix: str) -> str:
        text = "".join(self._rng.choice(_ID_CHARACTERS) for _ in range(16))
        return f"{prefix}{text[:5]}-{text[5:10]}-{text[10:]}"

    def _add_order(self, account: Account, request: dict[str, Any], pushes: list[Any]) -> list[dict[str, Any]]:
        if self.order_refusals:
            raise Refusal(self.order_refusals.popleft())
        fields = parse_order(request, self._pair_specs, lambda pair: self._book(pair).reference_price())
        pair, side, kind = fields["pair"], fields["type"], fields["ordertype"]
        self._check_market_state(kind, fields)
        book = self._book(pair)
        now = time.monotonic()
        if self.rate_limit is not None and account.rate_count(pair, now) + 1 > self.rate_limit:
            raise Refusal("EOrder:Rate limit exceeded")
        order = Order("", account, pair, self._pair_specs[pair], fields)
        fills = book.plan(side, order.volume, order.price) if kind in ("market", "limit") else []
        self._check_funds(account, order, fills)
        if fields.get("validate"):
            return [{"descr": order.description_text(), "status": "ok"}]
        order.txid = self._txid("O")
        account.orders[order.txid] = order
        account.add_rate(pair, 1, now)
        reply = {"descr": order.description_text(), "status": "ok", "txid": order.txid}
        if order.client_order_id is not None:
            reply["cl_ord_id"] = order.client_order_id
        self._open(order, fills, pushes)
        return [reply]

    def _open(self, order: Order, fills: list[Fill], pushes: list[Any]) -> None:
        pushes.append(("openOrders", [{order.txid: order.full()}]))
        order.status = "open"
        pushes.append(("openOrders", [{order.txid: order.change(status="open")}]))
        if "post" in order.flags and fills:
            self._finish(order, "canceled", pushes, "Post only order")
            return
        if fills:
            self._book(order.pair).take(order.side, fills)
            self._execute(order, fills, TAKER_FEE, pushes)
        if order.is_open and (order.order_type == "market" or order.time_in_force == "IOC"):
            self._finish(order, "canceled", pushes, "Insufficient liquidity")
        elif order.is_open and order.expire_time is not None:
            self._schedule(max(0.0, order.expire_time - time.time()), "expire", order)

    def _execute(self, order: Order, fills: list[Fill], fee_rate: Decimal, pushes: list[Any]) -> None:
        """Book ``fills`` as one consolidated own trade (Kraken's ``consolidate_taker``)."""
        volume = cost = fee = notional = Decimal(0)
        for fill in fills:
            fill_cost, fill_fee = order.apply_fill(fill, fee_rate)
            volume, cost, fee = volume + fill.volume, cost + fill_cost, fee + fill_fee
            notional += fill.price * fill.volume
        trade_id = self._txid("T")
        trade: dict[str, Any] = {
            "cost": money(cost, 5), "fee": money(fee, 5), "margin": "0.00000", "ordertxid": order.txid,
            "ordertype": order.order_type, "pair": order.pair, "postxid": "TKH2SE-M7IF5-CFI7LT",
            "price": money(notional / volume, order.spec.decimals), "time": epoch_text(time.time()),
            "type": order.side, "vol": volume_text(volume),
        }
        if order.user_reference is not None:
            trade["userref"] = order.user_reference
        if order.client_order_id is not None:
            trade["cl_ord_id"] = order.client_order_id
        order.account.trades.append((trade_id, trade))
        pushes.append(("ownTrades", [{trade_id: trade}]))
        pushes.append(("openOrders", [{order.txid: order.execution()}]))
        if order.remaining <= 0:
            self._finish(order, "closed", pushes)
            if order.close:
                self._place_close(order, pushes)

    def _place_close(self, order: Order, pushes: list[Any]) -> None:
        """Place the conditional close order once its parent filled (``close[...]``, §8.1)."""
        close = order.close or {}
        fields = {"pair": order.pair, "type": "sell" if order.side == "buy" else "buy",
                  "ordertype": close["ordertype"], "volume": order.volume, "price": close.get("price"),
                  "price_text": close.get("price_text"), "price2": close.get("price2"), "refid": order.txid,
                  "userref": order.user_reference}
        child = Order(self._txid("O"), order.account, order.pair, order.spec, fields)
        order.account.orders[child.txid] = child
        book = self._book(order.pair)
        fills = book.plan(child.side, child.volume, child.price) if child.order_type in ("market", "limit") else []
        self._open(child, fills, pushes)

    def _finish(self, order: Order, status: str, pushes: list[Any], reason: str | None = None) -> None:
        order.status = status
        order.cancel_reason = reason
        order.last_updated = time.time()
        change = order.change(status=status, lastupdated=epoch_text(order.last_updated))
        if reason is not None:
            change["cancel_reason"] = reason
        pushes.append(("openOrders", [{order.txid: change}]))

    def _check_funds(self, account: Account, order: Order, fills: list[Fill]) -> None:
        book = self._book(order.pair)
        references = {pair: b.reference_price() for pair, b in self._books.items()}
        if order.side == "buy":
            asset = order.quote
            if order.order_type == "market":
                need = sum((f.price * f.volume for f in fills), Decimal(0)) * (1 + TAKER_FEE)
            else:
                need = order.volume * (order.price or book.reference_price()) * (1 + TAKER_FEE)
        elif order.leverage:
            asset, need = order.quote, order.volume * book.reference_price()
        else:
            asset, need = order.base, order.volume
        if order.leverage:
            need /= Decimal(order.leverage)
        if account.available(asset, references) < need:
            raise Refusal("EOrder:Insufficient funds")

    def _check_market_state(self, kind: str, fields: dict[str, Any]) -> None:
        state = self._system_status()
        if state == "maintenance":
            raise Refusal("EService:Unavailable")
        if state == "cancel_only":
            raise Refusal("EService:Market in cancel_only mode")
        if state == "post_only" and not (kind == "limit" and "post" in fields.get("oflags", [])):
            raise Refusal("EService:Market in post_only mode")
        if state == "limit_only" and kind != "limit":
            raise Refusal("EService:Market in limit_only mode")

    def _cancel_order(self, account: Account, request: dict[str, Any], pushes: list[Any]) -> list[dict[str, Any]]:
        txids, client_ids = request.get("txid") or [], request.get("cl_ord_id") or []
        if not isinstance(txids, list) or not isinstance(client_ids, list) or not (txids or client_ids) \
                or not all(isinstance(given, str) for given in [*txids, *client_ids]):
            raise Refusal("EGeneral:Invalid arguments:txid")
        ids = [*txids, *client_ids]
        if self._system_status() == "maintenance":
            raise Refusal("EService:Unavailable")
        replies = []
        now = time.monotonic()
        for given in ids:  # one status per id, in order (§8.3)
            matches = [o for o in account.open_orders()
                       if given in (o.txid, o.client_order_id) or given == str(o.user_reference)]
            if not matches:
                replies.append({"errorMessage": "EOrder:Unknown order", "status": "error"})
                continue
            for order in matches:
                account.add_rate(order.pair, cancel_penalty(now - order.opened_at), now)
                self._finish(order, "canceled", pushes, "User requested")
            replies.append({"status": "ok"})
        return replies

    def _cancel_all(self, account: Account, request: dict[str, Any], pushes: list[Any]) -> list[dict[str, Any]]:
        if self._system_status() == "maintenance":
            raise Refusal("EService:Unavailable")
        orders = account.open_orders()
        for order in orders:
            self._finish(order, "canceled", pushes, "User requested")
        return [{"count": len(orders), "status": "ok"}]

    def _cancel_after(self, account: Account, request: dict[str, Any], pushes: list[Any]) -> list[dict[str, Any]]:
        timeout = request.get("timeout")
        if isinstance(timeout, bool) or not isinstance(timeout, int) or timeout < 0:
            raise Refusal("EGeneral:Invalid arguments:timeout")
        account.switch_generation += 1
        now = datetime.now(UTC).replace(microsecond=0)
        reply = {"currentTime": now.strftime("%Y-%m-%dT%H:%M:%SZ"), "status": "ok", "triggerTime": "0"}
        if timeout:
            trigger = datetime.fromtimestamp(now.timestamp() + timeout, UTC)
            reply["triggerTime"] = trigger.strftime("%Y-%m-%dT%H:%M:%SZ")
            self._schedule(timeout, "switch", (account, account.switch_generation))
        return [reply]

    def fill(self, txid: str, volume: Decimal | None, price: Decimal | None) -> None:
        """Fill a resting order as maker (a counterparty arrived) and push the updates."""
        with self.lock:
            order = next((o for a in self.accounts.values() for o in a.orders.values() if o.txid == txid), None)
            if order is None or not order.is_open:
                raise KeyError(f"no open order {txid}")
            fill_volume = order.remaining if volume is None else min(volume, order.remaining)
            fill_price = price if price is not None else order.price or self._book(order.pair).reference_price()
            pushes: list[Any] = []
            self._execute(order, [Fill(fill_price, fill_volume)], MAKER_FEE, pushes)
            for channel, payload in pushes:
                self._push(order.account, channel, payload)
        self._server.notify_changed()

    # -- timers: the dead man's switch (§8.5) and order expiry ---------------------------

    def _schedule(self, delay: float, kind: str, subject: Any) -> None:
        with self._timer_cond:
            if self._stopped:
                return
            heapq.heappush(self._timers, (time.monotonic() + delay, next(self._timer_ids), kind, subject))
            if not self._timer_started:
                self._timer_started = True
                self._server._start_thread(self._timer_loop, "timers")
            self._timer_cond.notify_all()

    def _timer_loop(self) -> None:
        while True:
            with self._timer_cond:
                while not self._stopped and (not self._timers or self._timers[0][0] > time.monotonic()):
                    self._timer_cond.wait(self._timers[0][0] - time.monotonic() if self._timers else None)
                if self._stopped:
                    return
                _, _, kind, subject = heapq.heappop(self._timers)
            self._fire(kind, subject)

    def _fire(self, kind: str, subject: Any) -> None:
        with self.lock:
            pushes: list[Any] = []
            if kind == "switch":
                account, generation = subject
                if generation != account.switch_generation:
                    return  # refreshed or disarmed since
                account.switch_generation += 1  # fired: off until armed again (§8.5)
                for order in account.open_orders():
                    self._finish(order, "canceled", pushes, "Dead man's switch")
            else:
                account = subject.account
                if not subject.is_open:
                    return
                self._finish(subject, "expired", pushes)
            for channel, payload in pushes:
                self._push(account, channel, payload)
        self._server.notify_changed()

    def stop(self) -> None:
        """Stop the timer thread (the server joins it)."""
        with self._timer_cond:
            self._stopped = True
            self._timer_cond.notify_all()

