"""The engine's lifecycle guarantees: readers that never die, close() that stops a
connect in progress, a request after a timeout that waits for the new connection,
clients that are collected when dropped, and the declared contract between layers.
"""

from __future__ import annotations

import gc
import json
import socket
import threading
import time
import warnings
import weakref
from collections.abc import Iterator

import pytest

from exwire import KrakenClient
from exwire._core.protocol import Protocol
from exwire._core.transport import Transport
from exwire.errors import ConnectionClosed, InvalidState, RequestTimeout
from exwire.models import ConnectionState
from tests._core.fake import FakeClient, FakeServer, update
from tests.conftest import timeout
from tests.helpers import Collector, silent_endpoint, wait_until


@pytest.fixture
def server() -> FakeServer:
    return FakeServer()


def _exwire_threads() -> list[threading.Thread]:
    """The client threads (emulators' own threads excluded)."""
    return [t for t in threading.enumerate() if t.name.startswith("exwire-") and "emulator" not in t.name]


# -- readers never die -------------------------------------------------------------------


def test_a_reply_with_an_unhashable_key_does_not_kill_the_reader(server):
    with FakeClient(server) as client:
        assert client.echo(1) == 1
        server.peer().push(json.dumps({"id": {"x": 1}, "ok": 1}))
        assert client.echo(2, timeout=timeout(2)) == 2  # the reader is still reading
        assert client.health()["connections"]["main"]["state"] == "open"


def test_a_reader_that_fails_is_reported_and_replaced(server):
    events = Collector()
    with FakeClient(server, on_connection_event=events) as client:
        assert client.echo(1) == 1
        connection = client.main
        original = connection._complete
        failures = []

        def broken(reply):
            if not failures:
                failures.append(reply)
                raise RuntimeError("an engine bug")
            original(reply)

        connection._complete = broken  # type: ignore[method-assign]
        with pytest.raises(ConnectionClosed):
            client.echo(2, timeout=timeout(2))
        wait_until(lambda: any(e.state is ConnectionState.RESTORED for e in events.events))
        lost = [e for e in events.events if e.state is ConnectionState.LOST]
        assert lost and "engine bug" in str(lost[0].error)
        assert connection.readers_replaced == 1
        assert client.echo(3, timeout=timeout(2)) == 3


def test_a_listener_that_raises_never_stops_the_reader(server):
    with FakeClient(server) as client:
        seen = Collector()
        client.subscribe(["k"], seen)
        original = client._updates
        calls = []

        def flaky(burst):
            calls.append(len(burst))
            if len(calls) == 1:
                raise RuntimeError("listener bug")
            return original(burst)

        client._updates = flaky  # type: ignore[method-assign]
        peer = server.peer()
        peer.push(update("k", 1))
        wait_until(lambda: calls)
        peer.push(update("k", 2))
        assert [e.data for e in seen.wait_for(1)] == [2]


# -- close() stops a connect in progress ----------------------------------------------------


@pytest.fixture
def endpoint() -> Iterator[tuple[str, list[socket.socket]]]:
    """A TCP endpoint that accepts connections and never answers the handshake."""
    with silent_endpoint("/") as opened:
        yield opened


def test_close_stops_a_connect_in_progress(endpoint):
    url, accepted = endpoint
    client = KrakenClient(url=url, request_timeout=timeout(20))
    errors: list[BaseException] = []
    finished = threading.Event()

    def call() -> None:
        try:
            client.ping()
        except BaseException as exc:
            errors.append(exc)
        finally:
            finished.set()

    caller = threading.Thread(target=call, name="test-caller")
    caller.start()
    wait_until(lambda: accepted)  # the handshake is under way
    started = time.monotonic()
    client.close()
    assert time.monotonic() - started < timeout(3)  # was: the full connect timeout (10 s)
    assert finished.wait(timeout(3))
    caller.join(timeout(5))
    assert len(errors) == 1 and isinstance(errors[0], ConnectionClosed), errors


def test_close_wakes_a_call_waiting_for_a_reconnect(server):
    with FakeClient(server, reconnect=True) as client:
        assert client.echo(1) == 1
        server.network.refuse_next(1000)  # every reconnect attempt fails
        server.peer().drop()
        wait_until(lambda: not client.main.is_ready)
        errors: list[BaseException] = []
        done = threading.Event()

        def call() -> None:
            try:
                client.echo(2, timeout=timeout(30))
            except BaseException as exc:
                errors.append(exc)
            done.set()

        thread = threading.Thread(target=call, name="test-waiter")
        thread.start()
        started = time.monotonic()
        client.close()
        assert done.wait(timeout(3)) and time.monotonic() - started < timeout(3)
        thread.join(timeout(5))
        assert isinstance(errors[0], (ConnectionClosed, InvalidState))


# -- a timed-out request on an unkeyed protocol replaces the connection, and the next waits --------


class _FifoProtocolClient(FakeClient):
    """A FakeClient whose protocol says a timed-out request makes the connection untrustworthy."""

    def __init__(self, server: FakeServer, **options: object) -> None:
        super().__init__(server, **options)
        self.main.protocol.abandoned = lambda key: True  # type: ignore[method-assign]


def test_the_first_request_after_a_timeout_waits_for_the_replacement_connection(server):
    with _FifoProtocolClient(server) as client:
        assert client.echo(1) == 1
        server.withhold = True
        with pytest.raises(RequestTimeout):
            client.echo(2, timeout=0.2)
        server.withhold = False
        # Was: ConnectionClosed("send failed: not open") at once, on the dying connection.
        assert client.echo(3, timeout=timeout(5)) == 3
        assert client.main.reconnects == 1


def test_okex_the_first_request_after_a_timeout_succeeds():
    from exwire import OkexClient
    from exwire._core.backoff import backoff
    from exwire.testing import OkexEmulator

    with OkexEmulator(push_interval=None) as emulator:
        with OkexClient(
            **emulator.client_kwargs(), credentials=emulator.credentials, request_timeout=timeout(5),
            backoff_factory=lambda: backoff(initial=0.02, maximum=0.2),
        ) as okex:
            okex.get_user_info()
            for attempt in range(3):
                emulator.withhold_next_reply("ok_spot_userinfo")
                with pytest.raises(RequestTimeout):
                    okex.get_user_info(timeout=0.3)
                okex.get_user_info()  # at once, no wait for RESTORED: was ConnectionClosed


def test_okx_the_first_request_after_a_timeout_succeeds():
    """OKX correlates by id: a timed-out operation keeps the connection, and the next one
    is answered at once."""
    from exwire._core.backoff import backoff
    from exwire.okx import OkxClient
    from exwire.testing.okx import OkxEmulator

    with OkxEmulator(push_interval=None) as emulator:
        code = emulator.instrument_code("BTC-USDT")
        unknown = [{"symbol": "BTC-USDT", "order_id": "1", "symbol_code": code}]
        with OkxClient(**emulator.client_kwargs(), credentials=emulator.credentials, request_timeout=timeout(5),
                       backoff_factory=lambda: backoff(initial=0.02, maximum=0.2)) as okx:
            assert okx.cancel_multiple_orders(unknown)[0].error is not None  # answered: no such order
            for attempt in range(3):
                emulator.withhold_next_reply("batch-cancel-orders")
                with pytest.raises(RequestTimeout):
                    okx.cancel_multiple_orders(unknown, timeout=0.3)
                assert len(okx.cancel_multiple_orders(unknown)) == 1
            assert len(emulator.requests("batch-cancel-orders")) == 7  # none resent


# -- a client dropped without close() is collected -------------------------------------------------


def test_a_dropped_client_is_collected_stops_its_threads_and_warns(server):
    client = FakeClient(server)
    client.subscribe(["k"], lambda event: None)
    assert client.echo(1) == 1
    assert _exwire_threads()
    ref = weakref.ref(client)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        del client
        gc.collect()
        assert ref() is None
    assert any(issubclass(w.category, ResourceWarning) and "unclosed FakeClient" in str(w.message) for w in caught)
    wait_until(lambda: not _exwire_threads())


def test_a_dropped_kraken_client_with_a_live_connection_is_collected():
    from exwire.testing import KrakenEmulator

    with KrakenEmulator() as emulator:
        client = KrakenClient(**emulator.client_kwargs())
        client.ping()
        client.subscribe_to_ticker_updates("XBT/USD", lambda event: None)
        ref = weakref.ref(client)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            del client
            gc.collect()
        assert ref() is None
        assert any(issubclass(w.category, ResourceWarning) for w in caught)
        wait_until(lambda: not _exwire_threads())


def test_a_closed_client_does_not_warn(server):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with FakeClient(server) as client:
            client.echo(1)
        del client
        gc.collect()
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]


# -- the declared contract ---------------------------------------------------------------------------


def test_the_contract_has_defaults_for_every_optional_method():
    from exwire._core.connection import ConnectionListener

    transport = Transport()
    assert transport.frame_ready() is False
    assert transport.take_buffered() is None
    assert transport.ping() is False
    assert transport.last_activity == 0.0
    protocol = Protocol()
    assert protocol.ping_frame() is None
    protocol.connection_made()
    protocol.connection_lost(ConnectionClosed("x"))
    protocol.sent(1, "frame")
    assert protocol.abandoned(1) is False
    listener = ConnectionListener()
    assert listener.updates([]) == 0.0


def test_the_policy_is_one_frozen_record_with_a_detection_bound():
    from exwire._core.connection import ConnectionPolicy

    policy = ConnectionPolicy(ping_interval=10, pong_timeout=10)
    with pytest.raises(AttributeError):
        policy.ping_interval = 5  # type: ignore[misc]
    assert policy.detection_bound(application_ping=True) == pytest.approx(10 + 10 + 2 * policy.tick)
    assert policy.detection_bound(application_ping=False) is None
    assert ConnectionPolicy(ping_interval=10, stale_timeout=25).detection_bound(False) == pytest.approx(25.5)
    with pytest.raises(ValueError):
        ConnectionPolicy(ping_interval=float("nan"))


def test_the_protocol_hears_of_every_lifecycle_step_in_wire_order(server):
    calls: list[tuple[str, object]] = []
    with FakeClient(server) as client:
        protocol = client.main.protocol
        protocol.connection_made = lambda: calls.append(("made", None))  # type: ignore[method-assign]
        protocol.connection_lost = lambda error: calls.append(("lost", type(error).__name__))  # type: ignore[method-assign]
        protocol.sent = lambda key, frame: calls.append(("sent", key))  # type: ignore[method-assign]
        protocol.abandoned = lambda key: calls.append(("abandoned", key)) or False  # type: ignore[method-assign]
        assert client.echo("a") == "a"
        server.withhold = True
        with pytest.raises(RequestTimeout):
            client.echo("b", timeout=0.1)
        server.withhold = False
        server.peer().drop()
        wait_until(lambda: calls.count(("made", None)) == 2 and client.main.is_ready)
    kinds = [kind for kind, _ in calls]
    assert kinds[:4] == ["made", "sent", "sent", "abandoned"]  # open, echo a, echo b, b timed out
    assert calls[3][1] == calls[2][1]
    assert "lost" in kinds and kinds.index("lost") < kinds.index("made", 1)
