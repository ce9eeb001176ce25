"""Exchange-neutral value types shared by every client.

Every class here is immutable (attrs ``frozen``) and therefore safe to share
between threads.
"""

from __future__ import annotations

import enum
import math
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Generic, TypeVar

import attrs

from exwire.errors import ConfigurationError

__all__ = [
    "Credentials",
    "DataEvent",
    "UpdateType",
    "Side",
    "Level",
    "TopOfBook",
    "ConnectionEvent",
    "ConnectionState",
    "to_decimal",
    "decimal_to_wire",
]

T = TypeVar("T")


def _redacted(value: object) -> str:
    return "None" if value is None else "'***'"


@attrs.frozen
class Credentials:
    """API credentials. Secrets never appear in ``repr``, logs or exceptions.

    Attributes:
        key: the public API key (Binance API key, CoinEx access id, Coinsuper access key).
        secret: the shared secret for HMAC/MD5 signing, or ``None`` when ``private_key`` is used.
        private_key: a PEM-encoded Ed25519 or RSA private key (Binance), or ``None``.
        email: the account e-mail (Coinsuper only), or ``None``.
    """

    key: str = attrs.field(repr=lambda v: v[:4] + "..." if v else repr(v))
    secret: str | None = attrs.field(default=None, repr=_redacted)
    private_key: str | None = attrs.field(default=None, repr=_redacted)
    email: str | None = None


class UpdateType(enum.Enum):
    """Whether an event replaces the state (``SNAPSHOT``) or changes it (``UPDATE``)."""

    SNAPSHOT = "snapshot"
    UPDATE = "update"


class Side(enum.Enum):
    """Order or trade side, from the taker's / order owner's point of view."""

    BUY = "buy"
    SELL = "sell"


@attrs.frozen
class Level:
    """One price level of an order book.

    Attributes:
        price: price in quote asset per unit of base asset.
        quantity: total quantity at that price, in base asset.
    """

    price: Decimal
    quantity: Decimal


@attrs.frozen
class TopOfBook:
    """The best bid and ask of one symbol.

    Attributes:
        bid: the highest bid, or ``None`` when the exchange reported no bid.
        ask: the lowest ask, or ``None`` when the exchange reported no ask.
    """

    bid: Level | None
    ask: Level | None


@attrs.frozen
class DataEvent(Generic[T]):
    """One update delivered to a subscription's callback or iterator.

    Attributes:
        data: the typed model of the update (see each ``subscribe_to_*`` docstring).
        topic: the subscription's topic, e.g. ``"ticker:XBT/USD"``.
        symbol: the symbol the update is about, or ``None`` for account-wide streams.
        received_at: when the frame was read from the socket (aware UTC).
        update_type: ``SNAPSHOT`` or ``UPDATE``.
        raw: the original frame text when the client was built with ``keep_raw=True``, else ``None``.
        dropped_before: how many of this subscription's updates were dropped just
            before this one because its queue was full (the overflow policy); 0 normally.
    """

    data: T
    topic: str
    symbol: str | None
    received_at: datetime
    update_type: UpdateType = UpdateType.UPDATE
    raw: str | None = attrs.field(default=None, repr=False)
    dropped_before: int = 0


class ConnectionState(enum.Enum):
    """What happened to a connection, as reported to ``on_connection_event``."""

    CONNECTED = "connected"
    LOST = "lost"
    RECONNECTING = "reconnecting"
    RESTORED = "restored"
    CLOSED = "closed"


@attrs.frozen
class ConnectionEvent:
    """A change of a connection's state.

    Attributes:
        state: what happened.
        connection: the connection's name, e.g. ``"public"`` or ``"private"``.
        attempt: the reconnect attempt number (1-based) for ``RECONNECTING``, else 0.
        error: the cause of a ``LOST`` (or a failed attempt), else ``None``.
    """

    state: ConnectionState
    connection: str
    attempt: int = 0
    error: BaseException | None = None


def to_decimal(value: Any, name: str = "value") -> Decimal:
    """Convert user money input to ``Decimal``.

    Accepts ``Decimal``, ``str``, ``int`` or ``float`` (a float goes through its
    shortest repr, ``Decimal(repr(x))``, so ``0.1`` stays ``0.1``).

    Raises:
        ConfigurationError: for NaN, infinities, booleans, or text that is not a number.
    """
    if isinstance(value, bool):
        raise ConfigurationError(f"{name} must be a number, not a bool")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ConfigurationError(f"{name} must be finite, got {value!r}")
        result = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise ConfigurationError(f"{name} is not a number: {value!r}") from None
    else:
        raise ConfigurationError(f"{name} must be Decimal, str, int or float, got {type(value).__name__}")
    if not result.is_finite():
        raise ConfigurationError(f"{name} must be finite, got {value!r}")
    return result


def decimal_to_wire(value: Any, name: str = "value") -> str:
    """Format money for the wire: a plain decimal string, never exponent notation.

    Raises:
        ConfigurationError: as :func:`to_decimal`.
    """
    return format(to_decimal(value, name), "f")
