"""Fidelity defects of the Kraken client found in issue 14, each pinned by a test that
failed on the code before the fix: trailing offsets, openOrders fields, sequence gaps,
``consolidate_taker``."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest

import exwire
from exwire.errors import ConfigurationError, InvalidRequest
from exwire.kraken import converter
from exwire.kraken.orders import order_fields
from exwire.models import UpdateType
from exwire.testing import KrakenEmulator
from tests.conftest import timeout


def trailing(**overrides):
    arguments = {"symbol": "XBT/USD", "order_type": "trailing-stop-limit", "side": "sell", "quantity": "0.01",
                 "price": "+50", "secondary_price": "5"}
    arguments.update(overrides)
    return order_fields(**arguments)


# -- trailing-stop-limit: both offsets go out relative ------------------------------------


@pytest.mark.parametrize(
    ("given", "wire"),
    [("5", "+5"), (Decimal("5"), "+5"), (5, "+5"), (2.5, "+2.5"), ("+5", "+5"), ("-5", "-5"),
     (Decimal("-5"), "-5"), ("+1.5%", "+1.5%"), ("-1%", "-1%")],
)
def test_trailing_stop_limit_sends_price2_as_a_signed_offset(given, wire):
    assert trailing(secondary_price=given)["price2"] == wire


def test_the_trailing_offset_itself_stays_positive():
    assert trailing(price=Decimal("50"))["price"] == "+50"
    with pytest.raises(ConfigurationError):
        trailing(secondary_price="#5")  # '#' picks a side; a trailing limit offset needs a sign


def test_a_trailing_close_order_sends_close_price2_relative():
    built = order_fields(symbol="XBT/USD", order_type="limit", side="buy", quantity="0.01", price="30000",
                         close_order_type="trailing-stop-limit", close_price=Decimal("40"),
                         close_secondary_price=Decimal("3"))
    assert built["close[price]"] == "+40" and built["close[price2]"] == "+3"


def test_non_trailing_types_keep_absolute_secondary_prices():
    built = order_fields(symbol="XBT/USD", order_type="stop-loss-limit", side="sell", quantity="0.01",
                         price="30000", secondary_price=Decimal("29900"))
    assert built["price2"] == "29900"


@pytest.fixture
def emulator():
    with KrakenEmulator(seed=3, push_interval=None, heartbeat_interval=0.2) as emu:
        yield emu


def make_client(emulator, **options):
    options.setdefault("credentials", emulator.credentials)
    return exwire.KrakenClient(**emulator.client_kwargs(), **options)


def test_a_trailing_stop_limit_with_a_decimal_offset_is_accepted_end_to_end(emulator):
    with make_client(emulator) as client:
        placed = client.place_order("XBT/USD", "trailing-stop-limit", "sell", "0.01",
                                    price=Decimal("50"), secondary_price=Decimal("5"), timeout=timeout(5))
        assert placed.order_id


def test_the_emulator_refuses_an_absolute_price2_on_trailing_types(emulator):
    # Sent past the client's checks, as an older client did.
    with make_client(emulator) as client:
        with pytest.raises(InvalidRequest, match="relative"):
            client._trade("addOrder", {"ordertype": "trailing-stop-limit", "type": "sell", "pair": "XBT/USD",
                                       "volume": "0.01", "price": "+50", "price2": "5"},
                          None, _deadline())
        with pytest.raises(InvalidRequest, match="relative"):
            client._trade("addOrder", {"ordertype": "limit", "type": "buy", "pair": "XBT/USD", "volume": "0.01",
                                       "price": "100", "close[ordertype]": "trailing-stop-limit",
                                       "close[price]": "+50", "close[price2]": "5"},
                          None, _deadline())


def _deadline():
    from exwire._core.backoff import Deadline

    return Deadline(timeout(5))


# -- openOrders: every documented field, and the sequence ---------------------------------


ICEBERG = {
    "OABCDE-FGHIJ-KLMNOP": {
        "status": "open", "ext_ord_id": "8c8c8a1e-0000-4000-8000-000000000001",
        "display_volume": "0.5", "display_volume_remain": "0.25",
        "contingent": {"ordertype": "stop-loss-limit", "price": "29000", "price2": "28900", "oflags": "fciq"},
        "descr": {"pair": "XBT/USD", "type": "buy", "ordertype": "iceberg", "price": "30000", "price2": "0",
                  "position": "TPOSIT-IONID-000001", "leverage": "none", "order": "buy 2 XBT/USD @ 30000",
                  "close": ""},
        "vol": "2", "vol_exec": "0", "opentm": "1700000000.5", "lastupdated": "1700000001.25",
    }
}


def test_open_orders_keep_every_documented_field():
    (order,) = converter.order_updates_from_wire([ICEBERG], 42)
    assert order.external_order_id == "8c8c8a1e-0000-4000-8000-000000000001"
    assert order.display_quantity == Decimal("0.5") and order.display_quantity_remaining == Decimal("0.25")
    assert order.contingent is not None and order.contingent.price == Decimal("29000")
    assert order.contingent.secondary_price == Decimal("28900")
    assert order.contingent.order_type is not None and order.contingent.order_type.value == "stop-loss-limit"
    assert order.description is not None and order.description.position == "TPOSIT-IONID-000001"
    assert order.sequence == 42
    assert order.symbol == "XBT/USD" and order.quantity == Decimal("2") and order.price == Decimal("30000")


def test_own_trades_keep_the_sequence():
    trade = {"TID-1": {"ordertxid": "O-1", "pair": "XBT/USD", "time": "1700000000.1", "type": "buy",
                       "ordertype": "limit", "price": "30000", "cost": "300", "fee": "0.78", "vol": "0.01"}}
    (fill,) = converter.own_trades_from_wire([trade], 7)
    assert fill.sequence == 7 and fill.quantity == Decimal("0.01") and fill.symbol == "XBT/USD"


def test_a_skipped_sequence_is_reported_and_the_feed_resubscribed(emulator):
    errors: list[BaseException] = []
    reported = threading.Event()

    def on_error(exc, event):
        errors.append(exc)
        reported.set()

    with make_client(emulator, on_callback_error=on_error) as client:
        sub = client.subscribe_to_order_updates(timeout=timeout(5))
        assert sub.get(timeout(5)).update_type is UpdateType.SNAPSHOT
        bid, _ = emulator.best_prices("XBT/USD")
        client.place_order("XBT/USD", "limit", "buy", "0.01", price=bid - 100, timeout=timeout(5))
        sub.get(timeout(5))  # pending/open of the new order, in sequence
        emulator.skip_next_sequence("openOrders")
        client.place_order("XBT/USD", "limit", "buy", "0.01", price=bid - 101, timeout=timeout(5))
        assert reported.wait(timeout(5))
        from exwire.kraken.protocol import SequenceGap

        gap = errors[0]
        assert isinstance(gap, SequenceGap) and isinstance(gap, exwire.ProtocolError)
        assert gap.channel == "openOrders" and gap.received == gap.expected + 1
        # The feed starts again with a snapshot listing both open orders.
        while True:
            event = sub.get(timeout(5))
            if event.update_type is UpdateType.SNAPSHOT:
                break
        assert len({order.order_id for order in event.data}) == 2
        sub.unsubscribe()


def test_own_trades_take_consolidate_taker(emulator):
    with make_client(emulator) as client:
        with client.subscribe_to_user_trade_updates(consolidate_taker=False, timeout=timeout(5)):
            (subscription,) = emulator.private_subscriptions()
            assert subscription["consolidate_taker"] is False
        with pytest.raises(ConfigurationError):
            client.subscribe_to_user_trade_updates(consolidate_taker="no")
