"""Coinsuper emulator: an MQTT 3.1.1 broker (``reference/protocols/coinsuper.md``).

Speaks what Coinsuper's "WebSocket API" is, MQTT 3.1.1, over WebSocket (path ``/mqtt``,
sub-protocol ``mqtt``, one packet per binary message) and optionally over plain TCP:
CONNECT/CONNACK with Coinsuper's log-on rules (§2.1 public client id, user name and
password; §2.2 private client id and signed, timestamped password; a bad one is refused
with the MQTT return code), SUBSCRIBE/SUBACK (0x80 for a topic the session may not
read), UNSUBSCRIBE/UNSUBACK, PINGREQ/PINGRESP, DISCONNECT, client-id takeover, the
keep-alive rule (a session silent for 1.5 × its keep-alive is closed), and QoS 0
PUBLISH of seeded generated payloads for the seven topics of §3, in the documented JSON
(the asset payload with 30-decimal JSON numbers).

The MQTT packet codec is written here (a few dozen lines): no maintained pure-Python
library offers a synchronous broker-side codec, and paho-mqtt's is private and
client-side only.

Faults: :meth:`~CoinsuperEmulator.drop_connections`, :meth:`~CoinsuperEmulator.stall`,
:meth:`~CoinsuperEmulator.refuse_next_connect`,
:meth:`~CoinsuperEmulator.refuse_next_subscription`, :meth:`~CoinsuperEmulator.publish_raw`.
"""

from __future__ import annotations

import collections
import hashlib
import itertools
import random
import re
import socket
import ssl
import threading
import time
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, NamedTuple

from exwire.errors import ConfigurationError
from exwire.models import Credentials
from exwire.testing._server import EmulatorConnection, EmulatorServer, logger

__all__ = ["CoinsuperEmulator", "DEMO_CREDENTIALS"]

ENVIRONMENT = "exchange_ha_prod_hk"
PUBLIC_USER = "api_subscriber"
PUBLIC_PASSWORD = "da65be18f44b33b69603c39fd03ddf49"
PRIVATE_USER = "api_private"

#: The account the emulator knows by default: the worked example of coinsuper.md §2.
DEMO_CREDENTIALS = Credentials(key="zhangsan", secret="lisi", email="demouser@demo.domain")

# MQTT 3.1.1 control packet types (§2.2.1 of the MQTT standard).
CONNECT, CONNACK, PUBLISH, SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK = 1, 2, 3, 8, 9, 10, 11
PINGREQ, PINGRESP, DISCONNECT = 12, 13, 14
ACCEPTED, REFUSED_PROTOCOL, REFUSED_IDENTIFIER, REFUSED_CREDENTIALS = 0, 1, 2, 4
SUBSCRIBE_FAILURE = 0x80

ORDER_BOOK_STEPS = ("1.0", "0.1", "0.01", "0.0001", "0.000001", "0.00000001")
KLINE_RANGES = (60000, 300000, 900000, 1800000, 3600000, 7200000, 14400000, 21600000,
                43200000, 86400000, 604800000)
_FIAT = {"USD", "USDT", "USDC", "EUR", "KRW", "CNY", "HKD", "JPY"}
_PUBLIC_TOPIC = re.compile(r"/api/ws/v1/market/(depth|tickers)/([A-Z0-9]+)_([A-Z0-9]+)"
                           r"|/api/ws/v1/market/(orderBook|kline)/([A-Z0-9]+)_([A-Z0-9]+)/([0-9.]+)")
_PRIVATE_TOPIC = re.compile(r"/api/ws/personal/v1/(asset)/change/(.+)|/ws/personal/v1/(order|trade)/change/(.+)")


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()  # noqa: S324 - Coinsuper's scheme


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
        packets = []
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


# -- generated payloads (§3) ---------------------------------------------------------------


class _Number(str):
    """Number text written into JSON as is (a bare number with all its digits, §3.5)."""


def _json(value: Any) -> str:
    """JSON text; :class:`_Number` values become bare JSON numbers, exactly as written."""
    if isinstance(value, _Number):
        return str(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{_json(str(k))}:{_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_json(v) for v in value) + "]"
    raise TypeError(f"cannot encode {type(value).__name__}")


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _fixed(units: int, decimals: int) -> str:
    """``units`` × 10^-decimals as plain decimal text, exact at any length (no Decimal context)."""
    sign, units = ("-" if units < 0 else ""), abs(units)
    whole, fraction = divmod(units, 10**decimals)
    return f"{sign}{whole}.{fraction:0{decimals}d}" if decimals else f"{sign}{whole}"


class _Market:
    """A seeded random walk of one pair, in integer price units of ``decimals`` places."""

    def __init__(self, symbol: str, rng: random.Random) -> None:
        base, quote = symbol.split("/")
        self.symbol = symbol
        self.rng = rng
        self.decimals = 2 if quote in _FIAT else 8
        self.mid = 667456 if self.decimals == 2 else 312345  # 6674.56 or 0.00312345
        self.mid = self.mid + rng.randint(-1000, 1000)

    def price(self, units: int) -> str:
        return _fixed(units, self.decimals)

    def step(self) -> None:
        self.mid = max(1000, self.mid + self.rng.choice((-3, -1, 0, 1, 3)) * max(1, self.mid // 20000))

    def quantity(self) -> int:  # 4 decimals
        return self.rng.randint(10, 900_000)


class _Feed:
    """The next payload of one topic for one session."""

    def __init__(self, kind: str, market: _Market | None, parameter: str | None,
                 account: Credentials | None, emulator: CoinsuperEmulator) -> None:
        self.kind = kind
        self.market = market
        self.parameter = parameter
        self.account = account
        self.emulator = emulator
        self.rng = market.rng if market else random.Random(f"{emulator.seed}:{kind}")
        self.trades: collections.deque[dict[str, Any]] = collections.deque(maxlen=emulator.trade_window)
        self.candle: dict[str, Any] | None = None
        self.orders: collections.deque[dict[str, Any]] = collections.deque()  # open orders
        self.order_numbers = itertools.count(1616392747273428993 + self.rng.randint(0, 10**6))

    def next(self) -> bytes:
        if self.market is not None:
            self.market.step()
        return _json(getattr(self, "_" + self.kind)()).encode("utf-8")

    def _depth(self) -> dict[str, Any]:
        market, levels = self.market, self.emulator.depth_levels
        assert market is not None
        spacing = max(1, market.mid // 1000)  # buckets about 0.1 % apart (§3.1)
        best_ask, best_bid = market.mid + 1, market.mid - 1

        def side(start: int, direction: int) -> list[dict[str, Any]]:
            total, buckets = 0, []
            for i in range(levels):
                total += market.quantity()
                buckets.append({"price": market.price(start + direction * i * spacing),
                                "quantity": _fixed(total, 4), "stepValue": None})
            return buckets

        return {"symbol": market.symbol, "asks": side(best_ask, 1), "bids": side(best_bid, -1),
                "depthPercent": "0.01", "asksMinPrice": market.price(best_ask),
                "bidsMaxPrice": market.price(best_bid)}

    def _orderBook(self) -> dict[str, Any]:  # noqa: N802 - named after the topic
        market, levels = self.market, self.emulator.book_levels
        assert market is not None and self.parameter is not None
        step = max(1, int(Decimal(self.parameter).scaleb(market.decimals)))
        best_ask = (market.mid // step + 1) * step
        best_bid = best_ask - step

        def side(start: int, direction: int) -> list[dict[str, Any]]:
            rows = []
            for i in range(levels):
                price, quantity = start + direction * i * step, market.quantity()
                amount = Decimal(price).scaleb(-market.decimals) * Decimal(quantity).scaleb(-4)
                rows.append({"amount": format(amount.quantize(Decimal("0.01")), "f"),
                             "limitPrice": market.price(price), "quantity": _fixed(quantity, 4)})
            return rows

        return {"asks": side(best_ask, 1), "bids": side(best_bid, -1), "limitSize": levels,
                "step": self.parameter, "symbol": market.symbol, "timestamp": _now_ms()}

    def _kline(self) -> dict[str, Any]:
        market = self.market
        assert market is not None and self.parameter is not None
        span = int(self.parameter)
        start = _now_ms() // span * span
        price = market.mid
        if self.candle is None or self.candle["timestamp"] != start:
            self.candle = {"timestamp": start, "first": price, "max": price, "min": price, "quantity": 0}
        candle = self.candle
        candle["max"], candle["min"] = max(candle["max"], price), min(candle["min"], price)
        candle["quantity"] += self.rng.randint(1, 10**8)
        return {"symbol": market.symbol, "first": market.price(candle["first"]), "last": market.price(price),
                "max": market.price(candle["max"]), "min": market.price(candle["min"]),
                "quantity": _fixed(candle["quantity"], 8), "timestamp": start}

    def _tickers(self) -> list[dict[str, Any]]:
        market = self.market
        assert market is not None
        now = _now_ms()
        for _ in range(self.rng.choice((1, 1, 2, 3))):  # several trades may share a millisecond
            self.trades.appendleft({"symbol": market.symbol, "price": market.price(market.mid),
                                    "quantity": _fixed(market.quantity(), 4),
                                    "action": self.rng.choice(("BUY", "SELL")), "timestamp": now})
        return list(self.trades)  # newest first (§3.4)

    def _asset(self) -> dict[str, Any]:
        assert self.account is not None
        now = _now_ms()
        rows = []
        for currency, scale in (("BTC", 1), ("USD", 4000)):
            # 30 decimals with significant digits far beyond a float's 17 (§3.5).
            total = self.rng.randint(10**29, 3 * 10**30) * scale
            available = total * self.rng.randint(40, 100) // 100
            rows.append({"available": _Number(_fixed(available, 30)), "currency": currency,
                         "total": _Number(_fixed(total, 30)), "utcUpdate": now - 700})
        return {"asset": rows, "email": self.account.email, "timestamp": now, "userNo": "1600000000000000000"}

    def _order(self) -> dict[str, Any]:
        now = _now_ms()
        if self.orders:  # cancel the order created by the previous publish
            order = {**self.orders.popleft(), "state": "CANCEL", "utcUpdate": now}
            return order
        quantity = Decimal(self.rng.randint(1, 9999)).scaleb(-4)
        price = Decimal(self.rng.randint(600000, 700000)).scaleb(-2)
        amount = (quantity * price).quantize(Decimal("0.01"))
        order = {"symbol": "BTC/USD", "orderNo": str(next(self.order_numbers)), "quantity": format(quantity, "f"),
                 "quantityRemaining": format(quantity, "f"), "priceLimit": format(price, "f"),
                 "action": self.rng.choice(("BUY", "SELL")), "priceAverage": "0", "amount": format(amount, "f"),
                 "amountRemaining": format(amount, "f"), "fee": "0", "state": "NEW",
                 "utcCreate": now, "utcUpdate": now}
        self.orders.append(order)
        return order

    def _trade(self) -> dict[str, Any]:
        return {"action": self.rng.choice(("BUY", "SELL")), "dealNo": str(next(self.order_numbers) + 10**17),
                "matchType": self.rng.choice(("MAKER", "TAKER")), "orderNo": str(next(self.order_numbers)),
                "orderType": self.rng.choice(("MKT", "LMT")),
                "price": _fixed(self.rng.randint(10**10, 10**12), 8),
                "quantity": _fixed(self.rng.randint(10**4, 10**8), 8), "symbol": "ETC/BTC",
                "utcDeal": str(_now_ms())}  # a string in the doc's sample (§3.7)


# -- sessions -------------------------------------------------------------------------------


class _Session:
    """One client connection's MQTT state; guarded by the connection's ``send_lock``."""

    def __init__(self) -> None:
        self.reader = _PacketReader()
        self.connect: _Connect | None = None
        self.account: Credentials | None = None
        self.private = False
        self.feeds: dict[str, _Feed] = {}
        self.last_packet_at = time.monotonic()


class _TcpConnection(EmulatorConnection):
    """A plain TCP client connection with :class:`EmulatorConnection`'s worker helpers."""

    def __init__(self, server: CoinsuperEmulator, connection_id: int, sock: socket.socket) -> None:
        self.server = server
        self.id = connection_id
        self.path = "tcp"
        self.session = None
        self.send_lock = threading.RLock()
        self.closing = threading.Event()
        self.closed = threading.Event()
        self.messages_received = 0
        self.messages_sent = 0
        self._socket = sock
        self._wakeup = threading.Event()
        self._stalled = False
        self._workers = []

    def __repr__(self) -> str:
        return f"<TcpConnection {self.server.name}#{self.id}>"

    def send(self, message: str | bytes) -> bool:
        if self._stalled:
            return False
        data = message.encode("utf-8") if isinstance(message, str) else message
        try:
            with self.send_lock:
                self._socket.sendall(data)
                self.messages_sent += 1
        except OSError:
            self._set_closing()
            return False
        return True

    def close(self, code: int = 1000, reason: str = "") -> None:
        self.abort()

    def abort(self) -> None:
        self._set_closing()
        try:
            self._socket.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def stall(self) -> None:
        self._stalled = True


class CoinsuperEmulator(EmulatorServer):
    """A local Coinsuper MQTT broker for tests and samples.

    ``with CoinsuperEmulator() as emu: client = CoinsuperClient(credentials=emu.credentials,
    **emu.client_kwargs())``. Each subscription gets seeded generated data: the same seed
    and the same subscriptions give the same prices and quantities (times come from the clock).

    Threads: besides those of :class:`EmulatorServer`, each logged-on connection has one
    pusher (``exwire-emulator-coinsuper-push-<id>``); with ``tcp=True`` an acceptor
    (``exwire-emulator-coinsuper-tcp``) and one reader per TCP connection
    (``exwire-emulator-coinsuper-tcp-<id>``). All are joined by :meth:`close`.
    Thread-safety: every public method may be called from any thread.

    Args:
        seed: seed of the generated data.
        push_interval: seconds between publishes of each subscribed topic (production: 1-2 s).
        accounts: the accounts allowed to log on (key, secret, e-mail); default
            :data:`DEMO_CREDENTIALS`.
        asset_approved: whether the asset-change topic is enabled for the accounts (the
            doc says Coinsuper's API team must approve it); if not, SUBACK refuses it.
        client_id_topic: what a public client id must hash: ``"full"`` topic or ``"sub"``-topic.
        max_clock_skew: seconds a private password's timestamp may differ from the clock.
        tcp: also listen for MQTT over TCP (see :attr:`tcp_url`).
        tcp_tls: a server-side TLS context for the TCP listener (``mqtts://``); ``None`` for plain TCP.
        depth_levels, book_levels, trade_window: sizes of the depth, order book and trade payloads.
        host, port, send_timeout, close_timeout: as :class:`EmulatorServer`.

    Attributes:
        connects_accepted: MQTT sessions logged on since start (WebSocket and TCP).
        connects_refused: the CONNACK return code of every refused CONNECT, in order.
        takeovers: sessions closed because a newer one logged on with the same client id.

    Raises:
        ConfigurationError: a non-positive push_interval or an account without key, secret or e-mail.
    """

    def __init__(self, seed: int = 0, *, push_interval: float = 1.0,
                 accounts: Iterable[Credentials] | None = None, asset_approved: bool = True,
                 client_id_topic: str = "full", max_clock_skew: float = 300.0, tcp: bool = False,
                 tcp_tls: ssl.SSLContext | None = None, depth_levels: int = 50, book_levels: int = 15,
                 trade_window: int = 50, host: str = "127.0.0.1", port: int = 0,
                 send_timeout: float | None = 10.0, close_timeout: float = 2.0) -> None:
        super().__init__("coinsuper", host=host, port=port, send_timeout=send_timeout, close_timeout=close_timeout)
        if not push_interval > 0:
            raise ConfigurationError(f"push_interval must be > 0 seconds, not {push_interval!r}")
        self.seed = seed
        self.push_interval = push_interval
        self.accounts = list(accounts) if accounts is not None else [DEMO_CREDENTIALS]
        if not self.accounts or any(not (a.key and a.secret and a.email) for a in self.accounts):
            raise ConfigurationError("every account needs key, secret and email")
        self.asset_approved = asset_approved
        self.client_id_topic = client_id_topic
        self.max_clock_skew = max_clock_skew
        self.depth_levels, self.book_levels, self.trade_window = depth_levels, book_levels, trade_window
        self.tcp = tcp or tcp_tls is not None
        self.tcp_tls = tcp_tls
        self._lock = threading.Lock()  # guards the fault queues, counters and the client-id table
        self._connect_refusals: collections.deque[int] = collections.deque()
        self._subscription_refusals = 0
        self._by_client_id: dict[str, EmulatorConnection] = {}
        self._tcp_connections: dict[int, _TcpConnection] = {}
        self._tcp_ids = itertools.count(1)
        self._tcp_listener: socket.socket | None = None
        self._tcp_port: int | None = None
        self.connects_accepted = 0
        self.connects_refused: list[int] = []
        self.takeovers = 0

    # -- public API --------------------------------------------------------------------

    @property
    def credentials(self) -> Credentials:
        """The first account's credentials, ready for ``CoinsuperClient(credentials=...)``."""
        return self.accounts[0]

    @property
    def url(self) -> str:
        """``ws://<host>:<port>/mqtt``: MQTT over WebSocket."""
        return f"ws://{self.host}:{self.port}/mqtt"

    @property
    def tcp_port(self) -> int:
        """The plain-TCP MQTT port (``tcp=True`` only)."""
        if self._tcp_port is None:
            raise ConfigurationError("the emulator was built without tcp=True or is not started")
        return self._tcp_port

    @property
    def tcp_url(self) -> str:
        """``mqtt://<host>:<tcp_port>`` (``mqtts://`` with ``tcp_tls``): MQTT over TCP."""
        return f"{'mqtts' if self.tcp_tls else 'mqtt'}://{self.host}:{self.tcp_port}"

    def client_kwargs(self) -> dict[str, str]:
        """Keyword arguments pointing a ``CoinsuperClient`` at this emulator (over WebSocket)."""
        return {"url": self.url}

    def sessions(self) -> list[tuple[str, str, list[str]]]:
        """``(client id, user name, subscribed topics)`` of every logged-on connection."""
        result = []
        for connection in self._all_connections():
            session = connection.session
            if session is not None and session.connect is not None:
                with connection.send_lock:
                    result.append((session.connect.client_id, session.connect.user_name or "", list(session.feeds)))
        return result

    def subscribed_topics(self) -> list[str]:
        """Every topic subscribed on every live session."""
        return [topic for _, _, topics in self.sessions() for topic in topics]

    def refuse_next_connect(self, return_code: int = 5, count: int = 1) -> None:
        """Answer the next ``count`` CONNECTs with CONNACK ``return_code`` (5: not authorised), then close."""
        with self._lock:
            self._connect_refusals.extend([return_code] * count)

    def refuse_next_subscription(self, count: int = 1) -> None:
        """Refuse every topic of the next ``count`` SUBSCRIBE packets (SUBACK 0x80)."""
        with self._lock:
            self._subscription_refusals += count

    def publish_raw(self, topic: str, payload: bytes | str) -> int:
        """Publish ``payload`` verbatim on ``topic`` to every session subscribed to it; return how many."""
        data = payload.encode("utf-8") if isinstance(payload, str) else payload
        sent = 0
        for connection in self._all_connections():
            session = connection.session
            with connection.send_lock:
                if session is not None and topic in session.feeds:
                    sent += connection.send(_encode(PUBLISH, 0, _encode_string(topic) + data))
        return sent

    def drop_connections(self) -> int:
        """Cut every live connection (WebSocket and TCP) without a goodbye; return how many."""
        tcp = self._tcp_snapshot()
        for connection in tcp:
            connection.abort()
        return super().drop_connections() + len(tcp)

    def stall(self) -> int:
        """Silence every live connection (no PINGRESP, no PUBLISH, input ignored); return how many."""
        tcp = self._tcp_snapshot()
        for connection in tcp:
            connection.stall()
        return super().stall() + len(tcp)

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> CoinsuperEmulator:
        """Bind the WebSocket port (and the TCP one with ``tcp=True``) and start accepting.

        Returns:
            ``self``.

        Raises:
            InvalidState: the emulator was closed; it cannot be restarted.
        """
        super().start()
        if self.tcp and self._tcp_listener is None:
            listener = socket.create_server((self.host, 0))
            self._tcp_listener = listener
            self._tcp_port = listener.getsockname()[1]
            self._start_thread(self._accept_tcp, "tcp", listener)
        return self

    def close(self) -> None:
        """Stop accepting, close every connection (WebSocket and TCP) and join every thread; idempotent."""
        listener = self._tcp_listener
        if listener is not None:
            try:
                listener.shutdown(socket.SHUT_RDWR)  # wakes accept()
            except OSError:
                pass
        for connection in self._tcp_snapshot():
            connection.abort()
        super().close()
        if listener is not None:
            listener.close()

    # -- hooks -------------------------------------------------------------------------

    def accepts_path(self, path: str) -> bool:
        return path == "/mqtt"

    def _process_request(self, websocket: Any, request: Any) -> Any:
        # MQTT over WebSocket negotiates the "mqtt" sub-protocol (MQTT 3.1.1 §6); the
        # shared server takes no sub-protocol option, so set it on the handshake here.
        websocket.protocol.available_subprotocols = ["mqtt"]
        return super()._process_request(websocket, request)

    def on_open(self, connection: EmulatorConnection) -> None:
        connection.session = _Session()

    def on_message(self, connection: EmulatorConnection, message: str | bytes) -> None:
        session: _Session = connection.session
        if isinstance(message, str):
            logger.info("%r: text frame on an MQTT connection; closing", connection)
            connection.abort()
            return
        try:
            packets = session.reader.feed(message)
            for packet in packets:
                session.last_packet_at = time.monotonic()
                if not self._on_packet(connection, session, packet):
                    return
        except MalformedPacket as exc:
            logger.info("%r: malformed MQTT (%s); closing", connection, exc)
            connection.abort()

    def on_close(self, connection: EmulatorConnection) -> None:
        session: _Session | None = connection.session
        if session is not None and session.connect is not None:
            with self._lock:
                if self._by_client_id.get(session.connect.client_id) is connection:
                    del self._by_client_id[session.connect.client_id]

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
            pass  # clients have nothing to publish on Coinsuper; ignored
        else:
            raise MalformedPacket(f"unexpected packet type {packet.type} (flags {packet.flags})")
        return True

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
                if len(connect.client_id) == 96 and connect.client_id[:64] == _md5(account.key) + _md5(account.email):
                    return ACCEPTED, account
            return REFUSED_IDENTIFIER, None
        if connect.user_name == PRIVATE_USER:  # §2.2
            account = next((a for a in self.accounts if a.key == connect.client_id), None)
            if account is None:
                return REFUSED_IDENTIFIER, None
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
            if kind == "kline" and (not parameter.isdigit() or int(parameter) not in KLINE_RANGES):
                return None
            symbol = f"{base}/{quote}"
            rng = random.Random(f"{self.seed}:{topic}")
            return _Feed(kind, _Market(symbol, rng), parameter, session.account, self)
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
                for topic, feed in list(session.feeds.items()):
                    self._publish(connection, topic, feed)

    # -- TCP -----------------------------------------------------------------------------

    def _all_connections(self) -> list[EmulatorConnection]:
        return self.connections + self._tcp_snapshot()

    def _tcp_snapshot(self) -> list[_TcpConnection]:
        with self._lock:
            return list(self._tcp_connections.values())

    def _accept_tcp(self, listener: socket.socket) -> None:
        while True:
            try:
                sock, _ = listener.accept()
            except OSError:
                return  # shut down by close()
            if self._closing.is_set():
                sock.close()
                return
            connection = _TcpConnection(self, next(self._tcp_ids), sock)
            with self._lock:
                self._tcp_connections[connection.id] = connection
            self._start_thread(self._serve_tcp, f"tcp-{connection.id}", connection)

    def _serve_tcp(self, connection: _TcpConnection) -> None:
        sock = connection._socket
        try:
            if self.tcp_tls is not None:
                try:
                    sock = connection._socket = self.tcp_tls.wrap_socket(sock, server_side=True)
                except (OSError, ValueError) as exc:
                    logger.info("%r: TLS handshake failed: %s", connection, exc)
                    return
            self.on_open(connection)
            while True:
                try:
                    data = sock.recv(65536)
                except OSError:
                    break
                if not data:
                    break
                if not connection.stalled:
                    self.on_message(connection, data)
        except Exception:
            logger.exception("%r: connection handler failed", connection)
        finally:
            connection._set_closing()
            connection._join_workers(self.close_timeout + 1.0)
            with self._lock:
                self._tcp_connections.pop(connection.id, None)
            self.on_close(connection)
            sock.close()
            connection.closed.set()
            self.notify_changed()

