"""OKEx v1 codec, sans-I/O: frame in → events out, request → frame out.

Real frames are read in place from ``../shared/fixtures/okex`` (skipped when absent);
the other samples are the document's own (reference/protocols/okex.md §3-§6).
"""

from __future__ import annotations

import base64
import json
import logging
import zlib
from datetime import UTC, datetime, time
from decimal import Decimal

import pytest

from exwire._core.protocol import Pong, Reply
from exwire.errors import (
    AuthenticationError,
    DecodeError,
    ExchangeError,
    ExchangeUnavailable,
    InsufficientFunds,
    InvalidRequest,
    OrderNotFound,
)
from exwire.models import Level, Side, UpdateType
from exwire.okex.converter import DealsPush
from exwire.okex.models import (
    BalanceUpdate,
    BookUpdate,
    KlineInterval,
    Order,
    OrderStatus,
    OrderType,
    OrderUpdate,
    TradeSide,
    UserInfo,
)
from exwire.okex.protocol import ERROR_TABLE, OkexProtocol, channel_name, inflate, map_error, parse_channel
from tests.conftest import fixture_path

D = Decimal
SIGNED = {"api_key": "k", "sign": "S"}


def _deflate(text: str) -> bytes:
    compressor = zlib.compressobj(wbits=-15)
    return compressor.compress(text.encode()) + compressor.flush()


def _real(name: str) -> list[dict]:
    return json.loads(fixture_path("okex", name).read_text(encoding="utf-8"))


def _sent(protocol: OkexProtocol, channel: str, parameters=SIGNED):
    """Build a request and pretend the Connection wrote it."""
    key, frame = protocol.request(channel, parameters)
    protocol.sent(key, frame)
    return key, frame


# -- §2 compression ---------------------------------------------------------------------


def test_both_real_compressed_frames_inflate_exactly_to_their_decoded_text():
    frames = _real("real_frames.json")
    assert len(frames) == 2
    for entry in frames:
        raw = base64.b64decode(entry["compressed_base64"])
        assert raw == bytes.fromhex(entry["compressed_hex"])
        assert len(raw) == entry["compressed_length"]
        assert inflate(raw) == entry["decoded"]


def test_real_spot_ack_completes_the_pending_subscription():
    entry = _real("real_frames.json")[0]  # the ack of ok_sub_spot_btc_usdt_depth (#191)
    protocol = OkexProtocol()
    key, frame = protocol.subscribe(["ok_sub_spot_btc_usdt_depth"])
    assert json.loads(frame) == {"event": "addChannel", "channel": "ok_sub_spot_btc_usdt_depth"}
    assert protocol.receive(base64.b64decode(entry["compressed_base64"])) == (
        Reply(key, "ok_sub_spot_btc_usdt_depth"),
    )


def test_real_futures_ack_on_no_pending_subscription_is_ignored():
    entry = _real("real_frames.json")[1]  # ok_sub_futureusd_btc_depth_next_week_10 (#27)
    assert OkexProtocol().receive(base64.b64decode(entry["compressed_base64"])) == ()


def test_a_zlib_wrapped_frame_is_a_decode_error():
    # §2: the frames are raw deflate; a zlib header is "incorrect" to a raw decoder and
    # a zlib decoder fails on the real frames, so there is exactly one right choice.
    with pytest.raises(DecodeError):
        OkexProtocol().receive(zlib.compress(b'{"event":"pong"}'))
    with pytest.raises(DecodeError, match="truncated"):
        OkexProtocol().receive(_deflate('{"event":"pong"}')[:-3])


def test_pong_is_recognised_compressed_or_not():
    protocol = OkexProtocol()
    assert protocol.receive('{"event":"pong"}') == (Pong(),)
    assert protocol.receive(_deflate('{"event":"pong"}')) == (Pong(),)
    assert protocol.ping_frame() == '{"event":"ping"}'


def test_unparsable_frames_raise_decode_error():
    with pytest.raises(DecodeError):
        OkexProtocol().receive("not json")
    with pytest.raises(DecodeError):
        OkexProtocol().receive("42")


# -- §6.6, §6.7 real private pushes ----------------------------------------------------------


def test_real_private_pushes_parse():
    frames = [entry for entry in _real("real_decoded_frames.json") if entry["source"].endswith("#194")]
    assert len(frames) == 5
    protocol = OkexProtocol()
    events = [event for entry in frames for event in protocol.receive(entry["frame"])]
    assert [event.key for event in events] == ["ok_sub_spot_enj_btc_order"] * 2 + [
        "ok_sub_spot_enj_btc_balance"] + ["ok_sub_spot_enj_btc_order"] * 2
    first = events[0].data
    assert first == OrderUpdate(
        order_id=2009043431203840,
        symbol="enj_btc",
        order_type=OrderType.SELL,
        price=D("0.00001208"),
        quantity=D("84.88"),
        filled_quantity=D("0"),
        filled_notional=D("0"),
        average_price=D("0"),
        created_at=datetime(2018, 12, 21, 11, 26, 10, tzinfo=UTC),
        status=OrderStatus.OPEN,
    )
    assert first.order_id > 2**32 and first.side is Side.SELL
    assert events[0].symbol == "enj_btc" and events[0].update_type is UpdateType.UPDATE
    placed, cancelled = events[1].data, events[3].data
    assert placed.order_id == cancelled.order_id == 2009043431269376
    assert (placed.status, cancelled.status) == (OrderStatus.OPEN, OrderStatus.CANCELLED)
    assert cancelled.filled_quantity == D("0.00")
    # JSON numbers in the balance push keep every digit (no float on the way).
    assert events[2].data == BalanceUpdate(free={"enj": D("102.103565")}, locked={"enj": D("133.25")})
    assert str(events[2].data.free["enj"]) == "102.103565"


def test_futures_push_on_a_spot_connection_is_logged_and_skipped(caplog):
    entry = next(e for e in _real("real_decoded_frames.json") if e["source"].endswith("#53"))
    protocol = OkexProtocol()
    with caplog.at_level(logging.WARNING, logger="exwire.okex"):
        assert protocol.receive(entry["frame"]) == ()
        assert protocol.receive(_deflate(entry["frame"])) == ()
    assert protocol.frames_ignored == 2
    assert "futures" in caplog.text
    # The connection goes on: the next frame is handled normally.
    assert protocol.receive('{"event":"pong"}') == (Pong(),)


def test_unknown_channel_in_an_array_is_skipped_not_fatal(caplog):
    protocol = OkexProtocol()
    frame = '[{"binary":0,"channel":"ok_sub_futureusd_btc_ticker_this_week","data":{}}]'
    with caplog.at_level(logging.WARNING, logger="exwire.okex"):
        assert protocol.receive(frame) == ()
    assert protocol.frames_ignored == 1


# -- §5 public channels (document samples) ------------------------------------------------------


def test_ticker_sample_parses():
    frame = ('[{"binary":0,"channel":"ok_sub_spot_bch_btc_ticker","data":{"high":"10000","vol":"185.03743858",'
             '"last":"111","low":"0.00000001","buy":"115","change":"101","sell":"115","dayLow":"0.00000001",'
             '"dayHigh":"10000","timestamp":1500444626000}}]')
    [event] = OkexProtocol().receive(frame)
    assert event.key == "ok_sub_spot_bch_btc_ticker" and event.symbol == "bch_btc"
    ticker = event.data
    assert ticker.symbol == "bch_btc"
    assert (ticker.bid_price, ticker.ask_price, ticker.last_price) == (D("115"), D("115"), D("111"))
    assert (ticker.high_price, ticker.low_price, ticker.volume, ticker.change) == (
        D("10000"), D("1E-8"), D("185.03743858"), D("101"))
    assert ticker.time == datetime(2017, 7, 19, 6, 10, 26, tzinfo=UTC)


DEPTH = ('[{"binary":0,"channel":"ok_sub_spot_bch_btc_depth","data":{"asks":[["117","2"],["116","0.5"]],'
         '"bids":[["115","1"],["114","1"],["1E-8","0.0008792"]],"timestamp":1504529236946}}]')


def _acked(protocol: OkexProtocol, channel: str) -> None:
    """Subscribe ``channel`` and read its ack (§3.2)."""
    key, _ = protocol.subscribe([channel])
    [reply] = protocol.receive(json.dumps([{"binary": 0, "channel": "addChannel",
                                            "data": {"result": True, "channel": channel}}]))
    assert reply.key == key


def test_incremental_depth_is_a_snapshot_only_first_after_a_subscribe():
    protocol = OkexProtocol()
    _acked(protocol, "ok_sub_spot_bch_btc_depth")
    [first] = protocol.receive(DEPTH)
    [second] = protocol.receive(DEPTH)
    assert first.update_type is UpdateType.SNAPSHOT and first.data.is_snapshot
    assert second.update_type is UpdateType.UPDATE and not second.data.is_snapshot
    book: BookUpdate = first.data
    # Sorted best first whatever the wire order; "1E-8" compares by value.
    assert book.asks == (Level(price=D("116"), quantity=D("0.5")), Level(price=D("117"), quantity=D("2")))
    assert book.time == datetime(2017, 9, 4, 12, 47, 16, 946000, tzinfo=UTC)
    assert [level.price for level in book.bids] == [D("115"), D("114"), D("0.00000001")]
    _acked(protocol, "ok_sub_spot_bch_btc_depth")  # a resubscribe brings a whole book again
    assert protocol.receive(DEPTH)[0].update_type is UpdateType.SNAPSHOT


def test_depth_pushes_read_before_a_resubscription_is_acked_stay_updates():
    # removeChannel has no ack: pushes the server sent before it took effect arrive after the
    # new addChannel went out. They are changes to the book as it was, not the whole book
    # the ack announces (taking one for the whole book would cut the book down to it).
    protocol = OkexProtocol()
    _acked(protocol, "ok_sub_spot_bch_btc_depth")
    assert protocol.receive(DEPTH)[0].update_type is UpdateType.SNAPSHOT
    protocol.unsubscribe(["ok_sub_spot_bch_btc_depth"])
    key, _ = protocol.subscribe(["ok_sub_spot_bch_btc_depth"])
    [stale] = protocol.receive(DEPTH)
    assert stale.update_type is UpdateType.UPDATE and not stale.data.is_snapshot
    [reply] = protocol.receive('[{"binary":0,"channel":"addChannel","data":{"result":true,'
                               '"channel":"ok_sub_spot_bch_btc_depth"}}]')
    assert reply.key == key
    assert protocol.receive(DEPTH)[0].update_type is UpdateType.SNAPSHOT


def test_full_depth_pushes_are_always_snapshots():
    frame = DEPTH.replace("_depth", "_depth_5")
    protocol = OkexProtocol()
    for _ in range(2):
        [event] = protocol.receive(frame)
        assert event.update_type is UpdateType.SNAPSHOT and event.key == "ok_sub_spot_bch_btc_depth_5"


def test_deals_sample_parses():
    frame = ('[{"channel":"ok_sub_spot_bch_btc_deals","data":[["1001","2463.86","0.052","16:34:07","ask"],'
             '["14401265","69.2475","0.068231","18:29:33","bid"]]}]')
    [event] = OkexProtocol().receive(frame)
    # Decoded (and so checked) here; the client dates the trades with the receive instant.
    assert isinstance(event.data, DealsPush) and event.data.symbol == "bch_btc"
    first, second = event.data.trades(datetime(2018, 12, 21, 10, 30, tzinfo=UTC))
    assert (first.trade_id, first.price, first.quantity) == (1001, D("2463.86"), D("0.052"))
    assert first.time_of_day == time(16, 34, 7) and first.time == datetime(2018, 12, 21, 8, 34, 7, tzinfo=UTC)
    assert (first.taker_side, first.side, second.side) == (TradeSide.ASK, Side.SELL, Side.BUY)


def test_kline_sample_parses():
    frame = ('[{"channel":"ok_sub_spot_bch_btc_kline_1min","data":[["1490337840000","995.37","996.75",'
             '"995.36","996.75","9.112"]]}]')
    [event] = OkexProtocol().receive(frame)
    [kline] = event.data
    assert kline.open_time == datetime(2017, 3, 24, 6, 44, tzinfo=UTC)
    assert (kline.open, kline.high, kline.low, kline.close, kline.volume) == (
        D("995.37"), D("996.75"), D("995.36"), D("996.75"), D("9.112"))
    assert kline.interval is KlineInterval.ONE_MINUTE and kline.symbol == "bch_btc"
    assert OkexProtocol().receive('[{"channel":"ok_sub_spot_bch_btc_kline_1min","data":[]}]') == ()  # no candle
    assert kline.close_time == datetime(2017, 3, 24, 6, 45, tzinfo=UTC)


def test_unknown_enum_values_are_kept():
    frame = ('[{"channel":"ok_sub_spot_enj_btc_order","data":{"symbol":"enj_btc","orderId":1,"tradeUnitPrice":"1",'
             '"tradeAmount":"1","createdDate":"1545391570000","completedTradeAmount":"0","averagePrice":"0",'
             '"tradePrice":"0","tradeType":"buy_maker","status":7}}]')
    [event] = OkexProtocol().receive(frame)
    assert event.data.order_type.value == "buy_maker" and not event.data.order_type.is_known
    assert event.data.side is None
    assert event.data.status.value == 7 and not event.data.status.is_known


def test_a_malformed_push_is_a_decode_error():
    with pytest.raises(DecodeError):
        OkexProtocol().receive('[{"channel":"ok_sub_spot_bch_btc_ticker","data":{"buy":"x"}}]')


def test_one_bad_object_does_not_lose_the_others(caplog):
    good = '{"channel":"ok_sub_spot_bch_btc_deals","data":[["1","2","3","16:34:07","ask"]]}'
    bad = '{"channel":"ok_sub_spot_bch_btc_ticker","data":{"buy":"x"}}'
    with caplog.at_level(logging.WARNING, logger="exwire.okex"):
        events = OkexProtocol().receive(f"[{bad},{good}]")
    assert [event.key for event in events] == ["ok_sub_spot_bch_btc_deals"]
    assert "skipped part of a frame" in caplog.text


# -- §3 requests --------------------------------------------------------------------------


def test_request_frames_have_the_documented_envelopes():
    protocol = OkexProtocol()
    _, login = protocol.request("login", SIGNED)
    assert json.loads(login) == {"event": "login", "parameters": SIGNED}
    parameters = {**SIGNED, "symbol": "bch_btc", "type": "buy", "price": "50", "amount": "0.02"}
    _, order = protocol.request("ok_spot_order", parameters)
    assert json.loads(order) == {"event": "addChannel", "channel": "ok_spot_order", "parameters": parameters}
    key, batch = protocol.subscribe(
        ["ok_sub_spot_bch_btc_ticker", "ok_sub_spot_bch_btc_order"], {"ok_sub_spot_bch_btc_order": SIGNED})
    assert json.loads(batch) == [
        {"event": "addChannel", "channel": "ok_sub_spot_bch_btc_ticker"},
        {"event": "addChannel", "channel": "ok_sub_spot_bch_btc_order", "parameters": SIGNED},
    ]
    assert json.loads(protocol.unsubscribe(["ok_sub_spot_bch_btc_ticker"])) == {
        "event": "removeChannel", "channel": "ok_sub_spot_bch_btc_ticker"}
    with pytest.raises(ValueError):
        protocol.request("ok_sub_spot_bch_btc_ticker", SIGNED)


def test_a_batch_completes_with_one_ack_per_channel_in_one_or_several_frames():
    protocol = OkexProtocol()
    key, _ = protocol.subscribe(["ok_sub_spot_a_b_ticker", "ok_sub_spot_a_b_deals", "ok_sub_spot_c_d_ticker"])
    ack = '{"binary":1,"channel":"addChannel","data":{"result":true,"channel":"%s"}}'
    events = protocol.receive(f"[{ack % 'ok_sub_spot_a_b_ticker'},{ack % 'ok_sub_spot_a_b_deals'}]")
    events += protocol.receive(f"[{ack % 'ok_sub_spot_c_d_ticker'}]")
    assert [event.key for event in events] == [key] * 3
    assert protocol.receive(f"[{ack % 'ok_sub_spot_c_d_ticker'}]") == ()  # a duplicate matches nothing


# -- correlation by channel in wire order -----------------------------------------------------


ORDER_REPLY = '[{"binary":0,"channel":"ok_spot_order","data":{"result":true,"order_id":%d}}]'


def test_replies_complete_same_channel_requests_in_wire_order_not_build_order():
    protocol = OkexProtocol()
    key_a, frame_a = protocol.request("ok_spot_order", SIGNED)  # registered first ...
    key_b, frame_b = protocol.request("ok_spot_order", SIGNED)
    assert key_a != key_b and frame_a == frame_b  # same text: only the wire order tells them apart
    protocol.sent(key_b, frame_b)  # ... but written second
    protocol.sent(key_a, frame_a)
    assert protocol.receive(ORDER_REPLY % 1) == (Reply(key_b, 1),)
    assert protocol.receive(ORDER_REPLY % 2) == (Reply(key_a, 2),)
    assert protocol.receive(ORDER_REPLY % 3) == ()  # nothing in flight


def test_channels_have_separate_fifos():
    protocol = OkexProtocol()
    order_key, _ = _sent(protocol, "ok_spot_order")
    info_key, _ = _sent(protocol, "ok_spot_userinfo")
    reply = ('[{"channel":"ok_spot_userinfo","data":{"result":true,"info":{"funds":{"free":{"btc":"1.5"},'
             '"freezed":{"btc":"0"}}}}}]')
    assert protocol.receive(reply) == (Reply(info_key, UserInfo(free={"btc": D("1.5")}, locked={"btc": D("0")})),)
    assert protocol.receive(ORDER_REPLY % 6189) == (Reply(order_key, 6189),)


def test_two_sent_on_one_channel_then_a_reply_completes_the_first():
    protocol = OkexProtocol()
    protocol.connection_made()
    first, second = _sent(protocol, "ok_spot_order")[0], _sent(protocol, "ok_spot_order")[0]
    assert protocol.in_flight("ok_spot_order") == 2
    assert protocol.receive(ORDER_REPLY % 1) == (Reply(first, 1),)
    assert protocol.in_flight("ok_spot_order") == 1
    assert protocol.receive(ORDER_REPLY % 2) == (Reply(second, 2),)


def test_an_abandoned_request_asks_for_a_new_connection_and_its_late_reply_completes_nothing():
    protocol = OkexProtocol()
    protocol.connection_made()
    lost, _ = _sent(protocol, "ok_spot_order")
    later, _ = _sent(protocol, "ok_spot_order")
    assert protocol.abandoned(lost) is True  # an id-less FIFO that lost a reply is misaligned
    # Until the connection is replaced, a late reply pops the abandoned key, not the next one.
    assert protocol.receive(ORDER_REPLY % 1) == (Reply(lost, 1),)
    assert protocol.receive(ORDER_REPLY % 2) == (Reply(later, 2),)


def test_abandoning_an_answered_request_or_a_subscription_keeps_the_connection():
    protocol = OkexProtocol()
    protocol.connection_made()
    key, _ = _sent(protocol, "ok_spot_userinfo")
    protocol.receive('[{"channel":"ok_spot_userinfo","data":{"result":true,"info":{"funds":{}}}}]')
    assert protocol.abandoned(key) is False  # its reply raced the timeout: the FIFO is aligned
    batch, frame = protocol.subscribe(["ok_sub_spot_btc_usdt_ticker"])
    protocol.sent(batch, frame)
    assert protocol.in_flight("addChannel") == 0  # acks name their channel: no FIFO
    assert protocol.abandoned(batch) is False


def test_an_abandoned_opening_log_on_leaves_the_connection_to_the_failed_opening():
    protocol = OkexProtocol()
    protocol.connection_made()
    opening, _ = _sent(protocol, "login")
    assert protocol.abandoned(opening) is False  # the opening fails and takes the socket down
    protocol.connection_made()
    first, _ = _sent(protocol, "login")
    assert protocol.receive('[{"channel":"login","data":{"result":true}}]') == (Reply(first, True),)
    again, _ = _sent(protocol, "login")
    assert protocol.abandoned(again) is True  # a repeated log-on on a logged-on socket


def test_connection_made_forgets_replies_owed_by_an_old_socket():
    protocol = OkexProtocol()
    protocol.connection_made()
    _sent(protocol, "ok_spot_order")
    _sent(protocol, "login")
    assert protocol.in_flight("ok_spot_order") == 1
    protocol.connection_made()
    assert protocol.in_flight("ok_spot_order") == 0 and protocol.in_flight("login") == 0
    key, _ = _sent(protocol, "ok_spot_order")
    assert protocol.receive(ORDER_REPLY % 9) == (Reply(key, 9),)


def test_frames_that_are_not_requests_do_not_enter_a_fifo():
    protocol = OkexProtocol()
    protocol.sent(None, protocol.ping_frame())
    protocol.sent(None, protocol.unsubscribe(["ok_sub_spot_btc_usdt_ticker"]))
    protocol.request("ok_spot_order", SIGNED)  # built, never written
    assert protocol.in_flight("ok_spot_order") == 0
    assert protocol.receive(ORDER_REPLY % 1) == ()


def test_trade_replies_become_typed_results():
    protocol = OkexProtocol()
    cancel, _ = _sent(protocol, "ok_spot_cancel_order")
    info, _ = _sent(protocol, "ok_spot_orderinfo")
    login, _ = _sent(protocol, "login")
    assert protocol.receive(
        '[{"binary":0,"channel":"ok_spot_cancel_order","data":{"result":true,"order_id":"125433027"}}]'
    ) == (Reply(cancel, 125433027),)
    orders = protocol.receive(
        '[{"binary":0,"channel":"ok_spot_orderinfo","data":{"result":true,"orders":[{"symbol":"bch_btc",'
        '"amount":"0.10000000","price":"1.00000000","avg_price":0,"create_date":1504529828000,"type":"buy",'
        '"deal_amount":0,"order_id":6189,"status":-1}]}}]')
    assert orders == (Reply(info, [Order(
        order_id=6189, symbol="bch_btc", order_type=OrderType.BUY, status=OrderStatus.CANCELLED,
        price=D("1.00000000"), quantity=D("0.10000000"), filled_quantity=D(0), average_price=D(0),
        created_at=datetime(2017, 9, 4, 12, 57, 8, tzinfo=UTC))]),)
    assert protocol.receive('[{"binary":0,"channel":"login","data":{"result":true}}]') == (Reply(login, True),)


def test_a_malformed_reply_fails_its_request_with_decode_error():
    protocol = OkexProtocol()
    key, _ = _sent(protocol, "ok_spot_order")
    [reply] = protocol.receive('[{"channel":"ok_spot_order","data":{"result":true}}]')
    assert reply.key == key and isinstance(reply.error, DecodeError)


# -- §3.2 error shapes and §8 codes -------------------------------------------------------------


def test_trade_error_maps_through_the_table():
    protocol = OkexProtocol()
    key, _ = _sent(protocol, "ok_spot_order")
    [reply] = protocol.receive('[{"binary":0,"channel":"ok_spot_order","data":{"result":false,"error_code":10010}}]')
    assert reply.key == key and isinstance(reply.error, InsufficientFunds)
    assert (reply.error.exchange, reply.error.code, reply.error.message) == ("okex", 10010, "Insufficient funds")


def test_channelless_login_refusal_fails_the_login():
    protocol = OkexProtocol()
    key, _ = _sent(protocol, "login")
    [reply] = protocol.receive('[{"data":{"error_code":20102,"error_msg":"Invalid logon.","result":false}}]')
    assert reply.key == key and isinstance(reply.error, AuthenticationError)
    assert reply.error.message == "Invalid logon." and reply.error.code == 20102


def test_channelless_error_answering_nothing_is_logged(caplog):
    protocol = OkexProtocol()
    _sent(protocol, "ok_spot_order")
    frame = ('[{"binary":0,"data":{"result":false,"error_msg":"The subscription event type is  invalid.",'
             '"error_code":20103}}]')
    with caplog.at_level(logging.WARNING, logger="exwire.okex"):
        assert protocol.receive(frame) == ()
    assert "20103" in caplog.text
    assert protocol.in_flight("ok_spot_order") == 1  # not taken for the order's reply


def test_subscription_refused_under_its_own_channel_fails_the_subscribe():
    protocol = OkexProtocol()
    key, _ = protocol.subscribe(["ok_sub_spot_xrp_btc_depth"])
    # okcoin-okex/API-docs-OKEx.com issue #161
    frame = ('{"data":{"result":false,"error_msg":"The subscription event type is invalid.","error_code":20103},'
             '"binary":0,"channel":"ok_sub_spot_xrp_btc_depth"}')
    [reply] = protocol.receive(f"[{frame}]")
    assert reply.key == key and isinstance(reply.error, InvalidRequest)


def test_the_alternative_error_locations_are_checked():
    protocol = OkexProtocol()
    first, _ = _sent(protocol, "ok_spot_userinfo")
    second, _ = _sent(protocol, "ok_spot_userinfo")
    [reply] = protocol.receive('[{"channel":"ok_spot_userinfo","success":"","errorcode":10009,"data":{}}]')
    assert reply.key == first and isinstance(reply.error, OrderNotFound)
    [reply] = protocol.receive('[{"channel":"ok_spot_userinfo","success":false,"data":{}}]')
    assert reply.key == second and type(reply.error) is ExchangeError


@pytest.mark.parametrize(
    ("code", "cls"),
    [(10005, AuthenticationError), (10007, AuthenticationError), (20102, AuthenticationError),
     (10009, OrderNotFound), (1009, OrderNotFound), (10010, InsufficientFunds), (10016, InsufficientFunds),
     (10014, InvalidRequest), (20116, InvalidRequest), (10015, ExchangeUnavailable), (20100, ExchangeUnavailable),
     (20001, ExchangeError), ("10010", InsufficientFunds), (None, ExchangeError)],
)
def test_error_codes_map_to_classes(code, cls):
    error = map_error(code, None)
    assert type(error) is cls
    assert error.message  # the documented message when the frame has none


def test_every_table_entry_is_an_exchange_error():
    assert all(issubclass(cls, ExchangeError) and message for cls, message in ERROR_TABLE.values())


# -- channel names ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("channel", "parsed"),
    [("ok_sub_spot_btc_usdt_ticker", ("btc_usdt", "ticker", None)),
     ("ok_sub_spot_btc_usdt_depth", ("btc_usdt", "depth", None)),
     ("ok_sub_spot_btc_usdt_depth_20", ("btc_usdt", "depth", "20")),
     ("ok_sub_spot_eth_btc_kline_3day", ("eth_btc", "kline", "3day")),
     ("ok_sub_spot_enj_btc_balance", ("enj_btc", "balance", None)),
     ("ok_sub_spot_btc_usdt_depth_7", None), ("ok_sub_spot_btc_usdt_kline", None),
     ("ok_sub_spot_btc_usdt_ticker_5", None), ("ok_sub_spotusd_btc_ticker", None), ("addChannel", None)],
)
def test_channel_names_are_taken_apart(channel, parsed):
    info = parse_channel(channel)
    assert (tuple(info) if info else None) == parsed
    if parsed:
        assert channel_name(*parsed) == channel
