"""``CoinexClient().shared``: the exchange-neutral interface over CoinEx v1, against the emulator."""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
import pytest

import exwire
from exwire import ConfigurationError, Feature, UnsupportedFeature
from exwire._core.backoff import backoff
from exwire.coinex import CoinexClient
from exwire.coinex import models as coinex_models
from exwire.coinex.protocol import CoinexProtocol
from exwire.coinex.shared import QUOTE_ASSETS, CoinexShared
from exwire.models import (
    Balance,
    Fill,
    Kline,
    Order,
    OrderStatus,
    OrderType,
    Side,
    Ticker,
    TimeInForce,
    Trade,
    UpdateType,
)
from exwire.testing.coinex import CoinexEmulator
from tests.conftest import fixture_path, timeout
from tests.helpers import Collector, wait_until


@pytest.fixture
def emu() -> Iterator[CoinexEmulator]:
    with CoinexEmulator(seed=11, push_interval=0.05) as emulator:
        yield emulator


def make_client(emu: CoinexEmulator, **options: Any) -> CoinexClient:
    options.setdefault("request_timeout", timeout(5))
    options.setdefault("backoff_factory", lambda: backoff(initial=0.05, maximum=0.2))
    return CoinexClient(**emu.client_kwargs(), **options)


@pytest.fixture
def client(emu: CoinexEmulator) -> Iterator[CoinexClient]:
    with make_client(emu) as coinex:
        yield coinex


@pytest.fixture
def private(emu: CoinexEmulator) -> Iterator[CoinexClient]:
    with make_client(emu, credentials=emu.credentials()) as coinex:
        yield coinex


def push(method: str, params: list[Any]) -> str:
    return json.dumps({"method": method, "params": params, "id": None})


def load_fixture(name: str) -> Any:
    return json.loads(fixture_path("coinex", "coinex-net", name).read_text(encoding="utf-8-sig"))


# -- the models ---------------------------------------------------------------------------------


def test_every_coinex_model_is_keyword_only():
    classes = [cls for _, cls in inspect.getmembers(coinex_models, inspect.isclass)
               if attrs.has(cls) and cls.__module__ == coinex_models.__name__]
    assert {cls.__name__ for cls in classes} >= {"Ticker", "Trade", "UserTrade", "Kline", "Depth", "Balance",
                                                  "Order", "OrderUpdate", "OrdersPage"}
    for cls in classes:
        assert all(field.kw_only for field in attrs.fields(cls)), cls.__name__
        with pytest.raises(TypeError):
            cls(*range(len(attrs.fields(cls))))


# -- symbols ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("shared", "native"), [
    ("BTC/USDT", "BTCUSDT"), ("ETH/BTC", "ETHBTC"), ("CET/USDT", "CETUSDT"), ("BCH/BTC", "BCHBTC"),
    ("ETH/TUSD", "ETHTUSD"), ("USDT/USDC", "USDTUSDC"), ("BTC/USD", "BTCUSD"), ("TRX/ETH", "TRXETH"),
])
def test_symbols_map_both_ways(client, shared, native):
    assert client.shared.native_symbol(shared) == native
    assert client.shared.native_symbol(shared.lower()) == native
    assert client.shared.shared_symbol(native) == shared


def test_a_market_without_a_known_quote_is_kept_and_quotes_are_tried_longest_first(client):
    assert client.shared.shared_symbol("ABCXYZ") == "ABCXYZ"
    assert client.shared.shared_symbol("USDT") == "USDT"  # no base left
    assert list(QUOTE_ASSETS) == sorted(QUOTE_ASSETS, key=lambda quote: (-len(quote), quote))


@pytest.mark.parametrize("bad", ["BTCUSDT", "BTC-USDT", "", 42, "BTC/"])
def test_a_symbol_not_written_base_quote_is_refused(client, emu, bad):
    with pytest.raises(ConfigurationError):
        client.shared.subscribe_to_ticker_updates(bad)
    assert emu.connections_accepted == 0


# -- what is offered --------------------------------------------------------------------------------


def test_features_and_parameters(client):
    shared = client.shared
    assert isinstance(shared, CoinexShared) and shared.exchange == "coinex" and shared.client is client
    assert shared.features == {
        Feature.TICKER_STREAM, Feature.TRADE_STREAM, Feature.KLINE_STREAM, Feature.ORDER_BOOK,
        Feature.BALANCES, Feature.BALANCE_STREAM, Feature.OPEN_ORDERS, Feature.ORDER_STREAM, Feature.FILL_STREAM,
    }
    assert shared.kline_intervals[0] == timedelta(minutes=1) and shared.kline_intervals[-1] == timedelta(weeks=1)
    assert len(shared.kline_intervals) == len(coinex_models.KlineInterval)
    assert shared.book_depths == (1, 5, 10, 20, 30, 50)


@pytest.mark.parametrize("call", [
    lambda s: s.subscribe_to_top_of_book_updates("BTC/USDT"),
    lambda s: s.place_order("BTC/USDT", Side.BUY, OrderType.LIMIT, "1", price="1"),
    lambda s: s.cancel_order("BTC/USDT", "1"),
    lambda s: s.get_open_orders(),
])
def test_what_coinex_v1_cannot_do_is_unsupported_before_anything_is_sent(private, emu, call):
    with pytest.raises(UnsupportedFeature) as info:
        call(private.shared)
    assert info.value.exchange == "coinex"
    assert emu.connections_accepted == 0


@pytest.mark.parametrize("call", [
    lambda s: s.subscribe_to_kline_updates(["BTC/USDT", "ETH/USDT"], timedelta(minutes=1)),
    lambda s: s.subscribe_to_kline_updates("BTC/USDT", timedelta(minutes=2)),
    lambda s: s.watch_order_book("BTC/USDT", 15),
    lambda s: s.get_balances(),
    lambda s: s.subscribe_to_order_updates(),
    lambda s: s.subscribe_to_fill_updates(),
    lambda s: s.subscribe_to_balance_updates(),
])
def test_bad_shared_arguments_and_missing_credentials_send_nothing(client, emu, call):
    with pytest.raises(ConfigurationError):
        call(client.shared)
    assert emu.connections_accepted == 0


# -- streams --------------------------------------------------------------------------------------


def test_ticker_stream_is_neutral(client):
    events = Collector()
    subscription = client.shared.subscribe_to_ticker_updates(["BTC/USDT", "eth/usdt"], events)
    wait_until(lambda: {e.symbol for e in events.events} == {"BTC/USDT", "ETH/USDT"})
    event = events.events[0]
    ticker = event.data
    assert isinstance(ticker, Ticker) and ticker.symbol == event.symbol
    assert isinstance(ticker.native, coinex_models.Ticker) and ticker.native.symbol == ticker.symbol.replace("/", "")
    assert ticker.last_price == ticker.native.last_price and ticker.quote_volume == ticker.native.quote_volume
    assert ticker.low_price <= ticker.last_price <= ticker.high_price
    assert ticker.bid_price is None and ticker.ask_price is None and ticker.time is None  # CoinEx sends none
    latest = client.latest.ticker("BTC/USDT")
    assert latest is not None and latest.value.symbol == "BTC/USDT" and latest.value.native is not None
    subscription.unsubscribe()


def test_ticker_stream_pulled(client):
    with client.shared.subscribe_to_ticker_updates("BTC/USDT") as subscription:
        event = subscription.get(timeout(5))
    assert event.symbol == "BTC/USDT" and isinstance(event.data, Ticker) and event.data.symbol == "BTC/USDT"


def test_trade_stream_is_neutral_oldest_first(client):
    events = Collector()
    client.shared.subscribe_to_trade_updates("BTC/USDT", events)
    first, *_ = events.wait_for(2)
    assert first.update_type is UpdateType.SNAPSHOT and first.symbol == "BTC/USDT"
    trades = first.data
    assert all(isinstance(t, Trade) and t.symbol == "BTC/USDT" for t in trades)
    assert [int(t.trade_id) for t in trades] == sorted(int(t.trade_id) for t in trades)  # oldest first
    trade = trades[-1]
    assert isinstance(trade.native, coinex_models.Trade) and trade.trade_id == str(trade.native.trade_id)
    assert trade.side in (Side.BUY, Side.SELL) and trade.time.tzinfo is not None


def test_kline_stream_delivers_every_candle_of_a_push(client):
    events = Collector()
    client.shared.subscribe_to_kline_updates("BTC/USDT", timedelta(minutes=1), events)
    event = events.wait_for(1)[0]
    kline = event.data
    assert isinstance(kline, Kline) and kline.symbol == "BTC/USDT" and event.symbol == "BTC/USDT"
    assert kline.interval == timedelta(minutes=1) and kline.close_time == kline.open_time + timedelta(minutes=1)
    assert isinstance(kline.native, coinex_models.Kline) and kline.quote_volume == kline.native.quote_volume
    assert kline.low <= min(kline.open, kline.close) and kline.high >= max(kline.open, kline.close)


def test_kline_stream_pulled_gives_the_newest_candle_of_each_push(client):
    with client.shared.subscribe_to_kline_updates("ETH/USDT", timedelta(minutes=1)) as subscription:
        event = subscription.get(timeout(5))
    assert isinstance(event.data, Kline) and event.data.symbol == "ETH/USDT"
    now = datetime.now(UTC)
    assert event.data.open_time <= now < event.data.close_time + timedelta(seconds=5)


def test_watch_order_book_through_shared(client, emu):
    with client.shared.watch_order_book("ETH/USDT", 5) as watcher:
        assert isinstance(watcher, exwire.OrderBookWatcher) and watcher.symbol == "ETHUSDT"
        assert emu.requests("depth.subscribe")[-1][2] == ["ETHUSDT", 5, "0"]
        assert watcher.wait_synced(timeout(5))
        wait_until(lambda: watcher.checksums_verified >= 2)
        assert len(watcher.bids()) <= 5
    with client.shared.watch_order_book("BTC/USDT") as smallest:
        assert emu.requests("depth.subscribe")[-1][2] == ["BTCUSDT", 1, "0"]
        assert smallest.wait_synced(timeout(5))


# -- account -------------------------------------------------------------------------------------


def test_balances_are_neutral(private):
    balances = private.shared.get_balances()
    usdt = balances["USDT"]
    assert isinstance(usdt, Balance) and usdt.asset == "USDT"
    assert (usdt.free, usdt.locked, usdt.total) == (Decimal(10000), Decimal(0), Decimal(10000))
    assert isinstance(usdt.native, coinex_models.Balance)


def test_balance_stream_is_neutral(private, emu):
    events = Collector()
    private.shared.subscribe_to_balance_updates(events)
    emu.set_balance("ETH", "3")
    emu.place_order("BTCUSDT", "buy", "0.1", "30000")
    first, second = events.wait_for(2)
    assert first.symbol is None and first.data == [Balance(asset="ETH", free=Decimal(3), locked=Decimal(0),
                                                           total=Decimal(3))]
    (usdt,) = second.data
    assert (usdt.asset, usdt.free, usdt.locked, usdt.total) == ("USDT", Decimal(7000), Decimal(3000), Decimal(10000))
    assert isinstance(usdt.native, coinex_models.Balance) and usdt.native.account == 0


def test_open_orders_are_neutral_and_every_page_is_read(private, emu):
    first = emu.place_order("BTCUSDT", "buy", "0.25", "30000", client_id="mine")
    for _ in range(100):
        emu.place_order("BTCUSDT", "sell", "0.001", "50000")
    emu.place_order("ETHUSDT", "buy", "1", "100")
    emu.fill(first, "0.2")
    orders = private.shared.get_open_orders("BTC/USDT")
    assert len(orders) == 101 and len({o.order_id for o in orders}) == 101
    assert all(isinstance(o, Order) and o.symbol == "BTC/USDT" for o in orders)
    (mine,) = [o for o in orders if o.order_id == str(first)]
    assert (mine.client_order_id, mine.side, mine.order_type, mine.status) == (
        "mine", Side.BUY, OrderType.LIMIT, OrderStatus.PARTIALLY_FILLED)
    assert (mine.price, mine.quantity, mine.filled_quantity, mine.average_price) == (
        Decimal(30000), Decimal("0.25"), Decimal("0.2"), Decimal(30000))
    assert mine.time_in_force is TimeInForce.GTC and mine.created_at is not None
    assert isinstance(mine.native, coinex_models.Order)
    others = [o for o in orders if o is not mine]
    assert all(o.status is OrderStatus.NEW and o.average_price is None for o in others)


def test_order_stream_is_neutral(private, emu):
    events = Collector()
    private.shared.subscribe_to_order_updates(events)
    assert emu.requests("order.subscribe")[-1][2] == []  # every market
    order_id = emu.place_order("ETHUSDT", "buy", "1", "100", client_id="c1")
    emu.fill(order_id, "0.25")
    emu.fill(order_id)
    cancelled = emu.place_order("BTCUSDT", "sell", "0.1", "60000")
    emu.cancel_order(cancelled)
    received = events.wait_for(5)
    assert all(e.symbol in ("ETH/USDT", "BTC/USDT") and isinstance(e.data, list) for e in received)
    orders = [e.data[0] for e in received]
    assert [o.status for o in orders] == [OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED, OrderStatus.FILLED,
                                         OrderStatus.NEW, OrderStatus.CANCELED]
    assert orders[0].order_id == str(order_id) and orders[0].client_order_id == "c1"
    assert orders[2].filled_quantity == 1 and orders[2].average_price == 100
    assert all(isinstance(o.native, coinex_models.Order) for o in orders)


def test_fill_stream_is_neutral(private, emu):
    events = Collector()
    private.shared.subscribe_to_fill_updates(events)
    assert emu.requests("deals.subscribe")[-1][2] == [] and emu.sign_count == 1
    order_id = emu.place_order("ETHBTC", "sell", "2", "0.07")
    emu.fill(order_id, "0.5")
    (event,) = events.wait_for(1)
    (fill,) = event.data
    assert isinstance(fill, Fill) and event.symbol == "ETH/BTC" and fill.symbol == "ETH/BTC"
    assert (fill.order_id, fill.side, fill.price, fill.quantity) == (str(order_id), Side.SELL, Decimal("0.07"),
                                                                    Decimal("0.5"))
    assert fill.fee is None and fill.is_maker is None and fill.time is not None
    assert isinstance(fill.native, coinex_models.UserTrade) and fill.trade_id == str(fill.native.trade_id)


# -- the captured frames, converted to the neutral models --------------------------------------------


def test_ticker_fixture_converts(client):
    markets = load_fixture("TickerUpdate.txt")
    one, _ = CoinexProtocol().receive(push("state.update", [markets]))
    ticker = client.shared.ticker_from(one.data, one.symbol)
    assert ticker.symbol == "ETH/USDT" and ticker.last_price == Decimal("430.33")
    assert (ticker.open_price, ticker.high_price, ticker.low_price) == (
        Decimal("434.11"), Decimal("445.68"), Decimal("420.32"))
    assert ticker.volume == Decimal("3624.85992531") and ticker.quote_volume == Decimal("1574489.5181782117")


def test_trade_fixture_converts(client):
    trades = load_fixture("TradeUpdate.txt")
    (update,) = CoinexProtocol().receive(push("deals.update", ["BTCUSDT", trades]))
    neutral = client.shared._trades(update.data, "BTCUSDT")
    assert len(neutral) == 101 and neutral[-1].trade_id == "2677391975"
    assert neutral[-1].price == Decimal("39121.21") and neutral[-1].side is Side.SELL
    assert neutral[-1].time == datetime(2022, 1, 21, 9, 2, 7, 840176, tzinfo=UTC)
    assert all(t.symbol == "BTC/USDT" for t in neutral)


def test_order_fixture_converts(client):
    order = load_fixture("OrderUpdate.txt")
    update, _ = CoinexProtocol().receive(push("order.update", [1, order]))
    (neutral,) = client.shared._orders(update.data, "BCHBTC")
    assert (neutral.order_id, neutral.symbol, neutral.side, neutral.order_type, neutral.status) == (
        "48239", "BCH/BTC", Side.BUY, OrderType.LIMIT, OrderStatus.NEW)
    assert (neutral.price, neutral.quantity, neutral.filled_quantity) == (
        Decimal("0.01900000"), Decimal("2.00000000"), Decimal(0))
    assert neutral.client_order_id == "abc" and neutral.time_in_force is TimeInForce.GTC


def test_balance_fixture_converts(client):
    balances = load_fixture("BalanceUpdate.txt")
    (update,) = CoinexProtocol().receive(push("asset.update", [balances, 0]))
    (native,) = update.data
    assert (native.asset, native.free, native.locked, native.total) == (
        "BCH", Decimal("1.100000"), Decimal("0.1"), Decimal("1.200000"))
