"""close() ends a Coinsuper connect in progress at once (the WebSocket/MQTT handshake of a silent broker)."""

from __future__ import annotations

import gc
import socket
import threading
import time
import warnings
from collections.abc import Iterator

import pytest

from exwire import CoinsuperClient, Credentials
from exwire.errors import ConnectionClosed
from tests.conftest import timeout
from tests.helpers import silent_endpoint, wait_until


@pytest.fixture
def silent_broker() -> Iterator[tuple[str, list[socket.socket]]]:
    """A TCP endpoint that accepts connections and never answers the handshake."""
    with silent_endpoint("/mqtt") as opened:
        yield opened


def test_paho_still_has_the_hook_the_abort_relies_on():
    import paho.mqtt.client as mqtt

    assert callable(getattr(mqtt.Client, "_create_socket_connection", None))


def test_close_during_the_handshake_returns_at_once_and_leaves_no_socket(silent_broker):
    url, accepted = silent_broker
    credentials = Credentials(key="zhangsan", email="demouser@demo.domain")
    client = CoinsuperClient(url=url, credentials=credentials, request_timeout=timeout(20))
    errors: list[BaseException] = []
    finished = threading.Event()

    def subscribe() -> None:
        try:
            client.subscribe_to_trade_updates("BTC/USD", lambda event: None)
        except BaseException as exc:
            errors.append(exc)
        finally:
            finished.set()

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        caller = threading.Thread(target=subscribe, name="test-subscriber")
        caller.start()
        wait_until(lambda: accepted)  # the handshake is under way
        started = time.monotonic()
        client.close()
        assert time.monotonic() - started < timeout(3)  # was: the full 10 s connect timeout
        assert finished.wait(timeout(3))
        caller.join(timeout(5))
        gc.collect()
    assert len(errors) == 1 and isinstance(errors[0], ConnectionClosed), errors
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)], [str(w.message) for w in caught]
