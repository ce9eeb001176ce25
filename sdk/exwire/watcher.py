"""OrderBookWatcher: a locally maintained order book fed by a book subscription.

Exchange-neutral: each exchange passes how to apply one update (returning the
checksum the exchange sent, if any, or raising :class:`SequenceGap` when the update
does not follow the last one applied) and how to compute the local checksum. The
updates are applied in order, on the connection's reader thread or the
subscription's dispatcher lane (``BaseClient._watch(on_reader=...)``); readers on
any thread take consistent copies under the book lock.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from exwire.latest import TOP_OF_BOOK, LatestValues
from exwire.models import DataEvent, Level, UpdateType
from exwire.orderbook import BookSnapshot, OrderBook

__all__ = ["OrderBookWatcher", "SequenceGap"]

_SNAPSHOT = UpdateType.SNAPSHOT


class SequenceGap(Exception):
    """Raised by an exchange's book ``apply`` when an update does not follow the last one
    applied (a lost message: e.g. OKX's ``prevSeqId`` is not the last ``seqId``).

    ``apply`` raises it before changing the book; the watcher then resubscribes for a
    fresh snapshot and counts it in ``resyncs`` and ``sequence_gaps``, not in
    ``checksums_mismatched``.
    """


class OrderBookWatcher:
    """A local order book kept in sync with the exchange, validated by checksum.

    Built by a client's ``watch_order_book``; updates are applied in arrival order
    (where, see below), and the optional callback runs on one of the client's
    dispatcher lanes (``exwire-<exchange>-dispatch-<n>``), or on the client's
    ``callback_executor`` when it has one. The client's ``latest.top_of_book``
    follows the book.
    After every update whose message carries a checksum, the local book's checksum
    is compared; on a mismatch the watcher logs it, counts it, marks itself not
    synced and resubscribes this book alone to get a fresh snapshot. The same
    happens when updates were dropped before reaching the book (its queue was full:
    ``DataEvent.dropped_before``), because a gap may not show in any checksum. Updates that
    arrive while not synced are skipped. A dropped connection also marks it not
    synced (the book keeps its last levels, but ``synced`` says they are stale) until
    the snapshot that follows the reconnect. Exchanges whose updates carry sequence
    numbers report an update that does not follow the last one as a gap: it is
    counted in ``sequence_gaps`` and resynchronises the book the same way.

    Most exchanges' books (Kraken, CoinEx, Coinsuper, OKX) are maintained on the
    connection's reader thread instead, as each update is read: applying and checking
    an update is exwire's own bounded code, and doing it there saves a thread hand-over
    per update and a queue that could overflow. The lane then runs only the
    resubscription after a mismatch and the callback, which is given the newest book:
    a callback slower than the updates gets the book as it is when it returns, the
    states in between are skipped, never queued.

    Thread-safety: every method and property may be called from any thread.

    Attributes:
        symbol: the symbol as the exchange names it.
        depth: levels per side kept.
        checksums_verified: updates whose checksum matched.
        checksums_mismatched: updates whose checksum did not match.
        resyncs: resubscriptions made after a mismatch, a sequence gap or after updates
            were lost.
        sequence_gaps: updates that did not follow the previous one (exchanges with
            sequence numbers); each resynchronises the book.
        updates_applied: snapshots and updates applied.
        updates_skipped: updates skipped while not synced (waiting for a snapshot).
        updates_lost: updates dropped before reaching the book because its queue was
            full; each such gap resynchronises the book.
    """

    def __init__(
        self,
        *,
        exchange: str,
        symbol: str,
        depth: int,
        apply: Callable[[OrderBook, Any], int | None],
        checksum: Callable[[OrderBook], int] | None,
        callback: Callable[[BookSnapshot], None] | None = None,
        latest: LatestValues | None = None,
        executor: Any = None,
    ) -> None:
        self.symbol = symbol
        self.depth = depth
        self._apply = apply
        self._checksum = checksum
        self._callback = callback
        self._executor = executor
        self._pending_snapshot: BookSnapshot | None = None
        self._host_call_queued = False
        self._follow_up_queued = False  # a _follow_up call is queued on the lane (reader-maintained)
        self._resync_due = False  # a mismatch asked _follow_up to resubscribe
        self._book = OrderBook(depth)
        # latest's top of book of this symbol: set per burst on the reader, per update on a lane
        self._set_top = None if latest is None else latest._setter(TOP_OF_BOOK, symbol)
        self._top_at: datetime | None = None  # received_at of the reader's last update not given to latest
        self._book_lock = threading.Lock()  # guards _book and the counters
        self._synced = threading.Event()
        # _synced's flag as a plain attribute for the update path (Event.is_set is a call);
        # both change together under _book_lock.
        self._in_sync = False
        self.checksums_verified = 0
        self.checksums_mismatched = 0
        self.resyncs = 0
        self.sequence_gaps = 0
        self.updates_applied = 0
        self.updates_skipped = 0
        self.updates_lost = 0
        self.subscription: Any = None
        self.connection_name: str | None = None
        self._resync: Callable[[], None] | None = None
        self.log = logging.getLogger(f"exwire.{exchange}")

    # -- fed by the client ---------------------------------------------------------------

    def _on_event(self, event: DataEvent[Any]) -> None:
        """Lane thread: apply one update, then resubscribe or run the callback when due."""
        if self._take(event.data, event.update_type, event.received_at, event.dropped_before, False):
            self._follow_up(None)

    def _end_of_burst(self) -> None:
        """Reader thread, after a burst gave :meth:`_on_reader` updates: ``latest`` is given the
        book's top of book as the burst left it (once per burst, not per update: a host
        reading ``latest`` sees no intermediate top of book it could not have seen anyway).
        Nothing is given while the book is out of sync."""
        received_at = self._top_at
        if received_at is None or self._set_top is None:
            return
        with self._book_lock:
            self._top_at = None
            if self._in_sync:
                self._set_top((self._book.best_prices_and_quantities(), received_at))

    def _take(self, data: Any, update_type: UpdateType, received_at: datetime, dropped_before: int = 0,
              queue: bool = True) -> bool:
        """Apply one update under the book lock; return whether :meth:`_follow_up` is due.

        The reader calls it for a watcher maintained there (as :meth:`_on_reader`, with
        ``queue``), the lane (:meth:`_on_event`) for the others. ``dropped_before`` updates
        were lost just before this one (its queue was full): the book is resubscribed. A
        mismatch is logged and marks the resubscription due. With ``queue`` (the reader), a
        due follow-up is claimed in the same hold of the lock: True only when no
        :meth:`_follow_up` call is queued already (that one will see this update's book and
        any resubscription due); at most one such call is queued at a time, so a slow
        callback is given the newest book when it is ready, never a backlog of intermediate
        ones. There, an ``apply`` that raises (a bug, or an update the exchange's rules
        cannot place) is logged, and the book is resubscribed as after a checksum mismatch;
        on a lane it raises.
        """
        try:
            mismatch: tuple[int, int] | str | None = None
            with self._book_lock:
                if self._in_sync and not dropped_before and update_type is not _SNAPSHOT:
                    # The usual update: the book is synced and nothing was lost before it.
                    try:
                        expected = self._apply(self._book, data)
                    except SequenceGap as gap:
                        self.sequence_gaps += 1
                        self._unsync()
                        mismatch = f"gap: {gap}"
                    else:
                        self.updates_applied += 1
                        if expected is not None and self._checksum is not None:
                            actual = self._checksum(self._book)
                            if actual == expected:
                                self.checksums_verified += 1
                            else:
                                self.checksums_mismatched += 1
                                self._unsync()
                                mismatch = (expected, actual)
                else:
                    if dropped_before:
                        self.updates_lost += dropped_before
                        if update_type is not _SNAPSHOT and self._in_sync:
                            # Updates were dropped before this one (the consumer fell behind):
                            # the book has a gap that no checksum may reveal. Start afresh.
                            self._unsync()
                            mismatch = "lost"
                    if mismatch is not None:
                        pass
                    elif update_type is _SNAPSHOT:
                        self._apply(self._book, data)
                        self.updates_applied += 1
                        self._in_sync = True
                        self._synced.set()
                    else:  # not synced: wait for the snapshot that follows the resubscription
                        self.updates_skipped += 1
                        return False
                if mismatch is not None:
                    self.resyncs += 1
                    self._resync_due = True
                elif self._set_top is not None:
                    if queue:  # the reader: latest is given the top once per burst (_end_of_burst)
                        self._top_at = received_at
                    else:  # plain values, no model: latest.top_of_book builds the TopOfBook when read
                        self._set_top((self._book.best_prices_and_quantities(), received_at))
                due = mismatch is not None or self._callback is not None
                if due and queue:
                    if self._follow_up_queued:
                        due = False
                    else:
                        self._follow_up_queued = True
            if mismatch is None:
                return due
            if mismatch == "lost":
                self.log.warning("%s book: %d updates were dropped (slow consumer): resubscribing", self.symbol, dropped_before)
            elif isinstance(mismatch, str):
                self.log.warning("%s book sequence %s: resubscribing", self.symbol, mismatch[5:])
            else:
                self.log.warning("%s book checksum mismatch (exchange %d, local %d): resubscribing", self.symbol, *mismatch)
            return due
        except Exception:
            if not queue:
                raise
            self.log.exception("%s book: applying an update failed: resubscribing", self.symbol)
            with self._book_lock:
                self._unsync()
                self.resyncs += 1
                self._resync_due = True
                if self._follow_up_queued:
                    return False
                self._follow_up_queued = True
                return True

    #: The reader's entry (``Subscription.inline``): one call per update, no wrapper.
    _on_reader = _take

    def _follow_up(self, _marker: object) -> None:
        """Lane thread: resubscribe when a mismatch asked for it, else run the callback.

        The callback is given a consistent snapshot of the book as it is now; with the
        client's ``callback_executor`` a host thread runs it, with only the newest
        snapshot kept and at most one call queued there.
        """
        with self._book_lock:
            self._follow_up_queued = False
            resync, self._resync_due = self._resync_due, False
            snapshot = self._book.snapshot() if self._callback is not None and self._in_sync and not resync else None
        if resync:
            if self._resync is not None:
                try:
                    self._resync()
                except Exception as exc:
                    self.log.error("%s book resubscription failed: %s", self.symbol, exc)
            return
        if snapshot is None:
            return
        if self._executor is None:
            self._callback(snapshot)  # type: ignore[misc]
            return
        # A host thread runs the callback: keep only the newest snapshot (each is the
        # whole book) and at most one call queued in the host's executor.
        with self._book_lock:
            self._pending_snapshot = snapshot
            schedule = not self._host_call_queued
            self._host_call_queued = True
        if schedule:
            self._executor.submit(self._run_host_callback)

    def _run_host_callback(self) -> None:
        with self._book_lock:
            snapshot, self._pending_snapshot = self._pending_snapshot, None
            self._host_call_queued = False
        if snapshot is not None:
            self._callback(snapshot)  # type: ignore[misc]

    def _unsync(self) -> None:
        """Book lock held: the book is stale until the next snapshot."""
        self._in_sync = False
        self._synced.clear()

    def _invalidate(self) -> None:
        """The connection dropped: the book is stale until the next snapshot (any thread)."""
        with self._book_lock:
            self._unsync()

    # -- readers (any thread) -----------------------------------------------------------

    @property
    def synced(self) -> bool:
        """Whether the book holds a snapshot and every checksum since has matched."""
        return self._synced.is_set()

    def wait_synced(self, timeout: float | None = None) -> bool:
        """Block until the book is synced; return False if ``timeout`` seconds passed first."""
        return self._synced.wait(timeout)

    def snapshot(self, n: int | None = None) -> BookSnapshot:
        """A consistent immutable copy of the best ``n`` levels per side (all when ``None``)."""
        with self._book_lock:
            return self._book.snapshot(n)

    def bids(self, n: int | None = None) -> list[Level]:
        """The best ``n`` bids (all when ``None``), highest price first."""
        with self._book_lock:
            return self._book.bids(n)

    def asks(self, n: int | None = None) -> list[Level]:
        """The best ``n`` asks (all when ``None``), lowest price first."""
        with self._book_lock:
            return self._book.asks(n)

    @property
    def best_bid(self) -> Level | None:
        """The highest bid, or ``None`` while the side is empty."""
        with self._book_lock:
            return self._book.best_bid

    @property
    def best_ask(self) -> Level | None:
        """The lowest ask, or ``None`` while the side is empty."""
        with self._book_lock:
            return self._book.best_ask

    @property
    def spread(self) -> Decimal | None:
        """Best ask minus best bid in quote asset, or ``None`` while a side is empty."""
        with self._book_lock:
            return self._book.spread

    def close(self, timeout: float | None = None) -> None:
        """Stop maintaining the book (unsubscribes). Idempotent."""
        if self.subscription is not None:
            self.subscription.unsubscribe(timeout)

    def __enter__(self) -> "OrderBookWatcher":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"<OrderBookWatcher {self.symbol} depth={self.depth} synced={self.synced} "
            f"checksums ok={self.checksums_verified} bad={self.checksums_mismatched}>"
        )
