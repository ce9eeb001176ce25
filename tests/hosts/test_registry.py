"""The exchange table hosts use: what resolves, what is left out, and every emulator streams."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import attrs
import pytest

import exwire
from exwire.errors import ConfigurationError
from exwire.hosts import Channel, ExchangeSpec, _resolve, exchanges, get_exchange, unavailable
from exwire.kraken.models import OrderType, Ticker, Trade
from exwire.models import Side
from tests.conftest import timeout


class _Partial:
    """A client with one usable channel, one that needs an argument the entry does not offer."""

    def subscribe_to_ticker_updates(self, symbols, callback=None, *, timeout=None):
        raise AssertionError("not called")

    def subscribe_to_kline_updates(self, symbols, interval, callback=None, *, timeout=None):
        raise AssertionError("not called")

    def ping(self, timeout=None):
        raise AssertionError("not called")


def test_kraken_is_available_with_every_declared_channel_and_request():
    kraken = get_exchange("Kraken")
    assert kraken.client_class is exwire.KrakenClient
    assert kraken.emulator_class.__name__ == "KrakenEmulator"
    assert set(kraken.channels) == {"ticker", "trades", "spread", "book", "klines"}
    assert kraken.requests == ("ping",)
    assert kraken.book is not None and kraken.book.depths[0] == 10
    assert kraken.normalize("btc/usd") == "XBT/USD"
    assert "kraken" in exchanges()


def test_unknown_exchange_names_the_available_ones():
    with pytest.raises(ConfigurationError, match="kraken"):
        get_exchange("mtgox")


def test_an_entry_whose_client_does_not_import_is_left_out_with_the_reason():
    spec = ExchangeSpec(name="nowhere", client="exwire.nowhere.client:NowhereClient", emulator=None,
                        example_symbol="A/B", requests=("ping",))
    exchange, reason = _resolve(spec)
    assert exchange is None and "nowhere" in reason
    assert all(isinstance(reason, str) for reason in unavailable().values())


def test_channels_the_client_cannot_take_are_left_out():
    spec = ExchangeSpec(
        name="partial", client=f"{__name__}:_Partial", emulator=None, example_symbol="A/B",
        channels={
            "ticker": Channel("subscribe_to_ticker_updates", {"depth": 5}),  # depth not offered to it
            "klines": Channel("subscribe_to_kline_updates"),  # interval missing: cannot be called
            "trades": Channel("subscribe_to_trade_updates"),  # no such method
        },
        requests=("ping", "get_nothing"),
    )
    exchange, reason = _resolve(spec)
    assert reason is None
    assert set(exchange.channels) == {"ticker"}
    assert exchange.requests == ("ping",)
    assert exchange.emulator_class is None
    with pytest.raises(ConfigurationError, match="no .* emulator"):
        with exchange.open():
            pass


def test_neutral_ticker_and_trade_fields_of_kraken_models():
    kraken = get_exchange("kraken")
    decimals = [a.name for a in attrs.fields(Ticker) if a.type in ("Decimal", Decimal)]
    integers = [a.name for a in attrs.fields(Ticker) if a.name not in decimals]
    ticker = Ticker(**dict.fromkeys(decimals, Decimal("1")), **dict.fromkeys(integers, 1))
    ticker = attrs.evolve(ticker, last_trade_price=Decimal("7"), bid_price=Decimal("6"))
    assert kraken.ticker_field(ticker, "last") == Decimal("7")
    assert kraken.ticker_field(ticker, "bid") == Decimal("6")
    assert kraken.ticker_field(ticker, "vwap_24h") == Decimal("1")  # any model field by name
    with pytest.raises(AttributeError):
        kraken.ticker_field(ticker, "colour")
    when = datetime(2024, 1, 2, tzinfo=timezone.utc)
    trade = Trade(price=Decimal("5"), volume=Decimal("0.5"), time=when, side=Side.SELL,
                  order_type=OrderType.LIMIT, misc="")
    expected = {"price": Decimal("5"), "quantity": Decimal("0.5"), "side": Side.SELL, "time": when}
    assert kraken.trades([trade]) == [expected]
    assert kraken.trades(trade) == [expected]


def _streamable():
    for name, exchange in sorted(exchanges().items()):
        channel = next((c for c in ("ticker", "trades") if c in exchange.channels), None)
        if exchange.emulator_class is not None and channel is not None:
            yield pytest.param(name, channel, id=f"{name}-{channel}")


@pytest.mark.parametrize(("name", "channel"), list(_streamable()))
def test_every_exchange_with_an_emulator_streams_through_the_table(name, channel):
    exchange = get_exchange(name)
    with exchange.open() as client:
        with exchange.subscribe(client, channel, exchange.example_symbol) as subscription:
            event = subscription.get(timeout(10))
    assert event.received_at.tzinfo is not None
    if channel == "trades":
        rows = exchange.trades(event.data)
        assert rows and isinstance(rows[0]["price"], Decimal)
    else:
        assert isinstance(exchange.ticker_field(event.data, "last"), Decimal)
