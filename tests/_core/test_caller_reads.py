"""A caller waiting for a reply reads it itself while the reader thread has nothing to do.

``Connection._lead``: on a pollable transport (every WebSocket client) the reader thread
waits for data holding nothing and reads holding the connection's read token; a caller
that finds the token free reads and processes frames itself for a short window, so its
reply reaches it without the hop from the reader thread. These tests pin what must not
change because of it: wire order across the two readers, the loss of the connection
seen by a caller, and nothing left buffered when the token passes.
"""

from __future__ import annotations

import select
import socket
import threading
from collections.abc import Callable

import pytest

from exwire._core.sockread import SerialisedReader
from exwire.binance import BinanceClient
from exwire.errors import ConnectionClosed, RequestTimeout
from exwire.kraken import KrakenClient
from exwire.models import ConnectionState
from exwire.testing.binance import BinanceEmulator
from exwire.testing.kraken import KrakenEmulator
from tests.conftest import timeout
from tests.helpers import wait_until


def _fast_backoff():
    while True:
        yield 0.02


def test_a_caller_reads_its_own_reply_on_a_quiet_connection() -> None:
    with BinanceEmulator(seed=1) as emulator, \
            BinanceClient(**emulator.client_kwargs(), request_timeout=timeout(5)) as client:
        for _ in range(50):
            assert client.get_spot_server_time() is not None
        connection = client._connections["spot"]
        # The reader thread may win the race for a reply now and then; never for all 50.
        assert connection.replies_read_by_caller > 0


def test_updates_read_by_callers_and_by_the_reader_stay_in_wire_order() -> None:
    """Kraken's book checksum covers every update in order: an update processed out of
    turn, or one left behind in a buffer when the token passed, fails a checksum."""
    with KrakenEmulator(seed=5, push_interval=0.002) as emulator, \
            KrakenClient(**emulator.client_kwargs(), request_timeout=timeout(5)) as client:
        watcher = client.watch_order_book("XBT/USD", depth=10)
        assert watcher.wait_synced(timeout(10))
        failures: list[BaseException] = []

        def ping_many() -> None:
            try:
                for _ in range(150):
                    client.ping()
            except BaseException as exc:  # recorded; the test fails on it below
                failures.append(exc)

        callers = [threading.Thread(target=ping_many, name=f"caller-{n}") for n in range(3)]
        for thread in callers:
            thread.start()
        for thread in callers:
            thread.join(timeout(60))
        assert not failures, failures
        applied = watcher.updates_applied
        wait_until(lambda: watcher.updates_applied > applied + 20)  # the stream goes on
        assert watcher.checksums_mismatched == 0
        assert watcher.resyncs == 0 and watcher.sequence_gaps == 0
        assert watcher.checksums_verified > 20
        connection = client._connections["public"]
        assert connection.replies_read_by_caller > 0
        watcher.close()


def _fault_while_a_caller_waits(seed: int, fault: Callable[[BinanceEmulator], int]) -> None:
    """A time request waits (its reply withheld) when ``fault`` strikes: the request fails
    with ConnectionClosed at once (not after its timeout), the connection is restored and
    answers again."""
    restored = threading.Event()

    def on_event(event) -> None:
        if event.state is ConnectionState.RESTORED:
            restored.set()

    with BinanceEmulator(seed=seed) as emulator, \
            BinanceClient(**emulator.client_kwargs(), request_timeout=timeout(5), backoff_factory=_fast_backoff,
                          on_connection_event=on_event) as client:
        assert client.get_spot_server_time() is not None
        emulator.withhold_replies(1, "time")
        asked = emulator.messages_received
        outcome: list[BaseException] = []

        def call() -> None:
            try:
                client.get_spot_server_time(timeout=timeout(30))
            except BaseException as exc:
                outcome.append(exc)

        caller = threading.Thread(target=call, name="caller")
        caller.start()
        wait_until(lambda: emulator.messages_received > asked)  # the caller is waiting now
        assert fault(emulator) == 1
        caller.join(timeout(10))
        assert not caller.is_alive()
        assert len(outcome) == 1 and isinstance(outcome[0], ConnectionClosed), outcome
        assert not isinstance(outcome[0], RequestTimeout)
        assert restored.wait(timeout(10))
        assert client.get_spot_server_time() is not None  # the new connection answers


@pytest.mark.parametrize("attempt", range(3))
def test_a_server_shutdown_met_while_a_caller_waits_reconnects_and_fails_the_request(attempt: int) -> None:
    """serverShutdown is a protocol Failure: whoever reads it (a waiting caller, most
    likely, or the reader thread) the connection is replaced and the request fails with
    ConnectionClosed at once, not after its timeout."""
    _fault_while_a_caller_waits(2, BinanceEmulator.send_server_shutdown)


# -- the reader thread's wait is muted while a caller reads (Linux: epoll) -------------------

epoll_only = pytest.mark.skipif(not hasattr(select, "epoll"), reason="muting needs epoll (Linux)")


def _waiter(reader: SerialisedReader, seconds: float) -> tuple[threading.Thread, threading.Event, list[bool]]:
    done = threading.Event()
    result: list[bool] = []

    def wait() -> None:
        result.append(reader.wait(seconds))
        done.set()

    thread = threading.Thread(target=wait, name="muted-waiter", daemon=True)
    thread.start()
    return thread, done, result


@epoll_only
def test_a_muted_wait_sleeps_through_bytes_and_ends_on_unmute() -> None:
    server, client = socket.socketpair()
    reader = SerialisedReader(client, threading.Lock())
    try:
        assert reader.wait(0.0) is False  # makes the epoll; nothing to read
        assert reader.mute() is True
        thread, done, result = _waiter(reader, timeout(10))
        server.sendall(b"reply")
        assert select.select([client], [], [], timeout(5))[0]  # the caller's wait (in its read) sees them
        assert not done.wait(0.2)  # the muted wait does not
        reader.unmute()  # bytes are waiting: the wait ends now, not at its timeout
        assert done.wait(timeout(5))
        assert result == [True]
        thread.join(timeout(5))
    finally:
        reader.close()
        server.close()
        client.close()


@epoll_only
def test_a_muted_wait_still_ends_when_the_socket_is_shut_down() -> None:
    """Every close shuts the socket down first: a reader muted by a caller that met the
    end of the connection must still wake to reconnect."""
    server, client = socket.socketpair()
    reader = SerialisedReader(client, threading.Lock())
    try:
        reader.mute()
        thread, done, result = _waiter(reader, timeout(10))
        client.shutdown(socket.SHUT_RDWR)
        assert done.wait(timeout(5))
        assert result == [True]
        thread.join(timeout(5))
    finally:
        reader.unmute()
        reader.close()
        server.close()
        client.close()


@epoll_only
def test_closing_releases_the_wait_descriptors_once_no_wait_is_in_progress() -> None:
    server, client = socket.socketpair()
    reader = SerialisedReader(client, threading.Lock())
    try:
        thread, done, result = _waiter(reader, timeout(10))
        wait_until(lambda: reader._waiting == 1)
        reader.close()
        assert reader._epoll is not None  # a wait is in it: kept until that wait ends
        client.shutdown(socket.SHUT_RDWR)  # what every close does first
        assert done.wait(timeout(5))
        thread.join(timeout(5))
        assert reader._epoll is None and reader._watch_fd == -1
        assert reader.wait(timeout(5)) is True  # closed: the read that follows reports it
        reader.mute()
        reader.unmute()  # harmless once released
    finally:
        server.close()
        client.close()


@epoll_only
def test_every_reply_is_read_by_its_caller_while_the_reader_sleeps() -> None:
    """With the reader's wait muted, a reply wakes only its caller; the reader thread
    reads none of them (it might on its housekeeping tick, a few times at most)."""
    with BinanceEmulator(seed=3) as emulator, \
            BinanceClient(**emulator.client_kwargs(), request_timeout=timeout(5)) as client:
        assert client.get_spot_server_time() is not None
        connection = client._connections["spot"]
        before = connection.replies_read_by_caller
        for _ in range(100):
            assert client.get_spot_server_time() is not None
        assert connection.replies_read_by_caller - before >= 90


def test_the_reader_reads_updates_again_after_callers_led() -> None:
    """Between requests the reader's wait is unmuted: updates that arrive then are read
    by the reader thread, with no caller waiting."""
    with KrakenEmulator(seed=7, push_interval=0.01) as emulator, \
            KrakenClient(**emulator.client_kwargs(), request_timeout=timeout(5)) as client:
        received = threading.Semaphore(0)
        sub = client.subscribe_to_ticker_updates("XBT/USD", lambda event: received.release())
        for _ in range(30):
            client.ping()
        connection = client._connections["public"]
        assert connection.replies_read_by_caller > 0
        frames = connection.frames_received
        for _ in range(5):  # with no request in flight, only the reader reads these
            assert received.acquire(timeout=timeout(5))
        assert connection.frames_received > frames
        sub.unsubscribe()


@pytest.mark.parametrize("attempt", range(3))
def test_a_connection_dropped_while_a_caller_leads_fails_the_request_and_reconnects(attempt: int) -> None:
    """The peer cuts the TCP connection while a caller reads for its reply with the
    reader's wait muted: the caller sees the end, the reader wakes, reconnects, and the
    request fails with ConnectionClosed at once."""
    _fault_while_a_caller_waits(4, BinanceEmulator.drop_connections)


# -- the caller's read waits in recv(2) on plain TCP (kernel read limit of 0.1 s) ----------------

@pytest.mark.parametrize("seconds", [0.05, 0.6])  # under the lead window and the read limit; over both
def test_a_withheld_reply_times_out_at_the_request_timeout_not_before(seconds: float) -> None:
    """The caller reads for its reply in steps of the kernel's read limit and then waits
    for the reader thread: the RequestTimeout comes at the timeout, and the connection
    still answers the next request."""
    import time

    with BinanceEmulator(seed=6) as emulator, \
            BinanceClient(**emulator.client_kwargs(), request_timeout=timeout(5)) as client:
        assert client.get_spot_server_time() is not None
        emulator.withhold_replies(1, "time")
        started = time.monotonic()
        with pytest.raises(RequestTimeout):
            client.get_spot_server_time(timeout=seconds)
        elapsed = time.monotonic() - started
        assert seconds <= elapsed < seconds + timeout(1)
        assert client.get_spot_server_time() is not None
        assert client._connections["spot"].pending_count() == 0


def test_concurrent_callers_each_get_their_own_reply() -> None:
    """Eight threads share one connection: one reads for all (holding the read token) while
    the others wait for theirs. A reply that completed another caller's request would
    leave its own caller waiting until a RequestTimeout."""
    with KrakenEmulator(seed=8) as emulator, \
            KrakenClient(**emulator.client_kwargs(), request_timeout=timeout(5)) as client:
        client.ping()
        failures: list[BaseException] = []
        times: list[float] = []

        def ping_many() -> None:
            try:
                for _ in range(100):
                    times.append(client.ping())
            except BaseException as exc:  # recorded; the test fails on it below
                failures.append(exc)

        callers = [threading.Thread(target=ping_many, name=f"caller-{n}") for n in range(8)]
        for thread in callers:
            thread.start()
        for thread in callers:
            thread.join(timeout(60))
        assert not any(thread.is_alive() for thread in callers)
        assert not failures, failures
        assert len(times) == 800
        connection = client._connections["public"]
        assert connection.pending_count() == 0
