"""The 14 UsdFutures request/response scripts (../shared/fixtures/binance/binance-net/ws-api/UsdFutures),
read in place: each public futures method sends the script's method and decodes its response
into the typed model (binance.md §10.3, §10.5)."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest

from exwire.binance import FuturesMarket
from exwire.binance import models as m
from exwire.binance.enums import (
    AlgoStatus,
    AlgoType,
    FuturesOrderType,
    OrderSide,
    OrderStatus,
    PositionSide,
    PriceMatch,
    SelfTradePreventionMode,
    WorkingType,
)
from tests.binance.futures_support import Replay
from tests.binance.test_fixtures import _script

U = FuturesMarket.USDM


@pytest.fixture
def replay():
    replay = Replay()
    yield replay
    replay.close()


def run(replay: Replay, path: str, call):
    request, _, replay.response = _script("binance-net", "ws-api", "UsdFutures", *path.split("/"))
    result = call(replay.client)
    connection, frame = replay.sent[-1]
    assert connection == "usdm" and frame["method"] == request["method"]
    return result


CASES = {
    "Account/GetAccountInfo.txt": (lambda c: c.get_futures_account_status_v2(), m.FuturesAccount),
    "Account/GetBalances.txt": (lambda c: c.get_futures_account_balance_v2(), m.FuturesBalance),
    "ExchangeData/GetBookPrice.txt": (lambda c: c.get_futures_symbol_order_book_ticker("BTCUSDT"),
                                      m.FuturesBookTicker),
    "ExchangeData/GetBookPrices.txt": (lambda c: c.get_futures_symbol_order_book_ticker(), m.FuturesBookTicker),
    "ExchangeData/GetOrderBook.txt": (lambda c: c.get_futures_order_book("BTCUSDT"), m.FuturesOrderBook),
    "ExchangeData/GetPrice.txt": (lambda c: c.get_futures_symbol_price_ticker("BTCUSDT"), m.FuturesPriceTicker),
    "ExchangeData/GetPrices.txt": (lambda c: c.get_futures_symbol_price_ticker(), m.FuturesPriceTicker),
    "Trading/CancelConditionalOrder.txt": (lambda c: c.cancel_futures_algo_order(algo_id=3000000000003505),
                                           m.AlgoOrder),
    "Trading/CancelOrder.txt": (lambda c: c.cancel_futures_order(U, "BTCUSDT", order_id=283194212), m.FuturesOrder),
    "Trading/EditOrder.txt": (lambda c: c.modify_futures_order(U, "BTCUSDT", "SELL", "0.110", "43769.10",
                                                               order_id=328971409), m.FuturesOrder),
    "Trading/GetOrder.txt": (lambda c: c.get_futures_order_status(U, "BTCUSDT", order_id=1917641), m.FuturesOrder),
    "Trading/GetPositions.txt": (lambda c: c.get_futures_position_v2(), m.FuturesPosition),
    "Trading/PlaceConditionalOrder.txt": (lambda c: c.submit_new_futures_algo_order(
        "BTCUSDT", "SELL", "TAKE_PROFIT", quantity="1", price="160000", trigger_price="120000",
        time_in_force="GTC"), m.AlgoOrder),
    "Trading/PlaceOrder.txt": (lambda c: c.submit_new_futures_order(
        U, "BTCUSDT", "BUY", "LIMIT", time_in_force="GTC", price="43187.00", quantity="0.100"), m.FuturesOrder),
}


@pytest.mark.parametrize("path", sorted(CASES))
def test_fixture_request_and_response(replay, path):
    call, model = CASES[path]
    result = run(replay, path, call)
    items = result if isinstance(result, list) else [result]
    assert items and all(isinstance(item, model) for item in items)
    if path != "Trading/GetOrder.txt":  # the only script without rateLimits
        assert replay.client.futures_rate_limits(U)
    assert replay.client.rate_limits == ()  # spot's usage is separate


def test_place_order_values(replay):
    order = run(replay, "Trading/PlaceOrder.txt", CASES["Trading/PlaceOrder.txt"][0])
    assert order.order_id == 325078477 and order.status is OrderStatus.NEW
    assert order.price == Decimal("43187.00") and order.quantity == Decimal("0.100")
    assert order.cumulative_quote == Decimal("0") and order.average_price == Decimal("0")
    assert order.position_side is PositionSide.BOTH and order.working_type is WorkingType.CONTRACT_PRICE
    assert order.price_match is PriceMatch.NONE and order.good_till_date is None
    assert order.reduce_only is False and order.updated_at == datetime(2023, 12, 14, 12, 5, 34, 435000,
                                                                        tzinfo=timezone.utc)
    limits = {(r.rate_limit_type.value, r.interval.value): r.limit for r in replay.client.futures_rate_limits(U)}
    assert limits == {("ORDERS", "SECOND"): 300, ("ORDERS", "MINUTE"): 1200, ("REQUEST_WEIGHT", "MINUTE"): 2400}


def test_trailing_stop_order_values(replay):
    cancelled = run(replay, "Trading/CancelOrder.txt", CASES["Trading/CancelOrder.txt"][0])
    assert cancelled.order_type is FuturesOrderType.TRAILING_STOP_MARKET and cancelled.status is OrderStatus.CANCELED
    assert cancelled.activate_price == Decimal("9020") and cancelled.price_rate == Decimal("0.3")
    assert cancelled.stop_price == Decimal("9300") and cancelled.average_price is None  # dropped from cancels
    status = run(replay, "Trading/GetOrder.txt", CASES["Trading/GetOrder.txt"][0])
    assert status.created_at == datetime(2020, 1, 17, 15, 59, 16, 75000, tzinfo=timezone.utc)
    assert status.cumulative_quantity is None and status.client_order_id == "abc"


def test_algo_order_values(replay):
    placed = run(replay, "Trading/PlaceConditionalOrder.txt", CASES["Trading/PlaceConditionalOrder.txt"][0])
    assert placed.algo_id == 3000000000003505 and placed.algo_type is AlgoType.CONDITIONAL
    assert placed.order_type is FuturesOrderType.TAKE_PROFIT and placed.algo_status is AlgoStatus.NEW
    assert placed.trigger_price == Decimal("120000.00") and placed.price == Decimal("160000.00")
    assert placed.side is OrderSide.SELL and placed.position_side is PositionSide.SHORT
    assert placed.self_trade_prevention_mode is SelfTradePreventionMode.EXPIRE_MAKER
    assert placed.iceberg_quantity is None and placed.trigger_time is None and placed.good_till_date is None
    cancelled = run(replay, "Trading/CancelConditionalOrder.txt", CASES["Trading/CancelConditionalOrder.txt"][0])
    assert cancelled.algo_status is AlgoStatus.CANCELED and cancelled.client_algo_id == placed.client_algo_id


def test_account_balance_and_position_values(replay):
    account = run(replay, "Account/GetAccountInfo.txt", CASES["Account/GetAccountInfo.txt"][0])
    assert account.total_wallet_balance == Decimal("103.12345678") and account.fee_tier is None
    assert [a.asset for a in account.assets] == ["USDT", "USDC"]
    assert account.asset("USDC").available_balance == Decimal("126.72469206")
    position = account.position("BTCUSDT", "BOTH")
    assert position.position_amount == Decimal("1.000") and position.update_time is None
    (balance,) = run(replay, "Account/GetBalances.txt", CASES["Account/GetBalances.txt"][0])
    assert balance.asset == "USDT" and balance.balance == Decimal("122607.35137903") and balance.margin_available
    assert balance.cross_unrealized_pnl == Decimal("0")
    (position,) = run(replay, "Trading/GetPositions.txt", CASES["Trading/GetPositions.txt"][0])
    assert position.mark_price == Decimal("6679.50671178") and position.margin_asset == "USDT"
    assert position.adl == 0 and position.break_even_price == Decimal("0.0")


def test_market_data_values(replay):
    book = run(replay, "ExchangeData/GetOrderBook.txt", CASES["ExchangeData/GetOrderBook.txt"][0])
    assert book.last_update_id == 1027024 and book.bids[0].price == Decimal("4.00000000")
    assert book.event_time == datetime(2020, 5, 14, 6, 15, 22, 972000, tzinfo=timezone.utc)
    assert book.transaction_time < book.event_time
    best = run(replay, "ExchangeData/GetBookPrice.txt", CASES["ExchangeData/GetBookPrice.txt"][0])
    assert best.ask_price == Decimal("4.00000200") and best.last_update_id == 1027024
    (price,) = run(replay, "ExchangeData/GetPrices.txt", CASES["ExchangeData/GetPrices.txt"][0])
    assert price.last_price == Decimal("6000.01") and price.time.year == 2020
