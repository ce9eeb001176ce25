"""Binance frames of the wrong shape: ``receive`` raises ``DecodeError`` (keyed to the
request the frame answers, when it names one), never anything else."""

from __future__ import annotations

import json

import pytest

from exwire._core.lazy import LAST_EPOCH_MS
from exwire._core.protocol import Reply
from exwire.binance.protocol import USER_DATA_KEY, BinanceProtocol
from exwire.errors import DecodeError

DEEP = "[" * 100_000 + "]" * 100_000
WEIGHT = {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000, "count": 70}


@pytest.fixture(params=["spot", "usdm", "coinm"])
def protocol(request):
    return BinanceProtocol(now_ms=lambda: 1_659_146_000_000, product=request.param)


def test_deeply_nested_arrays_are_a_decode_error(protocol):
    with pytest.raises(DecodeError):
        protocol.receive(DEEP)
    with pytest.raises(DecodeError):
        protocol.receive('{"id":1,"status":200,"result":' + DEEP + "}")


@pytest.mark.parametrize("limits", [
    5,
    "x",
    True,
    [5],
    [{**WEIGHT, "interval": {"a": 1}}],
    [{**WEIGHT, "interval": ["MINUTE"]}],
    [{**WEIGHT, "rateLimitType": {"a": 1}}],
    [{**WEIGHT, "intervalNum": {"a": 1}}],
    {"a": 1},
])
def test_malformed_rate_limits_fail_the_request_at_once(protocol, limits):
    request_id, _ = protocol.request("ping")
    frame = json.dumps({"id": request_id, "status": 200, "result": {}, "rateLimits": limits})
    with pytest.raises(DecodeError) as caught:
        protocol.receive(frame)
    assert caught.value.key == request_id


def test_well_formed_rate_limits_still_reply(protocol):
    request_id, _ = protocol.request("ping")
    frame = json.dumps({"id": request_id, "status": 200, "result": {}, "rateLimits": [WEIGHT]})
    assert protocol.receive(frame) == (Reply(request_id, {}),)
    assert protocol.rate_limits[0].limit == 6000


@pytest.mark.parametrize("server_time", ["abc", None, {"a": 1}, [1], "1.5e400", True, 10**16, -10**16, 1.5])
def test_a_malformed_server_time_fails_the_time_request_with_a_decode_error(server_time):
    protocol = BinanceProtocol()
    request_id, _ = protocol.request("time")
    frame = json.dumps({"id": request_id, "status": 200, "result": {"serverTime": server_time}})
    with pytest.raises(DecodeError) as caught:
        protocol.receive(frame)
    assert caught.value.key == request_id


def test_a_time_result_that_is_not_an_object_is_a_decode_error():
    protocol = BinanceProtocol()
    request_id, _ = protocol.request("time")
    with pytest.raises(DecodeError) as caught:
        protocol.receive(json.dumps({"id": request_id, "status": 200, "result": [1]}))
    assert caught.value.key == request_id


@pytest.mark.parametrize("server_time", [1_656_400_526_260, 0, LAST_EPOCH_MS, -1])
def test_a_well_formed_server_time_replies(server_time):
    """Times in ``datetime``'s range reply, the usual ones checked without building one."""
    protocol = BinanceProtocol()
    request_id, _ = protocol.request("time")
    frame = json.dumps({"id": request_id, "status": 200, "result": {"serverTime": server_time}})
    assert protocol.receive(frame) == (Reply(request_id, {"serverTime": server_time}),)


@pytest.mark.parametrize("request_id", [{"a": 1}, [1], 1.5, True])
def test_an_id_that_is_neither_integer_nor_string_answers_no_request(protocol, request_id):
    frame = json.dumps({"id": request_id, "status": 200, "result": None})
    try:
        events = protocol.receive(frame)
    except DecodeError as exc:
        hash(exc.key)
    else:
        assert not any(isinstance(event, Reply) for event in events)
    frame = json.dumps({"id": request_id, "status": 400, "error": {"code": -1100, "msg": "bad"}})
    try:
        events = protocol.receive(frame)
    except DecodeError as exc:
        hash(exc.key)
    else:
        assert not any(isinstance(event, Reply) for event in events)


@pytest.mark.parametrize("subscription_id", [{"a": 1}, [0], None, "0", 1.5])
def test_an_event_with_a_malformed_subscription_id_is_skipped_or_a_decode_error(protocol, subscription_id):
    frame = json.dumps({"subscriptionId": subscription_id, "event": {"e": "balanceUpdate", "E": 1}})
    try:
        assert protocol.receive(frame) == ()
    except DecodeError:
        pass


@pytest.mark.parametrize("result", [{"subscriptionId": {"a": 1}}, {"subscriptionId": [1]}, [1], "x"])
def test_a_malformed_subscribe_result_does_not_break_the_protocol(protocol, result):
    request_id, _ = protocol.subscribe_user_data(USER_DATA_KEY)
    frame = json.dumps({"id": request_id, "status": 200, "result": result})
    try:
        protocol.receive(frame)
    except DecodeError as exc:
        assert exc.key == request_id


@pytest.mark.parametrize("event", [
    {"e": "executionReport", "E": "x"},
    {"e": "balanceUpdate", "E": {"a": 1}, "a": 5, "d": [], "T": None},
    {"e": ["x"]},
    {"e": {"a": 1}},
    {"e": "outboundAccountPosition", "B": 5},
    {"e": "listStatus", "O": [5]},
    {"e": "eventStreamTerminated", "E": "x"},
])
def test_a_malformed_user_data_event_is_a_decode_error(protocol, event):
    request_id, _ = protocol.subscribe_user_data(USER_DATA_KEY)
    protocol.receive(json.dumps({"id": request_id, "status": 200, "result": {"subscriptionId": 0}}))
    try:
        protocol.receive(json.dumps({"subscriptionId": 0, "event": event}))
    except DecodeError:
        pass


@pytest.mark.parametrize("error", [5, [1], {"code": {"a": 1}, "msg": ["x"]}, {"code": -1003, "data": 5},
                                   {"code": -1003, "msg": "x", "data": {"retryAfter": "x", "serverTime": []}},
                                   {"code": -1003, "msg": "x", "data": {"retryAfter": 1e400}}])
def test_a_malformed_error_object_still_fails_its_request(protocol, error):
    request_id, _ = protocol.request("ping")
    frame = json.dumps({"id": request_id, "status": 429, "error": error}).replace("Infinity", "1e400")
    try:
        events = protocol.receive(frame)
    except DecodeError as exc:
        assert exc.key == request_id
    else:
        assert len(events) == 1 and events[0].key == request_id and events[0].error is not None
