"""A type-checked use of BinanceClient's market data streams (never run, only checked).

``mypy --strict`` and pyright check this file in CI; each ``assert_type`` fails the check
when a stream method's signature loses its precise types.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import assert_type

from exwire.binance import (
    BinanceClient,
    BookTickerUpdate,
    DepthUpdate,
    FuturesMarket,
    KlineUpdate,
    MarkPriceUpdate,
    TickerUpdate,
    TradeUpdate,
)
from exwire.models import DataEvent, Level
from exwire.subscription import Subscription


def on_trade(event: DataEvent[TradeUpdate]) -> None:
    assert_type(event.data.price, Decimal)
    assert_type(event.data.time, datetime)


def on_depth(event: DataEvent[DepthUpdate]) -> None:
    assert_type(event.data.bids, tuple[Level, ...])
    assert_type(event.data.previous_final_update_id, int | None)


def streams(client: BinanceClient) -> None:
    assert_type(client.subscribe_to_trade_updates("BTCUSDT", on_trade), Subscription[TradeUpdate])
    assert_type(client.subscribe_to_order_book_updates(["BTCUSDT"], on_depth, market=FuturesMarket.USDM),
                Subscription[DepthUpdate])
    assert_type(client.subscribe_to_ticker_updates(market=FuturesMarket.COINM), Subscription[TickerUpdate])
    assert_type(client.subscribe_to_kline_updates("BTCUSDT", "1m", timezone_offset="+08:00"),
                Subscription[KlineUpdate])
    assert_type(client.subscribe_to_book_ticker_updates("BTCUSDT"), Subscription[BookTickerUpdate])
    assert_type(client.subscribe_to_mark_price_updates(market=FuturesMarket.USDM, update_interval=1000),
                Subscription[MarkPriceUpdate])
    with client.subscribe_to_trade_updates("BTCUSDT") as trades:
        for event in trades:
            assert_type(event.data, TradeUpdate)
            assert_type(event.data.quantity, Decimal)
