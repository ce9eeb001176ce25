"""Kraken frames of the wrong shape: ``receive`` raises ``DecodeError``, never anything else."""

from __future__ import annotations

import json

import pytest

from exwire._core.protocol import Reply
from exwire.errors import DecodeError
from exwire.kraken.protocol import KrakenProtocol

DEEP = "[" * 100_000 + "]" * 100_000


@pytest.fixture
def protocol():
    return KrakenProtocol()


def test_deeply_nested_arrays_are_a_decode_error(protocol):
    with pytest.raises(DecodeError):
        protocol.receive(DEEP)
    with pytest.raises(DecodeError):
        protocol.receive(DEEP.encode())


@pytest.mark.parametrize("frame", [
    '[4,["5698.4","5700.0"],"spread"]',
    '[4,["5698.4"],5,"XBT/USD"]',
    '[4,["5698.4"],null,"XBT/USD"]',
    '[4,["5698.4"],"spread",["XBT/USD"]]',
    '[4,["5698.4"],"ticker",{"a":1},"XBT/USD"]',
    '[4,{"a":1},"ohlc-x","XBT/USD"]',
    '[[{"x":1}],5,{"sequence":1}]',
    '[[{"x":1}],["openOrders"],{"sequence":1}]',
])
def test_a_channel_array_of_the_wrong_shape_is_a_decode_error(protocol, frame):
    with pytest.raises(DecodeError):
        protocol.receive(frame)


@pytest.mark.parametrize("reqid", [{"x": 1}, [1], "7", 1.5, True])
def test_a_pong_whose_reqid_is_not_an_integer_answers_no_request(protocol, reqid):
    frame = json.dumps({"event": "pong", "reqid": reqid})
    try:
        events = protocol.receive(frame)
    except DecodeError as exc:
        assert exc.key is None
    else:
        assert not any(isinstance(event, Reply) for event in events)


@pytest.mark.parametrize("message", [
    {"event": "addOrderStatus", "status": "error", "errorMessage": "EOrder:Unknown order", "reqid": [1]},
    {"event": "subscriptionStatus", "status": "error", "errorMessage": "x", "channelName": ["t"], "pair": {}},
    {"event": "subscriptionStatus", "status": "unsubscribed", "channelName": "ticker", "pair": ["XBT/USD"]},
    {"event": "subscriptionStatus", "status": "subscribed", "channelName": {"a": 1}, "reqid": 3},
    {"event": "addOrderStatus", "status": "ok", "reqid": {"a": 1}},
])
def test_unhashable_correlation_or_routing_keys_are_never_emitted(protocol, message):
    try:
        events = protocol.receive(json.dumps(message))
    except DecodeError as exc:
        hash(exc.key)
    else:
        for event in events:
            hash(event[0])


def test_a_malformed_reply_names_its_request(protocol):
    request_id, _ = protocol.subscribe("ticker", ["XBT/USD"])
    frame = json.dumps({"event": "subscriptionStatus", "status": "subscribed", "reqid": request_id,
                        "subscription": {"name": "ticker", "depth": "x"}})
    with pytest.raises(DecodeError) as caught:
        protocol.receive(frame)
    assert caught.value.key == request_id
