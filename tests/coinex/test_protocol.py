"""CoinEx v1 codec, sans-I/O: request frames out, replies and pushes in (reference/protocols/coinex.md).

The captures of ``../shared/fixtures/coinex/coinex-net`` are read in place (they start
with a UTF-8 BOM) and wrapped in the push envelopes §5.4, §5.10, §5.14 and §5.16 give.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from exwire._core.protocol import Pong, Reply
from exwire.coinex.models import (
    Depth,
    KlineInterval,
    OrderEvent,
    OrderOption,
    OrderStatus,
    OrderType,
    OrderUpdate,
    Role,
    Ticker,
    UserTrade,
)
from exwire.coinex.protocol import ALL, CoinexProtocol, map_error
from exwire.errors import (
    AuthenticationError,
    DecodeError,
    ExchangeError,
    ExchangeUnavailable,
    InvalidRequest,
    RateLimited,
)
from exwire.models import Level, Side, UpdateType
from tests.conftest import fixture_path


def load_fixture(name: str):
    return json.loads(fixture_path("coinex", "coinex-net", name).read_text(encoding="utf-8-sig"))


def frame_of(built: tuple[int, str]) -> dict:
    request_id, frame = built
    message = json.loads(frame)
    assert message["id"] == request_id and isinstance(request_id, int)
    assert set(message) == {"method", "params", "id"}
    return message


def push(method: str, params: list) -> str:
    return json.dumps({"method": method, "params": params, "id": None})


@pytest.fixture
def protocol() -> CoinexProtocol:
    return CoinexProtocol()


# -- requests (§2.1, §5) ------------------------------------------------------------------


def test_request_ids_are_increasing_integers(protocol):
    first, second = protocol.ping()[0], protocol.server_time()[0]
    assert second == first + 1


@pytest.mark.parametrize(
    ("build", "method", "params"),
    [
        (lambda p: p.ping(), "server.ping", []),
        (lambda p: p.server_time(), "server.time", []),
        (lambda p: p.state_query("BTCUSDT", 86400), "state.query", ["BTCUSDT", 86400]),
        (lambda p: p.depth_query("BTCUSDT", 20, "0.01"), "depth.query", ["BTCUSDT", 20, "0.01"]),
        (lambda p: p.deals_query("BTCUSDT", 10, 0), "deals.query", ["BTCUSDT", 10, 0]),
        (lambda p: p.kline_query("BTCUSDT", 1673846000, 1673847000, 60), "kline.query",
         ["BTCUSDT", 1673846000, 1673847000, 60]),
        (lambda p: p.asset_query(["BTC", "ETH"]), "asset.query", ["BTC", "ETH"]),
        (lambda p: p.asset_query([]), "asset.query", []),
        (lambda p: p.order_query("BTCUSDT", 0, 0, 10), "order.query", ["BTCUSDT", 0, 0, 10]),
    ],
)
def test_query_frames(protocol, build, method, params):
    message = frame_of(build(protocol))
    assert message["method"] == method
    assert message["params"] == params


def test_sign_frame_carries_access_id_signature_and_integer_tonce(protocol):
    message = frame_of(protocol.sign("4DA36FFC61334695A66F8D29020EB589",
                                     "B51068CF10B34E7789C374AB932696A05E0A629BE7BFC62F", 1513746038205))
    assert message["method"] == "server.sign"
    assert message["params"] == ["4DA36FFC61334695A66F8D29020EB589", "4A2216ED09BB42CE279621EE2C1CE124",
                                 1513746038205]


@pytest.mark.parametrize(
    ("kind", "keys", "method", "params"),
    [
        ("state", [("state", "ETHUSDT"), ("state", "BTCUSDT")], "state.subscribe", ["BTCUSDT", "ETHUSDT"]),
        ("state", [("state", "BTCUSDT"), ("state", ALL)], "state.subscribe", []),
        ("deals", [("deals", "BTCUSDT")], "deals.subscribe", ["BTCUSDT"]),
        ("depth", [("depth", "BTCUSDT", 20, "0")], "depth.subscribe", ["BTCUSDT", 20, "0"]),
        ("depth", [("depth", "ETHUSDT", 10, "0.01"), ("depth", "BTCUSDT", 20, "0")], "depth.subscribe_multi",
         [["BTCUSDT", 20, "0"], ["ETHUSDT", 10, "0.01"]]),
        ("kline", [("kline", "BTCUSDT", 60)], "kline.subscribe", ["BTCUSDT", 60]),
        ("order", [("order", "BTCUSDT")], "order.subscribe", ["BTCUSDT"]),
        ("order", [("order", ALL)], "order.subscribe", []),
        ("asset", [("asset", ALL)], "asset.subscribe", []),
    ],
)
def test_one_subscribe_frame_lists_every_market_of_the_kind(protocol, kind, keys, method, params):
    message = frame_of(protocol.subscribe(kind, keys))
    assert (message["method"], message["params"]) == (method, params)


@pytest.mark.parametrize("kind", ["state", "deals", "depth", "kline", "order", "asset"])
def test_no_keys_left_unsubscribes_the_kind(protocol, kind):
    message = frame_of(protocol.subscribe(kind, []))
    assert (message["method"], message["params"]) == (f"{kind}.unsubscribe", [])


# -- replies (§2.2, §2.4) -------------------------------------------------------------------


def test_success_reply_completes_its_id(protocol):
    assert protocol.receive('{"error": null, "result": "pong", "id": 11}') == (Reply(11, "pong"),)
    (reply,) = protocol.receive('{"error": null, "result": {"status": "success"}, "id": 15}')
    assert reply.result == {"status": "success"}


@pytest.mark.parametrize(
    ("code", "cls"),
    [(1, InvalidRequest), (2, ExchangeError), (3, ExchangeUnavailable), (4, ExchangeError),
     (5, ExchangeUnavailable), (6, AuthenticationError), (7, RateLimited), (11, AuthenticationError),
     (99, ExchangeError)],
)
def test_error_codes_map_through_the_table(protocol, code, cls):
    frame = json.dumps({"error": {"code": code, "message": "text"}, "result": None, "id": 3})
    (reply,) = protocol.receive(frame)
    assert reply.key == 3 and type(reply.error) is cls
    assert reply.error.code == code and reply.error.message == "text" and reply.error.exchange == "coinex"
    assert reply.error.raw == frame


def test_map_error_keeps_unknown_codes():
    error = map_error(42, "something new")
    assert type(error) is ExchangeError and error.code == 42


def test_keepalive_reply_is_a_pong_not_a_reply(protocol):
    frame = json.loads(protocol.ping_frame())
    assert frame["method"] == "server.ping"
    assert protocol.receive(json.dumps({"error": None, "result": "pong", "id": frame["id"]})) == (Pong(),)
    # a user ping with another id stays a reply
    user_id, _ = protocol.ping()
    assert protocol.receive(json.dumps({"error": None, "result": "pong", "id": user_id})) == (Reply(user_id, "pong"),)


@pytest.mark.parametrize("frame", ["not json", "[1, 2]", '{"result": 1, "id": "x"}', '{"result": 1}'])
def test_undecodable_frames_raise_decode_error(protocol, frame):
    with pytest.raises(DecodeError):
        protocol.receive(frame)


def test_unknown_push_is_ignored(protocol):
    assert protocol.receive(push("notice.update", [{"x": 1}])) == ()


# -- pushes (§5.4, §5.6, §5.10, §5.12, §5.14, §5.16) ---------------------------------------------


def test_state_update_routes_per_market_and_to_all(protocol):
    frame = push("state.update", [{"BTCUSDT": {
        "last": "31577.89", "open": "29318.36", "close": "31577.89", "high": "32222.19", "low": "29317.21",
        "volume": "630.43024965", "sell_total": "13.66143951", "buy_total": "2.76410939", "period": 86400,
        "deal": "19457487.84611409070000000000"}}])
    one, everything = protocol.receive(frame)
    assert one.key == ("state", "BTCUSDT") and one.symbol == "BTCUSDT"
    assert one.data == Ticker(
        symbol="BTCUSDT", period=86400, last_price=Decimal("31577.89"), open_price=Decimal("29318.36"),
        close_price=Decimal("31577.89"), high_price=Decimal("32222.19"), low_price=Decimal("29317.21"),
        volume=Decimal("630.43024965"), quote_volume=Decimal("19457487.84611409070000000000"),
        sell_total=Decimal("13.66143951"), buy_total=Decimal("2.76410939"))
    assert everything.key == ("state", ALL) and everything.data == [one.data] and everything.symbol is None


def test_state_update_viabtc_form_is_accepted(protocol):
    state = {"last": "1", "open": "1", "close": "1", "high": "1", "low": "1", "volume": "0", "deal": "0",
             "period": 86400}
    one, _ = protocol.receive(push("state.update", ["ETHBTC", state]))
    assert one.key == ("state", "ETHBTC")


def test_ticker_fixture(protocol):
    markets = load_fixture("TickerUpdate.txt")
    one, everything = protocol.receive(push("state.update", [markets]))
    assert one.key == ("state", "ETHUSDT")
    ticker = one.data
    assert (ticker.last_price, ticker.open_price, ticker.high_price, ticker.low_price) == (
        Decimal("430.33"), Decimal("434.11"), Decimal("445.68"), Decimal("420.32"))
    assert ticker.volume == Decimal("3624.85992531") and ticker.quote_volume == Decimal("1574489.5181782117")
    assert ticker.period == 86400 and ticker.sell_total is None


def test_trade_fixture_snapshot_then_updates(protocol):
    trades = load_fixture("TradeUpdate.txt")
    assert len(trades) == 101
    protocol.subscribe("deals", [("deals", "BTCUSDT")])
    (first,) = protocol.receive(push("deals.update", ["BTCUSDT", trades]))
    assert first.key == ("deals", "BTCUSDT") and first.update_type is UpdateType.SNAPSHOT
    assert len(first.data) == 101
    newest = first.data[0]
    assert newest.trade_id == 2677391975 and newest.side is Side.SELL and newest.symbol == "BTCUSDT"
    assert newest.price == Decimal("39121.21") and newest.quantity == Decimal("0.00079812")
    # 1642755727.8401761: the float's digits are kept exactly, to the microsecond
    assert newest.time == datetime(2022, 1, 21, 9, 2, 7, 840176, tzinfo=UTC)
    assert {t.side for t in first.data} == {Side.BUY, Side.SELL}
    assert all(a.trade_id > b.trade_id for a, b in zip(first.data, first.data[1:], strict=False))
    (second,) = protocol.receive(push("deals.update", ["BTCUSDT", trades[:1]]))
    assert second.update_type is UpdateType.UPDATE


def test_own_trades_stay_out_of_the_public_stream(protocol):
    trade = {"id": 123, "order_id": 456, "client_id": "mine", "time": 1642755727.84, "type": "buy",
             "amount": "0.01", "price": "39121.21"}
    update, everywhere = protocol.receive(push("deals.update", ["BTCUSDT", [trade], True]))
    assert update.key == ("own_deals", "BTCUSDT") and everywhere.key == ("own_deals", ALL)
    assert everywhere.data is update.data and everywhere.symbol == "BTCUSDT"
    (fill,) = update.data
    assert isinstance(fill, UserTrade)
    assert (fill.trade_id, fill.order_id, fill.client_order_id, fill.symbol) == (123, 456, "mine", "BTCUSDT")
    assert (fill.side, fill.price, fill.quantity) == (Side.BUY, Decimal("39121.21"), Decimal("0.01"))
    assert fill.fee is None and fill.fee_asset is None and fill.is_maker is None


def test_depth_full_then_incremental(protocol):
    protocol.subscribe("depth", [("depth", "BTCUSDT", 20, "0")])
    full = push("depth.update", [True, {"asks": [["12.94", "0.1524"]], "bids": [["12.25", "0.0588"]],
                                        "last": "12.50", "time": 1639987469166, "checksum": 2022502848}, "BTCUSDT"])
    (snapshot,) = protocol.receive(full)
    assert snapshot.key == ("depth", "BTCUSDT", 20, "0") and snapshot.update_type is UpdateType.SNAPSHOT
    assert snapshot.data == Depth(
        symbol="BTCUSDT", is_full=True, asks=(Level(price=Decimal("12.94"), quantity=Decimal("0.1524")),),
        bids=(Level(price=Decimal("12.25"), quantity=Decimal("0.0588")),), last_price=Decimal("12.50"),
        time=datetime(2021, 12, 20, 8, 4, 29, 166000, tzinfo=UTC), checksum=2022502848)
    incremental = push("depth.update", [False, {"bids": [["46349.61", "0.04000000"], ["46300.00", "0"]],
                                                "checksum": 1533284725}, "BTCUSDT"])
    (update,) = protocol.receive(incremental)
    assert update.update_type is UpdateType.UPDATE and update.data.asks == () and len(update.data.bids) == 2
    assert str(update.data.bids[1].price) == "46300.00"  # the wire exponent is kept for the checksum


def test_depth_signed_checksum_is_read_modulo_two_to_the_32(protocol):
    protocol.subscribe("depth", [("depth", "BTCUSDT", 5, "0")])
    (update,) = protocol.receive(push("depth.update", [True, {"asks": [], "bids": [], "checksum": -1}, "BTCUSDT"]))
    assert update.data.checksum == 0xFFFFFFFF


def test_depth_push_of_an_unsubscribed_market_is_dropped(protocol):
    assert protocol.receive(push("depth.update", [True, {"asks": [], "bids": []}, "ETHUSDT"])) == ()


def test_kline_update_with_eight_and_seven_elements(protocol):
    protocol.subscribe("kline", [("kline", "BTCUSDT", 60)])
    (update,) = protocol.receive(push("kline.update", [
        [1496458500, "16.65", "11.57", "17.65", "10.57", "1862", "30980.5", "BTCUSDT"],
        [1496458560, "11.57", "12", "12.5", "11", "3", "35"]]))
    assert update.key == ("kline", "BTCUSDT", 60)
    first, second = update.data
    assert (first.open, first.close, first.high, first.low) == (
        Decimal("16.65"), Decimal("11.57"), Decimal("17.65"), Decimal("10.57"))
    assert first.open_time == datetime(2017, 6, 3, 2, 55, tzinfo=UTC)
    assert second.symbol == "BTCUSDT" and second.quote_volume == Decimal("35")
    assert first.interval is KlineInterval.ONE_MINUTE
    assert first.close_time == datetime(2017, 6, 3, 2, 56, tzinfo=UTC)


def test_balance_fixture_with_and_without_account(protocol):
    balances = load_fixture("BalanceUpdate.txt")
    (update,) = protocol.receive(push("asset.update", [balances, 0]))
    assert update.key == ("asset", ALL)
    (bch,) = update.data
    assert (bch.asset, bch.free, bch.locked, bch.account) == ("BCH", Decimal("1.100000"), Decimal("0.1"), 0)
    assert bch.total == Decimal("1.200000")
    assert bch.updated_at == datetime(2020, 12, 16, 8, 48, 17, 359855, tzinfo=UTC)
    (older,) = protocol.receive(push("asset.update", [balances]))
    assert older.data[0].account is None


def test_order_fixture(protocol):
    order = load_fixture("OrderUpdate.txt")
    routed = protocol.receive(push("order.update", [1, order]))
    assert [u.key for u in routed] == [("order", "BCHBTC"), ("order", ALL)]
    update: OrderUpdate = routed[0].data
    assert update.event is OrderEvent.NEW and update.status is OrderStatus.OPEN
    o = update.order
    assert (o.order_id, o.symbol, o.order_type, o.side) == (48239, "BCHBTC", OrderType.LIMIT, Side.BUY)
    assert (o.price, o.quantity, o.remaining) == (Decimal("0.01900000"), Decimal("2.00000000"), Decimal("2.00000000"))
    assert o.client_order_id == "abc" and o.option == OrderOption.HIDDEN and o.last_role is Role.NONE
    assert o.deal_fee == Decimal(0) and o.quote_fee is None and o.last_fill_time is None
    assert o.created_at == datetime(2020, 5, 25, 2, 22, 12, 36361, tzinfo=UTC)


@pytest.mark.parametrize(("event", "left", "deal", "status"), [
    (2, "1", "1", OrderStatus.PARTIALLY_FILLED), (3, "0", "2", OrderStatus.FILLED),
    (3, "1", "1", OrderStatus.CANCELED), (3, "2", "0", OrderStatus.CANCELED)])
def test_order_status_is_derived_from_event_and_remainder(protocol, event, left, deal, status):
    order = {**load_fixture("OrderUpdate.txt"), "left": left, "deal_stock": deal}
    (update, _) = protocol.receive(push("order.update", [event, order]))
    assert update.data.status is status


def test_unknown_order_event_and_type_are_kept(protocol):
    order = {**load_fixture("OrderUpdate.txt"), "type": 9}
    (update, _) = protocol.receive(push("order.update", [7, order]))
    assert update.data.event.value == 7 and not update.data.event.is_known
    assert update.data.order.order_type.value == 9


@pytest.mark.parametrize("frame", [
    push("depth.update", [True, {"asks": [["x", "1"]]}, "BTCUSDT"]),
    push("deals.update", ["BTCUSDT", [{"id": 1, "time": 1.0, "type": "sideways", "price": "1", "amount": "1"}]]),
    push("order.update", [1, {"id": 1}]),
    push("asset.update", ["nope"]),
    push("state.update", [{"BTCUSDT": {"last": "1"}}]),
])
def test_malformed_pushes_raise_decode_error_with_the_frame(protocol, frame):
    protocol.subscribe("depth", [("depth", "BTCUSDT", 20, "0")])
    with pytest.raises(DecodeError) as info:
        protocol.receive(frame)
    assert info.value.raw


# -- query results (the documented examples of §5) ------------------------------------------------


def test_documented_query_results_decode():
    from exwire.coinex import converter

    ticker = converter.ticker_from_wire("BTCBCH", {
        "close": "430.33", "deal": "1574489.5181782117", "high": "445.68", "last": "430.33", "low": "420.32",
        "open": "434.11", "period": 86400, "volume": "3624.85992531"})
    assert ticker.close_price == Decimal("430.33") and ticker.period == 86400
    depth = converter.depth_from_wire("BTCBCH", {
        "asks": [["12.94", "0.1524"]], "bids": [["12.25", "0.0588"]], "last": "12.50", "time": 1639987469166,
        "checksum": 21658179}, True)
    assert depth.is_full and depth.asks == (Level(price=Decimal("12.94"), quantity=Decimal("0.1524")),)
    (trade,) = converter.trades_from_wire("BTCUSDT", [
        {"type": "sell", "time": Decimal("1496458040.059284"), "price": "17868.41", "id": 29433, "amount": "10"}])
    assert trade.time == datetime(2017, 6, 3, 2, 47, 20, 59284, tzinfo=UTC) and trade.quantity == 10
    (kline,) = converter.klines_from_wire([[1673846940, "21148.74", "21148.38", "21148.75", "21138.66",
                                           "1.57060173", "33214.9138778914", "BTCUSDT"]], None,
                                          KlineInterval.ONE_MINUTE)
    assert (kline.open, kline.close, kline.high, kline.low) == (
        Decimal("21148.74"), Decimal("21148.38"), Decimal("21148.75"), Decimal("21138.66"))
    balances = converter.balances_from_wire({"BTC": {"available": "250", "frozen": "10"},
                                             "ETH": {"available": "1.5", "frozen": "0"}})
    assert [(b.asset, b.total, b.updated_at) for b in balances] == [("BTC", 260, None), ("ETH", Decimal("1.5"), None)]
    order = load_fixture("OrderUpdate.txt")
    page = converter.orders_page_from_wire({"limit": 10, "offset": 0, "total": 1, "records": [order]})
    assert page.total == 1 and page.records[0].order_id == 48239


def test_documented_order_push_of_section_5_16(protocol):
    order = {"id": 77782469357, "type": 1, "side": 2, "user": 1849116, "account": 0, "option": 2,
             "ctime": 1653961043.048967, "mtime": 1653961043.048967, "market": "BTCUSDT", "source": "web",
             "client_id": "", "price": "1.00", "amount": "1.00000000", "taker_fee": "0.0020",
             "maker_fee": "0.0020", "left": "1.00000000", "deal_stock": "0", "deal_money": "0",
             "money_fee": "0", "stock_fee": "0", "asset_fee": "0", "fee_discount": "1",
             "last_deal_amount": "0", "last_deal_price": "0", "last_deal_time": 0, "last_deal_id": 0,
             "last_role": 0, "fee_asset": None, "stop_id": 0}
    (update, _) = protocol.receive(push("order.update", [1, order]))
    o = update.data.order
    assert o.client_order_id is None and o.option == OrderOption.FEE_IN_QUOTE and o.source == "web"
    assert o.taker_fee_rate == Decimal("0.0020") and o.quote_fee == 0 and o.stop_id == 0


# -- JSON parsing: one prebuilt decoder, same results as json.loads(parse_float=Decimal) ----------


@pytest.mark.parametrize("frame", [
    '{"method":"server.time","params":[],"id":1.5}', ' {"a": [1, 2.50]} ', '\n[1]\n', '{"t":1550732256.371231}',
    b'{"t":1550732256.371231}', '{"n":-0.0}',
])
def test_frames_parse_as_json_loads_with_decimal_floats(frame):
    from exwire.coinex.protocol import _loads

    assert repr(_loads(frame)) == repr(json.loads(frame, parse_float=Decimal))


@pytest.mark.parametrize("frame", ["", "[1] x", "[1,", "nul", "  ", b"\xff{}"])
def test_frames_that_are_not_json_are_decode_errors(frame):
    with pytest.raises(DecodeError):
        CoinexProtocol().receive(frame)
