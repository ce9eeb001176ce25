"""The Dispatcher: a pool of ordered lanes that runs user callbacks.

Each callback subscription is pinned to one lane, so its updates run in arrival order
while different subscriptions run in parallel (pika's model; a plain
``ThreadPoolExecutor.submit`` per message would reorder book updates). A lane keeps one
queue of entries for all its subscriptions: the reader appends a burst under one lock
with at most one wake-up, and the lane takes the whole queue under that lock and runs
the callbacks in order with no lock held, so a thousand subscriptions cost about what
one does. Each subscription's bound and overflow policy are kept by its ``Feed``
(counters beside the lane queue). One slow subscription delays only the subscriptions
sharing its lane, never the reader.

In raw delivery the reader hands a long queue over: when a lane it has woken has not
yet taken its queue and :data:`HAND_OFF_AT` entries wait there, the reader waits (at most
:data:`HAND_OFF_WAIT`, once per wake-up) until the lane takes them. Both need the GIL,
and CPython otherwise lets the reader run for its whole switch interval (5 ms):
thousands of decoded JSON containers alive at once, which the cyclic garbage collector
promotes and whose full collections then cost more than the delivery. The reader never
waits for a callback: a lane that is running callbacks was not just woken, so a slow one
delays nobody but its lane. Typed clients do without it (see :data:`_NEVER`), and so do
bursts whose events all carry frames a lane decodes (``Protocol.deferred``): a queue of
strings is nothing for the collector to walk, and each hand-off costs two thread switches
(raw Kraken trades ran at 2.2x the bare loop with it, 3.0x without).

A ``Mailbox`` is a subscription's own bounded queue: pull subscriptions (``get``), host
executors (``take_for_lane``) and the client's hooks (drained on a lane) use it.
"""

from __future__ import annotations

import collections
import logging
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from exwire._core.backoff import Deadline
from exwire.models import Overflow

__all__ = ["Overflow", "Mailbox", "Feed", "Dispatcher", "CLOSED", "SCHEDULE", "OVERFLOWED", "NO_ROOM"]

log = logging.getLogger("exwire")

CLOSED = object()  # sentinel put in a mailbox when its subscription ends


#: Entries waiting for a lane that was woken but has not taken them yet, from which the
#: reader hands the queue over (waits for the take). Measured on 20,000 raw Kraken tickers
#: in a process holding 200,000 other tracked objects: 252-272 young and 22-24 middle
#: collections without the hand-off, 179 and 16 with it, and fewer full ones, which there
#: cost about 40 ms each (a third of the run).
HAND_OFF_AT = 64
#: The longest a reader waits for such a take (seconds): a lane thread the system does not
#: schedule in time only delays the reader this much, then it reads on.
HAND_OFF_WAIT = 0.002
#: No hand-off: typed clients' lanes. Their updates are flat models the collector hardly
#: walks, and each hand-off costs two thread switches: with it, typed Kraken tickers ran
#: 12% slower (median of five paired rounds), raw ones faster.
_NEVER = sys.maxsize

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


class Feed:
    """A callback subscription's share of its lane's queue: bound, overflow policy, drop count.

    Lane delivery keeps no per-subscription queue of its own: the reader appends an entry
    ``[feed, event, lost]`` to the lane's one queue (``_Lane.feed``), and the lane takes the
    whole queue under one lock and runs the callbacks in order. The feed counts its
    entries still waiting in that queue (``_waiting``; ``_claim`` is the lane's take
    count it belongs to, so a take resets it without the lane touching the feed). Under
    the drop policies (``_keeps``) it also keeps them, oldest first, as ``_first`` and
    ``_rest`` (always ``_waiting - 1`` long, so it is emptied only when it holds
    something: with many subscriptions each usually has one update per take, and
    resetting then costs three stores); ``BLOCK`` needs only the count, so its feeds hold
    no entry, and a delivered event is freed by the lane that ran it. So the bound and the
    overflow policy apply per subscription exactly as in a ``Mailbox``:

    * ``DROP_OLDEST``/``LATEST``: the oldest waiting entry is invalidated in place (its
      feed becomes ``_DROPPED``, which the lane skips) and the number it carried, plus
      one, moves to the next waiting entry, so the next delivered event says how many
      were lost just before it (``lost`` stamps ``DataEvent.dropped_before``);
    * ``BLOCK``: the reader waits, lock released, until the lane takes the queue
      (``block_timeout`` bounds it; then the new update is dropped and counted in
      ``_lost`` for the next one).

    Thread rules: every field but ``closed`` is written only under the lane's lock, by
    ``_Lane.feed``; an entry is changed only while it waits in the queue, never after the
    lane took it, so the lane reads taken entries without a lock. ``closed`` is set once
    by ``close`` from any thread; the lane checks it before each callback.
    """

    # What every delivery reads or writes comes first: with many subscriptions each update
    # lands on a different feed, and fewer cache lines per feed is time per message.
    __slots__ = (
        "_claim", "_waiting", "_first", "_lost", "lane", "closed", "callback",
        "maxsize", "_keeps", "_rest", "announce", "overflow", "block_timeout", "dropped", "owner", "_lane",
        "_overflow_claim",
    )

    def __init__(
        self,
        lane_index: int,
        lane: _Lane | None,
        callback: Callable[[Any], None],
        maxsize: int,
        overflow: Overflow,
        block_timeout: float | None,
        announce: Callable[[Any, int], Any],
    ) -> None:
        self.lane = lane_index
        self.callback = callback
        self.maxsize = 1 if overflow is Overflow.LATEST else maxsize
        self.overflow = overflow
        self._keeps = overflow is not Overflow.BLOCK  # whether the waiting entries are kept (drop policies)
        self.block_timeout = block_timeout
        self.dropped = 0
        self.closed = False
        # A weak reference to the Subscription, named in SlowConsumer reports: the lane queue
        # (a live thread's) must not keep a client dropped without close() alive through it.
        self.owner: Callable[[], Any] = _nobody
        self.announce = announce
        self._lane = lane
        self._waiting = 0  # entries waiting in the lane queue, valid while _claim is the lane's
        self._first: list[Any] | None = None  # the oldest of them
        self._rest: collections.deque[list[Any]] = collections.deque()  # the others, oldest first
        self._claim = -1
        self._lost = 0  # dropped after the last waiting entry: stamped on the next one queued
        self._overflow_claim = -1  # the take during which the current overflow episode began

    def __len__(self) -> int:
        """Updates waiting in the lane queue (a lock-free estimate, for diagnostics)."""
        lane = self._lane
        return self._waiting if lane is not None and self._claim == lane.claims else 0

    def close(self) -> None:
        """Deliver nothing more (entries already queued are skipped); wake a reader blocked on it."""
        self.closed = True
        lane = self._lane
        if lane is not None:
            lane.wake_blocked()


def _nobody() -> None:
    return None


def _no_callback(event: Any) -> None:  # pragma: no cover - a dropped entry is never run
    pass


#: The feed of an entry the overflow policy invalidated while it waited: always closed.
_DROPPED = Feed(-1, None, _no_callback, 1, Overflow.DROP_OLDEST, None, lambda event, lost: event)
_DROPPED.closed = True


class _MailboxRun:
    """A lane queue entry that drains a ``Mailbox`` (the client's hooks): duck-types ``Feed``."""

    __slots__ = ("closed", "_lane", "_mailbox", "_handler")

    def __init__(self, lane: _Lane, mailbox: Mailbox, handler: Callable[[Any], None]) -> None:
        self.closed = False
        self._lane = lane
        self._mailbox = mailbox
        self._handler = handler

    def callback(self, _: Any) -> None:
        if self._lane._drain(self._mailbox, self._handler):
            self._lane.requeue(self)  # behind whatever became ready meanwhile


class _Lane:
    """One lane thread and its queue of entries ``[feed, event, lost]`` in arrival order.

    The reader appends a burst under one lock with at most one wake-up (``feed``); the
    lane takes the whole queue under the same lock (``claims`` counts the takes) and runs
    the callbacks with no lock held. A subscription is pinned to one lane, so its updates
    run in order.
    """

    def __init__(self, name: str, on_error: Callable[[BaseException, Any], None]) -> None:
        self._pending: list[list[Any]] = []
        self._lock = threading.Lock()  # guards _pending, claims and every Feed of this lane; entered bare
        # The lane sleeps in _wakeup.acquire() (a lock held while it is awake) and whoever
        # queues work while it is idle releases it, under _lock, once per idle spell: one
        # C call each side, where a Condition would add a new lock and Python bookkeeping
        # per wait, paid per burst and lane with many subscriptions.
        self._wakeup = threading.Lock()
        self._wakeup.acquire()
        self._room = threading.Condition(self._lock)  # a reader waits here for a take (BLOCK)
        self._idle = False  # the lane sleeps on _wakeup (or is about to): release it once
        self._woken = False  # released from _wakeup, its queue not taken yet: it runs no callback
        self.hand_off_at = _NEVER  # queued entries from which a reader hands the queue over (Dispatcher)
        self.hand_off_wait = HAND_OFF_WAIT
        self._room_waiters = 0
        self.claims = 0
        self.hand_offs_missed = 0  # hand-offs whose wait ended without a take (diagnostics)
        self._stopping = False
        self._on_error = on_error
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.assigned = 0

    def _append(self, entries: list[list[Any]]) -> None:
        """Lock held: queue ``entries`` and wake the lane if it waits."""
        self._pending.extend(entries)
        self._wake()

    def schedule(self, mailbox: Mailbox, handler: Callable[[Any], None]) -> None:
        """Queue a drain of ``mailbox``: ``handler(item)`` runs for each item queued there."""
        with self._lock:
            self._append([[_MailboxRun(self, mailbox, handler), None, 0]])

    def schedule_many(self, entries: list[tuple[Mailbox, Callable[[Any], None]]]) -> None:
        """Queue several mailbox drains under one lock with one wake-up."""
        with self._lock:
            self._append([[_MailboxRun(self, mailbox, handler), None, 0] for mailbox, handler in entries])

    def requeue(self, run: _MailboxRun) -> None:
        with self._lock:
            self._append([[run, None, 0]])

    def feed(self, entries: list[list[Any]], hand_off: bool = True) -> tuple[float, list[tuple[Feed, Any]]]:
        """Queue entries ``[feed, event, 0]`` of this lane's feeds, applying each feed's bound.

        Any thread that delivers (the reader); never runs user code. One lock and at most
        one wake-up for the whole list; when the lane was woken and has not taken its
        queue yet, which now holds :data:`HAND_OFF_AT` entries or more, the caller then
        waits up to ``hand_off_wait`` for the take (the module's docstring says why),
        unless ``hand_off`` is false (entries whose events hold no decoded JSON).
        Returns the seconds spent waiting under ``BLOCK`` (not the hand-off) and
        ``(feed, event)`` for each overflow episode that began (the caller reports it,
        with no lock held).
        """
        overflowed: list[tuple[Feed, Any]] = []
        blocked = 0.0
        with self._lock:
            claim = self.claims
            pending = self._pending
            for entry in entries:
                feed = entry[0]
                if feed._claim != claim:  # the lane took everything queued before: a fresh count
                    feed._claim = claim
                    if feed._keeps:
                        if feed._waiting > 1:  # _rest holds _waiting - 1 entries of an earlier take
                            feed._rest.clear()
                        feed._first = entry
                    feed._waiting = 1
                elif feed._waiting < feed.maxsize:
                    feed._waiting += 1
                    if feed._keeps:
                        feed._rest.append(entry)
                else:
                    if feed.overflow is Overflow.BLOCK:
                        self._wake()  # the lane must see what is queued before we wait
                        started = time.monotonic()
                        queued = self._wait_for_room(feed)
                        blocked += time.monotonic() - started
                        claim, pending = self.claims, self._pending
                        if not queued:
                            if not feed.closed and not self._stopping:
                                feed._lost += entry[2] + 1  # still full past the bound: drop this one
                                if self._dropped(feed, claim):
                                    overflowed.append((feed, entry[1]))
                            continue
                        feed._claim = claim  # taken meanwhile: a fresh count
                        feed._waiting = 1
                    else:  # DROP_OLDEST and LATEST both discard the oldest
                        oldest = feed._first
                        assert oldest is not None  # full, so at least one waits
                        oldest[0] = _DROPPED
                        rest = feed._rest
                        if rest:
                            successor = rest.popleft()
                            rest.append(entry)
                        else:
                            successor = entry
                        successor[2] += oldest[2] + 1  # the next delivered one announces the loss
                        feed._first = successor
                        if self._dropped(feed, claim):
                            overflowed.append((feed, entry[1]))
                if feed._lost:
                    entry[2] += feed._lost
                    feed._lost = 0
                pending.append(entry)
            if pending:
                self._wake()
                if hand_off and self._woken and len(pending) >= self.hand_off_at:
                    self._hand_off()
        return blocked, overflowed

    def _hand_off(self) -> None:
        """Lock held (released while waiting): let the woken lane take its queue, for at most ``hand_off_wait``.

        At most one wait per wake-up: a lane that missed it is not waited for again before it
        has taken its queue.
        """
        claim = self.claims
        self._room_waiters += 1
        try:
            self._room.wait(self.hand_off_wait)  # notified by the take, or by stop()
        finally:
            self._room_waiters -= 1
        if self.claims == claim:  # not taken in time: read on, and wait no more until it is
            self._woken = False
            self.hand_offs_missed += 1

    def _wake(self) -> None:
        """Lock held: wake the lane if it sleeps (at most one release per idle spell)."""
        if self._idle:
            self._idle = False
            self._woken = True
            self._wakeup.release()

    @staticmethod
    def _dropped(feed: Feed, claim: int) -> bool:
        """Lock held: count one drop; whether it begins an overflow episode (one per take)."""
        feed.dropped += 1
        if feed._overflow_claim == claim:
            return False
        feed._overflow_claim = claim
        return True

    def _wait_for_room(self, feed: Feed) -> bool:
        """Lock held (released while waiting): wait up to ``block_timeout`` for the lane to take the queue.

        Returns whether it did; False also when the feed closed or the lane is stopping.
        """
        deadline = Deadline(feed.block_timeout)
        claim = self.claims
        self._room_waiters += 1
        try:
            while self.claims == claim and not feed.closed and not self._stopping:
                remaining = deadline.remaining()
                if remaining == 0.0:
                    break
                self._room.wait(remaining)
        finally:
            self._room_waiters -= 1
        return self.claims != claim and not feed.closed and not self._stopping

    def wake_blocked(self) -> None:
        """Wake a reader waiting for room (a feed closed)."""
        with self._lock:
            if self._room_waiters:
                self._room.notify_all()

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            self._wake()
            self._room.notify_all()

    def backlog(self) -> int:
        return len(self._pending)

    def _take(self) -> list[list[Any]] | None:
        """Wait for entries and take them all (one lock round); ``None`` when stopping."""
        lock = self._lock
        with lock:
            while not self._pending and not self._stopping:
                self._idle = True
                lock.release()
                try:
                    self._wakeup.acquire()  # released by _wake
                finally:
                    lock.acquire()
            if self._stopping:
                return None
            batch = self._pending
            self._pending = []
            self._woken = False
            self.claims += 1  # every feed's waiting count is now zero
            if self._room_waiters:
                self._room.notify_all()
            return batch

    def _run(self) -> None:
        while True:
            batch = self._take()
            if batch is None:
                return
            self._run_batch(batch)
            # Hold nothing between takes: a client dropped without close() must be collectable.
            del batch

    def _run_batch(self, batch: list[list[Any]]) -> None:
        """Run each taken entry's callback in order, no lock held; skip closed or dropped feeds."""
        on_error = self._on_error
        for feed, event, lost in batch:
            if feed.closed:  # unsubscribed meanwhile, or dropped by the overflow policy
                continue
            if self._stopping:
                return
            try:
                if lost:
                    event = feed.announce(event, lost)
                feed.callback(event)
            except BaseException as exc:  # a callback never kills its lane
                on_error(exc, event)

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
    With ``hand_off`` (raw clients), a reader hands its lanes their queue every
    :data:`HAND_OFF_AT` entries (see the module's docstring).
    """

    def __init__(self, name: str, threads: int, on_error: Callable[[BaseException, Any], None], *,
                 hand_off: bool = False) -> None:
        if threads < 1:
            raise ValueError("dispatch_threads must be at least 1")
        self._name = name
        self._count = threads
        self._hand_off_at = HAND_OFF_AT if hand_off else _NEVER
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
                    lane.hand_off_at = self._hand_off_at
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

    def new_feed(
        self,
        lane_index: int,
        callback: Callable[[Any], None],
        maxsize: int,
        overflow: Overflow,
        block_timeout: float | None,
        announce: Callable[[Any, int], Any],
    ) -> Feed:
        """A feed delivering to ``callback`` on lane ``lane_index`` (from ``assign``)."""
        return Feed(lane_index, self._lanes[lane_index], callback, maxsize, overflow, block_timeout, announce)

    def feed(self, lane_index: int, entries: list[list[Any]],
             hand_off: bool = True) -> tuple[float, list[tuple[Feed, Any]]]:
        """Queue ``[feed, event, 0]`` entries of one lane's feeds in order: see ``_Lane.feed``."""
        return self._lanes[lane_index].feed(entries, hand_off)

    def schedule(self, lane_index: int, mailbox: Mailbox, handler: Callable[[Any], None]) -> None:
        """Queue a drain of ``mailbox`` on its lane; the lane calls ``handler(item)`` for each item."""
        self._lanes[lane_index].schedule(mailbox, handler)

    def schedule_many(self, lane_index: int, entries: list[tuple[Mailbox, Callable[[Any], None]]]) -> None:
        """Queue several mailbox drains on one lane at once (one lock, one wake-up)."""
        self._lanes[lane_index].schedule_many(entries)

    def threads(self) -> list[threading.Thread]:
        return [lane.thread for lane in self._lanes]

    def backlog(self) -> int:
        """Updates (and mailbox drains) waiting for a lane, summed over lanes."""
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
