"""The peers' common flood: Binance market-stream ``trade`` events from the benchmark server.

:class:`BinanceStreamHandler` answers like Binance's market-stream endpoint on any
path: ``/ws/<stream>[/<stream>…]`` (raw: bare payloads), ``/stream?streams=a/b``
(combined: ``{"stream", "data"}`` envelopes), and ``/ws`` or ``/stream`` with live
``SUBSCRIBE`` requests answered ``{"result": null, "id": …}``. It records the
subscribed streams in ``connection.state["streams"]`` and the envelope in
``connection.state["combined"]``; :func:`trade_flood` builds a flood in the
connection's own format, so every client reads the events it asked for.
"""

from __future__ import annotations

import functools
import json
import random
import threading
from urllib.parse import parse_qs, urlsplit

from benchmarks.wsserver import Handler, ServerConnection, encode_flood

__all__ = ["BinanceStreamHandler", "trade_flood", "wait_subscribed", "SYMBOL"]

SYMBOL = "BTCUSDT"
STREAM = "btcusdt@trade"
_DISTINCT = 1000


class BinanceStreamHandler(Handler):
    """One market-stream connection (see the module docstring)."""

    def __init__(self, path: str) -> None:
        self.path = path

    def on_open(self, connection: ServerConnection) -> None:
        parts = urlsplit(self.path)
        route = parts.path.rstrip("/")
        state = connection.state
        state["combined"] = "/stream" in route
        state["streams"] = set()
        state["subscribed"] = threading.Event()
        streams: list[str] = []
        if "/ws/" in route + "/":
            streams = [s for s in route.split("/ws", 1)[1].split("/") if "@" in s]
        streams += [s for value in parse_qs(parts.query).get("streams", []) for s in value.split("/") if s]
        if streams:
            state["streams"].update(s.lower() for s in streams)
            state["subscribed"].set()

    def on_message(self, connection: ServerConnection, message: str | bytes) -> None:
        try:
            request = json.loads(message)
        except ValueError:
            return
        if not isinstance(request, dict):
            return
        method = request.get("method")
        result = None
        if method == "SUBSCRIBE":
            connection.state["streams"].update(str(s).lower() for s in request.get("params") or [])
        elif method == "UNSUBSCRIBE":
            connection.state["streams"].difference_update(str(s).lower() for s in request.get("params") or [])
        elif method == "LIST_SUBSCRIPTIONS":
            result = sorted(connection.state["streams"])
        connection.send(json.dumps({"result": result, "id": request.get("id")}, separators=(",", ":")))
        if method == "SUBSCRIBE":
            connection.state["subscribed"].set()


@functools.cache
def _events() -> tuple[dict, ...]:
    rng = random.Random(16)
    events = []
    for number in range(_DISTINCT):
        events.append({"e": "trade", "E": 1700000000000 + number, "s": SYMBOL, "t": 1_000_000 + number,
                       "p": f"{rng.randrange(20000, 30000)}.{rng.randrange(100):02d}000000",
                       "q": f"0.{rng.randrange(10**8):08d}", "T": 1700000000000 + number,
                       "m": rng.random() < 0.5, "M": True})
    return tuple(events)


@functools.cache
def trade_flood(count: int, combined: bool) -> bytes:
    """``count`` ``btcusdt@trade`` events, pre-encoded, raw or in combined envelopes (cached)."""
    events = _events()
    dumps = functools.partial(json.dumps, separators=(",", ":"))
    if combined:
        texts = [dumps({"stream": STREAM, "data": event}) for event in events]
    else:
        texts = [dumps(event) for event in events]
    return encode_flood(texts[i % _DISTINCT] for i in range(count))


def wait_subscribed(connection: ServerConnection, timeout: float) -> None:
    """Block until the connection subscribed ``btcusdt@trade`` (by path or ``SUBSCRIBE``).

    Raises:
        TimeoutError: it did not in time.
    """
    if not connection.state["subscribed"].wait(timeout) or STREAM not in connection.state["streams"]:
        raise TimeoutError(f"no subscription to {STREAM} (streams: {sorted(connection.state['streams'])})")
