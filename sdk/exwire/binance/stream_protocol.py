"""Codec of one Binance market data stream connection (combined streams, live subscribing).

Sans-I/O (the contract of :mod:`exwire._core.protocol`). The client connects to
``<root>/stream`` with no stream in the URL and subscribes live:

* ``{"method":"SUBSCRIBE","params":["btcusdt@trade"],"id":7}`` → ``{"result":null,"id":7}``,
  likewise ``UNSUBSCRIBE`` and ``LIST_SUBSCRIPTIONS`` (whose ``result`` is the list of
  stream names); a refusal is ``{"error":{"code":2,"msg":"..."},"id":7}`` and completes
  the request with :class:`~exwire.errors.InvalidRequest` (codes 0–3: unknown property,
  bad value type, invalid request, invalid JSON);
* every event is wrapped ``{"stream":"btcusdt@trade","data":{...}}``: it becomes an
  :class:`~exwire._core.protocol.Update` routed under the stream name, carrying the typed
  model (:mod:`exwire.binance.stream_converter`) and the upper-case symbol; an array
  payload (``!miniTicker@arr``) becomes one update per element;
* ``serverShutdown`` (raw or combined) makes the connection reconnect at once.

Source: "WebSocket Streams" and "Live Subscribing/Unsubscribing to streams" of
https://developers.binance.com/docs/binance-spot-api-docs/web-socket-streams (futures:
"Websocket Market Streams" of the derivatives documentation).
"""

from __future__ import annotations

import itertools
import json
import logging
import threading
import time
from collections.abc import Hashable, Sequence
from typing import Any

from exwire._core.codec import loads
from exwire._core.errortable import ErrorRule, ErrorTable
from exwire._core.protocol import Event, Failure, Protocol, Reply, Update
from exwire.binance.stream_converter import Decoder, decoder_for
from exwire.errors import ConnectionClosed, DecodeError, InvalidRequest, ProtocolError

__all__ = ["BinanceStreamProtocol", "STREAM_ERRORS"]

log = logging.getLogger("exwire.binance")

#: The stream endpoints' own error codes (docs "Error Messages" of the live-subscribing section).
STREAM_ERRORS = ErrorTable("binance", [ErrorRule(range(0, 4), InvalidRequest)])


class BinanceStreamProtocol(Protocol):
    """Codec of one combined-stream connection (spot, a USDⓈ-M route, or COIN-M).

    Request builders may be called from any thread (ids come from ``itertools.count``);
    ``receive`` runs on the reader thread only. Unknown streams (no decoder) are logged
    once per name and skipped.

    Updates are routed under ``(name, stream)``: the same stream name on two markets'
    connections names two different feeds.

    Pacing state for the client: :attr:`pacing` (a lock the client holds while it sends a
    control message and waits for its reply) and :attr:`last_control_sent` (monotonic
    seconds of the last control frame's write, recorded in :meth:`sent`).

    Args:
        name: the connection's name (``"spot-stream"`` ...), the first half of every routing key.
    """

    exchange = "binance"
    raw_native = True  # raw: each event is the whole {"stream", "data"} object, no model

    def __init__(self, name: str = "stream") -> None:
        self.name = name
        self.pacing = threading.Lock()
        self.last_control_sent = 0.0
        self._ids = itertools.count(1)
        self._loads = loads
        # stream name → (decoder, upper-case symbol); filled by the reader thread only.
        self._routes: dict[str, tuple[Decoder, str] | None] = {}

    # -- requests (any thread) -------------------------------------------------------------

    def _frame(self, method: str, params: Sequence[str] | None) -> tuple[int, str]:
        request_id = next(self._ids)
        message: dict[str, Any] = {"method": method}
        if params is not None:
            message["params"] = list(params)
        message["id"] = request_id
        return request_id, json.dumps(message, separators=(",", ":"))

    def subscribe(self, streams: Sequence[str]) -> tuple[int, str]:
        """``(id, frame)`` of a ``SUBSCRIBE`` for ``streams`` (lowercase names)."""
        return self._frame("SUBSCRIBE", streams)

    def unsubscribe(self, streams: Sequence[str]) -> tuple[int, str]:
        """``(id, frame)`` of an ``UNSUBSCRIBE`` for ``streams``."""
        return self._frame("UNSUBSCRIBE", streams)

    def list_subscriptions(self) -> tuple[int, str]:
        """``(id, frame)`` of a ``LIST_SUBSCRIPTIONS``; its reply's result is a list of names."""
        return self._frame("LIST_SUBSCRIPTIONS", None)

    def sent(self, key: Hashable | None, frame: str | bytes) -> None:
        if key is not None:
            self.last_control_sent = time.monotonic()

    # -- inbound (reader thread) -----------------------------------------------------------

    def receive(self, frame: str | bytes) -> Sequence[Event]:
        """Parse one frame into events.

        Raises:
            DecodeError: not JSON, neither a reply nor an event, or a payload that does not
                convert; ``key`` names the request a malformed reply answers.
        """
        try:
            message = self._loads(frame)
        except (ValueError, RecursionError) as exc:
            raise DecodeError(f"not JSON: {exc!r}"[:200], frame) from exc
        if type(message) is not dict:
            raise DecodeError("not a JSON object", frame)
        stream = message.get("stream")
        try:
            if type(stream) is str and "data" in message:
                if self.raw:
                    return self._raw_event(stream, message)
                return self._event(stream, message["data"])
            if "id" in message and ("result" in message or "error" in message):
                return self._reply(message, frame)
            if message.get("e") == "serverShutdown":
                return (Failure(ConnectionClosed("binance announced serverShutdown; reconnecting")),)
        except ProtocolError:
            raise
        except Exception as exc:  # a payload that does not convert: one bad frame
            raise DecodeError(f"malformed binance stream message: {exc!r}"[:300], frame) from exc
        raise DecodeError("neither a reply nor a combined stream event", frame)

    def _reply(self, message: dict[str, Any], frame: str | bytes) -> Sequence[Event]:
        request_id = message["id"]
        if type(request_id) is not int:
            log.debug("binance stream reply with a foreign id: %.200r", frame)
            return ()
        error = message.get("error")
        if error is None:
            return (Reply(request_id, message.get("result")),)
        if type(error) is not dict:
            error = {"msg": str(error)}
        text = frame if isinstance(frame, str) else frame.decode("utf-8", "replace")
        mapped = STREAM_ERRORS.error(error.get("code"), str(error.get("msg") or "refused"), raw=text)
        return (Reply(request_id, None, mapped),)

    def _event(self, stream: str, data: Any) -> Sequence[Event]:
        try:
            route = self._routes[stream]
        except KeyError:
            route = self._route(stream)
        if route is None:
            if type(data) is dict and data.get("e") == "serverShutdown":
                return (Failure(ConnectionClosed("binance announced serverShutdown; reconnecting")),)
            return ()
        decode, symbol = route
        key = (self.name, stream)
        if type(data) is list:
            updates = []
            for item in data:
                model = decode(item, symbol)
                updates.append(Update(key, model, getattr(model, "symbol", symbol)))
            return updates
        model = decode(data, symbol)
        return (Update(key, model, symbol or getattr(model, "symbol", None)),)

    def _raw_event(self, stream: str, message: dict[str, Any]) -> Sequence[Event]:
        """A raw client's event: the whole ``{"stream", "data"}`` object as data, no model."""
        try:
            route = self._routes[stream]
        except KeyError:
            route = self._route(stream)
        data = message["data"]
        if route is None:
            if type(data) is dict and data.get("e") == "serverShutdown":
                return (Failure(ConnectionClosed("binance announced serverShutdown; reconnecting")),)
            return ()
        symbol = route[1]
        if not symbol and type(data) is dict:
            named = data.get("s")
            symbol = named if type(named) is str else ""
        return (Update((self.name, stream), message, symbol or None),)

    def _route(self, stream: str) -> tuple[Decoder, str] | None:
        decode = decoder_for(stream)
        if decode is None:
            log.warning("binance %s: no decoder for stream %r; its events are skipped", self.name, stream)
            route = None
        else:
            head = stream.split("@", 1)[0]
            if head.startswith("!"):
                symbol = ""  # all-market: each element names its symbol
            elif "_" in head and "continuousKline" in stream:
                symbol = head.split("_", 1)[0].upper()  # the pair
            else:
                symbol = head.upper()
            route = (decode, symbol)
        if len(self._routes) < 4096:
            self._routes[stream] = route
        return route
