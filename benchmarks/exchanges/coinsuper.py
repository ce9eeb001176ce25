"""Coinsuper (``reference/protocols/coinsuper.md``): MQTT 3.1.1 over WebSocket, server side and frames.

The server speaks just enough MQTT for a client (§2, §4): CONNECT → CONNACK accepted,
SUBSCRIBE → SUBACK granting QoS 0, UNSUBSCRIBE → UNSUBACK, PINGREQ → PINGRESP. The
flood is QoS 0 PUBLISH packets of order book snapshots (§3.2) on the topic the client
subscribed, one packet per binary WebSocket frame (sub-protocol ``mqtt``, path
``/mqtt``). The bare loop does the MQTT handshake itself and decodes each publish's
payload with ``json.loads``.
"""

from __future__ import annotations

import functools
import json
import random
import struct
from collections.abc import Sequence
from typing import Any

from benchmarks.exchanges.base import Exchange, StreamCase, call_with_defaults
from benchmarks.wsserver import Handler, ServerConnection

__all__ = ["ENTRY", "publish", "decode_publish", "order_book_frames", "TOPIC"]

_DISTINCT = 1000
_STEP = "0.01"
TOPIC = f"exchange_ha_prod_hk/api/ws/v1/market/orderBook/BTC_USD/{_STEP}"


def _length(value: int) -> bytes:
    """MQTT's variable-length "remaining length"."""
    out = bytearray()
    while True:
        value, digit = divmod(value, 128)
        out.append(digit | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _string(text: str) -> bytes:
    data = text.encode("utf-8")
    return struct.pack("!H", len(data)) + data


def publish(topic: str, payload: bytes) -> bytes:
    """A QoS 0 PUBLISH packet."""
    body = _string(topic) + payload
    return b"\x30" + _length(len(body)) + body


def decode_publish(frame: bytes) -> Any:
    """The bare loop's decode: skip the PUBLISH header and topic, ``json.loads`` the payload."""
    index = 1
    while frame[index] & 0x80:
        index += 1
    index += 1
    (topic_length,) = struct.unpack_from("!H", frame, index)
    start = index + 2 + topic_length + (2 if frame[0] & 0x06 else 0)  # packet id only for QoS > 0
    return json.loads(frame[start:])


class CoinsuperHandler(Handler):
    """An MQTT broker reduced to what a subscriber needs."""

    def on_message(self, connection: ServerConnection, message: str | bytes) -> None:
        buffer = connection.state.setdefault("_buffer", bytearray())
        buffer += message if isinstance(message, bytes) else message.encode("utf-8")
        while len(buffer) >= 2:
            index, multiplier, remaining = 1, 1, 0
            while True:
                if index >= len(buffer):
                    return
                digit = buffer[index]
                remaining += (digit & 0x7F) * multiplier
                multiplier *= 128
                index += 1
                if not digit & 0x80:
                    break
            if len(buffer) < index + remaining:
                return
            kind, body = buffer[0] >> 4, bytes(buffer[index:index + remaining])
            del buffer[:index + remaining]
            self._packet(connection, kind, body)

    def _packet(self, connection: ServerConnection, kind: int, body: bytes) -> None:
        if kind == 1:  # CONNECT
            connection.send(b"\x20\x02\x00\x00")
        elif kind == 8:  # SUBSCRIBE
            packet_id, offset, granted = body[:2], 2, []
            topics = connection.state.setdefault("subscribed", [])
            while offset < len(body):
                (length,) = struct.unpack_from("!H", body, offset)
                topics.append(body[offset + 2:offset + 2 + length].decode("utf-8"))
                offset += 2 + length + 1
                granted.append(0)
            connection.send(b"\x90" + _length(2 + len(granted)) + packet_id + bytes(granted))
        elif kind == 10:  # UNSUBSCRIBE
            connection.send(b"\xb0\x02" + body[:2])
        elif kind == 12:  # PINGREQ
            connection.send(b"\xd0\x00")


@functools.cache
def _payloads() -> list[bytes]:
    rng = random.Random(7)
    mid = 668000
    payloads = []
    for number in range(_DISTINCT):
        mid += rng.randrange(-50, 51)
        level = lambda price: {"amount": "0.00", "limitPrice": f"{price / 100:.2f}",  # noqa: E731
                               "quantity": f"{rng.randrange(1, 10**5) / 10**4:.4f}"}
        document = {"asks": [level(mid + 1 + i * 7) for i in range(15)],
                    "bids": [level(mid - i * 7) for i in range(15)],
                    "limitSize": 15, "step": _STEP, "symbol": "BTC/USD", "timestamp": 1532686075803 + number}
        payloads.append(json.dumps(document, separators=(",", ":")).encode("utf-8"))
    return payloads


def order_book_frames(count: int, symbols: Sequence[str], connection: ServerConnection | None = None) -> list:
    topics = connection.state.get("subscribed") if connection is not None else None
    topic = next((t for t in reversed(topics or []) if "/orderBook/" in t), TOPIC)
    payloads = [publish(topic, payload) for payload in _payloads()]
    return [payloads[i % _DISTINCT] for i in range(count)]


def _subscribe(client: Any, symbols: Sequence[str], callback: Any) -> Any:
    return call_with_defaults(client.subscribe_to_order_book_updates, symbols[0], callback=callback,
                              defaults={"step": _STEP})


def _bare_prepare(ws: Any, symbols: Sequence[str] = ()) -> None:
    import websocket

    connect = _string("MQTT") + b"\x04\x02\x00\x3c" + _string("bench-bare")
    ws.send(b"\x10" + _length(len(connect)) + connect, opcode=websocket.ABNF.OPCODE_BINARY)
    ws.recv()  # CONNACK
    subscribe = b"\x00\x01" + _string(TOPIC) + b"\x00"
    ws.send(b"\x82" + _length(len(subscribe)) + subscribe, opcode=websocket.ABNF.OPCODE_BINARY)
    ws.recv()  # SUBACK


def _credentials() -> Any:
    from exwire import Credentials

    return Credentials(key="bench-access-key", secret="bench-secret", email="bench@example.com")


ENTRY = Exchange(
    name="coinsuper",
    module="exwire.coinsuper",
    client=("exwire.coinsuper.client", "CoinsuperClient"),
    handler=lambda path: CoinsuperHandler(),
    client_kwargs=lambda url: {"url": url, "credentials": _credentials()},
    path="/mqtt",
    bare_options={"subprotocols": ["mqtt"]},
    streams=(
        StreamCase("orderBook (MQTT)", ("subscribe_to_order_book_updates",), order_book_frames, _subscribe,
                   _bare_prepare, decode_publish, ("BTC/USD",), flood_key=True),
    ),
)
