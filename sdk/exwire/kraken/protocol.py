"""Kraken Spot WebSocket API v1: the sans-I/O codec.

Implements ``reference/protocols/kraken.md``: framing (§3), ping/pong,
heartbeat and systemStatus (§4.1–4.3), subscribe/unsubscribe and their
``subscriptionStatus`` acks correlated by ``reqid`` (§4.4–4.6), the public
channels (§5) and the error strings (§9), mapped onto the exwire error tree
through ``ERROR_TABLE``.

Routing keys are ``(channelName, pair)`` exactly as the wire echoes them
(``("book-10", "XBT/USD")``); the system status stream is ``("systemStatus", None)``.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Hashable, Sequence
from typing import Any

from exwire._core.protocol import Ended, Event, Protocol, Reply, Update
from exwire.errors import (
    AuthenticationError,
    DecodeError,
    ExchangeError,
    ExchangeUnavailable,
    InsufficientFunds,
    InvalidRequest,
    OrderNotFound,
    RateLimited,
)
from exwire.kraken import converter
from exwire.models import UpdateType

__all__ = ["KrakenProtocol", "ERROR_TABLE", "map_error", "SYSTEM_STATUS_KEY", "channel_name"]

SYSTEM_STATUS_KEY: Hashable = ("systemStatus", None)

#: Kraken error strings (§9) → exwire error classes, matched by prefix, first match wins.
ERROR_TABLE: tuple[tuple[str, type[ExchangeError]], ...] = (
    ("EOrder:Insufficient funds", InsufficientFunds),
    ("EOrder:Unknown order", OrderNotFound),
    ("EOrder:Rate limit exceeded", RateLimited),
    ("EAuth:Rate limit exceeded", RateLimited),
    ("EAPI:Rate limit exceeded", RateLimited),
    ("EGeneral:Too many requests", RateLimited),
    ("Exceeded msg rate", RateLimited),
    ("EAPI:Invalid key", AuthenticationError),
    ("EAPI:Invalid signature", AuthenticationError),
    ("EAPI:Invalid nonce", AuthenticationError),
    ("EAPI:Invalid token", AuthenticationError),
    ("ESession:Invalid session", AuthenticationError),
    ("EGeneral:Permission denied", AuthenticationError),
    ("EService:", ExchangeUnavailable),
    ("EGeneral:Internal error", ExchangeUnavailable),
    ("EGeneral:Invalid arguments", InvalidRequest),
    ("EOrder:Invalid", InvalidRequest),
    ("EOrder:Order minimum not met", InvalidRequest),
    ("ETrade:Invalid request", InvalidRequest),
    # subscription errors (§9): all are argument errors
    ("Already subscribed", InvalidRequest),
    ("Currency pair not", InvalidRequest),
    ("Malformed request", InvalidRequest),
    ("Pair", InvalidRequest),
    ("Subscription", InvalidRequest),
    ("Unsupported", InvalidRequest),
    ("Event(s) not found", InvalidRequest),
    ("Reqid field", InvalidRequest),
)


def map_error(message: str, raw: str | None = None) -> ExchangeError:
    """Turn a Kraken error string into the matching exwire error (code = the string)."""
    for prefix, cls in ERROR_TABLE:
        if message.startswith(prefix):
            return cls("kraken", message, message, raw)
    return ExchangeError("kraken", message, message, raw)


def channel_name(name: str, depth: int | None = None, interval: int | None = None) -> str:
    """The wire channel name of a subscription: ``book-10``, ``ohlc-5``, ``ticker`` (§3)."""
    if name == "book":
        return f"book-{depth}"
    if name == "ohlc":
        return f"ohlc-{interval}"
    return name


def subscription_from_channel(channel: str) -> dict[str, Any]:
    """The ``subscription`` object for a wire channel name (inverse of ``channel_name``)."""
    name, _, parameter = channel.partition("-")
    if name == "book":
        return {"name": "book", "depth": int(parameter)}
    if name == "ohlc":
        return {"name": "ohlc", "interval": int(parameter)}
    return {"name": name}


class KrakenProtocol(Protocol):
    """Kraken v1 codec for one connection (public ``ws`` or private ``ws-auth``)."""

    exchange = "kraken"

    def __init__(self) -> None:
        self._request_ids = itertools.count(1)
        self._loads = json.loads
        self._ticker = converter.ticker_from_wire
        self._trades = converter.trades_from_wire
        self._spread = converter.spread_from_wire
        self._kline = converter.kline_from_wire
        self._book = converter.book_from_wire

    # -- requests (any thread) ---------------------------------------------------

    def next_request_id(self) -> int:
        return next(self._request_ids)

    def subscribe(self, channel: str, pairs: Sequence[str] | None, *, unsubscribe: bool = False,
                  token: str | None = None, extra: dict[str, Any] | None = None) -> tuple[int, str]:
        """Build a subscribe (or unsubscribe) frame; return ``(reqid, frame)`` (§4.4, §4.5)."""
        request_id = self.next_request_id()
        subscription = subscription_from_channel(channel)
        if token is not None:
            subscription["token"] = token
        if extra:
            subscription.update(extra)
        message: dict[str, Any] = {
            "event": "unsubscribe" if unsubscribe else "subscribe",
            "reqid": request_id,
            "subscription": subscription,
        }
        if pairs is not None:
            message["pair"] = list(pairs)
        return request_id, json.dumps(message, separators=(",", ":"))

    def ping(self) -> tuple[int, str]:
        """Build a ``ping`` with a fresh ``reqid``; its ``pong`` echoes it (§4.1)."""
        request_id = self.next_request_id()
        return request_id, '{"event":"ping","reqid":%d}' % request_id

    def ping_frame(self) -> str:
        # Keep-alive without reqid: its pong matches no request and only counts as traffic.
        return '{"event":"ping"}'

    # -- inbound (reader thread) ---------------------------------------------------

    def receive(self, frame: str | bytes) -> Sequence[Event]:
        try:
            message = self._loads(frame)
        except ValueError as exc:
            raise DecodeError(f"not JSON: {exc}", frame) from exc
        if type(message) is list:
            return self._channel_message(message, frame)
        if type(message) is dict:
            return self._event(message, frame)
        raise DecodeError("neither an event object nor a channel array", frame)

    def _channel_message(self, message: list[Any], frame: str | bytes) -> Sequence[Event]:
        if len(message) < 3:
            raise DecodeError("channel array too short", frame)
        last = message[-1]
        if type(last) is dict:  # private channels: [payload, channelName, {"sequence": n}]
            return self._private_message(message, frame)
        channel, pair = message[-2], last
        key = (channel, pair)
        if channel == "ticker":
            return (Update(key, self._ticker(message[1]), pair),)
        if channel == "trade":
            return (Update(key, self._trades(message[1]), pair),)
        if channel == "spread":
            return (Update(key, self._spread(message[1]), pair),)
        if channel.startswith("book-"):
            is_snapshot, book = self._book(message[1:-2])
            return (Update(key, book, pair, UpdateType.SNAPSHOT if is_snapshot else UpdateType.UPDATE),)
        if channel.startswith("ohlc-"):
            return (Update(key, self._kline(message[1], int(channel[5:])), pair),)
        raise DecodeError(f"unknown channel {channel!r}", frame)

    def _private_message(self, message: list[Any], frame: str | bytes) -> Sequence[Event]:
        raise DecodeError(f"private channel {message[-2]!r} is not handled on this connection", frame)

    def _event(self, message: dict[str, Any], frame: str | bytes) -> Sequence[Event]:
        event = message.get("event")
        if event == "heartbeat":
            return ()
        if event == "pong":
            request_id = message.get("reqid")
            return () if request_id is None else (Reply(request_id, message),)
        if event == "systemStatus":
            status = converter.system_status_from_wire(message)
            return (Update(SYSTEM_STATUS_KEY, status, None, UpdateType.SNAPSHOT),)
        if event == "subscriptionStatus":
            return self._subscription_status(message, frame)
        request_id = message.get("reqid")
        if message.get("status") == "error" or event == "error":
            error = map_error(str(message.get("errorMessage", "unknown error")), _text(frame))
            return (Reply(request_id, error=error),) if request_id is not None else ()
        if request_id is not None:
            return (Reply(request_id, message),)
        return ()

    def _subscription_status(self, message: dict[str, Any], frame: str | bytes) -> Sequence[Event]:
        status = converter.subscription_status_from_wire(message)
        request_id = status.request_id
        if status.status.value == "error":
            error = map_error(status.error_message or "subscription refused", _text(frame))
            if request_id is not None:
                return (Reply(request_id, error=error),)
            if status.channel_name and status.pair:
                return (Ended((status.channel_name, status.pair), error),)
            return ()
        if request_id is not None:
            return (Reply(request_id, status),)
        if status.status.value == "unsubscribed" and status.channel_name:
            # exchange-initiated unsubscribe (§4.6)
            return (Ended((status.channel_name, status.pair), None),)
        return ()


def _text(frame: str | bytes) -> str:
    return frame if isinstance(frame, str) else frame.decode("utf-8", "replace")
