"""The Coinsuper emulator server: public controls, lifecycle, hooks and the TCP listener.

:class:`CoinsuperEmulator` combines the MQTT session handling of :mod:`.broker` with
:class:`~exwire.testing._server.EmulatorServer`, and serves MQTT over plain TCP too.

Section numbers (§) refer to the protocol notes of :doc:`the Coinsuper page </exchanges/coinsuper>`.
"""

from __future__ import annotations

import collections
import itertools
import socket
import ssl
import threading
import time
from collections.abc import Iterable
from typing import Any, TypedDict

from exwire.errors import ConfigurationError
from exwire.models import Credentials
from exwire.testing._coinsuper.broker import _Broker
from exwire.testing._coinsuper.common import DEMO_CREDENTIALS
from exwire.testing._coinsuper.connections import _Session, _TcpConnection
from exwire.testing._coinsuper.mqtt import PUBLISH, MalformedPacket, _encode, _encode_string
from exwire.testing._server import EmulatorConnection, EmulatorServer, logger

__all__ = ["CoinsuperEmulator", "CoinsuperClientKwargs"]


class CoinsuperClientKwargs(TypedDict):
    """What :meth:`CoinsuperEmulator.client_kwargs` returns: ``CoinsuperClient(**emu.client_kwargs(),
    credentials=emu.credentials)``."""

    url: str


class CoinsuperEmulator(_Broker, EmulatorServer):
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
        tls: serve the WebSocket transport as ``wss://`` with a generated self-signed
            certificate; pass ``ssl_context=emu.ssl_context()`` to the client (the TCP
            listener keeps ``tcp_tls``).

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
                 send_timeout: float | None = 10.0, close_timeout: float = 2.0, tls: bool = False) -> None:
        super().__init__("coinsuper", host=host, port=port, send_timeout=send_timeout, close_timeout=close_timeout,
                         tls=tls)
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
        """``ws://<host>:<port>/mqtt`` (``wss://`` with ``tls=True``): MQTT over WebSocket."""
        return f"{self.ws_scheme}://{self.host}:{self.port}/mqtt"

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

    def client_kwargs(self) -> CoinsuperClientKwargs:
        """Keyword arguments pointing a ``CoinsuperClient`` at this emulator (over WebSocket):
        ``url`` (add ``credentials=emu.credentials``: Coinsuper needs them even for market data)."""
        return CoinsuperClientKwargs(url=self.url)

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
