"""Sans-I/O tests of the Coinsuper codec: MQTT event in → events out, command → frame out.

Payloads are the samples of coinsuper.md §3 (``samples.py``); section numbers refer to it.
"""

from __future__ import annotations

import json
import pickle
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from exwire import AuthenticationError, ConfigurationError, DecodeError, ExchangeUnavailable, InvalidRequest
from exwire._core.protocol import Reply, Update
from exwire.coinsuper.models import (
    KlineInterval,
    MatchType,
    OrderBookStep,
    OrderState,
    OrderType,
)
from exwire.coinsuper.protocol import (
    CoinsuperProtocol,
    MqttFrame,
    Route,
    Topics,
    decode_command,
    map_error,
    parse_topic,
    topic_symbol,
)
from exwire.models import Level, Side, UpdateType
from tests.coinsuper import samples


def ms(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1000, UTC)


def receive(topic: str, payload: str, protocol: CoinsuperProtocol | None = None):
    return (protocol or CoinsuperProtocol()).receive(MqttFrame.publish(topic, payload))


# -- topics (§3) -----------------------------------------------------------------------------


def test_topics_follow_the_documented_patterns():
    topics = Topics()
    assert topics.market_depth("btc/usd") == ("/api/ws/v1/market/depth/BTC_USD", samples.DEPTH_TOPIC)
    assert topics.order_book("BTC/USD", OrderBookStep.HUNDREDTH)[1] == samples.ORDER_BOOK_TOPIC
    assert topics.kline("BTC/USD", KlineInterval.ONE_MINUTE)[1] == samples.KLINE_TOPIC
    assert topics.trades("BTC/USD")[1] == samples.TICKERS_TOPIC
    assert topics.balances("demouser@demo.domain")[1] == samples.ASSET_TOPIC
    assert topics.orders("demouser@demo.domain")[1] == samples.ORDER_TOPIC
    assert topics.user_trades("demouser@demo.domain")[1] == samples.TRADE_TOPIC


def test_topics_use_the_configured_environment():
    assert Topics("exchange_test").trades("ETC/BTC")[1] == "exchange_test/api/ws/v1/market/tickers/ETC_BTC"


@pytest.mark.parametrize("symbol", ["BTCUSD", "BTC_USD", "BTC/USD/EUR", "/USD", "BTC/", 7, None, "BT C/USD"])
def test_malformed_symbols_are_configuration_errors(symbol):
    with pytest.raises(ConfigurationError):
        topic_symbol(symbol)


@pytest.mark.parametrize(
    "topic, route",
    [
        (samples.DEPTH_TOPIC, Route("depth", "BTC/USD", None)),
        (samples.ORDER_BOOK_TOPIC, Route("orderBook", "BTC/USD", "0.01")),
        (samples.KLINE_TOPIC, Route("kline", "BTC/USD", "60000")),
        (samples.TICKERS_TOPIC, Route("tickers", "BTC/USD", None)),
        (samples.ASSET_TOPIC, Route("asset", None, "demouser@demo.domain")),
        (samples.ORDER_TOPIC, Route("order", None, "demouser@demo.domain")),
        (samples.TRADE_TOPIC, Route("trade", None, "demouser@demo.domain")),
    ],
)
def test_parse_topic_recovers_channel_symbol_and_parameter(topic, route):
    assert parse_topic(topic) == route


@pytest.mark.parametrize(
    "topic",
    [
        "other_env/api/ws/v1/market/depth/BTC_USD",
        "exchange_ha_prod_hk/api/ws/v1/market/ticker/BTC_USD",
        "exchange_ha_prod_hk/api/ws/v1/market/depth/BTC_USD/1",
        "exchange_ha_prod_hk/api/ws/personal/v1/order/change/x@y",  # order/trade have no /api
    ],
)
def test_unknown_topics_are_decode_errors(topic):
    with pytest.raises(DecodeError):
        parse_topic(topic)


# -- payloads (§3.1-§3.7) ---------------------------------------------------------------------


def test_depth_chart_payload():
    (update,) = receive(samples.DEPTH_TOPIC, samples.DEPTH)
    assert update.key == samples.DEPTH_TOPIC and update.symbol == "BTC/USD"
    assert update.update_type is UpdateType.SNAPSHOT
    depth = update.data
    assert depth.symbol == "BTC/USD"
    assert [(a.price, a.quantity) for a in depth.asks] == [
        (Decimal("6681.39"), Decimal("25.1470")),
        (Decimal("6688.06"), Decimal("50.7548")),
        (Decimal("6694.74"), Decimal("73.7040")),
    ]
    assert depth.bids[0].quantity == Decimal("0.0000") and str(depth.bids[0].quantity) == "0.0000"
    assert (depth.depth_percent, depth.best_ask, depth.best_bid) == (
        Decimal("0.01"), Decimal("6674.89"), Decimal("6674.56")
    )


def test_order_book_payload():
    (update,) = receive(samples.ORDER_BOOK_TOPIC, samples.ORDER_BOOK)
    book = update.data
    assert update.update_type is UpdateType.SNAPSHOT and update.symbol == "BTC/USD"
    assert book.step is OrderBookStep.HUNDREDTH and book.limit_size == 15
    assert book.asks == (Level(Decimal("6674.89"), Decimal("0.0524")), Level(Decimal("6674.96"), Decimal("0.2399")))
    assert book.bids[1] == Level(Decimal("6617.89"), Decimal("0.1236"))
    assert book.time == ms(1532686075803)


def test_kline_payload_takes_its_interval_from_the_topic():
    (update,) = receive(samples.KLINE_TOPIC, samples.KLINE)
    kline = update.data
    assert update.update_type is UpdateType.UPDATE
    assert kline.interval is KlineInterval.ONE_MINUTE
    assert (kline.open, kline.high, kline.low, kline.close) == (
        Decimal("6616.40"), Decimal("6616.48"), Decimal("6616.40"), Decimal("6616.45")
    )
    assert kline.volume == Decimal("31.76239814") and kline.open_time == ms(1532686140000)


def test_kline_with_an_undocumented_range_keeps_the_number():
    topic = "exchange_ha_prod_hk/api/ws/v1/market/kline/BTC_USD/2592000000"
    (update,) = receive(topic, samples.KLINE)
    assert update.data.interval == 2592000000


def test_trades_payload_is_delivered_oldest_first():
    (update,) = receive(samples.TICKERS_TOPIC, samples.TICKERS)
    assert update.update_type is UpdateType.SNAPSHOT
    first, second = update.data
    assert (first.side, first.price, first.quantity, first.time) == (
        Side.SELL, Decimal("6088.84"), Decimal("0.2197"), ms(1532606712073)
    )
    assert (second.side, second.price) == (Side.BUY, Decimal("6089.34"))


def test_asset_payload_keeps_thirty_decimals_exactly():
    (update,) = receive(samples.ASSET_TOPIC, samples.ASSET)
    change = update.data
    assert update.symbol is None and change.user_no == "1600000000000000000"
    assert change.email == "demouser@demo.domain" and change.time == ms(1542786802283)
    btc, usd = change.balances
    assert btc.asset == "BTC" and btc.updated_at == ms(1542786801575)
    # The JSON number's text, digit for digit, including the 30 trailing decimals.
    assert str(btc.free) == "0.738763122563248000000000000000"
    assert str(btc.total) == "1.306763122563248000000000000000"
    assert str(usd.total) == "3226.058257880000000000000000000000"
    assert btc.locked == Decimal("0.568000000000000000000000000000")


def test_asset_numbers_beyond_float_precision_are_not_rounded():
    payload = json.loads(samples.ASSET)
    text = samples.ASSET.replace("1.306763122563248000000000000000", "1.306763122563248123456789012345")
    (update,) = receive(samples.ASSET_TOPIC, text)
    btc = update.data.balances[0]
    assert str(btc.total) == "1.306763122563248123456789012345"
    assert btc.total != Decimal(repr(1.306763122563248123456789012345))
    assert str(btc.locked) == "0.568000000000000123456789012345"  # exact beyond 28 digits
    assert payload  # the sample itself is valid JSON


def test_order_status_payload():
    (update,) = receive(samples.ORDER_TOPIC, samples.ORDER)
    order = update.data
    assert update.symbol == "BTC/USD" and update.update_type is UpdateType.UPDATE
    assert order.order_id == "1616392747273428993" and order.status is OrderState.NEW
    assert order.side is Side.BUY and order.price == Decimal("6500.00")
    assert (order.quantity, order.quantity_remaining, order.amount, order.fee) == (
        Decimal("0.0100"), Decimal("0.0100"), Decimal("65.00"), Decimal("0")
    )
    assert order.created_at == ms(1541512249094)


def test_order_status_array_with_json_numbers_and_an_unknown_state():
    payload = json.dumps([
        {"orderNo": 1616392747273428993, "state": "CANCEL", "quantity": 0.01},
        {"orderNo": "1616392747273428994", "state": "PARTIAL"},
    ])
    first, second = receive(samples.ORDER_TOPIC, payload)
    assert first.data.order_id == "1616392747273428993"  # a 19-digit JSON number, exact
    assert first.data.status is OrderState.CANCEL and first.data.quantity == Decimal("0.01")
    assert first.data.symbol is None and first.data.side is None
    assert second.data.status.value == "PARTIAL" and not second.data.status.is_known


def test_fill_payload():
    (update,) = receive(samples.TRADE_TOPIC, samples.TRADE)
    fill = update.data
    assert update.symbol == "ETC/BTC"
    assert (fill.trade_id, fill.order_id) == ("1616392748072460289", "1616392747273428993")
    assert fill.order_type is OrderType.MARKET and fill.match_type is MatchType.TAKER
    assert (fill.price, fill.quantity) == (Decimal("1234.56000000"), Decimal("0.00081000"))
    assert fill.side is Side.BUY and fill.time == ms(1541512249094)  # utcDeal is a string


@pytest.mark.parametrize(
    "topic, payload",
    [
        (samples.DEPTH_TOPIC, "not json"),
        (samples.DEPTH_TOPIC, '{"symbol": "BTC/USD"}'),
        (samples.ORDER_BOOK_TOPIC, '{"asks": [{"limitPrice": "x", "quantity": "1"}], "bids": []}'),
        (samples.KLINE_TOPIC, '{"first": "1"}'),
        (samples.TICKERS_TOPIC, '{"price": "1"}'),
        (samples.TICKERS_TOPIC, '[{"price": "1", "quantity": "1", "action": "HOLD", "timestamp": 1}]'),
        (samples.ASSET_TOPIC, '{"asset": [{"currency": "BTC"}]}'),
        (samples.ORDER_TOPIC, '{"state": "NEW"}'),
        (samples.TRADE_TOPIC, '"text"'),
        (samples.TRADE_TOPIC, b"\xff\xfe"),
    ],
)
def test_malformed_payloads_are_decode_errors(topic, payload):
    with pytest.raises(DecodeError):
        receive(topic, payload)


def test_a_frame_that_is_not_an_mqtt_event_is_a_decode_error():
    with pytest.raises(DecodeError):
        CoinsuperProtocol().receive('{"event": "x"}')


# -- de-duplicating the trades window (§3.4) --------------------------------------------------


def trade(price: str, timestamp: int, action: str = "BUY") -> dict:
    return {"symbol": "BTC/USD", "price": price, "quantity": "0.1", "action": action, "timestamp": timestamp}


def test_republished_trades_are_not_delivered_again():
    protocol = CoinsuperProtocol()
    window = [trade("2", 2000), trade("1", 1000)]
    (first,) = receive(samples.TICKERS_TOPIC, json.dumps(window), protocol)
    assert [t.price for t in first.data] == [Decimal(1), Decimal(2)]
    assert receive(samples.TICKERS_TOPIC, json.dumps(window), protocol) == ()
    (update,) = receive(samples.TICKERS_TOPIC, json.dumps([trade("4", 4000), trade("3", 3000)] + window), protocol)
    assert update.update_type is UpdateType.UPDATE
    assert [t.price for t in update.data] == [Decimal(3), Decimal(4)]


def test_trades_sharing_the_newest_millisecond_are_counted():
    protocol = CoinsuperProtocol()
    receive(samples.TICKERS_TOPIC, json.dumps([trade("5", 5000), trade("4", 4000)]), protocol)
    # Two more trades in the same millisecond as the newest one seen, one identical to it.
    window = [trade("5", 5000), trade("6", 5000, "SELL"), trade("5", 5000), trade("4", 4000)]
    (update,) = receive(samples.TICKERS_TOPIC, json.dumps(window), protocol)
    assert sorted((t.price, t.side.value) for t in update.data) == [(Decimal(5), "buy"), (Decimal(6), "sell")]
    assert receive(samples.TICKERS_TOPIC, json.dumps(window), protocol) == ()


def test_each_trades_topic_has_its_own_window():
    protocol = CoinsuperProtocol()
    other = samples.TICKERS_TOPIC.replace("BTC_USD", "ETH_USD")
    receive(samples.TICKERS_TOPIC, json.dumps([trade("1", 1000)]), protocol)
    (update,) = receive(other, json.dumps([trade("1", 1000)]), protocol)
    assert update.update_type is UpdateType.SNAPSHOT and update.symbol == "ETH/USD"


# -- commands and acknowledgements (§4, §2.3) -------------------------------------------------


def test_subscribe_command_round_trips_through_the_transport_decoder():
    protocol = CoinsuperProtocol()
    key, frame = protocol.subscribe([samples.DEPTH_TOPIC])
    command = decode_command(frame)
    assert key == ("suback", command.ref)
    assert (command.op, command.topics, command.qos) == ("subscribe", (samples.DEPTH_TOPIC,), 0)
    key2, frame2 = protocol.unsubscribe([samples.DEPTH_TOPIC])
    assert key2 == ("unsuback", command.ref + 1) and decode_command(frame2).op == "unsubscribe"


@pytest.mark.parametrize("frame", ['{"op": "publish", "ref": 1, "topics": ["t"]}', '{"op": "subscribe", "ref": 1}'])
def test_decode_command_refuses_other_frames(frame):
    with pytest.raises(ValueError):
        decode_command(frame)


def test_suback_granting_every_topic_completes_the_request():
    protocol = CoinsuperProtocol()
    key, _ = protocol.subscribe([samples.ASSET_TOPIC, samples.ORDER_TOPIC])
    assert protocol.receive(MqttFrame.suback(key[1], (0, 0), packet_id=9)) == (Reply(key, (0, 0)),)


def test_suback_failure_code_is_an_invalid_request_naming_the_topic():
    protocol = CoinsuperProtocol()
    key, _ = protocol.subscribe([samples.ORDER_TOPIC, samples.ASSET_TOPIC])
    (reply,) = protocol.receive(MqttFrame.suback(key[1], (0, 0x80)))
    assert reply.key == key and isinstance(reply.error, InvalidRequest)
    assert reply.error.code == 0x80 and "asset/change" in str(reply.error)
    assert "order/change" not in str(reply.error)


def test_acks_of_unknown_commands_are_ignored():
    protocol = CoinsuperProtocol()
    assert protocol.receive(MqttFrame.suback(None, (0,))) == ()
    assert protocol.receive(MqttFrame.unsuback(None)) == ()


def test_unsuback_completes_the_unsubscribe():
    protocol = CoinsuperProtocol()
    key, _ = protocol.unsubscribe([samples.ORDER_TOPIC])
    assert protocol.receive(MqttFrame.unsuback(key[1], 3)) == (Reply(key, None),)


def test_lifecycle_an_abandoned_command_is_forgotten_and_keeps_the_connection():
    protocol = CoinsuperProtocol()
    protocol.connection_made()
    key, frame = protocol.subscribe([samples.ORDER_TOPIC])
    protocol.sent(key, frame)
    assert protocol._requested == {key[1]: (samples.ORDER_TOPIC,)}
    assert protocol.abandoned(key) is False  # acks name their command: still trusted
    assert protocol._requested == {}
    (late,) = protocol.receive(MqttFrame.suback(key[1], (0x80,)))  # completes nothing in the Connection
    assert late.key == key and "order/change" not in str(late.error)  # its topics are forgotten
    unsubscribe, frame = protocol.unsubscribe([samples.ORDER_TOPIC])
    protocol.sent(unsubscribe, frame)
    assert protocol.abandoned(unsubscribe) is False and protocol._requested == {}


def test_lifecycle_connection_made_forgets_the_commands_of_the_old_session():
    protocol = CoinsuperProtocol()
    protocol.connection_made()
    old, _ = protocol.subscribe([samples.ASSET_TOPIC])
    protocol.connection_made()
    assert protocol._requested == {}
    new, _ = protocol.subscribe([samples.ASSET_TOPIC])
    (reply,) = protocol.receive(MqttFrame.suback(new[1], (0x80,)))
    assert reply.key == new and "asset/change" in str(reply.error)


@pytest.mark.parametrize(
    "code, cls",
    [(1, InvalidRequest), (2, AuthenticationError), (3, ExchangeUnavailable), (4, AuthenticationError),
     (5, AuthenticationError)],
)
def test_connack_refusals_map_through_the_error_table(code, cls):
    error = map_error("connack", code)
    assert type(error) is cls and error.code == code and error.exchange == "coinsuper"


def test_an_unknown_refusal_code_is_a_plain_exchange_error():
    error = map_error("connack", 99)
    assert type(error).__name__ == "ExchangeError" and error.code == 99


# -- the frame type crossing the seam ----------------------------------------------------------


def test_mqtt_frame_bytes_are_the_payload():
    frame = MqttFrame.publish(samples.KLINE_TOPIC, samples.KLINE)
    assert frame.decode("utf-8") == samples.KLINE  # what keep_raw shows
    assert frame.kind == "publish" and "kline" in repr(frame)
    copy = pickle.loads(pickle.dumps(frame))
    assert (copy.kind, copy.topic, bytes(copy)) == ("publish", samples.KLINE_TOPIC, bytes(frame))


def test_updates_carry_the_full_topic_as_routing_key():
    events = receive(samples.TRADE_TOPIC, samples.TRADE)
    assert [type(e) for e in events] == [Update] and events[0].key == samples.TRADE_TOPIC
