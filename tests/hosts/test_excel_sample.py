"""samples/excel_xlwings.py: the UDFs are None-safe before data and live after, with or without xlwings."""

from __future__ import annotations

import builtins
import threading

import pytest

from exwire import Feature
from exwire.hosts import get_exchange
from tests.helpers import wait_until
from tests.hosts.support import each_exchange, load_sample, needs_adapter


@pytest.fixture
def excel(monkeypatch):
    monkeypatch.delenv("EXWIRE_EXCEL_LIVE", raising=False)  # the emulator, never production
    module = load_sample("excel_xlwings")
    yield module
    module.shutdown()


@needs_adapter("kraken")
def test_ticker_is_not_available_before_the_first_update_then_live(excel):
    assert excel.EXWIRE_TICKER("kraken", "BTC/USD", "last") == "#N/A"  # returns at once, subscribes behind
    wait_until(lambda: isinstance(excel.EXWIRE_TICKER("kraken", "BTC/USD", "last"), float), 10)
    bid = excel.EXWIRE_TICKER("kraken", "btc/usd", "bid")
    ask = excel.EXWIRE_TICKER("kraken", "BTC/USD", "ask")
    assert isinstance(bid, float) and isinstance(ask, float) and bid <= ask
    assert 0 <= excel.EXWIRE_TICKER("kraken", "BTC/USD", "age") < 60
    assert excel.EXWIRE_TICKER("kraken", "BTC/USD", "time").tzinfo is None  # Excel has no time zones
    assert isinstance(excel.EXWIRE_TICKER("kraken", "BTC/USD", "last_price"), float)  # a neutral field by name
    assert excel.EXWIRE_TICKER("kraken", "BTC/USD", "colour") == "#N/A no field 'colour'"
    assert excel.EXWIRE_TICKER("kraken", "BTC/USD", "native").startswith("#N/A no field")
    assert excel.EXWIRE_STATUS("kraken") == "ok"


@pytest.mark.parametrize("name", each_exchange())
def test_every_exchange_fills_the_same_cells(excel, name):
    """The same formulas and fields on every exchange: BASE/QUOTE symbols, neutral tickers."""
    exchange = get_exchange(name)
    symbol = exchange.example_symbol
    if Feature.TICKER_STREAM in exchange.features:
        wait_until(lambda: isinstance(excel.EXWIRE_TICKER(name, symbol, "last"), float), 15)
        for field in ("last", "bid", "ask", "volume", "high", "low", "open", "bid_quantity", "time"):
            assert excel.EXWIRE_TICKER(name, symbol, field) is not None  # a value, or "" where not sent
            assert not str(excel.EXWIRE_TICKER(name, symbol, field)).startswith("#N/A"), field
    else:
        wait_until(lambda: excel.EXWIRE_TICKER(name, symbol) != "#N/A", 15)
        assert "UnsupportedFeature" in excel.EXWIRE_TICKER(name, symbol)
    if Feature.ORDER_BOOK in exchange.features:
        wait_until(lambda: all(isinstance(cell, float) for cell in excel.EXWIRE_BOOK(name, symbol, 1)[0]), 15)
        bid_quantity, bid, ask, ask_quantity = excel.EXWIRE_BOOK(name, symbol, 1)[0]
        assert 0 < bid < ask and bid_quantity > 0 and ask_quantity > 0
    assert excel.EXWIRE_STATUS(name) in ("ok", "idle")


@needs_adapter("kraken")
def test_book_keeps_its_shape_before_and_after_the_first_snapshot(excel):
    before = excel.EXWIRE_BOOK("kraken", "BTC/USD", 5)
    assert before == [["#N/A", "", "", ""]] + [["", "", "", ""]] * 4

    def filled():
        rows = excel.EXWIRE_BOOK("kraken", "BTC/USD", 5)
        return all(isinstance(cell, float) for row in rows for cell in row)

    wait_until(filled, 10)
    rows = excel.EXWIRE_BOOK("kraken", "BTC/USD", 5)
    assert len(rows) == 5 and all(len(row) == 4 for row in rows)
    bids = [row[1] for row in rows]
    asks = [row[2] for row in rows]
    assert bids == sorted(bids, reverse=True) and asks == sorted(asks)
    assert bids[0] < asks[0]


@needs_adapter("kraken")
def test_one_shared_client_per_exchange_and_shutdown_stops_its_threads(excel):
    excel.EXWIRE_TICKER("kraken", "BTC/USD")
    excel.EXWIRE_TICKER("kraken", "ETH/USD")
    wait_until(lambda: isinstance(excel.EXWIRE_TICKER("kraken", "ETH/USD"), float), 10)
    assert list(excel._feeds) == ["kraken"]
    excel.shutdown()
    assert not [t for t in threading.enumerate() if t.name.startswith("exwire-excel-")]
    assert excel.EXWIRE_TICKER("kraken", "BTC/USD") == "#N/A"  # starts afresh on next use


@needs_adapter("kraken")
def test_bad_input_becomes_cell_text_not_an_exception(excel):
    assert excel.EXWIRE_TICKER("mtgox", "BTC/USD").startswith("#N/A unknown exchange")
    assert excel.EXWIRE_TICKER("kraken", "XBTUSD").startswith("#N/A symbol must be written BASE/QUOTE")
    assert excel.EXWIRE_BOOK("kraken", "BTC/USD", 0)[0][0].startswith("#N/A")
    assert excel.EXWIRE_STATUS("mtgox").startswith("#N/A")


@needs_adapter("kraken")
def test_a_refused_subscription_is_shown_in_the_cell(excel):
    assert excel.EXWIRE_TICKER("kraken", "ABC/XYZ") == "#N/A"  # the emulator refuses unknown pairs
    wait_until(lambda: excel.EXWIRE_TICKER("kraken", "ABC/XYZ") != "#N/A", 10)
    assert "InvalidRequest" in excel.EXWIRE_TICKER("kraken", "ABC/XYZ")


@needs_adapter("kraken")
def test_without_xlwings_the_decorators_are_no_ops(monkeypatch):
    monkeypatch.delenv("EXWIRE_EXCEL_LIVE", raising=False)
    real_import = builtins.__import__

    def no_xlwings(name, *args, **kwargs):
        if name == "xlwings" or name.startswith("xlwings."):
            raise ImportError("No module named 'xlwings'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_xlwings)
    module = load_sample("excel_xlwings")
    try:
        assert module.xw is None
        assert module.EXWIRE_TICKER.__name__ == "EXWIRE_TICKER"
        assert module.EXWIRE_TICKER("kraken", "BTC/USD") == "#N/A"
    finally:
        module.shutdown()


@needs_adapter("kraken")
def test_shutdown_is_prompt_even_while_subscriptions_are_opening(excel):
    import time

    from tests.conftest import timeout

    for symbol in ("BTC/USD", "ETH/USD", "BTC/EUR", "ETH/EUR"):
        excel.EXWIRE_TICKER("kraken", symbol)  # each subscribes behind the cell, in the background
    excel.EXWIRE_BOOK("kraken", "BTC/USD", 5)
    started = time.monotonic()
    excel.shutdown()
    assert time.monotonic() - started < timeout(2)  # was 16-40 s: close() waited for each connect
    assert not [t for t in threading.enumerate() if t.name.startswith("exwire-")
                and "emulator" not in t.name]
