"""samples/django_project: record_trades stores trades through the ORM and leaves nothing behind,
the same columns with the same meaning for every exchange (through ``client.shared``)."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading

import pytest

from exwire import Feature
from exwire.hosts import get_exchange
from tests.conftest import timeout
from tests.hosts.support import SAMPLES, each_exchange, needs_adapter, python_env, read_line

django = pytest.importorskip("django", reason="Django is a test dependency of the samples")

PROJECT = SAMPLES / "django_project"


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    """Django set up on a temporary SQLite file, migrated; yields the file's path."""
    path = tmp_path_factory.mktemp("django") / "trades.sqlite3"
    os.environ["EXWIRE_SAMPLE_DB"] = str(path)
    os.environ["DJANGO_SETTINGS_MODULE"] = "exwire_site.settings"
    sys.path.insert(0, str(PROJECT))
    try:
        django.setup()
        from django.conf import settings
        from django.core.management import call_command

        assert settings.DATABASES["default"]["NAME"] == str(path)
        call_command("migrate", verbosity=0)
        yield path
    finally:
        from django.db import connections

        connections.close_all()
        sys.path.remove(str(PROJECT))
        os.environ.pop("EXWIRE_SAMPLE_DB", None)
        os.environ.pop("DJANGO_SETTINGS_MODULE", None)


@pytest.fixture
def trades(database):
    from trade_recorder.models import Trade

    Trade.objects.all().delete()
    yield Trade.objects
    Trade.objects.all().delete()


@pytest.fixture
def connection_threads():
    """Names of the threads on which Django opened a database connection during the test."""
    from django.db.backends.signals import connection_created

    names: list[str] = []

    def record(sender, connection, **kwargs):
        names.append(threading.current_thread().name)

    connection_created.connect(record)
    yield names
    connection_created.disconnect(record)


@needs_adapter("kraken")
def test_record_trades_stores_rows_from_the_emulator_on_the_main_thread(trades, connection_threads):
    from django.core.management import call_command
    from django.db import connection

    connection.close()  # so that the command's first write opens one, on its thread

    out = io.StringIO()
    call_command("record_trades", exchange="kraken", symbol="BTC/USD", seconds=timeout(30), count=12, stdout=out)
    assert "stored 12 trades" in out.getvalue()
    rows = list(trades.order_by("id"))
    assert len(rows) == 12
    first = rows[0]
    assert first.exchange == "kraken" and first.symbol == "BTC/USD"
    assert first.price > 0 and first.quantity > 0
    assert first.side in ("buy", "sell")
    assert first.traded_at is not None and first.received_at >= first.traded_at
    assert connection_threads and set(connection_threads) == {threading.main_thread().name}
    # the thread-leak fixture checks that no exwire thread is left running


@needs_adapter("kraken")
def test_record_trades_ends_at_the_deadline(trades):
    from django.core.management import call_command

    out = io.StringIO()
    call_command("record_trades", "--symbol", "btc/usd", "--seconds", "0.5", stdout=out)
    stored = int(out.getvalue().split("stored ")[1].split()[0])
    assert trades.count() == stored
    assert trades.filter(symbol="BTC/USD").count() == stored


@pytest.mark.parametrize("name", each_exchange())
def test_every_exchange_stores_the_same_columns_with_the_same_meaning(trades, name):
    """side "buy"/"sell" and an aware trade time, BASE/QUOTE symbols, on every exchange
    (OKEx rows used to store side "bid"/"ask" and no time)."""
    from django.core.management import CommandError, call_command

    exchange = get_exchange(name)
    if Feature.TRADE_STREAM not in exchange.features:
        with pytest.raises(CommandError, match=f"{name} has no trade stream"):
            call_command("record_trades", exchange=name, seconds=1)
        return
    out = io.StringIO()
    call_command("record_trades", exchange=name, seconds=timeout(30), count=8, stdout=out)
    assert "stored 8 trades" in out.getvalue()
    rows = list(trades.order_by("id"))
    assert len(rows) == 8
    for row in rows:
        assert row.exchange == name and row.symbol == exchange.example_symbol
        assert row.side in ("buy", "sell"), row.side
        assert row.price > 0 and row.quantity > 0
        assert row.traded_at is not None and row.traded_at.utcoffset() is not None
        assert abs((row.received_at - row.traded_at).total_seconds()) < 3600


@needs_adapter("kraken")
def test_ctrl_c_stops_the_command_cleanly(trades, monkeypatch):
    from django.core.management import call_command
    from trade_recorder.management.commands import record_trades

    if threading.current_thread() is not threading.main_thread():
        pytest.skip("Ctrl-C is delivered to the main thread only")
    stored_once = threading.Event()
    original = record_trades.Command._store

    def store(received, batch, limit):
        written = original(received, batch, limit)
        if written:
            stored_once.set()
        return written

    monkeypatch.setattr(record_trades.Command, "_store", staticmethod(store))

    def press_ctrl_c():
        if stored_once.wait(timeout(20)):
            signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)

    presser = threading.Thread(target=press_ctrl_c)
    presser.start()
    out = io.StringIO()
    try:
        call_command("record_trades", seconds=timeout(60), stdout=out)
    finally:
        presser.join()
    assert "interrupted" in out.getvalue()
    assert trades.count() > 0


@needs_adapter("kraken")
def test_unknown_exchange_and_a_symbol_not_base_quote_are_command_errors(database):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="unknown exchange"):
        call_command("record_trades", exchange="mtgox", seconds=1)
    with pytest.raises(CommandError, match="BASE/QUOTE"):
        call_command("record_trades", exchange="kraken", symbol="XBTUSD", seconds=1)


@needs_adapter("kraken")
def test_manage_py_runs_as_a_script(database, trades):
    env = python_env()
    env["EXWIRE_SAMPLE_DB"] = str(database)
    process = subprocess.run(
        [sys.executable, "manage.py", "record_trades", "--exchange", "kraken", "--symbol", "BTC/USD",
         "--count", "3", "--seconds", str(timeout(30))],
        cwd=PROJECT, env=env, capture_output=True, text=True, timeout=timeout(60),
    )
    assert process.returncode == 0, process.stderr
    assert "stored 3 trades" in process.stdout
    assert trades.count() == 3


@needs_adapter("kraken")
def test_manage_py_stops_on_sigint(database, trades):
    env = python_env()
    env["EXWIRE_SAMPLE_DB"] = str(database)
    # A shell may start background jobs with SIGINT ignored; give the child Python's default handler.
    launcher = ("import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
                "sys.argv = ['manage.py', 'record_trades']; runpy.run_path('manage.py', run_name='__main__')")
    process = subprocess.Popen([sys.executable, "-c", launcher], cwd=PROJECT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert read_line(process, 30).startswith("recording kraken BTC/USD")
        from tests.helpers import wait_until

        wait_until(lambda: trades.count() > 0, 30)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=timeout(30))
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, err
    assert "interrupted" in out and "stored" in out


@needs_adapter("kraken")
def test_ctrl_c_inside_a_callback_also_stops_the_command(trades, monkeypatch):
    from django.core.management import call_command
    from trade_recorder.management.commands import record_trades

    def interrupted(exchange, trade, received_at):
        raise KeyboardInterrupt  # as if Ctrl-C arrived while the callback ran on the main thread

    monkeypatch.setattr(record_trades.Command, "_row", staticmethod(interrupted))
    out = io.StringIO()
    call_command("record_trades", seconds=timeout(60), stdout=out)
    assert "interrupted" in out.getvalue()
    assert "stored 0 trades" in out.getvalue()
