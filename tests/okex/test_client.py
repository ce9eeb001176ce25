"""OkexClient against OkexEmulator over real loopback sockets."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest

from exwire import models as neutral
from exwire._core.backoff import backoff
from exwire.errors import (
    AuthenticationError,
    ConfigurationError,
    ConnectError,
    InsufficientFunds,
    InvalidState,
    OrderNotFound,
    RequestTimeout,
)
from exwire.models import ConnectionState, Credentials, Side, UpdateType
from exwire.okex.client import DEFAULT_URL, OkexClient
from exwire.okex.models import BalanceUpdate, KlineInterval, OrderStatus, OrderType, OrderUpdate, Ticker
from exwire.okex.symbols import normalize_symbol
from exwire.testing.okex import OkexEmulator
from tests.conftest import timeout
from tests.helpers import Collector, wait_until

D = Decimal


def make_client(emulator: OkexEmulator, **options) -> OkexClient:
    options.setdefault("credentials", emulator.credentials)
    options.setdefault("request_timeout", timeout(5))
    options.setdefault("backoff_factory", lambda: backoff(initial=0.02, maximum=0.2))
    return OkexClient(**emulator.client_kwargs(), **options)


@pytest.fixture
def emulator():
    with OkexEmulator(push_interval=0.02) as emu:
        yield emu


@pytest.fixture
def client(emulator):
    with make_client(emulator) as okex:
        yield okex


def _next(subscription, seconds: float = 5.0):
    return subscription.get(timeout(seconds))


def _connection_events(options: dict) -> Collector:
    events = Collector()
    options["on_connection_event"] = events
    return events


def _wait_state(events: Collector, state: ConnectionState, count: int = 1) -> None:
    wait_until(lambda: sum(e.state is state for e in events.events) >= count, 10)


# -- construction and arguments ---------------------------------------------------------------


def test_defaults_point_at_the_retired_v1_endpoint():
    okex = OkexClient()
    assert okex.url == DEFAULT_URL == "wss://real.okex.com:10440/ws/v1"
    assert "OKX" in OkexClient.__doc__ and "retired" in OkexClient.__doc__
    okex.close()


def test_private_calls_without_credentials_fail_before_anything_is_sent(emulator):
    with make_client(emulator, credentials=None) as okex:
        calls = [
            lambda: okex.place_order("btc_usdt", "buy", "1", "100"),
            lambda: okex.cancel_order("btc_usdt", 1),
            lambda: okex.get_user_info(),
            lambda: okex.get_balances(),
            lambda: okex.get_order("btc_usdt", 1),
            lambda: okex.login(),
            lambda: okex.subscribe_to_order_updates("btc_usdt"),
            lambda: okex.subscribe_to_balance_updates("btc_usdt"),
        ]
        for call in calls:
            with pytest.raises(ConfigurationError):
                call()
    assert emulator.connections_accepted == 0 and emulator.messages_received == 0


def test_bad_arguments_fail_before_anything_is_sent(emulator, client):
    bad = [
        lambda: client.place_order("btcusdt", "buy", "1", "100"),
        lambda: client.place_order("btc_usdt", "long", "1", "100"),
        lambda: client.place_order("btc_usdt", Side.BUY, "1"),  # a limit order needs a price
        lambda: client.place_order("btc_usdt", Side.BUY, "0", "100"),
        lambda: client.place_order("btc_usdt", Side.BUY, "1", float("nan")),
        lambda: client.place_order("btc_usdt", Side.BUY, "1", market=True),  # market buy: quote_quantity
        lambda: client.place_order("btc_usdt", Side.SELL, "1", "100", market=True),
        lambda: client.place_order("btc_usdt", Side.BUY, "1", "100", quote_quantity="5"),
        lambda: client.cancel_order("btc_usdt", 1.0),
        lambda: client.cancel_order("btc_usdt", True),
        lambda: client.get_order("btc_usdt", "12x"),
        lambda: client.get_order("btc_usdt", -5),
        lambda: client.subscribe_to_kline_updates("btc_usdt", "2min"),
        lambda: client.subscribe_to_order_book_updates("btc_usdt", 7),
        lambda: client.subscribe_to_ticker_updates([]),
        lambda: client.subscribe_to_ticker_updates("btc_usdt", callback="no"),
        lambda: client.get_user_info(timeout=0),
    ]
    for call in bad:
        with pytest.raises(ConfigurationError):
            call()
    assert emulator.messages_received == 0
    with pytest.raises(ConfigurationError):
        OkexClient(ping_interval=0)
    with pytest.raises(ConfigurationError):
        OkexClient(pong_timeout=-1)


@pytest.mark.parametrize("url", [
    "", "http://real.okex.com/ws/v1", "real.okex.com:10440/ws/v1", "wss://", "wss://host:99999/ws/v1", None, 42,
])
def test_a_bad_url_is_refused_at_construction(url):
    with pytest.raises(ConfigurationError, match="url"):
        OkexClient(url=url)


def test_a_ws_url_is_accepted():
    for url in ("ws://127.0.0.1:1/ws/v1", "wss://real.okex.com:10440/ws/v1"):
        okex = OkexClient(url=url)
        assert okex.url == url
        okex.close()


def test_symbols_are_normalised():
    assert normalize_symbol("BTC/USDT") == normalize_symbol("btc-usdt") == normalize_symbol(" btc_usdt ") == "btc_usdt"


def test_a_closed_client_refuses_calls(emulator):
    okex = make_client(emulator)
    okex.close()
    with pytest.raises(InvalidState):
        okex.get_user_info()
    with pytest.raises(InvalidState):
        okex.subscribe_to_ticker_updates("btc_usdt")


# -- market data (§5) ------------------------------------------------------------------------


def test_ticker_trades_klines_and_full_depth_stream(emulator, client):
    ticks = Collector()
    client.subscribe_to_ticker_updates(["btc_usdt", "eth_btc"], ticks)
    ticks.wait_for(4)
    assert {e.symbol for e in ticks.events} == {"btc_usdt", "eth_btc"}
    assert all(isinstance(e.data, Ticker) and e.topic == "ticker:btc_usdt,eth_btc" for e in ticks.events)
    wait_until(lambda: client.latest.ticker("eth_btc") is not None)
    latest = client.latest.ticker("btc_usdt").value  # the neutral ticker, by native or BASE/QUOTE name
    assert isinstance(latest, neutral.Ticker) and isinstance(latest.native, Ticker)
    assert latest.symbol == "BTC/USDT" and latest.bid_price == latest.native.bid_price
    assert client.latest.ticker("BTC/USDT").value.symbol == "BTC/USDT"
    with client.subscribe_to_trade_updates("btc_usdt") as trades:
        event = _next(trades)
        trade = event.data[0]
        assert trade.trade_id > 0 and trade.price > 0 and trade.side in (Side.BUY, Side.SELL)
        assert trade.symbol == "btc_usdt" and trade.time.tzinfo is not None
        assert abs((trade.time - event.received_at).total_seconds()) < 5  # dated by the receive instant
    with client.subscribe_to_kline_updates("btc_usdt", KlineInterval.ONE_MINUTE) as klines:
        kline = _next(klines).data[0]
        assert kline.interval is KlineInterval.ONE_MINUTE and kline.symbol == "btc_usdt"
        assert kline.close_time - kline.open_time == KlineInterval.ONE_MINUTE.duration
    with client.subscribe_to_order_book_updates("btc_usdt", 10) as depth:
        for _ in range(3):
            event = _next(depth)
            assert event.update_type is UpdateType.SNAPSHOT
            assert len(event.data.bids) == len(event.data.asks) == 10
            assert event.data.asks[0].price < event.data.asks[-1].price  # sorted, though sent descending
            assert event.data.bids[0].price > event.data.asks[0].price - 1


def test_keep_raw_attaches_the_inflated_frame_text(emulator):
    with make_client(emulator, keep_raw=True) as okex:
        with okex.subscribe_to_ticker_updates("btc_usdt") as ticks:
            raw = _next(ticks).raw
    assert raw.startswith("[{") and '"channel":"ok_sub_spot_btc_usdt_ticker"' in raw


def test_a_burst_of_pushes_arrives_complete_and_in_order_before_a_close():
    # The frames of a burst are read together and inflated together (SequencedTransport);
    # a bad frame among them is skipped, and a close read behind them ends nothing early.
    with OkexEmulator(push_interval=None) as emulator, make_client(emulator, keep_raw=True) as okex:
        ticks = Collector()
        okex.subscribe_to_ticker_updates("btc_usdt", ticks)
        ticks.wait_for(1)  # the ticker that follows a subscribe
        base = 1_600_000_000_000
        for n in range(200):
            if n == 100:
                emulator.send_raw(b"not deflate")
            emulator.send_frame([{"binary": 1, "channel": "ok_sub_spot_btc_usdt_ticker", "data": {
                "buy": "1.1", "sell": "1.2", "last": f"1.{n:03d}", "high": "2", "low": "1", "vol": "5",
                "timestamp": base + n}}])
        emulator.close_connections()
        ticks.wait_for(201)
        burst = ticks.events[1:201]  # a reconnect subscribes again and gets one more
        assert [e.data.last_price for e in burst] == [Decimal(f"1.{n:03d}") for n in range(200)]
        assert all(e.raw.startswith('[{"binary":1') for e in burst)


def test_subscriptions_of_several_symbols_go_in_one_batch_frame(emulator, client):
    client.get_user_info()  # connected and logged on
    before = emulator.messages_received
    client.subscribe_to_ticker_updates(["btc_usdt", "eth_btc", "ltc_btc"])
    assert emulator.messages_received == before + 1
    assert sorted(emulator.subscribed_channels()) == [
        "ok_sub_spot_btc_usdt_ticker", "ok_sub_spot_eth_btc_ticker", "ok_sub_spot_ltc_btc_ticker"]


def test_unsubscribe_removes_the_channel(emulator, client):
    subscription = client.subscribe_to_ticker_updates("btc_usdt")
    assert emulator.subscribed_channels() == ["ok_sub_spot_btc_usdt_ticker"]
    subscription.unsubscribe()
    assert emulator.wait_for(lambda: emulator.subscribed_channels() == [], timeout(5))


def test_watched_book_converges_to_the_emulator_book(emulator, client):
    watcher = client.watch_order_book("BTC/USDT")
    assert watcher.wait_synced(timeout(5))
    wait_until(lambda: watcher.updates_applied > 20)
    [connection] = emulator.connections
    with connection.send_lock:  # freezes the pusher: the emulator's book stops changing
        feed = connection.session.feeds["btc_usdt"]
        expected_bids = sorted(feed.bids.items(), reverse=True)
        expected_asks = sorted(feed.asks.items())
        wait_until(lambda: [(l.price, l.quantity) for l in watcher.bids()] == expected_bids
                   and [(l.price, l.quantity) for l in watcher.asks()] == expected_asks)
    assert watcher.checksums_mismatched == 0


def test_watched_book_keeps_every_change_under_a_latest_policy(emulator):
    with make_client(emulator, overflow="latest") as okex:
        watcher = okex.watch_order_book("btc_usdt")
        assert watcher.wait_synced(timeout(5))
        wait_until(lambda: watcher.updates_applied > 20)
        assert watcher.subscription.dropped == 0
        wait_until(lambda: okex.latest.top_of_book("btc_usdt") is not None)
        top = okex.latest.top_of_book("btc_usdt").value
        assert top.bid.price < top.ask.price


def test_a_second_depth_subscriber_also_starts_from_a_whole_book(emulator, client):
    watcher = client.watch_order_book("btc_usdt")
    assert watcher.wait_synced(timeout(5))
    with client.subscribe_to_order_book_updates("btc_usdt") as raw:
        first = _next(raw)
        assert first.update_type is UpdateType.SNAPSHOT and len(first.data.bids) > 10
    watcher.close()


# -- private requests and pushes (§6) -------------------------------------------------------------


def test_place_push_cancel_balance_flow(emulator, client):
    orders = client.subscribe_to_order_updates("btc_usdt")
    balances = client.subscribe_to_balance_updates("btc_usdt")
    order_id = client.place_order("btc_usdt", Side.BUY, "0.5", "6000.5")
    assert order_id > 2**32
    placed = _next(orders)
    assert isinstance(placed.data, OrderUpdate) and placed.symbol == "btc_usdt"
    assert (placed.data.order_id, placed.data.status, placed.data.order_type) == (
        order_id, OrderStatus.OPEN, OrderType.BUY)
    assert (placed.data.price, placed.data.quantity) == (D("6000.5"), D("0.5"))
    locked = _next(balances).data
    assert isinstance(locked, BalanceUpdate)
    assert locked.locked["usdt"] == D("3000.25") and locked.free["usdt"] == D("96999.75")
    assert client.get_order("btc_usdt", order_id).status is OrderStatus.OPEN
    usdt = client.get_balances()["usdt"]
    assert (usdt.free, usdt.locked, usdt.total) == (D("96999.75"), D("3000.25"), D("100000"))

    assert client.cancel_order("btc_usdt", order_id) == order_id
    assert _next(orders).data.status is OrderStatus.CANCELLED
    released = _next(balances).data
    assert released.locked["usdt"] == 0 and released.free["usdt"] == D("100000")
    info = client.get_user_info()
    assert info.free["usdt"] == D("100000") and info.locked["usdt"] == 0
    assert client.get_order("btc_usdt", order_id).status is OrderStatus.CANCELLED
    with pytest.raises(OrderNotFound):
        client.cancel_order("btc_usdt", order_id)  # 1050: already cancelled


def test_marketable_and_market_orders_fill(emulator, client):
    emulator.set_market("eth_usdt", "199", "200")
    orders = client.subscribe_to_order_updates("eth_usdt")
    order_id = client.place_order("eth_usdt", "buy", "2", "250")  # crosses the ask: fills at 200
    filled = _next(orders).data
    assert (filled.order_id, filled.status, filled.average_price) == (order_id, OrderStatus.FILLED, D("200"))
    assert filled.last_fill_quantity == D("2") and filled.last_fill_price == D("200")
    sold = client.place_order("eth_usdt", "sell", "1", market=True)
    update = _next(orders).data
    assert (update.order_id, update.order_type, update.status) == (sold, OrderType.SELL_MARKET, OrderStatus.FILLED)
    bought = client.place_order("eth_usdt", "buy", market=True, quote_quantity="100")
    update = _next(orders).data
    assert (update.order_id, update.order_type, update.filled_quantity) == (bought, OrderType.BUY_MARKET, D("0.5"))
    balances = client.get_balances()
    assert balances["eth"].free == D("101.5")
    assert balances["usdt"].free == D("100000") - 400 + 199 - 100


def test_partial_fill_is_pushed(emulator, client):
    orders = client.subscribe_to_order_updates("eth_btc")
    order_id = client.place_order("eth_btc", "sell", "3", "0.05")
    _next(orders)
    emulator.fill_order(order_id, "1")
    update = _next(orders).data
    assert (update.status, update.filled_quantity, update.filled_notional) == (
        OrderStatus.PARTIALLY_FILLED, D("1"), D("0.05"))


def test_exchange_refusals_map_to_error_classes(client):
    with pytest.raises(InsufficientFunds) as refused:
        client.place_order("btc_usdt", "buy", "1000", "6000")
    assert refused.value.code == 10010
    with pytest.raises(OrderNotFound):
        client.get_order("btc_usdt", 123456789)
    with pytest.raises(OrderNotFound):
        client.cancel_order("btc_usdt", 123456789)


def test_concurrent_callers_each_get_the_reply_to_their_own_request(emulator, client):
    """Many threads place orders at once; each order id must be the order that thread sent."""
    threads, per_thread = 12, 20
    results: dict[int, list[tuple[int, str]]] = {n: [] for n in range(threads)}
    errors: list[BaseException] = []
    start = threading.Barrier(threads)

    def trader(n: int) -> None:
        try:
            start.wait(timeout(5))
            for i in range(per_thread):
                price = f"{1000 + n}.{i:02d}"  # unique per request
                order_id = client.place_order("btc_usdt", "buy", "0.001", price)
                results[n].append((order_id, price))
                if i % 3 == 0:  # other channels interleave with the orders
                    client.get_user_info()
        except BaseException as exc:  # reported below
            errors.append(exc)

    workers = [threading.Thread(target=trader, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout(30))
    assert not errors
    seen = [pair for pairs in results.values() for pair in pairs]
    assert len(seen) == threads * per_thread == emulator.order_count
    assert len({order_id for order_id, _ in seen}) == len(seen)
    for order_id, price in seen:
        assert emulator.order(order_id)["price"] == price


def test_a_wrong_secret_is_refused_at_log_on(emulator):
    credentials = Credentials(emulator.api_key, "not-the-secret")
    with make_client(emulator, credentials=credentials) as okex:
        with pytest.raises(ConnectError) as failed:
            okex.get_user_info()
        assert isinstance(failed.value.__cause__, AuthenticationError)
        assert failed.value.__cause__.code == 20102
        # Public data needs the connection too: the refused log-on fails it as well.
        with pytest.raises(ConnectError):
            okex.subscribe_to_ticker_updates("btc_usdt")


def test_login_can_be_repeated(emulator, client):
    client.login()
    client.login()
    assert emulator.logins == 2
    emulator.refuse_next_login()
    with pytest.raises(AuthenticationError):
        client.login()


# -- liveness and reconnects (§7) ------------------------------------------------------------------


def test_missing_pong_makes_the_client_reconnect(emulator):
    options: dict = {"ping_interval": 0.1, "pong_timeout": timeout(0.3)}
    events = _connection_events(options)
    with make_client(emulator, **options) as okex:
        ticks = Collector()
        okex.subscribe_to_ticker_updates("btc_usdt", ticks)
        wait_until(lambda: emulator.pings_received >= 1)  # pongs flow: no reconnect
        emulator.withhold_pong()
        _wait_state(events, ConnectionState.LOST)
        assert "pong" in str(next(e for e in events.events if e.state is ConnectionState.LOST).error)
        emulator.withhold_pong(False)
        _wait_state(events, ConnectionState.RESTORED)
        count = len(ticks.events)
        ticks.wait_for(count + 3)  # resubscribed


def test_a_dropped_connection_logs_on_before_resubscribing_private_channels(emulator):
    options: dict = {}
    events = _connection_events(options)
    with make_client(emulator, **options) as okex:
        orders = okex.subscribe_to_order_updates("btc_usdt")
        ticks = Collector()
        okex.subscribe_to_ticker_updates("btc_usdt", ticks)
        emulator.drop_connections()
        _wait_state(events, ConnectionState.RESTORED)
        [connection] = emulator.connections
        requests = [(event, channel) for cid, event, channel in emulator.requests if cid == connection.id]
        assert requests[0] == ("login", None)
        assert ("addChannel", "ok_sub_spot_btc_usdt_order") in requests
        assert sorted(emulator.subscribed_channels()) == [
            "ok_sub_spot_btc_usdt_order", "ok_sub_spot_btc_usdt_ticker"]
        count = len(ticks.events)
        ticks.wait_for(count + 2)
        order_id = okex.place_order("btc_usdt", "buy", "0.01", "5000")
        assert _next(orders).data.order_id == order_id


def test_a_request_timeout_re_establishes_the_connection(emulator):
    options: dict = {}
    events = _connection_events(options)
    with make_client(emulator, **options) as okex:
        okex.get_user_info()
        emulator.withhold_next_reply("ok_spot_order")
        with pytest.raises(RequestTimeout):
            okex.place_order("btc_usdt", "buy", "0.01", "5000", timeout=0.5)
        _wait_state(events, ConnectionState.RESTORED)
        assert emulator.order_count == 1  # placed, though the caller could not know
        assert okex.place_order("btc_usdt", "buy", "0.01", "5001") != 0
        assert okex.get_user_info().locked["usdt"] == D("100.01")
