"""CoinexClient against CoinexEmulator over real loopback sockets."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from exwire import (
    AuthenticationError,
    ConfigurationError,
    ConnectionState,
    Credentials,
    ExchangeUnavailable,
    InvalidRequest,
    InvalidState,
    Side,
    UpdateType,
)
from exwire._core.backoff import backoff
from exwire.coinex import CoinexClient, KlineInterval, MergeDepth
from exwire.coinex.models import (
    Balance,
    Depth,
    OrderEvent,
    OrderStatus,
    OrderUpdate,
    Ticker,
    Trade,
)
from exwire.testing.coinex import CoinexEmulator
from tests.conftest import timeout
from tests.helpers import Collector, wait_until


@pytest.fixture
def emu() -> Iterator[CoinexEmulator]:
    with CoinexEmulator(seed=7, push_interval=0.05) as emulator:
        yield emulator


def make_client(emu: CoinexEmulator, **options) -> CoinexClient:
    options.setdefault("request_timeout", timeout(5))
    options.setdefault("backoff_factory", lambda: backoff(initial=0.05, maximum=0.2))
    return CoinexClient(**emu.client_kwargs(), **options)


@pytest.fixture
def client(emu) -> Iterator[CoinexClient]:
    with make_client(emu) as coinex:
        yield coinex


@pytest.fixture
def private(emu) -> Iterator[CoinexClient]:
    with make_client(emu, credentials=emu.credentials()) as coinex:
        yield coinex


def test_default_url_is_production():
    with CoinexClient() as coinex:
        assert coinex.url == "wss://socket.coinex.com/"


# -- public queries ---------------------------------------------------------------------------


def test_ping_and_server_time(client):
    assert 0 <= client.ping() < timeout(5)
    server_time = client.get_server_time()
    assert server_time.tzinfo is not None
    assert abs(server_time - datetime.now(UTC)) < timedelta(seconds=5)


def test_get_ticker(client):
    ticker = client.get_ticker("btcusdt", 3600)
    assert isinstance(ticker, Ticker) and ticker.symbol == "BTCUSDT" and ticker.period == 3600
    assert ticker.low_price <= ticker.last_price <= ticker.high_price and isinstance(ticker.volume, Decimal)


def test_get_order_book_with_and_without_merging(client):
    depth = client.get_order_book("BTCUSDT", 10)
    assert isinstance(depth, Depth) and depth.is_full and len(depth.bids) == len(depth.asks) == 10
    assert depth.bids[0].price < depth.asks[0].price
    assert [level.price for level in depth.bids] == sorted((level.price for level in depth.bids), reverse=True)
    assert depth.time is not None and depth.checksum is not None
    merged = client.get_order_book("BTCUSDT", 5, MergeDepth.STEP_10)
    assert all(level.price % 10 == 0 for level in merged.bids + merged.asks)
    by_text, by_step = client.get_order_book("BTCUSDT", 5, "1"), client.get_order_book("BTCUSDT", 5, Decimal(1))
    assert by_text.asks[0].price == by_step.asks[0].price


def test_merge_depth_finer_than_the_tick_is_refused(client):
    with pytest.raises(InvalidRequest) as info:
        client.get_order_book("BTCUSDT", 5, MergeDepth.STEP_1E_10)
    assert info.value.code == 1


def test_get_trade_history(client):
    trades = client.get_trade_history("BTCUSDT", 10)
    assert len(trades) == 10 and all(isinstance(t, Trade) for t in trades)
    assert trades[0].trade_id > trades[-1].trade_id and all(t.symbol == "BTCUSDT" for t in trades)
    newer = client.get_trade_history("BTCUSDT", 50, from_id=trades[3].trade_id)
    assert [t.trade_id for t in newer] == [t.trade_id for t in trades[:3]]


def test_get_klines(client):
    end = datetime.now(UTC)
    klines = client.get_klines("ETHUSDT", KlineInterval.FIVE_MINUTES, start=end - timedelta(hours=1), end=end)
    assert 12 <= len(klines) <= 13 and all(k.symbol == "ETHUSDT" for k in klines)
    assert all(b.open_time - a.open_time == timedelta(minutes=5) for a, b in zip(klines, klines[1:], strict=False))
    assert all(k.low <= min(k.open, k.close) and k.high >= max(k.open, k.close) for k in klines)
    assert all(k.interval is KlineInterval.FIVE_MINUTES and k.close_time - k.open_time == timedelta(minutes=5)
               for k in klines)
    assert len(client.get_klines("ETHUSDT", 60)) in (100, 101)


def test_exchange_errors_are_mapped(client, emu):
    with pytest.raises(InvalidRequest):
        client.get_ticker("NOPEUSDT")
    emu.fail_next("state.query", 3)
    with pytest.raises(ExchangeUnavailable) as info:
        client.get_ticker("BTCUSDT")
    assert info.value.code == 3 and info.value.message == "service unavailable"


# -- bad input and missing credentials: nothing is sent ---------------------------------------------


@pytest.mark.parametrize("call", [
    lambda c: c.get_ticker("BTC/USDT"),
    lambda c: c.get_ticker("BTCUSDT", 0),
    lambda c: c.get_order_book("BTCUSDT", 7),
    lambda c: c.get_order_book("BTCUSDT", 5, "0.5"),
    lambda c: c.get_trade_history("BTCUSDT", 0),
    lambda c: c.get_trade_history("BTCUSDT", 10, from_id=-1),
    lambda c: c.get_klines("BTCUSDT", 61),
    lambda c: c.get_klines("BTCUSDT", 60, start=datetime(2024, 1, 1)),
    lambda c: c.get_klines("BTCUSDT", 60, start=datetime.now(UTC), end=datetime.now(UTC) - timedelta(days=1)),
    lambda c: c.subscribe_to_ticker_updates([]),
    lambda c: c.subscribe_to_ticker_updates("BTCUSDT", callback="nope"),
    lambda c: c.subscribe_to_kline_updates("BTCUSDT", 7),
    lambda c: c.watch_order_book("BTCUSDT", 21),
    lambda c: c.get_balances(),
    lambda c: c.get_open_orders("BTCUSDT"),
    lambda c: c.subscribe_to_order_updates(),
    lambda c: c.subscribe_to_balance_updates(),
    lambda c: c.ping(timeout=0),
])
def test_bad_input_raises_configuration_error_before_anything_is_sent(client, emu, call):
    with pytest.raises(ConfigurationError):
        call(client)
    assert emu.connections_accepted == 0


def test_bad_private_input_with_credentials_sends_nothing(private, emu):
    for call in (lambda: private.get_open_orders("BTCUSDT", side="up"),
                 lambda: private.get_open_orders("BTCUSDT", limit=0),
                 lambda: private.get_balances(["B-T"])):
        with pytest.raises(ConfigurationError):
            call()
    assert emu.connections_accepted == 0


def test_closed_client_refuses_calls(emu):
    coinex = make_client(emu)
    coinex.close()
    with pytest.raises(InvalidState):
        coinex.ping()


# -- public streams ----------------------------------------------------------------------------


def test_ticker_subscriptions_share_one_wire_subscription(client, emu):
    btc, eth = Collector(), Collector()
    first = client.subscribe_to_ticker_updates("BTCUSDT", btc)
    second = client.subscribe_to_ticker_updates(["ethusdt", "BTCUSDT"], eth)
    assert emu.requests("state.subscribe")[-1][2] == ["BTCUSDT", "ETHUSDT"]
    btc.wait_for(3)
    wait_until(lambda: {e.symbol for e in eth.events} == {"BTCUSDT", "ETHUSDT"})
    assert {e.symbol for e in btc.events} == {"BTCUSDT"}
    assert all(isinstance(e.data, Ticker) and e.topic == "ticker:BTCUSDT" for e in btc.events)
    second.unsubscribe()
    # §2.5: no per-market unsubscribe; the reduced list is sent again
    assert emu.requests("state.subscribe")[-1][2] == ["BTCUSDT"]
    assert emu.subscriptions()[0]["state"] == ["BTCUSDT"]
    first.unsubscribe()
    assert emu.requests()[-1][1:] == ("state.unsubscribe", [])


def test_refused_subscribe_restores_the_other_markets(client, emu):
    events = Collector()
    client.subscribe_to_ticker_updates("BTCUSDT", events)
    emu.fail_next("state.subscribe", 1)
    with pytest.raises(InvalidRequest):
        client.subscribe_to_ticker_updates("ETHUSDT")
    wait_until(lambda: emu.requests("state.subscribe")[-1][2] == ["BTCUSDT"])
    wait_until(lambda: emu.subscriptions()[0]["state"] == ["BTCUSDT"])
    count = len(events.events)
    events.wait_for(count + 2)


def test_all_ticker_updates(client, emu):
    with client.subscribe_to_all_ticker_updates() as subscription:
        event = subscription.get(timeout(5))
    assert emu.requests("state.subscribe")[-1][2] == []
    assert event.symbol is None and {t.symbol for t in event.data} == set(emu.markets)


def test_trade_updates_start_with_history(client):
    events = Collector()
    client.subscribe_to_trade_updates("BTCUSDT", events)
    first, *rest = events.wait_for(3)
    assert first.update_type is UpdateType.SNAPSHOT and len(first.data) == 100
    assert all(e.update_type is UpdateType.UPDATE for e in rest)
    assert rest[0].data[-1].trade_id > first.data[0].trade_id


def test_trade_history_replays_the_capture():
    from tests.conftest import fixture_path

    capture = fixture_path("coinex", "coinex-net", "TradeUpdate.txt")
    with CoinexEmulator(push_interval=None, trade_history=capture) as emu, make_client(emu) as coinex:
        trades = coinex.get_trade_history("BTCUSDT", 1000)
        assert len(trades) == 101 and trades[0].trade_id == 2677391975 and trades[0].price == Decimal("39121.21")


def test_kline_updates_and_the_one_kline_rule(client):
    events = Collector()
    client.subscribe_to_kline_updates("BTCUSDT", KlineInterval.ONE_MINUTE, events)
    event = events.wait_for(1)[0]
    assert event.symbol == "BTCUSDT" and event.data[-1].symbol == "BTCUSDT"
    with pytest.raises(InvalidState):
        client.subscribe_to_kline_updates("ETHUSDT", 60)
    second = client.subscribe_to_kline_updates("BTCUSDT", 60)  # the same one is shared
    second.unsubscribe()


def test_order_book_updates(client):
    events = Collector()
    client.subscribe_to_order_book_updates("ETHUSDT", 5, MergeDepth.STEP_0_1, events)
    first, second = events.wait_for(2)[:2]
    assert first.update_type is UpdateType.SNAPSHOT and first.data.is_full and len(first.data.bids) == 5
    assert second.update_type is UpdateType.UPDATE and not second.data.is_full
    with pytest.raises(InvalidState):
        client.watch_order_book("ETHUSDT", 10)


def test_watch_order_book_validates_checksums_and_resyncs(client, emu):
    with client.watch_order_book("BTCUSDT", 10) as watcher, client.watch_order_book("ETHUSDT", 5) as other:
        assert emu.requests()[-1][1:] == ("depth.subscribe_multi", [["BTCUSDT", 10, "0"], ["ETHUSDT", 5, "0"]])
        assert watcher.wait_synced(timeout(5)) and other.wait_synced(timeout(5))
        assert watcher.subscription.inline == watcher._on_reader  # maintained on the reader
        wait_until(lambda: watcher.checksums_verified >= 3 and other.checksums_verified >= 3)
        emu.corrupt_next_checksum()
        wait_until(lambda: watcher.checksums_mismatched + other.checksums_mismatched == 1)
        wait_until(lambda: watcher.synced and other.synced)
        verified = watcher.checksums_verified
        wait_until(lambda: watcher.checksums_verified > verified)
        assert watcher.resyncs + other.resyncs == 1
        best_bid, best_ask = watcher.best_bid, watcher.best_ask
        assert best_bid is not None and best_ask is not None and best_bid.price < best_ask.price
        assert len(watcher.bids()) <= 10
    assert emu.requests()[-1][1:] == ("depth.unsubscribe", [])


# -- private flow --------------------------------------------------------------------------------


def test_private_flow_balances_and_order_updates(private, emu):
    balances = private.get_balances()
    assert balances["USDT"] == Balance(asset="USDT", free=Decimal("10000"), locked=Decimal("0"))
    assert private.get_balances("btc") == {"BTC": Balance(asset="BTC", free=Decimal("1"), locked=Decimal("0"))}
    orders, assets = Collector(), Collector()
    private.subscribe_to_order_updates(["BTCUSDT"], orders)
    private.subscribe_to_balance_updates(assets)
    assert emu.sign_count == 1

    order_id = emu.place_order("BTCUSDT", "buy", "0.1", "30000", client_id="mine")
    page = private.get_open_orders("BTCUSDT", Side.BUY)
    assert page.total == 1 and page.records[0].order_id == order_id and page.records[0].client_order_id == "mine"
    assert private.get_open_orders("BTCUSDT", "sell").total == 0
    emu.fill(order_id, "0.04")
    emu.fill(order_id, price="29000")
    updates = [e.data for e in orders.wait_for(3)]
    assert all(isinstance(u, OrderUpdate) for u in updates)
    assert [u.event for u in updates] == [OrderEvent.NEW, OrderEvent.UPDATE, OrderEvent.FINISH]
    assert [u.status for u in updates] == [OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED, OrderStatus.FILLED]
    assert updates[-1].order.filled_quantity == Decimal("0.1") and updates[-1].order.remaining == 0
    assert updates[-1].order.filled_value == Decimal("0.04") * 30000 + Decimal("0.06") * 29000

    events = assets.wait_for(3)
    latest = {b.asset: b for e in events for b in e.data}
    # 3000 frozen, 1200 + 1740 paid, 60 refunded for the better price; 0.2 % fee in BTC
    assert latest["USDT"].free == Decimal("7060") and latest["USDT"].locked == 0
    assert latest["BTC"].free == Decimal("1.0998") and latest["BTC"].account == 0
    assert private.get_balances("USDT")["USDT"].free == Decimal("7060")

    cancelled = emu.place_order("BTCUSDT", Side.SELL, "0.5", "50000")
    emu.cancel_order(cancelled)
    wait_until(lambda: len(orders.events) == 5)
    assert orders.events[-1].data.status is OrderStatus.CANCELED
    assert private.get_open_orders("BTCUSDT").total == 0


def test_own_fills_do_not_reach_the_public_trade_stream(private, emu):
    trades = Collector()
    private.get_balances()  # signs in: CoinEx then also pushes own fills on deals.subscribe
    private.subscribe_to_trade_updates("BTCUSDT", trades)
    order_id = emu.place_order("BTCUSDT", "sell", "0.1", "40000")
    emu.fill(order_id)
    trades.wait_for(3)
    assert all(isinstance(t, Trade) for e in trades.events for t in e.data)


def test_private_subscriptions_are_signed_in_again_after_a_reconnect(emu):
    states = Collector()
    with make_client(emu, credentials=emu.credentials(), on_connection_event=states) as coinex:
        orders = Collector()
        coinex.subscribe_to_order_updates(callback=orders)
        assert emu.sign_count == 1
        emu.drop_connections()
        wait_until(lambda: any(e.state is ConnectionState.RESTORED for e in states.events))
        assert emu.sign_count == 2
        assert emu.subscriptions()[0]["order"] == ["*"]
        emu.place_order("ETHUSDT", "buy", "1", "100")
        (event,) = orders.wait_for(1)
        assert event.data.event is OrderEvent.NEW and event.symbol == "ETHUSDT"


def test_refused_sign_is_an_authentication_error(private, emu):
    emu.refuse_next_sign()
    with pytest.raises(AuthenticationError) as info:
        private.get_balances()
    assert info.value.code == 11 and info.value.message == "invalid signature"
    assert private.get_balances()["BTC"].free == 1  # the next call signs in again


def test_wrong_secret_is_refused(emu):
    credentials = Credentials(key=emu.credentials().key, secret="not-the-secret")
    with make_client(emu, credentials=credentials) as coinex:
        with pytest.raises(AuthenticationError):
            coinex.subscribe_to_balance_updates()
    assert emu.sign_count == 0


# -- connection faults and keep-alive ---------------------------------------------------------------


def test_ticker_updates_resume_after_a_dropped_connection(client, emu):
    events = Collector()
    client.subscribe_to_ticker_updates("BTCUSDT", events)
    events.wait_for(2)
    assert emu.drop_connections() == 1
    wait_until(lambda: emu.connections_accepted == 2)
    count = len(events.events)
    events.wait_for(count + 3)
    assert emu.subscriptions()[0]["state"] == ["BTCUSDT"]


def test_idle_connection_is_kept_alive_with_server_ping(emu):
    with make_client(emu, ping_interval=0.1, pong_timeout=timeout(2)) as coinex:
        coinex.ping()
        wait_until(lambda: len(emu.requests("server.ping")) >= 4)
        assert emu.connections_accepted == 1


def test_stalled_connection_is_replaced_when_pings_go_unanswered(emu):
    restored = threading.Event()

    def on_event(event):
        if event.state is ConnectionState.RESTORED:
            restored.set()

    with make_client(emu, ping_interval=0.1, pong_timeout=timeout(1), on_connection_event=on_event) as coinex:
        events = Collector()
        coinex.subscribe_to_ticker_updates("BTCUSDT", events)
        events.wait_for(1)
        emu.stall()
        assert restored.wait(timeout(10))
        count = len(events.events)
        events.wait_for(count + 2)


def test_undecodable_request_makes_the_server_close(emu):
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    with connect(emu.url) as websocket:
        websocket.send('{"method": "server.ping", "params": [], "id": "1"}')
        with pytest.raises(ConnectionClosed):
            websocket.recv(timeout(5))


def test_a_garbage_frame_is_skipped_and_the_connection_goes_on(client, emu):
    client.ping()
    assert emu.send_raw("{not json") == 1
    assert emu.send_raw('{"method": "depth.update", "params": [1], "id": null}') == 1
    assert client.ping() >= 0
    assert client._connection.frames_skipped == 2
    assert emu.connections_accepted == 1


def test_a_refused_sign_in_after_a_reconnect_is_reported_and_retried(emu):
    errors, states = Collector(), Collector()
    with make_client(emu, credentials=emu.credentials(), on_connection_event=states,
                     on_callback_error=lambda exc, event: errors(exc)) as coinex:
        balances = Collector()
        coinex.subscribe_to_balance_updates(balances)
        emu.refuse_next_sign()
        emu.drop_connections()
        error = errors.wait_for(1)[0]
        assert isinstance(error, AuthenticationError)
        wait_until(lambda: any(e.state is ConnectionState.RESTORED for e in states.events))
        assert emu.sign_count == 2 and emu.connections_accepted >= 3
        emu.set_balance("ETH", "3")
        (event,) = balances.wait_for(1)
        assert event.data == [Balance(asset="ETH", free=Decimal(3), locked=Decimal(0),
                                      updated_at=event.data[0].updated_at, account=0)]


def test_quickstart_runs_against_the_emulator(capsys):
    import importlib.util

    from tests.conftest import REPO_ROOT

    spec = importlib.util.spec_from_file_location("coinex_quickstart", REPO_ROOT / "samples" / "coinex_quickstart.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--seconds", "0.6"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("ping: ") and lines[-1].startswith("book checksums: ")
    assert any(line.startswith("ticker BTCUSDT") for line in lines)
    assert any(line.startswith("book   BTCUSDT") for line in lines)


def test_latest_values_follow_tickers_and_watched_books(client):
    events = Collector()
    client.subscribe_to_ticker_updates("ETHUSDT", events)
    watcher = client.watch_order_book("ETHUSDT", 5)
    events.wait_for(1)
    assert watcher.wait_synced(timeout(5))
    wait_until(lambda: client.latest.top_of_book("ETHUSDT") is not None)
    latest = client.latest.ticker("ETHUSDT")
    assert latest is not None and latest.value.symbol == "ETH/USDT"  # the neutral ticker
    assert isinstance(latest.value.native, Ticker) and latest.value.last_price == latest.value.native.last_price
    by_pair = client.latest.ticker("ETH/USDT")
    assert by_pair is not None and by_pair.value.symbol == "ETH/USDT"
    top = client.latest.top_of_book("ETHUSDT").value
    assert top.bid.price < top.ask.price
    assert client.health()["latest"]["ticker"].keys() == {"ETHUSDT"}


def test_callbacks_can_run_on_a_host_executor(emu):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1, thread_name_prefix="host") as executor, \
            make_client(emu, callback_executor=executor) as coinex:
        threads, books = [], []
        done = threading.Event()

        def on_ticker(event):
            threads.append(threading.current_thread().name)
            done.set()

        coinex.subscribe_to_ticker_updates("BTCUSDT", on_ticker)
        coinex.watch_order_book("BTCUSDT", 5, callback=lambda snapshot: books.append(threading.current_thread().name))
        assert done.wait(timeout(5))
        wait_until(lambda: books)
        assert threads[0].startswith("host") and books[0].startswith("host")
