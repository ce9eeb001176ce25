"""The ``exwire`` command end to end (``python -m exwire`` subprocesses), and its helpers."""

from __future__ import annotations

import enum
import json
import re
import signal
import subprocess
import sys
import threading
from datetime import datetime, timezone
from decimal import Decimal

import attrs
import pytest

import exwire
from exwire import Feature, cli
from exwire.cli import _call_arguments, main, to_jsonable
from exwire.errors import ConfigurationError
from exwire.hosts import CHANNELS, exchanges, get_exchange
from exwire.testing import KrakenEmulator
from tests.conftest import REPO_ROOT, timeout
from tests.hosts.support import each_exchange, needs_adapter, python_env, read_line


def exwire_command(*args: str, seconds: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "exwire", *args], cwd=REPO_ROOT, env=python_env(),
        capture_output=True, text=True, timeout=timeout(seconds),
    )


# -- stream -------------------------------------------------------------------------------

_LINE = re.compile(r"^\d\d:\d\d:\d\d\.\d{3} (?P<symbol>[A-Z0-9]+/[A-Z0-9]+) (?P<fields>\S.*)$")


@needs_adapter("kraken")
def test_stream_prints_one_json_object_per_update_with_the_neutral_fields():
    result = exwire_command("stream", "kraken", "ticker", "BTC/USD", "--json", "--count", "3")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    update = json.loads(lines[0])
    assert update["symbol"] == "BTC/USD"
    assert update["update_type"] in ("snapshot", "update")
    assert datetime.fromisoformat(update["received_at"]).tzinfo is not None
    data = update["data"]
    assert set(data) == {field.name for field in attrs.fields(exwire.Ticker)} - {"native"}
    assert data["symbol"] == "BTC/USD"
    assert Decimal(data["last_price"]) > 0
    assert "E" not in data["last_price"]  # plain decimal strings


@needs_adapter("kraken")
def test_stream_prints_each_trade_on_its_own_line_and_ends_at_the_deadline():
    result = exwire_command("stream", "kraken", "trades", "BTC/USD", "--seconds", "1.5")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines and result.stdout.endswith("\n")
    for line in lines:  # none runs into the next
        match = _LINE.match(line)
        assert match is not None, line
        assert match["symbol"] == "BTC/USD"
        assert re.fullmatch(r"price=[0-9.]+ quantity=[0-9.]+ side=(buy|sell|-) time=\S+ trade_id=\S+",
                            match["fields"]), line


@needs_adapter("kraken")
def test_count_counts_lines_not_frames():
    result = exwire_command("stream", "kraken", "trades", "--count", "5", "--json")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 5
    assert all(line["symbol"] == "BTC/USD" and line["data"]["side"] in ("buy", "sell") for line in lines)
    assert all(datetime.fromisoformat(line["data"]["time"]).tzinfo is not None for line in lines)


@needs_adapter("kraken")
def test_stream_watches_a_book():
    result = exwire_command("stream", "kraken", "book", "BTC/USD", "--count", "2", "--depth", "5")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    for line in lines:
        assert re.fullmatch(r"bid=[0-9.]+@[0-9.]+ ask=[0-9.]+@[0-9.]+ levels=\d+/\d+", _LINE.match(line)["fields"])
    assert lines[0] != lines[1]  # printed when the book changed


@needs_adapter("kraken")
def test_stream_connects_to_a_given_url():
    with KrakenEmulator(seed=3) as emulator:
        result = exwire_command("stream", "kraken", "ticker", "BTC/USD", "--url", emulator.url, "--count", "1")
        assert emulator.connections_accepted >= 1
    assert result.returncode == 0, result.stderr
    assert "bid_price=" in result.stdout and "last_price=" in result.stdout


@needs_adapter("kraken")
def test_stream_refuses_an_unknown_channel_and_a_symbol_not_base_quote_with_usage_status():
    result = exwire_command("stream", "kraken", "weather", "BTC/USD", "--count", "1")
    assert result.returncode == 2
    assert "no channel 'weather'" in result.stderr and "ticker" in result.stderr
    result = exwire_command("stream", "kraken", "ticker", "XBTUSD", "--count", "1")
    assert result.returncode == 2
    assert "BASE/QUOTE" in result.stderr


@pytest.mark.parametrize("name", each_exchange())
def test_every_exchange_streams_its_first_channel_with_base_quote_symbols(name):
    exchange = get_exchange(name)
    market = [c for c in exchange.channels if c in ("ticker", "trades", "klines", "top_of_book", "book")]
    if market:
        result = exwire_command("stream", name, market[0], "--count", "2")
        assert result.returncode == 0, result.stderr
        lines = result.stdout.splitlines()
        assert len(lines) == 2
        for line in lines:
            match = _LINE.match(line)
            assert match is not None and match["symbol"] == exchange.example_symbol, line
    else:  # an account stream: nothing happens on the demo account, so nothing is printed
        result = exwire_command("stream", name, exchange.channels[0], "--seconds", "1")
        assert result.returncode == 0, result.stderr
        assert result.stdout == ""
    missing = [c for c in CHANNELS if c not in exchange.channels]
    if missing:
        result = exwire_command("stream", name, missing[0], "--count", "1")
        assert result.returncode == 2 and f"no channel '{missing[0]}'" in result.stderr


def test_print_writes_whole_lines_under_a_lock(monkeypatch):
    writes: list[str] = []

    class Recorder:
        def write(self, text: str) -> int:
            writes.append(text)
            return len(text)

        def flush(self) -> None:
            pass

    monkeypatch.setattr(sys, "stdout", Recorder())
    start = threading.Barrier(8)

    def printer(n: int) -> None:
        start.wait()
        for i in range(200):
            cli._print(f"thread {n} line {i}")

    threads = [threading.Thread(target=printer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(writes) == 1600
    assert all(re.fullmatch(r"thread \d line \d+\n", text) for text in writes)


def test_lines_show_the_neutral_fields_only():
    when = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    trade = exwire.Trade(symbol="BTC/USD", trade_id="7", price=Decimal("5.10"), quantity=Decimal("0.5"),
                         side=exwire.Side.SELL, time=when, native=object())
    assert cli._line(trade) == "price=5.10 quantity=0.5 side=sell time=2024-01-02T03:04:05+00:00 trade_id=7"
    ticker = exwire.Ticker(symbol="BTC/USD", last_price=Decimal("1"), bid_price=None, ask_price=Decimal("2"))
    assert cli._line(ticker) == "last_price=1 bid_price=- ask_price=2 volume=-"
    top = exwire.TopOfBook(bid=exwire.Level(Decimal("1"), Decimal("3")), ask=None)
    assert cli._line(top) == "bid=3@1 ask=-"
    assert "native" not in cli._neutral_json([trade])[0]


# -- call -----------------------------------------------------------------------------------


@needs_adapter("kraken")
def test_call_runs_one_request_and_prints_the_result():
    result = exwire_command("call", "kraken", "ping", "--json")
    assert result.returncode == 0, result.stderr
    assert 0 < json.loads(result.stdout) < timeout(10)


@needs_adapter("kraken")
def test_call_refuses_what_is_not_a_request_of_the_client():
    result = exwire_command("call", "kraken", "close")
    assert result.returncode == 2
    assert "no request 'close'" in result.stderr and "ping" in result.stderr
    result = exwire_command("call", "mtgox", "ping")
    assert result.returncode == 2 and "unknown exchange" in result.stderr


@pytest.mark.parametrize("name", each_exchange())
def test_call_runs_the_requests_of_client_shared_with_neutral_results(name):
    exchange = get_exchange(name)
    if Feature.BALANCES not in exchange.features:
        assert "shared.get_balances" not in exchange.requests
        result = exwire_command("call", name, "shared.get_balances")
        assert result.returncode == 2 and "no request 'shared.get_balances'" in result.stderr
        return
    assert "shared.get_balances" in exchange.requests
    result = exwire_command("call", name, "shared.get_balances", "--json")
    assert result.returncode == 0, result.stderr
    balances = json.loads(result.stdout)
    assert balances and all(set(balance) == {"asset", "free", "locked", "total"} for balance in balances.values())
    assert all(asset == balance["asset"] for asset, balance in balances.items())
    result = exwire_command("call", name, "shared.get_balances")
    assert result.returncode == 0, result.stderr
    assert all(re.fullmatch(r"asset=[A-Z0-9]+ free=[0-9.]+ locked=\S+ total=\S+", line)
               for line in result.stdout.splitlines())


# -- emulate -------------------------------------------------------------------------------


@needs_adapter("kraken")
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
            with client.shared.subscribe_to_ticker_updates("BTC/USD") as ticker:
                assert ticker.get(timeout(10)).symbol == "BTC/USD"
        process.send_signal(stop)
        out, err = process.communicate(timeout=timeout(30))
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, err
    assert "emulator stopped" in err


@needs_adapter("kraken")
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


@pytest.mark.parametrize("name", each_exchange("okex"))
def test_the_url_emulate_prints_is_the_one_stream_takes(name):
    """OKEx's endpoint is a path of the emulator (``/ws/v1``): ``emulate`` prints it whole."""
    process = subprocess.Popen([sys.executable, "-m", "exwire", "emulate", name], cwd=REPO_ROOT,
                               env=python_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = read_line(process, 30).strip()
        assert url.endswith("/ws/v1")
        result = exwire_command("stream", name, "ticker", "BTC/USDT", "--url", url, "--count", "1")
        assert result.returncode == 0, result.stderr
        assert " BTC/USDT last_price=" in result.stdout
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
    for name, exchange in exchanges().items():  # the epilog lists the exchanges, channels and requests
        assert f"  {name}, e.g. symbol {exchange.example_symbol}" in text
        assert f"    channels: {', '.join(exchange.channels) or '-'}" in text


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


def test_call_arguments_turn_enum_values_into_members():
    positional, keywords = _call_arguments(
        exwire.SharedClient.place_order, ["self", "BTC/USDT", "buy", "LIMIT", "0.5", "price=100", "time_in_force=gtc"])
    assert positional == ["self", "BTC/USDT", exwire.Side.BUY, exwire.OrderType.LIMIT, "0.5"]
    assert keywords == {"price": "100", "time_in_force": exwire.TimeInForce.GTC}
