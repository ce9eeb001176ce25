"""Futures user-data events: the Binance.Net UsdFutures user-data fixtures (read in place)
parse into the typed models with no documented field dropped; listenKeyExpired with ``E``
as a string or an integer; unknown event types kept; malformed known events refused."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from exwire.binance import futures_event_converter as fc
from exwire.binance import futures_events as fe
from exwire.binance.enums import AlgoStatus, ExecutionType, FuturesOrderType, MarginType, PositionSide
from exwire.binance.events import UnknownEvent
from exwire.errors import DecodeError
from tests.conftest import fixture_path

FILES = ["AccountUpdate", "AlgoOrderUpdate", "ConditionalTrigger", "GridUpdate", "Leverage", "MarginUpdate",
         "MultiAssetMode", "OrderUpdate", "StrategyUpdate", "TradeUpdate"]


def _event(name: str) -> dict:
    """The ``data`` of the pushed frame (the part after the ``=`` line) of one fixture."""
    text = fixture_path("binance", "binance-net", "futures-user-data", "UsdFutures", f"{name}.txt").read_text()
    pushed = text.split("\n=", 1)[1]
    frame = json.loads(pushed)
    assert frame["stream"] == "123"
    return frame["data"]


def _unread_keys(kind: str, value: object) -> list[str]:
    """Wire keys of ``value`` (recursively) that no model field reads and are not documented as ignored."""
    if isinstance(value, list):
        return [key for item in value for key in _unread_keys(kind, item)]
    if not isinstance(value, dict):
        return []
    read = fc.FIELDS[kind] | fc.IGNORED.get(kind, frozenset())
    unread = [f"{kind}.{key}" for key in value if key not in read]
    for key, inner in value.items():
        if f"{kind}.{key}" in fc.FIELDS:
            unread += _unread_keys(f"{kind}.{key}", inner)
    return unread


@pytest.mark.parametrize("name", FILES)
def test_fixture_parses_with_no_field_dropped(name):
    event = _event(name)
    decoded = fc.futures_user_data_event(event)
    assert not isinstance(decoded, UnknownEvent)
    assert type(decoded) is fc.DECODERS[event["e"]][0]
    assert _unread_keys(event["e"], event) == []
    assert decoded.event_time == datetime.fromtimestamp(event["E"] / 1000, timezone.utc)


def test_order_update_fields():
    update = fc.futures_user_data_event(_event("OrderUpdate"))
    assert isinstance(update, fe.FuturesOrderUpdate)
    assert update.symbol == "BTCUSDT" and update.order_id == 8886774 and update.client_order_id == "TEST"
    assert update.order_type is FuturesOrderType.TRAILING_STOP_MARKET
    assert update.execution_type is ExecutionType.NEW
    assert update.stop_price == Decimal("7103.04") and update.ask_notional == Decimal("9.91")
    assert update.activation_price == Decimal("7476.89") and update.callback_rate == Decimal("5.0")
    assert update.position_side is PositionSide.LONG and update.good_till_date is None
    assert update.fee == Decimal(0) and update.fee_asset == "USDT" and update.is_maker is False
    assert update.transaction_time.tzinfo is timezone.utc


def test_account_update_fields():
    update = fc.futures_user_data_event(_event("AccountUpdate"))
    assert isinstance(update, fe.FuturesAccountUpdate)
    assert update.reason is fe.AccountUpdateReason.ORDER
    assert [b.asset for b in update.balances] == ["USDT", "BUSD"]
    assert update.balances[1].balance_change == Decimal("-49.12345678")
    short = update.positions[2]
    assert short.position_amount == Decimal("-10") and short.margin_type is MarginType.ISOLATED
    assert short.break_even_price == Decimal("6563.6") and short.position_side is PositionSide.SHORT


def test_margin_call_config_and_small_events():
    call = fc.futures_user_data_event(_event("MarginUpdate"))
    assert isinstance(call, fe.MarginCall)
    assert call.cross_wallet_balance == Decimal("3.16812045")
    assert call.positions[0].maintenance_margin == Decimal("1.614445")
    assert call.positions[0].margin_type.value == "CROSSED"  # kept although not a MarginType member
    leverage = fc.futures_user_data_event(_event("Leverage"))
    assert isinstance(leverage, fe.AccountConfigUpdate)
    assert (leverage.symbol, leverage.leverage, leverage.multi_assets_mode) == ("BTCUSDT", 25, None)
    mode = fc.futures_user_data_event(_event("MultiAssetMode"))
    assert isinstance(mode, fe.AccountConfigUpdate) and mode.multi_assets_mode is True and mode.leverage is None
    lite = fc.futures_user_data_event(_event("TradeUpdate"))
    assert isinstance(lite, fe.TradeLite)
    assert lite.last_executed_price == Decimal("64089.20") and lite.trade_id == 109100866
    algo = fc.futures_user_data_event(_event("AlgoOrderUpdate"))
    assert isinstance(algo, fe.AlgoOrderUpdate)
    assert algo.status is AlgoStatus.CANCELED and algo.order_id is None and algo.trigger_time is None
    assert algo.trigger_price == Decimal("750") and algo.algo_id == 2148719
    reject = fc.futures_user_data_event(_event("ConditionalTrigger"))
    assert isinstance(reject, fe.ConditionalOrderTriggerReject) and reject.order_id == 155618472834
    grid = fc.futures_user_data_event(_event("GridUpdate"))
    assert isinstance(grid, fe.GridUpdate) and grid.unmatched_quantity == Decimal("-0.001")
    strategy = fc.futures_user_data_event(_event("StrategyUpdate"))
    assert isinstance(strategy, fe.StrategyUpdate) and strategy.op_code == 8007 and strategy.strategy_status == "NEW"


@pytest.mark.parametrize("event_time", ["1736996475556", 1736996475556])
def test_listen_key_expired_takes_a_string_or_integer_time(event_time):
    expired = fc.futures_user_data_event({"e": "listenKeyExpired", "E": event_time, "listenKey": "K"})
    assert isinstance(expired, fe.ListenKeyExpired)
    assert expired.event_time == datetime(2025, 1, 16, 3, 1, 15, 556000, timezone.utc)
    assert expired.listen_key == "K"
    bare = fc.futures_user_data_event({"e": "listenKeyExpired", "E": 1624628889565})
    assert isinstance(bare, fe.ListenKeyExpired) and bare.listen_key is None


def test_unknown_event_is_kept():
    raw = {"e": "NEW_THING", "E": 1700000000000, "x": [1, 2]}
    event = fc.futures_user_data_event(raw)
    assert isinstance(event, UnknownEvent)
    assert event.event_type == "NEW_THING" and event.data == raw
    assert event.event_time == datetime.fromtimestamp(1700000000, timezone.utc)


@pytest.mark.parametrize("mutate", [
    lambda e: e["o"].pop("s"),
    lambda e: e["o"].update(q="lots"),
    lambda e: e.update(E=None),
    lambda e: e["o"].update(i=1.5),
    lambda e: e.update(o=[]),
], ids=["no symbol", "bad quantity", "no time", "float id", "not an object"])
def test_malformed_known_event_is_a_decode_error(mutate):
    event = _event("OrderUpdate")
    mutate(event)
    with pytest.raises(DecodeError, match="FuturesOrderUpdate"):
        fc.futures_user_data_event(event)


# -- the private stream's codec ------------------------------------------------------------------------


def _protocol():
    from exwire.binance.user_stream_protocol import BinanceUserStreamProtocol

    expired: list[str] = []
    return BinanceUserStreamProtocol(("usdm-user", "userData"), "KEY", expired.append), expired


def test_stream_frames_raw_and_wrapped_become_updates():
    protocol, _ = _protocol()
    data = _event("OrderUpdate")
    for frame in (json.dumps(data), json.dumps({"stream": "KEY", "data": data})):
        (update,) = protocol.receive(frame)
        assert update.key == ("usdm-user", "userData") and update.symbol == "BTCUSDT"
        assert isinstance(update.data, fe.FuturesOrderUpdate)
    (account,) = protocol.receive(json.dumps(_event("MarginUpdate")))
    assert account.symbol is None and isinstance(account.data, fe.MarginCall)
    assert protocol.receive('{"result": null, "id": 1}') == ()


@pytest.mark.parametrize("frame", ["not json", "[1, 2]", '{"no": "event"}',
                                   '{"e": "ORDER_TRADE_UPDATE", "E": 1, "T": 1, "o": {}}'])
def test_malformed_stream_frames_are_decode_errors(frame):
    protocol, _ = _protocol()
    with pytest.raises(DecodeError):
        protocol.receive(frame)


def test_listen_key_expired_is_reported_once_per_connection():
    protocol, expired = _protocol()
    protocol.receive('{"e": "listenKeyExpired", "E": 1, "listenKey": "OTHER"}')  # not this connection's key
    assert expired == []
    frame = '{"e": "listenKeyExpired", "E": "1736996475556", "listenKey": "KEY"}'
    (first,) = protocol.receive(frame)
    (second,) = protocol.receive(frame)  # Binance may send it twice within milliseconds
    assert isinstance(first.data, fe.ListenKeyExpired) and isinstance(second.data, fe.ListenKeyExpired)
    assert expired == ["KEY"]
    protocol.connection_made()  # reconnected to the same key: a later expiry is news again
    protocol.receive('{"e": "listenKeyExpired", "E": 2}')
    assert expired == ["KEY", "KEY"]
