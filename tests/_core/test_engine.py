"""Engine behaviour over the in-memory transport: ordering, overflow, errors, reconnect, close."""

from __future__ import annotations

import json
import logging
import threading

import pytest

from exwire._core.backoff import Deadline, backoff
from exwire.errors import (
    ConfigurationError,
    ConnectionClosed,
    InvalidRequest,
    InvalidState,
    RequestTimeout,
    SlowConsumer,
)
from exwire.models import ConnectionState
from tests._core.fake import FakeClient, FakeServer, update
from tests.conftest import timeout
from tests.helpers import Collector, wait_until


@pytest.fixture
def server():
    return FakeServer()


@pytest.fixture
def client(server):
    with FakeClient(server, dispatch_threads=4) as client:
        yield client


def test_request_returns_the_correlated_reply(client):
    assert client.echo(41) == 41
    assert client.echo("x") == "x"


def test_request_times_out_and_unregisters(server, client):
    client.echo(1)
    server.withhold = True
    with pytest.raises(RequestTimeout):
        client.echo(2, timeout=0.05)
    assert client.main.pending_count() == 0


def test_updates_of_one_subscription_keep_order_while_another_is_slow(server, client):
    release = threading.Event()
    slow_started = threading.Event()

    def slow(event):
        slow_started.set()
        release.wait(timeout(10))

    fast = Collector()
    client.subscribe(["slow"], slow)
    client.subscribe(["fast"], fast)
    peer = server.peer()
    peer.push(update("slow", 0))
    assert slow_started.wait(timeout(5))
    for i in range(500):
        peer.push(update("fast", i))
    events = fast.wait_for(500)
    assert [e.data for e in events] == list(range(500))
    release.set()


def test_many_subscriptions_on_four_lanes_each_keep_order(server, client):
    collectors = {f"k{n}": Collector() for n in range(8)}
    for key, collector in collectors.items():
        client.subscribe([key], collector)
    peer = server.peer()
    for i in range(200):
        for key in collectors:
            peer.push(update(key, i))
    for collector in collectors.values():
        assert [e.data for e in collector.wait_for(200)] == list(range(200))
    assert len({t.name for t in client._dispatcher.threads()}) == 4


def test_block_policy_reports_slow_consumer_after_its_bound(server):
    errors = Collector()
    release = threading.Event()
    with FakeClient(server, queue_size=2, block_timeout=0.05, on_callback_error=lambda e, ev: errors(e)) as client:
        subscription = client.subscribe(["k"], lambda event: release.wait(timeout(10)))
        peer = server.peer()
        for i in range(6):
            peer.push(update("k", i))
        reported = errors.wait_for(1)
        assert isinstance(reported[0], SlowConsumer)
        assert subscription.dropped >= 1
        release.set()


def test_drop_oldest_keeps_the_newest_updates(server):
    with FakeClient(server, queue_size=3, overflow="drop_oldest") as client:
        subscription = client.subscribe(["k"])
        peer = server.peer()
        for i in range(10):
            peer.push(update("k", i))
        wait_until(lambda: client.main.frames_received >= 11)  # the ack + 10 updates
        assert [subscription.get(timeout(1)).data for _ in range(3)] == [7, 8, 9]
        assert subscription.dropped == 7


def test_latest_keeps_only_the_newest_update(server):
    with FakeClient(server, overflow="latest") as client:
        subscription = client.subscribe(["k"])
        peer = server.peer()
        for i in range(10):
            peer.push(update("k", i))
        wait_until(lambda: client.main.frames_received >= 11)
        assert subscription.get(timeout(1)).data == 9
        with pytest.raises(TimeoutError):
            subscription.get(0.01)


def test_raising_callback_does_not_stop_later_deliveries(server):
    errors = Collector()
    seen = Collector()

    def callback(event):
        seen(event)
        if event.data == 1:
            raise RuntimeError("boom")

    with FakeClient(server, on_callback_error=lambda exc, ev: errors(exc)) as client:
        client.subscribe(["k"], callback)
        peer = server.peer()
        for i in range(3):
            peer.push(update("k", i))
        assert [e.data for e in seen.wait_for(3)] == [0, 1, 2]
        assert isinstance(errors.wait_for(1)[0], RuntimeError)


def test_pending_requests_fail_with_connection_closed_on_a_drop(server, client):
    client.echo(0)
    server.withhold = True
    server.request_seen.clear()
    outcome = {}

    def call():
        try:
            client.echo(1, timeout=timeout(10))
        except Exception as exc:
            outcome["error"] = exc

    caller = threading.Thread(target=call)
    caller.start()
    assert server.request_seen.wait(timeout(5))
    server.peer().drop()
    caller.join(timeout(5))
    assert isinstance(outcome.get("error"), ConnectionClosed)


def test_reconnect_resubscribes_every_active_subscription(server):
    events = Collector()
    with FakeClient(server, on_connection_event=events) as client:
        a, b = Collector(), Collector()
        client.subscribe(["a", "b"], a)
        client.subscribe(["c"], b)
        ended = client.subscribe(["d"])
        ended.unsubscribe()
        server.peer(1).drop()
        peer = server.peer(2)
        wait_until(lambda: client.main.is_ready)
        resubscribed = {key for keys in server.subscribed[3:] for key in keys}
        assert resubscribed == {"a", "b", "c"}
        peer.push(update("b", "after"))
        peer.push(update("c", "after"))
        assert a.wait_for(1)[0].data == "after"
        assert b.wait_for(1)[0].data == "after"
        states = [e.state for e in events.wait_for(4)]
        assert states[:4] == [
            ConnectionState.CONNECTED,
            ConnectionState.LOST,
            ConnectionState.RECONNECTING,
            ConnectionState.RESTORED,
        ]


def test_connection_events_never_run_on_the_reader_thread(server):
    names = Collector()
    with FakeClient(server, on_connection_event=lambda e: names(threading.current_thread().name)) as client:
        client.echo(1)
        server.peer().drop()
        wait_until(lambda: client.main.reconnects == 1 and client.main.is_ready)
        for name in names.wait_for(3):
            assert "reader" not in name


def test_reconnect_retries_refused_connections_with_backoff(server, client):
    client.echo(1)
    server.network.refuse_next(3)
    server.peer(1).drop()
    server.peer(2)
    assert client.echo(2, timeout=timeout(5)) == 2


def test_stalled_connection_is_detected_and_replaced(server):
    with FakeClient(server, ping_interval=0.05, stale_timeout=0.2) as client:
        client.echo(1)
        # The fake server does not answer pings: silence is a stall.
        server.peer(2, seconds=5)
        wait_until(lambda: client.main.reconnects >= 1)


def test_malformed_frame_is_logged_and_skipped(server, client, caplog):
    collector = Collector()
    client.subscribe(["k"], collector)
    peer = server.peer()
    with caplog.at_level(logging.WARNING, logger="exwire.fake"):
        peer.push("{not json")
        peer.push(update("k", 1))
        assert collector.wait_for(1)[0].data == 1
    assert client.main.frames_skipped == 1
    assert any("skipped a frame" in r.getMessage() for r in caplog.records)


def test_a_parser_bug_in_the_middle_of_a_read_skips_only_that_frame(server, client, caplog):
    # Frames of one read are parsed together under the protocol lock, then acted on: a
    # frame whose parse raises (here a KeyError, not a ProtocolError) is logged with its
    # traceback and skipped; the frames around it are delivered in order.
    collector = Collector()
    client.subscribe(["k"], collector)
    peer = server.peer()
    with caplog.at_level(logging.ERROR, logger="exwire.fake"):
        for i in range(40):
            peer.push(update("k", i))
        peer.push('{"t": "k"}')  # no "d": the fake protocol's parse raises KeyError
        for i in range(40, 80):
            peer.push(update("k", i))
        assert [e.data for e in collector.wait_for(80)] == list(range(80))
    assert client.main.frames_skipped == 1
    bugs = [r for r in caplog.records if "could not parse a frame" in r.getMessage()]
    assert len(bugs) == 1 and bugs[0].exc_info is not None and bugs[0].exc_info[0] is KeyError


def test_refused_subscription_raises_and_is_not_kept(client):
    with pytest.raises(InvalidRequest):
        client.subscribe(["bad"], lambda e: None)
    assert client._registry.active() == []


def test_exchange_side_unsubscribe_ends_pull_iteration(server, client):
    subscription = client.subscribe(["k"])
    peer = server.peer()
    peer.push(update("k", 1))
    peer.push(json.dumps({"end": "k"}))
    assert [e.data for e in subscription] == [1] or not subscription.active


def test_pull_subscription_iterates_until_unsubscribed(server, client):
    with client.subscribe(["k"]) as subscription:
        peer = server.peer()
        for i in range(3):
            peer.push(update("k", i))
        assert [subscription.get(timeout(2)).data for _ in range(3)] == [0, 1, 2]
    assert not subscription.active
    assert list(subscription) == []
    assert server.received[-1]["op"] == "unsub"


def test_callback_may_call_back_into_the_client(server, client):
    results = Collector()
    client.subscribe(["k"], lambda event: results(client.echo(event.data * 2)))
    server.peer().push(update("k", 21))
    assert results.wait_for(1) == [42]


def test_shared_key_is_subscribed_once_and_released_by_the_last(server, client):
    first = client.subscribe(["k"])
    second = client.subscribe(["k"])
    assert server.subscribed == [["k"]]
    first.unsubscribe()
    assert not any(m.get("op") == "unsub" for m in server.received)
    server.peer().push(update("k", 5))
    assert second.get(timeout(2)).data == 5
    second.unsubscribe()
    assert server.received[-1] == {"op": "unsub", "id": server.received[-1]["id"], "keys": ["k"]}


def test_close_fails_pending_requests_and_stops_every_thread(server):
    client = FakeClient(server)
    client.subscribe(["k"], lambda e: None)
    pull = client.subscribe(["p"])
    server.withhold = True
    outcome = {}

    def call():
        try:
            client.echo(1, timeout=timeout(10))
        except Exception as exc:
            outcome["error"] = exc

    caller = threading.Thread(target=call)
    caller.start()
    assert server.request_seen.wait(timeout(5))
    client.close()
    caller.join(timeout(5))
    assert isinstance(outcome.get("error"), ConnectionClosed)
    assert list(pull) == []
    assert not [t for t in threading.enumerate() if t.name.startswith("exwire-fake")]
    client.close()  # idempotent
    with pytest.raises(InvalidState):
        client.echo(1)


def test_close_from_inside_a_callback_does_not_deadlock(server):
    client = FakeClient(server)
    closed = threading.Event()

    def callback(event):
        client.close()
        closed.set()

    client.subscribe(["k"], callback)
    server.peer().push(update("k", 1))
    assert closed.wait(timeout(5))
    client.close()


def test_bad_arguments_are_configuration_errors(server, client):
    with pytest.raises(ConfigurationError):
        client.subscribe(["k"], "not callable")
    with pytest.raises(ConfigurationError):
        FakeClient(server, dispatch_threads=0)
    with pytest.raises(ConfigurationError):
        FakeClient(server, overflow="sometimes")
    assert server.received == []  # nothing was sent


def test_backoff_grows_with_jitter_up_to_its_cap():
    delays = backoff(initial=1.0, maximum=8.0, factor=2.0, jitter=0.5, rng=lambda: 1.0)
    assert [next(delays) for _ in range(6)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    delays = backoff(initial=1.0, maximum=8.0, rng=lambda: 0.0)
    assert [next(delays) for _ in range(5)] == [1.0, 2.0, 4.0, 8.0, 8.0]


def test_deadline_counts_down():
    assert Deadline(None).remaining() is None
    assert 0 < Deadline(10).remaining() <= 10
    assert Deadline(0).expired


class _HostExecutor:
    """A single-threaded host's queue: callbacks run only when the test calls run_pending."""

    def __init__(self):
        import collections

        self.queue = collections.deque()

    def submit(self, fn, *args):
        self.queue.append((fn, args))

    def run_pending(self):
        ran = 0
        while self.queue:
            fn, args = self.queue.popleft()
            fn(*args)
            ran += 1
        return ran


def test_callback_executor_delivers_in_order_on_the_host_thread(server):
    host = _HostExecutor()
    with FakeClient(server, callback_executor=host) as client:
        seen = []
        client.subscribe(["k"], lambda event: seen.append((event.data, threading.current_thread().name)))
        peer = server.peer()
        for i in range(100):
            peer.push(update("k", i))
        wait_until(lambda: client.main.frames_received >= 101)
        while len(seen) < 100:
            assert host.run_pending() > 0
        assert [data for data, _ in seen] == list(range(100))
        assert {name for _, name in seen} == {threading.current_thread().name}


def test_a_host_that_stops_running_callbacks_meets_the_overflow_policy(server):
    host = _HostExecutor()
    with FakeClient(server, callback_executor=host, queue_size=5, overflow="drop_oldest") as client:
        seen = []
        subscription = client.subscribe(["k"], lambda event: seen.append(event.data))
        peer = server.peer()
        for i in range(50):
            peer.push(update("k", i))
        wait_until(lambda: client.main.frames_received >= 51)
        assert len(host.queue) <= 1  # one drain per subscription, never one per update
        while host.run_pending():
            pass
        assert seen == list(range(45, 50))
        assert subscription.dropped == 45


def test_health_is_plain_json(server, client):
    import json as _json

    client.subscribe(["k"], lambda e: None)
    pull = client.subscribe(["p"])
    server.peer().push(update("p", 1))
    pull.get(timeout(2))
    health = _json.loads(_json.dumps(client.health()))
    assert health["exchange"] == "fake"
    assert health["connections"]["main"]["state"] == "open"
    assert health["connections"]["main"]["pending_requests"] == 0
    by_topic = {s["topic"]: s for s in health["subscriptions"]}
    assert by_topic["k"]["delivery"] == "lane" and by_topic["p"]["delivery"] == "pull"
    assert by_topic["p"]["seconds_since_last_update"] is not None
    assert health["dispatcher"]["threads"] == 4


def test_a_refused_resubscription_ends_only_that_subscription(server):
    errors = Collector()
    with FakeClient(server, on_callback_error=lambda exc, event: errors(exc)) as client:
        kept, refused = Collector(), Collector()
        client.subscribe(["a"], kept)
        gone = client.subscribe(["x"], refused)
        server.refuse.add("x")
        server.peer(1).drop()
        peer = server.peer(2)
        wait_until(lambda: client.main.is_ready and not gone.active)
        peer.push(update("a", "still here"))
        assert kept.wait_for(1)[0].data == "still here"
        assert isinstance(errors.wait_for(1)[0], InvalidRequest)
        assert client.main.reconnects == 1  # no reconnect loop


def test_a_watched_book_is_marked_stale_when_its_connection_drops(server):
    from datetime import datetime, timezone
    from decimal import Decimal

    from exwire.models import DataEvent, UpdateType

    def apply(book, data):
        for price, quantity in data["bids"]:
            book.set_bid(Decimal(price), Decimal(quantity))
        return None

    with FakeClient(server) as client:
        watcher = client._watch(
            client.main, symbol="S", depth=10, keys=["book"], topic="book", apply=apply, checksum=None,
            callback=None, timeout=None,
        )
        # The fake dialect has no snapshots: hand the watcher one as its lane would.
        now = datetime.now(timezone.utc)
        watcher._on_event(DataEvent({"bids": [["1.5", "2"]]}, "book", "S", now, UpdateType.SNAPSHOT))
        assert watcher.synced and watcher.best_bid.price == Decimal("1.5")
        server.peer().drop()
        wait_until(lambda: not watcher.synced)
        assert watcher.best_bid.price == Decimal("1.5")  # last levels kept, flagged stale
        wait_until(lambda: client.main.is_ready)


def test_a_connection_past_its_max_age_is_replaced_and_resubscribed(server):
    with FakeClient(server, max_age=0.3) as client:
        collector = Collector()
        client.subscribe(["k"], collector)
        peer = server.peer(2)  # the replacement
        wait_until(lambda: client.main.is_ready and client.main.reconnects >= 1)
        assert ["k"] in server.subscribed[1:]
        peer.push(update("k", 1))
        assert collector.wait_for(1)[0].data == 1


def test_a_malformed_reply_fails_its_request_at_once(server, client, caplog):
    from exwire.errors import DecodeError

    client.echo(0)
    server.withhold = True
    server.request_seen.clear()
    outcome = {}

    def call():
        try:
            client.echo(1, timeout=timeout(30))
        except Exception as exc:
            outcome["error"] = exc

    caller = threading.Thread(target=call)
    caller.start()
    assert server.request_seen.wait(timeout(5))
    request_id = server.received[-1]["id"]
    with caplog.at_level(logging.WARNING, logger="exwire.fake"):
        server.peer().push(json.dumps({"garbled": request_id}))
        caller.join(timeout(5))
    assert isinstance(outcome.get("error"), DecodeError)  # not a 30 s RequestTimeout
    assert client.main.frames_skipped == 1 and client.main.pending_count() == 0


def test_failed_log_ons_keep_backing_off_instead_of_starting_over():
    from exwire._core.backoff import backoff

    delays = []

    def recorded_backoff():
        for delay in backoff(initial=0.001, maximum=0.016, factor=2.0, jitter=0.0):
            delays.append(delay)
            yield delay

    server = FakeServer()
    with FakeClient(server, backoff_factory=recorded_backoff) as client:
        client.subscribe(["k"], lambda e: None)
        server.refuse.add("k")  # every resubscription is now refused ...

        def refuse_session(peer, frame):
            message = json.loads(frame)
            if message.get("op") == "sub":
                peer.drop("session refused")  # ... by dropping the session right away
            else:
                FakeServer.on_send(server, peer, frame)

        server.network.on_send = refuse_session
        server.peer(1).drop()
        server.peer(6, seconds=10)  # five failed sessions later
        assert delays[:5] == [0.001, 0.002, 0.004, 0.008, 0.016]  # one sequence, not restarts


def test_a_burst_read_at_once_reaches_a_small_blocking_queue_without_loss(server):
    errors = Collector()
    with FakeClient(server, queue_size=2, overflow="block", block_timeout=5.0,
                    on_callback_error=lambda e, ev: errors(e)) as client:
        seen = Collector()
        client.subscribe(["k"], seen)
        peer = server.peer()
        for i in range(300):  # all buffered before the reader looks: one batch of wake-ups
            peer.push(update("k", i))
        assert [e.data for e in seen.wait_for(300)] == list(range(300))
        assert errors.events == []


def test_a_subscription_awaiting_a_snapshot_skips_that_streams_updates_until_it(server, client):
    # A subscription that joins a stream another one holds (OKEx depth) sees each awaited
    # stream from its snapshot on; its other streams and the other subscription see everything.
    first = Collector()
    client.subscribe(["book"], first)
    joined = Collector()
    subscription = client._subscribe(client.main, topic="book,other", keys=["book", "other"], callback=joined,
                                     timeout=timeout(5), awaiting_snapshot=["book"])
    peer = server.peer()
    peer.push(update("book", 1))  # on its way before the resubscription: not the joiner's
    peer.push(update("other", 2))
    peer.push(update("book", 3, snapshot=True))
    peer.push(update("book", 4))
    assert [e.data for e in first.wait_for(3)] == [1, 3, 4]
    assert [(e.data, e.update_type.value) for e in joined.wait_for(3)] == [(2, "update"), (3, "snapshot"),
                                                                          (4, "update")]
    assert subscription.awaiting_snapshot is None and subscription.dropped == 0
