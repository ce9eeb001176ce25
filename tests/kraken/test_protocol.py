"""Kraken v1 protocol, sans-I/O: frames in → events out, requests → frames out."""

from __future__ import annotations

import json

import pytest

from exwire._core.protocol import Ended, Reply
from exwire.errors import (
    AuthenticationError,
    DecodeError,
    ExchangeError,
    ExchangeUnavailable,
    InsufficientFunds,
    InvalidRequest,
    OrderNotFound,
    RateLimited,
)
from exwire.kraken.models import BookUpdate, Kline, Spread, SystemStatus, Ticker, Trade
from exwire.kraken.protocol import SYSTEM_STATUS_KEY, KrakenProtocol, channel_name, map_error
from exwire.models import UpdateType


@pytest.fixture
def protocol():
    return KrakenProtocol()


def test_subscribe_frame_carries_reqid_pairs_and_parameters(protocol):
    request_id, frame = protocol.subscribe("book-25", ["XBT/USD", "ETH/USD"])
    assert json.loads(frame) == {
        "event": "subscribe",
        "reqid": request_id,
        "pair": ["XBT/USD", "ETH/USD"],
        "subscription": {"name": "book", "depth": 25},
    }
    second, frame = protocol.subscribe("ohlc-5", ["XBT/USD"], unsubscribe=True)
    assert second == request_id + 1
    assert json.loads(frame)["subscription"] == {"name": "ohlc", "interval": 5}
    assert json.loads(frame)["event"] == "unsubscribe"


def test_channel_names():
    assert channel_name("book", depth=10) == "book-10"
    assert channel_name("ohlc", interval=60) == "ohlc-60"
    assert channel_name("ticker") == "ticker"


def test_ping_and_pong_correlate_by_reqid(protocol):
    request_id, frame = protocol.ping()
    assert json.loads(frame) == {"event": "ping", "reqid": request_id}
    (reply,) = protocol.receive(json.dumps({"event": "pong", "reqid": request_id}))
    assert isinstance(reply, Reply) and reply.key == request_id
    assert protocol.receive('{"event":"pong"}') == ()  # keep-alive pong: traffic only
    assert json.loads(protocol.ping_frame()) == {"event": "ping"}


def test_heartbeat_is_consumed(protocol):
    assert protocol.receive('{"event":"heartbeat"}') == ()


def test_system_status_is_a_snapshot_update(protocol):
    frame = '{"connectionID":8628615390848610000,"event":"systemStatus","status":"online","version":"1.9.1"}'
    (update,) = protocol.receive(frame)
    assert update.key == SYSTEM_STATUS_KEY and update.update_type is UpdateType.SNAPSHOT
    assert isinstance(update.data, SystemStatus)
    assert update.data.connection_id == 8628615390848610000


def test_subscription_ack_and_error_correlate_by_reqid(protocol):
    ok = {"channelID": 336, "channelName": "book-10", "event": "subscriptionStatus", "pair": "XBT/USD",
          "reqid": 7, "status": "subscribed", "subscription": {"depth": 10, "name": "book"}}
    (reply,) = protocol.receive(json.dumps(ok))
    assert reply.key == 7 and reply.error is None
    refused = {"errorMessage": "Subscription depth not supported", "event": "subscriptionStatus",
               "pair": "XBT/USD", "reqid": 8, "status": "error", "subscription": {"depth": 42, "name": "book"}}
    (reply,) = protocol.receive(json.dumps(refused))
    assert reply.key == 8 and isinstance(reply.error, InvalidRequest)
    assert reply.error.code == "Subscription depth not supported"


def test_unsolicited_unsubscribe_ends_the_stream(protocol):
    frame = {"channelID": 1, "channelName": "ticker", "event": "subscriptionStatus", "pair": "XBT/USD",
             "status": "unsubscribed", "subscription": {"name": "ticker"}}
    (event,) = protocol.receive(json.dumps(frame))
    assert event == Ended(("ticker", "XBT/USD"), None)


def test_public_channel_messages_become_typed_updates(protocol):
    ticker = [0, {"a": ["5525.40000", 1, "1.000"], "b": ["5525.10000", 1, "1.000"], "c": ["5525.10000", "0.00398963"],
                  "v": ["2634.11501494", "3591.17907851"], "p": ["5631.44067", "5653.78939"], "t": [11493, 16267],
                  "l": ["5505.00000", "5505.00000"], "h": ["5783.00000", "5783.00000"], "o": ["5760.70000", "5763.40000"]},
              "ticker", "XBT/USD"]
    (update,) = protocol.receive(json.dumps(ticker))
    assert update.key == ("ticker", "XBT/USD") and update.symbol == "XBT/USD"
    assert isinstance(update.data, Ticker)

    trade = [0, [["5541.20000", "0.15850568", "1534614057.321597", "s", "l", ""]], "trade", "XBT/USD"]
    (update,) = protocol.receive(json.dumps(trade))
    assert isinstance(update.data[0], Trade)

    spread = [0, ["5698.40000", "5700.00000", "1542057299.545897", "1.01234567", "0.98765432"], "spread", "XBT/USD"]
    (update,) = protocol.receive(json.dumps(spread))
    assert isinstance(update.data, Spread)

    ohlc = [42, ["1542057314.748456", "1542057360.435743", "3586.70000", "3586.70000", "3586.60000", "3586.60000",
                 "3586.68894", "0.03373000", 2], "ohlc-5", "XBT/USD"]
    (update,) = protocol.receive(json.dumps(ohlc))
    assert update.key == ("ohlc-5", "XBT/USD") and isinstance(update.data, Kline)
    assert int(update.data.interval) == 5


def test_book_snapshot_and_both_sides_update(protocol):
    snapshot = [336, {"as": [["27120.00000", "4.28732553", "1693415327.935623"]],
                      "bs": [["27119.90000", "13.54067548", "1693415328.088361"]]}, "book-10", "XBT/USD"]
    (update,) = protocol.receive(json.dumps(snapshot))
    assert update.update_type is UpdateType.SNAPSHOT and isinstance(update.data, BookUpdate)
    both = [336, {"a": [["27120.00000", "4.0", "1693415330.1"]]},
            {"b": [["27119.90000", "1.0", "1693415330.2", "r"]], "c": "12345"}, "book-10", "XBT/USD"]
    (update,) = protocol.receive(json.dumps(both))
    assert update.update_type is UpdateType.UPDATE
    assert update.data.checksum == 12345 and update.data.bids[0].republished


def test_malformed_frames_raise_decode_error(protocol):
    with pytest.raises(DecodeError):
        protocol.receive("{not json")
    with pytest.raises(DecodeError):
        protocol.receive("[1,2]")
    with pytest.raises(DecodeError):
        protocol.receive('[0, {}, "nochannel", "XBT/USD"]')
    with pytest.raises(DecodeError):
        protocol.receive("42")


def test_trading_status_error_is_mapped(protocol):
    frame = '{"errorMessage":"EOrder:Insufficient funds","event":"addOrderStatus","reqid":5,"status":"error"}'
    (reply,) = protocol.receive(frame)
    assert reply.key == 5 and isinstance(reply.error, InsufficientFunds)


@pytest.mark.parametrize(
    ("message", "cls"),
    [
        ("EOrder:Insufficient funds", InsufficientFunds),
        ("EAPI:Invalid key", AuthenticationError),
        ("EAPI:Invalid nonce", AuthenticationError),
        ("ESession:Invalid session", AuthenticationError),
        ("EOrder:Rate limit exceeded", RateLimited),
        ("EAuth:Rate limit exceeded", RateLimited),
        ("EGeneral:Invalid arguments:volume", InvalidRequest),
        ("EOrder:Unknown order", OrderNotFound),
        ("EService:Unavailable", ExchangeUnavailable),
        ("Pair(s) not found", InvalidRequest),
        ("ESomething:New", ExchangeError),
    ],
)
def test_error_table(message, cls):
    error = map_error(message)
    assert type(error) is cls
    assert error.code == message and error.exchange == "kraken"


def test_a_malformed_reply_names_its_request(protocol):
    frame = '{"event":"subscriptionStatus","reqid":12,"status":"subscribed","channelID":"not a number"}'
    with pytest.raises(DecodeError) as raised:
        protocol.receive(frame)
    assert raised.value.key == 12
