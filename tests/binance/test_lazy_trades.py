"""Binance market-stream trades decoded on first read equal the eager decoding."""

from __future__ import annotations

from typing import Any

import pytest

from exwire.binance import stream_converter
from exwire.binance.stream_models import TradeUpdate
from tests.binance.test_streams_fixtures import _examples, _script
from tests.helpers import assert_lazy_same


def captured_trades() -> list[dict[str, Any]]:
    trades = [_script("Spot/Trades.txt")[2]["data"]]
    trades += [example["payload"] for example in _examples()
               if example.get("stream") == "<symbol>@trade" and {"p", "q"} <= example["payload"].keys()]
    # The shapes exwire's benchmark floods and futures send (X, no b/a).
    trades.append({"e": "trade", "E": 1700000000123, "s": "BTCUSDT", "t": 7, "p": "27000.01", "q": "0.00123",
                   "T": 1700000000120, "m": False, "M": True})
    trades.append({"e": "trade", "E": 1700000000123, "T": 1700000000120, "s": "BTCUSDT", "t": 8, "p": "1.5",
                   "q": "2", "X": "MARKET", "m": True})
    return trades


def assert_same(lazy: Any, eager: Any) -> None:
    assert_lazy_same(lazy, eager, TradeUpdate)


def test_every_trade_of_the_usual_shape_reads_as_its_eager_decoding():
    trades = captured_trades()
    assert len(trades) >= 3
    for trade in trades:
        assert_same(stream_converter.trade(trade, "BTCUSDT"), stream_converter._trade_now(trade, "BTCUSDT"))


@pytest.mark.parametrize("change", [{"p": 0.5}, {"q": "1e-3"}, {"t": "7"}, {"m": 1}, {"T": "1700000000120"},
                                    {"E": -5}, {"b": "88"}, {"T": 10**16}])
def test_a_trade_outside_the_usual_shape_is_decoded_on_receipt(change):
    trade = {**captured_trades()[0], **change}
    try:
        expected = stream_converter._trade_now(trade, "BTCUSDT")
    except Exception as exc:
        with pytest.raises(type(exc)):
            stream_converter.trade(trade, "BTCUSDT")
        return
    decoded = stream_converter.trade(trade, "BTCUSDT")
    assert type(decoded) is TradeUpdate and decoded == expected


def test_a_trade_without_a_required_key_is_refused_on_receipt():
    for key in ("p", "q", "s", "t", "m", "T"):
        trade = dict(captured_trades()[0])
        del trade[key]
        with pytest.raises(KeyError):
            stream_converter.trade(trade, "BTCUSDT")
