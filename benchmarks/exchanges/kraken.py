"""Kraken Spot WebSocket v1 (``reference/protocols/kraken.md``): server side, frames, adapters.

The server sends ``systemStatus`` on connect (§4.3), answers ``ping`` with ``pong``
echoing ``reqid`` (§4.1) and a subscribe or unsubscribe with one
``subscriptionStatus`` per pair echoing ``reqid`` (§4.4-4.6); floods are channel
arrays (§5.1 ticker, §5.3 trade, §5.5 book with correct CRC32 checksums).
"""

from __future__ import annotations

import functools
import itertools
import json
import random
import zlib
from collections.abc import Callable, Sequence
from typing import Any

from benchmarks.exchanges.base import Exchange, RequestCase, StreamCase
from benchmarks.wsserver import Handler, ServerConnection, encode_frame

__all__ = ["ENTRY", "ticker_frames", "trade_frames", "book_frames", "pairs"]

_STATUS = '{"connectionID":8628615390848610000,"event":"systemStatus","status":"online","version":"1.9.1"}'
_DISTINCT = 1000  # distinct payloads per flood; frames cycle through them
_BOOK_DEPTH = 10


def pairs(count: int) -> list[str]:
    """``count`` distinct pair names the server acknowledges: ``XBT/USD``, then ``A0001/USD`` ..."""
    return ["XBT/USD"] + [f"A{i:04d}/USD" for i in range(1, count)]


def _price(units: int, decimals: int = 5) -> str:
    whole, fraction = divmod(units, 10**decimals)
    return f"{whole}.{fraction:0{decimals}d}"


def _time(rng: random.Random, base: int = 1693415330) -> str:
    return f"{base + rng.randrange(3600)}.{rng.randrange(10**6):06d}"


def _ticker_payloads(rng: random.Random) -> list[str]:
    payloads = []
    mid = 27000_00000
    for _ in range(_DISTINCT):
        mid += rng.randrange(-500_000, 500_001)
        ask, bid = mid + rng.randrange(1, 100_000), mid - rng.randrange(1, 100_000)
        volume = rng.randrange(10**8, 10**12)
        payload = {
            "a": [_price(ask), rng.randrange(1, 20), f"{rng.randrange(1, 20)}.000"],
            "b": [_price(bid), rng.randrange(1, 20), f"{rng.randrange(1, 20)}.000"],
            "c": [_price(mid), _price(rng.randrange(10**4, 10**8), 8)],
            "v": [_price(volume, 8), _price(volume + rng.randrange(10**11), 8)],
            "p": [_price(mid - 1000), _price(mid + 1000)],
            "t": [rng.randrange(10**5), rng.randrange(10**5, 10**6)],
            "l": [_price(mid - 5_000_000), _price(mid - 6_000_000)],
            "h": [_price(mid + 5_000_000), _price(mid + 6_000_000)],
            "o": [_price(mid - 100_000), _price(mid + 200_000)],
        }
        payloads.append(json.dumps(payload, separators=(",", ":")))
    return payloads


def _trade_payloads(rng: random.Random) -> list[str]:
    payloads = []
    mid = 27000_00000
    for _ in range(_DISTINCT):
        trades = []
        for _ in range(rng.choice((1, 1, 1, 2, 3))):
            mid += rng.randrange(-50_000, 50_001)
            trades.append([_price(mid), _price(rng.randrange(10**4, 10**9), 8), _time(rng),
                           rng.choice("bs"), rng.choice("ml"), ""])
        payloads.append(json.dumps(trades, separators=(",", ":")))
    return payloads


def _checksum(asks: dict[int, str], bids: dict[int, str]) -> int:
    parts = []
    for price in sorted(asks)[:10]:
        parts += [_price(price).replace(".", "").lstrip("0"), asks[price].replace(".", "").lstrip("0")]
    for price in sorted(bids, reverse=True)[:10]:
        parts += [_price(price).replace(".", "").lstrip("0"), bids[price].replace(".", "").lstrip("0")]
    return zlib.crc32("".join(parts).encode("ascii"))


def _book_payloads(rng: random.Random) -> list[str]:
    """A cycle of book messages: a snapshot, then updates with correct checksums (§5.5)."""
    mid = 27000_00000
    step = 10_000  # 0.1 USD in price units
    asks = {mid + step * (i + 1): _price(rng.randrange(10**6, 10**10), 8) for i in range(_BOOK_DEPTH)}
    bids = {mid - step * i: _price(rng.randrange(10**6, 10**10), 8) for i in range(_BOOK_DEPTH)}
    level = lambda price, volume: [_price(price), volume, _time(rng)]  # noqa: E731
    payloads = [json.dumps({"as": [level(p, asks[p]) for p in sorted(asks)],
                            "bs": [level(p, bids[p]) for p in sorted(bids, reverse=True)]},
                           separators=(",", ":"))]
    for _ in range(_DISTINCT - 1):
        objects = []
        sides = rng.choice((("a",), ("b",), ("a",), ("b",), ("a", "b")))
        for side in sides:
            book = asks if side == "a" else bids
            changes = []
            for _ in range(rng.choice((1, 1, 2, 3))):
                best = min(asks) if side == "a" else max(bids)
                offset = step * rng.randrange(0, 12)
                price = best + offset if side == "a" else best - offset
                if price in book and rng.random() < 0.3 and len(book) > 3:
                    volume = "0.00000000"
                    del book[price]
                else:
                    volume = _price(rng.randrange(10**6, 10**10), 8)
                    book[price] = volume
                changes.append(level(price, volume))
            # Kraken truncates to the subscribed depth after the message (§5.5)
            for price in (sorted(book) if side == "a" else sorted(book, reverse=True))[_BOOK_DEPTH:]:
                del book[price]
            objects.append({side: changes})
        objects[-1]["c"] = str(_checksum(asks, bids))
        payloads.append(",".join(json.dumps(o, separators=(",", ":")) for o in objects))
    return payloads


def _frames(make_payloads: Callable[[], list[str]], channel: str) -> Any:
    make_payloads = functools.cache(make_payloads)

    def build(count: int, symbols: Sequence[str], connection: ServerConnection | None = None) -> list[str]:
        payloads = make_payloads()
        ids = {symbol: 100 + i for i, symbol in enumerate(symbols)}
        k = len(symbols)
        out = []
        for i in range(count):
            symbol = symbols[i % k]
            out.append('[%d,%s,"%s","%s"]' % (ids[symbol], payloads[(i // k) % _DISTINCT], channel, symbol))
        return out

    return build


ticker_frames = _frames(lambda: _ticker_payloads(random.Random(1)), "ticker")
trade_frames = _frames(lambda: _trade_payloads(random.Random(2)), "trade")
book_frames = _frames(lambda: _book_payloads(random.Random(3)), f"book-{_BOOK_DEPTH}")


class KrakenHandler(Handler):
    """Kraken v1 public endpoint: systemStatus, ping/pong, subscriptionStatus per pair."""

    _channel_ids = itertools.count(1000)

    def on_open(self, connection: ServerConnection) -> None:
        connection.send(_STATUS)

    def on_message(self, connection: ServerConnection, message: str | bytes) -> None:
        request = json.loads(message)
        event = request.get("event")
        reqid = request.get("reqid")
        if event == "ping":
            connection.send('{"event":"pong","reqid":%d}' % reqid if reqid is not None else '{"event":"pong"}')
        elif event in ("subscribe", "unsubscribe"):
            subscription = request.get("subscription", {})
            name = subscription.get("name")
            channel = f"book-{subscription.get('depth', 10)}" if name == "book" else \
                f"ohlc-{subscription.get('interval', 1)}" if name == "ohlc" else name
            status = "subscribed" if event == "subscribe" else "unsubscribed"
            echo = json.dumps(subscription, separators=(",", ":"))
            acks = []
            for pair in request.get("pair", []):
                ack = '{"channelID":%d,"channelName":"%s","event":"subscriptionStatus","pair":"%s",' \
                      % (next(self._channel_ids), channel, pair)
                if reqid is not None:
                    ack += '"reqid":%d,' % reqid
                acks.append(encode_frame(ack + '"status":"%s","subscription":%s}' % (status, echo)))
            connection.send_raw(b"".join(acks))
        else:
            connection.send(json.dumps({"errorMessage": "Event(s) not found", "event": "error", "status": "error",
                                        **({"reqid": reqid} if reqid is not None else {})}))


def _bare_prepare(ws: Any, symbols: Sequence[str] = ()) -> None:
    ws.recv()  # systemStatus


def _bare_ping(ws: Any, number: int) -> Any:
    ws.send('{"event":"ping","reqid":%d}' % number)
    return json.loads(ws.recv())


ENTRY = Exchange(
    name="kraken",
    module="exwire.kraken",
    client=("exwire.kraken.client", "KrakenClient"),
    handler=lambda path: KrakenHandler(),
    client_kwargs=lambda url: {"url": url},
    streams=(
        StreamCase("ticker", ("subscribe_to_ticker_updates",), ticker_frames,
                   lambda client, symbols, callback: client.subscribe_to_ticker_updates(list(symbols), callback),
                   _bare_prepare, json.loads, ("XBT/USD",), scale_symbols=pairs),
        StreamCase("trade", ("subscribe_to_trade_updates",), trade_frames,
                   lambda client, symbols, callback: client.subscribe_to_trade_updates(list(symbols), callback),
                   _bare_prepare, json.loads, ("XBT/USD",)),
        StreamCase("book", ("subscribe_to_order_book_updates",), book_frames,
                   lambda client, symbols, callback: client.subscribe_to_order_book_updates(
                       list(symbols), _BOOK_DEPTH, callback),
                   _bare_prepare, json.loads, ("XBT/USD",)),
    ),
    requests=(RequestCase("ping", ("ping",), lambda client: client.ping(), _bare_prepare, _bare_ping),),
)
