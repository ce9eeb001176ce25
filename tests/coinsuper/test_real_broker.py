"""Against a real MQTT 3.1.1 broker (mosquitto, when installed; skipped otherwise): QoS 0
publishes through the transport's PUBLISH hook and QoS 1 and 2 through paho's own handling
all arrive, in order, with their packet ids, over TCP and over WebSocket."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator

import pytest

from exwire.coinsuper.protocol import CoinsuperProtocol
from exwire.coinsuper.signing import Login
from exwire.coinsuper.transport import MqttTransport
from tests.conftest import timeout

mqtt = pytest.importorskip("paho.mqtt.client")
MOSQUITTO = shutil.which("mosquitto") or shutil.which("/usr/sbin/mosquitto")
pytestmark = pytest.mark.skipif(MOSQUITTO is None, reason="mosquitto is not installed")

TOPIC = "exchange_ha_prod_hk/api/ws/v1/market/orderBook/BTC_USD/0.01"
COUNT = 300


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def broker(tmp_path_factory) -> Iterator[tuple[int, int]]:
    tcp, ws = _free_port(), _free_port()
    config = tmp_path_factory.mktemp("mosquitto") / "mosquitto.conf"
    config.write_text(f"listener {tcp} 127.0.0.1\nprotocol mqtt\nlistener {ws} 127.0.0.1\nprotocol websockets\n"
                      "allow_anonymous true\nlog_dest stderr\nlog_type error\nlog_type warning\nlog_type notice\nlog_type information\n")
    process = subprocess.Popen([MOSQUITTO, "-c", str(config)], stderr=subprocess.PIPE, text=True)  # type: ignore[list-item]
    try:
        assert process.stderr is not None
        for line in process.stderr:  # its log says when both listeners are open
            if " running" in line:
                break
        else:
            pytest.skip("mosquitto did not start")
        drain = threading.Thread(target=process.stderr.read, name="mosquitto-log", daemon=True)
        drain.start()  # the rest of its log, so the broker never blocks on a full pipe
        yield tcp, ws
    finally:
        process.terminate()
        process.wait(timeout(10))


@pytest.mark.parametrize("qos", [0, 1, 2])
@pytest.mark.parametrize("scheme", ["mqtt", "ws"])
def test_every_publish_arrives_in_order_from_mosquitto(broker, scheme, qos):
    tcp, ws = broker
    url = f"mqtt://127.0.0.1:{tcp}" if scheme == "mqtt" else f"ws://127.0.0.1:{ws}/mqtt"
    transport = MqttTransport(lambda: Login(f"exwire-test-{scheme}-{qos}", None, None))  # type: ignore[arg-type]
    publisher = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
    transport.open(url, timeout(5))
    try:
        transport.send(CoinsuperProtocol().subscribe([TOPIC], qos=qos)[1])
        while (frame := transport.recv(timeout(5))) is None or frame.kind != "suback":
            pass
        assert frame.codes == (qos,)
        publisher.connect("127.0.0.1", tcp)
        publisher.loop_start()
        for number in range(COUNT):
            publisher.publish(TOPIC, b'{"n":%d}' % number, qos=qos)
        received = []
        deadline = time.monotonic() + timeout(20)
        while len(received) < COUNT and time.monotonic() < deadline:
            frame = transport.recv(0.5)
            if frame is not None and frame.kind == "publish":
                assert frame.topic == TOPIC and (frame.packet_id is None) == (qos == 0)
                received.append(bytes(frame))
        assert received == [b'{"n":%d}' % number for number in range(COUNT)]
    finally:
        publisher.loop_stop()
        publisher.disconnect()
        transport.close()


def test_publishes_of_every_size_and_flag_arrive_from_mosquitto_over_websocket_the_short_way(broker, monkeypatch):
    """mosquitto's own framing: QoS 0 frames read without paho (payloads of 0 bytes to past
    the 16-bit WebSocket length, a retained one), QoS 1 and 2 between them through paho."""
    import exwire.coinsuper.transport as transport_module

    taken: list[int] = []
    split = transport_module.split_publishes

    def counting(data: bytes, position: int) -> tuple[int, list[tuple[bytes, bytes]]]:
        result = split(data, position)
        taken.append(len(result[1]))
        return result

    monkeypatch.setattr(transport_module, "split_publishes", counting)
    tcp, ws = broker
    sizes = [0, 1, 60, 120, 200, 2_000, 16_500, 70_000] * 3 + list(range(200))
    messages = [(b"%d:" % number + b"x" * size, number % 7 == 3 and 1 or number % 11 == 5 and 2 or 0)
                for number, size in enumerate(sizes)]
    publisher = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
    publisher.connect("127.0.0.1", tcp)
    publisher.loop_start()
    transport = MqttTransport(lambda: Login("exwire-test-sizes", None, None))  # type: ignore[arg-type]
    transport.open(f"ws://127.0.0.1:{ws}/mqtt", timeout(5))
    try:
        publisher.publish(TOPIC + "/retained", b"kept", qos=0, retain=True).wait_for_publish(timeout(5))
        transport.send(CoinsuperProtocol().subscribe([TOPIC, TOPIC + "/retained"], qos=2)[1])
        received = []
        deadline = time.monotonic() + timeout(20)
        published = False
        while len(received) < len(messages) + 1 and time.monotonic() < deadline:
            for frame in transport.recv_many(0.5) or ():
                if frame.kind == "suback" and not published:  # type: ignore[union-attr]
                    published = True
                    for payload, qos in messages:
                        publisher.publish(TOPIC, payload, qos=qos)
                elif frame.kind == "publish":  # type: ignore[union-attr]
                    received.append((frame.topic, bytes(frame)))  # type: ignore[union-attr]
        assert received[0] == (TOPIC + "/retained", b"kept")
        assert all(topic == TOPIC for topic, _ in received[1:])
        # In order per QoS: MQTT orders each QoS's messages (§4.6), not one QoS's among another's
        # (the publisher's in-flight window holds QoS 1 and 2 back, paho hands QoS 2 over on PUBREL).
        level = {payload: qos for payload, qos in messages}
        for qos in (0, 1, 2):
            assert [payload for _, payload in received[1:] if level.get(payload) == qos] == \
                [payload for payload, at in messages if at == qos]
        assert len(received) == len(messages) + 1
        assert sum(taken) > 100  # most of them read the short way
    finally:
        publisher.loop_stop()
        publisher.disconnect()
        transport.close()
