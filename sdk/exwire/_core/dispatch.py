"""The Dispatcher: a pool of ordered lanes that runs user callbacks.

Each subscription owns a bounded ``Mailbox`` and is pinned to one lane, so its
updates run in arrival order while different subscriptions run in parallel. A
lane thread takes one ready subscription at a time, runs the updates queued for
it as one batch, and re-queues the subscription if more arrived meanwhile — one slow subscription delays
only the subscriptions sharing its lane, never the reader (pika's model; a plain
``ThreadPoolExecutor.submit`` per message would reorder book updates).
"""

from __future__ import annotations

import collections
import logging
import threading
from collections.abc import Callable
from typing import Any

from exwire._core.backoff import Deadline
from exwire.models import Overflow

__all__ = ["Overflow", "Mailbox", "Dispatcher", "CLOSED", "SCHEDULE", "OVERFLOWED", "NO_ROOM"]

log = logging.getLogger("exwire")

CLOSED = object()  # sentinel put in a mailbox when its subscription ends


#: ``Mailbox.put`` result bits.
SCHEDULE = 1  # the caller must schedule the mailbox on its lane
OVERFLOWED = 2  # this put began an overflow episode: report SlowConsumer once
NO_ROOM = 4  # put_many queued nothing: not room for all; put the items one by one


class Mailbox:
    """A subscription's bounded queue of pending updates. Thread-safe.

    ``scheduled`` is true while the mailbox sits in its lane's ready queue or the lane
    is running a batch from it, so a busy subscription costs one lane wake-up per
    batch, not one per update. ``announce(item, lost)``, when given, returns the item
    to hand out after ``lost`` updates were dropped just before it (it stamps
    ``DataEvent.dropped_before``).
    """

    __slots__ = (
        "_items", "_lock", "_cond", "_waiters", "maxsize", "overflow", "block_timeout", "dropped", "scheduled", "closed",
        "_lost", "_overflowing", "_announce",
    )

    def __init__(
        self,
        maxsize: int,
        overflow: Overflow,
        block_timeout: float | None,
        announce: Callable[[Any, int], Any] | None = None,
    ) -> None:
        self._items: collections.deque[Any] = collections.deque()
        # Entered as the bare lock (a C-level context manager): ``with self._cond`` would
        # add a Python call per lock round, paid per update with many subscriptions.
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._waiters = 0  # threads waiting in put (room) or pop (items): notify only then
        self.maxsize = 1 if overflow is Overflow.LATEST else maxsize
        self.overflow = overflow
        self.block_timeout = block_timeout
        self.dropped = 0
        self.scheduled = False
        self.closed = False
        self._lost = 0  # dropped since the last item handed out
        self._overflowing = False  # inside an overflow episode (until the queue drains)
        self._announce = announce

    def __len__(self) -> int:
        return len(self._items)

    def _drop(self) -> int:
        """Count one dropped update (lock held); return OVERFLOWED when an episode begins."""
        self.dropped += 1
        self._lost += 1
        if self._overflowing:
            return 0
        self._overflowing = True
        return OVERFLOWED

    def put(self, item: Any) -> int:
        """Queue an item; return ``SCHEDULE``/``OVERFLOWED`` bits for the caller to act on.

        Never raises for a full queue: under ``BLOCK`` it waits up to ``block_timeout``
        and then drops the item itself (``OVERFLOWED`` tells the caller to report it).
        """
        with self._lock:
            if self.closed:
                return 0
            flags = 0
            if len(self._items) >= self.maxsize:
                if self.overflow is Overflow.BLOCK:
                    deadline = Deadline(self.block_timeout)
                    self._waiters += 1
                    try:
                        while len(self._items) >= self.maxsize and not self.closed:
                            remaining = deadline.remaining()
                            if remaining == 0.0:
                                break
                            self._cond.wait(remaining)
                    finally:
                        self._waiters -= 1
                    if self.closed:
                        return 0
                    if len(self._items) >= self.maxsize:  # still full past the bound: drop this one
                        return self._drop()
                else:  # DROP_OLDEST and LATEST both discard the oldest
                    self._items.popleft()
                    flags = self._drop()
            self._items.append(item)
            if self._waiters:
                self._cond.notify_all()
            if self.scheduled:
                return flags
            self.scheduled = True
            return flags | SCHEDULE

    def put_many(self, items: list[Any]) -> int:
        """Queue a burst under one lock when all of it fits; else queue nothing and return ``NO_ROOM``.

        The reader's fast path: one lock and at most one lane wake-up per burst. When the
        burst does not fit, the caller puts the items one by one (``put``), so the
        overflow policy applies to each exactly as before.
        """
        with self._lock:
            if self.closed:
                return 0
            if len(self._items) + len(items) > self.maxsize:
                return NO_ROOM
            self._items.extend(items)
            if self._waiters:
                self._cond.notify_all()
            if self.scheduled:
                return 0
            self.scheduled = True
            return SCHEDULE

    def _handed_out(self, item: Any) -> Any:
        """Lock held: stamp the number of updates lost before ``item``; end an episode when drained."""
        if self._lost:
            if self._announce is not None:
                item = self._announce(item, self._lost)
            self._lost = 0
        if not self._items:
            self._overflowing = False
        return item

    def pop(self, timeout: float | None) -> Any:
        """Take the oldest item, waiting up to ``timeout`` seconds; ``CLOSED`` at the end.

        Raises:
            TimeoutError: nothing arrived in time.
        """
        with self._lock:
            if not self._items and not self.closed:
                self._waiters += 1
                try:
                    if not self._cond.wait_for(lambda: self._items or self.closed, timeout):
                        raise TimeoutError("no update in time")
                finally:
                    self._waiters -= 1
            if self._items:
                item = self._handed_out(self._items.popleft())
                if self._waiters:
                    self._cond.notify_all()
                return item
            return CLOSED

    def take_batch(self) -> list[Any]:
        """Take every queued item for a lane; the mailbox stays scheduled until ``finish_batch``."""
        with self._lock:
            items = list(self._items)
            self._items.clear()
            if items:
                items[0] = self._handed_out(items[0])
            if self._waiters:
                self._cond.notify_all()
            return items

    def finish_batch(self) -> bool:
        """After a batch: True if more items arrived meanwhile (stay scheduled), else unschedule.

        Decided under the same lock as ``put`` checks ``scheduled``, so an update is
        never stranded.
        """
        with self._lock:
            if self._items and not self.closed:
                return True
            self.scheduled = False
            return False

    def take_for_lane(self) -> tuple[Any, bool]:
        """Take one item (host executors); return (item or CLOSED, whether more are waiting)."""
        with self._lock:
            item = self._handed_out(self._items.popleft()) if self._items else CLOSED
            if self._waiters:
                self._cond.notify_all()
            more = bool(self._items) and not self.closed
            if not more:
                self.scheduled = False
            return item, more

    def close(self) -> None:
        """End the mailbox: queued items are discarded, waiters wake up."""
        with self._lock:
            self.closed = True
            self._items.clear()
            self._cond.notify_all()


class _Lane:
    def __init__(self, name: str, on_error: Callable[[BaseException, Any], None]) -> None:
        self._ready: collections.deque[tuple[Mailbox, Callable[[Any], None]]] = collections.deque()
        self._lock = threading.Lock()  # entered bare: see Mailbox
        self._cond = threading.Condition(self._lock)
        self._stopping = False
        self._on_error = on_error
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.assigned = 0

    def schedule(self, mailbox: Mailbox, handler: Callable[[Any], None]) -> None:
        with self._lock:
            self._ready.append((mailbox, handler))
            self._cond.notify()

    def schedule_many(self, entries: list[tuple[Mailbox, Callable[[Any], None]]]) -> None:
        """Queue several mailboxes under one lock with one wake-up (a reader's burst)."""
        with self._lock:
            self._ready.extend(entries)
            self._cond.notify()

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            self._cond.notify_all()

    def backlog(self) -> int:
        return len(self._ready)

    def _run(self) -> None:
        ready = self._ready
        while True:
            with self._lock:
                while not ready and not self._stopping:
                    self._cond.wait()
                if self._stopping:
                    return
                # Every mailbox ready now, under one lock: with many subscriptions each
                # one usually holds a single update, and a lock round per mailbox would
                # cost more than its callback.
                round_ = list(ready)
                ready.clear()
            again = []
            for entry in round_:  # never empty
                if self._stopping:
                    return
                if self._drain(*entry):
                    again.append(entry)
            if again:
                self.schedule_many(again)  # behind the subscriptions that became ready meanwhile
            # Hold nothing between rounds: a client dropped without close() must be collectable.
            del round_, again, entry

    def _drain(self, mailbox: Mailbox, handler: Callable[[Any], None]) -> bool:
        """Run ``handler`` for every update queued in ``mailbox``; whether more arrived meanwhile."""
        for item in mailbox.take_batch():
            if mailbox.closed:  # unsubscribed meanwhile: deliver nothing more
                break
            try:
                handler(item)
            except BaseException as exc:  # a callback never kills its lane
                self._on_error(exc, item)
        return mailbox.finish_batch()


class Dispatcher:
    """Runs subscription callbacks on ``threads`` ordered lanes.

    Thread-safe. Lanes start lazily with the first subscription and are joined by
    ``close``. ``on_error(exc, event)`` is called on the lane when a handler raises.
    """

    def __init__(self, name: str, threads: int, on_error: Callable[[BaseException, Any], None]) -> None:
        if threads < 1:
            raise ValueError("dispatch_threads must be at least 1")
        self._name = name
        self._count = threads
        self._on_error = on_error
        self._lanes: list[_Lane] = []
        self._lock = threading.Lock()
        self._closed = False

    def assign(self) -> int:
        """Pick the least-loaded lane for a new subscription and return its index."""
        with self._lock:
            if self._closed:
                raise RuntimeError("dispatcher closed")
            if not self._lanes:
                for n in range(self._count):
                    lane = _Lane(f"exwire-{self._name}-dispatch-{n}", self._on_error)
                    lane.thread.start()
                    self._lanes.append(lane)
            lane_index = min(range(self._count), key=lambda i: self._lanes[i].assigned)
            self._lanes[lane_index].assigned += 1
            return lane_index

    def release(self, lane_index: int) -> None:
        """Forget one subscription pinned to ``lane_index``."""
        with self._lock:
            if self._lanes:
                self._lanes[lane_index].assigned -= 1

    def schedule(self, lane_index: int, mailbox: Mailbox, handler: Callable[[Any], None]) -> None:
        """Queue ``mailbox`` on its lane; the lane calls ``handler(item)`` for one item."""
        self._lanes[lane_index].schedule(mailbox, handler)

    def schedule_many(self, lane_index: int, entries: list[tuple[Mailbox, Callable[[Any], None]]]) -> None:
        """Queue several mailboxes on one lane at once (one lock, one wake-up)."""
        self._lanes[lane_index].schedule_many(entries)

    def threads(self) -> list[threading.Thread]:
        return [lane.thread for lane in self._lanes]

    def backlog(self) -> int:
        """Subscriptions waiting for a lane, summed over lanes."""
        return sum(lane.backlog() for lane in self._lanes)

    def close(self, timeout: float | None) -> None:
        """Stop every lane and join it (never the calling thread). Idempotent."""
        with self._lock:
            self._closed = True
            lanes = list(self._lanes)
        for lane in lanes:
            lane.stop()
        deadline = Deadline(timeout)
        current = threading.current_thread()
        for lane in lanes:
            if lane.thread is not current:
                lane.thread.join(deadline.remaining())
