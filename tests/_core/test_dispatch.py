"""The lane queue: one queue per lane for every callback subscription pinned to it.

The registry and the dispatcher are driven directly here, the test thread acting as the
reader (``SubscriptionRegistry.deliver``), so each test controls exactly what waits in
a lane's queue and what the lane has already taken.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest

from exwire._core.dispatch import HAND_OFF_AT, Dispatcher, Feed, Overflow, _Lane
from exwire._core.subscription import SubscriptionRegistry, new_mailbox
from exwire.errors import SlowConsumer
from exwire.kraken import KrakenClient
from exwire.models import DataEvent
from exwire.subscription import Subscription
from tests.conftest import timeout
from tests.helpers import Collector, Gate, wait_until

NOW = datetime.now(timezone.utc)


class Engine:
    """A dispatcher and a registry with ``lanes`` lanes; errors collected."""

    def __init__(self, lanes: int, hand_off: bool = False) -> None:
        self.errors = Collector()
        self.dispatcher = Dispatcher("test", lanes, lambda exc, event: self.errors(exc), hand_off=hand_off)
        self.registry = SubscriptionRegistry(self.dispatcher, lambda exc, event: self.errors(exc))

    def subscribe(self, topic: str, callback: Any, queue_size: int = 100, overflow: Overflow = Overflow.DROP_OLDEST,
                  block_timeout: float | None = None) -> Subscription[Any]:
        subscription: Subscription[Any] = Subscription(
            topic=topic, keys=(topic,), callback=callback, connection_name="main",
            mailbox=new_mailbox(queue_size, overflow, block_timeout),
            unsubscribe=lambda s, t: self.registry.remove(s),
        )
        self.registry.add(subscription)
        return subscription

    def deliver(self, *pairs: tuple[Subscription[Any], Any]) -> float:
        return self.registry.deliver([(s, DataEvent(data, s.topic, None, NOW)) for s, data in pairs])


@pytest.fixture
def engine() -> Iterator[Engine]:
    engine = Engine(1)
    yield engine
    engine.registry.end_all()
    engine.dispatcher.close(timeout(5))


def _held(engine: Engine) -> tuple[Gate, Subscription[Any]]:
    """A subscription whose callback holds the (only) lane until released; already entered."""
    gate = Gate()
    holder = engine.subscribe("holder", gate)
    engine.deliver((holder, "hold"))
    assert gate.entered.wait(timeout(5))
    return gate, holder


def test_many_subscriptions_on_one_lane_each_keep_order(engine):
    collectors = [Collector() for _ in range(300)]
    subscriptions = [engine.subscribe(f"k{n}", c) for n, c in enumerate(collectors)]
    assert {s.lane for s in subscriptions} == {0}
    for i in range(20):  # bursts interleaving every subscription, several updates of each
        engine.deliver(*[(s, (i, half)) for half in range(2) for s in subscriptions])
    for collector in collectors:
        assert [e.data for e in collector.wait_for(40)] == [(i, half) for i in range(20) for half in range(2)]
    assert all(s.dropped == 0 for s in subscriptions)


def test_drop_oldest_drops_only_the_waiting_updates_of_the_full_subscription(engine):
    with _held(engine)[0] as gate:
        full, other = Collector(), Collector()
        a = engine.subscribe("a", full, queue_size=3)
        b = engine.subscribe("b", other, queue_size=3)
        engine.deliver(*[(s, i) for i in range(10) for s in (a, b)][:-1])  # a: 10 updates, b: 9, interleaved
        assert (a.dropped, b.dropped) == (7, 6)
        assert (a.queued, b.queued) == (3, 3)
        gate.release.set()
        assert [(e.data, e.dropped_before) for e in full.wait_for(3)] == [(7, 7), (8, 0), (9, 0)]
        assert [(e.data, e.dropped_before) for e in other.wait_for(3)] == [(6, 6), (7, 0), (8, 0)]
    reported = engine.errors.wait_for(2)
    assert all(isinstance(e, SlowConsumer) for e in reported)
    assert len(engine.errors.events) == 2  # once per episode per subscription, not per drop
    assert isinstance(a.error, SlowConsumer)


def test_updates_the_lane_already_took_are_never_dropped(engine):
    gate = Gate()
    holder = engine.subscribe("holder", gate)
    got = Collector()
    b = engine.subscribe("b", got, queue_size=2)
    engine.deliver((holder, "hold"), (b, 0), (b, 1))  # taken together: the lane holds inside the first
    assert gate.entered.wait(timeout(5))
    engine.deliver(*[(b, i) for i in range(2, 7)])  # 5 more with room for 2: 2, 3, 4 are dropped
    assert b.dropped == 3
    gate.release.set()
    events = got.wait_for(4)
    assert [(e.data, e.dropped_before) for e in events] == [(0, 0), (1, 0), (5, 3), (6, 0)]


def test_latest_keeps_the_newest_and_stamps_everything_it_replaced(engine):
    with _held(engine)[0] as gate:
        got = Collector()
        a = engine.subscribe("a", got, overflow=Overflow.LATEST)
        for i in range(5):  # several bursts: the count carries over each replaced entry
            engine.deliver((a, i))
        assert a.dropped == 4
        gate.release.set()
        event = got.wait_for(1)[0]
        assert (event.data, event.dropped_before) == (4, 4)
        engine.deliver((a, 5))
        assert [(e.data, e.dropped_before) for e in got.wait_for(2)] == [(4, 4), (5, 0)]
    assert len(engine.errors.wait_for(1)) == 1


def test_a_new_episode_after_the_lane_took_the_queue_is_reported_again(engine):
    gate = Gate()
    holder = engine.subscribe("holder", gate)
    a = engine.subscribe("a", lambda event: None, queue_size=1)
    for round_ in range(2):
        gate.entered.clear()
        gate.release.clear()
        engine.deliver((holder, round_))
        assert gate.entered.wait(timeout(5))
        engine.deliver((a, 0), (a, 1), (a, 2))
        gate.release.set()
        engine.errors.wait_for(round_ + 1)
        wait_until(lambda: a.queued == 0)
    assert a.dropped == 4
    assert len(engine.errors.events) == 2


def test_an_unsubscribed_subscription_gets_nothing_more_from_the_taken_batch(engine):
    got = Collector()
    a_subscription: list[Subscription[Any]] = []

    def first(event):
        if event.data == 0:
            a_subscription[0].unsubscribe()
        got(event)

    a = engine.subscribe("a", first)
    a_subscription.append(a)
    engine.deliver(*[(a, i) for i in range(5)])  # one batch; the first callback unsubscribes
    wait_until(lambda: engine.dispatcher.backlog() == 0)
    marker = Collector()
    engine.deliver((engine.subscribe("b", marker), "after"))  # the lane got past a's batch
    marker.wait_for(1)
    assert [e.data for e in got.events] == [0]


def _deliver_in_thread(engine: Engine, *pairs: tuple[Subscription[Any], Any]) -> tuple[threading.Thread, list[float]]:
    blocked: list[float] = []
    thread = threading.Thread(target=lambda: blocked.append(engine.deliver(*pairs)), name="test-reader")
    thread.start()
    return thread, blocked


def test_block_holds_the_reader_until_the_lane_takes_the_queue(engine):
    with _held(engine)[0] as gate:
        got = Collector()
        a = engine.subscribe("a", got, queue_size=2, overflow=Overflow.BLOCK, block_timeout=timeout(10))
        reader, blocked = _deliver_in_thread(engine, *[(a, i) for i in range(5)])
        wait_until(lambda: a.queued == 2)
        assert reader.is_alive()  # waiting for room: the lane is still held
        gate.release.set()
        reader.join(timeout(5))
        assert not reader.is_alive()
        assert [e.data for e in got.wait_for(5)] == list(range(5))
    assert a.dropped == 0
    assert blocked[0] > 0.0


def test_block_past_its_bound_drops_the_new_update_and_announces_it(engine):
    with _held(engine)[0] as gate:
        got = Collector()
        a = engine.subscribe("a", got, queue_size=1, overflow=Overflow.BLOCK, block_timeout=0.05)
        engine.deliver((a, 0), (a, 1))  # 1 waits for room past 50 ms and is dropped
        assert a.dropped == 1
        engine.errors.wait_for(1)
        gate.release.set()
        engine.deliver((a, 2))
        assert [(e.data, e.dropped_before) for e in got.wait_for(2)] == [(0, 0), (2, 1)]


def test_unsubscribing_wakes_a_reader_blocked_on_that_subscription(engine):
    with _held(engine)[0]:
        a = engine.subscribe("a", lambda event: None, queue_size=1, overflow=Overflow.BLOCK, block_timeout=None)
        reader, _ = _deliver_in_thread(engine, (a, 0), (a, 1))
        wait_until(lambda: a.queued == 1)
        a.unsubscribe()
        reader.join(timeout(5))
        assert not reader.is_alive()
        assert a.dropped == 0  # ended, not dropped


def test_closing_the_dispatcher_wakes_a_blocked_reader():
    engine = Engine(1)
    try:
        with _held(engine)[0]:
            a = engine.subscribe("a", lambda event: None, queue_size=1, overflow=Overflow.BLOCK, block_timeout=None)
            reader, _ = _deliver_in_thread(engine, (a, 0), (a, 1))
            wait_until(lambda: a.queued == 1)
            engine.dispatcher.close(0.0)  # stops the lanes; the held one is joined below
            reader.join(timeout(5))
            assert not reader.is_alive()
    finally:
        engine.registry.end_all()
        engine.dispatcher.close(timeout(5))


def test_every_update_is_delivered_in_order_or_counted_and_announced_under_a_flood():
    # Four lanes running while the test thread floods 200 subscriptions with room for 3
    # each; lane 0 is held for the first half, so its subscriptions drop for certain.
    engine = Engine(4)
    try:
        with Gate() as gate:
            holder = engine.subscribe("holder", gate)  # the first subscription: lane 0
            got = {n: Collector() for n in range(200)}
            subscriptions = [engine.subscribe(f"k{n}", got[n], queue_size=3) for n in range(200)]
            engine.deliver((holder, "hold"))
            assert gate.entered.wait(timeout(5))
            sent = 40
            pairs = [(s, i) for i in range(sent) for s in subscriptions]
            for half in (pairs[: len(pairs) // 2], pairs[len(pairs) // 2:]):
                for start in range(0, len(half), 32):
                    engine.deliver(*half[start:start + 32])
                gate.release.set()
            for n, subscription in enumerate(subscriptions):
                wait_until(lambda c=got[n]: bool(c.events) and c.events[-1].data == sent - 1)
                events = got[n].events
                previous = -1
                for event in events:  # each gap is exactly what the event announces
                    assert event.data - previous - 1 == event.dropped_before
                    previous = event.data
                assert len(events) + subscription.dropped == sent
            lane_0 = [s for s in subscriptions if s.lane == 0]
            assert lane_0 and all(s.dropped > 0 for s in lane_0)
    finally:
        engine.registry.end_all()
        engine.dispatcher.close(timeout(5))


# -- the hand-off: a reader lets the lane it woke take a long queue ---------------------------


def _bare_lane(monkeypatch: pytest.MonkeyPatch, wait: float) -> tuple[_Lane, Feed, list[int]]:
    """A lane whose thread never runs (as one the system does not schedule), marked asleep."""
    lane = _Lane("exwire-test-dispatch-0", lambda exc, event: None)
    lane.hand_off_at = HAND_OFF_AT  # as a raw client's Dispatcher sets it
    lane.hand_off_wait = wait
    lane._idle = True  # as _take leaves it before sleeping on _wakeup
    calls: list[int] = []
    hand_off = lane._hand_off
    monkeypatch.setattr(lane, "_hand_off", lambda: (calls.append(len(lane._pending)), hand_off()))
    feed = Feed(0, lane, lambda event: None, 1000, Overflow.DROP_OLDEST, None, lambda event, lost: event)
    return lane, feed, calls


def test_a_reader_waits_for_the_lane_it_woke_to_take_a_long_queue(monkeypatch):
    engine = Engine(1, hand_off=True)
    try:
        got = Collector()
        a = engine.subscribe("a", got, queue_size=1000)
        lane = engine.dispatcher._lanes[0]
        lane.hand_off_wait = timeout(10)  # long: the test sees the take, not the timeout
        wait_until(lambda: lane._idle)  # asleep, so the delivery below wakes it
        calls: list[int] = []
        hand_off = lane._hand_off
        monkeypatch.setattr(lane, "_hand_off", lambda: (calls.append(lane.claims), hand_off()))
        engine.deliver(*[(a, i) for i in range(HAND_OFF_AT - 1)])  # shorter: queued, no hand-off
        assert calls == []
        assert [e.data for e in got.wait_for(HAND_OFF_AT - 1)] == list(range(HAND_OFF_AT - 1))
        wait_until(lambda: lane._idle)
        claims = lane.claims
        engine.deliver(*[(a, i) for i in range(HAND_OFF_AT)])
        assert calls == [claims]
        assert lane.claims == claims + 1 and lane.hand_offs_missed == 0  # taken before deliver returned
        assert [e.data for e in got.wait_for(2 * HAND_OFF_AT - 1)][HAND_OFF_AT - 1:] == list(range(HAND_OFF_AT))
    finally:
        engine.registry.end_all()
        engine.dispatcher.close(timeout(5))


def test_a_queue_of_frames_left_to_the_lane_is_never_handed_off(monkeypatch):
    """Entries whose events hold no decoded JSON (``hand_off=False``: frames a lane decodes)
    are queued without the wait, however long the queue of a lane just woken."""
    lane, feed, calls = _bare_lane(monkeypatch, timeout(10))
    lane._idle, lane._woken = True, False
    lane.feed([[feed, i, 0] for i in range(2 * HAND_OFF_AT)], hand_off=False)
    assert calls == [] and lane._woken and len(lane._pending) == 2 * HAND_OFF_AT
    lane.feed([[feed, i, 0] for i in range(HAND_OFF_AT)], hand_off=False)
    assert calls == []
    lane.hand_off_wait = 0.0  # the same queue with decoded JSON: handed off (at once: no thread runs)
    lane.feed([[feed, 0, 0]])
    assert calls == [3 * HAND_OFF_AT + 1]


def test_a_raw_kraken_clients_ticker_bursts_are_not_handed_off_and_its_books_are(monkeypatch):
    from exwire._core.subscription import SubscriptionRegistry
    from exwire.testing.kraken import KrakenEmulator

    seen: list[bool] = []
    queue = SubscriptionRegistry.queue
    monkeypatch.setattr(SubscriptionRegistry, "queue",
                        lambda self, groups, mailed, hand_off=True: (seen.append(hand_off), queue(self, groups, mailed,
                                                                                                hand_off))[1])
    with KrakenEmulator(push_interval=0.01) as emu, KrakenClient(**emu.client_kwargs(), raw=True) as client:
        ticks, books = Collector(), Collector()
        with client.subscribe_to_ticker_updates(["XBT/USD"], ticks):
            ticks.wait_for(3)
        assert seen and not any(seen)  # every ticker burst: frames the lane decodes
        seen.clear()
        with client.subscribe_to_order_book_updates(["XBT/USD"], 10, books):
            books.wait_for(3)
        assert seen and all(seen)  # books are decoded on the reader: the hand-off applies


def test_a_typed_clients_reader_never_hands_off(engine, monkeypatch):
    a = engine.subscribe("a", Collector(), queue_size=1000)
    lane = engine.dispatcher._lanes[0]
    calls: list[int] = []
    monkeypatch.setattr(lane, "_hand_off", lambda: calls.append(1))
    wait_until(lambda: lane._idle)
    engine.deliver(*[(a, i) for i in range(4 * HAND_OFF_AT)])
    assert calls == []


def test_raw_clients_hand_off_and_typed_ones_do_not():
    from exwire.testing.kraken import KrakenEmulator

    with KrakenEmulator() as emu:
        for raw, expected in ((True, HAND_OFF_AT), (False, None)):
            with KrakenClient(**emu.client_kwargs(), raw=raw) as client:
                client.subscribe_to_ticker_updates(["XBT/USD"], lambda event: None)
                lanes = client._dispatcher._lanes
                assert lanes and all((lane.hand_off_at == HAND_OFF_AT) is (expected is not None) for lane in lanes)


def test_a_reader_never_waits_for_a_lane_running_callbacks(monkeypatch):
    engine = Engine(1, hand_off=True)
    try:
        _never_waits(engine, monkeypatch)
    finally:
        engine.registry.end_all()
        engine.dispatcher.close(timeout(5))


def _never_waits(engine, monkeypatch):
    with _held(engine)[0] as gate:
        lane = engine.dispatcher._lanes[0]
        lane.hand_off_wait = timeout(60)  # were the reader to wait, the join below would fail
        calls: list[int] = []
        monkeypatch.setattr(lane, "_hand_off", lambda: calls.append(1))
        a = engine.subscribe("a", Collector(), queue_size=1000)
        reader, _ = _deliver_in_thread(engine, *[(a, i) for i in range(4 * HAND_OFF_AT)])
        reader.join(timeout(5))
        assert not reader.is_alive() and calls == []
        assert a.queued == 4 * HAND_OFF_AT and gate.entered.is_set()  # all queued behind the running callback


def test_a_hand_off_the_lane_does_not_take_in_time_lets_the_reader_read_on(monkeypatch):
    lane, feed, calls = _bare_lane(monkeypatch, 0.01)
    blocked, overflowed = lane.feed([[feed, n, 0] for n in range(HAND_OFF_AT)])
    assert calls == [HAND_OFF_AT] and lane.hand_offs_missed == 1
    assert blocked == 0.0 and overflowed == []  # a hand-off is not back-pressure
    lane.feed([[feed, n, 0] for n in range(HAND_OFF_AT)])
    assert calls == [HAND_OFF_AT]  # woken once per sleep: no second wait on a lane that never ran
    assert lane.backlog() == 2 * HAND_OFF_AT


def test_stopping_the_lane_ends_a_hand_off(monkeypatch):
    lane, feed, calls = _bare_lane(monkeypatch, timeout(60))
    reader = threading.Thread(target=lane.feed, args=([[feed, n, 0] for n in range(HAND_OFF_AT)],), name="test-reader")
    reader.start()
    wait_until(lambda: calls)
    lane.stop()
    reader.join(timeout(5))
    assert not reader.is_alive()


def test_a_block_subscription_keeps_no_event_its_callback_ran(engine):
    class Data:
        pass

    ran = Collector()
    a = engine.subscribe("a", lambda event: ran(type(event.data).__name__), queue_size=100, overflow=Overflow.BLOCK)
    items = [Data() for _ in range(3)]
    refs = [weakref.ref(item) for item in items]
    engine.deliver(*[(a, item) for item in items])
    del items
    assert ran.wait_for(3) == ["Data"] * 3
    # Freed by the lane once run, not kept by the subscription's feed until its next update.
    wait_until(lambda: all(ref() is None for ref in refs))
