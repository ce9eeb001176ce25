"""Loopback WebSocket server shared by every exchange emulator.

:class:`EmulatorServer` owns the sockets and threads; an exchange emulator subclasses it
and only speaks its protocol through four hooks (:meth:`~EmulatorServer.accepts_path`,
:meth:`~EmulatorServer.on_open`, :meth:`~EmulatorServer.on_message`,
:meth:`~EmulatorServer.on_close`). Faults every emulator needs live here:
:meth:`~EmulatorServer.drop_connections`, :meth:`~EmulatorServer.stall`,
:meth:`~EmulatorServer.send_raw` and :meth:`~EmulatorServer.close_connections`.

Threads (all daemon, all named, all joined by :meth:`EmulatorServer.close`):

* ``exwire-emulator-<name>`` accepts TCP connections;
* ``exwire-emulator-<name>-conn-<id>``, one per connection, runs the opening handshake,
  then reads messages and runs the hooks;
* ``exwire-emulator-<name>-<role>-<id>``, optional per-connection workers started with
  :meth:`EmulatorConnection.start_worker` (market-data pushers);
* ``exwire-emulator-<name>-close-<id>``, short-lived, performs one closing handshake so
  that closing never blocks the caller.

websockets adds one unnamed reader thread per connection; it ends with the socket.

TLS: ``tls=True`` makes the server speak ``wss://``. :meth:`EmulatorServer.start`
generates a throw-away self-signed certificate (an ECDSA P-256 key, valid for
``127.0.0.1``, ``localhost`` and the bound host, for one day) with the ``cryptography``
package; key and certificate only ever live in memory and in a temporary directory that
is removed as soon as the server context has loaded them. :meth:`EmulatorServer.ssl_context`
gives the client side an ``ssl.SSLContext`` that trusts that certificate alone. The TLS
handshake runs on the connection's own thread, so a client that never completes it
delays nobody else.
"""

from __future__ import annotations

import functools
import itertools
import logging
import selectors
import socket
import ssl
import threading
import time
from collections.abc import Callable
from typing import Any, Self

try:
    from websockets.exceptions import ConnectionClosed as _WebSocketClosed
    from websockets.sync.server import ServerConnection, serve
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "exwire.testing needs the optional 'websockets' package (>= 13); "
        "install it with: pip install 'exwire[testing]'"
    ) from exc

from exwire._core.sockread import SerialisedTLSSocket
from exwire.errors import InvalidState
from exwire.testing._tls import SelfSignedCertificate

__all__ = ["EmulatorConnection", "EmulatorServer"]

logger = logging.getLogger("exwire.testing")

_GOING_AWAY = 1001


class _SilenceableConnection(ServerConnection):
    """websockets server connection whose outgoing bytes can be withheld.

    A stalled peer says nothing at all, not even the automatic pong to a ping frame or a
    close frame, so :meth:`send_data` discards what the protocol queued. It discards
    whole frames, so the byte stream stays well-formed.
    """

    stalled = False

    def send_data(self) -> None:
        if self.stalled:
            self.protocol.data_to_send()
            return
        super().send_data()


class EmulatorConnection:
    """One client connection of an emulator, with the state the emulator keeps for it.

    Thread-safety: every method may be called from any thread. :meth:`send` is serialised
    by :attr:`send_lock`, a re-entrant lock that an emulator may also hold across several
    sends (and its own state changes) to keep them in order, e.g. an ack before the
    snapshot that follows it.

    Attributes:
        server: The emulator that accepted the connection.
        id: Connection number, from 1 in accept order.
        path: Request path without the query string (``"/"``, ``"/auth"`` ...).
        session: Exchange-specific state, set by the emulator's ``on_open`` hook;
            ``None`` until then.
        send_lock: Re-entrant lock serialising sends on this connection.
        closing: Set once the connection or the server is closing; workers stop on it.
        closed: Set once the connection has ended and its workers are joined.
        messages_received: Messages read from the client, stalled or not.
        messages_sent: Messages :meth:`send` delivered to the socket.
    """

    def __init__(self, server: EmulatorServer, connection_id: int,
                 websocket: ServerConnection) -> None:
        self.server = server
        self.id = connection_id
        request_path = websocket.request.path if websocket.request is not None else "/"
        self.path = request_path.split("?", 1)[0] or "/"
        self.session: Any = None
        self.send_lock = threading.RLock()
        self.closing = threading.Event()
        self.closed = threading.Event()
        self.messages_received = 0
        self.messages_sent = 0
        self._websocket = websocket
        self._wakeup = threading.Event()
        self._stalled = False
        self._workers: list[threading.Thread] = []

    def __repr__(self) -> str:
        return f"<EmulatorConnection {self.server.name}#{self.id} {self.path}>"

    @property
    def stalled(self) -> bool:
        """Whether :meth:`stall` silenced this connection."""
        return self._stalled

    def send(self, message: str | bytes) -> bool:
        """Send one text (``str``) or binary (``bytes``) message.

        Blocks while another thread holds :attr:`send_lock`, and at most the server's
        ``send_timeout`` seconds on a client that stopped reading; after that the
        connection is closed.

        Returns:
            ``True`` when the message went to the socket; ``False`` when the connection is
            stalled (the message is dropped) or already closed.
        """
        if self._stalled:
            return False
        try:
            with self.send_lock:
                self._websocket.send(message)
                self.messages_sent += 1
        except _WebSocketClosed as exc:
            logger.debug("%r: send failed, connection closed (%s)", self, exc)
            self._set_closing()
            return False
        return True

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Start a clean closing handshake with ``code`` and ``reason``; returns at once.

        The handshake runs on a short-lived thread and gives up after the server's
        ``close_timeout`` seconds (then the TCP connection is cut). Wait for the end with
        ``closed.wait(timeout)``.
        """
        if self.closed.is_set():
            return
        self._set_closing()
        self.server._start_thread(self._close_now, f"close-{self.id}", code, reason)

    def abort(self) -> None:
        """Cut the TCP connection without a closing handshake (the client sees EOF)."""
        self._set_closing()
        try:
            self._websocket.socket.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # already closed

    def stall(self) -> None:
        """Stop sending anything at all and ignore what arrives; the socket stays open."""
        self._stalled = True
        self._websocket.stalled = True  # type: ignore[attr-defined]

    def wake(self) -> None:
        """Make a worker blocked in :meth:`tick` return now."""
        self._wakeup.set()

    def tick(self, timeout: float | None) -> bool:
        """Wait ``timeout`` seconds (``None``: no limit) or until :meth:`wake` or closing.

        Meant as the tick of a worker loop: ``while connection.tick(interval): ...``.

        Returns:
            ``False`` once the connection is closing, ``True`` otherwise.
        """
        if self.closing.is_set():
            return False
        self._wakeup.wait(timeout)
        self._wakeup.clear()
        return not self.closing.is_set()

    def start_worker(self, target: Callable[[EmulatorConnection], None],
                     role: str = "push") -> threading.Thread:
        """Run ``target(self)`` on a new thread ``exwire-emulator-<name>-<role>-<id>``.

        The target must return soon after :attr:`closing` is set (loop on :meth:`tick`).
        The thread is joined when the connection ends and when the server closes; an
        exception it raises is logged, at debug level when the connection was closing.
        """
        thread = self.server._start_thread(self._run_worker, f"{role}-{self.id}", target)
        self._workers.append(thread)
        return thread

    def _run_worker(self, target: Callable[[EmulatorConnection], None]) -> None:
        try:
            target(self)
        except Exception:
            if self.closing.is_set():
                logger.debug("%r: worker ended while closing", self, exc_info=True)
            else:
                logger.exception("%r: worker failed", self)

    def _close_now(self, code: int, reason: str) -> None:
        try:
            self._websocket.close(code, reason)
        except Exception:  # the connection may already be gone
            logger.debug("%r: close failed", self, exc_info=True)

    def _set_closing(self) -> None:
        self.closing.set()
        self._wakeup.set()

    def _join_workers(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        current = threading.current_thread()
        for thread in self._workers:
            if thread is not current:
                thread.join(max(0.0, deadline - time.monotonic()))


class EmulatorServer:
    """A loopback WebSocket server on a free port, run by background threads.

    Subclasses implement an exchange protocol through the hooks :meth:`accepts_path`,
    :meth:`on_open`, :meth:`on_message` and :meth:`on_close`, which run on the
    connection's own thread (``exwire-emulator-<name>-conn-<id>``).

    Thread-safety: every public method may be called from any thread. Use it as a
    context manager, or call :meth:`start` and :meth:`close`.

    Args:
        name: Short name used in thread names and logs, e.g. ``"kraken"``.
        host: Interface to bind; loopback by default.
        port: TCP port; 0 picks a free one (see :attr:`port`).
        send_timeout: Seconds a send may block on a client that stopped reading before
            the connection is closed; ``None`` means no limit (not recommended).
        close_timeout: Seconds a closing handshake may take before the TCP connection is
            cut; also bounds how long :meth:`close` waits for each step.
        max_size: Largest message accepted from a client, in bytes.
        tls: Serve ``wss://`` with a self-signed certificate generated by :meth:`start`
            (see :meth:`ssl_context` for the client side); ``False`` serves ``ws://``.
    """

    def __init__(self, name: str, *, host: str = "127.0.0.1", port: int = 0,
                 send_timeout: float | None = 10.0, close_timeout: float = 2.0,
                 max_size: int = 2**20, tls: bool = False) -> None:
        self.name = name
        self.host = host
        self.tls = bool(tls)
        self._certificate: SelfSignedCertificate | None = None
        self._server_ssl: ssl.SSLContext | None = None
        self.send_timeout = send_timeout
        self.close_timeout = close_timeout
        self._requested_port = port
        self._max_size = max_size
        self._port: int | None = None
        # _changed guards the registry, counters and lifecycle flags; it is a leaf lock
        # (nothing else is acquired while holding it), so wait_for() evaluates its
        # predicate outside of it.
        self._changed = threading.Condition(threading.Lock())
        self._generation = 0
        self._started = False
        self._close_started = False
        self._closing = threading.Event()
        self._connections: dict[int, EmulatorConnection] = {}
        self._threads: set[threading.Thread] = set()
        self._raw_sockets: dict[int, socket.socket] = {}
        self._connection_ids = itertools.count(1)
        self._local = threading.local()
        self._connections_accepted = 0
        self._messages_received = 0
        self._ws_server: Any = None
        self._accept_thread: threading.Thread | None = None
        self._wakeup_receiver: socket.socket | None = None
        self._wakeup_sender: socket.socket | None = None

    # -- lifecycle -------------------------------------------------------------------

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def start(self) -> Self:
        """Bind the port and start accepting connections; a second call does nothing.

        Returns:
            ``self``, so ``emu = Emulator().start()`` works.

        Raises:
            InvalidState: The server was closed; it cannot be restarted.
        """
        with self._changed:
            if self._close_started:
                raise InvalidState(f"emulator {self.name} is closed")
            if self._started:
                return self
            self._started = True
        if self.tls:
            self._certificate = SelfSignedCertificate(self.host)
            self._server_ssl = self._certificate.server_context()
        self._ws_server = serve(
            self._handle, self.host, self._requested_port,
            compression=None, ping_interval=None, close_timeout=self.close_timeout,
            max_size=self._max_size, process_request=self._process_request,
            create_connection=_SilenceableConnection,
            logger=logging.getLogger("exwire.testing.websockets"),
        )
        listen_socket = self._ws_server.socket
        listen_socket.setblocking(False)  # accept() after select() must never block
        self._port = listen_socket.getsockname()[1]
        self._wakeup_receiver, self._wakeup_sender = socket.socketpair()
        self._accept_thread = threading.Thread(
            target=self._accept_loop, name=f"exwire-emulator-{self.name}", daemon=True)
        self._accept_thread.start()
        logger.debug("emulator %s listening on %s:%d", self.name, self.host, self._port)
        return self

    def close(self) -> None:
        """Stop accepting, close every connection and join every thread; idempotent.

        Open connections get a closing handshake with code 1001 (stalled ones are cut);
        the whole call is bounded by about ``2 * close_timeout + 2`` seconds.
        """
        with self._changed:
            if self._close_started:
                return
            self._close_started = True
            started = self._started
        self._closing.set()
        if not started:
            return
        assert self._wakeup_sender is not None and self._accept_thread is not None
        try:
            self._wakeup_sender.send(b"x")
        except OSError:
            pass
        self._accept_thread.join(self.close_timeout)
        self._close_listening_sockets()
        for connection in self.connections:
            if connection.stalled:
                connection.abort()
            else:
                connection.close(_GOING_AWAY, "")
        if not self._join_threads(self.close_timeout + 1.0):
            # Handshakes that never completed or clients that never answered the close.
            for connection in self.connections:
                connection.abort()
            with self._changed:
                raw_sockets = list(self._raw_sockets.values())
            for raw_socket in raw_sockets:
                try:
                    raw_socket.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            if not self._join_threads(self.close_timeout):
                logger.warning("emulator %s: threads still running after close: %s",
                               self.name, sorted(t.name for t in self._threads))
        logger.debug("emulator %s closed", self.name)

    # -- addresses and counters ---------------------------------------------------------

    @property
    def port(self) -> int:
        """The TCP port the server listens on.

        Raises:
            InvalidState: The server was not started.
        """
        if self._port is None:
            raise InvalidState(f"emulator {self.name} is not started")
        return self._port

    @property
    def ws_scheme(self) -> str:
        """``"wss"`` when the server was built with ``tls=True``, else ``"ws"``."""
        return "wss" if self.tls else "ws"

    @property
    def url(self) -> str:
        """``ws://<host>:<port>/`` (``wss://`` with ``tls=True``), the root endpoint.

        Raises:
            InvalidState: The server was not started.
        """
        return f"{self.ws_scheme}://{self.host}:{self.port}/"

    def ssl_context(self) -> ssl.SSLContext:
        """A client-side ``ssl.SSLContext`` that trusts this server's generated certificate
        (and nothing else), with host name checking on: pass it as a client's
        ``ssl_context=``. Each call returns a new context.

        Raises:
            InvalidState: The server was built without ``tls=True`` or is not started.
        """
        if not self.tls:
            raise InvalidState(f"emulator {self.name} serves plain ws://; build it with tls=True")
        if self._certificate is None:
            raise InvalidState(f"emulator {self.name} is not started")
        return self._certificate.client_context()

    @property
    def connections(self) -> list[EmulatorConnection]:
        """The live connections, in accept order (a snapshot)."""
        with self._changed:
            return list(self._connections.values())

    @property
    def connections_accepted(self) -> int:
        """Connections that completed the opening handshake since start."""
        return self._connections_accepted

    @property
    def messages_received(self) -> int:
        """Messages received on all connections since start, stalled ones included."""
        return self._messages_received

    def wait_for(self, predicate: Callable[[], bool], timeout: float | None = None) -> bool:
        """Wait until ``predicate()`` is true, re-checking it at every state change.

        State changes are: a connection opened or ended, a message received, and
        whatever a subclass reports with :meth:`notify_changed`. The predicate runs on
        the calling thread without any emulator lock held.

        Args:
            predicate: Condition to wait for.
            timeout: Seconds to wait at most; ``None`` means no limit.

        Returns:
            Whether the predicate became true in time.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._changed:
                generation = self._generation
            if predicate():
                return True
            with self._changed:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._changed.wait_for(functools.partial(self._moved_on, generation), remaining)

    def _moved_on(self, generation: int) -> bool:
        return self._generation != generation

    def notify_changed(self) -> None:
        """Wake every :meth:`wait_for` so it re-checks its predicate."""
        with self._changed:
            self._generation += 1
            self._changed.notify_all()

    # -- fault injection ---------------------------------------------------------------

    def drop_connections(self) -> int:
        """Cut every live TCP connection without a closing handshake.

        Returns:
            The number of connections cut.
        """
        connections = self.connections
        for connection in connections:
            connection.abort()
        return len(connections)

    def stall(self) -> int:
        """Silence every live connection: nothing is sent any more, not even pongs to
        ping frames, and received messages are ignored, but the sockets stay open.

        Connections opened afterwards behave normally.

        Returns:
            The number of connections stalled.
        """
        connections = self.connections
        for connection in connections:
            connection.stall()
        return len(connections)

    def send_raw(self, message: str | bytes) -> int:
        """Send ``message`` verbatim (text for ``str``, binary for ``bytes``) to every
        live connection that is not stalled.

        Returns:
            The number of connections it was sent to.
        """
        return sum(connection.send(message) for connection in self.connections)

    def close_connections(self, code: int = 1000, reason: str = "") -> int:
        """Start a clean closing handshake with ``code``/``reason`` on every live
        connection; returns at once (see :meth:`EmulatorConnection.close`).

        Returns:
            The number of connections being closed.
        """
        connections = self.connections
        for connection in connections:
            connection.close(code, reason)
        return len(connections)

    # -- hooks -------------------------------------------------------------------------

    def accepts_path(self, path: str) -> bool:
        """Whether to accept a connection to ``path`` (no query string); others get 404."""
        return True

    def on_open(self, connection: EmulatorConnection) -> None:
        """Called on the connection's thread once the handshake is done, before any read."""

    def on_message(self, connection: EmulatorConnection, message: str | bytes) -> None:
        """Called on the connection's thread for each message, unless it is stalled.

        An exception is logged and the connection keeps going.
        """

    def on_close(self, connection: EmulatorConnection) -> None:
        """Called on the connection's thread after it ended and its workers were joined."""

    # -- internals ---------------------------------------------------------------------

    def _start_thread(self, target: Callable[..., None], role: str,
                      *args: Any) -> threading.Thread:
        def run() -> None:
            try:
                target(*args)
            finally:
                with self._changed:
                    self._threads.discard(threading.current_thread())
                    self._generation += 1
                    self._changed.notify_all()

        thread = threading.Thread(target=run, name=f"exwire-emulator-{self.name}-{role}",
                                  daemon=True)
        with self._changed:
            self._threads.add(thread)
            thread.start()  # under the lock: _join_threads must never see it unstarted
        return thread

    def _join_threads(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        current = threading.current_thread()
        while True:
            with self._changed:
                threads = [t for t in self._threads if t is not current]
            if not threads:
                return True
            for thread in threads:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                thread.join(remaining)

    def _accept_loop(self) -> None:
        assert self._ws_server is not None and self._wakeup_receiver is not None
        listen_socket = self._ws_server.socket
        selector = selectors.DefaultSelector()
        selector.register(listen_socket, selectors.EVENT_READ)
        selector.register(self._wakeup_receiver, selectors.EVENT_READ)
        try:
            while not self._closing.is_set():
                selector.select()
                if self._closing.is_set():
                    break
                try:
                    raw_socket, address = listen_socket.accept()
                except (BlockingIOError, InterruptedError, ConnectionAbortedError):
                    continue
                raw_socket.setblocking(True)
                # A send that cannot progress for send_timeout raises and closes the
                # connection: a client that stops reading never blocks the emulator.
                raw_socket.settimeout(self.send_timeout)
                connection_id = next(self._connection_ids)
                with self._changed:
                    self._raw_sockets[connection_id] = raw_socket
                self._start_thread(self._serve_socket, f"conn-{connection_id}",
                                   connection_id, raw_socket, address)
        except Exception:
            logger.exception("emulator %s: accept loop failed", self.name)
        finally:
            selector.close()

    def _serve_socket(self, connection_id: int, raw_socket: socket.socket,
                      address: Any) -> None:
        self._local.connection_id = connection_id
        try:
            sock: socket.socket | None = raw_socket
            if self._server_ssl is not None:
                tls_socket = self._secure(connection_id, raw_socket, self._server_ssl)
                # websockets reads on its own thread while sends come from others: one
                # TLS object must never see both at once (exwire._core.sockread).
                sock = None if tls_socket is None else SerialisedTLSSocket(tls_socket)  # type: ignore[assignment]
            if sock is not None:
                self._ws_server.handler(sock, address)  # handshake, then _handle()
        finally:
            with self._changed:
                self._raw_sockets.pop(connection_id, None)

    def _secure(self, connection_id: int, raw_socket: socket.socket,
                context: ssl.SSLContext) -> ssl.SSLSocket | None:
        """Run the server side of the TLS handshake; ``None`` (socket closed) on failure."""
        try:
            tls_socket = context.wrap_socket(raw_socket, server_side=True,
                                             do_handshake_on_connect=False)
        except OSError as exc:
            logger.debug("emulator %s: TLS wrap failed (%s)", self.name, exc)
            raw_socket.close()
            return None
        with self._changed:
            self._raw_sockets[connection_id] = tls_socket  # the raw socket is detached now
        try:
            tls_socket.settimeout(self.send_timeout if self.send_timeout is not None else 10.0)
            tls_socket.do_handshake()
            tls_socket.settimeout(self.send_timeout)
        except (OSError, ValueError) as exc:
            logger.debug("emulator %s: TLS handshake failed (%s)", self.name, exc)
            tls_socket.close()
            return None
        return tls_socket

    def _process_request(self, websocket: ServerConnection, request: Any) -> Any:
        path = request.path.split("?", 1)[0] or "/"
        if self._closing.is_set():
            return websocket.respond(503, "Emulator is shutting down.\n")
        if not self.accepts_path(path):
            return websocket.respond(404, f"No endpoint at {path}.\n")
        return None

    def _handle(self, websocket: ServerConnection) -> None:
        connection = EmulatorConnection(self, self._local.connection_id, websocket)
        with self._changed:
            refused = self._closing.is_set()
            if not refused:
                self._connections[connection.id] = connection
                self._connections_accepted += 1
                self._generation += 1
                self._changed.notify_all()
        if refused:
            websocket.close(_GOING_AWAY, "")
            return
        logger.debug("%r: open", connection)
        try:
            self.on_open(connection)
            while True:
                try:
                    message = websocket.recv()
                except _WebSocketClosed:
                    break
                with self._changed:
                    connection.messages_received += 1
                    self._messages_received += 1
                    self._generation += 1
                    self._changed.notify_all()
                if connection.stalled:
                    continue
                try:
                    self.on_message(connection, message)
                except Exception:
                    logger.exception("%r: on_message failed for %.200r", connection, message)
        except Exception:
            logger.exception("%r: connection handler failed", connection)
        finally:
            connection._set_closing()
            connection._join_workers(self.close_timeout + 1.0)
            with self._changed:
                self._connections.pop(connection.id, None)
            try:
                self.on_close(connection)
            except Exception:
                logger.exception("%r: on_close failed", connection)
            connection.closed.set()
            self.notify_changed()
            logger.debug("%r: ended (code %s)", connection, websocket.close_code)

    def _close_listening_sockets(self) -> None:
        server = self._ws_server
        # websockets' Server creates a wakeup pair for its own serve_forever(), which is
        # not used here; close it with the listening socket so no descriptor leaks.
        for sock in (server.socket, getattr(server, "shutdown_watcher", None),
                     getattr(server, "shutdown_notifier", None),
                     self._wakeup_receiver, self._wakeup_sender):
            if sock is not None:
                try:
                    sock.close()
                except OSError:
                    pass
        server.socket_closed.set()  # handshakes still in flight are refused with 503
