"""The public surface: what ``exwire`` and each exchange package export, and what they cost.

``exwire.__all__`` is pinned: a name added or removed is a decision, made here. Each exchange
package exports its client, its models, its enums and its URL constants; no public module
re-exports a private name; and ``import exwire`` loads no exchange package (they load on
first use of a client name).
"""

from __future__ import annotations

import enum
import importlib
import inspect
import json
import pathlib
import subprocess
import sys

import attrs
import pytest

import exwire

EXWIRE_ALL = {
    # clients (loaded lazily)
    "KrakenClient", "BinanceClient", "CoinexClient", "OkexClient", "CoinsuperClient", "OkxClient",
    # the shared interface
    "SharedClient", "Feature",
    # neutral models and enums
    "Credentials", "DataEvent", "UpdateType", "Side", "Level", "TopOfBook", "Ticker", "Trade", "Kline",
    "Balance", "Order", "Fill", "OrderType", "OrderStatus", "TimeInForce", "ConnectionEvent", "ConnectionState",
    # streams, books, latest values
    "LatestValue", "LatestValues", "Subscription", "Overflow", "OrderBook", "BookSnapshot", "OrderBookWatcher",
    # the error tree
    "ExwireError", "ConfigurationError", "UnsupportedFeature", "InvalidState", "ConnectError", "LogOnRefused",
    "ConnectionClosed", "RequestTimeout", "SlowConsumer", "ProtocolError", "DecodeError", "ExchangeError",
    "AuthenticationError", "RateLimited", "InvalidRequest", "InsufficientFunds", "OrderNotFound",
    "ExchangeUnavailable",
}

EXCHANGES = ["kraken", "binance", "coinex", "okex", "coinsuper", "okx"]
CLIENTS = {"kraken": "KrakenClient", "binance": "BinanceClient", "coinex": "CoinexClient",
           "okex": "OkexClient", "coinsuper": "CoinsuperClient", "okx": "OkxClient"}
PUBLIC_MODULES = [
    "exwire", "exwire.models", "exwire.errors", "exwire.shared", "exwire.subscription", "exwire.watcher",
    "exwire.latest", "exwire.orderbook", "exwire.hosts", "exwire.testing",
    *(f"exwire.{name}" for name in EXCHANGES),
    *(f"exwire.testing.{name}" for name in EXCHANGES),
]


def test_exwire_all_is_pinned_and_every_name_resolves() -> None:
    assert set(exwire.__all__) == EXWIRE_ALL
    assert len(exwire.__all__) == len(set(exwire.__all__))
    for name in exwire.__all__:
        assert getattr(exwire, name) is not None


@pytest.mark.parametrize("name", ["Subscription", "OrderBookWatcher", "LatestValue", "LatestValues", "Overflow",
                                  "SharedClient", "Feature", "DataEvent", "Ticker"])
def test_public_classes_live_in_public_modules(name: str) -> None:
    module = getattr(exwire, name).__module__
    assert not any(part.startswith("_") for part in module.split(".")), f"{name} lives in {module}"


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_public_modules_export_no_private_name(module_name: str) -> None:
    module = importlib.import_module(module_name)
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{module_name} has no __all__"
    private = [name for name in exported if name.startswith("_")]
    assert not private, f"{module_name} exports {private}"
    missing = [name for name in exported if not hasattr(module, name)]
    assert not missing, f"{module_name}.__all__ names what it lacks: {missing}"


@pytest.mark.parametrize("exchange", EXCHANGES)
def test_each_exchange_package_exports_its_client_models_enums_and_urls(exchange: str) -> None:
    package = importlib.import_module(f"exwire.{exchange}")
    exported = set(package.__all__)
    client = getattr(package, CLIENTS[exchange])
    assert client is getattr(exwire, CLIENTS[exchange])
    assert CLIENTS[exchange] in exported
    # Every module of models or events (models, stream_models, events, futures_events ...).
    folder = pathlib.Path(package.__file__).parent
    modules = [importlib.import_module(f"exwire.{exchange}.{path.stem}") for path in sorted(folder.glob("*.py"))
               if path.stem.endswith(("models", "events"))]
    own = [
        value for module in modules for name, value in vars(module).items()
        if not name.startswith("_") and inspect.isclass(value) and value.__module__ == module.__name__
        and (attrs.has(value) or issubclass(value, enum.Enum))
    ]
    assert own, f"exwire.{exchange}.models defines no model"
    missing = sorted(cls.__name__ for cls in own if cls.__name__ not in exported)
    assert not missing, f"exwire.{exchange} does not export {missing}"
    urls = [name for name in exported if name.endswith("_URL")]
    assert urls, f"exwire.{exchange} exports no URL constant"
    for name in urls:
        assert getattr(package, name).startswith(("ws://", "wss://", "tcp://", "ssl://", "http://", "https://"))


@pytest.mark.parametrize("exchange", EXCHANGES)
def test_every_exchange_model_is_kw_only(exchange: str) -> None:
    package = importlib.import_module(f"exwire.{exchange}")
    for name in package.__all__:
        value = getattr(package, name)
        if inspect.isclass(value) and attrs.has(value):
            positional = [f.name for f in attrs.fields(value) if not f.kw_only and f.init]
            assert not positional, f"{exchange}.{name} takes {positional} positionally"


def test_exchange_folders_have_one_shape() -> None:
    for exchange in EXCHANGES:
        for module in ("client", "protocol", "converter", "models", "symbols", "shared"):
            importlib.import_module(f"exwire.{exchange}.{module}")
        symbols = importlib.import_module(f"exwire.{exchange}.symbols")
        assert callable(symbols.normalize_symbol) and callable(symbols.normalize_symbols)


def _modules_after(code: str) -> list[str]:
    script = f"import sys\n{code}\nimport json\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    loaded: list[str] = json.loads(result.stdout.splitlines()[-1])
    return loaded


def test_import_exwire_loads_no_exchange_package_nor_network_library() -> None:
    loaded = _modules_after("import exwire")
    heavy = [m for m in loaded if m.split(".")[0] in {"websocket", "paho", "cryptography", "requests", "cattrs", "socks"}
             or (m.startswith("exwire.") and m.split(".")[1] in {*EXCHANGES, "testing", "hosts", "cli"})]
    assert not heavy, f"import exwire loaded {heavy}"


def test_a_client_name_loads_only_its_exchange() -> None:
    loaded = _modules_after("import exwire\nexwire.KrakenClient")
    assert "exwire.kraken.client" in loaded
    others = [m for m in loaded if m.startswith("exwire.") and m.split(".")[1] in set(EXCHANGES) - {"kraken"}]
    assert not others, f"KrakenClient loaded {others}"


def test_from_each_exchange_package_import_its_client() -> None:
    for exchange, name in CLIENTS.items():
        loaded = _modules_after(f"from exwire.{exchange} import {name}")
        assert f"exwire.{exchange}" in loaded


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError):
        exwire.NoSuchClient  # noqa: B018
    assert "KrakenClient" in dir(exwire)
