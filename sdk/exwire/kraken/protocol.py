"""Kraken Spot WebSocket API v1: the sans-I/O codec.

Implements the protocol notes of :doc:`the Kraken page </exchanges/kraken>`: framing (§3), ping/pong,
heartbeat and systemStatus (§4.1–4.3), subscribe/unsubscribe and their
``subscriptionStatus`` acks correlated by ``reqid`` (§4.4–4.6), the public
channels (§5), the private channels ``openOrders``/``ownTrades`` (§7), the
trading requests and their ``<name>Status`` replies (§8) and the error strings
(§6.1, §9), mapped onto the exwire error tree through the table ``ERRORS``.

Routing keys are ``(channelName, pair)`` exactly as the wire echoes them
(``("book-10", "XBT/USD")``); the system status stream is ``("systemStatus", None)``
and the private channels, which carry no pair, are ``("openOrders", None)`` and
``("ownTrades", None)``.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Hashable, Sequence
from typing import Any

from exwire._core.codec import loads
from exwire._core.errortable import ErrorRule, ErrorTable
from exwire._core.protocol import DeferredDecoder, Ended, Event, Protocol, Reply, Update, new_update
from exwire.errors import (
    AuthenticationError,
    DecodeError,
    ExchangeError,
    ExchangeUnavailable,
    InsufficientFunds,
    InvalidRequest,
    OrderNotFound,
    ProtocolError,
    RateLimited,
)
from exwire.kraken import converter
from exwire.models import UpdateType

__all__ = [
    "KrakenProtocol",
    "ERRORS",
    "ERROR_TABLE",
    "map_error",
    "is_token_error",
    "SYSTEM_STATUS_KEY",
    "ORDER_UPDATES_KEY",
    "OWN_TRADES_KEY",
    "PRIVATE_CHANNELS",
    "channel_name",
    "SequenceGap",
    "SEQUENCE_GAP",
]

SYSTEM_STATUS_KEY: Hashable = ("systemStatus", None)
ORDER_UPDATES_KEY: Hashable = ("openOrders", None)
OWN_TRADES_KEY: Hashable = ("ownTrades", None)
#: The second element of the routing key of a :class:`SequenceGap` notice (no
#: subscription is routed there; the client acts on it).
SEQUENCE_GAP = "sequence-gap"
#: The private channels of ``ws-auth`` (§7); their pushes carry no pair.
PRIVATE_CHANNELS = ("openOrders", "ownTrades")
_RAW_CHANNELS = frozenset({"ticker", "trade", "spread"})  # public channels without a suffix (§5)
_UPDATE, _SNAPSHOT = UpdateType.UPDATE, UpdateType.SNAPSHOT
_TAILS_KEPT = 4096  # channel ids' frame tails remembered (one per subscribed stream), then afresh

#: Errors that mean "this WebSocket token is no longer good" (§6.1, §9): fetch a new one.
TOKEN_ERRORS = ("EAPI:Invalid token", "ESession:Invalid session")

# A token echoed inside an error reply's ``subscription`` must not reach an exception.
_TOKEN_FIELD = re.compile(r'("token"\s*:\s*")[^"]*(")')


def _deferrable_channel(channel: str) -> bool:
    """Whether a raw client's frames of ``channel`` may be left to the lanes: the public
    channels whose update type does not depend on the content (not books)."""
    return channel in _RAW_CHANNELS or channel.startswith("ohlc-")


def _deferrable(key: Hashable) -> bool:
    """Whether a raw client's updates under the routing key ``key`` may be left to the lanes."""
    return type(key) is tuple and len(key) == 2 and type(key[0]) is str and _deferrable_channel(key[0])


def _deferred_tail(tail: str) -> tuple[str, str] | None:
    """``(channel, pair)`` of a frame's tail ``,"<channel>","<pair>"]`` (see :meth:`KrakenProtocol._deferred_key`)."""
    channel, _, pair = tail[2:-2].partition('","')
    if not _deferrable_channel(channel):
        return None
    if not pair or '"' in pair or "\\" in pair or '"' in channel or "\\" in channel:
        return None
    return channel, pair


class SequenceGap(ProtocolError):
    """A private feed (``openOrders``/``ownTrades``) skipped a ``sequence`` number: at
    least one push was lost, so a cache merged from the feed may be wrong. The client
    reports it to ``on_callback_error`` and resubscribes the feed, which starts again
    with a snapshot.

    Attributes:
        channel: ``"openOrders"`` or ``"ownTrades"``.
        expected: the sequence number due.
        received: the sequence number that arrived.
    """

    def __init__(self, channel: str, expected: int, received: int) -> None:
        super().__init__(
            f"kraken {channel} skipped from sequence {expected - 1} to {received}: "
            f"{received - expected} push(es) lost; resubscribing for a fresh snapshot"
        )
        self.channel = channel
        self.expected = expected
        self.received = received


def _prefix(code: str, cls: type[ExchangeError]) -> ErrorRule:
    return ErrorRule(code, cls, prefix=True)


#: Kraken error strings (§9) → exwire error classes, matched by prefix, first match wins.
#: The error's ``code`` and ``message`` are both the string.
ERRORS = ErrorTable("kraken", [
    _prefix("EOrder:Insufficient funds", InsufficientFunds),
    _prefix("EOrder:Insufficient margin", InsufficientFunds),
    _prefix("EOrder:Margin allowance exceeded", InsufficientFunds),
    _prefix("EOrder:Unknown order", OrderNotFound),
    _prefix("EOrder:Unknown position", OrderNotFound),
    _prefix("EOrder:Rate limit exceeded", RateLimited),
    _prefix("EAuth:Rate limit exceeded", RateLimited),
    _prefix("EAPI:Rate limit exceeded", RateLimited),
    _prefix("EGeneral:Too many requests", RateLimited),
    _prefix("Exceeded msg rate", RateLimited),
    _prefix("EAPI:Invalid key", AuthenticationError),
    _prefix("EAPI:Invalid signature", AuthenticationError),
    _prefix("EAPI:Invalid nonce", AuthenticationError),
    _prefix("EAPI:Invalid token", AuthenticationError),
    _prefix("ESession:Invalid session", AuthenticationError),
    _prefix("EGeneral:Permission denied", AuthenticationError),
    _prefix("EService:", ExchangeUnavailable),
    _prefix("EGeneral:Internal error", ExchangeUnavailable),
    _prefix("EGeneral:Invalid arguments", InvalidRequest),
    _prefix("EOrder:Invalid", InvalidRequest),
    _prefix("EOrder:Order minimum not met", InvalidRequest),
    _prefix("EOrder:Orders limit exceeded", InvalidRequest),
    _prefix("EOrder:Positions limit exceeded", InvalidRequest),
    _prefix("EOrder:Reduce only", InvalidRequest),
    _prefix("EOrder:Post only", InvalidRequest),
    _prefix("ETrade:Invalid request", InvalidRequest),
    _prefix("EGeneral:Unknown method", InvalidRequest),
    _prefix("EQuery:", InvalidRequest),
    _prefix("EAPI:Bad request", InvalidRequest),
    # subscription errors (§9): all are argument errors
    _prefix("Already subscribed", InvalidRequest),
    _prefix("Currency pair not", InvalidRequest),
    _prefix("Malformed request", InvalidRequest),
    _prefix("Pair", InvalidRequest),
    _prefix("Subscription", InvalidRequest),
    _prefix("Unsupported", InvalidRequest),
    _prefix("Event(s) not found", InvalidRequest),
    _prefix("Reqid field", InvalidRequest),
    _prefix("Private data and trading are unavailable", InvalidRequest),  # private request on ws
])

#: ``(prefix, class)`` pairs of :data:`ERRORS`, in order.
ERROR_TABLE: tuple[tuple[str, type[ExchangeError]], ...] = tuple(
    (str(rule.code), rule.cls) for rule in ERRORS.rules
)


def map_error(message: str, raw: str | None = None) -> ExchangeError:
    """Turn a Kraken error string into the matching exwire error (code = the string)."""
    return ERRORS.error(message, message, raw=raw)


def is_token_error(error: BaseException) -> bool:
    """Whether ``error`` says the WebSocket token is invalid or expired (§6.1, §9)."""
    code = getattr(error, "code", None)
    return isinstance(code, str) and code.startswith(TOKEN_ERRORS)


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
    """Kraken v1 codec for one connection (public ``ws`` or private ``ws-auth``).

    With :attr:`raw` set (a raw client), channel updates carry the whole channel array
    as decoded (Kraken sends every price, volume and time as a string) and no model is
    built; events (``systemStatus``, replies) stay typed. A ticker, trade, spread or
    OHLC frame in Kraken's compact form (``[id,...,"ticker","XBT/USD"]``) is routed by its
    last two strings alone and its JSON decoded by the lane that delivers it
    (:attr:`~exwire._core.protocol.Protocol.deferred`, the same array as decoded here); a frame of
    that form that is not such a JSON array is logged and skipped there.
    """

    exchange = "kraken"
    raw_native = True

    def __init__(self) -> None:
        self._request_ids = itertools.count(1)
        self._loads = loads
        self._decoder = DeferredDecoder(self.exchange, self._decode_deferred, str, _deferrable)
        self._defers = False  # whether a stream left to the lanes was ever subscribed (subscribe)
        # Per channel id ("[42"): its frames' tail and routing key, or None (_deferred_key).
        self._tails: dict[str, tuple[str, tuple[str, str] | None]] = {}
        self._ticker = converter.ticker_from_wire
        self._trades = converter.trades_from_wire
        self._spread = converter.spread_from_wire
        self._kline = converter.kline_from_wire
        self._book = converter.book_from_wire
        # Books a watcher maintains (Protocol.watched) are decoded to (price, quantity) pairs
        # at once, which the watcher applies; their models are built only if read.
        self._watched_book = converter.watched_book_from_wire
        self._watched = self.watched
        self._order_updates = converter.order_updates_from_wire
        self._own_trades = converter.own_trades_from_wire
        # Whether the first push after a private subscription is its snapshot:
        # recorded per reqid when the request is built (user thread), moved per channel
        # when the ack arrives (reader thread; the ack precedes the snapshot, §7).
        self._snapshot_by_request: dict[int, bool] = {}
        self._awaiting_snapshot: dict[str, bool] = {}
        # The last ``sequence`` of each private channel (reader thread only).
        self._sequences: dict[str, int] = {}

    # -- requests (any thread) ---------------------------------------------------

    def next_request_id(self) -> int:
        return next(self._request_ids)

    def subscribe(self, channel: str, pairs: Sequence[str] | None, *, unsubscribe: bool = False,
                  token: str | None = None, extra: dict[str, Any] | None = None) -> tuple[int, str]:
        """Build a subscribe (or unsubscribe) frame; return ``(reqid, frame)`` (§4.4, §4.5)."""
        request_id = self.next_request_id()
        if not unsubscribe and _deferrable_channel(channel):
            self._defers = True  # a raw client's receive looks for such frames from now on
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
        if channel in PRIVATE_CHANNELS and not unsubscribe:
            # openOrders always starts with the open orders; ownTrades unless snapshot=false (§7).
            self._snapshot_by_request[request_id] = channel == "openOrders" or bool(subscription.get("snapshot", True))
        return request_id, json.dumps(message, separators=(",", ":"))

    def trading_request(self, event: str, token: str, fields: dict[str, Any]) -> tuple[int, str]:
        """Build a trading request (§8) with the token and a fresh ``reqid``; return ``(reqid, frame)``.

        Args:
            event: ``addOrder``, ``cancelOrder``, ``cancelAll`` or ``cancelAllOrdersAfter``.
            token: the WebSocket token (§6.1).
            fields: the request's own fields, already in wire form.
        """
        request_id = self.next_request_id()
        message = {"event": event, "token": token, "reqid": request_id, **fields}
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
        """Parse one frame into events.

        Raises:
            DecodeError: not JSON, or not a Kraken v1 message of the documented shape;
                ``key`` names the request a malformed reply answers (its integer ``reqid``).
        """
        if self._defers and self.raw and type(frame) is str:
            comma = frame.find(",", 0, 16)  # after "[<channel id>" in a channel array
            if comma > 1:
                # A frame of a stream seen before: its channel id's tail is known (_deferred_key).
                known = self._tails.get(frame[:comma])
                key = known[1] if known is not None and frame.endswith(known[0]) else self._deferred_key(frame, comma)
                if key is not None:
                    return (new_update(Update, (key, frame, key[1], _UPDATE)),)  # the JSON is the lane's
        try:
            message = self._loads(frame)
        except (ValueError, RecursionError) as exc:  # RecursionError: absurdly nested arrays
            raise DecodeError(f"not JSON: {exc!r}"[:200], frame) from exc
        try:
            if type(message) is list:
                return self._channel_message(message, frame)
            if type(message) is dict:
                return self._event(message, frame)
        except ProtocolError:
            raise
        except Exception as exc:  # a shape the checks below missed: still only a bad frame
            error = DecodeError(f"malformed kraken message: {exc!r}", frame)
            if type(message) is dict:
                error.key = _request_id(message)
            raise error from exc
        raise DecodeError("neither an event object nor a channel array", frame)

    def _channel_message(self, message: list[Any], frame: str | bytes) -> Sequence[Event]:
        if len(message) < 3:
            raise DecodeError("channel array too short", frame)
        last = message[-1]
        if type(last) is dict:  # private channels: [payload, channelName, {"sequence": n}]
            return self._private_message(message, frame)
        channel, pair = message[-2], last
        if type(channel) is not str or type(pair) is not str or len(message) < 4:
            raise DecodeError("channel array does not end with channelName and pair strings", frame)
        key = (channel, pair)
        if self.raw:
            if channel in _RAW_CHANNELS:
                return (new_update(Update, (key, message, pair, _UPDATE)),)
            return (self._raw_update(message, key, channel, pair, frame),)
        watched = self._watched
        if watched and key in watched:  # a book a watcher maintains (watch_order_book: book keys only)
            is_snapshot, book = self._watched_book(message[1:-2])
            return (new_update(Update, (key, book, pair, _SNAPSHOT if is_snapshot else _UPDATE)),)
        if channel == "ticker":
            return (new_update(Update, (key, self._ticker(message[1]), pair, _UPDATE)),)
        if channel == "trade":
            return (new_update(Update, (key, self._trades(message[1]), pair, _UPDATE)),)
        if channel == "spread":
            return (Update(key, self._spread(message[1]), pair),)
        if channel.startswith("book-"):
            is_snapshot, book = self._book(message[1:-2])
            return (new_update(Update, (key, book, pair, _SNAPSHOT if is_snapshot else _UPDATE)),)
        if channel.startswith("ohlc-"):
            try:
                interval = int(channel[5:])
            except ValueError:
                raise DecodeError(f"no interval in channel {channel!r}", frame) from None
            return (Update(key, self._kline(message[1], interval), pair),)
        raise DecodeError(f"unknown channel {channel!r}", frame)

    def _deferred_key(self, frame: str, comma: int) -> tuple[str, str] | None:
        """A raw client's ticker, trade, spread or OHLC frame's routing key, read from its text
        alone (``comma``: the index of its first comma, within its first 16 characters);
        ``None`` for any other frame (decoded here as usual). Reader thread.

        The text must start with ``[<channel id>,`` and end with ``,"<channel>","<pair>"]``
        (Kraken's compact form), neither string holding a quote or a backslash. Where such a
        text is JSON, it is an array whose last two elements are those strings (the final
        ``]`` closes the outer array, and the two strings and their commas are the tokens
        before it), which is what the decoded frame is routed by; whether it is JSON, and
        an array of at least four elements, is for :meth:`_decode_deferred` to tell. The
        tail found is kept under the text's start (``[`` and the channel id), so the next
        frame of the stream is routed by one ``endswith`` (:meth:`receive`), and so is
        a tail that routes nothing (a book's).
        """
        if frame[0] != "[" or not frame[1:comma].isdigit() or frame[-2:] != '"]':
            return None
        last = frame.rfind(',"', 0, len(frame) - 2)  # before the pair
        if last < comma + 2 or frame[last - 1] != '"':
            return None
        start = frame.rfind(',"', 0, last - 1)  # before the channel
        if start <= comma:
            return None
        tail = frame[start:]
        key = _deferred_tail(tail)
        tails = self._tails
        if len(tails) >= _TAILS_KEPT:
            tails.clear()
        tails[frame[:comma]] = (tail, key)
        return key

    def _decode_deferred(self, frame: str) -> list[Any]:
        """The channel array of a frame :meth:`_deferred_key` routed (any thread: no state read).

        Raises:
            DecodeError: not JSON, or not an array of at least four elements (what
                :meth:`receive` refuses of such a frame).
        """
        try:
            message = self._loads(frame)
        except (ValueError, RecursionError) as exc:
            raise DecodeError(f"not JSON: {exc!r}"[:200], frame) from exc
        if type(message) is not list or len(message) < 4:
            raise DecodeError("channel array does not end with channelName and pair strings", frame)
        return message

    def _raw_update(self, message: list[Any], key: tuple[str, str], channel: str, pair: str,
                    frame: str | bytes) -> Update:
        """A raw client's public channel update: the whole channel array as data, no model."""
        if channel.startswith("book-"):
            obj = message[1]  # a snapshot is one object {"as", "bs"} (§5.5)
            snapshot = type(obj) is dict and ("as" in obj or "bs" in obj)
            return new_update(Update, (key, message, pair, UpdateType.SNAPSHOT if snapshot else _UPDATE))
        if _deferrable_channel(channel):  # the channels without a snapshot form
            return Update(key, message, pair)
        raise DecodeError(f"unknown channel {channel!r}", frame)

    def _private_message(self, message: list[Any], frame: str | bytes) -> Sequence[Event]:
        # [payload, channelName, {"sequence": n}] (§3, §7). The first push after the
        # ack is the snapshot (all open orders; the last trades unless snapshot=false).
        if len(message) != 3:
            raise DecodeError("private channel array must have 3 elements", frame)
        payload, channel, meta = message[0], message[1], message[2]
        sequence = meta.get("sequence")
        if sequence is not None and type(sequence) is not int:
            raise DecodeError("private channel sequence is not an integer", frame)
        if channel not in PRIVATE_CHANNELS:
            raise DecodeError(f"unknown private channel {channel!r}", frame)
        if self.raw:
            data: Any = message  # a raw client: the whole array, no model
        elif channel == "openOrders":
            data = self._order_updates(payload, sequence)
        else:
            data = self._own_trades(payload, sequence)
        is_snapshot = self._awaiting_snapshot.pop(channel, False)
        update = Update((channel, None), data, None, UpdateType.SNAPSHOT if is_snapshot else UpdateType.UPDATE)
        if sequence is None:
            return (update,)
        last = self._sequences.get(channel)
        self._sequences[channel] = sequence
        if not is_snapshot and last is not None and sequence > last + 1:
            # Pushes were lost: deliver this one, then tell the client (see SequenceGap).
            return (update, Update((channel, SEQUENCE_GAP), SequenceGap(channel, last + 1, sequence), None))
        return (update,)

    def _event(self, message: dict[str, Any], frame: str | bytes) -> Sequence[Event]:
        try:
            return self._event_of(message, frame)
        except DecodeError as exc:
            exc.key = _request_id(message)  # a malformed reply fails its request at once
            raise

    def _event_of(self, message: dict[str, Any], frame: str | bytes) -> Sequence[Event]:
        event = message.get("event")
        if event == "heartbeat":
            return ()
        if event == "pong":
            request_id = _request_id(message)
            return () if request_id is None else (Reply(request_id, message),)
        if event == "systemStatus":
            status = converter.system_status_from_wire(message)
            return (Update(SYSTEM_STATUS_KEY, status, None, UpdateType.SNAPSHOT),)
        if event == "subscriptionStatus":
            return self._subscription_status(message, frame)
        # Only an integer reqid can answer a request (this client sends no other kind).
        request_id = _request_id(message)
        if message.get("status") == "error" or event == "error":
            error = map_error(str(message.get("errorMessage", "unknown error")), _redacted(frame))
            return (Reply(request_id, error=error),) if request_id is not None else ()
        if request_id is not None:
            return (Reply(request_id, message),)
        return ()

    def _subscription_status(self, message: dict[str, Any], frame: str | bytes) -> Sequence[Event]:
        status = converter.subscription_status_from_wire(message)
        request_id = status.request_id
        expects_snapshot = self._snapshot_by_request.pop(request_id, None) if request_id is not None else None
        if status.status.value == "error":
            error = map_error(status.error_message or "subscription refused", _redacted(frame))
            if request_id is not None:
                return (Reply(request_id, error=error),)
            if status.channel_name and status.pair:
                return (Ended((status.channel_name, status.pair), error),)
            return ()
        if expects_snapshot is not None and status.status.value == "subscribed" and status.channel_name:
            self._awaiting_snapshot[status.channel_name] = expects_snapshot
        if request_id is not None:
            return (Reply(request_id, status),)
        if status.status.value == "unsubscribed" and status.channel_name:
            # exchange-initiated unsubscribe (§4.6)
            return (Ended((status.channel_name, status.pair), None),)
        return ()


def _request_id(message: dict[str, Any]) -> int | None:
    """The message's ``reqid`` when it is an integer (bool excluded), else ``None``."""
    request_id = message.get("reqid")
    return request_id if type(request_id) is int else None


def _text(frame: str | bytes) -> str:
    return frame if isinstance(frame, str) else frame.decode("utf-8", "replace")


def _redacted(frame: str | bytes) -> str:
    """The frame for an exception's ``raw``, with any echoed token blanked out."""
    return _TOKEN_FIELD.sub(r"\1***\2", _text(frame))
