"""The CoinEx emulator's request handlers: ``server.*``, market data and account (§3-§5.16).

:class:`_RequestHandlers` is a mixin of :class:`~exwire.testing.coinex.CoinexEmulator`;
``on_message`` dispatches ``<kind>.<verb>`` to ``_on_<kind>_<verb>``. Each handler runs
under the connection's ``send_lock`` and returns ``(result, pushes)``.

Section numbers (§) refer to the protocol notes of :doc:`the CoinEx page </exchanges/coinex>`.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from exwire.testing._coinex.accounts import _order_wire
from exwire.testing._coinex.base import _CoinexBase, _Result
from exwire.testing._coinex.common import (
    _HISTORY,
    _MARKETS,
    DEPTH_LIMITS,
    KLINE_INTERVALS,
    TONCE_WINDOW_MS,
    _is_int,
    _plain,
    _Refusal,
    depth_checksum,
)
from exwire.testing._coinex.market import _Candle, _DepthSub, _Session
from exwire.testing._server import EmulatorConnection


class _RequestHandlers(_CoinexBase):
    """The ``_on_*`` request handlers of :class:`CoinexEmulator` (a mixin)."""

    # -- server.* (§3, §4, §5.1, §5.2) --------------------------------------------------------------

    def _on_server_ping(self, connection: EmulatorConnection, session: _Session, params: list[Any]) -> _Result:
        return "pong", ()

    def _on_server_time(self, connection: EmulatorConnection, session: _Session, params: list[Any]) -> _Result:
        return int(time.time()), ()

    def _on_server_sign(self, connection: EmulatorConnection, session: _Session, params: list[Any]) -> _Result:
        if len(params) != 3 or not isinstance(params[0], str) or not isinstance(params[1], str) \
                or not _is_int(params[2]):
            raise _Refusal(1)
        access_id, authorisation, tonce = params
        with self._faults_lock:
            refusal = self._sign_refusals.popleft() if self._sign_refusals else None
        if refusal is not None:
            raise _Refusal(11, refusal)
        with self._engine_lock:
            account = self._accounts.get(access_id)
        if account is None:
            raise _Refusal(11, "access_id not exists")
        if abs(tonce - time.time() * 1000) > TONCE_WINDOW_MS:
            raise _Refusal(11, "tonce expired")
        text = f"access_id={access_id}&tonce={tonce}&secret_key={account.secret}"
        if authorisation != hashlib.md5(text.encode()).hexdigest().upper():
            raise _Refusal(11, "invalid signature")
        if session.user is not None and session.user != access_id:
            # §4: signing in as another user drops the order and asset subscriptions.
            session.orders, session.orders_all, session.assets = set(), False, None
        session.user = access_id
        with self._faults_lock:
            self.sign_count += 1
        return {"status": "success"}, ()

    # -- market data (§5.3-§5.12) -------------------------------------------------------------------

    def _on_state_query(self, connection: EmulatorConnection, session: _Session, params: list[Any]) -> _Result:
        if len(params) != 2 or not _is_int(params[1]) or params[1] <= 0:
            raise _Refusal(1)
        return self._market(session, self._known(params[0])).state(params[1]), ()

    def _on_state_subscribe(self, connection: EmulatorConnection, session: _Session, params: list[Any]) -> _Result:
        session.state, session.state_all = set(), False
        markets = [self._known(market) for market in params]
        session.state, session.state_all = set(markets), not markets
        names = sorted(_MARKETS) if session.state_all else sorted(session.state)
        push = {"method": "state.update", "params": [{n: self._market(session, n).state() for n in names}],
                "id": None}
        return {"status": "success"}, [push]

    def _on_state_unsubscribe(self, connection: EmulatorConnection, session: _Session, params: list[Any]) -> _Result:
        session.state, session.state_all = set(), False
        return {"status": "success"}, ()

    def _on_depth_query(self, connection: EmulatorConnection, session: _Session, params: list[Any]) -> _Result:
        if len(params) != 3:
            raise _Refusal(1)
        market = self._market(session, self._known(params[0]))
        limit = params[1] if params[1] in DEPTH_LIMITS and _is_int(params[1]) else 20  # §5.5: falls back to 20
        merge = market.merge(params[2]) if isinstance(params[2], str) else None
        if merge is None:
            raise _Refusal(1, f"invalid argument, market:{market.name} limit:{params[1]} interval:{params[2]}, "
                              "please check your parameters")
        bids, asks = market.view(limit, merge)
        return {"asks": asks, "bids": bids, "last": market.price(market.last), "time": int(time.time() * 1000),
                "checksum": depth_checksum(bids, asks)}, ()

    def _on_depth_subscribe(self, connection: EmulatorConnection, session: _Session, params: list[Any]) -> _Result:
        session.depth = {}
        return self._install_depth(session, [params])

    def _on_depth_subscribe_multi(self, connection: EmulatorConnection, session: _Session, params: list[Any]) -> _Result:
        session.depth = {}
        entries = [entry for entry in params if not (isinstance(entry, list) and entry and entry[0] == "")]
        if not entries:
            raise _Refusal(1)
        return self._install_depth(session, entries)

    def _install_depth(self, session: _Session, entries: list[Any]) -> _Result:
        subs: dict[str, _DepthSub] = {}
        for entry in entries:
            if not isinstance(entry, list) or len(entry) not in (3, 4):
                raise _Refusal(1)
            name, limit, interval, *diff = entry
            market = self._market(session, self._known(name))
            merge = market.merge(interval) if isinstance(interval, str) else None
            bad_diff = bool(diff) and not isinstance(diff[0], bool)
            if not _is_int(limit) or limit not in DEPTH_LIMITS or merge is None or bad_diff:
                raise _Refusal(1, f"invalid argument, market:{name} limit:{limit} interval:{interval}, "
                                  "please check your parameters")
            subs[market.name] = _DepthSub(limit, interval, merge, diff[0] if diff else True)
        session.depth = subs
        now = time.monotonic()
        pushes = [self._depth_push(session.markets[name], sub, now, clean=True) for name, sub in subs.items()]
        return {"status": "success"}, [push for push in pushes if push is not None]

    def _on_depth_unsubscribe(self, connection: EmulatorConnection, session: _Session, params: list[Any]) -> _Result:
        session.depth = {}
        return {"status": "success"}, ()

    _on_depth_unsubscribe_multi = _on_depth_unsubscribe

    def _on_deals_query(self, connection: EmulatorConnection, session: _Session, params: list[Any]) -> _Result:
        if len(params) != 3 or not _is_int(params[1]) or not 0 < params[1] <= _HISTORY \
                or not _is_int(params[2]) or params[2] < 0:
            raise _Refusal(1)
        market = self._market(session, self._known(params[0]))
        trades = [t for t in market.history if t["id"] > params[2]] if params[2] else list(market.history)
        return trades[: params[1]], ()

    def _on_deals_subscribe(self, connection: EmulatorConnection, session: _Session, params: list[Any]) -> _Result:
        session.deals = set()
        markets = [self._known(market) for market in params] or sorted(_MARKETS)
        session.deals = set(markets)
        pushes = [{"method": "deals.update", "params": [name, list(self._market(session, name).history)[:100]],
                   "id": None} for name in sorted(session.deals)]
        return {"status": "success"}, pushes

    def _on_deals_unsubscribe(self, connection: EmulatorConnection, session: _Session, params: list[Any]) -> _Result:
        session.deals = set()
        return {"status": "success"}, ()

    def _on_kline_query(self, connection: EmulatorConnection, session: _Session, params: list[Any]) -> _Result:
        if len(params) != 4 or not all(_is_int(p) for p in params[1:]) or params[3] not in KLINE_INTERVALS:
            raise _Refusal(1)
        market = self._market(session, self._known(params[0]))
        start, end = params[1], min(params[2], int(time.time()))
        if start > end:
            raise _Refusal(1)
        return market.candles(start, end, params[3], self.seed), ()

    def _on_kline_subscribe(self, connection: EmulatorConnection, session: _Session, params: list[Any]) -> _Result:
        session.kline = None
        if len(params) != 2 or not _is_int(params[1]) or params[1] not in KLINE_INTERVALS:
            raise _Refusal(1)
        market = self._market(session, self._known(params[0]))
        session.kline = (market.name, _Candle(market, params[1]))
        return {"status": "success"}, ()  # §5.12: no snapshot on subscribe

    def _on_kline_unsubscribe(self, connection: EmulatorConnection, session: _Session, params: list[Any]) -> _Result:
        session.kline = None
        return {"status": "success"}, ()

    # -- account (§5.13-§5.16) ------------------------------------------------------------------------

    def _on_asset_query(self, connection: EmulatorConnection, session: _Session, params: list[Any]) -> _Result:
        if not all(isinstance(asset, str) for asset in params):
            raise _Refusal(1)
        with self._engine_lock:
            account = self._account(session.user)
            assets = params or sorted(account.balances)
            return {asset: {"available": _plain(account.balance(asset)[0]),
                            "frozen": _plain(account.balance(asset)[1])} for asset in assets}, ()

    def _on_asset_subscribe(self, connection: EmulatorConnection, session: _Session, params: list[Any]) -> _Result:
        if not all(isinstance(asset, str) for asset in params):
            session.assets = None
            raise _Refusal(1)
        session.assets = set(params)
        return {"status": "success"}, ()

    def _on_asset_unsubscribe(self, connection: EmulatorConnection, session: _Session, params: list[Any]) -> _Result:
        session.assets = None
        return {"status": "success"}, ()

    def _on_order_query(self, connection: EmulatorConnection, session: _Session, params: list[Any]) -> _Result:
        if len(params) != 4 or not all(_is_int(p) for p in params[1:]) or params[1] not in (0, 1, 2) \
                or params[2] < 0 or params[3] <= 0:
            raise _Refusal(1)
        market, side, offset, limit = self._known(params[0]), params[1], params[2], min(params[3], 100)
        with self._engine_lock:
            orders = [o for o in self._orders.values() if o["access_id"] == session.user and o["market"] == market
                      and not o["finished"] and side in (0, o["side"])]
            orders.sort(key=lambda o: o["id"], reverse=True)
            records = [_order_wire(o, _MARKETS[market]) for o in orders[offset: offset + limit]]
        return {"limit": limit, "offset": offset, "total": len(orders), "records": records}, ()

    def _on_order_subscribe(self, connection: EmulatorConnection, session: _Session, params: list[Any]) -> _Result:
        session.orders, session.orders_all = set(), False
        markets = [self._known(market) for market in params]
        session.orders, session.orders_all = set(markets), not markets
        return {"status": "success"}, ()

    def _on_order_unsubscribe(self, connection: EmulatorConnection, session: _Session, params: list[Any]) -> _Result:
        session.orders, session.orders_all = set(), False
        return {"status": "success"}, ()
