"""The hand-written user-data decoders agree with the cattrs structuring they replace.

``exwire.binance.event_converter`` decodes pushed events by hand for speed; the cattrs
hooks of the same models stay registered in ``exwire.binance.converter``. Every event
below, and every variant of it with one field removed, ``null`` or of an unexpected
type, must decode to the same model (same field values, same digits: compared by
``repr``) or fail with ``DecodeError`` in both.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from exwire.binance import converter, event_converter, events
from exwire.binance.enums import ExecutionType
from exwire.errors import DecodeError
from tests.conftest import fixture_path

EXECUTION_REPORT = {
    "e": "executionReport", "E": 1499405658658, "s": "ETHBTC", "c": "mUvoqJxFIILMdfAW5iGSOW", "S": "BUY",
    "o": "LIMIT", "f": "GTC", "q": "1.00000000", "p": "0.10264410", "P": "0.00000000", "F": "0.00000000",
    "g": -1, "C": "", "x": "TRADE", "X": "PARTIALLY_FILLED", "r": "NONE", "i": 4293153, "l": "0.50000000",
    "z": "0.50000000", "L": "0.10264410", "n": "0.00050000", "N": "BNB", "T": 1499405658657, "t": 12,
    "I": 8641984, "w": True, "m": False, "M": False, "O": 1499405658657, "Z": "0.05132205",
    "Y": "0.05132205", "Q": "0.00000000", "W": 1499405658657, "V": "EXPIRE_MAKER", "v": 3, "d": 4, "D": 1668680518494,
    "j": 1, "J": 1000000, "uS": True, "k": "SOR", "eR": "NONE",
}
ACCOUNT_POSITION = {"e": "outboundAccountPosition", "E": 1564034571105, "u": 1564034571073,
                    "B": [{"a": "ETH", "f": "10000.000000", "l": "0.000000"},
                          {"a": "BTC", "f": "1.50000000", "l": "0.25000000"}]}
BALANCE_UPDATE = {"e": "balanceUpdate", "E": 1573200697110, "a": "BTC", "d": "-100.00000000", "T": 1573200697068}
LIST_STATUS = {"e": "listStatus", "E": 1564035303637, "s": "ETHBTC", "g": 2, "c": "OCO", "l": "EXEC_STARTED",
               "L": "EXECUTING", "r": "NONE", "C": "F4QN4G8DlFATFlIUQ0cjdD", "T": 1564035303625,
               "O": [{"s": "ETHBTC", "i": 17, "c": "AJYsMjErWJesZvqlJCTUgL"},
                     {"s": "ETHBTC", "i": 18, "c": "bfYPSQdLoqAJeNrOr9adzq"}]}
EXTERNAL_LOCK = {"e": "externalLockUpdate", "E": 1581557507324, "a": "NEO", "d": "10.00000000",
                 "T": 1581557507268}
TERMINATED = {"e": "eventStreamTerminated", "E": 1728973001334}

MODELS = {
    "executionReport": events.ExecutionReport,
    "outboundAccountPosition": events.AccountPosition,
    "balanceUpdate": events.BalanceUpdate,
    "listStatus": events.ListStatus,
    "externalLockUpdate": events.ExternalLockUpdate,
    "eventStreamTerminated": events.EventStreamTerminated,
}
BASES = [EXECUTION_REPORT, ACCOUNT_POSITION, BALANCE_UPDATE, LIST_STATUS, EXTERNAL_LOCK, TERMINATED]
# Values a field may carry that it should not: each decodes (or fails) as cattrs decides.
ODD_VALUES = [None, "WEIRD", "12.5", 7, 1.25, 0.1, True, [1], {"x": 1}, 2**70, -1]


def _assert_same(value: dict, *, hashable: bool = True) -> None:
    """``hashable=False``: an enum field got an unhashable value, which ``OpenEnum`` keeps
    in a fresh (uncached) pseudo-member each time: equal by ``repr`` only."""
    kind = MODELS[value["e"]]
    try:
        expected = converter.structure(value, kind)
    except DecodeError:
        with pytest.raises(DecodeError):
            event_converter.user_data_event(value)
        return
    decoded = event_converter.user_data_event(value)
    assert isinstance(decoded, kind) and type(decoded).__qualname__ == kind.__qualname__  # lazy: a private subclass
    assert repr(decoded) == repr(expected)
    assert decoded == expected or not hashable


def _variants(base: dict):
    """(variant, hashable): the event, then each field removed, then each field odd."""
    yield base, True
    for key in base:
        if key == "e":
            continue
        yield {k: v for k, v in base.items() if k != key}, True
        for odd in ODD_VALUES:
            yield {**base, key: odd}, not isinstance(odd, (list, dict))


@pytest.mark.parametrize("base", BASES, ids=[base["e"] for base in BASES])
def test_hand_written_decoders_match_cattrs(base):
    for variant, hashable in _variants(base):
        _assert_same(variant, hashable=hashable)


def test_reused_times_match_cattrs():
    # Times equal to the transaction time (or the creation time) reuse its datetime only
    # when the wire value is an integer: True == 1 and 1.0 == 1, but True is no epoch time.
    for t, o, w in [(1, True, 1), (1, 1, True), (5, 5.0, 5), (5, 5, 5.0), (5, 5, 5), (5, None, 5), (5, "5", "5")]:
        _assert_same({**EXECUTION_REPORT, "T": t, "O": o, "W": w})


def test_nested_items_match_cattrs():
    for odd in ODD_VALUES:
        for key in ("a", "f", "l"):
            _assert_same({**ACCOUNT_POSITION, "B": [{**ACCOUNT_POSITION["B"][0], key: odd}]})
        for key in ("s", "i", "c"):
            _assert_same({**LIST_STATUS, "O": [{**LIST_STATUS["O"][0], key: odd}]})
    _assert_same({**ACCOUNT_POSITION, "B": []})
    _assert_same({**ACCOUNT_POSITION, "B": "text"})
    _assert_same({**LIST_STATUS, "O": None})


def test_execution_report_fields_keep_their_digits():
    report = event_converter.user_data_event(EXECUTION_REPORT)
    assert str(report.quantity) == "1.00000000" and str(report.fee) == "0.00050000"
    assert report.execution_type is ExecutionType.TRADE and report.trade_id == 12
    # Equal epoch milliseconds share one datetime; a different one gets its own.
    assert report.created_at == report.transaction_time == report.working_time
    later = event_converter.user_data_event({**EXECUTION_REPORT, "W": 1499405658700})
    assert (later.working_time - later.created_at).total_seconds() == 0.043


def test_json_number_money_is_read_through_its_text():
    report = event_converter.user_data_event({**EXECUTION_REPORT, "p": 0.1, "q": 3})
    assert report.price == Decimal("0.1") and str(report.quantity) == "3"


def test_unknown_enum_values_and_event_types_are_kept():
    report = event_converter.user_data_event({**EXECUTION_REPORT, "x": "NEW_KIND", "S": "HOLD"})
    assert report.execution_type.value == "NEW_KIND" and not report.execution_type.is_known
    assert report.side.value == "HOLD"
    unknown = event_converter.user_data_event({"e": "somethingNew", "E": 5, "x": 1})
    assert isinstance(unknown, events.UnknownEvent) and unknown.data == {"e": "somethingNew", "E": 5, "x": 1}


def test_malformed_event_names_the_model():
    with pytest.raises(DecodeError, match="ExecutionReport"):
        event_converter.user_data_event({k: v for k, v in EXECUTION_REPORT.items() if k != "q"})


@pytest.mark.parametrize("name", ["Order.txt", "AccountPosition.txt", "Balance.txt", "OcoOrder.txt"])
def test_captured_events_match_cattrs(name):
    text = fixture_path("binance", "binance-net", "user-data", "Spot", name).read_text(encoding="utf-8-sig")
    event = json.loads(text.partition("\n= ")[2])["event"]
    for variant, hashable in _variants(event):
        _assert_same(variant, hashable=hashable)
