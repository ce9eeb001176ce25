"""paho-mqtt behind exwire's Transport seam (:doc:`the Coinsuper page </exchanges/coinsuper>` §1-§2).

:class:`MqttTransport` is one MQTT 3.1.1 session over WebSocket (``ws://``/``wss://``,
sub-protocol ``mqtt``, binary frames) or plain TCP (``mqtt://``/``mqtts://``). It is the
only module of exwire that imports ``paho``.

How paho is driven. paho's network loop is the Connection's reader: ``recv`` waits in
``select`` on paho's socket (plus a wake-up socket pair) and then runs paho's
external-loop calls (``loop_read``/``loop_write``/``loop_misc``) on the reader thread.
paho therefore starts no thread of its own (no ``loop_start``), and never reconnects
by itself (no ``loop_forever``; ``reconnect_on_failure=False``): after a loss
``recv`` raises ``TransportClosed`` and exwire's Connection backs off, opens a new
transport (a fresh paho client with a fresh log-on, e.g. a new private timestamp) and
resubscribes. paho's callbacks are this module's own functions: they only turn MQTT
packets into :class:`~exwire.coinsuper.protocol.MqttFrame` objects on a queue that
``recv`` returns, so no user code ever runs on the reader thread. A QoS 0 PUBLISH (the
market data) skips paho's message object and callback dispatch: paho reads and decodes
it as ever and hands topic and payload straight to that queue (see
``_abortable_client_class``); QoS 1 and 2 go through paho's own handling and acks.
While the queue holds events, ``frame_ready`` says so, and the Connection hands the
updates read so far to the lanes in one go.

Thread-safety: paho is not safe to drive from several threads by hand, so every paho
call (the reader's loop calls, ``send`` from user threads, ``close`` from any thread)
runs under ``_lock``; only the ``select`` runs outside it. ``send`` records the MQTT
packet id of each SUBSCRIBE/UNSUBSCRIBE under the same lock, before the reader can see
its acknowledgement, so acks are always matched to the command's ``ref``.

Reading ahead. paho reads each packet in small pieces (the command byte, each
remaining-length byte, then the rest), and its WebSocket wrapper reads each frame's
header a byte or two at a time: about seven ``recv`` system calls per PUBLISH, each
releasing the GIL. Once connected, the socket paho reads from (under the WebSocket
wrapper, or paho's own for ``mqtt(s)://``) is put behind :class:`_ReadAhead`, which
reads up to 64 KiB at a time and serves paho's small reads from memory. Over
WebSocket, paho's wrapper is asked for a whole frame's payload at once
(:class:`_PayloadReadAhead`) instead of parsing the frame header again for each of
paho's three or four reads per packet; the frame parsing stays paho's. paho sees the
same bytes in the same order, with the same short-read and would-block semantics, so
its state machine is untouched; ``recv`` then runs ``loop_read`` for every packet
already buffered instead of one ``select`` per packet. Should paho lay its sockets out
differently, the session simply reads unbuffered as before.

The market-data shortcut. Over WebSocket, whenever paho is between packets and frames,
the whole frames at the head of the read-ahead that each hold exactly one QoS 0 PUBLISH
(what a broker sends for market data) are read by :func:`split_publishes` instead of
through paho, and queued as paho's PUBLISH hook would have queued them; the first frame
of any other shape (a control frame, a fragment, several packets or part of one, QoS 1
or 2, a malformed length) and everything after it is paho's, read as before. Then the
transport reads the socket itself (``_ReadAhead.fill``), and completes a frame cut off at
the end of a read with its next read, so paho reads the socket only for the packets the
shortcut leaves; whatever else a read meets (the end of the stream, an error) is kept for
paho's next read, which meets it exactly as it would have. Tests pin the decisions to
paho's own reading of every shape and run the transport against mosquitto.
:meth:`MqttTransport.recv_many` returns every event of one socket read at once.

Network options. The client's :class:`~exwire._core.netopts.NetworkOptions` apply as
on every exwire connection: its ``ssl_context`` wraps ``wss://``/``mqtts://`` (paho's
``tls_set_context``), and its ``proxy`` is an HTTP CONNECT tunnel that paho opens
through PySocks (paho's ``proxy_set``, the ``paho-mqtt[proxy]`` route) before TLS,
the WebSocket handshake and CONNECT.

Liveness is MQTT's keep-alive (§2.4): paho sends PINGREQ when the session sent or
read nothing for ``keepalive_interval`` seconds (its ``loop_misc``, run on every poll)
and drops the connection when the PINGRESP is not back within another
``keepalive_interval`` (a stalled broker is noticed within about twice the interval).
paho offers no public call to send a PINGREQ on demand, so :meth:`MqttTransport.ping`
sends nothing and the keep-alive timer stays paho's; instead every packet read,
PINGRESP included, stamps :attr:`MqttTransport.last_activity`, so the Connection's
``stale_timeout`` (no inbound bytes for that long) bounds the liveness too.
"""

from __future__ import annotations

import collections
import functools
import importlib
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from exwire._core.backoff import Deadline
from exwire._core.netopts import NetworkOptions
from exwire._core.transport import Transport, TransportClosed, shutdown_socket
from exwire.coinsuper.protocol import MqttFrame, decode_command, map_error
from exwire.coinsuper.signing import Login
from exwire.errors import ConfigurationError

__all__ = ["MqttTransport", "Endpoint", "parse_endpoint"]


#: What to install for Coinsuper: paho-mqtt and PySocks are the ``coinsuper`` extra.
INSTALL_HINT = "pip install 'exwire[coinsuper]'"


def require_paho() -> None:
    """Check that paho-mqtt (the ``coinsuper`` extra) is installed.

    Raises:
        ConfigurationError: it is not (the message names ``pip install 'exwire[coinsuper]'``).
    """
    try:
        importlib.import_module("paho.mqtt.client")
    except ImportError as exc:
        raise ConfigurationError(
            f"the Coinsuper client needs paho-mqtt, an optional dependency of exwire: {INSTALL_HINT} ({exc})"
        ) from None

# paho 2 reports an MQTT 3.1.1 CONNACK return code as an MQTT 5 reason code; map back by name.
_CONNACK_CODES = {
    "Success": 0,
    "Unsupported protocol version": 1,
    "Client identifier not valid": 2,
    "Server unavailable": 3,
    "Bad user name or password": 4,
    "Not authorized": 5,
}
_DEFAULT_CONNECT_TIMEOUT = 10.0
# paho's reason for a loss it detected itself → what the log and ConnectionEvent.error say.
_LOSS_REASONS = {
    "Unspecified error": "connection lost (socket closed or failed)",
    "Keep alive timeout": "connection lost: keep-alive timeout (no PINGRESP, the broker stalled)",
    "Success": "disconnected",
    "Normal disconnection": "disconnected",
}


_READ_SIZE = 64 * 1024  # bytes per socket read once connected
_PACKETS_PER_POLL = 256  # loop_read calls on buffered bytes before select runs again
_TOPICS_KEPT = 1024  # decoded topics remembered (a connection streams a few)
_WS_BINARY_FINAL = 0x82  # FIN, no RSV bit, opcode 2 (binary): a whole unfragmented binary frame


def split_publishes(data: bytes, position: int) -> tuple[int, list[tuple[bytes, bytes]]]:
    """Take the WebSocket frames at ``data[position:]`` that each hold exactly one QoS 0 PUBLISH.

    The frames a broker sends for market data, read here instead of through paho: one
    whole frame (a final, unmasked, binary frame with no RSV bit, RFC 6455 §5.2, whose
    payload length has the 7- or 16-bit form) whose payload is exactly one MQTT 3.1.1
    PUBLISH (§3.3) of QoS 0: the fixed header's type 3 with QoS bits 0 (DUP and RETAIN
    are ignored, as paho does on receipt), a remaining length of one to four bytes
    (§2.2.3) that ends exactly where the frame does, a topic of its two-byte length
    prefix that is not empty and fits, no packet identifier, the rest the payload.
    It stops at the first frame that is anything else (incomplete, a control frame, a
    continuation, another packet type, QoS 1 or 2, several packets or a part of one, a
    malformed length): paho reads that one and what follows, as it always did, and
    raises or drops the connection on what MQTT forbids.

    Args:
        data: bytes read from the socket (unmasked server frames).
        position: where the next frame starts.

    Returns:
        The position after the last frame taken, and each taken frame's
        ``(topic, payload)`` bytes in order (the topic not decoded).
    """
    taken: list[tuple[bytes, bytes]] = []
    end = len(data)
    while position + 2 <= end and data[position] == _WS_BINARY_FINAL:
        length = data[position + 1]  # the mask bit set (a masked server frame) makes it >= 128: declined
        start = position + 2
        if length == 126:
            if start + 2 > end:
                break
            length = (data[start] << 8) | data[start + 1]
            start += 2
        elif length > 126:
            break
        stop = start + length
        if length == 0 or stop > end or data[start] & 0xF6 != 0x30:  # empty, incomplete, or no QoS 0 PUBLISH
            break
        index = start + 1
        remaining = 0
        digit = 0x80  # no length byte read yet
        for shift in (0, 7, 14, 21):  # the remaining length: at most four bytes
            if index >= stop:
                break
            digit = data[index]
            index += 1
            remaining |= (digit & 0x7F) << shift
            if not digit & 0x80:
                break
        else:
            break  # a fifth length byte: malformed
        if digit & 0x80 or index + remaining != stop or remaining < 2:
            break  # cut short, several packets or a part of one, or no room for the topic length
        topic_end = index + 2 + ((data[index] << 8) | data[index + 1])
        if topic_end == index + 2 or topic_end > stop:
            break  # an empty topic (forbidden in MQTT 3.1.1) or a topic longer than the packet
        taken.append((data[index + 2:topic_end], data[topic_end:stop]))
        position = stop
    return position, taken


def _cut_short(data: bytes, position: int) -> bool:
    """Whether ``data[position:]`` is the start of one whole frame :func:`split_publishes` would
    consider (final, unmasked, binary, a 7- or 16-bit length) whose bytes have not all come."""
    end = len(data)
    if position + 2 > end or data[position] != _WS_BINARY_FINAL:
        return position + 1 == end and data[position] == _WS_BINARY_FINAL  # only the first header byte
    length = data[position + 1]
    if length == 126:
        if position + 4 > end:
            return True
        return position + 4 + ((data[position + 2] << 8) | data[position + 3]) > end
    return length < 126 and position + 2 + length > end


class _ReadAhead:
    """A connected socket (plain or TLS) read through one buffer; everything else is the socket's.

    ``recv(n)`` returns up to ``n`` bytes: from the buffer while it holds any (possibly
    fewer than ``n``, like a socket), else from one ``recv`` of up to :data:`_READ_SIZE`
    bytes whose surplus is kept. A would-block, TLS want-read, error or end of stream of
    that read reaches the caller exactly as the source raised or returned it; one that
    :meth:`fill` met reaches the next ``recv`` once the buffer is empty, as it would
    have had that ``recv`` read the source. Reader thread only (paho's reads all run
    under the transport's lock).
    """

    __slots__ = ("_source", "_data", "_position", "_deferred")

    def __init__(self, source: Any) -> None:
        self._source = source
        self._data = b""
        self._position = 0
        self._deferred: Exception | bytes | None = None  # what a fill's read gave other than bytes

    @property
    def buffered(self) -> int:
        """Bytes read from the source and not yet handed to paho."""
        return len(self._data) - self._position

    def recv(self, size: int) -> bytes:
        data = self._data
        position = self._position
        if position == len(data):
            deferred = self._deferred
            if deferred is not None:  # what the last fill's read met, now that its bytes are gone
                self._deferred = None
                if isinstance(deferred, Exception):
                    raise deferred
                return deferred  # b"": the end of the stream
            data = bytes(self._source.recv(_READ_SIZE))  # no copy of bytes; the wrapper's bytearray copied
            if len(data) <= size:
                return data  # all of it (b"" at the end of the stream)
            self._data = data
            position = 0
        end = position + size
        length = len(data)
        self._position = end if end < length else length
        return data[position:end]

    def fill(self) -> bool:
        """Read the source once (up to :data:`_READ_SIZE` bytes) behind the bytes not handed
        out yet; whether bytes came.

        A would-block (or a TLS want-read) leaves nothing behind: a ``recv`` reads the
        source again. An end of stream, an error or any other result is kept for the
        ``recv`` that finds the buffer empty, which returns or raises it as the source
        did; until then ``fill`` reads nothing.
        """
        if self._deferred is not None:
            return False
        try:
            chunk = self._source.recv(_READ_SIZE)
        except (BlockingIOError, ssl.SSLWantReadError):
            return False
        except Exception as exc:
            self._deferred = exc
            return False
        if not chunk:
            self._deferred = b""
            return False
        position = self._position
        data = self._data
        self._data = data[position:] + chunk if position < len(data) else bytes(chunk)
        self._position = 0
        return True

    def pending(self) -> int:
        # TLS may hold decrypted bytes that select() cannot see; so does this buffer.
        pending = getattr(self._source, "pending", None)
        return len(self._data) - self._position + (pending() if pending is not None else 0)

    def __getattr__(self, name: str) -> Any:  # send, close, fileno, setblocking ...
        return getattr(self._source, name)


class _PayloadReadAhead(_ReadAhead):
    """paho's WebSocket wrapper asked for a whole frame's payload at a time; everything
    else is the wrapper's.

    paho reads a PUBLISH in three or four ``recv`` calls (the command byte, each
    remaining-length byte, the rest), and its wrapper parses the frame's header again
    for each. Here one ``recv`` of the wrapper (paho's own frame parsing: payload,
    continuation, ping and close handling unchanged) returns the rest of the current
    frame's payload, and paho's small reads are served from it, with the wrapper's
    would-block and end-of-stream results passed on as they come. Reader thread only.
    """

    __slots__ = ("_inner",)

    def __init__(self, ws: Any, inner: _ReadAhead) -> None:
        super().__init__(ws)
        self._inner = inner

    @property
    def buffered(self) -> int:
        """Payload bytes not yet handed to paho, plus socket bytes read ahead under the wrapper."""
        return len(self._data) - self._position + self._inner.buffered


def _read_ahead(client: Any) -> _ReadAhead | _PayloadReadAhead | None:
    """Put the socket a connected paho client reads from behind a :class:`_ReadAhead`.

    paho keeps the socket in ``client._sock``; over WebSocket that is its wrapper, which
    keeps the TCP/TLS socket in ``_socket``. Nothing has been read from it yet (the
    WebSocket handshake reads its response byte by byte). Over WebSocket the wrapper
    itself is then put behind a :class:`_PayloadReadAhead`, which is returned (its
    ``buffered`` counts both buffers). Returns ``None``, leaving paho as it was, for any
    other layout.
    """
    sock = client.socket()
    inner: object = getattr(sock, "_socket", None)
    if isinstance(inner, socket.socket):  # paho's _WebsocketWrapper
        raw_reader = sock._socket = _ReadAhead(inner)
        if getattr(client, "_sock", None) is sock and callable(getattr(sock, "recv", None)):
            payloads = client._sock = _PayloadReadAhead(sock, raw_reader)
            return payloads
        return raw_reader
    plain: object = sock
    if getattr(client, "_sock", None) is plain and isinstance(plain, socket.socket):  # mqtt:// or mqtts://
        reader = client._sock = _ReadAhead(plain)
        return reader
    return None


def _fast_publishes(reader: _PayloadReadAhead, client: Any) -> bool:
    """Whether :meth:`MqttTransport._take_publishes` may read frames under ``reader``: paho's
    WebSocket wrapper and client keep the state it checks under the names it checks
    (paho 2.x; a test pins them). Otherwise every packet is read by paho."""
    ws = reader._source
    if not isinstance(reader._inner, _ReadAhead) or not isinstance(getattr(client, "_in_packet", None), dict):
        return False
    return isinstance(getattr(ws, "_readbuffer", None), bytearray) and isinstance(getattr(ws, "_payload_head", None), int)


def _paho_proxy(host: str, port: int, username: str | None, password: str | None) -> dict[str, Any]:
    """paho's ``proxy_set`` arguments for an HTTP CONNECT proxy (PySocks' ``HTTP`` type).

    ``proxy_rdns``: the proxy resolves the broker's name (``CONNECT host:port``), as
    websocket-client's tunnel does. PySocks sends Basic authentication only when both a
    user name and a password are given.

    Raises:
        ConfigurationError: PySocks is not installed.
    """
    try:
        import socks  # type: ignore[import-untyped, unused-ignore]  # PySocks, paho's proxy dependency
    except ImportError:
        raise ConfigurationError(
            "a Coinsuper connection through proxy= needs PySocks: pip install 'exwire[coinsuper]'"
        ) from None
    return {
        "proxy_type": socks.HTTP,
        "proxy_addr": host,
        "proxy_port": port,
        "proxy_rdns": True,
        "proxy_username": username,
        "proxy_password": password,
    }


def _paho_publish_decoder() -> Callable[..., Any] | None:
    """paho's own PUBLISH decoder (``paho.mqtt._packet.decode_publish``, paho 2.1 and later), or ``None``."""
    try:
        decoder: Any = getattr(importlib.import_module("paho.mqtt._packet"), "decode_publish", None)
    except ImportError:
        return None
    return decoder if callable(decoder) else None


@functools.cache  # one subclass per base class
def _abortable_client_class(base: type) -> type:
    """paho's ``Client`` whose blocking ``connect`` another thread can abort, and whose
    QoS 0 PUBLISH goes straight to the transport's queue.

    ``Client.connect`` opens the TCP socket, then runs the TLS and WebSocket handshakes
    on it before paho exposes it (``socket()`` is ``None`` until then), so ``close()``
    could not end a handshake a silent broker never answers: it ran its full
    ``connect_timeout`` and left the socket for the garbage collector. This subclass
    keeps the raw socket as soon as paho creates it (``_create_socket_connection``, the
    one paho hook between TCP connect and the handshakes; a test checks it exists), so
    ``exwire_abort`` can shut it down at any point and ``exwire_close_raw`` closes it.

    PUBLISH. paho reads every packet itself (``_packet_read``: fixed header, remaining
    length, body) and hands a PUBLISH to ``_handle_publish``, which for QoS 0 decodes it
    (``_packet.decode_publish``), builds an ``MQTTMessage`` (with a ``threading.Condition``
    for publish tracking, unused on receipt), logs it and finds the callbacks under two
    locks and a topic-filter walk. Here a QoS 0 PUBLISH (the market data) is decoded by
    that same paho function, malformed packets raising paho's ``MalformedPacket`` as before,
    and its topic, payload and packet id go to ``exwire_publish`` (the transport's queue);
    everything else about it is what paho does, and QoS 1 and 2 (PUBACK, PUBREC, the
    in-flight store) stay entirely paho's. A paho without the decoder or the hook keeps
    its own path (``on_message``).
    """
    def create_socket_connection(self: Any) -> socket.socket:
        sock: socket.socket = base._create_socket_connection(self)  # type: ignore[attr-defined]
        self._exwire_raw = sock
        if self._exwire_aborted:
            shutdown_socket(sock)
        return sock

    def exwire_abort(self: Any) -> None:
        self._exwire_aborted = True
        raw = self._exwire_raw
        if raw is not None:
            shutdown_socket(raw)

    def exwire_close_raw(self: Any) -> None:
        raw = self._exwire_raw
        if raw is not None:
            try:
                raw.close()
            except OSError:
                pass

    namespace: dict[str, Any] = {
        "_exwire_aborted": False,
        "_exwire_raw": None,
        "exwire_publish": None,  # (topic bytes, payload bytes, packet id) -> None, set by the transport
        "_create_socket_connection": create_socket_connection,
        "exwire_abort": exwire_abort,
        "exwire_close_raw": exwire_close_raw,
    }
    decode_publish = _paho_publish_decoder()
    base_handle_publish: Any = getattr(base, "_handle_publish", None)
    if decode_publish is not None and callable(base_handle_publish):
        from paho.mqtt.enums import MQTTErrorCode

        decoder, success = decode_publish, MQTTErrorCode.MQTT_ERR_SUCCESS

        def handle_publish(self: Any) -> Any:
            deliver = self.exwire_publish
            packet = self._in_packet
            command = packet["command"]
            if deliver is None or command & 0x06:  # QoS 1 or 2 (or the invalid 3): paho's handling
                return base_handle_publish(self)
            result = decoder(command, packet["packet"], self._protocol)
            deliver(result.topic, result.payload, result.mid)
            return success  # what paho's QoS 0 path returns

        namespace["_handle_publish"] = handle_publish
    cls = type("_AbortableMqttClient", (base,), namespace)
    return cls


class Endpoint(NamedTuple):
    """Where and how to connect, read from a URL."""

    host: str
    port: int
    websocket: bool
    tls: bool
    path: str


_SCHEMES = {  # scheme → (websocket, tls, default port)
    "ws": (True, False, 80),
    "wss": (True, True, 443),
    "mqtt": (False, False, 1883),
    "tcp": (False, False, 1883),
    "mqtts": (False, True, 8883),
    "ssl": (False, True, 8883),
}


def parse_endpoint(url: str) -> Endpoint:
    """Read ``wss://host[:port][/path]``, ``ws://...``, ``mqtt://host[:port]`` or ``mqtts://...``.

    A WebSocket URL without a path uses ``/mqtt``, the path of every Paho client the
    Coinsuper demos use (§1).

    Raises:
        ConfigurationError: an unknown scheme or no host.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES or not parts.hostname:
        raise ConfigurationError(
            f"a Coinsuper url looks like wss://host[:port]/mqtt, ws://..., mqtt://host:port or mqtts://..., got {url!r}"
        )
    websocket, tls, default_port = _SCHEMES[scheme]
    try:
        port = parts.port or default_port
    except ValueError:
        raise ConfigurationError(f"bad port in {url!r}") from None
    path = parts.path or "/mqtt"
    if parts.query:
        path += "?" + parts.query
    return Endpoint(parts.hostname, port, websocket, tls, path)


class MqttTransport(Transport):
    """One MQTT session driven through paho-mqtt (see the module docstring).

    Frames out (``send``) are the protocol's JSON commands; frames in (``recv``) are
    :class:`~exwire.coinsuper.protocol.MqttFrame` objects (PUBLISH, SUBACK, UNSUBACK).
    ``open`` performs the whole log-on: CONNECT, then the CONNACK, refused with the
    matching exwire error (``AuthenticationError`` for codes 2, 4 and 5).

    Args:
        login: called at each ``open`` for the CONNECT fields (the private password
            signs the current time, so it is made afresh per connect).
        keepalive_interval: the MQTT keep-alive in whole seconds (default 10; 0 disables
            it): paho sends PINGREQ after that long without traffic and drops the
            session when the PINGRESP is that late.
        network: the TLS context (for ``wss://``/``mqtts://``; ``None`` in it: a fresh
            ``ssl.create_default_context()`` per connection) and the HTTP CONNECT proxy
            (``None`` in it: direct, or paho's ``mqtt_proxy`` environment variable);
            ``None``: the defaults of both.
        tls_insecure: skip the certificate host-name check (the Python demo does, §1).
            With a given ``ssl_context`` this sets its ``check_hostname`` to ``False``
            (paho's ``tls_insecure_set``); ``CoinsuperClient`` only allows that on a
            context whose ``check_hostname`` is already ``False``.
    """

    def __init__(
        self,
        login: Callable[[], Login],
        *,
        keepalive_interval: int = 10,
        network: NetworkOptions | None = None,
        tls_insecure: bool = False,
    ) -> None:
        self._login = login
        self._keepalive_interval = keepalive_interval
        self._network = network or NetworkOptions()
        self._tls_insecure = tls_insecure
        # Guards every paho call and the fields below (paho driven by hand is not thread-safe).
        self._lock = threading.Lock()
        self._client: Any = None
        self._inbox: collections.deque[MqttFrame] = collections.deque()  # reader thread only
        self._refs: dict[int, int] = {}  # MQTT packet id → command ref
        self._connack: int | None = None
        self._lost: str | None = None
        self._closed = False
        self._polling = False  # a reader is in select(): it closes the wake-up pair itself
        self._wake_r: socket.socket | None = None
        self._wake_w: socket.socket | None = None
        self._reader: _ReadAhead | _PayloadReadAhead | None = None  # what paho reads through, once connected
        self._topics: dict[bytes, str] = {}  # topics of publishes read without paho, decoded; reader only
        self._payloads: _PayloadReadAhead | None = None  # the same, over WebSocket with paho's wrapper as expected
        #: ``time.monotonic()`` of the last poll that read bytes (any packet: PUBLISH,
        #: SUBACK, PINGRESP ...); written by the reading thread only.
        self.last_activity = 0.0

    # -- Transport ------------------------------------------------------------------------

    def open(self, url: str, timeout: float | None) -> None:
        """Connect, send CONNECT and wait for the CONNACK.

        Raises:
            ConfigurationError: a malformed URL, or a proxy without PySocks installed.
            OSError: the socket, the proxy's tunnel (``socks.ProxyError``), TLS or the
                WebSocket handshake failed.
            TransportClosed: the broker closed the connection or sent no CONNACK in time.
            ExchangeError: the CONNACK refused the session (``AuthenticationError`` for a
                rejected client id, bad user name or password, or not authorised).
        """
        require_paho()
        import paho.mqtt.client as mqtt  # the only import of paho in exwire
        from paho.mqtt.enums import CallbackAPIVersion

        endpoint = parse_endpoint(url)
        login = self._login()
        client = _abortable_client_class(mqtt.Client)(
            CallbackAPIVersion.VERSION2,
            client_id=login.client_id,
            clean_session=True,  # subscriptions are re-sent after every connect (§2)
            protocol=mqtt.MQTTv311,
            transport="websockets" if endpoint.websocket else "tcp",
            reconnect_on_failure=False,
        )
        client.suppress_exceptions = True
        client.username_pw_set(login.user_name, login.password)
        if endpoint.websocket:
            client.ws_set_options(path=endpoint.path)
        if endpoint.tls:
            client.tls_set_context(self._network.ssl_context or ssl.create_default_context())
            if self._tls_insecure:
                client.tls_insecure_set(True)
        proxy = self._network.proxy_address
        if proxy is not None:
            client.proxy_set(**_paho_proxy(proxy.host, proxy.port, proxy.username, proxy.password))
        client.connect_timeout = timeout or _DEFAULT_CONNECT_TIMEOUT
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message  # QoS 1 and 2, or a paho without the publish hook
        client.exwire_publish = self._on_publish  # QoS 0 (see _abortable_client_class)
        client.on_subscribe = self._on_subscribe
        client.on_unsubscribe = self._on_unsubscribe
        deadline = Deadline(timeout)
        try:
            with self._lock:
                if self._closed:
                    raise TransportClosed("closed")
                self._client = client
                self._wake_r, self._wake_w = socket.socketpair()
                self._wake_r.setblocking(False)
                self._wake_w.setblocking(False)
            # Blocking: TCP connect, TLS and WebSocket handshakes (each within connect_timeout).
            # Not under the lock, so close() can abort it at once (see _abortable_client_class);
            # until it returns no other thread uses the paho client (send() finds no socket).
            rc = client.connect(endpoint.host, endpoint.port, keepalive=self._keepalive_interval)
            with self._lock:
                if self._closed:
                    raise TransportClosed("closed while connecting")
                if rc == mqtt.MQTT_ERR_SUCCESS:
                    self._reader = _read_ahead(client)
                    reader = self._reader
                    self._payloads = reader if isinstance(reader, _PayloadReadAhead) and _fast_publishes(reader, client) else None
            if rc != mqtt.MQTT_ERR_SUCCESS:
                raise TransportClosed(f"sending CONNECT failed: {mqtt.error_string(rc)}")
            while self._connack is None:
                remaining = deadline.remaining()
                if remaining == 0.0:
                    raise TransportClosed(f"no CONNACK within {timeout} s")
                self._poll(0.5 if remaining is None else min(remaining, 0.5))
            if self._connack != 0:
                raise map_error("connack", self._connack)
        except BaseException:
            self._teardown()
            raise

    def ping(self) -> bool:
        """Send nothing: paho's keep-alive timer sends PINGREQ itself (see the module docstring).

        Returns:
            ``False``: liveness is judged from ``last_activity``, which every PINGRESP updates.
        """
        return False

    def send(self, frame: str | bytes) -> None:
        """Execute a protocol command (SUBSCRIBE or UNSUBSCRIBE) from any thread.

        Raises:
            TransportClosed: not connected, or the write failed.
            ValueError: ``frame`` is not a command of :class:`~exwire.coinsuper.protocol.CoinsuperProtocol`.
        """
        command = decode_command(frame)
        with self._lock:
            client = self._client
            if self._closed or client is None or client.socket() is None:
                raise TransportClosed(self._lost or "not open")
            if command.op == "subscribe":
                rc, mid = client.subscribe([(topic, command.qos) for topic in command.topics])
            else:
                rc, mid = client.unsubscribe(list(command.topics))
            if mid is not None:
                self._refs[mid] = command.ref
            if rc or client.want_write():
                self._wake()  # the reader must see the loss, or finish a partial write
        if rc:
            raise TransportClosed(f"{command.op} failed: error {int(rc)}")

    def recv(self, timeout: float) -> MqttFrame | None:
        """Return the next MQTT event, or ``None`` after ``timeout`` seconds; reader thread only.

        Raises:
            TransportClosed: the connection was lost, timed out (keep-alive) or closed.
        """
        if self._inbox and not self._closed:
            return self._inbox.popleft()
        deadline = Deadline(timeout)
        while True:
            self._poll(deadline.remaining())
            if self._inbox:
                return self._inbox.popleft()
            if deadline.expired:
                return None

    def recv_many(self, timeout: float) -> list[str | bytes] | None:
        """Every MQTT event queued: at least one (waiting up to ``timeout`` seconds for the
        socket), or ``None`` when none came in time; reader thread only.

        One poll reads the socket once (up to 64 KiB) and turns every whole packet in it
        into an event, so a flood's PUBLISHes of one read come back in one list. A loss
        met behind them is raised by the next call, after they were returned.

        Raises:
            TransportClosed: the connection was lost, timed out (keep-alive) or closed.
        """
        inbox = self._inbox
        if not inbox or self._closed:
            deadline = Deadline(timeout)
            while True:
                self._poll(deadline.remaining())
                if inbox:
                    break
                if deadline.expired:
                    return None
        frames: list[str | bytes] = list(inbox)
        inbox.clear()
        return frames

    def frame_ready(self) -> bool:
        """Whether ``recv`` has an event queued already (so it will not block); reader thread only.

        One poll turns every packet read ahead into queued events, so while this is true
        the Connection keeps the updates it has read for one hand-over to the lanes.
        """
        return bool(self._inbox) and not self._closed

    def close(self) -> None:
        """Send DISCONNECT if possible, close the socket and wake a reader; idempotent, any thread."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            client = self._client
            if client is not None and client.socket() is None:
                client.exwire_abort()  # still connecting: end the TCP/TLS/WebSocket handshake now
            if client is not None and client.socket() is not None:
                try:
                    client.disconnect()  # paho writes DISCONNECT now and closes its socket
                except Exception:  # the socket may already be failing; closing is best effort
                    pass
                sock = client.socket()
                if sock is not None:  # DISCONNECT could not be written (a stalled broker): cut
                    try:
                        sock.close()
                    except OSError:
                        pass
            if self._polling:
                self._wake()  # the reader returns from select, sees _closed, closes the pair
            else:
                self._close_wake()

    # -- the network loop (reader thread, or the opening thread before the reader exists) --

    def _poll(self, timeout: float | None) -> None:
        with self._lock:
            client = self._client
            if self._closed:
                raise TransportClosed("closed")
            sock = client.socket()
            if sock is None:
                raise TransportClosed(self._lost or "connection lost")
            reader = self._reader
            pending = getattr(sock, "pending", None)
            buffered = bool(pending is not None and pending()) or (reader is not None and reader.buffered > 0)
            if buffered:
                timeout = 0.0  # TLS or the read-ahead holds bytes that select() cannot see
            read_list = [sock, self._wake_r]
            write_list = [sock] if client.want_write() else []
            self._polling = True
        failure: BaseException | None = None
        readable: Any = ()
        try:
            readable, _, _ = select.select(read_list, write_list, [], timeout)
        except (OSError, ValueError) as exc:  # the socket was closed under us
            failure = exc
        with self._lock:
            self._polling = False
            if self._closed:
                self._close_wake()
                raise TransportClosed("closed")
            if failure is not None:
                raise TransportClosed(f"select failed: {failure}") from failure
            if self._wake_r in readable:
                try:
                    self._wake_r.recv(4096)  # type: ignore[union-attr]
                except OSError:
                    pass
            if client.socket() is not sock:
                return
            if sock in readable or buffered:
                # Bytes arrived (or an end of stream, which loop_read turns into a loss).
                # Read-ahead bytes were stamped when the select that found them returned.
                if sock in readable:
                    self.last_activity = time.monotonic()
                payloads = self._payloads
                if payloads is None or not self._take_publishes(client, payloads, read=True):
                    client.loop_read()  # paho reads (and meets whatever the socket gave)
                # Every packet already read ahead, without a select() per packet. Each call
                # consumes buffered bytes (or finds the socket gone), so this ends.
                count = 1
                while reader is not None and reader.buffered and count < _PACKETS_PER_POLL:
                    if client.socket() is not sock:
                        return
                    if payloads is not None and self._take_publishes(client, payloads):
                        continue
                    if payloads is not None and self._arriving(client, payloads):
                        break  # a frame whose bytes are still coming: the next poll reads them
                    client.loop_read()
                    count += 1
            if client.socket() is not None and client.want_write():
                client.loop_write()
            if client.socket() is not None:
                client.loop_misc()  # keep-alive: PINGREQ, and the drop when PINGRESP is missing

    def _take_publishes(self, client: Any, payloads: _PayloadReadAhead, read: bool = False) -> bool:
        """Queue the whole frames of QoS 0 PUBLISHes at the head of the socket's read-ahead
        (:func:`split_publishes`) when paho is between packets and frames (:meth:`_between`);
        whether any was taken.

        Each taken frame's bytes are consumed there exactly as paho would have
        consumed them; the rest stays for paho. With ``read`` (the socket was found
        readable), when nothing is read ahead or only the start of a frame whose bytes
        are still arriving (:func:`_cut_short`), the socket is read first
        (``_ReadAhead.fill``), as paho's read would have read it: paho reads the socket
        only for the packets these leave, and meets anything else the socket gave (its
        end, an error) exactly as it would have. Under ``_lock`` (reader thread).
        """
        if not self._between(client, payloads):
            return False
        raw = payloads._inner
        if read and (raw._position == len(raw._data) or _cut_short(raw._data, raw._position)):
            if not raw.fill() and raw._position == len(raw._data):
                return False
        position, taken = split_publishes(raw._data, raw._position)
        if not taken:
            return False
        raw._position = position
        client._last_bytes_received = time.monotonic()  # paho's keep-alive: bytes arrived
        topics = self._topics
        append = self._inbox.append
        publish = MqttFrame.publish
        for topic, payload in taken:
            text = topics.get(topic)
            if text is None:
                try:
                    text = topic.decode("utf-8")
                except UnicodeDecodeError:  # handed on without a topic: the connection skips and counts it
                    append(publish(None, payload))
                    continue
                if len(topics) >= _TOPICS_KEPT:
                    topics.clear()
                topics[topic] = text
            append(publish(text, payload))
        return True

    @staticmethod
    def _between(client: Any, payloads: _PayloadReadAhead) -> bool:
        """Whether paho holds no part of an MQTT packet (``_in_packet``), its WebSocket wrapper
        no part of a frame (``_readbuffer``, ``_payload_head``) and the payload read-ahead no
        byte: the next byte of the socket's read-ahead then starts a frame."""
        ws = payloads._source
        return (payloads._position == len(payloads._data) and not client._in_packet["command"]
                and not ws._readbuffer and not ws._payload_head)

    @classmethod
    def _arriving(cls, client: Any, payloads: _PayloadReadAhead) -> bool:
        """Whether paho is between packets and frames (:meth:`_between`) and the read-ahead ends
        in the start of a frame :func:`split_publishes` would take once all of it came."""
        raw = payloads._inner
        return cls._between(client, payloads) and _cut_short(raw._data, raw._position)

    def _wake(self) -> None:
        # Called with _lock held; the pair is non-blocking, so this never blocks.
        if self._wake_w is not None:
            try:
                self._wake_w.send(b"x")
            except OSError:  # full (a wake-up is already pending) or closed
                pass

    def _close_wake(self) -> None:
        for sock in (self._wake_r, self._wake_w):
            if sock is not None:
                sock.close()
        self._wake_r = self._wake_w = None

    def _teardown(self) -> None:
        with self._lock:
            self._closed = True
            client = self._client
            sock = client.socket() if client is not None else None
            if sock is not None:
                try:
                    sock.close()
                except OSError:
                    pass
            if client is not None:
                client.exwire_close_raw()  # a socket a failed handshake left behind
            self._close_wake()

    # -- paho callbacks: run inside paho calls made under _lock; they only queue frames ------

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason_code: Any, properties: Any) -> None:
        name = reason_code.getName()
        self._connack = _CONNACK_CODES.get(name, int(reason_code.value) if reason_code.is_failure else 0)

    def _on_disconnect(self, client: Any, userdata: Any, flags: Any, reason_code: Any, properties: Any) -> None:
        if self._lost is None:
            if flags.is_disconnect_packet_from_server:
                self._lost = f"the broker sent DISCONNECT ({reason_code.getName()})"
            else:
                self._lost = _LOSS_REASONS.get(reason_code.getName(), f"connection lost ({reason_code.getName()})")

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        try:
            topic: str | None = message.topic
        except UnicodeDecodeError:  # handed on without a topic: the connection skips and counts it
            topic = None
        self._inbox.append(MqttFrame.publish(topic, message.payload, message.mid or None))

    def _on_publish(self, topic: bytes, payload: bytes, packet_id: int) -> None:
        try:
            text: str | None = topic.decode("utf-8")
        except UnicodeDecodeError:  # handed on without a topic: the connection skips and counts it
            text = None
        self._inbox.append(MqttFrame.publish(text, payload, packet_id or None))

    def _on_subscribe(self, client: Any, userdata: Any, mid: int, reason_codes: Any, properties: Any) -> None:
        codes = tuple(int(code.value) for code in reason_codes)
        self._inbox.append(MqttFrame.suback(self._refs.pop(mid, None), codes, mid))

    def _on_unsubscribe(self, client: Any, userdata: Any, mid: int, reason_codes: Any, properties: Any) -> None:
        self._inbox.append(MqttFrame.unsuback(self._refs.pop(mid, None), mid))
