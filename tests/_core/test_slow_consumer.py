"""A slow consumer never stalls the connection under the default policy (drop the oldest).

Each test here fails on the engine whose default overflow policy was ``block``: the
reader waited for room in a full queue, so replies, other subscriptions and the
liveness checks waited with it.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from exwire._core.dispatch import Overflow
from exwire.errors import SlowConsumer
from exwire.models import ConnectionState, DataEvent, UpdateType
from tests._core.fake import FakeClient, FakeServer, update
from tests.conftest import timeout
from tests.helpers import Collector, Gate, wait_until


@pytest.fixture
def server() -> FakeServer:
    return FakeServer()


def test_the_default_policy_is_drop_oldest(server):
    with FakeClient(server) as client:
        assert client._overflow is Overflow.DROP_OLDEST


def test_a_request_is_answered_while_a_callback_is_stuck_behind_a_full_queue(server):
    errors = Collector()
    with FakeClient(server, queue_size=100, on_callback_error=lambda exc, event: errors(exc)) as client:
        gate = Gate()
        subscription = client.subscribe(["trades"], gate)
        peer = server.peer()
        peer.push(update("trades", -1))
        assert gate.entered.wait(timeout(5))
        for i in range(3000):
            peer.push(update("trades", i))
        # The old default (block, 10 s) kept the reader waiting: this timed out.
        assert client.echo("still here", timeout=timeout(2)) == "still here"
        wait_until(lambda: subscription.dropped == 3000 - 100)
        gate.release.set()
        events = gate.collector.wait_for(101)
        assert [e.data for e in events[1:]] == list(range(2900, 3000))  # the newest 100 survive
        assert events[0].dropped_before == 0
        assert events[1].dropped_before == 2900  # announced on the next delivered event
        assert all(e.dropped_before == 0 for e in events[2:])
        slow = errors.wait_for(1)
        assert isinstance(slow[0], SlowConsumer)
        assert len(errors.events) == 1  # once per episode, not once per drop
        assert isinstance(subscription.error, SlowConsumer)


def test_a_new_overflow_episode_is_reported_again(server):
    errors = Collector()
    with FakeClient(server, queue_size=5, on_callback_error=lambda exc, event: errors(exc)) as client:
        gate = Gate()
        subscription = client.subscribe(["k"], gate)
        peer = server.peer()
        for round_ in range(2):
            gate.entered.clear()
            gate.release.clear()
            peer.push(update("k", "first"))
            assert gate.entered.wait(timeout(5))
            for i in range(20):
                peer.push(update("k", i))
            wait_until(lambda: subscription.dropped == 15 * (round_ + 1))
            gate.release.set()
            gate.collector.wait_for(6 * (round_ + 1))
        errors.wait_for(2)
        assert all(isinstance(e, SlowConsumer) for e in errors.events)


def test_a_slow_subscription_does_not_starve_another_on_the_same_connection(server):
    # One lane: the two subscriptions even share it; the fast one still gets every update
    # once the slow callback returns, and the reader never waited meanwhile.
    with FakeClient(server, dispatch_threads=2, queue_size=10) as client:
        gate = Gate()
        fast = Collector()
        client.subscribe(["trade"], gate)
        client.subscribe(["ticker"], fast)
        peer = server.peer()
        peer.push(update("trade", 0))
        assert gate.entered.wait(timeout(5))
        for i in range(200):
            peer.push(update("trade", i))
            if i % 20 == 0:
                peer.push(update("ticker", i))
        assert [e.data for e in fast.wait_for(10)] == list(range(0, 200, 20))
        gate.release.set()


def test_pull_subscriptions_announce_drops_without_raising(server):
    with FakeClient(server, queue_size=3) as client:
        with client.subscribe(["k"]) as subscription:
            peer = server.peer()
            for i in range(10):
                peer.push(update("k", i))
            wait_until(lambda: subscription.dropped == 7)
            first = subscription.get(timeout(5))
            assert (first.data, first.dropped_before) == (7, 7)
            assert [subscription.get(timeout(5)).dropped_before for _ in range(2)] == [0, 0]


def test_latest_keeps_only_the_newest_and_counts_the_rest(server):
    with FakeClient(server, overflow="latest") as client:
        gate = Gate()
        subscription = client.subscribe(["k"], gate)
        peer = server.peer()
        peer.push(update("k", "first"))
        assert gate.entered.wait(timeout(5))
        for i in range(50):
            peer.push(update("k", i))
        wait_until(lambda: subscription.dropped == 49)
        gate.release.set()
        events = gate.collector.wait_for(2)
        assert (events[1].data, events[1].dropped_before) == (49, 49)


def _book_apply(book, data):
    for price, quantity in data["bids"]:
        book.set_bid(Decimal(price), Decimal(quantity))
    return None


def test_a_watched_book_that_loses_updates_resynchronises(server):
    with FakeClient(server, queue_size=4) as client:
        watcher = client._watch(
            client.main, symbol="S", depth=10, keys=["book"], topic="book", apply=_book_apply, checksum=None,
            callback=None, timeout=None,
        )
        now = datetime.now(timezone.utc)
        watcher._on_event(DataEvent({"bids": [["1", "1"]]}, "book", "S", now, UpdateType.SNAPSHOT))
        assert watcher.synced
        subscriptions_before = len(server.subscribed)
        # Hold the lane inside the watcher's apply so its queue overflows.
        entered, release = threading.Event(), threading.Event()

        def slow_apply(book, data):
            entered.set()
            release.wait(timeout(10))
            return _book_apply(book, data)

        watcher._apply = slow_apply
        peer = server.peer()
        peer.push(update("book", {"bids": [["2", "1"]]}))
        assert entered.wait(timeout(5))
        for i in range(20):
            peer.push(update("book", {"bids": [[str(10 + i), "1"]]}))
        wait_until(lambda: watcher.subscription.dropped == 16)
        release.set()
        wait_until(lambda: watcher.resyncs == 1)
        assert watcher.updates_lost == 16
        assert not watcher.synced  # until the snapshot the resubscription brings
        wait_until(lambda: len(server.subscribed) > subscriptions_before)  # it asked for a fresh book
        assert server.subscribed[-1] == ["book"]


def test_block_is_opt_in_and_loses_nothing_within_its_bound(server):
    with FakeClient(server, queue_size=2, overflow="block", block_timeout=timeout(10)) as client:
        gate = Gate()
        subscription = client.subscribe(["k"], gate)
        peer = server.peer()
        peer.push(update("k", -1))
        assert gate.entered.wait(timeout(5))
        for i in range(50):
            peer.push(update("k", i))
        gate.release.set()
        assert [e.data for e in gate.collector.wait_for(51)][1:] == list(range(50))
        assert subscription.dropped == 0


def test_block_pauses_the_pong_deadline_while_the_reader_waits(server):
    # ping every 0.1 s, pong due within 0.3 s; the reader is held 1 s by a full queue.
    # The pong is read after the wait: the wait must not count against the deadline.
    events = Collector()
    with FakeClient(
        server, queue_size=1, overflow="block", block_timeout=None, ping_interval=0.1, pong_timeout=0.3,
        on_connection_event=events,
    ) as client:
        server.answer_pings = True
        gate = Gate()
        client.subscribe(["k"], gate)
        peer = server.peer()
        peer.push(update("k", 0))
        assert gate.entered.wait(timeout(5))
        peer.push(update("k", 1))  # fills the queue
        server.answer_pings = False  # the next ping's pong is held back ...
        pings = sum(1 for m in server.received if m.get("op") == "ping")
        wait_until(lambda: sum(1 for m in server.received if m.get("op") == "ping") > pings)
        peer.push(update("k", 2))  # ... while the reader blocks on this update
        peer.push(json.dumps({"pong": 1}))  # then it arrives, queued behind the blocked update
        server.answer_pings = True
        threading.Event().wait(1.0)  # the consumer stays slow for three pong allowances
        gate.release.set()
        gate.collector.wait_for(3)
        assert client.echo("ok", timeout=timeout(2)) == "ok"
        assert not [e for e in events.events if e.state is ConnectionState.LOST]
