"""Binance: in-flight requests on a drop, spot vs futures independence, secrets kept out of logs."""

from __future__ import annotations

import logging
import threading

import pytest

from exwire.binance import BinanceClient, FuturesMarket
from exwire.errors import ConnectionClosed
from exwire.models import ConnectionState
from exwire.testing.binance import BinanceEmulator
from tests.binance.test_client import fast_backoff
from tests.conftest import timeout
from tests.helpers import Collector, wait_until


@pytest.fixture
def emulator():
    with BinanceEmulator(seed=11, ping_scale=None) as emu:
        yield emu


def _answers(client) -> bool:
    """Whether a request goes through (False while the client is still noticing a drop)."""
    try:
        return client.get_spot_server_time() is not None
    except ConnectionClosed:
        return False


def _methods(emulator, product="spot"):
    return [method for method, _ in emulator.requests_by_product[product]]


def test_an_order_in_flight_when_the_connection_drops_fails_and_is_not_resent(emulator):
    credentials = emulator.add_account("hmac")
    with BinanceClient(credentials=credentials, backoff_factory=fast_backoff, request_timeout=timeout(10),
                       **emulator.client_kwargs()) as client:
        client.get_spot_server_time()
        emulator.withhold_replies(1, "order.place", product="spot")
        received = emulator.messages_received
        outcome = {}

        def place():
            try:
                client.submit_new_spot_order("BTCUSDT", "BUY", "LIMIT", time_in_force="GTC",
                                             price="10000", quantity="0.001")
            except Exception as exc:
                outcome["error"] = exc

        caller = threading.Thread(target=place)
        caller.start()
        wait_until(lambda: emulator.messages_received > received)  # the order reached the exchange
        emulator.drop_connections("spot")
        caller.join(timeout(10))
        assert isinstance(outcome.get("error"), ConnectionClosed)
        assert client.get_spot_server_time()  # reconnected
        wait_until(lambda: "time" in _methods(emulator)[-1:])
        # The withheld order was read but not recorded (withholding takes one request):
        # a resent order would be recorded, and would rest as an open order below market.
        assert "order.place" not in _methods(emulator)
        assert not client.get_spot_open_orders("BTCUSDT")


def test_dropping_usdm_does_not_disturb_spot(emulator):
    credentials = emulator.add_account("ed25519")
    events = Collector()
    with BinanceClient(credentials=credentials, backoff_factory=fast_backoff, on_connection_event=events,
                       request_timeout=timeout(10), **emulator.client_kwargs()) as client:
        updates = Collector()
        client.subscribe_to_user_data_updates(updates)
        client.get_futures_position_v2()
        spot_connections = emulator.connections_of("spot")
        assert emulator.drop_connections("usdm") == 1
        wait_until(lambda: any(e.state is ConnectionState.RESTORED and e.connection == "usdm" for e in events.events))
        assert emulator.connections_of("spot") == spot_connections
        assert not [e for e in events.events if e.connection == "spot" and e.state is not ConnectionState.CONNECTED]
        assert client.get_spot_server_time() and client.get_futures_position_v2() == []
        assert client.get_futures_account_status(FuturesMarket.USDM)


def test_secrets_never_reach_logs_reprs_or_errors(emulator, caplog):
    hmac = emulator.add_account("hmac")
    ed25519 = emulator.add_account("ed25519")
    secrets = [hmac.secret, ed25519.private_key]
    with caplog.at_level(logging.DEBUG):
        for credentials in (hmac, ed25519):
            with BinanceClient(credentials=credentials, backoff_factory=fast_backoff, request_timeout=timeout(10),
                               **emulator.client_kwargs()) as client:
                texts = [repr(client), repr(credentials), str(client.__dict__)]
                client.get_spot_account_information()
                emulator.fail_next("account.status", -1022, "Signature for this request is not valid.")
                try:
                    client.get_spot_account_information()
                except Exception as exc:
                    texts += [str(exc), repr(exc), str(getattr(exc, "raw", ""))]
                emulator.drop_connections()
                wait_until(lambda: _answers(client))
                client.get_spot_account_information()
    texts += [record.getMessage() for record in caplog.records]
    texts.append(caplog.text)
    for secret in secrets:
        lines = [line for line in secret.splitlines() if len(line) > 20 and "-----" not in line] or [secret]
        for text in texts:
            for line in lines:
                assert line not in text
