"""Futures, sans-I/O: each futures method → the frame it sends (method, params, wire types,
signature, connection), the futures error meanings, keep-alive frames, and bad input
refused before anything is sent (binance.md §10)."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timezone

import pytest

from exwire._core.protocol import Failure, Reply
from exwire.binance import FuturesMarket
from exwire.binance.protocol import BinanceProtocol, map_error
from exwire.binance.signing import HmacSigner
from exwire.errors import (
    AuthenticationError,
    ConfigurationError,
    InsufficientFunds,
    InvalidRequest,
    OrderNotFound,
)
from tests.binance.futures_support import Replay
from tests.binance.test_signing import API_KEY, HMAC_VECTORS, SECRET

U, C = FuturesMarket.USDM, FuturesMarket.COINM
GTD = datetime(2030, 1, 2, 3, 4, 5, 678000, tzinfo=timezone.utc)
ORDER = '{"id": 1, "status": 200, "result": {"symbol": "BTCUSDT", "orderId": 1}}'
ALGO = '{"id": 1, "status": 200, "result": {"algoId": 1, "symbol": "BTCUSDT"}}'
LIST = '{"id": 1, "status": 200, "result": []}'
OBJECT = '{"id": 1, "status": 200, "result": {}}'
BOOK = '{"id": 1, "status": 200, "result": {"lastUpdateId": 1, "bids": [], "asks": []}}'
PRICE = '{"id": 1, "status": 200, "result": {"symbol": "BTCUSDT", "price": "1"}}'
BEST = ('{"id": 1, "status": 200, "result": {"symbol": "BTCUSDT", "bidPrice": "1", "bidQty": "1", '
        '"askPrice": "2", "askQty": "1"}}')


@pytest.fixture
def replay():
    replay = Replay()
    yield replay
    replay.close()


# (call, reply, connection, method, exact params without apiKey/timestamp/signature, signed)
FRAMES = {
    "depth": (lambda c: c.get_futures_order_book("btcusdt", 5), BOOK, "usdm", "depth",
              {"symbol": "BTCUSDT", "limit": 5}, False),
    "price one": (lambda c: c.get_futures_symbol_price_ticker("BTCUSDT"), PRICE, "usdm", "ticker.price",
                  {"symbol": "BTCUSDT"}, False),
    "price all": (lambda c: c.get_futures_symbol_price_ticker(), LIST, "usdm", "ticker.price", {}, False),
    "book one": (lambda c: c.get_futures_symbol_order_book_ticker("BTCUSDT"), BEST, "usdm", "ticker.book",
                 {"symbol": "BTCUSDT"}, False),
    "book all": (lambda c: c.get_futures_symbol_order_book_ticker(), LIST, "usdm", "ticker.book", {}, False),
    "place usdm": (
        lambda c: c.submit_new_futures_order(
            U, "BTCUSDT", "BUY", "LIMIT", time_in_force="GTD", good_till_date=GTD, price="43187.00",
            quantity="0.100", position_side="BOTH", reduce_only=False, new_client_order_id="my-1",
            response_type="RESULT", self_trade_prevention_mode="EXPIRE_MAKER"),
        ORDER, "usdm", "order.place",
        {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTD", "goodTillDate": 1893553445678,
         "price": "43187.00", "quantity": "0.100", "positionSide": "BOTH", "reduceOnly": "false",
         "newClientOrderId": "my-1", "newOrderRespType": "RESULT", "selfTradePreventionMode": "EXPIRE_MAKER"},
        True),
    "place usdm price match": (
        lambda c: c.submit_new_futures_order(U, "BTCUSDT", "SELL", "LIMIT", time_in_force="GTX", quantity=0.5,
                                             price_match="QUEUE"),
        ORDER, "usdm", "order.place",
        {"symbol": "BTCUSDT", "side": "SELL", "type": "LIMIT", "timeInForce": "GTX", "quantity": "0.5",
         "priceMatch": "QUEUE"}, True),
    "place coinm conditional": (
        lambda c: c.submit_new_futures_order(
            C, "BTCUSD_PERP", "SELL", "STOP_MARKET", stop_price="29000.1", close_position=True,
            working_type="MARK_PRICE", price_protect=True),
        ORDER, "coinm", "order.place",
        {"symbol": "BTCUSD_PERP", "side": "SELL", "type": "STOP_MARKET", "stopPrice": "29000.1",
         "closePosition": "true", "workingType": "MARK_PRICE", "priceProtect": "true"}, True),
    "place coinm trailing": (
        lambda c: c.submit_new_futures_order(C, "BTCUSD_PERP", "BUY", "TRAILING_STOP_MARKET", quantity=3,
                                             callback_rate="0.5", activation_price="28000"),
        ORDER, "coinm", "order.place",
        {"symbol": "BTCUSD_PERP", "side": "BUY", "type": "TRAILING_STOP_MARKET", "quantity": "3",
         "callbackRate": "0.5", "activationPrice": "28000"}, True),
    "modify": (lambda c: c.modify_futures_order(U, "BTCUSDT", "SELL", "0.110", "43769.10", order_id=328971409),
               ORDER, "usdm", "order.modify",
               {"symbol": "BTCUSDT", "side": "SELL", "quantity": "0.110", "price": "43769.10",
                "orderId": 328971409}, True),
    "cancel coinm": (lambda c: c.cancel_futures_order(C, "BTCUSD_PERP", original_client_order_id="myOrder1"),
                     ORDER, "coinm", "order.cancel", {"symbol": "BTCUSD_PERP", "origClientOrderId": "myOrder1"},
                     True),
    "status": (lambda c: c.get_futures_order_status(U, "BTCUSDT", order_id=1917641), ORDER, "usdm",
               "order.status", {"symbol": "BTCUSDT", "orderId": 1917641}, True),
    "position usdm": (lambda c: c.get_futures_position(U, "BTCUSDT"), LIST, "usdm", "account.position",
                      {"symbol": "BTCUSDT"}, True),
    "position coinm": (lambda c: c.get_futures_position("coinm", pair="btcusd", margin_asset="BTC"), LIST,
                       "coinm", "account.position", {"pair": "BTCUSD", "marginAsset": "BTC"}, True),
    "position v2": (lambda c: c.get_futures_position_v2(), LIST, "usdm", "v2/account.position", {}, True),
    "algo place": (
        lambda c: c.submit_new_futures_algo_order(
            "BTCUSDT", "SELL", "TAKE_PROFIT", quantity="1.000", price="160000.00", trigger_price="120000.00",
            time_in_force="GTC", client_algo_id="0Xkl1p621E4EryvufmYre1", working_type="CONTRACT_PRICE",
            self_trade_prevention_mode="EXPIRE_MAKER"),
        ALGO, "usdm", "algoOrder.place",
        {"algoType": "CONDITIONAL", "symbol": "BTCUSDT", "side": "SELL", "type": "TAKE_PROFIT", "quantity": "1.000",
         "price": "160000.00", "triggerPrice": "120000.00", "timeInForce": "GTC",
         "clientAlgoId": "0Xkl1p621E4EryvufmYre1", "workingType": "CONTRACT_PRICE",
         "selfTradePreventionMode": "EXPIRE_MAKER"}, True),
    "algo trailing": (
        lambda c: c.submit_new_futures_algo_order("BTCUSDT", "SELL", "TRAILING_STOP_MARKET", quantity="0.01",
                                                  callback_rate=1, activation_price="31000", reduce_only=True),
        ALGO, "usdm", "algoOrder.place",
        {"algoType": "CONDITIONAL", "symbol": "BTCUSDT", "side": "SELL", "type": "TRAILING_STOP_MARKET",
         "quantity": "0.01", "callbackRate": "1", "activatePrice": "31000", "reduceOnly": "true"}, True),
    "algo cancel": (lambda c: c.cancel_futures_algo_order(algo_id=3000000000003505), ALGO, "usdm",
                    "algoOrder.cancel", {"algoId": 3000000000003505}, True),
    "balance v2": (lambda c: c.get_futures_account_balance_v2(), LIST, "usdm", "v2/account.balance", {}, True),
    "balance coinm": (lambda c: c.get_futures_account_balance(C), LIST, "coinm", "account.balance", {}, True),
    "status v2": (lambda c: c.get_futures_account_status_v2(), OBJECT, "usdm", "v2/account.status", {}, True),
    "status usdm": (lambda c: c.get_futures_account_status(U), OBJECT, "usdm", "account.status", {}, True),
    "status coinm": (lambda c: c.get_futures_account_status(C), OBJECT, "coinm", "account.status", {}, True),
}


def _hmac(params: dict) -> str:
    payload = "&".join(f"{k}={params[k]}" for k in sorted(params) if k != "signature")
    return hmac.new(SECRET.encode(), payload.encode(), hashlib.sha256).hexdigest()


@pytest.mark.parametrize("case", sorted(FRAMES))
def test_each_futures_method_builds_its_frame(replay, case):
    call, reply, connection, method, params, signed = FRAMES[case]
    replay.response = reply
    call(replay.client)
    ((sent_on, frame),) = replay.sent
    assert sent_on == connection and frame["method"] == method
    sent = dict(frame.get("params", {}))
    if signed:
        assert sent.pop("apiKey") == API_KEY and isinstance(sent.pop("timestamp"), int)
        signature = sent.pop("signature")
        assert signature == _hmac({**sent, "apiKey": API_KEY, "timestamp": frame["params"]["timestamp"]})
    assert sent == params
    for value in sent.values():  # §10.2: INT as JSON numbers, everything else as strings
        assert isinstance(value, (int, str)) and not isinstance(value, bool)


def test_futures_requests_count_their_own_ids_and_limits(replay):
    replay.response = ORDER
    replay.client.get_futures_order_status(U, "BTCUSDT", order_id=1)
    replay.client.get_futures_order_status(C, "BTCUSD_PERP", order_id=1)
    replay.client.get_futures_order_status(U, "BTCUSDT", order_id=1)
    assert [frame["id"] for _, frame in replay.sent] == [1, 1, 2]  # one id counter per connection
    replay.response = ('{"id": 1, "status": 200, "result": {}, "rateLimits": [{"rateLimitType": "REQUEST_WEIGHT", '
                       '"interval": "MINUTE", "intervalNum": 1, "limit": 2400, "count": 7}]}')
    replay.client.get_futures_account_status(C)
    assert replay.client.futures_rate_limits(C)[0].count == 7
    assert replay.client.futures_rate_limits(U) == () and replay.client.rate_limits == ()


BAD_CALLS = {
    "usdm stop on order.place": lambda c: c.submit_new_futures_order(U, "BTCUSDT", "SELL", "STOP_MARKET",
                                                                     stop_price="1", quantity="1"),
    "usdm stop price": lambda c: c.submit_new_futures_order(U, "BTCUSDT", "SELL", "MARKET", quantity="1",
                                                            stop_price="1"),
    "usdm working type": lambda c: c.submit_new_futures_order(U, "BTCUSDT", "SELL", "MARKET", quantity="1",
                                                              working_type="MARK_PRICE"),
    "limit without price": lambda c: c.submit_new_futures_order(U, "BTCUSDT", "BUY", "LIMIT", quantity="1",
                                                                time_in_force="GTC"),
    "limit without time in force": lambda c: c.submit_new_futures_order(U, "BTCUSDT", "BUY", "LIMIT", price="1",
                                                                         quantity="1"),
    "price and price match": lambda c: c.submit_new_futures_order(U, "BTCUSDT", "BUY", "LIMIT", price="1",
                                                                  quantity="1", time_in_force="GTC",
                                                                  price_match="OPPONENT"),
    "gtd without date": lambda c: c.submit_new_futures_order(U, "BTCUSDT", "BUY", "LIMIT", price="1",
                                                             quantity="1", time_in_force="GTD"),
    "date without gtd": lambda c: c.submit_new_futures_order(U, "BTCUSDT", "BUY", "LIMIT", price="1",
                                                             quantity="1", time_in_force="GTC",
                                                             good_till_date=GTD),
    "market with price": lambda c: c.submit_new_futures_order(U, "BTCUSDT", "BUY", "MARKET", price="1",
                                                              quantity="1"),
    "reduce only in hedge mode": lambda c: c.submit_new_futures_order(U, "BTCUSDT", "BUY", "MARKET", quantity="1",
                                                                      position_side="LONG", reduce_only=True),
    "unknown side": lambda c: c.submit_new_futures_order(U, "BTCUSDT", "HOLD", "MARKET", quantity="1"),
    "unknown time in force": lambda c: c.submit_new_futures_order(U, "BTCUSDT", "BUY", "LIMIT", price="1",
                                                                  quantity="1", time_in_force="GTE"),
    "negative quantity": lambda c: c.submit_new_futures_order(U, "BTCUSDT", "BUY", "MARKET", quantity="-1"),
    "reduce only not a bool": lambda c: c.submit_new_futures_order(U, "BTCUSDT", "BUY", "MARKET", quantity="1",
                                                                   reduce_only="yes"),
    "coinm stop without stop price": lambda c: c.submit_new_futures_order(C, "BTCUSD_PERP", "SELL", "STOP_MARKET",
                                                                          quantity="1"),
    "coinm close position with quantity": lambda c: c.submit_new_futures_order(
        C, "BTCUSD_PERP", "SELL", "STOP_MARKET", stop_price="1", quantity="1", close_position=True),
    "coinm trailing without rate": lambda c: c.submit_new_futures_order(C, "BTCUSD_PERP", "SELL",
                                                                        "TRAILING_STOP_MARKET", quantity="1"),
    "callback rate out of range": lambda c: c.submit_new_futures_order(C, "BTCUSD_PERP", "SELL",
                                                                       "TRAILING_STOP_MARKET", quantity="1",
                                                                       callback_rate="20"),
    "unknown market": lambda c: c.submit_new_futures_order("spot", "BTCUSDT", "BUY", "MARKET", quantity="1"),
    "modify without id": lambda c: c.modify_futures_order(U, "BTCUSDT", "BUY", "1", "1"),
    "cancel without id": lambda c: c.cancel_futures_order(U, "BTCUSDT"),
    "status without id": lambda c: c.get_futures_order_status(C, "BTCUSD_PERP"),
    "algo limit type": lambda c: c.submit_new_futures_algo_order("BTCUSDT", "BUY", "LIMIT", quantity="1",
                                                                 price="1"),
    "algo without trigger": lambda c: c.submit_new_futures_algo_order("BTCUSDT", "SELL", "STOP_MARKET",
                                                                      quantity="1"),
    "algo market with price": lambda c: c.submit_new_futures_algo_order("BTCUSDT", "SELL", "STOP_MARKET",
                                                                        quantity="1", trigger_price="1",
                                                                        price="1"),
    "algo activation on a stop": lambda c: c.submit_new_futures_algo_order("BTCUSDT", "SELL", "STOP_MARKET",
                                                                           quantity="1", trigger_price="1",
                                                                           activation_price="2"),
    "algo unknown type": lambda c: c.submit_new_futures_algo_order("BTCUSDT", "SELL", "STOP_MARKET", quantity="1",
                                                                   trigger_price="1", algo_type="TWAP"),
    "algo cancel without id": lambda c: c.cancel_futures_algo_order(),
    "depth limit": lambda c: c.get_futures_order_book("BTCUSDT", 7),
    "ticker symbol list": lambda c: c.get_futures_symbol_price_ticker(["BTCUSDT", "ETHUSDT"]),
    "usdm position with pair": lambda c: c.get_futures_position(U, pair="BTCUSD"),
    "coinm position with symbol": lambda c: c.get_futures_position(C, "BTCUSD_PERP"),
    "recv window": lambda c: c.get_futures_account_status(U, recv_window=61),
    "timeout": lambda c: c.get_futures_account_status(U, timeout=0),
}


@pytest.mark.parametrize("case", sorted(BAD_CALLS))
def test_bad_futures_input_is_refused_before_anything_is_sent(replay, case):
    with pytest.raises(ConfigurationError):
        BAD_CALLS[case](replay.client)
    assert replay.sent == []


USDM_ONLY = {
    "get_futures_order_book": lambda c, m: c.get_futures_order_book("BTCUSD_PERP", market=m),
    "get_futures_symbol_price_ticker": lambda c, m: c.get_futures_symbol_price_ticker(market=m),
    "get_futures_symbol_order_book_ticker": lambda c, m: c.get_futures_symbol_order_book_ticker(market=m),
    "get_futures_position_v2": lambda c, m: c.get_futures_position_v2(market=m),
    "submit_new_futures_algo_order": lambda c, m: c.submit_new_futures_algo_order(
        "BTCUSD_PERP", "SELL", "STOP_MARKET", quantity="1", trigger_price="1", market=m),
    "cancel_futures_algo_order": lambda c, m: c.cancel_futures_algo_order(algo_id=1, market=m),
    "get_futures_account_balance_v2": lambda c, m: c.get_futures_account_balance_v2(market=m),
    "get_futures_account_status_v2": lambda c, m: c.get_futures_account_status_v2(market=m),
}


@pytest.mark.parametrize("name", sorted(USDM_ONLY))
def test_usdm_only_method_for_coinm_is_refused_before_sending(replay, name):
    with pytest.raises(ConfigurationError, match="USD-M"):
        USDM_ONLY[name](replay.client, C)
    with pytest.raises(ConfigurationError, match="USD-M"):
        USDM_ONLY[name](replay.client, "coinm")
    assert replay.sent == []


# -- the futures protocol ------------------------------------------------------------------------------


def test_futures_signing_is_the_spot_signing():
    # §10.1: same algorithm; the published §6.4 vector signs the same on a futures connection.
    protocol = BinanceProtocol(product="usdm")
    params = {"symbol": "BTCUSDT", "side": "SELL", "type": "LIMIT", "timeInForce": "GTC",
              "quantity": "0.00847000", "price": "23416.10000000"}
    _, frame = protocol.request("order.place", params, signer=HmacSigner(API_KEY, SECRET),
                                timestamp_ms=1660801715431)
    assert json.loads(frame)["params"]["signature"] == HMAC_VECTORS[3][1]


def test_spot_keepalive_is_an_application_ping_and_futures_use_websocket_pings():
    spot, futures = BinanceProtocol(), BinanceProtocol(product="coinm")
    assert json.loads(spot.ping_frame())["method"] == "ping"
    # Futures: no application ping (WebSocket ping frames cost no request weight); a
    # session.status reply is an ordinary reply.
    assert futures.ping_frame() is None
    reply = {"id": 99, "status": 200, "result": {"apiKey": None, "serverTime": 1}}
    assert futures.receive(json.dumps(reply)) == (Reply(99, reply["result"]),)


def test_unknown_product_is_refused():
    with pytest.raises(ValueError):
        BinanceProtocol(product="margin")


@pytest.mark.parametrize(("code", "message", "spot", "futures"), [
    (-2026, "ReduceOnly Order Failed. Please check your existing position and open orders.", OrderNotFound,
     InvalidRequest),
    (-2019, "Margin is insufficient.", InvalidRequest, InsufficientFunds),
    (-2018, "Balance is insufficient.", InvalidRequest, InsufficientFunds),
    (-2022, "ReduceOnly Order is rejected.", InvalidRequest, InvalidRequest),
    (-2021, "Order would immediately trigger.", InvalidRequest, InvalidRequest),
    (-2013, "Order does not exist.", OrderNotFound, OrderNotFound),
    (-2011, "Unknown order sent.", OrderNotFound, OrderNotFound),
    (-2015, "Invalid API-key, IP, or permissions for action", AuthenticationError, AuthenticationError),
    (-4120, "Order type not supported for this endpoint. Please use the Algo Order API endpoints instead.",
     InvalidRequest, InvalidRequest),
    (-4164, "Order's notional must be no smaller than 100", InvalidRequest, InvalidRequest),
    (-5022, "Due to the order could not be executed as maker, the Post Only order will be rejected.",
     InvalidRequest, InvalidRequest),
    (-5028, "Timestamp for this request is outside of the ME recvWindow.", InvalidRequest, AuthenticationError),
])
def test_one_error_table_with_futures_meanings(code, message, spot, futures):
    assert type(map_error({"code": code, "msg": message}, 400)) is spot
    for product in ("usdm", "coinm"):
        assert type(map_error({"code": code, "msg": message}, 400, product=product)) is futures


def test_futures_error_reply_and_limits_of_minus_one():
    # §10.5: an observed 401 with "limit": -1, "count": -1 in rateLimits.
    protocol = BinanceProtocol(product="usdm")
    (reply,) = protocol.receive(json.dumps({
        "id": 3, "status": 401, "error": {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action"},
        "rateLimits": [{"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": -1,
                        "count": -1}]}))
    assert isinstance(reply.error, AuthenticationError) and reply.error.status == 401
    assert protocol.rate_limits[0].limit == -1
    (failure,) = protocol.receive(json.dumps({"id": None, "status": 401, "error": {"code": -2015, "msg": "x"}}))
    assert isinstance(failure, Failure)
    (shutdown,) = protocol.receive('{"event":{"e":"serverShutdown","E":1770123456789}}')
    assert isinstance(shutdown, Failure)
