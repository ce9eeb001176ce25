"""Market data stream fixtures (../shared/fixtures/binance), read in place, through the stream codec.

``binance-net/streams/<Market>/<Name>.txt`` holds the ``SUBSCRIBE`` a client sends (``> ``),
its reply (``< ``) and one combined event (after ``= ``). Every event decodes into its
model with every documented field kept (each wire field is in the field table below and
its value arrives converted: money as ``Decimal``, times as aware UTC datetimes).
``connector-python/stream_examples.json`` holds the official SDK's generated examples:
the complete ones decode the same way; the SDK's truncated stubs fail as malformed frames.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import pytest

from exwire._core.protocol import Reply, Update
from exwire.binance import stream_models as sm
from exwire.binance.enums import OrderSide
from exwire.binance.stream_protocol import BinanceStreamProtocol
from exwire.errors import DecodeError, InvalidRequest
from exwire.models import Level
from tests.conftest import fixture_path

_IGNORED = {"e", "M", "B"}  # event type (the model's class), documented "ignore" fields
_KLINE = {"t": "open_time", "T": "close_time", "s": "symbol", "i": "interval", "o": "open", "c": "close",
          "h": "high", "l": "low", "v": "volume", "n": "trade_count", "x": "closed", "q": "quote_volume",
          "V": "taker_buy_base_volume", "Q": "taker_buy_quote_volume"}
_WINDOW = {"E": "time", "s": "symbol", "p": "price_change", "P": "price_change_percent",
           "w": "weighted_average_price", "o": "open_price", "h": "high_price", "l": "low_price", "c": "last_price",
           "v": "volume", "q": "quote_volume", "O": "open_time", "C": "close_time", "F": "first_trade_id",
           "L": "last_trade_id", "n": "trade_count"}
#: model → (top-level table, nested key, nested table)
FIELDS: dict[type, tuple[dict[str, str], str | None, dict[str, str]]] = {
    sm.TradeUpdate: ({"E": "event_time", "s": "symbol", "t": "trade_id", "p": "price", "q": "quantity",
                      "b": "buyer_order_id", "a": "seller_order_id", "T": "time", "m": "buyer_is_maker",
                      "X": "trade_type"}, None, {}),
    sm.AggregateTradeUpdate: ({"E": "event_time", "s": "symbol", "a": "aggregate_trade_id", "p": "price",
                               "q": "quantity", "f": "first_trade_id", "l": "last_trade_id", "T": "time",
                               "m": "buyer_is_maker", "nq": "normal_quantity", "st": "market_type"}, None, {}),
    sm.KlineUpdate: ({"E": "event_time", "s": "symbol"}, "k",
                     {**_KLINE, "f": "first_trade_id", "L": "last_trade_id"}),
    sm.ContinuousKlineUpdate: ({"E": "event_time", "ps": "pair", "ct": "contract_type"}, "k",
                               {**_KLINE, "f": "first_update_id", "L": "last_update_id"}),
    sm.MiniTickerUpdate: ({"E": "event_time", "s": "symbol", "c": "last_price", "o": "open_price",
                           "h": "high_price", "l": "low_price", "v": "volume", "q": "quote_volume", "ps": "pair", "st": "market_type"},
                          None, {}),
    sm.TickerUpdate: ({**_WINDOW, "x": "first_trade_price", "Q": "last_quantity", "b": "bid_price",
                       "B": "bid_quantity", "a": "ask_price", "A": "ask_quantity", "ps": "pair", "st": "market_type"}, None, {}),
    sm.RollingWindowTickerUpdate: (_WINDOW, None, {}),
    sm.BookTickerUpdate: ({"u": "update_id", "s": "symbol", "b": "bid_price", "B": "bid_quantity",
                           "a": "ask_price", "A": "ask_quantity", "E": "time", "T": "transaction_time",
                           "ps": "pair", "st": "market_type"}, None, {}),
    sm.DepthUpdate: ({"E": "time", "T": "transaction_time", "s": "symbol", "U": "first_update_id",
                      "u": "final_update_id", "pu": "previous_final_update_id", "b": "bids", "a": "asks",
                      "ps": "pair", "st": "market_type"}, None, {}),
    sm.PartialDepthUpdate: ({"lastUpdateId": "last_update_id", "bids": "bids", "asks": "asks", "E": "time",
                             "T": "transaction_time", "s": "symbol", "U": "first_update_id", "u": "last_update_id",
                             "pu": "previous_final_update_id", "b": "bids", "a": "asks", "ps": "pair"}, None, {}),
    sm.AveragePriceUpdate: ({"E": "event_time", "s": "symbol", "i": "interval", "w": "price",
                             "T": "last_trade_time"}, None, {}),
    sm.MarkPriceUpdate: ({"E": "time", "s": "symbol", "p": "mark_price", "i": "index_price",
                          "P": "estimated_settle_price", "r": "funding_rate", "T": "next_funding_time",
                          "ap": "mark_price_moving_average", "st": "market_type"}, None, {}),
    sm.LiquidationUpdate: ({"E": "event_time", "ps": "pair", "st": "market_type"}, "o",
                           {"s": "symbol", "S": "side", "o": "order_type", "f": "time_in_force", "q": "quantity",
                            "p": "price", "ap": "average_price", "X": "status", "l": "last_filled_quantity",
                            "z": "filled_quantity", "T": "time", "ps": "pair", "st": "market_type"}),
}
#: binance-net stream fixtures → the model they decode into (None: a stream exwire does not offer)
STREAM_FILES = {
    "Spot/AggregatedTrades.txt": sm.AggregateTradeUpdate, "Spot/BookTicker.txt": sm.BookTickerUpdate,
    "Spot/Klines.txt": sm.KlineUpdate, "Spot/MiniTicker.txt": sm.MiniTickerUpdate,
    "Spot/PartialBook.txt": sm.PartialDepthUpdate, "Spot/RollingWindowTicker.txt": sm.RollingWindowTickerUpdate,
    "Spot/Ticker.txt": sm.TickerUpdate, "Spot/Trades.txt": sm.TradeUpdate,
    "UsdFutures/AggTrades.txt": sm.AggregateTradeUpdate, "UsdFutures/Book.txt": sm.DepthUpdate,
    "UsdFutures/BookTicker.txt": sm.BookTickerUpdate, "UsdFutures/ContKlines.txt": sm.ContinuousKlineUpdate,
    "UsdFutures/Klines.txt": sm.KlineUpdate, "UsdFutures/Liquidations.txt": sm.LiquidationUpdate,
    "UsdFutures/MarkPrice.txt": sm.MarkPriceUpdate, "UsdFutures/MiniTicker.txt": sm.MiniTickerUpdate,
    "UsdFutures/PartialBook.txt": sm.PartialDepthUpdate, "UsdFutures/Ticker.txt": sm.TickerUpdate,
    # asset index, composite index, contract info: streams exwire does not subscribe to
    "UsdFutures/AssetIndex.txt": None, "UsdFutures/CompositIndex.txt": None, "UsdFutures/SymbolUpdates.txt": None,
}


def _script(name: str) -> tuple[dict[str, Any], list[str], dict[str, Any]]:
    text = fixture_path("binance", "binance-net", "streams", *name.split("/")).read_text(encoding="utf-8-sig")
    text = text.replace('"|1|"', "1").replace("|1|", "1")
    head, _, body = text.partition("\n= ")
    request: dict[str, Any] = {}
    received = []
    for line in head.splitlines():
        if line.startswith("> "):
            request = json.loads(line[2:])
        elif line.startswith("< "):
            received.append(line[2:])
    return request, received, json.loads(body)


def _check_value(wire: Any, value: Any, where: str) -> None:
    if isinstance(value, datetime):
        assert value.tzinfo is timezone.utc, where
        assert round(value.timestamp() * 1000) == wire, where
    elif isinstance(value, tuple):
        assert value == tuple(Level(price=Decimal(p), quantity=Decimal(q)) for p, q in wire), where
    elif isinstance(value, Decimal):
        assert value == Decimal(wire), where
    elif isinstance(value, OrderSide):
        assert value.value == wire, where
    else:
        assert value == wire, where


def _check_fields(model: object, payload: dict[str, Any]) -> None:
    # The documented model class (a model decoded on first read is a private subclass of it).
    top, nested_key, nested = FIELDS[next(cls for cls in type(model).__mro__ if cls in FIELDS)]
    for table, source in ((top, payload), (nested, payload.get(nested_key) if nested_key else {})):
        for key, wire in source.items():
            if key in _IGNORED or key == nested_key:
                continue
            assert key in table, f"{type(model).__name__}: wire field {key!r} is not kept"
            value = getattr(model, table[key])
            if wire == "" or (key == "T" and wire == 0 and isinstance(model, sm.MarkPriceUpdate)):
                assert value is None, key  # COIN-M's empty funding rate, no next funding time
                continue
            assert value is not None, f"{type(model).__name__}.{table[key]} dropped"
            _check_value(wire, value, f"{type(model).__name__}.{table[key]} ({key})")


@pytest.mark.parametrize("name", sorted(STREAM_FILES))
def test_binance_net_stream_fixture(name: str) -> None:
    request, received, event = _script(name)
    protocol = BinanceStreamProtocol("spot-stream")
    stream = request["params"][0]
    request_id, frame = protocol.subscribe([stream])
    assert json.loads(frame) == {**request, "id": request_id}
    (reply,) = protocol.receive(received[0].replace('"id": 1', f'"id": {request_id}'))
    assert reply == Reply(request_id, None)
    updates = protocol.receive(json.dumps(event))
    expected = STREAM_FILES[name]
    if expected is None:
        assert updates == ()  # logged and skipped, not an error
        return
    payloads = event["data"] if isinstance(event["data"], list) else [event["data"]]
    assert len(updates) == len(payloads)
    for update, payload in zip(updates, payloads):
        assert isinstance(update, Update) and update.key == ("spot-stream", event["stream"])
        assert isinstance(update.data, expected) and type(update.data).__qualname__ == expected.__qualname__
        assert update.symbol == (payload.get("s") or payload.get("ps") or stream.split("@")[0]).upper() or \
            update.symbol == stream.split("@")[0].upper()
        _check_fields(update.data, payload)


def _examples() -> list[dict[str, Any]]:
    path = fixture_path("binance", "connector-python", "stream_examples.json")
    examples: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["examples"]
    return examples


_NAMES = {"<symbol>": "btcusdt", "<pair>": "btcusd", "<contractType>": "perpetual", "<interval>": "1m",
          "<updateSpeed>": "100ms", "<levels>": "5", "<windowSize>": "1h"}
#: SDK examples for streams exwire does not subscribe to (skipped by the codec, logged once)
_NOT_OFFERED = ("blockTrade", "referencePrice", "assetIndex", "compositeIndex", "contractInfo", "tradingSession",
                "rpiDepth", "indexPrice", "markPriceKline")


def test_connector_python_examples() -> None:
    decoded = skipped = malformed = 0
    for example in _examples():
        stream = example["stream"]
        for placeholder, value in _NAMES.items():
            stream = stream.replace(placeholder, value)
        protocol = BinanceStreamProtocol("usdm-market")
        frame = json.dumps({"stream": stream, "data": example["payload"]})
        if any(kind in stream for kind in _NOT_OFFERED):
            assert protocol.receive(frame) == ()
            skipped += 1
            continue
        try:
            updates = protocol.receive(frame)
        except DecodeError:
            # The SDK's generated stubs leave required fields out (a trade without p/q, a
            # level without its quantity): a real frame like that is malformed.
            payload = example["payload"]
            assert example["product"] == "spot" or any(len(level) < 2 for level in payload.get("b", [])), stream
            malformed += 1
            continue
        payloads = example["payload"] if isinstance(example["payload"], list) else [example["payload"]]
        assert len(updates) == len(payloads)
        for update, payload in zip(updates, payloads):
            assert isinstance(update, Update)
            _check_fields(update.data, payload)
        decoded += 1
    assert decoded >= 35 and skipped >= 9 and malformed <= 8, (decoded, skipped, malformed)


def test_refusal_is_invalid_request_and_shutdown_reconnects() -> None:
    protocol = BinanceStreamProtocol("spot-stream")
    (reply,) = protocol.receive('{"error":{"code":2,"msg":"Invalid request: invalid stream"},"id":7}')
    assert isinstance(reply, Reply) and reply.key == 7 and isinstance(reply.error, InvalidRequest)
    assert reply.error.code == 2 and "invalid stream" in reply.error.message
    (listing,) = protocol.receive('{"result":["btcusdt@trade"],"id":8}')
    assert listing == Reply(8, ["btcusdt@trade"])
    for frame in ('{"e":"serverShutdown","E":1770123456789}',
                  '{"stream":"!serverShutdown","data":{"e":"serverShutdown","E":1770123456789}}'):
        (failure,) = protocol.receive(frame)
        assert type(failure).__name__ == "Failure"
    for bad in ("not json", "[1]", '{"stream":"btcusdt@trade","data":{"e":"trade","s":"X"}}', '{"x":1}'):
        with pytest.raises(DecodeError):
            protocol.receive(bad)


@pytest.mark.parametrize("stream, route", [
    ("btcusdt@bookTicker", "usdm-public"), ("!bookTicker", "usdm-public"), ("btcusdt@depth@100ms", "usdm-public"),
    ("btcusdt@depth5@500ms", "usdm-public"), ("btcusdt@trade", "usdm-public"), ("btcusdt@rpiDepth@500ms", "usdm-public"),
    ("btcusdt@aggTrade", "usdm-market"), ("!markPrice@arr@1s", "usdm-market"), ("!forceOrder@arr", "usdm-market"),
    ("btcusdt_perpetual@continuousKline_1m", "usdm-market"), ("!ticker@arr", "usdm-market"),
    ("btcusdt@kline_1m", "usdm-market"),
])
def test_usdm_streams_take_the_documented_route(stream: str, route: str) -> None:
    from exwire.binance._stream_engine import route_name
    from exwire.binance.enums import FuturesMarket

    assert route_name(FuturesMarket.USDM, stream) == route
    assert route_name(FuturesMarket.COINM, stream) == "coinm-stream"
    assert route_name(None, stream) == "spot-stream"
