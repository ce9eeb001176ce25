"""Sans-I/O codec of one futures user-data stream connection (a listen key's private stream).

The listen key is in the URL (USDⓈ-M ``/private/ws?listenKey=<key>``, COIN-M
``/ws/<key>``, per the futures "User Data Streams" pages), so the connection sends no
subscribe messages: every inbound frame is one event object, raw or wrapped
``{"stream": "<listenKey>", "data": {...}}``. Each decodes into a model of
:mod:`exwire.binance.futures_events` (an unknown type into ``UnknownEvent``) routed
under the connection's one key. ``listenKeyExpired`` is also reported once per
connection to ``on_expired`` (reader thread; it must not block), which renews the key.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence

from exwire._core.codec import loads
from exwire._core.protocol import Event, Protocol, Update
from exwire.binance.futures_event_converter import futures_user_data_event
from exwire.binance.futures_events import ListenKeyExpired
from exwire.errors import DecodeError

__all__ = ["BinanceUserStreamProtocol", "JsonValue"]

#: A decoded JSON value (what :meth:`BinanceClient.request` returns).
JsonValue = None | bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"]


class BinanceUserStreamProtocol(Protocol):
    """Decodes the events of one listen key's stream (see the module docstring).

    Args:
        key: the routing key of the subscriptions this connection feeds.
        listen_key: the key in the URL (compared with ``listenKeyExpired``'s).
        on_expired: called once, on the reader thread, when the key expired.
    """

    exchange = "binance"

    def __init__(self, key: Hashable, listen_key: str, on_expired: Callable[[str], None]) -> None:
        self.key = key
        self.listen_key = listen_key
        self._on_expired = on_expired
        self._expired = False

    def receive(self, frame: str | bytes) -> Sequence[Event]:
        """One frame → one ``Update`` (a reply to no request: the stream sends only events).

        Raises:
            DecodeError: not JSON, not an event object, or a known event without its
                documented fields (the Connection logs and skips the frame).
        """
        try:
            message = loads(frame)
        except ValueError as exc:
            raise DecodeError(f"binance user data: not JSON: {frame[:200]!r}") from exc
        if isinstance(message, dict) and "data" in message and "stream" in message:
            message = message["data"]
        if not isinstance(message, dict) or "e" not in message:
            if isinstance(message, dict) and "id" in message and ("result" in message or "error" in message):
                return ()  # a control reply: this client sends no control messages
            raise DecodeError(f"binance user data: not an event: {str(message)[:200]}")
        event = futures_user_data_event(message)
        if isinstance(event, ListenKeyExpired) and not self._expired:
            if event.listen_key is None or event.listen_key == self.listen_key:
                self._expired = True  # Binance may send it twice: renew once
                self._on_expired(self.listen_key)
        symbol = getattr(event, "symbol", None)
        return (Update(self.key, event, symbol if isinstance(symbol, str) else None),)

    def connection_made(self) -> None:
        """A reconnect to the same key: a later expiry is news again."""
        self._expired = False
