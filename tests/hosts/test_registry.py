"""The exchange registry hosts use: built on ``client.shared`` alone, no attribute-guessing tables."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import attrs
import pytest

import exwire
import exwire._exchanges as registry
import exwire.hosts as hosts
from exwire import Feature
from exwire._core.client import BaseClient
from exwire.errors import ConfigurationError
from exwire.hosts import CHANNELS, ExchangeSpec, exchanges, get_exchange, parse_interval, unavailable
from exwire.models import Kline, Ticker, TopOfBook, Trade
from exwire.shared import split_symbol
from tests.conftest import timeout
from tests.hosts.support import EXCHANGES, each_exchange, needs_adapter


class _Recorder(BaseClient):
    """A client that only records the keywords it was built with."""

    def __init__(self, **options: Any) -> None:
        self.options = options
        super().__init__()


def test_every_declared_exchange_is_in_the_registry():
    assert [spec.name for spec in hosts.SPECS] == list(EXCHANGES)
    assert set(exchanges()) | set(unavailable()) == set(EXCHANGES)


def test_the_attribute_guessing_tables_are_gone():
    for name in ("TICKER_FIELDS", "TRADE_FIELDS", "Channel", "BookSpec"):
        assert not hasattr(registry, name) and not hasattr(hosts, name), name
    for name in ("ticker_field", "trades", "normalize"):
        assert not hasattr(hosts.Exchange, name), name
    spec_fields = set(attrs.fields_dict(ExchangeSpec))
    assert spec_fields == {"name", "client", "emulator", "example_symbol", "demo_credentials", "url_paths"}


@pytest.mark.parametrize("name", EXCHANGES)
def test_example_symbols_are_base_quote(name):
    spec = next(spec for spec in hosts.SPECS if spec.name == name)
    assert split_symbol(spec.example_symbol) == tuple(spec.example_symbol.split("/"))


@pytest.mark.parametrize("name", each_exchange())
def test_channels_are_the_features_of_client_shared(name):
    exchange = get_exchange(name)
    with exchange.client_class() as client:  # not connected: nothing is sent
        shared = client.shared
    assert exchange.shared_class is type(shared)
    assert exchange.features == shared.features
    assert exchange.channels == tuple(c for c, feature in CHANNELS.items() if feature in shared.features)
    assert exchange.channels, f"{name} offers no stream through .shared"
    for channel, feature in CHANNELS.items():
        if feature not in shared.features:
            with pytest.raises(ConfigurationError, match=f"no channel '{channel}'"):
                exchange.channel(channel)


@needs_adapter("kraken")
def test_kraken_is_available_with_its_client_emulator_and_requests():
    kraken = get_exchange("Kraken")
    assert kraken.client_class is exwire.KrakenClient
    assert kraken.emulator_class.__name__ == "KrakenEmulator"
    assert kraken.example_symbol == "BTC/USD"
    assert "ping" in kraken.requests
    for name in ("close", "health", "connect", "subscribe_to_ticker_updates", "watch_order_book", "shared"):
        assert name not in kraken.requests
    assert "kraken" in exchanges()


@needs_adapter("kraken")
def test_channel_names_and_aliases():
    kraken = get_exchange("kraken")
    if Feature.TOP_OF_BOOK_STREAM in kraken.features:
        assert kraken.channel("spread") == "top_of_book"
    with pytest.raises(ConfigurationError, match="no channel 'weather'.*channels: "):
        kraken.channel("weather")


def test_unknown_exchange_names_the_known_ones():
    with pytest.raises(ConfigurationError, match="unknown exchange 'mtgox'.*kraken"):
        get_exchange("mtgox")


def test_an_entry_whose_client_does_not_import_is_left_out_with_the_reason():
    spec = ExchangeSpec(name="nowhere", client="exwire.nowhere.client:NowhereClient", emulator=None,
                        example_symbol="A/B")
    exchange, reason = registry._resolve(spec)
    assert exchange is None and "nowhere" in reason
    spec = ExchangeSpec(name="odd", client="decimal:Decimal", emulator=None, example_symbol="A/B")
    assert registry._resolve(spec) == (None, "decimal:Decimal is not an exwire client")
    assert all(isinstance(reason, str) for reason in unavailable().values())


def test_open_points_the_client_at_the_url_and_the_paths_it_implies():
    spec = ExchangeSpec(name="recorder", client=f"{__name__}:_Recorder", emulator=None, example_symbol="A/B",
                        url_paths={"futures_url": "/futures/v1"})
    exchange, reason = registry._resolve(spec)
    assert reason is None and exchange is not None
    with exchange.open(url="ws://127.0.0.1:9/spot?x=1", keep_raw=True) as client:
        assert client.options == {"url": "ws://127.0.0.1:9/spot?x=1", "futures_url": "ws://127.0.0.1:9/futures/v1",
                                  "keep_raw": True}
    assert client.closed
    with pytest.raises(ConfigurationError, match="live or url"):
        with exchange.open(live=True, url="ws://127.0.0.1:9/"):
            pass
    with pytest.raises(ConfigurationError, match="no recorder emulator"):
        with exchange.open():
            pass
    with pytest.raises(ConfigurationError, match="cannot watch an order book"):
        exchange.book_depth(5)


def test_parse_interval():
    assert parse_interval("60") == timedelta(minutes=1)
    assert parse_interval("1m") == timedelta(minutes=1)
    assert parse_interval("4H") == timedelta(hours=4)
    assert parse_interval("1d") == timedelta(days=1)
    assert parse_interval("1w") == timedelta(weeks=1)
    assert parse_interval(timedelta(seconds=5)) == timedelta(seconds=5)
    for bad in ("", "1y", "-1m", "1.5h", None):
        with pytest.raises(ConfigurationError, match="interval"):
            parse_interval(bad)


_NEUTRAL = {"ticker": Ticker, "klines": Kline, "top_of_book": TopOfBook}


@pytest.mark.parametrize("name", each_exchange())
def test_every_market_channel_streams_neutral_models_through_the_registry(name):
    exchange = get_exchange(name)
    symbol = exchange.example_symbol
    market = [c for c in exchange.channels if c in ("ticker", "trades", "klines", "top_of_book")]
    private = [c for c in exchange.channels if c in ("orders", "fills", "balances")]
    assert market or private or "book" in exchange.channels
    with exchange.open() as client:
        for channel in private:  # logged on to the emulator's demo account
            with exchange.subscribe(client, channel, timeout=timeout(15)) as subscription:
                assert subscription.active, channel
        for channel in market:
            with exchange.subscribe(client, channel, [symbol]) as subscription:
                event = subscription.get(timeout(15))
            assert event.symbol == symbol, channel
            assert event.received_at.tzinfo is not None
            if channel == "trades":
                assert event.data and all(isinstance(trade, Trade) for trade in event.data)
                trade = event.data[0]
                assert trade.symbol == symbol and isinstance(trade.price, Decimal) and trade.native is not None
                assert trade.time.tzinfo is not None
            else:
                assert isinstance(event.data, _NEUTRAL[channel]), channel
                if channel != "top_of_book":
                    assert event.data.symbol == symbol and event.data.native is not None
        if "book" in exchange.channels:
            depth = exchange.book_depth(1)
            assert depth == exchange.shared_class.book_depths[0]
            with exchange.watch_book(client, symbol, 1) as watcher:
                assert watcher.wait_synced(timeout(15))
                best_bid, best_ask = watcher.best_bid, watcher.best_ask
                assert best_bid is not None and best_ask is not None and best_bid.price < best_ask.price
            with pytest.raises(ConfigurationError, match="books go to"):
                exchange.book_depth(exchange.shared_class.book_depths[-1] + 1)
            with pytest.raises(ConfigurationError, match="watched"):
                exchange.subscribe(client, "book", [symbol])


@needs_adapter("okx")
def test_open_logs_on_with_the_emulator_s_account_only_when_asked_and_never_over_the_caller_s():
    """The demo account logs on only with log_on, and never replaces the caller's credentials."""
    okx = get_exchange("okx")
    with okx.open() as client:
        assert client.credentials is not None and client.credentials.passphrase
    with okx.open(log_on=False) as client:
        assert client.credentials is None
    mine = exwire.Credentials(key="k", secret="s", passphrase="p")
    with okx.open(credentials=mine) as client:
        assert client.credentials is mine
        assert client.url.endswith("/ws/v5/public") and client.private_url.endswith("/ws/v5/private")
    assert client.closed
