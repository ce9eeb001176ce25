"""Raw delivery is native for Coinsuper: the events equal those of the generic path
(:meth:`Protocol.receive_raw`: decode, then the payload's exact JSON as ``data``) on every sample,
once a lane has decoded what the reader left to it (depth, order book, kline and asset
publishes: their data is the frame, decoded by ``Protocol.deferred``)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exwire._core.protocol import Protocol, Update
from exwire.coinsuper import CoinsuperClient
from exwire.coinsuper.protocol import CoinsuperProtocol, MqttFrame
from exwire.testing.coinsuper import CoinsuperEmulator
from tests.coinsuper import samples
from tests.conftest import timeout
from tests.helpers import Collector, wait_until

CASES = [(samples.DEPTH_TOPIC, samples.DEPTH), (samples.ORDER_BOOK_TOPIC, samples.ORDER_BOOK),
         (samples.KLINE_TOPIC, samples.KLINE), (samples.TICKERS_TOPIC, samples.TICKERS),
         (samples.ASSET_TOPIC, samples.ASSET), (samples.ORDER_TOPIC, samples.ORDER),
         (samples.TRADE_TOPIC, samples.TRADE)]


def _raw(protocol: CoinsuperProtocol) -> CoinsuperProtocol:
    protocol.raw = True
    return protocol


def _decoded(protocol: CoinsuperProtocol, frame: MqttFrame, events: list) -> list:
    """``events`` of ``frame``, a frame left to the lanes decoded as a lane does."""
    decoder = protocol.deferred
    assert decoder is not None and decoder.kind is MqttFrame
    return [event._replace(data=decoder.decode(frame)) if type(event) is Update and event.data is frame else event
            for event in events]


def _delivered(protocol: CoinsuperProtocol, frame: MqttFrame) -> list:
    """The protocol's events of ``frame`` as delivered."""
    return _decoded(protocol, frame, list(protocol.receive(frame)))


LEFT_TO_LANES = {samples.DEPTH_TOPIC, samples.ORDER_BOOK_TOPIC, samples.KLINE_TOPIC, samples.ASSET_TOPIC}


@pytest.mark.parametrize(("topic", "payload"), CASES, ids=[t.rsplit("/v1/", 1)[-1] for t, _ in CASES])
def test_native_raw_events_equal_the_generic_raw_path(topic, payload):
    native = _raw(CoinsuperProtocol())
    generic = _raw(CoinsuperProtocol())
    for _ in range(2):  # the second tickers push is de-duplicated away by both
        frame = MqttFrame.publish(topic, payload.encode())
        expected = _generic(generic, frame)
        received = list(native.receive(frame))
        left = [type(event) is Update and event.data is frame for event in received]
        assert all(left) and left if topic in LEFT_TO_LANES else not any(left)
        assert _decoded(native, frame, received) == list(expected)
        assert all(type(event) is not Update or not hasattr(event.data, "__attrs_attrs__") for event in received)


def _generic(protocol: CoinsuperProtocol, frame: MqttFrame):
    """Protocol.receive_raw as the Connection calls it for a protocol that is not raw-native."""
    protocol.raw = False
    try:
        return Protocol.receive_raw(protocol, frame)
    finally:
        protocol.raw = True


def test_raw_json_keeps_exact_decimals():
    (update,) = _delivered(_raw(CoinsuperProtocol()), MqttFrame.publish(samples.ASSET_TOPIC, samples.ASSET.encode()))
    assert isinstance(update.data["asset"][0]["available"], Decimal)
    assert str(update.data["asset"][0]["available"]) == "0.738763122563248000000000000000"


def test_a_raw_client_decodes_on_the_lane_and_skips_and_counts_a_payload_that_is_not_json():
    marked = b'{"symbol":"BTC/USD","marker":7,"asks":[],"bids":[]}'
    with CoinsuperEmulator(push_interval=3600) as emu, \
            CoinsuperClient(**emu.client_kwargs(), credentials=emu.credentials, raw=True,
                            request_timeout=timeout(5)) as client:
        events = Collector()
        client.subscribe_to_order_book_updates("BTC/USD", "0.01", callback=events)
        topic = samples.ORDER_BOOK_TOPIC
        assert emu.publish_raw(topic, b'{"asks":[') == 1  # cut off: not JSON
        assert emu.publish_raw(topic, marked) == 1
        wait_until(lambda: any(isinstance(e.data, dict) and e.data.get("marker") == 7 for e in list(events.events)))
        assert all(isinstance(event.data, dict) for event in events.events)  # never the frame
        assert sum(c["frames_skipped"] for c in client.health()["connections"].values()) == 1
