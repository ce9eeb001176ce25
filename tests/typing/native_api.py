"""Type-checked, never run: each client's own API as a user's IDE sees it.

``mypy --strict`` and pyright check this file in CI; each ``assert_type`` fails the check
when a public signature is erased (a client seen as ``type``, an event's data as ``Any``,
emulator keywords as ``dict[str, str]``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import assert_type

import exwire
from exwire import DataEvent, OrderBookWatcher, Subscription
from exwire.binance import BinanceClient, UserDataEvent
from exwire.coinex import CoinexClient
from exwire.coinex import models as coinex
from exwire.coinsuper import CoinsuperClient
from exwire.coinsuper import models as coinsuper
from exwire.kraken import KrakenClient
from exwire.kraken import models as kraken
from exwire.okex import OkexClient
from exwire.okex import models as okex
from exwire.okx import OkxClient
from exwire.okx import models as okx
from exwire.testing.binance import BinanceEmulator
from exwire.testing.coinex import CoinexEmulator
from exwire.testing.coinsuper import CoinsuperEmulator
from exwire.testing.kraken import KrakenEmulator
from exwire.testing.okex import OkexEmulator
from exwire.testing.okx import OkxEmulator


def on_kraken_ticker(event: DataEvent[kraken.Ticker]) -> None:
    assert_type(event.data.bid_price, Decimal)
    assert_type(event.symbol, str | None)


def on_kraken_trades(event: DataEvent[list[kraken.Trade]]) -> None:
    for trade in event.data:
        assert_type(trade.quantity, Decimal)


def kraken_api(emu: KrakenEmulator) -> None:
    assert_type(exwire.KrakenClient, type[KrakenClient])
    with KrakenClient(**emu.client_kwargs()) as client:
        assert_type(client, KrakenClient)
        assert_type(client.ping(), float)
        assert_type(client.subscribe_to_ticker_updates("XBT/USD", on_kraken_ticker), Subscription[kraken.Ticker])
        assert_type(client.subscribe_to_trade_updates(["XBT/USD"], on_kraken_trades), Subscription[list[kraken.Trade]])
        with client.subscribe_to_spread_updates("XBT/USD") as spreads:
            for event in spreads:
                assert_type(event.data, kraken.Spread)
        assert_type(client.watch_order_book("XBT/USD", depth=10), OrderBookWatcher)


def on_coinex_ticker(event: DataEvent[coinex.Ticker]) -> None:
    assert_type(event.data.last_price, Decimal)


def coinex_api(emu: CoinexEmulator) -> None:
    assert_type(exwire.CoinexClient, type[CoinexClient])
    with CoinexClient(**emu.client_kwargs(), credentials=emu.credentials()) as client:
        assert_type(client, CoinexClient)
        assert_type(client.subscribe_to_ticker_updates("BTCUSDT", on_coinex_ticker), Subscription[coinex.Ticker])
        assert_type(client.subscribe_to_trade_updates("BTCUSDT"), Subscription[list[coinex.Trade]])
        assert_type(client.subscribe_to_user_trade_updates(), Subscription[list[coinex.UserTrade]])
        assert_type(client.watch_order_book("BTCUSDT"), OrderBookWatcher)


def okex_api(emu: OkexEmulator) -> None:
    assert_type(exwire.OkexClient, type[OkexClient])
    with OkexClient(**emu.client_kwargs(), credentials=emu.credentials) as client:
        assert_type(client, OkexClient)
        assert_type(client.subscribe_to_ticker_updates("btc_usdt"), Subscription[okex.Ticker])
        with client.subscribe_to_trade_updates("btc_usdt") as trades:
            for trade in trades.get(1.0).data:
                assert_type(trade, okex.Trade)
                assert_type(trade.side, exwire.Side | None)


def okx_api(emu: OkxEmulator) -> None:
    assert_type(exwire.OkxClient, type[OkxClient])
    with OkxClient(**emu.client_kwargs(), credentials=emu.credentials) as client:
        assert_type(client, OkxClient)
        assert_type(client.subscribe_to_ticker_updates("BTC-USDT"), Subscription[okx.Ticker])
        with client.subscribe_to_trade_updates("BTC-USDT") as trades:
            trade = trades.get(1.0).data
            assert_type(trade, okx.Trade)
            assert_type(trade.price, Decimal)
        assert_type(client.subscribe_to_order_updates("SPOT"), Subscription[okx.Order])
        assert_type(client.place_order("BTC-USDT", "buy", "limit", "cash", "0.01", "100"), okx.OrderResult)
        assert_type(client.watch_order_book("BTC-USDT", 5), OrderBookWatcher)


def coinsuper_api(emu: CoinsuperEmulator) -> None:
    assert_type(exwire.CoinsuperClient, type[CoinsuperClient])
    with CoinsuperClient(**emu.client_kwargs(), credentials=emu.credentials) as client:
        assert_type(client, CoinsuperClient)
        assert_type(client.subscribe_to_trade_updates("BTC/USD"), Subscription[list[coinsuper.Trade]])
        assert_type(client.subscribe_to_order_updates(), Subscription[coinsuper.OrderUpdate])


def binance_api(emu: BinanceEmulator) -> None:
    assert_type(exwire.BinanceClient, type[BinanceClient])
    with BinanceClient(**emu.client_kwargs(), credentials=emu.add_account("ed25519")) as client:
        assert_type(client, BinanceClient)
        assert_type(client.subscribe_to_user_data_updates(), Subscription[UserDataEvent])
