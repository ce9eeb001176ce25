"""BinanceClient futures against BinanceEmulator over loopback: orders, positions, balances,
leverage, algo orders on the mark price, and each market's own connection (binance.md §10)."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest

from exwire.binance import BinanceClient, FuturesMarket
from exwire.binance import models as m
from exwire.binance.enums import AlgoStatus, FuturesOrderType, OrderStatus
from exwire.errors import ConfigurationError, InsufficientFunds, InvalidRequest, OrderNotFound
from exwire.testing.binance import BinanceEmulator
from tests.binance.test_client import fast_backoff
from tests.conftest import timeout
from tests.helpers import wait_until

U, C = FuturesMarket.USDM, FuturesMarket.COINM


@pytest.fixture(scope="module")
def emulator():
    with BinanceEmulator(seed=11) as emu:
        yield emu


@pytest.fixture
def client(emulator):
    credentials = emulator.add_account("ed25519")
    with BinanceClient(credentials=credentials, request_timeout=timeout(5), backoff_factory=fast_backoff,
                       **emulator.client_kwargs()) as client:
        client.emulator_credentials = credentials
        yield client


@pytest.fixture
def prices(emulator):
    """Put the contracts back where the seed had them after a test moved them."""
    yield
    for symbol, price in (("BTCUSDT", "30000"), ("ETHUSDT", "2000"), ("BTCUSD_PERP", "30000"),
                          ("ETHUSD_PERP", "2000")):
        emulator.set_futures_price(symbol, price)


def _usdt(account: m.FuturesAccount) -> m.FuturesAsset:
    asset = account.asset("USDT")
    assert asset is not None
    return asset


# -- USDⓈ-M ---------------------------------------------------------------------------------------------


def test_usdm_market_data(client, emulator):
    book = client.get_futures_order_book("BTCUSDT", 10)
    assert len(book.bids) == len(book.asks) == 10 and book.bids[0].price < book.asks[0].price
    assert book.event_time is not None
    price = client.get_futures_symbol_price_ticker("BTCUSDT")
    assert isinstance(price, m.FuturesPriceTicker) and price.last_price == emulator.futures_price("BTCUSDT")
    assert {t.symbol for t in client.get_futures_symbol_price_ticker()} == {"BTCUSDT", "ETHUSDT"}
    best = client.get_futures_symbol_order_book_ticker("BTCUSDT")
    assert best.bid_price == book.bids[0].price and best.ask_price == book.asks[0].price
    assert len(client.get_futures_symbol_order_book_ticker()) == 2
    with pytest.raises(InvalidRequest) as error:
        client.get_futures_order_book("BTCUSD_PERP")  # a COIN-M symbol is unknown on USD-M
    assert error.value.code == -1121


def test_limit_order_that_fills_opens_a_position_consistent_with_the_account(client, emulator, prices):
    credentials = client.emulator_credentials
    emulator.set_leverage(credentials, "BTCUSDT", 10)
    ask = client.get_futures_symbol_order_book_ticker("BTCUSDT").ask_price
    order = client.submit_new_futures_order(U, "BTCUSDT", "BUY", "LIMIT", time_in_force="GTC", price=ask,
                                            quantity="0.5", response_type="RESULT", new_client_order_id="open-1")
    assert order.status is OrderStatus.FILLED and order.filled_quantity == Decimal("0.5")
    assert order.average_price == ask and order.cumulative_quote == ask * Decimal("0.5")

    (position,) = client.get_futures_position_v2()
    assert position.symbol == "BTCUSDT" and position.position_amount == Decimal("0.5")
    assert position.entry_price == ask and position.margin_asset == "USDT"
    mark = position.mark_price
    assert position.notional == mark * Decimal("0.5")
    assert position.initial_margin == position.notional / 10  # leverage 10
    assert position.unrealized_profit == (mark - ask) * Decimal("0.5")
    (v1,) = client.get_futures_position(U, "BTCUSDT")
    assert v1.leverage == 10 and v1.unrealized_profit == position.unrealized_profit

    account = client.get_futures_account_status_v2()
    usdt = _usdt(account)
    assert usdt.wallet_balance == Decimal("100000") == account.total_wallet_balance
    assert usdt.position_initial_margin == position.initial_margin == account.total_initial_margin
    assert usdt.margin_balance == usdt.wallet_balance + usdt.unrealized_profit
    assert usdt.available_balance == usdt.margin_balance - usdt.initial_margin
    assert [p.symbol for p in account.positions] == ["BTCUSDT"]
    (balance,) = client.get_futures_account_balance_v2()
    assert balance.balance == usdt.wallet_balance and balance.available_balance == usdt.available_balance
    assert client.get_futures_account_balance(U) == [balance]

    emulator.set_mark_price("BTCUSDT", mark + 100)  # the mark moves, the book does not
    (position,) = client.get_futures_position_v2()
    assert position.unrealized_profit == (mark + 100 - ask) * Decimal("0.5")

    bid = client.get_futures_symbol_order_book_ticker("BTCUSDT").bid_price
    closed = client.submit_new_futures_order(U, "BTCUSDT", "SELL", "MARKET", quantity="0.5", reduce_only=True,
                                             response_type="RESULT")
    assert closed.status is OrderStatus.FILLED and closed.average_price == bid
    assert client.get_futures_position_v2() == []
    assert emulator.futures_position(credentials, "BTCUSDT") == (0, 0)
    realized = (bid - ask) * Decimal("0.5")
    (balance,) = client.get_futures_account_balance_v2()
    assert balance.balance == Decimal("100000") + realized == balance.available_balance
    assert client.get_futures_order_status(U, "BTCUSDT", original_client_order_id="open-1").order_id == \
        order.order_id


def test_resting_order_holds_margin_can_be_modified_and_fills_when_crossed(client, emulator, prices):
    bid = emulator.futures_price("ETHUSDT")
    resting = client.submit_new_futures_order(U, "ETHUSDT", "BUY", "LIMIT", time_in_force="GTC",
                                              price=bid - 100, quantity="2")
    assert resting.status is OrderStatus.NEW and resting.filled_quantity == 0  # ACK: as accepted
    usdt = _usdt(client.get_futures_account_status_v2())
    assert usdt.open_order_initial_margin == (bid - 100) * 2 / 20  # default leverage 20
    modified = client.modify_futures_order(U, "ETHUSDT", "BUY", "3", bid - 50, order_id=resting.order_id)
    assert modified.quantity == 3 and modified.price == bid - 50 and modified.status is OrderStatus.NEW
    with pytest.raises(InvalidRequest):
        client.modify_futures_order(U, "ETHUSDT", "SELL", "3", bid - 50, order_id=resting.order_id)

    emulator.set_futures_price("ETHUSDT", bid - 60)  # crosses the buy at bid − 50: it fills as maker
    status = client.get_futures_order_status(U, "ETHUSDT", order_id=resting.order_id)
    assert status.status is OrderStatus.FILLED and status.average_price == bid - 50
    assert emulator.futures_position(client.emulator_credentials, "ETHUSDT") == (3, bid - 50)
    assert _usdt(client.get_futures_account_status_v2()).open_order_initial_margin == 0

    other = client.submit_new_futures_order(U, "ETHUSDT", "SELL", "LIMIT", time_in_force="GTC", price=bid + 500,
                                            quantity="1")
    cancelled = client.cancel_futures_order(U, "ETHUSDT", order_id=other.order_id)
    assert cancelled.status is OrderStatus.CANCELED
    with pytest.raises(OrderNotFound):
        client.cancel_futures_order(U, "ETHUSDT", order_id=other.order_id)
    with pytest.raises(OrderNotFound):
        client.get_futures_order_status(U, "ETHUSDT", order_id=1)
    client.submit_new_futures_order(U, "ETHUSDT", "SELL", "MARKET", quantity="3", reduce_only=True)


def test_algo_stop_triggers_on_the_mark_price_and_closes_the_position(client, emulator, prices):
    credentials = client.emulator_credentials
    client.submit_new_futures_order(U, "BTCUSDT", "BUY", "MARKET", quantity="0.2")
    mark = emulator.mark_price("BTCUSDT")
    on_contract = client.submit_new_futures_algo_order(
        "BTCUSDT", "SELL", "STOP_MARKET", trigger_price=mark - 500, quantity="0.2", reduce_only=True,
        client_algo_id="contract-stop")
    on_mark = client.submit_new_futures_algo_order(
        "BTCUSDT", "SELL", "STOP_MARKET", trigger_price=mark - 500, close_position=True, working_type="MARK_PRICE",
        client_algo_id="mark-stop")
    assert on_mark.algo_status is AlgoStatus.NEW and on_mark.order_type is FuturesOrderType.STOP_MARKET
    assert emulator.futures_position(credentials, "BTCUSDT")[0] == Decimal("0.2")  # nothing triggered yet

    emulator.set_mark_price("BTCUSDT", mark - 600)  # only the mark crosses the trigger
    assert emulator.futures_position(credentials, "BTCUSDT")[0] == 0
    reports = {a["clientAlgoId"]: a for a in emulator.algo_orders(credentials)}
    assert reports["mark-stop"]["algoStatus"] == "FINISHED" and reports["mark-stop"]["triggerTime"] > 0
    assert reports["contract-stop"]["algoStatus"] == "NEW"  # the last price did not move
    triggered = client.get_futures_order_status(U, "BTCUSDT", original_client_order_id="mark-stop")
    assert triggered.order_id == reports["mark-stop"]["actualOrderId"] and triggered.status is OrderStatus.FILLED
    with pytest.raises(OrderNotFound):  # triggered: too late to cancel
        client.cancel_futures_algo_order(algo_id=on_mark.algo_id)
    cancelled = client.cancel_futures_algo_order(client_algo_id="contract-stop")
    assert cancelled.algo_status is AlgoStatus.CANCELED and cancelled.algo_id == on_contract.algo_id


def test_algo_orders_refusals(client, emulator):
    mark = emulator.mark_price("BTCUSDT")
    with pytest.raises(InvalidRequest) as error:  # a buy stop below the price would fire at once
        client.submit_new_futures_algo_order("BTCUSDT", "BUY", "STOP_MARKET", trigger_price=mark - 100,
                                             quantity="0.1")
    assert error.value.code == -2021
    with pytest.raises(InvalidRequest) as error:  # reduce-only with no position to reduce
        client.submit_new_futures_algo_order("BTCUSDT", "SELL", "STOP_MARKET", trigger_price=mark - 100,
                                             quantity="0.1", reduce_only=True)
    assert error.value.code == -2022
    with pytest.raises(InvalidRequest) as error:  # the 2026 rule, enforced by the server too (§10.2)
        client._call("order.place", None, timeout=None, signed=True, market=U, symbol="BTCUSDT", side="SELL",
                     order_type="STOP_MARKET", stop_price=mark - 100, quantity="0.1")
    assert error.value.code == -4120
    with pytest.raises(OrderNotFound):
        client.cancel_futures_algo_order(algo_id=42)


def test_margin_reduce_only_and_post_only_refusals(emulator):
    credentials = emulator.add_account("hmac", usdm_balances={"USDT": "100"})
    with BinanceClient(credentials=credentials, **emulator.client_kwargs()) as client:
        with pytest.raises(InsufficientFunds) as error:  # 1 BTC at 30000 / 20 needs 1500 USDT of margin
            client.submit_new_futures_order(U, "BTCUSDT", "BUY", "MARKET", quantity="1")
        assert error.value.code == -2019
        with pytest.raises(InvalidRequest) as error:
            client.submit_new_futures_order(U, "BTCUSDT", "SELL", "MARKET", quantity="0.001", reduce_only=True)
        assert error.value.code == -2022
        ask = emulator.futures_price("BTCUSDT") + Decimal("0.1")
        with pytest.raises(InvalidRequest) as error:
            client.submit_new_futures_order(U, "BTCUSDT", "BUY", "LIMIT", time_in_force="GTX", price=ask,
                                            quantity="0.001")
        assert error.value.code == -5022
        assert client.get_futures_account_balance(U)[0].balance == Decimal("100")


# -- COIN-M ------------------------------------------------------------------------------------------------


def test_coinm_position_in_contracts_and_a_conditional_order_on_the_mark(client, emulator, prices):
    credentials = client.emulator_credentials
    order = client.submit_new_futures_order(C, "BTCUSD_PERP", "BUY", "MARKET", quantity=10, response_type="RESULT")
    assert order.status is OrderStatus.FILLED and order.pair == "BTCUSD" and order.cumulative_quote is None
    entry = order.average_price
    assert order.cumulative_base == (Decimal(10) * 100 / entry).quantize(Decimal("1e-8"), rounding="ROUND_DOWN")
    positions = {p.symbol: p for p in client.get_futures_position(C)}
    assert set(positions) == {"BTCUSD_PERP", "ETHUSD_PERP"}
    position = positions["BTCUSD_PERP"]
    assert position.position_amount == 10 and position.entry_price == entry and position.leverage == 20
    assert [p.symbol for p in client.get_futures_position(C, pair="ETHUSD")] == ["ETHUSD_PERP"]

    account = client.get_futures_account_status(C)
    btc = account.asset("BTC")
    assert account.total_wallet_balance is None and account.can_trade  # COIN-M: no USD totals
    expected_margin = (Decimal(10) * 100 / position.mark_price / 20).quantize(Decimal("1e-8"), rounding="ROUND_DOWN")
    assert btc.position_initial_margin == expected_margin
    assert account.position("BTCUSD_PERP").position_amount == 10
    balances = {b.asset: b for b in client.get_futures_account_balance(C)}
    assert balances["BTC"].balance == Decimal(10) and balances["BTC"].withdraw_available is not None

    stop = client.submit_new_futures_order(C, "BTCUSD_PERP", "SELL", "STOP_MARKET", stop_price=entry - 1000,
                                           close_position=True, working_type="MARK_PRICE")
    assert stop.status is OrderStatus.NEW and stop.order_type is FuturesOrderType.STOP_MARKET
    emulator.set_mark_price("BTCUSD_PERP", entry - 1200)
    status = client.get_futures_order_status(C, "BTCUSD_PERP", order_id=stop.order_id)
    assert status.status is OrderStatus.FILLED and status.original_type is FuturesOrderType.STOP_MARKET
    assert emulator.futures_position(credentials, "BTCUSD_PERP")[0] == 0
    wallet = emulator.futures_balances(credentials, "coinm")["BTC"]
    fill = status.average_price
    assert wallet == Decimal(10) + Decimal(10) * 100 * (1 / entry - 1 / fill)  # inverse PnL, in BTC


def test_price_match_and_a_coinm_trailing_stop(client, emulator, prices):
    credentials = client.emulator_credentials
    ask = client.get_futures_symbol_order_book_ticker("ETHUSDT").ask_price
    matched = client.submit_new_futures_order(U, "ETHUSDT", "BUY", "LIMIT", time_in_force="IOC", quantity="1",
                                              price_match="OPPONENT", response_type="RESULT")
    assert matched.status is OrderStatus.FILLED and matched.price == ask and matched.price_match.value == "OPPONENT"
    client.submit_new_futures_order(U, "ETHUSDT", "SELL", "MARKET", quantity="1", reduce_only=True)

    client.submit_new_futures_order(C, "ETHUSD_PERP", "BUY", "MARKET", quantity=5)
    start = emulator.futures_price("ETHUSD_PERP")
    trailing = client.submit_new_futures_order(C, "ETHUSD_PERP", "SELL", "TRAILING_STOP_MARKET", quantity=5,
                                               callback_rate="1", reduce_only=True)
    assert trailing.status is OrderStatus.NEW and trailing.price_rate == Decimal("1.0")
    emulator.set_futures_price("ETHUSD_PERP", start + 200)  # the high it trails
    emulator.set_futures_price("ETHUSD_PERP", start + 190)  # a 0.5 % dip: still holding
    assert emulator.futures_position(credentials, "ETHUSD_PERP")[0] == 5
    emulator.set_futures_price("ETHUSD_PERP", start + 170)  # 1.4 % below the high: triggered
    assert emulator.futures_position(credentials, "ETHUSD_PERP")[0] == 0
    done = client.get_futures_order_status(C, "ETHUSD_PERP", order_id=trailing.order_id)
    assert done.status is OrderStatus.FILLED and done.order_type is FuturesOrderType.MARKET
    assert done.original_type is FuturesOrderType.TRAILING_STOP_MARKET


# -- connections ---------------------------------------------------------------------------------------------


class Events:
    """on_connection_event hook recording (state, connection) pairs."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def __call__(self, event) -> None:
        self.seen.append((event.state.value, event.connection))


def test_each_market_has_its_own_connection_and_logon():
    with BinanceEmulator(seed=5, ping_scale=None) as emulator:
        credentials = emulator.add_account("ed25519")
        with BinanceClient(credentials=credentials, **emulator.client_kwargs()) as client:
            client.get_futures_account_status(U)
            assert [len(emulator.connections_of(p)) for p in ("spot", "usdm", "coinm")] == [0, 1, 0]
            client.get_futures_account_status(C)
            client.get_spot_account_information()
            assert [len(emulator.connections_of(p)) for p in ("spot", "usdm", "coinm")] == [1, 1, 1]
            assert emulator.logons_by_product == {"spot": 1, "usdm": 1, "coinm": 1}
            for product in ("usdm", "coinm"):
                methods = [method for method, _ in emulator.requests_by_product[product]]
                assert methods[:2] == ["session.status", "session.logon"]  # clock, then log-on
                params = emulator.requests_by_product[product][-1][1]
                assert "timestamp" in params and "signature" not in params  # logged on: unsigned
            readers = {t.name for t in threading.enumerate() if t.name.startswith("exwire-binance-reader")}
            assert readers == {"exwire-binance-reader-spot", "exwire-binance-reader-usdm",
                               "exwire-binance-reader-coinm"}
            assert set(client.health()["connections"]) == {"spot", "usdm", "coinm"}


def test_hmac_keys_sign_every_futures_request():
    with BinanceEmulator(seed=5, ping_scale=None) as emulator:
        credentials = emulator.add_account("hmac")
        with BinanceClient(credentials=credentials, **emulator.client_kwargs()) as client:
            client.get_futures_position(C)
            assert emulator.logons == 0
            (method, params), = [r for r in emulator.requests_by_product["coinm"] if r[0] == "account.position"]
            assert params["apiKey"] == credentials.key and "signature" in params


def test_reconnect_of_one_market_does_not_disturb_the_other():
    events = Events()
    with BinanceEmulator(seed=5, ping_scale=None) as emulator:
        credentials = emulator.add_account("ed25519")
        with BinanceClient(credentials=credentials, backoff_factory=fast_backoff, on_connection_event=events,
                           request_timeout=timeout(5), **emulator.client_kwargs()) as client:
            client.get_futures_position_v2()
            client.get_futures_position(C)
            (coinm,) = emulator.connections_of("coinm")
            assert emulator.drop_connections("usdm") == 1
            wait_until(lambda: ("restored", "usdm") in events.seen, 10)
            assert emulator.logons_by_product == {"spot": 0, "usdm": 2, "coinm": 1}
            assert emulator.connections_of("coinm") == [coinm] and not coinm.closing.is_set()
            assert all(name != "coinm" for _, name in events.seen if _ != "connected")
            assert client.get_futures_account_balance(C) and client.get_futures_account_balance_v2()
            assert emulator.send_server_shutdown("coinm") == 1  # §2: the coinm connection reconnects at once
            wait_until(lambda: ("restored", "coinm") in events.seen, 10)
            assert emulator.logons_by_product["coinm"] == 2 and emulator.logons_by_product["usdm"] == 2
            assert client.get_futures_position(C)


def test_futures_clock_is_synchronised_through_session_status():
    with BinanceEmulator(seed=5, ping_scale=None) as emulator:
        emulator.time_offset_ms = -30_000  # the server is 30 s behind this machine
        credentials = emulator.add_account("hmac")
        with BinanceClient(credentials=credentials, **emulator.client_kwargs()) as client:
            assert client.get_futures_account_status(C).can_trade
            assert -31_000 < client.time_offset_ms < -29_000
            assert client.get_futures_position_v2() == []  # the USD-M connection is open and synchronised
            emulator.time_offset_ms = 45_000  # the server clock jumps: -1021, resync, one retry
            order = client.submit_new_futures_order(U, "BTCUSDT", "BUY", "MARKET", quantity="0.01")
            assert order.status is OrderStatus.NEW  # ACK
            assert 44_000 < client.time_offset_ms < 46_000
            methods = [method for method, _ in emulator.requests_by_product["usdm"]]
            assert methods.count("order.place") == 1 and methods.count("session.status") == 2  # connect, resync


def test_futures_keepalive_detects_a_stalled_connection():
    events = Events()
    with BinanceEmulator(seed=5, ping_scale=None) as emulator:
        with BinanceClient(futures_ping_interval=0.05, futures_pong_timeout=timeout(0.5),
                           backoff_factory=fast_backoff, on_connection_event=events,
                           **emulator.client_kwargs()) as client:
            client.get_futures_symbol_price_ticker("BTCUSDT")
            client.get_spot_server_time()
            restored = events.seen.count(("restored", "usdm"))
            emulator.stall("usdm")
            wait_until(lambda: events.seen.count(("restored", "usdm")) > restored, 10)
            assert ("lost", "spot") not in events.seen
            assert client.get_futures_symbol_price_ticker("BTCUSDT").last_price > 0


def test_emulator_pings_on_the_futures_cadence_and_drops_a_silent_peer():
    import websocket  # websocket-client: a raw peer that never reads, so never answers a ping

    # Scaled about 1:330, futures ping every 0.54 s and wait 1.8 s for the pong (3 min / 10 min, §10.2).
    with BinanceEmulator(seed=5, ping_scale=timeout(0.003), close_timeout=0.2) as emulator:
        with BinanceClient(**emulator.client_kwargs()) as client:
            silent = websocket.create_connection(emulator.coinm_futures_url, timeout=timeout(5))
            try:
                client.get_futures_symbol_price_ticker("BTCUSDT")
                assert emulator.ping_clients(timeout(5), product="usdm") == 1
                wait_until(lambda: emulator.pings_sent["usdm"] >= 2, 10)
                wait_until(lambda: emulator.connections_of("coinm") == [], 10)  # no pong: dropped
            finally:
                silent.close()
            assert client.get_futures_symbol_price_ticker("BTCUSDT")
            assert len(emulator.connections_of("usdm")) == 1  # the client answered every ping
            assert emulator.connections_accepted == 2


def test_constructor_urls_and_checks():
    with BinanceClient() as client:
        assert client.usdm_futures_url == "wss://ws-fapi.binance.com/ws-fapi/v1"
        assert client.coinm_futures_url == "wss://ws-dapi.binance.com/ws-dapi/v1"
    with BinanceClient(testnet=True) as client:
        assert client.usdm_futures_url == "wss://testnet.binancefuture.com/ws-fapi/v1"
        assert client.coinm_futures_url == "wss://testnet.binancefuture.com/ws-dapi/v1"
    for bad in ({"testnet": True, "usdm_futures_url": "ws://x"}, {"futures_ping_interval": 0},
                {"futures_pong_timeout": None}):
        with pytest.raises(ConfigurationError):
            BinanceClient(**bad)
    with BinanceClient() as client:
        with pytest.raises(ConfigurationError):
            client.futures_rate_limits("spot")
        with pytest.raises(ConfigurationError):  # SIGNED without credentials: nothing opens
            client.get_futures_account_status(U)


def test_usdm_only_methods_for_coinm_send_nothing(emulator, client):
    client.get_futures_position(C)  # both futures connections open
    client.get_futures_position_v2()
    received = emulator.messages_received
    calls = [
        lambda: client.get_futures_order_book("BTCUSD_PERP", market=C),
        lambda: client.get_futures_symbol_price_ticker(market=C),
        lambda: client.get_futures_symbol_order_book_ticker(market=C),
        lambda: client.get_futures_position_v2(market=C),
        lambda: client.submit_new_futures_algo_order("BTCUSD_PERP", "SELL", "STOP_MARKET", quantity=1,
                                                     trigger_price="1", market=C),
        lambda: client.cancel_futures_algo_order(algo_id=1, market=C),
        lambda: client.get_futures_account_balance_v2(market=C),
        lambda: client.get_futures_account_status_v2(market=C),
        lambda: client.submit_new_futures_order(U, "BTCUSDT", "SELL", "TAKE_PROFIT_MARKET", stop_price="1",
                                                quantity="1"),
    ]
    for call in calls:
        with pytest.raises(ConfigurationError):
            call()
    assert emulator.messages_received == received
