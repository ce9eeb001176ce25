"""Every public method of every client refuses bad arguments with ``ConfigurationError``
before anything is sent.

Each client is pointed at a transport that refuses to open (and counts the attempts):
a method that validates first raises ``ConfigurationError`` and never opens it; one
that does not gets as far as the network and raises ``ConnectError`` (or worse, a
``TypeError``). The cases are generated from the methods' signatures: each parameter
is classified by its name (timeout, symbol, symbols, money, integer, enum ...) and
replaced, one at a time, by values of that class that are wrong, while the other
arguments keep values that are known to pass (checked by
``test_valid_arguments_reach_the_network``).
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

import exwire
from exwire._core import validate
from exwire.binance.client import BinanceClient
from exwire.binance.enums import FuturesMarket
from exwire.binance.order_models import OrderLeg
from exwire.coinex.client import CoinexClient
from exwire.coinsuper.client import CoinsuperClient
from exwire.errors import ConfigurationError, ConnectError
from exwire.kraken.client import KrakenClient
from exwire.okex.client import OkexClient
from exwire.okx.client import OkxClient

UNUSED = "ws://127.0.0.1:9/"


class RefusingTransport:
    """A transport whose ``open`` always fails: proof that nothing was sent."""

    opened = 0
    last_activity = 0.0

    def open(self, url: str, timeout: float | None) -> None:
        type(self).opened += 1
        raise ConnectionRefusedError("refused by the test")

    def send(self, data: Any) -> None:  # pragma: no cover - never reached
        raise AssertionError("nothing may be sent")

    def recv(self) -> Any:  # pragma: no cover - never reached
        raise AssertionError("nothing may be received")

    def close(self) -> None:
        pass


def _options() -> dict[str, Any]:
    return {"reconnect": False, "transport_factory": RefusingTransport}


def _kraken() -> KrakenClient:
    return KrakenClient(url=UNUSED, private_url=UNUSED, rest_url="http://127.0.0.1:9",
                        credentials=exwire.Credentials("key", "c2VjcmV0"), **_options())


def _binance() -> BinanceClient:
    return BinanceClient(url=UNUSED, usdm_futures_url=UNUSED, coinm_futures_url=UNUSED,
                         credentials=exwire.Credentials(key="key", secret="secret"), **_options())


def _coinex() -> CoinexClient:
    return CoinexClient(url=UNUSED, credentials=exwire.Credentials(key="key", secret="secret"), **_options())


def _okex() -> OkexClient:
    return OkexClient(url=UNUSED, credentials=exwire.Credentials("key", "secret"), **_options())


def _okx() -> OkxClient:
    return OkxClient(url=UNUSED, private_url=UNUSED, business_url=UNUSED,
                     credentials=exwire.Credentials(key="key", secret="secret", passphrase="phrase"), **_options())


def _coinsuper() -> CoinsuperClient:
    return CoinsuperClient(credentials=exwire.Credentials(key="key", secret="secret", email="a@b.c"), **_options())


LIMIT_LEG = OrderLeg(order_type="LIMIT_MAKER", price="110")
STOP_LEG = OrderLeg(order_type="STOP_LOSS", stop_price="90")
WORKING_LEG = OrderLeg(order_type="LIMIT", side="BUY", price="100", quantity="1", time_in_force="GTC")
PENDING_LEG = OrderLeg(order_type="MARKET", side="SELL", quantity="1")
PENDING_OPO_LEG = OrderLeg(order_type="LIMIT", side="SELL", price="110", time_in_force="GTC")

#: Per client: a factory, valid values by parameter name, and per-method overrides.
CLIENTS: dict[str, tuple[Callable[[], Any], dict[str, Any], dict[str, dict[str, Any]]]] = {
    "kraken": (_kraken, {
        "symbol": "XBT/USD", "symbols": ["XBT/USD", "ETH/USD"], "interval": 1, "order_type": "limit",
        "side": "buy", "quantity": "1", "countdown": 60, "order_id": "OABC12-DEF34-GHI567",
        "order_ids": ["OABC12-DEF34-GHI567"], "websocket_token": "token",
    }, {
        "place_order": {"price": "100"},
    }),
    "binance": (_binance, {
        "symbol": "BTCUSDT", "symbols": ["BTCUSDT", "ETHUSDT"], "interval": "1m", "side": "BUY",
        "order_type": "LIMIT", "market": FuturesMarket.USDM, "new_quantity": "1", "quantity": "1", "price": "100",
        "cancel_replace_mode": "STOP_ON_FAILURE", "from_id": 1, "listen_key": "pqia91ma19a5s61cv6a81va65sdf19v8a6",
        "pair": "BTCUSDT", "contract_type": "perpetual", "depth": 5, "window_size": "1h", "method": "ping",
    }, {
        "submit_new_spot_order": {"price": "100", "quantity": "1", "time_in_force": "GTC"},
        "test_spot_order": {"price": "100", "quantity": "1", "time_in_force": "GTC"},
        "place_spot_sor_order": {"price": "100", "time_in_force": "GTC"},
        "test_spot_sor_order": {"price": "100", "time_in_force": "GTC"},
        "cancel_replace_spot_order": {"price": "100", "quantity": "1", "time_in_force": "GTC", "cancel_order_id": 1},
        "amend_spot_order_keep_priority": {"order_id": 1},
        "cancel_spot_order": {"order_id": 1},
        "get_spot_order_status": {"order_id": 1},
        "cancel_spot_order_list": {"order_list_id": 1},
        "get_spot_order_list_status": {"order_list_id": 1},
        "place_spot_order_list": {"stop_price": "90"},
        "place_spot_oco_order_list": {"above": LIMIT_LEG, "below": STOP_LEG},
        "place_spot_oto_order_list": {"working": WORKING_LEG, "pending": PENDING_LEG},
        "place_spot_otoco_order_list": {"working": WORKING_LEG, "pending_side": "SELL", "pending_quantity": "1",
                                        "pending_above": LIMIT_LEG, "pending_below": STOP_LEG},
        "place_spot_opo_order_list": {"working": WORKING_LEG, "pending": PENDING_OPO_LEG},
        "place_spot_opoco_order_list": {"working": WORKING_LEG, "pending_side": "SELL",
                                        "pending_above": LIMIT_LEG, "pending_below": STOP_LEG},
        "submit_new_futures_order": {"price": "100", "quantity": "1", "time_in_force": "GTC"},
        "submit_new_futures_algo_order": {"order_type": "STOP_MARKET", "quantity": "1", "trigger_price": "90"},
        "cancel_futures_order": {"order_id": 1},
        "get_futures_order_status": {"order_id": 1},
        "modify_futures_order": {"order_id": 1, "price": "100"},
        "get_spot_prevented_matches": {"prevented_match_id": 1},
        "cancel_futures_algo_order": {"algo_id": 1},
        # Futures-only streams and listen keys: market= is required in effect.
        "subscribe_to_continuous_contract_kline_updates": {"market": FuturesMarket.USDM},
        "subscribe_to_mark_price_updates": {"market": FuturesMarket.USDM},
        "subscribe_to_liquidation_updates": {"market": FuturesMarket.USDM},
        # Spot's all-market ticker stream is retired: name the symbols.
        "subscribe_to_ticker_updates": {"symbols": ["BTCUSDT"]},
    }),
    "coinex": (_coinex, {
        "symbol": "BTCUSDT", "symbols": ["BTCUSDT", "ETHUSDT"], "interval": 60,
    }, {}),
    "okex": (_okex, {
        "symbol": "btc_usdt", "symbols": ["btc_usdt", "eth_usdt"], "interval": "1min", "side": "buy",
        "order_id": 1,
    }, {
        "place_order": {"quantity": "1", "price": "100"},
    }),
    "coinsuper": (_coinsuper, {
        "symbol": "BTC/USD", "interval": 60_000, "step": "0.01",
    }, {}),
    "okx": (_okx, {
        "symbol": "BTC-USDT", "symbols": ["BTC-USDT", "ETH-USDT"], "period": "1m", "side": "buy",
        "order_type": "limit", "trade_mode": "cash", "quantity": "1", "instrument_type": "SPOT",
        "instrument_family": "BTC-USD",
        "orders": [{"symbol": "BTC-USDT", "side": "buy", "order_type": "limit", "trade_mode": "cash",
                    "quantity": "1", "price": "100"}],
    }, {
        "place_order": {"price": "100"},
        "cancel_order": {"order_id": "1"},
        "amend_order": {"order_id": "1", "new_price": "101"},
        "cancel_multiple_orders": {"orders": [{"symbol": "BTC-USDT", "order_id": "1"}]},
        "amend_multiple_orders": {"orders": [{"symbol": "BTC-USDT", "order_id": "1", "new_price": "101"}]},
        "mass_cancel": {"instrument_type": "OPTION"},
        "subscribe_to_estimated_price_updates": {"instrument_type": "FUTURES", "instrument_family": "BTC-USD"},
        "subscribe_to_liquidation_warning_updates": {"instrument_type": "SWAP"},
        "subscribe_to_funding_rate_updates": {"symbols": ["BTC-USDT-SWAP"]},
        "subscribe_to_open_interest_updates": {"symbols": ["BTC-USDT-SWAP"]},
        "subscribe_to_mark_price_updates": {"symbols": ["BTC-USDT-SWAP"]},
        "subscribe_to_price_limit_updates": {"symbols": ["BTC-USDT-SWAP"]},
        "subscribe_to_index_ticker_updates": {"symbols": ["BTC-USDT"]},
        "subscribe_to_index_kline_updates": {"symbols": ["BTC-USDT"]},
    }),
}

# Methods that take no request arguments worth checking, or no timeout.
_SKIPPED = {"close", "health", "set_time_offset_ms", "futures_rate_limits"}
# Methods whose valid call sends nothing when nothing is subscribed (they are idempotent).
_LOCAL = {"unsubscribe_user_data_stream"}

NAN, INF = float("nan"), float("inf")
BAD_TIMEOUTS = [NAN, INF, -INF, -1, 0, 0.0, "5", True, 10**400, 1e12, Decimal("NaN")]
BAD_SYMBOLS = [123, 1.5, b"BTCUSDT", None, "", "   ", ["BTCUSDT"], {"BTCUSDT": 1}, object()]
BAD_SYMBOL_LISTS = [123, [123], [None], b"BTCUSDT", [b"BTCUSDT"], {"BTCUSDT": 1}, [], (), [""], 1.5]
BAD_MONEY = [1e400, NAN, INF, -INF, 10**30, Decimal("1e30"), Decimal("NaN"), Decimal("1e-30"), "abc", True,
             [1], "1" * 200]
BAD_INTEGERS = [10**30, -(10**30), "5", 1.5, True, NAN]
BAD_ENUMS = ["no-such-value", 123456, 1.5, b"x", [1]]

#: Per client, parameters whose wrong values differ from the generic ones.
BAD_VALUES_BY_CLIENT: dict[str, dict[str, list[Any]]] = {
    # A Kraken order id is a txid string or a 32-bit user reference.
    "kraken": {"order_id": [10**30, 2**31, 1.5, True, NAN, b"x", "", None, ["a", "b"]]},
    # OKEx takes its (64-bit) order ids as int or as a string of digits.
    "okex": {"order_id": [10**30, 2**63, 0, -1, 1.5, True, NAN, "abc", None]},
    # OKX's ids are strings; its kline bar, instrument type and trade mode are enums; a
    # request's deadline is an aware datetime; batches hold 1 to 20 orders.
    "okx": {
        "order_id": [1.5, True, NAN, b"x", "", "   ", ["1"], {"1": 1}],
        "algo_id": [1.5, True, NAN, b"x", "", "   ", ["1"]],
        "period": BAD_ENUMS + [None],
        "instrument_type": BAD_ENUMS,
        "trade_mode": BAD_ENUMS + [None],
        "expires_at": [datetime(2030, 1, 1), "2030-01-01", 10**30, NAN, True],
        "orders": [[], (), None, 123, [None], [123], "order", [{"symbol": "BTC-USDT"}],
                   [{"symbol": "BTC-USDT", "side": "buy", "order_type": "limit", "trade_mode": "cash",
                     "quantity": "1", "price": "100"}] * 21],
        "client_order_id": ["", "x" * 33, "a-b", 123, True, b"x"],
    },
}

_MONEY_NAMES = {
    "quantity", "price", "new_quantity", "pending_quantity", "secondary_price", "leverage", "close_price",
    "close_secondary_price", "stop_price", "trigger_price", "iceberg_quantity", "quote_order_quantity",
    "quote_quantity", "activation_price", "stop_limit_price", "limit_iceberg_quantity", "stop_iceberg_quantity",
}
_INTEGER_NAMES = {
    "limit", "from_id", "order_id", "order_list_id", "trailing_delta", "strategy_id", "strategy_type",
    "peg_offset_value", "cancel_order_id", "prevented_match_id", "from_prevented_match_id", "from_allocation_id",
    "algo_id", "user_reference", "offset", "depth", "cycle_period",
}
_ENUM_NAMES = {
    "side", "order_type", "interval", "time_in_force", "cancel_replace_mode", "cancel_restrictions",
    "order_rate_limit_exceeded_mode", "response_type", "self_trade_prevention_mode", "peg_price_type",
    "peg_offset_type", "symbol_status", "ticker_type", "market", "position_side", "working_type", "price_match",
    "algo_type", "stop_limit_time_in_force", "merge_depth", "step", "close_order_type", "pending_side",
}


def _methods(client_name: str) -> list[str]:
    factory = CLIENTS[client_name][0]
    cls = inspect.signature(factory).return_annotation
    cls = {"KrakenClient": KrakenClient, "BinanceClient": BinanceClient, "CoinexClient": CoinexClient,
           "OkexClient": OkexClient, "CoinsuperClient": CoinsuperClient, "OkxClient": OkxClient}[cls] if isinstance(cls, str) else cls
    return sorted(name for name, member in inspect.getmembers(cls, inspect.isfunction)
                  if not name.startswith("_") and name not in _SKIPPED)


def _valid_arguments(client_name: str, method: str, client: Any) -> dict[str, Any]:
    _, common, overrides = CLIENTS[client_name]
    defaults = {**common, **overrides.get(method, {})}
    signature = inspect.signature(getattr(client, method))
    arguments: dict[str, Any] = {}
    for name, parameter in signature.parameters.items():
        if parameter.kind in (parameter.VAR_KEYWORD, parameter.VAR_POSITIONAL):
            continue
        if parameter.default is parameter.empty or name in overrides.get(method, {}) \
                or (name == "websocket_token" and name in defaults):
            if name not in defaults:
                raise AssertionError(f"{client_name}.{method}: no valid value for {name}")
            arguments[name] = defaults[name]
    return arguments


def _required(parameter: inspect.Parameter) -> bool:
    """No default and ``None`` not among its types (``market: FuturesMarket | None`` takes ``None``)."""
    annotation = parameter.annotation if isinstance(parameter.annotation, str) else str(parameter.annotation)
    return parameter.default is parameter.empty and not annotation.endswith("| None")


def _bad_values(client_name: str, name: str, required: bool) -> list[Any]:
    special = BAD_VALUES_BY_CLIENT.get(client_name, {})
    if name in special:
        return special[name]
    if name == "timeout":
        return BAD_TIMEOUTS
    if name in ("symbol", "pair"):
        return [v for v in BAD_SYMBOLS if v is not None or required]
    if name in ("symbols", "assets"):
        return [v for v in BAD_SYMBOL_LISTS if not (name == "assets" and v in ([], ()))]
    if name in _MONEY_NAMES:
        return BAD_MONEY + ([None] if required else [])
    if name in _INTEGER_NAMES:
        return BAD_INTEGERS
    if name in _ENUM_NAMES:
        return BAD_ENUMS + ([None] if required else [])
    if name == "recv_window":
        return [NAN, INF, 0, -1, "5", True]
    if name in ("start_time", "end_time", "start", "end", "good_till_date"):
        return [datetime(2024, 1, 1), "2024-01-01", 10**30, -1, NAN]
    if name == "order_ids":
        return [[], 123.5, [None], [b"x"], b"x", {"a": 1}]
    if name == "countdown":
        return [NAN, INF, -1, 1.5, 10**30, "60", True]
    if name == "callback":
        return [123, "callback"]
    return []


def _cases() -> Iterator[Any]:
    for client_name, (factory, _, _) in CLIENTS.items():
        with factory() as client:
            for method in _methods(client_name):
                signature = inspect.signature(getattr(client, method))
                for name, parameter in signature.parameters.items():
                    if _bad_values(client_name, name, _required(parameter)):
                        yield pytest.param(client_name, method, name, id=f"{client_name}.{method}.{name}")


def _valid_cases() -> Iterator[Any]:
    for client_name in CLIENTS:
        for method in _methods(client_name):
            yield pytest.param(client_name, method, id=f"{client_name}.{method}")


@pytest.mark.parametrize(("client_name", "method"), list(_valid_cases()))
def test_valid_arguments_reach_the_network(client_name: str, method: str) -> None:
    """The harness's own valid values pass validation: the call gets as far as connecting."""
    factory = CLIENTS[client_name][0]
    with factory() as client:
        arguments = _valid_arguments(client_name, method, client)
        if method in _LOCAL:
            RefusingTransport.opened = 0
            getattr(client, method)(**arguments)
            assert RefusingTransport.opened == 0
            return
        with pytest.raises(ConnectError):
            getattr(client, method)(**arguments)


@pytest.mark.parametrize(("client_name", "method", "parameter"), list(_cases()))
def test_bad_argument_is_refused_before_sending(client_name: str, method: str, parameter: str) -> None:
    """Each wrong value of the parameter raises ConfigurationError and opens no connection."""
    factory = CLIENTS[client_name][0]
    with factory() as client:
        required = _required(inspect.signature(getattr(client, method)).parameters[parameter])
    escaped: list[str] = []
    for value in _bad_values(client_name, parameter, required):
        RefusingTransport.opened = 0
        with factory() as client:
            arguments = _valid_arguments(client_name, method, client)
            arguments[parameter] = value
            try:
                getattr(client, method)(**arguments)
            except ConfigurationError:
                if RefusingTransport.opened:
                    escaped.append(f"{value!r}: refused only after opening a connection")
            except Exception as exc:  # noqa: BLE001 - reported below
                escaped.append(f"{value!r}: {type(exc).__name__}: {exc}")
            else:
                escaped.append(f"{value!r}: accepted")
    assert not escaped, f"{method}({parameter}=...) let through:\n" + "\n".join(escaped)


# -- the shared helpers -------------------------------------------------------------------------


@pytest.mark.parametrize("value", BAD_TIMEOUTS + [validate.MAX_TIMEOUT * 2])
def test_positive_timeout_refuses(value: Any) -> None:
    with pytest.raises(ConfigurationError):
        validate.positive_timeout(value)


@pytest.mark.parametrize("value", [None, 0.001, 1, 2.5, Decimal("3"), validate.MAX_TIMEOUT])
def test_positive_timeout_accepts(value: Any) -> None:
    result = validate.positive_timeout(value)
    assert result is None if value is None else result == float(value)


def test_symbols_keeps_order_and_removes_duplicates() -> None:
    assert validate.symbols(["B", "A", "B", " C "]) == ("B", "A", "C")
    assert validate.symbols("A") == ("A",)
    assert validate.symbols(iter(["A"])) == ("A",)


@pytest.mark.parametrize("value", BAD_SYMBOL_LISTS)
def test_symbols_refuses(value: Any) -> None:
    with pytest.raises(ConfigurationError):
        validate.symbols(value)


def test_symbols_limit() -> None:
    assert len(validate.symbols([f"S{i}" for i in range(3)], limit=3)) == 3
    with pytest.raises(ConfigurationError):
        validate.symbols([f"S{i}" for i in range(4)], limit=3)


@pytest.mark.parametrize(("value", "expected"), [
    ("1.50", Decimal("1.50")), (0.1, Decimal("0.1")), (5, Decimal(5)), (Decimal("2"), Decimal("2")),
    ("123456789012345678", Decimal("123456789012345678")), ("0.000000000000000001", Decimal("1e-18")),
    ("1.000000000000000000000", Decimal("1")),
])
def test_money_accepts(value: Any, expected: Decimal) -> None:
    assert validate.money(value, "quantity") == expected


@pytest.mark.parametrize("value", BAD_MONEY + [None, 0, -1, "1234567890123456789"])
def test_money_refuses(value: Any) -> None:
    with pytest.raises(ConfigurationError):
        validate.money(value, "quantity")


def test_money_bounds_are_per_call() -> None:
    assert validate.money(-5, "offset", positive=False) == -5
    with pytest.raises(ConfigurationError):
        validate.money("1234", "price", max_integer_digits=3)
    with pytest.raises(ConfigurationError):
        validate.money("0.123", "price", max_fraction_digits=2)


def test_integer_bounds() -> None:
    assert validate.integer(2**63 - 1, "id") == 2**63 - 1
    with pytest.raises(ConfigurationError):
        validate.integer(2**63, "id")
    assert validate.positive_int(5, "limit", 5) == 5
    with pytest.raises(ConfigurationError):
        validate.positive_int(6, "limit", 5)


def test_bounded_stops_reading_an_endless_iterable() -> None:
    def endless() -> Iterator[int]:
        while True:
            yield 1

    with pytest.raises(ConfigurationError):
        validate.bounded(endless(), "order_ids", 10)
    assert validate.bounded(range(3), "order_ids", 3) == [0, 1, 2]


def test_nan_is_not_finite() -> None:  # guards the BAD_* lists above
    assert not math.isfinite(NAN)
    assert datetime(2024, 1, 1, tzinfo=UTC).tzinfo is UTC
