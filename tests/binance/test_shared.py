"""``BinanceClient.shared`` (BinanceShared): features, symbol mapping, neutral models, the emulator."""

from __future__ import annotations

import inspect
import json
from datetime import timedelta
from decimal import Decimal

import attrs
import pytest

from exwire import Feature, UnsupportedFeature
from exwire.binance import BinanceClient, BinanceShared, futures_models, order_models
from exwire.binance import events as binance_events
from exwire.binance import models as m
from exwire.binance.converter import structure, user_data_event
from exwire.binance.enums import OrderType as NativeOrderType
from exwire.binance.shared import QUOTE_ASSETS
from exwire.errors import ConfigurationError
from exwire.models import Balance, Credentials, Fill, Order, OrderStatus, OrderType, Side, Ticker, TimeInForce
from exwire.testing.binance import BinanceEmulator
from tests.binance.test_fixtures import _script
from tests.conftest import fixture_path, timeout
from tests.helpers import Collector

# -- the adapter without I/O ---------------------------------------------------------------------


@pytest.fixture
def offline():
    with BinanceClient(credentials=Credentials(key="k", secret="s"), url="ws://127.0.0.1:9/ws-api/v3") as client:
        yield client


def test_client_shared_is_the_binance_adapter(offline):
    shared = offline.shared
    assert isinstance(shared, BinanceShared) and shared.client is offline and shared.exchange == "binance"
    assert shared.features >= {Feature.BALANCES, Feature.PLACE_ORDER, Feature.CANCEL_ORDER, Feature.OPEN_ORDERS,
                               Feature.ORDER_STREAM, Feature.FILL_STREAM, Feature.BALANCE_STREAM,
                               Feature.TICKER_STREAM, Feature.TRADE_STREAM, Feature.KLINE_STREAM,
                               Feature.TOP_OF_BOOK_STREAM, Feature.ORDER_BOOK}
    assert timedelta(minutes=1) in shared.kline_intervals and timedelta(weeks=1) in shared.kline_intervals
    assert shared.order_types == {OrderType.LIMIT, OrderType.MARKET, OrderType.LIMIT_MAKER}


def test_kline_intervals_outside_the_stream_are_refused(offline):
    # The calendar month has no fixed length; nothing is sent (no connection opens).
    with pytest.raises(ConfigurationError):
        offline.shared.subscribe_to_kline_updates("BTC/USDT", timedelta(days=30))
    assert "spot-stream" not in offline.health()["connections"]


def test_order_types_and_time_in_force_outside_binance_are_refused(offline):
    shared = offline.shared
    with pytest.raises(UnsupportedFeature):
        shared.place_order("BTC/USDT", Side.BUY, OrderType.STOP_LOSS, "1")
    with pytest.raises(UnsupportedFeature):
        shared.place_order("BTC/USDT", Side.BUY, OrderType.MARKET, "1", time_in_force=TimeInForce.IOC)
    with pytest.raises(ConfigurationError):
        shared.cancel_order("BTC/USDT", "not-a-number")
    with pytest.raises(ConfigurationError):
        shared.place_order("BTCUSDT", Side.BUY, OrderType.LIMIT, "1", price="1")  # not BASE/QUOTE
    assert not offline._connection.is_ready and not offline._connection.threads()


def test_symbols_map_both_ways(offline):
    shared = offline.shared
    assert shared.native_symbol("BTC/USDT") == "BTCUSDT" and shared.native_symbol("eth/btc") == "ETHBTC"
    assert shared.native_symbols(["BTC/USDT", "ETH/USDT", "BTC/USDT"]) == ["BTCUSDT", "ETHUSDT"]
    assert shared.shared_symbol("BTCUSDT") == "BTC/USDT"
    assert shared.shared_symbol("ETHFDUSD") == "ETH/FDUSD"  # longest quote first, not ETHFD/USD
    assert shared.shared_symbol("BNBBTC") == "BNB/BTC" and shared.shared_symbol("BTCTRY") == "BTC/TRY"
    assert shared.shared_symbol("BTCUSD_PERP") == "BTCUSD_PERP"  # no known quote: unchanged
    for symbol in ("BTC/USDT", "ETH/BTC", "SOL/EUR", "DOGE/FDUSD"):
        assert shared.shared_symbol(shared.native_symbol(symbol)) == symbol
    assert list(QUOTE_ASSETS) == sorted(QUOTE_ASSETS, key=lambda q: (-len(q), q))


def test_exchange_info_decides_the_split_when_fetched():
    symbols = {"FOOUSDTUSD": ("FOOUSDT", "USD", "1.0000", "0.0001", "1")}
    with BinanceEmulator(seed=3, symbols=symbols, ping_scale=None) as emulator, \
            BinanceClient(request_timeout=timeout(5), **emulator.client_kwargs()) as client:
        assert client.shared.shared_symbol("FOOUSDTUSD") == "FOOUSD/TUSD"  # the suffix rule guesses wrong
        client.get_spot_exchange_info(["FOOUSDTUSD", "BTCUSDT"])
        assert client.symbol_assets["FOOUSDTUSD"] == ("FOOUSDT", "USD")
        assert client.shared.shared_symbol("FOOUSDTUSD") == "FOOUSDT/USD"
        assert client.shared.shared_symbol("BTCUSDT") == "BTC/USDT"


def test_every_binance_model_is_keyword_only():
    modules = (m, order_models, binance_events, futures_models)
    classes = {cls for module in modules for _, cls in inspect.getmembers(module, inspect.isclass)
               if attrs.has(cls) and cls.__module__ == module.__name__}
    assert len(classes) >= 40
    for cls in classes:
        assert all(field.kw_only for field in attrs.fields(cls)), cls.__name__


@pytest.mark.parametrize(("keyword", "value"), [
    ("url", "http://127.0.0.1/ws-api/v3"),
    ("url", 5),
    ("usdm_futures_url", "wss://"),
    ("coinm_futures_url", "wss://ws-dapi.binance.com:port/ws-dapi/v1"),
    ("coinm_futures_url", b"wss://ws-dapi.binance.com/ws-dapi/v1"),
])
def test_endpoint_urls_are_validated_at_construction(keyword, value):
    with pytest.raises(ConfigurationError, match=keyword):
        BinanceClient(**{keyword: value})


def test_valid_endpoint_urls_are_kept():
    with BinanceClient(url="wss://example.test/ws-api/v3", usdm_futures_url="ws://127.0.0.1:1/ws-fapi/v1") as client:
        assert client.url == "wss://example.test/ws-api/v3"
        assert client.usdm_futures_url == "ws://127.0.0.1:1/ws-fapi/v1"


# -- neutral conversion of real frames ---------------------------------------------------------------


def test_execution_report_fixture_becomes_a_neutral_order(offline):
    _, _, event = _script("binance-net", "user-data", "Spot", "Order.txt")
    report = user_data_event(json.loads(event)["event"])
    shared = offline.shared
    (order,) = shared._orders(report, report.symbol)
    assert isinstance(order, Order) and order.native is report
    assert order.order_id == "4293153" and order.symbol == "ETH/BTC" and order.side is Side.BUY
    assert order.order_type is OrderType.LIMIT and order.status is OrderStatus.NEW
    assert order.price == Decimal("0.10264410") and order.quantity == report.quantity
    assert order.filled_quantity == 0 and order.average_price is None
    assert order.time_in_force is TimeInForce.GTC and order.updated_at == report.transaction_time
    assert shared._fills(report, report.symbol) == []  # a NEW report carries no trade


def test_placed_order_fixture_becomes_a_neutral_order(offline):
    _, _, body = _script("binance-net", "ws-api", "Spot", "Trading", "PlaceOrder.txt")
    native = structure(json.loads(body)["result"], m.Order)
    order = offline.shared.order(native)
    assert order.symbol == "BTC/USDT" and order.status is OrderStatus.FILLED and order.native is native
    assert order.filled_quantity == native.filled_quantity
    assert order.average_price == native.cumulative_quote_quantity / native.filled_quantity


def test_account_position_fixture_becomes_neutral_balances(offline):
    _, _, event = _script("binance-net", "user-data", "Spot", "AccountPosition.txt")
    position = user_data_event(json.loads(event)["event"])
    balances = offline.shared._balances(position, "")
    assert balances and all(isinstance(b, Balance) for b in balances)
    for balance, native in zip(balances, position.balances, strict=True):
        assert balance.asset == native.asset.upper() and balance.native is native
        assert balance.free == native.free and balance.locked == native.locked
        assert balance.total == native.free + native.locked


def test_ticker_fixture_becomes_a_neutral_ticker(offline):
    _, _, body = _script("binance-net", "ws-api", "Spot", "ExchangeData", "GetTickers.txt")
    result = json.loads(body)["result"]
    native = structure(result[0] if isinstance(result, list) else result, m.Ticker)
    ticker = offline.shared.ticker_from(native, native.symbol)
    assert isinstance(ticker, Ticker) and ticker.symbol == "BNB/BTC" and ticker.native is native
    assert ticker.last_price == native.last_price and ticker.bid_price == native.bid_price
    assert ticker.volume == native.volume and ticker.time == native.time


def test_nautilus_execution_report_with_a_trade_gives_a_fill(offline):
    wrapped = json.loads(fixture_path("binance", "nautilus", "execution_report_wrapped.json").read_text("utf-8"))
    report = user_data_event(wrapped["event"])
    fills = offline.shared._fills(report, report.symbol)
    if report.execution_type.value != "TRADE":
        assert fills == []
        return
    (fill,) = fills
    assert fill.trade_id == str(report.trade_id) and fill.price == report.last_executed_price
    assert fill.quantity == report.last_executed_quantity and fill.fee == report.fee


# -- against the emulator ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def emulator():
    with BinanceEmulator(seed=11) as emu:
        yield emu


@pytest.fixture
def client(emulator):
    credentials = emulator.add_account("hmac")
    with BinanceClient(credentials=credentials, request_timeout=timeout(5), **emulator.client_kwargs()) as client:
        yield client


def test_balances_are_neutral(client):
    balances = client.shared.get_balances()
    btc = balances["BTC"]
    assert btc.asset == "BTC" and btc.free == Decimal("10") and btc.locked == 0 and btc.total == Decimal("10")
    assert isinstance(btc.native, m.Balance) and set(balances) >= {"BTC", "ETH", "BNB", "USDT"}


def test_limit_order_is_placed_listed_and_cancelled(client, emulator):
    shared = client.shared
    price = emulator.price("BTCUSDT") - 100
    order = shared.place_order("BTC/USDT", Side.BUY, OrderType.LIMIT, "0.01", price=price, client_order_id="mine")
    assert isinstance(order, Order) and isinstance(order.native, m.Order)
    assert order.symbol == "BTC/USDT" and order.side is Side.BUY and order.order_type is OrderType.LIMIT
    assert order.status is OrderStatus.NEW and order.price == price and order.quantity == Decimal("0.01")
    assert order.client_order_id == "mine" and order.time_in_force is TimeInForce.GTC and order.created_at
    assert shared.get_balances()["USDT"].locked == price * Decimal("0.01")
    listed = shared.get_open_orders("BTC/USDT")
    assert [o.order_id for o in listed] == [order.order_id] and listed[0].symbol == "BTC/USDT"
    assert [o.order_id for o in shared.get_open_orders()] == [order.order_id]
    shared.cancel_order("BTC/USDT", order.order_id)
    assert shared.get_open_orders("BTC/USDT") == []


def test_post_only_places_a_limit_maker(client, emulator):
    shared = client.shared
    price = emulator.price("ETHUSDT") - 10
    order = shared.place_order("ETH/USDT", Side.BUY, OrderType.LIMIT, "1", price=price,
                               time_in_force=TimeInForce.POST_ONLY)
    assert order.order_type is OrderType.LIMIT_MAKER and order.native.order_type is NativeOrderType.LIMIT_MAKER
    assert order.time_in_force is TimeInForce.POST_ONLY
    maker = shared.place_order("ETH/USDT", Side.BUY, OrderType.LIMIT_MAKER, "1", price=price)
    assert maker.order_type is OrderType.LIMIT_MAKER and maker.status is OrderStatus.NEW
    for placed in (order, maker):
        shared.cancel_order("ETH/USDT", placed.order_id)


def test_market_order_reaches_the_order_fill_and_balance_streams(client):
    shared = client.shared
    orders, fills, balances = Collector(), Collector(), Collector()
    with shared.subscribe_to_order_updates(orders), shared.subscribe_to_fill_updates(fills), \
            shared.subscribe_to_balance_updates(balances):
        placed = shared.place_order("BTC/USDT", Side.BUY, OrderType.MARKET, "0.1")
        assert placed.status is OrderStatus.FILLED and placed.price is None
        assert placed.filled_quantity == Decimal("0.1") and placed.average_price and placed.average_price > 0
        order_events = orders.wait_for(2)  # NEW, then TRADE
        fill_events = fills.wait_for(1)
        balance_events = balances.wait_for(1)
    for event in order_events:
        (order,) = event.data
        assert event.symbol == "BTC/USDT" and order.symbol == "BTC/USDT" and order.order_id == placed.order_id
        assert isinstance(order.native, m.ExecutionReport)
    assert order_events[-1].data[0].status is OrderStatus.FILLED
    (fill,) = fill_events[0].data
    assert isinstance(fill, Fill) and fill.order_id == placed.order_id and fill.symbol == "BTC/USDT"
    assert fill.side is Side.BUY and fill.quantity == Decimal("0.1") and fill.price == placed.average_price
    assert fill.is_maker is False and isinstance(fill.native, m.ExecutionReport) and fill.time is not None
    assert all(len(event.data) == 1 for event in fill_events)  # only reports with a trade
    changed = {b.asset: b for b in balance_events[0].data}
    assert set(changed) == {"BTC", "USDT"} and all(isinstance(b, Balance) for b in changed.values())
    assert isinstance(changed["BTC"].native, m.PositionBalance) and balance_events[0].symbol is None


def test_pull_order_subscription_converts_as_events_are_taken(client):
    shared = client.shared
    with shared.subscribe_to_order_updates() as updates:
        placed = shared.place_order("ETH/USDT", Side.SELL, OrderType.MARKET, "1")
        seen: list[Order] = []
        while len(seen) < 2:  # NEW and TRADE; the balance event in between is an empty list
            event = updates.get(timeout(5))
            seen.extend(event.data)
    assert [o.order_id for o in seen] == [placed.order_id] * 2
    assert seen[-1].side is Side.SELL and seen[-1].status is OrderStatus.FILLED and seen[-1].symbol == "ETH/USDT"


def test_streams_need_credentials(emulator):
    with BinanceClient(request_timeout=timeout(5), **emulator.client_kwargs()) as client:
        with pytest.raises(ConfigurationError):
            client.shared.subscribe_to_order_updates(lambda event: None)
        with pytest.raises(ConfigurationError):
            client.shared.get_balances()


def test_ending_one_user_data_stream_keeps_the_others(client):
    # .shared's order, fill and balance streams share Binance's one user-data subscription.
    shared = client.shared
    fills = Collector()
    with shared.subscribe_to_fill_updates(fills):
        orders = shared.subscribe_to_order_updates(lambda event: None)
        orders.unsubscribe()
        placed = shared.place_order("BNB/BTC", Side.SELL, OrderType.MARKET, "1")
        (fill,) = fills.wait_for(1)[0].data
    assert fill.order_id == placed.order_id and fill.symbol == "BNB/BTC" and fill.side is Side.SELL
