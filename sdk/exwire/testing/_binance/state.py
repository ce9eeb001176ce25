"""What the Binance emulator's request handlers share besides the engines: the injected
faults (:class:`Faults`), the record of what was asked (:class:`Recorder`) and
:class:`EmulatorState`, the one object each product's API is given."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from exwire.testing._binance.common import _ApiError
    from exwire.testing._binance.futures_engine import _Futures
    from exwire.testing._binance.spot_engine import _Events, _Exchange
    from exwire.testing._binance.user_stream import ListenKeys

__all__ = ["Faults", "Recorder", "EmulatorState"]


class Faults:
    """Replies to withhold and errors to answer with instead of processing, per product.

    Thread-safe: tests add faults from their thread, the connection threads take them.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()  # guards both queues
        self._withheld: deque[tuple[str | None, str | None]] = deque()  # (method, product)
        self._failures: dict[tuple[str | None, str], deque[_ApiError]] = {}  # (product, method) → errors

    def withhold(self, count: int, method: str | None, product: str | None) -> None:
        """Withhold the replies to the next ``count`` requests (of ``method``, on ``product``; ``None``: any)."""
        with self._lock:
            self._withheld.extend([(method, product)] * count)

    def fail(self, method: str, product: str | None, error: _ApiError) -> None:
        """Answer the next ``method`` request (on ``product``; ``None``: any) with ``error``."""
        with self._lock:
            self._failures.setdefault((product, method), deque()).append(error)

    def take_withheld(self, method: object, product: str) -> bool:
        """Whether the reply to this request is to be withheld (the fault is then used up)."""
        with self._lock:
            for index, (wanted, wanted_product) in enumerate(self._withheld):
                if (wanted is None or wanted == method) and (wanted_product is None or wanted_product == product):
                    del self._withheld[index]
                    return True
        return False

    def take_failure(self, method: str, product: str) -> _ApiError | None:
        """The error to answer this request with, or ``None`` (the fault is then used up)."""
        with self._lock:
            for key in ((product, method), (None, method)):
                queue = self._failures.get(key)
                if queue:
                    return queue.popleft()
        return None


class Recorder:
    """The requests answered with status 200 and the ``session.logon`` requests accepted.

    Written under the emulator's exchange lock; tests read the deques and counters.
    """

    def __init__(self, products: Iterable[str]) -> None:
        self.requests: deque[tuple[str, dict[str, Any]]] = deque(maxlen=10_000)
        self.requests_by_product: dict[str, deque[tuple[str, dict[str, Any]]]] = {
            product: deque(maxlen=10_000) for product in products}
        self.logons = 0
        self.logons_by_product = dict.fromkeys(self.requests_by_product, 0)

    def record(self, product: str, method: str, params: dict[str, Any]) -> None:
        """One request of ``product`` was answered with status 200."""
        self.requests.append((method, params))
        self.requests_by_product[product].append((method, params))

    def logged_on(self, product: str) -> None:
        """A ``session.logon`` on ``product`` was accepted."""
        self.logons += 1
        self.logons_by_product[product] += 1


class EmulatorState:
    """What a product's request handlers are given: the engines, the faults, the recorder,
    and the emulator's two outward actions (push user-data events, wake ``wait_for``).

    Attributes:
        exchange: the spot engine (its ``lock`` serialises every request).
        futures: the futures engine.
        faults: the injected faults.
        recorder: the record of answered requests and log-ons.
        push: sends spot user-data events to the subscriptions of their account (exchange lock held).
        notify_changed: wakes the emulator's ``wait_for`` waiters.
        listen_keys: the futures listen keys (``userDataStream.start`` / ``ping`` / ``stop``).
        expire_keys: pushes ``listenKeyExpired`` for keys whose time ran out (exchange lock held).
    """

    __slots__ = ("exchange", "futures", "faults", "recorder", "push", "notify_changed", "listen_keys",
                 "expire_keys")

    def __init__(self, exchange: _Exchange, futures: _Futures, faults: Faults, recorder: Recorder,
                 push: Callable[[_Events], None], notify_changed: Callable[[], None], listen_keys: ListenKeys,
                 expire_keys: Callable[[], None]) -> None:
        self.exchange, self.futures, self.faults, self.recorder = exchange, futures, faults, recorder
        self.push, self.notify_changed = push, notify_changed
        self.listen_keys, self.expire_keys = listen_keys, expire_keys
