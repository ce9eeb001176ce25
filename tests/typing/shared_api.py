"""Type-checked, never run: the shared interface as a user's IDE sees it.

``mypy --strict`` and pyright check this file in CI (``.ci/run``); every ``assert_type``
fails the check when a public signature loses its precise type (``Any`` included).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import assert_type

import exwire
from exwire import (
    Balance,
    DataEvent,
    Feature,
    Fill,
    Kline,
    Order,
    OrderBookWatcher,
    OrderType,
    SharedClient,
    Side,
    Subscription,
    Ticker,
    TopOfBook,
    Trade,
)
from exwire.latest import LatestValue


def on_ticker(event: DataEvent[Ticker]) -> None:
    assert_type(event.data, Ticker)
    assert_type(event.data.bid_price, Decimal | None)
    assert_type(event.symbol, str | None)


def on_trades(event: DataEvent[list[Trade]]) -> None:
    for trade in event.data:
        assert_type(trade, Trade)
        assert_type(trade.side, Side | None)
        assert_type(trade.quantity, Decimal)


def use(shared: SharedClient) -> None:
    assert_type(shared.features, frozenset[Feature])
    assert_type(shared.subscribe_to_ticker_updates("BTC/USDT", on_ticker), Subscription[Ticker])
    assert_type(shared.subscribe_to_trade_updates(["BTC/USDT"], on_trades), Subscription[list[Trade]])
    with shared.subscribe_to_ticker_updates("BTC/USDT") as tickers:
        assert_type(tickers, Subscription[Ticker])
        for event in tickers:
            assert_type(event, DataEvent[Ticker])
            assert_type(event.data.last_price, Decimal | None)
        assert_type(tickers.get(1.0).data, Ticker)
    klines = shared.subscribe_to_kline_updates("BTC/USDT", timedelta(minutes=1))
    assert_type(klines, Subscription[Kline])
    assert_type(shared.subscribe_to_top_of_book_updates("BTC/USDT"), Subscription[TopOfBook])
    assert_type(shared.subscribe_to_order_updates(), Subscription[list[Order]])
    assert_type(shared.subscribe_to_fill_updates(), Subscription[list[Fill]])
    assert_type(shared.subscribe_to_balance_updates(), Subscription[list[Balance]])
    book = shared.watch_order_book("BTC/USDT", 10)
    assert_type(book, OrderBookWatcher)
    assert_type(book.best_bid, exwire.Level | None)
    assert_type(shared.get_balances(), dict[str, Balance])
    order = shared.place_order("BTC/USDT", Side.BUY, OrderType.LIMIT, "0.01", price=Decimal("100"))
    assert_type(order, Order)
    assert_type(order.status, exwire.OrderStatus)
    assert_type(shared.get_open_orders(), list[Order])


def latest(client: exwire.KrakenClient) -> None:
    value = client.latest.ticker("BTC/USD")
    assert_type(value, LatestValue[Ticker] | None)
    if value is not None:
        assert_type(value.value.last_price, Decimal | None)
    top = client.latest.top_of_book("BTC/USD")
    assert_type(top, LatestValue[TopOfBook] | None)
    assert_type(client.shared, SharedClient)
