"""Request parameter encoding and the checks made before sending (no I/O)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from exwire import Side
from exwire.binance._validation import check_order
from exwire.binance.converter import camel_case, encode_params
from exwire.binance.enums import KlineInterval, OrderSide, OrderStatus
from exwire.binance.order_models import OrderLeg
from exwire.errors import ConfigurationError


def test_money_goes_out_as_plain_decimal_strings():
    params = encode_params({"price": 0.00001, "quantity": Decimal("1E-8"), "stop_price": "52000.00",
                            "quote_order_quantity": 10})
    assert params == {"price": "0.00001", "quantity": "0.00000001", "stopPrice": "52000.00", "quoteOrderQty": "10"}


@pytest.mark.parametrize("value", [float("nan"), float("inf"), "abc", True, None.__class__])
def test_bad_money_is_refused(value):
    with pytest.raises(ConfigurationError):
        encode_params({"price": value})


def test_enums_accept_members_wire_values_and_exwire_side():
    assert encode_params({"side": Side.BUY})["side"] == "BUY"
    assert encode_params({"side": OrderSide.SELL})["side"] == "SELL"
    assert encode_params({"side": "buy", "order_type": "limit"}) == {"side": "BUY", "type": "LIMIT"}
    assert encode_params({"interval": "1M"})["interval"] == "1M"  # month, not minute
    assert encode_params({"interval": KlineInterval.ONE_MINUTE})["interval"] == "1m"
    with pytest.raises(ConfigurationError):
        encode_params({"side": "HOLD"})
    with pytest.raises(ConfigurationError):
        encode_params({"side": OrderStatus("SOMETHING_NEW")})  # an unknown kept value is no input


def test_symbols_times_and_integers():
    assert encode_params({"symbol": " btcusdt "}) == {"symbol": "BTCUSDT"}
    assert encode_params({"symbols": ("BTCUSDT", "ethusdt", "BTCUSDT")}) == {"symbols": ["BTCUSDT", "ETHUSDT"]}
    moment = datetime(2022, 8, 18, tzinfo=timezone.utc)
    assert encode_params({"start_time": moment, "end_time": 1660867200000}) == {
        "startTime": 1660780800000, "endTime": 1660867200000}
    assert encode_params({"limit": None}) == {}
    for bad in ({"symbol": ""}, {"symbols": []}, {"limit": "5"}, {"limit": True}, {"start_time": datetime(2022, 1, 1)},
                {"compute_commission_rates": "yes"}):
        with pytest.raises(ConfigurationError):
            encode_params(bad)


def test_leg_parameters_use_binance_names():
    leg = OrderLeg(order_type="STOP_LOSS_LIMIT", price="1.2", stop_price="1.25", time_in_force="GTC",
                   iceberg_quantity="0.1", client_order_id="x")
    assert encode_params(leg.values("pending_above")) == {
        "pendingAboveType": "STOP_LOSS_LIMIT", "pendingAbovePrice": "1.2", "pendingAboveStopPrice": "1.25",
        "pendingAboveTimeInForce": "GTC", "pendingAboveIcebergQty": "0.1", "pendingAboveClientOrderId": "x"}
    assert camel_case("pending_above") == "pendingAbove"


@pytest.mark.parametrize(("order_type", "values", "missing"), [
    ("LIMIT", {"price": 1, "quantity": 1}, "time_in_force"),
    ("LIMIT", {"time_in_force": "GTC", "quantity": 1}, "price"),
    ("LIMIT_MAKER", {"price": 1}, "quantity"),
    ("MARKET", {}, "quantity or quote_order_quantity"),
    ("STOP_LOSS", {"quantity": 1}, "stop_price or trailing_delta"),
    ("TAKE_PROFIT_LIMIT", {"quantity": 1, "stop_price": 1, "price": 1}, "time_in_force"),
])
def test_check_order_names_what_the_type_needs(order_type, values, missing):
    with pytest.raises(ConfigurationError, match=missing):
        check_order(order_type, **values)


def test_check_order_accepts_complete_orders_and_refuses_nonsense():
    check_order("LIMIT", price="1", quantity="1", time_in_force="GTC")
    check_order("MARKET", quote_order_quantity="10")
    check_order("LIMIT", quantity="1", time_in_force="GTC", peg_price_type="PRIMARY_PEG")  # pegged: no price
    with pytest.raises(ConfigurationError, match="positive"):
        check_order("LIMIT", price="-1", quantity="1", time_in_force="GTC")
    with pytest.raises(ConfigurationError, match="iceberg"):
        check_order("LIMIT", price="1", quantity="1", time_in_force="IOC", iceberg_quantity="0.1")
    with pytest.raises(ConfigurationError, match="combined"):
        check_order("MARKET", quantity="1", quote_order_quantity="1")


def test_the_direct_rate_limits_path_equals_the_general_converter_on_every_capture() -> None:
    """rate_limits_from_wire builds the documented shape directly (every response has it);
    on every rateLimits array of the captures it must give what the converter gives."""
    from exwire.binance import converter as binance_converter
    from exwire.binance import models as binance_models
    from tests.conftest import fixture_path

    root = fixture_path("binance")
    arrays = []
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.suffix not in (".txt", ".json"):
            continue
        text = path.read_text(encoding="utf-8-sig", errors="replace").replace('"|1|"', "1").replace("|1|", "1")
        if "rateLimits" not in text:
            continue
        # A script's response follows "= " and may span lines; other captures hold one message a line.
        candidates = [text.partition("\n= ")[2]] + [line[line.find("{"):] for line in text.splitlines()]
        for candidate in candidates:
            if "rateLimits" not in candidate:
                continue
            try:
                message = json.loads(candidate)
            except ValueError:
                continue
            if isinstance(message, dict) and isinstance(message.get("rateLimits"), list):
                arrays.append(message["rateLimits"])
    assert len(arrays) > 20
    direct = 0
    for items in arrays:
        if all(isinstance(item, dict) for item in items):
            general = binance_converter.structure(items, list[binance_models.RateLimit])
            fast = binance_converter._rate_limits_exact(items)
            if fast is not None:
                direct += 1
                assert fast == general
            assert binance_converter.rate_limits_from_wire(items) == general
    assert direct > 20  # the captures take the direct path


def test_rate_limits_off_the_documented_shape_take_the_general_converter() -> None:
    from exwire.binance import converter as binance_converter

    item = {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000, "count": 2}
    for unusual in (dict(item, count="2"), dict(item, extra=1), dict(item, limit=True)):
        assert binance_converter._rate_limits_exact([unusual]) is None
        (limit,) = binance_converter.rate_limits_from_wire([unusual])
        assert limit.count == 2 and limit.interval_number == 1
