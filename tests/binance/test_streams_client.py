"""BinanceClient's market data streams against BinanceEmulator over loopback.

Typed events from every method, one combined-stream connection per market route, replies
correlated, order kept, reference-counted UNSUBSCRIBE, a reconnect resubscribing exactly
the set, control messages never above the documented rate, bad arguments refused before
anything is sent, and the 200,000-trade flood delivered complete with default settings.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import attrs
import pytest

from exwire import ConnectionState
from exwire.binance import BinanceClient, FuturesMarket
from exwire.binance import stream_models as sm
from exwire.errors import ConfigurationError, InvalidRequest
from exwire.testing.binance import BinanceEmulator
from tests.conftest import timeout
from tests.helpers import wait_until


@pytest.fixture(scope="module")
def emulator():
    with BinanceEmulator(seed=11, stream_scale=0.05) as emu:
        yield emu


@pytest.fixture
def client(emulator):
    with BinanceClient(**emulator.client_kwargs()) as client:
        yield client


def _typed(model: Any) -> None:
    """Every field of a stream model: Decimal money, aware UTC times, no float anywhere."""
    assert attrs.has(type(model))
    for field in attrs.fields(type(model)):
        value = getattr(model, field.name)
        assert not isinstance(value, float), field.name
        if isinstance(value, datetime):
            assert value.tzinfo is timezone.utc, field.name
        if isinstance(value, tuple):
            for level in value:
                assert isinstance(level.price, Decimal) and isinstance(level.quantity, Decimal)


def _stream_requests(emulator, path: str) -> list[tuple[float, dict[str, Any]]]:
    return [(at, request) for at, where, request in list(emulator.streams.requests)
            if where == path and isinstance(request, dict)]


def test_every_spot_stream_delivers_its_typed_model(emulator, client):
    subscriptions = {
        sm.TradeUpdate: client.subscribe_to_trade_updates("BTCUSDT"),
        sm.AggregateTradeUpdate: client.subscribe_to_aggregated_trade_updates(["btcusdt"]),
        sm.KlineUpdate: client.subscribe_to_kline_updates("BTCUSDT", "1m", timezone_offset="+08:00"),
        sm.MiniTickerUpdate: client.subscribe_to_mini_ticker_updates(),
        sm.TickerUpdate: client.subscribe_to_ticker_updates(["BTCUSDT", "ETHUSDT"]),
        sm.RollingWindowTickerUpdate: client.subscribe_to_rolling_window_ticker_updates("BTCUSDT", "4h"),
        sm.BookTickerUpdate: client.subscribe_to_book_ticker_updates("BTCUSDT"),
        sm.PartialDepthUpdate: client.subscribe_to_partial_order_book_updates("BTCUSDT", 5, update_interval=100),
        sm.DepthUpdate: client.subscribe_to_order_book_updates("BTCUSDT", update_interval=100),
        sm.AveragePriceUpdate: client.subscribe_to_average_price_updates("BTCUSDT"),
    }
    emulator.set_price("BTCUSDT", emulator.price("BTCUSDT") + Decimal("0.01"))  # a move: depth, book, trade
    for model, subscription in subscriptions.items():
        event = subscription.get(timeout(5))
        assert isinstance(event.data, model) and type(event.data).__qualname__ == model.__qualname__ and event.symbol in ("BTCUSDT", "ETHUSDT"), model
        _typed(event.data)
    # One connection carries every spot stream, subscribed as it was asked.
    assert [name for name in client.health()["connections"] if "stream" in name] == ["spot-stream"]
    listed = client._list_streams(None, "btcusdt@trade")
    assert set(listed) == {"btcusdt@trade", "btcusdt@aggTrade", "btcusdt@kline_1m@+08:00", "!miniTicker@arr",
                           "btcusdt@ticker", "ethusdt@ticker", "btcusdt@ticker_4h", "btcusdt@bookTicker",
                           "btcusdt@depth5@100ms", "btcusdt@depth@100ms", "btcusdt@avgPrice"}
    latest = client.latest.ticker("BTC/USDT")
    assert latest is not None and latest.value.symbol == "BTC/USDT"
    top = client.latest.top_of_book("BTCUSDT")
    assert top is not None and top.value.bid is not None and top.value.ask is not None


@pytest.mark.parametrize("market, symbol", [(FuturesMarket.USDM, "BTCUSDT"), (FuturesMarket.COINM, "BTCUSD_PERP")])
def test_every_futures_stream_delivers_its_typed_model(emulator, client, market, symbol):
    pair = symbol.split("_")[0]
    subscriptions = {
        sm.TradeUpdate: client.subscribe_to_trade_updates(symbol, market=market),
        sm.KlineUpdate: client.subscribe_to_kline_updates(symbol, "1m", market=market),
        sm.MiniTickerUpdate: client.subscribe_to_mini_ticker_updates(symbol, market=market),
        sm.TickerUpdate: client.subscribe_to_ticker_updates(market=market),
        sm.BookTickerUpdate: client.subscribe_to_book_ticker_updates(symbol, market=market),
        sm.PartialDepthUpdate: client.subscribe_to_partial_order_book_updates(symbol, 10, market=market,
                                                                              update_interval=500),
        sm.DepthUpdate: client.subscribe_to_order_book_updates(symbol, market=market, update_interval=100),
        sm.MarkPriceUpdate: client.subscribe_to_mark_price_updates(symbol, market=market, update_interval=1000),
        sm.ContinuousKlineUpdate: client.subscribe_to_continuous_contract_kline_updates(
            pair, "PERPETUAL", "1m", market=market),
    }
    liquidations = client.subscribe_to_liquidation_updates(market=market)
    emulator.publish_trades(symbol, 1, market=market)
    emulator.set_futures_price(symbol, "30100")
    for model, subscription in subscriptions.items():
        event = subscription.get(timeout(5))
        assert isinstance(event.data, model) and type(event.data).__qualname__ == model.__qualname__, model
        assert event.symbol == (pair if model is sm.ContinuousKlineUpdate else symbol), model
        _typed(event.data)
    depth = subscriptions[sm.DepthUpdate].get(timeout(5)).data
    assert depth.previous_final_update_id is not None  # futures carry pu
    assert liquidations.active
    names = set(client.health()["connections"])
    if market is FuturesMarket.USDM:
        assert {"usdm-public", "usdm-market"} <= names
        public = set(client._list_streams(market, "btcusdt@bookTicker"))
        market_route = set(client._list_streams(market, "btcusdt@kline_1m"))
        assert public == {"btcusdt@trade", "btcusdt@bookTicker", "btcusdt@depth10@500ms", "btcusdt@depth@100ms"}
        assert market_route == {"btcusdt@kline_1m", "btcusdt@miniTicker", "!ticker@arr", "btcusdt@markPrice@1s",
                                "btcusdt_perpetual@continuousKline_1m", "!forceOrder@arr"}
    else:
        assert "coinm-stream" in names and len(client._list_streams(market, "x@trade")) == 10


def test_order_kept_and_reference_counted_unsubscribe(emulator, client):
    seen: list[int] = []
    done = threading.Event()

    def collect(event):
        seen.append(event.data.trade_id)
        if len(seen) == 500:
            done.set()

    first = client.subscribe_to_trade_updates("ETHUSDT", collect)
    second = client.subscribe_to_trade_updates(["ETHUSDT"])  # the same stream: no second SUBSCRIBE
    path = "/spot/stream"
    subscribes = [r for _, r in _stream_requests(emulator, path) if "ethusdt@trade" in r.get("params", ())]
    assert len(subscribes) == 1 and subscribes[0]["method"] == "SUBSCRIBE"
    emulator.publish_trades("ETHUSDT", 500)
    assert done.wait(timeout(10))
    assert seen == list(range(seen[0], seen[0] + 500))  # consecutive ids, in order
    assert second.get(timeout(5)).data.trade_id == seen[0]
    first.unsubscribe()
    assert "ethusdt@trade" in client._list_streams(None, "ethusdt@trade")  # the other still needs it
    second.unsubscribe()
    assert "ethusdt@trade" not in client._list_streams(None, "ethusdt@trade")


def test_refusal_is_raised_as_its_exchange_error_and_removes_the_subscription(client):
    with pytest.raises(InvalidRequest) as refused:
        client._subscribe_streams(None, ["btcusdt@nosuchstream"], None, topic="bad", timeout=timeout(5))
    assert refused.value.code == 2
    assert not [s for s in client._registry.active() if s.topic == "bad"]
    trades = client.subscribe_to_trade_updates("BTCUSDT")  # the connection still serves
    assert trades.active


def test_reconnect_resubscribes_exactly_the_set():
    events = []
    restored = threading.Event()

    def on_event(event):
        events.append(event)
        if event.connection == "spot-stream" and event.state is ConnectionState.RESTORED:
            restored.set()

    # No generated market: the only trades are the ones published below.
    with BinanceEmulator(seed=5, market_interval=None) as emulator, \
            BinanceClient(**emulator.client_kwargs(), on_connection_event=on_event) as client:
        subscriptions = [client.subscribe_to_trade_updates(["BTCUSDT", "ETHUSDT"]),
                         client.subscribe_to_trade_updates("BTCUSDT"),
                         client.subscribe_to_book_ticker_updates("BTCUSDT"),
                         client.subscribe_to_kline_updates("ETHUSDT", "5m")]
        subscriptions.pop().unsubscribe()
        expected = {"btcusdt@trade", "ethusdt@trade", "btcusdt@bookTicker"}
        before = len(_stream_requests(emulator, "/spot/stream"))
        assert emulator.drop_connections() >= 1
        assert restored.wait(timeout(15))
        wait_until(lambda: client.health()["connections"]["spot-stream"]["ready"], timeout(10))
        resent = [r for _, r in _stream_requests(emulator, "/spot/stream")[before:] if r["method"] == "SUBSCRIBE"]
        names = [name for request in resent for name in request["params"]]
        assert Counter(names) == Counter(expected)  # each stream once, none missing
        assert set(client._list_streams(None, "btcusdt@trade")) == expected
        emulator.publish_trades("ETHUSDT", 3)
        assert subscriptions[0].get(timeout(5)).data.symbol == "ETHUSDT"  # flowing again


def test_control_messages_never_exceed_five_a_second():
    with BinanceEmulator(seed=6) as emulator, BinanceClient(**emulator.client_kwargs()) as client:
        symbols = ["BTCUSDT", "ETHUSDT", "BNBUSDT", "ETHBTC"]
        errors: list[BaseException] = []

        def subscribe(symbol: str) -> None:
            try:
                client.subscribe_to_trade_updates(symbol, timeout=timeout(20))
                client.subscribe_to_book_ticker_updates(symbol, timeout=timeout(20))
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=subscribe, args=(s,)) for s in symbols]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors
        arrivals = [at for at, _ in _stream_requests(emulator, "/spot/stream")]
        assert len(arrivals) == 2 * len(symbols)
        for first in arrivals:
            assert sum(first <= other < first + 1.0 for other in arrivals) <= 5
        assert time.monotonic() - started >= 0.25 * (len(arrivals) - 1) * 0.9  # paced, not burst
        assert client.health()["connections"]["spot-stream"]["reconnects"] == 0  # never cut off (1008)


@pytest.mark.parametrize("call", [
    lambda c: c.subscribe_to_ticker_updates(),  # !ticker@arr retired on spot
    lambda c: c.subscribe_to_book_ticker_updates(None),
    lambda c: c.subscribe_to_trade_updates([]),
    lambda c: c.subscribe_to_trade_updates("BTC/USDT"),
    lambda c: c.subscribe_to_trade_updates(42),
    lambda c: c.subscribe_to_trade_updates("BTCUSDT", market="spot"),
    lambda c: c.subscribe_to_kline_updates("BTCUSDT", "2m"),
    lambda c: c.subscribe_to_kline_updates("BTCUSDT", "1s", market=FuturesMarket.USDM),
    lambda c: c.subscribe_to_kline_updates("BTCUSDT", "1m", timezone_offset="+05:30"),
    lambda c: c.subscribe_to_kline_updates("BTCUSDT", "1m", timezone_offset="+08:00", market=FuturesMarket.USDM),
    lambda c: c.subscribe_to_rolling_window_ticker_updates("BTCUSDT", "2h"),
    lambda c: c.subscribe_to_partial_order_book_updates("BTCUSDT", 15),
    lambda c: c.subscribe_to_partial_order_book_updates("BTCUSDT", 5, update_interval=250),
    lambda c: c.subscribe_to_order_book_updates("BTCUSDT", update_interval=1000, market=FuturesMarket.USDM),
    lambda c: c.subscribe_to_order_book_updates("BTCUSDT", update_interval=100.0),
    lambda c: c.subscribe_to_mark_price_updates("BTCUSDT"),
    lambda c: c.subscribe_to_mark_price_updates(market=FuturesMarket.COINM),
    lambda c: c.subscribe_to_mark_price_updates("BTCUSDT", market=FuturesMarket.USDM, update_interval=500),
    lambda c: c.subscribe_to_liquidation_updates("BTCUSDT"),
    lambda c: c.subscribe_to_continuous_contract_kline_updates("BTCUSDT", "perpetual", "1m"),
    lambda c: c.subscribe_to_continuous_contract_kline_updates("BTCUSDT", "weekly", "1m", market=FuturesMarket.USDM),
    lambda c: c.subscribe_to_continuous_contract_kline_updates("BTCUSD", "tradifi_perpetual", "1m",
                                                               market=FuturesMarket.COINM),
    lambda c: c.subscribe_to_trade_updates("BTCUSDT", callback=42),
    lambda c: c.subscribe_to_trade_updates("BTCUSDT", timeout=-1),
])
def test_bad_arguments_are_refused_before_anything_is_sent(call):
    with BinanceClient(stream_url="ws://127.0.0.1:9", usdm_stream_url="ws://127.0.0.1:9",
                       coinm_stream_url="ws://127.0.0.1:9") as client:
        with pytest.raises(ConfigurationError):
            call(client)
        assert all(not c["ready"] and c["frames_received"] == 0 for c in client.health()["connections"].values())
        assert not [t for t in threading.enumerate() if t.name.startswith("exwire-binance-") and "stream" in t.name]


def test_close_leaves_no_thread(emulator):
    client = BinanceClient(**emulator.client_kwargs())
    client.subscribe_to_trade_updates("BTCUSDT", lambda event: None)
    client.subscribe_to_mark_price_updates(market=FuturesMarket.USDM)
    client.subscribe_to_book_ticker_updates("BTCUSDT", market=FuturesMarket.USDM)
    assert [t for t in threading.enumerate() if t.name.startswith("exwire-")]
    client.close()
    wait_until(lambda: not [t for t in threading.enumerate() if t.name.startswith("exwire-binance")], timeout(5))
    assert client.closed


def test_a_flood_of_200000_trades_reaches_the_callback_complete():
    """The common flood: default client settings (queue_size 10 000, drop_oldest)."""
    total = 200_000
    with BinanceEmulator(seed=9, market_interval=None) as emulator, \
            BinanceClient(**emulator.client_kwargs()) as client:
        count = [0, 0]  # delivered, out of order
        done = threading.Event()

        def on_trade(event) -> None:
            trade_id = event.data.trade_id
            if count[0] and trade_id != count[1] + 1:
                count.append(trade_id)
            count[0] += 1
            count[1] = trade_id
            if count[0] == total:
                done.set()

        subscription = client.subscribe_to_trade_updates("BTCUSDT", on_trade)
        emulator.publish_trades("BTCUSDT", total)
        assert done.wait(timeout(60)), f"{count[0]} of {total} delivered, {subscription.dropped} dropped"
        assert count[0] == total and len(count) == 2 and subscription.dropped == 0
