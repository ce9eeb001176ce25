"""Listen-key methods of every market and the raw WS API escape hatch of
:class:`exwire.BinanceClient` (a base of :class:`~exwire.binance.client_user_stream.UserStreamMethods`).

``userDataStream.start``/``ping``/``stop`` take the API key only (USER_STREAM security: no
signature) on the USDⓈ-M and COIN-M WebSocket APIs; Binance removed them from the spot
WebSocket API on 2026-02-20, so on spot the request goes out and Binance's refusal is
raised. :meth:`ListenKeyMethods.request` sends any method, for those Binance adds before
exwire does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from enum import Enum
from typing import Any

from exwire._core import validate
from exwire._core.backoff import Deadline
from exwire.binance._validation import futures_market
from exwire.binance.enums import FuturesMarket
from exwire.binance.user_stream_protocol import JsonValue
from exwire.errors import ConfigurationError, DecodeError
from exwire.models import decimal_to_wire

__all__ = ["ListenKeyMethods"]


class ListenKeyMethods:
    """Mixin: needs the client's sessions, signer, clock and ``_send`` (``BinanceClient``)."""

    _spot: Any
    _futures: dict[FuturesMarket, Any]
    _signer: Any
    _default_recv_window: int | None
    _check_open: Callable[[], None]
    _timeout: Callable[[float | None], float | None]
    _now_ms: Callable[[], int]
    _send: Callable[..., Any]

    # -- listen keys (futures; spot refuses them since 2026-02-20) --------------------------------------

    def start_user_data_stream_for_key(self, *, market: FuturesMarket | None, timeout: float | None = None) -> str:
        """Start (or extend, when the account has one) a listen key (``userDataStream.start``).

        The key is the account's, valid 60 minutes after its start or last ping.

        Args:
            market: the futures market; ``None`` sends the request on spot, whose WS API
                no longer has the method: Binance's refusal is raised.

        Raises:
            ConfigurationError: no credentials, a bad ``market`` or ``timeout``.
            InvalidRequest: Binance refused (spot: unknown method).
            AuthenticationError: the API key was refused.
            ConnectionClosed, RequestTimeout: no reply; a key may have been started.
            DecodeError: the reply carries no ``listenKey``.
        """
        result = self._raw("userDataStream.start", self._api_key_params(), signed=False, market=market,
                           timeout=timeout)
        key = result.get("listenKey") if isinstance(result, dict) else None
        if not isinstance(key, str) or not key:
            raise DecodeError(f"binance userDataStream.start returned no listenKey: {str(result)[:200]}")
        return key

    def ping_user_data_stream_for_key(self, listen_key: str, *, market: FuturesMarket | None,
                                      timeout: float | None = None) -> None:
        """Extend the listen key by 60 minutes (``userDataStream.ping``).

        The futures WS APIs take no key (the account has one); ``listen_key`` is sent
        on spot only, as the legacy method wanted it.

        Raises:
            ConfigurationError: an empty ``listen_key``, no credentials, a bad ``market``.
            InvalidRequest: ``-1125``, the key does not exist (start a new one), or spot's refusal.
            ConnectionClosed, RequestTimeout: no reply.
        """
        self._raw("userDataStream.ping", self._api_key_params(listen_key, market), signed=False, market=market,
                  timeout=timeout)

    def stop_user_data_stream_for_key(self, listen_key: str, *, market: FuturesMarket | None,
                                      timeout: float | None = None) -> None:
        """Invalidate the listen key (``userDataStream.stop``); its streams stop.

        Raises:
            ConfigurationError: an empty ``listen_key``, no credentials, a bad ``market``.
            InvalidRequest: Binance refused (spot: unknown method).
            ConnectionClosed, RequestTimeout: no reply.
        """
        self._raw("userDataStream.stop", self._api_key_params(listen_key, market), signed=False, market=market,
                  timeout=timeout)

    # -- the raw escape hatch ------------------------------------------------------------------------

    def request(self, method: str, params: Mapping[str, object] | None = None, *, signed: bool = False,
                market: FuturesMarket | None = None, timeout: float | None = None) -> JsonValue:
        """Send any WS API method and return its decoded ``result``: for methods Binance
        adds before exwire does.

        Args:
            method: the wire method, e.g. ``"account.status"``.
            params: wire-named parameters; ``Decimal`` values go as their plain text,
                enums as their value, ``None`` values are left out.
            signed: add ``timestamp`` (and ``recvWindow``) and, unless the session is
                logged on, ``apiKey`` and ``signature``.
            market: ``None`` for spot, or the futures market's WS API.
            timeout: seconds (``None``: ``request_timeout``).

        Returns:
            The ``result`` as JSON values (objects as dicts, arrays as lists; money stays
            the strings Binance sends).

        Raises:
            ConfigurationError: an empty method, parameters that are not a mapping of
                names to JSON-able values, ``signed`` without credentials (nothing sent).
            ExchangeError: the mapped refusal (``InvalidRequest``, ``AuthenticationError``,
                ``RateLimited`` ...).
            ConnectionClosed, RequestTimeout: no reply; the outcome is unknown.
        """
        if not isinstance(method, str) or not method.strip():
            raise ConfigurationError(f"method must be a non-empty string, got {method!r}")
        if params is not None and not isinstance(params, Mapping):
            raise ConfigurationError(f"params must be a mapping of parameter names to values, got {params!r}")
        wire = {name: _wire_value(name, value) for name, value in (params or {}).items() if value is not None}
        if signed and self._signer is None:
            raise ConfigurationError(f"{method} is a SIGNED request: the client needs credentials")
        return self._raw(method, wire, signed=signed, market=market, timeout=timeout)

    def _raw(self, method: str, params: dict[str, object], *, signed: bool, market: FuturesMarket | None,
             timeout: float | None) -> JsonValue:
        self._check_open()
        session = self._spot if market is None else self._futures[futures_market(market)]
        deadline = Deadline(self._timeout(validate.positive_timeout(timeout)))
        session.connection.ensure_open(deadline.remaining())
        protocol, window = session.protocol, self._default_recv_window

        def build() -> tuple[int, str]:
            if not signed:
                built: tuple[int, str] = protocol.request(method, params)
                return built
            signer = None if session.logged_on else self._signer
            built = protocol.request(method, params, signer=signer, timestamp_ms=self._now_ms(), recv_window_ms=window)
            return built

        result: JsonValue = self._send(session.connection, build, signed, deadline, wait_ready=True)
        return result

    def _api_key_params(self, listen_key: str | None = None, market: FuturesMarket | None = None) -> dict[str, object]:
        """``{"apiKey": …}`` (USER_STREAM security: no signature), with spot's ``listenKey``."""
        if self._signer is None:
            raise ConfigurationError("listen keys need credentials (the API key)")
        params: dict[str, object] = {"apiKey": self._signer.api_key}
        if listen_key is not None:
            if not isinstance(listen_key, str) or not listen_key:
                raise ConfigurationError(f"listen_key must be a non-empty string, got {listen_key!r}")
            if market is None:
                params["listenKey"] = listen_key
        return params


def _wire_value(name: object, value: object) -> object:
    if not isinstance(name, str) or not name:
        raise ConfigurationError(f"parameter names must be non-empty strings, got {name!r}")
    if isinstance(value, Decimal):
        return decimal_to_wire(value, name)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (list, tuple)):
        return [_wire_value(name, item) for item in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise ConfigurationError(f"parameter {name} must be a JSON value, Decimal or enum, got {type(value).__name__}")
