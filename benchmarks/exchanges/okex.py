"""OKEx spot WebSocket v1 (``reference/protocols/okex.md``): server side, frames, adapters.

Every server frame is a raw-deflate stream (RFC 1951, no zlib header) in a binary
WebSocket frame (§2). ``addChannel``/``removeChannel`` get the ack of §3.2, ``ping``
gets ``{"event":"pong"}`` (§7), ``login`` succeeds. The flood is ticker pushes of
``ok_sub_spot_btc_usdt_ticker`` (§5.1), each compressed on its own.
"""

from __future__ import annotations

import functools
import json
import random
import zlib
from collections.abc import Sequence
from typing import Any

from benchmarks.exchanges.base import Exchange, StreamCase, call_with_defaults
from benchmarks.wsserver import Handler, ServerConnection

__all__ = ["ENTRY", "deflate", "inflate", "ticker_frames"]

_DISTINCT = 1000
_SYMBOL = "btc_usdt"


def deflate(text: str) -> bytes:
    """One complete raw-deflate stream, as OKEx sends (§2)."""
    compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(text.encode("utf-8")) + compressor.flush()


def inflate(frame: bytes | str) -> Any:
    """The bare loop's decode: raw inflate, then ``json.loads`` (§2's decoder rule)."""
    if isinstance(frame, str):
        return json.loads(frame)
    return json.loads(zlib.decompress(frame, -zlib.MAX_WBITS))


class OkexHandler(Handler):
    """OKEx v1: channel acks, pong and login, all deflated."""

    def on_message(self, connection: ServerConnection, message: str | bytes) -> None:
        requests = json.loads(message)
        for request in requests if isinstance(requests, list) else [requests]:
            event = request.get("event")
            if event == "ping":
                connection.send(deflate('{"event":"pong"}'))
            elif event in ("addChannel", "removeChannel"):
                channel = request.get("channel")
                verb = "addChannel" if event == "addChannel" else "removeChannel"
                connection.send(deflate(json.dumps([{"binary": 1, "channel": verb,
                                                     "data": {"result": True, "channel": channel}}])))
            elif event == "login":
                connection.send(deflate('[{"binary":1,"channel":"login","data":{"result":true}}]'))


@functools.cache
def _pushes() -> list[bytes]:
    rng = random.Random(6)
    last = 2500000
    pushes = []
    for number in range(_DISTINCT):
        last += rng.randrange(-500, 501)
        data = {"high": f"{last / 100 + 300:.2f}", "vol": f"{rng.randrange(10**6)}.{rng.randrange(10**8):08d}",
                "last": f"{last / 100:.2f}", "low": f"{last / 100 - 300:.2f}", "buy": f"{last / 100 - 0.01:.2f}",
                "change": f"{rng.randrange(-500, 500) / 100:.2f}", "sell": f"{last / 100 + 0.01:.2f}",
                "dayLow": f"{last / 100 - 400:.2f}", "dayHigh": f"{last / 100 + 400:.2f}",
                "timestamp": 1500444626000 + number}
        text = json.dumps([{"binary": 1, "channel": f"ok_sub_spot_{_SYMBOL}_ticker", "data": data}],
                          separators=(",", ":"))
        pushes.append(deflate(text))
    return pushes


def ticker_frames(count: int, symbols: Sequence[str], connection: ServerConnection | None = None) -> list:
    pushes = _pushes()
    return [pushes[i % _DISTINCT] for i in range(count)]


def _subscribe(client: Any, symbols: Sequence[str], callback: Any) -> Any:
    return call_with_defaults(client.subscribe_to_ticker_updates, symbols[0], callback=callback)


def _bare_prepare(ws: Any, symbols: Sequence[str] = ()) -> None:
    """Nothing to read: OKEx sends nothing unasked."""


ENTRY = Exchange(
    name="okex",
    module="exwire.okex",
    client=("exwire.okex.client", "OkexClient"),
    handler=lambda path: OkexHandler(),
    client_kwargs=lambda url: {"url": url},
    streams=(
        StreamCase("ticker (deflate)", ("subscribe_to_ticker_updates",), ticker_frames, _subscribe, _bare_prepare,
                   inflate, (_SYMBOL,)),
    ),
)
