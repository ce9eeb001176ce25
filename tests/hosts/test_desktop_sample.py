"""samples/desktop_ticker.py under a (virtual) X display: labels follow the market, on the Tk thread."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

from tests.conftest import timeout
from tests.hosts.support import SAMPLES, load_sample, python_env

pytest.importorskip("tkinter", reason="this Python has no Tk (python3-tk)")


def test_the_ticker_and_book_labels_change_and_callbacks_run_on_the_tk_thread(display):
    desktop = load_sample("desktop_ticker")
    window = desktop.run(
        "kraken", "XBT/USD", seconds=timeout(20),
        until=lambda w: w.ticker_changes >= 3 and w.book_updates >= 3,
    )
    assert window.ticker_changes >= 3, "the ticker label did not change"
    assert window.ticker_text.get().startswith("last ")
    assert window.book_text.get().startswith("bid ") and " ask " in window.book_text.get()
    assert window.callback_threads == {threading.get_ident()}
    assert window.client.closed  # leaving the window closed the client (and the emulator)


def test_the_script_closes_itself_after_seconds(display):
    process = subprocess.run(
        [sys.executable, str(SAMPLES / "desktop_ticker.py"), "--seconds", "2"],
        env=python_env(), capture_output=True, text=True, timeout=timeout(60),
    )
    assert process.returncode == 0, process.stderr
    shown = int(process.stdout.split()[0])
    assert shown > 0
