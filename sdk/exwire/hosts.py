"""Adapters for the places users run exwire: GUI loops, single-threaded hosts, and the exchange table.

Callback executors (pass one as a client's ``callback_executor=``):

* :class:`PollingExecutor` — a host with its own loop (a Django management
  command, a game loop, a script) calls :meth:`PollingExecutor.run_pending`;
  callbacks run on that thread.
* :class:`TkExecutor` — callbacks run on the Tk thread, between Tk events.
* :class:`QtExecutor` — callbacks run on the Qt GUI thread (PySide6 or PyQt6).

How they stay bounded: the engine treats the executor as the subscription's lane.
It submits at most one *drain* per subscription at a time; the updates themselves
wait in the subscription's bounded queue, so a host that stops running callbacks
meets the client's ``overflow`` policy (``block`` / ``drop_oldest`` / ``latest``)
instead of growing a queue here. Each drain runs one update's callback and then
submits the next drain if more updates wait, so the updates of one subscription
run in arrival order. (An ``OrderBookWatcher``'s callback is the exception today:
the watcher submits one call per applied book message, outside that bound; in a
GUI, read the watcher or ``client.latest.top_of_book`` on a timer instead.)

The exchange registry (:func:`exchanges`, :func:`get_exchange`) tells hosts — the
``exwire`` command and the samples — how to reach each exchange by name: its client
and emulator classes and a ``BASE/QUOTE`` symbol its emulator serves. Everything else
comes from ``client.shared``: the channels are its ``features``
(:data:`CHANNELS`), the symbols are ``BASE/QUOTE``, the events carry the neutral models
of :mod:`exwire.models`. No table guesses the attribute names of a model.

The registry lives in :mod:`exwire._exchanges`; this module re-exports it, so
``exwire.hosts`` stays the import path for both halves.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from exwire._exchanges import (
    ALIASES,
    CHANNELS,
    CREDENTIAL_VARIABLES,
    SHARED_REQUESTS,
    SPECS,
    Exchange,
    ExchangeSpec,
    credentials_from_environment,
    environment_of,
    exchanges,
    get_exchange,
    parse_interval,
    unavailable,
)
from exwire.errors import ConfigurationError

__all__ = [
    "PollingExecutor",
    "TkExecutor",
    "QtExecutor",
    "ALIASES",
    "CHANNELS",
    "CREDENTIAL_VARIABLES",
    "SHARED_REQUESTS",
    "SPECS",
    "Exchange",
    "ExchangeSpec",
    "credentials_from_environment",
    "environment_of",
    "exchanges",
    "get_exchange",
    "parse_interval",
    "unavailable",
]

log = logging.getLogger("exwire.hosts")


# -- executors ------------------------------------------------------------------------


class PollingExecutor:
    """Runs submitted callbacks when the host calls :meth:`run_pending` on its own thread.

    ``submit`` may be called from any thread (the client's reader and lanes call it);
    the calls run on whichever thread calls ``run_pending``, in submission order.
    A call that raises is logged (logger ``exwire.hosts``) and the next one runs.

    Thread-safety: every method may be called from any thread; ``run_pending`` is
    meant to be called from one host thread.

    Example::

        host = PollingExecutor()
        with exwire.KrakenClient(callback_executor=host) as client:
            client.shared.subscribe_to_trade_updates("BTC/USD", on_trades)
            while running:
                host.wait(1.0)          # until something is pending, at most 1 s
                host.run_pending(100)   # callbacks run here, on this thread
    """

    def __init__(self) -> None:
        self._calls: collections.deque[tuple[Callable[..., Any], tuple[Any, ...]]] = collections.deque()
        self._cond = threading.Condition(threading.Lock())  # guards _calls and _closed
        self._closed = False

    def submit(self, fn: Callable[..., Any], *args: Any) -> None:
        """Queue ``fn(*args)`` for the next :meth:`run_pending`; any thread.

        After :meth:`close` the call is dropped.
        """
        with self._cond:
            if self._closed:
                log.debug("executor closed: dropping %r", fn)
                return
            self._calls.append((fn, args))
            self._cond.notify_all()

    def run_pending(self, max_items: int | None = None, *, max_seconds: float | None = None) -> int:
        """Run queued calls on the calling thread, oldest first; return how many ran.

        Calls queued while it runs (a drain requeues itself while its subscription
        has more updates) run too, until the queue is empty, ``max_items`` calls ran,
        or ``max_seconds`` passed. A host that must stay responsive under a flood
        passes a bound.

        Args:
            max_items: most calls to run; ``None`` for no limit.
            max_seconds: most seconds to spend (checked after each call); ``None``
                for no limit.

        Raises:
            ConfigurationError: ``max_items`` is negative.
        """
        if max_items is not None and max_items < 0:
            raise ConfigurationError("max_items must be >= 0 or None")
        deadline = None if max_seconds is None else time.monotonic() + max_seconds
        ran = 0
        while max_items is None or ran < max_items:
            with self._cond:
                if not self._calls:
                    break
                fn, args = self._calls.popleft()
            try:
                fn(*args)
            except Exception:
                log.exception("callback %r raised", fn)
            ran += 1
            if deadline is not None and time.monotonic() >= deadline:
                break
        return ran

    def wait(self, timeout: float | None = None) -> bool:
        """Block until a call is pending, the executor is closed, or ``timeout`` seconds pass.

        Args:
            timeout: seconds; ``None`` waits without limit.

        Returns:
            Whether calls are pending.
        """
        with self._cond:
            self._cond.wait_for(lambda: self._calls or self._closed, timeout)
            return bool(self._calls)

    @property
    def pending(self) -> int:
        """Calls waiting for :meth:`run_pending`."""
        return len(self._calls)

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed

    def close(self) -> None:
        """Drop pending calls and refuse new ones (they are discarded); wake :meth:`wait`. Idempotent."""
        with self._cond:
            self._closed = True
            self._calls.clear()
            self._cond.notify_all()

    def __enter__(self) -> "PollingExecutor":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class TkExecutor:
    """Runs submitted callbacks on the Tk thread (the thread running ``mainloop``).

    Tk must only be called from the thread that created the interpreter: ``after``
    and ``event_generate`` from another thread either raise ("main thread is not in
    main loop"), crash a non-threaded Tcl, or block until the main loop runs. So
    ``submit`` (any thread) only appends to a thread-safe queue, and a timer that
    the Tk thread re-arms with ``after`` every ``poll_interval`` seconds runs what
    is queued, for at most ``max_seconds`` per tick so the window stays responsive.
    No Tk call is ever made off the Tk thread.

    Create it on the Tk thread, after the root window; close it (or destroy the
    root) on the Tk thread. While the main loop is not running nothing runs and the
    subscriptions' bounded queues apply the client's overflow policy.

    Args:
        root: the ``tkinter.Tk`` (or any widget) whose thread runs the callbacks.
        poll_interval: seconds between polls (latency of a callback, at most).
        max_seconds: most seconds of callbacks per poll.
    """

    def __init__(self, root: Any, *, poll_interval: float = 0.02, max_seconds: float = 0.05) -> None:
        if not poll_interval > 0 or not max_seconds > 0:
            raise ConfigurationError("poll_interval and max_seconds must be positive seconds")
        self._root = root
        self._interval_ms = max(1, round(poll_interval * 1000))
        self._max_seconds = max_seconds
        self._calls = PollingExecutor()
        self._after_id: str | None = root.after(self._interval_ms, self._poll)

    def submit(self, fn: Callable[..., Any], *args: Any) -> None:
        """Queue ``fn(*args)`` to run on the Tk thread; any thread. Dropped after :meth:`close`."""
        self._calls.submit(fn, *args)

    def _poll(self) -> None:  # Tk thread
        self._after_id = None
        if self._calls.closed:
            return
        self._calls.run_pending(max_seconds=self._max_seconds)
        if self._calls.closed:
            return
        try:
            self._after_id = self._root.after(self._interval_ms, self._poll)
        except Exception:  # the root was destroyed (tkinter.TclError)
            self._calls.close()

    @property
    def pending(self) -> int:
        """Calls waiting for the next poll."""
        return self._calls.pending

    def close(self) -> None:
        """Stop polling and drop pending calls; Tk thread only. Idempotent."""
        self._calls.close()
        if self._after_id is not None:
            try:
                self._root.after_cancel(self._after_id)
            except Exception:  # already destroyed
                pass
            self._after_id = None


def _qt_core() -> tuple[Any, Any, Any]:
    """(QObject, QEvent, QCoreApplication) from PySide6 or PyQt6, imported when a QtExecutor is made."""
    try:
        from PySide6.QtCore import QCoreApplication, QEvent, QObject  # type: ignore[import-not-found]

        return QObject, QEvent, QCoreApplication
    except ImportError:
        pass
    try:
        from PyQt6.QtCore import QCoreApplication, QEvent, QObject  # type: ignore[import-not-found]

        return QObject, QEvent, QCoreApplication
    except ImportError:
        raise ImportError(
            "QtExecutor needs PySide6 or PyQt6; install one of them (pip install PySide6)"
        ) from None


_qt_receiver: Any = None


def _qt_receiver_class() -> Any:
    global _qt_receiver
    if _qt_receiver is None:
        QObject, QEvent, _ = _qt_core()

        class _Receiver(QObject):  # type: ignore[misc, valid-type]
            """Lives in the GUI thread; each posted ``User`` event runs one queued call."""

            def __init__(self, run_one: Callable[[], None]) -> None:
                super().__init__()
                self._run_one = run_one

            def event(self, event: Any) -> bool:
                if event.type() == QEvent.Type.User:
                    self._run_one()
                    return True
                return bool(super().event(event))

        _qt_receiver = _Receiver
    return _qt_receiver


class QtExecutor:
    """Runs submitted callbacks on the Qt thread that created the executor (the GUI thread).

    ``submit`` (any thread) queues the call in a thread-safe queue and posts one event
    with ``QCoreApplication.postEvent`` — which Qt documents as thread-safe — to a
    ``QObject`` living in the creating thread; the GUI thread's event loop delivers it
    and runs one queued call, oldest first. (A queued signal would do the same, but
    PySide6 6.12 on Python 3.11 miscounts references on every ``emit`` and aborts the
    interpreter at exit; ``postEvent`` has no such problem.)

    Create it on the GUI thread after the ``QApplication``; calls run only while that
    thread's event loop runs. A call that raises is logged (logger ``exwire.hosts``).

    Raises:
        ImportError: neither PySide6 nor PyQt6 is installed.
    """

    def __init__(self) -> None:
        _, QEvent, QCoreApplication = _qt_core()
        self._event_type = QEvent.Type.User
        self._event_class = QEvent
        self._post = QCoreApplication.postEvent
        self._calls = PollingExecutor()
        self._receiver = _qt_receiver_class()(self._run_one)

    def submit(self, fn: Callable[..., Any], *args: Any) -> None:
        """Queue ``fn(*args)`` for the GUI thread; any thread. Dropped after :meth:`close`."""
        if self._calls.closed:
            return
        self._calls.submit(fn, *args)
        self._post(self._receiver, self._event_class(self._event_type))

    def _run_one(self) -> None:  # GUI thread
        self._calls.run_pending(max_items=1)

    @property
    def pending(self) -> int:
        """Calls posted but not run yet."""
        return self._calls.pending

    def close(self) -> None:
        """Drop pending calls and ignore later ones. Idempotent; any thread."""
        self._calls.close()
