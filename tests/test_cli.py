"""The ``exwire`` command end to end (``python -m exwire`` subprocesses), and its helpers."""

from __future__ import annotations

import contextlib
import enum
import json
import re
import selectors
import shlex
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
from exwire.hosts import CHANNELS, credentials_from_environment, environment_of, exchanges, get_exchange
from exwire.testing import KrakenEmulator
from tests.conftest import REPO_ROOT, timeout
from tests.hosts.support import each_exchange, needs_adapter, python_env, read_line


def exwire_command(*args: str, seconds: float = 60, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "exwire", *args], cwd=REPO_ROOT, env={**python_env(), **(env or {})},
        capture_output=True, text=True, timeout=timeout(seconds),
    )


def _raw_line(process: subprocess.Popen, seconds: float = 30) -> str:
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout(seconds)):
            raise AssertionError(f"no output within {timeout(seconds)} s")
    return process.stdout.readline().decode()


@contextlib.contextmanager
def emulate(name: str):
    """Run ``exwire emulate NAME``; yield its ``--url`` options (a list of words) and the
    demo account's variables its ``export`` line gives; stop it (status 0) on exit."""
    # Unbuffered bytes: each line is read as it comes (a text pipe would buffer the second).
    process = subprocess.Popen([sys.executable, "-m", "exwire", "emulate", name], cwd=REPO_ROOT,
                               env=python_env(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, bufsize=0)
    try:
        options = shlex.split(_raw_line(process))
        export = shlex.split(_raw_line(process))
        assert export[0] == "export", export
        variables = dict(word.split("=", 1) for word in export[1:])
        yield options, variables
        process.terminate()
        process.communicate(timeout=timeout(30))
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0


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
def test_call_runs_one_request_and_prints_the_result_with_its_unit():
    result = exwire_command("call", "kraken", "ping", "--json")
    assert result.returncode == 0, result.stderr
    line = json.loads(result.stdout)
    assert line["method"] == "ping" and 0 < line["seconds"] < timeout(10)
    result = exwire_command("call", "kraken", "ping")
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"ping: \d+\.\d\d ms\n", result.stdout), result.stdout


def test_json_results_are_one_object_per_line():
    assert cli._json_lines("ping", 0.5) == [{"method": "ping", "seconds": 0.5}]
    assert cli._json_lines("place_order", 12) == [{"method": "place_order", "result": 12}]
    assert cli._json_lines("get", [{"a": "1"}, {"a": "2"}]) == [{"a": "1"}, {"a": "2"}]
    assert cli._json_lines("get", {"BTC": {"free": "1.5"}}) == [{"BTC": {"free": "1.5"}}]


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
        words = shlex.split(read_line(process, 30))
        assert words[0] == "--url" and words[1].startswith("ws://127.0.0.1:")
        with exwire.KrakenClient(url=words[1]) as client:
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
        assert read_line(process, 30).startswith("--url ws://")
        process.terminate()
        process.communicate(timeout=timeout(30))
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0


_ENDPOINT_PATHS = {"okex": "/ws/v1", "okx": "/ws/v5/public"}


@pytest.mark.parametrize("name", each_exchange(*_ENDPOINT_PATHS))
def test_the_url_emulate_prints_is_the_one_stream_takes(name):
    """OKEx's and OKX's endpoints are paths of the emulator (``/ws/v1``, ``/ws/v5/public``):
    ``emulate`` prints them whole."""
    with emulate(name) as (options, _):
        assert options[0] == "--url" and options[1].endswith(_ENDPOINT_PATHS[name])
        result = exwire_command("stream", name, "ticker", "BTC/USDT", *options, "--count", "1")
        assert result.returncode == 0, result.stderr
        assert " BTC/USDT last_price=" in result.stdout


@needs_adapter("okx")
def test_okx_s_main_url_implies_its_private_and_business_paths_and_the_passphrase_comes_from_the_environment():
    with emulate("okx") as (options, variables):
        assert set(variables) == {"EXWIRE_OKX_KEY", "EXWIRE_OKX_SECRET", "EXWIRE_OKX_PASSPHRASE"}
        public = options[1]  # the other endpoints follow from its host: /ws/v5/private, /ws/v5/business
        call = exwire_command("call", "okx", "login", "--url", public, env=variables)
        assert call.returncode == 0, call.stderr  # logged in on /ws/v5/private
        stream = exwire_command("stream", "okx", "klines", "--url", public, "--count", "1", "--json")
        assert stream.returncode == 0, stream.stderr  # candles come from /ws/v5/business
        assert json.loads(stream.stdout)["symbol"] == "BTC/USDT"
        without = {key: value for key, value in variables.items() if key != "EXWIRE_OKX_PASSPHRASE"}
        call = exwire_command("call", "okx", "login", "--url", public, env=without)
        assert call.returncode == 2 and "passphrase" in call.stderr
        for value in variables.values():
            assert value not in call.stderr


def _every_url_keyword_of_the_emulator(name: str) -> dict[str, str]:
    emulator_class = get_exchange(name).emulator_class
    assert emulator_class is not None
    with emulator_class() as emulator:
        return {key: value for key, value in emulator.client_kwargs().items()
                if isinstance(value, str) and "://" in value}


@pytest.mark.parametrize("name", each_exchange())
def test_emulate_prints_exactly_the_url_options_stream_and_call_take(name):
    """emulate → stream and emulate → call, with the demo account from the environment."""
    exchange = get_exchange(name)
    expected = _every_url_keyword_of_the_emulator(name)  # another instance: other ports, same keywords
    with emulate(name) as (options, variables):
        assert options[::2] == ["--url"] * len(expected)
        assert options[1].split("://")[0] in ("ws", "wss") and "=" not in options[1].split("?")[0]
        keywords = {word.split("=", 1)[0] for word in options[3::2]}
        assert keywords == set(expected) - {"url"}
        assert keywords <= set(exchange.url_keywords)
        assert set(variables) >= {f"EXWIRE_{name.upper()}_KEY"}
        assert all(key.startswith(f"EXWIRE_{name.upper()}_") for key in variables)

        market = [c for c in exchange.channels if c in ("ticker", "trades", "klines", "top_of_book")]
        channel = market[0] if market else exchange.channels[0]
        stream = exwire_command("stream", name, channel, *options, "--count", "1", "--json", env=variables)
        assert stream.returncode == 0, stream.stderr
        assert json.loads(stream.stdout)["symbol"] == exchange.example_symbol

        if "shared.get_balances" in exchange.requests:  # a private request: the credentials came through
            call = exwire_command("call", name, "shared.get_balances", *options, "--json", env=variables)
            assert call.returncode == 0, call.stderr
            balances = json.loads(call.stdout)
            assert balances and all(Decimal(b["total"]) >= 0 for b in balances.values())
        elif exchange.requests:
            request = next(r for r in ("ping", "test_spot_connectivity") if r in exchange.requests)
            call = exwire_command("call", name, request, *options, "--json", env=variables)
            assert call.returncode == 0, call.stderr
            assert json.loads(call.stdout)["seconds"] > 0
        else:  # Coinsuper is streams only: call refuses, naming that it has no request
            call = exwire_command("call", name, "ping", *options, env=variables)
            assert call.returncode == 2 and "requests: none" in call.stderr


@needs_adapter("kraken")
def test_without_the_credentials_in_the_environment_a_private_call_fails_cleanly():
    with emulate("kraken") as (options, variables):
        call = exwire_command("call", "kraken", "get_websocket_token", *options)
        assert call.returncode == 2, call.stderr
        assert "credentials" in call.stderr
        wrong = {**variables, "EXWIRE_KRAKEN_SECRET": "d3Jvbmc="}
        call = exwire_command("call", "kraken", "get_websocket_token", *options, env=wrong)
        assert call.returncode == 1 and "Error" in call.stderr
        for secret in variables.values():
            assert secret not in call.stderr
        call = exwire_command("call", "kraken", "get_websocket_token", *options, "--json", env=variables)
        assert call.returncode == 0, call.stderr
        token = json.loads(call.stdout)  # the right credentials from the environment
        assert token["token"] and token["lifetime"] > 0
        call = exwire_command("call", "kraken", "get_websocket_token", *options, env=variables)
        assert call.returncode == 0, call.stderr
        assert re.fullmatch(r"token=\S+ lifetime=\d+ s expires_at=\S+\n", call.stdout), call.stdout


@needs_adapter("kraken")
def test_url_keywords_the_client_does_not_take_are_a_usage_error():
    with KrakenEmulator() as emulator:
        result = exwire_command("call", "kraken", "ping", "--url", emulator.url, "--url", "weather_url=ws://x/")
        assert result.returncode == 2 and "no endpoint weather_url" in result.stderr
        assert "private_url" in result.stderr
        result = exwire_command("call", "kraken", "ping", "--url", emulator.url, "--url", emulator.url)
        assert result.returncode == 2 and "two main endpoints" in result.stderr


def test_url_options_parse_into_the_main_endpoint_and_keywords():
    assert cli._endpoints(None) == (None, {})
    assert cli._endpoints(["ws://h:1/?a=b", "rest_url=http://h:1"]) == ("ws://h:1/?a=b", {"rest_url": "http://h:1"})
    assert cli._endpoints(["url=ws://h/"]) == ("ws://h/", {})
    with pytest.raises(ConfigurationError, match="given twice"):
        cli._endpoints(["rest_url=http://a", "rest_url=http://b"])
    assert cli._url_options({"url": "ws://h/", "rest_url": "http://h", "seed": 1}) == \
        "--url ws://h/ --url rest_url=http://h"


# -- credentials, version, logging -------------------------------------------------------------


def test_credentials_come_from_the_exchange_s_environment_variables(tmp_path):
    assert credentials_from_environment("binance", {}) is None
    assert credentials_from_environment("binance", {"EXWIRE_KRAKEN_KEY": "k"}) is None
    pem = tmp_path / "key.pem"
    pem.write_text("-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n")
    credentials = credentials_from_environment(
        "binance", {"EXWIRE_BINANCE_KEY": "k", "EXWIRE_BINANCE_PRIVATE_KEY_FILE": str(pem)})
    assert credentials == exwire.Credentials(key="k", private_key=pem.read_text())
    credentials = credentials_from_environment(
        "coinsuper", {"EXWIRE_COINSUPER_KEY": "k", "EXWIRE_COINSUPER_SECRET": "s", "EXWIRE_COINSUPER_EMAIL": "a@b"})
    assert credentials == exwire.Credentials(key="k", secret="s", email="a@b")
    assert credentials_from_environment("coinsuper", environment_of("coinsuper", credentials)) == credentials
    with pytest.raises(ConfigurationError, match="EXWIRE_OKEX_SECRET set without EXWIRE_OKEX_KEY"):
        credentials_from_environment("okex", {"EXWIRE_OKEX_SECRET": "s"})
    credentials = credentials_from_environment(
        "okx", {"EXWIRE_OKX_KEY": "k", "EXWIRE_OKX_SECRET": "s", "EXWIRE_OKX_PASSPHRASE": "p"})
    assert credentials == exwire.Credentials(key="k", secret="s", passphrase="p")
    assert "'p'" not in repr(credentials)  # redacted like the secret
    assert credentials_from_environment("okx", environment_of("okx", credentials)) == credentials
    with pytest.raises(ConfigurationError, match="EXWIRE_BINANCE_PRIVATE_KEY_FILE: cannot read") as error:
        credentials_from_environment("binance", {"EXWIRE_BINANCE_KEY": "k",
                                                 "EXWIRE_BINANCE_PRIVATE_KEY_FILE": str(tmp_path / "none.pem")})
    assert "FileNotFoundError" in str(error.value)


@pytest.mark.parametrize("word", ["--key", "--secret", "--api-key", "--credentials"])
def test_no_credential_is_taken_from_the_command_line(word, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["call", "kraken", "ping", word, "value"])
    assert exit_info.value.code == 2
    assert "unrecognized arguments" in capsys.readouterr().err


def test_version_prints_the_package_version():
    result = exwire_command("--version")
    assert result.returncode == 0
    assert result.stdout == f"exwire {exwire.__version__}\n"


@needs_adapter("kraken")
def test_log_level_logs_exwire_to_stderr_and_nothing_without_it():
    result = exwire_command("--log-level", "debug", "call", "kraken", "ping")
    assert result.returncode == 0, result.stderr
    assert re.search(r" exwire(\.[a-z.]+)? DEBUG ", result.stderr), result.stderr[-2000:]
    quiet = exwire_command("call", "kraken", "ping")
    assert quiet.returncode == 0 and quiet.stderr == ""
    result = exwire_command("--log-level", "chatty", "call", "kraken", "ping")
    assert result.returncode == 2 and "invalid choice" in result.stderr


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
