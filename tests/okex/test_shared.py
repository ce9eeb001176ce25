"""``client.shared`` on OKEx v1 (:class:`exwire.okex.shared.OkexShared`) against OkexEmulator,
and the neutral conversion of the recorded v1 frames."""

from __future__ import annotations

import inspect
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import attrs
import pytest

from exwire import models as neutral
from exwire.errors import ConfigurationError, OrderNotFound, UnsupportedFeature
from exwire.models import OrderStatus, OrderType, Side, TimeInForce
from exwire.okex import converter
from exwire.okex import models as okex
from exwire.okex.client import OkexClient
from exwire.okex.protocol import OkexProtocol
from exwire.okex.shared import (
    QUOTE_ASSETS,
    OkexShared,
    balances_from_update,
    fill_from_update,
    order_from_info,
    order_from_update,
)
from exwire.shared import Feature
from exwire.testing.okex import OkexEmulator
from exwire.watcher import OrderBookWatcher
from tests.conftest import fixture_path, timeout
from tests.helpers import Collector

D = Decimal
SYMBOL = "BTC/USDT"


@pytest.fixture
def emulator():
    with OkexEmulator(push_interval=0.02) as emu:
        yield emu


@pytest.fixture
def client(emulator):
    with OkexClient(**emulator.client_kwargs(), credentials=emulator.credentials,
                    request_timeout=timeout(5)) as okex_client:
        yield okex_client


def _get(subscription, seconds: float = 5.0):
    return subscription.get(timeout(seconds))


def _real(name: str) -> list[dict]:
    return json.loads(fixture_path("okex", name).read_text(encoding="utf-8"))


# -- the adapter's declarations ------------------------------------------------------------------


def test_client_shared_is_the_okex_adapter(client):
    shared = client.shared
    assert isinstance(shared, OkexShared) and shared.exchange == "okex" and shared.client is client
    assert shared.features == {
        Feature.TICKER_STREAM, Feature.TRADE_STREAM, Feature.KLINE_STREAM, Feature.TOP_OF_BOOK_STREAM,
        Feature.ORDER_BOOK, Feature.BALANCES, Feature.PLACE_ORDER, Feature.CANCEL_ORDER,
        Feature.ORDER_STREAM, Feature.FILL_STREAM, Feature.BALANCE_STREAM,
    }
    assert shared.kline_intervals == tuple(sorted(i.duration for i in okex.KlineInterval))
    assert shared.kline_intervals[0] == timedelta(minutes=1) and shared.kline_intervals[-1] == timedelta(weeks=1)
    assert shared.book_depths == (200,) and shared.order_types == {OrderType.LIMIT}


def test_symbols_map_both_ways(client):
    shared = client.shared
    assert shared.native_symbol("BTC/USDT") == shared.native_symbol("btc/usdt") == "btc_usdt"
    assert shared.shared_symbol("btc_usdt") == "BTC/USDT" and shared.shared_symbol("enj_btc") == "ENJ/BTC"
    assert shared.native_symbols(["ETH/BTC", "eth/btc", "BTC/USDT"]) == ["eth_btc", "btc_usdt"]
    for bad in ("btc_usdt", "BTCUSDT", "BTC-USDT", "", 5, None):
        with pytest.raises(ConfigurationError):
            shared.native_symbol(bad)


def test_what_is_not_offered_raises_unsupported_feature_before_sending(emulator, client):
    shared = client.shared
    with pytest.raises(UnsupportedFeature) as raised:
        shared.get_open_orders(SYMBOL)
    assert raised.value.feature is Feature.OPEN_ORDERS and raised.value.exchange == "okex"
    refused = [
        lambda: shared.place_order(SYMBOL, Side.SELL, OrderType.MARKET, "1"),  # spends a quote amount on v1
        lambda: shared.place_order(SYMBOL, Side.BUY, OrderType.LIMIT, "1", price="100",
                                   time_in_force=TimeInForce.IOC),
        lambda: shared.place_order(SYMBOL, Side.BUY, OrderType.LIMIT, "1", price="100", client_order_id="mine"),
    ]
    for call in refused:
        with pytest.raises(UnsupportedFeature):
            call()
    with pytest.raises(ConfigurationError):
        shared.subscribe_to_kline_updates(SYMBOL, timedelta(minutes=2))
    with pytest.raises(ConfigurationError):
        shared.watch_order_book(SYMBOL, 20)
    assert emulator.messages_received == 0


def test_every_okex_model_is_kw_only():
    modules = [okex, converter]
    classes = [cls for module in modules for _, cls in inspect.getmembers(module, inspect.isclass)
               if attrs.has(cls) and cls.__module__ == module.__name__]
    assert {cls.__name__ for cls in classes} >= {
        "Ticker", "BookUpdate", "Trade", "Kline", "Order", "OrderUpdate", "Balance", "UserInfo", "BalanceUpdate",
        "DealsPush"}
    for cls in classes:
        assert all(field.kw_only for field in attrs.fields(cls)), cls.__name__
        with pytest.raises(TypeError):
            cls(*range(len(attrs.fields(cls))))


# -- streams against the emulator ----------------------------------------------------------------


def test_ticker_stream_gives_neutral_tickers_and_feeds_latest(client):
    # A pull subscription: each event is converted as it is taken.
    with client.shared.subscribe_to_ticker_updates([SYMBOL, "ETH/BTC"]) as tickers:
        events = [_get(tickers) for _ in range(4)]
    assert {event.symbol for event in events} == {SYMBOL, "ETH/BTC"}
    for event in events:
        ticker = event.data
        assert isinstance(ticker, neutral.Ticker) and ticker.symbol == event.symbol
        assert isinstance(ticker.native, okex.Ticker)
        assert (ticker.bid_price, ticker.ask_price, ticker.last_price, ticker.volume) == (
            ticker.native.bid_price, ticker.native.ask_price, ticker.native.last_price, ticker.native.volume)
        assert ticker.bid_quantity is None and ticker.quote_volume is None  # v1 sends neither
        assert ticker.time is not None and ticker.time.tzinfo is not None
    latest = client.latest.ticker(SYMBOL)
    assert latest is not None and isinstance(latest.value, neutral.Ticker) and latest.value.symbol == SYMBOL
    assert client.latest.ticker("btc_usdt").value.symbol == SYMBOL


def test_trade_stream_callback_gets_neutral_trades(client):
    trades = Collector()
    subscription = client.shared.subscribe_to_trade_updates(SYMBOL, trades)
    trades.wait_for(2)
    subscription.unsubscribe()
    for event in trades.events:
        assert event.symbol == SYMBOL and event.data
        for trade in event.data:
            assert isinstance(trade, neutral.Trade) and trade.symbol == SYMBOL
            assert isinstance(trade.native, okex.Trade) and trade.trade_id == str(trade.native.trade_id)
            assert trade.side in (Side.BUY, Side.SELL) and trade.price > 0 and trade.quantity > 0
            assert abs((trade.time - event.received_at).total_seconds()) < 5


@pytest.mark.parametrize("interval", [timedelta(minutes=1), timedelta(hours=1), timedelta(weeks=1)])
def test_kline_stream_maps_the_interval(emulator, client, interval):
    with client.shared.subscribe_to_kline_updates(SYMBOL, interval) as klines:
        event = _get(klines)
        channels = emulator.subscribed_channels()
    kline = event.data
    assert isinstance(kline, neutral.Kline) and kline.symbol == SYMBOL and kline.interval == interval
    assert kline.close_time - kline.open_time == interval and kline.low <= kline.high
    assert isinstance(kline.native, okex.Kline) and kline.native.interval.duration == interval
    native = {okex.KlineInterval.ONE_MINUTE: "1min", okex.KlineInterval.ONE_HOUR: "1hour",
              okex.KlineInterval.ONE_WEEK: "week"}[kline.native.interval]
    assert channels == [f"ok_sub_spot_btc_usdt_kline_{native}"]


def test_top_of_book_stream_reads_the_five_level_depth(emulator, client):
    with client.shared.subscribe_to_top_of_book_updates(SYMBOL) as tops:
        event = _get(tops)
    top = event.data
    assert isinstance(top, neutral.TopOfBook) and event.symbol == SYMBOL
    assert top.bid is not None and top.ask is not None and top.bid.price < top.ask.price


def test_top_of_book_stream_subscribes_depth_5(emulator, client):
    subscription = client.shared.subscribe_to_top_of_book_updates(SYMBOL)
    assert emulator.subscribed_channels() == ["ok_sub_spot_btc_usdt_depth_5"]
    subscription.unsubscribe()


def test_watch_order_book_keeps_200_levels(client):
    with client.shared.watch_order_book(SYMBOL) as book:
        assert isinstance(book, OrderBookWatcher) and book.symbol == "btc_usdt"
        assert book.wait_synced(timeout(5))
        assert book.best_bid is not None and book.best_ask is not None
        assert book.best_bid.price < book.best_ask.price
    latest = client.latest.top_of_book(SYMBOL)
    assert latest is not None and isinstance(latest.value, neutral.TopOfBook)


# -- account: requests and streams ---------------------------------------------------------------


def test_balances_are_neutral_and_upper_case(client):
    balances = client.shared.get_balances()
    usdt = balances["USDT"]
    assert isinstance(usdt, neutral.Balance) and usdt.asset == "USDT"
    assert (usdt.free, usdt.locked, usdt.total) == (D("100000"), D("0"), D("100000"))
    assert isinstance(usdt.native, okex.Balance) and usdt.native.asset == "usdt"
    assert set(balances) == {"BTC", "USDT", "ETH", "LTC", "BCH", "ENJ"}


def test_place_stream_and_cancel_a_limit_order(emulator, client):
    shared = client.shared
    orders = shared.subscribe_to_order_updates()
    balances = shared.subscribe_to_balance_updates()
    placed = shared.place_order(SYMBOL, Side.BUY, OrderType.LIMIT, "0.5", price="6000.5")
    assert isinstance(placed, neutral.Order) and int(placed.order_id) > 2**32
    assert (placed.symbol, placed.side, placed.order_type, placed.price, placed.quantity) == (
        SYMBOL, Side.BUY, OrderType.LIMIT, D("6000.5"), D("0.5"))
    assert placed.status is OrderStatus.UNKNOWN and placed.time_in_force is TimeInForce.GTC
    event = _get(orders)
    [order] = event.data
    assert event.symbol == SYMBOL and order.order_id == placed.order_id and order.status is OrderStatus.NEW
    assert isinstance(order.native, okex.OrderUpdate) and order.created_at.tzinfo is not None
    assert order.average_price is None and order.filled_quantity == 0
    moved = _get(balances).data
    assert {b.asset: (b.free, b.locked, b.total) for b in moved}["USDT"] == (
        D("96999.75"), D("3000.25"), D("100000"))

    shared.cancel_order(SYMBOL, placed.order_id)
    [cancelled] = _get(orders).data
    assert cancelled.order_id == placed.order_id and cancelled.status is OrderStatus.CANCELED
    orders.unsubscribe()
    balances.unsubscribe()
    with pytest.raises(OrderNotFound):
        shared.cancel_order(SYMBOL, placed.order_id)


def test_account_streams_cover_every_pair_of_the_accounts_assets(emulator, client):
    subscription = client.shared.subscribe_to_order_updates()
    channels = set(emulator.subscribed_channels())
    assets = {"btc", "usdt", "eth", "ltc", "bch", "enj", *QUOTE_ASSETS}
    expected = {f"ok_sub_spot_{a}_{q}_order" for q in QUOTE_ASSETS for a in assets if a != q}
    assert channels == expected
    assert {"ok_sub_spot_btc_usdt_order", "ok_sub_spot_enj_btc_order", "ok_sub_spot_eth_btc_order"} <= channels
    subscription.unsubscribe()


def test_fill_stream_reports_each_fill_of_an_order(emulator, client):
    shared = client.shared
    fills = shared.subscribe_to_fill_updates()
    placed = shared.place_order("ETH/BTC", Side.SELL, OrderType.LIMIT, "3", price="0.05")
    assert _get(fills).data == []  # the push of the new order carries no fill
    emulator.fill_order(int(placed.order_id), "1")
    [fill] = _get(fills).data
    assert isinstance(fill, neutral.Fill) and fill.order_id == placed.order_id and fill.symbol == "ETH/BTC"
    assert (fill.side, fill.price, fill.quantity) == (Side.SELL, D("0.05"), D("1"))
    emulator.fill_order(int(placed.order_id))
    [last] = _get(fills).data
    assert last.quantity == D("2") and last.trade_id != fill.trade_id
    fills.unsubscribe()


def test_account_streams_need_credentials(emulator):
    with OkexClient(**emulator.client_kwargs()) as anonymous:
        for call in (anonymous.shared.subscribe_to_order_updates, anonymous.shared.subscribe_to_fill_updates,
                     anonymous.shared.subscribe_to_balance_updates, anonymous.shared.get_balances):
            with pytest.raises(ConfigurationError):
                call()
    assert emulator.messages_received == 0


# -- neutral conversion of the recorded v1 frames ------------------------------------------------


def test_recorded_private_pushes_convert_to_neutral_orders_and_balances():
    frames = [entry for entry in _real("real_decoded_frames.json") if entry["source"].endswith("#194")]
    protocol = OkexProtocol()
    events = [event for entry in frames for event in protocol.receive(entry["frame"])]
    orders = [order_from_update(e.data) for e in events if isinstance(e.data, okex.OrderUpdate)]
    assert [(o.order_id, o.status) for o in orders] == [
        ("2009043431203840", OrderStatus.NEW), ("2009043431269376", OrderStatus.NEW),
        ("2009043431269376", OrderStatus.CANCELED), ("2009047391415297", OrderStatus.NEW)]
    first = orders[0]
    assert (first.symbol, first.side, first.order_type, first.price, first.quantity) == (
        "ENJ/BTC", Side.SELL, OrderType.LIMIT, D("0.00001208"), D("84.88"))
    assert first.created_at == datetime(2018, 12, 21, 11, 26, 10, tzinfo=UTC)
    assert first.filled_quantity == 0 and first.average_price is None
    assert all(fill_from_update(e.data) is None for e in events if isinstance(e.data, okex.OrderUpdate))
    [balance] = balances_from_update(events[2].data)
    assert (balance.asset, balance.free, balance.locked, balance.total) == (
        "ENJ", D("102.103565"), D("133.25"), D("235.353565"))


def test_order_statuses_and_market_orders_map_to_the_neutral_model():
    def info(order_type, status, filled="0", price="10", quantity="2", average="0"):
        return okex.Order(order_id=7, symbol="btc_usdt", order_type=okex.OrderType(order_type),
                          status=okex.OrderStatus(status), price=D(price), quantity=D(quantity),
                          filled_quantity=D(filled), average_price=D(average),
                          created_at=datetime(2019, 1, 1, tzinfo=UTC))

    assert order_from_info(info("buy", 1, filled="1", average="9.5")).status is OrderStatus.PARTIALLY_FILLED
    assert order_from_info(info("buy", 1, filled="1", average="9.5")).average_price == D("9.5")
    assert order_from_info(info("sell", 2, filled="2")).status is OrderStatus.FILLED
    assert order_from_info(info("sell", 4)).status is OrderStatus.NEW  # a cancel in process: still open
    assert order_from_info(info("sell", 5, filled="1")).status is OrderStatus.PARTIALLY_FILLED
    assert order_from_info(info("sell", 9)).status is OrderStatus.UNKNOWN
    market_buy = order_from_info(info("buy_market", 0, price="100", quantity="0"))
    assert (market_buy.order_type, market_buy.side, market_buy.price, market_buy.quantity) == (
        OrderType.MARKET, Side.BUY, None, None)
    market_sell = order_from_info(info("sell_market", 2, quantity="3", filled="3"))
    assert (market_sell.order_type, market_sell.price, market_sell.quantity) == (OrderType.MARKET, None, D("3"))
    odd = order_from_info(info("stop", 0))
    assert (odd.order_type, odd.side) == (OrderType.OTHER, None)

