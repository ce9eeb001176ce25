"""One user script written against ``client.shared`` runs unchanged on all five emulators.

:func:`user_script` knows no exchange: it reads ``shared.features`` and exercises every
feature offered, with ``BASE/QUOTE`` symbols and the neutral models only. The table below
says how to start each emulator and which symbol it serves; nothing else differs.

A second test holds each exchange's ``features`` to its native client: a stream or
request the native client has is offered through ``.shared`` too.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs
import pytest

import exwire
from exwire import (
    Balance,
    Feature,
    Fill,
    Kline,
    Order,
    OrderType,
    Side,
    Ticker,
    TopOfBook,
    Trade,
    UnsupportedFeature,
)
from tests.conftest import timeout


def _aware(moment: datetime | None) -> bool:
    return moment is None or (moment.tzinfo is not None and moment.utcoffset() is not None)


def _first(subscription: exwire.Subscription[Any], wait: float, accept: Callable[[Any], bool] = bool) -> Any:
    """The data of the first event whose data ``accept`` takes (non-empty by default)."""
    while True:
        event = subscription.get(wait)
        if accept(event.data):
            return event


def user_script(
    shared: exwire.SharedClient,
    symbol: str,
    wait: float,
    price_hint: Decimal | None = None,
    elsewhere: Callable[[], None] | None = None,
) -> dict[Feature, Any]:
    """Exercise every feature ``shared`` offers; return what each gave. Exchange-neutral.

    ``price_hint`` is a market price for exchanges whose ``.shared`` has no market data to
    read one from (the user would know it); the script prefers the market's own.
    ``elsewhere`` makes the account trade outside this client (on the web site, over REST),
    for exchanges whose ``.shared`` streams account activity but cannot place orders.
    """
    seen: dict[Feature, Any] = {}
    features = shared.features
    reference: Decimal | None = None

    if Feature.TICKER_STREAM in features:
        with shared.subscribe_to_ticker_updates(symbol) as tickers:
            event = tickers.get(wait)
        ticker = event.data
        assert isinstance(ticker, Ticker) and event.symbol == symbol and ticker.symbol == symbol
        assert ticker.native is not None and _aware(ticker.time)
        reference = ticker.bid_price or ticker.last_price
        seen[Feature.TICKER_STREAM] = ticker

    if Feature.TRADE_STREAM in features:
        with shared.subscribe_to_trade_updates([symbol]) as trades:
            event = _first(trades, wait)
        assert event.symbol == symbol
        for trade in event.data:
            assert isinstance(trade, Trade) and trade.symbol == symbol
            assert trade.price > 0 and trade.quantity > 0 and trade.side in (Side.BUY, Side.SELL, None)
            assert _aware(trade.time) and trade.native is not None
        seen[Feature.TRADE_STREAM] = event.data

    if Feature.KLINE_STREAM in features:
        interval = shared.kline_intervals[0]
        with shared.subscribe_to_kline_updates(symbol, interval) as klines:
            event = klines.get(wait)
        kline = event.data
        assert isinstance(kline, Kline) and kline.symbol == symbol and kline.interval == interval
        assert kline.low <= kline.high and _aware(kline.open_time) and _aware(kline.close_time)
        seen[Feature.KLINE_STREAM] = kline

    if Feature.TOP_OF_BOOK_STREAM in features:
        with shared.subscribe_to_top_of_book_updates(symbol) as tops:
            event = _first(tops, wait, lambda top: top.bid is not None and top.ask is not None)
        top = event.data
        assert isinstance(top, TopOfBook) and event.symbol == symbol
        assert top.bid is not None and top.ask is not None and top.bid.price < top.ask.price
        reference = reference or top.bid.price
        seen[Feature.TOP_OF_BOOK_STREAM] = top

    if Feature.ORDER_BOOK in features:
        with shared.watch_order_book(symbol) as book:
            assert book.wait_synced(wait)
            best_bid, best_ask = book.best_bid, book.best_ask
        assert best_bid is not None and best_ask is not None and best_bid.price < best_ask.price
        reference = reference or best_bid.price
        seen[Feature.ORDER_BOOK] = (best_bid, best_ask)

    if Feature.BALANCES in features:
        balances = shared.get_balances()
        assert balances and all(isinstance(b, Balance) and b.asset == asset for asset, b in balances.items())
        seen[Feature.BALANCES] = balances

    balance_updates = shared.subscribe_to_balance_updates() if Feature.BALANCE_STREAM in features else None
    orders = shared.subscribe_to_order_updates() if Feature.ORDER_STREAM in features else None

    if Feature.PLACE_ORDER not in features:
        # Nothing to act with: the account's activity elsewhere shows on the streams.
        fills = shared.subscribe_to_fill_updates() if Feature.FILL_STREAM in features else None
        if elsewhere is not None:
            elsewhere()
        if orders is not None:
            with orders:
                event = _first(orders, wait)
            assert all(isinstance(o, Order) and o.order_id for o in event.data)
            seen[Feature.ORDER_STREAM] = event.data
        if fills is not None:
            with fills:
                event = _first(fills, wait)
            assert all(isinstance(f, Fill) and f.price > 0 and f.quantity > 0 for f in event.data)
            seen[Feature.FILL_STREAM] = event.data
        if Feature.OPEN_ORDERS in features:
            listed = shared.get_open_orders(symbol)
            assert all(isinstance(o, Order) and o.symbol in (symbol, None) for o in listed)
            seen[Feature.OPEN_ORDERS] = listed
    else:
        # A resting buy well below the market: 90 % of the best bid, at the bid's precision.
        reference = reference or price_hint
        assert reference is not None, "place_order needs a market price"
        price = (reference * Decimal("0.9")).quantize(reference)
        order = shared.place_order(symbol, Side.BUY, OrderType.LIMIT, "0.01", price=price)
        assert isinstance(order, Order) and order.order_id and order.side in (Side.BUY, None)
        seen[Feature.PLACE_ORDER] = order
        if Feature.OPEN_ORDERS in features:
            listed = shared.get_open_orders(symbol)
            assert all(isinstance(o, Order) for o in listed)
            assert order.order_id in {o.order_id for o in listed}
            seen[Feature.OPEN_ORDERS] = listed
        if orders is not None:
            with orders:
                event = _first(orders, wait, lambda batch: any(o.order_id == order.order_id for o in batch))
            assert all(isinstance(o, Order) for o in event.data)
            seen[Feature.ORDER_STREAM] = event.data
        if Feature.CANCEL_ORDER in features:
            shared.cancel_order(symbol, order.order_id)
            if Feature.OPEN_ORDERS in features:
                assert order.order_id not in {o.order_id for o in shared.get_open_orders(symbol)}
            seen[Feature.CANCEL_ORDER] = order.order_id
        if Feature.FILL_STREAM in features and OrderType.MARKET in shared.order_types:
            with shared.subscribe_to_fill_updates() as fills:
                taken = shared.place_order(symbol, Side.BUY, OrderType.MARKET, "0.01")
                event = _first(fills, wait, lambda batch: any(f.order_id == taken.order_id for f in batch))
            for fill in event.data:
                assert isinstance(fill, Fill) and fill.price > 0 and fill.quantity > 0 and _aware(fill.time)
            seen[Feature.FILL_STREAM] = event.data

    if balance_updates is not None:
        # A resting order (or its fill) moved funds: the change arrives on the stream.
        with balance_updates:
            event = _first(balance_updates, wait)
        assert all(isinstance(b, Balance) and b.asset for b in event.data)
        seen[Feature.BALANCE_STREAM] = event.data
    return seen


# -- the five emulators ---------------------------------------------------------------------


@attrs.frozen
class Exchange:
    name: str
    symbol: str  # BASE/QUOTE, served by the emulator
    start: Callable[[], Any]  # a context manager yielding (client, elsewhere or None)
    price_hint: Decimal | None = None  # where .shared offers no market data


@contextmanager
def _kraken() -> Iterator[Any]:
    from exwire.testing import KrakenEmulator

    with KrakenEmulator(seed=3, push_interval=0.02) as emu:
        with exwire.KrakenClient(**emu.client_kwargs(), credentials=emu.credentials) as client:
            yield client, None


@contextmanager
def _binance() -> Iterator[Any]:
    from exwire.testing.binance import BinanceEmulator

    with BinanceEmulator(seed=3) as emu:
        credentials = emu.add_account("hmac")
        # Binance streams trades and book tickers as they happen: keep the emulated market
        # trading and its touch moving by one tick (far from the script's resting buy).
        start, tick = emu.price("BTCUSDT"), Decimal("0.01")
        stop = threading.Event()

        def activity() -> None:
            flip = False
            while not stop.wait(0.02):
                emu.publish_trades("BTCUSDT", 1)
                emu.set_price("BTCUSDT", start + tick if flip else start)
                flip = not flip

        market = threading.Thread(target=activity, name="binance-market-activity")
        market.start()
        try:
            with exwire.BinanceClient(**emu.client_kwargs(), credentials=credentials) as client:
                yield client, None
        finally:
            stop.set()
            market.join()


@contextmanager
def _coinex() -> Iterator[Any]:
    from exwire.testing.coinex import CoinexEmulator

    with CoinexEmulator(seed=3, push_interval=0.02) as emu:
        def elsewhere() -> None:  # an order placed on the web site, then filled by another account
            order_id = emu.place_order("BTCUSDT", "buy", "0.01", "20000")
            emu.fill(order_id)

        with exwire.CoinexClient(**emu.client_kwargs(), credentials=emu.credentials()) as client:
            yield client, elsewhere


@contextmanager
def _okex() -> Iterator[Any]:
    from exwire.testing.okex import OkexEmulator

    with OkexEmulator(push_interval=0.02) as emu:
        with exwire.OkexClient(**emu.client_kwargs(), credentials=emu.credentials) as client:
            yield client, None


@contextmanager
def _coinsuper() -> Iterator[Any]:
    from exwire.testing.coinsuper import CoinsuperEmulator

    with CoinsuperEmulator(push_interval=0.02) as emu:
        with exwire.CoinsuperClient(**emu.client_kwargs(), credentials=emu.credentials) as client:
            yield client, None


@contextmanager
def _okx() -> Iterator[Any]:
    from exwire.testing.okx import OkxEmulator

    with OkxEmulator(push_interval=0.02) as emu:
        with exwire.OkxClient(**emu.client_kwargs(), credentials=emu.credentials) as client:
            yield client, None


EXCHANGES = [
    Exchange("kraken", "BTC/USD", _kraken),
    Exchange("binance", "BTC/USDT", _binance, price_hint=Decimal("30000.00")),
    Exchange("coinex", "BTC/USDT", _coinex),
    Exchange("okex", "BTC/USDT", _okex),
    Exchange("coinsuper", "BTC/USD", _coinsuper),
    Exchange("okx", "BTC/USDT", _okx),
]


@pytest.mark.parametrize("exchange", EXCHANGES, ids=lambda e: e.name)
def test_one_script_runs_on_every_emulator(exchange: Exchange) -> None:
    with exchange.start() as (client, elsewhere):
        shared = client.shared
        assert isinstance(shared, exwire.SharedClient) and shared.exchange == exchange.name
        seen = user_script(shared, exchange.symbol, timeout(10), exchange.price_hint, elsewhere)
        offered = set(shared.features)
        # Every feature offered was exercised (fills only where market orders are offered).
        if Feature.PLACE_ORDER in offered and OrderType.MARKET not in shared.order_types:
            offered.discard(Feature.FILL_STREAM)
        assert offered <= set(seen), f"not exercised: {sorted(f.value for f in offered - set(seen))}"


@pytest.mark.parametrize("exchange", EXCHANGES, ids=lambda e: e.name)
def test_what_is_not_offered_raises_unsupported_feature_before_sending(exchange: Exchange) -> None:
    with exchange.start() as (client, _):
        shared = client.shared
        calls: dict[Feature, Callable[[], object]] = {
            Feature.TICKER_STREAM: lambda: shared.subscribe_to_ticker_updates(exchange.symbol),
            Feature.TRADE_STREAM: lambda: shared.subscribe_to_trade_updates(exchange.symbol),
            Feature.TOP_OF_BOOK_STREAM: lambda: shared.subscribe_to_top_of_book_updates(exchange.symbol),
            Feature.ORDER_BOOK: lambda: shared.watch_order_book(exchange.symbol),
            Feature.BALANCES: lambda: shared.get_balances(),
            Feature.OPEN_ORDERS: lambda: shared.get_open_orders(exchange.symbol),
            Feature.ORDER_STREAM: lambda: shared.subscribe_to_order_updates(),
            Feature.FILL_STREAM: lambda: shared.subscribe_to_fill_updates(),
            Feature.CANCEL_ORDER: lambda: shared.cancel_order(exchange.symbol, "1"),
        }
        for feature, call in calls.items():
            if feature not in shared.features:
                with pytest.raises(UnsupportedFeature) as raised:
                    call()
                assert raised.value.feature is feature and raised.value.exchange == exchange.name
        with pytest.raises(exwire.ConfigurationError):
            shared.native_symbol("BTCUSDT")  # not BASE/QUOTE


#: A native method of this name means the exchange offers the feature through .shared.
NATIVE_CAPABILITIES = {
    "subscribe_to_ticker_updates": Feature.TICKER_STREAM,
    "subscribe_to_trade_updates": Feature.TRADE_STREAM,
    "subscribe_to_kline_updates": Feature.KLINE_STREAM,
    "subscribe_to_spread_updates": Feature.TOP_OF_BOOK_STREAM,
    "subscribe_to_book_ticker_updates": Feature.TOP_OF_BOOK_STREAM,
    "watch_order_book": Feature.ORDER_BOOK,
    "subscribe_to_order_updates": Feature.ORDER_STREAM,
    "subscribe_to_user_trade_updates": Feature.FILL_STREAM,
    "subscribe_to_balance_updates": Feature.BALANCE_STREAM,
}


@pytest.mark.parametrize("exchange", EXCHANGES, ids=lambda e: e.name)
def test_features_cover_the_native_clients_streams(exchange: Exchange) -> None:
    client_class = getattr(exwire, f"{exchange.name.capitalize()}Client")
    shared_class = exwire.SharedClient
    with exchange.start() as (client, _):
        shared = client.shared
        assert type(shared) is not shared_class, "the exchange has no SharedClient adapter"
        for method, feature in NATIVE_CAPABILITIES.items():
            if callable(getattr(client_class, method, None)):
                assert feature in shared.features, f"{exchange.name} has {method} but .shared lacks {feature}"


@pytest.mark.parametrize("exchange", EXCHANGES, ids=lambda e: e.name)
def test_symbols_map_both_ways(exchange: Exchange) -> None:
    with exchange.start() as (client, _):
        shared = client.shared
        native = shared.native_symbol(exchange.symbol)
        assert shared.shared_symbol(native) == exchange.symbol
        assert shared.native_symbol(exchange.symbol.lower()) == native
        assert shared.native_symbols([exchange.symbol, exchange.symbol]) == [native]
