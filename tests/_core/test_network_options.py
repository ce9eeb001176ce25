"""ssl_context= and proxy= reach every connection: WebSocket, Kraken's REST token call, MQTT.

Everything runs on 127.0.0.1: a throw-away CA (tests.netsupport.TestCA), a TLS relay in
front of each exchange's emulator (the emulators speak plain ``ws://``) and a local
HTTP CONNECT proxy that records what it tunnelled.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple
from urllib.parse import quote

import pytest

from exwire import BinanceClient, CoinexClient, ConfigurationError, ConnectError, KrakenClient, OkexClient
from exwire._core.backoff import backoff
from exwire._core.netopts import NetworkOptions, parse_proxy, websocket_options
from exwire.coinsuper import CoinsuperClient
from exwire.okx import OkxClient
from exwire.testing import BinanceEmulator, CoinexEmulator, CoinsuperEmulator, KrakenEmulator, OkexEmulator
from exwire.testing.okx import OkxEmulator
from tests.conftest import timeout
from tests.netsupport import ConnectProxy, TestCA, TlsRelay, cause_chain

PROXY_CREDENTIALS = ("trader", "p@ss:w/rd")  # characters that must be percent-encoded


class Case(NamedTuple):
    """One client against its emulator: how to build both and one round trip."""

    name: str
    emulator: Callable[[], Any]
    client: Callable[..., Any]
    url_keys: tuple[str, ...]  # client_kwargs entries that are WebSocket URLs
    round_trip: Callable[[Any], object]
    credentials: bool = False


def _first_ticker(client: OkexClient) -> object:
    return client.subscribe_to_ticker_updates("btc_usdt").get(timeout(5))


def _okx_login_and_ticker(client: OkxClient) -> object:
    client.login(timeout=timeout(5))  # the private connection
    return client.subscribe_to_ticker_updates("BTC-USDT").get(timeout(5))  # the public one


def _first_depth(client: CoinsuperClient) -> object:
    return client.subscribe_to_market_depth_updates("BTC/USD").get(timeout(5))


CASES = [
    Case("kraken", lambda: KrakenEmulator(seed=1, push_interval=None), KrakenClient,
         ("url", "private_url"), lambda c: c.ping()),
    Case("binance", lambda: BinanceEmulator(seed=7), BinanceClient,
         ("url", "usdm_futures_url", "coinm_futures_url"), lambda c: c.get_spot_server_time()),
    Case("coinex", lambda: CoinexEmulator(seed=7, push_interval=0.05), CoinexClient,
         ("url",), lambda c: c.get_server_time()),
    Case("okex", lambda: OkexEmulator(push_interval=0.02), OkexClient, ("url",), _first_ticker,
         credentials=True),
    Case("coinsuper", lambda: CoinsuperEmulator(push_interval=0.05), CoinsuperClient, ("url",), _first_depth,
         credentials=True),
    Case("okx", lambda: OkxEmulator(push_interval=0.02), OkxClient, ("url", "private_url", "business_url"),
         _okx_login_and_ticker, credentials=True),
]
CASE_IDS = [case.name for case in CASES]


@pytest.fixture(params=CASES, ids=CASE_IDS)
def case(request: pytest.FixtureRequest) -> Case:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def emu(case: Case) -> Iterator[Any]:
    with case.emulator() as emulator:
        yield emulator


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> TestCA:
    return TestCA(tmp_path_factory.mktemp("ca"))


@pytest.fixture
def proxy() -> Iterator[ConnectProxy]:
    with ConnectProxy() as server:
        yield server


@pytest.fixture
def auth_proxy() -> Iterator[ConnectProxy]:
    with ConnectProxy(credentials=PROXY_CREDENTIALS) as server:
        yield server


def proxy_url(server: ConnectProxy, credentials: tuple[str, str] = PROXY_CREDENTIALS) -> str:
    user, password = (quote(part, safe="") for part in credentials)
    return f"http://{user}:{password}@127.0.0.1:{server.port}"


def client_kwargs(case: Case, emulator: Any, **options: Any) -> dict[str, Any]:
    kwargs: dict[str, Any] = dict(emulator.client_kwargs())
    if case.credentials:
        kwargs["credentials"] = emulator.credentials
    kwargs.setdefault("request_timeout", timeout(5))
    kwargs.setdefault("backoff_factory", lambda: backoff(0.02, 0.2))
    kwargs.update(options)
    return kwargs


def secured(case: Case, emulator: Any, relay: TlsRelay, **options: Any) -> dict[str, Any]:
    """The client's keywords with every URL pointed at ``relay`` (``wss://``, ``https://``)."""
    kwargs = client_kwargs(case, emulator, **options)
    for key in case.url_keys:
        kwargs[key] = relay.secure(kwargs[key])
    if "rest_url" in kwargs:
        kwargs["rest_url"] = f"https://127.0.0.1:{relay.port}"
    return kwargs


# -- translation into each library's terms (no I/O) ----------------------------------------


def test_websocket_options_pass_the_context_for_wss_only() -> None:
    context = ssl.create_default_context()
    options = NetworkOptions(ssl_context=context)
    assert websocket_options(options, "wss://example.com/ws") == {"sslopt": {"context": context}}
    assert websocket_options(options, "WSS://example.com/ws")["sslopt"]["context"] is context
    assert websocket_options(options, "ws://example.com/ws") == {}
    assert websocket_options(NetworkOptions(), "wss://example.com/ws") == {}


def test_websocket_options_name_the_proxy_and_its_decoded_credentials() -> None:
    options = NetworkOptions(proxy="http://trader:p%40ss%3Aw%2Frd@proxy.example:3128")
    result = websocket_options(options, "ws://example.com/")
    assert result["http_proxy_host"] == "proxy.example"
    assert result["http_proxy_port"] == 3128
    assert result["http_proxy_auth"] == PROXY_CREDENTIALS
    assert result["proxy_type"] == "http"
    assert "sslopt" not in result
    assert "http_proxy_auth" not in websocket_options(NetworkOptions(proxy="http://proxy.example"), "ws://x/")
    assert websocket_options(NetworkOptions(proxy="http://proxy.example"), "ws://x/")["http_proxy_port"] == 80


def test_parse_proxy_reads_host_port_and_credentials() -> None:
    address = parse_proxy("http://u:@[::1]:8080/")
    assert (address.host, address.port, address.auth) == ("::1", 8080, ("u", ""))
    assert parse_proxy("HTTP://10.0.0.1:1").auth is None


BAD_PROXIES = [
    "proxy.example:3128",  # no scheme
    "socks5://127.0.0.1:1080",  # SOCKS: websocket-client would need python-socks
    "https://127.0.0.1:3128",  # TLS to the proxy: not supported
    "http://",  # no host
    "http://127.0.0.1:99999",  # port out of range
    "http://127.0.0.1:http",  # port not a number
    "http://127.0.0.1:0",
    "http://:secret@127.0.0.1:3128",  # a password without a user name
    "http://127.0.0.1:3128/path",
    "http://127.0.0.1:3128?x=1",
]


@pytest.mark.parametrize("bad", BAD_PROXIES)
def test_a_malformed_proxy_is_refused_by_network_options(bad: str) -> None:
    with pytest.raises(ConfigurationError):
        NetworkOptions(proxy=bad)


def test_refusals_never_echo_the_proxy_password() -> None:
    with pytest.raises(ConfigurationError) as caught:
        NetworkOptions(proxy="socks5://trader:hunter2@127.0.0.1:1080")
    assert "hunter2" not in str(caught.value)
    assert "hunter2" not in repr(NetworkOptions(proxy="http://trader:hunter2@127.0.0.1:3128"))


@pytest.mark.parametrize("bad", ["socks5://127.0.0.1:1080", "http://127.0.0.1:99999", "127.0.0.1:3128"])
@pytest.mark.parametrize("client_class", [KrakenClient, BinanceClient, CoinexClient, OkexClient, CoinsuperClient,
                                                        OkxClient],
                         ids=CASE_IDS)
def test_every_client_refuses_a_malformed_proxy_at_construction(client_class: Any, bad: str) -> None:
    with pytest.raises(ConfigurationError):
        client_class(proxy=bad)


def test_other_bad_network_values_are_refused() -> None:
    with pytest.raises(ConfigurationError):
        NetworkOptions(ssl_context="not a context")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError):
        NetworkOptions(max_message_size=0)
    with pytest.raises(ConfigurationError):
        KrakenClient(proxy=3128)


# -- TLS with a caller's context -------------------------------------------------------------


def test_every_client_round_trips_over_tls_trusting_the_given_ca(case: Case, emu: Any, ca: TestCA) -> None:
    with TlsRelay(emu.port, ca.server_context()) as relay:
        with case.client(**secured(case, emu, relay, ssl_context=ca.client_context())) as client:
            assert client.network.ssl_context is not None
            case.round_trip(client)
        assert relay.handshakes >= 1


def test_every_client_fails_to_connect_to_an_untrusted_certificate(case: Case, emu: Any, ca: TestCA) -> None:
    with TlsRelay(emu.port, ca.server_context()) as relay:
        with case.client(**secured(case, emu, relay, request_timeout=timeout(2))) as client:
            with pytest.raises(ConnectError) as caught:
                case.round_trip(client)
        assert "CERTIFICATE_VERIFY_FAILED" in cause_chain(caught.value)
        assert relay.handshakes == 0


# -- the HTTP CONNECT proxy ------------------------------------------------------------------


def test_every_client_connects_through_the_proxy(
    case: Case, emu: Any, proxy: ConnectProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An explicit proxy= applies even to hosts the environment exempts.
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    with case.client(**client_kwargs(case, emu, proxy=proxy.url)) as client:
        case.round_trip(client)
    assert f"127.0.0.1:{emu.port}" in proxy.targets


def test_every_client_authenticates_to_the_proxy(case: Case, emu: Any, auth_proxy: ConnectProxy) -> None:
    with case.client(**client_kwargs(case, emu, proxy=proxy_url(auth_proxy))) as client:
        case.round_trip(client)
    assert f"127.0.0.1:{emu.port}" in auth_proxy.targets
    assert auth_proxy.refused == 0


def test_every_client_fails_to_connect_when_the_proxy_refuses_the_credentials(
    case: Case, emu: Any, auth_proxy: ConnectProxy
) -> None:
    wrong = proxy_url(auth_proxy, (PROXY_CREDENTIALS[0], "wrong"))
    with case.client(**client_kwargs(case, emu, proxy=wrong, request_timeout=timeout(2))) as client:
        with pytest.raises(ConnectError):
            case.round_trip(client)
    assert auth_proxy.refused >= 1 and not auth_proxy.targets


def test_every_client_tunnels_tls_through_the_proxy(
    case: Case, emu: Any, ca: TestCA, auth_proxy: ConnectProxy
) -> None:
    with TlsRelay(emu.port, ca.server_context()) as relay:
        options = secured(case, emu, relay, ssl_context=ca.client_context(), proxy=proxy_url(auth_proxy))
        with case.client(**options) as client:
            case.round_trip(client)
        assert relay.handshakes >= 1
    assert f"127.0.0.1:{relay.port}" in auth_proxy.targets


# -- Kraken's REST token call ------------------------------------------------------------------


@pytest.fixture
def kraken() -> Iterator[KrakenEmulator]:
    with KrakenEmulator(seed=3, push_interval=None) as emulator:
        yield emulator


def test_the_kraken_token_fetch_uses_the_context_and_the_proxy(
    kraken: KrakenEmulator, ca: TestCA, auth_proxy: ConnectProxy
) -> None:
    context = ca.client_context()
    trusted = context.cert_store_stats()["x509_ca"]
    with TlsRelay(kraken.port, ca.server_context()) as relay:
        options: dict[str, Any] = {**kraken.client_kwargs(), "rest_url": f"https://127.0.0.1:{relay.port}"}
        with KrakenClient(**options, credentials=kraken.credentials, request_timeout=timeout(5),
                          ssl_context=context, proxy=proxy_url(auth_proxy)) as client:
            token = client.get_websocket_token()
        assert token.token and relay.handshakes == 1
    assert auth_proxy.targets == [f"127.0.0.1:{relay.port}"]  # the WebSocket URLs were never opened
    # requests' certifi bundle was not loaded into the caller's context, nor its checks changed.
    assert context.cert_store_stats()["x509_ca"] == trusted
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname


def test_the_kraken_token_fetch_fails_on_an_untrusted_certificate(kraken: KrakenEmulator, ca: TestCA) -> None:
    with TlsRelay(kraken.port, ca.server_context()) as relay:
        options: dict[str, Any] = {**kraken.client_kwargs(), "rest_url": f"https://127.0.0.1:{relay.port}"}
        with KrakenClient(**options, credentials=kraken.credentials, request_timeout=timeout(5)) as client:
            with pytest.raises(ConnectError):
                client.get_websocket_token()


def test_kraken_private_calls_run_through_the_proxy_over_tls(
    kraken: KrakenEmulator, ca: TestCA, proxy: ConnectProxy
) -> None:
    # The token (REST) and the private WebSocket both go through the tunnel and the CA.
    with TlsRelay(kraken.port, ca.server_context()) as relay:
        kwargs: dict[str, Any] = {
            "url": relay.secure(kraken.client_kwargs()["url"]),
            "private_url": relay.secure(kraken.client_kwargs()["private_url"]),
            "rest_url": f"https://127.0.0.1:{relay.port}",
        }
        with KrakenClient(**kwargs, credentials=kraken.credentials, request_timeout=timeout(5),
                          ssl_context=ca.client_context(), proxy=proxy.url) as client:
            orders = client.subscribe_to_order_updates()  # returns once Kraken acknowledged it
            assert orders.active
        assert relay.handshakes >= 2
    assert len(proxy.targets) >= 2 and set(proxy.targets) == {f"127.0.0.1:{relay.port}"}


# -- Coinsuper's own TLS keywords ------------------------------------------------------------------


def test_coinsuper_takes_its_context_from_the_common_keyword(ca: TestCA) -> None:
    context = ca.client_context()
    client = CoinsuperClient(ssl_context=context)
    try:
        assert client.network.ssl_context is context
    finally:
        client.close()


def test_coinsuper_refuses_tls_insecure_with_a_context_that_checks_host_names(ca: TestCA) -> None:
    with pytest.raises(ConfigurationError):
        CoinsuperClient(ssl_context=ca.client_context(), tls_insecure=True)
    relaxed = ca.client_context()
    relaxed.check_hostname = False
    CoinsuperClient(ssl_context=relaxed, tls_insecure=True).close()
    CoinsuperClient(tls_insecure=True).close()


def test_coinsuper_tls_insecure_skips_only_the_host_name_check(ca: TestCA) -> None:
    # The relay listens on 127.0.0.2, an address the certificate (127.0.0.1, localhost) does not name.
    with (CoinsuperEmulator(push_interval=0.05) as emulator,
          TlsRelay(emulator.port, ca.server_context(), host="127.0.0.2") as relay):
        url = relay.secure(emulator.url)
        options: dict[str, Any] = {"credentials": emulator.credentials, "request_timeout": timeout(3),
                   "backoff_factory": lambda: backoff(0.02, 0.2)}
        relaxed = ca.client_context()
        relaxed.check_hostname = False
        with CoinsuperClient(url=url, ssl_context=relaxed, tls_insecure=True, **options) as client:
            assert _first_depth(client) is not None
        with CoinsuperClient(url=url, ssl_context=ca.client_context(), **options) as client:
            with pytest.raises(ConnectError):
                _first_depth(client)


def test_coinsuper_mqtt_over_tcp_tls_goes_through_the_proxy(ca: TestCA, auth_proxy: ConnectProxy) -> None:
    with CoinsuperEmulator(push_interval=0.05, tcp_tls=ca.server_context()) as emulator:
        with CoinsuperClient(url=emulator.tcp_url, credentials=emulator.credentials,
                             request_timeout=timeout(5), ssl_context=ca.client_context(),
                             proxy=proxy_url(auth_proxy)) as client:
            assert _first_depth(client) is not None
        assert auth_proxy.targets == [f"127.0.0.1:{emulator.tcp_port}"]
