"""Raw delivery is native for Coinsuper: the events equal those of the generic path
(:meth:`Protocol.receive_raw`: decode, then the payload's exact JSON as ``data``) on every sample."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exwire._core.protocol import Protocol, Update
from exwire.coinsuper.protocol import CoinsuperProtocol, MqttFrame
from tests.coinsuper import samples

CASES = [(samples.DEPTH_TOPIC, samples.DEPTH), (samples.ORDER_BOOK_TOPIC, samples.ORDER_BOOK),
         (samples.KLINE_TOPIC, samples.KLINE), (samples.TICKERS_TOPIC, samples.TICKERS),
         (samples.ASSET_TOPIC, samples.ASSET), (samples.ORDER_TOPIC, samples.ORDER),
         (samples.TRADE_TOPIC, samples.TRADE)]


def _raw(protocol: CoinsuperProtocol) -> CoinsuperProtocol:
    protocol.raw = True
    return protocol


@pytest.mark.parametrize(("topic", "payload"), CASES, ids=[t.rsplit("/v1/", 1)[-1] for t, _ in CASES])
def test_native_raw_events_equal_the_generic_raw_path(topic, payload):
    native = _raw(CoinsuperProtocol())
    generic = _raw(CoinsuperProtocol())
    for _ in range(2):  # the second tickers push is de-duplicated away by both
        frame = MqttFrame.publish(topic, payload.encode())
        expected = _generic(generic, frame)
        events = list(native.receive(frame))
        assert events == list(expected)
        assert all(type(event) is not Update or not hasattr(event.data, "__attrs_attrs__") for event in events)


def _generic(protocol: CoinsuperProtocol, frame: MqttFrame):
    """Protocol.receive_raw as the Connection calls it for a protocol that is not raw-native."""
    protocol.raw = False
    try:
        return Protocol.receive_raw(protocol, frame)
    finally:
        protocol.raw = True


def test_raw_json_keeps_exact_decimals():
    (update,) = _raw(CoinsuperProtocol()).receive(MqttFrame.publish(samples.ASSET_TOPIC, samples.ASSET.encode()))
    assert isinstance(update.data["asset"][0]["available"], Decimal)
    assert str(update.data["asset"][0]["available"]) == "0.738763122563248000000000000000"
