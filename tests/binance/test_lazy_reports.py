"""executionReports decoded on first read equal the eager decoding on every captured report."""

from __future__ import annotations

import json
from typing import Any

import pytest

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


@pytest.mark.parametrize("change", [
    {"q": 1.5}, {"p": "1e-3"}, {"E": "1499405658658"}, {"O": None}, {"i": "12"}, {"g": True},
    {"A": 2}, {"v": "7"}, {"T": -1}, {"V": 3}, {"gP": None, "gOV": "1"},
])
def test_a_report_outside_the_usual_shape_is_decoded_on_receipt(change):
    report = {**captured_reports()[0], **change}
    decoded = event_converter.user_data_event(report)
    assert type(decoded) is events.ExecutionReport
    assert decoded == event_converter.execution_report(report)


@pytest.mark.parametrize("change", [{"q": "one"}, {"E": 10**16}, {"i": "x"}])
def test_a_malformed_report_is_refused_on_receipt(change):
    with pytest.raises(DecodeError, match="ExecutionReport"):
        event_converter.user_data_event({**captured_reports()[0], **change})
    report = dict(captured_reports()[0])
    del report["q"]
    with pytest.raises(DecodeError):
        event_converter.user_data_event(report)
