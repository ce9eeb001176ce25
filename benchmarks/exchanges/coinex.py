"""CoinEx WebSocket v1 (``reference/protocols/coinex.md``): server side, frames, adapters.

The server answers the JSON-RPC-like requests of §2 echoing ``id``: ``server.time``
(§5.2), ``server.ping`` (§5.1), and every ``*.subscribe`` with ``{"status":"success"}``
(§2.2). The flood is ``depth.update`` pushes (§5.6): a clean snapshot of 20 levels,
then incremental updates, each with the CRC-32 checksum of §5.7 computed over the
truncated book, so a checksum-validating client accepts every one.
"""

from __future__ import annotations

import functools
import json
import random
import time
import zlib
from collections.abc import Sequence
from typing import Any

from benchmarks.exchanges.base import Exchange, RequestCase, StreamCase, call_with_defaults
from benchmarks.wsserver import Handler, ServerConnection

__all__ = ["ENTRY", "depth_frames"]

_DISTINCT = 1000
_LIMIT = 20
_MARKET = "BTCUSDT"


class CoinexHandler(Handler):
    """CoinEx v1: replies ``{"error": null, "result": …, "id": …}`` (§2.2)."""

    def on_message(self, connection: ServerConnection, message: str | bytes) -> None:
        request = json.loads(message)
        method = request.get("method", "")
        if method == "server.time":
            result: Any = int(time.time())
        elif method == "server.ping":
            result = "pong"
        elif method.endswith("subscribe") or method.endswith("_multi") or method == "server.sign":
            result = {"status": "success"}
        else:
            result = {"status": "success"}
        connection.send(json.dumps({"error": None, "result": result, "id": request.get("id")},
                                   separators=(",", ":")))


def _amount(rng: random.Random) -> str:
    return f"{rng.randrange(1, 50)}.{rng.randrange(10**8):08d}"


def _price(units: int) -> str:
    return f"{units // 100}.{units % 100:02d}"


def _checksum(bids: dict[int, str], asks: dict[int, str]) -> int:
    parts = [f"{_price(p)}:{bids[p]}" for p in sorted(bids, reverse=True)[:_LIMIT]]
    parts += [f"{_price(p)}:{asks[p]}" for p in sorted(asks)[:_LIMIT]]
    return zlib.crc32(":".join(parts).encode("ascii"))


@functools.cache
def _pushes() -> list[str]:
    """A cycle of depth.update pushes: a clean snapshot first, then diffs (§5.6)."""
    rng = random.Random(5)
    mid = 4635000
    asks = {mid + 1 + i: _amount(rng) for i in range(_LIMIT)}
    bids = {mid - i: _amount(rng) for i in range(_LIMIT)}
    pushes = []
    for number in range(_DISTINCT):
        clean = number == 0
        if clean:
            depth: dict[str, Any] = {"asks": [[_price(p), asks[p]] for p in sorted(asks)],
                                     "bids": [[_price(p), bids[p]] for p in sorted(bids, reverse=True)]}
        else:
            depth = {}
            for side, book in (("asks", asks), ("bids", bids)):
                if rng.random() < 0.4:
                    continue
                changes = []
                for _ in range(rng.choice((1, 1, 2, 3))):
                    best = min(asks) if side == "asks" else max(bids)
                    price = best + rng.randrange(0, 25) * (1 if side == "asks" else -1)
                    if price in book and rng.random() < 0.3 and len(book) > 3:
                        del book[price]
                        changes.append([_price(price), "0"])
                    else:
                        book[price] = _amount(rng)
                        changes.append([_price(price), book[price]])
                ordered = sorted(book) if side == "asks" else sorted(book, reverse=True)
                for price in ordered[_LIMIT:]:  # out of the top `limit`: sent as "0" (§5.6)
                    del book[price]
                    changes.append([_price(price), "0"])
                depth[side] = changes
            if not depth:
                best = min(asks)
                asks[best] = _amount(rng)
                depth["asks"] = [[_price(best), asks[best]]]
        depth.update(last=_price(mid), time=1639987469166 + number, checksum=_checksum(bids, asks))
        pushes.append(json.dumps({"method": "depth.update", "params": [clean, depth, _MARKET], "id": None},
                                 separators=(",", ":")))
    return pushes


def depth_frames(count: int, symbols: Sequence[str], connection: ServerConnection | None = None) -> list:
    pushes = _pushes()
    return [pushes[i % _DISTINCT] for i in range(count)]


def _subscribe(client: Any, symbols: Sequence[str], callback: Any) -> Any:
    return call_with_defaults(client.subscribe_to_order_book_updates, symbols[0], callback=callback,
                              defaults={"limit": _LIMIT, "merge_depth": "0", "interval": "0", "depth": _LIMIT})


def _bare_prepare(ws: Any, symbols: Sequence[str] = ()) -> None:
    """Nothing to read: CoinEx sends nothing unasked."""


def _bare_time(ws: Any, number: int) -> Any:
    ws.send('{"method":"server.time","params":[],"id":%d}' % number)
    return json.loads(ws.recv())


ENTRY = Exchange(
    name="coinex",
    module="exwire.coinex",
    client=("exwire.coinex.client", "CoinexClient"),
    handler=lambda path: CoinexHandler(),
    client_kwargs=lambda url: {"url": url},
    streams=(
        StreamCase("depth.update", ("subscribe_to_order_book_updates",), depth_frames, _subscribe, _bare_prepare,
                   json.loads, (_MARKET,)),
    ),
    requests=(
        RequestCase("server.time", ("get_server_time",), lambda client: client.get_server_time(),
                    _bare_prepare, _bare_time),
    ),
)
