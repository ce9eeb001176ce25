"""Kraken v1 private side, sans-I/O: trading frames out, private pushes and replies in (kraken.md §7-§9)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from exwire._core.protocol import Reply, Update
from exwire.errors import AuthenticationError, DecodeError, ExchangeError, InvalidRequest, OrderNotFound
from exwire.kraken import converter
from exwire.kraken.models import OrderStatus, OrderUpdate, OwnTrade
from exwire.kraken.protocol import (
    ERROR_TABLE,
    ORDER_UPDATES_KEY,
    OWN_TRADES_KEY,
    KrakenProtocol,
    is_token_error,
    map_error,
)
from exwire.models import Side, UpdateType
from tests.conftest import fixture_path

TOKEN = "0000000000000000000000000000000000000000"


@pytest.fixture
def protocol():
    return KrakenProtocol()


def ack(channel: str, reqid: int, status: str = "subscribed") -> str:
    return json.dumps({"channelName": channel, "event": "subscriptionStatus", "reqid": reqid, "status": status,
                       "subscription": {"name": channel}})


def test_trading_request_carries_event_token_and_reqid(protocol):
    reqid, frame = protocol.trading_request("addOrder", TOKEN, {"ordertype": "limit", "type": "buy",
                                                                "pair": "XBT/USD", "price": "9000", "volume": "10.123"})
    assert json.loads(frame) == {"event": "addOrder", "token": TOKEN, "reqid": reqid, "ordertype": "limit",
                                 "type": "buy", "pair": "XBT/USD", "price": "9000", "volume": "10.123"}
    second, frame = protocol.trading_request("cancelOrder", TOKEN, {"txid": ["OGTT3Y-C6I3P-XRI6HX"]})
    assert second == reqid + 1 and json.loads(frame)["txid"] == ["OGTT3Y-C6I3P-XRI6HX"]


def test_private_subscribe_frame_has_token_and_no_pair(protocol):
    reqid, frame = protocol.subscribe("ownTrades", None, token=TOKEN, extra={"snapshot": False})
    assert json.loads(frame) == {"event": "subscribe", "reqid": reqid,
                                 "subscription": {"name": "ownTrades", "token": TOKEN, "snapshot": False}}


def test_first_push_after_the_ack_is_the_snapshot(protocol):
    reqid, _ = protocol.subscribe("openOrders", None, token=TOKEN)
    (reply,) = protocol.receive(ack("openOrders", reqid))
    assert reply.key == reqid and reply.result.channel_name == "openOrders"
    (snapshot,) = protocol.receive('[[],"openOrders",{"sequence":1}]')
    assert snapshot == Update(ORDER_UPDATES_KEY, [], None, UpdateType.SNAPSHOT)
    (update,) = protocol.receive('[[{"OGTT3Y-C6I3P-XRI6HX":{"status":"closed"}}],"openOrders",{"sequence":2}]')
    assert update.update_type is UpdateType.UPDATE and update.symbol is None
    assert update.data == [OrderUpdate(order_id="OGTT3Y-C6I3P-XRI6HX", status=OrderStatus.CLOSED, sequence=2)]


def test_own_trades_without_snapshot_start_with_updates(protocol):
    reqid, _ = protocol.subscribe("ownTrades", None, token=TOKEN, extra={"snapshot": False})
    protocol.receive(ack("ownTrades", reqid))
    trade = {"T1": {"cost": "1.0", "fee": "0.1", "ordertxid": "O1", "ordertype": "market", "pair": "XBT/USD",
                    "postxid": "P1", "price": "10.0", "time": "1560516023.070651", "type": "buy", "vol": "0.1"}}
    (update,) = protocol.receive(json.dumps([[trade], "ownTrades", {"sequence": 1}]))
    assert update.key == OWN_TRADES_KEY and update.update_type is UpdateType.UPDATE
    assert isinstance(update.data[0], OwnTrade) and update.data[0].price == Decimal("10.0")


def test_kraken_net_samples_decode_as_private_pushes(protocol):
    orders = json.loads(fixture_path("kraken", "kraken-net", "OpenOrdersUpdate.txt").read_text("utf-8-sig"))
    trades = json.loads(fixture_path("kraken", "kraken-net", "OwnTradeUpdate.txt").read_text("utf-8-sig"))
    (update,) = protocol.receive(json.dumps([orders, "openOrders", {"sequence": 234}]))
    assert [o.description.price for o in update.data] == [Decimal("34.50000"), Decimal("5334.60000"),
                                                         Decimal("90.40000"), Decimal("9.00000")]
    assert update.data[0].status is OrderStatus.OPEN and update.data[0].created_at is None
    (update,) = protocol.receive(json.dumps([trades, "ownTrades", {"sequence": 2948}]))
    assert [t.side for t in update.data] == [Side.SELL, Side.BUY, Side.SELL, Side.BUY]
    assert update.data[1].fee == Decimal("600.00000")


def test_malformed_private_pushes_raise_decode_error(protocol):
    with pytest.raises(DecodeError):
        protocol.receive('[[{"O1":{"status":"open"}}],"balances",{"sequence":1}]')
    with pytest.raises(DecodeError):
        protocol.receive('[[{"T1":{"pair":"XBT/USD"}}],"ownTrades",{"sequence":1}]')


def test_trading_replies_correlate_by_reqid_and_decode(protocol):
    (reply,) = protocol.receive('{"descr":"buy 0.01770000 XBTUSD @ limit 4000","event":"addOrderStatus",'
                                '"reqid":5,"status":"ok","txid":"ONPNXH-KMKMU-F4MR5V"}')
    placed = converter.placed_order_from_wire(reply.result, 42)
    assert (placed.order_id, placed.description, placed.user_reference) == (
        "ONPNXH-KMKMU-F4MR5V", "buy 0.01770000 XBTUSD @ limit 4000", 42)
    (reply,) = protocol.receive('{"count":2,"event":"cancelAllStatus","status":"ok","reqid":3}')
    assert converter.cancel_count_from_wire(reply.result) == 2
    (reply,) = protocol.receive('{"currentTime":"2020-12-21T09:37:09Z","event":"cancelAllOrdersAfterStatus",'
                                '"reqid":1608543428050,"status":"ok","triggerTime":"2020-12-21T09:38:09Z"}')
    result = converter.cancel_after_from_wire(reply.result)
    assert result.current_time == datetime(2020, 12, 21, 9, 37, 9, tzinfo=UTC)
    assert result.trigger_time == datetime(2020, 12, 21, 9, 38, 9, tzinfo=UTC)
    disabled = converter.cancel_after_from_wire({"currentTime": "2020-12-21T09:37:09Z", "triggerTime": "0"})
    assert disabled.trigger_time is None


def test_validate_only_reply_has_no_order_id():
    placed = converter.placed_order_from_wire({"descr": "buy 1 XBTUSD @ market", "status": "ok"})
    assert placed.order_id is None and placed.description == "buy 1 XBTUSD @ market"


def test_trading_error_is_mapped_and_token_errors_are_recognised(protocol):
    (reply,) = protocol.receive('{"errorMessage":"EOrder:Unknown order","event":"cancelOrderStatus",'
                                '"reqid":9,"status":"error"}')
    assert reply.key == 9 and isinstance(reply.error, OrderNotFound)
    (reply,) = protocol.receive('{"errorMessage":"EAPI:Invalid token","event":"addOrderStatus","reqid":4,"status":"error"}')
    assert isinstance(reply.error, AuthenticationError) and is_token_error(reply.error)
    assert is_token_error(map_error("ESession:Invalid session"))
    assert not is_token_error(map_error("EGeneral:Permission denied"))


def test_an_echoed_token_never_reaches_the_error(protocol):
    frame = json.dumps({"errorMessage": "ESession:Invalid session", "event": "subscriptionStatus", "reqid": 3,
                        "status": "error", "subscription": {"name": "ownTrades", "token": "SECRET-TOKEN-1"}})
    (reply,) = protocol.receive(frame)
    assert isinstance(reply, Reply) and isinstance(reply.error, AuthenticationError)
    assert "SECRET-TOKEN-1" not in (reply.error.raw or "") and "SECRET-TOKEN-1" not in str(reply.error)


@pytest.mark.parametrize(("prefix", "cls"), ERROR_TABLE)
def test_every_error_table_entry_maps_to_its_class(prefix, cls):
    error = map_error(prefix + ":detail")
    assert type(error) is cls and error.code == prefix + ":detail"


@pytest.mark.parametrize(("message", "cls"), [
    ("EQuery:Unknown asset pair", InvalidRequest),
    ("EOrder:Reduce only:Non-PC", InvalidRequest),
    ("EGeneral:Something new", ExchangeError),
])
def test_more_kraken_strings(message, cls):
    assert type(map_error(message)) is cls


def test_a_skipped_sequence_number_follows_the_update_as_a_gap_notice():
    from exwire.kraken.protocol import SEQUENCE_GAP, SequenceGap

    protocol = KrakenProtocol()
    reqid, _ = protocol.subscribe("ownTrades", None, token=TOKEN)
    protocol.receive(ack("ownTrades", reqid))
    (snapshot,) = protocol.receive('[[],"ownTrades",{"sequence":1}]')
    assert snapshot.update_type is UpdateType.SNAPSHOT
    (in_order,) = protocol.receive('[[],"ownTrades",{"sequence":2}]')
    assert in_order.key == OWN_TRADES_KEY
    update, notice = protocol.receive('[[],"ownTrades",{"sequence":5}]')
    assert update.key == OWN_TRADES_KEY and notice.key == ("ownTrades", SEQUENCE_GAP)
    assert isinstance(notice.data, SequenceGap) and (notice.data.expected, notice.data.received) == (3, 5)
    assert "from sequence 2 to 5" in str(notice.data)
    # A restarted numbering (a new subscription without snapshot) is no gap.
    (restart,) = protocol.receive('[[],"ownTrades",{"sequence":1}]')
    assert restart.key == OWN_TRADES_KEY
    with pytest.raises(DecodeError):
        protocol.receive('[[],"ownTrades",{"sequence":"7"}]')
