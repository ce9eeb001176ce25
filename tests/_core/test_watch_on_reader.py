"""A book maintained on the reader thread (``BaseClient._watch(on_reader=True)``).

Kraken, CoinEx, Coinsuper and OKX books are applied and checksummed where they are
read: no lane hop and no queue per update. What may block or is user code still runs
on the subscription's lane: the resubscription after a mismatch and the callback.
"""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest

from tests._core.fake import FakeClient, FakeServer, update
from tests.conftest import timeout
from tests.helpers import Collector, Gate, wait_until


@pytest.fixture
def server() -> FakeServer:
    return FakeServer()


class Book:
    """An apply and a checksum for the fake dialect that record the threads they ran on."""

    def __init__(self) -> None:
        self.threads: set[str] = set()
        self.fail_on: str | None = None

    def apply(self, book, data):
        self.threads.add(threading.current_thread().name)
        if data.get("bids") == [[self.fail_on, "1"]]:
            raise RuntimeError("apply failed")
        for price, quantity in data["bids"]:
            book.set_bid(Decimal(price), Decimal(quantity))
        return data.get("c")

    def checksum(self, book) -> int:
        return int(sum(level.price for level in book.bids()))


def _watch(client, book: Book, callback=None):
    return client._watch(
        client.main, symbol="S", depth=10, keys=["book"], topic="book", apply=book.apply, checksum=book.checksum,
        callback=callback, timeout=None, on_reader=True,
    )


def _snapshot(*prices: str) -> str:
    return update("book", {"bids": [[p, "1"] for p in prices]}, snapshot=True)


def test_updates_are_applied_on_the_reader_and_nothing_is_queued(server):
    with FakeClient(server, queue_size=2) as client:
        book = Book()
        watcher = _watch(client, book)
        peer = server.peer()
        peer.push(_snapshot("1"))
        for i in range(50):  # far more than the queue holds: none is queued, none dropped
            peer.push(update("book", {"bids": [[str(2 + i), "1"]], "c": sum(range(1, 3 + i))}))
        wait_until(lambda: watcher.checksums_verified == 50)
        assert watcher.synced and watcher.updates_applied == 51
        assert book.threads == {"exwire-fake-reader-main"}
        assert watcher.subscription.dropped == 0 and watcher.updates_lost == 0 and watcher.resyncs == 0
        assert client.latest.top_of_book("S").value.bid.price == Decimal(51)


def test_latest_gets_the_top_as_each_burst_leaves_it_and_nothing_while_out_of_sync(server):
    with FakeClient(server) as client:
        watcher = _watch(client, Book())
        peer = server.peer()
        peer.push(_snapshot("1", "3"))
        wait_until(lambda: client.latest.top_of_book("S") is not None)
        first = client.latest.top_of_book("S")
        assert first.value.bid == watcher.best_bid and first.value.bid.price == Decimal(3)
        assert first.value.ask is None  # no ask in the book: no Level
        peer.push(update("book", {"bids": [["4", "1"]], "c": 8}))
        wait_until(lambda: watcher.checksums_verified == 1)
        wait_until(lambda: client.latest.top_of_book("S").value.bid.price == Decimal(4))
        second = client.latest.top_of_book("S")
        assert second.received_at >= first.received_at
        peer.push(update("book", {"bids": [["5", "1"]], "c": 999}))  # a mismatch: out of sync
        wait_until(lambda: watcher.checksums_mismatched == 1)
        peer.push(update("book", {"bids": [["6", "1"]]}))  # skipped until the snapshot
        wait_until(lambda: watcher.updates_skipped == 1)
        assert client.latest.top_of_book("S") == second  # the last top of a synced book stays
        peer.push(_snapshot("9"))  # this dialect's apply adds a snapshot's levels to the book
        wait_until(lambda: watcher.synced)
        wait_until(lambda: client.latest.top_of_book("S").value.bid.price == Decimal(9))


def test_the_callback_runs_on_a_lane_and_a_slow_one_gets_the_newest_book(server):
    with FakeClient(server, queue_size=2) as client, Gate() as gate:
        watcher = _watch(client, Book(), gate)
        peer = server.peer()
        peer.push(_snapshot("1"))
        assert gate.entered.wait(timeout(5))  # the callback holds its lane
        for i in range(20):
            peer.push(update("book", {"bids": [[str(2 + i), "1"]]}))
        wait_until(lambda: watcher.updates_applied == 21)  # the reader went on meanwhile
        gate.release.set()
        snapshots = gate.collector.wait_for(2)
        # One call was queued for the twenty updates, and it saw the book as it was then.
        assert len(snapshots) == 2 and snapshots[-1].bids[0].price == Decimal(21)
        assert snapshots[-1].update_count == 21 and watcher.subscription.queued == 0
        assert watcher.subscription.dropped == 0 and watcher.updates_lost == 0
        threads = set()
        probe = threading.Event()

        def record(snapshot):
            threads.add(threading.current_thread().name)
            probe.set()

        watcher._callback = record
        peer.push(update("book", {"bids": [["30", "1"]]}))
        assert probe.wait(timeout(5))
        assert len(threads) == 1 and next(iter(threads)).startswith("exwire-fake-dispatch-")


def test_a_mismatch_resubscribes_from_a_lane(server):
    with FakeClient(server) as client:
        watcher = _watch(client, Book())
        peer = server.peer()
        peer.push(_snapshot("1"))
        wait_until(lambda: watcher.synced)
        subscriptions_before = len(server.subscribed)
        peer.push(update("book", {"bids": [["2", "1"]], "c": 999}))  # the local checksum is 3
        wait_until(lambda: len(server.subscribed) > subscriptions_before)  # asked for a fresh book
        assert server.subscribed[-1] == ["book"]
        assert (watcher.checksums_mismatched, watcher.resyncs, watcher.synced) == (1, 1, False)
        peer.push(update("book", {"bids": [["3", "1"]]}))  # skipped until the snapshot
        peer.push(_snapshot("5"))
        wait_until(lambda: watcher.synced)
        assert watcher.updates_skipped == 1 and watcher.best_bid.price == Decimal(5)


def test_a_failing_apply_is_logged_and_resubscribes(server, caplog):
    with FakeClient(server) as client:
        book = Book()
        book.fail_on = "7"
        collector = Collector()
        watcher = _watch(client, book)
        other = client.subscribe(["k"], collector)  # the reader keeps serving the connection
        peer = server.peer()
        peer.push(_snapshot("1"))
        wait_until(lambda: watcher.synced)
        subscriptions_before = len(server.subscribed)
        peer.push(update("book", {"bids": [["7", "1"]]}))
        peer.push(update("k", "after"))
        assert collector.wait_for(1)[0].data == "after"
        wait_until(lambda: len(server.subscribed) > subscriptions_before)
        assert watcher.resyncs == 1 and not watcher.synced
        assert "applying an update failed" in caplog.text
        other.unsubscribe()
