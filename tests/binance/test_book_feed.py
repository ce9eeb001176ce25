"""The lane side of Binance's watch_order_book (client_book._BookFeed), sans I/O: a real
OrderBookWatcher fed by hand-made events and a scripted snapshot source."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from exwire.binance.book import DepthSnapshot
from exwire.binance.client_book import _WAKE, _apply, _BookFeed, snapshot_limit
from exwire.binance.enums import FuturesMarket
from exwire.binance.stream_models import DepthUpdate
from exwire.errors import ConfigurationError, RequestTimeout
from exwire.models import DataEvent, Level, UpdateType
from exwire.watcher import OrderBookWatcher

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _snapshot(last_update_id: int, bid: str = "100") -> DepthSnapshot:
    return DepthSnapshot(last_update_id=last_update_id, bids=(Level(Decimal(bid), Decimal("1")),),
                         asks=(Level(Decimal("101"), Decimal("1")),))


def _event(first: int, final: int, bid: str = "100", quantity: str = "2", dropped: int = 0) -> DataEvent[DepthUpdate]:
    update = DepthUpdate(symbol="BTCUSDT", first_update_id=first, final_update_id=final,
                         bids=(Level(Decimal(bid), Decimal(quantity)),))
    return DataEvent(update, "book:BTCUSDT:10", "BTCUSDT", NOW, UpdateType.UPDATE, dropped_before=dropped)


class _Source:
    """Snapshots to hand out, in order; an exception in the list is raised instead."""

    def __init__(self, *answers: DepthSnapshot | Exception) -> None:
        self.answers = list(answers)
        self.calls = 0

    def __call__(self) -> DepthSnapshot:
        self.calls += 1
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def _feed(source: Callable[[], DepthSnapshot]) -> tuple[_BookFeed, OrderBookWatcher]:
    watcher = OrderBookWatcher(exchange="binance", symbol="BTCUSDT", depth=10, apply=_apply, checksum=None)
    feed = _BookFeed(symbol="BTCUSDT", futures=False, topic="book:BTCUSDT:10", fetch=source,
                     log=logging.getLogger("exwire.binance"))
    feed.bind(watcher._on_event)
    return feed, watcher


def _start(feed: _BookFeed, watcher: OrderBookWatcher, snapshot: DepthSnapshot) -> None:
    feed.watcher = watcher
    feed.offer(snapshot)
    feed.on_event(DataEvent(_WAKE, feed.topic, "BTCUSDT", NOW, UpdateType.SNAPSHOT))


def test_events_before_the_watcher_exists_are_buffered_and_bridged() -> None:
    feed, watcher = _feed(_Source())
    feed.on_event(_event(9, 10, quantity="7"))  # covered by the snapshot
    feed.on_event(_event(11, 12, quantity="8"))  # bridges 10 + 1
    assert not watcher.synced
    _start(feed, watcher, _snapshot(10))
    assert watcher.synced
    assert watcher.best_bid == Level(Decimal("100"), Decimal("8"))
    assert (watcher.updates_applied, watcher.updates_skipped, watcher.resyncs) == (2, 1, 0)


def test_a_gap_marks_the_book_stale_and_the_next_snapshot_resyncs_it() -> None:
    source = _Source(_snapshot(20, bid="99"))
    feed, watcher = _feed(source)
    _start(feed, watcher, _snapshot(10))
    feed.on_event(_event(11, 11))
    feed.on_event(_event(13, 20))  # 12 missing: gap, then a fresh snapshot on this lane
    assert source.calls == 1 and watcher.resyncs == 1
    assert watcher.synced and watcher.bids() == [Level(Decimal("99"), Decimal("1"))]  # the old levels are gone


def test_a_dropped_connection_restarts_with_the_next_event() -> None:
    source = _Source(_snapshot(500))
    feed, watcher = _feed(source)
    _start(feed, watcher, _snapshot(10))
    watcher._invalidate()  # what the engine does when the stream connection drops
    feed.on_event(_event(11, 11))  # continues the old ids, but a new connection proves nothing
    assert source.calls == 1 and watcher.resyncs == 1 and watcher.synced


def test_lost_updates_are_counted_and_the_chain_shows_the_gap() -> None:
    source = _Source(_snapshot(30))
    feed, watcher = _feed(source)
    _start(feed, watcher, _snapshot(10))
    feed.on_event(_event(15, 30, dropped=3))
    assert watcher.updates_lost == 3 and watcher.resyncs == 1 and source.calls == 1


def test_a_failing_snapshot_waits_for_the_pacer_before_the_next_try() -> None:
    source = _Source(RequestTimeout("no reply"), _snapshot(40))
    feed, watcher = _feed(source)
    _start(feed, watcher, _snapshot(10))
    feed.on_event(_event(20, 30))  # gap: fetch at once, which fails
    assert source.calls == 1 and not watcher.synced
    feed.on_event(_event(31, 31))  # within the backoff: buffered, no fetch
    assert source.calls == 1
    feed._pacer._not_before = 0.0  # the backoff elapsed
    feed.on_event(_event(32, 40))
    assert source.calls == 2 and watcher.synced


def test_snapshot_limits_follow_the_weight_tiers_and_depth_is_validated() -> None:
    assert [snapshot_limit(d, None) for d in (1, 100, 101, 1000, 1001, 5000)] == [100, 100, 500, 1000, 5000, 5000]
    assert [snapshot_limit(d, FuturesMarket.USDM) for d in (5, 50, 51, 1000)] == [50, 50, 100, 1000]
    for bad, market in ((0, None), (5001, None), (1001, FuturesMarket.COINM), (10.0, None), (True, None)):
        with pytest.raises(ConfigurationError):
            snapshot_limit(bad, market)
