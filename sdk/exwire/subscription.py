"""The handle every ``subscribe_to_*`` method returns, and the callback threading model.

Callback threading model
------------------------
Every client owns one reader thread per connection (``exwire-<exchange>-<connection>``)
and a pool of dispatcher lanes (threads ``exwire-<exchange>-dispatch-<n>``,
``dispatch_threads=`` of them). The reader only decodes frames and queues events; it
never runs user code. While the reader has nothing to read, a thread blocked in a
request on a WebSocket connection may read that connection itself for up to 0.25 s,
so its reply reaches it without a hand-over from the reader thread; the frames it
reads meanwhile are decoded and queued exactly as the reader would, in order, and
callbacks still run only on the lanes (or the executor).

* A subscription's callback runs on one lane, one event at a time, in arrival order.
  Different subscriptions may run in parallel on different lanes.
* With ``callback_executor=`` (a GUI's or an event loop's executor, see
  :mod:`exwire.hosts`) callbacks are submitted to that executor instead, still in order
  per subscription.
* Without a callback the subscription is pulled: ``get(timeout)`` or ``for event in sub``
  on the caller's own thread.
* Events wait in a bounded queue per subscription (``queue_size=``); when it is full the
  client's ``overflow=`` policy (:class:`Overflow`) decides: ``drop_oldest`` (default),
  ``latest`` or ``block``. Every drop is counted (``Subscription.dropped``), reported once
  per episode as :class:`exwire.SlowConsumer` to ``on_callback_error`` and announced on the
  next event (``DataEvent.dropped_before``).
* An exception raised by a callback goes to ``on_callback_error`` (default: logged); the
  subscription carries on.
* An order book watcher (``watch_order_book``) of Kraken, CoinEx, Coinsuper and OKX
  applies each update on the reader thread as it is read (exwire's own bounded code, no
  queue, so none is skipped), and its callback runs on the watcher's lane with the
  newest snapshot: a callback slower than the updates is given the book as it is when
  it returns, the states in between are skipped, never queued. Binance and OKEx
  watchers apply updates on their lane and call the callback after each. With a
  ``callback_executor`` at most one host call is queued at a time, given the newest
  snapshot.
* Every public method of a client, subscription or watcher may be called from any thread,
  including from inside a callback.

Docstrings elsewhere say "runs as the callback threading model says" and point here.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Hashable, Iterable, Iterator
from datetime import datetime
from typing import Any, Generic, Self, TypeVar

from exwire._core.dispatch import CLOSED, Feed, Mailbox
from exwire.errors import InvalidState
from exwire.models import DataEvent, Overflow, UpdateType

__all__ = ["Subscription", "Overflow"]

T = TypeVar("T")
_ids = itertools.count(1)


class Subscription(Generic[T]):
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
        dropped: updates discarded by the overflow policy so far (each drop is also
            announced on the next delivered event, ``DataEvent.dropped_before``).
        error: the ``SlowConsumer`` of the last overflow episode, or ``None``.
    """

    def __init__(
        self,
        *,
        topic: str,
        keys: tuple[Hashable, ...],
        callback: Callable[[DataEvent[T]], None] | None,
        connection_name: str,
        mailbox: Mailbox,
        unsubscribe: Callable[["Subscription[Any]", float | None], None],
        resubscribe: Callable[[], None] | None = None,
        inline: Callable[[Any, UpdateType, datetime], bool] | None = None,
        inline_end: Callable[[], None] | None = None,
        awaiting_snapshot: Iterable[Hashable] = (),
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
        # Set by the registry for a lane callback: its updates wait in the lane's queue,
        # counted by the feed, and the mailbox stays empty.
        self._feed: Feed | None = None
        self._unsubscribe = unsubscribe
        self.resubscribe = resubscribe
        self._active = True
        self._state_lock = threading.Lock()
        self.last_update_at: float | None = None
        # Set by exwire.shared before the handle is returned: maps a pull subscription's
        # native events to the neutral ones as they are taken (callbacks are wrapped instead).
        self._convert: Callable[[DataEvent[Any]], DataEvent[T]] | None = None
        # Internal consumers maintained on the reader (order book watchers): called there
        # with each update's (data, update_type, received_at) instead of queueing it; True
        # asks the lane to run ``callback`` once (with a marker, not an event). ``inline_end``
        # is called there once after each burst that gave ``inline`` an update.
        self.inline = inline
        self.inline_end = inline_end
        # Keys of streams this subscription joined while another subscription held them: the
        # client resubscribes them for a fresh snapshot, and the reader skips their updates
        # for this subscription until that snapshot (its first event of each is the whole book).
        self.awaiting_snapshot: set[Hashable] | None = set(awaiting_snapshot) or None
        # What a lane calls for this subscription's events instead of ``callback`` (set by the
        # client before registering it): a raw client's decoding of deferred JSON, then ``callback``.
        self._lane_callback: Callable[[DataEvent[Any]], None] | None = None

    def __repr__(self) -> str:
        kind = "callback" if self.callback else "pull"
        return f"<Subscription {self.id} {self.topic!r} {kind} active={self._active}>"

    @property
    def active(self) -> bool:
        """Whether updates are still being delivered."""
        return self._active

    @property
    def dropped(self) -> int:
        feed = self._feed
        return self._mailbox.dropped if feed is None else feed.dropped

    @property
    def queued(self) -> int:
        """Updates waiting for the callback or for ``get``."""
        feed = self._feed
        return len(self._mailbox) if feed is None else len(feed)

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
        self._close_queue()
        self._unsubscribe(self, timeout)

    def _end(self) -> None:
        """End without telling the exchange (client closing, exchange-side unsubscribe)."""
        with self._state_lock:
            self._active = False
        self._close_queue()

    def _close_queue(self) -> None:
        self._mailbox.close()
        if self._feed is not None:
            self._feed.close()

    def get(self, timeout: float | None = None) -> DataEvent[T]:
        """Return the next update (an ``exwire.DataEvent``), blocking up to ``timeout`` seconds.

        Drops never raise here: an event that follows dropped updates says how many in
        its ``dropped_before`` (and ``dropped`` counts them all).

        Raises:
            InvalidState: the subscription has a callback, or it has ended.
            TimeoutError: no update arrived within ``timeout``.
        """
        if self.callback is not None:
            raise InvalidState("this subscription delivers to its callback; get() is for pull subscriptions")
        item = self._mailbox.pop(timeout)
        if item is CLOSED:
            raise InvalidState(f"subscription {self.topic!r} has ended")
        convert = self._convert
        return item if convert is None else convert(item)

    def __iter__(self) -> Iterator[DataEvent[T]]:
        if self.callback is not None:
            raise InvalidState("this subscription delivers to its callback; iterate pull subscriptions only")
        return self

    def __next__(self) -> DataEvent[T]:
        item = self._mailbox.pop(None)
        if item is CLOSED:
            raise StopIteration
        convert = self._convert
        return item if convert is None else convert(item)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.unsubscribe()
