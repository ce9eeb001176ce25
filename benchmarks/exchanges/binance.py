"""Binance WebSocket API (``reference/protocols/binance.md``): server side, frames, adapters.

The server answers every request with the §4 response envelope echoing ``id``
(``time`` → ``{"serverTime": …}``, ``session.logon`` and the user data stream
subscribe of §7 and §9.1 succeed without checking signatures). The flood is the
user data stream's event frames (§9.2, ``executionReport`` of §9.3): the WS API's
only pushed stream.
"""

from __future__ import annotations

import functools
import json
import random
import time
from collections.abc import Sequence
from typing import Any

from benchmarks.exchanges.base import Exchange, RequestCase, StreamCase, call_with_defaults, pick
from benchmarks.wsserver import Handler, ServerConnection

__all__ = ["ENTRY", "execution_report_frames"]

_DISTINCT = 1000
_USER_DATA = "subscribe_user_data_stream|subscribe_to_user_data_updates|subscribe_to_user_data_stream"


class BinanceHandler(Handler):
    """Spot WS API: every request succeeds; ids echoed verbatim (§4)."""

    def on_message(self, connection: ServerConnection, message: str | bytes) -> None:
        request = json.loads(message)
        method = request.get("method")
        params = request.get("params") or {}
        now = int(time.time() * 1000)
        if method == "time":
            result: Any = {"serverTime": now}
        elif method == "session.logon":
            result = {"apiKey": params.get("apiKey"), "authorizedSince": now, "connectedSince": now,
                      "returnRateLimits": False, "serverTime": now, "userDataStream": False}
        elif method in ("userDataStream.subscribe", "userDataStream.subscribe.signature"):
            result = {"subscriptionId": 0}
        else:  # ping, session.status, userDataStream.unsubscribe ...
            result = {}
        # The weight used this minute moves with every request, as Binance counts it (§5).
        weight = connection.state["weight"] = connection.state.get("weight", 0) + 1
        limits = [{"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000,
                   "count": weight}]
        connection.send(json.dumps({"id": request.get("id"), "status": 200, "result": result,
                                    "rateLimits": limits}, separators=(",", ":")))


@functools.cache
def _events() -> list[str]:
    rng = random.Random(4)
    events = []
    for number in range(_DISTINCT):
        price = f"{rng.randrange(20000, 30000)}.{rng.randrange(10**8):08d}"
        quantity = f"0.{rng.randrange(10**8):08d}"
        event = {"e": "executionReport", "E": 1499405658658 + number, "s": "BTCUSDT",
                 "c": f"bench{number:017d}", "S": rng.choice(("BUY", "SELL")), "o": "LIMIT", "f": "GTC",
                 "q": quantity, "p": price, "P": "0.00000000", "F": "0.00000000", "g": -1, "C": "",
                 "x": "TRADE", "X": "PARTIALLY_FILLED", "r": "NONE", "i": 4293153 + number,
                 "l": quantity, "z": quantity, "L": price, "n": "0", "N": None, "T": 1499405658657 + number,
                 "t": 1000 + number, "v": 3, "I": 8641984 + number, "w": True, "m": False, "M": False,
                 "O": 1499405658657, "Z": "0.00000000", "Y": "0.00000000", "Q": "0.00000000",
                 "W": 1499405658657, "V": "NONE"}
        events.append(json.dumps({"subscriptionId": 0, "event": event}, separators=(",", ":")))
    return events


def execution_report_frames(count: int, symbols: Sequence[str], connection: ServerConnection | None = None) -> list:
    events = _events()
    return [events[i % _DISTINCT] for i in range(count)]


def _credentials() -> Any:
    """Credentials with a fresh Ed25519 key: ``session.logon`` takes Ed25519 only (§7)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from exwire import Credentials

    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")
    return Credentials(key="bench-api-key", private_key=pem)


def _subscribe(client: Any, symbols: Sequence[str], callback: Any) -> Any:
    return call_with_defaults(pick(client, _USER_DATA), callback=callback)


def _bare_prepare(ws: Any, symbols: Sequence[str] = ()) -> None:
    """Nothing to read: the server pushes events only when told to flood."""


def _bare_time(ws: Any, number: int) -> Any:
    ws.send('{"id":%d,"method":"time"}' % number)
    return json.loads(ws.recv())


ENTRY = Exchange(
    name="binance",
    module="exwire.binance",
    client=("exwire.binance.client", "BinanceClient"),
    handler=lambda path: BinanceHandler(),
    client_kwargs=lambda url: {"url": url, "credentials": _credentials()},
    streams=(
        StreamCase("user-data", (_USER_DATA,), execution_report_frames, _subscribe, _bare_prepare, json.loads,
                   ("BTCUSDT",)),
    ),
    requests=(
        # Called directly, as the other exchanges' requests are: resolving the name per call
        # (pick) cost the exwire side about 0.3 µs of every timed request.
        RequestCase("time", ("get_spot_server_time",), lambda client: client.get_spot_server_time(),
                    _bare_prepare, _bare_time),
    ),
)
