"""One fault matrix for all six clients: client × fault, the same invariants everywhere.

Each client talks to its emulator through a :class:`~tests.faultproxy.FaultProxy`. The
faults: ``rst`` (the relay resets every connection), ``cut`` (the relay forwards half of
the next server frame, then closes), ``stall`` (the emulator goes silent, sockets open),
``trickle`` (the relay forwards one byte at a time, both ways), ``restart`` (the
emulator drops every connection and accepts new ones), ``refused`` (the connections
are reset and the next three connect attempts are refused) and ``inflight`` (a request
whose reply is withheld is pending when the connection is reset).

After every fault: a request pending at the fault failed with ``exwire.ConnectionClosed``
(never hung) and the emulator saw it at most once (never replayed); every connection
through the relay was restored; the subscriptions resumed with no update delivered twice
(no frame delivered twice, each stream subscribed once on the emulator, and where the
updates carry ids — Binance balance deltas — each id once); the watched order book
(Kraken, CoinEx, OKEx, OKX) resynced with no bad checksum; and ``close()`` leaves no thread.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

import exwire
from exwire import CoinexClient, KrakenClient, OkexClient
from exwire._core.backoff import backoff
from exwire.binance import BinanceClient, FuturesMarket
from exwire.binance.events import BalanceUpdate
from exwire.coinsuper import CoinsuperClient
from exwire.models import ConnectionEvent, ConnectionState
from exwire.okx import OkxClient
from exwire.testing import KrakenEmulator
from exwire.testing.binance import BinanceEmulator
from exwire.testing.coinex import CoinexEmulator
from exwire.testing.coinsuper import CoinsuperEmulator
from exwire.testing.okex import OkexEmulator
from exwire.testing.okx import OkxEmulator
from tests.conftest import timeout
from tests.faultproxy import FaultProxy
from tests.helpers import wait_until

REFUSALS = 3  # connect attempts refused by the "refused" fault


def _backoff():
    return backoff(initial=0.02, maximum=0.2)


class Events:
    """``on_connection_event``: counts states per connection."""

    def __init__(self) -> None:
        self.events: list[ConnectionEvent] = []
        self._lock = threading.Lock()

    def __call__(self, event: ConnectionEvent) -> None:
        with self._lock:
            self.events.append(event)

    def count(self, state: ConnectionState, name: str) -> int:
        with self._lock:
            return sum(1 for e in self.events if e.state is state and e.connection == name)

    def snapshot(self, names: list[str]) -> dict[str, tuple[int, int]]:
        return {n: (self.count(ConnectionState.LOST, n), self.count(ConnectionState.RESTORED, n)) for n in names}

    def wait_recovered(self, before: dict[str, tuple[int, int]], seconds: float = 10) -> None:
        """Every connection of ``before`` was lost and restored since."""
        wait_until(lambda: all(self.count(ConnectionState.LOST, n) > lost and
                               self.count(ConnectionState.RESTORED, n) > restored
                               for n, (lost, restored) in before.items()), seconds)

    def max_attempt(self) -> int:
        with self._lock:
            return max((e.attempt for e in self.events if e.state is ConnectionState.RECONNECTING), default=0)


class Stream:
    """A subscription callback that records every event and finds duplicated deliveries.

    With ``keep_raw=True`` an event is identified by its frame text and the moment its
    frame was read: the same frame delivered twice repeats both.
    """

    def __init__(self) -> None:
        self.events: list[exwire.DataEvent] = []
        self._lock = threading.Lock()

    def __call__(self, event: exwire.DataEvent) -> None:
        with self._lock:
            self.events.append(event)

    def __len__(self) -> int:
        with self._lock:
            return len(self.events)

    def duplicates(self) -> list[Any]:
        with self._lock:
            keys = Counter((e.topic, e.received_at, e.raw) for e in self.events)
        return [key for key, n in keys.items() if n > 1]


class Harness:
    """How one client is built, subscribed, asked and checked against its emulator."""

    name = ""
    watched = False  # has watch_order_book
    trickle_gap = 0.0002  # seconds between trickled bytes

    def __init__(self, fault: str) -> None:
        self.fault = fault
        self.streams: list[Stream] = []
        self.watcher: Any = None

    def emulator(self) -> Any:
        raise NotImplementedError

    def target(self, emu: Any) -> str:
        return emu.client_kwargs()["url"]

    def client(self, emu: Any, proxy: FaultProxy, events: Events) -> Any:
        raise NotImplementedError

    def start(self, client: Any, emu: Any) -> None:
        """Subscribe; return once updates flow."""

    def poke(self, client: Any, emu: Any) -> None:
        """Make the server send something on every connection (most do by themselves)."""

    def request(self, client: Any) -> Any:
        """A quick idempotent request."""
        raise NotImplementedError

    def request_seen(self, emu: Any) -> int:
        """How many times the emulator has processed :meth:`request`."""
        raise NotImplementedError

    def arm_inflight(self, emu: Any, proxy: FaultProxy) -> tuple[Callable[[], Any], Callable[[], bool], Callable[[], int]]:
        """Withhold the next reply; return (the call, whether it reached the emulator, times seen)."""
        raise NotImplementedError

    def server_subscriptions(self, emu: Any) -> list[Any]:
        """Every stream subscribed on the emulator (each must appear once)."""
        return []

    def names(self, client: Any) -> list[str]:
        """The connections open now (all through the relay); Binance declares COIN-M unused."""
        return sorted(name for name, connection in client._connections.items() if connection.is_ready)

    def trickled(self, client: Any, emu: Any) -> None:
        """Updates come through while the relay trickles."""
        counts = [len(s) for s in self.streams]
        wait_until(lambda: all(len(s) > c for s, c in zip(self.streams, counts)), 10)

    def resumed(self, client: Any, emu: Any) -> None:
        """New updates arrived on every stream after the fault."""
        counts = [len(s) for s in self.streams]
        wait_until(lambda: all(len(s) >= c + 3 for s, c in zip(self.streams, counts)), 10)


class KrakenHarness(Harness):
    name = "kraken"
    watched = True

    def emulator(self) -> KrakenEmulator:
        return KrakenEmulator(seed=7, push_interval=0.02, heartbeat_interval=0.2)

    def client(self, emu, proxy, events):
        urls = emu.client_kwargs()
        return KrakenClient(url=proxy.url(urls["url"]), private_url=proxy.url(urls["private_url"]),
                            rest_url=urls["rest_url"], credentials=emu.credentials, ping_interval=0.2,
                            pong_timeout=timeout(0.6), stale_timeout=timeout(0.6), keep_raw=True,
                            backoff_factory=_backoff, request_timeout=timeout(5), on_connection_event=events)

    def start(self, client, emu):
        ticks, orders = Stream(), Stream()
        self.streams = [ticks]
        self.orders = orders
        client.subscribe_to_ticker_updates("XBT/USD", ticks)
        client.subscribe_to_order_updates(orders)
        self.watcher = client.watch_order_book("XBT/USD", depth=10)
        wait_until(lambda: len(ticks) >= 1 and len(orders) >= 1)

    def request(self, client):  # not ping: the keep-alive sends pings too
        return client.cancel_all_orders()

    def request_seen(self, emu):
        return emu.requests_received("cancelAll")

    def arm_inflight(self, emu, proxy):
        emu.withhold_next_reply("addOrder")
        bid, _ = emu.best_prices("XBT/USD")
        before = emu.requests_received("addOrder")

        def call():
            return self._client.place_order("XBT/USD", "limit", "buy", "0.01", price=bid - 100)

        return call, lambda: emu.requests_received("addOrder") > before, lambda: emu.requests_received("addOrder") - before

    def server_subscriptions(self, emu):
        return emu.subscription_keys()


class BinanceHarness(Harness):
    name = "binance"

    def emulator(self) -> BinanceEmulator:
        return BinanceEmulator(seed=11, ping_scale=None)

    def target(self, emu):
        return emu.client_kwargs()["url"]  # every product shares the emulator's port

    def client(self, emu, proxy, events):
        self.credentials = emu.add_account("hmac")
        urls = emu.client_kwargs()
        return BinanceClient(url=proxy.url(urls["url"]), usdm_futures_url=proxy.url(urls["usdm_futures_url"]),
                             credentials=self.credentials, ping_interval=0.2, pong_timeout=timeout(0.6),
                             futures_ping_interval=0.2, futures_pong_timeout=timeout(0.4), keep_raw=True,
                             backoff_factory=_backoff, request_timeout=timeout(5), on_connection_event=events)

    def start(self, client, emu):
        self.user = Stream()
        self.streams = [self.user]
        self.deposits = 0
        client.subscribe_to_user_data_updates(self.user)
        assert client.get_futures_account_status(FuturesMarket.USDM).can_trade
        self._deposit(emu)

    def _deltas(self) -> list[Decimal]:
        return [e.data.delta for e in list(self.user.events) if isinstance(e.data, BalanceUpdate)]

    def _deposit(self, emu) -> None:
        """Credit a unique amount (the update's id); wait until it is delivered."""
        self.deposits += 1
        amount = Decimal(self.deposits)
        emu.deposit(self.credentials, "USDT", amount)
        wait_until(lambda: amount in self._deltas(), 10)

    def poke(self, client, emu):
        def ask():
            for call in (client.get_spot_server_time, lambda: client.get_futures_account_status(FuturesMarket.USDM)):
                try:
                    call()
                except exwire.ConnectionClosed:
                    pass

        threading.Thread(target=ask, name="fault-matrix-poke", daemon=True).start()

    def request(self, client):
        return client.get_spot_server_time()

    def request_seen(self, emu):
        return sum(1 for method, _ in emu.requests_by_product["spot"] if method == "time")

    def arm_inflight(self, emu, proxy):
        emu.withhold_replies(1, "order.place", product="spot")
        received = emu.messages_received

        def call():
            return self._client.submit_new_spot_order("BTCUSDT", "BUY", "LIMIT", time_in_force="GTC",
                                                      price="10000", quantity="0.001")

        def seen():  # the withheld order is read, not recorded: a resent one would be
            recorded = sum(1 for method, _ in emu.requests_by_product["spot"] if method == "order.place")
            return 1 + recorded + len(self._client.get_spot_open_orders("BTCUSDT"))

        return call, lambda: emu.messages_received > received, seen

    def trickled(self, client, emu):
        self._deposit(emu)

    def resumed(self, client, emu):
        # The updates carry an id (the deposit's amount): two more, each delivered once.
        self._deposit(emu)
        self._deposit(emu)
        deltas = self._deltas()
        assert len(deltas) == len(set(deltas)), deltas
        assert client.get_futures_account_status(FuturesMarket.USDM).can_trade


class CoinexHarness(Harness):
    name = "coinex"
    watched = True

    def emulator(self) -> CoinexEmulator:
        return CoinexEmulator(seed=7, push_interval=0.05)

    def client(self, emu, proxy, events):
        return CoinexClient(url=proxy.url(emu.client_kwargs()["url"]), ping_interval=0.2, pong_timeout=timeout(0.6),
                            keep_raw=True, backoff_factory=_backoff, request_timeout=timeout(5),
                            on_connection_event=events)

    def start(self, client, emu):
        ticks = Stream()
        self.streams = [ticks]
        client.subscribe_to_ticker_updates("BTCUSDT", ticks)
        self.watcher = client.watch_order_book("BTCUSDT")
        wait_until(lambda: len(ticks) >= 1)

    def request(self, client):
        return client.get_server_time()

    def request_seen(self, emu):
        return len(emu.requests("server.time"))

    def arm_inflight(self, emu, proxy):
        proxy.hold_replies()  # the emulator has no hook for this: the relay withholds
        before = self.request_seen(emu)
        return (lambda: self._client.get_server_time(), lambda: self.request_seen(emu) > before,
                lambda: self.request_seen(emu) - before)

    def server_subscriptions(self, emu):
        return [(kind, repr(value)) for summary in emu.subscriptions() for kind, value in summary.items()
                if value and kind != "user"]


class OkexHarness(Harness):
    name = "okex"
    watched = True

    def emulator(self) -> OkexEmulator:
        return OkexEmulator(push_interval=0.02)

    def client(self, emu, proxy, events):
        return OkexClient(url=proxy.url(emu.client_kwargs()["url"]), credentials=emu.credentials,
                          ping_interval=0.2, pong_timeout=timeout(0.6), keep_raw=True,
                          backoff_factory=_backoff, request_timeout=timeout(5), on_connection_event=events)

    def start(self, client, emu):
        ticks = Stream()
        self.streams = [ticks]
        client.subscribe_to_ticker_updates("btc_usdt", ticks)
        self.watcher = client.watch_order_book("btc_usdt")
        wait_until(lambda: len(ticks) >= 1)

    def request(self, client):
        return client.get_user_info()

    def request_seen(self, emu):
        return sum(1 for _, event, channel in list(emu.requests) if "userinfo" in f"{event} {channel}")

    def arm_inflight(self, emu, proxy):
        emu.withhold_next_reply("ok_spot_order")
        before = emu.order_count
        return (lambda: self._client.place_order("btc_usdt", "buy", "0.01", "5000"),
                lambda: emu.order_count > before, lambda: emu.order_count - before)

    def server_subscriptions(self, emu):
        return emu.subscribed_channels()


class CoinsuperHarness(Harness):
    """Coinsuper's only requests are subscriptions: the request is a SUBSCRIBE on the
    private connection (already open for the order updates)."""

    name = "coinsuper"
    # A depth push is ~6 KB and MQTT's keep-alive is at least 1 s: a PINGRESP queued
    # behind a push must still land within it, so bytes go one at a time without a pause.
    trickle_gap = 0.0

    def emulator(self) -> CoinsuperEmulator:
        return CoinsuperEmulator(push_interval=0.25 if self.fault == "trickle" else 0.05)

    def client(self, emu, proxy, events):
        self._emu = emu
        return CoinsuperClient(url=proxy.url(emu.client_kwargs()["url"]), credentials=emu.credentials,
                               keepalive_interval=1, keep_raw=True, backoff_factory=_backoff,
                               request_timeout=timeout(5), on_connection_event=events)

    def start(self, client, emu):
        depth, orders = Stream(), Stream()
        self.streams = [depth]
        client.subscribe_to_market_depth_updates("BTC/USD", depth)
        client.subscribe_to_order_updates(orders)
        self.private_topics = set(emu.subscribed_topics()) - set(self._public_topics(emu))
        wait_until(lambda: len(depth) >= 1)

    @staticmethod
    def _public_topics(emu) -> list[str]:
        return [t for t in emu.subscribed_topics() if "/market/" in t]

    def _balance_topics(self, emu) -> list[str]:
        return [t for t in emu.subscribed_topics() if "/market/" not in t and t not in self.private_topics]

    def request(self, client):
        return client.subscribe_to_balance_updates(lambda event: None)

    def request_seen(self, emu):
        return len(self._balance_topics(emu))

    def arm_inflight(self, emu, proxy):
        proxy.hold_replies()
        before = len(self._balance_topics(emu))
        # Seen once by the session it was sent on; a replay would subscribe a live session too.
        return (lambda: self._client.subscribe_to_balance_updates(lambda event: None),
                lambda: len(self._balance_topics(emu)) > before, lambda: 1 + len(self._balance_topics(emu)) - before)

    def server_subscriptions(self, emu):
        return emu.subscribed_topics()


class OkxHarness(Harness):
    """OKX v5: the public connection (ticker, the checksummed ``books``) and the private one
    (logged in, the orders channel); the request is a batch cancel of an unknown order (OKX
    answers it with a per-order error, nothing raised), with the ``instIdCode`` given."""

    name = "okx"
    watched = True

    def emulator(self) -> OkxEmulator:
        return OkxEmulator(seed=7, push_interval=0.02)

    def client(self, emu, proxy, events):
        urls = emu.client_kwargs()
        self._code = emu.instrument_code("BTC-USDT")
        return OkxClient(url=proxy.url(urls["url"]), private_url=proxy.url(urls["private_url"]),
                         business_url=proxy.url(urls["business_url"]), credentials=emu.credentials,
                         ping_interval=0.2, pong_timeout=timeout(0.6), keep_raw=True, backoff_factory=_backoff,
                         request_timeout=timeout(5), on_connection_event=events)

    def start(self, client, emu):
        ticks, orders = Stream(), Stream()
        self.streams = [ticks]
        client.subscribe_to_ticker_updates("BTC-USDT", ticks)
        client.subscribe_to_order_updates("SPOT", None, None, orders)  # logs the private connection in
        self.watcher = client.watch_order_book("BTC-USDT", 400)
        wait_until(lambda: len(ticks) >= 1)

    def request(self, client):
        return client.cancel_multiple_orders([{"symbol": "BTC-USDT", "order_id": "1", "symbol_code": self._code}])

    def request_seen(self, emu):
        return len(emu.requests("batch-cancel-orders"))

    def arm_inflight(self, emu, proxy):
        emu.withhold_next_reply("order")
        bid, _ = emu.best_prices("BTC-USDT")
        before = len(emu.requests("order"))

        def call():
            return self._client.place_order("BTC-USDT", "buy", "limit", "cash", "0.001", bid - 1000,
                                            symbol_code=self._code)

        return call, lambda: len(emu.requests("order")) > before, lambda: len(emu.requests("order")) - before

    def server_subscriptions(self, emu):
        return [repr(sorted(arg.items())) for arg in emu.subscriptions()]


HARNESSES: dict[str, type[Harness]] = {
    h.name: h for h in (KrakenHarness, BinanceHarness, CoinexHarness, OkexHarness, CoinsuperHarness, OkxHarness)
}
FAULTS = ["rst", "cut", "stall", "trickle", "restart", "refused", "inflight"]

#: Cells that fail because of a defect reported, not fixed here: (client, fault) -> reason.
KNOWN_DEFECTS: dict[tuple[str, str], str] = {}


def _cells() -> list[Any]:
    cells = []
    for client in HARNESSES:
        for fault in FAULTS:
            marks = []
            reason = KNOWN_DEFECTS.get((client, fault))
            if reason is not None:
                marks.append(pytest.mark.xfail(strict=True, reason=reason))
            cells.append(pytest.param(client, fault, marks=marks, id=f"{client}-{fault}"))
    return cells


class Pending:
    """A call running on its own thread; its outcome once it returns."""

    def __init__(self, call: Callable[[], Any]) -> None:
        self.result: Any = None
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(call,), name="fault-matrix-call", daemon=True)
        self._thread.start()

    def _run(self, call: Callable[[], Any]) -> None:
        try:
            self.result = call()
        except BaseException as exc:  # noqa: BLE001 - the outcome under test
            self.error = exc

    def outcome(self, seconds: float) -> BaseException | None:
        self._thread.join(timeout(seconds))
        assert not self._thread.is_alive(), "the request hangs"
        return self.error


# -- the faults ------------------------------------------------------------------------------


def fault_rst(h: Harness, client, emu, proxy: FaultProxy, events: Events) -> None:
    before = events.snapshot(h.names(client))
    assert proxy.reset() >= len(before)
    events.wait_recovered(before)


def fault_cut(h: Harness, client, emu, proxy: FaultProxy, events: Events) -> None:
    before = events.snapshot(h.names(client))
    pairs = proxy.cut_mid_frame()
    assert len(pairs) >= len(before)
    h.poke(client, emu)
    wait_until(lambda: all(p.done.is_set() for p in pairs), 5)
    assert all(p.cut_bytes is not None for p in pairs)  # each was cut inside a frame
    events.wait_recovered(before)


def fault_stall(h: Harness, client, emu, proxy: FaultProxy, events: Events) -> None:
    before = events.snapshot(h.names(client))
    seen = h.request_seen(emu)
    assert emu.stall() >= len(before)
    pending = Pending(lambda: h.request(client))  # waits for a reply that never comes
    error = pending.outcome(10)
    assert isinstance(error, exwire.ConnectionClosed), repr(error)
    events.wait_recovered(before)
    assert h.request_seen(emu) - seen <= 1  # stalled: ignored, and not resent


def fault_trickle(h: Harness, client, emu, proxy: FaultProxy, events: Events) -> None:
    proxy.trickle(h.trickle_gap)
    try:
        seen = h.request_seen(emu)
        pending = Pending(lambda: h.request(client))
        error = pending.outcome(10)
        assert error is None or isinstance(error, exwire.ConnectionClosed), repr(error)
        assert h.request_seen(emu) - seen <= 1
        h.trickled(client, emu)
    finally:
        proxy.trickle(None)


def fault_restart(h: Harness, client, emu, proxy: FaultProxy, events: Events) -> None:
    before = events.snapshot(h.names(client))
    assert emu.drop_connections() >= len(before)
    events.wait_recovered(before)


def fault_refused(h: Harness, client, emu, proxy: FaultProxy, events: Events) -> None:
    before = events.snapshot(h.names(client))
    proxy.refuse(REFUSALS)
    assert proxy.reset() >= len(before)
    events.wait_recovered(before)
    assert proxy.refused == REFUSALS
    assert events.max_attempt() >= 2  # an attempt was refused, a later one went through


def fault_inflight(h: Harness, client, emu, proxy: FaultProxy, events: Events) -> None:
    before = events.snapshot(h.names(client))
    call, arrived, seen = h.arm_inflight(emu, proxy)
    pending = Pending(call)
    wait_until(arrived, 5)  # the request reached the exchange; its reply is withheld
    proxy.reset()
    error = pending.outcome(10)
    assert isinstance(error, exwire.ConnectionClosed), repr(error)
    events.wait_recovered(before)
    h.resumed(client, emu)  # the restored session carried traffic: a replay would be seen by now
    assert seen() == 1, "the request was replayed"


FAULT_RUNNERS = {name: globals()[f"fault_{name}"] for name in FAULTS}


# -- the matrix ------------------------------------------------------------------------------


def _client_threads(exchange: str) -> list[str]:
    return [t.name for t in threading.enumerate()
            if t.name.startswith(f"exwire-{exchange}-") and t.is_alive()]


@pytest.mark.parametrize(("client_name", "fault"), _cells())
def test_fault(client_name: str, fault: str) -> None:
    harness = HARNESSES[client_name](fault)
    events = Events()
    with harness.emulator() as emu, FaultProxy.before(harness.target(emu)) as proxy:
        client = harness.client(emu, proxy, events)
        harness._client = client
        try:
            harness.start(client, emu)
            watcher = harness.watcher
            if watcher is not None:
                assert watcher.wait_synced(timeout(5))
            FAULT_RUNNERS[fault](harness, client, emu, proxy, events)
            harness.resumed(client, emu)
            for stream in harness.streams:
                assert not stream.duplicates(), "an update was delivered twice"
            subscribed = harness.server_subscriptions(emu)
            assert len(subscribed) == len(set(subscribed)), f"subscribed twice: {subscribed}"
            if watcher is not None:
                wait_until(lambda: watcher.synced, 10)
                applied = watcher.updates_applied
                wait_until(lambda: watcher.updates_applied > applied + 3, 10)
                assert watcher.checksums_mismatched == 0
                assert watcher.synced
        finally:
            client.close()
        exchange = type(client).exchange
        wait_until(lambda: not _client_threads(exchange), 5)
