"""The ``peers`` section: exwire, the bare loop and every installed peer on one Binance trade flood.

Per round and variant, a fresh connection of the variant subscribes ``btcusdt@trade``
on the in-process :class:`~benchmarks.wsserver.FloodServer`
(:class:`~benchmarks.peers.server.BinanceStreamHandler`); once the server saw the
subscription, the same pre-encoded flood of N trade events (in the envelope the
variant asked for) goes out in one ``sendall``. The clock runs from the flood to the
N-th message handed to the variant's user (a counting callback), or to the last one
when the variant stops delivering (its drops: sent − delivered).

* ``bare``: websocket-client on ``/stream?streams=btcusdt@trade``, blocking socket,
  ``recv()`` + ``json.loads`` on the calling thread: the reference of every ratio;
* each :data:`benchmarks.peers.PEERS` entry that is installed (the others are skipped).

Threads added: the process's OS threads while subscribed, less those before the
variant started.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from typing import Any

from benchmarks.measure import Window, blocking, os_threads
from benchmarks.peers import PEERS, Peer
from benchmarks.peers.base import loopback_only
from benchmarks.peers.server import STREAM, trade_flood, wait_subscribed
from benchmarks.wsserver import FloodServer

__all__ = ["bare_run", "peer_run", "available"]

_IDLE = 3.0  # seconds without a message: the variant stopped delivering


def available(names: tuple[str, ...] = ()) -> tuple[list[Peer], list[tuple[Peer, str]]]:
    """(the peers that can run, (peer, reason) for the others); ``names`` limits the set."""
    ready, skipped = [], []
    for peer in PEERS:
        if names and peer.name not in names:
            continue
        reason = peer.missing()
        if reason:
            skipped.append((peer, reason))
        else:
            ready.append(peer)
    return ready, skipped


def _result(variant: str, count: int, delivered: int, window: Window, **extra: Any) -> dict[str, Any]:
    wall = window.wall if window.wall > 0 else float("nan")
    return {"variant": variant, "sent": count, "delivered": delivered, "dropped": count - delivered,
            "seconds": round(window.wall, 6), "rate": round(delivered / wall, 1) if delivered else 0.0,
            "cpu_us_per_msg": round(window.cpu / delivered * 1e6, 2) if delivered else None, **extra}


def bare_run(server: FloodServer, count: int, timeout: float) -> dict[str, Any]:
    """websocket-client ``recv()`` + ``json.loads`` of ``count`` combined frames on this thread."""
    import websocket

    before = os_threads()
    mark = server.mark()
    ws = websocket.create_connection(server.url(f"/stream?streams={STREAM}"), timeout=timeout,
                                     skip_utf8_validation=True)
    try:
        connection = server.connection_after(mark, timeout)
        wait_subscribed(connection, timeout)
        blob = trade_flood(count, True)
        added = os_threads() - before
        recv, loads = ws.recv, json.loads
        with blocking(ws, timeout):
            window = Window(server).start()
            connection.flood(blob)
            for _ in range(count):
                loads(recv())
            window.stop()
    finally:
        ws.close(timeout=1)
    return _result("bare", count, count, window, threads_added=added)


def peer_run(server: FloodServer, peer: Peer, count: int, timeout: float) -> dict[str, Any]:
    """One run of ``peer``: subscribe, flood ``count`` trades, count what reaches the callback."""
    done = threading.Event()
    counters = [itertools.count(1)]
    seen = [0]
    last = [0.0]
    perf_counter = time.perf_counter

    def on_message(_message: Any) -> None:
        number = seen[0] = next(counters[0])
        last[0] = perf_counter()
        if number == count:
            done.set()

    before = os_threads()
    mark = server.mark()
    with loopback_only():
        stop = peer.start(server.url("").rstrip("/"), on_message)
        try:
            connection = server.connection_after(mark, timeout)
            wait_subscribed(connection, timeout)
            time.sleep(0.05)  # let the subscription's reply reach the peer before the flood
            added = os_threads() - before
            blob = trade_flood(count, connection.state["combined"])
            if seen[0]:
                raise RuntimeError(f"{peer.name} delivered {seen[0]} message(s) before the flood")
            counters[0], seen[0] = itertools.count(1), 0
            window = Window(server).start()
            started = perf_counter()
            connection.flood(blob)
            progress, stalled_since = -1, perf_counter()
            while not done.wait(0.25):
                now = perf_counter()
                if seen[0] != progress:
                    progress, stalled_since = seen[0], now
                elif now - stalled_since > _IDLE or now - started > timeout:
                    break
            finished = done.is_set()
            window.stop(last[0] if last[0] > started else None)
            delivered = count if finished else seen[0]
        finally:
            stop()
    result = _result(peer.name, count, delivered, window, threads_added=added, envelope=peer.envelope,
                     typed=peer.typed, timed_out=not finished)
    if not finished:  # the CPU window ran on through the idle wait: no per-message figure
        result["cpu_us_per_msg"] = None
    return result
