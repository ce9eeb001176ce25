"""Connection: one transport, one reader thread, the pending requests, reconnect.

Threads: the reader (``exwire-<exchange>-reader[-<name>]``) reads frames, feeds the
Protocol, completes futures and queues updates; it never runs user code. After a
reconnect a short-lived ``exwire-<exchange>-resync`` thread runs the client's
``on_open`` hook (log on, resubscribe), because that hook makes blocking requests
whose replies the reader must be free to read.
"""

from __future__ import annotations

import collections
import enum
import logging
import threading
import time
from collections.abc import Callable, Hashable, Iterator
from datetime import datetime, timezone
from typing import Any

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
    RequestTimeout,
)
from exwire.models import ConnectionEvent, ConnectionState

__all__ = ["Connection", "Pending", "State"]

_POLL_TICK = 0.5  # seconds: how often an idle reader checks keep-alive and liveness
_BATCH_LIMIT = 32  # frames read ahead whose lane wake-ups may wait for one flush
_STABLE_SESSION = 30.0  # seconds a session must last before the reconnect backoff starts afresh
_LOG_FRAME_LIMIT = 300


class State(enum.Enum):
    NEW = "new"
    OPEN = "open"
    RECONNECTING = "reconnecting"
    CLOSED = "closed"


class Pending:
    """A request waiting for ``expected`` replies; completed on the reader thread."""

    __slots__ = ("key", "expected", "results", "error", "_done")

    def __init__(self, key: Hashable, expected: int) -> None:
        self.key = key
        self.expected = expected
        self.results: list[Any] = []
        self.error: BaseException | None = None
        self._done = threading.Event()

    def add(self, result: Any, error: BaseException | None) -> bool:
        """Record one reply; return True when the request is complete."""
        if error is not None:
            self.error = error
            self._done.set()
            return True
        self.results.append(result)
        if len(self.results) >= self.expected:
            self._done.set()
            return True
        return False

    def fail(self, error: BaseException) -> None:
        if not self._done.is_set():
            self.error = error
            self._done.set()

    def wait(self, timeout: float | None) -> bool:
        return self._done.wait(timeout)


def _connect_error(message: str, cause: BaseException) -> ConnectError:
    """A ConnectError; a ``LogOnRefused`` (also an AuthenticationError) when credentials were refused."""
    if isinstance(cause, AuthenticationError):
        return LogOnRefused(message, cause)
    return ConnectError(message)


def redact(frame: str | bytes, secrets: Iterator[str] | list[str] = ()) -> str:
    """A frame shortened for a log line, with known secrets blanked out."""
    text = frame if isinstance(frame, str) else repr(frame[:_LOG_FRAME_LIMIT])
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text if len(text) <= _LOG_FRAME_LIMIT else text[:_LOG_FRAME_LIMIT] + "..."


class Connection:
    """One logical connection to one endpoint, kept alive across drops.

    Thread-safe: ``request``/``send`` may be called from any thread, including
    dispatcher lanes.

    Args:
        name: ``"public"``, ``"private"``, ``"usdm"`` ...; appears in events and thread names.
        exchange: exchange name for thread and logger names.
        url: the endpoint.
        protocol: the exchange's sans-I/O Protocol for this connection.
        transport_factory: makes a new Transport for each (re)connect.
        deliver: ``deliver(update, received_at, frame)`` queues an Update (reader thread).
        on_open: hook run after every (re)connect before the connection is ready:
            log on, resubscribe. On the first connect it runs in the caller's thread,
            after a reconnect on the resync thread. Raising fails the connect.
        on_event: receives every ConnectionEvent (must not run user code inline).
        on_ended: ``on_ended(key, error)`` when the exchange ends a subscription.
        reconnect: whether to reconnect after a drop.
        ping_interval: seconds of send-silence after which ``protocol.ping_frame()`` is
            sent; ``None`` for no application pings.
        stale_timeout: seconds without any inbound frame after which the connection
            is considered stalled and re-established; ``None`` disables the check.
        pong_timeout: seconds after a keep-alive ping within which the Protocol must
            report a ``Pong``, else the connection is re-established even if other
            frames flow (OKEx v1 §7); ``None`` disables the check.
        max_age: seconds after which a connection is replaced by a new one even when
            healthy, before the exchange cuts it (Binance: 24 h); ``None``: never.
        connect_timeout: seconds allowed to open the socket.
        backoff_factory: makes the reconnect delay generator.
        secrets: strings to blank out of logged frames.
        batching, flush: let ``deliver`` defer lane wake-ups while more frames are
            already buffered (``batching(True)`` on the reader, ``flush()`` before it
            could block, ``batching(False)`` when it stops).
    """

    def __init__(
        self,
        *,
        name: str,
        exchange: str,
        url: str,
        protocol: Protocol,
        transport_factory: Callable[[], Transport],
        deliver: Callable[[Update, datetime, str | bytes], None],
        on_open: Callable[["Connection"], None] | None = None,
        on_event: Callable[[ConnectionEvent], None] | None = None,
        on_ended: Callable[[Hashable, BaseException | None], None] | None = None,
        reconnect: bool = True,
        ping_interval: float | None = None,
        stale_timeout: float | None = None,
        pong_timeout: float | None = None,
        max_age: float | None = None,
        connect_timeout: float = 10.0,
        backoff_factory: Callable[[], Iterator[float]] = backoff,
        secrets: list[str] | None = None,
        batching: Callable[[bool], None] | None = None,
        flush: Callable[[], None] | None = None,
    ) -> None:
        self.name = name
        self.exchange = exchange
        self.url = url
        self.protocol = protocol
        self._transport_factory = transport_factory
        self._deliver = deliver
        self._on_open = on_open
        self._on_event = on_event or (lambda event: None)
        self._on_ended = on_ended or (lambda key, error: None)
        self._reconnect = reconnect
        self._ping_interval = ping_interval
        self._stale_timeout = stale_timeout
        self._pong_timeout = pong_timeout
        self._max_age = max_age
        self._opened_at = 0.0
        self._ping_outstanding_since: float | None = None
        self._connect_timeout = connect_timeout
        self._backoff_factory = backoff_factory
        self._secrets = secrets or []
        self._batching = batching
        self._flush = flush
        self.log = logging.getLogger(f"exwire.{exchange}")

        self._state = State.NEW
        self._state_lock = threading.Lock()  # guards _state, _transport, _pending, threads
        self._connect_lock = threading.Lock()  # serialises the first connect
        self._ready = threading.Event()  # set while open and past on_open
        self._closing = threading.Event()
        self._aborting = False  # a failed first log-on is being undone: the reader must not reconnect
        self._transport: Transport | None = None
        self._pending: dict[Hashable, collections.deque[Pending]] = {}
        self._reader: threading.Thread | None = None
        self._resync_threads: list[threading.Thread] = []
        self._last_recv = 0.0
        self._last_send = 0.0
        self.reconnects = 0
        self.frames_received = 0
        self.frames_skipped = 0
        self.connected_at: float | None = None
        self._backoff: Iterator[float] | None = None  # the reconnect delays, across failures
        self._attempt = 0

    # -- state -----------------------------------------------------------------

    @property
    def state(self) -> State:
        return self._state

    @property
    def is_ready(self) -> bool:
        return self._ready.is_set()

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

    # -- opening ---------------------------------------------------------------

    def ensure_open(self, timeout: float | None) -> None:
        """Open the connection if it was never opened; wait while it reconnects.

        Raises:
            InvalidState: the connection is closed.
            ConnectError: the first connect or its log-on failed (cause chained).
            ConnectionClosed: a reconnect did not complete within ``timeout``.
        """
        if self._ready.is_set():
            return
        deadline = Deadline(timeout)
        with self._connect_lock:
            if self._state is State.CLOSED:
                raise InvalidState(f"{self.exchange} {self.name} connection is closed")
            if self._state is State.NEW:
                self._first_connect(deadline)
                return
        if not self._ready.wait(deadline.remaining()):
            if self._state is State.CLOSED:
                raise InvalidState(f"{self.exchange} {self.name} connection is closed")
            raise ConnectionClosed(f"{self.exchange} {self.name} connection is not restored yet")

    def _first_connect(self, deadline: Deadline) -> None:
        try:
            transport = self._open_transport(deadline.remaining())
        except Exception as exc:
            raise _connect_error(f"could not connect to {self.url}: {exc}", exc) from exc
        with self._state_lock:
            if self._closing.is_set():
                transport.close()
                raise InvalidState(f"{self.exchange} {self.name} connection is closed")
            self._transport = transport
            self._state = State.OPEN
            self._reader = threading.Thread(
                target=self._run, args=(transport,), name=f"exwire-{self.exchange}-reader-{self.name}", daemon=True
            )
            self._reader.start()
        try:
            if self._on_open is not None:
                self._on_open(self)
        except BaseException as exc:
            # The socket is up but log-on failed: take it down; a later call starts afresh.
            self._reset()
            if isinstance(exc, ConnectError):
                raise
            raise _connect_error(f"{self.exchange} {self.name}: opening the session failed: {exc}", exc) from exc
        self.connected_at = time.monotonic()
        self._ready.set()
        self._emit(ConnectionEvent(ConnectionState.CONNECTED, self.name))

    def _reset(self) -> None:
        """Undo a first connect whose log-on failed, back to ``NEW`` (unless closed meanwhile)."""
        with self._state_lock:
            transport, reader = self._transport, self._reader
            self._aborting = True
        if transport is not None:
            transport.close()
        if reader is not None and reader is not threading.current_thread():
            reader.join(self._connect_timeout)
        self._fail_pending(ConnectionClosed(f"{self.exchange} {self.name}: log-on failed"))
        with self._state_lock:
            self._aborting = False
            self._transport = None
            self._reader = None
            if self._state is not State.CLOSED:
                self._state = State.NEW

    def _open_transport(self, timeout: float | None) -> Transport:
        transport = self._transport_factory()
        limit = self._connect_timeout if timeout is None else min(timeout, self._connect_timeout)
        transport.open(self.url, limit)
        now = time.monotonic()
        self._last_recv = now
        self._last_send = now
        self._opened_at = now
        self._ping_outstanding_since = None
        return transport

    # -- requests --------------------------------------------------------------

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
            transport.send(frame)
        except TransportClosed as exc:
            raise ConnectionClosed(f"{self.exchange} {self.name}: send failed: {exc}") from exc
        self._last_send = time.monotonic()

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
        missed. Requests are never replayed after a reconnect.

        Raises:
            RequestTimeout: no (complete) reply within ``timeout`` seconds; outcome unknown.
            ConnectionClosed: the connection dropped first; outcome unknown.
            ExchangeError: the exchange refused (the subclass the Protocol mapped).
            DecodeError: the reply could not be interpreted.
        """
        deadline = Deadline(timeout)
        if wait_ready:
            self.ensure_open(deadline.remaining())
        pending = Pending(key, expected)
        with self._state_lock:
            if self._state is not State.OPEN:
                raise ConnectionClosed(f"{self.exchange} {self.name} connection is not open")
            self._pending.setdefault(key, collections.deque()).append(pending)
            transport = self._transport
        try:
            transport.send(frame)  # type: ignore[union-attr]
            self._last_send = time.monotonic()
        except TransportClosed as exc:
            self._unregister(pending)
            raise ConnectionClosed(f"{self.exchange} {self.name}: send failed: {exc}") from exc
        if not pending.wait(deadline.remaining()):
            self._unregister(pending)
            if not pending.wait(0):  # a reply may have raced the timeout
                raise RequestTimeout(f"{self.exchange}: no reply to request {key!r} within {timeout} s")
        if pending.error is not None:
            raise pending.error
        return pending.results

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
            queue = self._pending.get(reply.key)
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
        while True:
            cause = self._read(transport)
            with self._state_lock:
                # Leave OPEN before failing the pending requests, so no request can
                # register on the dying transport after the sweep.
                self._ready.clear()
                if self._state is State.OPEN:
                    self._state = State.RECONNECTING
            transport.close()
            self._fail_pending(ConnectionClosed(f"{self.exchange} {self.name} connection lost: {cause}"))
            if self._closing.is_set() or self._aborting:
                return
            self.log.warning("%s connection lost: %s", self.name, cause)
            self._emit(ConnectionEvent(ConnectionState.LOST, self.name, error=cause))
            if not self._reconnect:
                with self._state_lock:
                    self._state = State.CLOSED
                self._emit(ConnectionEvent(ConnectionState.CLOSED, self.name, error=cause))
                return
            up_for = None if self.connected_at is None else time.monotonic() - self.connected_at
            self.connected_at = None  # until a session is restored
            transport = self._reopen(stable=up_for is not None and up_for >= _STABLE_SESSION)
            if transport is None:
                return

    def _read(self, transport: Transport) -> BaseException:
        """Read until the transport fails; return the cause."""
        protocol = self.protocol
        deliver = self._deliver
        # The poll tick bounds how late a keep-alive ping or a stall is noticed.
        tick = min(
            [_POLL_TICK]
            + [limit / 3 for limit in (self._ping_interval, self._stale_timeout, self._pong_timeout) if limit]
        )
        closing = self._closing
        flush = self._flush
        frame_ready = getattr(transport, "frame_ready", None) if flush is not None else None
        if frame_ready is not None:
            self._batching(True)  # type: ignore[misc]
        try:
            return self._read_frames(transport, tick, protocol, deliver, closing, flush, frame_ready)
        finally:
            if frame_ready is not None:
                self._batching(False)  # type: ignore[misc]

    def _read_frames(self, transport, tick, protocol, deliver, closing, flush, frame_ready) -> BaseException:
        """The reader's loop (see ``_read``); ``frame_ready`` is ``None`` when wake-ups are not deferred."""
        next_check = 0.0
        unflushed = 0
        while not closing.is_set():
            if unflushed and (unflushed >= _BATCH_LIMIT or not frame_ready()):
                # Wake the lanes before recv could block (and at least every few frames,
                # so the first update of a long burst is not held back).
                flush()
                unflushed = 0
            try:
                frame = transport.recv(tick)
            except TransportClosed as exc:
                return exc
            except Exception as exc:  # a transport bug must not kill the reader: treat as a loss
                self.log.exception("%s: transport failed", self.name)
                return exc
            now = time.monotonic()
            if frame is None or now >= next_check:
                # Housekeeping (pings, pong and age limits, stalls) at most once a tick,
                # so a flood pays one comparison per frame for it.
                next_check = now + tick
                cause = self._idle(transport, now, frame is None)
                if cause is not None:
                    return cause
                if frame is None:
                    continue
            self._last_recv = now
            self.frames_received += 1
            received_at = datetime.now(timezone.utc)
            try:
                events = protocol.receive(frame)
            except DecodeError as exc:
                self.frames_skipped += 1
                self.log.warning("%s: skipped a frame: %s: %s", self.name, exc, redact(frame, self._secrets))
                key = getattr(exc, "key", None)
                if key is not None:  # it answers a pending request: that request fails with it
                    self._complete(Reply(key, error=exc))
                continue
            except Exception as exc:  # a parser bug must not kill the reader
                self.frames_skipped += 1
                self.log.exception("%s: could not parse a frame (%s): %s", self.name, exc, redact(frame, self._secrets))
                continue
            if frame_ready is not None:
                unflushed += 1
            for event in events:
                kind = type(event)
                if kind is Update:
                    deliver(event, received_at, frame)
                elif kind is Reply:
                    self._complete(event)
                elif kind is Ended:
                    self._on_ended(event.key, event.error)
                elif kind is Pong:
                    self._ping_outstanding_since = None
                elif kind is Failure:
                    return event.error
        return ConnectionClosed("closing")

    def _idle(self, transport: Transport, now: float, quiet: bool) -> BaseException | None:
        """Keep-alive and liveness checks; ``quiet`` when the last poll brought no frame."""
        if self._max_age is not None and now - self._opened_at > self._max_age:
            return ConnectionClosed(f"connection older than {self._max_age} s: replacing it")
        since = self._ping_outstanding_since
        if self._pong_timeout is not None and since is not None and now - since > self._pong_timeout:
            return ConnectionClosed(f"no pong within {self._pong_timeout} s")
        # A server's protocol-level pings prove life too (Binance pings every 20 s / 3 min).
        last = max(self._last_recv, getattr(transport, "last_activity", 0.0))
        if quiet and self._stale_timeout is not None and now - last > self._stale_timeout:
            return ConnectionClosed(f"no frame for {now - last:.1f} s: connection stalled")
        if self._ping_interval is not None and now - self._last_send >= self._ping_interval:
            self._ping(transport, now)
        return None

    def _ping(self, transport: Transport, now: float) -> None:
        frame = self.protocol.ping_frame()
        if frame is None:
            return
        try:
            transport.send(frame)
            self._last_send = now
            if self._ping_outstanding_since is None:
                self._ping_outstanding_since = now
        except TransportClosed:
            pass  # the next recv reports the loss

    def _reopen(self, *, stable: bool) -> Transport | None:
        """Reconnect with backoff; ``stable`` when the lost session had stayed up a while."""
        with self._state_lock:
            self._state = State.RECONNECTING
        # One backoff sequence spans consecutive failures, including sessions that open
        # but fail to log on or drop at once: only a session that stayed up resets it.
        # Otherwise a refused log-on would reconnect every half second for ever (Kraken
        # bans an IP after ~150 reconnects in 10 minutes, kraken.md §2).
        if self._backoff is None or stable:
            self._backoff = self._backoff_factory()
            self._attempt = 0
        for delay in self._backoff:
            self._attempt += 1
            attempt = self._attempt
            self._emit(ConnectionEvent(ConnectionState.RECONNECTING, self.name, attempt=attempt))
            if self._closing.wait(delay):
                return None
            try:
                transport = self._open_transport(self._connect_timeout)
            except Exception as exc:
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
            if self._on_open is not None:
                self._on_open(self)
        except Exception as exc:
            if self._closing.is_set():
                return
            self.log.error("%s: restoring the session failed, reconnecting: %s", self.name, exc)
            transport.close()  # the reader sees the loss and backs off again
            return
        if self._transport is transport and not self._closing.is_set():
            self.connected_at = time.monotonic()
            self._ready.set()
            self.log.info("%s connection restored", self.name)
            self._emit(ConnectionEvent(ConnectionState.RESTORED, self.name))

    def drop(self, reason: str = "dropped") -> None:
        """Force a reconnect (used on checksum storms, refused sessions, tests)."""
        transport = self._transport
        if transport is not None:
            transport.close()

    def _emit(self, event: ConnectionEvent) -> None:
        try:
            self._on_event(event)
        except Exception:
            self.log.exception("connection event handler failed")

    # -- closing -----------------------------------------------------------------

    def close(self, timeout: float | None = 5.0) -> None:
        """Close for good: fail pending requests, stop the reader, join it. Idempotent.

        Never joins the calling thread (a callback or the resync hook may close).
        """
        with self._state_lock:
            already = self._closing.is_set()
            self._closing.set()
            was_open = self._state is not State.NEW
            self._state = State.CLOSED
            transport = self._transport
        self._ready.clear()
        if transport is not None:
            transport.close()
        self._fail_pending(ConnectionClosed(f"{self.exchange} {self.name} connection closed"))
        deadline = Deadline(timeout)
        current = threading.current_thread()
        for thread in self.threads():
            if thread is not current:
                thread.join(deadline.remaining())
        if was_open and not already:
            self._emit(ConnectionEvent(ConnectionState.CLOSED, self.name))
