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
import threading
import time
from collections.abc import Callable, Hashable, Iterator
from typing import Any

from exwire._core.dispatch import CLOSED, Dispatcher, Mailbox, Overflow
from exwire.errors import InvalidState, SlowConsumer

__all__ = ["Subscription", "SubscriptionRegistry"]

log = logging.getLogger("exwire")
_ids = itertools.count(1)


class Subscription:
    """A live stream of updates from one subscribe call.

    With a callback, each update runs ``callback(event)`` on one of the client's
    dispatcher lanes (``exwire-<exchange>-dispatch-<n>``), in arrival order for this
    subscription. Without one, the subscription is an iterator: ``get(timeout)`` or
    ``for event in sub`` blocks until the next update and ends after ``unsubscribe``
    or the client's ``close``. Either way updates wait in a bounded queue
    (``queue_size``) governed by the client's overflow policy.

    Thread-safe: ``unsubscribe`` may be called from any thread, including from
    inside the callback.

    Attributes:
        id: a process-unique integer.
        topic: what the subscription is to, e.g. ``"ticker:XBT/USD,ETH/USD"``.
        keys: the routing keys it receives (one per symbol).
        dropped: updates discarded by the overflow policy so far.
        error: the last ``SlowConsumer`` raised for it, or ``None``.
    """

    def __init__(
        self,
        *,
        topic: str,
        keys: tuple[Hashable, ...],
        callback: Callable[[Any], None] | None,
        connection_name: str,
        mailbox: Mailbox,
        unsubscribe: Callable[["Subscription", float | None], None],
        resubscribe: Callable[[], None] | None = None,
    ) -> None:
        self.id = next(_ids)
        self.topic = topic
        self.keys = keys
        self.callback = callback
        self.connection_name = connection_name
        self.lane: int | None = None
        self.executor: Any = None  # a host's callback_executor; then no lane is used
        self.error: BaseException | None = None
        self._mailbox = mailbox
        self._unsubscribe = unsubscribe
        self.resubscribe = resubscribe
        self._active = True
        self._state_lock = threading.Lock()
        self.last_update_at: float | None = None

    def __repr__(self) -> str:
        kind = "callback" if self.callback else "pull"
        return f"<Subscription {self.id} {self.topic!r} {kind} active={self._active}>"

    @property
    def active(self) -> bool:
        """Whether updates are still being delivered."""
        return self._active

    @property
    def dropped(self) -> int:
        return self._mailbox.dropped

    @property
    def queued(self) -> int:
        """Updates waiting for the callback or for ``get``."""
        return len(self._mailbox)

    def unsubscribe(self, timeout: float | None = None) -> None:
        """Stop the stream and tell the exchange (when no other subscription needs it).

        Idempotent. After it returns no further update is delivered, except one
        whose callback was already running.

        Args:
            timeout: seconds to wait for the exchange's acknowledgement; ``None`` uses
                the client's ``request_timeout``.
        """
        with self._state_lock:
            if not self._active:
                return
            self._active = False
        self._mailbox.close()
        self._unsubscribe(self, timeout)

    def _end(self) -> None:
        """End without telling the exchange (client closing, exchange-side unsubscribe)."""
        with self._state_lock:
            self._active = False
        self._mailbox.close()

    def get(self, timeout: float | None = None) -> Any:
        """Return the next update (an ``exwire.DataEvent``), blocking up to ``timeout`` seconds.

        Raises:
            InvalidState: the subscription has a callback, or it has ended.
            TimeoutError: no update arrived within ``timeout``.
            SlowConsumer: updates were dropped because the queue stayed full
                (raised once; the following call continues with newer updates).
        """
        if self.callback is not None:
            raise InvalidState("this subscription delivers to its callback; get() is for pull subscriptions")
        if self.error is not None:
            error, self.error = self.error, None
            raise error
        item = self._mailbox.pop(timeout)
        if item is CLOSED:
            raise InvalidState(f"subscription {self.topic!r} has ended")
        return item

    def __iter__(self) -> Iterator[Any]:
        if self.callback is not None:
            raise InvalidState("this subscription delivers to its callback; iterate pull subscriptions only")
        return self

    def __next__(self) -> Any:
        if self.error is not None:
            error, self.error = self.error, None
            raise error
        item = self._mailbox.pop(None)
        if item is CLOSED:
            raise StopIteration
        return item

    def __enter__(self) -> "Subscription":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.unsubscribe()


class SubscriptionRegistry:
    """Routing table from keys to subscriptions, plus lane assignment. Thread-safe.

    Several subscriptions may share a key (two callers watching one ticker): the
    exchange is subscribed once, and told to unsubscribe when the last one goes.
    """

    def __init__(self, dispatcher: Dispatcher, on_error: Callable[[BaseException, Any], None]) -> None:
        self._dispatcher = dispatcher
        self._on_error = on_error
        self._lock = threading.Lock()
        self._routes: dict[Hashable, tuple[Subscription, ...]] = {}  # copied on write
        self._local = threading.local()  # per reader thread: subscriptions to wake at flush
        self._subscriptions: dict[int, Subscription] = {}

    def add(self, subscription: Subscription) -> list[Hashable]:
        """Register; return the keys that no other subscription had (to subscribe on the wire)."""
        if subscription.callback is not None and subscription.executor is None:
            subscription.lane = self._dispatcher.assign()
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

    def remove(self, subscription: Subscription) -> list[Hashable]:
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

    def route(self, key: Hashable) -> tuple[Subscription, ...]:
        """Subscriptions receiving ``key`` (lock-free read of the current table)."""
        return self._routes.get(key, ())

    def active(self) -> list[Subscription]:
        with self._lock:
            return [s for s in self._subscriptions.values() if s.active]

    def deliver(self, subscription: Subscription, event: Any) -> None:
        """Queue ``event`` for ``subscription``; called on the reader thread only.

        Never runs user code. Under the ``BLOCK`` policy it may wait for room (that
        is the back-pressure); a ``SlowConsumer`` is recorded and reported, not raised.
        """
        subscription.last_update_at = time.monotonic()
        mailbox = subscription._mailbox
        pending = getattr(self._local, "pending", None)
        if pending and len(mailbox) >= mailbox.maxsize:
            # About to meet a full queue: let the lanes see what is waiting first, or a
            # BLOCK put would wait for a lane that was never told.
            self.flush()
            pending = self._local.pending
        try:
            schedule = mailbox.put(event)
        except SlowConsumer as exc:
            subscription.error = exc
            log.error("subscription %s: %s; update dropped", subscription.topic, exc)
            self._on_error(exc, event)
            return
        if schedule:
            if pending is not None:
                pending.append(subscription)  # woken together at the end of the read batch
            else:
                self._schedule(subscription)

    def batching(self, enabled: bool) -> None:
        """Reader thread: defer lane wake-ups until :meth:`flush` (``True``), or stop (``False``, flushes).

        A reader that read several frames in one go wakes each lane once for all of
        them instead of once per frame; it must flush before it can block.
        """
        if enabled:
            self._local.pending = []
        else:
            self.flush()
            self._local.pending = None

    def flush(self) -> None:
        """Reader thread: wake the lanes (or host executors) of the updates deferred so far."""
        pending = getattr(self._local, "pending", None)
        if pending:
            self._local.pending = []
            for subscription in pending:
                self._schedule(subscription)

    def _schedule(self, subscription: Subscription) -> None:
        if subscription.lane is not None:
            self._dispatcher.schedule(subscription.lane, subscription._mailbox, subscription.callback)
        elif subscription.executor is not None:
            # The host's executor acts as the subscription's lane: at most one drain
            # is queued there per subscription, the updates wait in the bounded
            # mailbox, so a host that stops running them meets the overflow policy
            # instead of growing its own queue without bound.
            subscription.executor.submit(self._drain, subscription)

    def _drain(self, subscription: Subscription) -> None:
        """Host thread: run the callback for one queued update, then requeue if more wait."""
        item, more = subscription._mailbox.take_for_lane()
        if item is not CLOSED:
            try:
                subscription.callback(item)  # type: ignore[misc]
            except Exception as exc:  # Ctrl-C on a host's own thread must reach the host
                self._on_error(exc, item)
        if more:
            subscription.executor.submit(self._drain, subscription)

    def end_all(self) -> list[Subscription]:
        """End every subscription (client closing) and return them."""
        with self._lock:
            subscriptions = list(self._subscriptions.values())
            self._subscriptions.clear()
            self._routes = {}
        for subscription in subscriptions:
            subscription._end()
        return subscriptions


def new_mailbox(queue_size: int, overflow: Overflow, block_timeout: float | None) -> Mailbox:
    return Mailbox(queue_size, overflow, block_timeout)
