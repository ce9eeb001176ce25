"""BinanceEmulator fidelity: integers and booleans sent as JSON strings (the exact frames
binance-sdk-spot and ccxt send), a user's own API key registered, and a coherent market
(best bid <= last trade <= best ask at every moment, tickers agreeing with the book,
trades at the touch), checked through the WS API as a third-party client sees it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import random
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from websockets.sync.client import ClientConnection, connect

from exwire.errors import ConfigurationError
from exwire.testing.binance import BinanceEmulator
from tests.conftest import timeout

_IDS = itertools.count(1)


@pytest.fixture
def emu() -> Iterator[BinanceEmulator]:
    with BinanceEmulator(seed=5, ping_scale=None) as emulator:
        yield emulator


@pytest.fixture
def api(emu: BinanceEmulator) -> Iterator[ClientConnection]:
    with connect(emu.spot_url) as websocket:
        yield websocket


def _call(websocket: ClientConnection, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    request: dict[str, Any] = {"id": next(_IDS), "method": method}
    if params is not None:
        request["params"] = params
    websocket.send(json.dumps(request))
    while True:
        reply = json.loads(websocket.recv(timeout(5)))
        if reply.get("id") == request["id"]:
            return reply


def _signed(params: dict[str, Any], key: str, secret: str) -> dict[str, Any]:
    """HMAC-sign as Binance documents it: sorted ``key=value`` pairs, hex SHA-256."""
    params = {**params, "apiKey": key}
    payload = "&".join(f"{name}={params[name]}" for name in sorted(params))
    return {**params, "signature": hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()}


def _now() -> int:
    return int(time.time() * 1000)


# -- integers and booleans as JSON strings -----------------------------------------------------------------


def test_binance_sdk_spot_depth_with_a_string_limit_answers(api: ClientConnection) -> None:
    reply = _call(api, "depth", {"symbol": "BTCUSDT", "limit": "5"})  # binance-sdk-spot's depth(limit=5)
    assert reply["status"] == 200 and len(reply["result"]["bids"]) == len(reply["result"]["asks"]) == 5


def test_ccxt_fetch_and_cancel_with_a_string_order_id_and_string_recv_window(emu: BinanceEmulator,
                                                                          api: ClientConnection) -> None:
    credentials = emu.add_account()
    key, secret = credentials.key, credentials.secret
    assert secret is not None
    placed = _call(api, "order.place", _signed({"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT",
                                                "timeInForce": "GTC", "price": "20000.00", "quantity": "0.01000",
                                                "timestamp": _now(), "recvWindow": "5000"}, key, secret))
    assert placed["status"] == 200, placed
    order_id = str(placed["result"]["orderId"])
    status = _call(api, "order.status", _signed({"symbol": "BTCUSDT", "orderId": order_id, "timestamp": _now()},
                                                key, secret))  # ccxt fetch_order_ws
    assert status["status"] == 200 and status["result"]["orderId"] == int(order_id), status
    canceled = _call(api, "order.cancel", _signed({"symbol": "BTCUSDT", "orderId": order_id,
                                                   "timestamp": str(_now())}, key, secret))  # cancel_order_ws
    assert canceled["status"] == 200 and canceled["result"]["status"] == "CANCELED", canceled


def test_string_booleans_are_read_as_booleans(emu: BinanceEmulator, api: ClientConnection) -> None:
    credentials = emu.add_account(balances={"BTC": "1", "USDT": "0"})
    assert credentials.secret is not None
    reply = _call(api, "account.status", _signed({"omitZeroBalances": "true", "timestamp": _now()},
                                                 credentials.key, credentials.secret))
    assert reply["status"] == 200, reply
    assert [b["asset"] for b in reply["result"]["balances"]] == ["BTC"]


def test_non_canonical_numbers_stay_refused(api: ClientConnection) -> None:
    assert _call(api, "depth", {"symbol": "BTCUSDT", "limit": "five"})["error"]["code"] == -1100


# -- the user's own keys ---------------------------------------------------------------------------------


def test_own_hmac_key_and_secret_are_accepted(emu: BinanceEmulator, api: ClientConnection) -> None:
    credentials = emu.add_account(key="my-key-1", secret="my-secret")
    assert credentials.key == "my-key-1" and credentials.secret == "my-secret"
    reply = _call(api, "account.status", _signed({"timestamp": _now()}, "my-key-1", "my-secret"))
    assert reply["status"] == 200, reply
    wrong = _call(api, "account.status", _signed({"timestamp": _now()}, "my-key-1", "not-my-secret"))
    assert wrong["error"]["code"] == -1022


def test_own_ed25519_public_key_is_accepted(emu: BinanceEmulator, api: ClientConnection) -> None:
    private = ed25519.Ed25519PrivateKey.generate()
    public_pem = private.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    credentials = emu.add_account(key="my-ed25519", public_key_pem=public_pem)
    assert credentials.key == "my-ed25519" and credentials.private_key is None
    params = {"apiKey": "my-ed25519", "timestamp": _now()}
    payload = "&".join(f"{name}={params[name]}" for name in sorted(params))
    signature = base64.b64encode(private.sign(payload.encode())).decode()
    reply = _call(api, "session.logon", {**params, "signature": signature})
    assert reply["status"] == 200 and reply["result"]["apiKey"] == "my-ed25519", reply


def test_own_key_arguments_are_checked(emu: BinanceEmulator) -> None:
    with pytest.raises(ConfigurationError):
        emu.add_account(secret="no-key")
    with pytest.raises(ConfigurationError):
        emu.add_account(public_key_pem="not a pem")
    emu.add_account(key="taken", secret="s")
    with pytest.raises(ConfigurationError):
        emu.add_account(key="taken", secret="s")


# -- a coherent market ---------------------------------------------------------------------------------------


def _sample(api: ClientConnection, symbol: str) -> tuple[Decimal, Decimal, Decimal, dict[str, Any], dict[str, Any]]:
    book = _call(api, "ticker.book", {"symbol": symbol})["result"]
    depth = _call(api, "depth", {"symbol": symbol, "limit": 5})["result"]
    (last,) = _call(api, "trades.recent", {"symbol": symbol, "limit": 1})["result"]
    ticker = _call(api, "ticker.24hr", {"symbol": symbol})["result"]
    assert [depth["bids"][0][0], depth["asks"][0][0]] == [book["bidPrice"], book["askPrice"]]
    return Decimal(book["bidPrice"]), Decimal(last["price"]), Decimal(book["askPrice"]), ticker, book


def test_the_market_is_coherent_at_every_sample(emu: BinanceEmulator) -> None:
    credentials = emu.add_account()
    assert credentials.secret is not None
    rng = random.Random(7)
    with connect(emu.spot_url) as api:
        for step in range(80):
            symbol = rng.choice(["BTCUSDT", "ETHUSDT"])
            action = step % 4
            price = emu.price(symbol)
            tick = Decimal("0.01")
            if action == 0:
                emu.set_price(symbol, price + tick * rng.randint(-500, 500))
            elif action == 1:  # a resting order the next move crosses fills at its own price
                _call(api, "order.place", _signed({"symbol": symbol, "side": "BUY", "type": "LIMIT",
                                                   "timeInForce": "GTC", "price": str(price - tick * 20),
                                                   "quantity": "0.0100", "timestamp": _now()},
                                                  credentials.key, credentials.secret))
                emu.set_price(symbol, price - tick * 40)
            else:  # a taker order trades at the touch
                side = rng.choice(["BUY", "SELL"])
                _call(api, "order.place", _signed({"symbol": symbol, "side": side, "type": "MARKET",
                                                   "quantity": "0.0010", "timestamp": _now()},
                                                  credentials.key, credentials.secret))
            bid, last, ask, ticker, book = _sample(api, symbol)
            assert bid <= last <= ask, (step, bid, last, ask)
            assert last in (bid, ask), "trades happen at the touch"
            assert Decimal(ticker["lastPrice"]) == last
            assert Decimal(ticker["lowPrice"]) <= last <= Decimal(ticker["highPrice"])
            assert (ticker["bidPrice"], ticker["askPrice"]) == (book["bidPrice"], book["askPrice"])
