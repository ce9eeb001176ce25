"""The Coinsuper emulator completes the QoS handshakes of a client's PUBLISH (MQTT 3.1.1
§3.3-§3.7), replaying the exact packets ``mosquitto_pub`` sends.

``mosquitto_pub -q 1 -t test -m hello`` sends CONNECT, then ``32 0d 00 04 'test' 00 01
'hello'`` and waits for ``40 02 00 01`` (PUBACK, same packet id) before it disconnects;
with ``-q 2`` it sends ``34 ...`` and expects PUBREC, answers PUBREL (``62 02 ...``) and
waits for PUBCOMP.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator

import pytest
from websockets.sync.client import connect as websocket_connect

from exwire.testing.coinsuper import CoinsuperEmulator
from tests.coinsuper.test_emulator import closed_by_peer, public_connect, read_packet
from tests.conftest import timeout

QOS1_PUBLISH = b"\x32\x0d\x00\x04test\x00\x01hello"  # mosquitto_pub -q 1 -t test -m hello
QOS2_PUBLISH = b"\x34\x0d\x00\x04test\x2a\x07hello"  # -q 2, packet id 0x2a07
PUBREL = b"\x62\x02\x2a\x07"
QOS0_PUBLISH = b"\x30\x0b\x00\x04testhello"
PINGREQ = b"\xc0\x00"


@pytest.fixture
def emu() -> Iterator[CoinsuperEmulator]:
    with CoinsuperEmulator(push_interval=0.05, tcp=True) as emulator:
        yield emulator


@pytest.fixture
def session(emu: CoinsuperEmulator) -> Iterator[Callable[[], socket.socket]]:
    sockets: list[socket.socket] = []

    def open_session() -> socket.socket:
        sock = socket.create_connection((emu.host, emu.tcp_port), timeout=timeout(5))
        sockets.append(sock)
        sock.sendall(public_connect())
        assert read_packet(sock) == (0x20, b"\x00\x00")  # CONNACK, accepted
        return sock

    yield open_session
    for sock in sockets:
        sock.close()


def test_qos1_publish_gets_a_puback_with_its_packet_id(session: Callable[[], socket.socket]) -> None:
    sock = session()
    sock.sendall(QOS1_PUBLISH)
    assert read_packet(sock) == (0x40, b"\x00\x01")  # PUBACK, packet id 1


def test_qos2_publish_gets_pubrec_then_pubcomp_for_its_pubrel(
        session: Callable[[], socket.socket]) -> None:
    sock = session()
    sock.sendall(QOS2_PUBLISH)
    assert read_packet(sock) == (0x50, b"\x2a\x07")  # PUBREC
    sock.sendall(PUBREL)
    assert read_packet(sock) == (0x70, b"\x2a\x07")  # PUBCOMP


def test_qos0_publish_gets_no_answer_and_the_session_goes_on(
        session: Callable[[], socket.socket]) -> None:
    sock = session()
    sock.sendall(QOS0_PUBLISH + PINGREQ)
    assert read_packet(sock) == (0xD0, b"")  # the PINGRESP is the first packet back


def test_qos3_publish_is_a_protocol_violation_that_closes_the_connection(
        emu: CoinsuperEmulator, session: Callable[[], socket.socket]) -> None:
    sock = session()
    sock.sendall(b"\x36\x0d\x00\x04test\x00\x03hello")
    assert closed_by_peer(sock)
    assert emu.wait_for(lambda: not emu.connections and not emu._tcp_snapshot(), timeout(5))


def test_qos1_publish_over_websocket_gets_a_puback(emu: CoinsuperEmulator) -> None:
    with websocket_connect(emu.url, subprotocols=["mqtt"],  # type: ignore[list-item]
                           open_timeout=timeout(5)) as ws:
        ws.send(public_connect())
        assert ws.recv(timeout(5)) == b"\x20\x02\x00\x00"
        ws.send(QOS1_PUBLISH)
        assert ws.recv(timeout(5)) == b"\x40\x02\x00\x01"
