"""KrakenClient against the KrakenEmulator over real loopback sockets."""

from __future__ import annotations

import threading

import pytest

import exwire
from exwire import ConfigurationError, ConnectionState, InvalidRequest, InvalidState, UpdateType
from exwire.kraken.models import BookUpdate, Kline, KlineInterval, Spread, SystemStatus, Ticker, Trade
from exwire.testing import KrakenEmulator
from tests.conftest import fixture_path, timeout
from tests.helpers import Collector, wait_until


@pytest.fixture
def emulator():
    with KrakenEmulator(seed=7, push_interval=0.02, heartbeat_interval=0.2) as emu:
        yield emu


def make_client(emulator, **options):
    options.setdefault("ping_interval", 0.3)
    options.setdefault("stale_timeout", 1.5)
    return exwire.KrakenClient(**emulator.client_kwargs(), **options)


@pytest.fixture
def client(emulator):
    with make_client(emulator) as client:
        yield client


def test_ping_returns_the_round_trip(client):
    assert 0 < client.ping() < timeout(5)


def test_ticker_updates_arrive_typed_for_several_pairs(client):
    ticks = Collector()
    subscription = client.subscribe_to_ticker_updates(["XBT/USD", "ETH/USD"], ticks)
    assert subscription.topic == "ticker:XBT/USD,ETH/USD"
    wait_until(lambda: {e.symbol for e in ticks.events} == {"XBT/USD", "ETH/USD"})
    event = ticks.events[0]
    assert isinstance(event.data, Ticker)
    assert event.received_at.tzinfo is not None
    assert event.raw is None


def test_btc_is_mapped_to_xbt(client):
    with client.subscribe_to_ticker_updates("btc/usd") as ticks:
        assert ticks.get(timeout(5)).symbol == "XBT/USD"


def test_pull_subscription_of_trades_spread_and_klines(client):
    with client.subscribe_to_trade_updates("XBT/USD") as trades:
        batch = trades.get(timeout(5)).data
        assert batch and isinstance(batch[0], Trade)
    with client.subscribe_to_spread_updates("XBT/USD") as spreads:
        assert isinstance(spreads.get(timeout(5)).data, Spread)
    with client.subscribe_to_kline_updates("XBT/USD", KlineInterval.FIVE_MINUTES if hasattr(KlineInterval, "FIVE_MINUTES") else 5) as klines:
        kline = klines.get(timeout(5)).data
        assert isinstance(kline, Kline) and int(kline.interval) == 5


def test_raw_book_stream_starts_with_a_snapshot(client):
    with client.subscribe_to_order_book_updates("XBT/USD", depth=25) as book:
        first = book.get(timeout(5))
        assert first.update_type is UpdateType.SNAPSHOT and isinstance(first.data, BookUpdate)
        update = book.get(timeout(5))
        assert update.update_type is UpdateType.UPDATE and update.data.checksum is not None


def test_system_status_is_delivered_first_as_a_snapshot(client):
    client.ping()
    with client.subscribe_to_system_status_updates() as status:
        event = status.get(timeout(5))
        assert isinstance(event.data, SystemStatus) and event.update_type is UpdateType.SNAPSHOT
        assert event.data.status.value == "online"


def test_keep_raw_attaches_the_frame(emulator):
    with make_client(emulator, keep_raw=True) as client:
        with client.subscribe_to_ticker_updates("XBT/USD") as ticks:
            raw = ticks.get(timeout(5)).raw
            assert raw.startswith("[") and '"ticker"' in raw


def test_watched_book_verifies_every_checksum(client):
    updates = Collector()
    with client.watch_order_book("XBT/USD", depth=10, callback=updates) as book:
        assert book.wait_synced(timeout(5))
        wait_until(lambda: book.checksums_verified >= 20)
        assert book.checksums_mismatched == 0
        assert book.best_bid.price < book.best_ask.price
        snapshot = book.snapshot()
        assert len(snapshot.bids) <= 10 and len(snapshot.asks) <= 10
        assert isinstance(updates.wait_for(1)[0], exwire.BookSnapshot)


def test_checksum_mismatch_resubscribes_that_book_alone(emulator, client):
    with client.subscribe_to_ticker_updates("ETH/USD") as ticks:
        book = client.watch_order_book("XBT/USD")
        assert book.wait_synced(timeout(5))
        wait_until(lambda: book.checksums_verified >= 3)
        emulator.corrupt_next_checksum()
        wait_until(lambda: book.checksums_mismatched == 1)
        wait_until(lambda: book.synced and book.resyncs == 1)
        verified = book.checksums_verified
        wait_until(lambda: book.checksums_verified > verified + 3)
        assert book.checksums_mismatched == 1
        assert ("ticker", "ETH/USD") in emulator.subscription_keys()
        ticks.get(timeout(5))
        book.close()


@pytest.mark.parametrize(
    "capture, updates",
    [
        (("kraken", "python-kraken-sdk", "orderbook-v1.json"), 979),
        (("kraken", "cryptofeed", "KRAKEN.ws.50.0"), 4269),
    ],
)
def test_real_captures_replayed_through_the_client_all_match(capture, updates):
    path = fixture_path(*capture)
    with KrakenEmulator(replay=path) as emu, make_client(emu) as client:
        depth = emu.replay_channel["depth"]
        watchers = [client.watch_order_book(pair, depth) for pair in emu.replay_pairs]
        wait_until(lambda: sum(w.checksums_verified + w.checksums_mismatched for w in watchers) >= updates, 60)
        assert sum(w.checksums_verified for w in watchers) == updates
        assert sum(w.checksums_mismatched for w in watchers) == 0


def test_refused_subscription_raises_the_mapped_error(emulator, client):
    emulator.refuse_next_subscription("Exceeded msg rate")
    with pytest.raises(exwire.RateLimited):
        client.subscribe_to_ticker_updates("XBT/USD", lambda e: None)
    with pytest.raises(InvalidRequest):
        client.subscribe_to_ticker_updates("NOPE/USD", lambda e: None)
    assert client._registry.active() == []


def test_ticker_updates_resume_after_a_dropped_connection(emulator):
    events = Collector()
    with make_client(emulator, on_connection_event=events) as client:
        ticks = Collector()
        client.subscribe_to_ticker_updates("XBT/USD", ticks)
        ticks.wait_for(1)
        emulator.drop_connections()
        wait_until(lambda: any(e.state is ConnectionState.RESTORED for e in events.events))
        seen = len(ticks.events)
        ticks.wait_for(seen + 3)
        states = [e.state for e in events.events]
        assert ConnectionState.LOST in states and ConnectionState.RECONNECTING in states


def test_a_stall_is_detected_and_recovered(emulator):
    with make_client(emulator, ping_interval=0.2, stale_timeout=0.8) as client:
        ticks = Collector()
        client.subscribe_to_ticker_updates("XBT/USD", ticks)
        ticks.wait_for(1)
        emulator.stall()
        wait_until(lambda: client._public.reconnects == 1, 10)
        seen = len(ticks.events)
        ticks.wait_for(seen + 3)


def test_an_idle_connection_is_kept_alive_by_pings(emulator):
    with make_client(emulator, ping_interval=0.2, stale_timeout=1.5) as client:
        client.ping()
        before = emulator.messages_received
        # Twelve keep-alive pings span longer than stale_timeout: only their pongs kept it alive.
        wait_until(lambda: emulator.messages_received >= before + 12, 20)
        assert client._public.reconnects == 0


def test_bad_input_is_refused_before_anything_is_sent(emulator, client):
    with pytest.raises(ConfigurationError):
        client.subscribe_to_order_book_updates("XBT/USD", depth=42)
    with pytest.raises(ConfigurationError):
        client.watch_order_book("XBT/USD", depth=11)
    with pytest.raises(ConfigurationError):
        client.subscribe_to_ticker_updates([], lambda e: None)
    with pytest.raises(ConfigurationError):
        client.subscribe_to_ticker_updates("XBTUSD", lambda e: None)
    with pytest.raises(ConfigurationError):
        client.subscribe_to_ticker_updates("XBT/USD", "not callable")
    with pytest.raises(ConfigurationError):
        client.subscribe_to_kline_updates("XBT/USD", 7)
    assert emulator.connections_accepted == 0  # nothing reached the exchange


def test_a_closed_client_refuses_calls(emulator):
    client = make_client(emulator)
    client.ping()
    client.close()
    with pytest.raises(InvalidState):
        client.subscribe_to_ticker_updates("XBT/USD")
    with pytest.raises(InvalidState):
        client.ping()


def test_callbacks_run_on_dispatcher_lanes(client):
    names = Collector()
    client.subscribe_to_ticker_updates("XBT/USD", lambda e: names(threading.current_thread().name))
    assert names.wait_for(1)[0].startswith("exwire-kraken-dispatch-")


def test_latest_values_follow_the_streams(client):
    assert client.latest.ticker("XBT/USD") is None
    client.subscribe_to_ticker_updates("XBT/USD", lambda e: None)
    client.subscribe_to_spread_updates("ETH/USD", lambda e: None)
    book = client.watch_order_book("XBT/EUR")
    wait_until(lambda: client.latest.ticker("XBT/USD") is not None)
    latest = client.latest.ticker("XBT/USD").value
    assert isinstance(latest, exwire.Ticker) and latest.symbol == "BTC/USD"  # the neutral ticker
    assert isinstance(latest.native, Ticker) and latest.bid_price == latest.native.bid_price
    assert client.latest.ticker("BTC/USD").value.symbol == "BTC/USD"  # BASE/QUOTE works too
    assert client.latest.ticker("XBT/USD").age >= 0
    wait_until(lambda: client.latest.top_of_book("ETH/USD") is not None)
    assert book.wait_synced(timeout(5))
    wait_until(lambda: client.latest.top_of_book("XBT/EUR") is not None)
    top = client.latest.top_of_book("XBT/EUR").value
    assert top.bid.price < top.ask.price


@pytest.mark.parametrize("keyword", ["url", "private_url", "rest_url"])
@pytest.mark.parametrize("bad", [5, None, "", "ftp://ws.kraken.com", "wss://", "ws://host:99999", "kraken.com"])
def test_every_endpoint_url_is_validated_at_construction(keyword, bad):
    if keyword == "rest_url" and bad == "ws://host:99999":
        bad = "https://host:99999"
    with pytest.raises(ConfigurationError, match=keyword):
        exwire.KrakenClient(**{keyword: bad})


def test_websocket_urls_refuse_http_and_the_rest_url_refuses_websocket_schemes():
    with pytest.raises(ConfigurationError):
        exwire.KrakenClient(url="https://ws.kraken.com")
    with pytest.raises(ConfigurationError):
        exwire.KrakenClient(private_url="http://ws-auth.kraken.com")
    with pytest.raises(ConfigurationError):
        exwire.KrakenClient(rest_url="wss://api.kraken.com")
    with exwire.KrakenClient(url="ws://127.0.0.1:1", private_url="wss://h/auth", rest_url="http://127.0.0.1:1"):
        pass
