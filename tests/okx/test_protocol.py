"""OKX v5 sans-I/O protocol: request frames out, events in."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from exwire._core.protocol import Failure, Pong, Reply, Update
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
from exwire.models import UpdateType
from exwire.okx.models import Instrument, Kline, Order, OrderBookUpdate, Position, Ticker, Trade
from exwire.okx.protocol import ERRORS, PONG_KEY, OkxProtocol, OperationReply, arg_key
from tests.okx.fixtures import transcript_push

TICKER = {"channel": "tickers", "instId": "BTC-USDT"}
TRADES = {"channel": "trades", "instId": "BTC-USDT"}


def test_subscribe_frame_carries_an_id_and_every_arg() -> None:
    protocol = OkxProtocol()
    request_id, frame = protocol.subscribe([TICKER, TRADES])
    assert json.loads(frame) == {"id": request_id, "op": "subscribe", "args": [TICKER, TRADES]}
    assert request_id.isalnum() and len(request_id) <= 32
    other, _ = protocol.subscribe([TICKER])
    assert other != request_id


def test_one_ack_per_arg_each_completes_the_request_once() -> None:
    protocol = OkxProtocol()
    request_id, _ = protocol.subscribe([TICKER, TRADES])
    events = [e for arg in (TICKER, TRADES) for e in protocol.receive(json.dumps(
        {"id": request_id, "event": "subscribe", "arg": arg, "connId": "a"}))]
    assert events == [Reply(request_id, TICKER), Reply(request_id, TRADES)]


def test_acks_without_an_id_are_matched_by_their_arg() -> None:
    protocol = OkxProtocol()
    first, _ = protocol.subscribe([TICKER])
    second, _ = protocol.subscribe([TRADES])
    assert list(protocol.receive(json.dumps({"event": "subscribe", "arg": TRADES}))) == [Reply(second, TRADES)]
    assert list(protocol.receive(json.dumps({"event": "subscribe", "arg": TICKER}))) == [Reply(first, TICKER)]
    assert not protocol.receive(json.dumps({"event": "subscribe", "arg": TICKER}))  # a repeated ack
    assert not protocol._single and not protocol._awaiting  # nothing kept once acked


def test_replies_in_reverse_order_match_by_id() -> None:
    protocol = OkxProtocol()
    first, _ = protocol.operation("order", [{"instIdCode": 1}])
    second, _ = protocol.operation("order", [{"instIdCode": 2}])
    reply = {"op": "order", "code": "0", "msg": "", "data": [{"ordId": "9", "sCode": "0", "sMsg": ""}]}
    (late,) = protocol.receive(json.dumps({"id": second, **reply}))
    (early,) = protocol.receive(json.dumps({"id": first, **reply}))
    assert isinstance(late, Reply) and late.key == second
    assert isinstance(early, Reply) and early.key == first


def test_an_error_event_fails_the_request_its_id_names() -> None:
    protocol = OkxProtocol()
    request_id, _ = protocol.subscribe([{"channel": "candle1m", "instId": "BTC-USDT"}])
    (reply,) = protocol.receive(json.dumps({"id": request_id, "event": "error", "code": "60018",
                                            "msg": "Wrong URL or channel:candle1m,instId:BTC-USDT doesn't exist."}))
    assert isinstance(reply, Reply) and reply.key == request_id
    assert isinstance(reply.error, InvalidRequest) and reply.error.code == "60018"


def test_an_error_without_id_is_tied_by_the_channel_it_names() -> None:
    protocol = OkxProtocol()
    protocol.subscribe([TICKER])
    wanted, _ = protocol.subscribe([{"channel": "candle1m", "instId": "BTC-USDT"}])
    (reply,) = protocol.receive(json.dumps({"event": "error", "code": "60018",
                                            "msg": "Wrong URL or channel:candle1m,instId:BTC-USDT doesn't exist."}))
    assert isinstance(reply, Reply) and reply.key == wanted and isinstance(reply.error, InvalidRequest)


def test_login_frame_and_replies() -> None:
    protocol = OkxProtocol()
    args = {"apiKey": "k", "passphrase": "p", "timestamp": "1538054050", "sign": "s"}
    request_id, frame = protocol.login(args)
    assert json.loads(frame) == {"id": request_id, "op": "login", "args": [args]}
    login_ack = '{"event":"login","code":"0","msg":"","connId":"a4d3ae55"}'
    assert list(protocol.receive(login_ack)) == [Reply(request_id, "a4d3ae55")]
    refused_id, _ = protocol.login(args)
    (refused,) = protocol.receive('{"event":"error","code":"60009","msg":"Login failed.","connId":"a4d3ae55"}')
    assert isinstance(refused, Reply) and refused.key == refused_id
    assert isinstance(refused.error, AuthenticationError)


def test_pushes_are_routed_by_arg_without_uid() -> None:
    protocol = OkxProtocol()
    push = transcript_push("Subscriptions", "Unified", "Trading", "Order.txt")
    push["arg"] = {"channel": "orders", "instType": "ANY", "uid": "614488474791936"}
    (update,) = protocol.receive(json.dumps(push))
    assert isinstance(update, Update) and isinstance(update.data, Order)
    assert update.key == arg_key({"channel": "orders", "instType": "ANY"})
    assert update.symbol == "BTC-USDT"


def test_ticker_trades_and_candles_become_one_update_per_item() -> None:
    protocol = OkxProtocol()
    (ticker,) = protocol.receive(json.dumps(transcript_push("Subscriptions", "Unified", "ExchangeData", "Ticker.txt")))
    assert isinstance(ticker, Update) and isinstance(ticker.data, Ticker) and ticker.update_type is UpdateType.UPDATE
    trades = protocol.receive(json.dumps({"arg": TRADES, "data": [
        {"instId": "BTC-USDT", "tradeId": "1", "px": "1", "sz": "2", "side": "sell", "ts": "1", "seqId": 333794734996},
        {"instId": "BTC-USDT", "tradeId": "2", "px": "1", "sz": "3", "side": "buy", "ts": "1"}]}))
    assert [t.data.trade_id for t in trades if isinstance(t, Update) and isinstance(t.data, Trade)] == ["1", "2"]
    assert trades[0].data.sequence == 333794734996  # type: ignore[union-attr]
    (candle,) = protocol.receive(json.dumps(transcript_push("Subscriptions", "Unified", "ExchangeData", "Klines.txt")))
    assert isinstance(candle, Update) and isinstance(candle.data, Kline)
    assert candle.key == arg_key({"channel": "candle1D", "instId": "ETH-USDT"})


def test_positions_and_instruments_push_a_tuple() -> None:
    protocol = OkxProtocol()
    (positions,) = protocol.receive(json.dumps(transcript_push("Subscriptions", "Unified", "Trading", "Position.txt")))
    assert isinstance(positions, Update) and all(isinstance(p, Position) for p in positions.data)
    (instruments,) = protocol.receive(json.dumps(transcript_push("Subscriptions", "Unified", "ExchangeData", "Symbol.txt")))
    assert isinstance(instruments, Update) and isinstance(instruments.data[0], Instrument)


def test_book_snapshot_and_update_types() -> None:
    protocol = OkxProtocol()
    books = {"channel": "books", "instId": "BTC-USDT"}
    level = {"asks": [["1", "2", "0", "1"]], "bids": [], "ts": "1", "checksum": 0, "prevSeqId": -1, "seqId": 5}
    (snapshot,) = protocol.receive(json.dumps({"arg": books, "action": "snapshot", "data": [level]}))
    (update,) = protocol.receive(json.dumps({"arg": books, "action": "update", "data": [level]}))
    assert isinstance(snapshot, Update) and snapshot.update_type is UpdateType.SNAPSHOT
    assert isinstance(update, Update) and update.update_type is UpdateType.UPDATE
    assert isinstance(update.data, OrderBookUpdate) and update.data.checksum is None
    (five,) = protocol.receive(json.dumps({"arg": {"channel": "books5", "instId": "BTC-USDT"}, "data": [level]}))
    assert isinstance(five, Update) and five.update_type is UpdateType.SNAPSHOT


def test_text_ping_and_pong() -> None:
    protocol = OkxProtocol()
    assert protocol.ping_frame() == "ping"
    assert protocol.receive("pong") == (Pong(), Reply(PONG_KEY, None))


def test_notice_64008_asks_for_a_new_connection() -> None:
    protocol = OkxProtocol()
    (failure,) = protocol.receive(json.dumps({"event": "notice", "code": "64008", "msg": "soon", "connId": "a"}))
    assert isinstance(failure, Failure) and isinstance(failure.error, ConnectionClosed)


def test_channel_conn_count_is_neither_an_ack_nor_an_error() -> None:
    protocol = OkxProtocol()
    protocol.subscribe([{"channel": "orders", "instType": "ANY"}])
    assert not protocol.receive('{"event":"channel-conn-count","channel":"orders","connCount":"2","connId":"a"}')


def test_order_operation_frame_and_per_order_results() -> None:
    protocol = OkxProtocol()
    request_id, frame = protocol.operation("batch-orders", [{"instIdCode": 1, "sz": "0.001"}], expires_ms=1597026383085)
    sent = json.loads(frame)
    assert sent == {"id": request_id, "op": "batch-orders", "expTime": "1597026383085",
                    "args": [{"instIdCode": 1, "sz": "0.001"}]}
    (reply,) = protocol.receive(json.dumps({"id": request_id, "op": "batch-orders", "code": "2", "msg": "", "data": [
        {"clOrdId": "a", "ordId": "1", "tag": "", "ts": "1", "sCode": "0", "sMsg": ""},
        {"clOrdId": "b", "ordId": "", "tag": "", "ts": "1", "sCode": "51008", "sMsg": "Insufficient balance"}]}))
    assert isinstance(reply, Reply) and isinstance(reply.result, OperationReply)
    ok, failed = reply.result.results
    assert ok.error is None and ok.order_id == "1"
    assert isinstance(failed.error, InsufficientFunds) and failed.code == "51008"


def test_a_refused_envelope_fails_the_whole_request() -> None:
    protocol = OkxProtocol()
    request_id, _ = protocol.operation("order", [{}])
    (reply,) = protocol.receive(json.dumps({"id": request_id, "op": "order", "code": "60013", "msg": "Invalid args",
                                            "data": []}))
    assert isinstance(reply, Reply) and isinstance(reply.error, InvalidRequest)


@pytest.mark.parametrize(("code", "cls"), [
    ("51008", InsufficientFunds), ("51400", OrderNotFound), ("51503", OrderNotFound),
    ("60009", AuthenticationError), ("60024", AuthenticationError), ("60018", InvalidRequest),
    ("50011", RateLimited), ("51149", ExchangeUnavailable), ("50014", InvalidRequest), ("99999", ExchangeError),
])
def test_error_table(code: str, cls: type) -> None:
    error = ERRORS.error(code, "m")
    assert type(error) is cls and error.code == code and error.exchange == "okx"


@pytest.mark.parametrize("frame", ["", "{", "[1]", "null", '{"event": "subscribe"}', '{"arg": {}, "data": []}',
                                   '{"arg": {"channel": "books"}, "data": [{}]}', '{"something": 1}',
                                   '{"arg": {"channel": "candle7x", "instId": "A-B"}, "data": [[]]}',
                                   b"\xff\xfe"])
def test_malformed_frames_raise_only_decode_error(frame: str | bytes) -> None:
    with pytest.raises(DecodeError):
        OkxProtocol().receive(frame)


def test_a_malformed_operation_reply_names_its_request() -> None:
    protocol = OkxProtocol()
    request_id, _ = protocol.operation("order", [{}])
    with pytest.raises(DecodeError) as caught:
        protocol.receive(json.dumps({"id": request_id, "op": "order", "code": "0", "data": "oops"}))
    assert caught.value.key == request_id


def test_unknown_channels_and_events_are_skipped() -> None:
    protocol = OkxProtocol()
    assert not protocol.receive('{"arg": {"channel": "books-rpi", "instId": "A-B"}, "data": []}')
    assert not protocol.receive('{"event": "something-new", "connId": "a"}')


def test_prices_stay_exact() -> None:
    (update,) = OkxProtocol().receive(json.dumps({"arg": TRADES, "data": [
        {"instId": "BTC-USDT", "tradeId": "1", "px": "0.1000000000000000055", "sz": "2", "side": "buy", "ts": "1"}]}))
    assert isinstance(update, Update) and update.data.price == Decimal("0.1000000000000000055")
