"""addOrder fields built and checked before sending (kraken.md §8.1), sans-I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from exwire.errors import ConfigurationError
from exwire.kraken.models import OrderFlag, OrderType, TimeInForce
from exwire.kraken.orders import cancel_after_seconds, order_fields, order_ids
from exwire.models import Side


def fields(**overrides):
    arguments = {"symbol": "XBT/USD", "order_type": "limit", "side": "buy", "quantity": "1.25", "price": "37500"}
    arguments.update(overrides)
    return order_fields(**arguments)


def test_a_limit_order_in_wire_form():
    assert fields() == {"ordertype": "limit", "type": "buy", "pair": "XBT/USD", "volume": "1.25", "price": "37500"}


def test_money_goes_out_as_plain_decimal_strings():
    built = fields(quantity=1e-7, price=Decimal("3.75E+4"), leverage=2)
    assert built["volume"] == "0.0000001" and built["price"] == "37500" and built["leverage"] == "2"
    assert fields(quantity=0.1)["volume"] == "0.1"  # through repr, not the binary value


def test_every_reference_parameter_is_mapped():
    start = datetime(2030, 1, 1, tzinfo=UTC)
    built = fields(order_type=OrderType.STOP_LOSS_LIMIT, side=Side.SELL, price="30000", secondary_price="29900.5",
                   user_reference=7, leverage="3", start_time=start, expire_time=timedelta(minutes=5),
                   validate_only=True, close_order_type=OrderType.TAKE_PROFIT_LIMIT, close_price="+10%",
                   close_secondary_price="35000", flags=[OrderFlag.POST_ONLY, "fciq"], reduce_only=True,
                   time_in_force=TimeInForce.GOOD_TILL_DATE)
    assert built == {
        "ordertype": "stop-loss-limit", "type": "sell", "pair": "XBT/USD", "volume": "1.25", "price": "30000",
        "price2": "29900.5", "userref": "7", "leverage": "3", "starttm": str(int(start.timestamp())),
        "expiretm": "+300", "validate": "true", "oflags": "post,fciq", "reduce_only": True, "timeinforce": "GTD",
        "close[ordertype]": "take-profit-limit", "close[price]": "+10%", "close[price2]": "35000",
    }


def test_relative_and_trailing_prices():
    assert fields(price="-1.5%")["price"] == "-1.5%"
    assert fields(price="#2")["price"] == "#2"
    assert fields(order_type="trailing-stop", price=50)["price"] == "+50"
    assert fields(order_type="trailing-stop", price="+2%")["price"] == "+2%"
    with pytest.raises(ConfigurationError):
        fields(order_type="trailing-stop", price="-50")


def test_market_orders_and_client_order_ids():
    built = fields(order_type="market", price=None, client_order_id="my-order-1")
    assert "price" not in built and built["cl_ord_id"] == "my-order-1"


@pytest.mark.parametrize("overrides", [
    {"quantity": "-1"},
    {"quantity": 0},
    {"quantity": float("nan")},
    {"quantity": float("inf")},
    {"quantity": "abc"},
    {"quantity": True},
    {"price": None},
    {"price": float("nan")},
    {"price": "0"},
    {"order_type": "stop-loss-limit", "secondary_price": None},
    {"order_type": "market"},
    {"order_type": "iceberg"},
    {"side": "short"},
    {"flags": ["post", "moon"]},
    {"flags": ["POST_ONLY_TYPO"]},
    {"leverage": -2},
    {"user_reference": 2**31},
    {"user_reference": 1, "client_order_id": "x"},
    {"client_order_id": ""},
    {"start_time": datetime(2030, 1, 1)},  # naive
    {"expire_time": 1700000000},
    {"validate_only": "yes"},
    {"reduce_only": 1},
    {"time_in_force": "FOK"},
    {"close_order_type": "limit"},
    {"close_price": "1"},
])
def test_bad_input_is_a_configuration_error(overrides):
    with pytest.raises(ConfigurationError):
        fields(**overrides)


def test_order_ids_and_countdowns():
    assert order_ids("O1") == ["O1"]
    assert order_ids(["O1", 5, "O1"]) == ["O1", "5"]
    for bad in ([], [""], [None], [True], None):
        with pytest.raises(ConfigurationError):
            order_ids(bad)
    assert cancel_after_seconds(60) == 60 and cancel_after_seconds(timedelta(minutes=1)) == 60
    assert cancel_after_seconds(0) == 0 and cancel_after_seconds(30.0) == 30
    for bad in (-1, 1.5, float("nan"), "60", True, timedelta(seconds=0.5)):
        with pytest.raises(ConfigurationError):
            cancel_after_seconds(bad)
