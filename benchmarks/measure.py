"""Measuring helpers: CPU, memory, threads, the alternating schedule, statistics.

CPU time is the process's ``getrusage(RUSAGE_SELF)`` user + system seconds minus
what the in-process benchmark server's own threads used (they share the process):
what is left is the client's cost, bare or exwire.
"""

from __future__ import annotations

import contextlib
import gc
import resource
import socket
import statistics
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

__all__ = [
    "blocking",
    "process_cpu",
    "rss_kb",
    "os_threads",
    "exwire_threads",
    "schedule",
    "median",
    "percentile",
    "Window",
]


def process_cpu() -> float:
    """User + system CPU seconds of the whole process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _status_field(name: str) -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(name + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def rss_kb() -> int:
    """Resident memory now, in KiB (``VmRSS``; the peak from ``getrusage`` where /proc is absent)."""
    value = _status_field("VmRSS")
    return value if value is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def os_threads() -> int:
    """Threads of the process as the OS counts them (``Threads`` in /proc/self/status)."""
    value = _status_field("Threads")
    return value if value is not None else threading.active_count()


def exwire_threads() -> list[str]:
    """Names of the live threads exwire started (``exwire-*``), sorted."""
    return sorted(t.name for t in threading.enumerate() if t.name.startswith("exwire-") and t.is_alive())


def schedule(variants: Sequence[str], rounds: int) -> Iterator[tuple[int, str]]:
    """``(round, variant)`` in alternating order: A B C, C B A, A B C ...

    Alternating and flipping cancels a drift of the machine's speed (shared machines
    swing 2x within minutes) and any advantage of going first or second.
    """
    for number in range(rounds):
        order = list(variants) if number % 2 == 0 else list(reversed(variants))
        for variant in order:
            yield number, variant


def median(values: Sequence[float]) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """The ``fraction`` quantile (0..1) by nearest rank on sorted values."""
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


class Window:
    """Wall and CPU time of one measured run, with the server's CPU subtracted.

    ``start()`` right before the work is triggered, ``stop()`` right after it ended.
    """

    def __init__(self, server: Any = None) -> None:
        self._server = server
        self.wall = 0.0
        self.cpu = 0.0

    def start(self, collect: bool = True) -> "Window":
        """Open the window; ``collect`` runs the garbage collector first (outside the clock)."""
        if collect:
            gc.collect()
        self._server_cpu = self._server.cpu_seconds() if self._server is not None else 0.0
        self._cpu = process_cpu()
        self._wall = time.perf_counter()
        return self

    def stop(self, end: float | None = None) -> "Window":
        """Close the window; ``end`` is a ``perf_counter`` stamp taken where the work ended."""
        now = time.perf_counter()
        cpu = process_cpu()
        server = self._server.cpu_seconds() - self._server_cpu if self._server is not None else 0.0
        self.wall = (end if end is not None else now) - self._wall
        self.cpu = max(0.0, cpu - self._cpu - server)
        return self


@contextlib.contextmanager
def blocking(ws: Any, timeout: float) -> Iterator[None]:
    """Put a websocket-client connection in blocking mode, as a plain bare loop has it.

    A socket with a timeout makes CPython ``poll()`` before every ``recv``, and
    websocket-client reads each frame in two or three ``recv`` calls: the bare
    baseline must not pay for that. A watchdog shuts the socket down after
    ``timeout`` seconds so a broken run fails instead of hanging.
    """
    ws.settimeout(None)

    def cut() -> None:
        try:
            ws.sock.shutdown(socket.SHUT_RDWR)
        except (OSError, AttributeError):
            pass

    watchdog = threading.Timer(timeout, cut)
    watchdog.name = "bench-watchdog"
    watchdog.daemon = True
    watchdog.start()
    try:
        yield
    finally:
        watchdog.cancel()
        watchdog.join()
