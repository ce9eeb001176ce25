"""Futures user data of the Binance emulator: listen keys (``userDataStream.start`` /
``ping`` / ``stop`` on the futures WebSocket APIs) and the event payloads the futures
engine pushes on the private stream: ``ORDER_TRADE_UPDATE``, ``TRADE_LITE`` (USDⓈ-M),
``ACCOUNT_UPDATE`` and ``listenKeyExpired``, shaped as Binance's "User Data Streams"
pages (USDⓈ-M and COIN-M futures) document them: money as strings, times in ms.

A listen key is per account and market: ``start`` returns the active key (extending it)
or a new one; it stays valid ``validity`` seconds after its creation or last ``ping``.
Everything here runs under the emulator's exchange lock.
"""

from __future__ import annotations

import hashlib
import itertools
import time
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from exwire.testing._binance.common import _ZERO
from exwire.testing._binance.futures_state import _fmt

if TYPE_CHECKING:
    from exwire.testing._binance.futures_state import _FuturesOrder, _Wallet

__all__ = ["ListenKeys", "order_update", "trade_lite", "account_update", "expired_event"]


class _Key:
    __slots__ = ("key", "api_key", "market", "expires", "active")

    def __init__(self, key: str, api_key: str, market: str, expires: float) -> None:
        self.key, self.api_key, self.market, self.expires, self.active = key, api_key, market, expires, True


class ListenKeys:
    """The listen keys of both futures markets.

    Args:
        validity: seconds a key lives after its creation or last ping (Binance: 3600).
    """

    def __init__(self, validity: float = 3600.0) -> None:
        self.validity = validity
        self.keys: dict[str, _Key] = {}
        self._numbers = itertools.count(1)

    def active(self, api_key: str, market: str) -> _Key | None:
        for key in self.keys.values():
            if key.active and key.api_key == api_key and key.market == market:
                return key
        return None

    def start(self, api_key: str, market: str) -> str:
        """The account's active key, extended, or a new one."""
        key = self.active(api_key, market)
        if key is None:
            text = hashlib.sha256(f"{api_key}:{market}:{next(self._numbers)}".encode()).hexdigest()
            key = self.keys[text] = _Key(text, api_key, market, 0.0)
        key.expires = time.monotonic() + self.validity
        return key.key

    def ping(self, api_key: str, market: str) -> str | None:
        """Extend the account's active key; ``None`` when it has none (Binance: ``-1125``)."""
        key = self.active(api_key, market)
        if key is None:
            return None
        key.expires = time.monotonic() + self.validity
        return key.key

    def stop(self, api_key: str, market: str) -> None:
        key = self.active(api_key, market)
        if key is not None:
            key.active = False

    def lookup(self, text: str) -> _Key | None:
        """The key named ``text`` while it is active."""
        key = self.keys.get(text)
        return key if key is not None and key.active else None

    def due(self) -> list[_Key]:
        """Keys whose time ran out: they are deactivated and returned (once)."""
        now = time.monotonic()
        expired = [key for key in self.keys.values() if key.active and key.expires <= now]
        for key in expired:
            key.active = False
        return expired


def expired_event(key: str, now: int) -> dict[str, Any]:
    """``listenKeyExpired``; ``E`` is a string, as the current documentation and live traffic send it."""
    return {"e": "listenKeyExpired", "E": str(now), "listenKey": key}


def order_update(order: _FuturesOrder, execution: str, now: int, *, last: tuple[Decimal, Decimal] = (_ZERO, _ZERO),
                 trade_id: int = 0, maker: bool = False) -> dict[str, Any]:
    """``ORDER_TRADE_UPDATE`` for one order; ``last`` is ``(quantity, price)`` of a fill."""
    contract = order.contract
    prices, quantities = contract.price_places, contract.quantity_places
    quantity, price = last
    body: dict[str, Any] = {
        "s": contract.symbol, "c": order.client_order_id, "S": order.side, "o": order.type,
        "f": order.time_in_force, "q": _fmt(order.quantity, quantities), "p": _fmt(order.price or _ZERO, prices),
        "ap": _fmt(order.average_price(), prices + 3), "sp": _fmt(order.trigger or _ZERO, prices),
        "x": execution, "X": order.status, "i": order.order_id, "l": _fmt(quantity, quantities),
        "z": _fmt(order.executed, quantities), "L": _fmt(price, prices),
    }
    if execution == "TRADE":
        body.update({"N": contract.spec.margin, "n": "0"})
    body.update({
        "T": now, "t": trade_id, "b": "0", "a": "0", "m": maker, "R": order.reduce_only,
        "wt": order.working_type, "ot": order.original_type, "ps": "BOTH", "cp": order.close_position,
        "rp": "0", "pP": order.price_protect, "si": 0, "ss": 0, "V": order.stp, "pm": order.price_match,
        "gtd": order.good_till,
    })
    if contract.inverse:
        body["ma"] = contract.spec.margin
    event: dict[str, Any] = {"e": "ORDER_TRADE_UPDATE", "E": now, "T": now}
    if contract.inverse:
        event["i"] = "emulator"
    event["o"] = body
    return event


def trade_lite(order: _FuturesOrder, quantity: Decimal, price: Decimal, trade_id: int, maker: bool,
               now: int) -> dict[str, Any]:
    """``TRADE_LITE`` (USDⓈ-M): the small fill notice sent before the full ``ORDER_TRADE_UPDATE``."""
    contract = order.contract
    prices, quantities = contract.price_places, contract.quantity_places
    return {"e": "TRADE_LITE", "E": now, "T": now, "s": contract.symbol, "q": _fmt(order.quantity, quantities),
            "p": _fmt(order.price or _ZERO, prices), "m": maker, "c": order.client_order_id, "S": order.side,
            "L": _fmt(price, prices), "l": _fmt(quantity, quantities), "t": trade_id, "i": order.order_id}


def account_update(wallet: _Wallet, order: _FuturesOrder, now: int) -> dict[str, Any]:
    """``ACCOUNT_UPDATE`` (reason ``ORDER``) with the margin balance and the position a fill changed."""
    contract = order.contract
    asset = contract.spec.margin
    balance = _fmt(wallet.balances.get(asset, _ZERO))
    position = wallet.position(contract.symbol)
    unrealized = contract.pnl(position.amount, position.entry, contract.mark)
    body: dict[str, Any] = {
        "m": "ORDER",
        "B": [{"a": asset, "wb": balance, "cw": balance, "bc": "0"}],
        "P": [{"s": contract.symbol, "pa": _fmt(position.amount, contract.quantity_places),
               "ep": _fmt(position.entry, contract.price_places + 3), "bep": _fmt(position.entry, 8),
               "cr": "0", "up": _fmt(unrealized), "mt": "cross", "iw": "0", "ps": "BOTH"}],
    }
    event: dict[str, Any] = {"e": "ACCOUNT_UPDATE", "E": now, "T": now}
    if contract.inverse:
        event["i"] = "emulator"
    event["a"] = body
    return event
