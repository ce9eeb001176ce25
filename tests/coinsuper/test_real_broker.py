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
