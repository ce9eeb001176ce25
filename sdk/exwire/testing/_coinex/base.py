"""What the CoinEx emulator's mixins share: its state, declared once, and the helpers
both the request handlers (:mod:`.api`) and the account controls (:mod:`.accounts`) use.

:class:`_CoinexBase` is the common base of those mixins; :class:`CoinexEmulator`
(:mod:`.emulator`) sets every attribute declared here in its constructor.
"""

from __future__ import annotations

import collections
import itertools
import random
import threading
import time
from collections.abc import Sequence
from typing import Any

from exwire.errors import ConfigurationError
from exwire.testing._coinex.common import _MARKETS, _Refusal, depth_checksum
from exwire.testing._coinex.market import _Account, _DepthSub, _diff, _Market, _Session
from exwire.testing._server import EmulatorServer

#: A request handler's answer: the ``result`` and the pushes that follow the reply.
_Result = tuple[Any, Sequence[dict[str, Any]]]


class _CoinexBase(EmulatorServer):
    """The CoinEx emulator's shared state and helpers (see :class:`CoinexEmulator`)."""

    seed: int
    push_interval: float | None
    clean_interval: float
    sign_count: int
    _history: dict[str, list[dict[str, Any]]]
    _engine_lock: threading.Lock  # guards accounts and orders; never held while sending
    _accounts: dict[str, _Account]
    _default_access_id: str
    _orders: dict[int, dict[str, Any]]
    _order_ids: itertools.count[int]
    _own_trade_ids: itertools.count[int]
    _faults_lock: threading.Lock  # guards the fault queues and the request log
    _sign_refusals: collections.deque[str]
    _failures: dict[str, collections.deque[tuple[int, str]]]
    _corruptions: int
    _log: collections.deque[tuple[int, str, list[Any]]]

    def _known(self, market: object) -> str:
        if not isinstance(market, str) or market not in _MARKETS:
            raise _Refusal(1)
        return market

    def _market(self, session: _Session, name: str) -> _Market:
        market = session.markets.get(name)
        if market is None:
            rng = random.Random(f"{self.seed}:{name}")
            market = session.markets[name] = _Market(name, _MARKETS[name], rng, self._history.get(name))
        return market

    def _account(self, access_id: str | None) -> _Account:
        account = self._accounts.get(access_id or "")
        if account is None:
            raise ConfigurationError(f"unknown access id {access_id!r}")
        return account

    def _take_corruption(self) -> bool:
        with self._faults_lock:
            if self._corruptions:
                self._corruptions -= 1
                return True
            return False

    def _depth_push(self, market: _Market, sub: _DepthSub, now: float, *, clean: bool) -> dict[str, Any] | None:
        bids, asks = market.view(sub.limit, sub.merge)
        if not clean and bids == sub.bids and asks == sub.asks:
            return None
        full = clean or not sub.diff or now - sub.last_clean >= self.clean_interval
        checksum = depth_checksum(bids, asks)
        if full:
            body: dict[str, Any] = {"asks": asks, "bids": bids}
            sub.last_clean = now
        else:
            body = {}
            changed_asks, changed_bids = _diff(sub.asks, asks, False), _diff(sub.bids, bids, True)
            if changed_asks:
                body["asks"] = changed_asks
            if changed_bids:
                body["bids"] = changed_bids
            if self._take_corruption():
                checksum = (checksum + 1) & 0xFFFFFFFF
        body.update(last=market.price(market.last), time=int(time.time() * 1000), checksum=checksum)
        sub.bids, sub.asks = bids, asks
        return {"method": "depth.update", "params": [full, body, market.name], "id": None}
