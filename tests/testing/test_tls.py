"""Every emulator serves ``wss://`` with ``tls=True``: a client that trusts only
``emu.ssl_context()`` connects and gets data, and one that trusts the system store fails.

The certificate is generated on start by :class:`exwire.testing._server.EmulatorServer`,
so the Binance emulator gets it from its base class like the others."""

from __future__ import annotations

import ssl
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from exwire import ConnectError, InvalidState, OrderType, Side
from exwire.binance import BinanceClient
from exwire.coinex import CoinexClient
from exwire.coinsuper import CoinsuperClient
from exwire.kraken import KrakenClient
from exwire.okex import OkexClient
from exwire.okx import OkxClient
from exwire.testing import (
    BinanceEmulator,
    CoinexEmulator,
    CoinsuperEmulator,
    KrakenEmulator,
    OkexEmulator,
    OkxEmulator,
)
from tests.conftest import timeout


def _kraken_ticker(client: Any) -> object:
    return client.shared.subscribe_to_ticker_updates("BTC/USD").get(timeout(5))


def _coinex_ticker(client: Any) -> object:
    return client.shared.subscribe_to_ticker_updates("BTC/USDT").get(timeout(5))


def _okex_ticker(client: Any) -> object:
    return client.subscribe_to_ticker_updates("btc_usdt").get(timeout(5))


def _okx_ticker_and_balances(client: Any) -> object:
    ticker = client.subscribe_to_ticker_updates("BTC-USDT").get(timeout(5))  # wss:// /ws/v5/public
    balances = client.subscribe_to_account_updates().get(timeout(5))  # logged in over wss:// /ws/v5/private
    return ticker if balances.data.details else None


def _coinsuper_depth(client: Any) -> object:
    return client.subscribe_to_market_depth_updates("BTC/USD").get(timeout(5))


def _binance_time(client: Any) -> object:
    return client.get_spot_server_time()


# (emulator class, constructor kwargs, client class, needs credentials, data call)
CASES: dict[str, tuple[Any, dict[str, Any], Any, bool, Callable[[Any], object]]] = {
    "kraken": (KrakenEmulator, {"seed": 1, "push_interval": 0.02}, KrakenClient, False, _kraken_ticker),
    "coinex": (CoinexEmulator, {"seed": 1, "push_interval": 0.02}, CoinexClient, False, _coinex_ticker),
    "okex": (OkexEmulator, {"push_interval": 0.02}, OkexClient, True, _okex_ticker),
    "coinsuper": (CoinsuperEmulator, {"push_interval": 0.02}, CoinsuperClient, True, _coinsuper_depth),
    "binance": (BinanceEmulator, {"seed": 1}, BinanceClient, False, _binance_time),
    "okx": (OkxEmulator, {"push_interval": 0.02}, OkxClient, True, _okx_ticker_and_balances),
}


def _emulator(name: str) -> Any:
    emulator_class, kwargs, *_ = CASES[name]
    return emulator_class(tls=True, **kwargs)


@pytest.mark.parametrize("name", list(CASES))
def test_client_trusting_the_emulator_certificate_connects_over_wss_and_gets_data(name: str) -> None:
    _, _, client_class, needs_credentials, call = CASES[name]
    with _emulator(name) as emu:
        kwargs: dict[str, Any] = dict(emu.client_kwargs())
        websocket_urls = [url for key, url in kwargs.items() if key.endswith("url") and "rest" not in key]
        assert websocket_urls and all(url.startswith("wss://") for url in websocket_urls), kwargs
        if needs_credentials:
            kwargs["credentials"] = emu.credentials
        context = emu.ssl_context()
        assert isinstance(context, ssl.SSLContext) and context.verify_mode == ssl.CERT_REQUIRED
        with client_class(**kwargs, ssl_context=context) as client:
            assert call(client) is not None
        assert emu.connections_accepted >= 1


@pytest.mark.parametrize("name", ["kraken", "okex", "okx"])
def test_client_trusting_only_the_system_store_refuses_the_self_signed_certificate(name: str) -> None:
    _, _, client_class, needs_credentials, call = CASES[name]
    with _emulator(name) as emu:
        kwargs: dict[str, Any] = dict(emu.client_kwargs())
        if needs_credentials:
            kwargs["credentials"] = emu.credentials
        with client_class(**kwargs, ssl_context=ssl.create_default_context(), reconnect=False) as client:
            with pytest.raises(ConnectError) as caught:
                call(client)
        chain: list[BaseException] = []
        error: BaseException | None = caught.value
        while error is not None:
            chain.append(error)
            error = error.__cause__ or error.__context__
        assert any(isinstance(e, ssl.SSLCertVerificationError) for e in chain), chain
        assert emu.connections_accepted == 0


def test_kraken_private_side_works_with_tls_its_token_endpoint_staying_plain_http() -> None:
    with KrakenEmulator(seed=1, push_interval=None, tls=True) as emu:
        kwargs = emu.client_kwargs()
        assert kwargs["rest_url"] == f"http://127.0.0.1:{emu.port}"  # plain HTTP beside wss://
        with KrakenClient(**kwargs, credentials=emu.credentials, ssl_context=emu.ssl_context()) as client:
            token = client.get_websocket_token()  # plain HTTP POST to the TLS port
            orders = client.shared.subscribe_to_order_updates()  # over wss:// /auth
            placed = client.shared.place_order("BTC/USD", Side.BUY, OrderType.LIMIT, Decimal("0.01"),
                                             price=Decimal("1000"))
            event = orders.get(timeout(5))
        assert token.token
        assert placed.order_id and event is not None
        assert emu.connections_accepted >= 1


def test_plain_emulator_has_no_ssl_context_and_keeps_ws_urls() -> None:
    with OkexEmulator(push_interval=None) as emu:
        assert emu.url.startswith("ws://")
        with pytest.raises(InvalidState):
            emu.ssl_context()
    with pytest.raises(InvalidState):
        OkexEmulator(tls=True).ssl_context()  # not started: no certificate yet
