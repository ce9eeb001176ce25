"""The Coinsuper emulator speaks MQTT 3.1.1 as the standard spells it (bytes written by hand here)."""

from __future__ import annotations

import hashlib
import json
import re
import socket
import time

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect as websocket_connect

from exwire.testing._coinsuper.mqtt import _encode, _PacketReader
from exwire.testing.coinsuper import CoinsuperEmulator
from tests.conftest import timeout

ENV = "exchange_ha_prod_hk"
DEPTH = f"{ENV}/api/ws/v1/market/depth/BTC_USD"
ORDERS = f"{ENV}/ws/personal/v1/order/change/demouser@demo.domain"


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def string(text: str) -> bytes:
    data = text.encode()
    return len(data).to_bytes(2, "big") + data


def remaining_length(length: int) -> bytes:
    out = bytearray()
    while True:
        length, byte = divmod(length, 128)
        out.append(byte | (0x80 if length else 0))
        if not length:
            return bytes(out)


def packet(first: int, body: bytes) -> bytes:
    return bytes([first]) + remaining_length(len(body)) + body


def connect(client_id: str, user: str, password: str, keepalive: int = 60, level: int = 4) -> bytes:
    flags = 0xC2  # user name, password, clean session
    return packet(0x10, string("MQTT") + bytes([level, flags]) + keepalive.to_bytes(2, "big")
                  + string(client_id) + string(user) + string(password))


def subscribe(packet_id: int, *topics: str) -> bytes:
    return packet(0x82, packet_id.to_bytes(2, "big") + b"".join(string(t) + b"\x01" for t in topics))


def public_connect(topic: str = DEPTH, **kwargs) -> bytes:
    client_id = md5("zhangsan") + md5("demouser@demo.domain") + md5(topic)
    return connect(client_id, "api_subscriber", "da65be18f44b33b69603c39fd03ddf49", **kwargs)


def private_connect(secret: str = "lisi", timestamp: int | None = None) -> bytes:
    timestamp = timestamp if timestamp is not None else time.time_ns() // 1_000_000
    sign = md5(f"zhangsan,{secret},demouser@demo.domain,{timestamp}")
    return connect("zhangsan", "api_private", f"demouser@demo.domain,{timestamp},{sign}")


def read_exactly(sock: socket.socket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise EOFError("closed")
        data += chunk
    return data


def read_packet(sock: socket.socket) -> tuple[int, bytes]:
    first = read_exactly(sock, 1)[0]
    length, multiplier = 0, 1
    while True:
        byte = read_exactly(sock, 1)[0]
        length += (byte & 0x7F) * multiplier
        multiplier *= 128
        if not byte & 0x80:
            break
    return first, read_exactly(sock, length)


def publish_parts(body: bytes) -> tuple[str, bytes]:
    length = int.from_bytes(body[:2], "big")
    return body[2:2 + length].decode(), body[2 + length:]


def closed_by_peer(sock: socket.socket) -> bool:
    try:
        while sock.recv(65536):
            pass
    except OSError:
        pass
    return True


@pytest.fixture
def emu():
    with CoinsuperEmulator(push_interval=0.05, tcp=True) as emulator:
        yield emulator


@pytest.fixture
def tcp(emu):
    sockets = []

    def open_socket() -> socket.socket:
        sock = socket.create_connection((emu.host, emu.tcp_port), timeout=timeout(5))
        sockets.append(sock)
        return sock

    yield open_socket
    for sock in sockets:
        sock.close()


def test_public_session_connack_ping_subscribe_publish_unsubscribe_disconnect(emu, tcp):
    sock = tcp()
    sock.sendall(public_connect())
    assert read_packet(sock) == (0x20, b"\x00\x00")
    sock.sendall(b"\xc0\x00")
    assert read_packet(sock) == (0xD0, b"")
    sock.sendall(subscribe(7, DEPTH))
    assert read_packet(sock) == (0x90, b"\x00\x07\x00")  # granted QoS 0
    first, body = read_packet(sock)
    assert first == 0x30  # PUBLISH, QoS 0
    topic, payload = publish_parts(body)
    depth = json.loads(payload)
    assert topic == DEPTH and depth["symbol"] == "BTC/USD" and len(depth["asks"]) == 50
    assert depth["asks"][0]["stepValue"] is None and set(depth) == {
        "symbol", "asks", "bids", "depthPercent", "asksMinPrice", "bidsMaxPrice"}
    sock.sendall(packet(0xA2, b"\x00\x08" + string(DEPTH)))
    while (packet_type := read_packet(sock))[0] == 0x30:
        pass  # publishes already in flight
    assert packet_type == (0xB0, b"\x00\x08")
    sock.sendall(b"\xe0\x00")
    assert closed_by_peer(sock)
    assert emu.wait_for(lambda: not emu.sessions(), timeout(5))


@pytest.mark.parametrize(
    "connect_packet, code",
    [
        (connect("f" * 96, "api_subscriber", "da65be18f44b33b69603c39fd03ddf49"), 2),  # unknown key/email hash
        (connect("x", "api_subscriber", "wrong"), 4),
        (private_connect(secret="wrong"), 4),
        (private_connect(timestamp=1542786802283), 4),  # a 2018 timestamp: outside the clock skew
        (connect("nobody", "api_private", "a,1,b"), 2),
        (connect("x", "someone", "pw"), 4),
        (public_connect(level=3), 1),
    ],
)
def test_bad_logons_get_connack_refusals_and_are_closed(emu, tcp, connect_packet, code):
    sock = tcp()
    sock.sendall(connect_packet)
    assert read_packet(sock) == (0x20, bytes([0, code]))
    assert closed_by_peer(sock)
    assert emu.connects_refused == [code]


def test_refuse_next_connect_refuses_a_good_logon(emu, tcp):
    emu.refuse_next_connect(5)
    sock = tcp()
    sock.sendall(private_connect())
    assert read_packet(sock) == (0x20, b"\x00\x05")
    sock = tcp()
    sock.sendall(private_connect())
    assert read_packet(sock) == (0x20, b"\x00\x00")


def test_private_session_gets_its_topics_but_not_someone_elses(emu, tcp):
    sock = tcp()
    sock.sendall(private_connect())
    read_packet(sock)
    other = ORDERS.replace("demouser@demo.domain", "other@demo.domain")
    sock.sendall(subscribe(1, ORDERS, other, DEPTH))
    assert read_packet(sock) == (0x90, b"\x00\x01\x00\x80\x80")
    topic, payload = publish_parts(read_packet(sock)[1])
    assert topic == ORDERS and json.loads(payload)["state"] == "NEW"


def test_public_session_reads_only_the_topic_of_its_client_id(emu, tcp):
    sock = tcp()
    sock.sendall(public_connect())
    read_packet(sock)
    sock.sendall(subscribe(2, f"{ENV}/api/ws/v1/market/tickers/BTC_USD"))
    assert read_packet(sock) == (0x90, b"\x00\x02\x80")


def test_asset_payload_has_thirty_decimal_json_numbers(emu, tcp):
    sock = tcp()
    sock.sendall(private_connect())
    read_packet(sock)
    sock.sendall(subscribe(3, f"{ENV}/api/ws/personal/v1/asset/change/demouser@demo.domain"))
    read_packet(sock)
    _, payload = publish_parts(read_packet(sock)[1])
    assert re.search(rb'"total":\d+\.\d{30}[,}]', payload)  # a bare number, not a string
    assert re.search(rb'"available":\d+\.\d{30}[,}]', payload)


def test_a_second_session_with_the_same_client_id_takes_over(emu, tcp):
    first, second = tcp(), tcp()
    first.sendall(private_connect())
    read_packet(first)
    second.sendall(private_connect())
    assert read_packet(second) == (0x20, b"\x00\x00")
    assert closed_by_peer(first) and emu.takeovers == 1


def test_a_silent_session_is_closed_after_one_and_a_half_keepalives(emu, tcp):
    sock = tcp()
    sock.sendall(public_connect(keepalive=1))
    read_packet(sock)
    started = time.monotonic()
    assert closed_by_peer(sock)
    assert time.monotonic() - started >= 1.4


def test_packets_before_connect_close_the_connection(emu, tcp):
    sock = tcp()
    sock.sendall(b"\xc0\x00")
    assert closed_by_peer(sock)


def test_websocket_negotiates_the_mqtt_subprotocol(emu):
    with websocket_connect(emu.url, subprotocols=["mqtt"], open_timeout=timeout(5)) as ws:
        assert ws.subprotocol == "mqtt"
        ws.send(public_connect())
        assert ws.recv(timeout(5)) == b"\x20\x02\x00\x00"


def test_websocket_refuses_other_paths_and_subprotocols(emu):
    with pytest.raises(InvalidStatus):
        websocket_connect(emu.url.replace("/mqtt", "/"), subprotocols=["mqtt"], open_timeout=timeout(5))
    with pytest.raises(InvalidStatus):
        websocket_connect(emu.url, open_timeout=timeout(5))


def test_the_same_seed_generates_the_same_data():
    payloads = []
    for _ in range(2):
        with CoinsuperEmulator(seed=7, tcp=True) as emulator:
            with socket.create_connection((emulator.host, emulator.tcp_port), timeout=timeout(5)) as sock:
                sock.sendall(public_connect())
                read_packet(sock)
                sock.sendall(subscribe(1, DEPTH))
                read_packet(sock)
                payloads.append(publish_parts(read_packet(sock)[1])[1])
    assert payloads[0] == payloads[1]


@pytest.mark.parametrize("length", [0, 1, 127, 128, 16383, 16384, 2097151, 2097152])
def test_packet_codec_round_trips_remaining_lengths(length):
    data = _encode(3, 0, b"x" * length)
    assert data[1:1 + len(remaining_length(length))] == remaining_length(length)
    reader = _PacketReader(max_size=2**22)
    packets = []
    for i in range(0, len(data), 1000):  # fed in pieces
        packets += reader.feed(data[i:i + 1000])
    assert [(p.type, p.flags, len(p.body)) for p in packets] == [(3, 0, length)]


def test_packet_reader_splits_coalesced_packets():
    assert [p.type for p in _PacketReader().feed(b"\xc0\x00\xd0\x00\xe0\x00")] == [12, 13, 14]
