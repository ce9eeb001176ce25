"""BinanceClient against BinanceEmulator over loopback: general, market data, orders, account."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from exwire import Side
from exwire._core.backoff import backoff
from exwire.binance import BinanceClient, OrderLeg
from exwire.binance import models as m
from exwire.binance.enums import ExecutionType, KlineInterval, OrderStatus
from exwire.errors import (
    AuthenticationError,
    ConfigurationError,
    ExchangeUnavailable,
    InsufficientFunds,
    InvalidRequest,
    InvalidState,
    OrderNotFound,
    RateLimited,
    RequestTimeout,
)
from exwire.models import Credentials
from exwire.testing.binance import BinanceEmulator
from tests.conftest import timeout


def fast_backoff():
    return backoff(initial=0.01, maximum=0.05)


@pytest.fixture(scope="module")
def emulator():
    with BinanceEmulator(seed=7) as emu:
        yield emu


@pytest.fixture
def client(emulator):
    credentials = emulator.add_account("hmac")
    with BinanceClient(credentials=credentials, request_timeout=timeout(5), **emulator.client_kwargs()) as client:
        client.emulator_credentials = credentials
        yield client


def next_event(subscription, kind, seconds=5.0):
    """The next user-data event of ``kind``, skipping others."""
    while True:
        event = subscription.get(timeout(seconds))
        if isinstance(event.data, kind):
            return event.data


# -- general and market data ---------------------------------------------------------------------


def test_general_methods(client):
    assert client.test_spot_connectivity() > 0
    server_time = client.get_spot_server_time()
    assert abs(server_time - datetime.now(timezone.utc)) < timedelta(seconds=timeout(5))
    info = client.get_spot_exchange_info(["BTCUSDT", "ETHUSDT"])
    assert [s.symbol for s in info.symbols] == ["BTCUSDT", "ETHUSDT"]
    assert info.symbols[0].base_asset == "BTC" and info.rate_limits[0].limit == 6000
    assert len(client.get_spot_exchange_info().symbols) >= 4
    status = client.get_spot_session_status()
    assert status.api_key is None and status.connected_since is not None  # HMAC keys never log on


def test_market_data_methods(client):
    book = client.get_spot_order_book("BTCUSDT", 5)
    assert len(book.bids) == len(book.asks) == 5 and book.bids[0].price < book.asks[0].price
    recent = client.get_spot_recent_trades("BTCUSDT", 10)
    assert len(recent) == 10 and all(isinstance(t, m.Trade) for t in recent)
    history = client.get_spot_historical_trades("BTCUSDT", from_id=recent[0].trade_id, limit=3)
    assert [t.trade_id for t in history] == [recent[0].trade_id, recent[0].trade_id + 1, recent[0].trade_id + 2]
    assert client.get_spot_historical_block_trades("BTCUSDT", from_id=1) == []
    aggregate = client.get_spot_aggregate_trades("BTCUSDT", limit=5)
    assert len(aggregate) == 5 and isinstance(aggregate[0].price, Decimal)
    klines = client.get_spot_klines("BTCUSDT", KlineInterval.ONE_MINUTE, limit=3)
    assert len(klines) == 3 and klines[0].open_time < klines[1].open_time
    assert len(client.get_spot_ui_klines("ETHUSDT", "1h", limit=2)) == 2
    assert client.get_spot_average_price("BTCUSDT").minutes == 5
    rules = client.get_spot_execution_rules("BTCUSDT").symbol_rules[0]
    assert rules.rules[0].rule_type == "PRICE_RANGE" and rules.rules[0].bid_limit_multiplier_up == Decimal("1.05")
    reference = client.get_spot_reference_price("BTCUSDT")
    assert reference.reference_price > 0 and reference.time is not None and reference.time.tzinfo is not None
    assert client.get_spot_reference_price_calculation("BTCUSDT").bucket_count == 10
    ticker = client.get_spot_24hr_ticker("BTCUSDT")
    assert isinstance(ticker, m.Ticker) and ticker.symbol == "BTCUSDT" and ticker.price_change is not None
    assert {t.symbol for t in client.get_spot_24hr_ticker(["BTCUSDT", "ETHUSDT"])} == {"BTCUSDT", "ETHUSDT"}
    mini = client.get_spot_trading_day_ticker("ETHUSDT", ticker_type="MINI")
    assert mini.price_change is None and mini.last_price is not None
    assert client.get_spot_ticker(["BTCUSDT"], window_size="2h")[0].symbol == "BTCUSDT"
    assert client.get_spot_symbol_price_ticker("BTCUSDT").last_price > 0
    assert len(client.get_spot_symbol_price_ticker()) >= 4
    best = client.get_spot_symbol_order_book_ticker("BTCUSDT")
    assert best.bid_price == book.bids[0].price and best.ask_price == book.asks[0].price


def test_unknown_symbol_is_an_invalid_request(client):
    with pytest.raises(InvalidRequest) as error:
        client.get_spot_order_book("NOPEUSDT")
    assert error.value.code == -1121


def test_rate_limits_track_the_latest_usage(client):
    client.get_spot_server_time()
    before = {(r.rate_limit_type.value, r.interval.value): r.count for r in client.rate_limits}
    client.get_spot_order_book("BTCUSDT")
    after = {(r.rate_limit_type.value, r.interval.value): r.count for r in client.rate_limits}
    assert after[("REQUEST_WEIGHT", "MINUTE")] >= before[("REQUEST_WEIGHT", "MINUTE")] + 5


# -- orders ----------------------------------------------------------------------------------------


def test_place_query_and_cancel_an_order(client, emulator):
    price = emulator.price("ETHUSDT") - 100
    order = client.submit_new_spot_order("ETHUSDT", Side.BUY, "LIMIT", time_in_force="GTC", price=price,
                                         quantity="0.5", new_client_order_id="mine-1", response_type="RESULT")
    assert order.status is OrderStatus.NEW and order.client_order_id == "mine-1" and order.price == price
    status = client.get_spot_order_status("ETHUSDT", original_client_order_id="mine-1")
    assert status.order_id == order.order_id and status.is_working
    assert [o.order_id for o in client.get_spot_open_orders("ETHUSDT")] == [order.order_id]
    free, locked = emulator.balances(client.emulator_credentials)["USDT"]
    assert locked == price * Decimal("0.5")
    cancelled = client.cancel_spot_order("ETHUSDT", order_id=order.order_id, new_client_order_id="cancel-1")
    assert isinstance(cancelled, m.Order) and cancelled.status is OrderStatus.CANCELED
    assert cancelled.original_client_order_id == "mine-1" and cancelled.client_order_id == "cancel-1"
    assert client.get_spot_open_orders() == []
    assert [o.status for o in client.get_spot_all_orders("ETHUSDT")] == [OrderStatus.CANCELED]
    with pytest.raises(OrderNotFound):
        client.cancel_spot_order("ETHUSDT", order_id=order.order_id)
    with pytest.raises(OrderNotFound):
        client.get_spot_order_status("ETHUSDT", order_id=123)


def test_market_order_fills_and_the_user_data_stream_reports_it(client):
    with client.subscribe_to_user_data_updates() as events:
        order = client.submit_new_spot_order("BTCUSDT", "BUY", "MARKET", quote_order_quantity="3000.03")
        assert order.status is OrderStatus.FILLED and order.fills
        assert order.filled_quantity == sum(f.quantity for f in order.fills)
        report = next_event(events, m.ExecutionReport)
        assert report.execution_type is ExecutionType.NEW and report.order_id == order.order_id
        trade = next_event(events, m.ExecutionReport)
        assert trade.execution_type is ExecutionType.TRADE and trade.status is OrderStatus.FILLED
        assert trade.last_executed_quantity == order.filled_quantity
        position = next_event(events, m.AccountPosition)
        assert {b.asset for b in position.balances} == {"BTC", "USDT"}
    trades = client.get_spot_my_trades("BTCUSDT", order_id=order.order_id)
    assert [t.trade_id for t in trades] == [f.trade_id for f in order.fills] and trades[0].is_buyer


def test_resting_order_fills_when_the_market_crosses_it(client, emulator):
    price = emulator.price("ETHBTC") - Decimal("0.001")
    with client.subscribe_to_user_data_updates() as events:
        order = client.submit_new_spot_order("ETHBTC", "BUY", "LIMIT", time_in_force="GTC", price=price,
                                             quantity="1")
        emulator.set_price("ETHBTC", price - Decimal("0.0001"))
        while True:
            report = next_event(events, m.ExecutionReport)
            if report.execution_type is ExecutionType.TRADE:
                break
        assert report.is_maker and report.last_executed_price == price and report.status is OrderStatus.FILLED
    assert client.get_spot_order_status("ETHBTC", order_id=order.order_id).status is OrderStatus.FILLED
    emulator.set_price("ETHBTC", "0.06")


def test_refusals_map_to_exwire_errors(client, emulator):
    with pytest.raises(InsufficientFunds):
        client.submit_new_spot_order("BTCUSDT", "SELL", "LIMIT", time_in_force="GTC", price="90000", quantity="500")
    with pytest.raises(InvalidRequest) as error:
        client.submit_new_spot_order("BTCUSDT", "BUY", "LIMIT_MAKER", price=emulator.price("BTCUSDT") + 100,
                                     quantity="0.001")
    assert error.value.code == -2010 and "immediately match" in error.value.message
    with pytest.raises(InvalidRequest) as error:
        client.submit_new_spot_order("BTCUSDT", "BUY", "LIMIT", time_in_force="GTC", price="1.001", quantity="1")
    assert error.value.code == -1013


def test_test_order_cancel_replace_amend_and_cancel_all(client, emulator):
    assert client.test_spot_order("BTCUSDT", "BUY", "LIMIT", time_in_force="GTC", price="1000", quantity="1") \
        == m.OrderTestResult()
    rates = client.test_spot_order("BTCUSDT", "BUY", "MARKET", quantity="1", compute_commission_rates=True)
    assert rates.standard_commission_for_order.maker == Decimal("0.001")
    first = client.submit_new_spot_order("BTCUSDT", "SELL", "LIMIT", time_in_force="GTC", price="40000",
                                         quantity="0.01")
    replaced = client.cancel_replace_spot_order("BTCUSDT", "SELL", "LIMIT", "STOP_ON_FAILURE",
                                                cancel_order_id=first.order_id, time_in_force="GTC",
                                                price="41000", quantity="0.02")
    assert replaced.cancel_result == "SUCCESS" and replaced.cancel_response.status is OrderStatus.CANCELED
    second = replaced.new_order_response
    assert second.price == Decimal("41000") and second.status is OrderStatus.NEW
    with pytest.raises(InvalidRequest) as error:  # the cancel fails: nothing is placed (§8.4)
        client.cancel_replace_spot_order("BTCUSDT", "SELL", "LIMIT", "STOP_ON_FAILURE", cancel_order_id=1,
                                         time_in_force="GTC", price="41000", quantity="0.02")
    assert error.value.code == -2022 and error.value.data["newOrderResult"] == "NOT_ATTEMPTED"
    amended = client.amend_spot_order_keep_priority("BTCUSDT", "0.015", order_id=second.order_id)
    assert amended.amended_order.quantity == Decimal("0.015")
    client.submit_new_spot_order("BTCUSDT", "BUY", "LIMIT", time_in_force="GTC", price="100", quantity="0.01")
    cancelled = client.cancel_all_spot_open_orders("BTCUSDT")
    assert len(cancelled) == 2 and all(o.status is OrderStatus.CANCELED for o in cancelled)
    assert client.get_spot_open_orders("BTCUSDT") == []


# -- order lists and SOR ---------------------------------------------------------------------------


def test_oco_order_list_fills_one_leg_and_expires_the_other(client, emulator):
    base = emulator.price("BNBBTC")
    with client.subscribe_to_user_data_updates() as events:
        placed = client.place_spot_oco_order_list(
            "BNBBTC", "SELL", "2",
            above=OrderLeg(order_type="LIMIT_MAKER", price=base + Decimal("0.001")),
            below=OrderLeg(order_type="STOP_LOSS_LIMIT", stop_price=base - Decimal("0.001"),
                           price=base - Decimal("0.0011"), time_in_force="GTC"))
        assert placed.contingency_type.value == "OCO" and placed.list_status_type.value == "EXEC_STARTED"
        assert len(placed.orders) == len(placed.order_reports) == 2
        started = next_event(events, m.ListStatus)
        assert started.order_list_id == placed.order_list_id
        assert [l.order_list_id for l in client.get_spot_open_order_lists()] == [placed.order_list_id]
        emulator.set_price("BNBBTC", base + Decimal("0.002"))
        done = next_event(events, m.ListStatus)
        assert done.list_status_type.value == "ALL_DONE" and done.list_order_status.value == "ALL_DONE"
    status = client.get_spot_order_list_status(order_list_id=placed.order_list_id)
    assert status.list_order_status.value == "ALL_DONE"
    by_type = {o.order_type.value: o.status for o in
               (client.get_spot_order_status("BNBBTC", order_id=e.order_id) for e in placed.orders)}
    assert by_type == {"LIMIT_MAKER": OrderStatus.FILLED, "STOP_LOSS_LIMIT": OrderStatus.EXPIRED}
    assert client.get_spot_open_order_lists() == []
    assert placed.order_list_id in [l.order_list_id for l in client.get_spot_all_order_lists()]
    emulator.set_price("BNBBTC", "0.01")


def test_oto_pending_order_works_once_the_working_order_fills(client, emulator):
    base = emulator.price("ETHUSDT")
    placed = client.place_spot_oto_order_list(
        "ETHUSDT",
        working=OrderLeg(order_type="LIMIT", side="BUY", price=base - 10, quantity="1", time_in_force="GTC"),
        pending=OrderLeg(order_type="LIMIT", side="SELL", price=base + 10, quantity="1", time_in_force="GTC"))
    working, pending = placed.order_reports
    assert working.status is OrderStatus.NEW and pending.status is OrderStatus.PENDING_NEW
    emulator.set_price("ETHUSDT", base - 20)
    assert client.get_spot_order_status("ETHUSDT", order_id=working.order_id).status is OrderStatus.FILLED
    assert client.get_spot_order_status("ETHUSDT", order_id=pending.order_id).status is OrderStatus.NEW
    cancelled = client.cancel_spot_order("ETHUSDT", order_id=pending.order_id)
    assert isinstance(cancelled, m.OrderList) and cancelled.list_status_type.value == "ALL_DONE"
    emulator.set_price("ETHUSDT", "2000")


def test_other_order_list_kinds_are_accepted(client, emulator):
    base = emulator.price("BTCUSDT")
    legacy = client.place_spot_order_list("BTCUSDT", "SELL", "0.01", base + 100, stop_price=base - 100,
                                          stop_limit_price=base - 110, stop_limit_time_in_force="GTC")
    otoco = client.place_spot_otoco_order_list(
        "BTCUSDT", OrderLeg(order_type="LIMIT", side="BUY", price=base - 100, quantity="0.01", time_in_force="GTC"),
        "SELL", "0.01", OrderLeg(order_type="LIMIT_MAKER", price=base + 200),
        OrderLeg(order_type="STOP_LOSS", stop_price=base - 300))
    opo = client.place_spot_opo_order_list(
        "BTCUSDT", OrderLeg(order_type="LIMIT", side="BUY", price=base - 100, quantity="0.01", time_in_force="GTC"),
        OrderLeg(order_type="LIMIT_MAKER", side="SELL", price=base + 200))
    opoco = client.place_spot_opoco_order_list(
        "BTCUSDT", OrderLeg(order_type="LIMIT", side="BUY", price=base - 100, quantity="0.01", time_in_force="GTC"),
        "SELL", OrderLeg(order_type="LIMIT_MAKER", price=base + 200))
    assert [len(x.orders) for x in (legacy, otoco, opo, opoco)] == [2, 3, 2, 2]
    cancelled = client.cancel_spot_order_list("BTCUSDT", list_client_order_id=otoco.list_client_order_id)
    assert all(r.status is OrderStatus.CANCELED for r in cancelled.order_reports)
    results = client.cancel_all_spot_open_orders("BTCUSDT")
    assert sorted(r.order_list_id for r in results) == sorted(x.order_list_id for x in (legacy, opo, opoco))


def test_sor_order_and_allocations(client):
    (order,) = client.place_spot_sor_order("BTCUSDT", "BUY", "MARKET", "0.001")
    assert order.used_sor and order.working_floor == "SOR" and order.fills[0].allocation_id is not None
    assert client.test_spot_sor_order("BTCUSDT", "BUY", "LIMIT", "0.001", time_in_force="GTC",
                                      price="1000") == m.OrderTestResult()
    allocations = client.get_spot_allocations("BTCUSDT", order_id=order.order_id)
    assert [a.allocation_id for a in allocations] == [order.fills[0].allocation_id]
    with pytest.raises(ConfigurationError):
        client.place_spot_sor_order("BTCUSDT", "BUY", "STOP_LOSS", "0.001")


# -- account ------------------------------------------------------------------------------------------


def test_account_methods(client):
    account = client.get_spot_account_information(omit_zero_balances=True)
    assert account.can_trade and account.balance("USDT").free == Decimal("1000000")
    assert account.commission_rates.maker == Decimal("0.001") and account.account_type.value == "SPOT"
    limits = client.get_spot_order_rate_limits()
    assert {(r.interval.value, r.interval_number) for r in limits} == {("SECOND", 10), ("DAY", 1)}
    commission = client.get_spot_account_commission("BTCUSDT")
    assert commission.symbol == "BTCUSDT" and commission.standard_commission.taker == Decimal("0.001")
    assert client.get_spot_prevented_matches("BTCUSDT", order_id=1) == []
    assert client.get_spot_my_trades("BTCUSDT") == [] and client.get_spot_all_order_lists() == []


def test_wrong_signature_is_an_authentication_error(emulator):
    good = emulator.add_account("hmac")
    with BinanceClient(credentials=Credentials(key=good.key, secret="wrong"), sync_time=False,
                       **emulator.client_kwargs()) as client:
        assert client.get_spot_server_time()  # public requests are not signed
        with pytest.raises(AuthenticationError) as error:
            client.get_spot_account_information()
        assert error.value.code == -1022


def test_bad_input_fails_before_anything_is_sent(client, emulator):
    client.get_spot_server_time()  # connected, clock synchronised
    received = emulator.messages_received
    bad_calls = [
        lambda: client.submit_new_spot_order("BTCUSDT", "BUY", "LIMIT", price="1", quantity="1"),
        lambda: client.submit_new_spot_order("BTCUSDT", "BUY", "MARKET"),
        lambda: client.submit_new_spot_order("BTCUSDT", "HOLD", "MARKET", quantity="1"),
        lambda: client.submit_new_spot_order("BTCUSDT", "BUY", "LIMIT", time_in_force="GTC", price="nan",
                                             quantity="1"),
        lambda: client.submit_new_spot_order("", "BUY", "MARKET", quantity="1"),
        lambda: client.cancel_spot_order("BTCUSDT"),
        lambda: client.get_spot_order_status("BTCUSDT"),
        lambda: client.get_spot_klines("BTCUSDT", "7m"),
        lambda: client.get_spot_ticker("BTCUSDT", window_size="90m"),
        lambda: client.get_spot_aggregate_trades("BTCUSDT", from_id=1, start_time=1),
        lambda: client.get_spot_exchange_info("BTCUSDT", permissions="SPOT"),
        lambda: client.place_spot_oco_order_list("BTCUSDT", "SELL", "1", OrderLeg(order_type="LIMIT_MAKER"),
                                                 OrderLeg(order_type="STOP_LOSS", stop_price="1")),
        lambda: client.place_spot_opo_order_list("BTCUSDT", OrderLeg(order_type="LIMIT", side="BUY", price="1",
                                                                     quantity="1", time_in_force="GTC"),
                                                 OrderLeg(order_type="LIMIT", side="SELL", price="2",
                                                          quantity="1", time_in_force="GTC")),
        lambda: client.get_spot_account_information(recv_window=61),
        lambda: client.get_spot_order_book("BTCUSDT", timeout=-1),
    ]
    for call in bad_calls:
        with pytest.raises(ConfigurationError):
            call()
    assert emulator.messages_received == received


def test_signed_requests_need_credentials_and_closed_clients_refuse(emulator):
    client = BinanceClient(**emulator.client_kwargs())
    with pytest.raises(ConfigurationError):
        client.get_spot_account_information()
    with pytest.raises(ConfigurationError):
        client.subscribe_to_user_data_updates()
    client.close()
    with pytest.raises(InvalidState):
        client.get_spot_server_time()


def test_constructor_checks_and_urls():
    with pytest.raises(ConfigurationError):
        BinanceClient(credentials=Credentials(key="k"))
    with pytest.raises(ConfigurationError):
        BinanceClient(url="ws://x", testnet=True)
    with pytest.raises(ConfigurationError):
        BinanceClient(recv_window=0)
    with BinanceClient(testnet=True) as client:
        assert client.url == "wss://ws-api.testnet.binance.vision/ws-api/v3"
    with BinanceClient() as client:
        assert client.url == "wss://ws-api.binance.com:443/ws-api/v3"


def test_exchange_side_errors_and_timeouts(emulator):
    credentials = emulator.add_account("hmac")
    with BinanceClient(credentials=credentials, backoff_factory=fast_backoff, **emulator.client_kwargs()) as client:
        emulator.fail_next("order.place", -1007, "Timeout waiting for response from backend server. "
                                                 "Send status unknown; execution status unknown.", 408)
        with pytest.raises(ExchangeUnavailable):
            client.submit_new_spot_order("BTCUSDT", "BUY", "MARKET", quantity="0.001")
        emulator.withhold_replies(1, "depth")
        with pytest.raises(RequestTimeout):
            client.get_spot_order_book("BTCUSDT", timeout=timeout(0.3))
        assert client.get_spot_order_book("BTCUSDT").bids  # the connection is fine


def test_request_weight_limit_raises_rate_limited_with_retry_after():
    with BinanceEmulator(request_weight_limit=4) as emulator:
        with BinanceClient(**emulator.client_kwargs()) as client:
            client.get_spot_server_time()  # weight 1
            with pytest.raises(RateLimited) as error:  # depth weighs 5
                client.get_spot_order_book("BTCUSDT")
            assert error.value.code == -1003 and error.value.status == 429
            assert 0 <= error.value.retry_after <= 60
