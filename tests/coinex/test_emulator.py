"""CoinexEmulator at the wire level: raw JSON frames over a plain websockets client.

These check the emulator against reference/protocols/coinex.md without going through
CoinexClient, so a bug shared by both would still show here.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from websockets.sync.client import connect

from exwire.errors import ConfigurationError, InsufficientFunds, OrderNotFound
from exwire.testing.coinex import DEFAULT_ACCESS_ID, DEFAULT_SECRET, CoinexEmulator, depth_checksum
from tests.conftest import timeout


class Raw:
    """A bare CoinEx v1 client: ``call`` returns the reply and keeps the pushes."""

    def __init__(self, websocket: Any) -> None:
        self.websocket = websocket
        self.ids = itertools.count(1)
        self.pushes: list[dict[str, Any]] = []

    def call(self, method: str, params: list[Any]) -> dict[str, Any]:
        request_id = next(self.ids)
        self.websocket.send(json.dumps({"method": method, "params": params, "id": request_id}))
        while True:
            message = json.loads(self.websocket.recv(timeout(5)))
            if message.get("id") == request_id:
                return message
            self.pushes.append(message)

    def push(self, method: str) -> dict[str, Any]:
        for index, message in enumerate(self.pushes):
            if message["method"] == method:
                return self.pushes.pop(index)
        while True:
            message = json.loads(self.websocket.recv(timeout(5)))
            assert message["id"] is None, message
            if message["method"] == method:
                return message
            self.pushes.append(message)

    def sign(self, access_id: str = DEFAULT_ACCESS_ID, secret: str = DEFAULT_SECRET,
             tonce: int | None = None) -> dict[str, Any]:
        tonce = int(time.time() * 1000) if tonce is None else tonce
        text = f"access_id={access_id}&tonce={tonce}&secret_key={secret}"
        return self.call("server.sign", [access_id, hashlib.md5(text.encode()).hexdigest().upper(), tonce])


@pytest.fixture
def emu() -> Iterator[CoinexEmulator]:
    with CoinexEmulator(seed=3, push_interval=0.02) as emulator:
        yield emulator


@pytest.fixture
def raw(emu) -> Iterator[Raw]:
    with connect(emu.url) as websocket:
        yield Raw(websocket)


def error_code(reply: dict[str, Any]) -> int | None:
    return reply["error"]["code"] if reply["error"] else None


def test_envelope_and_server_methods(raw):
    assert raw.call("server.ping", []) == {"error": None, "result": "pong", "id": 1}
    assert abs(raw.call("server.time", [])["result"] - time.time()) < 5
    assert raw.call("no.such", []) == {"error": {"code": 4, "message": "method not found"}, "result": None, "id": 3}


@pytest.mark.parametrize("method", ["asset.query", "asset.subscribe", "order.query", "order.subscribe"])
def test_private_methods_need_a_sign_in(raw, method):
    assert error_code(raw.call(method, [])) == 6


def test_sign_checks_params_signature_key_and_tonce(raw, emu):
    assert error_code(raw.call("server.sign", [DEFAULT_ACCESS_ID, "x"])) == 1
    assert raw.sign(secret="wrong")["error"] == {"code": 11, "message": "invalid signature"}
    assert error_code(raw.sign(access_id="unknown")) == 11
    assert error_code(raw.sign(tonce=int(time.time() * 1000) - 120_000)) == 11
    emu.refuse_next_sign("nope")
    assert raw.sign()["error"] == {"code": 11, "message": "nope"}
    assert raw.sign() == {"error": None, "result": {"status": "success"}, "id": 6}
    assert emu.sign_count == 1
    assert raw.call("asset.query", ["BTC"])["result"] == {"BTC": {"available": "1.00000000", "frozen": "0.00000000"}}


def test_a_subscribe_replaces_the_previous_one_of_its_kind(raw, emu):
    raw.call("deals.subscribe", ["BTCUSDT", "ETHUSDT"])
    raw.call("deals.subscribe", ["CETUSDT"])
    assert emu.subscriptions()[0]["deals"] == ["CETUSDT"]
    assert error_code(raw.call("deals.subscribe", ["NOPE"])) == 1
    assert emu.subscriptions()[0]["deals"] == []  # dropped before the refusal, as CoinEx does
    raw.call("state.subscribe", ["BTCUSDT"])
    assert raw.call("state.unsubscribe", ["ignored"])["result"] == {"status": "success"}
    assert emu.subscriptions()[0]["state"] == []


def test_depth_pushes_rebuild_the_book_and_every_checksum_matches(raw):
    raw.call("depth.subscribe_multi", [["BTCUSDT", 10, "0"], ["ETHUSDT", 5, "0.1"]])
    books: dict[str, dict[str, dict[str, str]]] = {}
    incremental = 0
    while incremental < 30:
        clean, depth, market = raw.push("depth.update")["params"]
        if clean:
            books[market] = {"bids": {}, "asks": {}}
        else:
            incremental += 1
        book = books[market]
        for side in ("bids", "asks"):
            for price, amount in depth.get(side, []):
                if Decimal(amount):
                    book[side][price] = amount
                else:
                    book[side].pop(price, None)
        limit = 10 if market == "BTCUSDT" else 5
        bids = sorted(book["bids"].items(), key=lambda level: -Decimal(level[0]))[:limit]
        asks = sorted(book["asks"].items(), key=lambda level: Decimal(level[0]))[:limit]
        assert depth_checksum(bids, asks) == depth["checksum"]
        assert len(bids) == len(asks) == limit
        assert Decimal(bids[0][0]) < Decimal(asks[0][0])
    assert all(Decimal(price) % Decimal("0.1") == 0 for price in books["ETHUSDT"]["bids"])


def test_depth_arguments_are_checked(raw):
    assert error_code(raw.call("depth.subscribe", ["BTCUSDT", 7, "0"])) == 1
    assert error_code(raw.call("depth.subscribe", ["BTCUSDT", 10, "0.001"])) == 1  # finer than 0.01
    assert error_code(raw.call("depth.subscribe_multi", [])) == 1
    assert raw.call("depth.query", ["BTCUSDT", 7, "0"])["result"]["bids"].__len__() == 20  # falls back to 20


def test_queries_check_their_argument_types(raw):
    assert error_code(raw.call("deals.query", ["BTCUSDT", "10", 0])) == 1
    assert error_code(raw.call("kline.subscribe", ["BTCUSDT", 60, 1])) == 1
    assert error_code(raw.call("kline.query", ["BTCUSDT", 2, 1, 60])) == 1
    assert error_code(raw.call("state.query", ["BTCUSDT"])) == 1


def test_order_flow_pushes_order_asset_and_own_trade(raw, emu):
    raw.sign()
    raw.call("order.subscribe", [])
    raw.call("asset.subscribe", ["BTC"])
    raw.call("deals.subscribe", ["BTCUSDT"])
    raw.push("deals.update")  # the history
    order_id = emu.place_order("BTCUSDT", "sell", "0.5", "40000")
    event, order = raw.push("order.update")["params"]
    assert (event, order["id"], order["left"], order["side"]) == (1, order_id, "0.50000000", 1)
    assert raw.push("asset.update")["params"] == [
        {"BTC": {"available": "0.50000000", "frozen": "0.50000000", "timestamp": pytest.approx(time.time(), abs=5)}},
        0]
    trade = emu.fill(order_id)
    event, order = raw.push("order.update")["params"]
    assert (event, order["left"], order["deal_money"], order["money_fee"]) == (
        3, "0.00000000", "20000.0000000000", "40.0000000000")
    while True:
        message = raw.push("deals.update")
        if len(message["params"]) == 3:
            break
    assert message["params"] == ["BTCUSDT", [trade], True]
    assert emu.balances()["USDT"] == (Decimal("29960"), Decimal(0))
    with pytest.raises(OrderNotFound):
        emu.cancel_order(order_id)
    with pytest.raises(InsufficientFunds):
        emu.place_order("BTCUSDT", "buy", "1", "1000000")
    with pytest.raises(ConfigurationError):
        emu.place_order("NOPE", "buy", "1", "1")


def test_kline_push_after_subscribe(raw):
    assert raw.call("kline.subscribe", ["ETHUSDT", 60])["result"] == {"status": "success"}
    candles = raw.push("kline.update")["params"]
    assert candles[-1][7] == "ETHUSDT" and candles[-1][0] % 60 == 0 and len(candles[-1]) == 8
