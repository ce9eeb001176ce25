"""Connection-level behaviour against BinanceEmulator: log-on, reconnects, clock, server shutdown."""

from __future__ import annotations

import threading

import pytest

from exwire.binance import BinanceClient
from exwire.binance import models as m
from exwire.binance.enums import ExecutionType
from exwire.errors import AuthenticationError, ConnectError
from exwire.models import ConnectionState
from exwire.testing.binance import BinanceEmulator
from tests.binance.test_client import fast_backoff, next_event
from tests.conftest import timeout
from tests.helpers import Collector, wait_until


@pytest.fixture
def emulator():
    with BinanceEmulator(seed=3) as emu:
        yield emu


class Restored:
    """on_connection_event hook: counts RESTORED events, lets a test wait for the next one."""

    def __init__(self) -> None:
        self.count = 0
        self._cond = threading.Condition()

    def __call__(self, event) -> None:
        if event.state is ConnectionState.RESTORED:
            with self._cond:
                self.count += 1
                self._cond.notify_all()

    def wait(self, count: int) -> None:
        with self._cond:
            assert self._cond.wait_for(lambda: self.count >= count, timeout(10)), "connection not restored"


def _client(emulator, credentials, restored=None, **options):
    return BinanceClient(credentials=credentials, backoff_factory=fast_backoff, on_connection_event=restored,
                         request_timeout=timeout(5), **emulator.client_kwargs(), **options)


def test_ed25519_session_logs_on_and_requests_carry_no_signature(emulator):
    credentials = emulator.add_account("ed25519")
    with _client(emulator, credentials) as client:
        status = client.get_spot_session_status()
        assert status.api_key == credentials.key and status.authorized_since is not None
        assert emulator.logons == 1
        client.get_spot_account_information()
        method, params = emulator.requests[-1]
        assert method == "account.status" and "signature" not in params and "apiKey" not in params
        assert "timestamp" in params


def test_ed25519_session_logs_on_again_after_a_drop_and_resubscribes(emulator):
    credentials = emulator.add_account("ed25519")
    restored = Restored()
    events = Collector()
    with _client(emulator, credentials, restored) as client:
        subscription = client.subscribe_to_user_data_updates(events)
        assert emulator.requests[-1][0] == "userDataStream.subscribe"
        emulator.drop_connections()
        restored.wait(1)
        assert emulator.logons == 2
        assert client.get_spot_session_status().api_key == credentials.key
        emulator.deposit(credentials, "USDT", "5")
        received = events.wait_for(2)
        assert isinstance(received[0].data, m.BalanceUpdate) and received[0].topic == "userData"
        assert isinstance(received[1].data, m.AccountPosition)
        assert subscription.active


@pytest.mark.parametrize("key_type", ["hmac", "rsa"])
def test_signature_keys_sign_each_request_and_resubscribe_after_a_drop(emulator, key_type):
    credentials = emulator.add_account(key_type)
    restored = Restored()
    with _client(emulator, credentials, restored) as client:
        with client.subscribe_to_user_data_updates() as events:
            assert emulator.requests[-1][0] == "userDataStream.subscribe.signature"
            emulator.drop_connections()
            restored.wait(1)
            assert emulator.logons == 0
            order = client.submit_new_spot_order("BTCUSDT", "BUY", "MARKET", quantity="0.001")
            assert "signature" in emulator.requests[-1][1]
            report = next_event(events, m.ExecutionReport)
            assert report.order_id == order.order_id and report.execution_type is ExecutionType.NEW


def test_refused_logon_fails_the_first_connect(emulator):
    credentials = emulator.add_account("ed25519")
    emulator.fail_next("session.logon", -1022, "Signature for this request is not valid.")
    with _client(emulator, credentials) as client:
        with pytest.raises(ConnectError) as error:
            client.get_spot_server_time()
        assert isinstance(error.value.__cause__, AuthenticationError)
        assert client.get_spot_server_time()  # the next call connects afresh


def test_skewed_server_clock_is_synchronised_on_connect(emulator):
    emulator.time_offset_ms = -30_000  # the server is 30 s behind this machine
    credentials = emulator.add_account("hmac")
    with _client(emulator, credentials) as client:
        assert client.get_spot_account_information().can_trade
        assert -31_000 < client.time_offset_ms < -29_000
    with _client(emulator, credentials, sync_time=False) as client:
        with pytest.raises(AuthenticationError) as error:
            client.get_spot_account_information()
        assert error.value.code == -1021
        client.set_time_offset_ms(-30_000)
        assert client.get_spot_account_information().can_trade


def test_clock_jump_after_connect_is_resynchronised_and_the_request_retried_once(emulator):
    credentials = emulator.add_account("hmac")
    with _client(emulator, credentials) as client:
        client.get_spot_account_information()
        emulator.time_offset_ms = 45_000  # the server clock jumps ahead
        order = client.submit_new_spot_order("BTCUSDT", "BUY", "MARKET", quantity="0.001")
        assert order.status.value == "FILLED"
        assert 44_000 < client.time_offset_ms < 46_000
        placed = [method for method, _ in emulator.requests if method == "order.place"]
        assert len(placed) == 1  # one order, placed by the retry


def test_server_shutdown_makes_the_client_reconnect_and_resubscribe(emulator):
    credentials = emulator.add_account("hmac")
    restored = Restored()
    events = Collector()
    with _client(emulator, credentials, restored) as client:
        client.subscribe_to_user_data_updates(events)
        first = emulator.connections_accepted
        assert emulator.send_server_shutdown() == 1
        restored.wait(1)
        assert emulator.connections_accepted == first + 1
        wait_until(lambda: len(emulator.connections) == 1)
        emulator.deposit(credentials, "BTC", "1")
        assert isinstance(events.wait_for(1)[0].data, m.BalanceUpdate)


def test_unsubscribe_stops_the_stream_on_the_server(emulator):
    credentials = emulator.add_account("hmac")
    with _client(emulator, credentials) as client:
        subscription = client.subscribe_to_user_data_updates()
        assert client.get_spot_session_status().user_data_stream is True
        subscription.unsubscribe()
        assert emulator.requests[-1][0] == "userDataStream.unsubscribe"
        assert client.get_spot_session_status().user_data_stream is False
        resubscribed = client.subscribe_to_user_data_updates()  # a fresh subscription works
        emulator.deposit(credentials, "BTC", "1")
        assert isinstance(resubscribed.get(timeout(5)).data, m.BalanceUpdate)


def test_keepalive_pings_detect_a_stalled_connection(emulator):
    restored = Restored()
    with BinanceClient(ping_interval=0.05, pong_timeout=timeout(0.5), backoff_factory=fast_backoff,
                       on_connection_event=restored, **emulator.client_kwargs()) as client:
        client.get_spot_server_time()
        wait_until(lambda: any(method == "ping" for method, _ in emulator.requests))
        emulator.stall()
        restored.wait(1)
        assert client.get_spot_server_time()


def test_return_rate_limits_false_in_the_url_hides_them(emulator):
    with BinanceClient(url=emulator.spot_url + "?returnRateLimits=false") as client:
        client.get_spot_server_time()
        assert client.rate_limits == ()


def test_server_ping_frames_are_answered_while_idle(emulator):
    with BinanceClient(**emulator.client_kwargs()) as client:
        client.get_spot_server_time()
        assert emulator.ping_clients(timeout(5)) == 1
        assert client.get_spot_server_time()
