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
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any, NamedTuple

from exwire.models import UpdateType

__all__ = ["Protocol", "Reply", "Update", "Ended", "Failure", "Pong", "Event"]


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

    def receive(self, frame: str | bytes) -> Sequence[Event]:
        """Parse one inbound frame into events.

        Raises:
            DecodeError: the frame cannot be interpreted; the Connection logs and skips it
                (and fails the request it answers, when ``DecodeError.key`` names one).
        """
        raise NotImplementedError

    def ping_frame(self) -> str | bytes | None:
        """An application-level keep-alive frame, or ``None`` if the exchange needs none."""
        return None
