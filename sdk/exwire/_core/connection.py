"""Connection: one transport, one reader thread, the pending requests, reconnect.

Threads: the reader (``exwire-<exchange>-reader-<name>``) reads frames, feeds the
Protocol, completes futures, hands bursts of updates to its listener and runs the
keep-alive and liveness checks on its poll tick; it never runs user code. After a
reconnect a short-lived ``exwire-<exchange>-resync`` thread runs the listener's
``opened`` hook (log on, resubscribe), because that hook makes blocking requests
whose replies the reader must be free to read.

The contract with the layers around it is declared, not probed: the Connection
calls only the methods of :class:`~exwire._core.transport.Transport`,
:class:`~exwire._core.protocol.Protocol` (including its lifecycle) and
:class:`ConnectionListener`, each with a default. Its settings travel as one frozen
:class:`ConnectionPolicy`.
"""

from __future__ import annotations

import _thread
import collections
import enum
import logging
import threading
import time
import weakref
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from datetime import datetime, timezone
from typing import Any

import attrs

from exwire._core.backoff import Deadline, backoff
from exwire._core.protocol import Ended, Failure, Pong, Protocol, Reply, Update
from exwire._core.transport import Transport, TransportClosed
from exwire.errors import (
    AuthenticationError,
    ConnectError,
    ConnectionClosed,
    DecodeError,
    InvalidState,
    LogOnRefused,
    ProtocolError,
    RequestTimeout,
)
from exwire.models import ConnectionEvent, ConnectionState

__all__ = ["Connection", "ConnectionListener", "ConnectionPolicy", "Burst", "Pending", "State"]

_POLL_TICK = 0.5  # seconds: how often an idle reader checks keep-alive and liveness
_BURST_LIMIT = 32  # updates read ahead that may wait for one hand-over to the listener
_STABLE_SESSION = 30.0  # seconds a session must last before the reconnect backoff starts afresh
_LEAD_WINDOW = 0.25  # seconds a waiting caller may read for its own reply (Connection._lead)
_LOG_FRAME_LIMIT = 300
_CLOSE_GRACE = 1.0  # seconds close() waits for a connect in progress to give up
_monotonic = time.monotonic

#: What the reader hands its listener: (update, when its frame was read, the frame).
Burst = list[tuple[Update, datetime, "str | bytes"]]


class _Unparsed:
    """A frame whose parse raised ``error`` (``Connection._process`` reports it after the parse)."""

    __slots__ = ("error",)

    def __init__(self, error: Exception) -> None:
        self.error = error


class State(enum.Enum):
    NEW = "new"
    OPEN = "open"
    RECONNECTING = "reconnecting"
    CLOSED = "closed"


def _positive_or_none(name: str) -> Callable[[Any, Any, float | None], None]:
    def check(instance: Any, attribute: Any, value: float | None) -> None:
        if value is not None and not value > 0:
            raise ValueError(f"{name} must be positive seconds or None, got {value!r}")

    return check


@attrs.frozen(kw_only=True)
class ConnectionPolicy:
    """How one connection is kept alive, judged alive and replaced. Immutable.

    Attributes:
        reconnect: re-establish the connection after a drop (with backoff).
        ping_interval: seconds after which a keep-alive goes out when nothing was sent
            or nothing was received for that long: the protocol's ``ping_frame()`` where
            the exchange has an application ping, else the transport's ``ping()``
            (WebSocket ping frame, MQTT PINGREQ). ``None``: no keep-alive.
        pong_timeout: seconds within which the protocol must report a ``Pong`` after an
            application ping, even while other frames flow; ``None``: not checked.
        stale_timeout: seconds without any inbound bytes (control frames included)
            after which the connection is judged half-open and replaced; ``None``: not checked.
        max_age: seconds after which a healthy connection is replaced before the
            exchange cuts it (Binance: 24 h); ``None``: never.
        connect_timeout: seconds allowed to open the socket and handshake.
        backoff: makes the reconnect delay generator.
    """

    reconnect: bool = True
    ping_interval: float | None = attrs.field(default=None, validator=_positive_or_none("ping_interval"))
    pong_timeout: float | None = attrs.field(default=None, validator=_positive_or_none("pong_timeout"))
    stale_timeout: float | None = attrs.field(default=None, validator=_positive_or_none("stale_timeout"))
    max_age: float | None = attrs.field(default=None, validator=_positive_or_none("max_age"))
    connect_timeout: float = 10.0
    backoff: Callable[[], Iterator[float]] = backoff

    @property
    def tick(self) -> float:
        """The reader's poll tick: it bounds how late a ping or a dead peer is noticed."""
        limits = [limit / 3 for limit in (self.ping_interval, self.stale_timeout, self.pong_timeout) if limit]
        return min([_POLL_TICK, *limits])

    def detection_bound(self, application_ping: bool) -> float | None:
        """Worst-case seconds until a connection that stopped delivering bytes is noticed.

        ``application_ping``: whether the protocol has a ping frame (its pong is checked
        with ``pong_timeout``). ``None`` when nothing would notice.
        """
        bounds = []
        if self.stale_timeout is not None:
            bounds.append(self.stale_timeout + self.tick)
        if application_ping and self.ping_interval is not None and self.pong_timeout is not None:
            bounds.append(self.ping_interval + self.pong_timeout + 2 * self.tick)
        return min(bounds) if bounds else None


class ConnectionListener:
    """What a Connection tells the layer above it (the client). Every method has a default.

    ``updates`` runs on the reader thread and must not run user code; ``opened`` runs
    on the thread that made the first connect and on the resync thread after a
    reconnect; ``event`` and ``ended`` must hand user hooks to another thread.
    """

    def opened(self, connection: "Connection") -> None:
        """The transport is open: log on and resubscribe before it counts as ready.

        Raising fails the (re)connect.
        """

    def updates(self, burst: Burst) -> float:
        """A burst of updates read together, in wire order. Reader thread.

        Returns the seconds the reader spent waiting for room in a full queue (the
        ``block`` policy's back-pressure), which the liveness deadlines do not count.
        """
        return 0.0

    def ended(self, key: Hashable, error: BaseException | None) -> None:
        """The exchange ended the subscriptions routed under ``key``."""

    def event(self, event: ConnectionEvent) -> None:
        """The connection changed state."""


class Pending:
    """A request waiting for ``expected`` replies; completed on the reader thread.

    The caller waits on a bare lock, held from construction until the request is
    complete: completing it is one ``release`` (a ``threading.Event`` costs a
    condition, its lock and a waiter list per set and per wait, on the round trip's
    critical path).
    """

    __slots__ = ("key", "expected", "results", "error", "_done", "_finished")

    def __init__(self, key: Hashable, expected: int) -> None:
        self.key = key
        self.expected = expected
        self.results: list[Any] = []
        self.error: BaseException | None = None
        self._done = _thread.allocate_lock()
        self._done.acquire()  # released once, when the request is complete
        self._finished = False

    @property
    def finished(self) -> bool:
        """Whether the request is complete (replied, refused or failed)."""
        return self._finished

    def _finish(self) -> None:
        if self._finished:
            return
        self._finished = True
        try:
            self._done.release()
        except RuntimeError:  # released already: finishing is idempotent
            pass

    def add(self, result: Any, error: BaseException | None) -> bool:
        """Record one reply; return True when the request is complete."""
        if error is not None:
            self.error = error
            self._finish()
            return True
        self.results.append(result)
        if len(self.results) >= self.expected:
            self._finish()
            return True
        return False

    def fail(self, error: BaseException) -> None:
        if not self._finished:
            self.error = error
            self._finish()

    def wait(self, timeout: float | None) -> bool:
        """Whether the request completed within ``timeout`` seconds (``None``: no limit)."""
        if self._finished:
            return True
        if not self._done.acquire(timeout=-1 if timeout is None else timeout):
            return False
        self._done.release()  # stays complete for a later wait
        return True


def _connect_error(message: str, cause: BaseException) -> ConnectError:
    """A ConnectError; a ``LogOnRefused`` (also an AuthenticationError) when credentials were refused."""
    if isinstance(cause, AuthenticationError):
        return LogOnRefused(message, cause)
    return ConnectError(message)


def redact(frame: str | bytes, secrets: Iterable[str] = ()) -> str:
    """A frame shortened for a log line, with known secrets blanked out."""
    text = frame if isinstance(frame, str) else repr(frame[:_LOG_FRAME_LIMIT])
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text if len(text) <= _LOG_FRAME_LIMIT else text[:_LOG_FRAME_LIMIT] + "..."


class _DeadListener(ConnectionListener):
    """Stands in for a listener (client) that was garbage-collected."""


_OPEN = State.OPEN
_SENT_DEFAULT = Protocol.sent  # a protocol that keeps it hears of no write


class Connection:
    """One logical connection to one endpoint, kept alive across drops.

    Thread-safe: ``request``/``send`` may be called from any thread, including
    dispatcher lanes.

    Locks: ``_state_lock`` guards the state, the transport and the pending requests;
    ``_protocol_lock`` serialises every call into the protocol (``receive`` and the
    lifecycle); ``_send_lock`` keeps ``protocol.sent`` and the write together so their
    order is wire order. None is held while user code or a blocking wait runs.

    Args:
        name: ``"public"``, ``"private"``, ``"usdm"`` ...; appears in events and thread names.
        exchange: exchange name for thread and logger names.
        url: the endpoint.
        protocol: the exchange's sans-I/O Protocol for this connection.
        transport_factory: makes a new Transport for each (re)connect.
        listener: told of updates, openings, ended subscriptions and state changes. It
            is held weakly: a client that is collected stops its connections.
        policy: keep-alive, liveness, age and reconnect settings.
        secrets: strings to blank out of logged frames.
    """

    def __init__(
        self,
        *,
        name: str,
        exchange: str,
        url: str,
        protocol: Protocol,
        transport_factory: Callable[[], Transport],
        listener: ConnectionListener | None = None,
        policy: ConnectionPolicy | None = None,
        secrets: Sequence[str] = (),
    ) -> None:
        self.name = name
        self.exchange = exchange
        self.url = url
        self.protocol = protocol
        self.policy = policy or ConnectionPolicy()
        self._transport_factory = transport_factory
        listener = listener or ConnectionListener()
        self._listener_ref: Callable[[], ConnectionListener | None] = weakref.ref(listener)
        self._secrets = [s for s in secrets if s]
        self.log = logging.getLogger(f"exwire.{exchange}.{name}")

        self._state = State.NEW
        self._state_lock = threading.Lock()  # guards _state, _transport, _pending, threads
        self._protocol_lock = threading.Lock()  # serialises receive and the protocol lifecycle
        self._send_lock = threading.Lock()  # protocol.sent + write, in wire order
        self._connect_lock = threading.Lock()  # serialises the first connect
        self._ready = threading.Event()  # set while open and past the listener's opened()
        # Plain copies of the two flags for the request path (Event.is_set is a Python call):
        # written where the events change, under the same locks.
        self._ready_now = False
        self._closing_now = False
        self._changed = threading.Condition()  # notified when ready is set or closing starts
        self._closing = threading.Event()
        self._aborting = False  # a failed first log-on is being undone: the reader must not reconnect
        self._opening: Transport | None = None  # a transport whose open() is in progress
        self._transport: Transport | None = None
        self._drop_reason: str | None = None
        self._pending: dict[Hashable, collections.deque[Pending]] = {}
        self._reader: threading.Thread | None = None
        # Held by whoever reads a pollable transport: the reader thread, or a caller
        # reading its own reply (_lead). It orders frame processing across the two.
        self._read_token = threading.Lock()
        self._lead_failure: tuple[Transport, BaseException] | None = None
        self._receive = self._receiver()
        self._resync_threads: list[threading.Thread] = []
        self._last_recv = 0.0
        self._last_send = 0.0
        self._last_ping = 0.0
        self._opened_at = 0.0
        self._ping_outstanding_since: float | None = None
        self.reconnects = 0
        self.frames_received = 0
        self.frames_skipped = 0
        self.replies_read_by_caller = 0  # requests whose caller read its own reply (_lead)
        self.readers_replaced = 0
        self.connected_at: float | None = None
        self._backoff: Iterator[float] | None = None  # the reconnect delays, across failures
        self._attempt = 0

    # -- state -----------------------------------------------------------------

    @property
    def state(self) -> State:
        return self._state

    @property
    def is_ready(self) -> bool:
        return self._ready_now

    @property
    def _listener(self) -> ConnectionListener:
        return self._listener_ref() or _DeadListener()

    def pending_count(self) -> int:
        with self._state_lock:
            return sum(len(queue) for queue in self._pending.values())

    def threads(self) -> list[threading.Thread]:
        with self._state_lock:
            threads = list(self._resync_threads)
            if self._reader is not None:
                threads.append(self._reader)
        return threads

    def seconds_since_last_frame(self) -> float | None:
        return None if not self._last_recv else time.monotonic() - self._last_recv

    def _set_ready(self) -> None:
        with self._changed:
            self._ready.set()
            self._ready_now = True
            self._changed.notify_all()

    def _wait_ready(self, timeout: float | None) -> bool:
        """Wait until ready or closing; True when ready."""
        with self._changed:
            return self._changed.wait_for(lambda: self._ready.is_set() or self._closing.is_set(), timeout) and (
                self._ready.is_set()
            )

    # -- opening ---------------------------------------------------------------

    def ensure_open(self, timeout: float | None) -> None:
        """Open the connection if it was never opened; wait while it reconnects.

        Raises:
            InvalidState: the connection is closed.
            ConnectError: the first connect or its log-on failed (cause chained).
            ConnectionClosed: a reconnect did not complete within ``timeout``, or
                ``close()`` was called while waiting.
        """
        if self._ready_now:
            return
        deadline = Deadline(timeout)
        with self._connect_lock:
            if self._state is State.CLOSED:
                raise InvalidState(f"{self.exchange} {self.name} connection is closed")
            if self._state is State.NEW:
                self._first_connect(deadline)
                return
        if not self._wait_ready(deadline.remaining()):
            if self._closing.is_set():
                raise ConnectionClosed(f"{self.exchange} {self.name} connection was closed")
            raise ConnectionClosed(f"{self.exchange} {self.name} connection is not restored yet")

    def _first_connect(self, deadline: Deadline) -> None:
        try:
            transport = self._open_transport(deadline.remaining())
        except Exception as exc:
            if self._closing.is_set():
                raise ConnectionClosed(f"{self.exchange} {self.name} connection was closed while connecting") from exc
            raise _connect_error(f"could not connect to {self.url}: {exc}", exc) from exc
        with self._state_lock:
            if self._closing.is_set():
                transport.close()
                raise ConnectionClosed(f"{self.exchange} {self.name} connection was closed while connecting")
            self._transport = transport
            self._state = State.OPEN
            self._reader = threading.Thread(
                target=_reader_main,
                args=(weakref.ref(self), transport),
                name=f"exwire-{self.exchange}-reader-{self.name}",
                daemon=True,
            )
            self._reader.start()
        try:
            self._listener.opened(self)
        except BaseException as exc:
            # The socket is up but log-on failed: take it down; a later call starts afresh.
            self._reset()
            if self._closing.is_set():
                raise ConnectionClosed(f"{self.exchange} {self.name} connection was closed while logging on") from exc
            if isinstance(exc, ConnectError):
                raise
            raise _connect_error(f"{self.exchange} {self.name}: opening the session failed: {exc}", exc) from exc
        self.connected_at = time.monotonic()
        self._set_ready()
        self._emit(ConnectionEvent(ConnectionState.CONNECTED, self.name))

    def _reset(self) -> None:
        """Undo a first connect whose log-on failed, back to ``NEW`` (unless closed meanwhile)."""
        with self._state_lock:
            transport, reader = self._transport, self._reader
            self._aborting = True
        if transport is not None:
            transport.close()
        if reader is not None and reader is not threading.current_thread():
            reader.join(self.policy.connect_timeout)
        self._fail_pending(ConnectionClosed(f"{self.exchange} {self.name}: log-on failed"))
        with self._state_lock:
            self._aborting = False
            self._transport = None
            self._reader = None
            if self._state is not State.CLOSED:
                self._state = State.NEW

    def _open_transport(self, timeout: float | None) -> Transport:
        transport = self._transport_factory()
        limit = self.policy.connect_timeout if timeout is None else min(timeout, self.policy.connect_timeout)
        with self._state_lock:
            if self._closing.is_set():
                raise ConnectionClosed("closing")
            self._opening = transport  # close() closes it: a hanging handshake ends at once
        try:
            transport.open(self.url, limit)
        except BaseException:
            transport.close()
            raise
        finally:
            with self._state_lock:
                self._opening = None
        now = time.monotonic()
        self._last_recv = now
        self._last_send = now
        self._last_ping = now
        self._opened_at = now
        self._ping_outstanding_since = None
        self._drop_reason = None
        with self._protocol_lock:
            self.protocol.connection_made()
        self._receive = self._receiver()  # the client has set the protocol's raw flag by now
        return transport

    # -- requests --------------------------------------------------------------

    def _write(self, transport: Transport, key: Hashable | None, frame: str | bytes) -> None:
        """Write one frame, telling the protocol first (in wire order). Raises TransportClosed."""
        with self._send_lock:
            with self._protocol_lock:
                self.protocol.sent(key, frame)
            transport.send(frame)
        self._last_send = _monotonic()

    def send(self, frame: str | bytes, *, wait_ready: bool = True, timeout: float | None = None) -> None:
        """Send a frame that expects no reply.

        Raises:
            ConnectionClosed: not connected (within ``timeout`` when waiting for a reconnect).
            InvalidState: the connection is closed.
        """
        if wait_ready:
            self.ensure_open(timeout)
        transport = self._transport
        if transport is None or self._state is not State.OPEN:
            raise ConnectionClosed(f"{self.exchange} {self.name} connection is not open")
        try:
            self._write(transport, None, frame)
        except TransportClosed as exc:
            raise ConnectionClosed(f"{self.exchange} {self.name}: send failed: {exc}") from exc

    def request(
        self,
        key: Hashable,
        frame: str | bytes,
        timeout: float | None,
        *,
        expected: int = 1,
        wait_ready: bool = True,
    ) -> list[Any]:
        """Send ``frame`` and wait for ``expected`` replies keyed ``key``; return their results.

        The future is registered before the frame is sent, so a fast reply is never
        missed. Requests are never replayed after a reconnect. On a timeout or a
        failed send the protocol is told (``abandoned``); when it says the connection
        can no longer be trusted, the connection is replaced and the next request
        waits for the new one.

        The common case (open connection, reader idle) is one straight path: one clock
        reading for the deadline, the frame written, the reply read on this thread
        (:meth:`_lead`); the clock is read again only when the reply is not in by then.

        Raises:
            RequestTimeout: no (complete) reply within ``timeout`` seconds; outcome unknown.
            ConnectionClosed: the connection dropped first; outcome unknown.
            ExchangeError: the exchange refused (the subclass the Protocol mapped).
            DecodeError: the reply could not be interpreted.
        """
        started = _monotonic()
        expires = None if timeout is None else started + (timeout if timeout > 0.0 else 0.0)
        if wait_ready and not self._ready_now:
            self.ensure_open(timeout)
        pending = Pending(key, expected)
        with self._state_lock:
            transport = self._transport
            if self._state is not _OPEN or transport is None:
                raise ConnectionClosed(f"{self.exchange} {self.name} connection is not open")
            queue = self._pending.get(key)
            if queue is None:
                self._pending[key] = collections.deque((pending,))
            else:
                queue.append(pending)
        pollable = transport.pollable
        # A caller that may read its own reply mutes the reader thread's wait before
        # the request goes out, so the reply wakes only the thread that reads it
        # (Transport.mute); unmuted before it waits for a reply the reader reads. Before,
        # not after, the send: muted after it, a reply could beat the mute (a server in the
        # process, a caller preempted under load) and wake the reader after all, which
        # saved about 1% of a loopback round trip and nothing measurable over a network.
        muted = pollable and transport.mute()
        try:
            try:
                protocol = self.protocol
                if type(protocol).sent is not _SENT_DEFAULT or "sent" in protocol.__dict__:
                    self._write(transport, key, frame)
                else:  # nothing to tell the protocol: the transport's write lock orders the frames
                    transport.send(frame)
                    self._last_send = started
            except TransportClosed as exc:
                self._unregister(pending)
                self._abandon(key, transport)
                raise ConnectionClosed(f"{self.exchange} {self.name}: send failed: {exc}") from exc
            if pollable and not pending._finished:
                self._lead(transport, pending, started, expires)
        finally:
            if muted:
                transport.unmute()
        if not pending._finished:
            remaining = None if expires is None else max(0.0, expires - _monotonic())
            if not pending.wait(remaining):
                self._unregister(pending)
                if not pending.wait(0):  # a reply may have raced the timeout
                    self._abandon(key, transport)
                    raise RequestTimeout(f"{self.exchange}: no reply to request {key!r} within {timeout} s")
        if pending.error is not None:
            raise pending.error
        return pending.results

    def _abandon(self, key: Hashable, transport: Transport) -> None:
        with self._protocol_lock:
            replace = self.protocol.abandoned(key)
        # While the listener's opened() hook runs (log-on, resubscribe) the connection is
        # not ready: a request of the hook that fails fails the hook, which takes this
        # transport down itself; dropping it here too would race that undo.
        if replace and self._transport is transport and self._ready.is_set():
            self.drop(f"reply to {key!r} overdue: replacing the connection")

    def _unregister(self, pending: Pending) -> None:
        with self._state_lock:
            queue = self._pending.get(pending.key)
            if queue is not None:
                try:
                    queue.remove(pending)
                except ValueError:
                    pass
                if not queue:
                    del self._pending[pending.key]

    def _complete(self, reply: Reply) -> None:
        with self._state_lock:
            try:
                queue = self._pending.get(reply.key)
            except TypeError:  # an unhashable key (a protocol bug): it can answer nothing
                queue = None
                self.log.warning("%s: a reply with an unusable key was skipped: %r", self.name, reply.key)
            if not queue:
                pending = None
            else:
                pending = queue[0]
                if pending.add(reply.result, reply.error):
                    queue.popleft()
                    if not queue:
                        del self._pending[reply.key]
        if pending is None:
            self.log.debug("%s: reply for no pending request: %r", self.name, reply.key)

    def _fail_pending(self, error: BaseException) -> None:
        with self._state_lock:
            pending = [p for queue in self._pending.values() for p in queue]
            self._pending.clear()
        for request in pending:
            request.fail(error)

    # -- reader ------------------------------------------------------------------

    def _run(self, transport: Transport) -> None:
        """The reader thread's life: read, and after each loss reconnect (or stop)."""
        while True:
            try:
                cause = self._read(transport)
            except BaseException as exc:  # an engine bug: report it, replace the session
                self.readers_replaced += 1
                self.log.exception("%s: the reader failed; replacing the connection", self.name)
                cause = exc
            if self._drop_reason is not None and not isinstance(cause, ProtocolError):
                cause = ConnectionClosed(self._drop_reason)
            with self._state_lock:
                # Leave OPEN before failing the pending requests, so no request can
                # register on the dying transport after the sweep.
                self._ready_now = False
                self._ready.clear()
                if self._state is State.OPEN:
                    self._state = State.RECONNECTING
            transport.close()
            self._fail_pending(ConnectionClosed(f"{self.exchange} {self.name} connection lost: {cause}"))
            with self._protocol_lock:
                try:
                    self.protocol.connection_lost(cause)
                except Exception:
                    self.log.exception("%s: protocol.connection_lost failed", self.name)
            if self._closing.is_set() or self._aborting:
                return
            if self._listener_ref() is None:
                self.log.debug("%s: the client was collected; the reader stops", self.name)
                return
            self.log.warning("%s connection lost: %s", self.name, cause)
            self._emit(ConnectionEvent(ConnectionState.LOST, self.name, error=cause))
            if not self.policy.reconnect:
                with self._state_lock:
                    self._state = State.CLOSED
                self._emit(ConnectionEvent(ConnectionState.CLOSED, self.name, error=cause))
                with self._changed:
                    self._changed.notify_all()
                return
            up_for = None if self.connected_at is None else time.monotonic() - self.connected_at
            self.connected_at = None  # until a session is restored
            reopened = self._reopen(stable=up_for is not None and up_for >= _STABLE_SESSION)
            if reopened is None:
                return
            transport = reopened

    def _read(self, transport: Transport) -> BaseException:
        """Read until the transport fails or the connection must be replaced; return the cause.

        A pollable transport waits for data apart from reading it: the reader waits with
        nothing held, then reads and processes what is there holding the read token,
        which a caller waiting for a reply may hold instead (:meth:`_lead`). Any other
        transport is read by this thread alone, blocking in ``recv``.
        """
        listener = self._listener_ref()
        if listener is None:
            return ConnectionClosed("the client was collected")
        if transport.pollable:
            return self._read_polled(transport, listener)
        receive = self._receiver()
        closing = self._closing
        tick = self.policy.tick
        next_check = 0.0
        burst: Burst = []
        try:
            while not closing.is_set():
                if burst and (len(burst) >= _BURST_LIMIT or not transport.frame_ready()):
                    # Hand the burst over before recv could block (and at least every few
                    # frames, so the first update of a long burst is not held back).
                    self._hand_over(listener, burst)
                    burst = []
                try:
                    frames = transport.recv_many(tick)
                except TransportClosed as exc:
                    return exc
                except Exception as exc:  # a transport bug must not kill the reader: treat as a loss
                    self.log.exception("%s: transport failed", self.name)
                    return exc
                now = time.monotonic()
                if frames is None or now >= next_check:
                    # Housekeeping (pings, pong and age limits, stalls) at most once a tick,
                    # so a flood pays one comparison per read for it.
                    next_check = now + tick
                    cause = self._idle(transport, now, frames is None)
                    if cause is not None:
                        return cause
                    if frames is None:
                        continue
                cause, burst = self._process(frames, now, burst, listener, receive)
                if cause is not None:
                    return cause
            return ConnectionClosed("closing")
        finally:
            if burst:
                self._hand_over(listener, burst)

    def _receiver(self) -> Callable[[str | bytes], Sequence[Any]]:
        protocol = self.protocol
        # A raw client's protocol without raw support of its own: its typed events, the
        # frame's JSON as each update's data (Protocol.receive_raw).
        return protocol.receive_raw if protocol.raw and not protocol.raw_native else protocol.receive

    def _read_polled(self, transport: Transport, listener: ConnectionListener) -> BaseException:
        """The reader's loop on a pollable transport: wait with nothing held, pump under the token."""
        receive = self._receiver()
        closing = self._closing
        tick = self.policy.tick
        token = self._read_token
        next_check = 0.0
        while not closing.is_set():
            ready = transport.wait_readable(tick)
            with token:
                lead = self._lead_failure
                if lead is not None:
                    self._lead_failure = None  # nothing of an ended transport is kept
                    if lead[0] is transport:
                        return lead[1]  # a caller that read for us met the end of this transport
                now = time.monotonic()
                if ready:
                    cause = self._pump(transport, listener, receive, now + tick, None)
                    if cause is not None:
                        return cause
                    now = time.monotonic()
                if not ready or now >= next_check:
                    next_check = now + tick
                    cause = self._idle(transport, now, not ready)
                    if cause is not None:
                        return cause
        return ConnectionClosed("closing")

    def _pump(self, transport: Transport, listener: ConnectionListener,
              receive: Callable[[str | bytes], Sequence[Any]], until: float,
              waiting: Pending | None, wait: float = 0.0) -> BaseException | None:
        """Read and process every frame available now; the read token is held.

        Only the first read may wait, ``wait`` seconds (a caller reading for its reply):
        no whole frame is buffered while the token is free, so what it waits for is the
        socket.

        Stops when nothing more is there, or at ``until`` (``time.monotonic()``) or once
        ``waiting`` is complete, but never with a whole frame left in the transport's
        buffer: the next holder of the token waits on the socket alone, which cannot see
        that buffer. Every update read is handed over before it returns, so whoever
        holds the token next continues in wire order.

        Returns:
            The cause when the connection must be replaced, else ``None``.
        """
        burst: Burst = []
        try:
            while True:
                try:
                    frames = transport.recv_many(wait)
                except TransportClosed as exc:
                    return exc
                except Exception as exc:  # a transport bug must not kill the reader: treat as a loss
                    self.log.exception("%s: transport failed", self.name)
                    return exc
                if frames is None:
                    return None
                wait = 0.0
                now = _monotonic()
                cause, burst = self._process(frames, now, burst, listener, receive)
                if cause is not None:
                    return cause
                if transport.frame_ready():
                    continue  # a transport that returns one frame at a time has more
                if burst:
                    self._hand_over(listener, burst)
                    burst = []
                if now >= until or (waiting is not None and waiting._finished):
                    return None
        finally:
            if burst:
                self._hand_over(listener, burst)

    def _process(self, frames: list[str | bytes], now: float, burst: Burst, listener: ConnectionListener,
                 receive: Callable[[str | bytes], Sequence[Any]]) -> tuple[BaseException | None, Burst]:
        """Parse the frames of one read and act on their events; return (the cause to end the connection, the burst).

        Updates join ``burst``, handed over every :data:`_BURST_LIMIT` of them; a reply or
        an end hands the burst over first, so updates read before a reply are queued
        before its caller wakes. The frames of one read share one ``received_at``: they
        arrived together.
        """
        self._last_recv = now
        self.frames_received += len(frames)
        lock = self._protocol_lock
        received_at: datetime | None = None  # taken once per read, for updates only
        parsed: list[Any] = []
        for first in range(0, len(frames), _BURST_LIMIT):
            # Parse up to a burst's worth of frames under one hold of the protocol lock
            # (a lock round per frame cost as much as slicing the frame), then act on
            # them with no lock held. A sender waits for at most that many frames.
            chunk = frames[first : first + _BURST_LIMIT] if len(frames) > _BURST_LIMIT else frames
            with lock:
                for frame in chunk:
                    try:
                        parsed.append(receive(frame))
                    except Exception as failure:  # reported below, with no lock held
                        parsed.append(_Unparsed(failure))
            for frame, events in zip(chunk, parsed):
                if type(events) is _Unparsed:
                    error = events.error
                    if isinstance(error, ProtocolError):
                        self._skipped(frame, error)
                    else:  # a parser bug must not kill the reader
                        self.frames_skipped += 1
                        self.log.error(
                            "%s: could not parse a frame (%s): %s", self.name, error, redact(frame, self._secrets),
                            exc_info=error,
                        )
                    continue
                for event in events:
                    kind = type(event)
                    if kind is Update:
                        if received_at is None:
                            received_at = datetime.now(timezone.utc)
                        burst.append((event, received_at, frame))
                    elif kind is Reply:
                        if burst:  # updates read before a reply are queued before its caller wakes
                            self._hand_over(listener, burst)
                            burst = []
                        self._complete(event)
                    elif isinstance(event, Ended):
                        if burst:  # the updates before the end still reach the subscription
                            self._hand_over(listener, burst)
                            burst = []
                        listener.ended(event.key, event.error)
                    elif kind is Pong:
                        self._ping_outstanding_since = None
                    elif isinstance(event, Failure):
                        return event.error, burst
            parsed.clear()
            if len(burst) >= _BURST_LIMIT:  # the first updates of a long read go ahead
                self._hand_over(listener, burst)
                burst = []
        return None, burst

    def _lead(self, transport: Transport, pending: Pending, now: float, expires: float | None) -> None:
        """Read the reply on the caller's thread while the reader thread has nothing to do.

        A waiting caller that finds the read token free keeps it for up to
        :data:`_LEAD_WINDOW` seconds and reads and processes frames itself (every frame,
        in order, exactly as the reader would), so its reply reaches it without a hop
        from the reader thread. The reader's housekeeping waits for the token at most
        that long. The caller gives the token back as soon as its request is complete
        or the window ends, then waits as before. It hands updates over exactly as the
        reader does (a full ``block`` queue stalls it as it would stall the reader). When
        it meets the end of the transport it leaves the cause for the reader (which owns
        reconnecting) and wakes it (closing the transport wakes a muted reader too).

        :meth:`request` mutes the reader's wait around it (``Transport.mute``), so the
        reply wakes this thread alone: the reader thread stays asleep instead of waking
        with it, waiting for the token and finding nothing to read.
        """
        token = self._read_token
        if not token.acquire(False):
            return  # the reader is reading: it completes the request as usual
        try:
            listener = self._listener_ref()
            if listener is None or self._transport is not transport or self._closing_now:
                return
            until = now + _LEAD_WINDOW
            if expires is not None and expires < until:
                until = expires
            receive = self._receive
            while True:
                left = until - now
                if left <= 0.0:
                    return
                # The first read waits (at most ``left`` seconds): on plain TCP the wait is
                # the read(2) itself, one system call where a poll and a read would be two.
                cause = self._pump(transport, listener, receive, until, pending, left)
                if cause is not None:
                    self._lead_failure = (transport, cause)
                    transport.close()  # the reader wakes, finds the cause and reconnects
                    return
                if pending._finished:
                    self.replies_read_by_caller += 1
                    return
                now = _monotonic()
        finally:
            token.release()

    def _skipped(self, frame: str | bytes, exc: ProtocolError) -> None:
        self.frames_skipped += 1
        self.log.warning("%s: skipped a frame: %s: %s", self.name, exc, redact(frame, self._secrets))
        key = exc.key if isinstance(exc, DecodeError) else None  # the request the frame answers
        if key is not None:
            self._complete(Reply(key, error=exc))

    def _hand_over(self, listener: ConnectionListener, burst: Burst) -> None:
        try:
            blocked = listener.updates(burst)
        except Exception:
            self.log.exception("%s: delivering updates failed", self.name)
            return
        if blocked:
            # The reader waited for a consumer (the block policy): that time proves
            # nothing about the peer, so no liveness deadline counts it.
            self._last_recv += blocked
            if self._ping_outstanding_since is not None:
                self._ping_outstanding_since += blocked
            self._last_ping += blocked

    def _idle(self, transport: Transport, now: float, quiet: bool) -> BaseException | None:
        """Keep-alive and liveness checks; ``quiet`` when the last poll brought no frame."""
        policy = self.policy
        if policy.max_age is not None and now - self._opened_at > policy.max_age:
            return ConnectionClosed(f"connection older than {policy.max_age} s: replacing it")
        since = self._ping_outstanding_since
        if policy.pong_timeout is not None and since is not None and now - since > policy.pong_timeout:
            return ConnectionClosed(f"no pong within {policy.pong_timeout} s")
        # A server's protocol-level pings and our pings' pongs prove life too.
        last = max(self._last_recv, transport.last_activity)
        if policy.stale_timeout is not None and now - last > policy.stale_timeout:
            return ConnectionClosed(f"nothing received for {now - last:.1f} s: connection stalled")
        interval = policy.ping_interval
        if interval is not None and now - self._last_ping >= interval:
            if now - self._last_send >= interval or now - last >= interval:
                self._ping(transport, now)
        return None

    def _ping(self, transport: Transport, now: float) -> None:
        self._last_ping = now
        frame = self.protocol.ping_frame()
        try:
            if frame is None:
                transport.ping()
                return
            self._write(transport, None, frame)
            if self._ping_outstanding_since is None:
                self._ping_outstanding_since = now
        except TransportClosed:
            pass  # the next recv reports the loss

    def _reopen(self, *, stable: bool) -> Transport | None:
        """Reconnect with backoff; ``stable`` when the lost session had stayed up a while."""
        with self._state_lock:
            if self._state is not State.CLOSED:
                self._state = State.RECONNECTING
        # One backoff sequence spans consecutive failures, including sessions that open
        # but fail to log on or drop at once: only a session that stayed up resets it.
        # Otherwise a refused log-on would reconnect every half second for ever (Kraken
        # bans an IP after ~150 reconnects in 10 minutes).
        if self._backoff is None or stable:
            self._backoff = self.policy.backoff()
            self._attempt = 0
        for delay in self._backoff:
            self._attempt += 1
            attempt = self._attempt
            self._emit(ConnectionEvent(ConnectionState.RECONNECTING, self.name, attempt=attempt))
            if self._closing.wait(delay) or self._listener_ref() is None:
                return None
            try:
                transport = self._open_transport(self.policy.connect_timeout)
            except Exception as exc:
                if self._closing.is_set():
                    return None
                self.log.info("%s reconnect attempt %d failed: %s", self.name, attempt, exc)
                continue
            with self._state_lock:
                if self._closing.is_set():
                    transport.close()
                    return None
                self._transport = transport
                self._state = State.OPEN
                self.reconnects += 1
                resync = threading.Thread(
                    target=self._resync, args=(transport,), name=f"exwire-{self.exchange}-resync", daemon=True
                )
                self._resync_threads = [t for t in self._resync_threads if t.is_alive()] + [resync]
                resync.start()  # under the lock: close() must never see it unstarted
            return transport
        return None

    def _resync(self, transport: Transport) -> None:
        try:
            self._listener.opened(self)
        except Exception as exc:
            if self._closing.is_set():
                return
            self.log.error("%s: restoring the session failed, reconnecting: %s", self.name, exc)
            transport.close()  # the reader sees the loss and backs off again
            return
        if self._transport is transport and not self._closing.is_set():
            self.connected_at = time.monotonic()
            self._set_ready()
            self.log.info("%s connection restored", self.name)
            self._emit(ConnectionEvent(ConnectionState.RESTORED, self.name))

    def drop(self, reason: str = "dropped") -> None:
        """Force a reconnect (checksum storms, refused sessions, a lost reply FIFO, tests).

        The connection stops being ready at once, so a request made right after this
        returns waits for the new connection instead of failing on the old one.
        """
        with self._state_lock:
            transport = self._transport
            if transport is None or self._state is not State.OPEN:
                return
            self._drop_reason = reason
            self._ready_now = False
            self._ready.clear()
            self._state = State.RECONNECTING
        transport.close()

    def _emit(self, event: ConnectionEvent) -> None:
        try:
            self._listener.event(event)
        except Exception:
            self.log.exception("connection event handler failed")

    # -- closing -----------------------------------------------------------------

    def close(self, timeout: float | None = 5.0) -> None:
        """Close for good: stop a connect in progress, fail pending requests, stop and join
        the reader. Idempotent.

        Never joins the calling thread (a callback or the resync hook may close).
        """
        with self._state_lock:
            already = self._closing.is_set()
            self._closing.set()
            self._closing_now = True
            was_open = self._state is not State.NEW
            self._state = State.CLOSED
            transport, opening = self._transport, self._opening
        with self._changed:
            self._ready_now = False
            self._ready.clear()
            self._changed.notify_all()  # waiters for a reconnect raise ConnectionClosed
        for current_transport in (opening, transport):
            if current_transport is not None:
                current_transport.close()
        self._fail_pending(ConnectionClosed(f"{self.exchange} {self.name} connection closed"))
        deadline = Deadline(timeout)
        current = threading.current_thread()
        for thread in self.threads():
            if thread is not current:
                thread.join(deadline.remaining())
        if was_open and not already:
            self._emit(ConnectionEvent(ConnectionState.CLOSED, self.name))


def _reader_main(ref: "weakref.ref[Connection]", transport: Transport) -> None:
    connection = ref()
    if connection is not None:
        connection._run(transport)
