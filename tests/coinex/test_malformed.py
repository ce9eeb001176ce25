"""CoinEx frames of the wrong shape: ``receive`` raises ``DecodeError``, never anything else."""

from __future__ import annotations

import json

import pytest

from exwire.coinex.protocol import CoinexProtocol
from exwire.errors import DecodeError

DEEP = "[" * 100_000 + "]" * 100_000


@pytest.fixture
def protocol():
    protocol = CoinexProtocol()
    protocol.subscribe("depth", [("depth", "BTCUSDT", 20, "0")])
    protocol.subscribe("kline", [("kline", "BTCUSDT", 60)])
    protocol.subscribe("deals", [("deals", "BTCUSDT")])
    return protocol


def test_deeply_nested_arrays_are_a_decode_error(protocol):
    with pytest.raises(DecodeError):
        protocol.receive(DEEP)
    with pytest.raises(DecodeError):
        protocol.receive(DEEP.encode())


@pytest.mark.parametrize("params", [
    [True, {}, ["BTCUSDT"]],
    [True, {}, {"a": 1}],
    [False, {}, 5],
    [True, {"asks": 5}, "BTCUSDT"],
    [True, {"asks": [[{"a": 1}, "1"]]}, "BTCUSDT"],
])
def test_a_depth_update_with_a_malformed_market_or_book_is_a_decode_error(protocol, params):
    frame = json.dumps({"method": "depth.update", "params": params, "id": None})
    with pytest.raises(DecodeError):
        protocol.receive(frame)


@pytest.mark.parametrize("message", [
    {"method": "deals.update", "params": ["BTCUSDT", 5]},
    {"method": "deals.update", "params": ["BTCUSDT", [{"a": 1}]]},
    {"method": "kline.update", "params": [5]},
    {"method": "kline.update", "params": [[{"a": 1}]]},
    {"method": "state.update", "params": [5]},
    {"method": "state.update", "params": [{"BTCUSDT": 5}]},
    {"method": "order.update", "params": [1, {"market": ["x"]}]},
    {"method": "asset.update", "params": [{"BTC": 5}]},
    {"method": ["depth.update"], "params": []},
    {"method": {"a": 1}, "params": []},
])
def test_a_malformed_push_is_a_decode_error_or_ignored(protocol, message):
    try:
        protocol.receive(json.dumps(message))
    except DecodeError:
        pass


@pytest.mark.parametrize("error", [{"code": {"a": 1}, "message": "x"}, {"code": [1]}, 5, [1]])
def test_a_malformed_error_still_fails_its_request(protocol, error):
    request_id, _ = protocol.request("server.time")
    events = protocol.receive(json.dumps({"id": request_id, "error": error, "result": None}))
    assert events[0].key == request_id and events[0].error is not None
