"""Waiting helpers shared by the tests: events and predicates, never bare sleeps."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator

from tests.conftest import timeout as scaled


def wait_until(predicate: Callable[[], bool], seconds: float = 5.0, interval: float = 0.005) -> None:
    """Wait until ``predicate()`` is true, at most ``seconds`` (scaled); assert it became true.

    Polls a condition on a short tick (an ``Event.wait`` so it wakes promptly);
    it never sleeps for a fixed time hoping an outcome happened.
    """
    deadline = time.monotonic() + scaled(seconds)
    tick = threading.Event()
    while not predicate():
        if time.monotonic() >= deadline:
            raise AssertionError(f"condition not met within {scaled(seconds)} s")
        tick.wait(interval)


class Collector:
    """A callback that records events and lets a test wait for a count of them."""

    def __init__(self) -> None:
        self.events: list = []
        self._cond = threading.Condition()

    def __call__(self, event) -> None:
        with self._cond:
            self.events.append(event)
            self._cond.notify_all()

    def wait_for(self, count: int, seconds: float = 5.0) -> list:
        with self._cond:
            ok = self._cond.wait_for(lambda: len(self.events) >= count, scaled(seconds))
            assert ok, f"got {len(self.events)} events, wanted {count}"
            return list(self.events)


class Gate:
    """A callback held on each call until released (a consumer far slower than its feed),
    recording every event it got in ``collector``.

    ``entered`` is set once a call is waiting. Leaving the ``with`` block releases it,
    so a failing test leaves no lane waiting.
    """

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.collector = Collector()

    def __call__(self, event: object) -> None:
        self.entered.set()
        self.release.wait(scaled(20))
        self.collector(event)

    def __enter__(self) -> Gate:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release.set()


@contextlib.contextmanager
def silent_endpoint(path: str = "/") -> Iterator[tuple[str, list[socket.socket]]]:
    """A loopback TCP endpoint that accepts connections and never answers (a handshake hangs).

    Yields ``(url, accepted)``: a ``ws://`` URL with ``path`` and the list of accepted
    sockets (non-empty once a client connected). Every socket and the accepting thread
    are closed and joined on exit.
    """
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.05)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            accepted.append(connection)

    thread = threading.Thread(target=accept, name="silent-endpoint", daemon=True)
    thread.start()
    try:
        yield f"ws://127.0.0.1:{listener.getsockname()[1]}{path}", accepted
    finally:
        stop.set()
        thread.join(scaled(5))
        listener.close()
        for connection in accepted:
            connection.close()


def assert_lazy_same(lazy: object, eager: object, model: type) -> None:
    """``lazy`` (a model decoded on first read, not read yet) equals ``eager`` field by field.

    Also that the lazy path was taken, nothing was decoded on receipt, and ``==`` (both
    ways), ``hash`` and ``repr`` agree; ``Decimal`` fields keep the wire's digits.
    """
    from decimal import Decimal

    import attrs

    assert type(eager) is model
    assert type(lazy) is not model and isinstance(lazy, model), "the documented shape must take the lazy path"
    object.__getattribute__(lazy, "_wire")  # not decoded on receipt
    for field in attrs.fields(model):
        one, other = getattr(lazy, field.name), getattr(eager, field.name)
        assert one == other and type(one) is type(other), field.name
        if isinstance(one, Decimal):
            assert str(one) == str(other), field.name
    assert lazy == eager and eager == lazy and hash(lazy) == hash(eager) and repr(lazy) == repr(eager)
