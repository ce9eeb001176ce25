"""Coinsuper MQTT events of the wrong shape: ``receive`` raises ``DecodeError``, never anything else."""

from __future__ import annotations

import pytest

from exwire.coinsuper.protocol import CoinsuperProtocol, MqttFrame
from exwire.errors import DecodeError
from tests.coinsuper.samples import DEPTH_TOPIC, KLINE_TOPIC, TICKERS_TOPIC

DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize("topic", [DEPTH_TOPIC, KLINE_TOPIC, TICKERS_TOPIC])
def test_deeply_nested_arrays_are_a_decode_error(topic):
    with pytest.raises(DecodeError):
        CoinsuperProtocol().receive(MqttFrame.publish(topic, DEEP))


@pytest.mark.parametrize("payload", ["5", "[5]", '{"asks": 5}', '[{"price": {"a": 1}}]', '"x"', "\xff"])
@pytest.mark.parametrize("topic", [DEPTH_TOPIC, KLINE_TOPIC, TICKERS_TOPIC])
def test_a_malformed_payload_is_a_decode_error(topic, payload):
    with pytest.raises(DecodeError):
        CoinsuperProtocol().receive(MqttFrame.publish(topic, payload))


def test_suback_codes_that_are_not_integers_are_a_decode_error():
    protocol = CoinsuperProtocol()
    key, _ = protocol.subscribe([DEPTH_TOPIC])
    frame = MqttFrame.suback(key[1], ())
    frame.codes = ("x",)  # type: ignore[assignment]
    try:
        protocol.receive(frame)
    except DecodeError as exc:
        assert exc.key == key
