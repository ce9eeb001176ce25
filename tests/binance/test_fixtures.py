"""Docs-derived captures (../shared/fixtures/binance), read in place.

Each ``ws-api/Spot`` script holds the request a client sends (``> ``, method name with
placeholder params) and the response (after ``= ``). Every public client method is run
sans-I/O: the frame it builds must name the fixture's method, and the fixture's response
must decode into the documented model.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from exwire._core.protocol import Reply, Update
from exwire.binance import BinanceClient, OrderLeg
from exwire.binance import models as m
from exwire.binance.converter import user_data_event
from exwire.binance.protocol import USER_DATA_KEY, BinanceProtocol
from exwire.binance.signing import HmacSigner
from exwire.models import Credentials
from tests.conftest import fixture_path


def _script(*parts: str) -> tuple[dict | None, list[str], str]:
    """(request, lines received before '=', the message after '=') with |1| substituted."""
    text = fixture_path("binance", *parts).read_text(encoding="utf-8-sig").replace('"|1|"', "1").replace("|1|", "1")
    head, _, body = text.partition("\n= ")
    request = received = None
    received = []
    for line in head.splitlines():
        if line.startswith("> "):
            request = json.loads(line[2:])
        elif line.startswith("< "):
            received.append(line[2:])
    return request, received, body.strip()


class _Replay:
    """Runs a client method against one fixture without any socket."""

    def __init__(self) -> None:
        self.client = BinanceClient(credentials=Credentials(key="123", secret="secret"), url="ws://unused")
        self.client._connection.ensure_open = lambda timeout: None
        self.client._send = self._send
        self.sent: list[dict] = []
        self.response = ""

    def _send(self, connection, build, signed, deadline, *, wait_ready):
        request_id, frame = build()
        self.sent.append(json.loads(frame))
        (reply,) = self.client._protocol.receive(self.response.replace('"id": 1', f'"id": {request_id}', 1))
        assert isinstance(reply, Reply) and reply.key == request_id
        if reply.error is not None:
            raise reply.error
        return reply.result

    def run(self, path: str, call):
        request, _, self.response = _script("binance-net", "ws-api", "Spot", *path.split("/"))
        result = call(self.client)
        assert self.sent[-1]["method"] == request["method"]
        return result


@pytest.fixture
def replay():
    replay = _Replay()
    yield replay
    replay.client.close()


LEG_ABOVE = OrderLeg(order_type="LIMIT_MAKER", price="1.5")
LEG_BELOW = OrderLeg(order_type="STOP_LOSS_LIMIT", price="1.2", stop_price="1.25", time_in_force="GTC")

CASES = {
    "Account/GetAccountInfo.txt": (lambda c: c.get_spot_account_information(), m.Account),
    "Account/GetOrderRateLimits.txt": (lambda c: c.get_spot_order_rate_limits(), m.RateLimit),
    "ExchangeData/GetAggregatedTradeHistory.txt": (lambda c: c.get_spot_aggregate_trades("ETHUSDT"), m.AggregateTrade),
    "ExchangeData/GetBookTickers.txt": (lambda c: c.get_spot_symbol_order_book_ticker(["BNBBTC"]), m.BookTicker),
    "ExchangeData/GetCurrentAvgPrice.txt": (lambda c: c.get_spot_average_price("ETHUSDT"), m.AveragePrice),
    "ExchangeData/GetExchangeInfo.txt": (lambda c: c.get_spot_exchange_info(["ETHUSDT"]), m.ExchangeInfo),
    "ExchangeData/GetKlines.txt": (lambda c: c.get_spot_klines("ETHUSDT", "1h"), m.Kline),
    "ExchangeData/GetOrderBook.txt": (lambda c: c.get_spot_order_book("ETHUSDT", 5), m.OrderBook),
    "ExchangeData/GetRecentTrades.txt": (lambda c: c.get_spot_recent_trades("ETHUSDT"), m.Trade),
    "ExchangeData/GetRollingWindowTickers.txt": (lambda c: c.get_spot_ticker(["BNBBTC"], window_size="7d"), m.Ticker),
    "ExchangeData/GetTickers.txt": (lambda c: c.get_spot_24hr_ticker(["BNBBTC"]), m.Ticker),
    "ExchangeData/GetTradeHistory.txt": (lambda c: c.get_spot_historical_trades("ETHUSDT", 1), m.Trade),
    "ExchangeData/GetUIKlines.txt": (lambda c: c.get_spot_ui_klines("ETHUSDT", "1h"), m.Kline),
    "Trading/AmendOrder.txt": (lambda c: c.amend_spot_order_keep_priority("BTCUSDT", "0.005", order_id=1),
                               m.AmendResult),
    "Trading/CancelAllOrders.txt": (lambda c: c.cancel_all_spot_open_orders("BTCUSDT"), m.Order),
    "Trading/CancelOcoOrder.txt": (lambda c: c.cancel_spot_order_list("BTCUSDT", order_list_id=1274512),
                                   m.OrderList),
    "Trading/CancelOrder.txt": (lambda c: c.cancel_spot_order("BTCUSDT", order_id=12569099453), m.Order),
    "Trading/GetOcoOrder.txt": (lambda c: c.get_spot_order_list_status(order_list_id=1274512), m.OrderList),
    "Trading/GetOpenOcoOrders.txt": (lambda c: c.get_spot_open_order_lists(), m.OrderList),
    "Trading/GetOpenOrders.txt": (lambda c: c.get_spot_open_orders("BTCUSDT"), m.Order),
    "Trading/GetOrder.txt": (lambda c: c.get_spot_order_status("BTCUSDT", order_id=12569099453), m.Order),
    "Trading/GetPreventedTrades.txt": (lambda c: c.get_spot_prevented_matches("BTCUSDT", order_id=5),
                                       m.PreventedMatch),
    "Trading/GetUserTrades.txt": (lambda c: c.get_spot_my_trades("BTCUSDT"), m.AccountTrade),
    "Trading/PlaceOcoOrder.txt": (lambda c: c.place_spot_oco_order_list("LTCBNB", "SELL", "1", LEG_ABOVE, LEG_BELOW),
                                  m.OrderList),
    "Trading/PlaceOrder.txt": (lambda c: c.submit_new_spot_order(
        "BTCUSDT", "SELL", "LIMIT", time_in_force="GTC", price="23416.1", quantity="0.00847"), m.Order),
    "Trading/PlaceTestOrder.txt": (lambda c: c.test_spot_order(
        "BTCUSDT", "SELL", "MARKET", quantity="1", compute_commission_rates=True), m.OrderTestResult),
    "Trading/ReplaceOrder.txt": (lambda c: c.cancel_replace_spot_order(
        "BTCUSDT", "SELL", "LIMIT", "ALLOW_FAILURE", cancel_order_id=1, time_in_force="GTC", price="23416.1",
        quantity="0.00847"), m.CancelReplaceResult),
}


@pytest.mark.parametrize("path", sorted(CASES))
def test_fixture_request_and_response(replay, path):
    call, model = CASES[path]
    result = replay.run(path, call)
    items = result if isinstance(result, list) else [result]
    assert items and all(isinstance(item, model) for item in items)
    assert replay.client.rate_limits  # every fixture response carries rateLimits


def test_place_order_full_response_values(replay):
    order = replay.run("Trading/PlaceOrder.txt", CASES["Trading/PlaceOrder.txt"][0])
    assert order.order_id == 12569099453 and order.status.value == "FILLED"
    assert order.cumulative_quote_quantity == Decimal("198.33521500")
    assert [f.trade_id for f in order.fills] == [1650422481, 1650422482]
    assert sum(f.quantity for f in order.fills) == order.filled_quantity
    params = replay.sent[-1]["params"]
    assert params["price"] == "23416.1" and params["quantity"] == "0.00847" and params["timeInForce"] == "GTC"
    assert params["apiKey"] == "123" and len(params["signature"]) == 64


def test_cancel_replace_and_amend_values(replay):
    result = replay.run("Trading/ReplaceOrder.txt", CASES["Trading/ReplaceOrder.txt"][0])
    assert result.cancel_result == "SUCCESS" and result.cancel_response.status.value == "CANCELED"
    assert result.cancel_response.original_client_order_id == "4d96324ff9d44481926157"
    assert result.new_order_response.client_order_id == "bX5wROblo6YeDwa9iTLeyY"
    amended = replay.run("Trading/AmendOrder.txt", CASES["Trading/AmendOrder.txt"][0])
    assert amended.amended_order.cumulative_quote_quantity == Decimal("198.33521500")
    assert amended.list_status is None


def test_klines_and_book_values(replay):
    (kline,) = replay.run("ExchangeData/GetKlines.txt", CASES["ExchangeData/GetKlines.txt"][0])
    assert kline.open == Decimal("0.01086000") and kline.trade_count == 2283
    assert kline.close_time.microsecond == 999000
    book = replay.run("ExchangeData/GetOrderBook.txt", CASES["ExchangeData/GetOrderBook.txt"][0])
    assert book.bids[0].price > book.bids[-1].price and book.asks[0].price < book.asks[-1].price


@pytest.mark.parametrize("name", ["KeepAliveUserStream.txt", "StartUserStream.txt", "StopUserStream.txt"])
def test_retired_listen_key_responses_still_parse(name):
    _, _, body = _script("binance-net", "ws-api", "Spot", "Account", name)
    (reply,) = BinanceProtocol().receive(body)
    assert isinstance(reply, Reply) and reply.error is None


USER_DATA = {
    "Order.txt": m.ExecutionReport,
    "AccountPosition.txt": m.AccountPosition,
    "Balance.txt": m.BalanceUpdate,
    "OcoOrder.txt": m.ListStatus,
}


@pytest.mark.parametrize("name", sorted(USER_DATA))
def test_user_data_subscription_flow(name):
    request, received, event = _script("binance-net", "user-data", "Spot", name)
    protocol = BinanceProtocol()
    request_id, frame = protocol.subscribe_user_data(USER_DATA_KEY, signer=HmacSigner("123", "secret"),
                                                     timestamp_ms=1770146786002)
    sent = json.loads(frame)
    assert sent["method"] == request["method"] and set(sent["params"]) == set(request["params"])
    (reply,) = protocol.receive(received[0].replace('"id":1', f'"id":{request_id}'))
    assert reply.result == {"subscriptionId": 0}
    (update,) = protocol.receive(event)
    assert isinstance(update, Update) and update.key == USER_DATA_KEY
    assert isinstance(update.data, USER_DATA[name])


def test_execution_report_fields():
    _, _, event = _script("binance-net", "user-data", "Spot", "Order.txt")
    report = user_data_event(json.loads(event)["event"])
    assert report.symbol == "ETHBTC" and report.order_id == 4293153 and report.trade_id == -1
    assert report.execution_type.value == "NEW" and report.price == Decimal("0.10264410")
    assert report.fee_asset is None and report.is_working is True


@pytest.mark.parametrize(("name", "model"), [
    ("execution_report_wrapped.json", m.ExecutionReport),
    ("account_position_wrapped.json", m.AccountPosition),
    ("balance_update_wrapped.json", m.BalanceUpdate),
    ("list_status_wrapped.json", m.ListStatus),
])
def test_nautilus_wrapped_events(name, model):
    wrapped = json.loads(Path(fixture_path("binance", "nautilus", name)).read_text(encoding="utf-8"))
    event = user_data_event(wrapped["event"])
    assert isinstance(event, model)
    if model is m.ListStatus:
        assert [o.order_id for o in event.orders] == [17, 18]
