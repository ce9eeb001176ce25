"""A pytest plugin: the exwire emulators as fixtures for your own test suite.

Installing exwire registers this module with pytest (the ``pytest11`` entry point
``exwire``), so any test can ask for an emulator by name, with no ``conftest.py``:

- ``kraken_emulator``, ``binance_emulator``, ``coinex_emulator``, ``okex_emulator``,
  ``okx_emulator``, ``coinsuper_emulator``: the exchange's emulator (:mod:`exwire.testing`),
  started on a free loopback port with its default seed before the test and closed after it;
- ``kraken_client``, ``binance_client``, ``coinex_client``, ``okex_client``,
  ``okx_client``, ``coinsuper_client``: a client pointed at that emulator (its ``client_kwargs()``) and
  logged on to its demo account (Binance: a fresh HMAC account), closed after the test;
- ``exwire_emulator_options``: keyword arguments for every emulator the fixtures start
  (default ``{}``); override it in your ``conftest.py`` (``{"seed": 7}``).

An example test, for a file of your own suite::

    import exwire


    def test_my_strategy_sees_a_ticker(kraken_emulator):
        with exwire.KrakenClient(**kraken_emulator.client_kwargs()) as client:
            with client.shared.subscribe_to_ticker_updates("BTC/USD") as ticker:
                event = ticker.get(timeout=10)
        assert event.data.bid_price <= event.data.ask_price


    def test_my_order_code(binance_client):
        balances = binance_client.shared.get_balances()
        assert balances["USDT"].free > 0

``pytest --fixtures`` lists them under "fixtures defined from exwire.testing.pytest_plugin".
The emulators need the ``testing`` extra (``pip install 'exwire[testing]'``) and the
Coinsuper client the ``coinsuper`` extra; a fixture whose package is missing fails with
an ``ImportError`` or ``ConfigurationError`` naming the extra. Emulators and clients are
imported only when a test asks for them, so the plugin costs nothing to a suite that
does not use them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from exwire.binance import BinanceClient
    from exwire.coinex import CoinexClient
    from exwire.coinsuper import CoinsuperClient
    from exwire.kraken import KrakenClient
    from exwire.okex import OkexClient
    from exwire.okx import OkxClient
    from exwire.testing.binance import BinanceEmulator
    from exwire.testing.coinex import CoinexEmulator
    from exwire.testing.coinsuper import CoinsuperEmulator
    from exwire.testing.kraken import KrakenEmulator
    from exwire.testing.okex import OkexEmulator
    from exwire.testing.okx import OkxEmulator

__all__ = [
    "binance_client",
    "binance_emulator",
    "coinex_client",
    "coinex_emulator",
    "coinsuper_client",
    "coinsuper_emulator",
    "exwire_emulator_options",
    "kraken_client",
    "kraken_emulator",
    "okex_client",
    "okex_emulator",
    "okx_client",
    "okx_emulator",
]


@pytest.fixture
def exwire_emulator_options() -> dict[str, Any]:
    """Keyword arguments for every emulator the exwire fixtures start (default: none).
    Override this fixture to change them, e.g. ``return {"seed": 7}``."""
    return {}


@pytest.fixture
def kraken_emulator(exwire_emulator_options: dict[str, Any]) -> Iterator[KrakenEmulator]:
    """A started :class:`~exwire.testing.KrakenEmulator`, closed after the test:
    ``KrakenClient(**kraken_emulator.client_kwargs(), credentials=kraken_emulator.credentials)``."""
    from exwire.testing.kraken import KrakenEmulator

    with KrakenEmulator(**exwire_emulator_options) as emulator:
        yield emulator


@pytest.fixture
def binance_emulator(exwire_emulator_options: dict[str, Any]) -> Iterator[BinanceEmulator]:
    """A started :class:`~exwire.testing.BinanceEmulator` (spot, USDⓈ-M and COIN-M),
    closed after the test: ``BinanceClient(**binance_emulator.client_kwargs(),
    credentials=binance_emulator.add_account())``."""
    from exwire.testing.binance import BinanceEmulator

    with BinanceEmulator(**exwire_emulator_options) as emulator:
        yield emulator


@pytest.fixture
def coinex_emulator(exwire_emulator_options: dict[str, Any]) -> Iterator[CoinexEmulator]:
    """A started :class:`~exwire.testing.CoinexEmulator`, closed after the test:
    ``CoinexClient(**coinex_emulator.client_kwargs(), credentials=coinex_emulator.credentials())``."""
    from exwire.testing.coinex import CoinexEmulator

    with CoinexEmulator(**exwire_emulator_options) as emulator:
        yield emulator


@pytest.fixture
def okex_emulator(exwire_emulator_options: dict[str, Any]) -> Iterator[OkexEmulator]:
    """A started :class:`~exwire.testing.OkexEmulator`, closed after the test:
    ``OkexClient(**okex_emulator.client_kwargs(), credentials=okex_emulator.credentials)``."""
    from exwire.testing.okex import OkexEmulator

    with OkexEmulator(**exwire_emulator_options) as emulator:
        yield emulator


@pytest.fixture
def okx_emulator(exwire_emulator_options: dict[str, Any]) -> Iterator[OkxEmulator]:
    """A started :class:`~exwire.testing.OkxEmulator` (public, private and business
    endpoints on one port), closed after the test: ``OkxClient(**okx_emulator.client_kwargs(),
    credentials=okx_emulator.credentials)``."""
    from exwire.testing.okx import OkxEmulator

    with OkxEmulator(**exwire_emulator_options) as emulator:
        yield emulator


@pytest.fixture
def coinsuper_emulator(exwire_emulator_options: dict[str, Any]) -> Iterator[CoinsuperEmulator]:
    """A started :class:`~exwire.testing.CoinsuperEmulator` (an MQTT broker over
    WebSocket), closed after the test: ``CoinsuperClient(**coinsuper_emulator.client_kwargs(),
    credentials=coinsuper_emulator.credentials)`` (Coinsuper needs them even for market data)."""
    from exwire.testing.coinsuper import CoinsuperEmulator

    with CoinsuperEmulator(**exwire_emulator_options) as emulator:
        yield emulator


@pytest.fixture
def kraken_client(kraken_emulator: KrakenEmulator) -> Iterator[KrakenClient]:
    """A :class:`~exwire.KrakenClient` on ``kraken_emulator``, logged on to its demo
    account (public and private feeds), closed after the test."""
    from exwire.kraken import KrakenClient

    with KrakenClient(**kraken_emulator.client_kwargs(), credentials=kraken_emulator.credentials) as client:
        yield client


@pytest.fixture
def binance_client(binance_emulator: BinanceEmulator) -> Iterator[BinanceClient]:
    """A :class:`~exwire.BinanceClient` on ``binance_emulator`` (all its products), with
    the credentials of a fresh funded HMAC account, closed after the test."""
    from exwire.binance import BinanceClient

    with BinanceClient(**binance_emulator.client_kwargs(), credentials=binance_emulator.add_account()) as client:
        yield client


@pytest.fixture
def coinex_client(coinex_emulator: CoinexEmulator) -> Iterator[CoinexClient]:
    """A :class:`~exwire.CoinexClient` on ``coinex_emulator``, with its first account's
    credentials, closed after the test."""
    from exwire.coinex import CoinexClient

    with CoinexClient(**coinex_emulator.client_kwargs(), credentials=coinex_emulator.credentials()) as client:
        yield client


@pytest.fixture
def okex_client(okex_emulator: OkexEmulator) -> Iterator[OkexClient]:
    """An :class:`~exwire.OkexClient` on ``okex_emulator``, with its account's
    credentials, closed after the test."""
    from exwire.okex import OkexClient

    with OkexClient(**okex_emulator.client_kwargs(), credentials=okex_emulator.credentials) as client:
        yield client


@pytest.fixture
def okx_client(okx_emulator: OkxEmulator) -> Iterator[OkxClient]:
    """An :class:`~exwire.OkxClient` on ``okx_emulator`` (its three endpoints), with its
    account's credentials (key, secret and passphrase), closed after the test."""
    from exwire.okx import OkxClient

    with OkxClient(**okx_emulator.client_kwargs(), credentials=okx_emulator.credentials) as client:
        yield client


@pytest.fixture
def coinsuper_client(coinsuper_emulator: CoinsuperEmulator) -> Iterator[CoinsuperClient]:
    """A :class:`~exwire.CoinsuperClient` on ``coinsuper_emulator``, with its first
    account's credentials, closed after the test (needs the ``coinsuper`` extra)."""
    from exwire.coinsuper import CoinsuperClient

    with CoinsuperClient(**coinsuper_emulator.client_kwargs(),
                         credentials=coinsuper_emulator.credentials) as client:
        yield client
