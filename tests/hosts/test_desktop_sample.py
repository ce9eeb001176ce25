"""samples/desktop_ticker.py under a (virtual) X display: labels follow the market, on the Tk thread."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

import exwire
from exwire import Feature
from exwire.hosts import get_exchange
from tests.conftest import timeout
from tests.hosts.support import SAMPLES, each_exchange, load_sample, needs_adapter, python_env

pytest.importorskip("tkinter", reason="this Python has no Tk (python3-tk)")


@needs_adapter("kraken")
def test_the_ticker_and_book_labels_change_and_callbacks_run_on_the_tk_thread(display):
    desktop = load_sample("desktop_ticker")
    window = desktop.run(
        "kraken", "BTC/USD", seconds=timeout(20),
        until=lambda w: w.ticker_changes >= 3 and w.book_updates >= 3,
    )
    assert window.ticker_changes >= 3, "the ticker label did not change"
    assert window.ticker_text.get().startswith("last ")
    assert window.book_text.get().startswith("bid ") and " ask " in window.book_text.get()
    assert window.callback_threads == {threading.get_ident()}
    assert window.client.closed  # leaving the window closed the client (and the emulator)


@pytest.mark.parametrize("name", each_exchange())
def test_every_exchange_with_a_ticker_stream_shows_the_same_window(display, name):
    exchange = get_exchange(name)
    desktop = load_sample("desktop_ticker")
    if Feature.TICKER_STREAM not in exchange.features:
        with pytest.raises(exwire.ConfigurationError, match="no ticker stream"):
            desktop.run(name, seconds=timeout(5))
        return
    book = bool({Feature.TOP_OF_BOOK_STREAM, Feature.ORDER_BOOK} & exchange.features)
    window = desktop.run(name, seconds=timeout(20),
                         until=lambda w: w.ticker_updates >= 1 and (w.book_updates >= 1 or not book))
    assert window.symbol == exchange.example_symbol
    assert window.ticker_text.get().startswith("last ") and " bid " in window.ticker_text.get()
    if book:
        assert window.book_text.get().startswith("bid ") and " ask " in window.book_text.get()
    assert window.callback_threads == {threading.get_ident()}
    assert window.client.closed


@needs_adapter("kraken")
def test_the_script_closes_itself_after_seconds(display):
    process = subprocess.run(
        [sys.executable, str(SAMPLES / "desktop_ticker.py"), "--seconds", "2"],
        env=python_env(), capture_output=True, text=True, timeout=timeout(60),
    )
    assert process.returncode == 0, process.stderr
    shown = int(process.stdout.split()[0])
    assert shown > 0
