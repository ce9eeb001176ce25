"""Binance WS API protocol, sans-I/O: request → frame, frame → events, the error table."""

from __future__ import annotations

import json

import pytest

from exwire._core.protocol import Ended, Failure, Pong, Reply, Update
from exwire.binance import converter as binance_converter
from exwire.binance.enums import RateLimitType
from exwire.binance.events import BalanceUpdate, EventStreamTerminated, UnknownEvent
from exwire.binance.protocol import USER_DATA_KEY, BinanceProtocol, map_error
from exwire.binance.signing import HmacSigner
from exwire.errors import (
    AuthenticationError,
    ConnectionClosed,
    DecodeError,
    ExchangeError,
    ExchangeUnavailable,
    InsufficientFunds,
    InvalidRequest,
    OrderNotFound,
    RateLimited,
)
from tests.binance.test_signing import API_KEY, HMAC_VECTORS, SECRET

WEIGHT = {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000, "count": 70}


@pytest.fixture
def protocol():
    return BinanceProtocol(now_ms=lambda: 1_659_146_000_000)


def test_public_request_frame_has_id_method_and_params(protocol):
    request_id, frame = protocol.request("depth", {"symbol": "BNBBTC", "limit": 5})
    assert json.loads(frame) == {"id": request_id, "method": "depth", "params": {"symbol": "BNBBTC", "limit": 5}}
    second, frame = protocol.request("time")
    assert second == request_id + 1
    assert json.loads(frame) == {"id": second, "method": "time"}  # no empty params


@pytest.mark.parametrize("method", ["time", "ping", "exchangeInfo", "m\u00e9thode \"\\\n\u2028\x01"])
def test_request_frames_are_exactly_what_json_dumps_writes(protocol, method):
    """The parameterless frame is written from a template and the rest by a prebuilt
    encoder: byte for byte what ``json.dumps`` with the compact separators would send."""
    def dumps(message):
        return json.dumps(message, separators=(",", ":"), ensure_ascii=False)

    for _ in range(2):  # the method's quoted text computed, then reused
        request_id, frame = protocol.request(method)
        assert frame == dumps({"id": request_id, "method": method})
    params = {"symbol": "BTCUSDT", "note": "\u00e9\t\"\\", "count": 2**63 - 1, "ratio": 1e16, "flag": True, "list": [1, None]}
    request_id, frame = protocol.request(method, params, timestamp_ms=1660801715431)
    assert frame == dumps({"id": request_id, "method": method, "params": {**params, "timestamp": 1660801715431}})


def test_signed_request_reproduces_the_published_order_place_signature(protocol):
    params = {"symbol": "BTCUSDT", "side": "SELL", "type": "LIMIT", "timeInForce": "GTC",
              "quantity": "0.00847000", "price": "23416.10000000"}
    _, frame = protocol.request("order.place", params, signer=HmacSigner(API_KEY, SECRET),
                                timestamp_ms=1660801715431)
    sent = json.loads(frame)["params"]
    assert sent["apiKey"] == API_KEY and sent["timestamp"] == 1660801715431
    assert sent["signature"] == HMAC_VECTORS[3][1]
    assert sent["price"] == "23416.10000000"  # the JSON carries exactly what was signed


def test_logged_on_request_carries_timestamp_but_no_key_or_signature(protocol):
    _, frame = protocol.request("account.status", {}, timestamp_ms=1660801839480, recv_window_ms=100)
    assert json.loads(frame)["params"] == {"timestamp": 1660801839480, "recvWindow": 100}


def test_success_reply_completes_by_id_and_records_rate_limits(protocol):
    frame = json.dumps({"id": 7, "status": 200, "result": {"serverTime": 1656400526260}, "rateLimits": [WEIGHT]})
    (reply,) = protocol.receive(frame)
    assert reply == Reply(7, {"serverTime": 1656400526260})
    (limit,) = protocol.rate_limits
    assert limit.rate_limit_type is RateLimitType.REQUEST_WEIGHT and limit.count == 70


def test_repeated_rate_limits_reuse_their_objects_and_changed_ones_are_merged(protocol):
    def reply(request_id, *limits):
        protocol.receive(json.dumps({"id": request_id, "status": 200, "result": {}, "rateLimits": list(limits)}))
        return protocol.rate_limits

    first = reply(1, WEIGHT)
    assert reply(2, dict(WEIGHT)) is first  # equal values: the same objects, nothing merged again
    (moved,) = reply(3, {**WEIGHT, "count": 71})
    assert moved.count == 71
    (back,) = reply(4, WEIGHT)
    assert back is first[0] and back.count == 70
    # Keyed by exact types only: a count of true or 70.0 never reuses the integer's object.
    for odd in (True, 70.0):
        (limit,) = reply(5, {**WEIGHT, "count": odd})
        assert limit is not first[0]


def test_rate_limits_are_built_when_read_and_kept_until_they_change(protocol, monkeypatch):
    # Every response moves the weight's count: the reader keeps the checked wire values, and
    # the models are built on the first read after a change, once.
    built = []
    of_wire = binance_converter.rate_limit_of_wire
    monkeypatch.setattr(binance_converter, "rate_limit_of_wire", lambda wire: built.append(wire) or of_wire(wire))
    for count in range(100, 110):
        protocol.receive(json.dumps({"id": count, "status": 200, "result": {}, "rateLimits": [{**WEIGHT, "count": count}]}))
    assert built == []
    first = protocol.rate_limits
    assert [limit.count for limit in first] == [109] and protocol.rate_limits is first and len(built) == 1
    protocol.receive(json.dumps({"id": 110, "status": 200, "result": {}, "rateLimits": [{**WEIGHT, "count": 110}]}))
    assert [limit.count for limit in protocol.rate_limits] == [110]


def test_rate_limits_merge_by_window(protocol):
    orders = {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 50, "count": 13}
    protocol.receive(json.dumps({"id": 1, "status": 200, "result": {}, "rateLimits": [orders, WEIGHT]}))
    protocol.receive(json.dumps({"id": 2, "status": 200, "result": {}, "rateLimits": [{**WEIGHT, "count": 71}]}))
    counts = {(r.rate_limit_type.value, r.interval.value): r.count for r in protocol.rate_limits}
    assert counts == {("ORDERS", "SECOND"): 13, ("REQUEST_WEIGHT", "MINUTE"): 71}


def test_error_reply_maps_through_the_table(protocol):
    frame = json.dumps({"id": "x", "status": 400, "error": {
        "code": -2010, "msg": "Account has insufficient balance for requested action."}})
    (reply,) = protocol.receive(frame)
    assert reply.key == "x" and isinstance(reply.error, InsufficientFunds)
    assert reply.error.code == -2010 and reply.error.status == 400 and reply.error.raw == frame


@pytest.mark.parametrize(("code", "message", "status", "expected"), [
    (-1021, "Timestamp for this request is outside of the recvWindow.", 400, AuthenticationError),
    (-1022, "Signature for this request is not valid.", 400, AuthenticationError),
    (-2015, "Invalid API-key, IP, or permissions for action.", 401, AuthenticationError),
    (-2014, "API-key format invalid.", 401, AuthenticationError),
    (-2010, "Account has insufficient balance for requested action.", 400, InsufficientFunds),
    (-2010, "Order would immediately match and take.", 400, InvalidRequest),
    (-2011, "Unknown order sent.", 400, OrderNotFound),
    (-2011, "Order was not canceled due to cancel restrictions.", 400, InvalidRequest),
    (-2013, "Order does not exist.", 400, OrderNotFound),
    (-2026, "Order was canceled or expired", 400, OrderNotFound),
    (-1003, "Too much request weight used", 429, RateLimited),
    (-1015, "Too many new orders; current limit is 50 orders per 10 SECOND.", 429, RateLimited),
    (-1007, "Timeout waiting for response from backend server. Send status unknown", 408, ExchangeUnavailable),
    (-1102, "Mandatory parameter 'quantity' was not sent", 400, InvalidRequest),
    (-1121, "Invalid symbol.", 400, InvalidRequest),
    (-1013, "Filter failure: LOT_SIZE", 400, InvalidRequest),
    (-2021, "Order cancel-replace partially failed.", 409, InvalidRequest),
    (-2035, "User Data Stream subscription already active.", 400, InvalidRequest),
    (None, "", 503, ExchangeUnavailable),
    (None, "", 403, InvalidRequest),
    (-9999, "something new", 200, ExchangeError),
])
def test_error_table(code, message, status, expected):
    error = map_error({"code": code, "msg": message}, status)
    assert type(error) is expected
    assert error.exchange == "binance" and error.code == code


def test_ip_ban_carries_retry_after_from_error_data():
    # §11 IP-ban example (418).
    error = map_error({"code": -1003, "msg": "Way too much request weight used; IP banned until 1659146400000. "
                                             "Please use WebSocket Streams for live updates to avoid bans.",
                       "data": {"serverTime": 1659142907531, "retryAfter": 1659146400000}}, 418)
    assert isinstance(error, RateLimited)
    assert error.retry_after == pytest.approx(3492.469)
    assert error.data["retryAfter"] == 1659146400000


def test_retry_after_without_server_time_uses_the_clock_or_the_message():
    error = map_error({"code": -1003, "msg": "x", "data": {"retryAfter": 1_659_146_010_000}}, 429,
                      now_ms=lambda: 1_659_146_000_000)
    assert error.retry_after == pytest.approx(10.0)
    error = map_error({"code": -1003, "msg": "IP banned until 1659146400000."}, 418, now_ms=lambda: 1659146399000)
    assert error.retry_after == pytest.approx(1.0)
    assert map_error({"code": -1015, "msg": "Too many new orders"}, 429).retry_after is None


def test_error_object_inside_a_200_result_is_an_error(protocol):
    (reply,) = protocol.receive(json.dumps({"id": 3, "status": 200, "result": {
        "code": -2043, "msg": "This symbol doesn't have a reference price."}}))
    assert isinstance(reply.error, InvalidRequest) and reply.error.code == -2043


def test_unattributed_auth_error_forces_a_reconnect(protocol):
    (event,) = protocol.receive(json.dumps({"id": None, "status": 401, "error": {
        "code": -2015, "msg": "Invalid API-key, IP, or permissions for action."}}))
    assert isinstance(event, Failure) and isinstance(event.error, AuthenticationError)
    assert protocol.receive(json.dumps({"id": None, "status": 400, "error": {"code": -1100, "msg": "x"}})) == ()


def test_server_shutdown_forces_a_reconnect(protocol):
    (event,) = protocol.receive('{"event":{"e":"serverShutdown","E":1770123456789}}')
    assert isinstance(event, Failure) and isinstance(event.error, ConnectionClosed)


def test_user_data_events_route_by_subscription_id(protocol):
    request_id, frame = protocol.subscribe_user_data(USER_DATA_KEY, signer=HmacSigner(API_KEY, SECRET),
                                                     timestamp_ms=1770146786002)
    sent = json.loads(frame)
    assert sent["method"] == "userDataStream.subscribe.signature"
    assert set(sent["params"]) == {"apiKey", "timestamp", "signature"}
    event = {"subscriptionId": 4, "event": {"e": "balanceUpdate", "E": 1573200697110, "a": "BTC",
                                            "d": "100.00000000", "T": 1573200697068}}
    assert protocol.receive(json.dumps(event)) == ()  # not subscribed yet: nobody to route to
    (reply,) = protocol.receive(json.dumps({"id": request_id, "status": 200, "result": {"subscriptionId": 4}}))
    assert reply.result == {"subscriptionId": 4} and protocol.subscription_id(USER_DATA_KEY) == 4
    (update,) = protocol.receive(json.dumps(event))
    assert isinstance(update, Update) and update.key == USER_DATA_KEY
    assert isinstance(update.data, BalanceUpdate) and str(update.data.delta) == "100.00000000"
    (update, ended) = protocol.receive('{"subscriptionId":4,"event":{"e":"eventStreamTerminated","E":1}}')
    assert isinstance(update.data, EventStreamTerminated) and ended == Ended(USER_DATA_KEY, None)
    assert protocol.subscription_id(USER_DATA_KEY) is None


def test_logged_on_subscribe_has_no_params_and_unsubscribe_names_the_id(protocol):
    request_id, frame = protocol.subscribe_user_data(USER_DATA_KEY)
    assert json.loads(frame) == {"id": request_id, "method": "userDataStream.subscribe"}
    protocol.receive(json.dumps({"id": request_id, "status": 200, "result": {"subscriptionId": 0}}))
    _, frame = protocol.unsubscribe_user_data(USER_DATA_KEY)
    assert json.loads(frame)["params"] == {"subscriptionId": 0}
    assert protocol.unsubscribe_user_data(USER_DATA_KEY) is None


def test_refused_subscribe_maps_nothing(protocol):
    request_id, _ = protocol.subscribe_user_data(USER_DATA_KEY)
    (reply,) = protocol.receive(json.dumps({"id": request_id, "status": 400, "error": {
        "code": -2035, "msg": "User Data Stream subscription already active."}}))
    assert isinstance(reply.error, InvalidRequest) and protocol.subscription_id(USER_DATA_KEY) is None


def test_connection_lost_forgets_subscription_ids(protocol):
    request_id, _ = protocol.subscribe_user_data(USER_DATA_KEY)
    protocol.receive(json.dumps({"id": request_id, "status": 200, "result": {"subscriptionId": 0}}))
    protocol.connection_lost(ConnectionClosed("gone"))
    assert protocol.subscription_id(USER_DATA_KEY) is None
    assert protocol.unsubscribe_user_data(USER_DATA_KEY) is None  # nothing left to unsubscribe
    assert protocol.receive('{"subscriptionId":0,"event":{"e":"balanceUpdate","E":1}}') == ()


def test_lifecycle_abandoned_subscribe_maps_nothing_and_keeps_the_connection(protocol):
    protocol.connection_made()
    request_id, frame = protocol.subscribe_user_data(USER_DATA_KEY)
    protocol.sent(request_id, frame)
    assert protocol.abandoned(request_id) is False  # replies carry their id: still trusted
    (late,) = protocol.receive(json.dumps({"id": request_id, "status": 200, "result": {"subscriptionId": 7}}))
    assert late == Reply(request_id, {"subscriptionId": 7})  # completes nothing in the Connection
    assert protocol.subscription_id(USER_DATA_KEY) is None  # and maps no subscription
    again, frame = protocol.subscribe_user_data(USER_DATA_KEY)
    protocol.sent(again, frame)
    protocol.receive(json.dumps({"id": again, "status": 200, "result": {"subscriptionId": 8}}))
    assert protocol.subscription_id(USER_DATA_KEY) == 8


def test_lifecycle_abandoned_time_request_drops_its_result_check(protocol):
    request_id, _ = protocol.request("time")
    assert protocol.abandoned(request_id) is False
    # The late reply is not checked any more (a malformed one raises no DecodeError).
    (late,) = protocol.receive(json.dumps({"id": request_id, "status": 200, "result": {}}))
    assert late == Reply(request_id, {})


def test_lifecycle_connection_lost_forgets_pending_subscribes_and_keepalives(protocol):
    ping = json.loads(protocol.ping_frame())["id"]
    request_id, _ = protocol.subscribe_user_data(USER_DATA_KEY)
    protocol.connection_lost(ConnectionClosed("gone"))
    protocol.connection_made()
    (reply,) = protocol.receive(json.dumps({"id": request_id, "status": 200, "result": {"subscriptionId": 3}}))
    assert protocol.subscription_id(USER_DATA_KEY) is None
    (reply,) = protocol.receive(json.dumps({"id": ping, "status": 200, "result": {}}))
    assert reply == Reply(ping, {})  # an old ping's reply is no pong of this connection


def test_unknown_event_is_kept(protocol):
    request_id, _ = protocol.subscribe_user_data(USER_DATA_KEY)
    protocol.receive(json.dumps({"id": request_id, "status": 200, "result": {"subscriptionId": 0}}))
    (update,) = protocol.receive('{"subscriptionId":0,"event":{"e":"somethingNew","E":5,"x":1}}')
    assert isinstance(update.data, UnknownEvent) and update.data.data["x"] == 1


def test_keepalive_ping_reply_is_a_pong(protocol):
    frame = protocol.ping_frame()
    request_id = json.loads(frame)["id"]
    assert json.loads(frame)["method"] == "ping"
    assert protocol.receive(json.dumps({"id": request_id, "status": 200, "result": {}})) == (Pong(),)


@pytest.mark.parametrize("frame", ["not json", "[1,2]", '{"foo": 1}'])
def test_malformed_frames_raise_decode_error(protocol, frame):
    with pytest.raises(DecodeError):
        protocol.receive(frame)
