"""The Coinsuper emulator's MQTT session: CONNECT and log-on (§2), SUBSCRIBE and topics (§3), the pusher.

:class:`_Broker` is a mixin of :class:`~exwire.testing.coinsuper.CoinsuperEmulator`;
``on_message`` hands it each packet of a connection.

Section numbers (§) refer to the protocol notes of :doc:`the Coinsuper page </exchanges/coinsuper>`.
"""

from __future__ import annotations

import collections
import random
import threading
import time
from collections.abc import Callable

from exwire.models import Credentials
from exwire.testing._coinsuper.common import (
    _PRIVATE_TOPIC,
    _PUBLIC_TOPIC,
    ENVIRONMENT,
    KLINE_RANGES,
    ORDER_BOOK_STEPS,
    PRIVATE_USER,
    PUBLIC_PASSWORD,
    PUBLIC_USER,
    _md5,
)
from exwire.testing._coinsuper.connections import _Session
from exwire.testing._coinsuper.mqtt import (
    ACCEPTED,
    CONNACK,
    CONNECT,
    DISCONNECT,
    PINGREQ,
    PINGRESP,
    PUBACK,
    PUBCOMP,
    PUBLISH,
    PUBREC,
    PUBREL,
    REFUSED_CREDENTIALS,
    REFUSED_IDENTIFIER,
    REFUSED_PROTOCOL,
    SUBACK,
    SUBSCRIBE,
    SUBSCRIBE_FAILURE,
    UNSUBACK,
    UNSUBSCRIBE,
    MalformedPacket,
    _Connect,
    _encode,
    _encode_string,
    _Packet,
    _parse_connect,
    _parse_publish,
    _Reader,
)
from exwire.testing._coinsuper.payloads import _Feed, _Market
from exwire.testing._server import EmulatorConnection, logger


class _Broker:
    """The MQTT packet handling and publishing of :class:`CoinsuperEmulator` (a mixin).

    The attributes below are the emulator's settings, counters and fault queues the
    broker reads and updates; :class:`CoinsuperEmulator` sets them (declared here so the
    mixin is checked against them).
    """

    seed: int
    push_interval: float
    accounts: list[Credentials]
    asset_approved: bool
    client_id_topic: str
    max_clock_skew: float
    trade_window: int
    depth_levels: int
    book_levels: int
    connects_accepted: int
    connects_refused: list[int]
    takeovers: int
    _lock: threading.Lock
    _connect_refusals: collections.deque[int]
    _subscription_refusals: int
    _by_client_id: dict[str, EmulatorConnection]
    notify_changed: Callable[[], None]

    # -- MQTT --------------------------------------------------------------------------

    def _on_packet(self, connection: EmulatorConnection, session: _Session, packet: _Packet) -> bool:
        """Act on one packet; return False once the connection is being closed."""
        if session.connect is None:
            if packet.type != CONNECT:
                raise MalformedPacket(f"packet type {packet.type} before CONNECT")
            return self._on_connect(connection, session, _parse_connect(packet.body))
        if packet.type == SUBSCRIBE and packet.flags == 0b0010:
            self._on_subscribe(connection, session, packet.body)
        elif packet.type == UNSUBSCRIBE and packet.flags == 0b0010:
            reader = _Reader(packet.body)
            packet_id = reader.u16()
            with connection.send_lock:
                while reader.more:
                    session.feeds.pop(reader.string(), None)
                connection.send(_encode(UNSUBACK, 0, packet_id.to_bytes(2, "big")))
        elif packet.type == PINGREQ:
            connection.send(_encode(PINGRESP, 0, b""))
        elif packet.type == DISCONNECT:
            connection.close()
            return False
        elif packet.type == PUBLISH:
            self._on_publish(connection, session, packet)
        elif packet.type == PUBREL and packet.flags == 0b0010:
            packet_id = _Reader(packet.body).u16()
            session.qos2_received.discard(packet_id)
            connection.send(_encode(PUBCOMP, 0, packet_id.to_bytes(2, "big")))  # §3.7
        else:
            raise MalformedPacket(f"unexpected packet type {packet.type} (flags {packet.flags})")
        return True

    def _on_publish(self, connection: EmulatorConnection, session: _Session, packet: _Packet) -> None:
        """Acknowledge a client's PUBLISH as MQTT 3.1.1 requires; its payload is dropped.

        Coinsuper routes nothing that clients publish, so the message goes nowhere, but
        the handshake of its QoS is completed: QoS 1 gets a PUBACK with the packet id
        (§3.3.4, §3.4); QoS 2 gets a PUBREC (§3.5), and the PUBREL that follows a PUBCOMP
        (§3.7). QoS 0 gets no answer.
        """
        publish = _parse_publish(packet.flags, packet.body)
        logger.debug("%r: PUBLISH to %r (QoS %d, %d bytes) acknowledged and dropped",
                     connection, publish.topic, publish.qos, len(publish.payload))
        packet_id = publish.packet_id
        if packet_id is None:
            return
        if publish.qos == 2:
            session.qos2_received.add(packet_id)
        connection.send(_encode(PUBACK if publish.qos == 1 else PUBREC, 0, packet_id.to_bytes(2, "big")))

    def _on_connect(self, connection: EmulatorConnection, session: _Session, connect: _Connect) -> bool:
        code, account = self._check_login(connect)
        if code != ACCEPTED:
            with self._lock:
                self.connects_refused.append(code)
            connection.send(_encode(CONNACK, 0, bytes([0, code])))
            connection.close()
            self.notify_changed()
            return False
        with self._lock:
            previous = self._by_client_id.get(connect.client_id)
            self._by_client_id[connect.client_id] = connection
            self.connects_accepted += 1
            if previous is not None:
                self.takeovers += 1
        if previous is not None:  # MQTT 3.1.1 §3.1.4: the older session with this client id goes
            previous.abort()
        with connection.send_lock:
            session.connect, session.account = connect, account
            session.private = connect.user_name == PRIVATE_USER
            connection.send(_encode(CONNACK, 0, bytes([0, ACCEPTED])))
        connection.start_worker(self._push_loop)
        self.notify_changed()
        return True

    def _check_login(self, connect: _Connect) -> tuple[int, Credentials | None]:
        with self._lock:
            if self._connect_refusals:
                return self._connect_refusals.popleft(), None
        if connect.protocol != "MQTT" or connect.level != 4:
            return REFUSED_PROTOCOL, None
        if connect.user_name == PUBLIC_USER:  # §2.1
            if connect.password != PUBLIC_PASSWORD:
                return REFUSED_CREDENTIALS, None
            for account in self.accounts:
                email = account.email or ""  # every account has one (checked by the emulator)
                if len(connect.client_id) == 96 and connect.client_id[:64] == _md5(account.key) + _md5(email):
                    return ACCEPTED, account
            return REFUSED_IDENTIFIER, None
        if connect.user_name == PRIVATE_USER:  # §2.2
            private = next((a for a in self.accounts if a.key == connect.client_id), None)
            if private is None:
                return REFUSED_IDENTIFIER, None
            account = private
            parts = (connect.password or "").split(",")  # email,timestamp,sign
            if len(parts) != 3:
                return REFUSED_CREDENTIALS, None
            email, timestamp, sign = parts
            if email != account.email or not timestamp.isdigit():
                return REFUSED_CREDENTIALS, None
            if abs(int(timestamp) / 1000 - time.time()) > self.max_clock_skew:
                return REFUSED_CREDENTIALS, None
            if sign != _md5(f"{account.key},{account.secret},{account.email},{timestamp}"):
                return REFUSED_CREDENTIALS, None
            return ACCEPTED, account
        return REFUSED_CREDENTIALS, None

    def _on_subscribe(self, connection: EmulatorConnection, session: _Session, body: bytes) -> None:
        reader = _Reader(body)
        packet_id = reader.u16()
        requested = []
        while reader.more:
            topic = reader.string()
            reader.u8()  # requested QoS; the broker grants 0
            requested.append(topic)
        if not requested:
            raise MalformedPacket("SUBSCRIBE without a topic")
        with self._lock:
            refuse_all = self._subscription_refusals > 0
            if refuse_all:
                self._subscription_refusals -= 1
        feeds = [None if refuse_all else self._feed_for(session, topic) for topic in requested]
        codes = bytes(SUBSCRIBE_FAILURE if feed is None else 0 for feed in feeds)
        with connection.send_lock:
            connection.send(_encode(SUBACK, 0, packet_id.to_bytes(2, "big") + codes))
            for topic, feed in zip(requested, feeds):
                if feed is not None:
                    session.feeds[topic] = feed
                    self._publish(connection, topic, feed)  # the current snapshot at once
        self.notify_changed()

    def _feed_for(self, session: _Session, topic: str) -> _Feed | None:
        """The generator of a topic this session may read, else ``None`` (SUBACK 0x80)."""
        prefix = ENVIRONMENT + "/"
        if not topic.startswith(prefix):
            return None
        sub_topic = topic[len(ENVIRONMENT):]
        connect = session.connect
        assert connect is not None
        if not session.private:
            match = _PUBLIC_TOPIC.fullmatch(sub_topic)
            hashed = topic if self.client_id_topic == "full" else sub_topic
            if match is None or _md5(hashed) != connect.client_id[64:]:
                return None  # each public topic needs the client id derived from it (§2.1)
            if match.group(1):
                kind, base, quote, parameter = *match.group(1, 2, 3), None
            else:
                kind, base, quote, parameter = match.group(4, 5, 6, 7)
            if kind == "orderBook" and parameter not in ORDER_BOOK_STEPS:
                return None
            if kind == "kline" and (parameter is None or not parameter.isdigit() or int(parameter) not in KLINE_RANGES):
                return None
            symbol = f"{base}/{quote}"
            market = session.markets.get(symbol)
            if market is None:  # one market per pair and session, whichever topics show it
                market = session.markets[symbol] = _Market(
                    symbol, random.Random(f"{self.seed}:{symbol}"), self.trade_window)
            return _Feed(kind, market, parameter, session.account, self, random.Random(f"{self.seed}:{topic}"))
        match = _PRIVATE_TOPIC.fullmatch(sub_topic)
        if match is None or session.account is None:
            return None
        kind, email = match.group(1, 2) if match.group(1) else match.group(3, 4)
        if email != session.account.email or (kind == "asset" and not self.asset_approved):
            return None
        return _Feed(kind, None, None, session.account, self)

    def _publish(self, connection: EmulatorConnection, topic: str, feed: _Feed) -> None:
        connection.send(_encode(PUBLISH, 0, _encode_string(topic) + feed.next()))

    def _push_loop(self, connection: EmulatorConnection) -> None:
        session: _Session = connection.session
        keepalive = session.connect.keepalive if session.connect else 0
        while connection.tick(self.push_interval):
            if connection.stalled:
                continue
            if keepalive and time.monotonic() - session.last_packet_at > 1.5 * keepalive:
                logger.info("%r: no packet for 1.5 x keep-alive (%d s); closing", connection, keepalive)
                connection.abort()
                return
            with connection.send_lock:
                feeds = list(session.feeds.items())
                # One step per pair and round, before any of its topics is published: every
                # publish of the round shows the same coherent state of the pair's market.
                for market in {id(feed.market): feed.market for _, feed in feeds if feed.market}.values():
                    market.step()
                for topic, feed in feeds:
                    self._publish(connection, topic, feed)
