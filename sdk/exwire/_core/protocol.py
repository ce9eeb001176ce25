"""The sans-I/O protocol contract.

A ``Protocol`` turns inbound frames into events and knows nothing of sockets,
threads or clocks (time comes in as an argument). The Connection feeds it every
frame on the reader thread and acts on what comes out:

* ``Reply(key, result, error)`` completes the oldest pending request registered
  under ``key`` (a request id where the exchange echoes one, a derived key
  where it does not — OKEx v1 keys by channel, so same-key requests complete
  in FIFO order);
* ``Update(key, data, symbol, update_type)`` goes to every subscription routed
  under ``key``;
* ``Ended(key, error)``: the exchange ended a subscription on its own;
* ``Failure(error)``: the connection is unusable (e.g. refused session); the
  Connection drops it and reconnects;
* ``Pong()``: the answer to a keep-alive ``ping_frame`` arrived (used with the
  Connection's ``pong_timeout``).

A frame that cannot be interpreted raises ``DecodeError``: the Connection logs
and skips it, and when the error's ``key`` attribute names the request the frame
answers, that request fails with it (instead of waiting for its timeout).

Anything else (heartbeats, status frames) is consumed by returning no event:
every frame already counts as a sign of life.

Raw delivery (a client built with ``raw=True``): the client sets ``raw`` on each of
its protocols before the first frame. A protocol whose ``raw_native`` is true then
puts the frame's decoded JSON message in its updates' ``data`` itself and builds no
model; for any other protocol the Connection calls :meth:`Protocol.receive_raw`, which
decodes as usual and swaps each update's ``data`` for the frame's JSON (parsed with
``parse_float=Decimal``): the same events, just not faster.

A raw protocol may also leave an update's JSON to the thread that delivers it (its
:attr:`Protocol.deferred` decoder): that update's ``data`` is then the frame itself (the
very object received), routed by a check of the text alone, and the client decodes it
where the event is handed out (the lane, just before the callback; on the reader for a
pull or executor subscription). The decoded containers then live only while the
callback runs: the reader's queue of decoded JSON was what the garbage collector kept
walking and promoting. A text the decoder refuses is logged and skipped there and
counted in the connection's ``frames_skipped``, as the reader would have.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Hashable, Sequence
from typing import Any, ClassVar, NamedTuple

from exwire._core.codec import loads_exact
from exwire.models import UpdateType

__all__ = ["Protocol", "Reply", "Update", "Ended", "Failure", "Pong", "Event", "DeferredDecoder", "SKIPPED"]

log = logging.getLogger("exwire")

#: What :meth:`DeferredDecoder.value` returns for a text it refused (logged and counted).
SKIPPED: Any = object()


class Reply(NamedTuple):
    """Completes the pending request registered under ``key``."""

    key: Hashable
    result: Any = None
    error: BaseException | None = None


class Update(NamedTuple):
    """A subscription update for the subscriptions routed under ``key``."""

    key: Hashable
    data: Any
    symbol: str | None
    update_type: UpdateType = UpdateType.UPDATE


class DeferredDecoder:
    """Decodes the frames a raw protocol left undecoded in its updates, on any thread.

    ``decode(text)`` is the protocol's own decoding of such a frame (thread-safe: it
    reads no protocol state), raising ``DecodeError`` for what the reader would have
    refused. Refusals are logged and counted (:attr:`skipped`, added to the connection's
    ``frames_skipped``).
    """

    __slots__ = ("exchange", "decode", "kind", "defers", "_lock", "skipped")

    def __init__(self, exchange: str, decode: Callable[[Any], Any], kind: type = str,
                 defers: Callable[[Hashable], bool] = lambda key: True) -> None:
        self.exchange = exchange
        #: The protocol's decoding of a deferred frame (raises for a frame to skip).
        self.decode = decode
        #: The type of the frames it decodes (``str``, or the transport's frame type): an
        #: update's data of exactly this type is a frame left to the lanes.
        self.kind = kind
        #: Whether updates routed under a key may be left to the lanes (the client decodes
        #: on the lanes only for subscriptions with such a key).
        self.defers = defers
        self._lock = threading.Lock()
        #: Texts refused so far (written under the lock: several lanes may refuse at once).
        self.skipped = 0

    def value(self, text: Any) -> Any:
        """The decoded JSON of ``text``, or :data:`SKIPPED` after logging and counting a refusal."""
        try:
            return self.decode(text)
        except Exception as exc:  # DecodeError, or a decoder bug: the frame is skipped either way
            self.refused(text, exc)
            return SKIPPED

    def refused(self, text: Any, exc: BaseException) -> None:
        """Log and count a text ``decode`` refused with ``exc``."""
        with self._lock:
            self.skipped += 1
        log.warning("%s: skipped a frame: %s: %s", self.exchange, exc, text[:200])


#: Builds an ``Update`` from its four fields in order, ``new_update(Update, (key, data,
#: symbol, update_type))``: the tuple's own constructor without the NamedTuple's argument
#: handling, for the reader's hot paths (about 1,000 instructions less per update).
new_update = tuple.__new__


class Ended(NamedTuple):
    """The exchange ended the subscriptions under ``key`` (``error`` may say why)."""

    key: Hashable
    error: BaseException | None = None


class Failure(NamedTuple):
    """The connection must be dropped and re-established."""

    error: BaseException


class Pong(NamedTuple):
    """A keep-alive ping was answered."""


Event = Reply | Update | Ended | Failure | Pong


class Protocol:
    """Base class of each exchange's sans-I/O codec. Not thread-safe by itself:
    ``receive`` runs on the reader thread only; request builders that allocate ids
    must be safe to call from user threads (use ``itertools.count``, atomic in CPython).
    """

    #: exchange name, used in errors, logs and thread names
    exchange: str = "exchange"
    #: Whether ``receive`` honours :attr:`raw` itself (no models built for updates).
    raw_native: ClassVar[bool] = False
    #: Raw delivery: updates carry the frame's decoded JSON message. Set by the client
    #: before the connection opens; read on the reader thread.
    raw: bool = False
    #: Set (in ``__init__``) by a protocol that can leave some raw updates' JSON to the
    #: delivering thread; read through :attr:`deferred`.
    _decoder: DeferredDecoder | None = None

    @property
    def deferred(self) -> DeferredDecoder | None:
        """The decoder of the frames a raw client's protocol leaves to the lanes, or ``None``
        (a typed client, or a protocol that leaves nothing): those updates' ``data`` is the
        frame itself (of the decoder's ``kind``), which no other update of the protocol's
        may carry. Read on any thread."""
        return self._decoder if self.raw else None

    @property
    def frames_skipped_late(self) -> int:
        """Frames whose deferred JSON was refused where it was delivered (logged there)."""
        return 0 if self._decoder is None else self._decoder.skipped

    @property
    def watched(self) -> set[Hashable]:
        """Routing keys an order book watcher maintains (filled by ``BaseClient._watch``).

        A protocol that decodes updates on first read (:mod:`exwire._core.lazy`) decodes
        these keys' updates at once: the watcher reads every level anyway (Kraken's decodes
        them to the pairs its watcher applies, and builds the models only if read).
        Kept after the watcher closes (a bounded set of keys). Set on the user's thread,
        read on the reader thread (set operations are atomic).
        """
        watched: set[Hashable] = self.__dict__.setdefault("_watched", set())
        return watched

    def receive_raw(self, frame: str | bytes) -> Sequence[Event]:
        """``receive`` for a raw client when the protocol is not :attr:`raw_native`.

        The events of :meth:`receive`, each ``Update``'s ``data`` replaced by the frame's
        JSON message (``parse_float=Decimal``: no digit lost); a frame that is not JSON
        (a binary frame of another dialect) keeps its typed data.

        Raises:
            DecodeError: as :meth:`receive`.
        """
        events = self.receive(frame)
        if not any(type(event) is Update for event in events):
            return events
        try:
            message = loads_exact(frame)
        except (ValueError, TypeError, RecursionError):
            return events
        return [event._replace(data=message) if type(event) is Update else event for event in events]

    def receive(self, frame: str | bytes) -> Sequence[Event]:
        """Parse one inbound frame into events.

        Raises:
            DecodeError: the frame cannot be interpreted; the Connection logs and skips it
                (and fails the request it answers, when ``DecodeError.key`` names one).
        """
        raise NotImplementedError

    def ping_frame(self) -> str | bytes | None:
        """An application-level keep-alive frame, or ``None`` if the exchange has none
        (the Connection then sends transport-level pings: WebSocket ping frames, MQTT
        PINGREQ)."""
        return None

    # -- lifecycle: called by the Connection, under its protocol lock --------------------
    #
    # The Connection serialises these calls with ``receive`` (one lock), so a protocol
    # never needs a lock of its own for the state they touch.

    def connection_made(self) -> None:
        """A new transport is open; whatever was owed on the previous one never comes.

        Called before the first frame is sent or read on it. Default: nothing.
        """

    def connection_lost(self, error: BaseException) -> None:
        """The transport is gone (the pending requests have already failed). Default: nothing."""

    def sent(self, key: Hashable | None, frame: str | bytes) -> None:
        """``frame`` is being written now, for the request keyed ``key`` (``None``: no reply expected).

        Called under the Connection's send lock immediately before the write, so the
        calls come in wire order whatever the calling threads did: a protocol whose
        replies carry no id (OKEx v1) keeps its reply FIFO here. Default: nothing.
        """

    def abandoned(self, key: Hashable) -> bool:
        """The request keyed ``key`` will get no reply: its send failed or it timed out.

        Return ``True`` when the connection can no longer be trusted and must be
        replaced (e.g. a FIFO of unkeyed replies lost its alignment); the Connection
        then reconnects. Default: forget nothing, keep the connection.
        """
        return False
