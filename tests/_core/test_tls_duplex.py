"""One TLS connection read by one thread while others write: neither side may corrupt it.

OpenSSL's ``SSL`` object is not safe for a read and a write at the same instant from two
threads, and CPython releases the GIL inside both, so a reader in ``SSL_read`` racing a
writer in ``SSL_write`` on one ``ssl.SSLSocket`` makes one of them fail spuriously:
``recv`` returns ``b""`` (a made-up end of stream), or ``send`` raises ``SSLEOFError`` or
``[SSL: BAD_LENGTH]``. Every ``wss://`` connection has exactly that shape (the reader
thread reads while callers send requests), so before the fix about one emulator TLS test
in six lost its connection right after the first reply.

The peers here cannot race themselves: the server is ``websockets``' asyncio server (one
thread touches its TLS objects) and the client under test is exwire's own
:class:`~exwire._core.transport.WebSocketTransport`; for the emulator's threaded server
the peer is a single-threaded raw client (the test at the bottom).
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from exwire._core.netopts import NetworkOptions
from exwire._core.transport import TransportClosed, WebSocketTransport
from exwire.testing._server import EmulatorConnection, EmulatorServer
from exwire.testing._tls import SelfSignedCertificate
from tests.conftest import timeout

websockets_server = pytest.importorskip("websockets.asyncio.server")
websockets_exceptions = pytest.importorskip("websockets.exceptions")

SENDERS = 4
MESSAGES_PER_SENDER = 400  # requests each sending thread writes while the flood is read


class _FloodEchoServer:
    """``wss://`` server on its own event loop: floods each client and echoes what it reads."""

    def __init__(self) -> None:
        self.certificate = SelfSignedCertificate()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Future[None] | None = None
        self.port = 0
        self._thread = threading.Thread(target=self._run, name="tls-duplex-server", daemon=True)

    def __enter__(self) -> _FloodEchoServer:
        self._thread.start()
        assert self._ready.wait(timeout(10)), "the TLS server did not start"
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._loop.call_soon_threadsafe(self._finish)
        self._thread.join(timeout(10))
        assert not self._thread.is_alive()

    def _finish(self) -> None:
        if self._stop is not None and not self._stop.done():
            self._stop.set_result(None)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._serve())
        finally:
            self._loop.close()

    async def _serve(self) -> None:
        self._stop = self._loop.create_future()
        context = self.certificate.server_context()
        async with websockets_server.serve(self._handler, "127.0.0.1", 0, ssl=context,
                                           compression=None, max_queue=None) as server:
            self.port = server.sockets[0].getsockname()[1]
            self._ready.set()
            await self._stop

    async def _handler(self, websocket: websockets_server.ServerConnection) -> None:
        async def flood() -> None:
            sequence = 0
            while True:
                sequence += 1
                await websocket.send(json.dumps({"flood": sequence, "pad": "x" * 200}))
                if sequence % 50 == 0:
                    await asyncio.sleep(0)  # let the echo side run

        flooding = asyncio.ensure_future(flood())
        try:
            async for message in websocket:
                await websocket.send(message)
        except Exception:
            pass
        finally:
            flooding.cancel()


@pytest.fixture
def server() -> Iterator[_FloodEchoServer]:
    with _FloodEchoServer() as running:
        yield running


def test_a_reader_and_concurrent_writers_share_one_tls_connection_without_a_spurious_end(
        server: _FloodEchoServer) -> None:
    transport = WebSocketTransport(network=NetworkOptions(ssl_context=server.certificate.client_context()))
    transport.open(f"wss://127.0.0.1:{server.port}/", timeout(10))
    expected = {f"{sender}:{index}" for sender in range(SENDERS) for index in range(MESSAGES_PER_SENDER)}
    echoed: set[str] = set()
    failures: list[BaseException] = []
    start = threading.Barrier(SENDERS + 1)

    def send_all(sender: int) -> None:
        start.wait(timeout(10))
        try:
            for index in range(MESSAGES_PER_SENDER):
                transport.send(json.dumps({"echo": f"{sender}:{index}"}))
        except BaseException as exc:  # recorded, and the test fails on it below
            failures.append(exc)

    senders = [threading.Thread(target=send_all, args=(n,), name=f"tls-duplex-sender-{n}") for n in range(SENDERS)]
    for thread in senders:
        thread.start()
    flood_frames = 0
    try:
        start.wait(timeout(10))
        while echoed != expected and not failures:
            try:
                frame = transport.recv(timeout(10))
            except TransportClosed as exc:
                pytest.fail(f"the connection ended after {flood_frames} flood frames and "
                            f"{len(echoed)} echoes: {exc}")
            assert frame is not None, "no frame within the timeout"
            message = json.loads(frame)
            if "echo" in message:
                echoed.add(message["echo"])
            else:
                flood_frames += 1
    finally:
        for thread in senders:
            thread.join(timeout(30))
        transport.close()
    assert not failures, failures
    assert echoed == expected
    assert flood_frames > 0


class _FloodEchoEmulator(EmulatorServer):
    """The emulators' threaded server over TLS: a pusher thread floods, the connection's
    own thread echoes, and websockets' reader thread reads, all on one TLS socket."""

    def on_open(self, connection: EmulatorConnection) -> None:
        def flood(conn: EmulatorConnection) -> None:
            sequence = 0
            while not conn.closing.is_set():
                sequence += 1
                if not conn.send(json.dumps({"flood": sequence, "pad": "x" * 200})):
                    return

        connection.start_worker(flood, "flood")

    def on_message(self, connection: EmulatorConnection, message: str | bytes) -> None:
        connection.send(message)


def test_the_emulator_server_reads_and_writes_one_tls_connection_from_several_threads() -> None:
    websockets_client = pytest.importorskip("websockets.asyncio.client")
    expected = {str(index) for index in range(SENDERS * MESSAGES_PER_SENDER)}

    async def exchange(url: str, context: Any) -> tuple[set[str], int]:
        echoed: set[str] = set()
        flood_frames = 0
        async with websockets_client.connect(url, ssl=context, compression=None, max_queue=None) as websocket:
            async def send_all() -> None:
                for index in sorted(expected, key=int):
                    await websocket.send(json.dumps({"echo": index, "pad": "y" * 3000}))
                    if int(index) % 200 == 0:
                        await asyncio.sleep(0)  # interleave with the reads

            sending = asyncio.ensure_future(send_all())
            try:
                while echoed != expected:
                    message = json.loads(await asyncio.wait_for(websocket.recv(), timeout(10)))
                    if "echo" in message:
                        echoed.add(message["echo"])
                    else:
                        flood_frames += 1
                await sending
            finally:
                sending.cancel()
        return echoed, flood_frames

    with _FloodEchoEmulator("tls-duplex", tls=True) as emulator:
        try:
            echoed, flood_frames = asyncio.run(exchange(emulator.url, emulator.ssl_context()))
        except websockets_exceptions.ConnectionClosed as exc:
            pytest.fail(f"the emulator's TLS connection ended: {exc}")
    assert echoed == expected
    assert flood_frames > 0
