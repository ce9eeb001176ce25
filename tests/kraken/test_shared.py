"""``KrakenClient().shared``: the exchange-neutral interface over Kraken v1, against the emulator."""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import attrs
import pytest

import exwire
from exwire import ConfigurationError, Feature, UnsupportedFeature
from exwire.kraken import KrakenClient
from exwire.kraken import models as kraken_models
from exwire.kraken.protocol import KrakenProtocol
from exwire.kraken.shared import KrakenShared
from exwire.models import Fill, Kline, Order, OrderStatus, OrderType, Side, Ticker, TimeInForce, TopOfBook, Trade
from exwire.testing.kraken import KrakenEmulator
from tests.conftest import fixture_path, timeout
from tests.helpers import Collector


@pytest.fixture
def emu() -> Iterator[KrakenEmulator]:
    with KrakenEmulator(seed=5, push_interval=0.02, heartbeat_interval=0.2) as emulator:
        yield emulator


def make_client(emu: KrakenEmulator, **options: Any) -> KrakenClient:
    options.setdefault("request_timeout", timeout(5))
    return KrakenClient(**emu.client_kwargs(), **options)


@pytest.fixture
def client(emu: KrakenEmulator) -> Iterator[KrakenClient]:
    with make_client(emu) as kraken:
        yield kraken


@pytest.fixture
def private(emu: KrakenEmulator) -> Iterator[KrakenClient]:
    with make_client(emu, credentials=emu.credentials) as kraken:
        yield kraken


def load_fixture(name: str) -> Any:
    return json.loads(fixture_path("kraken", "kraken-net", name).read_text(encoding="utf-8-sig"))


# -- the models ---------------------------------------------------------------------------------


def test_every_kraken_model_is_keyword_only():
    classes = [cls for _, cls in inspect.getmembers(kraken_models, inspect.isclass)
               if attrs.has(cls) and cls.__module__ == kraken_models.__name__]
    assert {cls.__name__ for cls in classes} >= {
        "Ticker", "Trade", "Spread", "Kline", "BookLevel", "BookUpdate", "SystemStatus", "SubscriptionStatus",
        "OrderDescription", "ContingentOrder", "OrderUpdate", "OwnTrade", "WebSocketToken", "PlacedOrder",
        "CancelAfterResult",
    }
    for cls in classes:
        assert all(field.kw_only for field in attrs.fields(cls)), cls.__name__
        with pytest.raises(TypeError):
            cls(*range(len(attrs.fields(cls))))


def test_the_package_exports_explicitly_and_nothing_private():
    import exwire.kraken as package
    import exwire.testing.kraken as testing

    for module in (package, testing):
        assert module.__all__ and all(not name.startswith("_") for name in module.__all__)
        assert all(hasattr(module, name) for name in module.__all__)
    assert {"KrakenClient", "Ticker", "OrderUpdate", "KlineInterval", "PRODUCTION_URL"} <= set(package.__all__)
    assert {"KrakenEmulator", "KrakenClientKwargs"} <= set(testing.__all__)


# -- symbols ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("shared", "native"), [
    ("BTC/USD", "XBT/USD"), ("BTC/EUR", "XBT/EUR"), ("ETH/USD", "ETH/USD"), ("DOGE/USD", "XDG/USD"),
    ("ETH/BTC", "ETH/XBT"), ("USDT/USD", "USDT/USD"),
])
def test_symbols_map_both_ways(client, shared, native):
    assert client.shared.native_symbol(shared) == native
    assert client.shared.native_symbol(shared.lower()) == native
    assert client.shared.shared_symbol(native) == shared


@pytest.mark.parametrize("bad", ["BTCUSD", "", 5, None, "BTC/", "/USD"])
def test_a_symbol_that_is_not_base_quote_is_refused_before_sending(client, bad):
    with pytest.raises(ConfigurationError):
        client.shared.subscribe_to_ticker_updates(bad)


def test_features_and_declarations(client):
    shared = client.shared
    assert isinstance(shared, KrakenShared) and shared.exchange == "kraken"
    assert shared.features == frozenset({
        Feature.TICKER_STREAM, Feature.TRADE_STREAM, Feature.KLINE_STREAM, Feature.TOP_OF_BOOK_STREAM,
        Feature.ORDER_BOOK, Feature.ORDER_STREAM, Feature.FILL_STREAM, Feature.PLACE_ORDER, Feature.CANCEL_ORDER,
    })
    assert shared.kline_intervals[0] == timedelta(minutes=1) and shared.kline_intervals[-1] == timedelta(days=15)
    assert shared.book_depths == (10, 25, 100, 500, 1000)
    assert shared.order_types == frozenset({OrderType.LIMIT, OrderType.LIMIT_MAKER, OrderType.MARKET})


def test_what_is_not_offered_raises_unsupported_feature_before_sending(client):
    with pytest.raises(UnsupportedFeature):
        client.shared.get_balances()
    with pytest.raises(UnsupportedFeature):
        client.shared.get_open_orders("BTC/USD")
    with pytest.raises(UnsupportedFeature):
        client.shared.subscribe_to_balance_updates()
    with pytest.raises(UnsupportedFeature):
        client.shared.place_order("BTC/USD", Side.BUY, OrderType.STOP_LOSS, "1")
    with pytest.raises(ConfigurationError):
        client.shared.subscribe_to_kline_updates("BTC/USD", timedelta(minutes=2))
    with pytest.raises(ConfigurationError):
        client.shared.watch_order_book("BTC/USD", depth=20)


# -- streams against the emulator ----------------------------------------------------------------


def test_ticker_stream_delivers_neutral_tickers(client):
    with client.shared.subscribe_to_ticker_updates("BTC/USD", timeout=timeout(5)) as sub:
        event = sub.get(timeout(5))
    ticker = event.data
    assert isinstance(ticker, Ticker) and event.symbol == "BTC/USD" and ticker.symbol == "BTC/USD"
    assert isinstance(ticker.native, kraken_models.Ticker)
    assert ticker.bid_price == ticker.native.bid_price and ticker.volume == ticker.native.volume
    assert ticker.bid_price is not None and ticker.ask_price is not None and ticker.bid_price <= ticker.ask_price


def test_trade_stream_delivers_neutral_trades_without_ids(client):
    collector = Collector()
    with client.shared.subscribe_to_trade_updates(["BTC/USD", "ETH/USD"], collector, timeout=timeout(5)):
        events = collector.wait_for(2)
    for event in events:
        assert event.symbol in ("BTC/USD", "ETH/USD")
        for trade in event.data:
            assert isinstance(trade, Trade) and trade.symbol == event.symbol and trade.trade_id is None
            assert isinstance(trade.native, kraken_models.Trade) and trade.quantity == trade.native.quantity
            assert trade.side in (Side.BUY, Side.SELL) and trade.time.tzinfo is not None


def test_kline_stream_takes_a_timedelta(client, emu):
    with client.shared.subscribe_to_kline_updates("BTC/USD", timedelta(minutes=5), timeout=timeout(5)) as sub:
        event = sub.get(timeout(5))
        assert ("ohlc-5", "XBT/USD") in emu.subscription_keys()
    kline = event.data
    assert isinstance(kline, Kline) and kline.symbol == "BTC/USD" and kline.interval == timedelta(minutes=5)
    assert kline.close_time - kline.open_time == timedelta(minutes=5)
    assert isinstance(kline.native, kraken_models.Kline) and kline.trade_count == kline.native.trade_count


def test_top_of_book_stream_uses_the_spread_channel(client):
    with client.shared.subscribe_to_top_of_book_updates("BTC/USD", timeout=timeout(5)) as sub:
        event = sub.get(timeout(5))
    assert isinstance(event.data, TopOfBook) and event.symbol == "BTC/USD"
    assert event.data.bid is not None and event.data.ask is not None
    assert event.data.bid.price <= event.data.ask.price


def test_watch_order_book_keeps_a_book_of_an_offered_depth(client):
    watcher = client.shared.watch_order_book("BTC/USD", depth=25, timeout=timeout(5))
    try:
        assert watcher.wait_synced(timeout(5))
        assert watcher.symbol == "XBT/USD" and watcher.depth == 25
        snapshot = watcher.snapshot()
        assert snapshot.bids and snapshot.asks and snapshot.bids[0].price < snapshot.asks[0].price
    finally:
        watcher.close()


def test_latest_ticker_is_neutral_and_takes_either_symbol_form(client):
    with client.shared.subscribe_to_ticker_updates("BTC/USD", timeout=timeout(5)) as sub:
        sub.get(timeout(5))
        for name in ("BTC/USD", "XBT/USD"):
            latest = client.latest.ticker(name)
            assert latest is not None and isinstance(latest.value, Ticker) and latest.value.symbol == "BTC/USD"


# -- private: orders and fills -------------------------------------------------------------------


def test_place_cancel_and_order_stream(private, emu):
    with private.shared.subscribe_to_order_updates(timeout=timeout(5)) as orders:
        orders.get(timeout(5))  # the snapshot of open orders
        bid, _ = emu.best_prices("XBT/USD")
        placed = private.shared.place_order("BTC/USD", Side.BUY, OrderType.LIMIT, "0.01", price=bid - 100,
                                            client_order_id="shared-1", timeout=timeout(5))
        assert isinstance(placed, Order) and placed.order_id and placed.symbol == "BTC/USD"
        assert placed.status is OrderStatus.NEW and placed.client_order_id == "shared-1"
        assert isinstance(placed.native, kraken_models.PlacedOrder)
        seen: list[Order] = []
        while not any(o.order_id == placed.order_id and o.symbol == "BTC/USD" for o in seen):
            seen.extend(orders.get(timeout(5)).data)
        full = next(o for o in seen if o.order_id == placed.order_id and o.symbol == "BTC/USD")
        assert full.side is Side.BUY and full.order_type is OrderType.LIMIT and full.quantity == Decimal("0.01")
        assert isinstance(full.native, kraken_models.OrderUpdate)
        private.shared.cancel_order("BTC/USD", placed.order_id, timeout=timeout(5))
        while not any(o.order_id == placed.order_id and o.status is OrderStatus.CANCELED for o in seen):
            seen.extend(orders.get(timeout(5)).data)


def test_a_post_only_order_goes_out_with_the_post_flag(private, emu):
    bid, _ = emu.best_prices("XBT/USD")
    placed = private.shared.place_order("BTC/USD", Side.BUY, OrderType.LIMIT_MAKER, "0.01", price=bid - 100,
                                        timeout=timeout(5))
    (order,) = [o for o in emu.open_orders() if o["txid"] == placed.order_id] or [None]
    assert order is not None and "post" in str(order.get("oflags", ""))
    with pytest.raises(UnsupportedFeature):
        private.shared.place_order("BTC/USD", Side.BUY, OrderType.LIMIT, "0.01", price=bid - 100,
                                   time_in_force=TimeInForce.FOK)


def test_fill_stream_delivers_neutral_fills(private, emu):
    with private.shared.subscribe_to_fill_updates(timeout=timeout(5)) as fills:
        fills.get(timeout(5))  # the snapshot (the last trades, none yet)
        private.shared.place_order("BTC/USD", Side.BUY, OrderType.MARKET, "0.02", timeout=timeout(5))
        event = fills.get(timeout(5))
    (fill,) = event.data
    assert isinstance(fill, Fill) and fill.symbol == "BTC/USD" and fill.side is Side.BUY
    assert fill.quantity == Decimal("0.02") and fill.fee is not None and fill.fee > 0
    assert isinstance(fill.native, kraken_models.OwnTrade) and fill.order_id == fill.native.order_id


# -- real frames ----------------------------------------------------------------------------------


def _receive(channel_frame: list[Any]) -> Any:
    (update,) = KrakenProtocol().receive(json.dumps(channel_frame))
    return update


def test_fixture_frames_convert_to_neutral_models(client):
    shared = client.shared
    ticker_frame = load_fixture("TickerUpdate.txt")
    update = _receive(ticker_frame)
    ticker = shared.ticker_from(update.data, update.symbol)
    assert ticker.symbol == "BTC/USD" and ticker.ask_price == Decimal("5525.40000")
    assert ticker.bid_quantity == Decimal("1.000") and ticker.volume == Decimal("3591.17907851")
    assert ticker.open_price == Decimal("5763.40000") and ticker.native is update.data

    update = _receive(load_fixture("TradeUpdate.txt"))
    trades = shared._trades(update.data, update.symbol)
    assert [t.side for t in trades] == [Side.SELL, Side.BUY] and trades[0].quantity == Decimal("0.15850568")
    assert all(t.symbol == "BTC/USD" and t.trade_id is None for t in trades)

    update = _receive(load_fixture("KlineUpdate.txt"))
    kline = shared._kline(update.data, update.symbol, timedelta(minutes=5))
    assert kline.symbol == "BTC/USD" and kline.trade_count == 2 and kline.volume == Decimal("0.03373000")

    update = _receive(load_fixture("SpreadUpdate.txt"))
    top = shared._top_of_book(update.data, update.symbol)
    assert top.bid is not None and top.bid.price == Decimal("5698.40000") and top.bid.quantity == Decimal("1.01234567")


def test_private_fixture_frames_convert_to_neutral_models(client):
    shared = client.shared
    from exwire.kraken import converter

    orders = shared._orders(converter.order_updates_from_wire(load_fixture("OpenOrdersUpdate.txt")), "")
    first = orders[0]
    assert first.symbol == "BTC/EUR" and first.side is Side.SELL and first.order_type is OrderType.LIMIT
    assert first.status is OrderStatus.NEW and first.quantity == Decimal("10.00345345")
    assert first.price == Decimal("34.50000") and first.filled_quantity == 0
    fills = shared._fills(converter.own_trades_from_wire(load_fixture("OwnTradeUpdate.txt")), "")
    assert fills[0].symbol == "BTC/EUR" and fills[0].fee == Decimal("1600.00000")
    assert fills[0].quantity == Decimal("1000000000.00000000") and fills[0].side is Side.SELL


def test_a_partial_order_update_maps_to_unknowns():
    from exwire.kraken import converter

    (update,) = converter.order_updates_from_wire([{"O1": {"status": "closed"}}])
    with exwire.KrakenClient() as kraken:
        (order,) = kraken.shared._orders([update], "")
    assert order.status is OrderStatus.FILLED and order.order_type is OrderType.OTHER and order.symbol is None
