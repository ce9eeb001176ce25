"""Every client notices a half-open connection (one that stops delivering without closing)
and reconnects.

Two halves. With default settings every connection of every client is bounded: its
``ConnectionPolicy.detection_bound`` is at most 30 s. Then the same mechanisms, with
their intervals scaled down, are run for real: each client talks to its emulator
through a :class:`~tests.faultproxy.FaultProxy` relay, the relay stalls (both sockets
stay open, nothing more crosses), and the connection must report ``LOST`` and
``RESTORED`` (through the relay again) and carry traffic once more. Binance futures
are kept alive by WebSocket ping frames (no application ping) and Coinsuper by MQTT
PINGREQ/PINGRESP: both are covered explicitly.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest

from exwire import CoinexClient, KrakenClient, OkexClient
from exwire._core.backoff import backoff
from exwire._core.client import BaseClient
from exwire._core.connection import Connection
from exwire.binance import BinanceClient, FuturesMarket
from exwire.coinsuper import CoinsuperClient
from exwire.coinsuper.signing import public_login
from exwire.coinsuper.transport import MqttTransport
from exwire.models import ConnectionEvent, ConnectionState
from exwire.okx import OkxClient
from exwire.testing import KrakenEmulator
from exwire.testing.binance import BinanceEmulator
from exwire.testing.coinex import CoinexEmulator
from exwire.testing.coinsuper import CoinsuperEmulator
from exwire.testing.okex import OkexEmulator
from exwire.testing.okx import OkxEmulator
from tests.conftest import timeout
from tests.faultproxy import FaultProxy
from tests.helpers import Collector, wait_until

#: The target: a half-open connection is noticed within this many seconds by default.
BOUND = 30.0

#: The scaled keep-alive of the functional tests, seconds: ping after PING of quiet,
#: the answer (or any byte) wanted within PONG.
PING = timeout(0.3)
PONG = timeout(0.6)


def _fast_backoff() -> Iterator[float]:
    return backoff(initial=0.02, maximum=0.1)


class Events:
    """An ``on_connection_event`` hook that lets a test wait for a state of a connection."""

    def __init__(self) -> None:
        self.events: list[ConnectionEvent] = []
        self._changed = threading.Condition()

    def __call__(self, event: ConnectionEvent) -> None:
        with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    def count(self, state: ConnectionState, connection: str) -> int:
        with self._changed:
            return sum(1 for e in self.events if e.state is state and e.connection == connection)

    def wait(self, state: ConnectionState, connection: str, after: int, seconds: float) -> ConnectionEvent:
        """The first ``state`` event of ``connection`` after the first ``after`` such events."""
        def found() -> list[ConnectionEvent]:
            return [e for e in self.events if e.state is state and e.connection == connection][after:]

        with self._changed:
            ok = self._changed.wait_for(lambda: bool(found()), timeout(seconds))
            assert ok, f"no {state.value} of {connection} within {timeout(seconds)} s: {self.events}"
            return found()[0]


def _stall_and_recover(relay: FaultProxy, events: Events, names: list[str], reason: str | None = None) -> None:
    """Stall the relay; every connection in ``names`` must be LOST (with ``reason`` in
    its error, if given) and RESTORED through the relay again."""
    lost = {name: events.count(ConnectionState.LOST, name) for name in names}
    restored = {name: events.count(ConnectionState.RESTORED, name) for name in names}
    accepted = relay.accepted
    assert relay.stall() == len(names)
    started = time.monotonic()
    for name in names:
        event = events.wait(ConnectionState.LOST, name, lost[name], 5)
        if reason is not None:
            assert reason in str(event.error), event.error
    noticed = time.monotonic() - started
    for name in names:
        events.wait(ConnectionState.RESTORED, name, restored[name], 10)
    assert relay.accepted >= accepted + len(names)  # the new connections went through the relay
    assert noticed < timeout(5)


# -- default settings: every connection is bounded ---------------------------------------------


def _bounds(client: BaseClient) -> dict[str, float | None]:
    connections: dict[str, Connection] = dict(client._connections)
    return {
        name: connection.policy.detection_bound(connection.protocol.ping_frame() is not None)
        for name, connection in connections.items()
    }


@pytest.mark.parametrize(
    ("make", "names"),
    [
        (KrakenClient, {"public", "private"}),
        (BinanceClient, {"spot", "usdm", "coinm"}),
        (CoinexClient, {"spot"}),
        (OkexClient, {"spot"}),
        (OkxClient, {"public", "private", "business"}),
    ],
    ids=["kraken", "binance", "coinex", "okex", "okx"],
)
def test_default_keepalive_notices_a_half_open_connection_within_30_s(
    make: Callable[[], BaseClient], names: set[str]
) -> None:
    with make() as client:  # the constructors do no I/O
        bounds = _bounds(client)
    assert set(bounds) == names
    for name, bound in bounds.items():
        assert bound is not None and bound <= BOUND, (name, bound)


def test_binance_futures_keepalive_is_websocket_ping_frames() -> None:
    with BinanceClient() as client:
        connections = dict(client._connections)
    assert connections["spot"].protocol.ping_frame() is not None
    for name in ("usdm", "coinm"):
        assert connections[name].protocol.ping_frame() is None  # the transport pings instead
        policy = connections[name].policy
        assert policy.ping_interval is not None and policy.stale_timeout is not None
        assert policy.ping_interval < policy.stale_timeout  # a pong lands before the deadline


def test_default_coinsuper_connections_are_bounded() -> None:
    """Coinsuper opens its connections on demand: open a public and the private one."""
    with CoinsuperEmulator(push_interval=0.05) as emulator:
        with CoinsuperClient(url=emulator.client_kwargs()["url"], credentials=emulator.credentials,
                             request_timeout=timeout(5)) as client:
            assert client.keepalive_interval <= 10
            client.subscribe_to_market_depth_updates("BTC/USD")
            client.subscribe_to_order_updates()
            bounds = _bounds(client)
    assert len(bounds) == 2 and "private" in bounds
    for name, bound in bounds.items():
        assert bound is not None and bound <= BOUND, (name, bound)


# -- the mechanisms, scaled, through a relay that stalls ---------------------------------------


def test_kraken_notices_a_stall_by_its_pong_deadline() -> None:
    events = Events()
    with KrakenEmulator(seed=7, push_interval=0.02, heartbeat_interval=0.2) as emulator:
        urls = emulator.client_kwargs()
        with FaultProxy.before(urls["url"]) as relay, KrakenClient(
            url=relay.url(urls["url"]), private_url=relay.url(urls["private_url"]), rest_url=urls["rest_url"],
            credentials=emulator.credentials, ping_interval=PING, pong_timeout=PONG, stale_timeout=None,
            backoff_factory=_fast_backoff, request_timeout=timeout(5), on_connection_event=events,
        ) as client:
            ticks, orders = Collector(), Collector()
            client.subscribe_to_ticker_updates("XBT/USD", ticks)
            client.subscribe_to_order_updates(orders)
            ticks.wait_for(1)
            _stall_and_recover(relay, events, ["public", "private"], reason="no pong")
            ticks.wait_for(len(ticks.events) + 2)
            assert client.ping() > 0
            assert orders.events  # the private stream was resubscribed (its snapshot came)


def test_binance_spot_notices_a_stall_by_its_ping_request() -> None:
    events = Events()
    with BinanceEmulator(seed=5, ping_scale=None) as emulator:
        url = emulator.client_kwargs()["url"]
        with FaultProxy.before(url) as relay, BinanceClient(
            url=relay.url(url), ping_interval=PING, pong_timeout=PONG, backoff_factory=_fast_backoff,
            request_timeout=timeout(5), on_connection_event=events,
        ) as client:
            client.get_spot_server_time()
            wait_until(lambda: any(m == "ping" for m, _ in emulator.requests_by_product["spot"]))
            _stall_and_recover(relay, events, ["spot"], reason="no pong")
            assert client.get_spot_server_time().year >= 2020


@pytest.mark.parametrize("market", [FuturesMarket.USDM, FuturesMarket.COINM], ids=["usdm", "coinm"])
def test_binance_futures_notice_a_stall_by_websocket_ping_frames(market: FuturesMarket) -> None:
    events = Events()
    name = market.value
    with BinanceEmulator(seed=5, ping_scale=None) as emulator:  # no server pings: only ours
        credentials = emulator.add_account("hmac")  # COIN-M has no public method
        urls = emulator.client_kwargs()  # both futures endpoints share the emulator's port
        with FaultProxy.before(urls["usdm_futures_url"]) as relay, BinanceClient(
            usdm_futures_url=relay.url(urls["usdm_futures_url"]),
            coinm_futures_url=relay.url(urls["coinm_futures_url"]), credentials=credentials, futures_ping_interval=PING,
            futures_pong_timeout=PONG - PING, backoff_factory=_fast_backoff, request_timeout=timeout(5),
            on_connection_event=events,
        ) as client:
            assert client.get_futures_account_status(market).can_trade
            connection: Connection = client._connections[name]
            requests = len(emulator.requests_by_product[name])
            # Healthy and quiet for several deadlines: only the pongs to our ping frames
            # kept it alive (no frame arrived, no keep-alive request went out).
            wait_until(lambda: (connection.seconds_since_last_frame() or 0.0) > 3 * PONG, 10)
            assert events.count(ConnectionState.LOST, name) == 0 and relay.accepted == 1
            assert len(emulator.requests_by_product[name]) == requests
            _stall_and_recover(relay, events, [name], reason="stalled")
            assert client.get_futures_account_status(market).can_trade


def test_coinex_notices_a_stall_by_its_server_ping() -> None:
    events = Events()
    with CoinexEmulator(seed=7, push_interval=0.05) as emulator:
        url = emulator.client_kwargs()["url"]
        with FaultProxy.before(url) as relay, CoinexClient(
            url=relay.url(url), ping_interval=PING, pong_timeout=PONG, backoff_factory=_fast_backoff,
            request_timeout=timeout(5), on_connection_event=events,
        ) as client:
            ticks = Collector()
            client.subscribe_to_ticker_updates("BTCUSDT", ticks)
            ticks.wait_for(1)
            _stall_and_recover(relay, events, ["spot"], reason="no pong")
            ticks.wait_for(len(ticks.events) + 2)


def test_okex_notices_a_stall_by_its_ping_event() -> None:
    events = Events()
    with OkexEmulator(push_interval=0.02) as emulator:
        url = emulator.client_kwargs()["url"]
        with FaultProxy.before(url) as relay, OkexClient(
            url=relay.url(url), ping_interval=PING, pong_timeout=PONG, backoff_factory=_fast_backoff,
            request_timeout=timeout(5), on_connection_event=events,
        ) as client:
            ticks = Collector()
            client.subscribe_to_ticker_updates("btc_usdt", ticks)
            ticks.wait_for(1)
            _stall_and_recover(relay, events, ["spot"], reason="no pong")
            ticks.wait_for(len(ticks.events) + 2)


def test_coinsuper_notices_a_stall_by_its_pingresp_deadline() -> None:
    events = Events()
    with CoinsuperEmulator(push_interval=0.05) as emulator:
        url = emulator.client_kwargs()["url"]
        with FaultProxy.before(url) as relay, CoinsuperClient(
            url=relay.url(url), credentials=emulator.credentials, keepalive_interval=1,  # the least MQTT allows
            backoff_factory=_fast_backoff, request_timeout=timeout(5), on_connection_event=events,
        ) as client:
            depth, orders = Collector(), Collector()
            client.subscribe_to_market_depth_updates("BTC/USD", depth)
            client.subscribe_to_order_updates(orders)
            depth.wait_for(1)
            names = sorted(client._connections)
            _stall_and_recover(relay, events, names, reason="keep-alive timeout")
            depth.wait_for(len(depth.events) + 2)


def test_mqtt_pingresp_counts_as_activity_on_a_quiet_session() -> None:
    """Without subscriptions the only packets read are PINGRESPs: they stamp last_activity."""
    with CoinsuperEmulator(push_interval=0.05) as emulator:
        transport = MqttTransport(lambda: public_login(emulator.credentials, "full-topic"), keepalive_interval=1)
        transport.open(emulator.client_kwargs()["url"], timeout(5))
        try:
            opened = transport.last_activity
            assert opened > 0  # the CONNACK
            assert transport.ping() is False  # paho's keep-alive timer sends the PINGREQs
            deadline = time.monotonic() + timeout(5)
            while transport.last_activity < opened + 1.0:  # a PINGRESP after about a second
                assert transport.recv(0.1) is None  # no frame: nothing is subscribed
                assert time.monotonic() < deadline, "no PINGRESP"
        finally:
            transport.close()


def test_okx_notices_a_stall_by_its_text_ping() -> None:
    """OKX's keep-alive is the text ``ping``: with the relay stalled no ``pong`` comes, and
    both open connections (public, private logged in) reconnect and resubscribe."""
    events = Events()
    with OkxEmulator(seed=7, push_interval=0.02) as emulator:
        urls = emulator.client_kwargs()
        with FaultProxy.before(urls["url"]) as relay, OkxClient(
            url=relay.url(urls["url"]), private_url=relay.url(urls["private_url"]),
            business_url=relay.url(urls["business_url"]), credentials=emulator.credentials,
            ping_interval=PING, pong_timeout=PONG, backoff_factory=_fast_backoff, request_timeout=timeout(5),
            on_connection_event=events,
        ) as client:
            ticks, balances = Collector(), Collector()
            client.subscribe_to_ticker_updates("BTC-USDT", ticks)
            client.subscribe_to_account_updates(None, False, balances)  # a snapshot on each subscribe
            ticks.wait_for(1)
            balances.wait_for(1)
            _stall_and_recover(relay, events, ["private", "public"], reason="no pong")
            ticks.wait_for(len(ticks.events) + 2)
            balances.wait_for(2)  # logged in again and resubscribed: a second snapshot
            assert client.ping() > 0
