"""Subscription handles and the registry that routes updates and replays them.

A ``Subscription`` is what ``subscribe_to_*`` returns. The ``SubscriptionRegistry``
maps each routing key (a protocol-defined hashable, e.g. ``("ticker", "XBT/USD")``)
to the subscriptions that receive it; the reader looks keys up without a lock
(the routing table is copied on write), and after a reconnect the client replays
every active subscription from ``active()``.
"""

from __future__ import annotations

import itertools
import logging
import operator
import threading
import time
import weakref
from collections.abc import Callable, Hashable, Iterable
from typing import Any

from exwire._core.dispatch import CLOSED, NO_ROOM, OVERFLOWED, SCHEDULE, Dispatcher, Feed, Mailbox, Overflow
from exwire.errors import SlowConsumer
from exwire.models import DataEvent
from exwire.subscription import Subscription

__all__ = ["SubscriptionRegistry", "new_mailbox"]

log = logging.getLogger("exwire")


class SubscriptionRegistry:
    """Routing table from keys to subscriptions, plus lane assignment. Thread-safe.

    Several subscriptions may share a key (two callers watching one ticker): the
    exchange is subscribed once, and told to unsubscribe when the last one goes.
    """

    def __init__(self, dispatcher: Dispatcher, on_error: Callable[[BaseException, Any], None]) -> None:
        self._dispatcher = dispatcher
        self._on_error = on_error
        self._lock = threading.Lock()
        self._routes: dict[Hashable, tuple[Subscription[Any], ...]] = {}  # copied on write
        self._subscriptions: dict[int, Subscription[Any]] = {}

    def add(self, subscription: Subscription[Any]) -> list[Hashable]:
        """Register; return the keys that no other subscription had (to subscribe on the wire)."""
        if subscription.callback is not None and subscription.executor is None:
            # Delivered on a lane through a Feed (set before the routing table can show the
            # subscription to the reader); the mailbox the client built lends its settings.
            subscription.lane = self._dispatcher.assign()
            mailbox = subscription._mailbox
            feed = self._dispatcher.new_feed(
                subscription.lane, subscription._lane_callback or subscription.callback, mailbox.maxsize,
                mailbox.overflow, mailbox.block_timeout,
                _announce,
            )
            feed.owner = weakref.ref(subscription)
            subscription._feed = feed
        with self._lock:
            routes = dict(self._routes)
            new_keys = []
            for key in subscription.keys:
                existing = routes.get(key, ())
                if not existing:
                    new_keys.append(key)
                routes[key] = existing + (subscription,)
            self._routes = routes
            self._subscriptions[subscription.id] = subscription
        return new_keys

    def remove(self, subscription: Subscription[Any]) -> list[Hashable]:
        """Unregister; return the keys that no subscription needs any more."""
        with self._lock:
            if self._subscriptions.pop(subscription.id, None) is None:
                return []
            routes = dict(self._routes)
            freed = []
            for key in subscription.keys:
                remaining = tuple(s for s in routes.get(key, ()) if s is not subscription)
                if remaining:
                    routes[key] = remaining
                else:
                    routes.pop(key, None)
                    freed.append(key)
            self._routes = routes
        if subscription.lane is not None:
            self._dispatcher.release(subscription.lane)
        return freed

    def route(self, key: Hashable) -> tuple[Subscription[Any], ...]:
        """Subscriptions receiving ``key`` (lock-free read of the current table)."""
        return self._routes.get(key, ())

    def table(self) -> dict[Hashable, tuple[Subscription[Any], ...]]:
        """The current routing table, key to subscriptions (lock-free; never changed in
        place: a change of subscriptions replaces it). The reader reads it once per burst."""
        return self._routes

    def active(self) -> list[Subscription[Any]]:
        with self._lock:
            return [s for s in self._subscriptions.values() if s.active]

    def deliver(self, items: Iterable[tuple[Subscription[Any], Any]]) -> float:
        """Queue each ``(subscription, event)`` and wake each lane once; reader thread only.

        Never runs user code and never raises for a full queue: the subscription's
        overflow policy applies, and the first drop of an episode is recorded on the
        subscription and reported (``SlowConsumer``). Returns the seconds spent waiting
        for room under the ``BLOCK`` policy (0.0 otherwise).

        Lane subscriptions (a callback, no executor) are grouped by lane in one pass and
        each lane's share is queued with one lock round (``Dispatcher.feed``), however
        many subscriptions it spans; the others go through their mailboxes.
        """
        now = time.monotonic()
        groups: dict[int, list[list[Any]]] = {}
        mailed: list[tuple[Subscription[Any], Any]] = []
        last_feed: Feed | None = None
        group: list[list[Any]] = []
        for subscription, event in items:
            subscription.last_update_at = now
            feed = subscription._feed
            if feed is None:
                mailed.append((subscription, event))
            elif feed is last_feed:  # a run of one subscription: no lookup
                group.append([feed, event, 0])
            else:
                last_feed = feed
                found = groups.get(feed.lane)
                if found is None:
                    group = groups[feed.lane] = [[feed, event, 0]]
                else:
                    group = found
                    group.append([feed, event, 0])
        return self.queue(groups, mailed)

    def queue(self, groups: dict[int, list[list[Any]]], mailed: list[tuple[Subscription[Any], Any]],
              hand_off: bool = True) -> float:
        """Queue lane entries ``[feed, event, 0]`` grouped by lane, and mailbox deliveries;
        reader thread only. ``deliver`` with the grouping done by the caller (the client's
        delivery loop groups as it builds the events); the seconds blocked under ``BLOCK``.
        ``hand_off``: whether the lanes' hand-off may apply (``_Lane.feed``).
        """
        blocked = 0.0
        for lane, entries in groups.items():
            waited, overflowed = self._dispatcher.feed(lane, entries, hand_off)
            blocked += waited
            for feed, event in overflowed:
                owner = feed.owner()
                if owner is not None:
                    self._overflowed(owner, feed.maxsize, feed.overflow, feed.dropped, event)
        if mailed:
            blocked += self._deliver_mailed(mailed)
        return blocked

    def _deliver_mailed(self, items: list[tuple[Subscription[Any], Any]]) -> float:
        """``deliver`` for mailbox subscriptions (pull, host executor); the seconds blocked.

        Consecutive events of one subscription are queued under one lock when they fit
        (``Mailbox.put_many``).
        """
        wake: dict[int, Subscription[Any]] = {}
        blocked = 0.0
        for subscription, run in itertools.groupby(items, _subscription_of):
            mailbox = subscription._mailbox
            events = [event for _, event in run]
            flags = mailbox.put_many(events)
            if flags & NO_ROOM:
                flags = 0
                for event in events:
                    if mailbox.overflow is Overflow.BLOCK and len(mailbox) >= mailbox.maxsize:
                        # About to wait for room: let the executors see what is already queued,
                        # or the reader would wait for a drain that was never submitted.
                        if flags & SCHEDULE:
                            wake[subscription.id] = subscription
                            flags &= ~SCHEDULE
                        self._schedule_all(wake.values())
                        wake = {}
                        started = time.monotonic()
                        put = mailbox.put(event)
                        blocked += time.monotonic() - started
                    else:
                        put = mailbox.put(event)
                    flags |= put & SCHEDULE
                    if put & OVERFLOWED:
                        self._overflowed(subscription, mailbox.maxsize, mailbox.overflow, mailbox.dropped, event)
            if flags & SCHEDULE:
                wake[subscription.id] = subscription
        if wake:
            self._schedule_all(wake.values())
        return blocked

    def _schedule_all(self, subscriptions: Iterable[Subscription[Any]]) -> None:
        for subscription in subscriptions:
            self._schedule(subscription)

    def _overflowed(self, subscription: Subscription[Any], maxsize: int, overflow: Overflow, dropped: int,
                    event: Any) -> None:
        exc = SlowConsumer(
            f"subscription {subscription.topic!r}: its queue of {maxsize} updates is full; "
            f"updates are being dropped ({overflow.value}), {dropped} so far"
        )
        subscription.error = exc
        log.warning("%s", exc)
        self._on_error(exc, event)

    def _schedule(self, subscription: Subscription[Any]) -> None:
        if subscription.executor is not None:
            # The host's executor acts as the subscription's lane: at most one drain
            # is queued there per subscription, the updates wait in the bounded
            # mailbox, so a host that stops running them meets the overflow policy
            # instead of growing its own queue without bound.
            subscription.executor.submit(self._drain, subscription)

    def _drain(self, subscription: Subscription[Any]) -> None:
        """Host thread: run the callback for one queued update, then requeue if more wait."""
        item, more = subscription._mailbox.take_for_lane()
        if item is not CLOSED:
            try:
                subscription.callback(item)  # type: ignore[misc]
            except Exception as exc:  # Ctrl-C on a host's own thread must reach the host
                self._on_error(exc, item)
        if more:
            subscription.executor.submit(self._drain, subscription)

    def end_all(self) -> list[Subscription[Any]]:
        """End every subscription (client closing) and return them."""
        with self._lock:
            subscriptions = list(self._subscriptions.values())
            self._subscriptions.clear()
            self._routes = {}
        for subscription in subscriptions:
            subscription._end()
        return subscriptions


_subscription_of = operator.itemgetter(0)


def new_mailbox(queue_size: int, overflow: Overflow, block_timeout: float | None) -> Mailbox:
    return Mailbox(queue_size, overflow, block_timeout, _announce)


def _announce(event: Any, lost: int) -> Any:
    """Stamp how many updates were dropped just before ``event`` (a DataEvent)."""
    if isinstance(event, DataEvent):
        return event._replace(dropped_before=event.dropped_before + lost)
    return event
