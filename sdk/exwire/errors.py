"""The whole exwire error tree.

::

    ExwireError
    ├── ConfigurationError (ValueError)   bad arguments, missing credentials
    │   └── UnsupportedFeature            a ``client.shared`` call the exchange does not offer
    ├── InvalidState (RuntimeError)       closed client, forbidden call
    ├── ConnectError                      could not open or log in; cause chained
    │   └── LogOnRefused                  the exchange refused the credentials (also an AuthenticationError)
    ├── ConnectionClosed                  went away; pending requests fail with it (outcome unknown)
    ├── RequestTimeout (TimeoutError)     no reply in time (outcome unknown)
    ├── SlowConsumer                      a subscription's queue overflowed: updates were dropped
    ├── ProtocolError → DecodeError       a frame we could not interpret; raw frame attached
    └── ExchangeError                     the exchange said no: .exchange .code .message .raw .status .data
        ├── AuthenticationError  ├── RateLimited (.retry_after)  ├── InvalidRequest
        ├── InsufficientFunds    ├── OrderNotFound               └── ExchangeUnavailable

Each exchange maps its own error codes onto these classes with one table in its
``protocol.py``; user code catches the class, never an exchange's code.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ExwireError",
    "ConfigurationError",
    "UnsupportedFeature",
    "InvalidState",
    "ConnectError",
    "LogOnRefused",
    "ConnectionClosed",
    "RequestTimeout",
    "SlowConsumer",
    "ProtocolError",
    "DecodeError",
    "ExchangeError",
    "AuthenticationError",
    "RateLimited",
    "InvalidRequest",
    "InsufficientFunds",
    "OrderNotFound",
    "ExchangeUnavailable",
]

_RAW_LIMIT = 500


def _truncate(raw: str | bytes | None) -> str | bytes | None:
    if raw is None or len(raw) <= _RAW_LIMIT:
        return raw
    if isinstance(raw, bytes):
        return raw[:_RAW_LIMIT] + b"..."
    return raw[:_RAW_LIMIT] + "..."


class ExwireError(Exception):
    """Base class of every error exwire raises on purpose."""


class ConfigurationError(ExwireError, ValueError):
    """Bad arguments or missing credentials; raised before anything is sent."""


class UnsupportedFeature(ConfigurationError):
    """A ``client.shared`` method the exchange does not offer (see ``shared.features``).

    Raised before anything is sent. Attributes: ``exchange`` (e.g. ``"kraken"``) and
    ``feature`` (the :class:`exwire.Feature`, or ``None`` for an unsupported argument).
    """

    def __init__(self, message: str, *, exchange: str = "", feature: object = None) -> None:
        super().__init__(message)
        self.exchange = exchange
        self.feature = feature


class InvalidState(ExwireError, RuntimeError):
    """The call is not allowed now, e.g. on a closed client."""


class ConnectError(ExwireError):
    """A connection could not be opened or logged on; the cause is chained."""


class ConnectionClosed(ExwireError):
    """The connection went away.

    Pending requests fail with this error; whether the exchange acted on them is
    unknown (an order may or may not have been placed).
    """


class RequestTimeout(ExwireError, TimeoutError):
    """No reply arrived in time; whether the exchange acted on the request is unknown."""


class SlowConsumer(ExwireError):
    """A subscription's queue was full and updates were dropped (its overflow policy).

    Reported once per overflow episode to ``on_callback_error`` (never raised into the
    reader or at the consumer); the drops are counted in ``Subscription.dropped`` and
    announced on the next delivered event (``DataEvent.dropped_before``).
    """


class ProtocolError(ExwireError):
    """The exchange sent something exwire could not interpret.

    Attributes:
        raw: the offending frame (truncated to 500 characters), or ``None``.
    """

    def __init__(self, message: str, raw: str | bytes | None = None) -> None:
        super().__init__(message)
        self.raw = _truncate(raw)


class DecodeError(ProtocolError):
    """A frame could not be decoded into the expected shape.

    Attributes:
        key: the correlation key of the request the frame answers, when the protocol
            could tell (that request then fails with this error), else ``None``.
    """

    key: object = None


class ExchangeError(ExwireError):
    """The exchange refused a request.

    Attributes:
        exchange: the exchange's name, e.g. ``"kraken"``.
        code: the exchange's own error code or string, kept verbatim (``None`` if it gave none).
        message: the exchange's human-readable message.
        raw: the reply frame (truncated), or ``None``.
        status: the HTTP-like or exchange status the reply carried (Binance's ``status``),
            or ``None`` where the exchange sends none.
        data: extra payload the exchange attached to the error (Binance's ``error.data``),
            or ``None``.
    """

    def __init__(
        self,
        exchange: str,
        code: str | int | None,
        message: str,
        raw: str | bytes | None = None,
        *,
        status: int | None = None,
        data: Any = None,
    ) -> None:
        super().__init__(f"{exchange}: {message}" + (f" (code {code})" if code is not None and str(code) != message else ""))
        self.exchange = exchange
        self.code = code
        self.message = message
        self.raw = _truncate(raw)
        self.status = status
        self.data = data


class AuthenticationError(ExchangeError):
    """The exchange refused the credentials, signature, nonce or session."""


class RateLimited(ExchangeError):
    """The exchange's rate limit was hit.

    Attributes:
        retry_after: seconds to wait before retrying, or ``None`` if the exchange did not say.
    """

    def __init__(
        self,
        exchange: str,
        code: str | int | None,
        message: str,
        raw: str | bytes | None = None,
        retry_after: float | None = None,
        *,
        status: int | None = None,
        data: Any = None,
    ) -> None:
        super().__init__(exchange, code, message, raw, status=status, data=data)
        self.retry_after = retry_after


class InvalidRequest(ExchangeError):
    """The exchange rejected the request's arguments."""


class InsufficientFunds(ExchangeError):
    """The account's balance does not cover the order."""


class OrderNotFound(ExchangeError):
    """The order does not exist (or is no longer open)."""


class ExchangeUnavailable(ExchangeError):
    """The exchange is down, in maintenance or timed out internally."""


class LogOnRefused(ConnectError, AuthenticationError):
    """Opening a connection failed because the exchange refused the credentials.

    Both a :class:`ConnectError` (the connection could not be opened) and an
    :class:`AuthenticationError` (so ``except AuthenticationError`` catches a wrong
    key or secret however early it is noticed); ``__cause__`` is the exchange's own
    refusal, whose ``code``/``message``/``raw`` this error repeats.
    """

    def __init__(self, message: str, refusal: AuthenticationError) -> None:
        ExchangeError.__init__(self, refusal.exchange, refusal.code, refusal.message, refusal.raw,
                               status=refusal.status, data=refusal.data)
        self.args = (message,)

    def __str__(self) -> str:
        return str(self.args[0])
