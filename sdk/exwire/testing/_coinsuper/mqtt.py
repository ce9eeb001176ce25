"""The MQTT 3.1.1 packet codec of the Coinsuper emulator: framing, fields and CONNECT.

Written here (a few dozen lines): no maintained pure-Python library offers a
synchronous broker-side codec, and paho-mqtt's is private and client-side only.
"""

from __future__ import annotations

from typing import NamedTuple

# MQTT 3.1.1 control packet types (§2.2.1 of the MQTT standard).
CONNECT, CONNACK, PUBLISH, SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK = 1, 2, 3, 8, 9, 10, 11
PUBACK, PUBREC, PUBREL, PUBCOMP = 4, 5, 6, 7
PINGREQ, PINGRESP, DISCONNECT = 12, 13, 14
ACCEPTED, REFUSED_PROTOCOL, REFUSED_IDENTIFIER, REFUSED_CREDENTIALS = 0, 1, 2, 4
SUBSCRIBE_FAILURE = 0x80


# -- MQTT 3.1.1 packet codec -----------------------------------------------------------------


class MalformedPacket(Exception):
    """The client sent bytes that are not MQTT 3.1.1; the broker closes the connection."""


class _Packet(NamedTuple):
    type: int
    flags: int
    body: bytes


class _PacketReader:
    """Splits a byte stream into MQTT packets (fixed header: type, flags, remaining length)."""

    def __init__(self, max_size: int = 2**20) -> None:
        self._buffer = bytearray()
        self._max_size = max_size

    def feed(self, data: bytes) -> list[_Packet]:
        self._buffer += data
        packets: list[_Packet] = []
        while len(self._buffer) >= 2:
            length, multiplier, position = 0, 1, 1
            while True:
                if position >= len(self._buffer):
                    return packets  # the remaining length is not complete yet
                byte = self._buffer[position]
                length += (byte & 0x7F) * multiplier
                position += 1
                if not byte & 0x80:
                    break
                multiplier *= 128
                if position > 4:
                    raise MalformedPacket("remaining length longer than 4 bytes")
            if length > self._max_size:
                raise MalformedPacket(f"packet of {length} bytes is too large")
            if len(self._buffer) < position + length:
                return packets
            first = self._buffer[0]
            packets.append(_Packet(first >> 4, first & 0x0F, bytes(self._buffer[position:position + length])))
            del self._buffer[:position + length]
        return packets


def _encode(packet_type: int, flags: int, body: bytes) -> bytes:
    header = bytearray([packet_type << 4 | flags])
    length = len(body)
    while True:
        byte, length = length % 128, length // 128
        header.append(byte | (0x80 if length else 0))
        if not length:
            return bytes(header) + body


def _encode_string(text: str) -> bytes:
    data = text.encode("utf-8")
    return len(data).to_bytes(2, "big") + data


class _Reader:
    """Reads the fields of a packet body."""

    def __init__(self, body: bytes) -> None:
        self.body, self.position = body, 0

    def u8(self) -> int:
        if self.position >= len(self.body):
            raise MalformedPacket("packet ends early")
        self.position += 1
        return self.body[self.position - 1]

    def u16(self) -> int:
        return self.u8() << 8 | self.u8()

    def binary(self) -> bytes:
        length = self.u16()
        if self.position + length > len(self.body):
            raise MalformedPacket("string runs past the packet")
        self.position += length
        return self.body[self.position - length:self.position]

    def string(self) -> str:
        try:
            return self.binary().decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedPacket("string is not UTF-8") from None

    @property
    def more(self) -> bool:
        return self.position < len(self.body)


class _Connect(NamedTuple):
    protocol: str
    level: int
    clean_session: bool
    keepalive: int
    client_id: str
    user_name: str | None
    password: str | None


class _Publish(NamedTuple):
    topic: str
    qos: int
    packet_id: int | None  # present for QoS 1 and 2 only (MQTT 3.1.1 §3.3.2.2)
    payload: bytes


def _parse_publish(flags: int, body: bytes) -> _Publish:
    """Split a PUBLISH (§3.3): flags DUP/QoS/RETAIN, topic name, packet id, payload."""
    qos = flags >> 1 & 0b11
    if qos == 3:
        raise MalformedPacket("PUBLISH with QoS 3")  # §3.3.1.2: a protocol violation
    reader = _Reader(body)
    topic = reader.string()
    packet_id = reader.u16() if qos else None
    return _Publish(topic, qos, packet_id, body[reader.position:])


def _parse_connect(body: bytes) -> _Connect:
    reader = _Reader(body)
    protocol, level, flags, keepalive = reader.string(), reader.u8(), reader.u8(), reader.u16()
    client_id = reader.string()
    if flags & 0x04:  # will topic and message
        reader.string()
        reader.binary()
    user_name = reader.string() if flags & 0x80 else None
    password = reader.binary().decode("utf-8", "replace") if flags & 0x40 else None
    return _Connect(protocol, level, bool(flags & 0x02), keepalive, client_id, user_name, password)
