"""OkexEmulator on the wire, driven by a bare websocket-client socket (no exwire client).

Checks that the emulator speaks v1 as documented (reference/protocols/okex.md): raw
deflate binary frames, pong, the error shapes and codes, signature checks.
"""

from __future__ import annotations

import hashlib
import json
import zlib

import pytest
import websocket

from exwire.testing.okex import OkexEmulator, deflate
from tests.conftest import timeout


def _sign(parameters: dict, secret: str) -> str:
    text = "&".join(f"{k}={parameters[k]}" for k in sorted(parameters)) + f"&secret_key={secret}"
    return hashlib.md5(text.encode()).hexdigest().upper()


class Wire:
    """A raw socket to the emulator: send text, receive inflated JSON."""

    def __init__(self, emulator: OkexEmulator) -> None:
        self.emulator = emulator
        self.socket = websocket.create_connection(emulator.client_kwargs()["url"], timeout=timeout(5))

    def send(self, message) -> None:
        self.socket.send(message if isinstance(message, str) else json.dumps(message))

    def recv(self):
        opcode, data = self.socket.recv_data()
        assert opcode == websocket.ABNF.OPCODE_BINARY  # compressed like OKEx after 2018-10 (§2)
        decompressor = zlib.decompressobj(-15)
        text = decompressor.decompress(data) + decompressor.flush()
        assert decompressor.eof
        return json.loads(text)

    def signed(self, **parameters) -> dict:
        parameters["api_key"] = self.emulator.api_key
        parameters["sign"] = _sign(parameters, self.emulator.secret)
        return parameters

    def close(self) -> None:
        self.socket.close()


@pytest.fixture
def emulator():
    with OkexEmulator(push_interval=None) as emu:
        yield emu


@pytest.fixture
def wire(emulator):
    connection = Wire(emulator)
    yield connection
    connection.close()


def test_deflate_round_trips_like_the_real_frames():
    decompressor = zlib.decompressobj(-15)
    assert decompressor.decompress(deflate('{"event":"pong"}')) == b'{"event":"pong"}'


def test_ping_is_answered_with_a_compressed_pong_unless_withheld(emulator, wire):
    wire.send({"event": "ping"})
    assert wire.recv() == {"event": "pong"}
    emulator.withhold_pong()
    wire.send({"event": "ping"})
    wire.socket.settimeout(0.3)
    with pytest.raises(websocket.WebSocketTimeoutException):
        wire.recv()
    assert emulator.pings_received == 2


def test_login_checks_the_signature(emulator, wire):
    wire.send({"event": "login", "parameters": {"api_key": emulator.api_key, "sign": "0" * 32}})
    assert wire.recv() == [{"data": {"error_code": 20102, "error_msg": "Invalid logon.", "result": False}}]
    wire.send({"event": "login", "parameters": wire.signed()})
    assert wire.recv() == [{"binary": 1, "channel": "login", "data": {"result": True}}]


def test_trade_calls_check_key_and_signature(emulator, wire):
    order = {"symbol": "btc_usdt", "type": "buy", "price": "680", "amount": "1.0"}
    bad_sign = {**order, "api_key": emulator.api_key, "sign": "F" * 32}
    wire.send({"event": "addChannel", "channel": "ok_spot_order", "parameters": bad_sign})
    [reply] = wire.recv()
    assert reply["channel"] == "ok_spot_order"
    assert reply["data"]["result"] is False and reply["data"]["error_code"] == 10007
    other_key = {**order, "api_key": "someone-else", "sign": "F" * 32}
    wire.send({"event": "addChannel", "channel": "ok_spot_order", "parameters": other_key})
    assert wire.recv()[0]["data"]["error_code"] == 10005
    wire.send({"event": "addChannel", "channel": "ok_spot_order", "parameters": wire.signed(**order)})
    [reply] = wire.recv()
    assert reply["data"]["result"] is True and reply["data"]["order_id"] > 2**32
    assert emulator.order(reply["data"]["order_id"])["price"] == "680"


def test_cancel_reply_echoes_the_order_id_as_a_string(emulator, wire):
    wire.send({"event": "addChannel", "channel": "ok_spot_order",
               "parameters": wire.signed(symbol="btc_usdt", type="sell", price="9000", amount="0.1")})
    order_id = wire.recv()[0]["data"]["order_id"]
    wire.send({"event": "addChannel", "channel": "ok_spot_cancel_order",
               "parameters": wire.signed(symbol="btc_usdt", order_id=str(order_id))})
    assert wire.recv() == [{"binary": 1, "channel": "ok_spot_cancel_order",
                            "data": {"result": True, "order_id": str(order_id)}}]


def test_subscription_errors_use_the_documented_shapes(wire):
    wire.send({"event": "addChannel", "channel": "ok_spoteth_trade"})  # legacy name (§3.1)
    assert wire.recv()[0]["data"]["error_code"] == 20116
    wire.send({"event": "addChannel", "channel": "ok_sub_spot_btc_usdt_depth_7"})
    [reply] = wire.recv()
    assert (reply["channel"], reply["data"]["error_code"]) == ("ok_sub_spot_btc_usdt_depth_7", 10015)
    wire.send({"event": "addChannel", "channel": "ok_sub_spot_btc_usdt_order"})  # not logged on
    assert wire.recv()[0]["data"]["error_code"] == 10017
    wire.send({"event": "subscribe", "channel": "x"})
    assert wire.recv() == [{"binary": 1, "data": {"result": False, "error_code": 20103,
                                                  "error_msg": "The subscription event type is  invalid."}}]
    wire.send("{not json")
    assert wire.recv()[0]["data"]["error_code"] == 20107


def test_a_batch_is_acked_in_one_frame_then_pushed(emulator, wire):
    # The document's own request, with its single quotes (§2: the server was lenient).
    wire.send("[{'event':'addChannel','channel':'ok_sub_spot_btc_usdt_ticker'},"
              "{'event':'addChannel','channel':'ok_sub_spot_usd_btc_depth'}]")
    acks = wire.recv()
    assert [ack["data"] for ack in acks] == [
        {"result": True, "channel": "ok_sub_spot_btc_usdt_ticker"},
        {"result": True, "channel": "ok_sub_spot_usd_btc_depth"},  # unknown pair: acked anyway (§3.2)
    ]
    [ticker] = wire.recv()
    assert ticker["channel"] == "ok_sub_spot_btc_usdt_ticker" and set(ticker["data"]) >= {"buy", "sell", "last"}
    assert sorted(emulator.subscribed_channels()) == ["ok_sub_spot_btc_usdt_ticker", "ok_sub_spot_usd_btc_depth"]


def test_private_pushes_look_like_the_real_ones(emulator, wire):
    wire.send({"event": "login", "parameters": wire.signed()})
    wire.recv()
    wire.send({"event": "addChannel", "channel": "ok_sub_spot_enj_btc_order"})
    wire.send({"event": "addChannel", "channel": "ok_sub_spot_enj_btc_balance"})
    wire.recv(), wire.recv()
    wire.send({"event": "addChannel", "channel": "ok_spot_order",
               "parameters": wire.signed(symbol="enj_btc", type="sell", price="0.00001208", amount="84.88")})
    reply, [order], [balance] = wire.recv(), wire.recv(), wire.recv()
    assert reply[0]["channel"] == "ok_spot_order"
    # Same keys and value types as the capture in fixtures/okex/real_decoded_frames.json (#194).
    assert order["channel"] == "ok_sub_spot_enj_btc_order" and order["binary"] == 1
    assert set(order["data"]) == {"symbol", "orderId", "tradeUnitPrice", "tradeAmount", "createdDate",
                                  "completedTradeAmount", "averagePrice", "tradePrice", "tradeType", "status"}
    assert isinstance(order["data"]["orderId"], int) and isinstance(order["data"]["createdDate"], str)
    assert (order["data"]["tradeUnitPrice"], order["data"]["tradeAmount"], order["data"]["status"]) == (
        "0.00001208", "84.88", 0)
    assert balance["channel"] == "ok_sub_spot_enj_btc_balance"
    assert balance["data"]["info"]["freezed"]["enj"] == pytest.approx(84.88)  # a JSON number, as captured


def test_withheld_reply_still_carries_out_the_request(emulator, wire):
    emulator.withhold_next_reply("ok_spot_order")
    wire.send({"event": "addChannel", "channel": "ok_spot_order",
               "parameters": wire.signed(symbol="btc_usdt", type="buy", price="100", amount="1")})
    wire.send({"event": "ping"})
    assert wire.recv() == {"event": "pong"}  # the order's reply never came
    assert emulator.order_count == 1
