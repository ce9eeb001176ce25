"""Market data of the Kraken emulator: pairs, generated ticker/trade/spread/ohlc/book
data with the v1 book checksum, and replay of real captures
(:doc:`the Kraken page </exchanges/kraken>` §5). Used by :mod:`exwire.testing.kraken`.

Nothing here is thread-safe by itself: each object belongs to one connection (or,
for a capture, is read-only after loading).
"""

from __future__ import annotations

import heapq
import itertools
import json
import random
import time
import zlib
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

from exwire.errors import ConfigurationError

__all__ = ["book_checksum"]

_HEARTBEAT = '{"event":"heartbeat"}'
_VOLUME_DECIMALS = 8
_MIN_WINDOW = 25  # levels per side where a pair's book changes, at least
_SPARE_LEVELS = 10  # levels kept beyond the window, republished when a level goes

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
    """The generated market of one pair on one connection: one order book, the trades
    taken at its touch and the daily statistics, from one seeded random generator.

    Everything the connection is sent about the pair (ticker, spread, trades, candles,
    every ``book-<depth>``) is rendered from this one state after each :meth:`step`, so
    the market is coherent at every moment: the best bid is below the best ask, each
    trade happens at the touch (a taker buy at the best ask, a sell at the best bid),
    the ticker's and the spread's bid/ask are the book's best, and the last trade lies
    between them (a new level never crosses the last trade price).
    """

    def __init__(self, spec: _PairSpec, rng: random.Random) -> None:
        self.decimals = spec.decimals
        self.tick = _units(spec.tick, spec.decimals)
        self.rng = rng
        self.sides: dict[str, dict[int, tuple[int, str]]] = {"a": {}, "b": {}}
        self.window = _MIN_WINDOW  # levels per side where changes happen: the deepest view
        self.changes: dict[str, list[tuple[int, int]]] = {"a": [], "b": []}  # of the last step
        start = _units(spec.start, spec.decimals)
        timestamp = _timestamp()
        self.sides["b"][start] = (self._volume(), timestamp)
        self.sides["a"][start + self.tick] = (self._volume(), timestamp)
        self._replenish("a")
        self._replenish("b")
        self.last = self.open = self.high = self.low = start
        self.last_volume = 0
        self.volume = self.notional = self.count = 0
        self.trades: list[tuple[int, int, str, str, str]] = []

    def price(self, units: int) -> str:
        return _format(units, self.decimals)

    def _volume(self) -> int:
        return self.rng.randint(1_000_000, 500_000_000)

    @property
    def bid(self) -> int:
        return max(self.sides["b"])

    @property
    def ask(self) -> int:
        return min(self.sides["a"])

    def top(self, side: str, count: int) -> list[int]:
        """The best ``count`` prices of side ``"a"`` or ``"b"``, best first."""
        levels = self.sides[side]
        return heapq.nsmallest(count, levels) if side == "a" else heapq.nlargest(count, levels)

    def level(self, side: str, price: int, republish: bool = False) -> list[str]:
        volume, timestamp = self.sides[side][price]
        return self.wire_level(price, volume, timestamp, republish)

    def wire_level(self, price: int, volume: int, timestamp: str, republish: bool = False) -> list[str]:
        level = [_format(price, self.decimals), _format(volume, _VOLUME_DECIMALS), timestamp]
        return level + ["r"] if republish else level

    def checksum(self) -> int:
        levels = [[self.level(side, price) for price in self.top(side, 10)] for side in ("a", "b")]
        return book_checksum(levels[0], levels[1])

    def watch(self, depth: int) -> None:
        """Keep at least ``depth`` levels per side (a ``book-<depth>`` view was added)."""
        if depth > self.window:
            self.window = depth
            self._replenish("a")
            self._replenish("b")

    # -- one step: book changes, then trades at the touch ------------------------------------

    def step(self) -> None:
        """Change the book (kept in :attr:`changes`), then make 1-3 trades at the touch
        (kept in :attr:`trades`)."""
        rng = self.rng
        draw = rng.random()
        sides = ("a",) if draw < 0.42 else ("b",) if draw < 0.84 else ("a", "b")
        self.changes = {"a": [], "b": []}
        for side in sides:
            self._change_side(side)
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

    def _change_side(self, side: str) -> None:
        rng, levels, sent = self.rng, self.sides[side], self.changes[side]
        timestamp = _timestamp()
        for _ in range(rng.choice((1, 1, 1, 2, 3))):
            window = self.top(side, self.window)
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
                if rng.random() < 0.5 and len(levels) > 1:
                    del levels[price]
                    sent.append((price, 0))
                else:
                    levels[price] = (self._volume(), timestamp)
                    sent.append((price, levels[price][0]))
        self._replenish(side)

    def _new_price(self, side: str, window: list[int]) -> int | None:
        # Inside the book, and never across the last trade: bids at or below it, asks at
        # or above it (the market stays best bid <= last <= best ask).
        if side == "a":
            low, high = max(self.bid + self.tick, self.last), window[-1]
        else:
            low, high = window[-1], min(self.ask - self.tick, self.last)
        low_ticks, high_ticks = -(-low // self.tick), high // self.tick
        if low_ticks > high_ticks or low_ticks <= 0:
            return None
        return self.rng.randint(low_ticks, high_ticks) * self.tick

    def _replenish(self, side: str) -> None:
        levels = self.sides[side]
        while len(levels) < self.window + _SPARE_LEVELS:
            step = self.tick * self.rng.randint(1, 3)
            price = max(levels) + step if side == "a" else min(levels) - step
            if price <= 0:
                return
            levels[price] = (self._volume(), _timestamp())

    # -- renderings --------------------------------------------------------------------------

    def ticker(self) -> dict[str, Any]:
        ask_volume, bid_volume = self.sides["a"][self.ask][0], self.sides["b"][self.bid][0]
        volume = _format(self.volume, _VOLUME_DECIMALS)
        vwap = self.price(self.notional // self.volume if self.volume else self.last)
        return {
            "a": [self.price(self.ask), ask_volume // 10**_VOLUME_DECIMALS, _format(ask_volume, _VOLUME_DECIMALS)],
            "b": [self.price(self.bid), bid_volume // 10**_VOLUME_DECIMALS, _format(bid_volume, _VOLUME_DECIMALS)],
            "c": [self.price(self.last), _format(self.last_volume, _VOLUME_DECIMALS)],
            "v": [volume, volume], "p": [vwap, vwap], "t": [self.count, self.count],
            "l": [self.price(self.low)] * 2, "h": [self.price(self.high)] * 2,
            "o": [self.price(self.open)] * 2,
        }

    def spread(self) -> list[str]:
        return [self.price(self.bid), self.price(self.ask), _timestamp(),
                _format(self.sides["b"][self.bid][0], _VOLUME_DECIMALS),
                _format(self.sides["a"][self.ask][0], _VOLUME_DECIMALS)]

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
    """One ``book-<depth>`` subscription: a view of the top ``depth`` levels of the pair's
    :class:`_Market` book, and what the client holds of it.

    Updates are derived by comparing what the client holds (the previous top ``depth``
    levels plus what was sent, truncated) with the new top ``depth`` levels: the
    market's changes at prices the client holds or now sees are sent in order (so one
    price may appear twice in a frame), and levels that entered the window from below
    follow, republished (``"r"``), as Kraken does (§5.5).
    """

    def __init__(self, market: _Market, depth: int) -> None:
        self.market = market
        self.depth = depth
        market.watch(depth)
        self.held: dict[str, dict[int, int]] = {"a": {}, "b": {}}

    def snapshot(self) -> dict[str, list[list[str]]]:
        market = self.market
        for side in ("a", "b"):
            self.held[side] = {p: market.sides[side][p][0] for p in market.top(side, self.depth)}
        return {f"{side}s": [market.level(side, price) for price in market.top(side, self.depth)]
                for side in ("a", "b")}

    def checksum(self) -> int:
        return self.market.checksum()

    def update(self) -> list[dict[str, Any]]:
        """The update objects of the market's last step, the last one carrying ``c``;
        empty when nothing changed within this view."""
        payloads: list[dict[str, Any]] = [{side: levels} for side in ("a", "b") if (levels := self._update_side(side))]
        if payloads:
            payloads[-1]["c"] = str(self.checksum())
        return payloads

    def _update_side(self, side: str) -> list[list[str]]:
        market, held = self.market, self.held[side]
        window = market.top(side, self.depth)
        visible = set(held) | set(window)
        sent = [(price, volume) for price, volume in market.changes[side] if price in visible]
        client = dict(held)
        for price, volume in sent:
            if volume:
                client[price] = volume
            else:
                client.pop(price, None)
        updates = [market.wire_level(price, volume, market.sides[side][price][1]
                                     if volume and price in market.sides[side] else _timestamp())
                   for price, volume in sent]
        for price in window:  # levels that entered the window
            volume = market.sides[side][price][0]
            if client.get(price) != volume:
                updates.append(market.level(side, price, True))
        self.held[side] = {price: market.sides[side][price][0] for price in window}
        return updates


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
        for message, frame_text in received:
            self._add(message, frame_text)
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
