"""BinanceClient.watch_order_book against BinanceEmulator: sync, gap, reconnect, all three markets."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

import exwire
from exwire.binance.enums import FuturesMarket
from exwire.errors import ConfigurationError, InvalidRequest
from exwire.models import Level
from exwire.orderbook import BookSnapshot
from exwire.testing.binance import BinanceEmulator
from exwire.watcher import OrderBookWatcher
from tests.conftest import timeout
from tests.helpers import wait_until

SPOT, USDM, COINM = "BTCUSDT", "ETHUSDT", "BTCUSD_PERP"


@pytest.fixture
def emulator():
    with BinanceEmulator(seed=11) as emu:
        yield emu


@pytest.fixture
def client(emulator):
    client = exwire.BinanceClient(**emulator.client_kwargs(), request_timeout=timeout(5))
    yield client
    client.close()


def _levels(rows: list[tuple[Decimal, Decimal]]) -> tuple[Level, ...]:
    return tuple(Level(price, quantity) for price, quantity in rows)


def _equals_emulator(watcher: OrderBookWatcher, emulator: BinanceEmulator, symbol: str,
                     market: FuturesMarket | None = None) -> bool:
    bids, asks = emulator.order_book(symbol, market=market)
    snapshot = watcher.snapshot()
    return watcher.synced and snapshot.bids == _levels(bids) and snapshot.asks == _levels(asks)


def _move(emulator: BinanceEmulator, symbol: str, market: FuturesMarket | None, ticks: int) -> None:
    """Move the touch by ``ticks`` ticks: the diff depth stream publishes the change."""
    if market is None:
        emulator.set_price(symbol, emulator.price(symbol) + Decimal("0.01") * ticks)
    else:
        step = Decimal("0.01") if market is FuturesMarket.USDM else Decimal("0.1")
        emulator.set_futures_price(symbol, emulator.futures_price(symbol) + step * ticks)


@pytest.mark.parametrize(("symbol", "market"), [(SPOT, None), (USDM, FuturesMarket.USDM), (COINM, FuturesMarket.COINM)])
def test_book_syncs_follows_the_stream_and_equals_the_emulators(client, emulator, symbol, market) -> None:
    watcher = client.watch_order_book(symbol, market=market)
    assert isinstance(watcher, OrderBookWatcher)
    assert watcher.wait_synced(timeout(5))
    wait_until(lambda: _equals_emulator(watcher, emulator, symbol, market))
    for ticks in (3, -5, 2):
        _move(emulator, symbol, market, ticks)
    wait_until(lambda: _equals_emulator(watcher, emulator, symbol, market))
    assert watcher.updates_applied >= 4  # the snapshot and at least one diff per move
    assert watcher.resyncs == 0
    best_bid, _ = emulator.order_book(symbol, market=market)[0][0], None
    assert watcher.best_bid == Level(*best_bid)
    watcher.close()


@pytest.mark.parametrize(("symbol", "market"), [(SPOT, None), (USDM, FuturesMarket.USDM), (COINM, FuturesMarket.COINM)])
def test_a_sequence_gap_resyncs_and_the_final_book_equals_the_emulators(client, emulator, symbol, market) -> None:
    watcher = client.watch_order_book(symbol, 500, market=market)
    assert watcher.wait_synced(timeout(5))
    emulator.skip_depth_update(symbol, market=market)  # one change never published
    wait_until(lambda: watcher.resyncs == 1)
    _move(emulator, symbol, market, 1)
    wait_until(lambda: _equals_emulator(watcher, emulator, symbol, market))
    assert watcher.resyncs == 1  # one gap, one resync: no storm
    watcher.close()


def test_a_reconnect_resyncs_from_a_fresh_snapshot(client, emulator) -> None:
    watcher = client.watch_order_book(SPOT)
    assert watcher.wait_synced(timeout(5))
    connection = client._connections[watcher.connection_name]
    reconnects = connection.reconnects
    connection.drop("test")
    wait_until(lambda: connection.reconnects == reconnects + 1 and connection.is_ready)
    _move(emulator, SPOT, None, 4)  # changes made while the stream was away are in the new snapshot
    _move(emulator, SPOT, None, -1)
    wait_until(lambda: watcher.resyncs >= 1 and _equals_emulator(watcher, emulator, SPOT))
    watcher.close()


def test_callback_gets_the_top_depth_levels_on_its_lane(client, emulator) -> None:
    snapshots: list[BookSnapshot] = []
    watcher = client.watch_order_book(SPOT, 5, callback=snapshots.append)
    assert watcher.wait_synced(timeout(5))
    _move(emulator, SPOT, None, 2)
    bids, asks = emulator.order_book(SPOT)
    top = (_levels(bids[:5]), _levels(asks[:5]))
    wait_until(lambda: bool(snapshots) and (snapshots[-1].bids, snapshots[-1].asks) == top)
    assert all(len(s.bids) == 5 and len(s.asks) == 5 for s in snapshots)
    assert (watcher.snapshot(5).bids, watcher.snapshot(5).asks) == top
    assert len(watcher.bids()) >= 100  # the stored book keeps the snapshot's 100 levels: not cut to 5
    watcher.close()


def test_closing_the_watcher_unsubscribes_the_depth_stream(client) -> None:
    watcher = client.watch_order_book(SPOT)
    assert watcher.wait_synced(timeout(5))
    watcher.close()
    assert watcher.subscription is not None and not watcher.subscription.active


def test_an_unknown_symbol_raises_and_leaves_no_subscription(client) -> None:
    with pytest.raises(InvalidRequest):
        client.watch_order_book("NOPEUSDT")
    assert not [s for s in client._registry.active() if "NOPEUSDT" in s.topic]


@pytest.mark.parametrize(("depth", "market"), [
    (0, None), (5001, None), (1001, FuturesMarket.USDM), (1001, FuturesMarket.COINM), ("10", None), (True, None),
    (2.0, None),
])
def test_bad_depth_is_refused_before_anything_is_sent(emulator, depth, market) -> None:
    with exwire.BinanceClient(**emulator.client_kwargs()) as client:
        with pytest.raises(ConfigurationError):
            client.watch_order_book(SPOT, depth, market=market)
        assert not [name for name in client._connections if "stream" in name or "public" in name]
        assert not any(connection.is_ready for connection in client._connections.values())


def test_bad_symbol_market_and_callback_are_refused(client) -> None:
    with pytest.raises(ConfigurationError):
        client.watch_order_book("BTC USDT")
    with pytest.raises(ConfigurationError):
        client.watch_order_book(SPOT, market="options")
    with pytest.raises(ConfigurationError):
        client.watch_order_book(SPOT, callback=42)  # type: ignore[arg-type]


@pytest.mark.parametrize(("symbol", "market"), [("NOPEUSDT", None), ("NOPEUSDT", FuturesMarket.USDM),
                                                ("NOPEUSD_PERP", FuturesMarket.COINM)])
def test_an_unknown_symbol_is_refused_on_every_market(client, symbol, market) -> None:
    with pytest.raises(InvalidRequest):
        client.watch_order_book(symbol, market=market)
    assert not [s for s in client._registry.active() if symbol in s.topic]


def test_futures_books_leave_the_spot_top_of_book_alone(client) -> None:
    spot = client.watch_order_book(SPOT, 100)
    usdm = client.watch_order_book(USDM, 100, market=FuturesMarket.USDM)
    assert spot.wait_synced(timeout(5)) and usdm.wait_synced(timeout(5))
    wait_until(lambda: client.latest.top_of_book(SPOT) is not None)
    latest = client.latest.top_of_book(SPOT)
    assert latest is not None and latest.value.bid == spot.best_bid
    assert client.latest.top_of_book(USDM) is None  # USDⓈ-M's ETHUSDT is not the spot pair


def test_coinm_snapshots_use_the_clients_tls_context_and_proxy(emulator, tmp_path) -> None:
    from tests.netsupport import ConnectProxy, TestCA, TlsRelay

    ca = TestCA(tmp_path)
    with ConnectProxy() as proxy, TlsRelay(emulator.port, ca.server_context()) as relay:
        kwargs = emulator.client_kwargs()
        secured = {**kwargs, "coinm_stream_url": relay.secure(kwargs["coinm_stream_url"]),
                   "coinm_rest_url": relay.secure(kwargs["coinm_rest_url"], "https")}
        with exwire.BinanceClient(**secured, ssl_context=ca.client_context(), proxy=proxy.url,
                                  request_timeout=timeout(5)) as client:
            watcher = client.watch_order_book(COINM, 100, market=FuturesMarket.COINM)
            assert watcher.wait_synced(timeout(5))
            assert watcher.best_bid == Level(*emulator.order_book(COINM, market=FuturesMarket.COINM)[0][0])
        # the stream and the REST snapshot each went through the tunnel, over TLS
        assert relay.handshakes >= 2
        assert len(proxy.targets) >= 2 and set(proxy.targets) == {f"127.0.0.1:{relay.port}"}


def _depth_requests(emulator: BinanceEmulator, product: str = "spot") -> list[dict]:
    return [params for method, params in emulator.requests_by_product[product] if method == "depth"]


def _settled(watcher: OrderBookWatcher, emulator: BinanceEmulator, symbol: str = SPOT) -> Callable[[], bool]:
    """A predicate: the book resynced, equals the emulator's, then followed one more diff.

    While the book is not synced each call publishes a diff (the stream drives resyncs:
    the feed fetches its snapshot on a stream event once its pacer allows). Once it is
    synced and equal, one diff is published and the book must reach the emulator's again.
    A diff is never published just before comparing: that would ask the client to apply
    it within microseconds, a race it loses poll after poll on a loaded machine.
    """
    followed = False  # the diff published once the book was synced and equal

    def check() -> bool:
        nonlocal followed
        if not watcher.synced:
            followed = False
            _move(emulator, symbol, None, 1)
            return False
        if not _equals_emulator(watcher, emulator, symbol):
            return False
        if not followed:
            followed = True
            _move(emulator, symbol, None, 1)
            return False
        return True
    return check


def test_repeated_gaps_fetch_one_snapshot_each_no_storm(client, emulator) -> None:
    watcher = client.watch_order_book(SPOT)
    assert watcher.wait_synced(timeout(5))
    for gaps in (1, 2, 3):
        emulator.skip_depth_update(SPOT)
        wait_until(lambda: watcher.resyncs == gaps)
        wait_until(_settled(watcher, emulator), seconds=10, interval=0.05)
    assert watcher.resyncs == 3
    assert len(_depth_requests(emulator)) == 4  # the first snapshot, then one per resync


def test_a_failing_snapshot_is_retried_after_a_backoff(client, emulator) -> None:
    watcher = client.watch_order_book(SPOT)
    assert watcher.wait_synced(timeout(5))
    emulator.fail_next("depth", -1003, "Too much request weight used", status=429)
    emulator.skip_depth_update(SPOT)
    wait_until(lambda: watcher.resyncs == 1)
    wait_until(_settled(watcher, emulator), seconds=10, interval=0.05)
    assert watcher.resyncs == 1
    assert len(_depth_requests(emulator)) == 2  # the refused one is not recorded as answered


def test_two_watchers_of_one_symbol_share_the_stream_and_close_independently(client, emulator) -> None:
    deep = client.watch_order_book(SPOT)
    shallow = client.watch_order_book(SPOT, 10)
    assert deep.wait_synced(timeout(5)) and shallow.wait_synced(timeout(5))
    shallow.close()
    _move(emulator, SPOT, None, 3)
    wait_until(lambda: _equals_emulator(deep, emulator, SPOT))
    assert deep.subscription is not None and deep.subscription.active
    assert shallow.subscription is not None and not shallow.subscription.active
