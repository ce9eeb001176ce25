"""Binance's local order book procedure: a diff depth stream bridged onto a snapshot.

Pure: no threads, no I/O, no clock of its own (the pacer takes one). The client
(:mod:`exwire.binance.client_book`) feeds a :class:`DepthSequencer` the diff depth events
(``<symbol>@depth[@100ms]``, :class:`~exwire.binance.stream_models.DepthUpdate`) and the
snapshots it fetches, and applies what the sequencer releases to an
:class:`exwire.orderbook.OrderBook` with :func:`apply_snapshot` and :func:`apply_update`.

The rules are Binance's documented ones ("How to manage a local order book correctly",
Spot WebSocket Streams and USDⓈ-M / COIN-M Futures "Diff. Book Depth Streams" pages):

* Events are buffered until a snapshot is installed (the stream is subscribed first).
* Stale events are dropped: spot ``u <= lastUpdateId``, futures ``u < lastUpdateId``.
* The first kept event must bridge the snapshot: spot ``U <= lastUpdateId + 1 <= u``,
  futures ``U <= lastUpdateId <= u``. When it does not (the snapshot is older than the
  stream), the snapshot is refused and a new one must be fetched; the buffer is kept.
* Then each event must continue the previous one: spot ``U == previous u + 1`` (an
  event with ``u`` at or below the book's id is already covered and ignored), futures
  ``pu == previous u`` (futures ids are not contiguous between events, so ``U`` proves
  nothing there). A broken chain is a gap: the book and the buffer are discarded and the
  procedure starts again from a fresh snapshot, buffering from the event that showed it.
* Quantities are absolute; a zero quantity removes the level (removing a level that is
  not in the book is normal).

Levels outside the snapshot's depth are unknown until they change, so the stored book is
never cut to the depth the user asked for: a level cut off and later moved back into the
top would be missing. Readers take the top levels they need.
"""

from __future__ import annotations

import enum
import itertools
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator

import attrs

from exwire._core.backoff import backoff
from exwire.binance.stream_models import DepthUpdate
from exwire.models import Level
from exwire.orderbook import OrderBook

__all__ = [
    "DepthSnapshot",
    "Outcome",
    "Installed",
    "DepthSequencer",
    "ResyncPacer",
    "apply_snapshot",
    "apply_update",
    "MAX_BUFFERED",
]

#: Events kept while waiting for a snapshot; the oldest go first (a snapshot that then
#: fails to bridge is refused, so an overflow is never applied wrongly).
MAX_BUFFERED = 10_000


@attrs.frozen(kw_only=True)
class DepthSnapshot:
    """A full order book at one update id (REST ``GET /api/v3/depth``, ``/dapi/v1/depth``
    or the WS API ``depth`` method).

    Attributes:
        last_update_id: ``lastUpdateId``, the id of the last change the snapshot includes.
        bids: bid levels, best (highest price) first; prices in quote asset, quantities
            in base asset (contracts on COIN-M).
        asks: ask levels, best (lowest price) first.
    """

    last_update_id: int
    bids: tuple[Level, ...]
    asks: tuple[Level, ...]


class Outcome(enum.Enum):
    """What the sequencer did with one event or snapshot."""

    #: Kept until a snapshot is installed.
    BUFFERED = "buffered"
    #: Already covered by the book (or the snapshot): dropped.
    STALE = "stale"
    #: Continues the book: the caller applies it.
    APPLIED = "applied"
    #: The snapshot was installed (with the buffered events it releases).
    SYNCED = "synced"
    #: The snapshot is older than the stream (no event bridges it): fetch another one.
    #: The buffer is kept.
    TOO_OLD = "too_old"
    #: The chain broke: the book is discarded; fetch a fresh snapshot.
    GAP = "gap"


@attrs.frozen(kw_only=True)
class Installed:
    """The result of :meth:`DepthSequencer.install`.

    Attributes:
        outcome: ``SYNCED``, ``TOO_OLD`` or ``GAP`` (the buffered events do not chain).
        updates: on ``SYNCED``, the buffered events to apply after the snapshot, in order;
            empty otherwise.
        stale: buffered events dropped as already covered by the snapshot.
    """

    outcome: Outcome
    updates: tuple[DepthUpdate, ...] = ()
    stale: int = 0


class DepthSequencer:
    """The state of one symbol's book procedure: buffering, bridging, then chaining.

    Not thread-safe: one thread (the book's dispatcher lane) owns it.

    Args:
        futures: ``True`` for USDⓈ-M and COIN-M (``pu`` chain, bridge ``U <= id <= u``),
            ``False`` for spot (``U == previous u + 1``, bridge ``U <= id + 1 <= u``).
        max_buffered: events kept while waiting for a snapshot.

    Attributes:
        applied: events released to the book (buffered ones included).
        stale: events dropped as already covered.
        gaps: chain breaks seen (each discards the book).
        refused: snapshots refused as older than the stream.
    """

    def __init__(self, *, futures: bool, max_buffered: int = MAX_BUFFERED) -> None:
        self.futures = futures
        self._buffer: deque[DepthUpdate] = deque(maxlen=max_buffered)
        self._update_id: int | None = None  # the book's id; None: no snapshot installed
        self._bridged = False  # whether an event continued the snapshot yet
        self.applied = 0
        self.stale = 0
        self.gaps = 0
        self.refused = 0

    @property
    def installed(self) -> bool:
        """Whether a snapshot is installed (the book is valid as of :attr:`update_id`)."""
        return self._update_id is not None

    @property
    def update_id(self) -> int | None:
        """The id of the last change the book holds, or ``None`` before a snapshot."""
        return self._update_id

    @property
    def buffered(self) -> int:
        """Events waiting for a snapshot."""
        return len(self._buffer)

    def restart(self) -> None:
        """Discard the book and the buffer (a reconnect, lost events): wait for a snapshot."""
        self._buffer.clear()
        self._update_id = None
        self._bridged = False

    def push(self, update: DepthUpdate) -> Outcome:
        """Take one stream event: ``BUFFERED``, ``STALE``, ``APPLIED`` (apply it), ``TOO_OLD``
        (the installed snapshot turned out older than the stream: it is uninstalled and
        this event buffered) or ``GAP`` (the book is discarded and this event buffered)."""
        book_id = self._update_id
        if book_id is None:
            self._buffer.append(update)
            return Outcome.BUFFERED
        if not self._bridged:
            return self._bridge(update, book_id)
        if self.futures:
            continues = update.previous_final_update_id == book_id
        else:
            if update.final_update_id <= book_id:
                self.stale += 1
                return Outcome.STALE
            continues = update.first_update_id == book_id + 1
        if not continues:
            self.gaps += 1
            self.restart()
            self._buffer.append(update)
            return Outcome.GAP
        self._update_id = update.final_update_id
        self.applied += 1
        return Outcome.APPLIED

    def install(self, snapshot: DepthSnapshot) -> Installed:
        """Install a snapshot over the buffer: drop the stale events, bridge, check the chain.

        On ``SYNCED`` the caller replaces its book with the snapshot and applies
        ``updates``. On ``TOO_OLD`` nothing changes (fetch a newer snapshot). On ``GAP``
        the buffered events themselves do not chain (events were lost while buffering):
        the buffer is discarded from the break on; fetch again.
        """
        snapshot_id = snapshot.last_update_id
        stale = 0
        while self._buffer and self._is_stale(self._buffer[0], snapshot_id):
            self._buffer.popleft()
            stale += 1
        self.stale += stale
        if self._buffer and not self._bridges(self._buffer[0], snapshot_id):
            self.refused += 1
            return Installed(outcome=Outcome.TOO_OLD, stale=stale)
        pending = list(self._buffer)
        self._buffer.clear()
        self._update_id = snapshot_id
        self._bridged = False
        released: list[DepthUpdate] = []
        for index, update in enumerate(pending):
            outcome = self.push(update)
            if outcome is Outcome.GAP:
                # push() restarted and buffered the breaking event: keep what follows it.
                self._buffer.extend(pending[index + 1:])
                return Installed(outcome=Outcome.GAP, stale=stale)
            if outcome is Outcome.APPLIED:
                released.append(update)
            # STALE (spot: an event already covered) leaves nothing to apply.
        return Installed(outcome=Outcome.SYNCED, updates=tuple(released), stale=stale)

    # -- rules ----------------------------------------------------------------------------

    def _is_stale(self, update: DepthUpdate, book_id: int) -> bool:
        if self.futures:
            return update.final_update_id < book_id
        return update.final_update_id <= book_id

    def _bridges(self, update: DepthUpdate, book_id: int) -> bool:
        target = book_id if self.futures else book_id + 1
        return update.first_update_id <= target <= update.final_update_id

    def _bridge(self, update: DepthUpdate, book_id: int) -> Outcome:
        if self._is_stale(update, book_id):
            self.stale += 1
            return Outcome.STALE
        if not self._bridges(update, book_id):
            # The stream is past the snapshot: the snapshot cannot be used.
            self.refused += 1
            self.restart()
            self._buffer.append(update)
            return Outcome.TOO_OLD
        self._bridged = True
        self._update_id = update.final_update_id
        self.applied += 1
        return Outcome.APPLIED


def apply_snapshot(book: OrderBook, snapshot: DepthSnapshot) -> None:
    """Replace every level of ``book`` with the snapshot's."""
    book.clear()
    for level in snapshot.bids:
        book.set_bid(level.price, level.quantity)
    for level in snapshot.asks:
        book.set_ask(level.price, level.quantity)


def apply_update(book: OrderBook, update: DepthUpdate) -> None:
    """Set each changed level to its absolute quantity (zero removes it)."""
    for level in update.bids:
        book.set_bid(level.price, level.quantity)
    for level in update.asks:
        book.set_ask(level.price, level.quantity)


class ResyncPacer:
    """When the next snapshot of one book may be fetched, so resyncs never storm.

    The first fetch after a healthy period goes at once, and so does the first retry (a
    snapshot taken just before a gap is "older than the stream" once, normally). Each
    further failure (an error, a snapshot older than the stream, or a gap within
    ``stable`` seconds of the last install) pushes the next fetch back by an exponential,
    jittered delay (``initial`` doubling up to ``maximum`` seconds); a book that stays
    synced for ``stable`` seconds starts afresh.

    Not thread-safe: the book's lane owns it.

    Args:
        initial, maximum: the first and the largest delay, seconds.
        stable: seconds a book must stay synced to reset the delays.
        clock: monotonic seconds (tests pass their own).
        delays: makes the delay generator (default: 0, then :func:`exwire._core.backoff.backoff`).
    """

    def __init__(self, *, initial: float = 0.5, maximum: float = 30.0, stable: float = 10.0,
                 clock: Callable[[], float] = time.monotonic,
                 delays: Callable[[], Iterator[float]] | None = None) -> None:
        self._make_delays = delays or (lambda: itertools.chain((0.0,), backoff(initial, maximum)))
        self._delays = self._make_delays()
        self._stable = stable
        self._clock = clock
        self._not_before = float("-inf")
        self._synced_at: float | None = None
        #: fetches pushed back so far (a measure of trouble).
        self.delayed = 0

    def ready(self) -> bool:
        """Whether a snapshot may be fetched now."""
        return self._clock() >= self._not_before

    def failed(self) -> float:
        """A fetch failed: return the seconds until the next one is allowed."""
        delay = next(self._delays)
        self._not_before = self._clock() + delay
        self.delayed += 1
        return delay

    def synced(self) -> None:
        """A snapshot was installed."""
        self._synced_at = self._clock()

    def lost(self) -> None:
        """The book lost sync (a gap, a reconnect): allow a fetch at once unless it had
        synced only moments ago, which counts as a failure."""
        synced_at, self._synced_at = self._synced_at, None
        if synced_at is not None and self._clock() - synced_at >= self._stable:
            self._delays = self._make_delays()
            self._not_before = float("-inf")
        elif synced_at is not None:
            self.failed()


def snapshot_from_levels(last_update_id: int, bids: Iterable[Level], asks: Iterable[Level]) -> DepthSnapshot:
    """A :class:`DepthSnapshot` from any levels (e.g. the WS API ``depth`` result's)."""
    return DepthSnapshot(last_update_id=last_update_id, bids=tuple(bids), asks=tuple(asks))
