"""Kraken v1 payloads → models (§4 and §5 of reference/protocols/kraken.md).

Samples: the spec's inline examples, the Kraken.Net docs-derived samples and the
cryptofeed live captures, read in place from ``<repository root>/../shared/fixtures``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest

from exwire._core.codec import (
    OpenEnum,
    datetime_to_epoch_ms,
    datetime_to_epoch_seconds,
    decimal_from_wire,
    epoch_ms_to_datetime,
    epoch_to_datetime,
    make_converter,
)
from exwire.errors import ConfigurationError, DecodeError
from exwire.kraken.converter import (
    book_from_wire,
    kline_from_wire,
    order_updates_from_wire,
    own_trades_from_wire,
    spread_from_wire,
    subscription_status_from_wire,
    system_status_from_wire,
    ticker_from_wire,
    trades_from_wire,
)
from exwire.kraken.models import (
    _BOOK_LEVEL_SLOTS,
    BookLevel,
    Kline,
    KlineInterval,
    OrderDescription,
    OrderFlag,
    OrderStatus,
    OrderType,
    OrderUpdate,
    OwnTrade,
    Spread,
    SubscriptionState,
    SystemState,
    Ticker,
    TimeInForce,
    Trade,
)
from exwire.models import Side

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "kraken"
D = Decimal


def fixture_path(relative: str) -> Path:
    path = FIXTURES / relative
    if not path.is_file():
        pytest.skip(f"fixture {path} is absent (the shared fixtures folder sits beside the repository)")
    return path


def load_kraken_net(name: str) -> Any:
    """A Kraken.Net docs sample: pretty-printed JSON, most files start with a UTF-8 BOM."""
    return json.loads(fixture_path(f"kraken-net/{name}").read_text(encoding="utf-8-sig"))


def load_cryptofeed(relative: str) -> list[Any]:
    messages = []
    with fixture_path(relative).open(encoding="utf-8") as lines:
        next(lines)  # "wss://ws.kraken.com <-> <time>"
        for line in lines:
            if not line.strip():
                continue
            head, _, body = line.partition(": ")
            if " <- " not in head:  # skip what the client sent
                messages.append(json.loads(body))
    return messages


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# -- ticker (§5.1) ---------------------------------------------------------------

SPEC_TICKER = [
    0,
    {
        "a": ["5525.40000", 1, "1.000"],
        "b": ["5525.10000", 1, "1.000"],
        "c": ["5525.10000", "0.00398963"],
        "v": ["2634.11501494", "3591.17907851"],
        "p": ["5631.44067", "5653.78939"],
        "t": [11493, 16267],
        "l": ["5505.00000", "5505.00000"],
        "h": ["5783.00000", "5783.00000"],
        "o": ["5760.70000", "5763.40000"],
    },
    "ticker",
    "XBT/USD",
]

SPEC_TICKER_MODEL = Ticker(
    ask_price=D("5525.40000"),
    ask_whole_lot_quantity=1,
    ask_quantity=D("1.000"),
    bid_price=D("5525.10000"),
    bid_whole_lot_quantity=1,
    bid_quantity=D("1.000"),
    last_price=D("5525.10000"),
    last_quantity=D("0.00398963"),
    volume_today=D("2634.11501494"),
    volume=D("3591.17907851"),
    vwap_today=D("5631.44067"),
    vwap_24h=D("5653.78939"),
    trade_count_today=11493,
    trade_count_24h=16267,
    low_today=D("5505.00000"),
    low_price=D("5505.00000"),
    high_today=D("5783.00000"),
    high_price=D("5783.00000"),
    open_today=D("5760.70000"),
    open_price=D("5763.40000"),
)


def test_ticker_from_the_spec_example():
    assert ticker_from_wire(SPEC_TICKER[1]) == SPEC_TICKER_MODEL


def test_ticker_from_the_kraken_net_sample():
    message = load_kraken_net("TickerUpdate.txt")
    assert message[-2:] == ["ticker", "XBT/USD"]
    assert ticker_from_wire(message[1]) == SPEC_TICKER_MODEL


def test_every_ticker_of_the_cryptofeed_capture_decodes():
    messages = [m for m in load_cryptofeed("cryptofeed/KRAKEN.ws.49.0") if isinstance(m, list)]
    assert len(messages) == 18
    tickers = [ticker_from_wire(m[1]) for m in messages]
    assert len({m[-1] for m in messages}) == 10
    first = tickers[0]
    assert messages[0][-1] == "WAVES/EUR"
    assert first.ask_price == D("13.253900") and format(first.ask_price, "f") == "13.253900"
    assert first.ask_whole_lot_quantity == 35
    assert first.ask_quantity == D("35.72892241")
    assert first.bid_price == D("13.232900")
    assert first.bid_whole_lot_quantity == 185
    assert first.last_quantity == D("3.71672000")
    assert (first.trade_count_today, first.trade_count_24h) == (640, 1353)
    assert (first.high_today, first.high_price) == (D("13.942000"), D("14.211200"))
    for ticker in tickers:
        assert ticker.ask_price >= ticker.bid_price
        assert isinstance(ticker.trade_count_24h, int)


# -- trade (§5.3) ------------------------------------------------------------------

SPEC_TRADE = [
    0,
    [
        ["5541.20000", "0.15850568", "1534614057.321597", "s", "l", ""],
        ["6060.00000", "0.02455000", "1534614057.324998", "b", "l", ""],
    ],
    "trade",
    "XBT/USD",
]

SPEC_TRADE_MODELS = [
    Trade(price=D("5541.20000"), quantity=D("0.15850568"), time=utc(2018, 8, 18, 17, 40, 57, 321597), side=Side.SELL,
          order_type=OrderType.LIMIT, misc=""),
    Trade(price=D("6060.00000"), quantity=D("0.02455000"), time=utc(2018, 8, 18, 17, 40, 57, 324998), side=Side.BUY,
          order_type=OrderType.LIMIT, misc=""),
]


def test_trades_from_the_spec_example_keep_the_microseconds():
    trades = trades_from_wire(SPEC_TRADE[1])
    assert trades == SPEC_TRADE_MODELS
    assert trades[0].time.microsecond == 321597
    assert trades[0].time.tzinfo is UTC


def test_trades_from_the_kraken_net_sample():
    message = load_kraken_net("TradeUpdate.txt")
    assert trades_from_wire(message[1]) == SPEC_TRADE_MODELS


def test_every_trade_of_the_cryptofeed_capture_decodes():
    messages = [m for m in load_cryptofeed("cryptofeed/KRAKEN.ws.48.0") if isinstance(m, list)]
    trades = [trade for m in messages for trade in trades_from_wire(m[1])]
    assert len(messages) == 8
    assert len(trades) == 10
    assert trades[0] == Trade(
        price=D("354.11000000"), quantity=D("0.89594024"), time=utc(2021, 4, 17, 16, 49, 2, 557535),
        side=Side.SELL, order_type=OrderType.LIMIT, misc="",
    )
    assert {trade.side for trade in trades} == {Side.BUY, Side.SELL}
    assert {trade.order_type for trade in trades} == {OrderType.MARKET, OrderType.LIMIT}


def test_trade_with_an_unknown_order_type_letter_is_kept():
    (trade,) = trades_from_wire([["1.0", "2.0", "1534614057.321597", "b", "x", "misc"]])
    assert isinstance(trade.order_type, OrderType)
    assert trade.order_type.value == "x"
    assert not trade.order_type.is_known
    assert trade.misc == "misc"


def test_trade_with_an_unknown_side_is_a_decode_error():
    with pytest.raises(DecodeError):
        trades_from_wire([["1.0", "2.0", "1534614057.321597", "?", "l", ""]])


# -- spread (§5.4) -----------------------------------------------------------------

SPEC_SPREAD_MODEL = Spread(
    bid_price=D("5698.40000"), ask_price=D("5700.00000"), time=utc(2018, 11, 12, 21, 14, 59, 545897),
    bid_quantity=D("1.01234567"), ask_quantity=D("0.98765432"),
)


def test_spread_from_the_spec_example():
    payload = ["5698.40000", "5700.00000", "1542057299.545897", "1.01234567", "0.98765432"]
    assert spread_from_wire(payload) == SPEC_SPREAD_MODEL


def test_spread_from_the_kraken_net_sample():
    message = load_kraken_net("SpreadUpdate.txt")
    assert message[-2:] == ["spread", "XBT/USD"]
    assert spread_from_wire(message[1]) == SPEC_SPREAD_MODEL


def test_spread_without_volumes_has_none_volumes():
    spread = spread_from_wire(["5698.40000", "5700.00000", "1542057299.545897"])
    assert spread.bid_quantity is None and spread.ask_quantity is None


# -- ohlc (§5.2) -------------------------------------------------------------------

SPEC_KLINE_MODEL = Kline(
    open_time=utc(2018, 11, 12, 21, 11, 0, 435743),
    close_time=utc(2018, 11, 12, 21, 16, 0, 435743),
    updated_at=utc(2018, 11, 12, 21, 15, 14, 748456),
    open=D("3586.70000"),
    high=D("3586.70000"),
    low=D("3586.60000"),
    close=D("3586.60000"),
    vwap=D("3586.68894"),
    volume=D("0.03373000"),
    trade_count=2,
    interval=KlineInterval.FIVE_MINUTES,
)


def test_kline_from_the_kraken_net_sample():
    message = load_kraken_net("KlineUpdate.txt")
    assert message[-2:] == ["ohlc-5", "XBT/USD"]
    assert kline_from_wire(message[1], 5) == SPEC_KLINE_MODEL


def test_kline_from_the_spec_example_takes_the_interval_enum():
    payload = [
        "1542057314.748456", "1542057360.435743", "3586.70000", "3586.70000", "3586.60000",
        "3586.60000", "3586.68894", "0.03373000", 2,
    ]  # fmt: skip
    kline = kline_from_wire(payload, KlineInterval.FIVE_MINUTES)
    assert kline == SPEC_KLINE_MODEL
    assert kline.interval == 5


def test_kline_intervals_are_the_documented_minutes():
    assert [interval.value for interval in KlineInterval] == [1, 5, 15, 30, 60, 240, 1440, 10080, 21600]


def test_kline_with_an_unsupported_interval_is_a_decode_error():
    with pytest.raises(DecodeError):
        kline_from_wire(["1", "2", "3", "3", "3", "3", "3", "1", 1], 7)


# -- book (§5.5) -------------------------------------------------------------------


def test_book_snapshot_with_as_and_bs_has_no_checksum():
    payload = {
        "as": [["27120.00000", "4.28732553", "1693415327.935623"], ["27127.30000", "0.13827025", "1693415325.205490"]],
        "bs": [["27119.90000", "13.54067548", "1693415328.088361"]],
    }
    is_snapshot, update = book_from_wire([payload])
    assert is_snapshot is True and update.is_snapshot is True
    assert update.checksum is None
    assert update.asks == (
        BookLevel(price=D("27120.00000"), quantity=D("4.28732553"), time=utc(2023, 8, 30, 17, 8, 47, 935623), republished=False),
        BookLevel(price=D("27127.30000"), quantity=D("0.13827025"), time=utc(2023, 8, 30, 17, 8, 45, 205490), republished=False),
    )
    assert update.bids == (BookLevel(price=D("27119.90000"), quantity=D("13.54067548"), time=utc(2023, 8, 30, 17, 8, 48, 88361), republished=False),)
    assert format(update.asks[0].price, "f") == "27120.00000"


def test_book_update_of_one_side_carries_the_checksum_and_republish_flag():
    message = [
        336,
        {
            "b": [
                ["27117.40000", "0.00000000", "1693415330.886651"],
                ["27116.80000", "0.14741986", "1693415325.036931", "r"],
            ],
            "c": "3139033408",
        },
        "book-10",
        "XBT/USD",
    ]
    is_snapshot, update = book_from_wire(message[1:-2])
    assert is_snapshot is False and update.is_snapshot is False
    assert update.checksum == 3139033408
    assert update.asks == ()
    assert [level.republished for level in update.bids] == [False, True]
    assert update.bids[0].quantity == 0 and format(update.bids[0].quantity, "f") == "0.00000000"


def test_five_element_book_update_reads_asks_then_bids_and_the_checksum_of_the_last_object():
    message = [
        336,
        {
            "a": [
                ["27130.20000", "0.01237956", "1693415479.752899"],
                ["27130.20000", "0.00000000", "1693415479.753121"],
                ["27149.00000", "0.73687080", "1693415470.713655", "r"],
            ]
        },
        {"b": [["27136.00000", "4.25513312", "1693415479.752884"]], "c": "2366297588"},
        "book-10",
        "XBT/USD",
    ]
    is_snapshot, update = book_from_wire(message[1:-2])
    assert is_snapshot is False
    assert update.checksum == 2366297588
    assert [(format(lv.price, "f"), format(lv.quantity, "f"), lv.republished) for lv in update.asks] == [
        ("27130.20000", "0.01237956", False),
        ("27130.20000", "0.00000000", False),
        ("27149.00000", "0.73687080", True),
    ]
    assert update.bids == (BookLevel(price=D("27136.00000"), quantity=D("4.25513312"), time=utc(2023, 8, 30, 17, 11, 19, 752884)),)


def test_five_element_update_in_the_real_capture_decodes():
    data = json.loads(fixture_path("python-kraken-sdk/orderbook-v1.json").read_text(encoding="utf-8"))
    (message,) = [m for m in data["updates"] if isinstance(m, list) and len(m) == 5]
    _, update = book_from_wire(message[1:-2])
    assert len(update.asks) == 10 and len(update.bids) == 1
    assert sum(level.republished for level in update.asks) == 3
    assert update.checksum == 2366297588


@pytest.mark.parametrize(
    "payloads",
    [
        [{}],
        [{"a": [["1.0"]], "c": "1"}],
        [{"a": [["x", "1.0", "1.5"]], "c": "1"}],
        [{"b": [["1.0", "1.0", "1.5"]], "c": "not a number"}],
        [{"a": [["1.0", "1.0", "yesterday"]], "c": "1"}],
        ["not an object"],
    ],
)
def test_malformed_book_payloads_are_decode_errors(payloads):
    with pytest.raises(DecodeError):
        book_from_wire(payloads)


EPOCH_TEXT = "1693415330.621700"


def _book_payloads() -> list[list[Any]]:
    """``msg[1:-2]`` of every book message of the book captures (cryptofeed's book-1000, python-kraken-sdk's)."""
    messages = load_cryptofeed("cryptofeed/KRAKEN.ws.50.0")
    data = json.loads(fixture_path("python-kraken-sdk/orderbook-v1.json").read_text(encoding="utf-8"))
    messages += [m for part in data.values() if isinstance(part, list) for m in part]
    return [m[1:-2] for m in messages
            if isinstance(m, list) and len(m) >= 4 and isinstance(m[-2], str) and m[-2].startswith("book-")]


def test_book_levels_decode_as_the_eager_models_on_every_captured_message():
    # book_from_wire keeps each level's time as its wire text until read (BookLevel.time):
    # every level of every capture equals the model built eagerly with epoch_to_datetime.
    payloads = _book_payloads()
    assert len(payloads) > 4000
    levels = 0
    for payload in payloads:
        _, update = book_from_wire(payload)
        for decoded, keys in ((update.asks, ("as", "a")), (update.bids, ("bs", "b"))):
            wire = [level for obj in payload for key in keys for level in obj.get(key, ())]
            assert len(decoded) == len(wire)
            for got, raw in zip(decoded, wire):
                eager = BookLevel(price=Decimal(raw[0]), quantity=Decimal(raw[1]), time=epoch_to_datetime(raw[2]),
                                  republished=len(raw) > 3 and raw[3] == "r")
                assert got == eager and hash(got) == hash(eager) and repr(got) == repr(eager)
                assert type(got.time) is datetime and got.time == epoch_to_datetime(raw[2])
                levels += 1
    assert levels > 10000


def test_a_lazily_decoded_level_time_reads_as_a_datetime_everywhere():
    _, update = book_from_wire([{"a": [["1.5", "2.0", "1693415330.621700"]], "c": "1"}])
    (level,) = update.asks
    expected = utc(2023, 8, 30, 17, 8, 50, 621700)
    assert _BOOK_LEVEL_SLOTS["time"].__get__(level) == "1693415330.621700"  # not converted yet
    assert repr(level) == repr(attrs.evolve(level, time=expected))
    assert attrs.asdict(level)["time"] == expected
    assert level.time == expected and level.time is level.time
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        level.time = expected  # type: ignore[misc]


def test_book_prices_are_decoded_once_per_text_and_keep_their_exponent(monkeypatch):
    from exwire.kraken import converter

    monkeypatch.setattr(converter, "_PRICES", {})
    first = converter.book_price("27120.00000")
    assert first is converter.book_price("27120.00000")
    assert format(first, "f") == "27120.00000"
    other = converter.book_price("27120.0")
    assert other == first and other is not first and format(other, "f") == "27120.0"
    _, update = book_from_wire([{"a": [["27120.00000", "1.0", EPOCH_TEXT], ["27120.0", "0", EPOCH_TEXT]], "c": "1"}])
    assert update.asks[0].price is first and update.asks[1].price is other
    monkeypatch.setattr(converter, "_PRICES_LIMIT", 3)
    for text in ("1.5", "2.5", "3.5"):
        converter.book_price(text)
    assert len(converter._PRICES) <= 3  # full: it started afresh
    assert converter.book_price("27120.00000") == first


@pytest.mark.parametrize("time", ["1" * 11 + ".5", "１２.5", "12.x", ".5", "", 12, 12.5])
def test_level_times_the_lazy_path_cannot_take_are_converted_at_decoding(time):
    payload = [{"a": [["1.5", "2.0", time]], "c": "1"}]
    try:
        expected = epoch_to_datetime(time)
    except ValueError:
        with pytest.raises(DecodeError):
            book_from_wire(payload)
    else:
        _, update = book_from_wire(payload)
        assert update.asks[0].time == expected


# -- events (§4.3, §4.6) -----------------------------------------------------------


def test_system_status_from_the_spec_example_keeps_the_64_bit_connection_id():
    frame = '{"connectionID":8628615390848610000,"event":"systemStatus","status":"online","version":"1.9.1"}'
    status = system_status_from_wire(json.loads(frame))
    assert status.connection_id == 8628615390848610000
    assert status.status is SystemState.ONLINE and status.status.is_known
    assert status.version == "1.9.1"


def test_system_status_from_the_kraken_net_sample():
    status = system_status_from_wire(load_kraken_net("SystemStatusUpdate.txt"))
    assert (status.connection_id, status.status, status.version) == (8628615390848610000, SystemState.ONLINE, "1.0.0")


def test_system_status_of_the_captures_above_2_to_the_63():
    messages = load_cryptofeed("cryptofeed/KRAKEN.ws.48.0")
    (event,) = [m for m in messages if isinstance(m, dict) and m["event"] == "systemStatus"]
    assert system_status_from_wire(event).connection_id == 18239578009413566319


@pytest.mark.parametrize("state", ["online", "maintenance", "cancel_only", "post_only", "limit_only"])
def test_system_status_knows_every_documented_state(state):
    status = system_status_from_wire({"event": "systemStatus", "status": state, "version": "1.9.1"})
    assert status.status.value == state and status.status.is_known
    assert status.connection_id is None


def test_system_status_with_an_unknown_state_is_kept():
    status = system_status_from_wire({"event": "systemStatus", "status": "degraded", "version": "2.0.0"})
    assert isinstance(status.status, SystemState)
    assert status.status.value == "degraded"
    assert status.status.is_known is False
    assert status.status is SystemState("degraded")  # the same pseudo-member every time
    assert status.status != SystemState.ONLINE
    assert "degraded" not in [state.value for state in SystemState]


def test_subscription_status_success_error_and_private_forms():
    subscribed = subscription_status_from_wire(
        {"channelID": 336, "channelName": "book-10", "event": "subscriptionStatus", "pair": "XBT/USD",
         "reqid": 7, "status": "subscribed", "subscription": {"depth": 10, "name": "book"}}
    )  # fmt: skip
    assert subscribed.status is SubscriptionState.SUBSCRIBED
    assert (subscribed.channel_name, subscribed.pair, subscribed.request_id) == ("book-10", "XBT/USD", 7)
    assert (subscribed.name, subscribed.depth, subscribed.interval, subscribed.channel_id) == ("book", 10, None, 336)

    private = subscription_status_from_wire(
        {"channelName": "openOrders", "event": "subscriptionStatus", "reqid": 1, "status": "subscribed",
         "subscription": {"maxratecount": 125, "name": "openOrders"}}
    )  # fmt: skip
    assert private.pair is None and private.max_rate_count == 125

    unsubscribed = subscription_status_from_wire(
        {"channelID": 10001, "channelName": "ohlc-5", "event": "subscriptionStatus", "pair": "XBT/EUR",
         "reqid": 42, "status": "unsubscribed", "subscription": {"interval": 5, "name": "ohlc"}}
    )  # fmt: skip
    assert unsubscribed.status is SubscriptionState.UNSUBSCRIBED and unsubscribed.interval == 5

    error = subscription_status_from_wire(
        {"errorMessage": "Subscription depth not supported", "event": "subscriptionStatus", "pair": "XBT/USD",
         "status": "error", "subscription": {"depth": 42, "name": "book"}}
    )  # fmt: skip
    assert error.status is SubscriptionState.ERROR
    assert error.error_message == "Subscription depth not supported"
    assert error.request_id is None


def test_events_without_status_are_decode_errors():
    with pytest.raises(DecodeError):
        system_status_from_wire({"event": "systemStatus"})
    with pytest.raises(DecodeError):
        subscription_status_from_wire({"event": "subscriptionStatus"})


def test_malformed_ticker_trade_spread_are_decode_errors():
    with pytest.raises(DecodeError):
        ticker_from_wire({"a": ["1.0", 1, "1.0"]})
    with pytest.raises(DecodeError):
        trades_from_wire([["1.0", "oops", "1534614057.321597", "b", "l", ""]])
    with pytest.raises(DecodeError):
        spread_from_wire(["1.0"])


def test_models_are_frozen():
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        SPEC_TRADE_MODELS[0].price = D("1")


# -- private channels (§7) ----------------------------------------------------------


def test_own_trades_from_the_kraken_net_sample():
    trades = own_trades_from_wire(load_kraken_net("OwnTradeUpdate.txt"))
    assert len(trades) == 4
    assert trades[0] == OwnTrade(
        trade_id="TDLH43-DVQXD-2KHVYY",
        order_id="TDLH43-DVQXD-2KHVYY",
        position_id="OGTT3Y-C6I3P-XRI6HX",
        symbol="XBT/EUR",
        time=utc(2019, 6, 14, 12, 40, 23, 70651),
        side=Side.SELL,
        order_type=OrderType.LIMIT,
        price=D("100000.00000"),
        cost=D("1000000.00000"),
        fee=D("1600.00000"),
        quantity=D("1000000000.00000000"),
        margin=D("0.00000"),
    )
    assert [trade.side for trade in trades] == [Side.SELL, Side.BUY, Side.SELL, Side.BUY]
    assert trades[1].time == utc(2019, 6, 14, 12, 40, 23, 70658)


def test_own_trade_optional_fields():
    fields = {
        "cost": "1.0", "fee": "0.1", "ordertxid": "O1", "ordertype": "market", "pair": "XBT/USD",
        "price": "10.0", "time": "1560516023.070651", "type": "buy", "vol": "0.1",
        "userref": 42, "cl_ord_id": "my-order", "margin_borrow": True, "ext_exec_id": "E1",
    }  # fmt: skip
    (trade,) = own_trades_from_wire([{"T1": fields}])
    assert (trade.position_id, trade.margin) == (None, None)
    assert (trade.user_reference, trade.client_order_id, trade.margin_borrow) == (42, "my-order", True)
    assert trade.external_execution_id == "E1"
    assert trade.order_type is OrderType.MARKET


def test_own_trade_without_a_required_field_is_a_decode_error():
    with pytest.raises(DecodeError):
        own_trades_from_wire([{"T1": {"pair": "XBT/USD"}}])


def test_open_orders_from_the_kraken_net_sample():
    orders = order_updates_from_wire(load_kraken_net("OpenOrdersUpdate.txt"))
    assert len(orders) == 4
    assert orders[0] == OrderUpdate(
        order_id="OGTT3Y-C6I3P-XRI6HX",
        status=OrderStatus.OPEN,
        reference_id="OKIVMP-5GVZN-Z2D2UA",
        user_reference=0,
        created_at=None,  # "0.000000": not set
        symbol="XBT/EUR",
        side=Side.SELL,
        order_type=OrderType.LIMIT,
        price=D("34.50000"),
        secondary_price=D("0.00000"),
        start_time=None,
        expire_time=None,
        description=OrderDescription(
            pair="XBT/EUR",
            side=Side.SELL,
            order_type=OrderType.LIMIT,
            price=D("34.50000"),
            secondary_price=D("0.00000"),
            leverage="0:1",
            order="sell 10.00345345 XBT/EUR @ limit 34.50000 with 0:1 leverage",
            close="",
        ),
        quantity=D("10.00345345"),
        filled_quantity=D("0.00000000"),
        cost=D("0.00000"),
        fee=D("0.00000"),
        average_price=D("34.50000"),
        stop_price=D("0.000000"),
        limit_price=D("34.50000"),
        misc="",
        flags=(OrderFlag.FEE_IN_BASE,),
    )
    assert [order.quantity for order in orders] == [D("10.00345345"), D("0.00000010"), D("0.00001000"), D("0.00001000")]


def test_partial_order_update_leaves_absent_fields_none():
    (update,) = order_updates_from_wire([{"OGTT3Y-C6I3P-XRI6HX": {"status": "closed"}}])
    assert update == OrderUpdate(order_id="OGTT3Y-C6I3P-XRI6HX", status=OrderStatus.CLOSED)


def test_order_update_keeps_unknown_status_flags_and_time_in_force():
    fields = {
        "status": "triggered", "oflags": "post,fciq,newflag", "timeinforce": "GTX",
        "opentm": "1560516023.070651", "lastupdated": "1560516024.000001", "amended": "false", "ratecount": "3.5",
    }  # fmt: skip
    (update,) = order_updates_from_wire([{"O1": fields}])
    assert update.status.value == "triggered" and not update.status.is_known
    assert update.flags[:2] == (OrderFlag.POST_ONLY, OrderFlag.FEE_IN_QUOTE)
    assert update.flags[2].value == "newflag" and not update.flags[2].is_known
    assert update.time_in_force.value == "GTX" and isinstance(update.time_in_force, TimeInForce)
    assert update.created_at == utc(2019, 6, 14, 12, 40, 23, 70651)
    assert update.updated_at == utc(2019, 6, 14, 12, 40, 24, 1)
    assert update.amended is False and update.rate_count == D("3.5")


def test_malformed_open_orders_payload_is_a_decode_error():
    with pytest.raises(DecodeError):
        order_updates_from_wire(["not an object"])
    with pytest.raises(DecodeError):
        order_updates_from_wire([{"O1": {"vol": "lots"}}])


# -- codec helpers, as the converter relies on them ---------------------------------


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        ("1534614057.321597", utc(2018, 8, 18, 17, 40, 57, 321597)),
        ("1534614057.000001", utc(2018, 8, 18, 17, 40, 57, 1)),
        ("1534614057.5", utc(2018, 8, 18, 17, 40, 57, 500000)),
        ("1534614057", utc(2018, 8, 18, 17, 40, 57)),
        ("1618678132.9348202", utc(2021, 4, 17, 16, 48, 52, 934820)),  # 7 digits: truncated
        (1534614057, utc(2018, 8, 18, 17, 40, 57)),
        (1534614057.321597, utc(2018, 8, 18, 17, 40, 57, 321597)),  # via the float's repr
        (D("1534614057.321597"), utc(2018, 8, 18, 17, 40, 57, 321597)),
        ("-1.5", utc(1969, 12, 31, 23, 59, 58, 500000)),
        ("1E9", utc(2001, 9, 9, 1, 46, 40)),
    ],
)
def test_epoch_to_datetime_is_exact_to_the_microsecond(wire, expected):
    result = epoch_to_datetime(wire)
    assert result == expected
    assert result.tzinfo is UTC


@pytest.mark.parametrize("wire", ["", "abc", "1.2.3", None, True, "NaN", "1e999999"])
def test_epoch_to_datetime_refuses_non_times(wire):
    with pytest.raises(ValueError):
        epoch_to_datetime(wire)


def test_epoch_milliseconds_and_back():
    assert epoch_ms_to_datetime(1618678132934) == utc(2021, 4, 17, 16, 48, 52, 934000)
    assert epoch_ms_to_datetime("1618678132934") == utc(2021, 4, 17, 16, 48, 52, 934000)
    assert epoch_ms_to_datetime("1618678132934.5") == utc(2021, 4, 17, 16, 48, 52, 934500)
    assert datetime_to_epoch_ms(utc(2021, 4, 17, 16, 48, 52, 934999)) == 1618678132934


def test_datetime_to_epoch_seconds_round_trips_the_wire_string():
    time = epoch_to_datetime("1534614057.321597")
    assert format(datetime_to_epoch_seconds(time), "f") == "1534614057.321597"
    with pytest.raises(ConfigurationError):
        datetime_to_epoch_seconds(datetime(2020, 1, 1))


def test_decimal_from_wire_never_uses_the_float_binary_value():
    assert decimal_from_wire(0.1) == D("0.1")
    assert decimal_from_wire("0.00000500").as_tuple().exponent == -8
    assert decimal_from_wire(7) == D(7)
    for bad in ["x", None, True]:
        with pytest.raises(ValueError):
            decimal_from_wire(bad)


class Colour(OpenEnum):
    RED = "red"


@attrs.frozen
class Sample:
    price: Decimal
    time: datetime
    colour: Colour
    expiry: datetime | None = None


def test_make_converter_structures_decimals_datetimes_and_open_enums():
    converter = make_converter()
    sample = converter.structure({"price": 0.1, "time": "1534614057.321597", "colour": "blue"}, Sample)
    assert sample.price == D("0.1")
    assert sample.time == utc(2018, 8, 18, 17, 40, 57, 321597)
    assert sample.colour.value == "blue" and not sample.colour.is_known
    assert sample.expiry is None
    assert converter.unstructure(D("1E-8")) == "0.00000001"
    milliseconds = make_converter(epoch_unit="ms")
    assert milliseconds.structure(1618678132934, datetime) == utc(2021, 4, 17, 16, 48, 52, 934000)
    with pytest.raises(ConfigurationError):
        make_converter(epoch_unit="us")  # type: ignore[arg-type]
