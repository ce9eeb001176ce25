"""executionReports decoded on first read equal the eager decoding on every captured report."""

from __future__ import annotations

import json
from typing import Any

import pytest

from exwire._core.lazy import LAST_EPOCH_MS
from exwire.binance import event_converter, events
from exwire.errors import DecodeError
from tests.binance.test_event_converter import EXECUTION_REPORT
from tests.conftest import fixture_path
from tests.helpers import assert_lazy_same


def captured_reports() -> list[dict[str, Any]]:
    order = fixture_path("binance", "binance-net", "user-data", "Spot", "Order.txt").read_text(encoding="utf-8-sig")
    nautilus = fixture_path("binance", "nautilus", "execution_report_wrapped.json").read_text(encoding="utf-8")
    return [json.loads(order.partition("\n= ")[2])["event"], json.loads(nautilus)["event"], dict(EXECUTION_REPORT)]


def assert_same(lazy: Any, eager: Any) -> None:
    assert_lazy_same(lazy, eager, events.ExecutionReport)


def test_every_captured_report_reads_as_its_eager_decoding():
    for report in captured_reports():
        assert report["e"] == "executionReport"
        assert_same(event_converter.user_data_event(report), event_converter.execution_report(report))


def test_a_report_with_prevented_quantities_stays_lazy_and_equal():
    report = {**captured_reports()[0], "A": "0.5", "B": "0.25", "pl": "1", "v": 7, "u": 3}
    assert_same(event_converter.user_data_event(report), event_converter.execution_report(report))
    report = {**captured_reports()[0], "A": None, "gp": "2.5", "V": None, "gP": "PRIMARY_PEG"}
    assert_same(event_converter.user_data_event(report), event_converter.execution_report(report))


def test_times_at_the_last_epoch_millisecond_stay_lazy_and_equal():
    report = {**captured_reports()[0], "E": LAST_EPOCH_MS, "T": LAST_EPOCH_MS, "O": LAST_EPOCH_MS, "W": LAST_EPOCH_MS}
    assert_same(event_converter.user_data_event(report), event_converter.execution_report(report))


_ABSENT = object()  # a change that deletes the key


@pytest.mark.parametrize("change", [
    {"q": 1.5}, {"p": "1e-3"}, {"E": "1499405658658"}, {"O": None}, {"i": "12"}, {"g": True},
    {"A": 2}, {"v": "7"}, {"T": -1}, {"V": 3}, {"gP": None, "gOV": "1"},
    # each branch of the check: a text that is not a str, a null or absent usual key, a
    # time whose bitwise or with the others passes the bound though each is in range
    {"s": 5}, {"c": None}, {"S": 3}, {"n": None}, {"Q": None}, {"W": None}, {"W": 1.5e12},
    {"W": _ABSENT}, {"g": _ABSENT}, {"t": _ABSENT}, {"E": LAST_EPOCH_MS}, {"I": 2.0}, {"gOT": 1},
])
def test_a_report_outside_the_usual_shape_is_decoded_on_receipt(change):
    report = changed(change)
    decoded = event_converter.user_data_event(report)
    assert type(decoded) is events.ExecutionReport
    assert decoded == event_converter.execution_report(report)


def changed(change: dict[str, Any]) -> dict[str, Any]:
    report = {**captured_reports()[0], **change}
    return {key: value for key, value in report.items() if value is not _ABSENT}


@pytest.mark.parametrize("change", [
    {"q": "one"}, {"E": 10**16}, {"i": "x"}, {"q": _ABSENT}, {"c": _ABSENT}, {"S": _ABSENT}, {"E": _ABSENT},
    {"S": None}, {"t": None}, {"g": None}, {"W": 10**16}, {"O": True}, {"q": "1 2"}, {"A": "1e"},
    {"I": "x"}, {"gOV": "x"},
])
def test_a_malformed_report_is_refused_on_receipt(change):
    with pytest.raises(DecodeError, match="ExecutionReport"):
        event_converter.user_data_event(changed(change))
