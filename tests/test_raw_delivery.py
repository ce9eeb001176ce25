"""Raw delivery (``raw=True``): each client against its emulator delivers the frames' JSON, no models.

Every event's ``data`` is the frame's decoded JSON message (``dict``/``list``), no
``float`` anywhere in it (prices stay strings, or become ``Decimal`` where the exchange
sends JSON numbers); blocking calls stay typed; ``client.latest`` is not fed; a book
watcher is refused.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

import pytest

import exwire
from exwire import ConfigurationError, UpdateType
from exwire._core.codec import loads_exact
from exwire._core.protocol import Protocol, Reply, Update
from exwire.testing import CoinexEmulator, CoinsuperEmulator, KrakenEmulator, OkexEmulator
from exwire.testing.binance import BinanceEmulator
from tests.conftest import timeout


def _data(event: Any) -> Any:
    """``event.data`` as what a raw client delivers (the subscriptions' static types name the models)."""
    return event.data


def _assert_json(value: Any) -> None:
    """Only JSON's own types, numbers exact: no float, no model."""
    if isinstance(value, dict):
        for key, item in value.items():
            assert isinstance(key, str)
            _assert_json(item)
    elif isinstance(value, list):
        for item in value:
            _assert_json(item)
    else:
        assert value is None or type(value) in (str, int, bool, Decimal), f"{type(value).__name__}: {value!r}"


def test_raw_must_be_a_bool():
    with pytest.raises(ConfigurationError, match="raw"):
        exwire.KrakenClient(url="ws://127.0.0.1:9", raw="yes")


def test_kraken_raw_ticker_book_and_trades_are_the_channel_arrays():
    with KrakenEmulator(seed=7, push_interval=0.02) as emulator, \
            exwire.KrakenClient(**emulator.client_kwargs(), raw=True) as client:
        assert client.raw and client.ping() > 0  # blocking calls stay typed
        with client.subscribe_to_ticker_updates("XBT/USD") as ticks:
            event = ticks.get(timeout(5))
        assert isinstance(_data(event), list) and _data(event)[-2:] == ["ticker", "XBT/USD"]
        assert event.symbol == "XBT/USD" and isinstance(_data(event)[1]["a"][0], str)
        _assert_json(_data(event))
        with client.subscribe_to_order_book_updates("XBT/USD", depth=10) as book:
            first, second = book.get(timeout(5)), book.get(timeout(5))
        assert first.update_type is UpdateType.SNAPSHOT and "as" in _data(first)[1]
        assert second.update_type is UpdateType.UPDATE and _data(second)[-2] == "book-10"
        with client.subscribe_to_trade_updates("XBT/USD") as trades:
            trade = trades.get(timeout(5))
        assert _data(trade)[-2] == "trade" and isinstance(_data(trade)[1], list)
        assert client.latest.ticker("XBT/USD") is None  # latest holds typed values: not fed
        with pytest.raises(ConfigurationError, match="raw=True"):
            client.watch_order_book("XBT/USD", depth=10)


def test_binance_raw_market_stream_and_user_data_are_the_wire_objects():
    with BinanceEmulator(seed=11, stream_scale=0.05) as emulator:
        credentials = emulator.add_account("hmac")
        with exwire.BinanceClient(credentials=credentials, request_timeout=timeout(5),
                                  **emulator.client_kwargs(), raw=True) as client:
            with client.subscribe_to_trade_updates("BTCUSDT") as trades:
                event = trades.get(timeout(10))
            assert _data(event)["stream"] == "btcusdt@trade" and _data(event)["data"]["s"] == "BTCUSDT"
            assert event.symbol == "BTCUSDT"
            _assert_json(_data(event))
            with client.subscribe_to_user_data_updates() as events:
                order = client.submit_new_spot_order("BTCUSDT", "BUY", "MARKET", quote_order_quantity="3000.03")
                assert order.fills  # typed reply
                report = events.get(timeout(5))
            assert _data(report)["event"]["e"] == "executionReport" and _data(report)["event"]["s"] == "BTCUSDT"
            assert report.symbol == "BTCUSDT"
            _assert_json(_data(report))
            with pytest.raises(ConfigurationError, match="raw=True"):
                client.watch_order_book("BTCUSDT")


def test_coinex_raw_updates_are_the_push_objects():
    with CoinexEmulator(seed=7, push_interval=0.05) as emulator, \
            exwire.CoinexClient(**emulator.client_kwargs(), request_timeout=timeout(5), raw=True) as client:
        with client.subscribe_to_ticker_updates("BTCUSDT") as ticks:
            event = ticks.get(timeout(5))
        assert _data(event)["method"] == "state.update" and event.symbol == "BTCUSDT"
        _assert_json(_data(event))
        with client.subscribe_to_order_book_updates("BTCUSDT") as book:
            event = book.get(timeout(5))
        assert _data(event)["method"] == "depth.update" and _data(event)["params"][2] == "BTCUSDT"
        assert event.update_type is UpdateType.SNAPSHOT  # the first push is clean (the whole book)
        _assert_json(_data(event))
        with client.subscribe_to_trade_updates("BTCUSDT") as trades:
            event = trades.get(timeout(5))
        assert _data(event)["method"] == "deals.update" and event.symbol == "BTCUSDT"


def test_okex_raw_updates_are_the_inflated_push_objects():
    with OkexEmulator(push_interval=0.02) as emulator, \
            exwire.OkexClient(**emulator.client_kwargs(), credentials=emulator.credentials,
                              request_timeout=timeout(5), raw=True) as client:
        with client.subscribe_to_ticker_updates("btc_usdt") as ticks:
            event = ticks.get(timeout(5))
        assert _data(event)["channel"] == "ok_sub_spot_btc_usdt_ticker" and event.symbol == "btc_usdt"
        _assert_json(_data(event))
        with client.subscribe_to_order_book_updates("btc_usdt") as book:
            first = book.get(timeout(5))
        assert first.update_type is UpdateType.SNAPSHOT and "depth" in _data(first)["channel"]


def test_okx_raw_updates_are_the_push_objects():
    from exwire.testing.okx import OkxEmulator

    with OkxEmulator(push_interval=0.02) as emulator, \
            exwire.OkxClient(**emulator.client_kwargs(), credentials=emulator.credentials, request_timeout=timeout(5), raw=True) as client:
        with client.subscribe_to_ticker_updates("BTC-USDT") as ticks:
            event = ticks.get(timeout(5))
        assert _data(event)["arg"] == {"channel": "tickers", "instId": "BTC-USDT"} and event.symbol == "BTC-USDT"
        assert isinstance(_data(event)["data"][0]["last"], str)  # the wire's strings, no model
        _assert_json(_data(event))
        with client.subscribe_to_order_book_updates("BTC-USDT") as book:
            first = book.get(timeout(5))
        assert first.update_type is UpdateType.SNAPSHOT and _data(first)["action"] == "snapshot"
        with pytest.raises(exwire.ConfigurationError, match="raw=True"):
            client.watch_order_book("BTC-USDT")
        assert client.latest.ticker("BTC-USDT") is None  # raw delivery feeds no latest value


def test_coinsuper_raw_updates_are_the_published_json():
    with CoinsuperEmulator(push_interval=0.05) as emulator, \
            exwire.CoinsuperClient(**emulator.client_kwargs(), credentials=emulator.credentials,
                                   request_timeout=timeout(5), raw=True) as client:
        with client.subscribe_to_trade_updates("BTC/USD") as trades:
            event = trades.get(timeout(5))
        assert isinstance(_data(event), (dict, list))
        _assert_json(_data(event))


class _Typed(Protocol):
    def receive(self, frame: str | bytes) -> list[Any]:
        return [Update("k", object(), "S"), Reply(1, "typed")]


def test_receive_raw_swaps_update_data_for_the_exact_json_and_keeps_other_events():
    frame = '{"price":0.1000000000000000055511151231257827,"big":123456789012345678901234567890}'
    update, reply = cast("list[Any]", _Typed().receive_raw(frame))
    assert update.data == loads_exact(frame) and update.data["price"] == Decimal("0.1000000000000000055511151231257827")
    assert update.data["big"] == 123456789012345678901234567890 and update.symbol == "S"
    assert reply == Reply(1, "typed")
    kept: Any = _Typed().receive_raw(b"\x00binary")[0]  # not JSON: typed data kept
    assert not isinstance(kept.data, (dict, list))
