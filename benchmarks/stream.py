"""Stream throughput: exwire typed delivery vs a bare websocket-client loop, same flood.

Per round and variant, a fresh connection receives the same pre-encoded flood of N
frames from the in-process :class:`~benchmarks.wsserver.FloodServer`:

* ``bare``: ``websocket.create_connection(..., skip_utf8_validation=True)`` on a
  blocking socket (no timeout: see :func:`benchmarks.measure.blocking`), then
  ``recv()`` + the exchange's decode (``json.loads``) N times on the calling thread;
* ``exwire``: the exwire client subscribed with a counting callback (the default
  ``drop_oldest`` overflow policy; a drop fails the target): the reader thread decodes into typed models, a
  dispatcher lane runs the callback; done when the callback saw N updates;
* ``exwire_raw``: the same with ``keep_raw=True`` (the frame text rides along);
* ``exwire_raw_delivery``: the client built with ``raw=True``: events carry the
  frames' decoded JSON, no models.

The clock starts when the flood is triggered and stops at the N-th message
decoded (bare) or delivered to the callback (exwire). Connecting, log-on and
subscribing are outside it.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Sequence
from typing import Any

from benchmarks.exchanges.base import Exchange, StreamCase
from benchmarks.measure import Window, blocking, exwire_threads
from benchmarks.wsserver import FloodServer, ServerConnection, encode_flood

__all__ = ["Flood", "bare_stream", "exwire_stream"]


class Flood:
    """Pre-encoded floods, built once per case, count and symbols (outside any timing)."""

    def __init__(self) -> None:
        self._cache: dict[Any, tuple[bytes, int]] = {}

    def get(self, case: StreamCase, count: int, symbols: Sequence[str], connection: ServerConnection) -> bytes:
        key = (id(case), count, tuple(symbols), repr(connection.state.get("subscribed")) if case.flood_key else None)
        cached = self._cache.get(key)
        if cached is None:
            messages = case.frames(count, symbols, connection)
            assert len(messages) == count, f"{case.kind}: built {len(messages)} frames, wanted {count}"
            cached = self._cache[key] = (encode_flood(messages), count)
            if len(self._cache) > 16:  # keep memory bounded across cases
                self._cache.pop(next(iter(self._cache)))
        return cached[0]


def _result(variant: str, count: int, delivered: int, window: Window, **extra: Any) -> dict[str, Any]:
    wall = window.wall if window.wall > 0 else float("nan")
    return {
        "variant": variant,
        "sent": count,
        "delivered": delivered,
        "seconds": round(window.wall, 6),
        "rate": round(delivered / wall, 1) if delivered else 0.0,
        "cpu_us_per_msg": round(window.cpu / delivered * 1e6, 2) if delivered else None,
        **extra,
    }


def bare_stream(server: FloodServer, entry: Exchange, case: StreamCase, floods: Flood, count: int,
                symbols: Sequence[str], timeout: float) -> dict[str, Any]:
    """One bare run: recv + decode ``count`` messages on this thread."""
    import websocket

    mark = server.mark()
    ws = websocket.create_connection(server.url(entry.path), timeout=timeout, skip_utf8_validation=True,
                                     **entry.bare_options)
    try:
        case.bare_prepare(ws, symbols)
        connection = server.connection_after(mark, timeout)
        blob = floods.get(case, count, symbols, connection)
        recv, decode = ws.recv, case.bare_decode
        with blocking(ws, timeout):
            window = Window(server).start()
            connection.flood(blob)
            for _ in range(count):
                decode(recv())
            window.stop()
    finally:
        ws.close(timeout=1)
    return _result("bare", count, count, window)


def exwire_stream(server: FloodServer, entry: Exchange, client_class: type, case: StreamCase, floods: Flood,
                  count: int, symbols: Sequence[str], timeout: float, *, keep_raw: bool = False,
                  raw: bool = False, subscriptions: int = 1, variant: str = "exwire") -> dict[str, Any]:
    """One exwire run: ``subscriptions`` subscriptions share the flood; done at ``count`` callbacks.

    With ``subscriptions > 1`` the symbols are split one per subscription (scale runs).
    """
    done = threading.Event()
    counter = itertools.count(1)
    stamp = [0.0]

    def callback(event: Any) -> None:
        if next(counter) == count:
            stamp[0] = time.perf_counter()
            done.set()

    mark = server.mark()
    options = {"raw": True} if raw else {}
    client = client_class(**entry.client_kwargs(server.url(entry.path)), keep_raw=keep_raw, **options)
    handles = []
    try:
        started = time.perf_counter()
        if subscriptions == 1:
            handles.append(case.subscribe(client, symbols, callback))
        else:
            for symbol in symbols:
                handles.append(case.subscribe(client, [symbol], callback))
        subscribe_seconds = time.perf_counter() - started
        connection = server.connection_after(mark, timeout)
        blob = floods.get(case, count, symbols, connection)
        threads = exwire_threads()
        window = Window(server).start()
        connection.flood(blob)
        finished = done.wait(timeout)
        window.stop(stamp[0] if finished else None)
        delivered = next(counter) - 1
        dropped = sum(handle.dropped for handle in handles)
    finally:
        client.close()
    return _result(variant, count, delivered, window, dropped=dropped, threads=len(threads),
                   thread_names=threads, subscribe_seconds=round(subscribe_seconds, 4),
                   timed_out=not finished)
