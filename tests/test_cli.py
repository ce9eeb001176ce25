"""The ``exwire`` command end to end (``python -m exwire`` subprocesses), and its helpers."""

from __future__ import annotations

import enum
import json
import signal
import subprocess
import sys
from datetime import datetime, timezone
from decimal import Decimal

import attrs
import pytest

import exwire
from exwire.cli import _call_arguments, main, to_jsonable
from exwire.errors import ConfigurationError
from exwire.testing import KrakenEmulator
from tests.conftest import REPO_ROOT, timeout
from tests.hosts.support import python_env, read_line


def exwire_command(*args: str, seconds: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "exwire", *args], cwd=REPO_ROOT, env=python_env(),
        capture_output=True, text=True, timeout=timeout(seconds),
    )


# -- stream -------------------------------------------------------------------------------


def test_stream_prints_one_json_object_per_update():
    result = exwire_command("stream", "kraken", "ticker", "XBT/USD", "--json", "--count", "3")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    update = json.loads(lines[0])
    assert update["topic"] == "ticker:XBT/USD" and update["symbol"] == "XBT/USD"
    assert update["update_type"] in ("snapshot", "update")
    assert datetime.fromisoformat(update["received_at"]).tzinfo is not None
    assert Decimal(update["data"]["last_trade_price"]) > 0
    assert "E" not in update["data"]["volume_24h"]  # plain decimal strings


def test_stream_ends_at_the_deadline_and_prints_text():
    result = exwire_command("stream", "kraken", "trades", "XBT/USD", "--seconds", "1")
    assert result.returncode == 0, result.stderr
    assert "XBT/USD" in result.stdout and "price=" in result.stdout


def test_stream_connects_to_a_given_url():
    with KrakenEmulator(seed=3) as emulator:
        result = exwire_command("stream", "kraken", "spread", "XBT/USD", "--url", emulator.url, "--count", "1")
        assert emulator.connections_accepted == 1
    assert result.returncode == 0, result.stderr
    assert "bid=" in result.stdout


def test_stream_refuses_an_unknown_channel_with_usage_status():
    result = exwire_command("stream", "kraken", "weather", "XBT/USD", "--count", "1")
    assert result.returncode == 2
    assert "no channel 'weather'" in result.stderr and "ticker" in result.stderr


# -- call -----------------------------------------------------------------------------------


def test_call_runs_one_request_and_prints_the_result():
    result = exwire_command("call", "kraken", "ping", "--json")
    assert result.returncode == 0, result.stderr
    assert 0 < json.loads(result.stdout) < timeout(10)


def test_call_refuses_what_the_table_does_not_list():
    result = exwire_command("call", "kraken", "close")
    assert result.returncode == 2
    assert "no request 'close'" in result.stderr and "ping" in result.stderr
    result = exwire_command("call", "mtgox", "ping")
    assert result.returncode == 2 and "unknown exchange" in result.stderr


# -- emulate -------------------------------------------------------------------------------


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "sigint"])
def test_emulate_serves_clients_until_signalled(stop):
    # A shell may start background jobs with SIGINT ignored; the child gets Python's default.
    launcher = ("import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
                "from exwire.cli import main; sys.exit(main(['emulate', 'kraken', '--port', '0']))")
    process = subprocess.Popen([sys.executable, "-c", launcher], cwd=REPO_ROOT, env=python_env(),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = read_line(process, 30).strip()
        assert url.startswith("ws://127.0.0.1:")
        with exwire.KrakenClient(url=url) as client:
            with client.subscribe_to_ticker_updates("XBT/USD") as ticker:
                assert ticker.get(timeout(10)).symbol == "XBT/USD"
        process.send_signal(stop)
        out, err = process.communicate(timeout=timeout(30))
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, err
    assert "emulator stopped" in err


def test_python_dash_m_exwire_emulate_prints_its_url_first():
    process = subprocess.Popen([sys.executable, "-m", "exwire", "emulate", "kraken"], cwd=REPO_ROOT,
                               env=python_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert read_line(process, 30).startswith("ws://")
        process.terminate()
        process.communicate(timeout=timeout(30))
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0


# -- help and helpers (in process) ------------------------------------------------------------


@pytest.mark.parametrize("command", [[], ["stream"], ["call"], ["emulate"]])
def test_every_subcommand_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([*command, "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    assert "usage: exwire" in text
    assert "kraken" in text  # the epilog lists the exchanges, channels and requests


class Colour(enum.Enum):
    RED = "red"


@attrs.frozen
class Inner:
    price: Decimal
    at: datetime


@attrs.frozen
class Outer:
    levels: list
    colour: Colour
    extra: dict


def test_to_jsonable_turns_models_into_plain_json():
    when = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=timezone.utc)
    value = Outer(levels=[Inner(Decimal("0E-8"), when), Inner(Decimal("27000.10"), when)],
                  colour=Colour.RED, extra={1: (Decimal("1.5"), None, True)})
    plain = to_jsonable(value)
    assert plain == {
        "levels": [{"price": "0.00000000", "at": "2024-05-06T07:08:09.123456+00:00"},
                   {"price": "27000.10", "at": "2024-05-06T07:08:09.123456+00:00"}],
        "colour": "red",
        "extra": {"1": ["1.5", None, True]},
    }
    assert json.loads(json.dumps(plain)) == plain


def test_call_arguments_follow_the_method_signature():
    def get_order_book(self, symbol: str, limit: int = 20, merge: float | None = None, *,
                       timeout: float | None = None):
        pass

    positional, keywords = _call_arguments(get_order_book, ["self", "BTCUSDT", "5", "merge=0.1"])
    assert positional == ["self", "BTCUSDT", 5] and keywords == {"merge": 0.1}
    with pytest.raises(ConfigurationError, match="get_order_book"):
        _call_arguments(get_order_book, ["self", "A", "1", "2", "3"])
