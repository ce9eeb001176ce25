"""``CoinsuperClient.shared``: the neutral interface against the emulator, and conversions of the doc's samples."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime, timedelta
from decimal import Decimal, localcontext

import attrs
import pytest

import exwire.coinsuper.models as coinsuper_models
from exwire import ConfigurationError, UnsupportedFeature
from exwire._core.backoff import backoff
from exwire.coinsuper import CoinsuperClient, finest_step
from exwire.coinsuper import models as native
from exwire.coinsuper.converter import (
    balance_update_from_wire,
    kline_from_wire,
    loads,
    order_book_from_wire,
    order_updates_from_wire,
    trades_from_wire,
    user_trades_from_wire,
)
from exwire.coinsuper.shared import CoinsuperShared
from exwire.models import (
    Balance,
    Fill,
    Kline,
    Level,
    Order,
    OrderStatus,
    OrderType,
    Side,
    TopOfBook,
    Trade,
)
from exwire.shared import Feature
from exwire.testing.coinsuper import CoinsuperEmulator
from exwire.watcher import OrderBookWatcher
from tests.coinsuper import samples
from tests.conftest import timeout
from tests.helpers import Collector, wait_until

OFFERED = {
    Feature.TRADE_STREAM,
    Feature.KLINE_STREAM,
    Feature.TOP_OF_BOOK_STREAM,
    Feature.ORDER_BOOK,
    Feature.BALANCE_STREAM,
    Feature.ORDER_STREAM,
    Feature.FILL_STREAM,
}


def ms(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1000, UTC)


@pytest.fixture
def emu():
    with CoinsuperEmulator(push_interval=0.05) as emulator:
        yield emulator


@pytest.fixture
def client(emu):
    with CoinsuperClient(
        **emu.client_kwargs(), credentials=emu.credentials, request_timeout=timeout(5),
        backoff_factory=lambda: backoff(0.05, 0.2),
    ) as coinsuper:
        yield coinsuper


@pytest.fixture
def offline():
    """A client pointed at nothing: for what must fail before any connection."""
    with CoinsuperClient(url="ws://127.0.0.1:9/mqtt", credentials=CoinsuperEmulator().credentials) as coinsuper:
        yield coinsuper


# -- the adapter's declarations ----------------------------------------------------------------


def test_client_shared_is_the_coinsuper_adapter(offline):
    shared = offline.shared
    assert isinstance(shared, CoinsuperShared) and shared.client is offline
    assert shared.exchange == "coinsuper" and set(shared.features) == OFFERED
    assert shared.book_depths == (15,) and shared.order_types == frozenset()


def test_kline_intervals_are_the_native_ones_shortest_first():
    assert CoinsuperShared.kline_intervals == tuple(timedelta(milliseconds=int(i)) for i in native.KlineInterval)
    assert CoinsuperShared.kline_intervals[0] == timedelta(minutes=1)
    assert CoinsuperShared.kline_intervals[-1] == timedelta(days=7)


def test_symbols_map_both_ways(offline):
    shared = offline.shared
    assert shared.native_symbol("btc/usd") == "BTC/USD" and shared.native_symbol("ETC/BTC") == "ETC/BTC"
    assert shared.shared_symbol("BTC/USD") == "BTC/USD"
    assert shared.shared_symbol("etc_btc") == "ETC/BTC"  # the topic form
    assert shared.shared_symbol("not a pair") == "not a pair"
    assert shared.native_symbols(["btc/usd", "BTC/USD"]) == ["BTC/USD"]
    for bad in ("BTCUSD", "BTC_USD", "BTC/USD/EUR", 7):
        with pytest.raises(ConfigurationError):
            shared.native_symbol(bad)


@pytest.mark.parametrize("call, feature", [
    (lambda s: s.subscribe_to_ticker_updates("BTC/USD"), Feature.TICKER_STREAM),
    (lambda s: s.get_balances(), Feature.BALANCES),
    (lambda s: s.place_order("BTC/USD", Side.BUY, OrderType.LIMIT, "1", price="100"), Feature.PLACE_ORDER),
    (lambda s: s.cancel_order("BTC/USD", "1"), Feature.CANCEL_ORDER),
    (lambda s: s.get_open_orders(), Feature.OPEN_ORDERS),
])
def test_what_is_not_offered_raises_unsupported_feature_before_connecting(offline, call, feature):
    with pytest.raises(UnsupportedFeature) as raised:
        call(offline.shared)
    assert raised.value.feature is feature and raised.value.exchange == "coinsuper"
    assert not offline._connections


@pytest.mark.parametrize("call", [
    lambda s: s.subscribe_to_trade_updates(["BTC/USD", "ETH/USD"]),
    lambda s: s.subscribe_to_kline_updates(["BTC/USD", "ETH/USD"], timedelta(minutes=1)),
    lambda s: s.subscribe_to_top_of_book_updates(["BTC/USD", "ETH/USD"]),
    lambda s: s.subscribe_to_kline_updates("BTC/USD", timedelta(minutes=2)),  # not an interval Coinsuper has
    lambda s: s.watch_order_book("BTC/USD", 20),  # not a depth Coinsuper has
    lambda s: s.subscribe_to_trade_updates("BTCUSD"),
])
def test_bad_stream_arguments_are_refused_before_connecting(offline, call):
    with pytest.raises(ConfigurationError):
        call(offline.shared)
    assert not offline._connections


def test_finest_step_follows_the_quote():
    assert finest_step("BTC/USD") is native.OrderBookStep.HUNDREDTH
    assert finest_step("eth/usdt") is native.OrderBookStep.HUNDREDTH
    assert finest_step("ETC/BTC") is native.OrderBookStep.HUNDRED_MILLIONTH


# -- every feature offered, against the emulator ------------------------------------------------


def test_trade_stream_delivers_neutral_trades(client):
    collector = Collector()
    with client.shared.subscribe_to_trade_updates("btc/usd", collector):
        event = collector.wait_for(1)[0]
    assert event.symbol == "BTC/USD" and event.topic == "trades:BTC/USD"
    trades = event.data
    assert trades and all(isinstance(t, Trade) for t in trades)
    first = trades[0]
    assert first.symbol == "BTC/USD" and first.trade_id is None and first.side in (Side.BUY, Side.SELL)
    assert isinstance(first.native, native.Trade) and first.price == first.native.price
    assert first.time.tzinfo is not None and [t.time for t in trades] == sorted(t.time for t in trades)


def test_kline_stream_pulls_neutral_klines(client):
    with client.shared.subscribe_to_kline_updates("BTC/USD", timedelta(minutes=5)) as klines:
        event = klines.get(timeout(5))
    kline = event.data
    assert isinstance(kline, Kline) and event.symbol == "BTC/USD" and kline.symbol == "BTC/USD"
    assert kline.interval == timedelta(minutes=5) and kline.close_time == kline.open_time + timedelta(minutes=5)
    assert isinstance(kline.native, native.Kline) and kline.native.interval is native.KlineInterval.FIVE_MINUTES
    assert kline.low <= kline.open <= kline.high and kline.volume == kline.native.volume


def test_top_of_book_stream_uses_the_finest_step(client, emu):
    with client.shared.subscribe_to_top_of_book_updates("ETC/BTC") as tops:
        event = tops.get(timeout(5))
        topics = [topic for _, _, subscribed in emu.sessions() for topic in subscribed]
    assert topics == ["exchange_ha_prod_hk/api/ws/v1/market/orderBook/ETC_BTC/0.00000001"]
    top = event.data
    assert isinstance(top, TopOfBook) and event.symbol == "ETC/BTC"
    assert top.bid is not None and top.ask is not None and top.bid.price < top.ask.price


def test_order_book_subscription_feeds_latest_top_of_book(client):
    with client.shared.subscribe_to_top_of_book_updates("BTC/USD") as tops:
        top = tops.get(timeout(5)).data
        wait_until(lambda: client.latest.top_of_book("BTC/USD") is not None)
        latest = client.latest.top_of_book("BTC/USD")
    assert latest is not None and isinstance(latest.value, TopOfBook) and latest.value.bid is not None
    assert top.bid is not None


def test_watch_order_book_through_shared(client):
    watcher = client.shared.watch_order_book("btc/usd")
    with watcher:
        assert isinstance(watcher, OrderBookWatcher) and watcher.symbol == "BTC/USD" and watcher.depth == 15
        assert watcher.wait_synced(timeout(5))
        wait_until(lambda: watcher.updates_applied >= 2)
        bids, asks = watcher.bids(), watcher.asks()
        assert len(bids) == len(asks) == 15
        assert bids == sorted(bids, key=lambda level: level.price, reverse=True)
        assert asks == sorted(asks, key=lambda level: level.price)
        assert bids[0].price < asks[0].price and watcher.checksums_verified == 0
    wait_until(lambda: not client._connections)  # closing the watcher closed the topic's connection


def test_balance_stream_delivers_neutral_balances(client):
    with client.shared.subscribe_to_balance_updates() as balances:
        event = balances.get(timeout(5))
    assert event.symbol is None and event.data
    for balance in event.data:
        assert isinstance(balance, Balance) and isinstance(balance.native, native.Balance)
        with localcontext(prec=100):  # 30-decimal balances: exact beyond the default 28 digits
            assert balance.total == balance.free + balance.locked and balance.asset in ("BTC", "USD")


def test_order_stream_delivers_neutral_orders(client):
    collector = Collector()
    with client.shared.subscribe_to_order_updates(collector):
        event = collector.wait_for(1)[0]
    (order,) = event.data
    assert isinstance(order, Order) and isinstance(order.native, native.OrderUpdate)
    assert order.order_id.isdigit() and order.symbol == "BTC/USD"
    assert order.status in (OrderStatus.NEW, OrderStatus.CANCELED) and order.order_type is OrderType.OTHER


def test_fill_stream_delivers_neutral_fills(client):
    with client.shared.subscribe_to_fill_updates() as fills:
        event = fills.get(timeout(5))
    (fill,) = event.data
    assert isinstance(fill, Fill) and isinstance(fill.native, native.UserTrade)
    assert fill.trade_id.isdigit() and fill.order_id.isdigit() and fill.symbol == "ETC/BTC"
    assert fill.is_maker in (True, False) and fill.fee is None and fill.time is not None


# -- the neutral conversion of the document's samples (no fixtures are captured for Coinsuper) ---


@pytest.fixture
def shared(offline) -> CoinsuperShared:
    adapter = offline.shared
    assert isinstance(adapter, CoinsuperShared)
    return adapter


def test_sample_trades_convert(shared):
    (newest, oldest) = shared._trades(trades_from_wire(loads(samples.TICKERS), "BTC/USD"), "BTC/USD")
    assert newest == Trade(symbol="BTC/USD", trade_id=None, price=Decimal("6089.34"), quantity=Decimal("0.4337"),
                           side=Side.BUY, time=ms(1532623321348))
    assert oldest.side is Side.SELL and oldest.native.quantity == Decimal("0.2197")


def test_sample_kline_converts(shared):
    kline = shared._kline(kline_from_wire(loads(samples.KLINE), "BTC/USD", 60000), "BTC/USD", timedelta(minutes=1))
    assert kline == Kline(
        symbol="BTC/USD", interval=timedelta(minutes=1), open_time=ms(1532686140000),
        close_time=ms(1532686200000), open=Decimal("6616.40"), high=Decimal("6616.48"), low=Decimal("6616.40"),
        close=Decimal("6616.45"), volume=Decimal("31.76239814"),
    )
    assert kline.quote_volume is None and kline.trade_count is None and kline.closed is None


def test_sample_order_book_converts_to_top_of_book(shared):
    book = order_book_from_wire(loads(samples.ORDER_BOOK), "BTC/USD", native.OrderBookStep.HUNDREDTH)
    assert shared._top_of_book(book, "BTC/USD") == TopOfBook(
        bid=Level(price=Decimal("6674.56"), quantity=Decimal("0.8490")),
        ask=Level(price=Decimal("6674.89"), quantity=Decimal("0.0524")),
    )
    empty = attrs.evolve(book, bids=(), asks=())
    assert shared._top_of_book(empty, "BTC/USD") == TopOfBook(bid=None, ask=None)


def test_sample_balances_convert_exactly(shared):
    btc, usd = shared._balances(balance_update_from_wire(loads(samples.ASSET)), "")
    assert btc.asset == "BTC" and str(btc.free) == "0.738763122563248000000000000000"
    assert btc.locked == Decimal("0.568") and btc.total == btc.free + btc.locked
    assert usd.locked == 0 and usd.native.updated_at == ms(1542786801518)


def test_sample_order_converts(shared):
    (order,) = shared._orders(order_updates_from_wire(loads(samples.ORDER))[0], "BTC/USD")
    assert order == Order(
        order_id="1616392747273428993", symbol="BTC/USD", side=Side.BUY, status=OrderStatus.NEW,
        price=Decimal("6500.00"), quantity=Decimal("0.0100"), filled_quantity=Decimal("0"),
        average_price=Decimal("0"), created_at=ms(1541512249094), updated_at=ms(1541512249094),
    )
    cancelled = attrs.evolve(order.native, status=native.OrderState.CANCEL)
    assert shared._orders(cancelled, "BTC/USD")[0].status is OrderStatus.CANCELED
    unknown = attrs.evolve(order.native, status=native.OrderState("PARTIAL"), symbol=None)
    converted = shared._orders(unknown, "BTC/USD")[0]
    assert converted.status is OrderStatus.UNKNOWN and converted.symbol is None


def test_sample_fill_converts(shared):
    (fill,) = shared._fills(user_trades_from_wire(loads(samples.TRADE))[0], "ETC/BTC")
    assert fill == Fill(
        trade_id="1616392748072460289", order_id="1616392747273428993", symbol="ETC/BTC", side=Side.BUY,
        price=Decimal("1234.56000000"), quantity=Decimal("0.00081000"), is_maker=False, time=ms(1541512249094),
    )
    assert fill.native.match_type is native.MatchType.TAKER and fill.native.order_type is native.OrderType.MARKET


# -- the models' shape ---------------------------------------------------------------------------


def test_every_model_is_kw_only():
    classes = [obj for _, obj in inspect.getmembers(coinsuper_models, inspect.isclass)
               if attrs.has(obj) and obj.__module__ == coinsuper_models.__name__]
    assert len(classes) >= 9
    for cls in classes:
        assert all(field.kw_only for field in attrs.fields(cls)), f"{cls.__name__} is not kw_only"
        params = inspect.signature(cls).parameters.values()
        assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params), cls.__name__
