"""exwire raw: the same subscription with the client's raw delivery keyword (decoded JSON, no models).

The keyword is looked up on the client's constructor (``raw=True`` or
``delivery="raw"``); where the client has neither yet, the peer is skipped.
"""

from __future__ import annotations

import inspect
from typing import Any

from benchmarks.peers import exwire_typed
from benchmarks.peers.base import OnMessage, Peer, Stop


def raw_option() -> dict[str, Any] | None:
    """The constructor keyword that turns raw delivery on, or ``None`` when there is none."""
    try:
        from exwire._core.client import BaseClient
        from exwire.binance import BinanceClient
    except Exception:
        return None
    names: set[str] = set()
    for cls in (BinanceClient, BaseClient):
        try:
            names |= set(inspect.signature(cls.__init__).parameters)
        except (TypeError, ValueError):
            continue
    if "raw" in names:
        return {"raw": True}
    if "delivery" in names:
        return {"delivery": "raw"}
    return None


def start(root: str, on_message: OnMessage) -> Stop:
    option = raw_option()
    if option is None:
        raise RuntimeError("exwire has no raw delivery keyword")
    return exwire_typed.start(root, on_message, **option)


PEER = Peer("exwire_raw", False, ("exwire.binance",), start,
            skip=None if raw_option() is not None else "exwire's clients have no raw delivery keyword yet")
