"""Coinsuper "WebSocket API" (MQTT 3.1.1): the sans-I/O codec.

Implements the protocol notes of :doc:`the Coinsuper page </exchanges/coinsuper>` (doc versions v1.0.0β-R1.0.2): topics
(§3), payload decoding (§3.1-§3.7, through :mod:`exwire.coinsuper.converter`), the
subscribe/unsubscribe acknowledgements (§4) and the MQTT-level refusals (§2.3) mapped
onto the exwire error tree through the table ``ERRORS``.

Coinsuper is MQTT publish/subscribe, so the frames crossing the Transport seam are not
JSON messages of the exchange but small MQTT events:

* inbound, :class:`MqttFrame` objects made by :class:`exwire.coinsuper.transport.MqttTransport`
  (a ``bytes`` subclass: the bytes are a PUBLISH payload, empty for acks; ``kind``,
  ``topic``, ``ref``, ``packet_id`` and ``codes`` describe the packet);
* outbound, JSON commands (``{"op": "subscribe", "ref": 7, "topics": [...], "qos": 0}``)
  that the transport executes as MQTT SUBSCRIBE/UNSUBSCRIBE packets.

The transport correlates SUBACK/UNSUBACK by MQTT packet id and reports the command's
``ref``; requests are keyed ``("suback", ref)`` / ``("unsuback", ref)``. The MQTT log-on
(CONNECT/CONNACK) happens inside the transport's ``open`` (see :mod:`~exwire.coinsuper.signing`).

Routing keys are full MQTT topic strings (``exchange_ha_prod_hk/api/ws/v1/market/depth/BTC_USD``).
"""

from __future__ import annotations

import collections
import itertools
import json
from collections.abc import Hashable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from exwire._core.errortable import ErrorRule, ErrorTable
from exwire._core.protocol import DeferredDecoder, Event, Protocol, Reply, Update, new_update
from exwire.coinsuper import converter
from exwire.coinsuper.models import KlineInterval, OrderBookStep, Trade
from exwire.coinsuper.symbols import topic_symbol
from exwire.errors import (
    AuthenticationError,
    DecodeError,
    ExchangeError,
    ExchangeUnavailable,
    InvalidRequest,
    ProtocolError,
)
from exwire.models import UpdateType

__all__ = [
    "ENVIRONMENT",
    "ERRORS",
    "map_error",
    "MqttFrame",
    "Command",
    "decode_command",
    "Topics",
    "Route",
    "parse_topic",
    "topic_symbol",
    "CoinsuperProtocol",
]

#: The production environment prefix of every topic (§1).
ENVIRONMENT = "exchange_ha_prod_hk"

#: MQTT-level refusals (§2.3; MQTT 3.1.1 §3.2.2.3 and §3.9.3) → exwire errors. The scope
#: is the packet: CONNACK return codes and the SUBACK failure code 0x80.
ERRORS = ErrorTable("coinsuper", [
    ErrorRule(1, InvalidRequest, scope="connack", default_message="connection refused: unacceptable protocol version"),
    ErrorRule(2, AuthenticationError, scope="connack", default_message="connection refused: client identifier rejected"),
    ErrorRule(3, ExchangeUnavailable, scope="connack", default_message="connection refused: server unavailable"),
    ErrorRule(4, AuthenticationError, scope="connack", default_message="connection refused: bad user name or password"),
    ErrorRule(5, AuthenticationError, scope="connack", default_message="connection refused: not authorised"),
    ErrorRule(0x80, InvalidRequest, scope="suback", default_message="subscription refused"),
])


def map_error(packet: str, code: int, detail: str | None = None) -> ExchangeError:
    """The exwire error for an MQTT refusal (``code`` is kept as the error's ``code``)."""
    rule = ERRORS.rule_for(code, scope=packet)
    message = rule.default_message if rule is not None and rule.default_message else f"{packet} refused with code {code}"
    return ERRORS.error(code, f"{message}: {detail}" if detail else message, scope=packet)


# -- frames crossing the Transport seam ---------------------------------------------------


class MqttFrame(bytes):
    """An inbound MQTT event. The bytes are the PUBLISH payload (empty for acks), so logs
    and ``keep_raw`` see the exchange's JSON text.

    Attributes:
        kind: ``"publish"``, ``"suback"`` or ``"unsuback"``.
        topic: the PUBLISH topic, else ``None``.
        ref: for acks, the ``ref`` of the command that caused them (``None`` if unknown).
        packet_id: the MQTT packet identifier, when there is one.
        codes: SUBACK return codes, one per topic (0-2 granted QoS, 0x80 failure).
    """

    # Class defaults are a PUBLISH's: a publish sets only its topic (and packet id) on the
    # instance, one attribute in its __dict__ instead of five (a third of its cost).
    kind: str = "publish"
    topic: str | None
    ref: int | None = None
    packet_id: int | None = None
    codes: tuple[int, ...] = ()

    def __new__(
        cls,
        kind: str,
        payload: bytes | str = b"",
        *,
        topic: str | None = None,
        ref: int | None = None,
        packet_id: int | None = None,
        codes: Sequence[int] = (),
    ) -> MqttFrame:
        frame = super().__new__(cls, payload.encode("utf-8") if isinstance(payload, str) else payload)
        frame.kind = kind
        frame.topic = topic
        frame.ref = ref
        frame.packet_id = packet_id
        frame.codes = tuple(codes)
        return frame

    @classmethod
    def publish(cls, topic: str | None, payload: bytes | str, packet_id: int | None = None) -> MqttFrame:
        """A PUBLISH received on ``topic``; a ``str`` payload is encoded as UTF-8.

        ``topic`` is ``None`` when the wire topic is not UTF-8 (MQTT 3.1.1 §1.5.3): the
        protocol rejects such a frame (``DecodeError``), so the connection logs, skips and
        counts it (``frames_skipped``) as any other malformed frame.
        """
        # Once per market-data message: only what differs from the class defaults is set.
        frame = bytes.__new__(cls, payload.encode("utf-8") if isinstance(payload, str) else payload)
        frame.topic = topic
        if packet_id is not None:
            frame.packet_id = packet_id
        return frame

    @classmethod
    def suback(cls, ref: int | None, codes: Sequence[int], packet_id: int | None = None) -> MqttFrame:
        """A SUBACK answering the command ``ref``, with one return code per topic."""
        return cls("suback", ref=ref, packet_id=packet_id, codes=codes)

    @classmethod
    def unsuback(cls, ref: int | None, packet_id: int | None = None) -> MqttFrame:
        """An UNSUBACK answering the command ``ref``."""
        return cls("unsuback", ref=ref, packet_id=packet_id)

    def __repr__(self) -> str:
        if self.kind == "publish":
            return f"MqttFrame('publish', topic={self.topic!r}, {len(self)} bytes)"
        return f"MqttFrame({self.kind!r}, ref={self.ref}, codes={self.codes})"

    def __reduce__(self) -> Any:  # bytes subclasses with attributes need this to pickle/copy
        return (_rebuild_frame, (self.kind, bytes(self), self.topic, self.ref, self.packet_id, self.codes))


def _rebuild_frame(kind, payload, topic, ref, packet_id, codes) -> MqttFrame:  # type: ignore[no-untyped-def]
    return MqttFrame(kind, payload, topic=topic, ref=ref, packet_id=packet_id, codes=codes)


class Command(NamedTuple):
    """An outbound command, decoded by the transport from the protocol's frame."""

    op: str  # "subscribe" | "unsubscribe"
    ref: int
    topics: tuple[str, ...]
    qos: int = 0


def decode_command(frame: str | bytes) -> Command:
    """Read a command frame built by :class:`CoinsuperProtocol`.

    Raises:
        ValueError: not a command frame.
    """
    message = json.loads(frame)
    if message.get("op") not in ("subscribe", "unsubscribe") or not message.get("topics"):
        raise ValueError(f"not a coinsuper transport command: {frame!r}")
    return Command(message["op"], int(message["ref"]), tuple(message["topics"]), int(message.get("qos", 0)))


# -- topics (§3) ---------------------------------------------------------------------------


class Topics:
    """Builds the topic strings of one environment (§3). Pure; safe from any thread.

    Each method returns ``(sub_topic, full_topic)``: the full topic is subscribed; which
    of the two is hashed into a public client id is the client's ``client_id_topic`` choice.
    """

    def __init__(self, environment: str = ENVIRONMENT) -> None:
        self.environment = environment

    def _pair(self, sub_topic: str) -> tuple[str, str]:
        return sub_topic, self.environment + sub_topic

    def market_depth(self, symbol: str) -> tuple[str, str]:
        """§3.1 ``/api/ws/v1/market/depth/{SYMBOL}``."""
        return self._pair(f"/api/ws/v1/market/depth/{topic_symbol(symbol)}")

    def order_book(self, symbol: str, step: OrderBookStep) -> tuple[str, str]:
        """§3.2 ``/api/ws/v1/market/orderBook/{SYMBOL}/{step}``."""
        return self._pair(f"/api/ws/v1/market/orderBook/{topic_symbol(symbol)}/{step.value}")

    def kline(self, symbol: str, interval: KlineInterval) -> tuple[str, str]:
        """§3.3 ``/api/ws/v1/market/kline/{SYMBOL}/{range_ms}``."""
        return self._pair(f"/api/ws/v1/market/kline/{topic_symbol(symbol)}/{int(interval)}")

    def trades(self, symbol: str) -> tuple[str, str]:
        """§3.4 ``/api/ws/v1/market/tickers/{SYMBOL}``."""
        return self._pair(f"/api/ws/v1/market/tickers/{topic_symbol(symbol)}")

    def balances(self, email: str) -> tuple[str, str]:
        """§3.5 ``/api/ws/personal/v1/asset/change/{email}``."""
        return self._pair(f"/api/ws/personal/v1/asset/change/{email}")

    def orders(self, email: str) -> tuple[str, str]:
        """§3.6 ``/ws/personal/v1/order/change/{email}`` (no ``/api`` segment, as the doc prints it)."""
        return self._pair(f"/ws/personal/v1/order/change/{email}")

    def user_trades(self, email: str) -> tuple[str, str]:
        """§3.7 ``/ws/personal/v1/trade/change/{email}`` (the doc's heading says order/change: a copy error)."""
        return self._pair(f"/ws/personal/v1/trade/change/{email}")


class Route(NamedTuple):
    """What a topic carries: ``kind`` is depth, orderBook, kline, tickers, asset, order or trade."""

    kind: str
    symbol: str | None  # slash form
    parameter: str | None  # step, range (ms) or e-mail


_PUBLIC_PATTERNS = {  # sub-topic segments after /api/ws/v1/market/ → (kind, extra segment count)
    "depth": 0,
    "orderBook": 1,
    "kline": 1,
    "tickers": 0,
}


def parse_topic(topic: str, environment: str = ENVIRONMENT) -> Route:
    """Recover the channel, pair and parameter of a full topic (§4: route by topic name).

    Raises:
        DecodeError: the topic is not one of §3's.
    """
    if not topic.startswith(environment + "/"):
        raise DecodeError(f"topic outside environment {environment!r}: {topic!r}")
    parts = topic[len(environment) + 1 :].split("/")
    if parts[:4] == ["api", "ws", "v1", "market"] and len(parts) >= 6:
        kind = parts[4]
        extra = _PUBLIC_PATTERNS.get(kind)
        if extra is not None and len(parts) == 6 + extra:
            symbol = parts[5].replace("_", "/", 1)
            return Route(kind, symbol, parts[6] if extra else None)
    if parts[:5] == ["api", "ws", "personal", "v1", "asset"] and len(parts) >= 7 and parts[5] == "change":
        return Route("asset", None, "/".join(parts[6:]))
    private = parts[:3] == ["ws", "personal", "v1"] and len(parts) >= 6
    if private and parts[3] in ("order", "trade") and parts[4] == "change":
        return Route(parts[3], None, "/".join(parts[5:]))
    raise DecodeError(f"unknown coinsuper topic {topic!r}")


# -- the codec -------------------------------------------------------------------------------


class _TradeWindow:
    """De-duplicates the repeated last-N trades window of §3.4 (trades carry no id).

    Trades are compared by (timestamp, price, quantity, side); only trades newer than the
    newest seen (or, at that same millisecond, beyond the count already seen) are new.
    """

    __slots__ = ("last", "at_last")

    def __init__(self) -> None:
        self.last: datetime | None = None
        self.at_last: collections.Counter[tuple[Decimal, Decimal, Any]] = collections.Counter()

    def fresh(self, window: list[Trade]) -> list[Trade]:
        """Return the trades not delivered yet, oldest first, and remember the window."""
        ordered = sorted(reversed(window), key=lambda trade: trade.time)  # the wire is newest first
        last, seen = self.last, collections.Counter(self.at_last)
        fresh: list[Trade] = []
        for trade in ordered:
            if last is None or trade.time > last:
                fresh.append(trade)
            elif trade.time == last:
                key = (trade.price, trade.quantity, trade.side)
                if seen[key] > 0:
                    seen[key] -= 1
                else:
                    fresh.append(trade)
        if ordered:
            newest = ordered[-1].time
            at_newest = collections.Counter(
                (t.price, t.quantity, t.side) for t in ordered if t.time == newest
            )
            if last is None or newest > last:
                self.last, self.at_last = newest, at_newest
            elif newest == last:
                self.at_last = collections.Counter(self.at_last | at_newest)
        return fresh


class CoinsuperProtocol(Protocol):
    """Codec of one Coinsuper MQTT connection (one public topic, or the private topics).

    Not thread-safe by itself, as the contract says: ``receive`` runs on the connection's
    reader thread, serialised with the lifecycle (:meth:`connection_made`,
    :meth:`abandoned`) by the Connection's protocol lock; ``subscribe``/``unsubscribe``
    may be called from any thread (refs come from ``itertools.count``; each builds
    and stores one command, an atomic dict store).

    Args:
        environment: the topic prefix (§1), ``exchange_ha_prod_hk`` in production.
    """

    exchange = "coinsuper"
    #: Raw delivery (``raw``) is native: market depth, order book, kline and asset
    #: payloads go out as their JSON without models; tickers (de-duplicated by the trade
    #: window), orders and trades decode as usual and carry the JSON instead.
    raw_native = True

    def __init__(self, environment: str = ENVIRONMENT) -> None:
        self.environment = environment
        self._refs = itertools.count(1)
        self._requested: dict[int, tuple[str, ...]] = {}
        self._routes: dict[str, Route] = {}
        self._trade_windows: dict[str, _TradeWindow] = {}
        # A raw client's depth, order book, kline and asset payloads are left to the lanes
        # (routed by their topic): Protocol.deferred.
        self._decoder = DeferredDecoder(self.exchange, converter.loads, MqttFrame, self._deferrable)

    # -- requests (any thread) ---------------------------------------------------------

    def subscribe(self, topics: Sequence[str], qos: int = 0) -> tuple[Hashable, str]:
        """Build a SUBSCRIBE command; return ``(request key, frame)`` (§4)."""
        return self._command("subscribe", topics, qos)

    def unsubscribe(self, topics: Sequence[str]) -> tuple[Hashable, str]:
        """Build an UNSUBSCRIBE command; return ``(request key, frame)`` (§4)."""
        return self._command("unsubscribe", topics, None)

    def _command(self, op: str, topics: Sequence[str], qos: int | None) -> tuple[Hashable, str]:
        ref = next(self._refs)
        topics = tuple(topics)
        self._requested[ref] = topics
        message: dict[str, Any] = {"op": op, "ref": ref, "topics": list(topics)}
        if qos is not None:
            message["qos"] = qos
        key = ("suback" if op == "subscribe" else "unsuback", ref)
        return key, json.dumps(message, separators=(",", ":"))

    # -- lifecycle (called by the Connection under its protocol lock) --------------------

    def connection_made(self) -> None:
        """A new MQTT session: no ack owed on the old one can come; forget those commands."""
        self._requested.clear()

    def abandoned(self, key: Hashable) -> bool:
        """A command got no ack (timed out or not sent): forget its topics.

        Acks name their command's ``ref``, so a late one completes nothing and the
        connection stays trusted: returns ``False``.
        """
        if type(key) is tuple and len(key) == 2 and type(key[1]) is int:
            self._requested.pop(key[1], None)
        return False

    # -- inbound (reader thread) ---------------------------------------------------------

    def receive(self, frame: str | bytes) -> Sequence[Event]:
        """Turn one :class:`MqttFrame` into events: ``Update`` for a PUBLISH, ``Reply`` for an ack.

        Raises:
            DecodeError: not an MQTT event, an unknown topic, or a payload of the wrong shape.
        """
        if not isinstance(frame, MqttFrame):  # the transport's declared frame type
            raise DecodeError("not an MQTT event of the coinsuper transport", frame)
        kind = frame.kind
        try:
            if kind == "publish":
                return self._publish(frame)
            if kind == "suback":
                return self._suback(frame)
            if kind == "unsuback":
                ref = frame.ref
                if type(ref) is not int:
                    return ()  # answers no command of ours (their refs are integers)
                self._requested.pop(ref, None)
                return (Reply(("unsuback", ref), None),)
        except ProtocolError:
            raise
        except Exception as exc:  # a shape the checks missed: still only a bad frame
            raise DecodeError(f"malformed coinsuper {kind} event: {exc!r}"[:300], frame) from exc
        raise DecodeError("not an MQTT event of the coinsuper transport", frame)

    def _suback(self, frame: MqttFrame) -> Sequence[Event]:
        if type(frame.ref) is not int:
            return ()  # answers no command of ours (their refs are integers)
        topics = self._requested.pop(frame.ref, ())
        key = ("suback", frame.ref)
        if not all(type(code) is int for code in frame.codes):
            error = DecodeError(f"SUBACK return codes are not integers: {frame.codes!r}"[:200], frame)
            error.key = key
            raise error
        refused = [topics[i] if i < len(topics) else f"#{i}" for i, code in enumerate(frame.codes) if code >= 0x80]
        if refused:
            detail = "not permitted for this account or unknown topic: " + ", ".join(refused)
            return (Reply(key, error=map_error("suback", 0x80, detail)),)
        return (Reply(key, frame.codes),)

    def _deferrable(self, key: Hashable) -> bool:
        """Whether a raw client's publishes on topic ``key`` are left to the lanes (any thread)."""
        if type(key) is not str:
            return False
        try:
            return parse_topic(key, self.environment).kind in _RAW_NATIVE
        except DecodeError:  # not a topic of this environment: nothing of it is deferred
            return False

    def _route(self, topic: str) -> Route:
        route = self._routes.get(topic)
        if route is None:
            route = parse_topic(topic, self.environment)
            self._routes[topic] = route
        return route

    def _publish(self, frame: MqttFrame) -> Sequence[Event]:
        topic = frame.topic
        if type(topic) is not str:
            if topic is None:
                raise DecodeError("PUBLISH whose topic is not UTF-8 (MQTT 3.1.1 §1.5.3)", frame)
            raise DecodeError(f"PUBLISH without a topic string: {topic!r}"[:200], frame)
        route = self._route(topic)
        kind = route.kind
        symbol = route.symbol
        if kind == "orderBook" and not self.raw:
            # Checked by one regular expression and decoded on first read, or decoded now
            # (the same snapshot either way, or the DecodeError of the exact way).
            book = converter.order_book_from_payload(frame, symbol, route.parameter)  # type: ignore[arg-type]
            return (Update(topic, book, symbol, UpdateType.SNAPSHOT),)
        if self.raw:
            update_type = _RAW_NATIVE.get(kind)
            if update_type is not None:  # routed by its topic: the JSON is the lane's (deferred)
                return (new_update(Update, (topic, frame, None if kind == "asset" else symbol, update_type)),)
            payload = converter.loads(frame)
            return [event._replace(data=payload) if type(event) is Update else event
                    for event in self._typed(topic, kind, symbol, route, payload)]
        return self._typed(topic, kind, symbol, route, converter.loads(frame))

    def _typed(self, topic: str, kind: str, symbol: str | None, route: Route, payload: Any) -> Sequence[Event]:
        if kind == "depth":
            depth = converter.market_depth_from_wire(payload, symbol)  # type: ignore[arg-type]
            return (Update(topic, depth, symbol, UpdateType.SNAPSHOT),)
        if kind == "orderBook":
            book = converter.order_book_from_wire(payload, symbol, route.parameter)  # type: ignore[arg-type]
            return (Update(topic, book, symbol, UpdateType.SNAPSHOT),)
        if kind == "kline":
            interval = _int(route.parameter, topic)
            kline = converter.kline_from_wire(payload, symbol, interval)  # type: ignore[arg-type]
            return (Update(topic, kline, symbol),)
        if kind == "tickers":
            return self._trades(topic, symbol, payload)  # type: ignore[arg-type]
        if kind == "asset":
            return (Update(topic, converter.balance_update_from_wire(payload), None),)
        if kind == "order":
            return tuple(Update(topic, order, order.symbol) for order in converter.order_updates_from_wire(payload))
        return tuple(Update(topic, fill, fill.symbol) for fill in converter.user_trades_from_wire(payload))

    def _trades(self, topic: str, symbol: str, payload: Any) -> Sequence[Event]:
        trades = converter.trades_from_wire(payload, symbol)
        window = self._trade_windows.get(topic)
        first = window is None
        if window is None:
            window = self._trade_windows[topic] = _TradeWindow()
        fresh = window.fresh(trades)
        if not fresh:
            return ()
        return (Update(topic, fresh, symbol, UpdateType.SNAPSHOT if first else UpdateType.UPDATE),)


#: Kinds whose raw update is the payload itself, with the update type of the typed one.
_RAW_NATIVE = {"depth": UpdateType.SNAPSHOT, "orderBook": UpdateType.SNAPSHOT, "kline": UpdateType.UPDATE,
               "asset": UpdateType.UPDATE}


def _int(text: str | None, topic: str) -> int:
    try:
        return int(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise DecodeError(f"no kline range in topic {topic!r}") from None
