"""Kraken Spot WebSocket v1 emulator (``reference/protocols/kraken.md``).

Speaks the public side of v1 as the spec documents it: ``systemStatus`` on connect
(§4.3), ``ping``/``pong`` (§4.1), ``heartbeat`` (§4.2), subscribe/unsubscribe with one
``subscriptionStatus`` per pair (§4.4-4.6) and the error strings of §9, and the channel
arrays of §5 (ticker, ohlc, trade, spread, and book with the CRC32 checksum of §5.5).
Market data comes from a seeded random walk or from a real capture (``replay=``). The
private endpoint ``/auth`` answers ``ping`` and sends ``systemStatus``; private channels
and trading are not emulated yet and are answered with an explicit error.
"""

from __future__ import annotations

import heapq
import itertools
import json
import math
import random
import re
import threading
import time
import zlib
from collections import deque
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

from exwire.errors import ConfigurationError
from exwire.testing._server import EmulatorConnection, EmulatorServer, logger

__all__ = ["KrakenEmulator", "book_checksum"]

VERSION = "1.9.1"
BOOK_DEPTHS = (10, 25, 100, 500, 1000)
OHLC_INTERVALS = (1, 5, 15, 30, 60, 240, 1440, 10080, 21600)  # minutes
PUBLIC_CHANNELS = ("ticker", "ohlc", "trade", "spread", "book")
PRIVATE_CHANNELS = ("ownTrades", "openOrders")
TRADING_EVENTS = ("addOrder", "editOrder", "cancelOrder", "cancelAll", "cancelAllOrdersAfter")
_ALIASES = {"BTC": "XBT", "DOGE": "XDG"}  # §2: BTC/USD is acked and pushed as XBT/USD
_PAIR_FORMAT = re.compile(r"[A-Z0-9]{2,10}/[A-Z0-9]{2,10}")
_REQID_ERROR = "Reqid field must be a positive integer less than 18446744073709551616"
_HEARTBEAT = '{"event":"heartbeat"}'
_ABSENT = object()
_VOLUME_DECIMALS = 8


class _PairSpec(NamedTuple):
    start: str  # first price
    tick: str  # price step
    decimals: int  # decimals of every price string


_PAIRS = {
    "XBT/USD": _PairSpec("27000", "0.1", 5),
    "XBT/EUR": _PairSpec("25000", "0.1", 5),
    "ETH/USD": _PairSpec("1700", "0.01", 5),
    "ETH/EUR": _PairSpec("1550", "0.01", 5),
    "XDG/USD": _PairSpec("0.07", "0.000001", 7),
}
_OTHER_PAIR = _PairSpec("100", "0.01", 5)


def book_checksum(asks: Iterable[Sequence[str]], bids: Iterable[Sequence[str]]) -> int:
    """Compute the Kraken v1 book checksum (§5.5) as an unsigned 32-bit integer.

    Args:
        asks: Levels best first (price ascending); only the first 10 are used. Each
            level starts with the price and volume strings exactly as sent.
        bids: Levels best first (price descending); only the first 10 are used.
    """
    parts: list[str] = []
    for levels in (asks, bids):
        for level in itertools.islice(levels, 10):
            parts.append(level[0].replace(".", "").lstrip("0"))
            parts.append(level[1].replace(".", "").lstrip("0"))
    return zlib.crc32("".join(parts).encode("ascii"))


def _format(units: int, decimals: int) -> str:
    whole, fraction = divmod(units, 10**decimals)
    return f"{whole}.{fraction:0{decimals}d}"


def _units(text: str, decimals: int) -> int:
    return int(Decimal(text).scaleb(decimals))


def _timestamp() -> str:
    return f"{time.time():.6f}"


def _dumps(message: Any) -> str:
    # Kraken's own frames list object keys alphabetically.
    return json.dumps(message, separators=(",", ":"), sort_keys=True)


def _channel_name(name: str, depth: int, interval: int) -> str:
    if name == "book":
        return f"book-{depth}"
    if name == "ohlc":
        return f"ohlc-{interval}"
    return name


def _subscription_echo(name: str, depth: int, interval: int) -> dict[str, Any]:
    if name == "book":
        return {"depth": depth, "name": name}
    if name == "ohlc":
        return {"interval": interval, "name": name}
    return {"name": name}


# -- generated market data ----------------------------------------------------------


class _Market:
    """Random walk of one pair on one connection: best bid/ask, last trade, daily stats."""

    def __init__(self, spec: _PairSpec, rng: random.Random) -> None:
        self.decimals = spec.decimals
        self.tick = _units(spec.tick, spec.decimals)
        self.rng = rng
        self.bid = _units(spec.start, spec.decimals)
        self.ask = self.bid + self.tick
        self.last = self.open = self.high = self.low = self.bid
        self.last_volume = 0
        self.volume = self.notional = self.count = 0
        self.trades: list[tuple[int, int, str, str, str]] = []

    def price(self, units: int) -> str:
        return _format(units, self.decimals)

    def step(self) -> None:
        """Move the prices and make 1-3 trades (kept in :attr:`trades`)."""
        rng = self.rng
        move = rng.choice((-2, -1, -1, 0, 0, 1, 1, 2)) * self.tick
        self.bid = max(self.tick * 100, self.bid + move)
        self.ask = self.bid + self.tick * rng.choice((1, 1, 2))
        self.trades = []
        for _ in range(rng.choice((1, 1, 2, 3))):
            side = rng.choice("bs")
            price = self.ask if side == "b" else self.bid
            volume = rng.randint(100_000, 200_000_000)
            self.trades.append((price, volume, _timestamp(), side, rng.choice("ml")))
            self.last, self.last_volume = price, volume
            self.high, self.low = max(self.high, price), min(self.low, price)
            self.volume += volume
            self.notional += price * volume
            self.count += 1

    def ticker(self) -> dict[str, Any]:
        rng = self.rng
        ask_lots, bid_lots = rng.randint(1, 9), rng.randint(1, 9)
        volume = _format(self.volume, _VOLUME_DECIMALS)
        vwap = self.price(self.notional // self.volume if self.volume else self.last)
        return {
            "a": [self.price(self.ask), ask_lots, f"{ask_lots}.000"],
            "b": [self.price(self.bid), bid_lots, f"{bid_lots}.000"],
            "c": [self.price(self.last), _format(self.last_volume, _VOLUME_DECIMALS)],
            "v": [volume, volume], "p": [vwap, vwap], "t": [self.count, self.count],
            "l": [self.price(self.low)] * 2, "h": [self.price(self.high)] * 2,
            "o": [self.price(self.open)] * 2,
        }

    def spread(self) -> list[str]:
        return [self.price(self.bid), self.price(self.ask), _timestamp(),
                _format(self.rng.randint(1_000_000, 500_000_000), _VOLUME_DECIMALS),
                _format(self.rng.randint(1_000_000, 500_000_000), _VOLUME_DECIMALS)]

    def trade_list(self) -> list[list[str]]:
        return [[self.price(price), _format(volume, _VOLUME_DECIMALS), ts, side, kind, ""]
                for price, volume, ts, side, kind in self.trades]


class _Candle:
    """The running OHLC candle of one ``ohlc-<interval>`` subscription (§5.2)."""

    def __init__(self, interval: int) -> None:
        self.seconds = interval * 60
        self.end = 0
        self.open = self.high = self.low = self.close = 0
        self.volume = self.notional = self.count = 0

    def update(self, market: _Market, trades: Iterable[tuple[int, int, str, str, str]]) -> list[Any]:
        now = time.time()
        end = (int(now) // self.seconds + 1) * self.seconds
        if end != self.end:
            self.end = end
            self.open = self.high = self.low = self.close = market.last
            self.volume = self.notional = self.count = 0
        for price, volume, *_ in trades:
            self.high, self.low, self.close = max(self.high, price), min(self.low, price), price
            self.volume += volume
            self.notional += price * volume
            self.count += 1
        vwap = self.notional // self.volume if self.volume else self.close
        return [f"{now:.6f}", f"{self.end:.6f}", market.price(self.open), market.price(self.high),
                market.price(self.low), market.price(self.close), market.price(vwap),
                _format(self.volume, _VOLUME_DECIMALS), self.count]


class _Book:
    """The emulator's full order book behind one ``book-<depth>`` subscription.

    It keeps a few more levels than the subscribed depth so that a deleted level is
    followed by a republished (``"r"``) one, as Kraken does (§5.5). Updates are derived
    by comparing what the client holds (the previous top ``depth`` levels plus what was
    sent, truncated) with the new top ``depth`` levels.
    """

    def __init__(self, spec: _PairSpec, depth: int, mid: int, rng: random.Random) -> None:
        self.depth = depth
        self.rng = rng
        self.decimals = spec.decimals
        self.tick = _units(spec.tick, spec.decimals)
        self.sides: dict[str, dict[int, tuple[int, str]]] = {"a": {}, "b": {}}
        timestamp = _timestamp()
        ask, bid = mid + self.tick, mid
        for _ in range(depth + 10):
            self.sides["a"][ask] = (self._volume(), timestamp)
            self.sides["b"][bid] = (self._volume(), timestamp)
            ask += self.tick * rng.randint(1, 3)
            bid = max(self.tick, bid - self.tick * rng.randint(1, 3))

    def _volume(self) -> int:
        return self.rng.randint(1_000_000, 500_000_000)

    def _top(self, side: str, count: int) -> list[int]:
        levels = self.sides[side]
        return heapq.nsmallest(count, levels) if side == "a" else heapq.nlargest(count, levels)

    def _level(self, side: str, price: int, volume: int, timestamp: str,
               republish: bool = False) -> list[str]:
        level = [_format(price, self.decimals), _format(volume, _VOLUME_DECIMALS), timestamp]
        return level + ["r"] if republish else level

    def snapshot(self) -> dict[str, list[list[str]]]:
        return {f"{side}s": [self._level(side, price, *self.sides[side][price])
                             for price in self._top(side, self.depth)]
                for side in ("a", "b")}

    def checksum(self) -> int:
        levels = [[self._level(side, price, *self.sides[side][price])
                   for price in self._top(side, 10)] for side in ("a", "b")]
        return book_checksum(levels[0], levels[1])

    def update(self) -> list[dict[str, Any]]:
        """Change the book and return the update objects, the last one carrying ``c``."""
        draw = self.rng.random()
        sides = ("a",) if draw < 0.42 else ("b",) if draw < 0.84 else ("a", "b")
        payloads: list[dict[str, Any]] = [{side: self._update_side(side)} for side in sides]
        payloads[-1]["c"] = str(self.checksum())
        return payloads

    def _update_side(self, side: str) -> list[list[str]]:
        rng, levels = self.rng, self.sides[side]
        before = {price: levels[price][0] for price in self._top(side, self.depth)}
        sent: list[tuple[int, int]] = []
        timestamp = _timestamp()
        for _ in range(rng.choice((1, 1, 1, 2, 3))):
            window = self._top(side, self.depth)
            draw = rng.random()
            if draw < 0.75:  # change a level, or add one inside the window
                price = rng.choice(window) if draw < 0.45 else self._new_price(side, window)
                if price is None:
                    continue
                levels[price] = (self._volume(), timestamp)
                sent.append((price, levels[price][0]))
            elif len(window) > 2:  # delete a level
                price = rng.choice(window)
                del levels[price]
                sent.append((price, 0))
            else:
                continue
            if price in levels and rng.random() < 0.15:
                # The same price again in one frame, possibly ending deleted (§5.5).
                if rng.random() < 0.5:
                    del levels[price]
                    sent.append((price, 0))
                else:
                    levels[price] = (self._volume(), timestamp)
                    sent.append((price, levels[price][0]))
        self._replenish(side)
        client = dict(before)
        for price, volume in sent:
            if volume:
                client[price] = volume
            else:
                client.pop(price, None)
        updates = [self._level(side, price, volume, timestamp) for price, volume in sent]
        for price in self._top(side, self.depth):  # levels that entered the window
            volume, level_timestamp = levels[price]
            if client.get(price) != volume:
                updates.append(self._level(side, price, volume, level_timestamp, True))
        return updates

    def _new_price(self, side: str, window: list[int]) -> int | None:
        if side == "a":
            low, high = max(self.sides["b"]) + self.tick, window[-1]
        else:
            low, high = window[-1], min(self.sides["a"]) - self.tick
        low_ticks, high_ticks = -(-low // self.tick), high // self.tick
        if low_ticks > high_ticks or low_ticks <= 0:
            return None
        return self.rng.randint(low_ticks, high_ticks) * self.tick

    def _replenish(self, side: str) -> None:
        levels = self.sides[side]
        while len(levels) < self.depth + 5:
            step = self.tick * self.rng.randint(1, 3)
            price = max(levels) + step if side == "a" else min(levels) - step
            if price <= 0:
                return
            levels[price] = (self._volume(), _timestamp())


# -- replay ---------------------------------------------------------------------------


class _Frame(NamedTuple):
    message: Any  # parsed JSON (a channel array or a heartbeat event)
    text: str  # what to send when the channelID needs no rewrite
    key: tuple[str, str] | None  # (channelName, pair) of a channel array
    checksummed: bool  # a book update carrying "c"


class _Capture:
    """A recorded Kraken v1 session: python-kraken-sdk JSON or a cryptofeed log."""

    def __init__(self, path: str | Path) -> None:
        text = Path(path).read_text(encoding="utf-8-sig")
        received: list[tuple[Any, str | None]] = []
        sent: list[Any] = []
        if text.lstrip().startswith("{"):
            document = json.loads(text)
            if not isinstance(document, dict) or "updates" not in document:
                raise ConfigurationError(f"{path}: expected {{'init': [...], 'updates': [...]}}")
            received = [(m, None) for m in [*document.get("init", []), *document["updates"]]]
        else:  # cryptofeed: "<url> <-> t" header, "<url> <- t: json" sent, "t: json" received
            for line in text.splitlines():
                if not line.strip() or " <-> " in line:
                    continue
                _, _, raw = line.partition(": ")
                if " <- " in line.partition(": ")[0]:
                    sent.append(json.loads(raw))
                else:
                    received.append((json.loads(raw), raw))
        self.pairs: list[str] = []
        self.channel_ids: dict[tuple[str, str], int] = {}
        self.channel: dict[str, Any] | None = None
        self.frames: list[_Frame] = []
        for message, raw in received:
            self._add(message, raw)
        for request in sent:
            if self.channel is None and isinstance(request, dict) \
                    and request.get("event") == "subscribe":
                self.channel = dict(request.get("subscription", {}))
        if not any(frame.key for frame in self.frames):
            raise ConfigurationError(f"{path}: no channel messages to replay")
        if self.channel is None:
            self.channel = _parse_channel_name(next(f.key for f in self.frames if f.key)[0])
        self.channel.pop("token", None)
        self.keys = {frame.key for frame in self.frames if frame.key} | set(self.channel_ids)
        self.book_updates = sum(frame.checksummed for frame in self.frames)

    def _add(self, message: Any, raw: str | None) -> None:
        if isinstance(message, dict):
            if message.get("event") == "heartbeat":
                self.frames.append(_Frame(message, raw or _HEARTBEAT, None, False))
            elif message.get("event") == "subscriptionStatus" \
                    and message.get("status") == "subscribed" and "pair" in message:
                self._add_pair(message["pair"])
                key = (message["channelName"], message["pair"])
                self.channel_ids[key] = message["channelID"]
                if self.channel is None:
                    self.channel = dict(message["subscription"])
            return  # other events are replies the emulator makes itself
        if isinstance(message, list) and len(message) >= 4:
            key = (message[-2], message[-1])
            self._add_pair(key[1])
            checksummed = key[0].startswith("book-") and isinstance(message[-3], dict) \
                and "c" in message[-3]
            self.frames.append(_Frame(message, raw or _dumps(message), key, checksummed))

    def _add_pair(self, pair: str) -> None:
        if pair not in self.pairs:
            self.pairs.append(pair)


def _parse_channel_name(channel_name: str) -> dict[str, Any]:
    name, _, parameter = channel_name.partition("-")
    if name == "book":
        return {"name": name, "depth": int(parameter)}
    if name == "ohlc":
        return {"name": name, "interval": int(parameter)}
    return {"name": name}


# -- per-connection state -------------------------------------------------------------


class _Subscription:
    def __init__(self, name: str, pair: str, depth: int, interval: int, channel_id: int,
                 replayed: bool) -> None:
        self.name, self.pair, self.channel_id, self.replayed = name, pair, channel_id, replayed
        self.channel_name = _channel_name(name, depth, interval)
        self.echo = _subscription_echo(name, depth, interval)
        self.book: _Book | None = None
        self.candle = _Candle(interval) if name == "ohlc" else None


class _Session:
    """Kraken state of one connection; changed under its connection's ``send_lock``."""

    def __init__(self) -> None:
        self.lock = threading.Lock()  # lets other threads read subscriptions
        self.subscriptions: dict[tuple[str, str], _Subscription] = {}
        self.markets: dict[str, _Market] = {}
        self.pusher_started = False
        self.replay_started = False
        self.replay_due = False


# -- the emulator ---------------------------------------------------------------------


class KrakenEmulator(EmulatorServer):
    """A local Kraken WebSocket v1 server for tests and samples.

    ``with KrakenEmulator() as emu: client = KrakenClient(**emu.client_kwargs())``.
    Connections to ``/`` (public) and ``/auth`` (private) are accepted. Each connection
    gets its own seeded market data: the same seed and the same subscriptions give the
    same prices, volumes and book updates (timestamps come from the clock).

    With ``replay=``, generated data is off for the captured pairs: a subscription to one
    of them gets its ack and nothing else, and once a connection has subscribed to every
    captured ``(channelName, pair)`` it receives the captured channel messages and
    heartbeats in order, as fast as the socket takes them, with each ``channelID``
    rewritten to the one acked. Captured replies (``systemStatus``, ``pong``,
    ``subscriptionStatus``) are not replayed; the emulator makes its own.

    Threads: besides those of :class:`EmulatorServer`, each connection with a
    subscription has one pusher thread (``exwire-emulator-kraken-push-<id>``) that sends
    generated updates, heartbeats and the replay. Thread-safety: every public method may
    be called from any thread.

    Args:
        seed: Seed of the generated market data.
        replay: Path of a capture to replay: python-kraken-sdk ``orderbook-v1.json`` or a
            cryptofeed ``KRAKEN.ws.*.0`` log; ``None`` for generated data only.
        push_interval: Seconds between generated updates of each subscription; ``None``
            sends only what follows a subscribe (snapshot, first ticker ...).
        heartbeat_interval: Seconds between ``heartbeat`` events on a connection with at
            least one subscription; ``None`` sends none.
        pairs: Extra pairs to accept beyond XBT/USD, XBT/EUR, ETH/USD, ETH/EUR, XDG/USD
            and the replayed ones; ``None`` adds none.
        system_status: ``status`` of the ``systemStatus`` event sent on connect.
        host: Interface to bind.
        port: TCP port, 0 for a free one.
        send_timeout: Seconds a send may block on a client that stopped reading.
        close_timeout: Seconds a closing handshake may take.

    Raises:
        ConfigurationError: A bad interval, or a capture with nothing to replay.
        OSError: The capture cannot be read.
    """

    def __init__(self, seed: int = 0, replay: str | Path | None = None,
                 push_interval: float | None = 0.05, heartbeat_interval: float | None = 1.0,
                 *, pairs: Iterable[str] | None = None, system_status: str = "online",
                 host: str = "127.0.0.1", port: int = 0, send_timeout: float | None = 10.0,
                 close_timeout: float = 2.0) -> None:
        super().__init__("kraken", host=host, port=port, send_timeout=send_timeout,
                         close_timeout=close_timeout)
        for label, value in (("push_interval", push_interval),
                             ("heartbeat_interval", heartbeat_interval)):
            if value is not None and not value > 0:
                raise ConfigurationError(f"{label} must be > 0 seconds or None, not {value!r}")
        self.seed = seed
        self.push_interval = push_interval
        self.heartbeat_interval = heartbeat_interval
        self.system_status = system_status
        self.replay_finished = threading.Event()
        """Set when a connection has sent the whole capture."""
        self._capture = _Capture(replay) if replay is not None else None
        self._pair_specs = dict(_PAIRS)
        for pair in itertools.chain(pairs or (), self._capture.pairs if self._capture else ()):
            self._pair_specs.setdefault(pair, _OTHER_PAIR)
        self._faults_lock = threading.Lock()  # guards the fault queues and channel ids
        self._refusals: deque[str] = deque()
        self._corruptions = 0
        self._channel_ids = dict(self._capture.channel_ids) if self._capture else {}
        self._next_channel_id = itertools.count(max(self._channel_ids.values(), default=0) + 1)

    # -- public API --------------------------------------------------------------------

    def client_kwargs(self) -> dict[str, str]:
        """Keyword arguments pointing a ``KrakenClient`` at this emulator."""
        return {"url": self.url, "private_url": f"{self.url}auth"}

    @property
    def pairs(self) -> list[str]:
        """Every pair this emulator accepts, sorted."""
        return sorted(self._pair_specs)

    @property
    def replay_pairs(self) -> list[str]:
        """Pairs of the replayed capture in order of appearance; empty without replay."""
        return list(self._capture.pairs) if self._capture else []

    @property
    def replay_channel(self) -> dict[str, Any] | None:
        """The captured subscription, e.g. ``{"name": "book", "depth": 10}``; ``None``
        without replay."""
        return dict(self._capture.channel) if self._capture and self._capture.channel else None

    @property
    def replay_book_updates(self) -> int:
        """Book updates carrying a checksum in the capture; 0 without replay."""
        return self._capture.book_updates if self._capture else 0

    @property
    def subscriptions(self) -> int:
        """Active subscriptions, summed over the live connections."""
        return sum(len(self._session(c).subscriptions) for c in self.connections)

    def subscription_keys(self) -> list[tuple[str, str]]:
        """``(channelName, pair)`` of every active subscription of every live connection."""
        keys: list[tuple[str, str]] = []
        for connection in self.connections:
            session = self._session(connection)
            with session.lock:
                keys.extend(session.subscriptions)
        return keys

    def refuse_next_subscription(self, message: str = "Exceeded msg rate") -> None:
        """Answer every pair of the next ``subscribe`` request with an error ack carrying
        ``message``. Calls queue up: N calls refuse the next N requests."""
        with self._faults_lock:
            self._refusals.append(message)

    def corrupt_next_checksum(self) -> None:
        """Give the next book update sent (any connection, generated or replayed) a wrong
        ``c``; the book itself stays correct. Calls accumulate."""
        with self._faults_lock:
            self._corruptions += 1

    # -- hooks -------------------------------------------------------------------------

    def accepts_path(self, path: str) -> bool:
        return path in ("/", "/auth")

    def on_open(self, connection: EmulatorConnection) -> None:
        connection.session = _Session()
        connection_id = random.Random(f"{self.seed}:connection:{connection.id}").getrandbits(64)
        self._reply(connection, {"connectionID": connection_id, "event": "systemStatus",
                                 "status": self.system_status, "version": VERSION})

    def on_message(self, connection: EmulatorConnection, message: str | bytes) -> None:
        try:
            request = json.loads(message)
        except ValueError:
            request = None
        if not isinstance(request, dict):
            self._reply(connection, {"errorMessage": "Malformed request", "event": "error"})
            return
        event = request.get("event")
        status_event = "pingStatus" if event == "ping" else \
            f"{event}Status" if event in TRADING_EVENTS else "subscriptionStatus"
        echo = {"reqid": request["reqid"]} if "reqid" in request else {}
        if event is None:
            self._reply(connection, {"errorMessage": "Event(s) not found",
                                     "event": status_event, "status": "error", **echo})
        elif "reqid" in request and not _valid_reqid(request["reqid"]):
            self._reply(connection, {"errorMessage": _REQID_ERROR, "event": status_event,
                                     "status": "error", **echo})
        elif event == "ping":
            self._reply(connection, {"event": "pong", **echo})
        elif event in ("subscribe", "unsubscribe"):
            self._subscribe(connection, request, echo, event == "unsubscribe")
        elif event in TRADING_EVENTS:  # not faked: a later issue brings the matching engine
            self._reply(connection, {"errorMessage": "Trading is not emulated yet",
                                     "event": status_event, "status": "error", **echo})
        else:
            self._reply(connection, {"errorMessage": "Unsupported event",
                                     "event": status_event, "status": "error", **echo})

    # -- subscribe / unsubscribe (§4.4-4.6, §9) ----------------------------------------

    def _subscribe(self, connection: EmulatorConnection, request: dict[str, Any],
                   echo: dict[str, Any], unsubscribe: bool) -> None:
        subscription = request.get("subscription")

        def error(message: str, pair: Any = _ABSENT) -> dict[str, Any]:
            # §4.6: reqid, pair and subscription are echoed when the request had them.
            reply = {"errorMessage": message, "event": "subscriptionStatus",
                     "status": "error", **echo}
            if pair is not _ABSENT:
                reply["pair"] = pair
            if subscription is not None:
                reply["subscription"] = subscription
            return reply

        refusal = None if unsubscribe else self._take_refusal()
        if not isinstance(subscription, dict):
            self._reply(connection, error("Subscription field must be an object"))
            return
        name = subscription.get("name")
        if name in PRIVATE_CHANNELS:
            message = ("Private channels are not emulated yet" if connection.path == "/auth"
                       else "Private data and trading are unavailable on this endpoint. "
                            "Try ws-auth.kraken.com")
            self._reply(connection, error(message))
            return
        pairs = request.get("pair")
        if not isinstance(pairs, list):
            self._reply(connection, error("Pair field must be an array"))
            return
        if not pairs:
            self._reply(connection, error("Pair(s) not found"))
            return
        depth, interval = subscription.get("depth"), subscription.get("interval")
        depth, interval = 10 if depth is None else depth, 1 if interval is None else interval
        problem = _subscription_problem(subscription, unsubscribe)
        replies: list[Any] = []  # event objects and channel arrays, in sending order
        session = self._session(connection)
        with connection.send_lock:  # acks, snapshots and state change stay in order
            for given in pairs:
                pair, pair_problem = self._normalize_pair(given)
                failure = problem or pair_problem or refusal
                if failure:
                    replies.append(error(failure, given))
                    continue
                if unsubscribe:
                    replies.extend(self._remove(session, name, pair, depth, interval, echo)
                                   or [error("Subscription Not Found", pair)])
                    continue
                channel_name = _channel_name(name, depth, interval)
                if (channel_name, pair) in session.subscriptions:
                    replies.append(error("Already subscribed", pair))
                    continue
                replies.extend(self._add(connection, session, name, pair, depth, interval, echo))
            for reply in replies:
                connection.send(_dumps(reply))
            if not unsubscribe:
                self._start_pusher_or_replay(connection, session)
        self.notify_changed()

    def _add(self, connection: EmulatorConnection, session: _Session, name: str, pair: str,
             depth: int, interval: int, echo: dict[str, Any]) -> list[Any]:
        replayed = self._capture is not None and pair in self._capture.pairs
        channel_name = _channel_name(name, depth, interval)
        sub = _Subscription(name, pair, depth, interval,
                            self._channel_id(channel_name, pair), replayed)
        with session.lock:
            session.subscriptions[(channel_name, pair)] = sub
        ack = {"channelID": sub.channel_id, "channelName": channel_name, "pair": pair,
               "event": "subscriptionStatus", "status": "subscribed",
               "subscription": sub.echo, **echo}
        if replayed:
            return [ack]
        spec = self._pair_specs[pair]
        if name == "book":
            market = session.markets.get(pair)
            mid = market.bid if market else _units(spec.start, spec.decimals)
            rng = random.Random(f"{self.seed}:{pair}:{channel_name}")
            sub.book = _Book(spec, depth, mid, rng)
            return [ack, [sub.channel_id, sub.book.snapshot(), channel_name, pair]]
        market = self._market(session, pair)
        first = {"ticker": market.ticker, "spread": market.spread}.get(name)
        if first is not None:  # Kraken sends the current ticker/spread right away
            return [ack, [sub.channel_id, first(), channel_name, pair]]
        if sub.candle is not None:  # and the last candle for ohlc (§5.2)
            return [ack, [sub.channel_id, sub.candle.update(market, ()), channel_name, pair]]
        return [ack]

    def _remove(self, session: _Session, name: str, pair: str, depth: int, interval: int,
                echo: dict[str, Any]) -> list[dict[str, Any]]:
        if name == "*":
            keys = [key for key in session.subscriptions if key[1] == pair]
        else:
            keys = [(_channel_name(name, depth, interval), pair)]
        replies = []
        for key in keys:
            with session.lock:
                sub = session.subscriptions.pop(key, None)
            if sub is not None:
                replies.append({"channelID": sub.channel_id, "channelName": sub.channel_name,
                                "event": "subscriptionStatus", "pair": pair,
                                "status": "unsubscribed", "subscription": sub.echo, **echo})
        return replies

    def _normalize_pair(self, given: Any) -> tuple[str, str | None]:
        if not isinstance(given, str) or not _PAIR_FORMAT.fullmatch(given):
            return "", f"Currency pair not in ISO 4217-A3 format {given}"
        base, quote = given.split("/")
        pair = f"{_ALIASES.get(base, base)}/{_ALIASES.get(quote, quote)}"
        if pair not in self._pair_specs:
            return pair, "Pair(s) not found"
        return pair, None

    # -- pushing -----------------------------------------------------------------------

    def _start_pusher_or_replay(self, connection: EmulatorConnection, session: _Session) -> None:
        capture = self._capture
        if capture and not session.replay_started and capture.keys <= session.subscriptions.keys():
            session.replay_started = session.replay_due = True
        idle = self.push_interval is None and self.heartbeat_interval is None and not capture
        if not session.pusher_started and session.subscriptions and not idle:
            session.pusher_started = True
            connection.start_worker(self._push_loop)
        connection.wake()

    def _push_loop(self, connection: EmulatorConnection) -> None:
        session = self._session(connection)
        push, heartbeat = self.push_interval, self.heartbeat_interval
        now = time.monotonic()
        next_push = now + push if push else math.inf
        next_heartbeat = now + heartbeat if heartbeat else math.inf
        timeout: float | None = None
        while connection.tick(timeout):
            if connection.stalled:
                return
            if session.replay_due:
                session.replay_due = False
                self._replay(connection, session)
            now = time.monotonic()
            if now >= next_push:
                self._push_generated(connection, session)
                next_push = now + push  # type: ignore[operator]
            if now >= next_heartbeat:
                if session.subscriptions:
                    connection.send(_HEARTBEAT)
                next_heartbeat = now + heartbeat  # type: ignore[operator]
            wake_at = min(next_push, next_heartbeat)
            timeout = None if wake_at == math.inf else max(0.0, wake_at - time.monotonic())

    def _push_generated(self, connection: EmulatorConnection, session: _Session) -> None:
        with connection.send_lock:
            stepped: set[str] = set()
            for sub in list(session.subscriptions.values()):
                if sub.replayed:
                    continue
                if sub.book is not None:
                    payloads = sub.book.update()
                    if self._take_corruption():
                        payloads[-1]["c"] = str((int(payloads[-1]["c"]) + 1) & 0xFFFFFFFF)
                    frame = [sub.channel_id, *payloads, sub.channel_name, sub.pair]
                else:
                    market = session.markets[sub.pair]
                    if sub.pair not in stepped:
                        stepped.add(sub.pair)
                        market.step()
                    payload = market.ticker() if sub.name == "ticker" else \
                        market.spread() if sub.name == "spread" else \
                        market.trade_list() if sub.name == "trade" else \
                        sub.candle.update(market, market.trades)  # type: ignore[union-attr]
                    frame = [sub.channel_id, payload, sub.channel_name, sub.pair]
                if not connection.send(_dumps(frame)):
                    return

    def _replay(self, connection: EmulatorConnection, session: _Session) -> None:
        assert self._capture is not None
        logger.debug("%r: replaying %d messages", connection, len(self._capture.frames))
        for frame in self._capture.frames:
            if connection.closing.is_set() or connection.stalled:
                return
            text = frame.text
            if frame.key is not None:
                with session.lock:
                    sub = session.subscriptions.get(frame.key)
                if sub is None:  # unsubscribed meanwhile
                    continue
                corrupt = frame.checksummed and self._take_corruption()
                if corrupt or frame.message[0] != sub.channel_id:
                    message = list(frame.message)
                    message[0] = sub.channel_id
                    if corrupt:
                        message[-3] = dict(message[-3])
                        message[-3]["c"] = str((int(message[-3]["c"]) + 1) & 0xFFFFFFFF)
                    text = _dumps(message)
            if not connection.send(text):
                return
        self.replay_finished.set()
        self.notify_changed()

    # -- helpers -----------------------------------------------------------------------

    @staticmethod
    def _session(connection: EmulatorConnection) -> _Session:
        session = connection.session
        return session if session is not None else _Session()

    def _reply(self, connection: EmulatorConnection, message: dict[str, Any]) -> None:
        connection.send(_dumps(message))

    def _market(self, session: _Session, pair: str) -> _Market:
        market = session.markets.get(pair)
        if market is None:
            rng = random.Random(f"{self.seed}:{pair}:market")
            market = session.markets[pair] = _Market(self._pair_specs[pair], rng)
        return market

    def _channel_id(self, channel_name: str, pair: str) -> int:
        with self._faults_lock:
            channel_id = self._channel_ids.get((channel_name, pair))
            if channel_id is None:
                channel_id = self._channel_ids[(channel_name, pair)] = next(self._next_channel_id)
            return channel_id

    def _take_refusal(self) -> str | None:
        with self._faults_lock:
            return self._refusals.popleft() if self._refusals else None

    def _take_corruption(self) -> bool:
        with self._faults_lock:
            if self._corruptions:
                self._corruptions -= 1
                return True
            return False


def _valid_reqid(reqid: Any) -> bool:
    return isinstance(reqid, int) and not isinstance(reqid, bool) and 0 <= reqid < 2**64


def _subscription_problem(subscription: dict[str, Any], unsubscribe: bool) -> str | None:
    """The §9 error string for a bad ``subscription`` object, or ``None``."""
    name = subscription.get("name")
    if name is None:
        return "Malformed request"
    if name not in PUBLIC_CHANNELS and not (unsubscribe and name == "*"):
        return "Subscription name invalid"
    depth, interval = subscription.get("depth"), subscription.get("interval")
    if depth is not None:
        if name != "book":
            return "Subscription object unsupported field"
        if not isinstance(depth, int) or isinstance(depth, bool):
            return "Subscription book depth must be an integer"
        if depth not in BOOK_DEPTHS:
            return "Subscription depth not supported"
    if interval is not None:
        if name != "ohlc":
            return "Subscription object unsupported field"
        if not isinstance(interval, int) or isinstance(interval, bool):
            return "Subscription ohlc interval must be an integer"
        if interval not in OHLC_INTERVALS:
            return "Subscription ohlc interval not supported"
    return None
