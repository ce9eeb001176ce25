"""Reconnect delays and deadlines.

One generator owns the whole backoff state (as websockets' ``backoff()``), and a
``Deadline`` object turns a total timeout into the remaining time of each wait.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator

__all__ = ["backoff", "Deadline", "scaled"]


def backoff(
    initial: float = 0.5,
    maximum: float = 30.0,
    factor: float = 2.0,
    jitter: float = 0.5,
    rng: Callable[[], float] = random.random,
) -> Iterator[float]:
    """Yield reconnect delays in seconds: exponential growth with jitter, capped.

    Each delay is the nominal delay scaled by a factor drawn uniformly from
    ``[1 - jitter, 1]``, so a crowd of clients dropped together does not come back
    together (Kraken bans IPs that reconnect too often, §2 of :doc:`the Kraken page </exchanges/kraken>`).

    Args:
        initial: the first nominal delay, seconds.
        maximum: the cap on the nominal delay, seconds.
        factor: growth per attempt.
        jitter: fraction of each delay that is randomised, 0..1.
        rng: source of uniform numbers in [0, 1) (tests pass a fixed one).
    """
    delay = initial
    while True:
        yield delay * (1.0 - jitter * rng())
        delay = min(delay * factor, maximum)


class Deadline:
    """A point in time computed from a timeout; ``None`` means no limit.

    Not thread-safe to share, cheap to create: make one per blocking call.
    """

    __slots__ = ("_expires_at",)

    def __init__(self, timeout: float | None) -> None:
        self._expires_at = None if timeout is None else time.monotonic() + max(0.0, timeout)

    def remaining(self) -> float | None:
        """Seconds left (never negative), or ``None`` for no limit."""
        if self._expires_at is None:
            return None
        return max(0.0, self._expires_at - time.monotonic())

    @property
    def expired(self) -> bool:
        """Whether the deadline has passed (never true without a limit)."""
        return self._expires_at is not None and time.monotonic() >= self._expires_at


def scaled(timeout: float | None, factor: float) -> float | None:
    """Multiply a timeout by a factor, keeping ``None`` as no limit."""
    return None if timeout is None else timeout * factor
