"""OKEx spot WebSocket API v1: the sans-I/O codec.

Implements the protocol notes of :doc:`the OKEx page </exchanges/okex>` (the retired v1 API, ``/ws/v1``):
raw-deflate frames (§2), the request and response envelopes and batches (§3),
signed requests (§4, :mod:`exwire.okex.signing`), the public channels (§5), the
private requests and pushes (§6), ping/pong (§7) and the error codes (§8),
mapped onto the exwire error tree through the table ``ERRORS``.

Correlation. v1 replies carry no request id, only the channel name (§3.2):

* subscription acks (``channel: "addChannel"``) echo the subscribed channel in
  ``data.channel``; a batch of subscriptions is one request whose key collects
  one ack per channel;
* replies to ``login`` and the ``ok_spot_*`` trade channels echo the request's
  channel only, so same-channel requests are answered in the order they went on
  the wire. Each such request gets its own key. The engine registers a request's
  future and then writes its frame, so two threads can register A then B but
  write B then A: the FIFO must follow the wire order, not the registration
  order. :meth:`OkexProtocol.sent`, which the Connection calls under its send
  lock immediately before each write, appends the key to the channel's FIFO, and
  a reply pops the oldest. A reply that comes after its request timed out pops
  that request's key and completes nothing instead of completing a newer
  request. A reply that never comes would leave its key at the head of the FIFO
  for ever, so :meth:`OkexProtocol.abandoned` tells the Connection to replace the
  connection; a new socket clears the FIFOs (:meth:`OkexProtocol.connection_made`).

Routing keys of pushes are the channel names (``"ok_sub_spot_btc_usdt_ticker"``).
"""

from __future__ import annotations

import collections
import itertools
import json
import logging
import re
import threading
import zlib
from collections.abc import Hashable, Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, NamedTuple

from exwire._core.codec import loads_exact
from exwire._core.errortable import ErrorRule, ErrorTable
from exwire._core.netopts import DEFAULT_MAX_MESSAGE_SIZE
from exwire._core.protocol import Event, Pong, Protocol, Reply, Update, new_update
from exwire.errors import (
    AuthenticationError,
    DecodeError,
    ExchangeError,
    ExchangeUnavailable,
    InsufficientFunds,
    InvalidRequest,
    OrderNotFound,
    ProtocolError,
)
from exwire.models import UpdateType
from exwire.okex import converter
from exwire.okex.models import KlineInterval

__all__ = [
    "OkexProtocol",
    "ERRORS",
    "ERROR_TABLE",
    "map_error",
    "inflate",
    "channel_name",
    "parse_channel",
    "ChannelInfo",
    "REQUEST_CHANNELS",
    "FULL_DEPTHS",
    "signed_channels",
]

log = logging.getLogger("exwire.okex")

LOGIN = "login"
PLACE_ORDER = "ok_spot_order"
CANCEL_ORDER = "ok_spot_cancel_order"
USER_INFO = "ok_spot_userinfo"
ORDER_INFO = "ok_spot_orderinfo"
#: Channels whose replies complete requests in wire order (§6.1-6.5).
REQUEST_CHANNELS = (LOGIN, PLACE_ORDER, CANCEL_ORDER, USER_INFO, ORDER_INFO)
#: Levels of the full-depth channels ``ok_sub_spot_X_depth_Y`` (§5.3).
FULL_DEPTHS = (5, 10, 20)

_LOG_LIMIT = 300
#: Bound on the parsed channel names cached per connection.
_CHANNEL_MEMORY = 1024

#: OKEx v1 error codes (§8) → exwire classes, each with the documented message used when
#: the frame carries none. Codes not listed become a plain ``ExchangeError``.
ERRORS = ErrorTable("okex", [
    ErrorRule(10000, InvalidRequest, default_message="Required parameter is empty"),
    ErrorRule(10001, InvalidRequest, default_message="Illegal parameters"),
    ErrorRule(10002, AuthenticationError, default_message="Authentication failure"),
    ErrorRule(10003, AuthenticationError, default_message="This connection has requested other user data"),
    ErrorRule(10004, AuthenticationError, default_message="This connection did not request this user data"),
    ErrorRule(10005, AuthenticationError, default_message="api_key or sign is invalid"),
    ErrorRule(10007, AuthenticationError, default_message="Signature does not match"),
    ErrorRule(10008, InvalidRequest, default_message="Parameter error"),
    ErrorRule(10009, OrderNotFound, default_message="Order does not exist"),
    ErrorRule(10010, InsufficientFunds, default_message="Insufficient funds"),
    ErrorRule(10011, InvalidRequest, default_message="Order quantity too low"),
    ErrorRule(10012, InvalidRequest, default_message="Only support btc_usd ltc_usd"),
    ErrorRule(10014, InvalidRequest, default_message="Order price must be between 0 and 1,000,000"),
    ErrorRule(10015, ExchangeUnavailable, default_message="Channel subscription temporarily not available"),
    ErrorRule(10016, InsufficientFunds, default_message="Insufficient coins"),
    ErrorRule(10017, AuthenticationError, default_message="WebSocket authorization error"),
    ErrorRule(10049, InvalidRequest, default_message="More than 50 unfilled small orders"),
    ErrorRule(10100, AuthenticationError, default_message="User frozen"),
    ErrorRule(10216, AuthenticationError, default_message="Non-public API"),
    ErrorRule(20024, AuthenticationError, default_message="Sign does not match"),
    ErrorRule(20100, ExchangeUnavailable, default_message="Request timed out"),
    ErrorRule(20101, InvalidRequest, default_message="Data format invalid"),
    ErrorRule(20102, AuthenticationError, default_message="Invalid login"),
    ErrorRule(20103, InvalidRequest, default_message="Event type invalid"),
    ErrorRule(20104, InvalidRequest, default_message="Subscription type invalid"),
    ErrorRule(20107, InvalidRequest, default_message="JSON format error"),
    ErrorRule(20115, InvalidRequest, default_message="Quote parameter not matched"),
    ErrorRule(20116, InvalidRequest, default_message="Param not match"),
    ErrorRule(1002, InsufficientFunds, default_message="Amount exceeds balance"),
    ErrorRule(1003, InvalidRequest, default_message="Amount below minimum"),
    ErrorRule(1004, InvalidRequest, default_message="Amount below zero"),
    ErrorRule(1009, OrderNotFound, default_message="No order"),
    ErrorRule(1014, AuthenticationError, default_message="Not logged in"),
    ErrorRule(1018, ExchangeError, default_message="Order failed"),
    ErrorRule(1019, ExchangeError, default_message="Cancel failed"),
    ErrorRule(1024, InvalidRequest, default_message="Currency does not exist"),
    ErrorRule(1050, OrderNotFound, default_message="Order already cancelled"),
    ErrorRule(1051, OrderNotFound, default_message="Order already completed"),
    ErrorRule(1216, ExchangeUnavailable, default_message="Market orders suspended"),
    ErrorRule(1217, InvalidRequest, default_message="Price outside 5% of the market"),
    ErrorRule(1218, ExchangeError, default_message="Place order failed"),
])

#: :data:`ERRORS` as ``code → (class, documented message)``.
ERROR_TABLE: Mapping[int, tuple[type[ExchangeError], str]] = MappingProxyType(
    {rule.code: (rule.cls, rule.default_message or "") for rule in ERRORS.rules if type(rule.code) is int}
)

#: Errors that arrive without a ``channel`` but answer a log-on (§6.1: failed login).
_LOGIN_ERROR_CODES = frozenset(code for code, (cls, _) in ERROR_TABLE.items() if cls is AuthenticationError)


def map_error(code: Any, message: str | None, raw: str | bytes | None = None) -> ExchangeError:
    """Turn an OKEx error code (and message, if sent) into the matching exwire error."""
    try:
        number: int | None = int(code)
    except (TypeError, ValueError, OverflowError):  # OverflowError: an infinite float
        number = None
    text = message if type(message) is str else None if message is None else str(message)
    return ERRORS.error(number if number is not None else code, text or None, raw=raw)


def inflate(frame: bytes, max_size: int = DEFAULT_MAX_MESSAGE_SIZE) -> str:
    """Decompress one binary frame: a complete raw deflate stream, no header (§2).

    Inflating stops after ``max_size`` bytes of output, so a small frame that would
    inflate to gigabytes (a deflate bomb) costs no more than a frame of that size.

    Args:
        frame: the frame's bytes.
        max_size: the most bytes (at least 1) the inflated text may have (the client's
            ``max_message_size``; 16 MiB by default).

    Raises:
        DecodeError: not a complete raw deflate stream, inflates to more than
            ``max_size`` bytes, or not UTF-8.
    """
    if len(frame) * 1032 <= max_size:
        # Deflate inflates at most about 1032:1 (a 258-byte match in as few as 2 bits), so
        # this frame cannot exceed max_size: one call for the common case. It fails on a
        # truncated stream as on a corrupt one, so any failure is diagnosed below.
        try:
            data = zlib.decompress(frame, -zlib.MAX_WBITS)
        except zlib.error:
            pass
        else:
            if len(data) <= max_size:  # always, by the ratio; checked all the same
                try:
                    return data.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise DecodeError(f"inflated frame is not UTF-8: {exc}", frame) from exc
    decompressor = zlib.decompressobj(-zlib.MAX_WBITS)
    try:
        data = decompressor.decompress(frame, max_size)
        if not decompressor.eof and len(data) == max_size:
            # Stopped at the cap: one more byte of output means the frame exceeds it (the
            # rest of the input may also just end the stream: exactly max_size bytes).
            if decompressor.decompress(decompressor.unconsumed_tail, 1):
                raise DecodeError(f"inflates to more than {max_size} bytes (max_message_size)", frame)
    except zlib.error as exc:
        raise DecodeError(f"not a raw deflate stream: {exc}", frame) from exc
    if not decompressor.eof:
        raise DecodeError("truncated deflate stream", frame)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DecodeError(f"inflated frame is not UTF-8: {exc}", frame) from exc


class ChannelInfo(NamedTuple):
    """A push channel name taken apart: ``ok_sub_spot_<symbol>_<kind>[_<argument>]``."""

    symbol: str
    kind: str  # ticker, depth, deals, kline, order, balance
    argument: str | None  # depth levels ("5"), kline interval ("1min")


_CHANNEL = re.compile(
    r"ok_sub_spot_(?P<symbol>[a-z0-9]+_[a-z0-9]+)_(?P<kind>ticker|depth|deals|kline|order|balance)"
    r"(?:_(?P<argument>[a-z0-9]+))?"
)
_KINDS_WITH_ARGUMENT = {"depth": False, "kline": True}  # kind → argument required


def parse_channel(channel: str) -> ChannelInfo | None:
    """Take a spot push channel apart (§5, §6.6-6.7); ``None`` if it is not one."""
    match = _CHANNEL.fullmatch(channel)
    if match is None:
        return None
    kind, argument = match["kind"], match["argument"]
    required = _KINDS_WITH_ARGUMENT.get(kind)
    if required is None and argument is not None:
        return None
    if required and argument is None:
        return None
    if kind == "depth" and argument is not None and int(argument) not in FULL_DEPTHS:
        return None
    if kind == "kline":
        try:
            KlineInterval(argument)
        except ValueError:
            return None
    return ChannelInfo(match["symbol"], kind, argument)


def channel_name(symbol: str, kind: str, argument: str | int | None = None) -> str:
    """``("btc_usdt", "depth", 5)`` → ``"ok_sub_spot_btc_usdt_depth_5"`` (§5)."""
    suffix = "" if argument is None else f"_{argument}"
    return f"ok_sub_spot_{symbol}_{kind}{suffix}"


# JSON numbers become ``Decimal`` from their text (the balance push and order info send
# money as numbers, §6.5-6.7).
_loads = loads_exact
_UPDATE = UpdateType.UPDATE


def _dumps(message: Any) -> str:
    return json.dumps(message, separators=(",", ":"))


def _request_channel(key: Hashable | None) -> str | None:
    """The FIFO channel of a key made by :meth:`OkexProtocol.request`, else ``None``."""
    if type(key) is tuple and len(key) == 2 and key[0] in REQUEST_CHANNELS:
        return key[0]  # type: ignore[no-any-return]
    return None


def _shorten(frame: str | bytes) -> str:
    text = frame if isinstance(frame, str) else repr(frame)
    return text if len(text) <= _LOG_LIMIT else text[:_LOG_LIMIT] + "..."


class OkexProtocol(Protocol):
    """OKEx spot v1 codec for one connection.

    Thread-safety: the request builders may be called from any thread; :meth:`receive`
    runs on the reader thread, and the Connection serialises it with the lifecycle
    (:meth:`connection_made`, :meth:`sent`, :meth:`abandoned`) under its protocol lock,
    so the reply FIFOs need no lock of their own.

    With :attr:`raw` set (a raw client), each push is delivered as its array element,
    the whole ``{"channel", "data"}`` object (JSON numbers as ``Decimal``), no model built.

    Args:
        max_message_size: most bytes a binary frame may inflate to in :meth:`receive`
            (the client passes its ``network.max_message_size``).

    Attributes:
        frames_ignored: frames (or array elements) that were valid JSON but not
            spot v1 messages this client handles, e.g. the futures order pushes a
            logged-in spot connection was seen receiving (§6.7); they are skipped,
            the first one logged as a warning and the others at debug level.
    """

    exchange = "okex"
    raw_native = True

    def __init__(self, *, max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE) -> None:
        self._numbers = itertools.count(1)
        self._max_message_size = max_message_size
        # channel → keys in wire order. Touched only by receive and the lifecycle
        # (sent, abandoned, connection_made), which the Connection serialises: no lock.
        self._in_flight: dict[str, collections.deque[Hashable]] = {}
        # Whether a log-on succeeded on the current socket (receive and lifecycle only).
        self._logged_on = False
        # This lock stays: _batches and _awaiting_snapshot are written by the subscribe
        # and unsubscribe builders on user (and resync) threads, outside the lifecycle,
        # and read and written by receive on the reader thread.
        self._subscription_lock = threading.Lock()
        self._batches: dict[str, Hashable] = {}  # subscribed channel → key of the batch awaiting its ack
        self._awaiting_snapshot: set[str] = set()  # incremental depth channels before their first push
        self._channels: dict[str, ChannelInfo | None] = {}  # parse cache (reader thread only)
        self.frames_ignored = 0

    # -- requests (any thread) -------------------------------------------------------

    def ping_frame(self) -> str:
        """The keep-alive ``{"event":"ping"}``; the server answers ``{"event":"pong"}`` (§7)."""
        return '{"event":"ping"}'

    def subscribe(
        self, channels: Sequence[str], parameters: Mapping[str, Mapping[str, str]] | None = None
    ) -> tuple[Hashable, str]:
        """Build one ``addChannel`` request (a batch when several, §3.3); return ``(key, frame)``.

        One ack per channel completes the key: request it with ``expected=len(channels)``.

        Args:
            channels: push channel names.
            parameters: signed ``parameters`` objects per channel (private pushes, §6.1).
        """
        key = ("addChannel", next(self._numbers))
        items = []
        for channel in channels:
            item: dict[str, Any] = {"event": "addChannel", "channel": channel}
            if parameters and channel in parameters:
                item["parameters"] = dict(parameters[channel])
            items.append(item)
        with self._subscription_lock:
            for channel in channels:
                self._batches[channel] = key
                # An incremental depth channel expects its whole book once acked (_ack); pushes
                # before the ack are a previous subscription's, still on their way.
                self._awaiting_snapshot.discard(channel)
        return key, _dumps(items[0] if len(items) == 1 else items)

    def unsubscribe(self, channels: Sequence[str]) -> str:
        """Build a ``removeChannel`` frame for ``channels`` (no ack is documented)."""
        with self._subscription_lock:
            for channel in channels:
                self._batches.pop(channel, None)
                self._awaiting_snapshot.discard(channel)
        items = [{"event": "removeChannel", "channel": channel} for channel in channels]
        return _dumps(items[0] if len(items) == 1 else items)

    def request(self, channel: str, parameters: Mapping[str, str]) -> tuple[Hashable, str]:
        """Build a signed ``login`` or ``ok_spot_*`` request; return ``(key, frame)`` (§6.1-6.5).

        The key is unique; it joins the channel's reply FIFO when :meth:`sent` sees
        its frame being written.

        Args:
            channel: one of :data:`REQUEST_CHANNELS`.
            parameters: the signed parameters (``api_key``, ``sign`` and the operation's).
        """
        if channel not in REQUEST_CHANNELS:
            raise ValueError(f"{channel!r} is not a request channel")
        if channel == LOGIN:
            frame = _dumps({"event": "login", "parameters": dict(parameters)})
        else:
            frame = _dumps({"event": "addChannel", "channel": channel, "parameters": dict(parameters)})
        return (channel, next(self._numbers)), frame

    def in_flight(self, channel: str) -> int:
        """Requests on ``channel`` written to the socket and not answered yet (a snapshot)."""
        return len(self._in_flight.get(channel, ()))

    # -- lifecycle (called by the Connection under its protocol lock) -------------------

    def connection_made(self) -> None:
        """A new socket: no reply owed on the old one can come, so the FIFOs start empty."""
        self._in_flight.clear()
        self._logged_on = False

    def sent(self, key: Hashable | None, frame: str | bytes) -> None:
        """A request from :meth:`request` joins its channel's reply FIFO as it is written.

        Called under the Connection's send lock right before the write, so the FIFO
        order is the wire order whatever the calling threads did. Subscriptions (their
        acks name the channel) and frames expecting no reply do not enter a FIFO.
        """
        channel = _request_channel(key)
        if channel is not None:
            self._in_flight.setdefault(channel, collections.deque()).append(key)

    def abandoned(self, key: Hashable) -> bool:
        """A request got no reply: return ``True`` (replace the connection) for a FIFO request.

        Its key stays in the FIFO, so a reply that is only late pops it and completes
        nothing; but a reply that never comes would leave every later same-channel
        reply matched to the wrong request, and nothing tells the two apart: the FIFO
        is no longer to be trusted, nor the connection. Two exceptions keep it:

        * the key's reply was already taken (it raced the timeout): the FIFO is aligned;
        * the opening log-on (no log-on has succeeded on this socket yet): the failed
          opening takes the connection down itself.
        """
        channel = _request_channel(key)
        if channel is None:
            return False  # a subscription: its acks name their channel
        queue = self._in_flight.get(channel)
        if not queue or key not in queue:
            return False
        if channel == LOGIN and not self._logged_on:
            return False
        return True

    # -- inbound (reader thread) ---------------------------------------------------------

    def receive(self, frame: str | bytes) -> Sequence[Event]:
        """Parse one frame (text, or a raw-deflate binary frame) into events.

        Raises:
            DecodeError: not a raw deflate stream, not JSON, or no element of the frame
                is a message of the documented shape.
        """
        text = inflate(frame, self._max_message_size) if isinstance(frame, (bytes, bytearray)) else frame
        try:
            message = _loads(text)
        except (ValueError, RecursionError) as exc:  # RecursionError: absurdly nested arrays
            raise DecodeError(f"not JSON: {exc!r}"[:200], text) from exc
        if type(message) is dict:
            if message.get("event") == "pong":
                return (Pong(),)
            self._ignore(message, text)
            return ()
        if type(message) is not list:
            raise DecodeError("neither an array of messages nor an event object", text)
        if len(message) == 1 and type(item := message[0]) is dict:
            # The usual frame, one message: as the loop below, without its lists.
            channel = item.get("channel")
            if (type(channel) is str and (info := self._channels.get(channel)) is not None
                    and info.kind == "ticker" and "errorcode" not in item and "success" not in item):
                data = item.get("data")
                if type(data) is dict and "result" not in data and "error_code" not in data:
                    # A ticker push of a channel seen before, with no error marker (§3.2):
                    # what _message makes of it, without its calls.
                    if self.raw:
                        return (new_update(Update, (channel, item, info.symbol, _UPDATE)),)
                    try:
                        return (new_update(Update, (channel, converter.ticker_from_wire(data, info.symbol),
                                                    info.symbol, _UPDATE)),)
                    except DecodeError as exc:
                        raise DecodeError(str(exc), text) from exc
                    except ProtocolError:
                        raise
                    except Exception as exc:  # a shape the checks missed: still only a bad frame
                        raise DecodeError(f"malformed okex message: {exc!r}"[:300], text) from exc
            try:
                return self._element(item, text)
            except DecodeError as exc:
                raise DecodeError(str(exc), text) from exc
        events: list[Event] = []
        failures: list[DecodeError] = []
        for item in message:
            if type(item) is not dict:
                failures.append(DecodeError("array element is not an object", text))
                continue
            try:
                events.extend(self._element(item, text))
            except DecodeError as exc:
                failures.append(exc)
        if failures:
            if not events:
                error = failures[0]
                raise DecodeError(str(error), text) from error
            for failure in failures:
                log.warning("skipped part of a frame: %s: %s", failure, _shorten(text))
        return tuple(events)

    def _element(self, item: dict[str, Any], text: str) -> Sequence[Event]:
        """One array element's events; ``DecodeError`` for a malformed one, a shape the checks missed included."""
        try:
            return self._message(item, text)
        except ProtocolError:
            raise
        except Exception as exc:  # a shape the checks missed: still only a bad element
            raise DecodeError(f"malformed okex message: {exc!r}"[:300], text) from exc

    def _message(self, item: dict[str, Any], text: str) -> Sequence[Event]:
        channel = item.get("channel")
        data = item.get("data")
        error = self._error(item, data, text)
        if channel is None:
            return self._channelless(item, error, text)
        if type(channel) is not str:
            raise DecodeError(f"channel is not a string: {channel!r}"[:200], text)
        info = self._channels.get(channel)
        if info is not None and error is None:
            # A push channel seen before (the cache holds no ack or request channel: none
            # parses as a push channel): the usual message, straight to its model.
            event = self._raw_push(channel, info, item) if self.raw else self._push(channel, info, data)
            return () if event is None else (event,)
        if channel == "addChannel":
            return self._ack(data, error, text)
        if channel in REQUEST_CHANNELS:
            return self._reply(channel, data, error, text)
        if channel == "removeChannel":
            return ()
        info = self._channel(channel)
        if info is None:
            self._ignore(item, text)
            return ()
        if error is not None:
            # A subscription refused under the channel's own name (§3.2).
            with self._subscription_lock:
                key = self._batches.pop(channel, None)
            if key is None:
                log.warning("okex error on %s with no subscription pending: %s", channel, error)
                return ()
            return (Reply(key, error=error),)
        event = self._raw_push(channel, info, item) if self.raw else self._push(channel, info, data)
        return () if event is None else (event,)

    def _channel(self, channel: str) -> ChannelInfo | None:
        try:
            return self._channels[channel]
        except KeyError:
            if len(self._channels) >= _CHANNEL_MEMORY:  # a peer inventing channel names
                self._channels.clear()
            info = self._channels[channel] = parse_channel(channel)
            return info

    def _error(self, item: dict[str, Any], data: Any, text: str) -> ExchangeError | None:
        """The error an object reports, or ``None`` (§3.2: three places to look)."""
        code = message = None
        failed = False
        if type(data) is dict:
            failed = data.get("result") is False
            code = data.get("error_code")
            message = data.get("error_msg")
        top_code = item.get("errorcode")
        if top_code not in (None, ""):
            failed = True
            code = code if code is not None else top_code
        if item.get("success") is False:
            failed = True
        if code is not None:
            failed = True
        if not failed:
            return None
        return map_error(code, message, text)

    def _channelless(self, item: dict[str, Any], error: ExchangeError | None, text: str) -> Sequence[Event]:
        if error is None:
            self._ignore(item, text)
            return ()
        if type(error.code) is int and error.code in _LOGIN_ERROR_CODES:
            # A refused log-on comes without a channel (§6.1):
            # [{"data":{"error_code":20102,"error_msg":"Invalid logon.","result":false}}]
            key = self._pop_in_flight(LOGIN)
            if key is not None:
                return (Reply(key, error=error),)
        # Errors such as 20103 (event type invalid) name no channel and answer a
        # malformed request, which this client never sends: nothing to complete.
        log.warning("okex error not tied to a request: %s", error)
        return ()

    def _ack(self, data: Any, error: ExchangeError | None, text: str) -> Sequence[Event]:
        channel = data.get("channel") if type(data) is dict else None
        if type(channel) is not str:
            return ()  # an ack that names no channel answers no subscription of ours
        with self._subscription_lock:
            key = self._batches.pop(channel, None)
            if key is not None and error is None:
                info = parse_channel(channel)
                if info is not None and info.kind == "depth" and info.argument is None:
                    # §5.2: the first push after a subscribe is the whole book. The emulator
                    # (and the documented request/ack order) sends the ack first, so pushes
                    # read before it, sent before a removeChannel took effect, stay updates.
                    self._awaiting_snapshot.add(channel)
        if key is None:
            return ()
        if error is not None:
            return (Reply(key, error=error),)
        return (Reply(key, channel),)

    def _pop_in_flight(self, channel: str) -> Hashable | None:
        queue = self._in_flight.get(channel)
        return queue.popleft() if queue else None

    def _reply(self, channel: str, data: Any, error: ExchangeError | None, text: str) -> Sequence[Event]:
        key = self._pop_in_flight(channel)
        if key is None:
            log.debug("okex %s reply for no request in flight", channel)
            return ()
        if error is not None:
            return (Reply(key, error=error),)
        try:
            if type(data) is not dict:
                raise DecodeError(f"{channel} reply has no data object")
            if channel == LOGIN:
                result: Any = True
                self._logged_on = True
            elif channel in (PLACE_ORDER, CANCEL_ORDER):
                result = converter.order_id_from_wire(data)
            elif channel == USER_INFO:
                result = converter.user_info_from_wire(data)
            else:
                result = converter.orders_from_wire(data)
        except Exception as exc:  # DecodeError, or a shape the converter missed
            failure = DecodeError(str(exc) if isinstance(exc, DecodeError) else f"malformed {channel} reply: {exc!r}",
                                  text)
            failure.__cause__ = exc
            return (Reply(key, error=failure),)
        return (Reply(key, result),)

    def _raw_push(self, channel: str, info: ChannelInfo, item: dict[str, Any]) -> Event | None:
        """A raw client's push: the whole ``{"channel", "data"}`` element as data, no model."""
        update_type = UpdateType.UPDATE
        if info.kind == "depth":
            if info.argument is not None:  # §5.3: every push is the whole book
                update_type = UpdateType.SNAPSHOT
            else:
                with self._subscription_lock:
                    snapshot = channel in self._awaiting_snapshot
                    self._awaiting_snapshot.discard(channel)
                if snapshot:
                    update_type = UpdateType.SNAPSHOT
        return new_update(Update, (channel, item, info.symbol, update_type))

    def _push(self, channel: str, info: ChannelInfo, data: Any) -> Event | None:
        kind, symbol = info.kind, info.symbol
        if kind == "ticker":
            return new_update(Update, (channel, converter.ticker_from_wire(data, symbol), symbol, UpdateType.UPDATE))
        if kind == "depth":
            if info.argument is not None:  # §5.3: every push is the whole book
                return Update(channel, converter.book_from_wire(data, True), symbol, UpdateType.SNAPSHOT)
            with self._subscription_lock:
                snapshot = channel in self._awaiting_snapshot
                self._awaiting_snapshot.discard(channel)
            return Update(
                channel,
                converter.book_from_wire(data, snapshot),
                symbol,
                UpdateType.SNAPSHOT if snapshot else UpdateType.UPDATE,
            )
        if kind == "deals":
            # Dated by the client with the frame's receive instant (the protocol has no clock).
            return Update(channel, converter.deals_from_wire(data, symbol), symbol, UpdateType.UPDATE)
        if kind == "kline":
            interval = KlineInterval(info.argument)
            klines = converter.klines_from_wire(data, symbol, interval)
            # A push without a candle says nothing (and the neutral stream needs one per event).
            return Update(channel, klines, symbol, UpdateType.UPDATE) if klines else None
        if kind == "order":
            return Update(channel, converter.order_update_from_wire(data), symbol, UpdateType.UPDATE)
        return Update(channel, converter.balance_update_from_wire(data), symbol, UpdateType.UPDATE)

    def _ignore(self, message: Any, text: str) -> None:
        self.frames_ignored += 1
        product = message.get("product") if type(message) is dict else None
        # The first one is worth a warning; a connection that keeps receiving them
        # (futures pushes after log-on, §6.7) should not flood the log.
        level = logging.WARNING if self.frames_ignored == 1 else logging.DEBUG
        log.log(
            level,
            "ignored a message that is not a spot v1 message this client handles%s (%d so far): %s",
            f" (product {product!r})" if product else "",
            self.frames_ignored,
            _shorten(text),
        )


def signed_channels(channels: Iterable[str]) -> list[str]:
    """The private push channels among ``channels`` (they carry signed parameters, §6.1)."""
    return [c for c in channels if (info := parse_channel(c)) is not None and info.kind in ("order", "balance")]
