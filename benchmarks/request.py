"""Request round trip: a blocking exwire request vs a bare websocket-client send/recv.

* latency: one caller makes ``count`` requests back to back; each is timed with
  ``perf_counter`` (p50, p99). Bare: ``ws.send(frame)``, ``ws.recv()`` and
  ``json.loads`` of the reply on the caller's thread, blocking socket. exwire: the client method
  (future registered, frame sent, the reader thread parses the reply and completes
  the future, the caller wakes).
* throughput: 8 caller threads at once, ``count`` requests each. exwire: the 8
  threads share one client (one connection, replies correlated by id). Bare: each
  thread owns a websocket-client connection (the best a bare loop can do; one
  shared bare connection would need a lock around each round trip).
"""

from __future__ import annotations

import contextlib
import gc
import threading
import time
from typing import Any

from benchmarks.exchanges.base import Exchange, RequestCase
from benchmarks.measure import Window, blocking, percentile
from benchmarks.wsserver import FloodServer

__all__ = ["bare_latency", "exwire_latency", "bare_concurrent", "exwire_concurrent"]


def _connect(server: FloodServer, entry: Exchange, timeout: float) -> Any:
    import websocket

    return websocket.create_connection(server.url(entry.path), timeout=timeout, skip_utf8_validation=True,
                                       **entry.bare_options)


def _latency_result(variant: str, samples: list[float], window: Window) -> dict[str, Any]:
    return {
        "variant": variant,
        "requests": len(samples),
        "p50_us": round(percentile(samples, 0.50) * 1e6, 1),
        "p90_us": round(percentile(samples, 0.90) * 1e6, 1),
        "p99_us": round(percentile(samples, 0.99) * 1e6, 1),
        "max_us": round(max(samples) * 1e6, 1),
        "cpu_us_per_request": round(window.cpu / len(samples) * 1e6, 2),
    }


def bare_latency(server: FloodServer, entry: Exchange, case: RequestCase, count: int, warmup: int,
                 timeout: float) -> dict[str, Any]:
    ws = _connect(server, entry, timeout)
    try:
        case.bare_prepare(ws)
        request = case.bare_request
        for number in range(1, warmup + 1):
            request(ws, number)
        samples = []
        clock = time.perf_counter
        with blocking(ws, timeout):
            window = Window(server).start()
            for number in range(warmup + 1, warmup + count + 1):
                started = clock()
                request(ws, number)
                samples.append(clock() - started)
            window.stop()
    finally:
        ws.close(timeout=1)
    return _latency_result("bare", samples, window)


def exwire_latency(server: FloodServer, entry: Exchange, client_class: type, case: RequestCase, count: int,
                   warmup: int, timeout: float) -> dict[str, Any]:
    client = client_class(**entry.client_kwargs(server.url(entry.path)))
    try:
        call = case.call
        for _ in range(warmup):  # the first call also opens the connection
            call(client)
        samples = []
        clock = time.perf_counter
        window = Window(server).start()
        for _ in range(count):
            started = clock()
            call(client)
            samples.append(clock() - started)
        window.stop()
    finally:
        client.close()
    return _latency_result("exwire", samples, window)


def _run_threads(server: FloodServer, workers: list[threading.Thread], barrier: threading.Barrier,
                 total: int, variant: str, errors: list[BaseException]) -> dict[str, Any]:
    for worker in workers:
        worker.start()
    gc.collect()
    window = Window(server)
    barrier.wait()
    window.start(collect=False)
    for worker in workers:
        worker.join()
    window.stop()
    return {
        "variant": variant,
        "threads": len(workers),
        "requests": total,
        "errors": [repr(e) for e in errors[:3]],
        "seconds": round(window.wall, 6),
        "rate": round(total / window.wall, 1),
        "cpu_us_per_request": round(window.cpu / total * 1e6, 2),
    }


def bare_concurrent(server: FloodServer, entry: Exchange, case: RequestCase, threads: int, count: int,
                    timeout: float) -> dict[str, Any]:
    connections = [_connect(server, entry, timeout) for _ in range(threads)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads + 1)

    def work(ws: Any, base: int) -> None:
        barrier.wait()
        try:
            for number in range(base, base + count):
                case.bare_request(ws, number)
        except BaseException as exc:  # reported in the result
            errors.append(exc)

    try:
        with contextlib.ExitStack() as stack:
            for ws in connections:
                case.bare_prepare(ws)
                stack.enter_context(blocking(ws, timeout))
            workers = [threading.Thread(target=work, args=(ws, 1 + i * count), name=f"bench-caller-{i}")
                       for i, ws in enumerate(connections)]
            return _run_threads(server, workers, barrier, threads * count, "bare", errors)
    finally:
        for ws in connections:
            ws.close(timeout=1)


def exwire_concurrent(server: FloodServer, entry: Exchange, client_class: type, case: RequestCase, threads: int,
                      count: int, timeout: float) -> dict[str, Any]:
    client = client_class(**entry.client_kwargs(server.url(entry.path)))
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads + 1)

    def work() -> None:
        barrier.wait()
        try:
            for _ in range(count):
                case.call(client)
        except BaseException as exc:  # reported in the result
            errors.append(exc)

    try:
        case.call(client)  # open the connection outside the clock
        workers = [threading.Thread(target=work, name=f"bench-caller-{i}") for i in range(threads)]
        return _run_threads(server, workers, barrier, threads * count, "exwire", errors)
    finally:
        client.close()
